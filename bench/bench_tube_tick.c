/* One step of the tube stage's circuit solver (gs_tube_core_run, per step), alone: nanoseconds and
 * Newton iterations per oversampled step, for the default circuit at 2 x 48 kHz on a DI-like signal
 * (a decaying 110 Hz pluck every 0.5 s) scaled by AMP (the sum peaks near 1.3 AMP volts). The
 * minimum over RUNS runs of the same input is quoted (the least disturbed run on a shared machine).
 * Under valgrind --tool=callgrind bench_tube_tick --seconds 0.2 --runs 1 the instruction count per
 * step is the total over the printed number of steps.
 * --lanes 4: four channels (the same circuit, the pluck shifted by a quarter of the input for
 * each) through gs_tube_core_run one after the other and through gs_tube_core_run4 together, the
 * two timed alternately in each run; ns per step per channel, medians over the runs, and their
 * ratio from the same invocation. With --pair 1 as well, four tube preamps' two stages and supply
 * (gs_tube_core_run_pair against gs_tube_core_run_pair4).
 *
 *   bench_tube_tick [--seconds S] [--runs N] [--amp V] [--factor R] [--lanes 1|4] [--pair 0|1]
 */
#include "tube_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Four channels, one at a time and as four lanes: see the head comment. */
static int bench_lanes(const double *x, size_t n, const gs_tube_values *val, double rate, int runs,
                       int factor, double amp, int pair) {
    gs_tube_core one[4][2], four[4][2];
    gs_tube_core *p4[4], *st4[4];
    gs_tube_psu psu1[4], psu4[4], *pp4[4];
    gs_ramp dr1[4], dr4[4], *dp4[4];
    double *t1 = malloc((size_t)runs * sizeof(double)), *t4 = malloc((size_t)runs * sizeof(double));
    if (!t1 || !t4) return 1;
    memset(one, 0, sizeof one);
    memset(four, 0, sizeof four);
    for (int l = 0; l < 4; l++) {
        for (int k = 0; k < 2; k++) {
            gs_tube_core_design(&one[l][k], val, 1.0 / rate);
            gs_tube_core_design(&four[l][k], val, 1.0 / rate);
            gs_tube_core_reset(&one[l][k], 250.0);
            gs_tube_core_reset(&four[l][k], 250.0);
        }
        /* the pair: a 300 V supply behind 1 kOhm into 47 uF (1 % ripple) at rest, and an
         * interstage gain of 4 */
        memset(&psu1[l], 0, sizeof psu1[l]);
        gs_tube_psu_design(&psu1[l], 300.0, 0.01, 50.0, 1e3, 47e-6, 1.0 / rate);
        gs_tube_psu_settle(&psu1[l], 2.0 * gs_tube_core_supply_current(&one[l][0]));
        psu4[l] = psu1[l];
        memset(&dr1[l], 0, sizeof dr1[l]);
        dr1[l].cur = dr1[l].target = 4.0;
        dr4[l] = dr1[l];
        p4[l] = &four[l][0];
        st4[l] = four[l];
        pp4[l] = &psu4[l];
        dp4[l] = &dr4[l];
    }
    uint64_t it0 = 0;
    for (int l = 0; l < 4; l++) it0 += one[l][0].iterations + one[l][1].iterations;
    double sink = 0.0, blk[4][512];
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        for (int l = 0; l < 4; l++)
            for (size_t i = 0; i < n; i += 512) {
                uint32_t len = (uint32_t)(n - i < 512 ? n - i : 512);
                for (uint32_t k = 0; k < len; k++) blk[l][k] = x[(i + k + (size_t)l * n / 4) % n];
                if (pair)
                    gs_tube_core_run_pair(one[l], &psu1[l], &dr1[l], blk[l], len);
                else
                    gs_tube_core_run(&one[l][0], blk[l], len, 250.0);
                sink += blk[l][0];
            }
        t1[r] = cpu_now() - t0;
        t0 = cpu_now();
        for (size_t i = 0; i < n; i += 512) {
            uint32_t len = (uint32_t)(n - i < 512 ? n - i : 512);
            for (int l = 0; l < 4; l++)
                for (uint32_t k = 0; k < len; k++) blk[l][k] = x[(i + k + (size_t)l * n / 4) % n];
            double *b[4] = {blk[0], blk[1], blk[2], blk[3]};
            if (pair)
                gs_tube_core_run_pair4(st4, pp4, dp4, b, len);
            else
                gs_tube_core_run4(p4, b, len, 250.0);
            sink += blk[0][0] + blk[3][0];
        }
        t4[r] = cpu_now() - t0;
    }
    uint64_t it = 0;
    for (int l = 0; l < 4; l++) it += one[l][0].iterations + one[l][1].iterations;
    /* the same work: the lanes must have given the same outputs and counts */
    int same = 1;
    for (int l = 0; l < 4; l++)
        for (int k = 0; k < 2; k++) same &= one[l][k].iterations == four[l][k].iterations;
    double steps = 4.0 * (double)n, m1 = median(t1, runs) / steps * 1e9,
           m4 = median(t4, runs) / steps * 1e9;
    printf("%s at %d x 48 kHz, pluck at amplitude %.2f, 4 channels of %zu steps a run, %.2f "
           "Newton iterations a stage step: one at a time %.1f ns a step per channel, as four "
           "lanes %.1f ns (medians of %d runs): %.2fx%s%s\n",
           pair ? "tube-preamp solver (2 stages and supply)" : "tube-stage solver", factor, amp, n,
           (double)(it - it0) / (steps * runs * (pair ? 2 : 1)), m1, m4, runs, m1 / m4,
           same ? "" : " (lanes and scalar iteration counts differ!)",
           sink == sink ? "" : " (NaN!)");
    free(t1);
    free(t4);
    return same ? 0 : 1;
}

