/* Four tube-stage cores solved together (gs_tube_core_run4, tube_stage.h).
 *
 * One core's sample is a long dependency chain (p -> predictor -> tables -> Newton -> update ->
 * the next p) that leaves most of the CPU idle. Four independent cores (the channels of a live
 * engine or a multichannel plugin) are solved here as the four lanes of double vectors (GCC
 * vector extensions, as in bjt_core.c), so their chains overlap. Every lane gives exactly what
 * gs_tube_core_run gives for its core alone: the linear part and the update are the shared
 * scalar code (tube_tick.h) run per lane, and the predictor and Newton iteration below repeat
 * its operations in the same order and expression shapes (so that -ffp-contract=fast fuses the
 * same multiply-adds in the x86-64-v3 clone; tests/test_tube_lanes.c compares the two bit for
 * bit). A lane that needs a rare path (the last inverse Jacobian singular, Vpk outside the
 * tables, a singular or non-finite step, no convergence in the first pass) redoes its sample
 * with the scalar solver from the same starting point. */
#include "tube_stage.h"
#include "tube_tick.h"

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));

#define NL 4

/* Every function here that takes or returns a vector is static and always inlined: no call, so
 * no ABI for GCC to warn about in the baseline (non-AVX) clone. */
#pragma GCC diagnostic ignored "-Wpsabi"

/* m ? a : b, lane by lane (m: all ones or zero per lane, as a comparison gives). */
GS_REALTIME static GS_FORCE_INLINE v4d sel(v4l m, v4d a, v4d b) {
    return (v4d)((m & (v4l)a) | (~m & (v4l)b));
}

GS_REALTIME static GS_FORCE_INLINE v4d vabs(v4d a) {
    const v4l mag = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    return (v4d)((v4l)a & mag);
}

/* One bit per lane whose mask is set. */
GS_REALTIME static GS_FORCE_INLINE unsigned bits(v4l m) {
    return (unsigned)((m[0] & 1) | (m[1] & 2) | (m[2] & 4) | (m[3] & 8));
}

GS_REALTIME static GS_FORCE_INLINE v4l lanes_of(unsigned b) {
    return (v4l){-(int64_t)(b & 1u), -(int64_t)((b >> 1) & 1u), -(int64_t)((b >> 2) & 1u),
                 -(int64_t)((b >> 3) & 1u)};
}

/* Coefficient j of four lanes' segments. */
#define COEF(seg, field, j)                                                                        \
    ((v4d){seg[0]->field[j], seg[1]->field[j], seg[2]->field[j], seg[3]->field[j]})

/* gs_poly6 / gs_poly5 (triode.h) on four lanes, the same expression. */
#define POLY6(seg, f, t, t2, t4)                                                                   \
    (((COEF(seg, f, 0) + COEF(seg, f, 1) * t) + t2 * (COEF(seg, f, 2) + COEF(seg, f, 3) * t)) +    \
     t4 * ((COEF(seg, f, 4) + COEF(seg, f, 5) * t) + t2 * COEF(seg, f, 6)))
#define POLY5(seg, f, t, t2, t4)                                                                   \
    (((COEF(seg, f, 0) + COEF(seg, f, 1) * t) + t2 * (COEF(seg, f, 2) + COEF(seg, f, 3) * t)) +    \
     t4 * (COEF(seg, f, 4) + COEF(seg, f, 5) * t))

/* What the lanes' cores keep constant over a block: K, the tube's table constants. */
typedef struct lanes_const {
    v4d k00, k01, k10, k11;
    v4d sx_c1, sx_c0, kp, emission, grid_x0;
    const gs_triode_params *tube[NL];
} lanes_const;

/* The lanes' last solutions (gs_tube_solution, one lane per core). */
typedef struct lanes_sol {
    v4d v0, v1, i0, i1, jg, jp, jgg, ji00, ji01, ji10, ji11;
    v4l jok;
} lanes_sol;

