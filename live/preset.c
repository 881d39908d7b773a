/* gainstage live: presets by name or file, for the engine's channels, OSC and the session file,
 * and (through cli_load_preset) for the whole command: one loader, so a preset means the same
 * everywhere. The messages are returned, not printed (live/ does not call cli/). The library has
 * no file loader yet; when it has one, this goes. */
#include "live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Preset files are small text files: refuse anything large rather than read it whole. */
#define PRESET_FILE_MAX (64 * 1024)

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The whole file into a fresh buffer, NUL-terminated; NULL with err filled (*usage: the file is
 * not a preset, rather than unreadable). */
static char *read_text(const char *name, int *usage, char *err, size_t esz) {
    *usage = 0;
    FILE *f = fopen(name, "r");
    if (!f) {
        snprintf(err, esz, "cannot open preset file '%s': %s", name, strerror(errno));
        return NULL;
    }
    char *buf = malloc(PRESET_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, esz, "out of memory");
        return NULL;
    }
    size_t n = fread(buf, 1, PRESET_FILE_MAX + 1, f);
    int rerr = ferror(f);
    fclose(f);
    const char *why = rerr ? "cannot read preset file '%s'"
                      : n > PRESET_FILE_MAX
                          ? "preset file '%s' is larger than 64 KiB; is it really a preset?"
                      : memchr(buf, '\0', n) ? "preset file '%s' is not text"
                                             : NULL;
    if (why) {
        *usage = !rerr;
        free(buf);
        snprintf(err, esz, why, name);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

gs_preset *live_preset_load(const char *name, char *err, size_t esz) {
    int usage;
    return live_preset_load_ex(name, &usage, err, esz);
}

gs_preset *live_preset_load_ex(const char *name, int *usage, char *err, size_t esz) {
    char dummy[8];
    *usage = 1;
    if (!err || !esz) {
        err = dummy;
        esz = sizeof dummy;
    }
    int is_path = strchr(name, '/') != NULL || ends_with(name, ".preset");
    if (!is_path) {
        const gs_preset *p = gs_preset_find(name);
        if (p) return (gs_preset *)p; /* built-ins: gs_preset_free() ignores them */
        FILE *probe = fopen(name, "r");
        if (!probe) {
            const char *near = gs_preset_suggest(name);
            snprintf(err, esz, "unknown preset '%s'%s%s%s (see 'gainstage presets')", name,
                     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            return NULL;
        }
        fclose(probe);
    }
    char *buf = read_text(name, usage, err, esz);
    if (!buf) return NULL;
    /* The preset's name is the file name without folders and extension. */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char pname[128];
    snprintf(pname, sizeof pname, "%s", base);
    char *dot = strrchr(pname, '.');
    if (dot && dot != pname) *dot = '\0';
    gs_preset *p = NULL;
    char perr[256] = "";
    gs_status st = gs_preset_parse(buf, pname, &p, perr, sizeof perr);
    free(buf);
    if (st != GS_OK) {
        *usage = 1;
        snprintf(err, esz, "preset file '%s', %s", name, perr[0] ? perr : gs_strerror(st));
        return NULL;
    }
    return p;
}
