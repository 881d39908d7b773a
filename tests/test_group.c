/* Channels and streams processed together (gs_channel_process_many, gs_stream_process_many: four
 * tube-preamp channels at a time as vector lanes) against the same ones processed one by one
 * (gs_channel_process, gs_stream_process): different settings per channel (gain, drive, supply,
 * wear, level), another model in between, odd block lengths, a glide mid-stream, NaN input, an
 * overload and its restart, a reset, a quality switch (a group of mixed oversampling factors), a
 * crossfade; every output sample, every counter and the state that follows (a long tail of
 * silence) must be equal bit for bit, and the group path must really have run. */
#include "check.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define BLOCK 64u
#define NCH 7 /* six tube-preamp channels and a clean one (index 2) */
#define NBLK 80

static int is_tube(int k) { return k != 2; }

/* Channel k: tube-preamp with its own gain, drive, supply, wear and level, or preset clean. */
static gs_channel *make(int k) {
    gs_channel *ch = NULL;
    if (!is_tube(k)) {
        CHECK(gs_channel_new_preset(gs_preset_find("clean"), RATE, BLOCK, &ch) == GS_OK,
              "clean channel");
        return ch;
    }
    CHECK(gs_channel_new("tube-preamp", RATE, BLOCK, &ch) == GS_OK, "tube channel %d", k);
    if (!ch) return NULL;
    CHECK(gs_channel_set_symbol(ch, "gain", -6.0 + 4.0 * k) == GS_OK, "gain");
    CHECK(gs_channel_set_symbol(ch, "drive", -24.0 + 3.0 * k) == GS_OK, "drive");
    CHECK(gs_channel_set_symbol(ch, "supply", 240.0 + 25.0 * k) == GS_OK, "supply");
    CHECK(gs_channel_set_symbol(ch, "wear", 8.0 * k) == GS_OK, "wear");
    CHECK(gs_channel_set_symbol(ch, "level", -10.0 - k) == GS_OK, "level");
    gs_channel_reset(ch);
    return ch;
}

/* Channel k's input at sample i (V): plucked chords of different pitch and level. */
static float input(int k, uint64_t i) {
    double t = (double)i / RATE, env = exp(-4.0 * fmod(t, 0.25));
    double f = 82.0 * (1.0 + 0.25 * k);
    return (float)((0.2 + 0.3 * k) * env * (sin(2 * GS_PI * f * t) + 0.4 * sin(6 * GS_PI * f * t)));
}

/* The events of block b on channel set c (the same on both sets). */
static void events(gs_channel *const c[NCH], int b) {
    if (b == 10) gs_channel_set_symbol(c[1], "drive", -6.0);   /* glides over many blocks */
    if (b == 12) gs_channel_set_symbol(c[3], "supply", 380.0); /* a redesign per step */
    if (b == 30) gs_channel_reset(c[5]);
    if (b == 40) gs_channel_set_symbol(c[4], "quality", 0.0); /* fast: 2x in a 16x group */
    if (b == 60) gs_channel_set_symbol(c[4], "quality", 2.0);
    if (b == 66) /* every channel glides at once, by different distances */
        for (int k = 0; k < NCH; k++)
            gs_channel_set_symbol(c[k], is_tube(k) ? "gain" : "trim", 3.0 - k);
}

