/* gainstage live: the application (app.h). Between the back end, the engine, the recorder, the
 * session file and the surfaces: policy, not DSP and not I/O to the audio system.
 *
 * A sample-rate change re-creates the channels on the main thread and swaps them in through the
 * engine's command queue, and starts a new take if recording (one file has one rate). Xruns are
 * counted and reported; they never stop anything. A failed disk stops the recording, never the
 * monitoring.
 */
#include "app.h"

#include "frontend.h"
#include "session.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct live_app {
    live_app_config cfg;
    live_backend_client client;
    const live_backend_iface *be;
    live_backend *b;
    live_engine *e;
    int n;
    /* Recording: rec, rec_rate, rec_fail_reported and the load totals under rec_lock. */
    pthread_mutex_t rec_lock;
    live_rec *rec;
    /* The controls as last logged in the take's sidecar, and when the take started. */
    live_strip_ctl rec_seen[LIVE_MAX_CH];
    double rec_seen_master; /* the monitor master, dB */
    double rec_t0;
    double rec_rate;
    int rec_fail_reported;
    /* From the back end's threads. */
    atomic_int quit, gone;
    char gone_why[320];
    _Atomic uint64_t xruns;
    _Atomic uint32_t rate, bufsize;
    /* Load totals over the whole run: wall and CPU time, fractions of a period. */
    double load_sum, load_max, cpu_sum, cpu_max, late_max;
    uint64_t load_n;
    double t_start;
    uint64_t last_lat;
};

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* For text: an exact zero is -inf dBFS (printf's "-inf"), not a made-up floor. */
static double dbfs_inf(float x) { return x > 0.0f ? 20.0 * log10((double)x) : -INFINITY; }

void live_app_log(live_app *a, live_level level, const char *fmt, ...) {
    char line[4608];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (a->cfg.log) a->cfg.log(a->cfg.log_ctx, level, line);
}

/* ---- back-end callbacks ------------------------------------------------------------------ */

GS_LIVE_RT static void cb_process(void *ctx, const float *const *in, float *const *out,
                                  float *mon_l, float *mon_r, uint32_t n, uint32_t frame_time) {
    live_app *a = ctx;
    live_engine_run(a->e, in, out, mon_l, mon_r, n, frame_time);
}

GS_LIVE_RT static void cb_timing(void *ctx, const live_period_time *t) {
    live_app *a = ctx;
    live_engine_account(a->e, t);
}

static void cb_rate(void *ctx, uint32_t hz) { atomic_store(&((live_app *)ctx)->rate, hz); }
static void cb_period(void *ctx, uint32_t n) { atomic_store(&((live_app *)ctx)->bufsize, n); }
static void cb_xrun(void *ctx) { atomic_fetch_add(&((live_app *)ctx)->xruns, 1); }

static void cb_gone(void *ctx, const char *why) {
    live_app *a = ctx;
    snprintf(a->gone_why, sizeof a->gone_why, "%s", why);
    atomic_store(&a->gone, 1);
}

static uint32_t cb_latency(void *ctx, int k) {
    live_app *a = ctx;
    live_strip_ctl c;
    live_ctl_get(a->e, k, &c);
    return c.latency;
}

static void cb_log(void *ctx, live_level level, const char *msg) {
    live_app *a = ctx;
    if (a->cfg.log) a->cfg.log(a->cfg.log_ctx, level, msg);
}

live_app *live_app_new(const live_app_config *c) {
    live_app *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->cfg = *c;
    pthread_mutex_init(&a->rec_lock, NULL);
    a->client = (live_backend_client){.ctx = a,
                                      .process = cb_process,
                                      .timing = cb_timing,
                                      .rate = cb_rate,
                                      .period = cb_period,
                                      .xrun = cb_xrun,
                                      .gone = cb_gone,
                                      .latency = cb_latency,
                                      .log = cb_log};
    a->t_start = mono_now();
    a->last_lat = UINT64_MAX;
    return a;
}

void live_app_free(live_app *a) {
    if (!a) return;
    pthread_mutex_destroy(&a->rec_lock);
    free(a);
}

const live_backend_client *live_app_backend_client(live_app *a) { return &a->client; }
uint32_t live_app_rate(const live_app *a) { return atomic_load(&a->rate); }
live_engine *live_app_engine(live_app *a) { return a->e; }

void live_app_attach(live_app *a, const live_backend_iface *be, live_backend *b, live_engine *e) {
    a->be = be;
    a->b = b;
    a->e = e;
    a->n = live_engine_channels(e);
}

/* ---- recorder ----------------------------------------------------------------------------- */

/* Detach the recorder from the process thread and wait until it has let go. */
static int detach_rec(live_app *a) {
    live_engine_attach_rec(a->e, NULL);
    for (int i = 0; i < 500 && live_engine_rec(a->e) != NULL; i++) {
        if (atomic_load(&a->gone)) return 0; /* no process thread any more */
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    return live_engine_rec(a->e) == NULL || atomic_load(&a->gone) ? 0 : -1;
}

static void log_changes(live_app *a);

static int rec_stop_locked(live_app *a, int report) {
    if (!a->rec) return 0;
    /* The changes since the last control tick (a quit right after a fader move) still count. */
    if (!a->rec_fail_reported) log_changes(a);
    if (detach_rec(a)) {
        live_app_log(a, LIVE_ERROR,
                     "the process thread did not let go of the recorder; leaving it open");
        return -1;
    }
    live_rec_status s;
    live_rec_status_get(a->rec, &s);
    int rc = live_rec_stop(a->rec);
    a->rec = NULL;
    if (report)
        live_app_log(a, LIVE_INFO,
                     "recording %s stopped: %.2f s per channel, %llu periods dropped, %llu frames "
                     "of xrun silence",
                     s.take, s.seconds, (unsigned long long)s.dropped,
                     (unsigned long long)s.gap_frames);
    return rc;
}

static int rec_start_locked(live_app *a, const char *name, char *err, size_t esz) {
    if (a->rec) return 0;
    if (!a->cfg.rec_dir) {
        snprintf(err, esz, "no recording folder (start with --record DIR)");
        return -1;
    }
    const char *presets[2 * LIVE_MAX_CH];
    static live_strip_ctl c[LIVE_MAX_CH]; /* under rec_lock */
    live_rec_point point = live_engine_rec_point(a->e);
    int nfiles = point == LIVE_REC_BOTH ? 2 * a->n : a->n;
    for (int k = 0; k < a->n; k++) live_ctl_get(a->e, k, &c[k]);
    for (int f = 0; f < nfiles; f++) presets[f] = c[f % a->n].preset;
    double rate = live_engine_rate(a->e);
    char why[512];
    a->rec = live_rec_start_named(a->cfg.rec_dir, name, nfiles, rate, a->cfg.rec_fmt, point,
                                  presets, why, sizeof why);
    if (!a->rec) {
        live_app_log(a, LIVE_ERROR, "%s", why);
        snprintf(err, esz, "cannot start recording in '%s'", a->cfg.rec_dir);
        return -1;
    }
    a->rec_rate = rate;
    a->rec_fail_reported = 0;
    memcpy(a->rec_seen, c, sizeof c);
    a->rec_seen_master = live_ctl_master_get(a->e);
    a->rec_t0 = mono_now();
    live_engine_attach_rec(a->e, a->rec);
    live_rec_status s;
    live_rec_status_get(a->rec, &s);
    live_app_log(a, LIVE_INFO, "recording %s (%s, %s)", s.take,
                 live_rec_point_name(live_engine_rec_point(a->e)),
                 live_rec_format_name(a->cfg.rec_fmt));
    return 0;
}

int live_app_record(live_app *a, int on, char *err, size_t esz) {
    return live_app_record_named(a, on, NULL, err, esz);
}

int live_app_record_named(live_app *a, int on, const char *name, char *err, size_t esz) {
    pthread_mutex_lock(&a->rec_lock);
    int rc = on ? rec_start_locked(a, name, err, esz) : rec_stop_locked(a, 1);
    if (rc && !on) snprintf(err, esz, "stopping the recording failed");
    pthread_mutex_unlock(&a->rec_lock);
    return rc;
}

/* ---- session, status, quit ---------------------------------------------------------------- */

int live_app_save_session(live_app *a, char *err, size_t esz) {
    if (!a->cfg.session) {
        snprintf(err, esz, "no session file (start with --session FILE)");
        return -1;
    }
    return live_session_write(a->cfg.session, a->e, a->cfg.in_dbu, a->cfg.out_dbu, a->cfg.rec_fmt,
                              err, esz);
}

void live_app_quit(live_app *a) { atomic_store(&a->quit, 1); }

void live_app_status(live_app *a, char *buf, size_t size) {
    size_t len = 0;
    pthread_mutex_lock(&a->rec_lock);
    len += (size_t)snprintf(buf + len, size - len,
                            "%u Hz, %u frames, load %.1f%% (max %.1f%%), "
                            "xruns %llu",
                            atomic_load(&a->rate), atomic_load(&a->bufsize),
                            a->load_n ? 100.0 * a->load_sum / (double)a->load_n : 0.0,
                            100.0 * a->load_max, (unsigned long long)atomic_load(&a->xruns));
    if (a->rec && len < size) {
        live_rec_status s;
        live_rec_status_get(a->rec, &s);
        len += (size_t)snprintf(buf + len, size - len, ", rec %.1f s%s (dropped %llu)", s.seconds,
                                s.failed ? " STOPPED" : "", (unsigned long long)s.dropped);
    }
    pthread_mutex_unlock(&a->rec_lock);
    for (int k = 0; k < a->n && len < size; k++) {
        const live_meter *m = live_engine_meter(a->e, k);
        /* Before the preamp (the converter input) and after it; silence reads -inf. */
        len += (size_t)snprintf(buf + len, size - len, " | %d: pre %.1f post %.1f dBFS", k + 1,
                                dbfs_inf(atomic_load(&m->in_peak)),
                                dbfs_inf(atomic_load(&m->out_peak)));
    }
}

void live_app_info_get(live_app *a, live_app_info *out) {
    memset(out, 0, sizeof *out);
    out->rate = atomic_load(&a->rate);
    out->bufsize = atomic_load(&a->bufsize);
    out->xruns = atomic_load(&a->xruns);
    live_miss_counts mc;
    live_engine_misses(a->e, &mc);
    out->late = mc.missed;
    pthread_mutex_lock(&a->rec_lock);
    out->load_mean = a->load_n ? a->load_sum / (double)a->load_n : 0.0;
    out->load_max = a->load_max;
    if (a->rec) {
        live_rec_status s;
        live_rec_status_get(a->rec, &s);
        out->recording = !s.failed;
        out->rec_seconds = s.seconds;
        /* The take's name without its folder. */
        const char *base = strrchr(s.take, '/');
        snprintf(out->take, sizeof out->take, "%.255s", base ? base + 1 : s.take);
    }
    pthread_mutex_unlock(&a->rec_lock);
}

/* ---- main loop ------------------------------------------------------------------------------ */

/* The engine's load since the last call into the run's totals. */
static void take_load(live_app *a) {
    live_load ld;
    live_engine_load(a->e, &ld);
    pthread_mutex_lock(&a->rec_lock); /* the OSC thread reads these for /gainstage/status */
    a->load_sum += ld.mean * (double)ld.n;
    a->cpu_sum += ld.cpu_mean * (double)ld.n;
    a->load_n += ld.n;
    if (ld.max > a->load_max) a->load_max = ld.max;
    if (ld.cpu_max > a->cpu_max) a->cpu_max = ld.cpu_max;
    if (ld.late_max > a->late_max) a->late_max = ld.late_max;
    pthread_mutex_unlock(&a->rec_lock);
}

/* A new server rate: new channels, and a new take (one file has one rate). */
static void follow_rate(live_app *a) {
    double rate = (double)atomic_load(&a->rate);
    if (rate == live_engine_rate(a->e)) return;
    live_app_log(a, LIVE_INFO, "the server changed to %.0f Hz: re-creating the channels", rate);
    char err[256];
    if (live_ctl_rate(a->e, rate, err, sizeof err)) {
        live_app_log(a, LIVE_ERROR, "%s", err);
        return;
    }
    pthread_mutex_lock(&a->rec_lock);
    if (a->rec) {
        rec_stop_locked(a, 1);
        if (rec_start_locked(a, NULL, err, sizeof err)) live_app_log(a, LIVE_ERROR, "%s", err);
    }
    pthread_mutex_unlock(&a->rec_lock);
}

/* A preset of another model, or a switch, may have changed a channel's latency: tell the DAW. */
static void follow_latency(live_app *a) {
    uint64_t lat_sum = 0;
    for (int k = 0; k < a->n; k++) {
        live_strip_ctl c;
        live_ctl_get(a->e, k, &c);
        lat_sum = lat_sum * 31 + c.latency;
    }
    if (lat_sum != a->last_lat) {
        if (a->last_lat != UINT64_MAX) a->be->latency_changed(a->b);
        a->last_lat = lat_sum;
    }
}

/* One "T ch.K.WHAT VALUE" line in the take's sidecar; k < 0: "T WHAT VALUE", a control of the
 * whole mixer (the monitor master). */
static int note(live_app *a, double t, int k, const char *what, const char *value) {
    char line[LIVE_NAME + 96];
    if (k < 0)
        snprintf(line, sizeof line, "%.3f %s %s", t, what, value);
    else
        snprintf(line, sizeof line, "%.3f ch.%d.%s %s", t, k + 1, what, value);
    return live_rec_note(a->rec, line) == 0;
}

static int note_num(live_app *a, double t, int k, const char *what, double v) {
    char num[32];
    snprintf(num, sizeof num, "%.6g", v);
    return note(a, t, k, what, num);
}

/* The changes of every control since the last look (every control tick, 50 ms: the times are
 * as exact as that), whichever surface made them, into the take's sidecar. Under rec_lock. */
static void log_changes(live_app *a) {
    static live_strip_ctl c; /* under rec_lock */
    double t = mono_now() - a->rec_t0;
    int logged = 0;
    for (int k = 0; k < a->n; k++) {
        live_strip_ctl *o = &a->rec_seen[k];
        live_ctl_get(a->e, k, &c);
        if (strcmp(c.preset, o->preset)) logged += note(a, t, k, "preset", c.preset);
        for (size_t i = 0; i < c.model->n_params && i < LIVE_MAX_PARAMS; i++)
            if (c.model != o->model || c.param[i] != o->param[i])
                logged += note_num(a, t, k, c.model->params[i].symbol, c.param[i]);
        if (c.level_db != o->level_db) logged += note_num(a, t, k, "monitor.level", c.level_db);
        if (c.pan != o->pan) logged += note_num(a, t, k, "monitor.pan", c.pan);
        if (c.mute != o->mute) logged += note_num(a, t, k, "monitor.mute", c.mute);
        if (c.solo != o->solo) logged += note_num(a, t, k, "monitor.solo", c.solo);
        *o = c;
    }
    double master = live_ctl_master_get(a->e);
    if (master != a->rec_seen_master) {
        logged += note_num(a, t, -1, "monitor.level", master);
        a->rec_seen_master = master;
    }
    if (logged) live_rec_note_flush(a->rec);
}

/* The disk thread gave up (full disk): say why once and close the take; monitoring goes on. */
static void follow_rec(live_app *a) {
    pthread_mutex_lock(&a->rec_lock);
    if (a->rec && !a->rec_fail_reported) log_changes(a);
    if (a->rec && !a->rec_fail_reported) {
        live_rec_status s;
        live_rec_status_get(a->rec, &s);
        if (s.failed) {
            live_app_log(a, LIVE_ERROR, "%s", s.msg);
            a->rec_fail_reported = 1;
            rec_stop_locked(a, 0);
        }
    }
    pthread_mutex_unlock(&a->rec_lock);
}

int live_app_run(live_app *a, live_frontend *const *surfaces, int n,
                 volatile sig_atomic_t *interrupted) {
    a->t_start = mono_now();
    for (;;) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
        live_engine_collect(a->e);
        take_load(a);
        if ((interrupted && *interrupted) || atomic_load(&a->quit)) return 0;
        if (atomic_load(&a->gone)) {
            live_app_log(a, LIVE_ERROR, "%s; stopping", a->gone_why);
            return 1;
        }
        follow_rate(a);
        follow_latency(a);
        follow_rec(a);
        if (a->cfg.duration > 0 && mono_now() - a->t_start >= a->cfg.duration) return 0;
        for (int i = 0; i < n; i++)
            if (live_frontend_tick(surfaces[i])) return 0;
    }
}

/* The wall-time load is the back end's DSP load; the CPU-time load is the DSP's own cost. The
 * late periods say whether the xruns were ours (DSP) or the machine's (late start, stall). */
static void log_stop_line(live_app *a) {
    live_miss_counts mc;
    live_engine_misses(a->e, &mc);
    double ln = a->load_n ? (double)a->load_n : 1.0;
    live_app_log(a, LIVE_INFO,
                 "stopped after %.1f s: %llu periods, xruns %llu, DSP load mean %.2f%% max "
                 "%.2f%%, CPU mean %.2f%% max %.2f%%, latest start %.2f%%; late periods %llu (DSP "
                 "%llu, started late %llu, stalled %llu)",
                 mono_now() - a->t_start, (unsigned long long)live_engine_cycles(a->e),
                 (unsigned long long)atomic_load(&a->xruns), 100.0 * a->load_sum / ln,
                 100.0 * a->load_max, 100.0 * a->cpu_sum / ln, 100.0 * a->cpu_max,
                 100.0 * a->late_max, (unsigned long long)mc.missed, (unsigned long long)mc.dsp,
                 (unsigned long long)mc.late, (unsigned long long)mc.stall);
}

int live_app_finish(live_app *a) {
    int rc = 0;
    pthread_mutex_lock(&a->rec_lock);
    if (rec_stop_locked(a, 1)) rc = 1;
    pthread_mutex_unlock(&a->rec_lock);
    if (a->cfg.session) {
        char err[512];
        if (live_app_save_session(a, err, sizeof err)) {
            live_app_log(a, LIVE_ERROR, "%s", err);
            rc = 1;
        } else {
            live_app_log(a, LIVE_INFO, "session saved to %s", a->cfg.session);
        }
    }
    log_stop_line(a);
    return rc;
}
