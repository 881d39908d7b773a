/* The four-lane tube solver (gs_tube_core_run4 and _run_pair4, src/tube_lanes.c) against the
 * one-core one (gs_tube_core_run, _run_pair): four different circuits on four different signals,
 * from a quiet sine to a violent step train that forces the sub-stepping fallback and NaN/Inf
 * input, at several block sizes, and then four small sines (every lane linearised: the joint
 * loops); every output sample and every part of each core's state must be equal bit for bit. */
#include "check.h"
#include "tube_stage.h"

#include <stdlib.h>
#include <string.h>

#define RATE 768000.0 /* 16 x 48 kHz, the default quality's step */
#define NS 60000u
#define BPLUS 250.0

/* Lane l's circuit: different tubes, plate and cathode resistors, bypass (none for lane 3) and
 * emission, so that the lanes share no constant. */
static void make_core(gs_tube_core *c, int l) {
    static const gs_tube_type tube[4] = {GS_TUBE_12AX7, GS_TUBE_12AT7, GS_TUBE_12AU7,
                                         GS_TUBE_12AX7};
    memset(c, 0, sizeof *c);
    gs_tube_values v = {100e3 - 10e3 * l,
                        1.5e3 + 300.0 * l,
                        l == 3 ? 0.0 : 22e-6,
                        68e3,
                        1e6,
                        22e-9,
                        22e-9,
                        1e6,
                        gs_triode_get(tube[l]),
                        1.0 - 0.1 * l};
    gs_tube_core_design(c, &v, 1.0 / RATE);
    CHECK(gs_tube_core_reset(c, BPLUS) == GS_OK, "lane %d: DC operating point", l);
}

/* Lane l's signal (V): a quiet 440 Hz sine (10 mV); a 4 V 5 kHz sine; a hard-driven pluck (a
 * decaying 110 Hz with harmonics, 30 V); a step train of +-80 V with impulse pairs, and in its
 * last tenth a NaN, an Inf and a -Inf (which the scalar path turns into a failed, held state). */
static int quiet; /* 1: every lane a small sine (the linearised samples' joint loops) */
static double signal(int l, uint32_t i) {
    double t = (double)i / RATE;
    if (quiet) return (0.02 + 0.01 * l) * sin(2.0 * GS_PI * (220.0 + 110.0 * l) * t);
    switch (l) {
    case 0: return 0.01 * sin(2.0 * GS_PI * 440.0 * t);
    case 1: return 4.0 * sin(2.0 * GS_PI * 5000.0 * t);
    case 2: {
        double tt = fmod(t, 0.02), v = 0.0;
        for (int k = 1; k <= 8; k++)
            v += sin(2.0 * GS_PI * 110.0 * k * tt) / k * exp(-tt * 30.0 * k);
        return 30.0 * v;
    }
    default:
        if (i == NS - 3000u) return NAN;
        if (i == NS - 2000u) return INFINITY;
        if (i == NS - 1000u) return -INFINITY;
        /* impulse pairs of 3 kV and 100 kV: the first pass fails, sub-stepping runs, and at
         * 100 kV some samples fail altogether */
        if (i % 1500u == 700u || i % 1500u == 701u) return i % 2u ? -1e5 : 1e5;
        if (i % 1500u == 1200u || i % 1500u == 1201u) return i % 2u ? -3e3 : 3e3;
        return (i / 997u) % 2u ? 80.0 : -60.0;
    }
}

/* Equal state: the solution, the companion sources and everything the next sample reads. */
static int same_state(const gs_tube_core *a, const gs_tube_core *b) {
    return !memcmp(a->sol.v, b->sol.v, sizeof a->sol.v) &&
           !memcmp(a->sol.i, b->sol.i, sizeof a->sol.i) && !memcmp(&a->sol.jg, &b->sol.jg, 8) &&
           !memcmp(&a->sol.jp, &b->sol.jp, 8) && !memcmp(&a->sol.jgg, &b->sol.jgg, 8) &&
           !memcmp(a->sol.Jinv, b->sol.Jinv, sizeof a->sol.Jinv) &&
           a->sol.jinv_ok == b->sol.jinv_ok && !memcmp(a->s, b->s, sizeof a->s) &&
           !memcmp(a->s_prev, b->s_prev, sizeof a->s_prev) && !memcmp(a->ps, b->ps, sizeof a->ps) &&
           !memcmp(&a->isup, &b->isup, 8) && !memcmp(a->u_last, b->u_last, sizeof a->u_last) &&
           !memcmp(a->p_last, b->p_last, sizeof a->p_last) && a->vc_held == b->vc_held &&
           a->nonconverged == b->nonconverged && a->iterations == b->iterations &&
           a->linear_steps == b->linear_steps && !memcmp(&a->lin, &b->lin, sizeof a->lin);
}

/* Samples of lane l where the first Newton pass failed (more than GS_TUBE_MAX_ITER iterations:
 * the sub-stepping fallback ran), counted tick by tick on a core of its own; and in *direct
 * those whose solution lies outside the plate current's tables (Vpk outside [1/16, 2048) V or
 * Koren's x above GS_LAM_HI: the direct form). */
