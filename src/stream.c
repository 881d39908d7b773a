/* The calibrated real-time path around a channel (see the Stream section of gainstage.h).
 *
 * Per chunk of at most the channel's max_block samples:
 *   input units --x gin--> volts --channel--> volts --pad--> [crossfade] --x gout--> output units
 * with gin, gout per-sample values of linear ramps (volts per unit in; units per volt out), the
 * products taken in double and rounded to float: the arithmetic `gainstage process`, the plugin
 * and live used before they shared this file, so their outputs stay bit for bit what they were.
 *
 * The crossfade (a model switch) mixes two channels fed the same calibrated input, before the
 * output calibration, so a switch and a calibration glide compose without a second rounding. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A delay line that pads a channel's latency up to the stream's constant one. Its buffer holds
 * the whole constant latency; its length follows the channel's current latency (pad_sync). */
typedef struct pad {
    float *buf;
    uint32_t len, pos;
} pad;

struct gs_stream {
    gs_channel *ch;     /* playing */
    gs_channel *next;   /* fading in, or NULL */
    gs_channel *want;   /* asked for by the last switch */
    uint32_t want_fade; /* samples of the fade asked for */
    uint32_t fade_len, fade_wait, fade_pos;
    uint32_t block, latency;
    pad pads[2];
    unsigned pa;          /* pads[pa] belongs to ch, the other one to next */
    float *xin, *ya, *yb; /* block samples: volts in, volts out of ch and of next */
    double *gin, *gout;   /* block samples: the calibration gains of a chunk */
    gs_ramp in_scale, out_scale;
    double clip_level;
    double peak_in, peak_out, sum_sq;
    uint64_t frames, clips_in, clips_out;
};

gs_status gs_stream_new(gs_channel *channel, uint32_t latency, gs_stream **out) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!channel || latency > GS_MAX_BLOCK_LIMIT) return GS_ERR_INVALID_ARGUMENT;
    gs_stream *s = calloc(1, sizeof *s);
    if (!s) return GS_ERR_NO_MEMORY;
    s->ch = s->want = channel;
    s->block = gs_channel_max_block(channel);
    s->latency = latency;
    s->xin = calloc(s->block, sizeof(float));
    s->ya = calloc(s->block, sizeof(float));
    s->yb = calloc(s->block, sizeof(float));
    s->gin = calloc(s->block, sizeof(double));
    s->gout = calloc(s->block, sizeof(double));
    int bad = !s->xin || !s->ya || !s->yb || !s->gin || !s->gout;
    for (unsigned k = 0; k < 2 && latency; k++) {
        s->pads[k].buf = calloc(latency, sizeof(float));
        bad |= !s->pads[k].buf;
    }
    if (bad) {
        gs_stream_free(s);
        return GS_ERR_NO_MEMORY;
    }
    s->in_scale.cur = s->in_scale.target = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    s->out_scale.cur = s->out_scale.target = 1.0 / gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    s->clip_level = 1.0;
    *out = s;
    return GS_OK;
}

void gs_stream_free(gs_stream *s) {
    if (!s) return;
    free(s->xin);
    free(s->ya);
    free(s->yb);
    free(s->gin);
    free(s->gout);
    free(s->pads[0].buf);
    free(s->pads[1].buf);
    free(s);
}

gs_channel *gs_stream_channel(const gs_stream *s) { return s ? s->ch : NULL; }

uint32_t gs_stream_latency(const gs_stream *s) {
    if (!s) return 0;
    return s->latency ? s->latency : gs_channel_latency(s->ch);
}

/* Seconds to samples at the playing channel's rate; -1 if not a sane time (0 to 60 s). */
GS_REALTIME static int64_t to_samples(const gs_stream *s, double seconds) {
    if (!(seconds >= 0.0 && seconds <= 60.0)) return -1;
    return (int64_t)lround(seconds * gs_channel_rate(s->ch));
}

