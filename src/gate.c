/* Noise gate / downward expander ("gate" block).
 *
 * Detector: the mean square of the input through two cascaded one-poles of GATE_DETECT_TAU (5 ms
 * each), read as a level L in dBu RMS (so a sine of -50 dBu RMS sits exactly at a -50 dBu
 * threshold). The mean square, not the peak, so the level does not collapse at each zero crossing;
 * two poles rather than one because the ripple of x^2 at twice the signal frequency would
 * otherwise modulate the gain (distortion, and a bias of the static curve): at 1 kHz the ripple is
 * 0.001 dB (one 10 ms pole: 0.035 dB), at 50 Hz 0.4 dB, while a note's decay is still followed
 * within about 10 ms.
 * Static curve (gain in dB as a function of L, threshold T, ratio R, range A):
 *     G(L) = 0                          for L >= T
 *     G(L) = max(-A, (R - 1) (L - T))   for L <  T
 * i.e. below the threshold the output falls R dB per dB of input (R = 1: no action; R >= 20
 * behaves as a gate), never by more than the range.
 * Timing (on the gain in dB): while G rises above the current gain, the gain follows with the
 * attack time constant; when the level falls below the threshold the gain holds for `hold`
 * seconds (counted from the last sample above the threshold), then follows G down with the
 * release time constant. Time constants are 1/e times: after one release time constant the gain
 * has covered 63 % of its way in dB. */
#include "internal.h"

#include <stdlib.h>

#define GATE_DETECT_TAU 0.005 /* s, each of the two poles */

enum { P_GATE, P_THRESHOLD, P_RATIO, P_RANGE, P_ATTACK, P_HOLD, P_RELEASE, P_COUNT };

static const gs_param_info params[P_COUNT] = {
    {"gate", "Gate", GS_UNIT_NONE, 0.0, 1.0, 1.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1, NULL,
     "switches the gate/expander in (0: unity gain)", 0},
    {"threshold", "Threshold (dBu)", GS_UNIT_DB, -120.0, 20.0, -50.0, GS_CURVE_DB, GS_PARAM_REAL, 1,
     NULL, "level (dBu RMS, 2 x 5 ms detector) below which the gain is reduced", 0},
    {"ratio", "Ratio", GS_UNIT_NONE, 1.0, 100.0, 4.0, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "downward expansion ratio: output dB fall per dB of input below the threshold", 0},
    {"range", "Range", GS_UNIT_DB, 0.0, 120.0, 60.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "largest attenuation, dB", 0},
    {"attack", "Attack", GS_UNIT_SECOND, 0.0001, 0.5, 0.002, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "time constant of the gain opening (1/e), s", 0},
    {"hold", "Hold", GS_UNIT_SECOND, 0.0, 5.0, 0.05, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "time the gain stays open after the level falls below the threshold, s", 0},
    {"release", "Release", GS_UNIT_SECOND, 0.001, 10.0, 0.15, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "time constant of the gain closing (1/e), s", 0},
};

typedef struct gate {
    double rate;
    double v[P_COUNT];
    double det_a;        /* detector coefficient */
    double att_a, rel_a; /* gain smoothing coefficients */
    double ms1, ms;      /* mean square after the first and second pole, V^2 */
    double g_db;         /* current gain */
    uint64_t hold_left;  /* samples */
    gs_ramp mix;         /* gate switch crossfade */
} gate;

static const double dbu_ref2 = 0.6; /* V^2 RMS at 0 dBu */

GS_REALTIME static void set(void *self, size_t id, double value) {
    gate *m = self;
    m->v[id] = value;
    switch (id) {
    case P_GATE: gs_ramp_to(&m->mix, value, GS_CTRL_BLOCK); break;
    case P_ATTACK: m->att_a = exp(-1.0 / (value * m->rate)); break;
    case P_RELEASE: m->rel_a = exp(-1.0 / (value * m->rate)); break;
    default: break;
    }
}

GS_REALTIME static void reset(void *self) {
    gate *m = self;
    m->ms1 = m->ms = 0.0;
    /* Start closed: a gate that starts open lets the first noise through. */
    m->g_db = m->v[P_RATIO] > 1.0 ? -m->v[P_RANGE] : 0.0;
    m->hold_left = 0;
    gs_ramp_snap(&m->mix);
}

static void *create(double rate, uint32_t max_block) {
    (void)max_block;
    gate *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    m->det_a = exp(-1.0 / (GATE_DETECT_TAU * rate));
    for (size_t i = 0; i < P_COUNT; i++) set(m, i, params[i].def);
    reset(m);
    return m;
}

static void destroy(void *self) { free(self); }

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    gate *m = self;
    const double T = m->v[P_THRESHOLD], R = m->v[P_RATIO], A = m->v[P_RANGE];
    const uint64_t hold = (uint64_t)llrint(m->v[P_HOLD] * m->rate);
    for (uint32_t i = 0; i < n; i++) {
        double x = buf[i];
        m->ms1 = gs_undenormal(x * x + m->det_a * (m->ms1 - x * x));
        m->ms = gs_undenormal(m->ms1 + m->det_a * (m->ms - m->ms1));
        double L = 10.0 * log10(m->ms / dbu_ref2 + 1e-30);
        double target;
        if (L >= T) {
            target = 0.0;
            m->hold_left = hold;
        } else {
            target = (R - 1.0) * (L - T);
            if (target < -A) target = -A;
        }
        if (target > m->g_db)
            m->g_db = target + m->att_a * (m->g_db - target);
        else if (m->hold_left > 0)
            m->hold_left--;
        else
            m->g_db = target + m->rel_a * (m->g_db - target);
        double g = pow(10.0, m->g_db / 20.0);
        double mix = gs_ramp_next(&m->mix);
        buf[i] = (float)(x * (1.0 + mix * (g - 1.0)));
    }
}

static uint32_t latency(const void *self) {
    (void)self;
    return 0;
}

static uint32_t no_latency(const double *values, double rate) {
    (void)values;
    (void)rate;
    return 0;
}

const gs_model_vt gs_gate_model = {
    {"gate", "Noise gate / downward expander: threshold, ratio, range, attack, hold, release", 1,
     params, P_COUNT},
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