static void lanes_load_const(lanes_const *L, gs_tube_core *const c[NL]) {
    for (int l = 0; l < NL; l++) {
        const gs_triode_params *t = c[l]->val.tube;
        L->k00[l] = c[l]->K[0][0];
        L->k01[l] = c[l]->K[0][1];
        L->k10[l] = c[l]->K[1][0];
        L->k11[l] = c[l]->K[1][1];
        L->sx_c1[l] = t->sx_c1;
        L->sx_c0[l] = t->sx_c0;
        L->kp[l] = t->kp;
        L->emission[l] = c[l]->val.emission;
        L->grid_x0[l] = t->grid_x0;
        L->tube[l] = t;
    }
}

GS_REALTIME static GS_FORCE_INLINE void lane_load(lanes_sol *S, int l, const gs_tube_solution *w) {
    S->v0[l] = w->v[0];
    S->v1[l] = w->v[1];
    S->i0[l] = w->i[0];
    S->i1[l] = w->i[1];
    S->jg[l] = w->jg;
    S->jp[l] = w->jp;
    S->jgg[l] = w->jgg;
    S->ji00[l] = w->Jinv[0][0];
    S->ji01[l] = w->Jinv[0][1];
    S->ji10[l] = w->Jinv[1][0];
    S->ji11[l] = w->Jinv[1][1];
    S->jok[l] = w->jinv_ok ? -1 : 0;
}

GS_REALTIME static GS_FORCE_INLINE void lane_store(const lanes_sol *S, int l, gs_tube_solution *w) {
    w->v[0] = S->v0[l];
    w->v[1] = S->v1[l];
    w->i[0] = S->i0[l];
    w->i[1] = S->i1[l];
    w->jg = S->jg[l];
    w->jp = S->jp[l];
    w->jgg = S->jgg[l];
    w->Jinv[0][0] = S->ji00[l];
    w->Jinv[0][1] = S->ji01[l];
    w->Jinv[1][0] = S->ji10[l];
    w->Jinv[1][1] = S->ji11[l];
    w->jinv_ok = S->jok[l] != 0;
}

/* currents() of tube_tick.h on four lanes: (Ip, dIp/dVgk, dIp/dVpk) by the tables of
 * gs_triode_ip_scaled, (Ig, dIg/dVgk) by gs_grid_current. Returns the lanes of `act` that need
 * the direct form (Vpk or x outside the tables). */
GS_REALTIME static GS_FORCE_INLINE unsigned currents4(const lanes_const *L, v4d vgk, v4d vpk,
                                                      unsigned act, v4d *f0, v4d *dg, v4d *dp,
                                                      v4d *f1, v4d *dgg) {
    const gs_vp_seg *g[NL];
    v4d tv;
    unsigned rare = 0;
    for (int l = 0; l < NL; l++) {
        double t;
        int kv = gs_vp_index(vpk[l], &t);
        tv[l] = t;
        if (kv < 0 && vpk[l] > 0.0) rare |= 1u << l;
        g[l] = &L->tube[l]->vp_tab[kv < 0 ? 0 : kv];
    }
    v4d tv2 = tv * tv, tv4 = tv2 * tv2;
    v4d q = POLY6(g, q, tv, tv2, tv4);
    v4d u = (vgk * L->sx_c1) * q + L->sx_c0;
    /* Ip = 0 with no slope: Vpk <= 0 (or NaN), or far below cut-off (or NaN) */
    v4l zero = ~(vpk > 0.0) | ~(u >= 0.0);
    rare |= bits(~zero & ~(u < (double)GS_LAM_NSEG));
    v4d a = L->emission * POLY6(g, a, tv, tv2, tv4);
    const v4d scale = {g[0]->scale, g[1]->scale, g[2]->scale, g[3]->scale};
    v4d dq = POLY5(g, dq, tv, tv2, tv4) * scale;
    v4d da = L->emission * POLY5(g, da, tv, tv2, tv4) * scale;
    const gs_sx_seg *sg[NL];
    v4d kd;
    for (int l = 0; l < NL; l++) {
        int k = u[l] >= 0.0 && u[l] < (double)GS_LAM_NSEG ? (int)u[l] : 0;
        kd[l] = (double)k;
        sg[l] = &L->tube[l]->sx_tab[k];
    }
    v4d ts = 2.0 * (u - kd) - 1.0, ts2 = ts * ts, ts4 = ts2 * ts2;
    v4d sv = POLY6(sg, s, ts, ts2, ts4);
    v4d ds = POLY5(sg, ds, ts, ts2, ts4) * (2.0 * GS_LAM_INV_H);
    v4d ip = a * sv, ads = a * ds * L->kp;
    v4d dvgk = ads * q;
    v4d dvpk = da * sv + GS_UNFUSED(ads * vgk * dq);
    const v4d z = {0.0, 0.0, 0.0, 0.0};
    *f0 = sel(zero, z, ip);
    *dg = sel(zero, z, dvgk);
    *dp = sel(zero, z, dvpk);
    /* the grid: cut off (the usual case) or conducting, per lane by the scalar function */
    v4d x = vgk * (1.0 / GS_GRID_VT) + L->grid_x0;
    unsigned on = bits(x > GS_GRID_X_OFF) & act & ~rare;
    v4d ig = {-GS_GRID_IS, -GS_GRID_IS, -GS_GRID_IS, -GS_GRID_IS}, dig = z;
    for (int l = 0; l < NL; l++)
        if (on & (1u << l)) {
            double d;
            ig[l] = gs_grid_conducting(L->tube[l], x[l], &d);
            dig[l] = d;
        }
    *f1 = ig;
    *dgg = dig;
    return rare & act;
}

