/* Solid-state mic preamp channel ("ss-preamp", preset "clean").
 *
 * Signal flow: 20 dB resistive pad -> 2nd-order Butterworth high-pass (switchable, 12 dB/oct) ->
 * polarity -> two non-inverting op-amp stages sharing the gain equally -> output trim.
 * Why two stages and a fast op-amp: one 1 MHz op-amp at 70 dB has a closed-loop corner of
 * 1 MHz / 3162 = 316 Hz. Real mic preamps split the gain and use fast parts; with a 40 MHz
 * gain-bandwidth product (OPA1612 class) two 35 dB stages each have a 714 kHz corner, so the
 * channel is flat within 0.01 dB from 20 Hz to 20 kHz at any gain.
 * Both op-amp stages run inside one oversampled region, so the channel pays the oversampling
 * filters' latency once. Switches glide (crossfade) through the channel's smoothing, so toggling
 * the pad, high-pass or polarity never clicks.
 *
 * Noise (noise.h's parameters, switch `noise` off by default; with it off nothing is drawn or
 * added, so the output is bit for bit that of the noiseless channel): the thermal noise of the
 * source resistance `source_r` (default 150 Ohm, the termination EIN figures assume; this channel
 * has no source model, so the source is that resistance alone) is in series with the input, ahead
 * of the pad, which attenuates it like the signal. The preamp's EIN (with its 1/f corner), hiss
 * and hum enter at the first op-amp stage's input, after the pad: a padded input is noisier
 * referred to the source, as a real one is. `ein` is the datasheet figure with a 150 Ohm source;
 * noise.c removes that termination's 4kTR so the two add up to `ein` at source_r = 150 Ohm. The
 * two generators draw independent streams and restart from `seed` on reset.
 */
#include "biquad.h"
#include "noise.h"
#include "opamp.h"
#include "oversample.h"

#include <stdlib.h>

enum {
    P_GAIN,
    P_PAD,
    P_HPF,
    P_HPF_FREQ,
    P_POLARITY,
    P_TRIM,
    P_RAIL,
    P_GBW,
    P_NOISE0, /* GS_NOISE_PARAMS, in GS_NOISE_P_ order */
    P_COUNT = P_NOISE0 + GS_NOISE_NPARAMS
};

/* The EIN generator's seed: never equal to the thermal one's (`seed` is below 2^32). */
static uint64_t ein_seed(double seed) { return (uint64_t)seed + (1ull << 40); }

static const char *const hpf_states[] = {"off", "12dB/oct", NULL};

static const gs_param_info params[P_COUNT] = {
    {"gain", "Mic gain", GS_UNIT_DB, 0.0, 70.0, 30.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "total gain of the two op-amp stages (each takes half, in dB)", 0},
    {"pad", "20 dB pad", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1, NULL,
     "resistive input attenuator, -20 dB", 0},
    /* A switch; its states are named so that hpf=12dB/oct (or 12) means what it means on the
     * interface models, whose hpf is a choice of slopes (gs_param_parse). */
    {"hpf", "High-pass", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1,
     hpf_states, "12 dB/octave Butterworth high-pass filter", 0},
    {"hpf_freq", "High-pass corner", GS_UNIT_HZ, 20.0, 400.0, 80.0, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "-3 dB corner of the high-pass filter", 0},
    {"polarity", "Polarity invert", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE,
     1, NULL, "inverts the signal (phase 180 degrees)", 0},
    {"trim", "Output trim", GS_UNIT_DB, -40.0, 12.0, 0.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "output level trim after the gain stages", 0},
    {"rail", "Supply rail", GS_UNIT_VOLT, 5.0, 24.0, 15.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "op-amp supply (symmetric); the stages clip at +/- this voltage", 0},
    {"gbw", "Gain-bandwidth", GS_UNIT_HZ, 1e6, 2e8, 40e6, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "gain-bandwidth product of the op-amps", 0},
    GS_NOISE_PARAMS,
};

typedef struct ss_preamp {
    gs_opamp_pair amp; /* the two op-amp stages, oversampled */
    gs_biquad hpf;
    double v[P_COUNT];
    double rate;
    gs_ramp in_gain;   /* pad and polarity together */
    gs_ramp hpf_mix;   /* 0: bypass, 1: filtered */
    gs_ramp out_gain;  /* trim */
    gs_noise_gen nth;  /* source_r thermal noise, at the input */
    gs_noise_gen nein; /* EIN, hiss, hum: at the first stage's input */
} ss_preamp;

