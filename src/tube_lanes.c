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
 * bit). The plate current's direct form (outside its tables) and the conducting grid are the
 * scalar out-of-line functions, called per lane. A lane that needs a rare path (the last
 * inverse Jacobian singular, a singular or non-finite step, no convergence in the first pass)
 * redoes its sample with the scalar solver from the same starting point. */
#include "tube_stage.h"
#include "tube_tick.h"

typedef double v4d __attribute__((vector_size(32)));
typedef int64_t v4l __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));
typedef int32_t v4i __attribute__((vector_size(16)));

#define NL 4

/* Vectors go to functions by pointer (a vector passed by value between the AVX clone and an
 * uncloned function would not arrive). */

/* m ? a : b, lane by lane (m: all ones or zero per lane, as a comparison gives); |a|. Macros,
 * as are the helpers below that take vectors: a vector passed by value to a function, even an
 * inlined one, draws GCC's ABI note in the baseline (non-AVX) clone. */
#define SEL(m, a, b) ((v4d)(((m) & (v4l)(a)) | (~(m) & (v4l)(b))))
#define VABS(a) ((v4d)((v4l)(a) & (v4l){INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}))

/* One bit per lane whose mask is set. */
#if defined(__x86_64__) && defined(__GNUC__)
/* the sign bits, two lanes at a time (movmskpd: SSE2, in every clone) */
typedef double v2d __attribute__((vector_size(16)));
#define BITS(m)                                                                                    \
    ((unsigned)(__builtin_ia32_movmskpd(__builtin_shufflevector((v4d)(m), (v4d)(m), 0, 1)) |       \
                (__builtin_ia32_movmskpd(__builtin_shufflevector((v4d)(m), (v4d)(m), 2, 3))        \
                 << 2)))
#else
#define BITS(m) ((unsigned)(((m)[0] & 1) | ((m)[1] & 2) | ((m)[2] & 4) | ((m)[3] & 8)))
#endif