static void test_channels(void) {
    gs_channel *a[NCH], *b[NCH];
    for (int k = 0; k < NCH; k++) {
        a[k] = make(k);
        b[k] = make(k);
        if (!a[k] || !b[k]) return;
    }
    float in[NCH][BLOCK], oa[NCH][BLOCK], ob[NCH][BLOCK];
    const float *pin[NCH];
    float *pout[NCH];
    uint64_t pos = 0;
    int diff_blocks = 0;
    float loud = 0.0f;
    for (int blk = 0; blk < NBLK + 40; blk++) {
        /* odd lengths now and then; the last 40 blocks are silence (the states must agree) */
        uint32_t n = blk % 7 == 3 ? 37u : (blk % 11 == 5 ? 1u : BLOCK);
        events(a, blk);
        events(b, blk);
        for (int k = 0; k < NCH; k++) {
            for (uint32_t i = 0; i < n; i++) in[k][i] = blk < NBLK ? input(k, pos + i) : 0.0f;
            pin[k] = in[k];
            pout[k] = oa[k];
        }
        if (blk == 20) in[3][5] = NAN;
        if (blk == 25) in[0][2] = 100.0f; /* an overload: clamped, then a restart */
        CHECK(gs_channel_process_many(a, NCH, pin, pout, n) == GS_OK, "process_many");
        for (int k = 0; k < NCH; k++) gs_channel_process(b[k], in[k], ob[k], n);
        int same = 1;
        for (int k = 0; k < NCH; k++) same &= memcmp(oa[k], ob[k], n * sizeof(float)) == 0;
        diff_blocks += !same;
        for (uint32_t i = 0; blk < NBLK && i < n; i++) loud = fmaxf(loud, fabsf(oa[0][i]));
        pos += n;
    }
    CHECK(diff_blocks == 0, "%d of %d blocks differ from one by one", diff_blocks, NBLK + 40);
    /* the outputs are not trivially equal (silence): loud while the signal plays, quiet after */
    CHECK(loud > 1e-2f, "channel 0 plays (peak %g)", (double)loud);
    float tail = 0.0f;
    for (uint32_t i = 0; i < BLOCK; i++) tail = fmaxf(tail, fabsf(oa[0][i]));
    CHECK(tail < 0.2f * loud, "the tail of silence decays (peak %g)", (double)tail);
    for (int k = 0; k < NCH; k++) {
        gs_channel_stats sa, sb;
        gs_channel_stats_get(a[k], &sa);
        gs_channel_stats_get(b[k], &sb);
        CHECK(memcmp(&sa, &sb, sizeof sa) == 0, "channel %d: counters equal", k);
        CHECK(gs_channel_grouped(b[k]) == 0, "one by one never groups");
    }
    gs_channel_stats s3, s0;
    gs_channel_stats_get(a[3], &s3);
    gs_channel_stats_get(a[0], &s0);
    CHECK(s3.nonfinite_inputs == 1, "the NaN was counted (%llu)",
          (unsigned long long)s3.nonfinite_inputs);
    CHECK(s0.overloads == 1, "the overload ended once (%llu)", (unsigned long long)s0.overloads);
    /* Groups of four: the first four tube channels (0, 1, 3, 4), also while they glide, and 5 in
     * place of 0 in the block where its overload ends. */
    uint64_t sum = 0;
    for (int k = 0; k < NCH; k++) sum += gs_channel_grouped(a[k]);
    CHECK(sum % 4 == 0, "grouped four at a time (%llu channel blocks)", (unsigned long long)sum);
    CHECK(gs_channel_grouped(a[2]) == 0, "another model is never grouped");
    CHECK(gs_channel_grouped(a[1]) == NBLK + 40, "glides run grouped (%llu blocks)",
          (unsigned long long)gs_channel_grouped(a[1]));
    CHECK(gs_channel_grouped(a[0]) == NBLK + 39, "an overload's end runs alone (%llu blocks)",
          (unsigned long long)gs_channel_grouped(a[0]));
    CHECK(gs_channel_grouped(a[5]) > 0, "a leftover fills a gap (%llu)",
          (unsigned long long)gs_channel_grouped(a[5]));
    for (int k = 0; k < NCH; k++) {
        gs_channel_free(a[k]);
        gs_channel_free(b[k]);
    }
}

#define NST 5
#define SN 150u /* more than a chunk: 64 + 64 + 22 */