int main(int argc, char **argv) {
    double seconds = 1.5, amp = 0.3;
    int runs = 12, factor = 2, lanes = 1, pair = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--amp"))
            amp = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--factor"))
            factor = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--lanes"))
            lanes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pair"))
            pair = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_tube_tick: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!(seconds > 0.0) || runs < 1 || factor < 1 || factor > 64 || (lanes != 1 && lanes != 4)) {
        fprintf(stderr, "bench_tube_tick: bad --seconds, --runs, --factor or --lanes (1 or 4)\n");
        return 2;
    }
    double rate = 48000.0 * factor;
    size_t n = (size_t)(seconds * rate);
    double *x = malloc(n * sizeof(double));
    if (!x) return 1;
    for (size_t i = 0; i < n; i++) {
        double t = (double)(i % (size_t)(rate / 2)) / rate, v = 0.0;
        for (int k = 1; k <= 8; k++) v += sin(2.0 * GS_PI * 110.0 * k * t) / k * exp(-t * 3 * k);
        x[i] = amp * v;
    }
    gs_tube_values val = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
    if (lanes == 4) {
        int st = bench_lanes(x, n, &val, rate, runs, factor, amp, pair);
        free(x);
        return st;
    }
    gs_tube_core c;
    memset(&c, 0, sizeof c);
    gs_tube_core_design(&c, &val, 1.0 / rate);
    gs_tube_core_reset(&c, 250.0);
    double best = 1e30, sink = 0.0;
    uint64_t it0 = c.iterations;
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        /* in blocks through gs_tube_core_run, the models' path (its x86-64-v3 version where
         * the CPU has one) */
        double blk[512];
        for (size_t i = 0; i < n; i += 512) {
            uint32_t len = (uint32_t)(n - i < 512 ? n - i : 512);
            memcpy(blk, x + i, len * sizeof(double));
            gs_tube_core_run(&c, blk, len, 250.0);
            sink += blk[0];
        }
        double t = cpu_now() - t0;
        if (t < best) best = t;
    }
    printf("tube-stage solver at %d x 48 kHz, pluck at amplitude %.2f: %zu steps a run, %.1f ns a "
           "step "
           "(minimum of %d runs), %.2f Newton iterations a step, %.1f x real time for %d steps a "
           "sample (solver alone)%s\n",
           factor, amp, n, best / (double)n * 1e9, runs,
           (double)(c.iterations - it0) / ((double)n * runs), seconds / best, factor,
           sink == sink ? "" : " (NaN!)");
    free(x);
    return 0;
}
