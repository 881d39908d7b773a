/* Input stage (see inputstage.h) and its bare block "input-stage" for validation. */
#include "inputstage.h"

#include <stdlib.h>

const char *const gs_inputstage_slopes[] = {"off",      "6dB/oct",  "12dB/oct",
                                            "18dB/oct", "24dB/oct", NULL};

const gs_param_info gs_inputstage_params[GS_IN_P_COUNT] = {GS_INPUTSTAGE_PARAM_ENTRIES};

/* First-order high-pass s/(s + wc), bilinear, prewarped at fc: K = tan(pi fc / fs). */
static void hp1(gs_biquad *f, double fc, double fs) {
    double K = tan(GS_PI * fc / fs);
    f->b0 = 1.0 / (1.0 + K);
    f->b1 = -f->b0;
    f->b2 = 0.0;
    f->a1 = (K - 1.0) / (K + 1.0);
    f->a2 = 0.0;
}

/* Second-order high-pass sections: see gs_biquad_hp in biquad.h. */
static void hp2(gs_biquad *f, double fc, double Q, double fs) { gs_biquad_hp(f, fc, Q, fs); }

static void design_hpf(gs_inputstage *s) {
    double fc = s->v[GS_IN_P_HPF_FREQ], fs = s->rate;
    /* Butterworth pole pairs: Q = 1 / (2 cos theta) for the pole angles of each order. */
    hp1(&s->sec[0], fc, fs);
    hp2(&s->sec[1], fc, 0.7071067811865476, fs);
    hp1(&s->sec[2], fc, fs);
    hp2(&s->sec[3], fc, 1.0, fs);
    hp2(&s->sec[4], fc, 0.5411961001461970, fs);
    hp2(&s->sec[5], fc, 1.3065629648763766, fs);
}

static double signal_gain(const gs_inputstage *s) {
    double pad = s->v[GS_IN_P_PAD];
    double padg = 1.0 + pad * (gs_db_to_gain(-GS_IN_PAD_DB) - 1.0);
    return padg * (1.0 - 2.0 * s->v[GS_IN_P_POLARITY]) * gs_db_to_gain(s->v[GS_IN_P_GAIN]);
}

static void set_weights(gs_inputstage *s, uint32_t len) {
    double v = s->v[GS_IN_P_HPF];
    for (int k = 0; k <= GS_IN_HPF_ORDERS; k++) {
        double w = 1.0 - fabs(v - (double)k);
        gs_ramp_to(&s->w[k], w > 0.0 ? w : 0.0, len);
    }
}

void gs_inputstage_init(gs_inputstage *s, double rate) {
    s->rate = rate;
    for (size_t i = 0; i < GS_IN_P_COUNT; i++) s->v[i] = gs_inputstage_params[i].def;
    for (int k = 0; k <= GS_IN_HPF_ORDERS; k++) s->w[k].cur = 0.0;
    s->g.cur = 0.0;
    design_hpf(s);
    set_weights(s, 1);
    gs_ramp_to(&s->g, signal_gain(s), 1);
    gs_inputstage_reset(s);
}

void gs_inputstage_set(gs_inputstage *s, size_t id, double value, uint32_t ramp_len) {
    if (id >= GS_IN_P_COUNT) return;
    s->v[id] = value;
    switch (id) {
    case GS_IN_P_HPF_FREQ: design_hpf(s); break;
    case GS_IN_P_HPF: set_weights(s, ramp_len); break;
    default: gs_ramp_to(&s->g, signal_gain(s), ramp_len); break;
    }
}

void gs_inputstage_reset(gs_inputstage *s) {
    for (int i = 0; i < 6; i++) gs_biquad_reset(&s->sec[i]);
    for (int k = 0; k <= GS_IN_HPF_ORDERS; k++) gs_ramp_snap(&s->w[k]);
    gs_ramp_snap(&s->g);
}

double gs_inputstage_tick(gs_inputstage *s, double x) {
    x *= gs_ramp_next(&s->g);
    double y1 = gs_biquad_tick(&s->sec[0], x);
    double y2 = gs_biquad_tick(&s->sec[1], x);
    double y3 = gs_biquad_tick(&s->sec[3], gs_biquad_tick(&s->sec[2], x));
    double y4 = gs_biquad_tick(&s->sec[5], gs_biquad_tick(&s->sec[4], x));
    double y = gs_ramp_next(&s->w[0]) * x + gs_ramp_next(&s->w[1]) * y1 +
               gs_ramp_next(&s->w[2]) * y2 + gs_ramp_next(&s->w[3]) * y3 +
               gs_ramp_next(&s->w[4]) * y4;
    /* Filter states decay exponentially in silence: keep them out of the subnormal range. */
    for (int i = 0; i < 6; i++) {
        s->sec[i].s1 = gs_undenormal(s->sec[i].s1);
        s->sec[i].s2 = gs_undenormal(s->sec[i].s2);
    }
    return y;
}

/* ---- the bare block "input-stage" ---- */

static void *create(double rate, uint32_t max_block) {
    (void)max_block;
    gs_inputstage *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    gs_inputstage_init(s, rate);
    return s;
}

static void destroy(void *self) { free(self); }

GS_REALTIME static void set(void *self, size_t id, double value) {
    gs_inputstage_set(self, id, value, GS_CTRL_BLOCK);
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)gs_inputstage_tick(self, buf[i]);
}

GS_REALTIME static void reset(void *self) { gs_inputstage_reset(self); }

static uint32_t latency(const void *self) {
    (void)self;
    return 0;
}

static uint32_t no_latency(const double *values, double rate) {
    (void)values;
    (void)rate;
    return 0;
}

const gs_model_vt gs_inputstage_model = {
    {"input-stage", "Input stage: 20 dB pad, high-pass 6-24 dB/oct, polarity, clean gain", 1,
     gs_inputstage_params, GS_IN_P_COUNT},
    create,
    destroy,
    set,
    process,
    reset,
    latency,
    NULL,
    no_latency,
    NULL,
};
