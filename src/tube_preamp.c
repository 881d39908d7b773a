/* Tube preamp channel ("tube-preamp", presets "tube" and "tube-hot").
 *
 * Signal flow: input gain -> 12AX7 common-cathode stage -> interstage drive control (a volume pot
 * loading the first stage with its 1 MOhm, modelled as an ideal divider) -> second 12AX7 stage ->
 * output level -> DC blocking high-pass (5 Hz). Both stages are gs_tube_core, the circuit of the
 * tube-stage model with its default values, in one oversampled region, fed from one power supply
 * (gs_tube_psu): loud passages change the plate currents, B+ sags through the supply resistance and
 * both stages compress together; the rectifier ripple at twice the mains frequency rides on B+.
 * Tube ageing: `wear` is the loss of cathode emission (plate current scaled by 1 - wear, i.e. a
 * larger KG1: lower current and gain, earlier clipping), `mismatch` makes the second tube weaker
 * than the first by that fraction.
 */
#include "tube_stage.h"

enum {
    P_GAIN,
    P_DRIVE,
    P_LEVEL,
    P_SUPPLY,
    P_PSU_R,
    P_PSU_C,
    P_RIPPLE,
    P_MAINS,
    P_WEAR,
    P_MISMATCH,
    P_QUALITY,
    P_COUNT
};

static const char *const mains_names[] = {"50Hz", "60Hz", NULL};

static const gs_param_info params[P_COUNT] = {
    {"gain", "Input gain", GS_UNIT_DB, -20.0, 30.0, 0.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "gain before the first tube stage (an ideal input transformer or pad)", 0},
    {"drive", "Drive", GS_UNIT_DB, -60.0, 0.0, -12.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "interstage volume control between the two tube stages", 0},
    {"level", "Output level", GS_UNIT_DB, -60.0, 12.0, -20.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "output attenuator after the second stage", 0},
    {"supply", "Raw supply", GS_UNIT_VOLT, 150.0, 450.0, 300.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1,
     NULL, "rectified supply voltage before the supply resistance", 0},
    {"psu_r", "Supply resistance", GS_UNIT_OHM, 100.0, 100e3, 22e3, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "rectifier, transformer and dropping resistance feeding B+ (sets the sag)", 0},
    {"psu_c", "Filter capacitor", GS_UNIT_FARAD, 1e-6, 1e-3, 22e-6, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "B+ filter capacitor (with the resistance, the sag and ripple time constant)", 0},
    /* Default 0.02 %: a well-filtered preamp supply. A full-wave capacitor-input rectifier
     * ripples by I / (2 f C) peak to peak; the two stages draw 1.7 mA at rest, so a 150 uF
     * reservoir at 50 Hz gives 0.11 V p-p, 0.06 V peak on 300 V. The 22 kOhm / 22 uF filter
     * after it (psu_r, psu_c) leaves the hum on silence below -98 dBFS RMS, 80 dB under the
     * nominal -18 dBFS, at the model's defaults and in the presets (test_tube_preamp,
     * measure/tests/measure.sh); it was 2 % (-71 dBFS of hum in preset tube) until issue 15. */
    {"ripple", "Ripple", GS_UNIT_PERCENT, 0.0, 20.0, 0.02, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "ripple at the rectifier, peak, in percent of the raw supply, at twice the mains frequency",
     0},
    {"mains", "Mains frequency", GS_UNIT_ENUM, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0,
     mains_names, "50 Hz or 60 Hz mains (ripple at 100 or 120 Hz)", 0},
    {"wear", "Tube wear", GS_UNIT_PERCENT, 0.0, 90.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "loss of cathode emission of both tubes (0 = new)", 0},
    {"mismatch", "Tube mismatch", GS_UNIT_PERCENT, 0.0, 50.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_REAL,
     1, NULL, "the second tube's emission below the first's", 0},
    GS_TUBE_QUALITY_PARAM,
};

#define DC_BLOCK_HZ 5.0

typedef struct tube_preamp {
    gs_tube_os_head h; /* first: gs_tube_os_model_new */
    gs_tube_core st[2];
    gs_tube_psu psu;
    double v[P_COUNT];
    gs_ramp in_gain, drive, out_gain; /* per sample at the base rate / high rate */
    double hp_a, hp_x, hp_y;          /* DC blocker */
} tube_preamp;

static void redesign(tube_preamp *m) {
    double T = 1.0 / (m->h.rate * m->h.os[m->h.q].factor);
    double e0 = 1.0 - m->v[P_WEAR] / 100.0;
    for (int k = 0; k < 2; k++) {
        gs_tube_values val = {100e3,
                              1.5e3,
                              22e-6,
                              68e3,
                              1e6,
                              22e-9,
                              22e-9,
                              1e6,
                              gs_triode_get(GS_TUBE_12AX7),
                              k == 0 ? e0 : e0 * (1.0 - m->v[P_MISMATCH] / 100.0)};
        gs_tube_core_design(&m->st[k], &val, T);
    }
    double v = m->psu.v;
    gs_tube_psu_design(&m->psu, m->v[P_SUPPLY], m->v[P_RIPPLE] / 100.0,
                       m->v[P_MAINS] >= 0.5 ? 60.0 : 50.0, m->v[P_PSU_R], m->v[P_PSU_C], T);
    m->psu.v = v;
    m->hp_a = exp(-2.0 * GS_PI * DC_BLOCK_HZ / m->h.rate);
}

