#include "session.h"

#include "atomic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int isspace_c(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

typedef struct session_line {
    char key[128], val[LIVE_NAME]; /* values are names and numbers: LIVE_NAME is plenty */
    size_t line;
} session_line;

/* At most this many pairs are kept (more than a session of 64 channels has). */
#define SESSION_LINES (LIVE_MAX_CH * (LIVE_MAX_PARAMS + 8) + 16)

struct live_session {
    char path[4096];
    int n, cap;
    session_line *line; /* grown as pairs come: most sessions are short */
};

char *live_file_text(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            char *more = realloc(text, cap + 65536);
            if (!more) {
                free(text);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            text = more;
            cap += 65536;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        errno = EIO;
        return NULL;
    }
    text[len] = '\0';
    return text;
}

int live_kv_value_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || isspace_c(s[0]) || isspace_c(s[n - 1])) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '#') return 0;
    return 1;
}

/* A number as the command line reads it: the whole text, finite. */
static int number(const char *s, double *v) {
    char *end;
    *v = strtod(s, &end);
    return end == s || *end || !isfinite(*v) ? -1 : 0;
}

/* "ch.K.REST" with K decimal 1..LIVE_MAX_CH (no sign, space or leading zero): K, or 0 if the key
 * is not a channel's, or -1 if it is one with a malformed K. */
static int channel_key(const char *key, const char **rest) {
    if (strncmp(key, "ch.", 3)) return 0;
    const char *p = key + 3;
    int k = 0, nd = 0;
    if (*p < '1' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9' && nd < 3) {
        k = k * 10 + (*p++ - '0');
        nd++;
    }
    if (*p != '.' || !p[1] || k > LIVE_MAX_CH) return -1;
    *rest = p + 1;
    return k;
}

/* The checks the command line makes: NULL if the pair is fine (or not ours: ignored, as
 * before), else what is wrong with it. */
static const char *check_pair(const char *key, const char *val) {
    double v;
    const char *rest;
    if (!strcmp(key, "inputs"))
        return number(val, &v) || v < 1 || v > LIVE_MAX_CH || v != floor(v)
                   ? "must be a whole number from 1 to 64"
                   : NULL;
    if (!strcmp(key, "in_dbu") || !strcmp(key, "out_dbu"))
        return number(val, &v) || v < -120.0 || v > 60.0 ? "must be a level in dBu from -120 to +60"
                                                         : NULL;
    if (!strcmp(key, "record_point"))
        return live_rec_point_parse(val) < 0 ? "must be post, pre or both" : NULL;
    if (!strcmp(key, "record_format"))
        return live_rec_format_parse(val) < 0 ? "must be wav-f32, wav-s24 or flac" : NULL;
    /* The monitor master as a channel's level: at most +12 dB, anything below -90 is off. */
    if (!strcmp(key, "monitor.level"))
        return number(val, &v) || v > LIVE_MASTER_MAX ? "must be a number of dB up to +12" : NULL;
    int k = channel_key(key, &rest);
    if (k < 0) return "is not a channel's key (ch.K.NAME with K from 1 to 64)";
    if (k == 0) return NULL;
    /* ch.K.preset: the engine looks the name up in the preset folders (live_preset_named) when
     * the command line does not give that channel's preset. */
    if (!strcmp(rest, "level"))
        return number(val, &v) || v > LIVE_LEVEL_MAX ? "must be a number of dB up to +12" : NULL;
    if (!strcmp(rest, "pan"))
        return number(val, &v) || v < -1.0 || v > 1.0 ? "must be -1 (left) to +1 (right)" : NULL;
    if (!strcmp(rest, "mute") || !strcmp(rest, "solo"))
        return strcmp(val, "0") && strcmp(val, "1") ? "must be 0 or 1" : NULL;
    if (!strncmp(rest, "param.", 6)) return number(val, &v) ? "must be a finite number" : NULL;
    return NULL;
}

