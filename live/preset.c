/* gainstage live: presets by name or file, for the engine's channels, OSC and the session file,
 * and (through cli_load_preset) for the whole command: one loader, so a preset means the same
 * everywhere. The messages are returned, not printed (live/ does not call cli/). The library has
 * no file loader yet; when it has one, this goes. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Preset files are small text files: refuse anything large rather than read it whole. */
#define PRESET_FILE_MAX (64 * 1024)

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The whole of an open file into a fresh buffer, NUL-terminated; closes fd. NULL with *why set
 * (a format with one %s for the file's name; *usage: the file is not a preset, rather than
 * unreadable). A regular file of at most PRESET_FILE_MAX bytes only: a FIFO or a device is never
 * read (the descriptor was opened with O_NONBLOCK, so opening one did not block either). */
static char *read_fd(int fd, int *usage, const char **why) {
    struct stat st;
    *usage = 0;
    *why = NULL;
    if (fstat(fd, &st) != 0) {
        *why = "cannot read preset file '%s'";
    } else if (!S_ISREG(st.st_mode)) {
        *usage = 1;
        *why = "preset file '%s' is not a regular file";
    } else if (st.st_size > PRESET_FILE_MAX) {
        *usage = 1;
        *why = "preset file '%s' is larger than 64 KiB; is it really a preset?";
    }
    char *buf = *why ? NULL : malloc(PRESET_FILE_MAX + 1);
    if (!*why && !buf) *why = "out of memory reading '%s'";
    size_t n = 0;
    while (buf && n <= PRESET_FILE_MAX) {
        ssize_t got = read(fd, buf + n, PRESET_FILE_MAX + 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) *why = "cannot read preset file '%s'";
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    if (!*why && n > PRESET_FILE_MAX) {
        *usage = 1;
        *why = "preset file '%s' is larger than 64 KiB; is it really a preset?";
    }
    if (!*why && memchr(buf, '\0', n)) {
        *usage = 1;
        *why = "preset file '%s' is not text";
    }
    if (*why) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* A file named on the command line (the user's own choice: any path). */
static char *read_text(const char *name, int *usage, char *err, size_t esz) {
    *usage = 0;
    int fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, esz, "cannot open preset file '%s': %s", name, strerror(errno));
        return NULL;
    }
    const char *why;
    char *buf = read_fd(fd, usage, &why);
    if (!buf) snprintf(err, esz, why, name);
    return buf;
}

/* The preset's name: the file name without folders and extension. */
static void base_name(const char *name, char *pname, size_t size) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    snprintf(pname, size, "%s", base);
    char *dot = strrchr(pname, '.');
    if (dot && dot != pname) *dot = '\0';
}

int live_preset_is_chain(const char *text) {
    return strpbrk(text, "|= ") != NULL || gs_model_find(text) != NULL;
}

/* A strip from a chain text: the library's parser, its message as it is (one line naming the
 * block or symbol). */
static gs_preset *chain_preset(const char *text, char *err, size_t esz) {
    gs_preset *p = NULL;
    char perr[256] = "";
    if (gs_preset_parse_chain(text, &p, perr, sizeof perr) != GS_OK) {
        snprintf(err, esz, "chain '%.200s': %s", text, perr[0] ? perr : "not a valid chain");
        return NULL;
    }
    return p;
}

/* ---- presets named by a control surface or a session: the preset folders only ---------- */

int live_preset_dirs_add(live_preset_dirs *d, const char *dir) {
    if (!dir || !dir[0] || d->n == LIVE_PRESET_DIRS || strlen(dir) >= sizeof d->dir[0]) return -1;
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->dir[i], dir)) return 0;
    snprintf(d->dir[d->n++], sizeof d->dir[0], "%s", dir);
    return 0;
}

