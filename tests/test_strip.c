/* Strips (issue 14), through the public API: a strip is bit for bit its blocks run one after
 * another (44.1, 48 and 96 kHz, calls of 1 to 4096 samples, with a glide on the way); its latency
 * is the sum and an impulse through a stream over it arrives there; block.symbol namespacing; every
 * built-in strip creates and plays at a sane level; no allocation or lock in process and set
 * (counters interposed on malloc and pthread_mutex_lock, as tests/test_stream.c does); and each
 * bad strip is refused with one line naming the problem. */
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#include "check.h"
#include "rtcount.h"

#include <gainstage/gainstage.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAXB 4096u


/* A chirp with a decay, `amp` volts peak: what a microphone gives, with some loud moments. */
static void signal_fill(float *x, size_t n, double rate, double amp) {
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        x[i] = (float)(amp * sin(2.0 * 3.14159265358979 * (80.0 + 4000.0 * t) * t) * exp(-2.0 * t));
    }
}

/* Process buf in place in calls of the lengths in lens (cycled); at sample `at`, set sym = text
 * (bare symbol on the strip, the block's own on a block). */
static void run(gs_channel *ch, float *buf, size_t n, const uint32_t *lens, size_t nl) {
    for (size_t off = 0, k = 0; off < n; k++) {
        uint32_t len = lens[k % nl];
        if (len > n - off) len = (uint32_t)(n - off);
        gs_channel_process(ch, buf + off, buf + off, len);
        off += len;
    }
}

static const char *const blocks[] = {"source", "tube-preamp", "converter"};
/* The chain and, per block, its settings (one per block, to set on the separate channels). */
#define CHAIN "source source=ribbon zin=10k | tube-preamp drive=-6dB | converter bits=24"
static const char *const block_sym[] = {"zin", "drive", "bits"};
static const char *const block_val[] = {"10k", "-6dB", "24"};

static void test_equals_blocks(void) {
    static const double rates[] = {44100.0, 48000.0, 96000.0};
    static const uint32_t lens[][5] = {{4096, 4096, 4096, 4096, 4096},
                                       {1, 2, 3, 5, 7},
                                       {64, 1, 4095, 13, 4096},
                                       {100, 441, 8, 9, 1}};
    for (size_t r = 0; r < 3; r++) {
        size_t n = (size_t)(0.25 * rates[r]), half = n / 2;
        float *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        signal_fill(x, n, rates[r], 0.05);
        for (size_t l = 0; l < 4; l++) {
            gs_channel *strip = NULL, *sep[3] = {NULL, NULL, NULL};
            char err[256] = "";
            CHECK(gs_channel_new_chain(CHAIN, rates[r], MAXB, &strip, err, sizeof err) == GS_OK,
                  "%s", err);
            if (!strip) continue;
            for (int k = 0; k < 3; k++) {
                gs_channel_new(blocks[k], rates[r], MAXB, &sep[k]);
                if (k == 0) gs_channel_set_text(sep[0], "source", "ribbon");
                gs_channel_set_text(sep[k], block_sym[k], block_val[k]);
                gs_channel_reset(sep[k]);
            }
            memcpy(a, x, n * sizeof *a);
            memcpy(b, x, n * sizeof *b);
            /* The first half, then a drive change that glides, the second half. */
            run(strip, a, half, lens[l], 5);
            CHECK(gs_channel_set_text(strip, "drive", "-20dB") == GS_OK, "bare drive");
            run(strip, a + half, n - half, lens[l], 5);
            for (int k = 0; k < 3; k++) {
                run(sep[k], b, half, lens[l], 5);
                if (k == 1) gs_channel_set_text(sep[1], "drive", "-20dB");
                run(sep[k], b + half, n - half, lens[l], 5);
            }
            CHECK(!memcmp(a, b, n * sizeof *a), "strip != blocks at %g Hz, lengths #%zu", rates[r],
                  l);
            int finite = 1;
            for (size_t i = 0; i < n; i++) finite &= isfinite(a[i]);
            CHECK(finite, "non-finite output");
            uint32_t sum = 0, sum_max = 0;
            for (int k = 0; k < 3; k++) {
                sum += gs_channel_latency(sep[k]);
                sum_max += gs_channel_latency_max(sep[k]);
            }
            CHECK(gs_channel_latency(strip) == sum && sum > 0, "latency %u, blocks %u",
                  gs_channel_latency(strip), sum);
            CHECK(gs_channel_latency_max(strip) == sum_max, "latency max %u, blocks %u",
                  gs_channel_latency_max(strip), sum_max);
            gs_channel_free(strip);
            for (int k = 0; k < 3; k++) gs_channel_free(sep[k]);
        }
        free(x);
        free(a);
        free(b);
    }
}

