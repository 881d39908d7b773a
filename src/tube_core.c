/* The common-cathode triode stage's circuit solver (see tube_stage.h). */
#include "tube_stage.h"
#include "tube_tick.h"

#include <stdlib.h>
#include <string.h>

enum { NA, NG, NP, NK, NO, NIN, NBP, NALL }; /* unknown nodes, then the two known ones */
enum { C_IN, C_CG, C_GP, C_CP, C_K, C_OUT };
#define NU GS_TUBE_NNODE
#define GND (-1)

/* Capacitor terminals (first, second); their voltage is v(first) - v(second). */
static const int cap_nodes[GS_TUBE_NCAP][2] = {{NIN, NA}, {NG, NK},  {NG, NP},
                                               {NP, NK},  {NK, GND}, {NP, NO}};

static void stamp(double Y[NALL][NALL], int a, int b, double g) {
    if (a >= 0) Y[a][a] += g;
    if (b >= 0) Y[b][b] += g;
    if (a >= 0 && b >= 0) {
        Y[a][b] -= g;
        Y[b][a] -= g;
    }
}

/* In-place inverse of an n x n matrix by Gauss-Jordan with partial pivoting. The nodal matrices
 * here are symmetric and diagonally dominant, so this never meets a zero pivot for component
 * values in range; a tiny pivot is still guarded so the result stays finite. */
static void invert(double M[NU][NU], int n) {
    double A[NU][2 * NU];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = M[i][j];
            A[i][n + j] = (i == j);
        }
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[r][c]) > fabs(A[piv][c])) piv = r;
        if (piv != c)
            for (int j = 0; j < 2 * n; j++) {
                double t = A[c][j];
                A[c][j] = A[piv][j];
                A[piv][j] = t;
            }
        double d = A[c][c];
        if (fabs(d) < 1e-300) d = 1e-300;
        for (int j = 0; j < 2 * n; j++) A[c][j] /= d;
        for (int r = 0; r < n; r++) {
            if (r == c || A[r][c] == 0.0) continue;
            double f = A[r][c];
            for (int j = 0; j < 2 * n; j++) A[r][j] -= f * A[c][j];
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) M[i][j] = A[i][n + j];
}

/* The update matrix G over x = (s, vin, B+, Ip, Ig):
 *   s'   = 2 gc vc - s, vc = Vs s + Vu u + Vi i  (the trapezoidal companion's new source)
 *   y    = v(o),  isup = (B+ - v(p)) / rp,  ps' = Ps s'  (so the next p is Pu u' + ps').
 * Rows beyond those are zero padding. */
static void build_update(gs_tube_core *c, const double gc[GS_TUBE_NCAP],
                         double row_s[][GS_TUBE_NCAP], double row_u[][2], double row_i[][2]) {
    double M[GS_TUBE_GROWS][GS_TUBE_GCOLS];
    memset(M, 0, sizeof M);
    for (int r = 0; r < GS_TUBE_NCAP; r++) {
        for (int k = 0; k < GS_TUBE_NCAP; k++) M[r][k] = 2.0 * gc[r] * c->Vs[r][k] - (r == k);
        for (int k = 0; k < 2; k++) {
            M[r][GS_TUBE_NCAP + k] = 2.0 * gc[r] * c->Vu[r][k];
            M[r][GS_TUBE_NCAP + 2 + k] = 2.0 * gc[r] * c->Vi[r][k];
        }
    }
    const double inv_rp = 1.0 / c->val.rp;
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        M[GS_TUBE_ROW_Y][k] = row_s[NO][k];
        M[GS_TUBE_ROW_ISUP][k] = -row_s[NP][k] * inv_rp;
    }
    for (int k = 0; k < 2; k++) {
        M[GS_TUBE_ROW_Y][GS_TUBE_NCAP + k] = row_u[NO][k];
        M[GS_TUBE_ROW_Y][GS_TUBE_NCAP + 2 + k] = row_i[NO][k];
        M[GS_TUBE_ROW_ISUP][GS_TUBE_NCAP + k] = ((k == 1) - row_u[NP][k]) * inv_rp;
        M[GS_TUBE_ROW_ISUP][GS_TUBE_NCAP + 2 + k] = -row_i[NP][k] * inv_rp;
    }
    for (int r = 0; r < GS_TUBE_NPORT; r++)
        for (int k = 0; k < GS_TUBE_GCOLS; k++) {
            double a = 0.0;
            for (int m = 0; m < GS_TUBE_NCAP; m++) a += c->Ps[r][m] * M[m][k];
            M[GS_TUBE_ROW_PS + r][k] = a;
        }
    for (int r = 0; r < GS_TUBE_GROWS; r++)
        for (int k = 0; k < GS_TUBE_GCOLS; k++) c->G[k][r] = M[r][k];
}

