/* gainstage.lv2: the channel models as a mono and a stereo LV2 plugin.
 *
 * How models and presets map to ports (the trade-off, also in lv2/README.md):
 * - One plugin (per channel count) for all channel models, with a `model` enumeration port, rather
 *   than one plugin per model. A user picks a preamp in one place, a session can switch models
 *   without re-inserting a plugin, and models added to the library appear without new plugin URIs.
 *   The price: the parameter ports are the union of the models' tables (a port the active model
 *   lacks does nothing), and every model is instantiated up front (memory = sum over models).
 * - Presets are lv2:Preset resources (presets.ttl, generated from the built-in presets), not a
 *   "preset" input port: an LV2 plugin must not write its own input ports, so a preset port could
 *   pick a model but could never show the preset's values on the gain and trim controls; the
 *   host's preset menu sets `model` and every parameter port together, and stays in sync with
 *   automation and saved state.
 * - Switching `model` crossfades (linearly: the outputs of two preamps fed the same signal are
 *   correlated, so equal-gain, not equal-power) from the old instance to the new one over
 *   XFADE_SECONDS. All instances exist from instantiate(), so the switch allocates nothing; the
 *   incoming one is reset to its DC operating point and fades in once its filters have filled
 *   (after the latency).
 * - Latency: models differ (oversampling filters), and a host copes badly with latency that
 *   changes while playing. The plugin reports the largest latency of all models, constant for the
 *   instance, and delays the faster models to match; that also makes the crossfade phase-aligned.
 *
 * Real time: run() never allocates, locks or does I/O: everything is sized in instantiate(), the
 * host's block is processed in chunks of at most the block length the channels were created for.
 * Host features: none required. urid:map and options:options are optional and only used to learn
 * the host's largest block (bufsz:maxBlockLength) so chunks match it; without them chunks are
 * DEFAULT_CHUNK samples.
 */
#include "gs_lv2.h"
#include "internal.h"

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 1 only in a test build (gainstage-blocks-test.so): the model port then also offers the bare
 * circuit blocks, so the model switch can be tested while the library has one channel model. */
#ifndef GS_LV2_INCLUDE_BLOCKS
#define GS_LV2_INCLUDE_BLOCKS 0
#endif

#define DEFAULT_CHUNK 1024u
#define MAX_CHUNK 8192u
#define XFADE_SECONDS 0.020
/* Calibration changes glide linearly over this time (a level step would click). */
#define CAL_GLIDE_SECONDS 0.010
/* Peak meters: instant attack; fall of 20 dB in 1.7 s as an IEC 60268-10 type I PPM. */
#define METER_FALL_DB_PER_S (20.0 / 1.7)

typedef struct delay {
    float *buf;
    uint32_t len, pos;
} delay;

typedef struct gs_lv2 {
    gs_lv2_map map;
    unsigned nch;
    double rate;
    uint32_t chunk;
    uint32_t latency; /* reported: largest over the models */
    gs_channel *ch[GS_LV2_MAX_MODELS][2];
    delay dl[GS_LV2_MAX_MODELS][2]; /* pads a model's latency up to `latency` */
    float *xin[2], *ya[2], *yb[2];  /* chunk-sized work buffers */
    double *gin, *gout;             /* per-sample calibration gains of a chunk */

    const float *in[2];
    float *out[2];
    float *p_latency, *p_peak_in, *p_peak_out;
    const float *p_model, *p_in_dbu, *p_out_dbu;
    const float *p_param[GS_LV2_MAX_PARAMS];

    int fresh;     /* first run after activate: start at the port values, no glides */
    size_t active; /* model playing */
    int next;      /* model fading in, or -1 */
    uint32_t xf_pos, xf_len;
    float last[GS_LV2_MAX_PARAMS]; /* port values last applied */
    float last_in_dbu, last_out_dbu;
    gs_ramp in_scale, out_scale; /* volts per unit in; units per volt out */
    double peak_in_db, peak_out_db;
} gs_lv2;

static void cleanup(LV2_Handle h) {
    gs_lv2 *p = h;
    if (!p) return;
    for (size_t m = 0; m < GS_LV2_MAX_MODELS; m++)
        for (unsigned c = 0; c < 2; c++) {
            gs_channel_free(p->ch[m][c]);
            free(p->dl[m][c].buf);
        }
    for (unsigned c = 0; c < 2; c++) {
        free(p->xin[c]);
        free(p->ya[c]);
        free(p->yb[c]);
    }
    free(p->gin);
    free(p->gout);
    free(p);
}

