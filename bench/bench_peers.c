/* Our presets and channel models against LV2 peers, in one run on the same input: x real time per
 * channel and aliasing at 5 kHz and 9 kHz.
 *
 * Speed: seconds of audio per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), one
 * mono instance, blocks of --block samples, the median (and range) of --runs runs over the same
 * --seconds of input: a decaying 110 Hz sawtooth-rich pluck every 0.5 s plus white noise at
 * -40 dBFS, peaking near -6 dBFS. Our devices run through the public library API with the
 * calibration of 'gainstage measure' (0 dBFS = -20 dBu in, +18 dBu out).
 * Aliasing: as in 'gainstage measure' (analysis.c): power of every non-harmonic, non-DC bin
 * relative to the fundamental, for a coherent tone near 5 kHz and 9 kHz at --alias-level dBFS,
 * FFT 65536, 7-term Blackman-Harris window.
 * Every built-in preset and every channel model is picked up from the library automatically; peers
 * are the --lv2 URIs given (bench/peers.sh names them). A peer that is not installed or cannot be
 * hosted is listed with the reason.
 *
 * --model NAME[:SYM=VAL[,SYM=VAL...]] adds a row for any model (blocks too) with those values
 * (e.g. tube-stage:quality=low-alias), as the command line's --set would parse them.
 *
 *   bench_peers [--seconds S] [--runs N] [--rate HZ] [--block N] [--alias-level DBFS]
 *               [--model SPEC] ... [--lv2 URI] ...
 */
#include "analysis.h"
#include "dut.h"
#include "lv2host.h"

#include <gainstage/gainstage.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PEERS 32

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static float *make_input(size_t n, double rate) {
    float *x = malloc(sizeof(float) * n);
    uint32_t s = 99u;
    double ph = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = fmod((double)i / rate, 0.5), env = exp(-t * 6.0);
        ph = fmod(ph + 110.0 / rate, 1.0);
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        double nz = (double)s / 2147483648.0 - 1.0;
        x[i] = (float)(0.5 * env * (2.0 * ph - 1.0) + 0.01 * nz);
    }
    return x;
}

static void bench(const char *label, const char *kind, const gsm_dut *dut, const float *x, float *y,
                  size_t n, int runs, double alias_level) {
    double *t = malloc(sizeof(double) * (size_t)runs);
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        gsm_dut_run(dut, x, y, n);
        t[r] = (double)n / dut->rate / (cpu_now() - t0);
    }
    qsort(t, (size_t)runs, sizeof(double), cmp);
    gsm_tone a5, a9;
    int ok = !gsm_measure_tone(dut, 5000.0, alias_level, 65536, 0.25, &a5, NULL) &&
             !gsm_measure_tone(dut, 9000.0, alias_level, 65536, 0.25, &a9, NULL);
    printf("%-34.34s %-7s %9.1f %9.1f %9.1f %9.1f %9.1f %7u\n", label, kind, t[runs / 2], t[0],
           t[runs - 1], ok ? 10.0 * log10(a5.alias) : NAN, ok ? 10.0 * log10(a9.alias) : NAN,
           dut->latency);
    fflush(stdout);
    free(t);
}

