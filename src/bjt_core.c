/* The common-emitter stage's circuit solver (see bjt.h). */
#include "bjt.h"

#include <string.h>

#define ISF (GS_BJT_IS / GS_BJT_BF)
#define ISR (GS_BJT_IS / GS_BJT_BR)
#define INV_VT (1.0 / GS_BJT_VT)
/* e^80 A * 1e-14 is 5e20 A: far beyond any current the circuit can carry, finite in doubles. */
#define EXP_ARG_MAX 80.0
/* Convergence: the last Newton step moved both junction voltages by less than this (V); the
 * iteration converges quadratically, so the error left is far smaller still. */
#define STEP_TOL 1e-7
/* Below this Vbc/Vt, e^x < 4.3e-18: e^x - 1 == -1 in double and IS e^x is below an ulp of every
 * current it is added to in the active region, so the exponential is skipped (as 0). */
#define ER_CUT (-40.0)

/* e^x with the argument clamped at EXP_ARG_MAX (NaN clamps too), without a libm fmin call. */
GS_FORCE_INLINE static double exp_clamped(double x) {
    return exp(x < EXP_ARG_MAX ? x : EXP_ARG_MAX);
}

void gs_bjt_currents(double vbe, double vbc, double *ic, double *ib) {
    double ef = exp_clamped(vbe * INV_VT), er = exp_clamped(vbc * INV_VT);
    *ic = GS_BJT_IS * (ef - er) * (1.0 - vbc / GS_BJT_VAF) - ISR * (er - 1.0);
    *ib = ISF * (ef - 1.0) + ISR * (er - 1.0);
}

/* SPICE's junction limiting (pnjlim, Nagel 1975): above the critical voltage a step up is
 * replaced by the step of the exponential's logarithm, so an iterate never overshoots into
 * overflow and a large input change still converges. */
GS_FORCE_INLINE static double pnjlim(double vnew, double vold, int *limited) {
    /* vcrit = Vt ln(Vt / (sqrt 2 IS)) */
    static const double vcrit = 0.6386;
    if (vnew > vcrit && fabs(vnew - vold) > 2.0 * GS_BJT_VT) {
        *limited = 1;
        if (vold > 0.0) {
            double arg = 1.0 + (vnew - vold) * INV_VT;
            return arg > 0.0 ? vold + GS_BJT_VT * log(arg) : vcrit;
        }
        return GS_BJT_VT * log(vnew * INV_VT);
    }
    return vnew;
}

/* Solve Vbe = A - (Rb + Re) Ib - Re Ic, Vbc = B - Rb Ib + Rc Ic from (*x1, *x2). Returns the
 * iterations used, or -1 if the bound was hit (the best iterate is kept, finite). */
