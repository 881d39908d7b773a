/* Presets: a model and parameter values, or a strip (a chain of blocks, each a model, and values
 * addressed block.symbol), in one text format for built-ins and files. */
#include "internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A strip sets a few values in each of up to GS_STRIP_MAX_BLOCKS blocks. */
#define GS_PRESET_MAX_VALUES 128
#define GS_PRESET_MAX_TEXT 128
/* A block's name, and a strip's chain text ("boost1:opamp-stage | tube-preamp | ..."). */
#define GS_BLOCK_NAME_MAX 32
#define GS_CHAIN_TEXT_MAX (GS_STRIP_MAX_BLOCKS * (2 * GS_BLOCK_NAME_MAX + 4))

struct gs_preset {
    char name[GS_PRESET_MAX_TEXT];
    char model[GS_CHAIN_TEXT_MAX]; /* the model; for a strip, its chain in canonical form */
    char description[256];
    size_t n;
    char symbol[GS_PRESET_MAX_VALUES][2 * GS_BLOCK_NAME_MAX]; /* a strip's: block.symbol */
    double value[GS_PRESET_MAX_VALUES];
    size_t n_blocks; /* 0: a single-model preset */
    char block_name[GS_STRIP_MAX_BLOCKS][GS_BLOCK_NAME_MAX];
    const gs_model_info *block_model[GS_STRIP_MAX_BLOCKS];
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
    /* tube-hot's drive: -3 dB drove the second stage so hard that it aliased at -76 / -70 dB
     * (0 dBFS at 5 / 9 kHz) even at 16x; at -11 dB its first stage still saturates (THD -5 dB
     * at 0 dBFS, -27 dB at -20 dBFS) and it aliases at -84 / -84 dB (test_tube_alias; the
     * trade-off is in README.md). Its ripple = 3 % is gone with the hum (issue 15). */
    {"tube-hot", "model = tube-preamp\n"
                 "description = Two 12AX7 stages driven hard: grid-current clipping, supply sag, "
                 "thick saturation\n"
                 "gain = 12dB\n"
                 "drive = -11dB\n"
                 "level = -40dB\n"},
    /* The discrete class-A channel (issue 19). bjt: the second stage sees about 10 mV, THD
     * -71 dB at -20 dBFS (default calibration), 38 dB of gain; bjt-driven: the interstage pot
     * nearly open, the second stage near its clipping edges, THD -33 dB (mostly 2nd) at -20
     * dBFS, 39 dB of gain (tests/test_bjt_character.c). */
    {"bjt", "model = bjt-preamp\n"
            "description = Two discrete NPN class-A stages, clean and open: 38 dB, a trace of "
            "2nd harmonic, soft asymmetric clipping when pushed\n"
            "gain = 10dB\n"
            "drive = -30dB\n"
            "level = 0dB\n"},
    {"bjt-driven", "model = bjt-preamp\n"
                   "description = Two discrete NPN class-A stages, the second driven: thick 2nd "
                   "harmonic, compression, saturation on one side and cutoff on the other\n"
                   "gain = 0dB\n"
                   "drive = -3dB\n"
                   "level = -16dB\n"},
    /* Strips (issue 14): chains of blocks, in volts end to end. Gains are set so that a -20 dBFS
     * sine at the default calibration (-40 dBu in, 0 dBFS = +18 dBu out) leaves at -25 to -15
     * dBFS RMS: tests/test_strip.c checks the range. */
    {"interface-clean", "chain = source | input-stage | ss-preamp | converter\n"
                        "description = Interface input, solid-state: condenser mic, input stage "
                        "(pad, high-pass), clean preamp (40 dB), 24-bit converter\n"
                        "source.source = condenser\nss-preamp.gain = 40dB\nconverter.bits = 24\n"},
    {"interface-tube", "chain = source | input-stage | tube-preamp | converter\n"
                       "description = Interface input, tube: condenser mic, input stage, two "
                       "12AX7 stages, 24-bit converter\n"
                       "source.source = condenser\ntube-preamp.gain = 6dB\nconverter.bits = 24\n"},
    {"interface-bjt", "chain = source | input-stage | bjt-preamp | converter\n"
                      "description = Interface input, discrete transistor: condenser mic, input "
                      "stage, two NPN class-A stages, 24-bit converter\n"
                      "source.source = condenser\nbjt-preamp.gain = 10dB\n"
                      "bjt-preamp.drive = -30dB\nbjt-preamp.level = 0dB\nconverter.bits = 24\n"},
    {"interface-digital", "chain = source | input-stage | digital-preamp\n"
                          "description = Interface input, digital: condenser mic, input stage, "
                          "digital gain (40 dB) into its own 24-bit converter\n"
                          "source.source = condenser\ndigital-preamp.gain = 40dB\n"
                          "digital-preamp.bits = 24\n"},
    {"ribbon-tube", "chain = source | tube-preamp | converter\n"
                    "description = Ribbon mic (1:37 transformer) into 10 kOhm, two 12AX7 stages, "
                    "24-bit converter\n"
                    "source.source = ribbon\nsource.zin = 10k\ntube-preamp.gain = 6dB\n"
                    "converter.bits = 24\n"},
    {"hi-z-tube", "chain = source | tube-preamp | converter\n"
                  "description = Passive guitar pickup into a 1 MOhm Hi-Z input, two 12AX7 "
                  "stages, 24-bit converter\n"
                  "source.source = pickup\nsource.zin = 1M\nconverter.bits = 24\n"},
    {"piezo-tube-di", "chain = source | tube-preamp | converter\n"
                      "description = Piezo pickup into a 10 MOhm tube DI (two 12AX7 stages), "
                      "24-bit converter\n"
                      "source.source = piezo\nsource.zin = 10M\nconverter.bits = 24\n"},
    {"boost-tube-boost", "chain = boost1:opamp-stage | tube-stage | boost2:opamp-stage | "
                         "converter\n"
                         "description = Clean op-amp boost (6 dB) before a 12AX7 stage and a "
                         "unity one after it (before and after the pedals), 24-bit converter\n"
                         "boost1.gain = 6dB\nboost2.gain = 0dB\nconverter.bits = 24\n"},
    {"dynamic-clean-24", "chain = source | ss-preamp | converter\n"
                         "description = Dynamic mic into a 3 kOhm input, clean solid-state "
                         "preamp (40 dB), 24-bit converter\n"
                         "source.source = dynamic\nsource.zin = 3k\nss-preamp.gain = 40dB\n"
                         "converter.bits = 24\n"},
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

/* A message about line `line` of a preset ("line 4: ..."), or about a --chain text (line 0). */
static gs_status fail(char *err, size_t size, size_t line, gs_status st, const char *fmt, ...) {
    if (!err || size == 0) return st;
    int at = line ? snprintf(err, size, "line %zu: ", line) : 0;
    if (at < 0 || (size_t)at >= size) return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + at, size - (size_t)at, fmt, ap);
    va_end(ap);
    return st;
}

