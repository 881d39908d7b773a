/* Presets: a model and parameter values, in one text format for built-ins and files. */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GS_PRESET_MAX_VALUES 64
#define GS_PRESET_MAX_TEXT 128

struct gs_preset {
    char name[GS_PRESET_MAX_TEXT];
    char model[GS_PRESET_MAX_TEXT];
    char description[256];
    size_t n;
    char symbol[GS_PRESET_MAX_VALUES][64];
    double value[GS_PRESET_MAX_VALUES];
};

/* Built-in presets, in the preset file format, so one parser serves both. */
static const struct {
    const char *name;
    const char *text;
} builtin_text[] = {
    {"clean", "model = ss-preamp\n"
              "description = Transparent solid-state mic preamp: 0-70 dB, flat 20 Hz-20 kHz, "
              "clips hard at the rails\n"
              "gain = 30dB\n"},
    {"digital", "model = digital-preamp\n"
                "description = Digital preamp: clean digital gain (-20 to +60 dB), then a 24-bit "
                "converter (0 dBFS = +18 dBu, TPDF dither, linear-phase anti-alias filter)\n"
                "gain = 30dB\n"
                "bits = 24\n"},
    /* Front-end channels (issue 4): a source into the input impedance an interface gives it. */
    {"mic-dynamic", "model = frontend\n"
                    "description = Dynamic mic (SM58-like: 300 Ohm coil, 2 mH) into a 3 kOhm mic "
                    "input; gain 0-70 dB (35 dB set)\n"
                    "source = dynamic\nzin = 3k\ncable = 500p\ngain = 35dB\n"},
    {"mic-ribbon", "model = frontend\n"
                   "description = Ribbon mic (R-121-like: 0.2 Ohm ribbon, 1:37 transformer, 300 "
                   "Ohm out) into a 10 kOhm input; gain 0-70 dB (35 dB set)\n"
                   "source = ribbon\nzin = 10k\ncable = 500p\ngain = 35dB\n"},
    {"guitar-hi-z", "model = frontend\n"
                    "description = Passive single-coil guitar (6 kOhm, 2.5 H, 250k pots, 5 m "
                    "cable 500 pF) into a 1 MOhm Hi-Z input; gain 0-70 dB (20 dB set)\n"
                    "source = pickup\nzin = 1M\ncin = 100p\ncable = 500p\ngain = 20dB\n"},
    {"piezo", "model = frontend\n"
              "description = Piezo pickup (1 nF) into a 10 MOhm input, lows kept (corner 10 Hz); "
              "gain 0-70 dB (20 dB set)\n"
              "source = piezo\nzin = 10M\ncin = 100p\ncable = 500p\ngain = 20dB\n"},
    {"phono", "model = frontend\n"
              "description = Moving-magnet cartridge (1.3 kOhm, 630 mH) into 47 kOhm and 250 pF, "
              "RIAA de-emphasis; gain 0-70 dB (40 dB set)\n"
              "source = mm\nzin = 47k\ncin = 100p\ncable = 150p\nriaa = on\ngain = 40dB\n"},
    {"line", "model = frontend\n"
             "description = Line source (100 Ohm) into a 10 kOhm line input; gain 0-70 dB "
             "(0 dB set)\n"
             "source = line\nzin = 10k\ngain = 0dB\n"},
    {"tube", "model = tube-preamp\n"
             "description = Two 12AX7 stages, warm and clean at normal levels: mostly 2nd "
             "harmonic, soft compression when pushed\n"
             "gain = 0dB\n"
             "drive = -18dB\n"
             "level = -24dB\n"},
    {"tube-hot", "model = tube-preamp\n"
                 "description = Two 12AX7 stages driven hard: grid-current clipping, supply sag, "
                 "thick saturation\n"
                 "gain = 12dB\n"
                 "drive = -3dB\n"
                 "level = -40dB\n"
                 "ripple = 3\n"},
};