/* What the lanes' cores keep constant over a block: K, the tube's table constants. */
typedef struct lanes_const {
    v4d k00, k01, k10, k11;
    v4d sx_c1, sx_c0, kp, emission, grid_x0;
    const gs_triode_params *tube[NL];
    const gs_vp_seg *vp_tab[NL]; /* the tubes' tables, one load nearer */
    const gs_sx_seg *sx_tab[NL];
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
        L->vp_tab[l] = t->vp_tab;
        L->sx_tab[l] = t->sx_tab;
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

/* The four lanes' doubles p[l][o .. o + 3] as four vectors, out[j] = (p[0][o + j], ...,
 * p[3][o + j]): four loads and a 4 x 4 transpose instead of sixteen scalar inserts. */
GS_REALTIME static GS_FORCE_INLINE void gather4x4(const double *const p[NL], int o, v4d *out) {
    v4d r0, r1, r2, r3;
    memcpy(&r0, p[0] + o, sizeof r0);
    memcpy(&r1, p[1] + o, sizeof r1);
    memcpy(&r2, p[2] + o, sizeof r2);
    memcpy(&r3, p[3] + o, sizeof r3);
    v4d t0 = __builtin_shufflevector(r0, r1, 0, 4, 2, 6);
    v4d t1 = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
    v4d t2 = __builtin_shufflevector(r2, r3, 0, 4, 2, 6);
    v4d t3 = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
    out[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
    out[1] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
    out[2] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    out[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
}

/* The segments as plain arrays of doubles (no padding: all members are doubles). */
#define VP_N ((int)(sizeof(gs_vp_seg) / sizeof(double)))
#define SX_N ((int)(sizeof(gs_sx_seg) / sizeof(double)))
_Static_assert(sizeof(gs_vp_seg) == (1 + 2 * (GS_TAB_DEG + 1) + 2 * GS_TAB_DEG) * sizeof(double),
               "gs_vp_seg is doubles only");
_Static_assert(sizeof(gs_sx_seg) == (2 * GS_TAB_DEG + 1) * sizeof(double),
               "gs_sx_seg is doubles only");
_Static_assert(VP_N == 27 && SX_N == 13, "the gathers below cover these sizes");

/* gs_poly6 / gs_poly5 (triode.h) on four lanes, the same expressions (c: coefficient vectors). */
#define POLY6(c, t, t2, t4)                                                                        \
    ((((c)[0] + (c)[1] * (t)) + (t2) * ((c)[2] + (c)[3] * (t))) +                                  \
     (t4) * (((c)[4] + (c)[5] * (t)) + (t2) * (c)[6]))
#define POLY5S(c0, c1, c2, c3, c4, c5, t, t2, t4)                                                  \
    ((((c0) + (c1) * (t)) + (t2) * ((c2) + (c3) * (t))) + (t4) * ((c4) + (c5) * (t)))
#define POLY5(c, t, t2, t4) POLY5S((c)[0], (c)[1], (c)[2], (c)[3], (c)[4], (c)[5], t, t2, t4)

/* currents() of tube_tick.h on four lanes: (Ip, dIp/dVgk, dIp/dVpk) by gs_triode_ip_scaled's
 * tables (its direct form per lane outside them), (Ig, dIg/dVgk) by gs_grid_current; lanes
 * outside act get no direct form or grid current (their values are not used). */
GS_REALTIME static GS_FORCE_INLINE void currents4(const lanes_const *L, const v4d *pvgk,
                                                  const v4d *pvpk, unsigned act, v4d *f0, v4d *dg,
                                                  v4d *dp, v4d *f1, v4d *dgg) {
    const v4d vgk = *pvgk, vpk = *pvpk;
    /* gs_vp_index on four lanes: t from the mantissa, the segment from the exponent and the top
     * three mantissa bits (outside the table: segment 0, and the lane is rare if Vpk > 0) */
    const v4u vb = (v4u)vpk;
    const v4d tv = 16.0 * (v4d)((vb & 0x0001FFFFFFFFFFFFull) | 0x3FF0000000000000ull) - 17.0;
    v4l kv = (v4l)(vb >> 49) - (int64_t)((1023 + GS_VP_OCT_LO) * 8);
    const v4l kv_in = (kv >= 0) & (kv < GS_VP_NSEG);
    kv &= kv_in;
    v4l rare = ~kv_in; /* lanes for the direct form */
    const double *g[NL];
    for (int l = 0; l < NL; l++) g[l] = (const double *)&L->vp_tab[l][kv[l]];
    /* scale, q[7], a[7], dq[6], da[6]: elements 0..26 (the last four from 23) */
    v4d e[VP_N + 1];
    for (int o = 0; o < 24; o += 4) gather4x4(g, o, e + o);
    {
        v4d last[4];
        gather4x4(g, 23, last);
        e[24] = last[1];
        e[25] = last[2];
        e[26] = last[3];
    }
    const v4d *cq = e + 1, *ca = e + 1 + (GS_TAB_DEG + 1), *cdq = e + 1 + 2 * (GS_TAB_DEG + 1),
              *cda = cdq + GS_TAB_DEG;
    v4d tv2 = tv * tv, tv4 = tv2 * tv2;
    const v4d z = {0.0, 0.0, 0.0, 0.0};
    v4d q = POLY6(cq, tv, tv2, tv4);
    v4d u = (vgk * L->sx_c1) * q + L->sx_c0;
    /* Ip = 0 with no slope: Vpk <= 0 (or NaN), or far below cut-off (or NaN) */
    v4l zero = ~(vpk > 0.0) | ~(u >= 0.0);
    /* the direct form: Vpk > 0 outside the Vpk table (whatever u, read from segment 0 here), or
     * x above the table */
    rare = (rare & (vpk > 0.0)) | (~zero & ~(u < (double)GS_LAM_NSEG));
    v4d a = L->emission * POLY6(ca, tv, tv2, tv4);
    v4d dq = POLY5(cdq, tv, tv2, tv4) * e[0];
    v4d da = L->emission * POLY5(cda, tv, tv2, tv4) * e[0];
    /* the x segment, (int)u where u is in the table (0 elsewhere: those lanes are zero or rare) */
    const v4l u_in = (u >= 0.0) & (u < (double)GS_LAM_NSEG);
    const v4i k4 = __builtin_convertvector(SEL(u_in, u, z), v4i);
    const v4d kd = __builtin_convertvector(k4, v4d);
    const double *sg[NL];
    for (int l = 0; l < NL; l++) sg[l] = (const double *)&L->sx_tab[l][k4[l]];
    /* s[7], ds[6]: elements 0..12 (the last one alone) */
    v4d s[SX_N - 1];
    gather4x4(sg, 0, s);
    gather4x4(sg, 4, s + 4);
    gather4x4(sg, 8, s + 8);
    const v4d s12 = {sg[0][12], sg[1][12], sg[2][12], sg[3][12]};
    v4d ts = 2.0 * (u - kd) - 1.0, ts2 = ts * ts, ts4 = ts2 * ts2;
    v4d sv = POLY6(s, ts, ts2, ts4);
    v4d ds = POLY5S(s[7], s[8], s[9], s[10], s[11], s12, ts, ts2, ts4) * (2.0 * GS_LAM_INV_H);
    v4d ip = a * sv, ads = a * ds * L->kp;
    v4d dvgk = ads * q;
    v4d dvpk = da * sv + GS_UNFUSED(ads * vgk * dq);
    *f0 = SEL(zero, z, ip);
    *dg = SEL(zero, z, dvgk);
    *dp = SEL(zero, z, dvpk);
    /* outside the tables (a hard-driven stage: the grid well positive, or the plate near 0 V):
     * the direct form per lane, the same out-of-line function and scaling as
     * gs_triode_ip_scaled */
    const unsigned direct = BITS(rare) & act;
    if (direct)
        for (int l = 0; l < NL; l++)
            if (direct & (1u << l)) {
                double dvg, dvp;
                const double em = L->emission[l];
                (*f0)[l] = em * gs_triode_ip_direct(L->tube[l], vgk[l], vpk[l], &dvg, &dvp);
                dvg *= em;
                dvp *= em;
                (*dg)[l] = dvg;
                (*dp)[l] = dvp;
            }
    /* the grid: cut off (the usual case) or conducting, per lane by the scalar function */
    v4d x = vgk * (1.0 / GS_GRID_VT) + L->grid_x0;
    v4d ig = {-GS_GRID_IS, -GS_GRID_IS, -GS_GRID_IS, -GS_GRID_IS}, dig = z;
    unsigned on = BITS(x > GS_GRID_X_OFF) & act;
    if (on)
        for (int l = 0; l < NL; l++)
            if (on & (1u << l)) {
                double d;
                ig[l] = gs_grid_conducting(L->tube[l], x[l], &d);
                dig[l] = d;
            }
    *f1 = ig;
    *dgg = dig;
}

/* x where m, else keep *y: with every lane set (the usual case: all lanes converge together)
 * a plain copy. */
#define TAKE(all, m, y, x) (*(y) = (all) ? (x) : SEL((m), (x), *(y)))

/* predict() and solve(chord = 1) of tube_tick.h on four lanes, from the solutions in S and the
 * linear parts (p0, p1). Converged lanes' solutions replace theirs in S and their iteration
 * counts go to cnt; returns the lanes left to the scalar solver (S untouched there). */
GS_REALTIME static GS_FORCE_INLINE unsigned solve4(const lanes_const *L, lanes_sol *S,
                                                   const v4d *pp0, const v4d *pp1, int cnt[NL]) {
    const v4d p0 = *pp0, p1 = *pp1;
    v4d a0 = S->i0 - (GS_UNFUSED(S->jg * S->v0) + S->jp * S->v1), a1 = S->i1 - S->jgg * S->v0;
    v4d r0 = p0 + (GS_UNFUSED(L->k00 * a0) + L->k01 * a1);
    v4d r1 = p1 + (GS_UNFUSED(L->k10 * a0) + L->k11 * a1);
    v4d v0 = S->ji00 * r0 + GS_UNFUSED(S->ji01 * r1);
    v4d v1 = S->ji10 * r0 + GS_UNFUSED(S->ji11 * r1);
    v4l am = S->jok; /* the lanes still iterating */
    unsigned act = BITS(am), rare = act ^ 0xFu;
    v4l iters = {0, 0, 0, 0};
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    for (int it = 0; it < GS_TUBE_MAX_ITER && act; it++) {
        iters -= am;
        v4d f0, dg, dp, f1, dgg;
        currents4(L, &v0, &v1, act, &f0, &dg, &dp, &f1, &dgg);
        v4d e_r0 = (v0 - p0) - (L->k00 * f0 + GS_UNFUSED(L->k01 * f1));
        v4d e_r1 = (v1 - p1) - (L->k10 * f0 + GS_UNFUSED(L->k11 * f1));
        /* jacobian_inverse */
        v4d j00 = one - (L->k00 * dg + GS_UNFUSED(L->k01 * dgg)), j01 = -L->k00 * dp;
        v4d j10 = -(L->k10 * dg + GS_UNFUSED(L->k11 * dgg)), j11 = one - L->k10 * dp;
        v4d det = j00 * j11 - GS_UNFUSED(j01 * j10);
        v4l fail = ~(VABS(det) > 1e-300);
        v4d k = one / det;
        v4d J00 = j11 * k, J01 = -j01 * k, J10 = -j10 * k, J11 = j00 * k;
        v4d n0 = v0 - (J00 * e_r0 + GS_UNFUSED(J01 * e_r1));
        v4d n1 = v1 - (J10 * e_r0 + GS_UNFUSED(J11 * e_r1));
        if (it == 0) {
            v4d c0 = v0 - (S->ji00 * e_r0 + GS_UNFUSED(S->ji01 * e_r1));
            v4d c1 = v1 - (S->ji10 * e_r0 + GS_UNFUSED(S->ji11 * e_r1));
            v4l big = (VABS(c0 - v0) + VABS(c1 - v1)) > CHORD_MAX_V;
            n0 = SEL(big, n0, c0);
            n1 = SEL(big, n1, c1);
        }
        n1 = SEL((n1 <= 0.0) & (v1 > 0.0), 0.5 * v1, n1);
        v4d e0 = n0 - v0, e1 = n1 - v1;
        v4d b0 = VABS(e0), b1 = VABS(e1);
        v4d step = SEL(b0 > b1, b0, b1);
        v4d nan_check = e0 + e1;
        fail |= ~(nan_check == nan_check);
        v0 = SEL(am, n0, v0);
        v1 = SEL(am, n1, v1);
        /* failed lanes (a singular Jacobian, NaN) go to the scalar
         * solver, which redoes their sample from the start */
        fail &= am;
        am &= ~fail;
        v4l conv = am & (step < TOL_V);
        unsigned cb = BITS(conv), all = cb == 0xFu;
        rare |= BITS(fail);
        if (cb) {
            TAKE(all, conv, &S->i0, GS_UNFUSED(f0) + dg * e0 + dp * e1);
            TAKE(all, conv, &S->i1, GS_UNFUSED(f1) + dgg * e0);
            TAKE(all, conv, &S->v0, v0);
            TAKE(all, conv, &S->v1, v1);
            TAKE(all, conv, &S->jg, dg);
            TAKE(all, conv, &S->jp, dp);
            TAKE(all, conv, &S->jgg, dgg);
            TAKE(all, conv, &S->ji00, J00);
            TAKE(all, conv, &S->ji01, J01);
            TAKE(all, conv, &S->ji10, J10);
            TAKE(all, conv, &S->ji11, J11);
        }
        am &= ~conv;
        act = BITS(am);
    }
    for (int l = 0; l < NL; l++) cnt[l] = (int)iters[l];
    return rare | act;
}

/* The linear part of the lanes' cores in lane form: G (tube_stage.h) for the rows that are not
 * padding, and Pu; constant over a block. */
#define NROW (GS_TUBE_ROW_PS + GS_TUBE_NPORT)
typedef struct lanes_lin {
    v4d G[GS_TUBE_GCOLS][NROW];
    v4d pu00, pu01, pu10, pu11;
} lanes_lin;

/* The lanes' linear state: the companion sources, their last values, the state part of the
 * next controlling voltages, the last linear part, input and supply current. */
typedef struct lanes_state {
    v4d s[GS_TUBE_NCAP], s_prev[GS_TUBE_NCAP];
    v4d ps0, ps1, pl0, pl1, vin, isup;
} lanes_state;

static void lanes_load_lin(lanes_lin *M, lanes_state *T, gs_tube_core *const c[NL]) {
    for (int l = 0; l < NL; l++) {
        for (int k = 0; k < GS_TUBE_GCOLS; k++)
            for (int r = 0; r < NROW; r++) M->G[k][r][l] = c[l]->G[k][r];
        M->pu00[l] = c[l]->Pu[0][0];
        M->pu01[l] = c[l]->Pu[0][1];
        M->pu10[l] = c[l]->Pu[1][0];
        M->pu11[l] = c[l]->Pu[1][1];
        for (int k = 0; k < GS_TUBE_NCAP; k++) {
            T->s[k][l] = c[l]->s[k];
            T->s_prev[k][l] = c[l]->s_prev[k];
        }
        T->ps0[l] = c[l]->ps[0];
        T->ps1[l] = c[l]->ps[1];
        T->pl0[l] = c[l]->p_last[0];
        T->pl1[l] = c[l]->p_last[1];
        T->vin[l] = c[l]->u_last[0];
        T->isup[l] = c[l]->isup;
    }
}

/* Back into the cores after a block of n >= 1 samples (what tick_update leaves). */
static void lanes_store_lin(const lanes_state *T, gs_tube_core *const c[NL], const v4d *bplus) {
    for (int l = 0; l < NL; l++) {
        for (int k = 0; k < GS_TUBE_NCAP; k++) {
            c[l]->s[k] = T->s[k][l];
            c[l]->s_prev[k] = T->s_prev[k][l];
        }
        c[l]->ps[0] = T->ps0[l];
        c[l]->ps[1] = T->ps1[l];
        c[l]->p_last[0] = T->pl0[l];
        c[l]->p_last[1] = T->pl1[l];
        c[l]->u_last[0] = T->vin[l];
        c[l]->u_last[1] = (*bplus)[l];
        c[l]->isup = T->isup[l];
        c[l]->vc_held = 0;
    }
}

/* One sample of four cores at supply b: tick_linear, the solve and tick_update of tube_tick.h,
 * element for element the same operations, with the state in lane form. Returns the outputs. */
GS_REALTIME static GS_FORCE_INLINE void tick4(gs_tube_core *const c[NL], const lanes_const *L,
                                              const lanes_lin *M, lanes_state *T, lanes_sol *S,
                                              const v4d *pvin, const v4d *pb, v4l *iters, v4d *y) {
    const v4d vin = *pvin, b = *pb;
    const v4d p0 = (M->pu00 * vin + GS_UNFUSED(M->pu01 * b)) + T->ps0;
    const v4d p1 = (M->pu10 * vin + GS_UNFUSED(M->pu11 * b)) + T->ps1;
    v4d acc[NROW];
    for (int r = 0; r < NROW; r++)
        acc[r] = M->G[GS_TUBE_NCAP][r] * vin + GS_UNFUSED(M->G[GS_TUBE_NCAP + 1][r] * b);
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        const v4d sk = T->s[k];
        for (int r = 0; r < NROW; r++) acc[r] += M->G[k][r] * sk;
    }
    int cnt[NL];
    unsigned rare = solve4(L, S, &p0, &p1, cnt);
    v4l counted = {cnt[0], cnt[1], cnt[2], cnt[3]};
    if (rare) {
        for (int l = 0; l < NL; l++)
            if (rare & (1u << l)) {
                /* the scalar solver from the same start: the last solution and linear part */
                counted[l] = 0;
                lane_store(S, l, &c[l]->sol);
                c[l]->p_last[0] = T->pl0[l];
                c[l]->p_last[1] = T->pl1[l];
                const double p[GS_TUBE_NPORT] = {p0[l], p1[l]};
                tick_solve(c[l], p);
                lane_load(S, l, &c[l]->sol);
            }
    }
    *iters += counted;
    const v4d i0 = S->i0, i1 = S->i1;
    for (int r = 0; r < NROW; r++)
        acc[r] += M->G[GS_TUBE_NCAP + 2][r] * i0 + GS_UNFUSED(M->G[GS_TUBE_NCAP + 3][r] * i1);
    T->pl0 = p0;
    T->pl1 = p1;
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        T->s_prev[k] = T->s[k];
        T->s[k] = acc[k];
    }
    T->ps0 = acc[GS_TUBE_ROW_PS];
    T->ps1 = acc[GS_TUBE_ROW_PS + 1];
    T->isup = acc[GS_TUBE_ROW_ISUP];
    T->vin = vin;
    *y = acc[GS_TUBE_ROW_Y];
}

GS_REALTIME GS_HOT_CLONES static void run4(gs_tube_core *const c[NL], double *const x[NL],
                                           uint32_t n, double bplus) {
    if (n == 0) return;
    lanes_const L;
    lanes_lin M;
    lanes_state T;
    lanes_sol S;
    lanes_load_const(&L, c);
    lanes_load_lin(&M, &T, c);
    for (int l = 0; l < NL; l++) lane_load(&S, l, &c[l]->sol);
    const v4d b = {bplus, bplus, bplus, bplus};
    v4l iters = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        const v4d vin = {x[0][i], x[1][i], x[2][i], x[3][i]};
        v4d y;
        tick4(c, &L, &M, &T, &S, &vin, &b, &iters, &y);
        for (int l = 0; l < NL; l++) x[l][i] = y[l];
    }
    lanes_store_lin(&T, c, &b);
    for (int l = 0; l < NL; l++) {
        lane_store(&S, l, &c[l]->sol);
        c[l]->iterations += (uint64_t)iters[l];
    }
}

