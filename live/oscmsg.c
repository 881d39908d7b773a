/* gainstage live: OSC messages, validated and dispatched (oscmsg.h). No liblo, no sockets.
 * The address space is documented in doc/live.md. */
#include "oscmsg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OSC replies floor at -180 dBFS (documented in doc/live.md), below any real signal (a 24-bit
 * LSB is -144 dBFS) and a plain number: many OSC clients (and 'f' consumers that compare or
 * scale) mishandle an infinite float. The text surfaces print -inf instead. */
static double dbfs(float x) { return x > 1e-9f ? 20.0 * log10((double)x) : -180.0; }

static void reply_init(live_osc_reply *r, const char *path) {
    snprintf(r->path, sizeof r->path, "%s", path);
    r->n = 0;
    r->text_len = 0;
}
static void add_f(live_osc_reply *r, double v) {
    if (r->n >= LIVE_OSC_REPLY_ARGS) return;
    r->arg[r->n].type = 'f';
    r->arg[r->n++].f = (float)v;
}
static void add_i(live_osc_reply *r, int64_t v) {
    if (r->n >= LIVE_OSC_REPLY_ARGS) return;
    r->arg[r->n].type = 'i';
    r->arg[r->n++].i = (int32_t)v;
}
static void add_s(live_osc_reply *r, const char *s) {
    if (r->n >= LIVE_OSC_REPLY_ARGS) return;
    size_t room = sizeof r->text - r->text_len;
    if (room == 0) return;
    char *dst = r->text + r->text_len;
    int w = snprintf(dst, room, "%s", s);
    size_t used = w < 0 ? 1 : (size_t)w + 1 > room ? room : (size_t)w + 1;
    r->text_len += used;
    r->arg[r->n].type = 's';
    r->arg[r->n++].s = dst;
}

void live_osc_reply_error(live_osc_reply *r, const char *path, const char *msg) {
    reply_init(r, "/gainstage/error");
    add_s(r, path);
    add_s(r, msg);
}

/* A numeric argument as a double: int, float or double types, or a string that is a whole
 * number; finite only (NaN and Inf are refused). 0, or -1. The OSC T/F types are not numbers. */
static int arg_num(const live_osc_arg *a, int argc, int i, double *v) {
    if (i >= argc) return -1;
    switch (a[i].type) {
    case 'i':
    case 'h': *v = (double)a[i].i; return 0;
    case 'f':
    case 'd': *v = a[i].f; return isfinite(*v) ? 0 : -1;
    case 's':
    case 'S': {
        char *end;
        if (!a[i].s || !a[i].s[0]) return -1;
        *v = strtod(a[i].s, &end);
        return *end || !isfinite(*v) ? -1 : 0;
    }
    default: return -1;
    }
}

/* A value for the library's parser (gs_parse_value: "40", "40dB", "high"), as text. Numbers
 * must be finite; T/F are not values. */
static int arg_text(const live_osc_arg *a, int argc, int i, char *buf, size_t size) {
    if (i >= argc) return -1;
    switch (a[i].type) {
    case 'f':
    case 'd':
        if (!isfinite(a[i].f)) return -1;
        snprintf(buf, size, a[i].type == 'f' ? "%.9g" : "%.17g", a[i].f);
        return 0;
    case 'i':
    case 'h': snprintf(buf, size, "%lld", (long long)a[i].i); return 0;
    case 's':
    case 'S':
        if (!a[i].s || strlen(a[i].s) >= size) return -1;
        snprintf(buf, size, "%s", a[i].s);
        return 0;
    default: return -1;
    }
}

/* A boolean: int or float 0 or 1, the strings "0", "1", "true", "false", or the types T and F.
 * 0 or 1, or -1 for anything else. */
static int arg_bool(const live_osc_arg *a, int argc, int i) {
    if (i >= argc) return -1;
    switch (a[i].type) {
    case 'T': return 1;
    case 'F': return 0;
    case 'i':
    case 'h': return a[i].i == 0 ? 0 : a[i].i == 1 ? 1 : -1;
    case 'f':
    case 'd': return a[i].f == 0.0 ? 0 : a[i].f == 1.0 ? 1 : -1;
    case 's':
    case 'S':
        if (!a[i].s) return -1;
        if (!strcmp(a[i].s, "1") || !strcmp(a[i].s, "true")) return 1;
        if (!strcmp(a[i].s, "0") || !strcmp(a[i].s, "false")) return 0;
        return -1;
    default: return -1;
    }
}