/* Build the per-sample matrices for capacitor conductances gc (0 for an open capacitor, as at DC).
 */
static void build(gs_tube_core *c, const double gc[GS_TUBE_NCAP]) {
    const gs_tube_values *v = &c->val;
    double Y[NALL][NALL];
    memset(Y, 0, sizeof Y);
    stamp(Y, NA, GND, 1.0 / v->rg);
    stamp(Y, NA, NG, 1.0 / v->rgs);
    stamp(Y, NBP, NP, 1.0 / v->rp);
    stamp(Y, NK, GND, 1.0 / v->rk);
    stamp(Y, NO, GND, 1.0 / v->rl);
    for (int k = 0; k < GS_TUBE_NCAP; k++) stamp(Y, cap_nodes[k][0], cap_nodes[k][1], gc[k]);
    double Z[NU][NU];
    for (int i = 0; i < NU; i++)
        for (int j = 0; j < NU; j++) Z[i][j] = Y[i][j];
    invert(Z, NU);
    /* Right-hand sides of Y_uu v = Ns s - Y_uk u + Ni i, as columns over the unknown nodes:
     * a capacitor's source injects +s into its first node and -s into its second; a nonlinear
     * current from a to b injects -i into a and +i into b. */
    double Rs[NU][GS_TUBE_NCAP], Ru[NU][2], Ri[NU][2];
    memset(Rs, 0, sizeof Rs);
    memset(Ri, 0, sizeof Ri);
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        int a = cap_nodes[k][0], b = cap_nodes[k][1];
        if (a >= 0 && a < NU) Rs[a][k] += 1.0;
        if (b >= 0 && b < NU) Rs[b][k] -= 1.0;
    }
    for (int n = 0; n < NU; n++) {
        Ru[n][0] = -Y[n][NIN];
        Ru[n][1] = -Y[n][NBP];
    }
    Ri[NP][0] = -1.0; /* plate current P -> K */
    Ri[NK][0] = 1.0;
    Ri[NG][1] = -1.0; /* grid current G -> K (RGI and the diode: gs_grid_current) */
    Ri[NK][1] = 1.0;
    /* Node voltages per unit of each source: Xs = Z Rs etc. */
    double Xs[NU][GS_TUBE_NCAP], Xu[NU][2], Xi[NU][2];
    for (int n = 0; n < NU; n++) {
        for (int k = 0; k < GS_TUBE_NCAP; k++) {
            double a = 0.0;
            for (int m = 0; m < NU; m++) a += Z[n][m] * Rs[m][k];
            Xs[n][k] = a;
        }
        for (int k = 0; k < 2; k++) {
            double a = 0.0, b = 0.0;
            for (int m = 0; m < NU; m++) {
                a += Z[n][m] * Ru[m][k];
                b += Z[n][m] * Ri[m][k];
            }
            Xu[n][k] = a;
            Xi[n][k] = b;
        }
    }
    /* Node voltage rows including the known nodes (u enters directly). */
    double row_s[NALL][GS_TUBE_NCAP], row_u[NALL][2], row_i[NALL][2];
    memset(row_s, 0, sizeof row_s);
    memset(row_u, 0, sizeof row_u);
    memset(row_i, 0, sizeof row_i);
    for (int n = 0; n < NU; n++) {
        memcpy(row_s[n], Xs[n], sizeof Xs[n]);
        memcpy(row_u[n], Xu[n], sizeof Xu[n]);
        memcpy(row_i[n], Xi[n], sizeof Xi[n]);
    }
    row_u[NIN][0] = 1.0;
    row_u[NBP][1] = 1.0;
    /* Differences: controlling voltages (g-k, p-k), capacitor voltages, output. */
    static const int nl_nodes[GS_TUBE_NPORT][2] = {{NG, NK}, {NP, NK}};
    for (int r = 0; r < GS_TUBE_NPORT; r++) {
        int a = nl_nodes[r][0], b = nl_nodes[r][1];
        for (int k = 0; k < GS_TUBE_NCAP; k++) c->Ps[r][k] = row_s[a][k] - row_s[b][k];
        for (int k = 0; k < 2; k++) {
            c->Pu[r][k] = row_u[a][k] - row_u[b][k];
            c->K[r][k] = row_i[a][k] - row_i[b][k];
        }
    }
    for (int r = 0; r < GS_TUBE_NCAP; r++) {
        int a = cap_nodes[r][0], b = cap_nodes[r][1];
        for (int k = 0; k < GS_TUBE_NCAP; k++)
            c->Vs[r][k] = row_s[a][k] - (b >= 0 ? row_s[b][k] : 0.0);
        for (int k = 0; k < 2; k++) {
            c->Vu[r][k] = row_u[a][k] - (b >= 0 ? row_u[b][k] : 0.0);
            c->Vi[r][k] = row_i[a][k] - (b >= 0 ? row_i[b][k] : 0.0);
        }
    }
    build_update(c, gc, row_s, row_u, row_i);
}

