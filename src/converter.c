/* The converter ("converter" block) and the digital preamp channel ("digital-preamp", preset
 * "digital"): what an audio interface does between the analog gain and the recorded number.
 *
 * Signal flow (volts in, volts out; full scale is fs_dbu, the dBu of a 0 dBFS sine):
 *   [digital gain] -> anti-alias filter -> clip safe (optional look-ahead) -> hard clip at
 *   0 dBFS (counted) -> quantiser (16/20/24 bits, TPDF dither, optional noise shaping)
 *
 * Anti-alias behaviour, what is modelled: a delta-sigma ADC's decimation filter, the part of it
 * that lies below the output Nyquist frequency. Datasheet figures of current converters
 * (e.g. passband 0..0.4535 fs, stop band from 0.5465 fs, ripple +/-0.005 dB) are met by a
 * linear-phase Kaiser-windowed FIR at the output rate with its passband edge at 0.4535 fs and
 * 80 dB reached at fs/2 (the decimator's own stop band lies above fs/2, where an already sampled
 * signal has nothing): 0.001 dB ripple, the converter's roll-off in the top 10 % of the band, and
 * its group delay, reported as latency. What is not modelled: aliasing of content above fs/2
 * (the input is already band-limited), the modulator's own noise and idle tones.
 *
 * Quantiser: the digital value v = x / Vfs (Vfs = peak volts of a full-scale sine) is clipped to
 * [-1, 1] (each clipped sample counted), then rounded to the word length's step
 * D = 2^(1 - bits) with, by default, TPDF dither (two uniform +/-D/2 values: triangular +/-D,
 * variance D^2/6); the total error is then D^2/4, three times the undithered D^2/12, and its
 * mean and variance no longer depend on the signal (Lipshitz, Wannamaker, Vanderkooy, "Quantization
 * and dither: a theoretical survey", JAES 40(5), 1992). Optional noise shaping by error feedback:
 * the total error e (dither included) is fed back so the output error is E(z) NTF(z) with
 * NTF = 1 - z^-1 (first order: +6 dB at fs/2, power gain 2) or (1 - z^-1)^2 (second order,
 * power gain 6): less noise at low frequencies, more near fs/2. */
#include "converter.h"
#include "window.h"

#include <stdlib.h>
#include <string.h>

/* Kaiser design of the decimation-filter model. */
#define AA_PASS 0.4535 /* passband edge, x fs */
#define AA_STOP 0.5    /* where the stop-band attenuation is reached, x fs */
#define AA_ATTEN 80.0  /* dB, required at fs/2 */
#define AA_DESIGN                                                                                  \
    86.0 /* dB the Kaiser formulas are asked for: they land a few dB short at the edge */

#define CLIPSAFE_LOOKAHEAD 0.001 /* s: enough for a ramp of 48 samples at 48 kHz, inaudible */
#define CLIPSAFE_CEILING_DB -0.1 /* dBFS: a little under full scale, room for the dither */

/* Taps of the low-pass (odd; Kaiser's length formula), at most cap. */
static uint32_t aa_taps(uint32_t cap) {
    double dw = 2.0 * GS_PI * (AA_STOP - AA_PASS);
    uint32_t n = (uint32_t)ceil((AA_DESIGN - 8.0) / (2.285 * dw)) + 1u;
    if (!(n & 1u)) n++;
    if (n > cap) n = cap | 1u;
    return n;
}

/* Linear-phase low-pass for a rate: taps in h (odd count), returns the count. */
static uint32_t aa_design(double *h, uint32_t cap) {
    double beta = gs_kaiser_beta(AA_DESIGN);
    uint32_t n = aa_taps(cap);
    double fc = 0.5 * (AA_PASS + AA_STOP); /* x fs */
    double mid = (double)(n - 1u) / 2.0, sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double t = (double)i - mid;
        double s = t == 0.0 ? 2.0 * fc : sin(2.0 * GS_PI * fc * t) / (GS_PI * t);
        double r = t / mid;
        double w = gs_kaiser_window(beta, r);
        h[i] = s * w;
        sum += h[i];
    }
    for (uint32_t i = 0; i < n; i++) h[i] /= sum; /* exactly 0 dB at DC */
    return n;
}

