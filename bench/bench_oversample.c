/* The tube models' oversampling filters alone: nanoseconds per base-rate sample for the up filter
 * and for up + down, per quality at 48 kHz in 256-sample blocks, minimum over RUNS runs of the
 * same 10 s of noise (the least disturbed run on a shared machine).
 *
 *   bench_oversample [--runs N]
 */
#include "oversample.h"
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

enum { BLOCK = 256 };

/* Minimum time per base sample (ns) of n samples through up (and down if both). */
static double time_os(gs_oversampler *os, const float *x, size_t n, int runs, int both,
                      double *sink) {
    float buf[BLOCK];
    double best = 1e30;
    for (int r = 0; r < runs; r++) {
        gs_os_reset(os);
        double t0 = cpu_now();
        for (size_t i = 0; i + BLOCK <= n; i += BLOCK) {
            memcpy(buf, x + i, sizeof buf);
            double *hi = gs_os_up(os, buf, BLOCK);
            if (both)
                gs_os_down(os, hi, buf, BLOCK);
            else
                buf[0] = (float)hi[1];
            *sink += buf[0];
        }
        double t = cpu_now() - t0;
        if (t < best) best = t;
    }
    return best / (double)n * 1e9;
}

int main(int argc, char **argv) {
    int runs = 9;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_oversample [--runs N]\n");
            return 2;
        }
    }
    if (runs < 1) runs = 1;
    const double rate = 48000.0;
    const size_t n = (size_t)(10.0 * rate);
    float *x = malloc(n * sizeof(float));
    if (!x) return 1;
    uint32_t seed = 1u;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((double)(seed >> 8) / 16777216.0 - 0.5);
    }
    printf("tube oversampling filters at 48 kHz, block %d, minimum of %d runs over 10 s\n", BLOCK,
           runs);
    printf("%-10s %6s %12s %12s\n", "quality", "factor", "up ns/smp", "up+down ns");
    double sink = 0.0;
    for (unsigned q = 0; q < GS_TUBE_NQUALITY; q++) {
        gs_oversampler os;
        if (gs_tube_os_init(&os, rate, q, BLOCK) != GS_OK) {
            fprintf(stderr, "bench_oversample: cannot create quality %u\n", q);
            free(x);
            return 1;
        }
        double up = time_os(&os, x, n, runs, 0, &sink);
        double both = time_os(&os, x, n, runs, 1, &sink);
        printf("%-10s %6u %12.1f %12.1f\n", gs_tube_quality_names[q], os.factor, up, both);
        gs_os_free(&os);
    }
    free(x);
    return sink == sink ? 0 : 1;
}