static void cap_values(const gs_tube_values *v, double C[GS_TUBE_NCAP]) {
    C[C_IN] = v->cin;
    C[C_CG] = v->tube->ccg;
    C[C_GP] = v->tube->cgp;
    C[C_CP] = v->tube->ccp;
    C[C_K] = v->ck;
    C[C_OUT] = v->cout;
}

static void jinv_refresh(gs_tube_core *c);

void gs_tube_core_cap_voltages(const gs_tube_core *c, double vc[GS_TUBE_NCAP]) {
    if (c->vc_held) {
        memcpy(vc, c->vc, sizeof c->vc);
        return;
    }
    for (int r = 0; r < GS_TUBE_NCAP; r++) {
        double a = (c->Vu[r][0] * c->u_last[0] + c->Vu[r][1] * c->u_last[1]) +
                   (c->Vi[r][0] * c->sol.i[0] + c->Vi[r][1] * c->sol.i[1]);
        for (int k = 0; k < GS_TUBE_NCAP; k++) a += c->Vs[r][k] * c->s_prev[k];
        vc[r] = a;
    }
}

/* The state's part of the next controlling voltages, after s changed outside the tick. */
static void ps_refresh(gs_tube_core *c) {
    for (int r = 0; r < GS_TUBE_NPORT; r++) {
        double a = 0.0;
        for (int k = 0; k < GS_TUBE_NCAP; k++) a += c->Ps[r][k] * c->s[k];
        c->ps[r] = a;
    }
}

void gs_tube_core_design(gs_tube_core *c, const gs_tube_values *val, double T) {
    double gc_old[GS_TUBE_NCAP], vc[GS_TUBE_NCAP];
    lin_leave(c); /* sol's slopes up to date; the expansion belongs to the old matrices */
    memcpy(gc_old, c->gc, sizeof gc_old);
    gs_tube_core_cap_voltages(c, vc); /* with the old matrices */
    c->val = *val;
    double C[GS_TUBE_NCAP];
    cap_values(val, C);
    for (int k = 0; k < GS_TUBE_NCAP; k++) c->gc[k] = 2.0 * C[k] / T;
    build(c, c->gc);
    /* Keep each capacitor's voltage and current: s = gc v - i, with i = gc_old v - s_old. The
     * voltages are held (the new matrices would not give them back from the last sample). */
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        double ic = gc_old[k] * vc[k] - c->s[k];
        /* a capacitor set to 0 (ck = 0: none) carries no source; its old current would flip
         * sign every sample in s' = 2 gc v - s with gc = 0 */
        c->s[k] = c->gc[k] > 0.0 ? c->gc[k] * vc[k] - ic : 0.0;
    }
    memcpy(c->vc, vc, sizeof c->vc);
    c->vc_held = 1;
    ps_refresh(c);
    jinv_refresh(c);
    /* the last sample in the new matrices' terms: its linear part (v = p + K i, the sub-stepping
     * fallback's starting point) and its supply current (rp may have changed) */
    for (int r = 0; r < GS_TUBE_NPORT; r++)
        c->p_last[r] = c->sol.v[r] - (c->K[r][0] * c->sol.i[0] + c->K[r][1] * c->sol.i[1]);
    c->isup = (c->u_last[1] - (vc[C_CP] + vc[C_K])) / c->val.rp;
}