/* Streams: different calibrations and constant latencies, a crossfade on stream 1. */
static void test_streams(void) {
    gs_channel *ca[NST], *cb[NST], *na = NULL, *nb = NULL;
    gs_stream *sa[NST], *sb[NST];
    for (int k = 0; k < NST; k++) {
        int m = k == 2 ? 2 : (k > 2 ? k + 1 : k); /* channel 2 is the clean one */
        ca[k] = make(m);
        cb[k] = make(m);
        if (!ca[k] || !cb[k]) return;
        uint32_t lat = k == 3 ? 40u : 0u;
        CHECK(gs_stream_new(ca[k], lat, &sa[k]) == GS_OK &&
                  gs_stream_new(cb[k], lat, &sb[k]) == GS_OK,
              "stream %d", k);
        gs_stream_set_in_dbu(sa[k], -10.0 + 3.0 * k, 0.0);
        gs_stream_set_in_dbu(sb[k], -10.0 + 3.0 * k, 0.0);
        gs_stream_set_out_dbu(sa[k], 10.0 + k, 0.0);
        gs_stream_set_out_dbu(sb[k], 10.0 + k, 0.0);
    }
    na = make(6);
    nb = make(6);
    if (!na || !nb) return;
    float in[NST][SN], oa[NST][SN], ob[NST][SN];
    const float *pin[NST];
    float *pout[NST];
    uint64_t pos = 0;
    int diff = 0;
    for (int blk = 0; blk < 60; blk++) {
        if (blk == 8) {
            gs_stream_switch(sa[1], na, 0.004);
            gs_stream_switch(sb[1], nb, 0.004);
        }
        if (blk == 20) {
            gs_stream_set_in_dbu(sa[0], 0.0, 0.01); /* a calibration glide */
            gs_stream_set_in_dbu(sb[0], 0.0, 0.01);
        }
        if (blk == 30) {
            gs_stream_reset(sa[4]);
            gs_stream_reset(sb[4]);
        }
        for (int k = 0; k < NST; k++) {
            for (uint32_t i = 0; i < SN; i++) in[k][i] = input(k, pos + i) / 3.0f;
            pin[k] = in[k];
            pout[k] = oa[k];
        }
        CHECK(gs_stream_process_many(sa, NST, pin, pout, SN) == GS_OK, "stream_process_many");
        for (int k = 0; k < NST; k++) gs_stream_process(sb[k], in[k], ob[k], SN);
        for (int k = 0; k < NST; k++) diff += memcmp(oa[k], ob[k], sizeof oa[k]) != 0;
        pos += SN;
    }
    CHECK(diff == 0, "%d stream blocks differ from one by one", diff);
    CHECK(gs_stream_channel(sa[1]) == na, "the crossfade ended on the new channel");
    for (int k = 0; k < NST; k++) {
        gs_stream_levels la, lb;
        gs_stream_read_levels(sa[k], &la);
        gs_stream_read_levels(sb[k], &lb);
        CHECK(memcmp(&la, &lb, sizeof la) == 0, "stream %d: levels equal", k);
        uint64_t ia, oa_, ib, ob_;
        gs_stream_clips(sa[k], &ia, &oa_);
        gs_stream_clips(sb[k], &ib, &ob_);
        CHECK(ia == ib && oa_ == ob_, "stream %d: clips equal", k);
    }
    CHECK(gs_channel_grouped(ca[0]) > 100, "streams grouped their channels (%llu chunks)",
          (unsigned long long)gs_channel_grouped(ca[0]));
    for (int k = 0; k < NST; k++) {
        gs_stream_free(sa[k]);
        gs_stream_free(sb[k]);
        gs_channel_free(ca[k]);
        gs_channel_free(cb[k]);
    }
    gs_channel_free(na);
    gs_channel_free(nb);
}