GS_FORCE_INLINE static int solve(double A, double B, double Rb, double Rc, double Re, double *x1,
                                 double *x2, double *ic, double *ib, double pj[4], double g[4],
                                 int maxit) {
    double v1 = *x1, v2 = *x2;
    const double rbe = Rb + Re;
    for (int it = 1; it <= maxit; it++) {
        double u2 = v2 * INV_VT;
        double ef = exp_clamped(v1 * INV_VT), er = u2 < ER_CUT ? 0.0 : exp_clamped(u2);
        double q = 1.0 - v2 * (1.0 / GS_BJT_VAF);
        double Ic = GS_BJT_IS * (ef - er) * q - ISR * (er - 1.0);
        double Ib = ISF * (ef - 1.0) + ISR * (er - 1.0);
        double c1 = GS_BJT_IS * INV_VT * ef * q;
        double c2 = -GS_BJT_IS * INV_VT * er * q - GS_BJT_IS * (1.0 / GS_BJT_VAF) * (ef - er) -
                    ISR * INV_VT * er;
        double b1 = ISF * INV_VT * ef, b2 = ISR * INV_VT * er;
        double F1 = A - rbe * Ib - Re * Ic - v1;
        double F2 = B - Rb * Ib + Rc * Ic - v2;
        double J11 = -rbe * b1 - Re * c1 - 1.0, J12 = -rbe * b2 - Re * c2;
        double J21 = -Rb * b1 + Rc * c1, J22 = -Rb * b2 + Rc * c2 - 1.0;
        double det = J11 * J22 - J12 * J21;
        if (!(fabs(det) > 1e-300)) det = det < 0.0 ? -1e-300 : 1e-300;
        double rdet = 1.0 / det;
        double d1 = (J12 * F2 - J22 * F1) * rdet, d2 = (J21 * F1 - J11 * F2) * rdet;
        if (!isfinite(d1) || !isfinite(d2)) break;
        int limited = 0;
        double n1 = pnjlim(v1 + d1, v1, &limited), n2 = pnjlim(v2 + d2, v2, &limited);
        if (!limited && fabs(d1) + fabs(d2) < STEP_TOL) {
            /* -J^-1: dx = pj (dA, dB) to first order, the next sample's predictor */
            pj[0] = -J22 * rdet;
            pj[1] = J12 * rdet;
            pj[2] = J21 * rdet;
            pj[3] = -J11 * rdet;
            /* dIc/dVbe, dIc/dVbc, dIb/dVbe, dIb/dVbc there, for the linearised steps */
            g[0] = c1;
            g[1] = c2;
            g[2] = b1;
            g[3] = b2;
            /* the currents at the final iterate from the linearisation (error O(step^2)) */
            *ic = Ic + c1 * d1 + c2 * d2;
            *ib = Ib + b1 * d1 + b2 * d2;
            *x1 = n1;
            *x2 = n2;
            return it;
        }
        v1 = n1;
        v2 = n2;
    }
    if (isfinite(v1) && isfinite(v2)) {
        *x1 = v1;
        *x2 = v2;
    }
    gs_bjt_currents(*x1, *x2, ic, ib);
    pj[0] = pj[1] = pj[2] = pj[3] = 0.0;
    g[0] = g[1] = g[2] = g[3] = 0.0;
    return -1;
}

void gs_bjt_core_design(gs_bjt_core *c, const gs_bjt_values *val, double T) {
    c->val = *val;
    const gs_bjt_values *v = &c->val;
    c->gin = 2.0 * v->cin / T;
    c->gce = v->ce > 0.0 ? 2.0 * v->ce / T : 0.0;
    c->gout = 2.0 * v->cout / T;
    double g1 = 1.0 / v->r1, g2 = 1.0 / v->r2, grc = 1.0 / v->rc, gl = 1.0 / v->rl;
    /* base: cin's companion, r1 to vcc and r2 to ground in parallel */
    c->Rb = 1.0 / (c->gin + g1 + g2);
    c->kb_in = c->Rb * c->gin;
    c->kb_j = c->Rb;
    c->kb0 = c->Rb * v->vcc * g1;
    /* collector: rc to vcc in parallel with cout's companion in series with rl */
    c->ko = 1.0 / (c->gout + gl);
    c->Rc = 1.0 / (grc + gl * c->gout * c->ko);
    c->kc_j = c->Rc * gl * c->ko;
    c->kc0 = c->Rc * v->vcc * grc;
    /* emitter: re1 in series with re2 || ce's companion */
    c->kx = 1.0 / (1.0 / v->re2 + c->gce);
    c->Re = v->re1 + c->kx;
    /* the linearisation belongs to the old network: the next sample solves */
    c->lin_ok = 0;
    c->lin_carry = 0;
    c->lin_dv = GS_BJT_LIN_DVBE;
}

