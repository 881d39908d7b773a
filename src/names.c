/* Names as users type them: parameter values by name (choices, switches, front-panel numbers),
 * names matched case-insensitively, and "did you mean" suggestions for typos (issue 17). */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Characters compared by names: case folded, '_' read as '-' ("Tube_Hot" is "tube-hot"). */
static int name_char(char c) {
    int u = tolower((unsigned char)c);
    return u == '_' ? '-' : u;
}

int gs_name_equal(const char *a, const char *b) {
    if (!a || !b) return 0;
    for (; *a && *b; a++, b++)
        if (name_char(*a) != name_char(*b)) return 0;
    return *a == *b;
}

/* Optimal-string-alignment (restricted Damerau-Levenshtein) distance of a and b, compared as
 * names: insertions, deletions, substitutions and swaps of two neighbours cost 1 ("gian" is 1
 * from "gain"). Anything above `bound` is reported as bound + 1; names longer than 63 characters
 * are never close. */
#define GS_NAME_MAX 64
static size_t name_distance(const char *a, const char *b, size_t bound) {
    size_t la = strlen(a), lb = strlen(b);
    if (la >= GS_NAME_MAX || lb >= GS_NAME_MAX) return bound + 1;
    if ((la > lb ? la - lb : lb - la) > bound) return bound + 1;
    size_t d[GS_NAME_MAX + 1][GS_NAME_MAX + 1];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t row_min = (size_t)-1;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = name_char(a[i - 1]) == name_char(b[j - 1]) ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && name_char(a[i - 1]) == name_char(b[j - 2]) &&
                name_char(a[i - 2]) == name_char(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > bound) return bound + 1;
    }
    return d[la][lb] > bound ? bound + 1 : d[la][lb];
}

static int name_is_prefix(const char *prefix, const char *name) {
    for (; *prefix; prefix++, name++)
        if (!*name || name_char(*prefix) != name_char(*name)) return 0;
    return 1;
}

void gs_suggest_init(gs_suggest *s, const char *text) {
    memset(s, 0, sizeof *s);
    s->text = text ? text : "";
    size_t len = strlen(s->text);
    /* How many typos a name of this length may have and still be recognised. */
    s->bound = len <= 3 ? 1 : len <= 7 ? 2 : 3;
    s->dist = s->bound + 1;
}

void gs_suggest_add(gs_suggest *s, const char *name) {
    if (!name || !*s->text) return;
    size_t dist = name_distance(s->text, name, s->bound);
    /* Never offer a name made of the typos alone ("ab" for "x"). */
    if (dist < s->dist && dist < strlen(name)) {
        s->dist = dist;
        s->best = name;
    }
    if (strlen(s->text) >= 3 && name_is_prefix(s->text, name)) {
        if (!s->prefix) s->prefix = name;
        s->n_prefix++;
    }
}

const char *gs_suggest_result(const gs_suggest *s) {
    if (s->best) return s->best;
    return s->n_prefix == 1 ? s->prefix : NULL; /* "guitar" is the start of one preset only */
}

const char *gs_name_suggest(const char *text, const char *const *names, size_t count) {
    if (!text || !names) return NULL;
    gs_suggest s;
    gs_suggest_init(&s, text);
    for (size_t i = 0; i < count; i++) gs_suggest_add(&s, names[i]);
    return gs_suggest_result(&s);
}

const char *gs_model_suggest(const char *name) {
    gs_suggest s;
    gs_suggest_init(&s, name);
    for (size_t i = 0; i < gs_model_count(); i++) gs_suggest_add(&s, gs_model_at(i)->name);
    return gs_suggest_result(&s);
}

const char *gs_preset_suggest(const char *name) {
    gs_suggest s;
    gs_suggest_init(&s, name);
    for (size_t i = 0; i < gs_preset_count(); i++)
        gs_suggest_add(&s, gs_preset_name(gs_preset_at(i)));
    return gs_suggest_result(&s);
}

const char *gs_param_suggest(const gs_model_info *model, const char *symbol) {
    if (!model) return NULL;
    gs_suggest s;
    gs_suggest_init(&s, symbol);
    for (size_t i = 0; i < model->n_params; i++) gs_suggest_add(&s, model->params[i].symbol);
    return gs_suggest_result(&s);
}

/* ---- values by name ------------------------------------------------------------------------ */

