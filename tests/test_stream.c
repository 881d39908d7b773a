/* The stream's promises (gainstage.h, Stream): any call length gives the output of one-shot
 * processing; calibration in double with linear glides; padding to exactly the constant latency;
 * peak, RMS and clip meters; a crossfade that ends on the incoming channel; and no allocation or
 * lock in process, set or switch (counters interposed on malloc and pthread_mutex_lock, as
 * lv2/tests/test_lv2.c does around run()). */
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#include "check.h"
#include "rtcount.h"
#include "internal.h"
#include "rng.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define BLOCK 8192u
#define N 40000u


/* A test signal: a decaying chirp with a few loud samples, in units (full scale 1). */
static void signal_fill(float *x, size_t n, double amp) {
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / RATE;
        x[i] = (float)(amp * sin(2.0 * GS_PI * (100.0 + 3000.0 * t) * t) * exp(-t));
    }
}

static gs_stream *make(const char *model, uint32_t latency, gs_channel **ch) {
    gs_stream *s = NULL;
    *ch = NULL;
    if (gs_channel_new(model, RATE, BLOCK, ch) != GS_OK) return NULL;
    if (gs_stream_new(*ch, latency, &s) != GS_OK) return NULL;
    return s;
}

/* Process x in calls of the lengths in lens (cycled). */
static void run_lens(gs_stream *s, const float *x, float *y, size_t n, const uint32_t *lens,
                     size_t nl) {
    for (size_t off = 0, k = 0; off < n; k++) {
        uint32_t len = lens[k % nl];
        if (len > n - off) len = (uint32_t)(n - off);
        gs_stream_process(s, x + off, y + off, len);
        off += len;
    }
}

static int same(const float *a, const float *b, size_t n) {
    return memcmp(a, b, n * sizeof(float)) == 0;
}

static void block_lengths(void) {
    float *x = malloc(N * 4), *ref = malloc(N * 4), *y = malloc(N * 4);
    signal_fill(x, N, 0.5);
    static const uint32_t fixed_lens[] = {1, 2, 3, 7, 8, 13, 64, 127, 1000, 1024, 4097, 8191, 8192};
    uint32_t mixed[64];
    srand(7);
    for (size_t i = 0; i < 64; i++) mixed[i] = 1u + (uint32_t)rand() % BLOCK;
    for (size_t m = 0; m < gs_model_count(); m++) {
        const gs_model_info *mi = gs_model_at(m);
        if (mi->is_block) continue;
        gs_channel *ch;
        gs_stream *s = make(mi->name, 0, &ch);
        CHECK(s != NULL, "stream for %s", mi->name);
        if (!s) continue;
        /* A calibration glide running through the first calls: per sample, so also invariant. */
        gs_stream_set_in_dbu(s, -10.0, 0.2);
        gs_stream_process(s, x, ref, N); /* one shot: chunks of max_block */
        for (size_t k = 0; k <= GS_ARRAY_LEN(fixed_lens); k++) {
            gs_stream_reset(s);
            gs_stream_set_in_dbu(s, GS_DEFAULT_IN_DBU, 0.0);
            gs_stream_set_in_dbu(s, -10.0, 0.2);
            if (k < GS_ARRAY_LEN(fixed_lens))
                run_lens(s, x, y, N, &fixed_lens[k], 1);
            else
                run_lens(s, x, y, N, mixed, 64);
            CHECK(same(ref, y, N), "%s: calls of %u samples differ from one shot", mi->name,
                  k < GS_ARRAY_LEN(fixed_lens) ? fixed_lens[k] : 0u);
        }
        gs_stream_free(s);
        gs_channel_free(ch);
    }
    free(x);
    free(ref);
    free(y);
}

