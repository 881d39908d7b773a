/* Koren's triode (see triode.h). */
#include "triode.h"

#include <pthread.h>
#include <strings.h>

/* Koren's published parameter sets (N. Koren, "Improved vacuum-tube models for SPICE
 * simulations", Glass Audio 1996, and the model library on normankoren.com that accompanies it):
 *   12AX7: MU=100  EX=1.4  KG1=1060 KP=600 KVB=300 RGI=2000 CCG=2.3p CGP=2.4p CCP=0.9p
 *   12AT7: MU=60   EX=1.35 KG1=460  KP=300 KVB=300 RGI=2000
 *   12AU7: MU=21.5 EX=1.3  KG1=1180 KP=84  KVB=300 RGI=2000
 * The 12AX7 capacitances are the ones the issue fixes (Koren's). For the 12AT7 and 12AU7 the
 * capacitances are the data-sheet values without shield (RCA/GE data sheets, section 1):
 * 12AT7 Cgk 2.2 pF, Cgp 1.5 pF, Cpk 0.5 pF; 12AU7 Cgk 1.6 pF, Cgp 1.5 pF, Cpk 0.5 pF. */
/* The published values, one row a tube (name, MU, EX, KG1, KP, KVB, RGI, CCG, CGP, CCP); the
 * table the models use adds the derived constants (triode_init). */
typedef struct koren_set {
    const char *name;
    double mu, ex, kg1, kp, kvb, rgi, ccg, cgp, ccp;
} koren_set;
static const koren_set published[GS_TUBE_COUNT] = {
    {"12AX7", 100.0, 1.4, 1060.0, 600.0, 300.0, 2000.0, 2.3e-12, 2.4e-12, 0.9e-12},
    {"12AT7", 60.0, 1.35, 460.0, 300.0, 300.0, 2000.0, 2.2e-12, 1.5e-12, 0.5e-12},
    {"12AU7", 21.5, 1.3, 1180.0, 84.0, 300.0, 2000.0, 1.6e-12, 1.5e-12, 0.5e-12},
};
static gs_triode_params tubes[GS_TUBE_COUNT];

gs_lam_seg gs_lam_table[GS_LAM_NSEG];
gs_omega_seg gs_omega_table[GS_OMEGA_NSEG];
static gs_vp_seg vp_tables[GS_TUBE_COUNT][GS_VP_NSEG];
static gs_sx_seg sx_tables[GS_TUBE_COUNT][GS_LAM_NSEG];

static double lam_exact(double x) {
    double sp = x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    return log(sp);
}

/* Chebyshev interpolation of f on [mid - hw, mid + hw] at the 9 Chebyshev nodes, as monomials in
 * t = (x - mid) / hw (stable at this degree on these segments: the coefficients stay moderate). */
enum { NCHEB = GS_TAB_DEG + 1 };
typedef double (*fn1)(const gs_triode_params *t, double x);
static void cheb_fit(fn1 f, const gs_triode_params *tp, double mid, double hw, double c[NCHEB]) {
    double T[NCHEB][NCHEB] = {{0}}; /* T_k(t) = sum T[k][i] t^i */
    T[0][0] = 1.0;
    T[1][1] = 1.0;
    for (int k = 2; k < NCHEB; k++)
        for (int i = 0; i < NCHEB; i++)
            T[k][i] = -T[k - 2][i] + (i > 0 ? 2.0 * T[k - 1][i - 1] : 0.0);
    double fv[NCHEB], ch[NCHEB];
    for (int j = 0; j < NCHEB; j++) fv[j] = f(tp, mid + hw * cos(GS_PI * (j + 0.5) / NCHEB));
    for (int k = 0; k < NCHEB; k++) {
        double a = 0.0;
        for (int j = 0; j < NCHEB; j++) a += fv[j] * cos(GS_PI * k * (j + 0.5) / NCHEB);
        ch[k] = a * 2.0 / NCHEB;
    }
    ch[0] *= 0.5;
    for (int i = 0; i < NCHEB; i++) {
        double a = 0.0;
        for (int k = 0; k < NCHEB; k++) a += ch[k] * T[k][i];
        c[i] = a;
    }
}
static void deriv(const double c[NCHEB], double d[GS_TAB_DEG]) {
    for (int i = 0; i < GS_TAB_DEG; i++) d[i] = (i + 1) * c[i + 1];
}