GS_REALTIME static gs_status ramp_set(gs_stream *s, gs_ramp *r, double target, double glide_s) {
    int64_t len = to_samples(s, glide_s);
    if (len < 0 || !isfinite(target)) return GS_ERR_INVALID_ARGUMENT;
    if (len == 0) {
        r->target = target;
        gs_ramp_snap(r);
    } else {
        gs_ramp_to(r, target, (uint32_t)len);
    }
    return GS_OK;
}

GS_REALTIME gs_status gs_stream_set_in_volts(gs_stream *s, double vpu, double glide_s) {
    if (!s || !(vpu > 0.0)) return GS_ERR_INVALID_ARGUMENT;
    return ramp_set(s, &s->in_scale, vpu, glide_s);
}

GS_REALTIME gs_status gs_stream_set_in_dbu(gs_stream *s, double dbu, double glide_s) {
    if (!isfinite(dbu)) return GS_ERR_INVALID_ARGUMENT;
    return gs_stream_set_in_volts(s, gs_dbu_to_volts_per_unit(dbu), glide_s);
}

GS_REALTIME gs_status gs_stream_set_out_volts(gs_stream *s, double vpu, double glide_s) {
    if (!s || !(vpu > 0.0)) return GS_ERR_INVALID_ARGUMENT;
    return ramp_set(s, &s->out_scale, 1.0 / vpu, glide_s);
}

GS_REALTIME gs_status gs_stream_set_out_dbu(gs_stream *s, double dbu, double glide_s) {
    if (!isfinite(dbu)) return GS_ERR_INVALID_ARGUMENT;
    return gs_stream_set_out_volts(s, gs_dbu_to_volts_per_unit(dbu), glide_s);
}

GS_REALTIME gs_status gs_stream_set_clip_level(gs_stream *s, double level) {
    if (!s || !(level > 0.0)) return GS_ERR_INVALID_ARGUMENT;
    s->clip_level = level;
    return GS_OK;
}

GS_REALTIME gs_status gs_stream_switch(gs_stream *s, gs_channel *next, double fade_s) {
    if (!s || !next) return GS_ERR_INVALID_ARGUMENT;
    if (gs_channel_max_block(next) < s->block) return GS_ERR_BLOCK_SIZE;
    int64_t len = to_samples(s, fade_s);
    if (len < 0 || len > UINT32_MAX) return GS_ERR_INVALID_ARGUMENT;
    s->want = next;
    s->want_fade = (uint32_t)len;
    if (len == 0) {
        /* At once: the channel plays on as it is (a host swapping in a prepared instance). */
        s->ch = next;
        s->next = NULL;
    }
    return GS_OK;
}

GS_REALTIME static void pad_clear(pad *d, uint32_t n) {
    if (n) memset(d->buf, 0, n * sizeof(float));
    d->pos = 0;
}

/* Keep a pad equal to the constant latency minus its channel's current latency; when that changed
 * (a quality switch, which restarts the model anyway) the line restarts empty. */
GS_REALTIME static void pad_sync(const gs_stream *s, pad *d, const gs_channel *ch) {
    uint32_t l = gs_channel_latency(ch);
    uint32_t want = l < s->latency ? s->latency - l : 0;
    if (d->len == want || !d->buf) return;
    d->len = want;
    pad_clear(d, s->latency);
}

GS_REALTIME static void pad_run(pad *d, float *buf, uint32_t n) {
    if (!d->len) return;
    for (uint32_t i = 0; i < n; i++) {
        float t = d->buf[d->pos];
        d->buf[d->pos] = buf[i];
        buf[i] = t;
        if (++d->pos == d->len) d->pos = 0;
    }
}

GS_REALTIME void gs_stream_reset(gs_stream *s) {
    if (!s) return;
    s->ch = s->want;
    s->next = NULL;
    gs_channel_reset(s->ch);
    for (unsigned k = 0; k < 2; k++) pad_clear(&s->pads[k], s->pads[k].len);
    gs_ramp_snap(&s->in_scale);
    gs_ramp_snap(&s->out_scale);
    gs_stream_levels skip;
    gs_stream_read_levels(s, &skip);
}