/* Bad entries: reported, the others still processed. */
static void test_errors(void) {
    gs_channel *c = make(0);
    if (!c) return;
    float x[BLOCK] = {0}, y[BLOCK];
    gs_channel *chs[2] = {NULL, c};
    const float *in[2] = {x, x};
    float *out[2] = {y, y};
    memset(y, 0xff, sizeof y);
    CHECK(gs_channel_process_many(chs, 2, in, out, BLOCK) == GS_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(isfinite(y[0]), "the valid channel was processed");
    CHECK(gs_channel_process_many(chs + 1, 1, in, out, BLOCK + 1) == GS_ERR_BLOCK_SIZE, "size");
    CHECK(gs_channel_process_many(NULL, 1, in, out, BLOCK) == GS_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(gs_stream_process_many(NULL, 1, in, out, BLOCK) == GS_ERR_INVALID_ARGUMENT, "NULL");
    gs_channel_free(c);
}

/* A channel or a stream named twice in one call runs twice, in order, as one by one. */
static void test_repeats(void) {
    enum { R = 6 };
    static const int idx[R] = {0, 1, 0, 3, 4, 1};
    gs_channel *a[5], *b[5];
    gs_stream *sa[5], *sb[5];
    for (int k = 0; k < 5; k++) {
        a[k] = make(k == 2 ? 5 : k);
        b[k] = make(k == 2 ? 5 : k);
        if (!a[k] || !b[k]) return;
        gs_stream_new(a[k], 0, &sa[k]);
        gs_stream_new(b[k], 0, &sb[k]);
    }
    float x[R][BLOCK], ya[R][BLOCK], yb[R][BLOCK];
    const float *pin[R];
    float *pout[R];
    gs_channel *ca[R];
    gs_stream *ssa[R];
    int diff = 0;
    for (int blk = 0; blk < 20; blk++) {
        for (int r = 0; r < R; r++) {
            for (uint32_t i = 0; i < BLOCK; i++) x[r][i] = input(r, (uint64_t)blk * BLOCK + i);
            pin[r] = x[r];
            pout[r] = ya[r];
            ca[r] = a[idx[r]];
            ssa[r] = sa[idx[r]];
        }
        if (blk < 10) {
            gs_channel_process_many(ca, R, pin, pout, BLOCK);
            for (int r = 0; r < R; r++) gs_channel_process(b[idx[r]], x[r], yb[r], BLOCK);
        } else {
            gs_stream_process_many(ssa, R, pin, pout, BLOCK);
            for (int r = 0; r < R; r++) gs_stream_process(sb[idx[r]], x[r], yb[r], BLOCK);
        }
        for (int r = 0; r < R; r++) diff += memcmp(ya[r], yb[r], sizeof ya[r]) != 0;
    }
    CHECK(diff == 0, "%d repeated entries differ from one by one", diff);
    for (int k = 0; k < 5; k++) {
        gs_stream_free(sa[k]);
        gs_stream_free(sb[k]);
        gs_channel_free(a[k]);
        gs_channel_free(b[k]);
    }
}

/* The group path splits a block at control rate when another lane glides: tube-preamp must give
 * the same samples whatever the partition of a block, at every quality. */
static void test_partition(void) {
    for (int q = 0; q < 3; q++) {
        gs_channel *c[3];
        for (int k = 0; k < 3; k++) {
            c[k] = make(4);
            if (!c[k]) return;
            gs_channel_set_symbol(c[k], "quality", q);
            gs_channel_reset(c[k]);
        }
        static const uint32_t piece[3] = {BLOCK, 8, 3};
        float y[3][BLOCK];
        int diff = 0;
        for (int blk = 0; blk < 40; blk++) {
            for (int k = 0; k < 3; k++) {
                for (uint32_t i = 0; i < BLOCK; i++) y[k][i] = input(4, (uint64_t)blk * BLOCK + i);
                for (uint32_t off = 0; off < BLOCK; off += piece[k]) {
                    uint32_t len = BLOCK - off < piece[k] ? BLOCK - off : piece[k];
                    gs_channel_process(c[k], y[k] + off, y[k] + off, len);
                }
            }
            diff += memcmp(y[0], y[1], sizeof y[0]) != 0 || memcmp(y[0], y[2], sizeof y[0]) != 0;
        }
        CHECK(diff == 0, "quality %d: %d blocks depend on the partition", q, diff);
        for (int k = 0; k < 3; k++) gs_channel_free(c[k]);
    }
}

int main(void) {
    test_channels();
    test_streams();
    test_errors();
    test_repeats();
    test_partition();
    return check_done();
}
