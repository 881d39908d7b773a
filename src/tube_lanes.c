/* Four tube-stage cores, or four tube preamps, run together (gs_tube_core_run4 and
 * gs_tube_core_run_pair4, tube_stage.h).
 *
 * Almost every sample of a stage at normal levels is linearised (tube_tick.h, lin_update): a
 * short affine map whose cost is its dependency chain from one sample to the next, which leaves
 * most of the CPU idle. Four independent channels (a live engine's or a multichannel plugin's)
 * take their linearised samples in one loop, so the four chains overlap. A sample that any lane
 * cannot linearise is done lane by lane by the one-core code, and each lane's arithmetic is the
 * one-core code's own (the same inline functions on the same values): every lane gives exactly
 * what gs_tube_core_run or gs_tube_core_run_pair gives for it alone (tests/test_tube_lanes.c
 * compares them bit for bit). */
#include "tube_stage.h"
#include "tube_tick.h"

#define NL 4

static GS_FORCE_INLINE int all_on(gs_tube_core *const c[NL]) {
    return c[0]->lin.on && c[1]->lin.on && c[2]->lin.on && c[3]->lin.on;
}

/* Linearised samples of four cores from x[l][i] on while every lane stays in its region;
 * returns how many were taken. */
GS_REALTIME static GS_FORCE_INLINE uint32_t lin_run4(gs_tube_core *const c[NL], double *const x[NL],
                                                     uint32_t i, uint32_t n, double bplus) {
    lin_regs R[NL];
    lin_last z[NL];
    for (int l = 0; l < NL; l++) lin_begin(c[l], &R[l]);
    uint32_t k = i;
    for (; k < n; k++) {
        v4d a[NL];
        int in = 1;
        for (int l = 0; l < NL; l++) {
            lin_a(&c[l]->lin, &R[l], x[l][k], bplus, &a[l]);
            in &= lin_in(&c[l]->lin, &a[l]);
        }
        if (!in) break;
        for (int l = 0; l < NL; l++) {
            lin_update(&c[l]->lin, &R[l], &z[l], &a[l], x[l][k], bplus);
            x[l][k] = R[l].r1[2];
        }
    }
    if (k > i)
        for (int l = 0; l < NL; l++) lin_store(c[l], &R[l], &z[l], k - i);
    return k - i;
}

GS_REALTIME GS_HOT_CLONES static void run4(gs_tube_core *const c[NL], double *const x[NL],
                                           uint32_t n, double bplus) {
    uint32_t i = 0;
    while (i < n) {
        if (all_on(c)) i += lin_run4(c, x, i, n, bplus);
        if (i == n) break;
        for (int l = 0; l < NL; l++) x[l][i] = tick_one(c[l], x[l][i], bplus);
        i++;
    }
}

/* The first or second stages of four pairs: each lane's a for its input and supply, and
 * whether all are in their regions. */
GS_REALTIME static GS_FORCE_INLINE int lanes_a(gs_tube_core *const st[NL], int s,
                                               const lin_regs R[NL], const double vin[NL],
                                               const double b[NL], v4d a[NL]) {
    int in = 1;
    for (int l = 0; l < NL; l++) {
        lin_a(&st[l][s].lin, &R[l], vin[l], b[l], &a[l]);
        in &= lin_in(&st[l][s].lin, &a[l]);
    }
    return in;
}

/* Whole samples of four pairs while both stages of every lane stay linearised (as
 * lin_run_pair in tube_core.c: the supplies and ramps advance on copies until a sample is
 * complete); returns how many were taken. */
GS_REALTIME static GS_FORCE_INLINE uint32_t lin_run_pair4(gs_tube_core *const st[NL],
                                                          gs_tube_psu *const psu[NL],
                                                          gs_ramp *const drive[NL],
                                                          double *const x[NL], uint32_t i,
                                                          uint32_t n) {
    lin_regs R0[NL], R1[NL];
    lin_last z0[2][NL], z1[NL]; /* z0 by the sample's parity: a sample is not taken until its
                                 * second stage is, so the last taken one's is kept aside */
    gs_tube_psu p[NL];
    gs_ramp d[NL];
    for (int l = 0; l < NL; l++) {
        lin_begin(&st[l][0], &R0[l]);
        lin_begin(&st[l][1], &R1[l]);
        p[l] = *psu[l];
        d[l] = *drive[l];
    }
    uint32_t k = i;
    for (; k < n; k++) {
        gs_tube_psu pn[NL];
        gs_ramp dn[NL];
        lin_regs n0[NL];
        double b[NL], vin[NL], vin1[NL];
        v4d a[NL];
        for (int l = 0; l < NL; l++) {
            pn[l] = p[l];
            dn[l] = d[l];
            n0[l] = R0[l];
            b[l] = gs_tube_psu_tick(&pn[l], R0[l].r1[3] + R1[l].r1[3]);
            vin[l] = x[l][k];
        }
        if (!lanes_a(st, 0, R0, vin, b, a)) break;
        for (int l = 0; l < NL; l++) {
            lin_update(&st[l][0].lin, &n0[l], &z0[k & 1u][l], &a[l], vin[l], b[l]);
            vin1[l] = gs_ramp_next(&dn[l]) * n0[l].r1[2];
        }
        if (!lanes_a(st, 1, R1, vin1, b, a)) break;
        for (int l = 0; l < NL; l++) {
            lin_update(&st[l][1].lin, &R1[l], &z1[l], &a[l], vin1[l], b[l]);
            R0[l] = n0[l];
            p[l] = pn[l];
            d[l] = dn[l];
            x[l][k] = R1[l].r1[2];
        }
    }
    if (k > i)
        for (int l = 0; l < NL; l++) {
            lin_store(&st[l][0], &R0[l], &z0[(k - 1u) & 1u][l], k - i);
            lin_store(&st[l][1], &R1[l], &z1[l], k - i);
            *psu[l] = p[l];
            *drive[l] = d[l];
        }
    return k - i;
}

GS_REALTIME GS_HOT_CLONES static void run_pair4(gs_tube_core *const st[NL],
                                                gs_tube_psu *const psu[NL],
                                                gs_ramp *const drive[NL], double *const x[NL],
                                                uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        int on = 1;
        for (int l = 0; l < NL; l++) on &= st[l][0].lin.on & st[l][1].lin.on;
        if (on) i += lin_run_pair4(st, psu, drive, x, i, n);
        if (i == n) break;
        for (int l = 0; l < NL; l++) x[l][i] = pair_tick(st[l], psu[l], drive[l], x[l][i]);
        i++;
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