/* The incoming channel starts from rest: its first latency samples are its filters filling up,
 * and then the onset of the signal arrives at once. The fade therefore waits that long and then
 * ramps over fade_len, so that the onset enters at weight 1/fade_len rather than as a step. */
GS_REALTIME static void fade_start(gs_stream *s) {
    s->next = s->want;
    s->fade_len = s->want_fade;
    s->fade_pos = 0;
    gs_channel_reset(s->next); /* applies pending values: the latency below is the new one */
    s->fade_wait = s->latency ? s->latency : gs_channel_latency(s->next);
    pad *d = &s->pads[1u - s->pa];
    pad_clear(d, d->len);
}

/* Process the incoming channel and mix it into ya (volts) for this chunk. */
GS_REALTIME static void fade_run(gs_stream *s, uint32_t n) {
    pad *d = &s->pads[1u - s->pa];
    pad_sync(s, d, s->next);
    uint32_t total = s->fade_wait + s->fade_len;
    uint32_t len = total - s->fade_pos < n ? total - s->fade_pos : n;
    gs_channel_process(s->next, s->xin, s->yb, n);
    pad_run(d, s->yb, n);
    for (uint32_t i = 0; i < len; i++) {
        double k = (double)(s->fade_pos + i + 1) - (double)s->fade_wait;
        double t = k > 0 ? k / (double)s->fade_len : 0.0;
        s->ya[i] = (float)(s->ya[i] + t * (s->yb[i] - s->ya[i]));
    }
    if (len < n) memcpy(s->ya + len, s->yb + len, (n - len) * sizeof(float));
    s->fade_pos += len;
    if (s->fade_pos >= total) {
        s->ch = s->next;
        s->next = NULL;
        s->pa = 1u - s->pa;
    }
}

/* Input calibration and meters of one chunk: units to volts in xin. */
GS_REALTIME static void chunk_in(gs_stream *s, const float *x, uint32_t n) {
    double pk = s->peak_in, lvl = s->clip_level;
    uint64_t clips = 0;
    for (uint32_t i = 0; i < n; i++) {
        double a = fabs((double)x[i]);
        if (a > pk && isfinite(a)) pk = a;
        clips += a >= lvl;
        s->xin[i] = (float)(x[i] * s->gin[i]);
    }
    s->peak_in = pk;
    s->clips_in += clips;
}

/* Output calibration and meters of one chunk: volts in ya to units in y. */
GS_REALTIME static void chunk_out(gs_stream *s, float *y, uint32_t n) {
    double pk = s->peak_out, lvl = s->clip_level, sq = s->sum_sq;
    uint64_t clips = 0;
    for (uint32_t i = 0; i < n; i++) {
        float v = (float)(s->ya[i] * s->gout[i]);
        y[i] = v;
        double a = fabs((double)v);
        if (a > pk) pk = a;
        clips += a >= lvl;
        sq += (double)v * (double)v;
    }
    s->peak_out = pk;
    s->sum_sq = sq;
    s->clips_out += clips;
    s->frames += n;
}

/* A chunk before its channel: a fade that starts, the calibration gains, units to volts in xin,
 * the pad at the channel's latency. */
GS_REALTIME static void chunk_pre(gs_stream *s, const float *x, uint32_t n) {
    if (!s->next && s->want != s->ch) fade_start(s);
    for (uint32_t i = 0; i < n; i++) {
        s->gin[i] = gs_ramp_next(&s->in_scale);
        s->gout[i] = gs_ramp_next(&s->out_scale);
    }
    /* Non-finite samples pass through: the channel counts them and treats them as silence. */
    chunk_in(s, x, n);
    pad_sync(s, &s->pads[s->pa], s->ch);
}