/* The host's largest block, if it tells us through the options feature; 0 if not. */
static uint32_t host_max_block(const LV2_Feature *const *features) {
    const LV2_URID_Map *map = NULL;
    const LV2_Options_Option *opts = NULL;
    for (size_t i = 0; features && features[i]; i++) {
        if (!strcmp(features[i]->URI, LV2_URID__map)) map = features[i]->data;
        if (!strcmp(features[i]->URI, LV2_OPTIONS__options)) opts = features[i]->data;
    }
    if (!map || !opts) return 0;
    LV2_URID max_len = map->map(map->handle, LV2_BUF_SIZE__maxBlockLength);
    LV2_URID a_int = map->map(map->handle, LV2_ATOM__Int);
    for (const LV2_Options_Option *o = opts; o->key; o++)
        if (o->key == max_len && o->type == a_int && o->size == sizeof(int32_t) && o->value) {
            int32_t v = *(const int32_t *)o->value;
            return v > 0 ? (uint32_t)v : 0;
        }
    return 0;
}

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *bundle,
                              const LV2_Feature *const *features) {
    (void)bundle;
    if (!(rate >= GS_RATE_MIN && rate <= GS_RATE_MAX)) return NULL;
    gs_lv2 *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nch = strcmp(d->URI, GS_LV2_URI_STEREO) ? 1 : 2;
    p->rate = rate;
    uint32_t hb = host_max_block(features);
    p->chunk = hb ? (hb < MAX_CHUNK ? hb : MAX_CHUNK) : DEFAULT_CHUNK;
    if (gs_lv2_map_build(&p->map, GS_LV2_INCLUDE_BLOCKS) != GS_OK || p->map.n_models == 0) {
        cleanup(p);
        return NULL;
    }
    for (size_t m = 0; m < p->map.n_models; m++)
        for (unsigned c = 0; c < p->nch; c++)
            if (gs_channel_new(p->map.models[m]->name, rate, p->chunk, &p->ch[m][c]) != GS_OK) {
                cleanup(p);
                return NULL;
            }
    for (size_t m = 0; m < p->map.n_models; m++) {
        uint32_t l = gs_channel_latency_max(p->ch[m][0]);
        if (l > p->latency) p->latency = l;
    }
    /* A model's latency can change with its parameters (the tube models' quality: 8, 16 or 81 to
     * 138 samples, more than the converter's 103 at 44.1 kHz), so the constant latency is the
     * largest over those too: each pad line can hold all of it, and its length follows the
     * model's current latency (pad_sync). */
    for (size_t m = 0; m < p->map.n_models; m++) {
        uint32_t pad = p->latency - gs_channel_latency(p->ch[m][0]);
        for (unsigned c = 0; c < p->nch && p->latency; c++) {
            p->dl[m][c].len = pad;
            p->dl[m][c].buf = calloc(p->latency, sizeof(float));
            if (!p->dl[m][c].buf) {
                cleanup(p);
                return NULL;
            }
        }
    }
    for (unsigned c = 0; c < p->nch; c++) {
        p->xin[c] = calloc(p->chunk, sizeof(float));
        p->ya[c] = calloc(p->chunk, sizeof(float));
        p->yb[c] = calloc(p->chunk, sizeof(float));
        if (!p->xin[c] || !p->ya[c] || !p->yb[c]) {
            cleanup(p);
            return NULL;
        }
    }
    p->gin = calloc(p->chunk, sizeof(double));
    p->gout = calloc(p->chunk, sizeof(double));
    if (!p->gin || !p->gout) {
        cleanup(p);
        return NULL;
    }
    p->xf_len = (uint32_t)lround(XFADE_SECONDS * rate);
    p->next = -1;
    p->fresh = 1;
    return p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data) {
    gs_lv2 *p = h;
    unsigned n = p->nch;
    if (port < n) {
        p->in[port] = data;
        return;
    }
    if (port < 2 * n) {
        p->out[port - n] = data;
        return;
    }
    uint32_t k = port - gs_lv2_control_base(n);
    switch (k) {
    case GS_LV2_LATENCY: p->p_latency = data; return;
    case GS_LV2_PEAK_IN: p->p_peak_in = data; return;
    case GS_LV2_PEAK_OUT: p->p_peak_out = data; return;
    case GS_LV2_MODEL: p->p_model = data; return;
    case GS_LV2_IN_DBU: p->p_in_dbu = data; return;
    case GS_LV2_OUT_DBU: p->p_out_dbu = data; return;
    default: break;
    }
    k = port - gs_lv2_param_base(n);
    if (k < p->map.n_params) p->p_param[k] = data;
}

