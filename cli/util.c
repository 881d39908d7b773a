#include "util.h"

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

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Preset files are small text files: refuse anything large rather than read it whole. */
#define PRESET_FILE_MAX (64 * 1024)

gs_preset *cli_load_preset(const char *name, int *exit_code) {
    int is_path = strchr(name, '/') != NULL || ends_with(name, ".preset");
    if (!is_path) {
        const gs_preset *p = gs_preset_find(name);
        if (p) return (gs_preset *)p; /* built-ins: gs_preset_free() ignores them */
        FILE *probe = fopen(name, "r");
        if (!probe) {
            const char *near = gs_preset_suggest(name);
            cli_error("unknown preset '%s'%s%s%s (see 'gainstage presets')", name,
                      near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            *exit_code = EXIT_USAGE;
            return NULL;
        }
        fclose(probe);
    }
    FILE *f = fopen(name, "r");
    if (!f) {
        cli_error("cannot open preset file '%s': %s", name, strerror(errno));
        *exit_code = EXIT_RUNTIME;
        return NULL;
    }
    char *buf = malloc(PRESET_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        cli_error("out of memory");
        *exit_code = EXIT_RUNTIME;
        return NULL;
    }
    size_t n = fread(buf, 1, PRESET_FILE_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        cli_error("cannot read preset file '%s'", name);
        *exit_code = EXIT_RUNTIME;
        return NULL;
    }
    if (n > PRESET_FILE_MAX) {
        free(buf);
        cli_error("preset file '%s' is larger than 64 KiB; is it really a preset?", name);
        *exit_code = EXIT_USAGE;
        return NULL;
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        cli_error("preset file '%s' is not text", name);
        *exit_code = EXIT_USAGE;
        return NULL;
    }
    buf[n] = '\0';
    /* The preset's name is the file name without folders and extension. */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char pname[128];
    snprintf(pname, sizeof pname, "%s", base);
    char *dot = strrchr(pname, '.');
    if (dot && dot != pname) *dot = '\0';
    gs_preset *p = NULL;
    char err[256] = "";
    gs_status st = gs_preset_parse(buf, pname, &p, err, sizeof err);
    free(buf);
    if (st != GS_OK) {
        cli_error("preset file '%s', %s", name, err[0] ? err : gs_strerror(st));
        *exit_code = EXIT_USAGE;
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