gs_status gs_bjt_core_reset(gs_bjt_core *c) {
    const gs_bjt_values *v = &c->val;
    /* capacitors open: base divider, collector resistor, both emitter resistors */
    double Rb = v->r1 * v->r2 / (v->r1 + v->r2), Vb0 = v->vcc * v->r2 / (v->r1 + v->r2);
    double Re = v->re1 + v->re2, Rc = v->rc, Vc0 = v->vcc;
    double x1 = 0.6, x2 = -1.0, ic, ib;
    int it = solve(Vb0, Vb0 - Vc0, Rb, Rc, Re, &x1, &x2, &ic, &ib, c->pj, c->g, 200);
    /* that Jacobian is the DC network's (capacitors open), not the sampled one's: the first
     * sample starts from the operating point itself */
    c->pj[0] = c->pj[1] = c->pj[2] = c->pj[3] = 0.0;
    c->lastA = c->lastB = 0.0;
    c->lin_ok = 0;
    c->lin_carry = 0;
    c->lp[0] = x1;
    c->lp[1] = x2;
    c->lp[2] = ic;
    c->lp[3] = ib;
    double vb = Vb0 - Rb * ib, vc = Vc0 - Rc * ic;
    c->vbe = x1;
    c->vbc = x2;
    c->ic = ic;
    c->ib = ib;
    c->vcin = -vb;
    c->vce = v->re2 * (ic + ib);
    c->vcout = vc;
    c->iin = c->ice = c->iout = 0.0;
    c->vo = 0.0;
    return it > 0 ? GS_OK : GS_ERR_NOT_CONVERGED;
}

GS_FORCE_INLINE static double tick(gs_bjt_core *c, double vin) {
    double jin = c->gin * c->vcin + c->iin, jce = c->gce * c->vce + c->ice;
    double jout = c->gout * c->vcout + c->iout;
    double vb0 = c->kb_in * vin - c->kb_j * jin + c->kb0;
    double vc0 = c->kc_j * jout + c->kc0, ve0 = c->kx * jce;
    double A = vb0 - ve0, B = vb0 - vc0, dA = A - c->lastA, dB = B - c->lastB;
    /* predictor: the last solution moved along its linearisation (J^-1 of the same resistive
     * network; exact to first order in the change of A and B) */
    double p1 = c->pj[0] * dA + c->pj[1] * dB, p2 = c->pj[2] * dA + c->pj[3] * dB, ic, ib;
    /* a large predicted move (a step, an overload) is left to the limited iteration */
    if (!(fabs(p1) + fabs(p2) < 0.05)) p1 = p2 = 0.0;
    double x1 = c->lp[0] + p1, x2 = c->lp[1] + p2;
    int it = solve(A, B, c->Rb, c->Rc, c->Re, &x1, &x2, &ic, &ib, c->pj, c->g, GS_BJT_MAX_ITER);
    if (it < 0) {
        c->nonconverged++;
        it = GS_BJT_MAX_ITER;
    }
    c->iterations += (uint64_t)it;
    c->lastA = A;
    c->lastB = B;
    c->vbe = c->lp[0] = x1;
    c->vbc = c->lp[1] = x2;
    c->lp[2] = ic;
    c->lp[3] = ib;
    c->lin_ok = it < GS_BJT_MAX_ITER && x2 < GS_BJT_LIN_VBC;
    c->rows_ok = 0;
    c->lin_carry = 0;
    c->ic = ic;
    c->ib = ib;
    double vb = vb0 - c->Rb * ib, vc = vc0 - c->Rc * ic, vx = c->kx * (ib + ic + jce);
    double vo = c->ko * (c->gout * vc - jout);
    double vcin = vin - vb, vcout = vc - vo;
    c->iin = gs_undenormal(c->gin * vcin - jin);
    c->ice = gs_undenormal(c->gce * vx - jce);
    c->iout = gs_undenormal(c->gout * vcout - jout);
    c->vcin = vcin;
    c->vce = vx;
    c->vcout = vcout;
    c->vo = vo;
    return vo;
}

/* Linearised samples. While the base-collector junction is off (Vbc < GS_BJT_LIN_VBC: its
 * exponential is below 1e-8 and its currents below 1e-22 A) and Vbe stays within lin_dv of the
 * last solved point x* (Vbe*, Vbc* at A*, B*), the solution is the Newton step from x*,
 *   p = (Vbe - Vbe*, Vbc - Vbc*) = -J*^-1 (A - A*, B - B*),
 * corrected by one more step for the currents' second-order terms,
 *   dIc = c1 p1^2 / 2Vt - c1 p1 p2 / (VAF - Vbc*),   dIb = b1 p1^2 / 2Vt,
 * whose residual r moves the solution by -J*^-1 r. What is left is third order: below
 * lin_dv^3 / (6 Vt^2) in Vbe and a chord term of the same order (measured against solving
 * every sample at 768 kHz: -136 to -158 dB re the output, test_bjt_stage). Every sample then is
 * affine in z = (vin, Jin, Jce, Jout, 1), the companion sources at its start, plus the (p1^2, p1
 * p2) terms: made once per solved point, a run of linearised samples costs six dot products each
 * and no exponential. */