static void activate(LV2_Handle h) {
    gs_lv2 *p = h;
    p->fresh = 1;
}

/* A port's value, or `def` if the port is unconnected or not finite. */
GS_REALTIME static double port_value(const float *port, double def) {
    return (port && isfinite(*port)) ? (double)*port : def;
}

GS_REALTIME static size_t model_index(const gs_lv2 *p, size_t current) {
    if (!p->p_model || !isfinite(*p->p_model)) return current;
    double v = floor((double)*p->p_model + 0.5);
    if (v < 0) v = 0;
    if (v > (double)(p->map.n_models - 1)) v = (double)(p->map.n_models - 1);
    return (size_t)v;
}

/* Send changed parameter ports to every model that has the parameter (inactive models too, so a
 * model fades in with the current settings). */
GS_REALTIME static void apply_params(gs_lv2 *p, int all) {
    for (size_t i = 0; i < p->map.n_params; i++) {
        if (!p->p_param[i]) continue;
        float f = *p->p_param[i];
        if (!isfinite(f) || (!all && f == p->last[i])) continue;
        p->last[i] = f;
        for (size_t m = 0; m < p->map.n_models; m++) {
            double v;
            if (!gs_lv2_param_value(&p->map, i, m, (double)f, &v)) continue;
            for (unsigned c = 0; c < p->nch; c++)
                gs_channel_set(p->ch[m][c], (size_t)p->map.params[i].local[m], v);
        }
    }
}

GS_REALTIME static void calibration(gs_lv2 *p, int snap) {
    float in_dbu = (float)port_value(p->p_in_dbu, GS_DEFAULT_IN_DBU);
    float out_dbu = (float)port_value(p->p_out_dbu, GS_DEFAULT_OUT_DBU);
    in_dbu = fminf(fmaxf(in_dbu, -60.0f), 40.0f);
    out_dbu = fminf(fmaxf(out_dbu, -60.0f), 40.0f);
    uint32_t glide = (uint32_t)lround(CAL_GLIDE_SECONDS * p->rate);
    if (snap || in_dbu != p->last_in_dbu) {
        p->last_in_dbu = in_dbu;
        gs_ramp_to(&p->in_scale, gs_dbu_to_volts_per_unit((double)in_dbu), glide);
    }
    if (snap || out_dbu != p->last_out_dbu) {
        p->last_out_dbu = out_dbu;
        /* As `gainstage process` computes it, so the two agree to the bit. */
        gs_ramp_to(&p->out_scale, 1.0 / gs_dbu_to_volts_per_unit((double)out_dbu), glide);
    }
    if (snap) {
        gs_ramp_snap(&p->in_scale);
        gs_ramp_snap(&p->out_scale);
    }
}

GS_REALTIME static void delay_run(delay *d, float *buf, uint32_t n) {
    if (!d->len) return;
    for (uint32_t i = 0; i < n; i++) {
        float t = d->buf[d->pos];
        d->buf[d->pos] = buf[i];
        buf[i] = t;
        if (++d->pos == d->len) d->pos = 0;
    }
}

/* Keep model m's pad equal to the constant latency minus the model's current latency; when that
 * changed (a quality switch, which restarts the model anyway) the line restarts empty. */
GS_REALTIME static void pad_sync(gs_lv2 *p, size_t m) {
    uint32_t l = gs_channel_latency(p->ch[m][0]);
    uint32_t pad = l < p->latency ? p->latency - l : 0;
    for (unsigned c = 0; c < p->nch; c++) {
        delay *d = &p->dl[m][c];
        if (d->len == pad || !d->buf) continue;
        d->len = pad;
        d->pos = 0;
        memset(d->buf, 0, p->latency * sizeof(float));
    }
}

GS_REALTIME static void model_restart(gs_lv2 *p, size_t m) {
    for (unsigned c = 0; c < p->nch; c++) {
        gs_channel_reset(p->ch[m][c]);
        if (p->dl[m][c].len) memset(p->dl[m][c].buf, 0, p->dl[m][c].len * sizeof(float));
        p->dl[m][c].pos = 0;
    }
}

GS_REALTIME static double meter(double held_db, double peak, uint32_t n, double rate) {
    double fall = held_db - METER_FALL_DB_PER_S * (double)n / rate;
    double db = peak > 0 ? 20.0 * log10(peak) : GS_LV2_METER_FLOOR_DB;
    double v = db > fall ? db : fall;
    return v < GS_LV2_METER_FLOOR_DB ? GS_LV2_METER_FLOOR_DB : (v > 40.0 ? 40.0 : v);
}

