/* The op-amp gain stage as a bare model ("opamp-stage"), for validation against ngspice. */
#include "opamp.h"
#include "oversample.h"

#include <stdlib.h>

void gs_opamp_core_design(gs_opamp_core *c, double gain_db, double gbw, double cin, double rin,
                          double rail, double T, uint32_t ramp_len) {
    double beta = 1.0 / gs_db_to_gain(gain_db);
    double wp = 2.0 * GS_PI * gbw / GS_OPAMP_A0;
    gs_ramp_to(&c->gcl, GS_OPAMP_A0 / (1.0 + GS_OPAMP_A0 * beta), ramp_len);
    gs_onepole_design(&c->lp, wp * (1.0 + GS_OPAMP_A0 * beta), T);
    gs_onepole_design(&c->hp, 1.0 / (rin * cin), T);
    c->rail = rail;
}

void gs_opamp_core_reset(gs_opamp_core *c) {
    gs_ramp_snap(&c->gcl);
    gs_onepole_settle(&c->hp, 0.0);
    gs_onepole_settle(&c->lp, 0.0);
}

/* Oversample so that the top rate is at least 352.8 kHz: the discretisation's error at 20 kHz then
 * stays below 3.1e-4 (0.003 dB) for any closed-loop pole, and rail clipping aliases far less. */
unsigned gs_opamp_os_factor(double rate) {
    return rate < 88000.0 ? 8u : (rate < 176000.0 ? 4u : 2u);
}
double gs_opamp_os_pass(double rate) { return rate < 50000.0 ? 20000.0 : 0.4167 * rate; }

/* The last down stage stops from the base Nyquist frequency: with half-bands alone, what the rail
 * clipping makes at 24-28 kHz folded to 20-24 kHz (preset clean, gain 50, 0 dBFS: aliasing at
 * 5 kHz -34.7 dB, now -63.7 dB), for 14 more samples of latency at 48 kHz. */
gs_status gs_opamp_os_init(gs_oversampler *os, double rate, uint32_t max_block) {
    return gs_os_init_stop(os, rate, gs_opamp_os_factor(rate), max_block, gs_opamp_os_pass(rate),
                           0.5 * rate, GS_OPAMP_OS_ATTEN_DB);
}

uint32_t gs_opamp_os_latency(double rate) {
    uint32_t latency = 0;
    gs_os_stop_latency(rate, gs_opamp_os_factor(rate), gs_opamp_os_pass(rate), 0.5 * rate,
                       GS_OPAMP_OS_ATTEN_DB, &latency);
    return latency;
}

#define PAIR_CIN1 47e-6
#define PAIR_RIN1 10e3
#define PAIR_CIN2 100e-6
#define PAIR_RIN2 100e3

gs_status gs_opamp_pair_init(gs_opamp_pair *p, double rate, uint32_t max_block) {
    p->rate = rate;
    return gs_opamp_os_init(&p->os, rate, max_block);
}

void gs_opamp_pair_free(gs_opamp_pair *p) { gs_os_free(&p->os); }

void gs_opamp_pair_design(gs_opamp_pair *p, double stage_db, double gbw, double rail) {
    double T = 1.0 / (p->rate * p->os.factor);
    uint32_t ramp = GS_CTRL_BLOCK * p->os.factor;
    gs_opamp_core_design(&p->st1, stage_db, gbw, PAIR_CIN1, PAIR_RIN1, rail, T, ramp);
    gs_opamp_core_design(&p->st2, stage_db, gbw, PAIR_CIN2, PAIR_RIN2, rail, T, ramp);
}

void gs_opamp_pair_reset(gs_opamp_pair *p) {
    gs_os_reset(&p->os);
    gs_opamp_core_reset(&p->st1);
    gs_opamp_core_reset(&p->st2);
}

GS_REALTIME void gs_opamp_pair_process(gs_opamp_pair *p, float *buf, uint32_t n) {
    double *hi = gs_os_up(&p->os, buf, n);
    uint32_t len = n * p->os.factor;
    for (uint32_t i = 0; i < len; i++)
        hi[i] = gs_opamp_core_tick(&p->st2, gs_opamp_core_tick(&p->st1, hi[i]));
    gs_os_down(&p->os, hi, buf, n);
}

enum { P_GAIN, P_RAIL, P_GBW, P_CIN, P_RIN, P_COUNT };

static const gs_param_info params[P_COUNT] = {
    {"gain", "Gain", GS_UNIT_DB, 0.0, 70.0, 20.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "ideal gain of the feedback network, 20 log10(1 + Rf/Rg)", 0},
    {"rail", "Supply rail", GS_UNIT_VOLT, 1.0, 50.0, 15.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "symmetric supply; the output saturates at +/- this voltage", 0},
    {"gbw", "Gain-bandwidth", GS_UNIT_HZ, 1e4, 1e9, 1e6, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "op-amp gain-bandwidth product (open-loop gain 100 dB, single pole)", 0},
    {"cin", "Input capacitor", GS_UNIT_FARAD, 1e-9, 1e-2, 47e-6, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "series input coupling capacitor", 0},
    {"rin", "Input resistor", GS_UNIT_OHM, 100.0, 1e8, 10e3, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "resistor from the + input to ground (sets the input impedance)", 0},
};

typedef struct opamp_model {
    gs_oversampler os;
    gs_opamp_core core;
    double v[P_COUNT];
    double rate;
} opamp_model;

static void redesign(opamp_model *m) {
    double T = 1.0 / (m->rate * m->os.factor);
    gs_opamp_core_design(&m->core, m->v[P_GAIN], m->v[P_GBW], m->v[P_CIN], m->v[P_RIN],
                         m->v[P_RAIL], T, GS_CTRL_BLOCK * m->os.factor);
}

static void *create(double rate, uint32_t max_block) {
    opamp_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    if (gs_opamp_os_init(&m->os, rate, max_block) != GS_OK) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < P_COUNT; i++) m->v[i] = params[i].def;
    redesign(m);
    gs_opamp_core_reset(&m->core);
    return m;
}

static void destroy(void *self) {
    opamp_model *m = self;
    gs_os_free(&m->os);
    free(m);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    opamp_model *m = self;
    m->v[id] = value;
    redesign(m);
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    opamp_model *m = self;
    double *hi = gs_os_up(&m->os, buf, n);
    uint32_t len = n * m->os.factor;
    for (uint32_t i = 0; i < len; i++) hi[i] = gs_opamp_core_tick(&m->core, hi[i]);
    gs_os_down(&m->os, hi, buf, n);
}

GS_REALTIME static void reset(void *self) {
    opamp_model *m = self;
    gs_os_reset(&m->os);
    gs_opamp_core_reset(&m->core);
}

static uint32_t latency(const void *self) { return ((const opamp_model *)self)->os.latency; }
static uint32_t latency_for(const double *values, double rate) {
    (void)values;
    return gs_opamp_os_latency(rate);
}

const gs_model_vt gs_opamp_stage_model = {
    {"opamp-stage", "Non-inverting op-amp gain stage (single-pole op-amp, rail clipping)", 1,
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