/* The stream's output is the channel's, fed (float)(x * gin), times gout, in double. */
static void calibration(void) {
    enum { n = 4800 };
    static float x[n], y[n], v[n], want[n];
    signal_fill(x, n, 0.8);
    gs_channel *ch, *ref;
    gs_stream *s = make("ss-preamp", 0, &ch);
    gs_channel_new("ss-preamp", RATE, BLOCK, &ref);
    double vi0 = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    double vo = gs_dbu_to_volts_per_unit(4.0), vi1 = 0.25;
    CHECK(gs_stream_set_out_dbu(s, 4.0, 0.0) == GS_OK, "out dBu");
    CHECK(gs_stream_set_in_volts(s, vi1, 0.010) == GS_OK, "in volts, 10 ms glide");
    gs_stream_process(s, x, y, n);
    uint32_t glide = (uint32_t)lround(0.010 * RATE);
    for (uint32_t i = 0; i < n; i++) {
        double g = i + 1 >= glide ? vi1 : vi0 + (double)(i + 1) * ((vi1 - vi0) / (double)glide);
        v[i] = (float)(x[i] * g);
    }
    gs_channel_process(ref, v, v, n);
    for (uint32_t i = 0; i < n; i++) want[i] = (float)(v[i] * (1.0 / vo));
    size_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += fabsf(y[i] - want[i]) > 1e-6f * (fabsf(want[i]) + 1e-3f);
    CHECK(bad == 0, "calibrated output differs from channel x gains in %zu samples", bad);
    CHECK(same(y + glide, want + glide, n - glide), "after the glide: exact");
    CHECK(gs_stream_set_in_volts(s, 0.0, 0.0) == GS_ERR_INVALID_ARGUMENT, "0 V refused");
    CHECK(gs_stream_set_out_volts(s, NAN, 0.0) == GS_ERR_INVALID_ARGUMENT, "NaN refused");
    CHECK(gs_stream_set_in_dbu(s, 0.0, -1.0) == GS_ERR_INVALID_ARGUMENT, "negative glide");
    CHECK(gs_stream_set_clip_level(s, 0.0) == GS_ERR_INVALID_ARGUMENT, "clip level 0");
    gs_stream *none = s;
    CHECK(gs_stream_new(NULL, 0, &none) == GS_ERR_INVALID_ARGUMENT && none == NULL, "NULL channel");
    CHECK(gs_stream_process(NULL, x, y, 1) == GS_ERR_INVALID_ARGUMENT, "NULL stream");
    gs_stream_free(NULL);
    gs_stream_free(s);
    gs_channel_free(ch);
    gs_channel_free(ref);
}

static void padding(void) {
    enum { n = 20000 };
    static float x[n], a[n], b[n];
    signal_fill(x, n, 0.5);
    gs_channel *c1, *c2;
    gs_stream *plain = make("digital-preamp", 0, &c1);
    uint32_t own = gs_channel_latency(c1), L = own + 300;
    gs_stream *padded = make("digital-preamp", L, &c2);
    CHECK(gs_stream_latency(plain) == own && gs_stream_latency(padded) == L, "latency %u %u",
          gs_stream_latency(plain), gs_stream_latency(padded));
    gs_stream_process(plain, x, a, n);
    uint32_t lens[] = {100, 1, 333};
    run_lens(padded, x, b, n, lens, 3);
    int zeros = 1;
    for (uint32_t i = 0; i < L - own; i++) zeros &= b[i] == 0.0f;
    CHECK(zeros, "the pad's first %u samples are silent", L - own);
    CHECK(same(b + (L - own), a, n - (L - own)), "padded output = output delayed by %u", L - own);
    gs_stream_free(plain);
    gs_stream_free(padded);
    gs_channel_free(c1);
    gs_channel_free(c2);
}

static void meters(void) {
    float x[8] = {0.25f, -1.5f, 1.0f, NAN, 0.5f, INFINITY, -0.999f, 0.0f}, y[8];
    gs_channel *ch;
    gs_stream *s = make("ss-preamp", 0, &ch);
    gs_stream_set_in_dbu(s, -60.0, 0.0);
    gs_stream_process(s, x, y, 8);
    gs_stream_levels lv;
    gs_stream_read_levels(s, &lv);
    uint64_t ci, co;
    gs_stream_clips(s, &ci, &co);
    CHECK(lv.peak_in == 1.5 && lv.frames == 8, "peak in %g, frames %llu", lv.peak_in,
          (unsigned long long)lv.frames);
    CHECK(ci == 3 && co == 0, "clips in %llu (1.5, 1.0, inf), out %llu", (unsigned long long)ci,
          (unsigned long long)co);
    double pk = 0, sq = 0;
    for (int i = 0; i < 8; i++) {
        pk = fmax(pk, fabs((double)y[i]));
        sq += (double)y[i] * y[i];
    }
    CHECK(lv.peak_out == pk && lv.rms_out == sqrt(sq / 8.0), "out peak %g rms %g", lv.peak_out,
          lv.rms_out);
    gs_stream_read_levels(s, &lv);
    CHECK(lv.frames == 0 && lv.peak_in == 0 && lv.rms_out == 0, "the window restarts");
    /* Output clips: a hot output calibration; the level is configurable. */
    float z[256], w[256];
    signal_fill(z, 256, 1.0);
    gs_stream_set_out_dbu(s, -40.0, 0.0);
    gs_stream_set_in_dbu(s, 10.0, 0.0);
    gs_stream_set_clip_level(s, 0.5);
    gs_stream_process(s, z, w, 256);
    uint64_t expect_in = ci, expect_out = 0;
    for (int i = 0; i < 256; i++) {
        expect_in += fabsf(z[i]) >= 0.5f;
        expect_out += fabsf(w[i]) >= 0.5f;
    }
    gs_stream_clips(s, &ci, &co);
    CHECK(ci == expect_in && co == expect_out && co > 0, "clips %llu/%llu, %llu/%llu",
          (unsigned long long)ci, (unsigned long long)expect_in, (unsigned long long)co,
          (unsigned long long)expect_out);
    gs_stream_free(s);
    gs_channel_free(ch);
}

/* A switch with a fade ends on the incoming channel exactly as if it had played from the switch
 * on (reset at the switch); an instant switch changes nothing of the channel's state. */
