/* The common-emitter NPN class-A stage as a bare model ("bjt-stage", issue 19), every component a
 * parameter, for validation against ngspice (tools/spice/bjt_stage.cir) and for colour. The
 * oversampling and its qualities are the tube models' (gs_tube_os_init). */
#include "bjt.h"
#include "oversample.h"
#include "tube_stage.h"

enum { P_VCC, P_R1, P_R2, P_RC, P_RE1, P_RE2, P_CE, P_CIN, P_COUT, P_RL, P_QUALITY, P_COUNT };

static const gs_param_info params[P_COUNT] = {
    {"vcc", "Supply", GS_UNIT_VOLT, 6.0, 60.0, GS_BJT_DEF_VCC, GS_CURVE_LINEAR, GS_PARAM_REAL, 1,
     NULL, "supply voltage", 0},
    {"r1", "Bias resistor (upper)", GS_UNIT_OHM, 1e3, 1e6, GS_BJT_DEF_R1, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "resistor from the supply to the base", 0},
    {"r2", "Bias resistor (lower)", GS_UNIT_OHM, 1e3, 1e6, GS_BJT_DEF_R2, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "resistor from the base to ground", 0},
    {"rc", "Collector resistor", GS_UNIT_OHM, 100.0, 100e3, GS_BJT_DEF_RC, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "collector load resistor from the supply", 0},
    {"re1", "Emitter resistor (unbypassed)", GS_UNIT_OHM, 0.0, 10e3, GS_BJT_DEF_RE1,
     GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "emitter resistor in series with the bypassed one (local feedback)", 0},
    {"re2", "Emitter resistor (bypassed)", GS_UNIT_OHM, 10.0, 100e3, GS_BJT_DEF_RE2, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "emitter resistor to ground across the bypass capacitor", 0},
    {"ce", "Emitter bypass", GS_UNIT_FARAD, 0.0, 1e-3, GS_BJT_DEF_CE, GS_CURVE_LINEAR,
     GS_PARAM_REAL, 1, NULL,
     "capacitor across re2; 0 = none (the whole emitter resistance unbypassed)", 0},
    {"cin", "Input capacitor", GS_UNIT_FARAD, 100e-9, 100e-6, GS_BJT_DEF_CIN, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "coupling capacitor from the input to the base", 0},
    {"cout", "Output capacitor", GS_UNIT_FARAD, 100e-9, 100e-6, GS_BJT_DEF_COUT, GS_CURVE_LOG,
     GS_PARAM_REAL, 1, NULL, "coupling capacitor from the collector to the load", 0},
    {"rl", "Load", GS_UNIT_OHM, 1e3, 10e6, GS_BJT_DEF_RL, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "load resistor after the output capacitor (the output is the voltage across it)", 0},
    GS_TUBE_QUALITY_PARAM,
};

typedef struct bjt_model {
    gs_tube_os_head h; /* first: gs_tube_os_model_new */
    gs_bjt_core core;
    gs_bjt_sub2 sub; /* the default and high qualities' half steps */
    double v[P_COUNT];
} bjt_model;

/* The default and high qualities run the solver at twice their oversampler's rate
 * (gs_bjt_core_run_sub2), fast at its rate. */
static int halved(const bjt_model *m) { return m->h.q != 0; }

static void redesign(bjt_model *m) {
    gs_bjt_values val = {m->v[P_VCC], m->v[P_R1], m->v[P_R2],  m->v[P_RC],   m->v[P_RE1],
                         m->v[P_RE2], m->v[P_CE], m->v[P_CIN], m->v[P_COUT], m->v[P_RL]};
    double T = 1.0 / (m->h.rate * m->h.os[m->h.q].factor);
    if (halved(m))
        gs_bjt_sub2_design(&m->sub, &m->core, &val, T);
    else
        gs_bjt_core_design(&m->core, &val, T);
}

GS_REALTIME static void reset(void *self) {
    bjt_model *m = self;
    gs_os_reset(&m->h.os[m->h.q]);
    if (halved(m))
        gs_bjt_sub2_reset(&m->sub, &m->core);
    else
        gs_bjt_core_reset(&m->core);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    bjt_model *m = self;
    m->v[id] = value;
    if (id == P_QUALITY) {
        /* a new time step: restart from the operating point (hosts switch between takes) */
        m->h.q = gs_tube_quality_index(value);
        redesign(m);
        reset(m);
        return;
    }
    redesign(m);
}

static void destroy(void *self) { gs_tube_os_model_free(self); }

static void *create(double rate, uint32_t max_block) {
    bjt_model *m =
        gs_tube_os_model_new_spec(sizeof *m, rate, max_block, &gs_lowdelay_low_alias_sub2);
    if (!m) return NULL;
    for (size_t i = 0; i < P_COUNT; i++) m->v[i] = params[i].def;
    redesign(m);
    reset(m);
    return m;
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    bjt_model *m = self;
    gs_oversampler *os = &m->h.os[m->h.q];
    double *hi = gs_os_up(os, buf, n);
    if (halved(m))
        gs_bjt_core_run_sub2(&m->core, &m->sub, hi, n * os->factor);
    else
        gs_bjt_core_run(&m->core, hi, n * os->factor);
    gs_os_down(os, hi, buf, n);
}

static uint32_t latency_for(const double *values, double rate) {
    return gs_tube_os_latency_spec(rate, gs_tube_quality_index(values[P_QUALITY]),
                                   &gs_lowdelay_low_alias_sub2);
}

GS_REALTIME static void stats(const void *self, gs_channel_stats *st) {
    const bjt_model *m = self;
    st->solver_failures += m->core.nonconverged + m->sub.s.nonconverged;
}

const gs_model_vt gs_bjt_stage_model = {
    {"bjt-stage",
     "Common-emitter NPN class-A stage (Ebers-Moll with Early voltage), solved as a "
     "circuit",
     1, params, P_COUNT},
    create,
    destroy,
    set,
    process,
    reset,
    gs_tube_os_model_latency,
    stats,
    latency_for,
    NULL,
};