/* An impulse through a stream over a linear-phase strip peaks at the strip's latency, and with
 * the stream padding to a larger constant latency, there. */
static void test_latency_impulse(void) {
    gs_channel *ch = NULL;
    char err[256];
    CHECK(gs_channel_new_chain("converter | digital-preamp gain=0dB", 48000.0, 512, &ch, err,
                               sizeof err) == GS_OK,
          "%s", err);
    if (!ch) return;
    uint32_t lat = gs_channel_latency(ch);
    CHECK(lat > 0, "no latency");
    for (uint32_t pad = 0; pad <= lat + 100; pad += lat + 100) {
        gs_stream *s = NULL;
        CHECK(gs_stream_new(ch, pad, &s) == GS_OK, "stream");
        gs_stream_reset(s);
        gs_stream_set_in_volts(s, 1.0, 0.0);
        gs_stream_set_out_volts(s, 1.0, 0.0);
        float x[4096] = {0}, y[4096];
        x[0] = 0.25f;
        gs_stream_process(s, x, y, 4096);
        uint32_t at = 0;
        for (uint32_t i = 1; i < 4096; i++)
            if (fabsf(y[i]) > fabsf(y[at])) at = i;
        uint32_t want = pad ? pad : lat;
        CHECK(at == want && gs_stream_latency(s) == want, "impulse at %u, latency %u (stream %u)",
              at, want, gs_stream_latency(s));
        gs_stream_free(s);
    }
    gs_channel_free(ch);
}

static void test_names(void) {
    gs_channel *ch = NULL;
    char err[256] = "", why[256];
    CHECK(gs_channel_new_chain("t1:tube-stage | t2:tube-stage rp=220k | converter", 48000.0, 256,
                               &ch, err, sizeof err) == GS_OK,
          "%s", err);
    if (!ch) return;
    size_t id, id2;
    CHECK(gs_channel_param_find(ch, "bits", &id) == GS_OK &&
              !strcmp(gs_channel_param_info(ch, id)->symbol, "converter.bits"),
          "bare bits");
    CHECK(gs_channel_param_find(ch, "converter.bits", &id2) == GS_OK && id2 == id, "qualified");
    CHECK(gs_channel_param_find(ch, "t2.rp", &id) == GS_OK && gs_channel_get(ch, id) == 220e3,
          "t2.rp from the chain text");
    CHECK(gs_channel_param_find(ch, "rp", &id) == GS_ERR_AMBIGUOUS_PARAMETER, "rp ambiguous");
    gs_param_find_explain(gs_channel_model(ch), "rp", why, sizeof why);
    CHECK(!strcmp(why, "rp is in t1 and t2: write t1.rp"), "%s", why);
    CHECK(gs_channel_param_find(ch, "nope", &id) == GS_ERR_UNKNOWN_PARAMETER, "unknown");
    CHECK(gs_channel_param_find(ch, "t3.rp", &id) == GS_ERR_UNKNOWN_PARAMETER, "t3");
    CHECK(gs_channel_set_text(ch, "t1.tube", "12AU7") == GS_OK, "set_text qualified");
    CHECK(gs_channel_set_text(ch, "bits", "16") == GS_OK, "set_text bare");
    CHECK(gs_channel_block_count(ch) == 3, "3 blocks");
    const char *name;
    const gs_model_info *mi;
    size_t first, count;
    CHECK(gs_channel_block_at(ch, 1, &name, &mi, &first, &count) == GS_OK && !strcmp(name, "t2") &&
              mi == gs_model_find("tube-stage") && first == mi->n_params && count == mi->n_params,
          "block 1");
    CHECK(!strcmp(gs_channel_model(ch)->name, "t1:tube-stage | t2:tube-stage | converter"), "%s",
          gs_channel_model(ch)->name);
    gs_channel_free(ch);
    /* A single-model preset stays that model, not a one-block strip. */
    const gs_preset *tube = gs_preset_find("tube");
    CHECK(tube && gs_preset_block_count(tube) == 0, "tube is a model preset");
    CHECK(gs_channel_new_preset(tube, 48000.0, 64, &ch) == GS_OK &&
              gs_channel_model(ch) == gs_model_find("tube-preamp") &&
              gs_channel_block_count(ch) == 1,
          "tube's channel");
    gs_channel_free(ch);
}

