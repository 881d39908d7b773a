/* gainstage live: the mixer engine. N preamp channels, direct outputs, a stereo monitor mix with
 * level, pan, mute and solo and a master level, meters, and the tap that feeds the recorder.
 *
 * Real-time design: live_engine_run() (the back end's process callback's work) owns the channel
 * objects and the mix state. Other threads never touch them: they post fixed-size commands into a
 * live_ring (ring.h: lock-free single producer / single consumer; the producers serialise among
 * themselves with `lock`, which the process thread never takes). A channel that has to be replaced
 * (another model, another sample rate) is created off the RT thread, swapped in by a command, and
 * the old one comes back through a second ring to be freed by the main loop.
 */
#include "live.h"
#include "ring.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* Distinct strips one session may switch between (the built-in ones are 8). */
#define LIVE_TABLES 64

typedef enum {
    CMD_PARAM, /* k, id, value */
    CMD_SWAP,  /* k, ptr = new channel */
    CMD_LEVEL, /* k, value = linear gain */
    CMD_PAN,   /* k, value = -1..1 */
    CMD_MUTE,  /* k, id */
    CMD_SOLO,  /* k, id */
    CMD_RATE,  /* value = Hz */
    CMD_REC,   /* ptr = recorder or NULL */
    CMD_POINT, /* id = live_rec_point */
    CMD_MASTER /* value = linear gain of the monitor bus */
} cmd_type;

typedef struct live_cmd {
    cmd_type type;
    int k;
    uint32_t id;
    double value;
    void *ptr;
} live_cmd;

typedef struct strip_rt {
    gs_channel *ch;
    gs_stream *st;    /* calibration and meters around ch (the library's, as `process` runs it) */
    float level, pan; /* targets */
    int mute, solo;
    float gl, gr; /* monitor gains applied at the end of the last period */
} strip_rt;

struct live_engine {
    int n;
    double in_vpu, out_vpu;
    live_preset_dirs dirs; /* where a surface's preset names are looked up (read-only) */

    /* Process-thread state. */
    strip_rt s[LIVE_MAX_CH];
    float *pre; /* n x LIVE_CHUNK: each input chunk, read from its port buffer once */
    double rate_rt;
    uint32_t win_n, win_len;
    float mon_acc_l, mon_acc_r;
    float master, mg; /* monitor master: target, and gain applied at the end of the last period */
    live_rec *rec_rt;
    live_rec_point point_rt;

    /* Published by the process thread. */
    live_meter meter[LIVE_MAX_CH];
    _Atomic float mon_peak_l, mon_peak_r;
    _Atomic(live_rec *) rec_seen;
    _Atomic uint64_t cycles;
    _Atomic uint64_t load_sum_ppm, load_n, load_max_ppm, cpu_sum_ppm, cpu_max_ppm, late_max_ppm;
    _Atomic uint64_t miss_n, miss_dsp, miss_late, miss_stall;

    /* Control side. */
    pthread_mutex_t lock;
    live_strip_ctl ctl[LIVE_MAX_CH];
    double master_db; /* the monitor master's mirror, dB */
    double rate_ctl;
    live_rec_point point_ctl;
    live_ring *cmd, *trash;
    /* Strips' parameter tables (one channel per distinct chain, never processed): the mirror's
     * `model` points into one, and a snapshot (live_ctl_get) may be read after the channel has
     * switched to another preset, so they live until live_engine_free. */
    pthread_mutex_t tlock;
    int n_tables;
    gs_channel *table[LIVE_TABLES];
};

#define CMD_SLOTS 4096
#define TRASH_SLOTS 512

/* ---- control side ------------------------------------------------------------------------ */

/* Post one command; the caller holds e->lock. Returns 0, or -1 if the queue is full (the process
 * thread is not running: e.g. the server is gone). */
static int post(live_engine *e, const live_cmd *c) { return live_ring_write(e->cmd, c, sizeof *c); }

static void seterr(char *err, size_t esz, const char *fmt, const char *a, const char *b) {
    if (err && esz) snprintf(err, esz, fmt, a, b);
}

/* The table of the strip whose canonical chain text is `chain`: the engine's, made on first use
 * from preset p (a channel of one-sample blocks: it is never processed). NULL with err filled. */