/* predict() and solve(chord = 1) of tube_tick.h on four lanes, from the solutions in S and the
 * linear parts (p0, p1). Converged lanes' solutions replace theirs in S and their iteration
 * counts go to cnt; returns the lanes left to the scalar solver (S untouched there). */
GS_REALTIME static GS_FORCE_INLINE unsigned solve4(const lanes_const *L, lanes_sol *S, v4d p0,
                                                   v4d p1, int cnt[NL]) {
    v4d a0 = S->i0 - (GS_UNFUSED(S->jg * S->v0) + S->jp * S->v1), a1 = S->i1 - S->jgg * S->v0;
    v4d r0 = p0 + (GS_UNFUSED(L->k00 * a0) + L->k01 * a1);
    v4d r1 = p1 + (GS_UNFUSED(L->k10 * a0) + L->k11 * a1);
    v4d v0 = S->ji00 * r0 + GS_UNFUSED(S->ji01 * r1);
    v4d v1 = S->ji10 * r0 + GS_UNFUSED(S->ji11 * r1);
    unsigned act = bits(S->jok), rare = act ^ 0xFu;
    for (int l = 0; l < NL; l++) cnt[l] = 0;
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    for (int it = 0; it < GS_TUBE_MAX_ITER && act; it++) {
        for (int l = 0; l < NL; l++) cnt[l] += (int)((act >> l) & 1u);
        v4d f0, dg, dp, f1, dgg;
        unsigned out = currents4(L, v0, v1, act, &f0, &dg, &dp, &f1, &dgg);
        rare |= out;
        act &= ~out;
        v4d e_r0 = (v0 - p0) - (L->k00 * f0 + GS_UNFUSED(L->k01 * f1));
        v4d e_r1 = (v1 - p1) - (L->k10 * f0 + GS_UNFUSED(L->k11 * f1));
        /* jacobian_inverse */
        v4d j00 = one - (L->k00 * dg + GS_UNFUSED(L->k01 * dgg)), j01 = -L->k00 * dp;
        v4d j10 = -(L->k10 * dg + GS_UNFUSED(L->k11 * dgg)), j11 = one - L->k10 * dp;
        v4d det = j00 * j11 - GS_UNFUSED(j01 * j10);
        unsigned bad = act & ~bits(vabs(det) > 1e-300);
        rare |= bad;
        act &= ~bad;
        v4d k = one / det;
        v4d J00 = j11 * k, J01 = -j01 * k, J10 = -j10 * k, J11 = j00 * k;
        v4d n0 = v0 - (J00 * e_r0 + GS_UNFUSED(J01 * e_r1));
        v4d n1 = v1 - (J10 * e_r0 + GS_UNFUSED(J11 * e_r1));
        if (it == 0) {
            v4d c0 = v0 - (S->ji00 * e_r0 + GS_UNFUSED(S->ji01 * e_r1));
            v4d c1 = v1 - (S->ji10 * e_r0 + GS_UNFUSED(S->ji11 * e_r1));
            v4l big = (vabs(c0 - v0) + vabs(c1 - v1)) > CHORD_MAX_V;
            n0 = sel(big, n0, c0);
            n1 = sel(big, n1, c1);
        }
        n1 = sel((n1 <= 0.0) & (v1 > 0.0), 0.5 * v1, n1);
        v4d e0 = n0 - v0, e1 = n1 - v1;
        v4d b0 = vabs(e0), b1 = vabs(e1);
        v4d step = sel(b0 > b1, b0, b1);
        v4d nan_check = e0 + e1;
        v4l am = lanes_of(act);
        v0 = sel(am, n0, v0);
        v1 = sel(am, n1, v1);
        unsigned nan = act & bits(~(nan_check == nan_check));
        rare |= nan;
        act &= ~nan;
        v4l conv = lanes_of(act) & (step < TOL_V);
        S->i0 = sel(conv, GS_UNFUSED(f0) + dg * e0 + dp * e1, S->i0);
        S->i1 = sel(conv, GS_UNFUSED(f1) + dgg * e0, S->i1);
        S->v0 = sel(conv, v0, S->v0);
        S->v1 = sel(conv, v1, S->v1);
        S->jg = sel(conv, dg, S->jg);
        S->jp = sel(conv, dp, S->jp);
        S->jgg = sel(conv, dgg, S->jgg);
        S->ji00 = sel(conv, J00, S->ji00);
        S->ji01 = sel(conv, J01, S->ji01);
        S->ji10 = sel(conv, J10, S->ji10);
        S->ji11 = sel(conv, J11, S->ji11);
        act &= ~bits(conv);
    }
    return rare | act;
}