/* Every built-in strip: a -20 dBFS sine at 1 kHz at the default calibration leaves at -30 to -10
 * dBFS RMS, finite, through a stream (the level every front end sees). */
static void test_builtins(void) {
    size_t strips = 0;
    for (size_t i = 0; i < gs_preset_count(); i++) {
        const gs_preset *p = gs_preset_at(i);
        if (!gs_preset_block_count(p)) continue;
        strips++;
        gs_channel *ch = NULL;
        gs_stream *s = NULL;
        CHECK(gs_channel_new_preset(p, 48000.0, 1024, &ch) == GS_OK, "%s", gs_preset_name(p));
        if (!ch || gs_stream_new(ch, 0, &s) != GS_OK) continue;
        static float x[48000], y[48000];
        for (size_t k = 0; k < 48000; k++)
            x[k] = (float)(0.1 * sin(2.0 * 3.14159265358979 * 1000.0 * (double)k / 48000.0));
        gs_stream_process(s, x, y, 24000); /* settle */
        gs_stream_levels lv;
        gs_stream_read_levels(s, &lv);
        gs_stream_process(s, x + 24000, y + 24000, 24000);
        gs_stream_read_levels(s, &lv);
        double db = 20.0 * log10(lv.rms_out * sqrt(2.0));
        CHECK(db > -30.0 && db < -10.0 && lv.peak_out < 1.0, "%s: %.1f dBFS", gs_preset_name(p),
              db);
        CHECK(strlen(gs_preset_description(p)) > 10, "%s: description", gs_preset_name(p));
        gs_stream_free(s);
        gs_channel_free(ch);
    }
    CHECK(strips >= 8, "%zu built-in strips", strips);
}

static void test_realtime(void) {
    const gs_preset *p = gs_preset_find("boost-tube-boost");
    gs_channel *ch = NULL;
    gs_stream *s = NULL;
    CHECK(p && gs_channel_new_preset(p, 48000.0, 512, &ch) == GS_OK, "boost-tube-boost");
    if (!ch || gs_stream_new(ch, 0, &s) != GS_OK) return;
    static float x[4096], y[4096];
    signal_fill(x, 4096, 48000.0, 0.5);
    size_t id;
    gs_channel_param_find(ch, "boost1.gain", &id);
    rt_allocs = rt_locks = 0;
    rt_armed = 1;
    for (int k = 0; k < 8; k++) {
        gs_channel_set(ch, id, k & 1 ? 20.0 : 6.0);
        gs_channel_set_symbol(ch, "tube", (double)(k % 3));
        gs_channel_process(ch, x, y, 512);
        gs_stream_process(s, x, y, 4096);
        gs_channel_stats_get(ch, &(gs_channel_stats){0});
    }
    rt_armed = 0;
    CHECK(rt_allocs == 0 && rt_locks == 0, "%ld allocations, %ld locks", rt_allocs, rt_locks);
    gs_stream_free(s);
    gs_channel_free(ch);
}

static void expect_chain_error(const char *text, gs_status want, const char *msg) {
    gs_preset *p = NULL;
    char err[512] = "";
    gs_status st = gs_preset_parse_chain(text, &p, err, sizeof err);
    CHECK(st == want && !p && !strcmp(err, msg), "'%s': %s (%s)", text, err, gs_strerror(st));
    gs_preset_free(p);
}

static void expect_preset_error(const char *text, gs_status want, const char *msg) {
    gs_preset *p = NULL;
    char err[512] = "";
    gs_status st = gs_preset_parse(text, "t", &p, err, sizeof err);
    CHECK(st == want && !p && !strcmp(err, msg), "'%s': %s (%s)", text, err, gs_strerror(st));
    gs_preset_free(p);
}

