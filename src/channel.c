/* A channel: one model instance plus what every model needs around it: range-checked parameters
 * that glide, denormal flushing, and protection against non-finite samples. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define GS_HAVE_MXCSR 1
#endif

/* Parameters glide with a one-pole of this time constant, evaluated every GS_CTRL_BLOCK samples
 * (coefficient recomputation costs a few exp() calls, so it runs at control rate). 8 samples at
 * 48 kHz is 0.17 ms; a 40 dB gain jump then moves at most 1.4 dB in one step in the first update
 * and far less after: no zipper noise. */
#define GS_GLIDE_SECONDS 0.010

struct gs_channel {
    const gs_model_vt *vt;
    void *state;
    double rate;
    uint32_t max_block;
    size_t n;
    double *target;  /* the value asked for */
    double *current; /* the value the model has now */
    unsigned char *pending;
    int gliding;    /* some parameter is between current and target */
    double glide_k; /* per control block: fraction of the remaining distance */
    uint64_t nonfinite, recoveries;
    uint64_t overloads; /* overloads ended by a restart (GS_OVERLOAD_V) */
    int overloaded;     /* inside an overload, or in range for less than hold samples after it */
    uint32_t calm;      /* samples in range since the last clamped one */
    uint32_t hold;      /* in-range samples that end an overload: 10 ms */
    uint64_t grouped;   /* blocks run through the group path (gs_channel_grouped) */
};

/* Denormal protection: flush-to-zero and denormals-are-zero for the duration of a process call,
 * restoring the caller's mode after (a host may rely on it). */
typedef struct {
#ifdef GS_HAVE_MXCSR
    unsigned int csr;
#elif defined(__aarch64__)
    uint64_t fpcr;
#else
    int unused;
#endif
} fpmode;

GS_REALTIME static fpmode fp_enter(void) {
    fpmode m;
#ifdef GS_HAVE_MXCSR
    m.csr = _mm_getcsr();
    _mm_setcsr(m.csr | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(m.fpcr));
    __asm__ __volatile__("msr fpcr, %0" ::"r"(m.fpcr | (1ull << 24))); /* FZ */
#else
    m.unused = 0;
#endif
    return m;
}

GS_REALTIME static void fp_leave(fpmode m) {
#ifdef GS_HAVE_MXCSR
    _mm_setcsr(m.csr);
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" ::"r"(m.fpcr));
#else
    (void)m;
#endif
}

/* The axis a parameter glides on: dB and linear values linearly, component values and frequencies
 * geometrically (a capacitor sweeping from 1 nF to 10 uF should spend equal time per decade). */
static double to_axis(const gs_param_info *p, double v) {
    return p->curve == GS_CURVE_LOG ? log(v) : v;
}
static double from_axis(const gs_param_info *p, double a) {
    return p->curve == GS_CURVE_LOG ? exp(a) : a;
}

gs_status gs_channel_new(const char *model, double rate, uint32_t max_block, gs_channel **out) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!model) return GS_ERR_INVALID_ARGUMENT;
    const gs_model_vt *vt = gs_model_vt_find(model);
    if (!vt) return GS_ERR_UNKNOWN_MODEL;
    if (!(rate >= GS_RATE_MIN && rate <= GS_RATE_MAX)) return GS_ERR_UNSUPPORTED_RATE;
    if (max_block == 0 || max_block > GS_MAX_BLOCK_LIMIT) return GS_ERR_BLOCK_SIZE;
    void *state = vt->create(rate, max_block);
    if (!state) return GS_ERR_NO_MEMORY;
    return gs_channel_wrap(vt, state, rate, max_block, out);
}

gs_status gs_channel_wrap(const gs_model_vt *vt, void *state, double rate, uint32_t max_block,
                          gs_channel **out) {
    *out = NULL;
    gs_channel *ch = calloc(1, sizeof *ch);
    if (!ch) {
        vt->destroy(state);
        return GS_ERR_NO_MEMORY;
    }
    ch->vt = vt;
    ch->state = state;
    ch->rate = rate;
    ch->max_block = max_block;
    ch->n = vt->info.n_params;
    ch->target = calloc(ch->n ? ch->n : 1, sizeof(double));
    ch->current = calloc(ch->n ? ch->n : 1, sizeof(double));
    ch->pending = calloc(ch->n ? ch->n : 1, 1);
    if (!ch->target || !ch->current || !ch->pending) {
        gs_channel_free(ch);
        return GS_ERR_NO_MEMORY;
    }
    ch->hold = (uint32_t)(0.010 * rate);
    ch->glide_k = -expm1(-(double)GS_CTRL_BLOCK / (GS_GLIDE_SECONDS * rate));
    for (size_t i = 0; i < ch->n; i++) {
        ch->target[i] = ch->current[i] = vt->info.params[i].def;
        vt->set(ch->state, i, ch->current[i]);
    }
    vt->reset(ch->state);
    *out = ch;
    return GS_OK;
}