/* The words a switch takes, in the order the messages list them; even entries are on. */
static const char *const switch_words[] = {"on", "off", "yes", "no", "true", "false", NULL};

static int is_switch_word(const char *t) {
    for (size_t i = 0; switch_words[i]; i++)
        if (!strcasecmp(t, switch_words[i])) return 1;
    return 0;
}

/* A plain decimal number at the start of s (no "inf", "nan" or hex): its value and its end. */
static int leading_number(const char *s, double *v, const char **end) {
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) return 0;
    char *e;
    *v = strtod(s, &e);
    if (!isfinite(*v)) return 0;
    for (const char *q = s; q < e; q++)
        if (!(isdigit((unsigned char)*q) || *q == '.' || *q == '-' || *q == '+' || *q == 'e' ||
              *q == 'E'))
            return 0;
    *end = e;
    return 1;
}

/* A choice named by a front-panel number: a number, then a unit without digits ("6dB/oct",
 * "50Hz", "16"), not a part number ("12AX7"). The number and the unit are returned. */
static int panel_number(const char *name, double *v, const char **unit) {
    const char *e;
    if (!leading_number(name, v, &e)) return 0;
    for (const char *q = e; *q; q++)
        if (isdigit((unsigned char)*q)) return 0;
    *unit = e;
    return 1;
}

/* Equal when case and spaces are ignored ("12 dB/oct" is "12dB/oct"); with `prefix`, text may
 * stop early ("12dB" for "12dB/oct"). */
static int same_ignoring_spaces(const char *text, const char *name, int prefix) {
    for (;;) {
        while (*text == ' ') text++;
        while (*name == ' ') name++;
        if (!*text) return prefix || !*name;
        if (!*name || tolower((unsigned char)*text) != tolower((unsigned char)*name)) return 0;
        text++, name++;
    }
}

static size_t count_names(const char *const *names) {
    size_t n = 0;
    while (names && names[n]) n++;
    return n;
}

static int has_panel_numbers(const char *const *names) {
    double v;
    const char *u;
    for (size_t i = 0; names && names[i]; i++)
        if (panel_number(names[i], &v, &u)) return 1;
    return 0;
}

/* Choices renamed since they were stored: the old name reads as the new one wherever the new one
 * is a choice, so presets, sessions and command lines written before keep their meaning. */
static const struct {
    const char *old_name, *new_name;
} renamed_choices[] = {
    {"standard", "fast"}, /* the tube models' 2x quality, default until issue 15 */
};

/* The index of the choice `text` names (by name, by an old name, or by its front-panel number),
 * or -1. */
static long choice_by_name(const char *const *names, const char *text) {
    size_t n = count_names(names);
    for (size_t i = 0; i < n; i++)
        if (same_ignoring_spaces(text, names[i], 0)) return (long)i;
    for (size_t r = 0; r < GS_ARRAY_LEN(renamed_choices); r++)
        if (same_ignoring_spaces(text, renamed_choices[r].old_name, 0))
            for (size_t i = 0; i < n; i++)
                if (!strcasecmp(names[i], renamed_choices[r].new_name)) return (long)i;
    double tv, cv;
    const char *tend, *cunit;
    if (!leading_number(text, &tv, &tend)) return -1;
    for (size_t i = 0; i < n; i++)
        if (panel_number(names[i], &cv, &cunit) && cv == tv && same_ignoring_spaces(tend, cunit, 1))
            return (long)i;
    /* A slope of 0 is no filter: "hpf=0" is off on every model. */
    if (tv == 0.0 && *tend == '\0')
        for (size_t i = 0; i < n; i++)
            if (!strcasecmp(names[i], "off")) return (long)i;
    return -1;
}

static const char *skip_space(const char *t) {
    while (isspace((unsigned char)*t)) t++;
    return t;
}

/* text without the spaces around it, in buf; NULL if it does not fit. */
static const char *trimmed(const char *text, char *buf, size_t size) {
    text = skip_space(text);
    size_t len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1])) len--;
    if (len >= size) return NULL;
    memcpy(buf, text, len);
    buf[len] = '\0';
    return buf;
}

