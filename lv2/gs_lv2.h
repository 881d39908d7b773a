/* The LV2 front end's port map: which port is which, derived from the library's model registry
 * and parameter tables at run time. The .ttl generator (ttlgen.c), the plugin (plugin.c) and the
 * tests all build the map with the same function from the same (statically linked) library, so
 * the ports described in the .ttl and the ports the binary reads can never disagree.
 *
 * Port layout (indices), mono plugin:
 *   0 in, 1 out
 * stereo plugin:
 *   0 in_l, 1 in_r, 2 out_l, 3 out_r
 * then, for both, the fixed control ports from GS_LV2_FIXED_CONTROLS (latency, meters, model,
 * calibration; a model's own plugin has no `model` port, see gs_lv2_fixed_at), then one input
 * control port per parameter: in a model's plugin its table, in the strip the union of the
 * channel models' tables (gs_lv2_map.params), in registry order: models appended to the registry
 * later append their new ports at the end, so saved sessions of older versions keep their indices.
 */
#ifndef GS_LV2_H
#define GS_LV2_H

#include "gainstage/gainstage.h"

#include <stddef.h>

#define GS_LV2_URI_BASE "http://gainstage.invalid/lv2/"
#define GS_LV2_URI_MONO GS_LV2_URI_BASE "mono"
#define GS_LV2_URI_STEREO GS_LV2_URI_BASE "stereo"
#define GS_LV2_URI_PRESET GS_LV2_URI_BASE "preset/"

#define GS_LV2_MAX_MODELS 32
#define GS_LV2_MAX_PARAMS 256
#define GS_LV2_MAX_SYMBOL 64
#define GS_LV2_MAX_NAME 96
#define GS_LV2_MAX_PLUGINS 64
#define GS_LV2_MAX_URI 128
/* Largest integer a float port holds exactly (2^24): the cap of integer-valued ranges (the noise
 * seed's 0..4294967295 would otherwise be rounded and shown as -1 by some hosts). */
#define GS_LV2_FLOAT_INT_MAX 16777216.0

/* Meter ports (dBFS) rest at this floor for silence. */
#define GS_LV2_METER_FLOOR_DB -120.0

/* Fixed control ports, after the audio ports. */
enum {
    GS_LV2_LATENCY = 0, /* out: samples, constant for an instance (see plugin.c) */
    GS_LV2_PEAK_IN,     /* out: dBFS, peak of the input over all channels */
    GS_LV2_PEAK_OUT,    /* out: dBFS, peak of the output over all channels */
    GS_LV2_MODEL,       /* in: index into gs_lv2_map.models */
    GS_LV2_IN_DBU,      /* in: dBu RMS of a full-scale input sine */
    GS_LV2_OUT_DBU,     /* in: dBu RMS of a full-scale output sine */
    GS_LV2_FIXED_CONTROLS
};

/* One parameter port: the parameters of the same symbol, unit, kind, curve and range over the
 * channel models. */
typedef struct gs_lv2_param {
    char symbol[GS_LV2_MAX_SYMBOL]; /* LV2 port symbol */
    char name[GS_LV2_MAX_NAME];     /* port name, unique within the plugin */
    const gs_param_info *info;      /* the first model's table entry (name, unit, curve, doc) */
    double min, max, def;           /* the shared range; default of the first model (port units) */
    double scale;                   /* library value = port value * scale (1e-9 for nF) */
    const char *unit;               /* port unit symbol ("nF", "kOhm", "ms"), "" for none */
    int local[GS_LV2_MAX_MODELS];   /* index in model m's table, or -1 if m lacks it */
} gs_lv2_param;

typedef struct gs_lv2_map {
    int strip; /* 1: the switchable channel strip (a `model` port); 0: one model's own plugin */
    size_t n_models;
    const gs_model_info *models[GS_LV2_MAX_MODELS];
    size_t n_params;
    gs_lv2_param params[GS_LV2_MAX_PARAMS];
} gs_lv2_map;

/* Build the map over every channel model of the registry (is_block == 0), or, with
 * include_blocks, over every model (tests use that to exercise model switching between more
 * models than the channel models available). A parameter whose symbol is already taken with a
 * different unit, kind, curve or range gets the port symbol "<model>_<symbol>" (model name with
 * '-' as '_').
 * Returns GS_OK, or GS_ERR_INVALID_ARGUMENT if a table exceeds the fixed limits above. */
gs_status gs_lv2_map_build(gs_lv2_map *map, int include_blocks);
/* Build the map of one model's own plugin: its parameters only, with the command line's
 * symbols, and no `model` port. GS_ERR_INVALID_ARGUMENT as above. */
gs_status gs_lv2_map_build_one(gs_lv2_map *map, const gs_model_info *model);

/* Port unit of a library unit over a range: the SI prefix a person reads (pF/nF/uF, kOhm/MOhm,
 * ms); *scale receives the factor library value = port value * scale. */
const char *gs_lv2_port_unit(gs_unit unit, double min, double max, double *scale);

/* The plugins of the bundle: index 0 and 1 the strip (mono, stereo: the URIs of the first
 * version, kept so saved sessions load), then each channel model of the registry in registry
 * order, mono then stereo, as GS_LV2_URI_BASE "<model>" and "<model>-stereo". Returns the number
 * of plugins; *model is NULL for the strip, *channels 1 or 2. */
size_t gs_lv2_plugin_count(void);
int gs_lv2_plugin_at(size_t index, char *uri, size_t uri_size, const gs_model_info **model,
                     unsigned *channels);

/* The fixed control at control slot k (0-based after the audio ports) of a map's plugin: one of
 * the enum above, or -1 past the fixed controls. Model plugins have no GS_LV2_MODEL port. */
int gs_lv2_fixed_at(const gs_lv2_map *map, unsigned k);
unsigned gs_lv2_fixed_count(const gs_lv2_map *map);

/* Number of audio ports of a plugin with `channels` channels (1 or 2), and the index of the first
 * fixed control port and of the first parameter port. */
static inline unsigned gs_lv2_audio_ports(unsigned channels) { return 2u * channels; }
static inline unsigned gs_lv2_control_base(unsigned channels) { return 2u * channels; }
static inline unsigned gs_lv2_param_base(unsigned channels) {
    return 2u * channels + GS_LV2_FIXED_CONTROLS;
}

/* Index of the first parameter port of a map's plugin. */
static inline unsigned gs_lv2_map_param_base(const gs_lv2_map *map, unsigned channels) {
    return 2u * channels + gs_lv2_fixed_count(map);
}

/* The value a model receives for a port value v: non-finite values are refused (returns 0),
 * values are scaled to the library's unit and clamped to the model's own range, and toggles and
 * choices are rounded. Returns 1 and the value in *out when model m has the parameter. */
int gs_lv2_param_value(const gs_lv2_map *map, size_t param, size_t model, double v, double *out);

#endif