static double fn_q(const gs_triode_params *t, double v) { return 1.0 / sqrt(t->kvb + v * v); }
static double fn_a(const gs_triode_params *t, double v) {
    return t->two_kg1 * pow(v / t->kp, t->ex);
}
static double fn_s(const gs_triode_params *t, double x) { return exp(t->ex * lam_exact(x)); }

static double fn_omega(const gs_triode_params *t, double x) {
    (void)t;
    return gs_omega_newton(x);
}

/* The grid element's omega table (see gs_grid_current). */
static void omega_init(void) {
    for (int e = 0; e < GS_OMEGA_NSEG; e++) {
        gs_omega_seg *g = &gs_omega_table[e];
        cheb_fit(fn_omega, NULL, GS_GRID_X_OFF + (e + 0.5) * 0.5, 0.25, g->w);
        deriv(g->w, g->dw);
    }
}

/* The tube's tables for gs_triode_ip (see triode.h). */
static void tables_init(int k) {
    const gs_triode_params *t = &tubes[k];
    for (int e = 0; e < GS_VP_NSEG; e++) {
        double base = ldexp(1.0, e / 8 + GS_VP_OCT_LO);
        double lo = base * (1.0 + (e % 8) / 8.0), hi = base * (1.0 + (e % 8 + 1) / 8.0);
        gs_vp_seg *g = &vp_tables[k][e];
        g->scale = 2.0 / (hi - lo);
        cheb_fit(fn_q, t, 0.5 * (lo + hi), 0.5 * (hi - lo), g->q);
        cheb_fit(fn_a, t, 0.5 * (lo + hi), 0.5 * (hi - lo), g->a);
        deriv(g->q, g->dq);
        deriv(g->a, g->da);
    }
    const double hw = 0.5 / GS_LAM_INV_H;
    for (int e = 0; e < GS_LAM_NSEG; e++) {
        gs_sx_seg *g = &sx_tables[k][e];
        cheb_fit(fn_s, t, GS_LAM_LO + (e + 0.5) / GS_LAM_INV_H, hw, g->s);
        deriv(g->s, g->ds);
    }
    tubes[k].vp_tab = vp_tables[k];
    tubes[k].sx_tab = sx_tables[k];
}

/* The tube table with its derived constants (1/MU, ln KP, 2/KG1, the grid element's r and x0),
 * and Lambda's table: Chebyshev interpolation of Lambda at the 9
 * Chebyshev nodes of each segment, converted to monomials in t (stable at this degree: the
 * coefficients stay below 1e3). */