/* One sample of four cores (inputs vin, supplies bplus per lane); returns the outputs in y. */
GS_REALTIME static GS_FORCE_INLINE void tick4(gs_tube_core *const c[NL], const lanes_const *L,
                                              lanes_sol *S, const double vin[NL],
                                              const double bplus[NL], double y[NL]) {
    double p[NL][GS_TUBE_NPORT], acc[NL][GS_TUBE_GROWS];
    for (int l = 0; l < NL; l++) tick_linear(c[l], vin[l], bplus[l], p[l], acc[l]);
    const v4d p0 = {p[0][0], p[1][0], p[2][0], p[3][0]};
    const v4d p1 = {p[0][1], p[1][1], p[2][1], p[3][1]};
    int cnt[NL];
    unsigned rare = solve4(L, S, p0, p1, cnt);
    for (int l = 0; l < NL; l++) {
        if (rare & (1u << l)) {
            lane_store(S, l, &c[l]->sol);
            tick_solve(c[l], p[l]);
            lane_load(S, l, &c[l]->sol);
        } else {
            c[l]->iterations += (uint64_t)cnt[l];
            c[l]->sol.i[0] = S->i0[l];
            c[l]->sol.i[1] = S->i1[l];
        }
        y[l] = tick_update(c[l], p[l], acc[l], vin[l], bplus[l]);
    }
}

GS_REALTIME GS_HOT_CLONES static void run4(gs_tube_core *const c[NL], double *const x[NL],
                                           uint32_t n, double bplus) {
    lanes_const L;
    lanes_sol S;
    lanes_load_const(&L, c);
    for (int l = 0; l < NL; l++) lane_load(&S, l, &c[l]->sol);
    const double b[NL] = {bplus, bplus, bplus, bplus};
    for (uint32_t i = 0; i < n; i++) {
        double vin[NL] = {x[0][i], x[1][i], x[2][i], x[3][i]}, y[NL];
        tick4(c, &L, &S, vin, b, y);
        for (int l = 0; l < NL; l++) x[l][i] = y[l];
    }
    for (int l = 0; l < NL; l++) lane_store(&S, l, &c[l]->sol);
}

GS_REALTIME void gs_tube_core_run4(gs_tube_core *const c[4], double *const x[4], uint32_t n,
                                   double bplus) {
    run4(c, x, n, bplus);
}