static gs_preset builtin[GS_ARRAY_LEN(builtin_text)];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void set_err(char *err, size_t size, const char *fmt, ...) {
    if (!err || size == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static gs_status parse_into(gs_preset *p, const char *text, const char *name, char *err,
                            size_t err_size) {
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    gs_kv_reader rd;
    gs_kv kv;
    gs_kv_init(&rd, text);
    int got;
    while ((got = gs_kv_next(&rd, &kv, err, err_size)) == 1) {
        size_t lineno = kv.line;
        const char *key = kv.key, *val = kv.value;
        if (!strcmp(key, "model")) {
            /* Values already read were checked against the first model's table. */
            if (p->model[0]) {
                set_err(err, err_size, "line %zu: a second 'model =' line", lineno);
                return GS_ERR_PRESET_SYNTAX;
            }
            const gs_model_vt *vt = gs_model_vt_find(val);
            if (!vt) {
                const char *near = gs_model_suggest(val);
                set_err(err, err_size, "line %zu: unknown model '%s'%s%s%s", lineno, val,
                        near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
                return GS_ERR_UNKNOWN_MODEL;
            }
            /* The model's own spelling, whatever the case written. */
            snprintf(p->model, sizeof p->model, "%.127s", vt->info.name);
            continue;
        }
        if (!strcmp(key, "description")) {
            snprintf(p->description, sizeof p->description, "%.255s", val);
            continue;
        }
        if (!p->model[0]) {
            set_err(err, err_size, "line %zu: 'model = NAME' must come before parameters", lineno);
            return GS_ERR_PRESET_SYNTAX;
        }
        const gs_model_info *mi = gs_model_find(p->model);
        const gs_param_info *pi = NULL;
        for (size_t i = 0; i < mi->n_params; i++)
            if (!strcmp(mi->params[i].symbol, key)) pi = &mi->params[i];
        if (!pi) {
            const char *near = gs_param_suggest(mi, key);
            set_err(err, err_size, "line %zu: model %s has no parameter '%s'%s%s%s", lineno,
                    p->model, key, near ? "; did you mean '" : "", near ? near : "",
                    near ? "'?" : "");
            return GS_ERR_UNKNOWN_PARAMETER;
        }
        double v;
        if (gs_param_parse(pi, val, &v) != GS_OK) {
            char why[200];
            gs_param_explain(pi, val, why, sizeof why);
            set_err(err, err_size, "line %zu: %s: %s", lineno, key, why);
            return GS_ERR_PARSE;
        }
        if (v < pi->min || v > pi->max) {
            char lo[48], hi[48];
            gs_format_value(pi->min, pi->unit, pi->choices, lo, sizeof lo);
            gs_format_value(pi->max, pi->unit, pi->choices, hi, sizeof hi);
            set_err(err, err_size, "line %zu: %s = %s is out of range (%s to %s)", lineno, key, val,
                    lo, hi);
            return GS_ERR_OUT_OF_RANGE;
        }
        size_t slot = p->n;
        for (size_t i = 0; i < p->n; i++)
            if (!strcmp(p->symbol[i], key)) slot = i; /* a later line wins */
        if (slot == p->n) {
            if (p->n == GS_PRESET_MAX_VALUES) {
                set_err(err, err_size, "line %zu: too many values", lineno);
                return GS_ERR_PRESET_SYNTAX;
            }
            p->n++;
        }
        snprintf(p->symbol[slot], sizeof p->symbol[slot], "%.63s", key);
        p->value[slot] = v;
    }
    if (got < 0) return GS_ERR_PRESET_SYNTAX;
    if (!p->model[0]) {
        set_err(err, err_size, "no 'model = NAME' line");
        return GS_ERR_PRESET_SYNTAX;
    }
    return GS_OK;
}

/* Built-ins are parsed once, thread-safely; their texts are part of the library and covered by
 * tests, so a failure here is a bug, caught by test_presets. */
static void parse_builtin(void) {
    for (size_t i = 0; i < GS_ARRAY_LEN(builtin_text); i++)
        parse_into(&builtin[i], builtin_text[i].text, builtin_text[i].name, NULL, 0);
}
static void ensure_builtin(void) { pthread_once(&builtin_once, parse_builtin); }

size_t gs_preset_count(void) { return GS_ARRAY_LEN(builtin_text); }

const gs_preset *gs_preset_at(size_t index) {
    if (index >= GS_ARRAY_LEN(builtin_text)) return NULL;
    ensure_builtin();
    return &builtin[index];
}

const gs_preset *gs_preset_find(const char *name) {
    if (!name) return NULL;
    /* As users type names: "Tube" and "tube_hot" find tube and tube-hot. */
    for (size_t i = 0; i < GS_ARRAY_LEN(builtin_text); i++)
        if (gs_name_equal(builtin_text[i].name, name)) return gs_preset_at(i);
    return NULL;
}

gs_status gs_preset_parse(const char *text, const char *name, gs_preset **out, char *err,
                          size_t err_size) {
    if (!text || !out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    gs_preset *p = malloc(sizeof *p);
    if (!p) return GS_ERR_NO_MEMORY;
    gs_status st = parse_into(p, text, name, err, err_size);
    if (st != GS_OK) {
        free(p);
        return st;
    }
    *out = p;
    return GS_OK;
}

void gs_preset_free(gs_preset *preset) {
    /* Built-ins are static and never freed. */
    if (preset >= builtin && preset < builtin + GS_ARRAY_LEN(builtin)) return;
    free(preset);
}

const char *gs_preset_name(const gs_preset *p) { return p ? p->name : NULL; }
const char *gs_preset_model(const gs_preset *p) { return p ? p->model : NULL; }
const char *gs_preset_description(const gs_preset *p) { return p ? p->description : NULL; }
size_t gs_preset_value_count(const gs_preset *p) { return p ? p->n : 0; }

gs_status gs_preset_value_at(const gs_preset *p, size_t i, const char **symbol, double *value) {
    if (!p || i >= p->n || !symbol || !value) return GS_ERR_INVALID_ARGUMENT;
    *symbol = p->symbol[i];
    *value = p->value[i];
    return GS_OK;
}