/* Refresh the predictor's inverse Jacobian after K changed (design, reset). */
GS_REALTIME static void jinv_refresh(gs_tube_core *c) {
    c->sol.jinv_ok = jacobian_inverse(c, c->sol.jg, c->sol.jp, c->sol.jgg, c->sol.Jinv);
}

gs_status gs_tube_core_reset(gs_tube_core *c, double bplus) {
    /* The DC network: every capacitor open. Solved with the supply ramped up in steps (source
     * stepping), each from the previous solution, which converges from any component values. */
    double zero[GS_TUBE_NCAP] = {0};
    c->lin.on = c->lin.stale = c->lin.carry_ok = 0;
    c->lin.backoff = c->lin.wait = 0;
    build(c, zero);
    memset(c->s, 0, sizeof c->s);
    c->sol.v[0] = c->sol.v[1] = 0.0;
    c->sol.i[0] = c->sol.i[1] = 0.0;
    int ok = 1;
    const int steps = 8;
    for (int k = 1; k <= steps; k++) {
        double u1 = bplus * k / steps;
        double p[GS_TUBE_NPORT];
        for (int r = 0; r < GS_TUBE_NPORT; r++) p[r] = c->Pu[r][1] * u1;
        ok = solve(c, &c->sol, p, 200, 1e-10, 0);
    }
    double u[2] = {0.0, bplus};
    for (int r = 0; r < GS_TUBE_NCAP; r++)
        c->vc[r] = c->Vu[r][0] * u[0] + c->Vu[r][1] * u[1] + c->Vi[r][0] * c->sol.i[0] +
                   c->Vi[r][1] * c->sol.i[1];
    build(c, c->gc);
    jinv_refresh(c);
    /* At rest no capacitor carries current: s = gc v. */
    for (int k = 0; k < GS_TUBE_NCAP; k++) c->s[k] = c->gc[k] * c->vc[k];
    memcpy(c->s_prev, c->s, sizeof c->s);
    c->vc_held = 1;
    c->u_last[0] = 0.0;
    c->u_last[1] = bplus;
    c->isup = (bplus - (c->vc[C_CP] + c->vc[C_K])) / c->val.rp;
    ps_refresh(c);
    for (int r = 0; r < GS_TUBE_NPORT; r++) c->p_last[r] = c->Pu[r][1] * bplus + c->ps[r];
    return ok ? GS_OK : GS_ERR_NOT_CONVERGED;
}

/* The rows of a run of linearised samples (gs_tube_lin's W and mu) from G and the point: rows
 * 0..7 are G's with the currents (Ip* + e, Ig*); the next sample's a = M (ps' - p*) but for its
 * input terms is M times G's ps rows, and g . a and dx follow from a. */
static void lin_rows(gs_tube_core *c) {
    gs_tube_lin *L = &c->lin;
    const int ncol = GS_TUBE_NCAP + 3; /* s, vin, B+, e */
    for (int col = 0; col <= ncol; col++) {
        double *w = L->W[col];
        const double *gcol = c->G[col < ncol ? col : GS_TUBE_NCAP + 2];
        for (int r = 0; r < GS_TUBE_ROW_PS + 2; r++) w[r] = gcol[r];
        if (col == ncol) /* the constant: the point's currents */
            for (int r = 0; r < GS_TUBE_ROW_PS + 2; r++)
                w[r] = c->G[GS_TUBE_NCAP + 2][r] * L->ip + c->G[GS_TUBE_NCAP + 3][r] * -GS_GRID_IS;
        double ps0 = w[GS_TUBE_ROW_PS], ps1 = w[GS_TUBE_ROW_PS + 1];
        if (col == ncol) {
            ps0 -= L->pstar[0];
            ps1 -= L->pstar[1];
        }
        const double a0 = L->M[0][0] * ps0 + L->M[0][1] * ps1;
        const double a1 = L->M[1][0] * ps0 + L->M[1][1] * ps1;
        w[GS_TUBE_ROW_PS] = a0;
        w[GS_TUBE_ROW_PS + 1] = a1;
        w[GS_TUBE_ROW_PS + 2] = L->g0 * a0 + L->g1 * a1;
        w[GS_TUBE_ROW_PS + 3] = L->x0 * a0 + L->x1 * a1;
    }
    for (int j = 0; j < 2; j++) {
        const double a0 = L->M[0][0] * c->Pu[0][j] + L->M[0][1] * c->Pu[1][j];
        const double a1 = L->M[1][0] * c->Pu[0][j] + L->M[1][1] * c->Pu[1][j];
        L->mu[j][0] = a0;
        L->mu[j][1] = a1;
        L->mu[j][2] = L->g0 * a0 + L->g1 * a1;
        L->mu[j][3] = L->x0 * a0 + L->x1 * a1;
    }
}

