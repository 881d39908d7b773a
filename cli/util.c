#include "util.h"

#include "live.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("gainstage: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

gs_preset *cli_load_preset(const char *name, int *exit_code) {
    /* One loader for every front end: live/preset.c (live/ may not print; we do). */
    char err[4608];
    int usage = 1;
    gs_preset *p = live_preset_load_ex(name, &usage, err, sizeof err);
    if (!p) {
        cli_error("%s", err);
        *exit_code = usage ? EXIT_USAGE : EXIT_RUNTIME;
    }
    return p;
}

gs_preset *cli_load_chain(const char *text, int *exit_code) {
    char err[512];
    gs_preset *p = NULL;
    gs_status st = gs_preset_parse_chain(text, &p, err, sizeof err);
    if (st != GS_OK) {
        cli_error("--chain: %s", st == GS_ERR_NO_MEMORY ? gs_strerror(st) : err);
        *exit_code = st == GS_ERR_NO_MEMORY ? EXIT_RUNTIME : EXIT_USAGE;
        return NULL;
    }
    return p;
}

void cli_unknown_model(const char *name) {
    const char *near = gs_model_suggest(name);
    cli_error("unknown model '%s'%s%s%s (see 'gainstage models')", name,
              near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

int cli_apply_set(gs_channel *ch, const char *assignment) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment || eq[1] == '\0') {
        cli_error("--set needs SYMBOL=VALUE, got '%s'", assignment);
        return -1;
    }
    char sym[64];
    size_t len = (size_t)(eq - assignment);
    if (len >= sizeof sym) len = sizeof sym - 1;
    memcpy(sym, assignment, len);
    sym[len] = '\0';
    size_t id;
    if (gs_channel_param_find(ch, sym, &id) != GS_OK) {
        const gs_model_info *mi = gs_channel_model(ch);
        if (gs_channel_block_count(ch) > 1) {
            /* A strip: block.symbol, or a symbol only one block has. */
            char why[512];
            gs_param_find_explain(mi, sym, why, sizeof why);
            cli_error("%s", why);
            return -1;
        }
        const char *near = gs_param_suggest(mi, sym);
        cli_error("model %s has no parameter '%s'%s%s%s (see 'gainstage params --model %s')",
                  mi->name, sym, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "",
                  mi->name);
        return -1;
    }
    const gs_param_info *p = gs_channel_param_info(ch, id);
    double v;
    if (gs_param_parse(p, eq + 1, &v) != GS_OK) {
        char why[512];
        gs_param_explain(p, eq + 1, why, sizeof why);
        cli_error("%s: %s", sym, why);
        return -1;
    }
    gs_status st = gs_channel_set(ch, id, v);
    if (st == GS_ERR_OUT_OF_RANGE) {
        char lo[48], hi[48];
        gs_format_value(p->min, p->unit, p->choices, lo, sizeof lo);
        gs_format_value(p->max, p->unit, p->choices, hi, sizeof hi);
        cli_error("%s = %s is out of range (%s to %s%s)", sym, eq + 1, lo, hi,
                  p->kind == GS_PARAM_REAL ? "" : ", whole numbers");
        return -1;
    }
    if (st != GS_OK) {
        cli_error("%s: %s", sym, gs_strerror(st));
        return -1;
    }
    return 0;
}

int cli_simple_help(int argc, char **argv, const char *text) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts(text);
            return 0;
        }
        cli_error("%s: unexpected argument '%s'", argv[0], argv[i]);
        return EXIT_USAGE;
    }
    return -1;
}
