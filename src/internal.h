/* Internal interfaces of libgainstage: the model vtable every block and channel implements, and
 * small shared helpers. Not installed. */
#ifndef GS_INTERNAL_H
#define GS_INTERNAL_H

#include "gainstage/gainstage.h"

#include <math.h>
#include <stdint.h>

#define GS_PI 3.14159265358979323846
#define GS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Real-time functions are marked so a reader sees which code runs in the audio thread: no
 * allocation, locks, blocking or I/O in anything so marked. */
#define GS_REALTIME

/* The hottest loops (the tube solver, the low-delay FIR filters) are compiled twice, for the
 * x86-64 baseline and for x86-64-v3 (AVX2, FMA: shorter latency on the solver's dependency chain,
 * wider filter arithmetic), and the loader picks one for the CPU (GCC's function multi-versioning;
 * glibc's ifunc; musl has none, and GCC rejects target_clones there). Elsewhere, or with other
 * compilers, the baseline only. GS_FORCE_INLINE pulls a
 * helper into each version rather than leaving one baseline copy. */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__) && !defined(__clang__) &&       \
    __GNUC__ >= 12 && !defined(GS_NO_HOT_CLONES)
#define GS_HOT_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GS_HOT_CLONES
#endif
#define GS_FORCE_INLINE inline __attribute__((always_inline))
/* Only on static functions: GCC exports an extern one's ifunc and resolver whatever the
 * visibility (tube_core.c wraps its clones). */

/* A model: a block or a channel. `create` does every allocation an instance needs; all other
 * entries are real-time safe. `set` receives the current (already smoothed) value of a parameter
 * and recomputes coefficients; the channel calls it at control rate while a value glides, so it
 * must be cheap (a few transcendental functions at most). */
/* A model's group path: four instances at once, each exactly what process(self[l], buf[l], n)
 * gives (bit for bit, state included), e.g. solved as the lanes of vectors. The four are
 * distinct; the channel calls it for pieces of a block, between parameter steps (set) at control
 * rate while any of them glides, so a model with one must not depend on the partition of a block
 * (gs_channel_process_many). Real-time safe. */
typedef void (*gs_process4_fn)(void *const self[4], float *const buf[4], uint32_t n);
/* tube-preamp's (tube_preamp.c). */
typedef struct gs_model_vt {
    gs_model_info info;
    void *(*create)(double rate, uint32_t max_block);
    void (*destroy)(void *self);
    GS_REALTIME void (*set)(void *self, size_t id, double value);
    /* In-place processing of n <= max_block samples, volts. */
    GS_REALTIME void (*process)(void *self, float *buf, uint32_t n);
    /* Back to the DC operating point for the current parameter values. */
    GS_REALTIME void (*reset)(void *self);
    uint32_t (*latency)(const void *self);
    /* Add what the model counts to *st (solver failures, clipped samples, ...); NULL for models
     * that count nothing. Real-time safe. The channel fills its own counters first. */
    GS_REALTIME void (*stats)(const void *self, gs_channel_stats *st);
    /* The latency an instance at `rate` would have with these values (all n_params of them),
     * computed without one (every model of the library has it); NULL if a model cannot, and
     * gs_model_latency then builds a scratch state. Must agree with `latency`: tests/test_api.c
     * compares them for every model, rate and switch. */
    uint32_t (*latency_for)(const double *values, double rate);
    /* The group path (gs_process4_fn), or NULL: the model runs one instance at a time. */
    gs_process4_fn process4;
} gs_model_vt;

/* The look-ahead (and latency) of a clip safe, in samples (clipsafe.c). */
uint32_t gs_clipsafe_lookahead_samples(double rate, double lookahead_s);

/* The registry (models.c). */
const gs_model_vt *gs_model_vt_find(const char *name);
/* The vtable behind a model's public description (NULL if it is not one of the registry's). */
const gs_model_vt *gs_model_vt_of(const gs_model_info *info);

/* Names (names.c): equal as users type them (case folded, '_' read as '-'), and the nearest of a
 * list for "did you mean" (add each candidate, then take the result: NULL if none is close). */
