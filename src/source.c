/* Source models (see source.h): circuits, their transfer functions, and the bare block "source"
 * used to validate them against ngspice (tools/spice/source_*.cir, tests/test_source.c). */
#include "source.h"

#include <stdlib.h>
#include <string.h>

const char *const gs_source_type_names[] = {"dynamic", "ribbon", "condenser", "pickup",
                                            "piezo",   "line",   "mm",        NULL};

const gs_param_info gs_source_params[GS_SRC_P_COUNT] = {GS_SOURCE_PARAM_ENTRIES};

/* Series R + sL into a load of conductance G and capacitance C:
 * H = 1 / (1 + (R + sL)(G + sC)). */
static void series_rl(double R, double L, double G, double C, double *num, unsigned *nn,
                      double *den, unsigned *nd) {
    num[0] = 1.0;
    *nn = 0;
    den[0] = 1.0 + R * G;
    den[1] = L * G + R * C;
    den[2] = L * C;
    *nd = 2;
}

/* Series R + 1/(s Co) into (G, C): H = s Co / (s Co + (1 + s R Co)(G + s C)). */
static void series_rc(double R, double Co, double G, double C, double *num, unsigned *nn,
                      double *den, unsigned *nd) {
    num[0] = 0.0;
    num[1] = Co;
    *nn = 1;
    den[0] = G;
    den[1] = Co + C + R * Co * G;
    den[2] = R * Co * C;
    *nd = 2;
}

void gs_source_poly(const double *v, double num[4], unsigned *nn, double den[4], unsigned *nd) {
    double G = 1.0 / v[GS_SRC_P_ZIN];
    double C = v[GS_SRC_P_CIN] + v[GS_SRC_P_CABLE];
    memset(num, 0, 4 * sizeof(double));
    memset(den, 0, 4 * sizeof(double));
    switch ((int)v[GS_SRC_P_TYPE]) {
    default:
    case GS_SRC_DYNAMIC:
        series_rl(v[GS_SRC_P_DYN_R], v[GS_SRC_P_DYN_L], G, C, num, nn, den, nd);
        break;
    case GS_SRC_MM: series_rl(v[GS_SRC_P_MM_R], v[GS_SRC_P_MM_L], G, C, num, nn, den, nd); break;
    case GS_SRC_PICKUP:
        series_rl(v[GS_SRC_P_PU_R], v[GS_SRC_P_PU_L], G + 1.0 / v[GS_SRC_P_PU_POT],
                  C + v[GS_SRC_P_PU_C], num, nn, den, nd);
        break;
    case GS_SRC_CONDENSER:
        series_rc(v[GS_SRC_P_COND_R], v[GS_SRC_P_COND_C], G, C, num, nn, den, nd);
        break;
    case GS_SRC_LINE:
        series_rc(v[GS_SRC_P_LINE_R], v[GS_SRC_P_LINE_C], G, C, num, nn, den, nd);
        break;
    case GS_SRC_PIEZO: {
        /* H = s Cp / (s Cp + G + s C): a high-pass at G / (Cp + C), 1/(2 pi zin (Cp + C)) Hz, and
         * a capacitive divider Cp / (Cp + C) above it. */
        double Cp = v[GS_SRC_P_PZ_C];
        num[1] = Cp;
        *nn = 1;
        den[0] = G;
        den[1] = Cp + C;
        *nd = 1;
        break;
    }
    case GS_SRC_RIBBON: {
        /* Nodes: A after R1 = n^2 R_ribbon (the primary side referred to the secondary), shunt Lm
         * at A, then Z2 = Rw + s Ll to B, and Y_B = G + s (C + Cw) at B. With the open-circuit
         * mid-band output as input (EMF referred to the secondary):
         *   H = 1 / ((1 + R1 Y_A)(1 + Z2 Y_B)),  Y_A = 1/(s Lm) + Y_B / (1 + Z2 Y_B).
         * Writing q(s) = 1 + Z2 Y_B = q0 + q1 s + q2 s^2 and multiplying by s Lm:
         *   H = s Lm / ((s Lm + R1) q(s) + s R1 Lm Y_B). */
        double n = v[GS_SRC_P_RIB_N];
        double R1 = n * n * v[GS_SRC_P_RIB_R], Rw = v[GS_SRC_P_RIB_RW];
        double Lm = v[GS_SRC_P_RIB_LM], Ll = v[GS_SRC_P_RIB_LL];
        double Cb = C + v[GS_SRC_P_RIB_CW];
        double q0 = 1.0 + Rw * G, q1 = Ll * G + Rw * Cb, q2 = Ll * Cb;
        num[1] = Lm;
        *nn = 1;
        den[0] = R1 * q0;
        den[1] = Lm * q0 + R1 * q1 + R1 * Lm * G;
        den[2] = Lm * q1 + R1 * q2 + R1 * Lm * Cb;
        den[3] = Lm * q2;
        *nd = 3;
        break;
    }
    }
}