gs_status gs_channel_new_preset(const gs_preset *preset, double rate, uint32_t max_block,
                                gs_channel **out) {
    if (!preset || !out) return GS_ERR_INVALID_ARGUMENT;
    gs_channel *ch = NULL;
    gs_status st = gs_preset_block_count(preset)
                       ? gs_strip_new(preset, rate, max_block, &ch)
                       : gs_channel_new(gs_preset_model(preset), rate, max_block, &ch);
    if (st != GS_OK) return st;
    st = gs_channel_apply_preset(ch, preset);
    if (st != GS_OK) {
        gs_channel_free(ch);
        return st;
    }
    gs_channel_reset(ch); /* start at the preset's values, not gliding towards them */
    *out = ch;
    return GS_OK;
}

void gs_channel_free(gs_channel *ch) {
    if (!ch) return;
    if (ch->state) ch->vt->destroy(ch->state);
    free(ch->target);
    free(ch->current);
    free(ch->pending);
    free(ch);
}

const gs_model_info *gs_channel_model(const gs_channel *ch) { return ch ? &ch->vt->info : NULL; }
double gs_channel_rate(const gs_channel *ch) { return ch ? ch->rate : 0.0; }
uint32_t gs_channel_latency(const gs_channel *ch) { return ch ? ch->vt->latency(ch->state) : 0; }
/* Every combination of the GS_PARAM_LATENCY parameters' values (they are switches: toggles and
 * choices, stepped by 1), counted like an odometer. */
uint32_t gs_channel_latency_max(gs_channel *ch) {
    uint32_t most = gs_channel_latency(ch);
    if (!ch) return most;
    if (gs_vt_is_strip(ch->vt)) return gs_strip_latency_max(ch->state);
    size_t ids[8], n = 0;
    for (size_t i = 0; i < ch->n && n < GS_ARRAY_LEN(ids); i++)
        if (ch->vt->info.params[i].flags & GS_PARAM_LATENCY) ids[n++] = i;
    if (!n) return most;
    double keep[GS_ARRAY_LEN(ids)];
    for (size_t k = 0; k < n; k++) {
        keep[k] = ch->target[ids[k]];
        ch->target[ids[k]] = ch->vt->info.params[ids[k]].min;
    }
    for (;;) {
        gs_channel_reset(ch);
        uint32_t l = gs_channel_latency(ch);
        if (l > most) most = l;
        size_t k = 0;
        for (; k < n; k++) {
            const gs_param_info *p = &ch->vt->info.params[ids[k]];
            if (ch->target[ids[k]] + 1.0 <= p->max) {
                ch->target[ids[k]] += 1.0;
                break;
            }
            ch->target[ids[k]] = p->min;
        }
        if (k == n) break;
    }
    for (size_t k = 0; k < n; k++) ch->target[ids[k]] = keep[k];
    gs_channel_reset(ch);
    return most;
}

GS_REALTIME gs_status gs_channel_stats_get(const gs_channel *ch, gs_channel_stats *st) {
    if (!ch || !st) return GS_ERR_INVALID_ARGUMENT;
    memset(st, 0, sizeof *st);
    st->nonfinite_inputs = ch->nonfinite;
    st->recoveries = ch->recoveries;
    st->overloads = ch->overloads;
    if (ch->vt->stats) ch->vt->stats(ch->state, st);
    return GS_OK;
}
size_t gs_channel_param_count(const gs_channel *ch) { return ch ? ch->n : 0; }

const gs_param_info *gs_channel_param_info(const gs_channel *ch, size_t id) {
    return (ch && id < ch->n) ? &ch->vt->info.params[id] : NULL;
}

gs_status gs_channel_param_find(const gs_channel *ch, const char *symbol, size_t *id) {
    if (!ch) return GS_ERR_INVALID_ARGUMENT;
    return gs_model_param_find(&ch->vt->info, symbol, id);
}