/* Parse `val` as a value of `pi`, in range; `key` is what the user wrote, for the message. */
static gs_status read_value(const gs_param_info *pi, const char *key, const char *val, double *v,
                            size_t line, char *err, size_t esz) {
    if (gs_param_parse(pi, val, v) != GS_OK) {
        char why[200];
        gs_param_explain(pi, val, why, sizeof why);
        return fail(err, esz, line, GS_ERR_PARSE, "%s: %s", key, why);
    }
    if (*v < pi->min || *v > pi->max) {
        char lo[48], hi[48];
        gs_format_value(pi->min, pi->unit, pi->choices, lo, sizeof lo);
        gs_format_value(pi->max, pi->unit, pi->choices, hi, sizeof hi);
        return fail(err, esz, line, GS_ERR_OUT_OF_RANGE, "%s = %s is out of range (%s to %s)", key,
                    val, lo, hi);
    }
    return GS_OK;
}

/* Keep symbol = v (a later line wins). */
static gs_status store_value(gs_preset *p, const char *symbol, double v, size_t line, char *err,
                             size_t esz) {
    size_t slot = p->n;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->symbol[i], symbol)) slot = i;
    if (slot == p->n) {
        if (p->n == GS_PRESET_MAX_VALUES)
            return fail(err, esz, line, GS_ERR_PRESET_SYNTAX, "too many values");
        p->n++;
    }
    snprintf(p->symbol[slot], sizeof p->symbol[slot], "%.*s", (int)sizeof p->symbol[slot] - 1,
             symbol);
    p->value[slot] = v;
    return GS_OK;
}