typedef double v4d __attribute__((vector_size(32)));
typedef double v2d __attribute__((vector_size(16)));

enum { L_VBE, L_VBC, L_VO, L_JIN, L_JCE, L_JOUT, L_IC, L_IB, L_VCIN, L_VX, L_VCOUT, L_NROWS };

static void axpy5(double *y, double a, const double *x) {
    for (int k = 0; k < 5; k++) y[k] += a * x[k];
}

static void linear_rows(gs_bjt_core *c) {
    double(*L)[5] = c->L, (*Q)[2] = c->Q;
    memset(c->L, 0, sizeof c->L);
    const double a[5] = {c->kb_in, -c->kb_j, -c->kx, 0.0, c->kb0};
    const double b[5] = {c->kb_in, -c->kb_j, 0.0, -c->kc_j, c->kb0 - c->kc0};
    double p1[5] = {0}, p2[5] = {0};
    axpy5(p1, c->pj[0], a);
    axpy5(p1, c->pj[1], b);
    axpy5(p2, c->pj[2], a);
    axpy5(p2, c->pj[3], b);
    p1[4] -= c->pj[0] * c->lastA + c->pj[1] * c->lastB;
    p2[4] -= c->pj[2] * c->lastA + c->pj[3] * c->lastB;
    axpy5(L[L_VBE], 1.0, p1);
    L[L_VBE][4] += c->lp[0];
    axpy5(L[L_VBC], 1.0, p2);
    L[L_VBC][4] += c->lp[1];
    axpy5(L[L_IC], c->g[0], p1);
    axpy5(L[L_IC], c->g[1], p2);
    L[L_IC][4] += c->lp[2];
    axpy5(L[L_IB], c->g[2], p1);
    axpy5(L[L_IB], c->g[3], p2);
    L[L_IB][4] += c->lp[3];
    /* vb = vb0 - Rb ib, vc = vc0 - Rc ic, vx = kx (ib + ic + Jce), vo = ko (gout vc - Jout) */
    double vb[5] = {c->kb_in, -c->kb_j, 0.0, 0.0, c->kb0}, vc[5] = {0.0, 0.0, 0.0, c->kc_j, c->kc0};
    axpy5(vb, -c->Rb, L[L_IB]);
    axpy5(vc, -c->Rc, L[L_IC]);
    axpy5(L[L_VX], c->kx, L[L_IB]);
    axpy5(L[L_VX], c->kx, L[L_IC]);
    L[L_VX][2] += c->kx;
    axpy5(L[L_VO], c->ko * c->gout, vc);
    L[L_VO][3] -= c->ko;
    L[L_VCIN][0] = 1.0;
    axpy5(L[L_VCIN], -1.0, vb);
    axpy5(L[L_VCOUT], 1.0, vc);
    axpy5(L[L_VCOUT], -1.0, L[L_VO]);
    /* J' = g v' + i' with i' = g v' - J: J' = 2 g v' - J */
    axpy5(L[L_JIN], 2.0 * c->gin, L[L_VCIN]);
    L[L_JIN][1] -= 1.0;
    axpy5(L[L_JCE], 2.0 * c->gce, L[L_VX]);
    L[L_JCE][2] -= 1.0;
    axpy5(L[L_JOUT], 2.0 * c->gout, L[L_VCOUT]);
    L[L_JOUT][3] -= 1.0;
    /* second order, per unit of p1^2 (k = 0) and of p1 p2 (k = 1) */
    const double rbe = c->Rb + c->Re, dvo_dic = -c->ko * c->gout * c->Rc;
    for (int k = 0; k < 2; k++) {
        double dic = k ? -c->g[0] / (GS_BJT_VAF - c->lp[1]) : c->g[0] * (0.5 * INV_VT);
        double dib = k ? 0.0 : c->g[2] * (0.5 * INV_VT);
        double r1 = -rbe * dib - c->Re * dic, r2 = -c->Rb * dib + c->Rc * dic;
        double d1 = c->pj[0] * r1 + c->pj[1] * r2, d2 = c->pj[2] * r1 + c->pj[3] * r2;
        double ic = dic + c->g[0] * d1 + c->g[1] * d2, ib = dib + c->g[2] * d1 + c->g[3] * d2;
        double vx = c->kx * (ic + ib), vo = dvo_dic * ic, vcout = -c->Rc * ic - vo;
        Q[L_VBE][k] = d1;
        Q[L_VBC][k] = d2;
        Q[L_IC][k] = ic;
        Q[L_IB][k] = ib;
        Q[L_VO][k] = vo;
        Q[L_VCIN][k] = c->Rb * ib;
        Q[L_VX][k] = vx;
        Q[L_VCOUT][k] = vcout;
        Q[L_JIN][k] = 2.0 * c->gin * c->Rb * ib;
        Q[L_JCE][k] = 2.0 * c->gce * vx;
        Q[L_JOUT][k] = 2.0 * c->gout * vcout;
    }
    /* the next sample's Vbe and Vbc but for its input term, straight from this sample's z and
     * second-order terms: the loop's dependency chain is then one map long, not two */
    for (int r = 0; r < 2; r++) {
        double *h = c->H[r];
        const double *l = L[r ? L_VBC : L_VBE];
        memset(h, 0, 7 * sizeof(double));
        for (int k = 0; k < 3; k++) {
            axpy5(h, l[1 + k], L[L_JIN + k]);
            h[5] += l[1 + k] * Q[L_JIN + k][0];
            h[6] += l[1 + k] * Q[L_JIN + k][1];
        }
        h[4] += l[4];
    }
    c->rows_ok = 1;
}