/* A change of channel k's strip (`leaf` of /gainstage/ch/K/LEAF): 0, or -1 with err filled
 * (a refusal with err empty is answered "refused"). */
static int channel_change(live_engine *e, int k, const char *leaf, const live_osc_arg *a, int argc,
                          char *err, size_t esz) {
    double v;
    char t[LIVE_NAME], sym[64];
    if (!strcmp(leaf, "gain")) {
        if (arg_text(a, argc, 0, t, sizeof t)) {
            snprintf(err, esz, "gain needs a finite value in dB");
            return -1;
        }
        int bad = live_ctl_param(e, k, "gain", t, err, esz);
        return bad || err[0] ? -1 : 0;
    }
    if (!strcmp(leaf, "param")) {
        if (arg_text(a, argc, 0, sym, sizeof sym) || (a[0].type != 's' && a[0].type != 'S') ||
            arg_text(a, argc, 1, t, sizeof t)) {
            snprintf(err, esz, "param needs a symbol and a finite value");
            return -1;
        }
        return live_ctl_param(e, k, sym, t, err, esz);
    }
    if (!strcmp(leaf, "mute") || !strcmp(leaf, "solo")) {
        int on = arg_bool(a, argc, 0);
        if (on < 0) {
            snprintf(err, esz, "%s needs 0 or 1 (or true/false)", leaf);
            return -1;
        }
        return leaf[0] == 'm' ? live_ctl_mute(e, k, on) : live_ctl_solo(e, k, on);
    }
    if (!strcmp(leaf, "level") || !strcmp(leaf, "pan")) {
        if (arg_num(a, argc, 0, &v)) {
            snprintf(err, esz, "%s needs a finite number", leaf);
            return -1;
        }
        return leaf[0] == 'l' ? live_ctl_level(e, k, v, err, esz) : live_ctl_pan(e, k, v, err, esz);
    }
    if (!strcmp(leaf, "preset")) {
        if (arg_text(a, argc, 0, t, sizeof t) || (a[0].type != 's' && a[0].type != 'S')) {
            snprintf(err, esz, "preset needs a name");
            return -1;
        }
        return live_ctl_preset(e, k, t, err, esz);
    }
    snprintf(err, esz, "unknown address (see doc/live.md)");
    return -1;
}

/* The queries of channel k: answered into r (1), or 0 if `leaf` is not one. */
static int channel_query(live_engine *e, int k, const char *leaf, const char *path,
                         live_osc_reply *r) {
    if (!strcmp(leaf, "meter")) {
        const live_meter *mt = live_engine_meter(e, k);
        reply_init(r, path);
        add_f(r, dbfs(atomic_load(&mt->in_peak)));
        add_f(r, dbfs(atomic_load(&mt->out_peak)));
        add_f(r, dbfs(atomic_load(&mt->out_rms)));
        add_i(r, (int32_t)atomic_load(&mt->in_clips));
        add_i(r, (int32_t)atomic_load(&mt->out_clips));
        return 1;
    }
    if (!strcmp(leaf, "get")) {
        live_strip_ctl c;
        live_ctl_get(e, k, &c);
        double gain = NAN;
        size_t id; /* a strip's one "gain" (block.gain), as /param finds it */
        if (gs_model_param_find(c.model, "gain", &id) == GS_OK) gain = c.param[id];
        reply_init(r, path);
        add_s(r, c.preset);
        add_f(r, gain);
        add_f(r, c.level_db);
        add_f(r, c.pan);
        add_i(r, c.mute);
        add_i(r, c.solo);
        return 1;
    }
    return 0;
}

