/* DSP load of the 'gainstage live' engine without JACK: the same code the process callback runs
 * (live_engine_run: N channels, meters, monitor mix), fed period by period.
 *
 * Load = processing time of a period / duration of the period (64 frames at 48 kHz = 1.333 ms).
 * Mean: thread CPU time (CLOCK_THREAD_CPUTIME_ID, less disturbed by other processes on a shared
 * machine). p99 and max: wall-clock time of single periods (CLOCK_MONOTONIC), which is what an
 * xrun depends on, so they include preemption by other processes when the machine is busy.
 * cpu p99.9 and cpu max: thread CPU time of single periods, the DSP's own worst case (a period
 * above 100 % there cannot be met on any machine this fast).
 *
 *   bench_live [--preset P] [--rate HZ] [--period N] [--seconds S] [--runs R] [--move SYMBOL]
 *              [N1 N2 ...]
 *   (defaults: clean, 48000, 64, 3, 1 run, channel counts 1 8 16 32). With R runs each column is
 *   the median of that column over the R runs. --move SYMBOL: all channels' SYMBOL moves by 3
 *   (its unit) every 0.1 s, so that they glide (the worst case of a gang move or a recall).
 */
#include "live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clk(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs a median is taken over (--runs). */
#define RUNS_MAX 15

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The figures of one run: mean, p99, max, cpu p99.9, cpu max (fractions of the period). */
enum { F_MEAN, F_P99, F_MAX, F_CPU999, F_CPUMAX, F_COUNT };

/* One run of n channels of `preset` for `seconds`; 0, or -1 with a message. */
/* Every MOVE_SECONDS of a run with --move, every channel's parameter `move` steps by MOVE_STEP
 * (in its unit, down where up leaves the range) and back the next time: a gang move, which the
 * channels glide through (the control side posts, the engine applies at the next period). */
#define MOVE_SECONDS 0.1
#define MOVE_STEP 3.0

/* The values of `move` for channel k: its own and the one it steps to. */
static int move_values(live_engine *e, int k, const char *move, size_t *id, double v[2]) {
    live_strip_ctl c;
    live_ctl_get(e, k, &c);
    if (gs_model_param_find(c.model, move, id) != GS_OK) {
        fprintf(stderr, "bench_live: preset has no parameter '%s'\n", move);
        return -1;
    }
    v[0] = c.param[*id];
    v[1] = v[0] + MOVE_STEP <= c.model->params[*id].max ? v[0] + MOVE_STEP : v[0] - MOVE_STEP;
    return 0;
}