GS_FORCE_INLINE static double dot5(const double *r, double vin, double j1, double j2, double j3) {
    return (r[0] * vin + r[1] * j1) + (r[2] * j2 + r[3] * j3) + r[4];
}

/* Linearised samples from x[i] on while they qualify; returns the first index that does not.
 * The state is brought up to date from the last one taken. */
GS_FORCE_INLINE static uint32_t linear_run(gs_bjt_core *c, double *x, uint32_t i, uint32_t n) {
    double jin = c->gin * c->vcin + c->iin, jce = c->gce * c->vce + c->ice;
    double jout = c->gout * c->vcout + c->iout;
    if (!c->rows_ok) {
        /* the first sample's Vbe by the predictor's own formula: no rows for nothing */
        double vb0 = c->kb_in * x[i] - c->kb_j * jin + c->kb0, vc0 = c->kc_j * jout + c->kc0;
        double dA = vb0 - c->kx * jce - c->lastA, dB = vb0 - vc0 - c->lastB;
        if (!(fabs(c->pj[0] * dA + c->pj[1] * dB) < c->lin_dv)) return i;
        linear_rows(c);
    }
    const double(*L)[5] = (const double(*)[5])c->L, (*Q)[2] = (const double(*)[2])c->Q;
    const double dv = c->lin_dv, vbe0 = c->lp[0], vbc0 = c->lp[1];
    /* the maps as columns of vectors (GCC / Clang vector extensions): (vo, Jin', Jce', Jout')
     * and the next (Vbe - Vbe*, Vbc) but for the input term, so that a sample is two short
     * multiply-add trees on shared broadcasts */
#define COLA(k) ((v4d){L[L_VO][k], L[L_JIN][k], L[L_JCE][k], L[L_JOUT][k]})
#define COLQ(k) ((v4d){Q[L_VO][k], Q[L_JIN][k], Q[L_JCE][k], Q[L_JOUT][k]})
#define COLH(k) ((v2d){c->H[0][k], c->H[1][k]})
    const v4d a0 = COLA(0), a1 = COLA(1), a2 = COLA(2), a3 = COLA(3), a4 = COLA(4);
    const v4d a5 = COLQ(0), a6 = COLQ(1);
    const v2d e0 = COLH(0), e1 = COLH(1), e2 = COLH(2), e3 = COLH(3), e5 = COLH(5), e6 = COLH(6);
    const v2d e4 = COLH(4) - (v2d){vbe0, vbc0}, cu = (v2d){L[L_VBE][0], L[L_VBC][0]};
#undef COLA
#undef COLQ
#undef COLH
    v2d hv = (v2d){L[L_VBE][1] * jin + L[L_VBE][2] * jce + L[L_VBE][3] * jout + L[L_VBE][4] - vbe0,
                   L[L_VBC][1] * jin + L[L_VBC][2] * jce + L[L_VBC][3] * jout + L[L_VBC][4] - vbc0};
    const double vbc_max = GS_BJT_LIN_VBC - vbc0;
    /* the state as (vo, Jin, Jce, Jout); the last linearised sample's z kept as vectors. The
     * next (Vbe - Vbe*, Vbc - Vbc*) is pv = p1 w + (cu u + base): its second-order part
     * p1 (e5 p1 + e6 p2) factored so that the loop-carried chain from one pv to the next is a
     * multiply and two multiply-adds (three levels instead of four) */
    v4d o = {0.0, jin, jce, jout};
    v2d base = hv, w = {0.0, 0.0};
    double p1 = 0.0;
    if (c->lin_carry) {
        o = (v4d){0.0, c->carry[0], c->carry[1], c->carry[2]};
        base = (v2d){c->carry[3], c->carry[4]};
        w = (v2d){c->carry[5], c->carry[6]};
        p1 = c->carry[7];
    }
    v2d pv = p1 * w + (cu * x[i] + base);
    v4d zo = o;
    v2d st = {0.0, 0.0}, zst = st;
    double vin = 0.0;
    const uint32_t i0 = i;
    for (; i < n; i++) {
        double u = x[i];
        p1 = pv[0];
        if (!(fabs(p1) < dv && pv[1] < vbc_max)) break;
        st = pv * p1;
        double s = st[0], t = st[1], j1 = o[1], j2 = o[2], j3 = o[3];
        zo = o;
        zst = st;
        vin = u;
        o = ((a0 * u + a4) + (a1 * j1 + a2 * j2)) + (a3 * j3 + a5 * s) + a6 * t;
        base = ((e0 * u + e4) + (e1 * j1 + e2 * j2)) + e3 * j3;
        w = e5 * p1 + e6 * pv[1];
        x[i] = o[0];
        double un = i + 1 < n ? x[i + 1] : 0.0;
        pv = p1 * w + (cu * un + base);
    }
    if (i == i0) return i;
    c->lin_carry = i == n;
    if (i == n) {
        c->carry[0] = o[1];
        c->carry[1] = o[2];
        c->carry[2] = o[3];
        c->carry[3] = base[0];
        c->carry[4] = base[1];
        c->carry[5] = w[0];
        c->carry[6] = w[1];
        c->carry[7] = p1;
    }
    /* the last linearised sample's node values, from its z */
    const double j1 = zo[1], j2 = zo[2], j3 = zo[3], s = zst[0], t = zst[1];
#define ROW(r) (dot5(L[r], vin, j1, j2, j3) + Q[r][0] * s + Q[r][1] * t)
    c->vbe = ROW(L_VBE);
    c->vbc = ROW(L_VBC);
    c->ic = ROW(L_IC);
    c->ib = ROW(L_IB);
    c->vcin = ROW(L_VCIN);
    c->vce = ROW(L_VX);
    c->vcout = ROW(L_VCOUT);
#undef ROW
    c->vo = x[i - 1];
    c->iin = gs_undenormal(c->gin * c->vcin - j1);
    c->ice = gs_undenormal(c->gce * c->vce - j2);
    c->iout = gs_undenormal(c->gout * c->vcout - j3);
    c->linear_steps += i - i0;
    return i;
}