/* The global queries: answered into r (1), or 0 if `path` is not one. */
static int global_query(live_engine *e, live_app *app, const live_osc_stats *st, const char *path,
                        live_osc_reply *r) {
    if (!strcmp(path, "/gainstage/monitor/get")) {
        float l, rr;
        live_engine_monitor_peak(e, &l, &rr);
        reply_init(r, path);
        add_f(r, live_ctl_master_get(e)); /* dB, -90 = off */
        add_f(r, dbfs(l));
        add_f(r, dbfs(rr));
        return 1;
    }
    if (!strcmp(path, "/gainstage/meters")) {
        reply_init(r, path);
        for (int c = 0; c < live_engine_channels(e); c++)
            add_f(r, dbfs(atomic_load(&live_engine_meter(e, c)->out_peak)));
        float l, rr;
        live_engine_monitor_peak(e, &l, &rr);
        add_f(r, dbfs(l));
        add_f(r, dbfs(rr));
        return 1;
    }
    if (!strcmp(path, "/gainstage/status") && app) {
        char line[4096], osc[160] = "";
        live_app_status(app, line, sizeof line);
        if (st)
            snprintf(osc, sizeof osc, ", osc received %llu answered %llu dropped %llu",
                     (unsigned long long)atomic_load(&st->received),
                     (unsigned long long)atomic_load(&st->answered),
                     (unsigned long long)atomic_load(&st->dropped));
        /* The OSC counters before the per-channel meters: after the status proper. */
        char *bar = strstr(line, " | ");
        char out[4096 + 160];
        if (bar)
            snprintf(out, sizeof out, "%.*s%s%s", (int)(bar - line), line, osc, bar);
        else
            snprintf(out, sizeof out, "%s%s", line, osc);
        reply_init(r, path);
        add_s(r, out);
        return 1;
    }
    return 0;
}

/* The global commands (the monitor master, the application's): 0, or -1 with err filled. */
static int global_change(live_engine *e, live_app *app, const char *path, const live_osc_arg *a,
                         int argc, char *err, size_t esz) {
    if (!strcmp(path, "/gainstage/monitor/level")) {
        double v;
        if (arg_num(a, argc, 0, &v)) {
            snprintf(err, esz, "the monitor master needs a finite number of dB");
            return -1;
        }
        return live_ctl_master(e, v, err, esz);
    }
    if (!strcmp(path, "/gainstage/record") && app) {
        int on = arg_bool(a, argc, 0);
        if (on < 0) {
            snprintf(err, esz, "record needs 0 or 1 (or true/false)");
            return -1;
        }
        /* An optional second argument names the take (files NAME-chNN.wav). */
        const char *name = on == 1 && argc >= 2 && a[1].type == 's' ? a[1].s : NULL;
        return live_app_record_named(app, on, name, err, esz);
    }
    if (!strcmp(path, "/gainstage/session/save") && app)
        return live_app_save_session(app, err, esz);
    if (!strcmp(path, "/gainstage/quit") && app) {
        live_app_quit(app);
        return 0;
    }
    snprintf(err, esz, "unknown address (see doc/live.md)");
    return -1;
}

/* "/gainstage/ch/K/LEAF" with K decimal, 1 to 3 digits, no sign, space or leading zero; LEAF
 * without '/'. 1 with *k (from 1) and *leaf set; 0 if the path is not under /gainstage/ch/;
 * -1 if it is but K or LEAF is malformed. */
static int channel_path(const char *path, int *k, const char **leaf) {
    static const char pre[] = "/gainstage/ch/";
    if (strncmp(path, pre, sizeof pre - 1)) return 0;
    const char *p = path + sizeof pre - 1;
    int v = 0, nd = 0;
    if (*p < '1' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9') {
        if (++nd > 3) return -1;
        v = v * 10 + (*p++ - '0');
    }
    if (*p != '/' || !p[1] || strchr(p + 1, '/')) return -1;
    *k = v;
    *leaf = p + 1;
    return 1;
}

int live_osc_dispatch(live_engine *e, live_app *app, const live_osc_stats *stats, const char *path,
                      const live_osc_arg *argv, int argc, live_osc_reply *r) {
    char err[512] = "";
    const char *leaf = NULL;
    int k = 0, bad;
    int ch = channel_path(path, &k, &leaf);
    if (ch < 0) {
        snprintf(err, sizeof err, "channel addresses are /gainstage/ch/K/... with K from 1 to %d",
                 live_engine_channels(e));
        bad = 1;
    } else if (ch > 0) {
        k -= 1;
        if (k >= live_engine_channels(e)) {
            snprintf(err, sizeof err, "no channel %d (there are %d)", k + 1,
                     live_engine_channels(e));
            bad = 1;
        } else {
            if (channel_query(e, k, leaf, path, r)) return 0;
            bad = channel_change(e, k, leaf, argv, argc, err, sizeof err) != 0;
        }
    } else {
        if (global_query(e, app, stats, path, r)) return 0;
        bad = global_change(e, app, path, argv, argc, err, sizeof err) != 0;
    }
    if (bad) {
        live_osc_reply_error(r, path, err[0] ? err : "refused");
        return 1;
    }
    reply_init(r, "/gainstage/ok");
    add_s(r, path);
    return 0;
}
