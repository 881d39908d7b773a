/* The common-cathode triode stage as a bare model ("tube-stage"), every component a parameter,
 * for validation against ngspice (tools/spice/tube_stage.cir) and for experiments. */
#include "oversample.h"
#include "tube_stage.h"

enum { P_BPLUS, P_RP, P_RK, P_CK, P_RGS, P_RG, P_CIN, P_COUT, P_RL, P_TUBE, P_QUALITY, P_COUNT };

/* Index order is what plugin hosts and sessions store: 0 stays the 2x quality, which was named
 * "standard" while it was the default (issue 15); gs_param_parse still reads that name. */
const char *const gs_tube_quality_names[] = {"fast", "high", "low-alias", NULL};

static const gs_param_info params[P_COUNT] = {
    {"bplus", "Supply (B+)", GS_UNIT_VOLT, 50.0, 500.0, 250.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1,
     NULL, "plate supply voltage", 0},
    {"rp", "Plate resistor", GS_UNIT_OHM, 10e3, 1e6, 100e3, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "plate load resistor from B+ to the plate", 0},
    {"rk", "Cathode resistor", GS_UNIT_OHM, 100.0, 100e3, 1.5e3, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "cathode bias resistor to ground", 0},
    {"ck", "Cathode bypass", GS_UNIT_FARAD, 0.0, 1e-3, 22e-6, GS_CURVE_LINEAR, GS_PARAM_REAL, 1,
     NULL, "capacitor across the cathode resistor; 0 = unbypassed (local feedback)", 0},
    {"rgs", "Grid stopper", GS_UNIT_OHM, 1.0, 1e6, 68e3, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "series resistor from the grid-leak node to the grid", 0},
    {"rg", "Grid leak", GS_UNIT_OHM, 10e3, 10e6, 1e6, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "resistor from the grid-leak node to ground (sets the input impedance)", 0},
    {"cin", "Input capacitor", GS_UNIT_FARAD, 100e-12, 10e-6, 22e-9, GS_CURVE_LOG, GS_PARAM_REAL, 1,
     NULL, "coupling capacitor from the input to the grid-leak node", 0},
    {"cout", "Output capacitor", GS_UNIT_FARAD, 100e-12, 10e-6, 22e-9, GS_CURVE_LOG, GS_PARAM_REAL,
     1, NULL, "coupling capacitor from the plate to the load", 0},
    {"rl", "Load", GS_UNIT_OHM, 10e3, 10e6, 1e6, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "load resistor after the output capacitor (the output is the voltage across it)", 0},
    {"tube", "Tube", GS_UNIT_ENUM, 0.0, 2.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0,
     gs_tube_names, "triode type (Koren's model): 12AX7 = ECC83, 12AT7 = ECC81, 12AU7 = ECC82", 0},
    GS_TUBE_QUALITY_PARAM,
};

typedef struct tube_model {
    gs_tube_os_head h; /* first: gs_tube_os_model_new */
    gs_tube_core core;
    double v[P_COUNT];
} tube_model;

static void redesign(tube_model *m) {
    gs_tube_values val = {m->v[P_RP],   m->v[P_RK], m->v[P_CK],
                          m->v[P_RGS],  m->v[P_RG], m->v[P_CIN],
                          m->v[P_COUT], m->v[P_RL], gs_triode_get((gs_tube_type)m->v[P_TUBE]),
                          1.0};
    gs_tube_core_design(&m->core, &val, 1.0 / (m->h.rate * m->h.os[m->h.q].factor));
}

GS_REALTIME static void reset(void *self) {
    tube_model *m = self;
    gs_os_reset(&m->h.os[m->h.q]);
    gs_tube_core_reset(&m->core, m->v[P_BPLUS]);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    tube_model *m = self;
    m->v[id] = value;
    if (id == P_QUALITY) {
        /* A new time step: the circuit restarts from its operating point (the switch is not
         * smoothed; hosts change quality between takes). */
        m->h.q = gs_tube_quality_index(value);
        redesign(m);
        reset(m);
        return;
    }
    if (id == P_BPLUS) return; /* a source, read per sample */
    redesign(m);
}

static void destroy(void *self) { gs_tube_os_model_free(self); }

static void *create(double rate, uint32_t max_block) {
    tube_model *m = gs_tube_os_model_new(sizeof *m, rate, max_block);
    if (!m) return NULL;
    for (size_t i = 0; i < P_COUNT; i++) m->v[i] = params[i].def;
    redesign(m);
    reset(m);
    return m;
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    tube_model *m = self;
    gs_oversampler *os = &m->h.os[m->h.q];
    double *hi = gs_os_up(os, buf, n);
    uint32_t len = n * os->factor;
    double bp = m->v[P_BPLUS];
    gs_tube_core_run(&m->core, hi, len, bp);
    gs_os_down(os, hi, buf, n);
}

static uint32_t latency_for(const double *values, double rate) {
    return gs_tube_os_latency(rate, gs_tube_quality_index(values[P_QUALITY]));
}

GS_REALTIME static void stats(const void *self, gs_channel_stats *st) {
    st->solver_failures += ((const tube_model *)self)->core.nonconverged;
}

const gs_model_vt gs_tube_stage_model = {
    {"tube-stage", "Common-cathode triode stage (Koren 12AX7/12AT7/12AU7), solved as a circuit", 1,
     params, P_COUNT},
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
