/* The LV2 port map (see gs_lv2.h): the union of the channel models' parameter tables. */
#include "gs_lv2.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static gs_lv2_param *find(gs_lv2_map *map, const char *symbol) {
    for (size_t i = 0; i < map->n_params; i++)
        if (!strcmp(map->params[i].symbol, symbol)) return &map->params[i];
    return NULL;
}

/* Two table entries share one port only if every port value means the same thing and is valid
 * in both: same unit, kind, curve, choices and range. (A shared "rail" of 5-24 V for an op-amp
 * channel and 100-400 V for a tube channel would hand one model values it must clamp.) The
 * defaults may differ: the port shows the first model's, presets set each model's own. */
static int compatible(const gs_param_info *a, const gs_param_info *b) {
    return a->unit == b->unit && a->kind == b->kind && a->curve == b->curve && a->min == b->min &&
           a->max == b->max && (a->kind != GS_PARAM_CHOICE || a->choices == b->choices);
}

static gs_status add(gs_lv2_map *map, size_t m, size_t k, const char *symbol) {
    const gs_param_info *p = &map->models[m]->params[k];
    gs_lv2_param *q = find(map, symbol);
    if (q && q->local[m] < 0 && compatible(q->info, p)) {
        q->local[m] = (int)k;
        return GS_OK;
    }
    if (q) return GS_ERR_UNKNOWN_PARAMETER; /* taken: the caller tries a qualified symbol */
    if (map->n_params == GS_LV2_MAX_PARAMS) return GS_ERR_INVALID_ARGUMENT;
    q = &map->params[map->n_params++];
    memset(q, 0, sizeof *q);
    snprintf(q->symbol, sizeof q->symbol, "%s", symbol);
    q->info = p;
    q->min = p->min;
    q->max = p->max;
    q->def = p->def;
    for (size_t i = 0; i < GS_LV2_MAX_MODELS; i++) q->local[i] = -1;
    q->local[m] = (int)k;
    return GS_OK;
}

const char *gs_lv2_port_unit(gs_unit unit, double min, double max, double *scale) {
    *scale = 1.0;
    switch (unit) {
    case GS_UNIT_FARAD: /* the prefix that puts the largest value at 1..1000 or so */
        if (max <= 1e-9) return *scale = 1e-12, "pF";
        if (max <= 1e-6) return *scale = 1e-9, "nF";
        return *scale = 1e-6, "uF";
    case GS_UNIT_OHM:
        if (min >= 1e5) return *scale = 1e6, "MOhm";
        if (max >= 1e4) return *scale = 1e3, "kOhm";
        return "Ohm";
    case GS_UNIT_HENRY: return max <= 1e-1 ? (*scale = 1e-3, "mH") : "H";
    case GS_UNIT_SECOND: return max <= 2.0 ? (*scale = 1e-3, "ms") : "s";
    case GS_UNIT_ENUM: return "";
    default: return gs_unit_symbol(unit);
    }
}

/* Port units, the float-exact integer cap and unique names, once all models are in. */
static void finish(gs_lv2_map *map) {
    for (size_t i = 0; i < map->n_params; i++) {
        gs_lv2_param *q = &map->params[i];
        q->unit = gs_lv2_port_unit(q->info->unit, q->min, q->max, &q->scale);
        q->min /= q->scale;
        q->max /= q->scale;
        q->def /= q->scale;
        if (q->info->unit == GS_UNIT_NONE && q->max > GS_LV2_FLOAT_INT_MAX &&
            q->min == floor(q->min))
            q->max = GS_LV2_FLOAT_INT_MAX;
        snprintf(q->name, sizeof q->name, "%s", q->info->name);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(map->params[j].name, q->name)) continue;
            /* The same name for another meaning ("Input gain" of two models): say whose. */
            for (size_t m = 0; m < map->n_models; m++)
                if (q->local[m] >= 0) {
                    snprintf(q->name, sizeof q->name, "%s (%s)", q->info->name,
                             map->models[m]->name);
                    break;
                }
            break;
        }
    }
}

int gs_lv2_fixed_at(const gs_lv2_map *map, unsigned k) {
    if (!map->strip && k >= GS_LV2_MODEL) k++;
    return k < GS_LV2_FIXED_CONTROLS ? (int)k : -1;
}

unsigned gs_lv2_fixed_count(const gs_lv2_map *map) {
    return map->strip ? GS_LV2_FIXED_CONTROLS : GS_LV2_FIXED_CONTROLS - 1u;
}

static gs_status add_models(gs_lv2_map *map);

gs_status gs_lv2_map_build_one(gs_lv2_map *map, const gs_model_info *model) {
    if (!map || !model) return GS_ERR_INVALID_ARGUMENT;
    memset(map, 0, sizeof *map);
    map->models[map->n_models++] = model;
    return add_models(map);
}

