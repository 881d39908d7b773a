/* One step of the tube stage's circuit solver (gs_tube_core_run, per step), alone: nanoseconds and
 * Newton iterations per oversampled step, for the default circuit at 2 x 48 kHz on a DI-like signal
 * (a decaying 110 Hz pluck every 0.5 s) scaled by AMP (the sum peaks near 1.3 AMP volts). The
 * minimum over RUNS runs of the same input is quoted (the least disturbed run on a shared machine).
 * Under valgrind --tool=callgrind bench_tube_tick --seconds 0.2 --runs 1 the instruction count per
 * step is the total over the printed number of steps.
 *
 *   bench_tube_tick [--seconds S] [--runs N] [--amp V] [--factor R]
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

int main(int argc, char **argv) {
    double seconds = 1.5, amp = 0.3;
    int runs = 12, factor = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--amp"))
            amp = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--factor"))
            factor = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_tube_tick: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!(seconds > 0.0) || runs < 1 || factor < 1 || factor > 64) {
        fprintf(stderr, "bench_tube_tick: bad --seconds, --runs or --factor\n");
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
    gs_tube_core c;
    memset(&c, 0, sizeof c);
    gs_tube_values val = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
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