static void redesign_stages(ss_preamp *m) {
    gs_opamp_pair_design(&m->amp, m->v[P_GAIN] / 2.0, m->v[P_GBW], m->v[P_RAIL]);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    ss_preamp *m = self;
    m->v[id] = value;
    if (id >= P_NOISE0) {
        size_t k = id - P_NOISE0;
        /* The thermal generator: switch, source_r, temperature, seed (EIN, hiss, hum stay off);
         * the EIN generator: everything but source_r (its source resistance stays 0). */
        if (k == GS_NOISE_P_ON || k == GS_NOISE_P_SOURCE_R || k == GS_NOISE_P_TEMP ||
            k == GS_NOISE_P_SEED)
            gs_noise_gen_set(&m->nth, k, value);
        if (k != GS_NOISE_P_SOURCE_R) gs_noise_gen_set(&m->nein, k, value);
        if (k == GS_NOISE_P_SEED) gs_noise_gen_seed(&m->nein, ein_seed(value));
        return;
    }
    switch (id) {
    case P_GAIN:
    case P_RAIL:
    case P_GBW: redesign_stages(m); break;
    case P_HPF_FREQ: gs_biquad_butter_hp(&m->hpf, value, m->rate); break;
    case P_HPF: gs_ramp_to(&m->hpf_mix, value, GS_CTRL_BLOCK); break;
    case P_PAD:
    case P_POLARITY:
        /* While gliding, the pad is a crossfade of 1 and 0.1 and polarity passes through 0. */
        gs_ramp_to(&m->in_gain, (1.0 - 0.9 * m->v[P_PAD]) * (1.0 - 2.0 * m->v[P_POLARITY]),
                   GS_CTRL_BLOCK);
        break;
    case P_TRIM: gs_ramp_to(&m->out_gain, gs_db_to_gain(value), GS_CTRL_BLOCK); break;
    default: break;
    }
}

GS_REALTIME static void reset(void *self);

static void *create(double rate, uint32_t max_block) {
    ss_preamp *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    if (gs_opamp_pair_init(&m->amp, rate, max_block) != GS_OK) {
        free(m);
        return NULL;
    }
    gs_noise_gen_init(&m->nth, rate, 1);
    gs_noise_gen_init(&m->nein, rate, ein_seed(1.0));
    m->nth.pv[GS_NOISE_P_EIN] = -200.0;
    m->nth.pv[GS_NOISE_P_HISS] = -200.0;
    m->nth.pv[GS_NOISE_P_HUM] = -200.0;
    m->nth.pv[GS_NOISE_P_CORNER] = 0.0;
    m->nth.pv[GS_NOISE_P_TEMP] = 290.0;
    for (size_t i = 0; i < P_COUNT; i++) set(m, i, params[i].def);
    reset(m);
    return m;
}

static void destroy(void *self) {
    ss_preamp *m = self;
    gs_opamp_pair_free(&m->amp);
    free(m);
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    ss_preamp *m = self;
    gs_noise_gen_process(&m->nth, buf, n); /* source thermal noise (nothing when off) */
    for (uint32_t i = 0; i < n; i++) {
        double x = gs_ramp_next(&m->in_gain) * buf[i];
        double f = gs_biquad_tick(&m->hpf, x);
        buf[i] = (float)(x + gs_ramp_next(&m->hpf_mix) * (f - x));
    }
    gs_noise_gen_process(&m->nein, buf, n); /* the preamp's own noise */
    gs_opamp_pair_process(&m->amp, buf, n);
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)(gs_ramp_next(&m->out_gain) * buf[i]);
}

GS_REALTIME static void reset(void *self) {
    ss_preamp *m = self;
    gs_opamp_pair_reset(&m->amp);
    gs_biquad_reset(&m->hpf);
    gs_ramp_snap(&m->in_gain);
    gs_ramp_snap(&m->hpf_mix);
    gs_ramp_snap(&m->out_gain);
    gs_noise_gen_restart(&m->nth);
    gs_noise_gen_reset(&m->nein);
    gs_noise_gen_seed(&m->nein, ein_seed(m->nein.pv[GS_NOISE_P_SEED]));
}

static uint32_t latency(const void *self) { return ((const ss_preamp *)self)->amp.os.latency; }
static uint32_t latency_for(const double *values, double rate) {
    (void)values;
    return gs_opamp_os_latency(rate);
}

const gs_model_vt gs_ss_preamp_model = {
    {"ss-preamp", "Solid-state mic preamp: pad, high-pass, polarity, two op-amp stages, trim", 0,
     params, P_COUNT},
    create,
    destroy,
    set,
    process,
    reset,
    latency,
    NULL,
    latency_for,
    NULL,
};