static int run_once(const char *preset, const char *move, int n, double rate, unsigned period,
                    double seconds, double fig[F_COUNT]) {
    double tperiod = period / rate;
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = n;
    for (int k = 0; k < n; k++) snprintf(cfg.preset[k], sizeof cfg.preset[k], "%s", preset);
    cfg.in_vpu = gs_dbu_to_volts_per_unit(-20.0);
    cfg.out_vpu = gs_dbu_to_volts_per_unit(18.0);
    char err[512];
    live_engine *e = live_engine_new(&cfg, rate, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_live: %s\n", err);
        return -1;
    }
    live_engine_settle(e);
    size_t mid = 0;
    double mv[2] = {0, 0};
    if (move && move_values(e, 0, move, &mid, mv) != 0) {
        live_engine_free(e);
        return -1;
    }
    size_t every = (size_t)(MOVE_SECONDS / tperiod);
    size_t len = (size_t)(rate * 2.0); /* 2 s of a guitar-like signal, looped */
    float *sig = malloc(len * sizeof(float));
    for (size_t i = 0; i < len; i++) {
        double t = (double)i / rate, env = exp(-3.0 * fmod(t, 0.5));
        sig[i] = (float)(0.3 * env *
                         (sin(2 * M_PI * 110 * t) + 0.5 * sin(2 * M_PI * 220 * t) +
                          0.25 * sin(2 * M_PI * 330 * t + 1.0)));
    }
    float **in = malloc((size_t)n * sizeof *in), **out = malloc((size_t)n * sizeof *out);
    for (int k = 0; k < n; k++) {
        in[k] = malloc(period * sizeof(float));
        out[k] = malloc(period * sizeof(float));
    }
    float *ml = malloc(period * sizeof(float)), *mr = malloc(period * sizeof(float));
    size_t periods = (size_t)(seconds / tperiod);
    double *t = malloc(periods * sizeof(double)), *tc = malloc(periods * sizeof(double));
    double cpu0 = clk(CLOCK_THREAD_CPUTIME_ID);
    size_t pos = 0;
    for (size_t p = 0; p < periods; p++) {
        for (int k = 0; k < n; k++)
            for (unsigned i = 0; i < period; i++) in[k][i] = sig[(pos + i + (size_t)k * 997) % len];
        pos += period;
        if (move && p % every == every - 1)
            for (int k = 0; k < n; k++)
                live_ctl_param_value(e, k, move, mv[(p / every) % 2 ? 0 : 1], err, sizeof err);
        double c0 = clk(CLOCK_THREAD_CPUTIME_ID), w0 = clk(CLOCK_MONOTONIC);
        live_engine_run(e, (const float *const *)in, out, ml, mr, period, (uint32_t)pos);
        t[p] = clk(CLOCK_MONOTONIC) - w0;
        tc[p] = clk(CLOCK_THREAD_CPUTIME_ID) - c0;
    }
    double cpu = clk(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    qsort(t, periods, sizeof(double), cmp);
    qsort(tc, periods, sizeof(double), cmp);
    fig[F_MEAN] = cpu / ((double)periods * tperiod);
    fig[F_P99] = t[(size_t)(0.99 * (double)(periods - 1))] / tperiod;
    fig[F_MAX] = t[periods - 1] / tperiod;
    fig[F_CPU999] = tc[(size_t)(0.999 * (double)(periods - 1))] / tperiod;
    fig[F_CPUMAX] = tc[periods - 1] / tperiod;
    for (int k = 0; k < n; k++) {
        free(in[k]);
        free(out[k]);
    }
    free(in);
    free(out);
    free(ml);
    free(mr);
    free(t);
    free(tc);
    free(sig);
    live_engine_free(e);
    return 0;
}

int main(int argc, char **argv) {
    const char *preset = "clean", *move = NULL;
    double rate = 48000, seconds = 3;
    unsigned period = 64;
    int counts[16], nc = 0, runs = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--preset") && i + 1 < argc)
            preset = argv[++i];
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--period") && i + 1 < argc)
            period = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--move") && i + 1 < argc)
            move = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc && atoi(argv[i + 1]) >= 1 &&
                 atoi(argv[i + 1]) <= RUNS_MAX)
            runs = atoi(argv[++i]);
        else if (nc < 16 && atoi(argv[i]) > 0 && atoi(argv[i]) <= LIVE_MAX_CH)
            counts[nc++] = atoi(argv[i]);
        else {
            fprintf(stderr,
                    "usage: bench_live [--preset P] [--rate HZ] [--period N] "
                    "[--seconds S] [--runs R (1-%d)] [--move SYMBOL] [CHANNELS...]\n",
                    RUNS_MAX);
            return 2;
        }
    }
    if (!nc) {
        counts[0] = 1, counts[1] = 8, counts[2] = 16, counts[3] = 32;
        nc = 4;
    }
    printf("gainstage live engine: preset %s, %.0f Hz, %u-frame periods (%.3f ms), %.0f s per "
           "run, %s of %d run%s%s%s\n",
           preset, rate, period, 1e3 * period / rate, seconds, runs > 1 ? "medians" : "one", runs,
           runs > 1 ? "s" : "", move ? ", moving " : "", move ? move : "");
    printf("%8s %10s %10s %10s %12s %10s %14s\n", "channels", "mean %", "p99 %", "max %",
           "cpu p99.9 %", "cpu max %", "ch/core @100%");
    for (int c = 0; c < nc; c++) {
        double fig[F_COUNT][RUNS_MAX], med[F_COUNT];
        for (int r = 0; r < runs; r++) {
            double one[F_COUNT];
            if (run_once(preset, move, counts[c], rate, period, seconds, one) != 0) return 1;
            for (int f = 0; f < F_COUNT; f++) fig[f][r] = one[f];
        }
        for (int f = 0; f < F_COUNT; f++) {
            qsort(fig[f], (size_t)runs, sizeof(double), cmp);
            med[f] = runs % 2 ? fig[f][runs / 2] : 0.5 * (fig[f][runs / 2 - 1] + fig[f][runs / 2]);
        }
        printf("%8d %10.2f %10.2f %10.2f %12.2f %10.2f %14.1f\n", counts[c], 100 * med[F_MEAN],
               100 * med[F_P99], 100 * med[F_MAX], 100 * med[F_CPU999], 100 * med[F_CPUMAX],
               (double)counts[c] / med[F_MEAN]);
    }
    return 0;
}