void live_preset_dirs_std(live_preset_dirs *d, const char *session_path) {
    if (session_path) {
        char dir[sizeof d->dir[0]];
        snprintf(dir, sizeof dir, "%s", session_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
        live_preset_dirs_add(d, dir);
    }
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char dir[sizeof d->dir[0] + 32];
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/gainstage/presets", xdg);
    else if (home && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.local/share/gainstage/presets", home);
    else
        return;
    live_preset_dirs_add(d, dir);
}

int live_preset_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= LIVE_NAME || name[0] == '.' || name[0] == ' ' || name[n - 1] == ' ')
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == '#' || *p == '=') return 0;
    return strstr(name, "..") == NULL;
}

/* NAME or NAME.preset directly in one folder, a regular file, not through a symlink: the open
 * descriptor, or -1. */
static int open_in(const char *dir, const char *name) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    size_t n = strlen(name);
    if (fd < 0 && errno == ENOENT && (n < 7 || strcmp(name + n - 7, ".preset"))) {
        char with[LIVE_NAME + 8];
        snprintf(with, sizeof with, "%s.preset", name);
        fd = openat(dfd, with, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    }
    close(dfd);
    return fd;
}

gs_preset *live_preset_named(const live_preset_dirs *d, const char *name, char *err, size_t esz) {
    char dummy[8];
    if (!err || !esz) {
        err = dummy;
        esz = sizeof dummy;
    }
    const gs_preset *bp = gs_preset_find(name);
    if (bp) return (gs_preset *)bp;
    /* A chain names models only, never a file: as safe from a surface as a built-in. The text
     * is quoted only if it is printable. */
    if (live_preset_is_chain(name) && strlen(name) < LIVE_NAME) {
        int printable = 1;
        for (const unsigned char *c = (const unsigned char *)name; *c; c++)
            if (*c < 0x20 || *c == 0x7f) printable = 0;
        if (printable) return chain_preset(name, err, esz);
    }
    if (!live_preset_name_ok(name)) {
        /* Not echoed: it may hold control characters. */
        snprintf(err, esz,
                 "a preset name is a built-in preset or a file name in a preset folder "
                 "(no '/', '..', '#', '=' or control characters)");
        return NULL;
    }
    int fd = -1;
    for (int i = 0; d && i < d->n && fd < 0; i++) fd = open_in(d->dir[i], name);
    if (fd < 0) {
        /* The same words whatever the reason (no such file, a symlink, no permission): nothing
         * is told about the file system. */
        snprintf(err, esz, "unknown preset '%s' (see 'gainstage presets' and the preset folders)",
                 name);
        return NULL;
    }
    int usage;
    const char *why;
    char *buf = read_fd(fd, &usage, &why);
    if (!buf) {
        snprintf(err, esz, "preset '%s' is not a valid preset file", name);
        return NULL;
    }
    char pname[128], perr[256] = "";
    base_name(name, pname, sizeof pname);
    gs_preset *p = NULL;
    gs_status st = gs_preset_parse(buf, pname, &p, perr, sizeof perr);
    free(buf);
    if (st != GS_OK) {
        /* The parser's message quotes the line: not sent back, only its number. */
        unsigned long line = 0;
        if (sscanf(perr, "line %lu", &line) == 1)
            snprintf(err, esz, "preset '%s' is not a valid preset file (line %lu)", name, line);
        else
            snprintf(err, esz, "preset '%s' is not a valid preset file", name);
        return NULL;
    }
    return p;
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
        if (p) return (gs_preset *)p;  /* built-ins: gs_preset_free() ignores them */
        if (access(name, F_OK) != 0) { /* (a FIFO's open would block: not opened here) */
            if (live_preset_is_chain(name)) return chain_preset(name, err, esz);
            const char *near = gs_preset_suggest(name);
            snprintf(err, esz, "unknown preset '%s'%s%s%s (see 'gainstage presets')", name,
                     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            return NULL;
        }
    }
    char *buf = read_text(name, usage, err, esz);
    if (!buf) return NULL;
    char pname[128];
    base_name(name, pname, sizeof pname);
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