GS_FORCE_INLINE static void run_impl(gs_bjt_core *c, double *x, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        if (c->lin_ok) i = linear_run(c, x, i, n);
        if (i < n) {
            x[i] = tick(c, x[i]);
            i++;
        }
    }
}

GS_REALTIME double gs_bjt_core_tick(gs_bjt_core *c, double vin) {
    run_impl(c, &vin, 1);
    return vin;
}

GS_HOT_CLONES static void run(gs_bjt_core *c, double *x, uint32_t n) {
    /* a local copy: x cannot alias it, so the state stays in registers across samples */
    gs_bjt_core s = *c;
    run_impl(&s, x, n);
    *c = s;
}

GS_REALTIME void gs_bjt_core_run(gs_bjt_core *c, double *x, uint32_t n) { run(c, x, n); }

void gs_bjt_sub2_design(gs_bjt_sub2 *s, gs_bjt_core *c, const gs_bjt_values *val, double T) {
    gs_bjt_core_design(c, val, T);
    gs_bjt_core_design(&s->s, val, 0.5 * T);
}

gs_status gs_bjt_sub2_reset(gs_bjt_sub2 *s, gs_bjt_core *c) {
    gs_status st = gs_bjt_core_reset(c);
    gs_bjt_core_reset(&s->s);
    s->on_s = 1; /* nothing is linearised before a first solve */
    for (int k = 0; k < 3; k++) {
        s->xh[k] = 0.0;
        s->bh[k] = c->vo;
    }
    s->a1 = c->vo;
    return st;
}