static const gs_model_info *strip_table(live_engine *e, const gs_preset *p, char *err, size_t esz) {
    const gs_model_info *m = NULL;
    pthread_mutex_lock(&e->tlock);
    for (int i = 0; i < e->n_tables && !m; i++)
        if (!strcmp(gs_channel_model(e->table[i])->name, gs_preset_model(p)))
            m = gs_channel_model(e->table[i]);
    gs_channel *ch = NULL;
    if (!m && e->n_tables == LIVE_TABLES) {
        seterr(err, esz, "preset '%s': this session has used %s distinct strips already",
               gs_preset_name(p), "64");
    } else if (!m && gs_channel_new_preset(p, 48000.0, 1, &ch) != GS_OK) {
        seterr(err, esz, "cannot create the strip '%s' (%s)", gs_preset_name(p),
               gs_preset_model(p));
    } else if (!m) {
        e->table[e->n_tables++] = ch;
        m = gs_channel_model(ch);
    }
    pthread_mutex_unlock(&e->tlock);
    return m;
}

/* The channel behind a strip's table, or NULL for a registry model. */
static gs_channel *table_channel(live_engine *e, const gs_model_info *m) {
    gs_channel *ch = NULL;
    pthread_mutex_lock(&e->tlock);
    for (int i = 0; i < e->n_tables && !ch; i++)
        if (gs_channel_model(e->table[i]) == m) ch = e->table[i];
    pthread_mutex_unlock(&e->tlock);
    return ch;
}

/* A preset's full parameter vector: the model's (or the strip's) defaults with the preset's
 * values on top. */
static int preset_values(live_engine *e, const gs_preset *p, const gs_model_info **model, double *v,
                         char *err, size_t esz) {
    const gs_model_info *m =
        gs_preset_block_count(p) ? strip_table(e, p, err, esz) : gs_model_find(gs_preset_model(p));
    if (!m && gs_preset_block_count(p)) return -1;
    if (!m || m->n_params > LIVE_MAX_PARAMS) {
        seterr(err, esz, "preset '%s' uses model '%s' that this build cannot run",
               gs_preset_name(p), gs_preset_model(p));
        return -1;
    }
    for (size_t i = 0; i < m->n_params; i++) v[i] = m->params[i].def;
    for (size_t j = 0; j < gs_preset_value_count(p); j++) {
        const char *sym;
        double val;
        size_t id;
        gs_preset_value_at(p, j, &sym, &val);
        if (gs_model_param_find(m, sym, &id) == GS_OK) v[id] = val;
    }
    *model = m;
    return 0;
}

/* A channel for strip k's current control state at `rate` (non-RT: allocates). A strip's table
 * is named by its canonical chain text, which the chain parser reads back. */
static gs_channel *make_channel(live_strip_ctl *c, double rate) {
    gs_channel *ch = NULL;
    if (gs_model_find(c->model->name) == c->model
            ? gs_channel_new(c->model->name, rate, LIVE_CHUNK, &ch) != GS_OK
            : gs_channel_new_chain(c->model->name, rate, LIVE_CHUNK, &ch, NULL, 0) != GS_OK)
        return NULL;
    for (size_t i = 0; i < c->model->n_params; i++) gs_channel_set(ch, i, c->param[i]);
    gs_channel_reset(ch); /* values apply at once, circuit at its DC operating point */
    c->latency = gs_channel_latency(ch);
    return ch;
}

/* The latency of strip k's control state, asked of the model (non-RT: it may allocate). Called
 * when a parameter the table marks GS_PARAM_LATENCY (the tube models' quality) changes: it can
 * redesign the model, and with it its latency, without a new instance. The process thread's
 * instance takes the value and restarts with that latency; the DAW is told from c->latency. */
static void refresh_latency(live_engine *e, live_strip_ctl *c, double rate) {
    uint32_t latency, sum = 0;
    gs_channel *t = table_channel(e, c->model);
    if (!t) {
        if (gs_model_latency(c->model, c->param, c->model->n_params, rate, &latency) == GS_OK)
            c->latency = latency;
        return;
    }
    /* A strip's latency is the sum of its blocks', each asked of its model with its values. */
    for (size_t b = 0; b < gs_channel_block_count(t); b++) {
        const gs_model_info *bm;
        size_t first, count;
        gs_channel_block_at(t, b, NULL, &bm, &first, &count);
        if (gs_model_latency(bm, c->param + first, count, rate, &latency) != GS_OK) return;
        sum += latency;
    }
    c->latency = sum;
}

static void pan_gains(double pan, double level, float *gl, float *gr) {
    /* Constant-power law: -3 dB each side at the centre, so a source keeps its loudness as it
     * moves across the stereo image. */
    double th = (pan + 1.0) * 0.78539816339744830962; /* pi/4 */
    *gl = (float)(level * cos(th));
    *gr = (float)(level * sin(th));
}

