/* Speed and memory of every model and preset at 48 kHz, mono, 256-sample blocks.
 *
 * Speed is "x real time per channel": seconds of audio processed per second of this thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID, so other processes on a shared machine disturb it less), the
 * median of RUNS runs over the same 10 s of a plucked-string signal. Memory is what creating one
 * instance allocates (glibc's mallinfo2, bytes in use before and after).
 *
 *   bench_channel [--seconds S] [--runs N] [--rate HZ] [--block N]
 */
#include "internal.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const char *label, const char *model, const gs_preset *preset, double rate,
                  uint32_t block, const float *sig, size_t n, int runs) {
    size_t before = mallinfo2().uordblks;
    gs_channel *ch = NULL;
    gs_status st = preset ? gs_channel_new_preset(preset, rate, block, &ch)
                          : gs_channel_new(model, rate, block, &ch);
    size_t mem = mallinfo2().uordblks - before;
    if (st != GS_OK) {
        printf("%-20s failed: %s\n", label, gs_strerror(st));
        return;
    }
    float *buf = malloc(block * sizeof(float));
    double *xrt = malloc((size_t)runs * sizeof(double));
    for (int r = 0; r < runs; r++) {
        gs_channel_reset(ch);
        double t0 = now();
        for (size_t i = 0; i < n; i += block) {
            uint32_t len = (uint32_t)(n - i < block ? n - i : block);
            memcpy(buf, sig + i, len * sizeof(float));
            gs_channel_process(ch, buf, buf, len);
        }
        double t = now() - t0;
        xrt[r] = ((double)n / rate) / t;
    }
    qsort(xrt, (size_t)runs, sizeof(double), cmp);
    printf("%-20s %10.1f %10.1f %10.1f %10.1f %8u\n", label, xrt[runs / 2], xrt[0], xrt[runs - 1],
           (double)mem / 1024.0, gs_channel_latency(ch));
    free(buf);
    free(xrt);
    gs_channel_free(ch);
}

int main(int argc, char **argv) {
    double seconds = 10, rate = 48000;
    int runs = 7;
    uint32_t block = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate"))
            rate = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--block"))
            block = (uint32_t)atoi(argv[i + 1]);
    }
    if (runs < 1) runs = 1;
    size_t n = (size_t)(seconds * rate);
    float *sig = malloc(n * sizeof(float));
    /* A decaying 110 Hz harmonic-rich tone, re-plucked every 0.5 s, 0.5 V peak: DI-like. */
    for (size_t i = 0; i < n; i++) {
        double t = (double)(i % (size_t)(rate / 2)) / rate;
        double v = 0;
        for (int k = 1; k <= 8; k++) v += sin(2 * GS_PI * 110.0 * k * t) / k * exp(-t * 3 * k);
        sig[i] = (float)(0.3 * v);
    }
    printf("gainstage bench: %.0f Hz, block %u, %.0f s of audio, %d runs (x real time per "
           "channel: median, min, max)\n",
           rate, block, seconds, runs);
    printf("%-20s %10s %10s %10s %10s %8s\n", "what", "median", "min", "max", "KiB", "latency");
    for (size_t i = 0; i < gs_model_count(); i++) {
        char label[64];
        snprintf(label, sizeof label, "model %s", gs_model_at(i)->name);
        bench(label, gs_model_at(i)->name, NULL, rate, block, sig, n, runs);
    }
    for (size_t i = 0; i < gs_preset_count(); i++) {
        char label[64];
        snprintf(label, sizeof label, "preset %s", gs_preset_name(gs_preset_at(i)));
        bench(label, NULL, gs_preset_at(i), rate, block, sig, n, runs);
    }
    free(sig);
    return 0;
}