int live_session_parse(const char *text, const char *name, live_session **out, char *err,
                       size_t esz) {
    *out = NULL;
    live_session *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, esz, "cannot read session '%s': %s", name, strerror(ENOMEM));
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s", name);
    gs_kv_reader rd;
    gs_kv kv;
    char kerr[128];
    int got;
    gs_kv_init(&rd, text);
    while ((got = gs_kv_next(&rd, &kv, kerr, sizeof kerr)) > 0) {
        if (s->n == SESSION_LINES) break;
        if (s->n == s->cap) {
            int cap = s->cap ? 2 * s->cap : 64;
            session_line *more = realloc(s->line, (size_t)cap * sizeof *more);
            if (!more) {
                snprintf(err, esz, "cannot read session '%s': %s", name, strerror(ENOMEM));
                live_session_free(s);
                return -1;
            }
            s->line = more;
            s->cap = cap;
        }
        const char *why =
            strlen(kv.key) >= sizeof s->line[0].key || strlen(kv.value) >= sizeof s->line[0].val
                ? "is too long"
            : !live_kv_value_ok(kv.value) ? "has a control character in its value"
                                          : check_pair(kv.key, kv.value);
        if (why) {
            /* The key is ours or the user's; printable only, else not echoed. */
            int printable = 1;
            for (const char *p = kv.key; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f) printable = 0;
            snprintf(err, esz, "session '%s' line %zu: %.64s %s", name, kv.line,
                     printable ? kv.key : "a key", why);
            live_session_free(s);
            return -1;
        }
        snprintf(s->line[s->n].key, sizeof s->line[0].key, "%s", kv.key);
        snprintf(s->line[s->n].val, sizeof s->line[0].val, "%s", kv.value);
        s->line[s->n].line = kv.line;
        s->n++;
    }
    if (got < 0) {
        snprintf(err, esz, "session '%s' %s", name, kerr);
        live_session_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int live_session_read(const char *path, live_session **out, char *err, size_t esz) {
    *out = NULL;
    char *text = live_file_text(path);
    if (!text) {
        if (errno == ENOENT) return 0;
        snprintf(err, esz, "cannot read session '%s': %s", path, strerror(errno));
        return -1;
    }
    int rc = live_session_parse(text, path, out, err, esz);
    free(text);
    return rc;
}

void live_session_free(live_session *s) {
    if (s) free(s->line);
    free(s);
}

void live_session_setup(const live_session *s, live_setup *st, const live_setup_fixed *fixed) {
    for (int i = 0; s && i < s->n; i++) {
        const char *k = s->line[i].key, *v = s->line[i].val;
        int ch;
        char rest[128];
        if (!strcmp(k, "inputs") && !fixed->n)
            st->n = atoi(v); /* values were checked by live_session_parse */
        else if (!strcmp(k, "in_dbu") && !fixed->in_dbu)
            st->in_dbu = strtod(v, NULL);
        else if (!strcmp(k, "out_dbu") && !fixed->out_dbu)
            st->out_dbu = strtod(v, NULL);
        else if (!strcmp(k, "record_point") && !fixed->point)
            st->point = live_rec_point_parse(v) < 0 ? LIVE_REC_POST
                                                    : (live_rec_point)live_rec_point_parse(v);
        else if (!strcmp(k, "record_format") && !fixed->fmt && live_rec_format_parse(v) >= 0)
            st->fmt = (live_rec_format)live_rec_format_parse(v);
        else if (sscanf(k, "ch.%d.%127s", &ch, rest) == 2 && ch >= 1 && ch <= LIVE_MAX_CH &&
                 !strcmp(rest, "preset"))
            st->preset[ch - 1] = v;
    }
}

/* One per-channel value; 0, or -1 with err filled (may stay empty). */
static int apply_value(live_engine *e, int k, const char *what, const char *text, int keep_params,
                       char *err, size_t esz) {
    double v;
    /* The preset was taken at set-up (live_session_setup); it is a name, not a number. */
    if (!strcmp(what, "preset")) return 0;
    if (number(text, &v)) return -1; /* (checked by live_session_parse already) */
    if (!strcmp(what, "level")) return live_ctl_level(e, k, v, err, esz);
    if (!strcmp(what, "pan")) return live_ctl_pan(e, k, v, err, esz);
    if (!strcmp(what, "mute")) return live_ctl_mute(e, k, v != 0);
    if (!strcmp(what, "solo")) return live_ctl_solo(e, k, v != 0);
    if (!strncmp(what, "param.", 6) && keep_params)
        return live_ctl_param_value(e, k, what + 6, v, err, esz);
    return 0;
}

void live_session_apply(const live_session *s, live_engine *e, const int *keep_params,
                        live_log_fn log, void *ctx) {
    int n = live_engine_channels(e);
    for (int i = 0; s && i < s->n; i++) {
        int ch;
        char rest[128], err[256] = "";
        double v;
        /* A session without it (older ones) leaves the master at 0 dB. */
        if (!strcmp(s->line[i].key, "monitor.level") && !number(s->line[i].val, &v) &&
            live_ctl_master(e, v, err, sizeof err) && log) {
            char line[4096 + 512];
            snprintf(line, sizeof line, "session '%s' line %zu: monitor.level: %s", s->path,
                     s->line[i].line, err[0] ? err : "refused");
            log(ctx, LIVE_ERROR, line);
        }
        if (sscanf(s->line[i].key, "ch.%d.%127s", &ch, rest) != 2 || ch < 1 || ch > n) continue;
        if (apply_value(e, ch - 1, rest, s->line[i].val, keep_params[ch - 1], err, sizeof err) &&
            log) {
            char line[4096 + 512];
            snprintf(line, sizeof line, "session '%s' line %zu: %s: %s", s->path, s->line[i].line,
                     s->line[i].key, err[0] ? err : "refused");
            log(ctx, LIVE_ERROR, line);
        }
    }
}

int live_session_write(const char *path, live_engine *e, double in_dbu, double out_dbu,
                       live_rec_format fmt, char *err, size_t esz) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, esz, "cannot save the session '%s': %s", path, strerror(errno));
        return -1;
    }
    int n = live_engine_channels(e);
    fprintf(f, "# gainstage live session (written by gainstage %s)\n", gs_version());
    fprintf(f, "inputs = %d\nin_dbu = %.17g\nout_dbu = %.17g\n", n, in_dbu, out_dbu);
    fprintf(f, "record_point = %s\nrecord_format = %s\n",
            live_rec_point_name(live_engine_rec_point(e)), live_rec_format_name(fmt));
    fprintf(f, "monitor.level = %.17g\n", live_ctl_master_get(e));
    int unsafe = 0;
    for (int k = 0; k < n; k++) {
        live_strip_ctl c;
        live_ctl_get(e, k, &c);
        /* One pair a line, '#' a comment: a name with a newline, '#' or a control character
         * would inject lines (the surfaces refuse such names; nothing else may slip through). */
        if (!live_kv_value_ok(c.preset)) {
            unsafe = k + 1;
            break;
        }
        fprintf(f, "ch.%d.preset = %s\nch.%d.level = %.17g\nch.%d.pan = %.17g\n", k + 1, c.preset,
                k + 1, c.level_db, k + 1, c.pan);
        fprintf(f, "ch.%d.mute = %d\nch.%d.solo = %d\n", k + 1, c.mute, k + 1, c.solo);
        for (size_t i = 0; i < c.model->n_params; i++)
            fprintf(f, "ch.%d.param.%s = %.17g\n", k + 1, c.model->params[i].symbol, c.param[i]);
    }
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (unsafe) {
        snprintf(err, esz,
                 "cannot save the session '%s': channel %d's preset name has a newline, '#' or "
                 "a control character",
                 path, unsafe);
        free(text);
        return -1;
    }
    if (bad || gsc_atomic_write(path, text, len) != 0) {
        snprintf(err, esz, "cannot save the session '%s': %s", path, strerror(errno));
        free(text);
        return -1;
    }
    free(text);
    return 0;
}