/* The predictor of c's network at its solved point (lp, g): -J^-1 and the (A, B) that point
 * solves, A* = Vbe* + (Rb + Re) Ib* + Re Ic*, B* = Vbc* + Rb Ib* - Rc Ic* (the residuals of
 * solve's two equations are zero there). No slopes (a failed solve): no prediction, as after
 * solve's own failure. */
static void predictor_at(gs_bjt_core *c) {
    const double *g = c->g, *lp = c->lp, rbe = c->Rb + c->Re;
    c->lastA = lp[0] + rbe * lp[3] + c->Re * lp[2];
    c->lastB = lp[1] + c->Rb * lp[3] - c->Rc * lp[2];
    if (g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0 && g[3] == 0.0) {
        c->pj[0] = c->pj[1] = c->pj[2] = c->pj[3] = 0.0;
        return;
    }
    double J11 = -rbe * g[2] - c->Re * g[0] - 1.0, J12 = -rbe * g[3] - c->Re * g[1];
    double J21 = -c->Rb * g[2] + c->Rc * g[0], J22 = -c->Rb * g[3] + c->Rc * g[1] - 1.0;
    double det = J11 * J22 - J12 * J21;
    if (!(fabs(det) > 1e-300)) det = det < 0.0 ? -1e-300 : 1e-300;
    double rdet = 1.0 / det;
    c->pj[0] = -J22 * rdet;
    c->pj[1] = J12 * rdet;
    c->pj[2] = J21 * rdet;
    c->pj[3] = -J11 * rdet;
}

/* d takes over from s: the circuit's state and the last solved point, which are the same in
 * either network; what depends on the time step (the predictor, the linearised rows, a carried
 * run) is d's own, rebuilt. */
static void adopt(gs_bjt_core *d, const gs_bjt_core *s) {
    d->vcin = s->vcin;
    d->vce = s->vce;
    d->vcout = s->vcout;
    d->iin = s->iin;
    d->ice = s->ice;
    d->iout = s->iout;
    d->vbe = s->vbe;
    d->vbc = s->vbc;
    d->ic = s->ic;
    d->ib = s->ib;
    d->vo = s->vo;
    memcpy(d->g, s->g, sizeof d->g);
    memcpy(d->lp, s->lp, sizeof d->lp);
    d->lin_ok = s->lin_ok;
    d->rows_ok = 0;
    d->lin_carry = 0;
    predictor_at(d);
}

/* The cubic through four equally spaced samples y[-3..0], at -1/2 (Lagrange weights). */
GS_FORCE_INLINE static double mid_cubic(double y3, double y2, double y1, double y0) {
    return (0.0625 * y3 - 0.3125 * y2) + (0.9375 * y1 + 0.3125 * y0);
}

