/* The ngspice references of tests/ref (listed in tests/ref/MANIFEST, made by tools/spice/regen.sh)
 * for the circuit-model tests: one reader, one walk over a model's MANIFEST lines, the in-band
 * low-pass of issue 15 and the ESR of a model against a case, plain or in-band. Shared by
 * test_tube.c and test_bjt.c so that both stages are measured by the same code. Needs libsndfile
 * and check.h's CHECK. */
#ifndef GS_SPICEREF_H
#define GS_SPICEREF_H

#include "check.h"
#include "internal.h"
#include "window.h"

#include <gainstage/gainstage.h>
#include <sndfile.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A reference NAME.wav in dir: stereo float, channel 1 the input volts, channel 2 the output
 * volts. Returns the interleaved frames (free them), or NULL when missing or malformed. */
static inline float *spiceref_read(const char *dir, const char *name, double *rate, size_t *n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.wav", dir, name);
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *f = sf_open(path, SFM_READ, &si);
    if (!f) return NULL;
    float *st = si.channels == 2 ? malloc((size_t)si.frames * 2 * sizeof(float)) : NULL;
    if (!st || sf_readf_float(f, st, si.frames) != si.frames) {
        free(st);
        sf_close(f);
        return NULL;
    }
    sf_close(f);
    *rate = si.samplerate;
    *n = (size_t)si.frames;
    return st;
}

/* The in-band low-pass (issue 15): linear phase, flat to 20 kHz, 140 dB from the band edge of
 * the band-limited references, min(22 kHz, (20 kHz + fs/2) / 2) (tools/spice/mkref.c,
 * --out-os), so that what it passes of a band-limited reference is the circuit's output
 * without aliasing, and of the model's output what lies below its own aliasing band. A
 * Kaiser-windowed sinc cut halfway; taps h[0..M], symmetric, DC gain 1. */
typedef struct spiceref_inband {
    double h[2048];
    int M;
} spiceref_inband;

static inline void spiceref_inband_design(spiceref_inband *f, double rate) {
    double fb = fmin(22000.0, 0.5 * (20000.0 + 0.5 * rate)), fc = 0.5 * (20000.0 + fb) / rate;
    double dw = 2.0 * GS_PI * (fb - 20000.0) / rate, beta = gs_kaiser_beta(140.0), dc = 0.0;
    f->M = (int)ceil((140.0 - 7.95) / (2.285 * dw) / 2.0);
    if (f->M > 2047) f->M = 2047;
    for (int m = 0; m <= f->M; m++) {
        double x = 2.0 * fc * m, sinc = m ? sin(GS_PI * x) / (GS_PI * x) : 1.0;
        f->h[m] = 2.0 * fc * sinc * gs_kaiser_window(beta, (double)m / f->M);
        dc += m ? 2.0 * f->h[m] : f->h[m];
    }
    for (int m = 0; m <= f->M; m++) f->h[m] /= dc;
}

/* x (every stride-th float) through the in-band low-pass at sample i (M <= i < n - M). */
static inline double spiceref_inband_at(const spiceref_inband *f, const float *x, size_t stride,
                                        size_t i) {
    double acc = f->h[0] * x[i * stride];
    for (int m = 1; m <= f->M; m++)
        acc += f->h[m] * ((double)x[(i - (size_t)m) * stride] + x[(i + (size_t)m) * stride]);
    return acc;
}

/* Each MANIFEST line of `model` in dir, band-limited (a bl= key) or not: fn gets the line's
 * fields (name, model, rate, signal, peak, key=value ...). Returns the number of cases. */
typedef void (*spiceref_fn)(char **tok, int nt, void *ctx);