static void test_errors(void) {
    expect_chain_error("source | tube-pramp", GS_ERR_UNKNOWN_MODEL,
                       "unknown block 'tube-pramp'; did you mean 'tube-preamp'?");
    expect_chain_error("tube-stage | tube-stage", GS_ERR_PRESET_SYNTAX,
                       "tube-stage appears twice in the chain: name each one, e.g. "
                       "tube-stage1:tube-stage");
    expect_chain_error("opamp-stage gain=90dB", GS_ERR_OUT_OF_RANGE,
                       "gain = 90dB is out of range (0 dB to 70 dB)");
    expect_chain_error("source source=condensor", GS_ERR_PARSE,
                       "source: 'condensor' is not one of dynamic, ribbon, condenser, pickup, "
                       "piezo, line, mm; did you mean 'condenser'?");
    expect_chain_error("tube-preamp drvie=3", GS_ERR_UNKNOWN_PARAMETER,
                       "block tube-preamp (tube-preamp) has no parameter 'drvie'; did you mean "
                       "'drive'?");
    expect_chain_error("source |  | converter", GS_ERR_PRESET_SYNTAX,
                       "an empty block in the chain");
    char longer[1024] = "";
    for (int k = 0; k < 17; k++)
        snprintf(longer + strlen(longer), sizeof longer - strlen(longer), "%sb%d:gate",
                 k ? " | " : "", k);
    expect_chain_error(longer, GS_ERR_PRESET_SYNTAX,
                       "the chain has 17 blocks; a strip has at most 16");
    expect_preset_error("chain = t1:tube-stage | t2:tube-stage\nrp = 100k\n",
                        GS_ERR_AMBIGUOUS_PARAMETER, "line 2: rp is in t1 and t2: write t1.rp");
    expect_preset_error("chain = source | converter\n\nbits 24\n", GS_ERR_PRESET_SYNTAX,
                        "line 3: expected 'key = value'");
    expect_preset_error("chain = source | converter\nt3.bits = 24\n", GS_ERR_UNKNOWN_PARAMETER,
                        "line 2: 't3.bits': the chain has no block 't3' (it has source | "
                        "converter)");
    expect_preset_error("chain = opamp-stage | converter\nopamp-stage.gain = 90dB\n",
                        GS_ERR_OUT_OF_RANGE,
                        "line 2: opamp-stage.gain = 90dB is out of range (0 dB to 70 dB)");
    expect_preset_error("model = tube-preamp\nchain = source\n", GS_ERR_PRESET_SYNTAX,
                        "line 2: a second 'model =' or 'chain =' line");
    /* A good strip preset: values by bare and qualified symbol, a later line winning. */
    gs_preset *p = NULL;
    char err[256] = "";
    CHECK(gs_preset_parse("chain = b1:opamp-stage | tube-stage | b2:opamp-stage\n"
                          "b1.gain = 12dB\nb2.gain = 3dB\ntube = 12AT7\nb1.gain = 10dB\n",
                          "t", &p, err, sizeof err) == GS_OK,
          "%s", err);
    if (!p) return;
    const char *sym;
    double v;
    CHECK(gs_preset_block_count(p) == 3 && gs_preset_value_count(p) == 3, "counts");
    CHECK(gs_preset_value_at(p, 0, &sym, &v) == GS_OK && !strcmp(sym, "b1.gain") && v == 10.0,
          "b1.gain %s %g", sym, v);
    CHECK(gs_preset_value_at(p, 2, &sym, &v) == GS_OK && !strcmp(sym, "tube-stage.tube") && v == 1,
          "tube %s %g", sym, v);
    gs_channel *ch = NULL;
    size_t id;
    CHECK(gs_channel_new_preset(p, 48000.0, 64, &ch) == GS_OK &&
              gs_channel_param_find(ch, "b2.gain", &id) == GS_OK && gs_channel_get(ch, id) == 3.0,
          "applied");
    gs_channel_free(ch);
    gs_preset_free(p);
}

int main(void) {
    CHECK(rt_count_install(), "the allocation counter counts");
    test_equals_blocks();
    test_latency_impulse();
    test_names();
    test_builtins();
    test_realtime();
    test_errors();
    return check_done();
}