static unsigned fallbacks(int l, unsigned *direct) {
    gs_tube_core c;
    make_core(&c, l);
    const gs_triode_params *t = c.val.tube;
    unsigned n = 0;
    *direct = 0;
    for (uint32_t i = 0; i < NS; i++) {
        uint64_t it = c.iterations;
        (void)gs_tube_core_tick(&c, signal(l, i), BPLUS);
        n += c.iterations - it > GS_TUBE_MAX_ITER;
        double vgk = c.sol.v[0], vpk = c.sol.v[1];
        double x = t->kp * (1.0 / t->mu + vgk / sqrt(t->kvb + vpk * vpk));
        *direct += vpk > 0.0 && (vpk < 0.0625 || vpk >= 2048.0 || x > GS_LAM_HI);
    }
    return n;
}

static void compare(uint32_t block, double *ref[4], double *lan[4]) {
    gs_tube_core one[4], four[4];
    gs_tube_core *p4[4];
    for (int l = 0; l < 4; l++) {
        make_core(&one[l], l);
        make_core(&four[l], l);
        p4[l] = &four[l];
        for (uint32_t i = 0; i < NS; i++) ref[l][i] = lan[l][i] = signal(l, i);
        for (uint32_t i = 0; i < NS; i += block)
            gs_tube_core_run(&one[l], ref[l] + i, NS - i < block ? NS - i : block, BPLUS);
    }
    for (uint32_t i = 0; i < NS; i += block) {
        double *x[4] = {lan[0] + i, lan[1] + i, lan[2] + i, lan[3] + i};
        gs_tube_core_run4(p4, x, NS - i < block ? NS - i : block, BPLUS);
    }
    for (int l = 0; l < 4; l++) {
        uint32_t first = NS;
        for (uint32_t i = 0; i < NS && first == NS; i++)
            if (memcmp(&ref[l][i], &lan[l][i], sizeof(double))) first = i;
        CHECK(first == NS, "block %u lane %d: first different sample %u (%.17g vs %.17g)", block, l,
              first, first < NS ? ref[l][first] : 0.0, first < NS ? lan[l][first] : 0.0);
        CHECK(same_state(&one[l], &four[l]),
              "block %u lane %d: state differs (iterations %llu vs %llu, failed %llu vs %llu)",
              block, l, (unsigned long long)one[l].iterations,
              (unsigned long long)four[l].iterations, (unsigned long long)one[l].nonconverged,
              (unsigned long long)four[l].nonconverged);
        printf("%sblock %4u lane %d: %.3f Newton iterations a step, %llu failed samples, %.3f "
               "linearised\n",
               quiet ? "quiet, " : "", block, l, (double)one[l].iterations / NS,
               (unsigned long long)one[l].nonconverged, (double)one[l].linear_steps / NS);
        CHECK(!quiet || four[l].linear_steps > NS / 2, "quiet, block %u lane %d: %llu linearised",
              block, l, (unsigned long long)four[l].linear_steps);
    }
}

/* Lane l's preamp: two stages (the second with the other lanes' circuit), its own supply
 * (raw voltage, ripple, mains, resistance, capacitor) settled at the stages' DC current, and its
 * own drive ramp. */
static void make_pair(gs_tube_core st[2], gs_tube_psu *psu, gs_ramp *drive, int l) {
    make_core(&st[0], l);
    make_core(&st[1], (l + 1) % 4);
    memset(psu, 0, sizeof *psu);
    gs_tube_psu_design(psu, BPLUS + 20.0 * l, 0.005 * l, l % 2 ? 60.0 : 50.0, 1e3 + 500.0 * l,
                       47e-6, 1.0 / RATE);
    gs_tube_psu_settle(psu,
                       gs_tube_core_supply_current(&st[0]) + gs_tube_core_supply_current(&st[1]));
    memset(drive, 0, sizeof *drive);
    drive->cur = drive->target = 1.0 + l;
}

/* The drive's new target before block number blk of lane l (a glide now and then). */
static void drive_move(gs_ramp *drive, int l, uint32_t blk) {
    if (blk % 7u == 3u) gs_ramp_to(drive, 0.5 + 0.25 * (double)((blk + (uint32_t)l) % 9u), 100);
}