static void crossfade(void) {
    enum { n = 30000, at = 5000 };
    static float x[n], y[n], r[n];
    signal_fill(x, n, 0.5);
    gs_channel *a, *b, *rb;
    gs_stream *s = make("ss-preamp", 200, &a);
    gs_channel_new("digital-preamp", RATE, BLOCK, &b);
    gs_channel_new("digital-preamp", RATE, BLOCK, &rb);
    gs_stream *ref = NULL;
    gs_stream_new(rb, 200, &ref);
    gs_stream_process(s, x, y, at);
    CHECK(gs_stream_switch(s, b, 0.020) == GS_OK, "switch");
    gs_stream_process(s, x + at, y + at, n - at);
    CHECK(gs_stream_channel(s) == b, "b plays after the fade");
    gs_stream_process(ref, x + at, r + at, n - at);
    uint32_t end = 200 + (uint32_t)lround(0.020 * RATE);
    CHECK(same(y + at + end, r + at + end, n - at - end), "after the fade: the incoming channel");
    gs_channel *small;
    gs_channel_new("ss-preamp", RATE, 64, &small);
    CHECK(gs_stream_switch(s, small, 0.0) == GS_ERR_BLOCK_SIZE, "smaller block refused");
    gs_stream_free(s);
    gs_stream_free(ref);
    gs_channel_free(a);
    gs_channel_free(b);
    gs_channel_free(rb);
    gs_channel_free(small);
}

static void realtime(void) {
    enum { n = 20000 };
    static float x[n], y[n];
    signal_fill(x, n, 0.5);
    gs_channel *a, *b;
    gs_stream *s = make("tube-preamp", 0, &a);
    if (!s) s = make("ss-preamp", 0, &a);
    gs_channel_new("ss-preamp", RATE, BLOCK, &b);
    gs_stream_levels lv;
    rt_allocs = rt_locks = 0;
    rt_armed = 1;
    gs_stream_set_in_dbu(s, -10.0, 0.010);
    gs_stream_set_out_volts(s, 2.0, 0.010);
    gs_stream_set_clip_level(s, 0.9);
    gs_stream_process(s, x, y, 7000);
    gs_stream_switch(s, b, 0.020);
    gs_stream_process(s, x + 7000, y + 7000, 6000);
    gs_stream_switch(s, a, 0.0);
    gs_stream_process(s, x + 13000, y + 13000, n - 13000);
    gs_stream_read_levels(s, &lv);
    gs_stream_reset(s);
    rt_armed = 0;
    CHECK(rt_allocs == 0 && rt_locks == 0, "allocations %ld, locks %ld in process/set/switch", rt_allocs,
          rt_locks);
    gs_stream_free(s);
    gs_channel_free(a);
    gs_channel_free(b);
}

/* The quantiser gives what `gainstage process` computed before it used the library's: x * 2^(b-1)
 * plus two uniform draws (xoshiro256**, splitmix64-seeded), floor(x + 0.5), codes clamped and
 * counted; samples well beyond full scale included. */
static void quantizer(void) {
    enum { n = 5000 };
    static float x[n];
    static int32_t q[n];
    signal_fill(x, n, 1.3);
    for (int bits = 16; bits <= 24; bits += 8)
        for (int dither = 0; dither <= 1; dither++) {
            gs_quantizer *qz = NULL;
            CHECK(gs_quantizer_new((unsigned)bits, dither, 7, &qz) == GS_OK, "new");
            gs_quantizer_process(qz, x, q, n);
            gs_rng rg;
            gs_rng_seed(&rg, 7);
            double full = ldexp(1.0, bits - 1);
            size_t bad = 0;
            uint64_t clipped = 0;
            for (int i = 0; i < n; i++) {
                double v = (double)x[i] * full;
                if (dither) v += gs_rng_uniform(&rg) + gs_rng_uniform(&rg);
                double r = floor(v + 0.5);
                if (r > full - 1) {
                    r = full - 1;
                    clipped++;
                } else if (r < -full) {
                    r = -full;
                    clipped++;
                }
                bad += (int32_t)r != q[i];
            }
            CHECK(bad == 0 && clipped > 0 && gs_quantizer_clip_count(qz) == clipped,
                  "%d bits, dither %d: %zu codes differ; clips %llu, counted %llu", bits, dither,
                  bad, (unsigned long long)clipped,
                  (unsigned long long)gs_quantizer_clip_count(qz));
            gs_quantizer_free(qz);
        }
    gs_quantizer *qz = (gs_quantizer *)1;
    CHECK(gs_quantizer_new(4, 1, 1, &qz) == GS_ERR_OUT_OF_RANGE && qz == NULL, "4 bits refused");
    gs_quantizer_free(NULL);
}

int main(void) {
    CHECK(rt_count_install(), "the allocation counter counts");
    quantizer();
    realtime();
    calibration();
    padding();
    meters();
    crossfade();
    block_lengths();
    return check_done();
}
