/* gainstage.lv2: each channel model as its own mono and stereo LV2 plugin, plus the channel strip
 * (mono, stereo) where the model is switchable.
 *
 * How models and presets map to ports (the trade-off, also in lv2/README.md):
 * - One plugin per model (GS_LV2_URI_BASE "<model>", "<model>-stereo") shows only that model's
 *   controls, with the command line's symbols; the list is the library's registry, so a model
 *   added later gets its plugins with no line here.
 * - The strip (the first version's URIs "mono" and "stereo", kept so saved sessions load) has a
 *   `model` enumeration port: a session can switch models without re-inserting a plugin. The
 *   price: its parameter ports are the union of the models' tables (a port the active model
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
 * The calibrated path itself (calibration glides, chunking, the padding delay, the crossfade and
 * the peak meters) is the library's gs_stream, one per audio channel, the same code `gainstage
 * process` and `live` run; this file maps ports to it and keeps the meters' display ballistics.
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

static LV2_Descriptor descriptors[GS_LV2_MAX_PLUGINS];
static char uris[GS_LV2_MAX_PLUGINS][GS_LV2_MAX_URI];

typedef struct gs_lv2 {
    gs_lv2_map map;
    unsigned nch;
    double rate;
    uint32_t chunk;
    uint32_t latency; /* reported: largest over the models */
    gs_channel *ch[GS_LV2_MAX_MODELS][2];
    gs_stream *st[2]; /* per audio channel: calibration, padding to `latency`, crossfade */
    float *xin[2];    /* a chunk of each input, read before any output is written */

    const float *in[2];
    float *out[2];
    float *p_latency, *p_peak_in, *p_peak_out;
    const float *p_model, *p_in_dbu, *p_out_dbu;
    const float *p_param[GS_LV2_MAX_PARAMS];

    int fresh;    /* first run after activate: start at the port values, no glides */
    size_t model; /* model asked for last */
    float last[GS_LV2_MAX_PARAMS]; /* port values last applied */
    float last_in_dbu, last_out_dbu;
    double peak_in_db, peak_out_db;
} gs_lv2;