gs_status gs_lv2_map_build(gs_lv2_map *map, int include_blocks) {
    if (!map) return GS_ERR_INVALID_ARGUMENT;
    memset(map, 0, sizeof *map);
    map->strip = 1;
    for (size_t i = 0; i < gs_model_count(); i++) {
        const gs_model_info *mi = gs_model_at(i);
        if (mi->is_block && !include_blocks) continue;
        if (map->n_models == GS_LV2_MAX_MODELS) return GS_ERR_INVALID_ARGUMENT;
        map->models[map->n_models++] = mi;
    }
    return add_models(map);
}

size_t gs_lv2_plugin_count(void) {
    size_t n = 2;
    for (size_t i = 0; i < gs_model_count(); i++)
        if (!gs_model_at(i)->is_block) n += 2;
    return n;
}

int gs_lv2_plugin_at(size_t index, char *uri, size_t uri_size, const gs_model_info **model,
                     unsigned *channels) {
    *channels = 1u + (unsigned)(index % 2);
    *model = NULL;
    if (index < 2) {
        snprintf(uri, uri_size, "%s", index ? GS_LV2_URI_STEREO : GS_LV2_URI_MONO);
        return 1;
    }
    size_t want = index / 2 - 1, k = 0;
    for (size_t i = 0; i < gs_model_count(); i++) {
        const gs_model_info *mi = gs_model_at(i);
        if (mi->is_block || k++ != want) continue;
        *model = mi;
        int len =
            snprintf(uri, uri_size, GS_LV2_URI_BASE "%s%s", mi->name, index % 2 ? "-stereo" : "");
        return len > 0 && (size_t)len < uri_size;
    }
    return 0;
}

static gs_status add_models(gs_lv2_map *map) {
    for (size_t m = 0; m < map->n_models; m++) {
        const gs_model_info *mi = map->models[m];
        for (size_t k = 0; k < mi->n_params; k++) {
            const char *sym = mi->params[k].symbol;
            if (strlen(sym) >= GS_LV2_MAX_SYMBOL) return GS_ERR_INVALID_ARGUMENT;
            gs_status st = add(map, m, k, sym);
            if (st == GS_ERR_UNKNOWN_PARAMETER) {
                /* The symbol means something else in an earlier model: qualify it. */
                char q[GS_LV2_MAX_SYMBOL];
                int len = snprintf(q, sizeof q, "%s_%s", mi->name, sym);
                if (len < 0 || (size_t)len >= sizeof q) return GS_ERR_INVALID_ARGUMENT;
                for (char *c = q; *c; c++)
                    if (*c == '-') *c = '_';
                st = add(map, m, k, q);
            }
            if (st != GS_OK) return GS_ERR_INVALID_ARGUMENT;
        }
    }
    finish(map);
    return GS_OK;
}

/* A port value as the library value the command line parses from the same number written as
 * `gainstage params` prints it: plain decimals for dB, % and unitless values, an engineering
 * prefix for physical units ("750p", "470k", "630m": mantissa times the prefix's power of ten,
 * gs_parse_value). A float holds about 7 significant digits, so the mantissa is rounded to 7;
 * N / 10^d of two exact integers is rounded as strtod rounds the decimal. So a preset's "250p",
 * shown as 0.25 nF, or a gain of 45.3 dB, reaches the model as the same double as from
 * `process`, and the plugin's output is the command line's bit for bit. */
static double as_parsed(double v, int prefixed) {
    static const double mult[] = {1e-15, 1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9, 1e12};
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double a = fabs(v);
    if (!(a >= 1e-15 && a < 1e15)) return v;
    int k = 5;
    if (prefixed) {
        k = (int)floor(log10(a) / 3.0) + 5;
        k = k < 0 ? 0 : (k > 9 ? 9 : k);
    }
    double m = k == 5 ? a : a / mult[k];
    int d = 6 - (int)floor(log10(m));
    if (d < 0 || d > 22) return v; /* 7 digits or more before the point: a float's integer */
    double r = floor(m * p10[d] + 0.5) / p10[d];
    if (k != 5) r *= mult[k];
    return v < 0 ? -r : r;
}

int gs_lv2_param_value(const gs_lv2_map *map, size_t param, size_t model, double v, double *out) {
    if (param >= map->n_params || model >= map->n_models || !isfinite(v)) return 0;
    int k = map->params[param].local[model];
    if (k < 0) return 0;
    const gs_param_info *p = &map->models[model]->params[k];
    if (p->kind == GS_PARAM_REAL)
        v = as_parsed(v * map->params[param].scale, p->unit != GS_UNIT_DB &&
                                                        p->unit != GS_UNIT_PERCENT &&
                                                        p->unit != GS_UNIT_NONE);
    if (p->kind != GS_PARAM_REAL) v = floor(v + 0.5);
    if (v < p->min) v = p->min;
    if (v > p->max) v = p->max;
    *out = v;
    return 1;
}