GS_REALTIME void gs_tube_lin_enter(gs_tube_core *c) {
    gs_tube_lin *L = &c->lin;
    const gs_tube_solution *w = &c->sol;
    const gs_triode_params *t = c->val.tube;
    const double vgk = w->v[0], vpk = w->v[1];
    /* the grid's conduction onset: x = GS_GRID_X_OFF in gs_grid_current */
    const double dmax0 = (GS_GRID_X_OFF - t->grid_x0) * GS_GRID_VT - LIN_GRID_MARGIN - vgk;
    if (!(dmax0 > 0.0 && vpk > 0.0 && c->sol.jinv_ok)) return;
    double g0, g1, h[3];
    const double ip = gs_triode_ip_scaled(t, c->val.emission, vgk, vpk, &g0, &g1);
    gs_triode_ip_hessian(t, vgk, vpk, h);
    for (int k = 0; k < 3; k++) h[k] *= c->val.emission;
    const double k0 = c->K[0][0], k1 = c->K[1][0];
    const double j00 = 1.0 - k0 * g0, j01 = -k0 * g1, j10 = -k1 * g0, j11 = 1.0 - k1 * g1;
    const double det = j00 * j11 - j01 * j10; /* = 1 - g . K0 */
    if (!(fabs(det) > 1e-12 && isfinite(ip + h[0] + h[1] + h[2]))) return;
    const double cdet = 1.0 / det;
    L->M[0][0] = j11 * cdet;
    L->M[0][1] = -j01 * cdet;
    L->M[1][0] = -j10 * cdet;
    L->M[1][1] = j00 * cdet;
    L->ip = ip;
    L->vstar[0] = vgk;
    L->vstar[1] = vpk;
    L->pstar[0] = vgk - (k0 * ip - c->K[0][1] * GS_GRID_IS);
    L->pstar[1] = vpk - (k1 * ip - c->K[1][1] * GS_GRID_IS);
    L->g0 = g0;
    L->g1 = g1;
    L->hgg = h[0];
    L->hgp = h[1];
    L->hpp = h[2];
    L->h00 = 0.5 * cdet * h[0];
    L->h01 = cdet * h[1];
    L->h11 = 0.5 * cdet * h[2];
    const double q = 1.0 / sqrt(t->kvb + vpk * vpk);
    L->x0 = t->kp * q;
    L->x1 = -t->kp * vgk * vpk * q * q * q;
    L->dmax0 = dmax0;
    lin_rows(c);
    L->since = c->linear_steps;
    L->stale = 0;
    L->carry_ok = 0;
    L->on = 1;
}

GS_REALTIME double gs_tube_core_tick(gs_tube_core *c, double vin, double bplus) {
    return tick_one(c, vin, bplus);
}

/* The two loops are cloned static functions behind plain extern ones: GCC gives an extern
 * target_clones function's ifunc and resolver default visibility whatever -fvisibility or the
 * visibility attribute say, and the library would export them. One extra call per block. */
GS_REALTIME GS_HOT_CLONES static void run_one(gs_tube_core *c, double *x, uint32_t n,
                                              double bplus) {
    uint32_t i = 0;
    while (i < n) {
        if (c->lin.on) i += lin_run(c, x + i, n - i, bplus);
        if (i == n) break;
        x[i] = tick_solved(c, x[i], bplus);
        i++;
    }
}

/* Whole samples of the pair (supply, stage 0, drive, stage 1) while both stages stay
 * linearised; returns how many were taken. A sample either stage leaves is not begun: the
 * supply and the ramp advance on copies until it is complete. */