GS_REALTIME gs_status gs_channel_set(gs_channel *ch, size_t id, double value) {
    if (!ch) return GS_ERR_INVALID_ARGUMENT;
    if (id >= ch->n) return GS_ERR_UNKNOWN_PARAMETER;
    const gs_param_info *p = &ch->vt->info.params[id];
    gs_status st = gs_param_check(p, value);
    if (st != GS_OK) return st;
    ch->target[id] = value;
    if (gs_vt_is_strip(ch->vt)) {
        /* A strip's block glides it (and checks nothing more: the range was checked here). */
        ch->current[id] = value;
        ch->vt->set(ch->state, id, value);
        return GS_OK;
    }
    if (value != ch->current[id]) {
        ch->pending[id] = 1;
        if (p->smoothed) ch->gliding = 1;
    }
    return GS_OK;
}

gs_status gs_channel_set_symbol(gs_channel *ch, const char *symbol, double value) {
    size_t id;
    gs_status st = gs_channel_param_find(ch, symbol, &id);
    return st != GS_OK ? st : gs_channel_set(ch, id, value);
}

gs_status gs_channel_set_text(gs_channel *ch, const char *symbol, const char *text) {
    size_t id;
    gs_status st = gs_channel_param_find(ch, symbol, &id);
    if (st != GS_OK) return st;
    const gs_param_info *p = &ch->vt->info.params[id];
    double v;
    st = gs_param_parse(p, text, &v);
    return st != GS_OK ? st : gs_channel_set(ch, id, v);
}

double gs_channel_get(const gs_channel *ch, size_t id) {
    return (ch && id < ch->n) ? ch->target[id] : 0.0;
}

gs_status gs_channel_apply_preset(gs_channel *ch, const gs_preset *preset) {
    if (!ch || !preset) return GS_ERR_INVALID_ARGUMENT;
    if (strcmp(gs_preset_model(preset), ch->vt->info.name) != 0) return GS_ERR_UNKNOWN_MODEL;
    /* Validate everything first so that a bad preset changes nothing. */
    size_t cnt = gs_preset_value_count(preset);
    for (size_t i = 0; i < cnt; i++) {
        const char *sym;
        double v;
        size_t id;
        gs_preset_value_at(preset, i, &sym, &v);
        gs_status st = gs_channel_param_find(ch, sym, &id);
        if (st != GS_OK) return st;
        const gs_param_info *p = &ch->vt->info.params[id];
        if (!(v >= p->min && v <= p->max)) return GS_ERR_OUT_OF_RANGE;
    }
    for (size_t i = 0; i < cnt; i++) {
        const char *sym;
        double v;
        gs_preset_value_at(preset, i, &sym, &v);
        gs_channel_set_symbol(ch, sym, v);
    }
    return GS_OK;
}

/* Apply pending values: unsmoothed ones jump, smoothed ones take one glide step. */
GS_REALTIME static void update_params(gs_channel *ch) {
    int still = 0;
    for (size_t i = 0; i < ch->n; i++) {
        if (!ch->pending[i]) continue;
        const gs_param_info *p = &ch->vt->info.params[i];
        double t = ch->target[i];
        double c = t;
        if (p->smoothed) {
            double a = to_axis(p, ch->current[i]), b = to_axis(p, t);
            double next = a + ch->glide_k * (b - a);
            /* Close enough to land: 1e-4 of the range on the axis, i.e. inaudible. */
            double span = to_axis(p, p->max) - to_axis(p, p->min);
            if (fabs(b - next) > 1e-4 * span) {
                c = from_axis(p, next);
                still = 1;
            }
        }
        ch->current[i] = c;
        if (c == t) ch->pending[i] = 0;
        ch->vt->set(ch->state, i, c);
    }
    ch->gliding = still;
}

void gs_channel_reset(gs_channel *ch) {
    if (!ch) return;
    for (size_t i = 0; i < ch->n; i++) {
        if (ch->current[i] != ch->target[i] || ch->pending[i]) {
            ch->current[i] = ch->target[i];
            ch->vt->set(ch->state, i, ch->current[i]);
        }
        ch->pending[i] = 0;
    }
    ch->gliding = 0;
    ch->vt->reset(ch->state);
}