int main(int argc, char **argv) {
    double seconds = 60.0, rate = 48000.0, alias_level = 0.0;
    int runs = 5;
    uint32_t block = 256;
    const char *peers[MAX_PEERS], *extra[MAX_PEERS];
    int npeers = 0, nextra = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--seconds"))
            seconds = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--runs"))
            runs = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--rate"))
            rate = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--block"))
            block = (uint32_t)atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--alias-level"))
            alias_level = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--lv2") && npeers < MAX_PEERS)
            peers[npeers++] = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--model") && nextra < MAX_PEERS)
            extra[nextra++] = argv[++i];
        else {
            fprintf(stderr,
                    "usage: bench_peers [--seconds S] [--runs N] [--rate HZ] [--block N] "
                    "[--alias-level DBFS] [--model NAME[:SYM=VAL,...]]... [--lv2 URI]...\n");
            return 2;
        }
    }
    if (seconds <= 0 || runs < 1 || block < 1 || block > 8192) {
        fprintf(stderr, "bench_peers: bad --seconds, --runs or --block\n");
        return 2;
    }
    size_t n = (size_t)(seconds * rate);
    float *x = make_input(n, rate), *y = malloc(sizeof(float) * n);
    printf("x real time per channel (median of %d runs over the same %.0f s at %.0f Hz, block %u); "
           "aliasing of 5 kHz and 9 kHz tones at %.0f dBFS (dB re fundamental)\n",
           runs, seconds, rate, block, alias_level);
    printf("%-34s %-7s %9s %9s %9s %9s %9s %7s\n", "device", "kind", "xRT", "min", "max", "alias5k",
           "alias9k", "latency");
    double in_vpu = gs_dbu_to_volts_per_unit(-20.0), out_vpu = gs_dbu_to_volts_per_unit(18.0);
    /* Every built-in preset, then every full-channel model at its defaults. */
    for (size_t i = 0; i < gs_preset_count() + gs_model_count(); i++) {
        gs_channel *ch = NULL;
        char label[128];
        const char *kind;
        if (i < gs_preset_count()) {
            const gs_preset *p = gs_preset_at(i);
            snprintf(label, sizeof label, "%s", gs_preset_name(p));
            kind = "preset";
            if (gs_channel_new_preset(p, rate, block, &ch) != GS_OK) continue;
        } else {
            const gs_model_info *m = gs_model_at(i - gs_preset_count());
            if (!m || m->is_block) continue;
            snprintf(label, sizeof label, "%s", m->name);
            kind = "model";
            if (gs_channel_new(m->name, rate, block, &ch) != GS_OK) continue;
        }
        gsm_chan_dut cd;
        gsm_dut dut;
        if (!gsm_chan_dut_init(&cd, ch, in_vpu, out_vpu, block, &dut))
            bench(label, kind, &dut, x, y, n, runs, alias_level);
        gsm_chan_dut_free(&cd);
        gs_channel_free(ch);
    }
    for (int i = 0; i < nextra; i++) {
        char spec[256], *vals;
        snprintf(spec, sizeof spec, "%s", extra[i]);
        vals = strchr(spec, ':');
        if (vals) *vals++ = '\0';
        gs_channel *ch = NULL;
        gs_status st = gs_channel_new(spec, rate, block, &ch);
        for (char *kv = vals ? strtok(vals, ",") : NULL; st == GS_OK && kv;
             kv = strtok(NULL, ",")) {
            char *eq = strchr(kv, '=');
            if (!eq) {
                st = GS_ERR_INVALID_ARGUMENT;
                break;
            }
            *eq = '\0';
            st = gs_channel_set_text(ch, kv, eq + 1);
        }
        if (st != GS_OK) {
            printf("%-34.34s %-7s not measured: %s\n", extra[i], "model", gs_strerror(st));
            gs_channel_free(ch);
            continue;
        }
        gs_channel_reset(ch);
        gsm_chan_dut cd;
        gsm_dut dut;
        if (!gsm_chan_dut_init(&cd, ch, in_vpu, out_vpu, block, &dut))
            bench(extra[i], "model", &dut, x, y, n, runs, alias_level);
        gsm_chan_dut_free(&cd);
        gs_channel_free(ch);
    }
    for (int i = 0; i < npeers; i++) {
        gsm_lv2host *h = NULL;
        char err[512];
        if (gsm_lv2host_new(peers[i], rate, block, NULL, 0, &h, err, sizeof err)) {
            printf("%-34.34s %-7s not measured: %s\n", peers[i], "lv2", err);
            continue;
        }
        gsm_dut dut = {h, gsm_lv2host_process, rate, block, gsm_lv2host_latency(h), 1.0, 1.0};
        bench(gsm_lv2host_name(h), "lv2", &dut, x, y, n, runs, alias_level);
        gsm_lv2host_free(h);
    }
    free(x);
    free(y);
    return 0;
}