/* Strip k's control state and its channel from the preset named in the configuration. */
static int engine_strip_init(live_engine *e, const live_config *cfg, int k, double rate, char *err,
                             size_t esz) {
    gs_preset *p = cfg->named[k] ? live_preset_named(&e->dirs, cfg->preset[k], err, esz)
                                 : live_preset_load(cfg->preset[k], err, esz);
    if (!p) return -1;
    live_strip_ctl *c = &e->ctl[k];
    int bad = preset_values(e, p, &c->model, c->param, err, esz);
    gs_preset_free(p);
    if (bad) return -1;
    snprintf(c->preset, sizeof c->preset, "%s", cfg->preset[k]);
    c->level_db = 0.0;
    c->pan = 0.0;
    strip_rt *s = &e->s[k];
    s->ch = make_channel(c, rate);
    if (!s->ch || gs_stream_new(s->ch, 0, &s->st) != GS_OK) {
        if (err && esz)
            snprintf(err, esz, "cannot create channel %d (%s) at %.0f Hz", k + 1, c->preset, rate);
        return -1;
    }
    gs_stream_set_in_volts(s->st, e->in_vpu, 0.0);
    gs_stream_set_out_volts(s->st, e->out_vpu, 0.0);
    s->level = 1.0f;
    s->pan = 0.0f;
    pan_gains(0.0, 1.0, &s->gl, &s->gr);
    return 0;
}

live_engine *live_engine_new(const live_config *cfg, double rate, char *err, size_t esz) {
    if (cfg->n < 1 || cfg->n > LIVE_MAX_CH) {
        if (err && esz) snprintf(err, esz, "--inputs must be 1 to %d", LIVE_MAX_CH);
        return NULL;
    }
    if (rate < GS_RATE_MIN || rate > GS_RATE_MAX) {
        if (err && esz)
            snprintf(err, esz, "the JACK server runs at %.0f Hz; gainstage runs at 44.1 to 192 kHz",
                     rate);
        return NULL;
    }
    live_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->tlock, NULL);
    e->n = cfg->n;
    e->in_vpu = cfg->in_vpu;
    e->out_vpu = cfg->out_vpu;
    e->dirs = cfg->dirs;
    e->rate_rt = e->rate_ctl = rate;
    e->win_len = (uint32_t)(rate / LIVE_METER_HZ);
    e->master = e->mg = 1.0f; /* 0 dB: the mix as the channels make it */
    e->pre = calloc((size_t)e->n * LIVE_CHUNK, sizeof(float));
    e->cmd = live_ring_new(CMD_SLOTS * sizeof(live_cmd));
    e->trash = live_ring_new(TRASH_SLOTS * sizeof(gs_channel *));
    if (!e->pre || !e->cmd || !e->trash) {
        if (err && esz) snprintf(err, esz, "out of memory");
        live_engine_free(e);
        return NULL;
    }
    /* Keep the process thread's memory resident: a page fault there is an xrun. */
    live_ring_mlock(e->cmd);
    live_ring_mlock(e->trash);
    mlock(e->pre, (size_t)e->n * LIVE_CHUNK * sizeof(float)); /* best effort, like the rings */
    for (int k = 0; k < e->n; k++) {
        if (engine_strip_init(e, cfg, k, rate, err, esz)) {
            live_engine_free(e);
            return NULL;
        }
    }
    return e;
}