/* Run the model over buf[0..n), parameters updated at control rate while any glides. */
GS_REALTIME static void run_model(gs_channel *ch, float *buf, uint32_t n) {
    int any_pending = ch->gliding;
    if (!any_pending)
        for (size_t i = 0; i < ch->n; i++) any_pending |= ch->pending[i];
    uint32_t done = 0;
    while (done < n) {
        uint32_t len = n - done;
        if (any_pending) {
            update_params(ch);
            any_pending = ch->gliding;
            if (any_pending && len > GS_CTRL_BLOCK) len = GS_CTRL_BLOCK;
        }
        ch->vt->process(ch->state, buf + done, len);
        done += len;
    }
}

/* Input guard: non-finite samples become silence; finite ones beyond GS_OVERLOAD_V are clamped
 * there (see the header). Returns the index after the last clamped sample, 0 if none was. */
GS_REALTIME static uint32_t guard_input(gs_channel *ch, float *buf, uint32_t n) {
    uint32_t over_end = 0;
    const float lim = (float)GS_OVERLOAD_V;
    for (uint32_t i = 0; i < n; i++) {
        float v = buf[i];
        if (!isfinite(v)) {
            buf[i] = 0.0f;
            ch->nonfinite++;
        } else if (fabsf(v) > lim) {
            buf[i] = v > 0.0f ? lim : -lim;
            over_end = i + 1;
        }
    }
    return over_end;
}

/* Where in this block an overload ends (the input has been in range for ch->hold samples: a
 * clamped sine still crosses zero, and that is not the end), or n if it does not end here. */
GS_REALTIME static uint32_t overload_end(gs_channel *ch, uint32_t over_end, uint32_t n) {
    if (over_end > 0) {
        ch->overloaded = 1;
        ch->calm = 0;
    } else if (!ch->overloaded) {
        return n;
    }
    uint32_t need = ch->hold > ch->calm ? ch->hold - ch->calm : 0;
    uint32_t at = over_end + need;
    if (at >= n) {
        ch->calm += n - over_end;
        return n;
    }
    return at;
}

/* The part of a process call before the model: the copy and the input guard. Returns where an
 * overload ends in the block (n: it does not). */
GS_REALTIME static uint32_t process_in(gs_channel *ch, const float *in, float *out, uint32_t n) {
    if (in != out) memcpy(out, in, n * sizeof(float));
    return overload_end(ch, guard_input(ch, out, n), n);
}

/* The model over the block, with the restart where an overload ended (at < n). */
GS_REALTIME static void process_model(gs_channel *ch, float *out, uint32_t at, uint32_t n) {
    run_model(ch, out, at);
    if (at < n) {
        /* The overload is over: the circuit restarts from its DC operating point, instead of
         * carrying charges no real circuit could hold (a coupling capacitor at gigavolts, with a
         * 10 s time constant to discharge) into the signal that follows. */
        ch->vt->reset(ch->state);
        ch->overloads++;
        ch->overloaded = 0;
        run_model(ch, out + at, n - at);
    }
}

/* The part after it: a non-finite output restarts the model and the block is silence. */
GS_REALTIME static void process_out(gs_channel *ch, float *out, uint32_t n) {
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) bad |= !isfinite(out[i]);
    if (bad) {
        /* A non-finite state would otherwise silence the channel for good. */
        ch->vt->reset(ch->state);
        memset(out, 0, n * sizeof(float));
        ch->recoveries++;
    }
}

GS_REALTIME gs_status gs_channel_process(gs_channel *ch, const float *in, float *out, uint32_t n) {
    if (!ch || !in || !out) return GS_ERR_INVALID_ARGUMENT;
    if (n > ch->max_block) return GS_ERR_BLOCK_SIZE;
    if (n == 0) return GS_OK;
    fpmode fm = fp_enter();
    uint32_t at = process_in(ch, in, out, n);
    process_model(ch, out, at, n);
    process_out(ch, out, n);
    fp_leave(fm);
    return GS_OK;
}

/* Whether a channel whose input guard gave `at` can run in a group over the block: a model with
 * a group path, not a strip, and no overload ending in the block (the restart splits it). */
GS_REALTIME static int groupable(const gs_channel *ch, uint32_t at, uint32_t n) {
    return ch->vt->process4 && !gs_vt_is_strip(ch->vt) && at == n;
}

/* Channels waiting for three more of the same model (gs_channel_process_many). */
#define GROUP_MODELS 4
typedef struct group {
    const gs_model_vt *vt;
    unsigned n;
    gs_channel *ch[4];
    float *out[4];
} group;

/* Run the waiting channels of a group one by one and empty it. */
GS_REALTIME static void group_flush(group *g, uint32_t n) {
    for (unsigned i = 0; i < g->n; i++) {
        run_model(g->ch[i], g->out[i], n);
        process_out(g->ch[i], g->out[i], n);
    }
    g->n = 0;
}