/* After it (ya holds its volts): the pad, the incoming channel of a fade, the output. */
GS_REALTIME static void chunk_post(gs_stream *s, float *y, uint32_t n) {
    pad_run(&s->pads[s->pa], s->ya, n);
    if (s->next) fade_run(s, n);
    chunk_out(s, y, n);
}

GS_REALTIME gs_status gs_stream_process(gs_stream *s, const float *in, float *out, uint32_t n) {
    if (!s || !in || !out) return GS_ERR_INVALID_ARGUMENT;
    gs_status st = GS_OK;
    for (uint32_t off = 0; off < n;) {
        uint32_t len = n - off < s->block ? n - off : s->block;
        chunk_pre(s, in + off, len);
        gs_status r = gs_channel_process(s->ch, s->xin, s->ya, len);
        chunk_post(s, out + off, len);
        if (r != GS_OK) st = r;
        off += len;
    }
    return st;
}

/* Streams taken together by gs_stream_process_many: consecutive ones of one chunk size. */
#define STREAM_BATCH 16

/* A batch of m streams of one chunk size: chunk by chunk, every stream's part before its
 * channel, the channels together, every stream's part after. */
GS_REALTIME static gs_status batch_run(gs_stream *const *s, size_t m, const float *const *in,
                                       float *const *out, uint32_t n) {
    gs_status st = GS_OK;
    uint32_t block = s[0]->block;
    for (uint32_t off = 0; off < n;) {
        uint32_t len = n - off < block ? n - off : block;
        gs_channel *ch[STREAM_BATCH];
        const float *x[STREAM_BATCH];
        float *y[STREAM_BATCH];
        for (size_t k = 0; k < m; k++) {
            chunk_pre(s[k], in[k] + off, len);
            ch[k] = s[k]->ch;
            x[k] = s[k]->xin;
            y[k] = s[k]->ya;
        }
        gs_status r = gs_channel_process_many(ch, m, x, y, len);
        if (r != GS_OK) st = r;
        for (size_t k = 0; k < m; k++) chunk_post(s[k], out[k] + off, len);
        off += len;
    }
    return st;
}

/* Whether a stream is among the first m of a batch (a stream named twice runs twice, in order:
 * its second visit starts a new batch). */
GS_REALTIME static int batch_has(gs_stream *const *s, size_t m, const gs_stream *x) {
    for (size_t i = 0; i < m; i++)
        if (s[i] == x) return 1;
    return 0;
}

GS_REALTIME gs_status gs_stream_process_many(gs_stream *const *s, size_t count,
                                             const float *const *in, float *const *out,
                                             uint32_t n) {
    if (!s || !in || !out) return GS_ERR_INVALID_ARGUMENT;
    gs_status st = GS_OK;
    for (size_t k = 0; k < count;) {
        if (!s[k] || !in[k] || !out[k]) {
            st = GS_ERR_INVALID_ARGUMENT;
            k++;
            continue;
        }
        size_t m = 1;
        while (m < STREAM_BATCH && k + m < count && s[k + m] && in[k + m] && out[k + m] &&
               s[k + m]->block == s[k]->block && !batch_has(s + k, m, s[k + m]))
            m++;
        gs_status r = batch_run(s + k, m, in + k, out + k, n);
        if (r != GS_OK) st = r;
        k += m;
    }
    return st;
}

GS_REALTIME void gs_stream_read_levels(gs_stream *s, gs_stream_levels *lv) {
    if (!s || !lv) return;
    lv->peak_in = s->peak_in;
    lv->peak_out = s->peak_out;
    lv->rms_out = s->frames ? sqrt(s->sum_sq / (double)s->frames) : 0.0;
    lv->frames = s->frames;
    s->peak_in = s->peak_out = s->sum_sq = 0.0;
    s->frames = 0;
}

GS_REALTIME void gs_stream_clips(const gs_stream *s, uint64_t *in, uint64_t *out) {
    if (in) *in = s ? s->clips_in : 0;
    if (out) *out = s ? s->clips_out : 0;
}