void live_engine_free(live_engine *e) {
    if (!e) return;
    live_engine_collect(e);
    /* Commands never consumed may hold channels. */
    live_cmd c;
    while (e->cmd && live_ring_read(e->cmd, &c, sizeof c) == 0)
        if (c.type == CMD_SWAP) gs_channel_free(c.ptr);
    for (int k = 0; k < LIVE_MAX_CH; k++) {
        gs_stream_free(e->s[k].st);
        gs_channel_free(e->s[k].ch);
    }
    live_ring_free(e->cmd);
    live_ring_free(e->trash);
    free(e->pre);
    for (int i = 0; i < e->n_tables; i++) gs_channel_free(e->table[i]);
    pthread_mutex_destroy(&e->tlock);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int live_engine_channels(const live_engine *e) { return e->n; }
double live_engine_rate(const live_engine *e) { return e->rate_ctl; }
const live_meter *live_engine_meter(const live_engine *e, int k) { return &e->meter[k]; }
uint64_t live_engine_cycles(const live_engine *e) { return atomic_load(&e->cycles); }

void live_engine_monitor_peak(const live_engine *e, float *l, float *r) {
    *l = atomic_load_explicit(&e->mon_peak_l, memory_order_relaxed);
    *r = atomic_load_explicit(&e->mon_peak_r, memory_order_relaxed);
}

void live_engine_collect(live_engine *e) {
    gs_channel *ch;
    while (e->trash && live_ring_read(e->trash, &ch, sizeof ch) == 0) gs_channel_free(ch);
}

static int check_k(const live_engine *e, int k, char *err, size_t esz) {
    if (k < 0 || k >= e->n) {
        if (err && esz) snprintf(err, esz, "no channel %d (there are %d)", k + 1, e->n);
        return -1;
    }
    return 0;
}

/* Why `symbol` is not one of channel's parameters, in one line: "model tube-preamp has no
 * parameter 'drvie'; did you mean 'drive'?", or for a strip "strip 'CHAIN': drive is in
 * tube1 and tube2: write tube1.drive" (the library's words, gs_param_find_explain). */
static void param_unknown(const gs_model_info *m, const char *symbol, char *err, size_t esz) {
    char why[512];
    gs_param_find_explain(m, symbol, why, sizeof why);
    if (!err || !esz) return;
    if (gs_model_find(m->name) == m)
        snprintf(err, esz, "model %s has %s", m->name, why);
    else
        snprintf(err, esz, "strip '%.300s': %s", m->name, why);
}

int live_ctl_param_value(live_engine *e, int k, const char *symbol, double v, char *err,
                         size_t esz) {
    if (check_k(e, k, err, esz)) return -1;
    pthread_mutex_lock(&e->lock);
    live_strip_ctl *c = &e->ctl[k];
    int rc = -1;
    size_t id;
    if (gs_model_param_find(c->model, symbol, &id) != GS_OK) {
        param_unknown(c->model, symbol, err, esz);
    } else {
        const gs_param_info *pi = &c->model->params[id];
        if (gs_param_check(pi, v) != GS_OK) {
            if (err && esz)
                snprintf(err, esz, "%s must be %g to %g %s", symbol, pi->min, pi->max,
                         gs_unit_symbol(pi->unit));
        } else {
            live_cmd cmd = {CMD_PARAM, k, (uint32_t)id, v, NULL};
            if (post(e, &cmd)) {
                seterr(err, esz, "%s%s", "command queue full (is the JACK server running?)", "");
            } else {
                c->param[id] = v;
                if (pi->flags & GS_PARAM_LATENCY) refresh_latency(e, c, e->rate_ctl);
                rc = 0;
            }
        }
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int live_ctl_param(live_engine *e, int k, const char *symbol, const char *text, char *err,
                   size_t esz) {
    if (check_k(e, k, err, esz)) return -1;
    pthread_mutex_lock(&e->lock);
    const gs_model_info *m = e->ctl[k].model;
    pthread_mutex_unlock(&e->lock);
    size_t id;
    if (gs_model_param_find(m, symbol, &id) != GS_OK) {
        param_unknown(m, symbol, err, esz);
        return -1;
    }
    double v;
    /* As the command line reads it: names for choices, on/off for switches only. */
    if (gs_param_parse(&m->params[id], text, &v) != GS_OK) {
        gs_param_explain(&m->params[id], text, err, esz);
        return -1;
    }
    return live_ctl_param_value(e, k, symbol, v, err, esz);
}

int live_ctl_preset(live_engine *e, int k, const char *name, char *err, size_t esz) {
    if (check_k(e, k, err, esz)) return -1;
    /* Loading may read a file: done before taking the lock. The same loader as a session's
     * presets at start-up: a built-in or a file in the preset folders, nothing else (the name
     * comes from a surface: OSC may be another program). */
    gs_preset *p = live_preset_named(&e->dirs, name, err, esz);
    if (!p) return -1;
    const gs_preset *pp = p;
    live_strip_ctl next;
    pthread_mutex_lock(&e->lock);
    next = e->ctl[k];
    double rate = e->rate_ctl;
    pthread_mutex_unlock(&e->lock);
    if (preset_values(e, pp, &next.model, next.param, err, esz)) {
        gs_preset_free(p);
        return -1;
    }
    gs_preset_free(p);
    snprintf(next.preset, sizeof next.preset, "%s", name);
    int rc = 0;
    pthread_mutex_lock(&e->lock);
    if (next.model == e->ctl[k].model) {
        /* Same circuit: the values glide (no click), as a preset change on hardware would. */
        live_strip_ctl *c = &e->ctl[k];
        if (live_ring_write_space(e->cmd) < c->model->n_params * sizeof(live_cmd)) {
            seterr(err, esz, "%s%s", "command queue full (is the JACK server running?)", "");
            rc = -1;
        } else {
            int relat = 0;
            for (size_t i = 0; i < c->model->n_params; i++) {
                live_cmd cmd = {CMD_PARAM, k, (uint32_t)i, next.param[i], NULL};
                post(e, &cmd);
                relat |=
                    (c->model->params[i].flags & GS_PARAM_LATENCY) && next.param[i] != c->param[i];
            }
            *c = next;
            if (relat) refresh_latency(e, c, rate);
        }
        pthread_mutex_unlock(&e->lock);
        return rc;
    }
    pthread_mutex_unlock(&e->lock);
    /* Another model: a new instance, created here and swapped in by the process thread. */
    gs_channel *ch = make_channel(&next, rate);
    if (!ch) {
        seterr(err, esz, "cannot create model %s for preset '%s'", next.model->name, name);
        return -1;
    }
    pthread_mutex_lock(&e->lock);
    live_cmd cmd = {CMD_SWAP, k, 0, 0.0, ch};
    if (e->rate_ctl != rate || post(e, &cmd)) {
        gs_channel_free(ch);
        seterr(err, esz, "%s%s", "busy (sample-rate change or full queue); try again", "");
        rc = -1;
    } else {
        e->ctl[k] = next;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

static void post_monitor(live_engine *e, int k) {
    live_strip_ctl *c = &e->ctl[k];
    double lin = c->level_db <= LIVE_LEVEL_OFF ? 0.0 : pow(10.0, c->level_db / 20.0);
    live_cmd a = {CMD_LEVEL, k, 0, lin, NULL};
    post(e, &a);
}

int live_ctl_level(live_engine *e, int k, double db, char *err, size_t esz) {
    if (check_k(e, k, err, esz)) return -1;
    if (!isfinite(db) || db > LIVE_LEVEL_MAX) {
        if (err && esz) snprintf(err, esz, "level must be at most %+.0f dB", LIVE_LEVEL_MAX);
        return -1;
    }
    if (db < LIVE_LEVEL_OFF) db = LIVE_LEVEL_OFF;
    pthread_mutex_lock(&e->lock);
    e->ctl[k].level_db = db;
    post_monitor(e, k);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int live_ctl_pan(live_engine *e, int k, double pan, char *err, size_t esz) {
    if (check_k(e, k, err, esz)) return -1;
    if (!isfinite(pan) || pan < -1.0 || pan > 1.0) {
        seterr(err, esz, "%s%s", "pan must be -1 (left) to +1 (right)", "");
        return -1;
    }
    pthread_mutex_lock(&e->lock);
    e->ctl[k].pan = pan;
    live_cmd a = {CMD_PAN, k, 0, pan, NULL};
    post(e, &a);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int live_ctl_mute(live_engine *e, int k, int on) {
    if (check_k(e, k, NULL, 0)) return -1;
    pthread_mutex_lock(&e->lock);
    e->ctl[k].mute = !!on;
    live_cmd a = {CMD_MUTE, k, (uint32_t) !!on, 0.0, NULL};
    post(e, &a);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int live_ctl_solo(live_engine *e, int k, int on) {
    if (check_k(e, k, NULL, 0)) return -1;
    pthread_mutex_lock(&e->lock);
    e->ctl[k].solo = !!on;
    live_cmd a = {CMD_SOLO, k, (uint32_t) !!on, 0.0, NULL};
    post(e, &a);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int live_ctl_master(live_engine *e, double db, char *err, size_t esz) {
    if (!isfinite(db) || db > LIVE_MASTER_MAX) {
        if (err && esz)
            snprintf(err, esz, "the monitor master must be a number of dB up to %+.0f",
                     LIVE_MASTER_MAX);
        return -1;
    }
    if (db < LIVE_MASTER_OFF) db = LIVE_MASTER_OFF;
    live_cmd a = {CMD_MASTER, 0, 0, db <= LIVE_MASTER_OFF ? 0.0 : pow(10.0, db / 20.0), NULL};
    pthread_mutex_lock(&e->lock);
    int rc = post(e, &a);
    if (rc == 0) e->master_db = db;
    pthread_mutex_unlock(&e->lock);
    if (rc) seterr(err, esz, "%s%s", "command queue full (is the JACK server running?)", "");
    return rc ? -1 : 0;
}

double live_ctl_master_get(live_engine *e) {
    pthread_mutex_lock(&e->lock);
    double db = e->master_db;
    pthread_mutex_unlock(&e->lock);
    return db;
}

void live_ctl_get(live_engine *e, int k, live_strip_ctl *out) {
    pthread_mutex_lock(&e->lock);
    *out = e->ctl[k];
    pthread_mutex_unlock(&e->lock);
}

int live_ctl_rate(live_engine *e, double rate, char *err, size_t esz) {
    if (rate < GS_RATE_MIN || rate > GS_RATE_MAX) {
        if (err && esz)
            snprintf(err, esz,
                     "the JACK server changed to %.0f Hz; gainstage runs at 44.1 to 192 kHz", rate);
        return -1;
    }
    pthread_mutex_lock(&e->lock);
    if (rate == e->rate_ctl) {
        pthread_mutex_unlock(&e->lock);
        return 0;
    }
    /* (On the heap: 64 mirrors of 128 values are too much for a thread's stack.) */
    live_strip_ctl *snap = malloc(LIVE_MAX_CH * sizeof *snap);
    if (snap) memcpy(snap, e->ctl, LIVE_MAX_CH * sizeof *snap);
    pthread_mutex_unlock(&e->lock);
    gs_channel *fresh[LIVE_MAX_CH] = {0};
    for (int k = 0; k < e->n; k++) {
        fresh[k] = snap ? make_channel(&snap[k], rate) : NULL;
        if (!fresh[k]) {
            for (int j = 0; j < k; j++) gs_channel_free(fresh[j]);
            free(snap);
            if (err && esz) snprintf(err, esz, "cannot create the channels at %.0f Hz", rate);
            return -1;
        }
    }
    pthread_mutex_lock(&e->lock);
    if (live_ring_write_space(e->cmd) < (size_t)(e->n + 1) * sizeof(live_cmd)) {
        pthread_mutex_unlock(&e->lock);
        for (int k = 0; k < e->n; k++) gs_channel_free(fresh[k]);
        free(snap);
        if (err && esz) snprintf(err, esz, "cannot switch to %.0f Hz: command queue full", rate);
        return -1;
    }
    /* The rate and all the swaps are queued together, so the process thread applies them in one
     * period. Parameter changes made meanwhile are in the queue after them, so none is lost. */
    live_cmd r = {CMD_RATE, 0, 0, rate, NULL};
    post(e, &r);
    for (int k = 0; k < e->n; k++) {
        live_cmd c = {CMD_SWAP, k, 0, 0.0, fresh[k]};
        post(e, &c);
        for (size_t i = 0; i < e->ctl[k].model->n_params; i++) {
            if (e->ctl[k].param[i] != snap[k].param[i]) {
                live_cmd p = {CMD_PARAM, k, (uint32_t)i, e->ctl[k].param[i], NULL};
                post(e, &p);
            }
        }
    }
    for (int k = 0; k < e->n; k++) e->ctl[k].latency = snap[k].latency;
    e->rate_ctl = rate;
    pthread_mutex_unlock(&e->lock);
    free(snap);
    return 0;
}

void live_engine_attach_rec(live_engine *e, live_rec *rec) {
    pthread_mutex_lock(&e->lock);
    live_cmd c = {CMD_REC, 0, 0, 0.0, rec};
    post(e, &c);
    pthread_mutex_unlock(&e->lock);
}

live_rec *live_engine_rec(live_engine *e) { return atomic_load(&e->rec_seen); }

void live_engine_set_rec_point(live_engine *e, live_rec_point p) {
    pthread_mutex_lock(&e->lock);
    e->point_ctl = p;
    live_cmd c = {CMD_POINT, 0, (uint32_t)p, 0.0, NULL};
    post(e, &c);
    pthread_mutex_unlock(&e->lock);
}

live_rec_point live_engine_rec_point(const live_engine *e) { return e->point_ctl; }

const char *live_rec_point_name(live_rec_point p) {
    return p == LIVE_REC_PRE ? "pre" : (p == LIVE_REC_BOTH ? "both" : "post");
}

void live_engine_load(live_engine *e, live_load *l) {
    uint64_t n = atomic_exchange(&e->load_n, 0);
    uint64_t s = atomic_exchange(&e->load_sum_ppm, 0), c = atomic_exchange(&e->cpu_sum_ppm, 0);
    l->n = n;
    l->mean = n ? (double)s / (double)n * 1e-6 : 0.0;
    l->cpu_mean = n ? (double)c / (double)n * 1e-6 : 0.0;
    l->max = (double)atomic_exchange(&e->load_max_ppm, 0) * 1e-6;
    l->cpu_max = (double)atomic_exchange(&e->cpu_max_ppm, 0) * 1e-6;
    l->late_max = (double)atomic_exchange(&e->late_max_ppm, 0) * 1e-6;
}

void live_engine_misses(const live_engine *e, live_miss_counts *m) {
    m->missed = atomic_load(&e->miss_n);
    m->dsp = atomic_load(&e->miss_dsp);
    m->late = atomic_load(&e->miss_late);
    m->stall = atomic_load(&e->miss_stall);
}

/* ---- process thread ---------------------------------------------------------------------- */

GS_LIVE_RT static void store_max(_Atomic uint64_t *m, uint64_t v) {
    uint64_t old = atomic_load_explicit(m, memory_order_relaxed);
    while (v > old && !atomic_compare_exchange_weak(m, &old, v)) {
    }
}

GS_LIVE_RT static uint64_t ppm(double seconds, double period) {
    return seconds > 0.0 ? (uint64_t)(seconds / period * 1e6) : 0;
}

GS_LIVE_RT void live_engine_account(live_engine *e, const live_period_time *t) {
    uint64_t w = ppm(t->wall, t->period), c = ppm(t->cpu, t->period);
    atomic_fetch_add_explicit(&e->load_sum_ppm, w, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->cpu_sum_ppm, c, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->load_n, 1, memory_order_relaxed);
    store_max(&e->load_max_ppm, w);
    store_max(&e->cpu_max_ppm, c);
    if (t->late >= 0.0) store_max(&e->late_max_ppm, ppm(t->late, t->period));
    if (!t->missed) return;
    atomic_fetch_add_explicit(&e->miss_n, 1, memory_order_relaxed);
    /* The first cause that alone explains the miss: our CPU time, then the start, then the rest
     * (time in the callback without running: preempted, or the CPU itself not scheduled). */
    if (t->cpu >= t->period)
        atomic_fetch_add_explicit(&e->miss_dsp, 1, memory_order_relaxed);
    else if (t->late >= 0.0 && t->late + t->cpu >= t->period)
        atomic_fetch_add_explicit(&e->miss_late, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&e->miss_stall, 1, memory_order_relaxed);
}

GS_LIVE_RT static void apply_commands(live_engine *e) {
    live_cmd c;
    while (live_ring_read(e->cmd, &c, sizeof c) == 0) {
        strip_rt *s = &e->s[c.k];
        switch (c.type) {
        case CMD_PARAM: gs_channel_set(s->ch, c.id, c.value); break;
        case CMD_SWAP:
            /* The trash ring has room for every swap the control side can have in flight
             * (TRASH_SLOTS > queue depth of swaps in practice); if it were ever full we keep the
             * old instance rather than free it here (the new one is then leaked, not freed in
             * the process thread). */
            if (live_ring_write(e->trash, &s->ch, sizeof s->ch) == 0) s->ch = c.ptr;
            break;
        case CMD_LEVEL: s->level = (float)c.value; break;
        case CMD_PAN: s->pan = (float)c.value; break;
        case CMD_MUTE: s->mute = (int)c.id; break;
        case CMD_SOLO: s->solo = (int)c.id; break;
        case CMD_RATE:
            e->rate_rt = c.value;
            e->win_len = (uint32_t)(c.value / LIVE_METER_HZ);
            break;
        case CMD_REC:
            e->rec_rt = c.ptr;
            atomic_store(&e->rec_seen, e->rec_rt);
            break;
        case CMD_POINT: e->point_rt = (live_rec_point)c.id; break;
        case CMD_MASTER: e->master = (float)c.value; break;
        }
    }
}

/* The monitor mix of one period: each channel's output at its level, pan, mute and solo, then
 * the monitor master on the summed bus. */
GS_LIVE_RT static void monitor_mix(live_engine *e, float *const *out, float *mon_l, float *mon_r,
                                   uint32_t nframes, int any_solo) {
    const float inv_n = 1.0f / (float)nframes;
    for (int k = 0; k < e->n; k++) {
        strip_rt *s = &e->s[k];
        const float *y = out[k];
        /* Monitor gains glide linearly over the period: no zipper noise on moves, no click on
         * mute. */
        float gl, gr;
        int audible = !s->mute && (!any_solo || s->solo);
        pan_gains(s->pan, audible ? s->level : 0.0, &gl, &gr);
        float dl = (gl - s->gl) * inv_n, dr = (gr - s->gr) * inv_n;
        if (s->gl != 0.0f || gl != 0.0f || s->gr != 0.0f || gr != 0.0f) {
            for (uint32_t i = 0; i < nframes; i++) {
                float t = (float)(i + 1);
                mon_l[i] += y[i] * (s->gl + dl * t);
                mon_r[i] += y[i] * (s->gr + dr * t);
            }
        }
        s->gl = gl;
        s->gr = gr;
    }
    /* The monitor master glides over the period the same way, on the summed bus (after the
     * channels, before the meters); at 0 dB, held, the bus is left as it is. */
    if (e->mg != 1.0f || e->master != 1.0f) {
        float dm = (e->master - e->mg) * inv_n;
        for (uint32_t i = 0; i < nframes; i++) {
            float g = e->mg + dm * (float)(i + 1);
            mon_l[i] *= g;
            mon_r[i] *= g;
        }
        e->mg = e->master;
    }
}

GS_LIVE_RT void live_engine_run(live_engine *e, const float *const *in, float *const *out,
                                float *mon_l, float *mon_r, uint32_t nframes, uint32_t frame_time) {
    apply_commands(e);
    memset(mon_l, 0, nframes * sizeof(float));
    memset(mon_r, 0, nframes * sizeof(float));
    int any_solo = 0;
    for (int k = 0; k < e->n; k++) {
        strip_rt *s = &e->s[k];
        any_solo |= s->solo;
        /* A channel swapped in by a command plays at once, as it is. */
        if (gs_stream_channel(s->st) != s->ch) gs_stream_switch(s->st, s->ch, 0.0);
    }
    /* Chunk by chunk, every channel, then the chunk goes to the recorder. Each input chunk is
     * copied out of its port buffer once, and the DSP and the recorder's pre-preamp tap both use
     * the copy, so the two taps agree by construction. The port buffer belongs to the client
     * feeding it; it used to be read twice (once to process, once to record), and on a loaded
     * machine live/tests/live.sh once found a pre-preamp file that was not what the preamp had
     * processed (largest difference 0.15, with a feeder that ran late). */
    for (uint32_t off = 0; off < nframes; off += LIVE_CHUNK) {
        uint32_t len = nframes - off < LIVE_CHUNK ? nframes - off : LIVE_CHUNK;
        const float *pre[LIVE_MAX_CH];
        float *dst[LIVE_MAX_CH];
        gs_stream *sts[LIVE_MAX_CH];
        for (int k = 0; k < e->n; k++) {
            float *x = e->pre + (size_t)k * LIVE_CHUNK;
            memcpy(x, in[k] + off, len * sizeof(float));
            pre[k] = x;
            dst[k] = out[k] + off;
            sts[k] = e->s[k].st;
        }
        /* The path 'gainstage process' runs (gs_stream), so a recording matches an offline run
         * of the same signal sample for sample; all strips in one call, so that identical
         * channels (tube-preamp) run four at a time as vector lanes, bit for bit the same. */
        gs_stream_process_many(sts, (size_t)e->n, pre, dst, len);
        for (int k = 0; k < e->n; k++) {
            uint64_t clip_in, clip_out;
            gs_stream_clips(e->s[k].st, &clip_in, &clip_out);
            atomic_store_explicit(&e->meter[k].in_clips, (uint32_t)clip_in, memory_order_relaxed);
            atomic_store_explicit(&e->meter[k].out_clips, (uint32_t)clip_out, memory_order_relaxed);
        }
        if (e->rec_rt) {
            const float *bufs[2 * LIVE_MAX_CH];
            for (int k = 0; k < e->n; k++) {
                bufs[k] = e->point_rt == LIVE_REC_POST ? out[k] + off : pre[k];
                bufs[e->n + k] = out[k] + off;
            }
            live_rec_push(e->rec_rt, bufs, len, frame_time + off);
        }
    }
    monitor_mix(e, out, mon_l, mon_r, nframes, any_solo);
    for (uint32_t i = 0; i < nframes; i++) {
        float a = fabsf(mon_l[i]), b = fabsf(mon_r[i]);
        if (a > e->mon_acc_l) e->mon_acc_l = a;
        if (b > e->mon_acc_r) e->mon_acc_r = b;
    }
    e->win_n += nframes;
    if (e->win_n >= e->win_len) {
        for (int k = 0; k < e->n; k++) {
            live_meter *m = &e->meter[k];
            gs_stream_levels lv;
            gs_stream_read_levels(e->s[k].st, &lv);
            atomic_store_explicit(&m->in_peak, (float)lv.peak_in, memory_order_relaxed);
            atomic_store_explicit(&m->out_peak, (float)lv.peak_out, memory_order_relaxed);
            atomic_store_explicit(&m->out_rms, (float)lv.rms_out, memory_order_relaxed);
        }
        atomic_store_explicit(&e->mon_peak_l, e->mon_acc_l, memory_order_relaxed);
        atomic_store_explicit(&e->mon_peak_r, e->mon_acc_r, memory_order_relaxed);
        e->mon_acc_l = e->mon_acc_r = 0.0f;
        e->win_n = 0;
    }
    atomic_fetch_add_explicit(&e->cycles, 1, memory_order_relaxed);
}

void live_engine_settle(live_engine *e) {
    apply_commands(e);
    for (int k = 0; k < e->n; k++) gs_channel_reset(e->s[k].ch);
    for (int k = 0; k < e->n; k++) {
        strip_rt *s = &e->s[k];
        int audible = !s->mute;
        pan_gains(s->pan, audible ? s->level : 0.0, &s->gl, &s->gr);
    }
    e->mg = e->master;
}