GS_REALTIME static void run(LV2_Handle h, uint32_t frames) {
    gs_lv2 *p = h;
    unsigned nch = p->nch;
    for (unsigned c = 0; c < nch; c++)
        if (!p->in[c] || !p->out[c]) return;
    if (p->fresh) {
        /* Start exactly at the port values, at the DC operating point: no glide from defaults. */
        apply_params(p, 1);
        p->active = model_index(p, 0);
        p->next = -1;
        for (size_t m = 0; m < p->map.n_models; m++) model_restart(p, m);
        calibration(p, 1);
        p->peak_in_db = p->peak_out_db = GS_LV2_METER_FLOOR_DB;
        p->fresh = 0;
    } else {
        apply_params(p, 0);
        calibration(p, 0);
    }
    size_t want = model_index(p, p->active);
    double pk_in = 0.0, pk_out = 0.0;

    for (uint32_t off = 0; off < frames;) {
        uint32_t n = frames - off < p->chunk ? frames - off : p->chunk;
        if (p->next < 0 && want != p->active) {
            p->next = (int)want;
            p->xf_pos = 0;
            model_restart(p, want);
        }
        for (uint32_t i = 0; i < n; i++) {
            p->gin[i] = gs_ramp_next(&p->in_scale);
            p->gout[i] = gs_ramp_next(&p->out_scale);
        }
        for (unsigned c = 0; c < nch; c++) {
            const float *x = p->in[c] + off;
            for (uint32_t i = 0; i < n; i++) {
                double a = fabs((double)x[i]);
                if (a > pk_in && isfinite(a)) pk_in = a;
                /* Non-finite samples pass through: the channel counts them and treats them as
                 * silence. */
                p->xin[c][i] = (float)(x[i] * p->gin[i]);
            }
        }
        pad_sync(p, (size_t)p->active);
        for (unsigned c = 0; c < nch; c++) {
            gs_channel_process(p->ch[p->active][c], p->xin[c], p->ya[c], n);
            delay_run(&p->dl[p->active][c], p->ya[c], n);
        }
        if (p->next >= 0) {
            /* The incoming instance starts from rest: its first `latency` output samples are
             * the filters filling up, and then the onset of the signal arrives at once. The fade
             * therefore waits `latency` samples and then ramps over xf_len, so that onset enters
             * at weight 1/xf_len rather than as a step. */
            size_t nx = (size_t)p->next;
            pad_sync(p, nx);
            uint32_t total = p->latency + p->xf_len;
            uint32_t len = total - p->xf_pos < n ? total - p->xf_pos : n;
            for (unsigned c = 0; c < nch; c++) {
                gs_channel_process(p->ch[nx][c], p->xin[c], p->yb[c], n);
                delay_run(&p->dl[nx][c], p->yb[c], n);
                for (uint32_t i = 0; i < len; i++) {
                    double k = (double)(p->xf_pos + i + 1) - (double)p->latency;
                    double t = k > 0 ? k / (double)p->xf_len : 0.0;
                    p->ya[c][i] = (float)(p->ya[c][i] + t * (p->yb[c][i] - p->ya[c][i]));
                }
                if (len < n) memcpy(p->ya[c] + len, p->yb[c] + len, (n - len) * sizeof(float));
            }
            p->xf_pos += len;
            if (p->xf_pos >= total) {
                p->active = nx;
                p->next = -1;
            }
        }
        for (unsigned c = 0; c < nch; c++) {
            float *y = p->out[c] + off;
            for (uint32_t i = 0; i < n; i++) {
                y[i] = (float)(p->ya[c][i] * p->gout[i]);
                double a = fabs((double)y[i]);
                if (a > pk_out) pk_out = a;
            }
        }
        off += n;
    }
    p->peak_in_db = meter(p->peak_in_db, pk_in, frames, p->rate);
    p->peak_out_db = meter(p->peak_out_db, pk_out, frames, p->rate);
    if (p->p_latency) *p->p_latency = (float)p->latency;
    if (p->p_peak_in) *p->p_peak_in = (float)p->peak_in_db;
    if (p->p_peak_out) *p->p_peak_out = (float)p->peak_out_db;
}

static const void *extension_data(const char *uri) {
    (void)uri;
    return NULL;
}

static const LV2_Descriptor descriptors[] = {
    {GS_LV2_URI_MONO, instantiate, connect_port, activate, run, NULL, cleanup, extension_data},
    {GS_LV2_URI_STEREO, instantiate, connect_port, activate, run, NULL, cleanup, extension_data},
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) {
    return index < 2 ? &descriptors[index] : NULL;
}