static void triode_init(void) {
    for (int k = 0; k < GS_TUBE_COUNT; k++) {
        const koren_set *p = &published[k];
        tubes[k] = (gs_triode_params){.name = p->name,
                                      .mu = p->mu,
                                      .ex = p->ex,
                                      .kg1 = p->kg1,
                                      .kp = p->kp,
                                      .kvb = p->kvb,
                                      .rgi = p->rgi,
                                      .ccg = p->ccg,
                                      .cgp = p->cgp,
                                      .ccp = p->ccp};
        tubes[k].inv_mu = 1.0 / tubes[k].mu;
        tubes[k].ln_kp = log(tubes[k].kp);
        tubes[k].two_kg1 = 2.0 / tubes[k].kg1;
        tubes[k].sx_c1 = tubes[k].kp * GS_LAM_INV_H;
        tubes[k].sx_c0 = (tubes[k].kp * tubes[k].inv_mu - GS_LAM_LO) * GS_LAM_INV_H;
        tubes[k].r_grid = tubes[k].rgi + GS_GRID_RS;
        double a = tubes[k].r_grid * GS_GRID_IS / GS_GRID_VT;
        tubes[k].grid_x0 = a + log(a);
        tables_init(k);
    }
    omega_init();
    enum { N = GS_LAM_DEG + 1 };
    double T[N][N] = {{0}}; /* T_k(t) = sum T[k][i] t^i */
    T[0][0] = 1.0;
    T[1][1] = 1.0;
    for (int k = 2; k < N; k++)
        for (int i = 0; i < N; i++) T[k][i] = -T[k - 2][i] + (i > 0 ? 2.0 * T[k - 1][i - 1] : 0.0);
    const double hw = 0.5 / GS_LAM_INV_H;
    for (int s = 0; s < GS_LAM_NSEG; s++) {
        double mid = GS_LAM_LO + ((double)s + 0.5) / GS_LAM_INV_H;
        double f[N], ch[N];
        for (int j = 0; j < N; j++) f[j] = lam_exact(mid + hw * cos(GS_PI * (j + 0.5) / N));
        for (int k = 0; k < N; k++) {
            double a = 0.0;
            for (int j = 0; j < N; j++) a += f[j] * cos(GS_PI * k * (j + 0.5) / N);
            ch[k] = a * 2.0 / N;
        }
        ch[0] *= 0.5;
        gs_lam_seg *g = &gs_lam_table[s];
        for (int i = 0; i < N; i++) {
            double a = 0.0;
            for (int k = 0; k < N; k++) a += ch[k] * T[k][i];
            g->c[i] = a;
        }
        for (int i = 0; i < GS_LAM_DEG; i++) g->d[i] = (i + 1) * g->c[i + 1];
    }
}

static pthread_once_t lam_once = PTHREAD_ONCE_INIT;

const char *const gs_tube_names[] = {"12AX7", "12AT7", "12AU7", NULL};

static const char *const aliases[GS_TUBE_COUNT] = {"ECC83", "ECC81", "ECC82"};

const gs_triode_params *gs_triode_get(gs_tube_type type) {
    pthread_once(&lam_once, triode_init);
    return (unsigned)type < GS_TUBE_COUNT ? &tubes[type] : NULL;
}

const gs_triode_params *gs_triode_find(const char *name) {
    if (!name) return NULL;
    pthread_once(&lam_once, triode_init);
    for (unsigned i = 0; i < GS_TUBE_COUNT; i++)
        if (!strcasecmp(name, tubes[i].name) || !strcasecmp(name, aliases[i])) return &tubes[i];
    return NULL;
}

void gs_triode_ip_hessian(const gs_triode_params *t, double vgk, double vpk, double h[3]) {
    h[0] = h[1] = h[2] = 0.0;
    if (!(vpk > 0.0)) return;
    const double ex = t->ex, kp = t->kp;
    double q = 1.0 / sqrt(t->kvb + vpk * vpk), q3 = q * q * q;
    double dq = -vpk * q3, ddq = 3.0 * vpk * vpk * q3 * q * q - q3;
    double x = kp * (t->inv_mu + vgk * q);
    if (!(x > GS_LAM_LO)) return;
    /* softplus and the logistic, without overflow on either side */
    double sp = x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    double sig = x > 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    double r = sig / sp; /* sigma / softplus: 1 far below cut-off, no 0/0 */
    double S = pow(sp, ex);
    double S1 = ex * S * r;
    double S2 = S * (ex * (ex - 1.0) * r * r + ex * r * (1.0 - sig));
    double A = t->two_kg1 * pow(vpk / kp, ex);
    double A1 = ex * A / vpk, A2 = ex * (ex - 1.0) * A / (vpk * vpk);
    double xg = kp * q, xp = kp * vgk * dq, xgp = kp * dq, xpp = kp * vgk * ddq;
    h[0] = A * S2 * xg * xg;
    h[1] = A1 * S1 * xg + A * (S2 * xg * xp + S1 * xgp);
    h[2] = A2 * S + 2.0 * A1 * S1 * xp + A * (S2 * xp * xp + S1 * xpp);
}