GS_REALTIME static void reset(void *self) {
    tube_preamp *m = self;
    gs_os_reset(&m->h.os[m->h.q]);
    /* B+ and the operating points depend on each other through the supply resistance: a fixed
     * point iteration (the loop gain is psu_r / (rp + ra) per stage, well below 1 in range). */
    double b = m->v[P_SUPPLY];
    for (int it = 0; it < 30; it++) {
        double i = 0.0;
        for (int k = 0; k < 2; k++) {
            gs_tube_core_reset(&m->st[k], b);
            i += gs_tube_core_supply_current(&m->st[k]);
        }
        double nb = m->v[P_SUPPLY] - m->v[P_PSU_R] * i;
        if (fabs(nb - b) < 1e-9) break;
        b = nb;
    }
    double i = 0.0;
    for (int k = 0; k < 2; k++) {
        gs_tube_core_reset(&m->st[k], b);
        i += gs_tube_core_supply_current(&m->st[k]);
    }
    gs_tube_psu_settle(&m->psu, i);
    gs_ramp_snap(&m->in_gain);
    gs_ramp_snap(&m->drive);
    gs_ramp_snap(&m->out_gain);
    m->hp_x = m->hp_y = 0.0;
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    tube_preamp *m = self;
    m->v[id] = value;
    switch (id) {
    case P_GAIN: gs_ramp_to(&m->in_gain, gs_db_to_gain(value), GS_CTRL_BLOCK); break;
    case P_DRIVE:
        gs_ramp_to(&m->drive, gs_db_to_gain(value), GS_CTRL_BLOCK * m->h.os[m->h.q].factor);
        break;
    case P_LEVEL: gs_ramp_to(&m->out_gain, gs_db_to_gain(value), GS_CTRL_BLOCK); break;
    case P_QUALITY:
        m->h.q = gs_tube_quality_index(value);
        redesign(m);
        reset(m);
        break;
    default: redesign(m); break;
    }
}

static void destroy(void *self) { gs_tube_os_model_free(self); }

static void *create(double rate, uint32_t max_block) {
    tube_preamp *m = gs_tube_os_model_new(sizeof *m, rate, max_block);
    if (!m) return NULL;
    m->psu.v = params[P_SUPPLY].def;
    for (size_t i = 0; i < P_COUNT; i++) {
        m->v[i] = params[i].def;
        if (i != P_QUALITY) set(m, i, params[i].def);
    }
    redesign(m);
    reset(m);
    return m;
}

/* The steps before the tube stages: the input gain at the base rate, then up to the high rate
 * (the returned buffer is the oversampler's, n * factor samples). */
GS_REALTIME static double *process_up(tube_preamp *m, float *buf, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)(gs_ramp_next(&m->in_gain) * buf[i]);
    return gs_os_up(&m->h.os[m->h.q], buf, n);
}

/* The steps after them: down to the base rate, the output level and the DC blocker. */
GS_REALTIME static void process_down(tube_preamp *m, const double *hi, float *buf, uint32_t n) {
    gs_os_down(&m->h.os[m->h.q], hi, buf, n);
    for (uint32_t i = 0; i < n; i++) {
        double x = gs_ramp_next(&m->out_gain) * buf[i];
        /* DC blocker y = a (y + x - x1): removes the slow bias shifts and the settling offsets */
        m->hp_y = gs_undenormal(m->hp_a * (m->hp_y + x - m->hp_x));
        m->hp_x = x;
        buf[i] = (float)m->hp_y;
    }
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    tube_preamp *m = self;
    double *hi = process_up(m, buf, n);
    gs_tube_core_run_pair(m->st, &m->psu, &m->drive, hi, n * m->h.os[m->h.q].factor);
    process_down(m, hi, buf, n);
}

/* Four preamps: every per-channel step as in process, and the two stages of all four run
 * together (gs_tube_core_run_pair4, bit for bit what run_pair gives per channel; no longer faster
 * than one by one since the samples are linearised, README.md). The lanes advance in step, so the
 * four must run at the same high rate length: other qualities (or rates whose factor differs) go
 * one by one. */
GS_REALTIME static void process4(void *const self[4], float *const buf[4], uint32_t n) {
    tube_preamp *m[4];
    for (int l = 0; l < 4; l++) m[l] = self[l];
    unsigned f = m[0]->h.os[m[0]->h.q].factor;
    for (int l = 1; l < 4; l++) {
        if (m[l]->h.os[m[l]->h.q].factor != f) {
            for (int k = 0; k < 4; k++) process(self[k], buf[k], n);
            return;
        }
    }
    double *hi[4];
    gs_tube_core *st[4];
    gs_tube_psu *psu[4];
    gs_ramp *drive[4];
    for (int l = 0; l < 4; l++) {
        hi[l] = process_up(m[l], buf[l], n);
        st[l] = m[l]->st;
        psu[l] = &m[l]->psu;
        drive[l] = &m[l]->drive;
    }
    gs_tube_core_run_pair4(st, psu, drive, hi, n * f);
    for (int l = 0; l < 4; l++) process_down(m[l], hi[l], buf[l], n);
}

static uint32_t latency_for(const double *values, double rate) {
    return gs_tube_os_latency(rate, gs_tube_quality_index(values[P_QUALITY]));
}

GS_REALTIME static void stats(const void *self, gs_channel_stats *st) {
    const tube_preamp *m = self;
    st->solver_failures += m->st[0].nonconverged + m->st[1].nonconverged;
}

double gs_tube_preamp_bplus(const void *self) { return ((const tube_preamp *)self)->psu.v; }

const gs_model_vt gs_tube_preamp_model = {
    {"tube-preamp", "Two-stage 12AX7 preamp: input gain, drive, output level, sagging supply, wear",
     0, params, P_COUNT},
    create,
    destroy,
    set,
    process,
    reset,
    gs_tube_os_model_latency,
    stats,
    latency_for,
    process4,
};