GS_REALTIME static GS_FORCE_INLINE uint32_t lin_run_pair(gs_tube_core st[2], gs_tube_psu *psu,
                                                         gs_ramp *drive, double *x, uint32_t n) {
    lin_regs R0, R1;
    lin_begin(&st[0], &R0);
    lin_begin(&st[1], &R1);
    lin_last z0[2], z1; /* z0 by the sample's parity (see lin_run_pair4) */
    gs_tube_psu p = *psu;
    gs_ramp d = *drive;
    uint32_t k = 0;
    for (; k < n; k++) {
        gs_tube_psu pn = p;
        gs_ramp dn = d;
        lin_regs n0 = R0;
        const double b = gs_tube_psu_tick(&pn, R0.r1[3] + R1.r1[3]);
        if (!lin_sample(&st[0].lin, &n0, &z0[k & 1u], x[k], b)) break;
        if (!lin_sample(&st[1].lin, &R1, &z1, gs_ramp_next(&dn) * n0.r1[2], b)) break;
        p = pn;
        d = dn;
        R0 = n0;
        x[k] = R1.r1[2];
    }
    if (k) {
        lin_store(&st[0], &R0, &z0[(k - 1u) & 1u], k);
        lin_store(&st[1], &R1, &z1, k);
        *psu = p;
        *drive = d;
    }
    return k;
}

GS_REALTIME GS_HOT_CLONES static void run_pair(gs_tube_core st[2], gs_tube_psu *psu, gs_ramp *drive,
                                               double *x, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        if (st[0].lin.on && st[1].lin.on) i += lin_run_pair(st, psu, drive, x + i, n - i);
        if (i == n) break;
        x[i] = pair_tick(st, psu, drive, x[i]);
        i++;
    }
}

GS_REALTIME void gs_tube_core_run(gs_tube_core *c, double *x, uint32_t n, double bplus) {
    run_one(c, x, n, bplus);
}

GS_REALTIME void gs_tube_core_run_pair(gs_tube_core st[2], gs_tube_psu *psu, gs_ramp *drive,
                                       double *x, uint32_t n) {
    run_pair(st, psu, drive, x, n);
}

double gs_tube_core_vk(const gs_tube_core *c) {
    double vc[GS_TUBE_NCAP];
    gs_tube_core_cap_voltages(c, vc);
    return vc[C_K];
}
double gs_tube_core_vp(const gs_tube_core *c) {
    double vc[GS_TUBE_NCAP];
    gs_tube_core_cap_voltages(c, vc);
    return vc[C_CP] + vc[C_K];
}

uint32_t gs_tube_os_latency(double rate, unsigned quality) {
    return gs_tube_os_latency_spec(rate, quality, &gs_lowdelay_low_alias);
}

uint32_t gs_tube_os_latency_spec(double rate, unsigned quality, const gs_lowdelay_spec *low_alias) {
    if (quality == 0) return GS_TUBE_LATENCY_STANDARD;
    if (quality == 2) return GS_TUBE_LATENCY_LOW_ALIAS;
    /* the linear-phase design of gs_tube_os_init, by the oversampler's own arithmetic */
    unsigned f = rate < 88000.0 ? 16u : (rate < 176000.0 ? 8u : 4u);
    uint32_t latency = 0;
    gs_os_stop_latency_core(rate, f, rate < 50000.0 ? 20000.0 : 0.4167 * rate, 0.5 * rate, 120.0,
                            (unsigned)low_alias->core_delay, &latency);
    return latency;
}

gs_status gs_tube_os_init(gs_oversampler *os, double rate, unsigned quality, uint32_t max_block) {
    return gs_tube_os_init_spec(os, rate, quality, max_block, &gs_lowdelay_low_alias);
}