static void compare_pair(uint32_t block, double *ref[4], double *lan[4]) {
    gs_tube_core one[4][2], four[4][2];
    gs_tube_psu psu1[4], psu4[4];
    gs_ramp dr1[4], dr4[4];
    gs_tube_core *st[4];
    gs_tube_psu *pp[4];
    gs_ramp *dp[4];
    for (int l = 0; l < 4; l++) {
        make_pair(one[l], &psu1[l], &dr1[l], l);
        make_pair(four[l], &psu4[l], &dr4[l], l);
        st[l] = four[l];
        pp[l] = &psu4[l];
        dp[l] = &dr4[l];
        /* the signals at a tenth, so that the second stage is driven but not only clipped */
        for (uint32_t i = 0; i < NS; i++) ref[l][i] = lan[l][i] = 0.1 * signal(l, i);
        for (uint32_t i = 0, b = 0; i < NS; i += block, b++) {
            drive_move(&dr1[l], l, b);
            gs_tube_core_run_pair(one[l], &psu1[l], &dr1[l], ref[l] + i,
                                  NS - i < block ? NS - i : block);
        }
    }
    for (uint32_t i = 0, b = 0; i < NS; i += block, b++) {
        double *x[4] = {lan[0] + i, lan[1] + i, lan[2] + i, lan[3] + i};
        for (int l = 0; l < 4; l++) drive_move(&dr4[l], l, b);
        gs_tube_core_run_pair4(st, pp, dp, x, NS - i < block ? NS - i : block);
    }
    for (int l = 0; l < 4; l++) {
        uint32_t first = NS;
        for (uint32_t i = 0; i < NS && first == NS; i++)
            if (memcmp(&ref[l][i], &lan[l][i], sizeof(double))) first = i;
        CHECK(first == NS, "pair, block %u lane %d: first different sample %u (%.17g vs %.17g)",
              block, l, first, first < NS ? ref[l][first] : 0.0, first < NS ? lan[l][first] : 0.0);
        for (int k = 0; k < 2; k++)
            CHECK(same_state(&one[l][k], &four[l][k]),
                  "pair, block %u lane %d stage %d: state differs (iterations %llu vs %llu)", block,
                  l, k, (unsigned long long)one[l][k].iterations,
                  (unsigned long long)four[l][k].iterations);
        CHECK(!memcmp(&psu1[l], &psu4[l], sizeof psu1[l]), "pair, block %u lane %d: supply differs",
              block, l);
        CHECK(!memcmp(&dr1[l], &dr4[l], sizeof dr1[l]), "pair, block %u lane %d: drive differs",
              block, l);
        printf("%spair, block %4u lane %d: B+ %.3f V, %llu + %llu failed samples, %.3f + %.3f "
               "linearised\n",
               quiet ? "quiet, " : "", block, l, psu1[l].v,
               (unsigned long long)one[l][0].nonconverged,
               (unsigned long long)one[l][1].nonconverged, (double)one[l][0].linear_steps / NS,
               (double)one[l][1].linear_steps / NS);
        /* (the second stages of lanes 1 to 3, driven 2 to 4 times harder, leave the region) */
        for (int k = 0; k < (l ? 1 : 2); k++)
            CHECK(!quiet || four[l][k].linear_steps > NS / 2,
                  "quiet, pair, block %u lane %d stage %d: %llu linearised", block, l, k,
                  (unsigned long long)four[l][k].linear_steps);
    }
}

int main(void) {
    double *ref[4], *lan[4];
    for (int l = 0; l < 4; l++) {
        ref[l] = malloc(NS * sizeof(double));
        lan[l] = malloc(NS * sizeof(double));
        if (!ref[l] || !lan[l]) return 1;
    }
    /* the test means something only if the rare paths are taken */
    unsigned direct, fb = fallbacks(3, &direct);
    printf("lane 3: %u samples through the sub-stepping fallback, %u solved outside the tables\n",
           fb, direct);
    CHECK(fb > 0, "the step train never forced the sub-stepping fallback");
    CHECK(direct > 0, "the step train never left the plate current's tables");
    {
        /* an empty block changes nothing (as gs_tube_core_run) */
        gs_tube_core c[4], keep[4];
        gs_tube_core *p4[4];
        for (int l = 0; l < 4; l++) {
            make_core(&c[l], l);
            (void)gs_tube_core_tick(&c[l], 0.5, BPLUS);
            keep[l] = c[l];
            p4[l] = &c[l];
        }
        double *x[4] = {ref[0], ref[1], ref[2], ref[3]};
        gs_tube_core_run4(p4, x, 0, BPLUS);
        for (int l = 0; l < 4; l++)
            CHECK(same_state(&c[l], &keep[l]) && c[l].vc_held == keep[l].vc_held,
                  "lane %d: an empty block changed the state", l);
    }
    static const uint32_t blocks[] = {1, 13, 64, 4096};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) compare(blocks[b], ref, lan);
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) compare_pair(blocks[b], ref, lan);
    /* every lane linearised at once: the joint loops, and their exits and re-entries */
    quiet = 1;
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        compare(blocks[b], ref, lan);
        compare_pair(blocks[b], ref, lan);
    }
    quiet = 0;
    /* the lanes are really different (a kernel that ran lane 0 four times would fail above, but
     * say so plainly) and the NaN reached lane 3's output as in the scalar path */
    CHECK(memcmp(ref[0], ref[1], NS * sizeof(double)) != 0, "lanes 0 and 1 gave the same output");
    int nonfinite = 0;
    for (uint32_t i = NS - 3000u; i < NS; i++) nonfinite |= !isfinite(ref[3][i]);
    printf("lane 3 after the NaN: %s output\n", nonfinite ? "non-finite" : "finite");
    for (int l = 0; l < 4; l++) {
        free(ref[l]);
        free(lan[l]);
    }
    return check_done();
}