/* gs_tube_core_run_pair's loop on four channels: per sample each channel's B+ from its own
 * supply loaded by its two stages' last currents, then the four first stages as lanes, each
 * channel's ramped drive, and the four second stages. */
GS_REALTIME GS_HOT_CLONES static void run_pair4(gs_tube_core *const st[NL],
                                                gs_tube_psu *const psu[NL],
                                                gs_ramp *const drive[NL], double *const x[NL],
                                                uint32_t n) {
    if (n == 0) return;
    gs_tube_core *c0[NL], *c1[NL];
    for (int l = 0; l < NL; l++) {
        c0[l] = &st[l][0];
        c1[l] = &st[l][1];
    }
    lanes_const L0, L1;
    lanes_lin M0, M1;
    lanes_state T0, T1;
    lanes_sol S0, S1;
    lanes_load_const(&L0, c0);
    lanes_load_const(&L1, c1);
    lanes_load_lin(&M0, &T0, c0);
    lanes_load_lin(&M1, &T1, c1);
    for (int l = 0; l < NL; l++) {
        lane_load(&S0, l, &c0[l]->sol);
        lane_load(&S1, l, &c1[l]->sol);
    }
    v4l it0 = {0, 0, 0, 0}, it1 = {0, 0, 0, 0};
    v4d b = {0.0, 0.0, 0.0, 0.0};
    for (uint32_t i = 0; i < n; i++) {
        const v4d load = T0.isup + T1.isup;
        for (int l = 0; l < NL; l++) b[l] = gs_tube_psu_tick(psu[l], load[l]);
        const v4d vin = {x[0][i], x[1][i], x[2][i], x[3][i]};
        v4d y0, y;
        tick4(c0, &L0, &M0, &T0, &S0, &vin, &b, &it0, &y0);
        v4d d;
        for (int l = 0; l < NL; l++) d[l] = gs_ramp_next(drive[l]);
        const v4d vin1 = d * y0;
        tick4(c1, &L1, &M1, &T1, &S1, &vin1, &b, &it1, &y);
        for (int l = 0; l < NL; l++) x[l][i] = y[l];
    }
    lanes_store_lin(&T0, c0, &b);
    lanes_store_lin(&T1, c1, &b);
    for (int l = 0; l < NL; l++) {
        lane_store(&S0, l, &c0[l]->sol);
        lane_store(&S1, l, &c1[l]->sol);
        c0[l]->iterations += (uint64_t)it0[l];
        c1[l]->iterations += (uint64_t)it1[l];
    }
}

GS_REALTIME void gs_tube_core_run_pair4(gs_tube_core *const st[4], gs_tube_psu *const psu[4],
                                        gs_ramp *const drive[4], double *const x[4], uint32_t n) {
    run_pair4(st, psu, drive, x, n);
}

GS_REALTIME void gs_tube_core_run4(gs_tube_core *const c[4], double *const x[4], uint32_t n,
                                   double bplus) {
    run4(c, x, n, bplus);
}