static void cleanup(LV2_Handle h) {
    gs_lv2 *p = h;
    if (!p) return;
    for (unsigned c = 0; c < 2; c++) {
        gs_stream_free(p->st[c]);
        free(p->xin[c]);
    }
    for (size_t m = 0; m < GS_LV2_MAX_MODELS; m++)
        for (unsigned c = 0; c < 2; c++) gs_channel_free(p->ch[m][c]);
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
    /* Which plugin: the descriptor table is the port map's plugin list (gs_lv2_plugin_at). */
    const gs_model_info *model = NULL;
    size_t index = (size_t)(d - descriptors);
    char uri[GS_LV2_MAX_URI];
    if (index >= gs_lv2_plugin_count() ||
        !gs_lv2_plugin_at(index, uri, sizeof uri, &model, &p->nch)) {
        cleanup(p);
        return NULL;
    }
    p->rate = rate;
    uint32_t hb = host_max_block(features);
    p->chunk = hb ? (hb < MAX_CHUNK ? hb : MAX_CHUNK) : DEFAULT_CHUNK;
    gs_status ms = model ? gs_lv2_map_build_one(&p->map, model)
                         : gs_lv2_map_build(&p->map, GS_LV2_INCLUDE_BLOCKS);
    if (ms != GS_OK || p->map.n_models == 0) {
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
     * largest over those too; the stream's padding follows the model's current latency. */
    for (unsigned c = 0; c < p->nch; c++) {
        p->xin[c] = calloc(p->chunk, sizeof(float));
        if (!p->xin[c] || gs_stream_new(p->ch[0][c], p->latency, &p->st[c]) != GS_OK) {
            cleanup(p);
            return NULL;
        }
    }
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
    switch (gs_lv2_fixed_at(&p->map, k)) {
    case GS_LV2_LATENCY: p->p_latency = data; return;
    case GS_LV2_PEAK_IN: p->p_peak_in = data; return;
    case GS_LV2_PEAK_OUT: p->p_peak_out = data; return;
    case GS_LV2_MODEL: p->p_model = data; return;
    case GS_LV2_IN_DBU: p->p_in_dbu = data; return;
    case GS_LV2_OUT_DBU: p->p_out_dbu = data; return;
    default: break;
    }
    k = port - gs_lv2_map_param_base(&p->map, n);
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
    double glide = snap ? 0.0 : CAL_GLIDE_SECONDS;
    for (unsigned c = 0; c < p->nch; c++) {
        if (snap || in_dbu != p->last_in_dbu) gs_stream_set_in_dbu(p->st[c], (double)in_dbu, glide);
        if (snap || out_dbu != p->last_out_dbu)
            gs_stream_set_out_dbu(p->st[c], (double)out_dbu, glide);
    }
    p->last_in_dbu = in_dbu;
    p->last_out_dbu = out_dbu;
}

GS_REALTIME static double meter(double held_db, double peak, uint32_t n, double rate) {
    double fall = held_db - METER_FALL_DB_PER_S * (double)n / rate;
    double db = peak > 0 ? 20.0 * log10(peak) : GS_LV2_METER_FLOOR_DB;
    double v = db > fall ? db : fall;
    return v < GS_LV2_METER_FLOOR_DB ? GS_LV2_METER_FLOOR_DB : (v > 40.0 ? 40.0 : v);
}

/* Start exactly at the port values, at the DC operating point: no glide from defaults. */
GS_REALTIME static void start_fresh(gs_lv2 *p) {
    apply_params(p, 1);
    p->model = model_index(p, 0);
    for (unsigned c = 0; c < p->nch; c++) {
        gs_stream_switch(p->st[c], p->ch[p->model][c], 0.0);
        gs_stream_reset(p->st[c]);
    }
    calibration(p, 1);
    p->peak_in_db = p->peak_out_db = GS_LV2_METER_FLOOR_DB;
    p->fresh = 0;
}

GS_REALTIME static void run(LV2_Handle h, uint32_t frames) {
    gs_lv2 *p = h;
    unsigned nch = p->nch;
    for (unsigned c = 0; c < nch; c++)
        if (!p->in[c] || !p->out[c]) return;
    if (p->fresh) {
        start_fresh(p);
    } else {
        apply_params(p, 0);
        calibration(p, 0);
    }
    p->model = model_index(p, p->model);
    for (unsigned c = 0; c < nch; c++)
        gs_stream_switch(p->st[c], p->ch[p->model][c], XFADE_SECONDS);
    /* Chunk by chunk, every input is read before any output is written: a host may connect an
     * output to another channel's input buffer. */
    for (uint32_t off = 0; off < frames;) {
        uint32_t n = frames - off < p->chunk ? frames - off : p->chunk;
        for (unsigned c = 0; c < nch; c++) memcpy(p->xin[c], p->in[c] + off, n * sizeof(float));
        for (unsigned c = 0; c < nch; c++)
            gs_stream_process(p->st[c], p->xin[c], p->out[c] + off, n);
        off += n;
    }
    double pk_in = 0.0, pk_out = 0.0;
    for (unsigned c = 0; c < nch; c++) {
        gs_stream_levels lv;
        gs_stream_read_levels(p->st[c], &lv);
        pk_in = fmax(pk_in, lv.peak_in);
        pk_out = fmax(pk_out, lv.peak_out);
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

/* Filled from the port map's plugin list on every lv2_descriptor() call (the same values each
 * time, so a concurrent call writes what is already there). */
LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) {
    if (index >= gs_lv2_plugin_count() || index >= GS_LV2_MAX_PLUGINS) return NULL;
    const gs_model_info *model;
    unsigned nch;
    if (!gs_lv2_plugin_at(index, uris[index], sizeof uris[index], &model, &nch)) return NULL;
    LV2_Descriptor *d = &descriptors[index];
    d->URI = uris[index];
    d->instantiate = instantiate;
    d->connect_port = connect_port;
    d->activate = activate;
    d->run = run;
    d->deactivate = NULL;
    d->cleanup = cleanup;
    d->extension_data = extension_data;
    return d;
}
