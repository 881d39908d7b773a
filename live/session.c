#include "session.h"

#include "atomic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct session_line {
    char key[128], val[LIVE_NAME]; /* values are names and numbers: LIVE_NAME is plenty */
} session_line;

struct live_session {
    char path[4096];
    int n;
    session_line line[LIVE_MAX_CH * (LIVE_MAX_PARAMS + 8) + 16];
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

int live_session_read(const char *path, live_session **out, char *err, size_t esz) {
    *out = NULL;
    char *text = live_file_text(path);
    if (!text) {
        if (errno == ENOENT) return 0;
        snprintf(err, esz, "cannot read session '%s': %s", path, strerror(errno));
        return -1;
    }
    live_session *s = calloc(1, sizeof *s);
    if (!s) {
        free(text);
        snprintf(err, esz, "cannot read session '%s': %s", path, strerror(ENOMEM));
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    gs_kv_reader rd;
    gs_kv kv;
    char kerr[128];
    int got;
    gs_kv_init(&rd, text);
    while ((got = gs_kv_next(&rd, &kv, kerr, sizeof kerr)) > 0) {
        if (s->n == (int)(sizeof s->line / sizeof s->line[0])) break;
        /* Longer values are cut, as the reader before gs_kv did: none of ours is that long. */
        snprintf(s->line[s->n].key, sizeof s->line[0].key, "%s", kv.key);
        snprintf(s->line[s->n].val, sizeof s->line[0].val, "%.*s", (int)sizeof s->line[0].val - 1,
                 kv.value);
        s->n++;
    }
    free(text);
    if (got < 0) {
        snprintf(err, esz, "session '%s' %s", path, kerr);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void live_session_free(live_session *s) { free(s); }

void live_session_setup(const live_session *s, live_setup *st, const live_setup_fixed *fixed) {
    for (int i = 0; s && i < s->n; i++) {
        const char *k = s->line[i].key, *v = s->line[i].val;
        int ch;
        char rest[128];
        if (!strcmp(k, "inputs") && !fixed->n)
            st->n = atoi(v);
        else if (!strcmp(k, "in_dbu") && !fixed->in_dbu)
            st->in_dbu = atof(v);
        else if (!strcmp(k, "out_dbu") && !fixed->out_dbu)
            st->out_dbu = atof(v);
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
    double v = atof(text);
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
        if (sscanf(s->line[i].key, "ch.%d.%127s", &ch, rest) != 2 || ch < 1 || ch > n) continue;
        if (apply_value(e, ch - 1, rest, s->line[i].val, keep_params[ch - 1], err, sizeof err) &&
            log) {
            char line[4096 + 512];
            snprintf(line, sizeof line, "session '%s': channel %d: %s", s->path, ch, err);
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
    for (int k = 0; k < n; k++) {
        live_strip_ctl c;
        live_ctl_get(e, k, &c);
        fprintf(f, "ch.%d.preset = %s\nch.%d.level = %.17g\nch.%d.pan = %.17g\n", k + 1, c.preset,
                k + 1, c.level_db, k + 1, c.pan);
        fprintf(f, "ch.%d.mute = %d\nch.%d.solo = %d\n", k + 1, c.mute, k + 1, c.solo);
        for (size_t i = 0; i < c.model->n_params; i++)
            fprintf(f, "ch.%d.param.%s = %.17g\n", k + 1, c.model->params[i].symbol, c.param[i]);
    }
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || gsc_atomic_write(path, text, len) != 0) {
        snprintf(err, esz, "cannot save the session '%s': %s", path, strerror(errno));
        free(text);
        return -1;
    }
    free(text);
    return 0;
}