gs_status gs_param_parse(const gs_param_info *p, const char *text, double *value) {
    if (!p || !text || !value) return GS_ERR_INVALID_ARGUMENT;
    char buf[GS_KV_MAX_LINE];
    const char *t = trimmed(text, buf, sizeof buf);
    if (!t) return GS_ERR_PARSE; /* longer than any line of a preset: not a value */
    if (p->kind == GS_PARAM_TOGGLE) {
        for (size_t i = 0; switch_words[i]; i++) {
            if (!strcasecmp(t, switch_words[i])) {
                *value = i % 2 == 0 ? 1.0 : 0.0;
                return GS_OK;
            }
        }
        if (!strcmp(t, "0") || !strcmp(t, "1")) {
            *value = t[0] == '1' ? 1.0 : 0.0;
            return GS_OK;
        }
        /* Names of the two states, where the table gives them (ss-preamp: off, 12dB/oct). */
        long k = count_names(p->choices) == 2 ? choice_by_name(p->choices, t) : -1;
        if (k < 0) return GS_ERR_PARSE;
        *value = (double)k;
        return GS_OK;
    }
    if (p->kind == GS_PARAM_CHOICE) {
        long k = choice_by_name(p->choices, t);
        if (k < 0 && !has_panel_numbers(p->choices)) {
            /* Words or part numbers: the index is what plugin hosts and session files hold. */
            double v;
            const char *end;
            if (leading_number(t, &v, &end) && *end == '\0' && v == floor(v) && v >= 0.0 &&
                v < (double)count_names(p->choices))
                k = (long)v;
        }
        if (k < 0) return GS_ERR_PARSE;
        *value = (double)k;
        return GS_OK;
    }
    /* gs_parse_value reads on/off as 1/0 for unitless values; a real number is not a switch. */
    if (is_switch_word(t)) return GS_ERR_PARSE;
    return gs_parse_value(t, p->unit, NULL, value);
}

/* Append to buf, keeping it NUL-terminated when it is full. */
static void put(char *buf, size_t size, size_t *len, const char *fmt, const char *a) {
    if (*len >= size) return;
    int w = snprintf(buf + *len, size - *len, fmt, a);
    if (w > 0) *len += (size_t)w;
    if (*len >= size) *len = size;
}

void gs_param_explain(const gs_param_info *p, const char *text, char *buf, size_t size) {
    if (!buf || size == 0) return;
    buf[0] = '\0';
    if (!p || !text) return;
    char tbuf[GS_KV_MAX_LINE];
    const char *t = trimmed(text, tbuf, sizeof tbuf);
    if (!t) {
        snprintf(buf, size, "a value of %zu characters or more is too long", sizeof tbuf);
        return;
    }
    size_t len = 0;
    gs_suggest s;
    gs_suggest_init(&s, t);
    if (p->kind == GS_PARAM_TOGGLE) {
        /* "'maybe' is not on or off", "'6' is not on, off or 12dB/oct" */
        put(buf, size, &len, "'%s' is not on", t);
        size_t n = count_names(p->choices) == 2 ? 2 : 0;
        const char *extra = n ? p->choices[1] : NULL;
        put(buf, size, &len, extra ? ", off or %s" : " or off", extra);
        for (size_t i = 0; switch_words[i]; i++) gs_suggest_add(&s, switch_words[i]);
        if (extra) gs_suggest_add(&s, extra);
    } else if (p->kind == GS_PARAM_CHOICE) {
        put(buf, size, &len, "'%s' is not one of ", t);
        for (size_t i = 0; p->choices && p->choices[i]; i++) {
            put(buf, size, &len, i ? ", %s" : "%s", p->choices[i]);
            gs_suggest_add(&s, p->choices[i]);
        }
        if (is_switch_word(t)) {
            /* "on" is one letter from "off": no suggestion, but the reason. */
            put(buf, size, &len, "%s", " (on/off is for switches)");
            return;
        }
    } else {
        const char *sym = gs_unit_symbol(p->unit);
        put(buf, size, &len, "cannot read '%s' as a value in ", t);
        put(buf, size, &len, "%s", *sym ? sym : "plain numbers");
        return;
    }
    /* Numbers are not typos of each other: "2" is not "20", "24dB/oct" not "12dB/oct". */
    double num;
    const char *end;
    if (leading_number(t, &num, &end)) return;
    const char *best = gs_suggest_result(&s);
    if (best) put(buf, size, &len, "; did you mean '%s'?", best);
}