gs_status gs_conv_init(gs_conv *c, double rate) {
    memset(c, 0, sizeof *c);
    c->rate = rate;
    c->ntaps = aa_design(c->taps, GS_CONV_MAX_TAPS);
    gs_status st = gs_clipsafe_new(rate, CLIPSAFE_LOOKAHEAD, &c->cs);
    if (st != GS_OK) return st;
    gs_clipsafe_set_ceiling(c->cs, pow(10.0, CLIPSAFE_CEILING_DB / 20.0));
    gs_clipsafe_enable(c->cs, 0);
    c->vfs = gs_dbu_to_volts_per_unit(18.0);
    gs_quantizer_init(&c->q, 24, 1, 1);
    c->aa.cur = c->aa.target = 1.0;
    c->gain.cur = c->gain.target = 1.0;
    return GS_OK;
}

void gs_conv_free(gs_conv *c) {
    gs_clipsafe_free(c->cs);
    c->cs = NULL;
}

GS_REALTIME void gs_conv_reset(gs_conv *c) {
    memset(c->hist, 0, sizeof c->hist);
    c->hpos = 0;
    c->q.e1 = c->q.e2 = 0.0;
    gs_clipsafe_reset(c->cs);
    gs_ramp_snap(&c->aa);
    gs_ramp_snap(&c->gain);
    gs_rng_seed(&c->q.rng, c->seed);
}

uint32_t gs_conv_latency(const gs_conv *c) {
    return (c->ntaps - 1u) / 2u + gs_clipsafe_latency(c->cs);
}

/* Clip one digital value (full scale +/-1) at 0 dBFS, then quantise it. */
GS_REALTIME static inline double quantise(gs_conv *c, double v) {
    /* Counted: samples beyond 0 dBFS. Reaching the top code (1 - step) is not a clip. */
    c->clips += (uint64_t)(v > 1.0 || v < -1.0);
    return gs_quantizer_next(&c->q, gs_clamp(v, -1.0, 1.0));
}

GS_REALTIME void gs_conv_process(gs_conv *c, float *buf, uint32_t n) {
    const uint32_t N = c->ntaps, centre = (N - 1u) / 2u;
    for (uint32_t i = 0; i < n; i++) {
        double x = gs_ramp_next(&c->gain) * buf[i];
        /* Doubled history: the window hist[hpos .. hpos + N - 1] is always contiguous. */
        c->hpos = c->hpos == 0 ? N - 1u : c->hpos - 1u;
        c->hist[c->hpos] = c->hist[c->hpos + N] = x;
        const double *w = c->hist + c->hpos;
        double acc = 0.0;
        for (uint32_t k = 0; k < N; k++) acc += c->taps[k] * w[k];
        double dry = w[centre];
        buf[i] = (float)(dry + gs_ramp_next(&c->aa) * (acc - dry));
    }
    gs_clipsafe_process(c->cs, buf, n);
    const double inv = 1.0 / c->vfs;
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)(quantise(c, buf[i] * inv) * c->vfs);
}

/* ------------------------------------------------------------------------------------------
 * Models. One parameter list; the converter block is the same list without the gain. */
enum { P_GAIN, P_FS, P_BITS, P_DITHER, P_SHAPING, P_AA, P_CLIPSAFE, P_SEED, P_COUNT };

static const char *const bits_choices[] = {"16", "20", "24", NULL};
static const char *const shaping_choices[] = {"none", "first", "second", NULL};

static const gs_param_info params[P_COUNT] = {
    {"gain", "Digital gain", GS_UNIT_DB, -20.0, 60.0, 0.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "clean gain ahead of the converter (exact, no noise, no distortion)", 0},
    {"fs_dbu", "Full scale (dBu)", GS_UNIT_DB, -10.0, 28.0, 18.0, GS_CURVE_DB, GS_PARAM_REAL, 0,
     NULL, "analog level of a 0 dBFS sine in dBu (+18: EBU R68; +24: SMPTE RP155 / pro interfaces)",
     0},
    {"bits", "Word length", GS_UNIT_ENUM, 0.0, 2.0, 2.0, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0,
     bits_choices, "bits per sample of the converter's output word", 0},
    {"dither", "TPDF dither", GS_UNIT_NONE, 0.0, 1.0, 1.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 0,
     NULL, "triangular dither of +/-1 LSB before rounding: error independent of the signal", 0},
    {"shaping", "Noise shaping", GS_UNIT_ENUM, 0.0, 2.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0,
     shaping_choices, "error feedback: none, first order (1 - z^-1), second order (1 - z^-1)^2", 0},
    {"aa", "Anti-alias filter", GS_UNIT_NONE, 0.0, 1.0, 1.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1,
     NULL, "decimation filter: linear phase, flat to 0.4535 fs, 80 dB down at fs/2", 0},
    {"clip_safe", "Clip safe", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 0,
     NULL, "1 ms look-ahead gain rider keeping peaks under -0.1 dBFS instead of clipping", 0},
    {"seed", "Dither seed", GS_UNIT_NONE, 0.0, 4294967295.0, 1.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 0,
     NULL, "seed of the dither generator: the same seed gives the same output", 0},
};