/* Four channels of one model over the block, in step: run_model's schedule for each (a lane
 * with values pending is updated at the start and, while it glides, every GS_CTRL_BLOCK
 * samples), the pieces as short as the shortest lane's. A lane that does not glide then runs
 * its block in pieces, the same samples: the models with a group path do not depend on the
 * partition of a block (test_group asserts it for tube-preamp). */
GS_REALTIME static void group_run(group *g, uint32_t n) {
    int pend[4];
    void *self[4];
    for (unsigned l = 0; l < 4; l++) {
        gs_channel *c = g->ch[l];
        pend[l] = c->gliding;
        for (size_t i = 0; i < c->n && !pend[l]; i++) pend[l] = c->pending[i];
        self[l] = c->state;
    }
    for (uint32_t done = 0; done < n;) {
        uint32_t len = n - done;
        for (unsigned l = 0; l < 4; l++) {
            if (!pend[l]) continue;
            update_params(g->ch[l]);
            pend[l] = g->ch[l]->gliding;
            if (pend[l] && len > GS_CTRL_BLOCK) len = GS_CTRL_BLOCK;
        }
        float *buf[4];
        for (unsigned l = 0; l < 4; l++) buf[l] = g->out[l] + done;
        g->ch[0]->vt->process4(self, buf, len);
        done += len;
    }
    for (unsigned l = 0; l < 4; l++) {
        g->ch[l]->grouped++;
        process_out(g->ch[l], g->out[l], n);
    }
    g->n = 0;
}

GS_REALTIME gs_status gs_channel_process_many(gs_channel *const *ch, size_t count,
                                              const float *const *in, float *const *out,
                                              uint32_t n) {
    if (!ch || !in || !out) return GS_ERR_INVALID_ARGUMENT;
    gs_status st = GS_OK;
    group g[GROUP_MODELS];
    unsigned ng = 0;
    fpmode fm = fp_enter();
    for (size_t k = 0; k < count; k++) {
        gs_channel *c = ch[k];
        if (!c || !in[k] || !out[k]) {
            st = GS_ERR_INVALID_ARGUMENT;
            continue;
        }
        if (n > c->max_block) {
            st = GS_ERR_BLOCK_SIZE;
            continue;
        }
        if (n == 0) continue;
        unsigned j = 0;
        while (j < ng && g[j].vt != c->vt) j++;
        /* The same channel twice: its earlier visit (and its group) runs first, as in order. */
        for (unsigned i = 0; j < ng && i < g[j].n; i++)
            if (g[j].ch[i] == c) group_flush(&g[j], n);
        uint32_t at = process_in(c, in[k], out[k], n);
        if (!groupable(c, at, n) || (j == ng && ng == GROUP_MODELS)) {
            process_model(c, out[k], at, n);
            process_out(c, out[k], n);
            continue;
        }
        if (j == ng) g[ng++] = (group){c->vt, 0, {0}, {0}};
        g[j].ch[g[j].n] = c;
        g[j].out[g[j].n++] = out[k];
        if (g[j].n < 4) continue;
        group_run(&g[j], n);
    }
    for (unsigned j = 0; j < ng; j++) group_flush(&g[j], n); /* fewer than four left */
    fp_leave(fm);
    return st;
}

size_t gs_channel_block_count(const gs_channel *ch) {
    if (!ch) return 0;
    return gs_vt_is_strip(ch->vt) ? gs_strip_block_count(ch->state) : 1;
}

gs_status gs_channel_block_at(const gs_channel *ch, size_t i, const char **name,
                              const gs_model_info **model, size_t *first, size_t *count) {
    if (!ch) return GS_ERR_INVALID_ARGUMENT;
    if (gs_vt_is_strip(ch->vt)) return gs_strip_block_at(ch->state, i, name, model, first, count);
    if (i != 0) return GS_ERR_INVALID_ARGUMENT;
    if (name) *name = ch->vt->info.name;
    if (model) *model = &ch->vt->info;
    if (first) *first = 0;
    if (count) *count = ch->n;
    return GS_OK;
}

/* Internal (internal.h). */
uint64_t gs_channel_grouped(const gs_channel *channel) { return channel ? channel->grouped : 0; }
uint32_t gs_channel_max_block(const gs_channel *channel) {
    return channel ? channel->max_block : 0;
}