static inline int spiceref_for_each(const char *dir, const char *model, int band_limited,
                                    spiceref_fn fn, void *ctx) {
    char path[1024];
    snprintf(path, sizeof path, "%s/MANIFEST", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "no %s", path);
    if (!f) return 0;
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char *tok[16];
        int nt = 0, bl = 0;
        for (char *p = strtok(line, " \t\r\n"); p && nt < 16; p = strtok(NULL, " \t\r\n"))
            tok[nt++] = p;
        if (nt < 5 || tok[0][0] == '#' || strcmp(tok[1], model) != 0) continue;
        for (int k = 5; k < nt; k++) bl |= !strncmp(tok[k], "bl=", 3);
        if (bl != band_limited) continue;
        fn(tok, nt, ctx);
        cases++;
    }
    fclose(f);
    return cases;
}

/* ESR = sum (y - y_ref)^2 / sum y_ref^2 of `model` at quality q (its latency removed) against
 * reference `name` in dir, made with the netlist values kv[0..nkv) (MANIFEST key=value fields;
 * the keys reserved for the tools are skipped); with f, both outputs through the in-band
 * low-pass, over the samples where it has its whole length. Processed in blocks of `block`;
 * solver failures are checked to be none. Returns 1 when the reference is missing. */
static inline double spiceref_esr(const char *dir, const char *model, const char *name,
                                  char *const *kv, int nkv, unsigned q, const spiceref_inband *f,
                                  uint32_t block, uint32_t *lat) {
    double rate;
    size_t n;
    float *st = spiceref_read(dir, name, &rate, &n);
    CHECK(st != NULL, "reference %s/%s.wav missing (tools/spice/regen.sh)", dir, name);
    if (!st) return 1.0;
    gs_channel *ch = NULL;
    gs_status cs = gs_channel_new(model, rate, block, &ch);
    CHECK(cs == GS_OK, "%s: create %s: %s", name, model, gs_strerror(cs));
    if (!ch) {
        free(st);
        return 1.0;
    }
    for (int k = 0; k < nkv; k++) {
        char sym[64];
        const char *eq = strchr(kv[k], '=');
        if (!eq || (size_t)(eq - kv[k]) >= sizeof sym) continue;
        memcpy(sym, kv[k], (size_t)(eq - kv[k]));
        sym[eq - kv[k]] = '\0';
        static const char *const reserved[] = {
            "seconds",  "fade",   "os", "method",
            "tmax_div", "reltol", "bp", "bl"}; /* signal and mkref options */
        int skip = 0;
        for (size_t r = 0; r < GS_ARRAY_LEN(reserved); r++) skip |= !strcmp(sym, reserved[r]);
        if (skip) continue;
        gs_status s = gs_channel_set_text(ch, sym, eq + 1);
        CHECK(s == GS_OK, "%s: set %s: %s", name, kv[k], gs_strerror(s));
    }
    gs_channel_set_symbol(ch, "quality", q);
    gs_channel_reset(ch);
    *lat = gs_channel_latency(ch);
    size_t tot = n + *lat;
    float *y = calloc(tot, sizeof(float));
    for (size_t i = 0; i < n; i++) y[i] = st[2 * i];
    for (size_t i = 0; i < tot; i += block) {
        uint32_t len = (uint32_t)(tot - i < block ? tot - i : block);
        gs_channel_process(ch, y + i, y + i, len);
    }
    gs_channel_stats stats;
    gs_channel_stats_get(ch, &stats);
    CHECK(stats.solver_failures == 0, "%s: %llu solver failures", name,
          (unsigned long long)stats.solver_failures);
    double e = 0.0, s = 0.0;
    size_t from = f ? (size_t)f->M : 0, to = f ? n - (size_t)f->M : n;
    for (size_t i = from; i < to; i++) {
        double r = f ? spiceref_inband_at(f, st + 1, 2, i) : st[2 * i + 1];
        double d = (f ? spiceref_inband_at(f, y + *lat, 1, i) : y[i + *lat]) - r;
        e += d * d;
        s += r * r;
    }
    free(y);
    free(st);
    gs_channel_free(ch);
    return e / s;
}

#endif
