/* RIAA de-emphasis (see riaa.h) and its bare block "riaa" for validation. */
#include "riaa.h"
#include "oversample.h"
#include "source.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

void gs_riaa_poly(int iec, double num[4], unsigned *nn, double den[4], unsigned *nd) {
    memset(num, 0, 4 * sizeof(double));
    memset(den, 0, 4 * sizeof(double));
    const double T1 = GS_RIAA_T1, T2 = GS_RIAA_T2, T3 = GS_RIAA_T3, T4 = GS_RIAA_T4;
    if (iec) {
        num[1] = T4;
        num[2] = T2 * T4;
        *nn = 2;
        den[0] = 1.0;
        den[1] = T1 + T3 + T4;
        den[2] = T1 * T3 + T4 * (T1 + T3);
        den[3] = T1 * T3 * T4;
        *nd = 3;
    } else {
        num[0] = 1.0;
        num[1] = T2;
        *nn = 1;
        den[0] = 1.0;
        den[1] = T1 + T3;
        den[2] = T1 * T3;
        *nd = 2;
    }
    /* 0 dB at 1 kHz: the same constant for both, so the IEC filter only adds its high-pass. */
    double complex s = I * 2.0 * GS_PI * 1000.0;
    double complex h = (1.0 + s * T2) / ((1.0 + s * T1) * (1.0 + s * T3));
    double k = 1.0 / cabs(h);
    for (unsigned i = 0; i <= *nn; i++) num[i] *= k;
}

void gs_riaa_init(gs_riaa *r, double rate, unsigned taps, unsigned delay) {
    double num[4], den[4];
    unsigned nn, nd;
    gs_lti_init(&r->plain, rate, taps, delay);
    gs_lti_init(&r->iec, rate, taps, delay);
    gs_riaa_poly(0, num, &nn, den, &nd);
    (void)gs_lti_design(&r->plain, num, nn, den, nd);
    gs_riaa_poly(1, num, &nn, den, &nd);
    (void)gs_lti_design(&r->iec, num, nn, den, nd);
    r->mix.cur = r->mix.target = 0.0;
}

void gs_riaa_set_iec(gs_riaa *r, double amount, uint32_t ramp_len) {
    gs_ramp_to(&r->mix, amount, ramp_len);
}

void gs_riaa_reset(gs_riaa *r) {
    gs_lti_reset(&r->plain);
    gs_lti_reset(&r->iec);
    gs_ramp_snap(&r->mix);
}

/* ---- the bare block "riaa" ---- */

static const gs_param_info params[] = {
    {"iec", "IEC rumble filter", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1,
     NULL, "adds the IEC 7950 us high-pass (-3 dB at 20 Hz) to the RIAA curve", 0},
};

typedef struct riaa_model {
    gs_oversampler os;
    gs_riaa riaa;
} riaa_model;

static void *create(double rate, uint32_t max_block) {
    riaa_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    unsigned f = gs_source_os_factor(rate);
    if (gs_os_init(&m->os, rate, f, max_block, rate < 50000.0 ? 20000.0 : 0.4167 * rate, 75.0) !=
        GS_OK) {
        free(m);
        return NULL;
    }
    gs_riaa_init(&m->riaa, rate * f, GS_SOURCE_TAPS, GS_SOURCE_DELAY);
    return m;
}

static void destroy(void *self) {
    riaa_model *m = self;
    gs_os_free(&m->os);
    free(m);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    riaa_model *m = self;
    if (id == 0) gs_riaa_set_iec(&m->riaa, value, GS_CTRL_BLOCK * m->os.factor);
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    riaa_model *m = self;
    if (m->os.factor == 1) {
        for (uint32_t i = 0; i < n; i++) buf[i] = (float)gs_riaa_tick(&m->riaa, buf[i]);
        return;
    }
    double *hi = gs_os_up(&m->os, buf, n);
    uint32_t len = n * m->os.factor;
    for (uint32_t i = 0; i < len; i++) hi[i] = gs_riaa_tick(&m->riaa, hi[i]);
    gs_os_down(&m->os, hi, buf, n);
}

GS_REALTIME static void reset(void *self) {
    riaa_model *m = self;
    gs_os_reset(&m->os);
    gs_riaa_reset(&m->riaa);
}

static uint32_t latency(const void *self) {
    const riaa_model *m = self;
    return m->os.latency + GS_SOURCE_DELAY / m->os.factor;
}
static uint32_t latency_for(const double *values, double rate) {
    (void)values;
    return gs_source_os_latency(rate) + GS_SOURCE_DELAY / gs_source_os_factor(rate);
}

const gs_model_vt gs_riaa_model = {
    {"riaa", "RIAA playback de-emphasis 3180/318/75 us, optional IEC 7950 us rumble filter", 1,
     params, GS_ARRAY_LEN(params)},
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