unsigned gs_source_os_factor(double rate) { return rate < 88000.0 ? 2u : 1u; }
uint32_t gs_source_os_latency(double rate) {
    return gs_os_latency(rate, gs_source_os_factor(rate), rate < 50000.0 ? 20000.0 : 0.4167 * rate,
                         75.0);
}

static void redesign(gs_source *s) {
    double num[4], den[4];
    unsigned nn, nd;
    gs_source_poly(s->v, num, &nn, den, &nd);
    /* Passive circuits with positive component values always have their poles in the left
     * half-plane; a failure here would leave the previous (valid) filter in place. */
    (void)gs_lti_design(&s->lti, num, nn, den, nd);
}

void gs_source_init(gs_source *s, double rate) {
    gs_lti_init(&s->lti, rate, GS_SOURCE_TAPS, GS_SOURCE_DELAY);
    for (size_t i = 0; i < GS_SRC_P_COUNT; i++) s->v[i] = gs_source_params[i].def;
    redesign(s);
}

void gs_source_set(gs_source *s, size_t id, double value) {
    if (id >= GS_SRC_P_COUNT) return;
    if (s->v[id] == value) return;
    s->v[id] = value;
    /* Component values of other source types do not change the response. */
    int t = (int)s->v[GS_SRC_P_TYPE];
    int relevant = id <= GS_SRC_P_CABLE ||
                   (t == GS_SRC_DYNAMIC && (id == GS_SRC_P_DYN_R || id == GS_SRC_P_DYN_L)) ||
                   (t == GS_SRC_RIBBON && id >= GS_SRC_P_RIB_R && id <= GS_SRC_P_RIB_CW) ||
                   (t == GS_SRC_CONDENSER && (id == GS_SRC_P_COND_R || id == GS_SRC_P_COND_C)) ||
                   (t == GS_SRC_PICKUP && id >= GS_SRC_P_PU_R && id <= GS_SRC_P_PU_POT) ||
                   (t == GS_SRC_PIEZO && id == GS_SRC_P_PZ_C) ||
                   (t == GS_SRC_LINE && (id == GS_SRC_P_LINE_R || id == GS_SRC_P_LINE_C)) ||
                   (t == GS_SRC_MM && (id == GS_SRC_P_MM_R || id == GS_SRC_P_MM_L));
    if (relevant) redesign(s);
}

/* ---- the bare block "source" ---- */

typedef struct source_model {
    gs_oversampler os;
    gs_source src;
} source_model;

static void *create(double rate, uint32_t max_block) {
    source_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    unsigned f = gs_source_os_factor(rate);
    /* Flat to 20 kHz at 44.1/48 kHz; 75 dB image rejection (the op-amp stages' setting). */
    if (gs_os_init(&m->os, rate, f, max_block, rate < 50000.0 ? 20000.0 : 0.4167 * rate, 75.0) !=
        GS_OK) {
        free(m);
        return NULL;
    }
    gs_source_init(&m->src, rate * f);
    return m;
}

static void destroy(void *self) {
    source_model *m = self;
    gs_os_free(&m->os);
    free(m);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    gs_source_set(&((source_model *)self)->src, id, value);
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    source_model *m = self;
    if (m->os.factor == 1) {
        for (uint32_t i = 0; i < n; i++) buf[i] = (float)gs_source_tick(&m->src, buf[i]);
        return;
    }
    double *hi = gs_os_up(&m->os, buf, n);
    uint32_t len = n * m->os.factor;
    for (uint32_t i = 0; i < len; i++) hi[i] = gs_source_tick(&m->src, hi[i]);
    gs_os_down(&m->os, hi, buf, n);
}

GS_REALTIME static void reset(void *self) {
    source_model *m = self;
    gs_os_reset(&m->os);
    gs_lti_reset(&m->src.lti);
}

static uint32_t latency(const void *self) {
    const source_model *m = self;
    return m->os.latency + GS_SOURCE_DELAY / m->os.factor;
}
static uint32_t latency_for(const double *values, double rate) {
    (void)values;
    return gs_source_os_latency(rate) + GS_SOURCE_DELAY / gs_source_os_factor(rate);
}

const gs_model_vt gs_source_model = {
    {"source", "Source into an input impedance: mic, ribbon, pickup, piezo, line, cartridge", 1,
     gs_source_params, GS_SRC_P_COUNT},
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