static const gs_param_info *param_of(const gs_model_info *mi, const char *symbol) {
    size_t id;
    return gs_model_param_find(mi, symbol, &id) == GS_OK ? &mi->params[id] : NULL;
}

static int block_index(const gs_preset *p, const char *name) {
    for (size_t b = 0; b < p->n_blocks; b++)
        if (gs_name_equal(p->block_name[b], name)) return (int)b;
    return -1;
}

/* A strip's key: "block.symbol", or a bare symbol that exactly one block has. */
static gs_status resolve_key(const gs_preset *p, const char *key, size_t *block,
                             const gs_param_info **pi, size_t line, char *err, size_t esz) {
    const char *dot = strchr(key, '.');
    if (dot) {
        char bname[GS_BLOCK_NAME_MAX];
        snprintf(bname, sizeof bname, "%.*s", (int)(dot - key), key);
        int b = block_index(p, bname);
        if (b < 0)
            return fail(err, esz, line, GS_ERR_UNKNOWN_PARAMETER,
                        "'%s': the chain has no block '%s' (it has %s)", key, bname, p->model);
        *block = (size_t)b;
        *pi = param_of(p->block_model[b], dot + 1);
        if (*pi) return GS_OK;
        const char *near = gs_param_suggest(p->block_model[b], dot + 1);
        return fail(err, esz, line, GS_ERR_UNKNOWN_PARAMETER,
                    "block %s (%s) has no parameter '%s'%s%s%s", p->block_name[b],
                    p->block_model[b]->name, dot + 1, near ? "; did you mean '" : "",
                    near ? near : "", near ? "'?" : "");
    }
    size_t hits = 0, first = 0;
    char where[GS_STRIP_MAX_BLOCKS * (GS_BLOCK_NAME_MAX + 5)] = "";
    for (size_t b = 0; b < p->n_blocks; b++) {
        const gs_param_info *q = param_of(p->block_model[b], key);
        if (!q) continue;
        if (!hits++) {
            first = b;
            *pi = q;
        }
        size_t len = strlen(where);
        snprintf(where + len, sizeof where - len, "%s%s", len ? " and " : "", p->block_name[b]);
    }
    if (hits == 1) {
        *block = first;
        return GS_OK;
    }
    if (hits > 1)
        return fail(err, esz, line, GS_ERR_AMBIGUOUS_PARAMETER, "%s is in %s: write %s.%s", key,
                    where, p->block_name[first], key);
    gs_suggest sg;
    gs_suggest_init(&sg, key);
    for (size_t b = 0; b < p->n_blocks; b++)
        for (size_t i = 0; i < p->block_model[b]->n_params; i++)
            gs_suggest_add(&sg, p->block_model[b]->params[i].symbol);
    const char *near = gs_suggest_result(&sg);
    return fail(err, esz, line, GS_ERR_UNKNOWN_PARAMETER,
                "no block of %s has a parameter '%s'%s%s%s", p->model, key,
                near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

static char *trim_ws(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* The next word of *s (words are separated by blanks), NUL-terminated in place; NULL at the end. */
static char *next_word(char **s) {
    char *w = *s;
    while (*w == ' ' || *w == '\t') w++;
    if (!*w) return NULL;
    char *e = w + strcspn(w, " \t");
    if (*e) *e++ = '\0';
    *s = e;
    return w;
}

/* A block name: letters, digits, '-' and '_' (it is the part before the '.' of a symbol). */
static int block_name_ok(const char *s, size_t len) {
    if (len == 0 || len >= GS_BLOCK_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_') return 0;
    return 1;
}

/* One block of a chain: "[name:]model [symbol=value]...". */
static gs_status parse_block(gs_preset *p, char *seg, size_t line, char *err, size_t esz) {
    char *rest = seg, *head = next_word(&rest);
    if (!head) return fail(err, esz, line, GS_ERR_PRESET_SYNTAX, "an empty block in the chain");
    char *colon = strchr(head, ':');
    const char *mname = colon ? colon + 1 : head;
    const gs_model_info *mi = gs_model_find(mname);
    if (!mi) {
        const char *near = gs_model_suggest(mname);
        return fail(err, esz, line, GS_ERR_UNKNOWN_MODEL, "unknown block '%s'%s%s%s", mname,
                    near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
    size_t b = p->n_blocks;
    const char *bname = colon ? head : mi->name;
    size_t blen = colon ? (size_t)(colon - head) : strlen(mi->name);
    if (!block_name_ok(bname, blen))
        return fail(err, esz, line, GS_ERR_PRESET_SYNTAX,
                    "block name '%.*s': use letters, digits, '-' and '_' (at most %d)", (int)blen,
                    bname, GS_BLOCK_NAME_MAX - 1);
    snprintf(p->block_name[b], sizeof p->block_name[b], "%.*s", (int)blen, bname);
    if (block_index(p, p->block_name[b]) >= 0)
        return fail(err, esz, line, GS_ERR_PRESET_SYNTAX,
                    "%s appears twice in the chain: name each one, e.g. %s1:%s", p->block_name[b],
                    mi->name, mi->name);
    p->block_model[b] = mi;
    p->n_blocks++;
    size_t len = strlen(p->model);
    snprintf(p->model + len, sizeof p->model - len, "%s%s%s%s", len ? " | " : "",
             colon ? p->block_name[b] : "", colon ? ":" : "", mi->name);
    for (char *w; (w = next_word(&rest));) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w || !eq[1])
            return fail(err, esz, line, GS_ERR_PRESET_SYNTAX,
                        "'%s' in block %s: expected symbol=value", w, p->block_name[b]);
        *eq = '\0';
        const gs_param_info *pi = param_of(mi, w);
        if (!pi) {
            const char *near = gs_param_suggest(mi, w);
            return fail(err, esz, line, GS_ERR_UNKNOWN_PARAMETER,
                        "block %s (%s) has no parameter '%s'%s%s%s", p->block_name[b], mi->name, w,
                        near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        }
        double v;
        gs_status st = read_value(pi, w, eq + 1, &v, line, err, esz);
        char sym[2 * GS_BLOCK_NAME_MAX];
        snprintf(sym, sizeof sym, "%s.%s", p->block_name[b], pi->symbol);
        if (st == GS_OK) st = store_value(p, sym, v, line, err, esz);
        if (st != GS_OK) return st;
    }
    return GS_OK;
}

/* "block | block | ...": every block, and the chain's canonical text in p->model. */
static gs_status parse_chain(gs_preset *p, const char *text, size_t line, char *err, size_t esz) {
    char buf[GS_KV_MAX_LINE];
    if (strlen(text) >= sizeof buf)
        return fail(err, esz, line, GS_ERR_PRESET_SYNTAX, "the chain is too long a text");
    snprintf(buf, sizeof buf, "%s", text);
    size_t count = 1;
    for (const char *c = buf; *c; c++) count += *c == '|';
    if (count > GS_STRIP_MAX_BLOCKS)
        return fail(err, esz, line, GS_ERR_PRESET_SYNTAX,
                    "the chain has %zu blocks; a strip has at most %d", count, GS_STRIP_MAX_BLOCKS);
    for (char *seg = buf;;) {
        char *bar = strchr(seg, '|');
        if (bar) *bar = '\0';
        gs_status st = parse_block(p, trim_ws(seg), line, err, esz);
        if (st != GS_OK) return st;
        if (!bar) break;
        seg = bar + 1;
    }
    return GS_OK;
}

/* "model = NAME" or "chain = ...", once, before any value. */
static gs_status parse_head(gs_preset *p, const gs_kv *kv, char *err, size_t esz) {
    if (p->model[0])
        return fail(err, esz, kv->line, GS_ERR_PRESET_SYNTAX,
                    "a second 'model =' or 'chain =' line");
    if (!strcmp(kv->key, "chain")) return parse_chain(p, kv->value, kv->line, err, esz);
    const gs_model_vt *vt = gs_model_vt_find(kv->value);
    if (!vt) {
        const char *near = gs_model_suggest(kv->value);
        return fail(err, esz, kv->line, GS_ERR_UNKNOWN_MODEL, "unknown model '%s'%s%s%s", kv->value,
                    near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
    /* The model's own spelling, whatever the case written. */
    snprintf(p->model, sizeof p->model, "%.127s", vt->info.name);
    return GS_OK;
}

/* "symbol = value" of a single-model preset, or "block.symbol = value" of a strip. */
static gs_status parse_value(gs_preset *p, const gs_kv *kv, char *err, size_t esz) {
    const char *key = kv->key, *val = kv->value;
    if (p->n_blocks) {
        size_t b = 0;
        const gs_param_info *pi = NULL;
        double v;
        gs_status st = resolve_key(p, key, &b, &pi, kv->line, err, esz);
        if (st == GS_OK) st = read_value(pi, key, val, &v, kv->line, err, esz);
        if (st != GS_OK) return st;
        char sym[2 * GS_BLOCK_NAME_MAX];
        snprintf(sym, sizeof sym, "%s.%s", p->block_name[b], pi->symbol);
        return store_value(p, sym, v, kv->line, err, esz);
    }
    const gs_model_info *mi = gs_model_find(p->model);
    const gs_param_info *pi = param_of(mi, key);
    if (!pi) {
        const char *near = gs_param_suggest(mi, key);
        return fail(err, esz, kv->line, GS_ERR_UNKNOWN_PARAMETER,
                    "model %s has no parameter '%s'%s%s%s", p->model, key,
                    near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
    double v;
    gs_status st = read_value(pi, key, val, &v, kv->line, err, esz);
    return st != GS_OK ? st : store_value(p, key, v, kv->line, err, esz);
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
        gs_status st;
        if (!strcmp(kv.key, "model") || !strcmp(kv.key, "chain")) {
            st = parse_head(p, &kv, err, err_size);
        } else if (!strcmp(kv.key, "description")) {
            snprintf(p->description, sizeof p->description, "%.255s", kv.value);
            st = GS_OK;
        } else if (!p->model[0]) {
            st = fail(err, err_size, kv.line, GS_ERR_PRESET_SYNTAX,
                      "'model = NAME' or 'chain = BLOCK | BLOCK ...' must come before parameters");
        } else {
            st = parse_value(p, &kv, err, err_size);
        }
        if (st != GS_OK) return st;
    }
    if (got < 0) return GS_ERR_PRESET_SYNTAX;
    if (!p->model[0]) {
        set_err(err, err_size, "no 'model = NAME' or 'chain = ...' line");
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

gs_status gs_preset_parse_chain(const char *text, gs_preset **out, char *err, size_t err_size) {
    if (!text || !out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    gs_preset *p = calloc(1, sizeof *p);
    if (!p) return GS_ERR_NO_MEMORY;
    snprintf(p->name, sizeof p->name, "chain");
    gs_status st = parse_chain(p, text, 0, err, err_size);
    if (st != GS_OK) {
        free(p);
        return st;
    }
    snprintf(p->description, sizeof p->description, "Strip of %zu blocks given with --chain",
             p->n_blocks);
    *out = p;
    return GS_OK;
}

size_t gs_preset_block_count(const gs_preset *p) { return p ? p->n_blocks : 0; }

gs_status gs_preset_block_at(const gs_preset *p, size_t i, const char **name,
                             const gs_model_info **model) {
    if (!p || i >= p->n_blocks || !name || !model) return GS_ERR_INVALID_ARGUMENT;
    *name = p->block_name[i];
    *model = p->block_model[i];
    return GS_OK;
}