gs_status gs_tube_os_init_spec(gs_oversampler *os, double rate, unsigned quality,
                               uint32_t max_block, const gs_lowdelay_spec *low_alias) {
    if (quality == 0) /* 2x, low delay: flat to 20 kHz, stop from 25 kHz (at 48 kHz), 8 samples */
        return gs_os_init_lowdelay(os, rate, 2, max_block, 0.4167 * rate, 0.5208 * rate,
                                   GS_TUBE_LATENCY_STANDARD, &gs_lowdelay_standard);
    if (quality == 2) {
        /* Low delay at a top rate of 705.6 kHz or more (the solver's own aliasing at 16x and
         * 48 kHz: -122 / -98 dB at 5 / 9 kHz, 4 V). Flat to 20 kHz (0.4167 fs) at 48 kHz and
         * above; at 44.1 kHz the edge is 0.43 fs (18.96 kHz) rather than 18.4 kHz, which keeps a
         * 20 kHz sweep's ESR at 1.7e-4 instead of 8.9e-3 for 1.5 dB less stop band. */
        unsigned f = rate < 88000.0 ? 16u : (rate < 176000.0 ? 8u : 4u);
        double pass = rate < 46000.0 ? 0.43 * rate : 0.4167 * rate;
        return gs_os_init_lowdelay(os, rate, f, max_block, pass, 0.5208 * rate,
                                   GS_TUBE_LATENCY_LOW_ALIAS, low_alias);
    }
    /* Linear phase, 120 dB, top rate 705.6 kHz or more (8x let the solver's own aliasing reach
     * -88.5 / -72.9 dB at 5 / 9 kHz, 4 V; 16x: -121 / -98). The last down stage stops from the
     * base Nyquist frequency, not from the half-band's 28 kHz: with half-bands the 5 kHz tone's
     * 5th harmonic (25 kHz) folded to 23 kHz at -41 dB. */
    unsigned f = rate < 88000.0 ? 16u : (rate < 176000.0 ? 8u : 4u);
    return gs_os_init_stop_core(os, rate, f, max_block, rate < 50000.0 ? 20000.0 : 0.4167 * rate,
                                0.5 * rate, 120.0, (unsigned)low_alias->core_delay);
}

static void gs_tube_os_free_all(gs_oversampler os[GS_TUBE_NQUALITY]) {
    for (unsigned q = 0; q < GS_TUBE_NQUALITY; q++) gs_os_free(&os[q]);
}

/* Every quality's oversampler of one model; on failure all are freed again. */
static gs_status gs_tube_os_init_all(gs_oversampler os[GS_TUBE_NQUALITY], double rate,
                                     uint32_t max_block, const gs_lowdelay_spec *low_alias) {
    for (unsigned q = 0; q < GS_TUBE_NQUALITY; q++) {
        gs_status st = gs_tube_os_init_spec(&os[q], rate, q, max_block, low_alias);
        if (st != GS_OK) {
            gs_tube_os_free_all(os);
            return st;
        }
    }
    return GS_OK;
}

void *gs_tube_os_model_new(size_t size, double rate, uint32_t max_block) {
    return gs_tube_os_model_new_spec(size, rate, max_block, &gs_lowdelay_low_alias);
}

void *gs_tube_os_model_new_spec(size_t size, double rate, uint32_t max_block,
                                const gs_lowdelay_spec *low_alias) {
    gs_tube_os_head *h = calloc(1, size);
    if (!h) return NULL;
    h->rate = rate;
    h->q = GS_TUBE_QUALITY_DEFAULT;
    if (gs_tube_os_init_all(h->os, rate, max_block, low_alias) != GS_OK) {
        free(h);
        return NULL;
    }
    return h;
}

void gs_tube_os_model_free(void *model) {
    gs_tube_os_head *h = model;
    if (!h) return;
    gs_tube_os_free_all(h->os);
    free(h);
}

uint32_t gs_tube_os_model_latency(const void *model) {
    const gs_tube_os_head *h = model;
    return h->os[h->q].latency;
}

unsigned gs_tube_quality_index(double value) {
    return value >= 0.0 && value < (double)GS_TUBE_NQUALITY ? (unsigned)value
                                                            : GS_TUBE_QUALITY_DEFAULT;
}

void gs_tube_psu_design(gs_tube_psu *p, double vraw, double ripple_frac, double mains_hz, double rs,
                        double cf, double T) {
    p->vraw = vraw;
    p->ripple = ripple_frac * vraw;
    p->rs = rs;
    p->cf = cf;
    p->a = exp(-T / (rs * cf));
    double w = 2.0 * GS_PI * 2.0 * mains_hz * T; /* full-wave: twice the mains frequency */
    p->wc = cos(w);
    p->ws = sin(w);
    if (p->c == 0.0 && p->s == 0.0) p->c = 1.0;
}

void gs_tube_psu_settle(gs_tube_psu *p, double iload) {
    p->v = p->vraw - p->rs * iload;
    p->c = 1.0;
    p->s = 0.0;
}