int gs_name_equal(const char *a, const char *b);
typedef struct gs_suggest {
    const char *text, *best, *prefix;
    size_t bound, dist, n_prefix;
} gs_suggest;
void gs_suggest_init(gs_suggest *s, const char *text);
void gs_suggest_add(gs_suggest *s, const char *name);
const char *gs_suggest_result(const gs_suggest *s);

/* Each model file exports its vtable. */
extern const gs_model_vt gs_opamp_stage_model;
extern const gs_model_vt gs_ss_preamp_model;
extern const gs_model_vt gs_noise_model;
extern const gs_model_vt gs_gate_model;
extern const gs_model_vt gs_converter_model;
extern const gs_model_vt gs_digital_preamp_model;
/* The front end: source.c, inputstage.c, riaa.c, frontend.c. */
extern const gs_model_vt gs_source_model;
extern const gs_model_vt gs_inputstage_model;
extern const gs_model_vt gs_riaa_model;
extern const gs_model_vt gs_frontend_model;
extern const gs_model_vt gs_tube_stage_model;
extern const gs_model_vt gs_tube_preamp_model;
extern const gs_model_vt gs_bjt_stage_model;
extern const gs_model_vt gs_bjt_preamp_model;

/* Choose a float that is never subnormal: below 1e-30 in magnitude becomes 0. For states that
 * decay exponentially, so they cannot slow the CPU down on targets without FTZ. */
static inline double gs_undenormal(double x) { return fabs(x) < 1e-30 ? 0.0 : x; }

static inline double gs_clamp(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline double gs_db_to_gain(double db) { return pow(10.0, db / 20.0); }

/* The channel updates gliding parameters every GS_CTRL_BLOCK samples (coefficients cost a few
 * exp() calls). Quantities that scale the signal directly must not step at that rate (a staircase
 * is a zipper noise), so models ramp them linearly, sample by sample, over one control block. */
#define GS_CTRL_BLOCK 8u

typedef struct gs_ramp {
    double cur, target, inc;
    uint32_t left;
} gs_ramp;

/* Head for target over len samples (len >= 1). */
static inline void gs_ramp_to(gs_ramp *r, double target, uint32_t len) {
    r->target = target;
    r->left = len;
    r->inc = (target - r->cur) / (double)len;
}
/* Jump to the target (initialisation, reset). */
static inline void gs_ramp_snap(gs_ramp *r) {
    r->cur = r->target;
    r->left = 0;
    r->inc = 0.0;
}
GS_REALTIME static inline double gs_ramp_next(gs_ramp *r) {
    if (r->left) {
        r->cur += r->inc;
        if (--r->left == 0) r->cur = r->target;
    }
    return r->cur;
}

/* A channel around a state already created by vt->create or by hand (strip.c), which it owns
 * from here on, also on failure (channel.c). */
gs_status gs_channel_wrap(const gs_model_vt *vt, void *state, double rate, uint32_t max_block,
                          gs_channel **out);
/* A strip for a strip preset, its values not applied yet (strip.c). */
gs_status gs_strip_new(const gs_preset *preset, double rate, uint32_t max_block, gs_channel **out);
/* Whether vt is a strip's (strip.c): its `set` and `process` reach inner channels that glide,
 * guard and count for themselves, so the channel passes values straight through (samples still
 * pass its input guards: an overload restarts every block together). */
int gs_vt_is_strip(const gs_model_vt *vt);
/* The largest latency of a strip state over its blocks' settings (strip.c). */
uint32_t gs_strip_latency_max(void *strip);
/* A strip state's blocks, for gs_channel_block_count and gs_channel_block_at (strip.c). */
size_t gs_strip_block_count(const void *strip);
gs_status gs_strip_block_at(const void *strip, size_t i, const char **name,
                            const gs_model_info **model, size_t *first, size_t *count);

/* The largest block the channel was created for, in samples (channel.c). */
uint32_t gs_channel_max_block(const gs_channel *channel);
/* Blocks the channel ran through its model's group path, four at once (channel.c), for tests. */
uint64_t gs_channel_grouped(const gs_channel *channel);

#endif