typedef struct conv_model {
    gs_conv c;
    size_t offset; /* 0: digital-preamp; 1: converter block (its id 0 is P_FS) */
} conv_model;

GS_REALTIME static void cm_set(void *self, size_t id, double value) {
    conv_model *m = self;
    gs_conv *c = &m->c;
    switch (id + m->offset) {
    case P_GAIN: gs_ramp_to(&c->gain, gs_db_to_gain(value), GS_CTRL_BLOCK); break;
    case P_FS: c->vfs = gs_dbu_to_volts_per_unit(value); break;
    case P_BITS: gs_quantizer_set_bits(&c->q, 16 + 4 * (int)lrint(value)); break;
    case P_DITHER: c->q.dither = value > 0.5; break;
    case P_SHAPING:
        c->q.shaping = (int)lrint(value);
        c->q.e1 = c->q.e2 = 0.0;
        break;
    case P_AA: gs_ramp_to(&c->aa, value, GS_CTRL_BLOCK); break;
    case P_CLIPSAFE: gs_clipsafe_enable(c->cs, value > 0.5); break;
    case P_SEED:
        c->seed = (uint64_t)value;
        gs_rng_seed(&c->q.rng, c->seed);
        break;
    default: break;
    }
}

static void *cm_create_off(double rate, size_t offset) {
    conv_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (gs_conv_init(&m->c, rate) != GS_OK) {
        gs_conv_free(&m->c);
        free(m);
        return NULL;
    }
    m->offset = offset;
    for (size_t i = offset; i < P_COUNT; i++) cm_set(m, i - offset, params[i].def);
    gs_conv_reset(&m->c);
    return m;
}
static void *cm_create_preamp(double rate, uint32_t max_block) {
    (void)max_block;
    return cm_create_off(rate, 0);
}
static void *cm_create_block(double rate, uint32_t max_block) {
    (void)max_block;
    return cm_create_off(rate, 1);
}
static void cm_destroy(void *self) {
    conv_model *m = self;
    gs_conv_free(&m->c);
    free(m);
}
GS_REALTIME static void cm_process(void *self, float *buf, uint32_t n) {
    gs_conv_process(&((conv_model *)self)->c, buf, n);
}
GS_REALTIME static void cm_reset(void *self) { gs_conv_reset(&((conv_model *)self)->c); }
static uint32_t cm_latency(const void *self) {
    return gs_conv_latency(&((const conv_model *)self)->c);
}
/* The latency gs_conv_latency reports, designing nothing: the filter's delay and the clip safe's
 * look-ahead (kept whether it is on or not). */
static uint32_t cm_latency_for(const double *values, double rate) {
    (void)values;
    return (aa_taps(GS_CONV_MAX_TAPS) - 1u) / 2u +
           gs_clipsafe_lookahead_samples(rate, CLIPSAFE_LOOKAHEAD);
}
GS_REALTIME static void cm_stats(const void *self, gs_channel_stats *st) {
    const gs_conv *c = &((const conv_model *)self)->c;
    st->clipped_samples += c->clips;
    st->clipsafe_max_reduction_db = gs_clipsafe_max_reduction_db(c->cs);
}

const gs_model_vt gs_digital_preamp_model = {
    {"digital-preamp",
     "Digital preamp: clean digital gain, then the converter (anti-alias, clip, dither)", 0, params,
     P_COUNT},
    cm_create_preamp,
    cm_destroy,
    cm_set,
    cm_process,
    cm_reset,
    cm_latency,
    cm_stats,
    cm_latency_for,
    NULL,
};

const gs_model_vt gs_converter_model = {
    {"converter", "Converter: decimation filter, 0 dBFS clip, word length, TPDF dither, shaping", 1,
     params + 1, P_COUNT - 1},
    cm_create_block,
    cm_destroy,
    cm_set,
    cm_process,
    cm_reset,
    cm_latency,
    cm_stats,
    cm_latency_for,
    NULL,
};