/* One chunk's samples into sb->bb (whole-step outputs) and, where solved, sb->ab (mid-step). */
GS_FORCE_INLINE static void steps_chunk(gs_bjt_core *L, gs_bjt_sub2 *sb, uint32_t m) {
    gs_bjt_core *S = &sb->s;
    const double *xin = sb->xin;
    uint32_t j = 0;
    while (j < m) {
        uint32_t j2 = j;
        if (!sb->on_s || S->lin_ok) {
            if (sb->on_s) {
                adopt(L, S);
                sb->on_s = 0;
            }
            if (L->lin_ok) j2 = linear_run(L, sb->bb, j, m);
            for (uint32_t k = j; k < j2; k++) sb->half[k] = 0;
        }
        if (j2 < m) {
            if (!sb->on_s) {
                adopt(S, L);
                sb->on_s = 1;
            }
#define XAT(k) ((k) >= 0 ? xin[(k)] : sb->xh[3 + (k)])
            const int32_t k = (int32_t)j2;
            double xm = mid_cubic(XAT(k - 3), XAT(k - 2), XAT(k - 1), xin[k]);
#undef XAT
            sb->ab[j2] = tick(S, xm);
            sb->bb[j2] = tick(S, xin[j2]);
            sb->half[j2] = 1;
            j2++;
        }
        j = j2;
    }
}

/* cloned like run, with the whole-step core copied once for the whole block */
GS_HOT_CLONES static void run_sub2(gs_bjt_core *core, gs_bjt_sub2 *sb, double *x, uint32_t n) {
    gs_bjt_core cs = *core;
    for (uint32_t i0 = 0; i0 < n; i0 += GS_BJT_SUB_CHUNK) {
        uint32_t m = n - i0 < GS_BJT_SUB_CHUNK ? n - i0 : GS_BJT_SUB_CHUNK;
        double *xs = x + i0;
        memcpy(sb->xin, xs, m * sizeof(double));
        memcpy(sb->bb, xs, m * sizeof(double)); /* linear_run works in place */
        steps_chunk(&cs, sb, m);
        /* the kernel, and the mid-step outputs of the linearised samples */
        double a1 = sb->a1, b3 = sb->bh[0], b2 = sb->bh[1], b1 = sb->bh[2];
        for (uint32_t k = 0; k < m; k++) {
            double b = sb->bb[k];
            double a = sb->half[k] ? sb->ab[k] : mid_cubic(b3, b2, b1, b);
            xs[k] = 0.25 * (a1 + a) + 0.5 * b1;
            a1 = a;
            b3 = b2;
            b2 = b1;
            b1 = b;
        }
        sb->a1 = a1;
        sb->bh[0] = b3;
        sb->bh[1] = b2;
        sb->bh[2] = b1;
        for (uint32_t k = 0; k < 3; k++) {
            int32_t src = (int32_t)m - 3 + (int32_t)k; /* the chunk's last three inputs */
            sb->xh[k] = src >= 0 ? sb->xin[src] : sb->xh[3 + src];
        }
    }
    *core = cs;
}

GS_REALTIME void gs_bjt_core_run_sub2(gs_bjt_core *c, gs_bjt_sub2 *s, double *x, uint32_t n) {
    run_sub2(c, s, x, n);
}

void gs_bjt_core_nodes(const gs_bjt_core *c, double *vb, double *vc, double *ve) {
    /* v(o) is across rl; v(c) = v(o) + vcout; v(e) = v(x) + re1 Ie; v(b) = v(e) + Vbe */
    double vcc = c->vo + c->vcout, vee = c->vce + c->val.re1 * (c->ic + c->ib);
    if (vc) *vc = vcc;
    if (ve) *ve = vee;
    if (vb) *vb = vee + c->vbe;
}

void gs_bjt_core_cap_voltages(const gs_bjt_core *c, double *vcin, double *vce, double *vcout) {
    *vcin = c->vcin;
    *vce = c->vce;
    *vcout = c->vcout;
}
