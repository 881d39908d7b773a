/* The interface front-end channel ("frontend"; presets mic-dynamic, mic-ribbon, guitar-hi-z,
 * piezo, phono, line): a source model loaded by the input impedance, then the input stage, then
 * the gain element, as an audio interface's input does it.
 *
 * Signal flow (volts throughout):
 *   source (EMF of the mic/pickup/cartridge -> voltage across zin || cin + cable)    [domain A]
 *   -> RIAA de-emphasis (switch `riaa`, optional IEC rumble filter)                  [domain A]
 *   -> input stage: pad, high-pass, polarity, line-level gain                        [base rate]
 *   -> two non-inverting op-amp stages sharing `gain` (as in ss_preamp.c)             [domain B]
 *   -> output trim                                                                    [base rate]
 * Domain A is the source's rate (2x below 88.2 kHz, see source.h), domain B the op-amp stages'
 * (8x/4x/2x, see opamp.h); each pays its own oversampling filters once, and latency() reports
 * the sum.
 *
 * Gain calibration: a non-inverting stage with open-loop gain A0 closes at A0 / (1 + A0/G), not
 * at G (at 35 dB per stage that is 0.005 dB low, at 70 dB in one stage 0.27 dB). The feedback
 * network is therefore chosen for the closed-loop gain asked for, 1/G = 1/G_target - 1/A0, so the
 * `gain` control is exact at mid band (as a preamp's calibrated gain switch is), tested to 0.01 dB.
 *
 * Noise (switch `noise`, off by default; parameters of noise.h without `source_r`):
 * - The source's thermal noise, 4 k T R of the resistance that physically generates it, is a
 *   voltage in series with the source's EMF, so it is added to the EMF in domain A before
 *   gs_source_tick and the source/load network filters it exactly as it filters the signal (a
 *   dynamic mic into 3 kOhm: the coil's noise is divided by (R + jwL) against the load like the
 *   signal). R per source type (thermal_r()):
 *     dynamic    dyn_r, the voice-coil resistance.
 *     ribbon     rib_r n^2 + rib_rw: the ribbon's noise, at the primary, referred to the
 *                secondary EMF (x n in voltage), plus the winding resistance. The winding sits
 *                after the magnetising-inductance shunt, which high-passes the ribbon's part
 *                (and the signal) near 16 Hz but not the winding's; putting it at the EMF too
 *                misplaces that part below ~20 Hz only.
 *     condenser  cond_r, the impedance converter's output resistance. The capsule and
 *                impedance-converter self-noise is not modelled (a mic datasheet's self-noise).
 *     pickup     pu_r, the coil's DC resistance. The pots (a shunt across the pickup, a
 *                different node) are treated as noiseless.
 *     piezo      none: a capacitance has no real part (dielectric loss neglected).
 *     line       line_r, the build-out resistor.
 *     mm         mm_r, the cartridge coil's DC resistance.
 *   The load (zin, and the pots) are taken as noiseless: the interface input resistor's noise is
 *   part of the preamp's datasheet EIN.
 * - The preamp's EIN (with its 1/f corner), hiss and hum enter after the input stage, at the
 *   input of the first op-amp stage, at the base rate: the noise of the gain element itself. The
 *   EIN generator's own source resistance is 0: `ein` is the datasheet figure with a 150 Ohm
 *   termination, whose 4 k T 150 part noise.c removes, so only the amplifier's part is added to
 *   the real source's thermal noise (power sum).
 * The two generators draw independent streams (the EIN one's seed is offset); both restart from
 * `seed` on reset, so a reset channel repeats its noise exactly. With the switch off nothing is
 * drawn or added: the output is bit for bit that of the noiseless channel.
 *
 * Extending the chain (converter block of issue 4, item 4): the converter (clip at 0 dBFS, word
 * length, dither) runs last, after the trim loop in process(), on the base-rate buffer. Add its
 * parameters after the noise parameters and forward them in set().
 */
#include "inputstage.h"
#include "noise.h"
#include "opamp.h"
#include "oversample.h"
#include "riaa.h"
#include "source.h"

#include <stdlib.h>
#include <string.h>

enum {
    P_IN0 = GS_SRC_P_COUNT, /* the input stage's parameters follow the source's */
    P_RIAA = P_IN0 + GS_IN_P_COUNT,
    P_IEC,
    P_GAIN,
    P_TRIM,
    P_RAIL,
    P_GBW,
    P_NOISE0, /* `noise`, then temp .. seed (noise.h; no source_r: the source model sets it) */
    P_COUNT = P_NOISE0 + GS_NOISE_NPARAMS - 1
};

/* Index in the noise block's parameter set (GS_NOISE_P_*) of the noise parameter j of this
 * table: the gap is `source_r`. */
static size_t noise_index(size_t j) { return j == 0 ? (size_t)GS_NOISE_P_ON : j + 1; }

/* The EIN generator's seed: distinct from the thermal generator's for every `seed` value (those
 * are below 2^32), so the two streams are independent. */
static uint64_t ein_seed(double seed) { return (uint64_t)seed + (1ull << 40); }

static const gs_param_info params[P_COUNT] = {
    GS_SOURCE_PARAM_ENTRIES GS_INPUTSTAGE_PARAM_ENTRIES{
        "riaa", "RIAA de-emphasis", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE,
        1, NULL, "phono playback equalisation, 3180/318/75 us, 0 dB at 1 kHz", 0},
    {"iec", "IEC rumble filter", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1,
     NULL, "adds the IEC 7950 us high-pass to the RIAA curve", 0},
    {"gain", "Gain", GS_UNIT_DB, 0.0, 70.0, 30.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "closed-loop gain of the two op-amp stages (each takes half, in dB), calibrated", 0},
    {"trim", "Output trim", GS_UNIT_DB, -40.0, 12.0, 0.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,
     "output level trim after the gain stages", 0},
    {"rail", "Supply rail", GS_UNIT_VOLT, 5.0, 24.0, 15.0, GS_CURVE_LINEAR, GS_PARAM_REAL, 1, NULL,
     "op-amp supply (symmetric); the stages clip at +/- this voltage", 0},
    {"gbw", "Gain-bandwidth", GS_UNIT_HZ, 1e6, 2e8, 40e6, GS_CURVE_LOG, GS_PARAM_REAL, 1, NULL,
     "gain-bandwidth product of the op-amps", 0},
    GS_NOISE_PARAM_ENTRY_ON,
    GS_NOISE_PARAM_ENTRIES_TAIL,
};

typedef struct frontend {
    double rate;
    double v[P_COUNT];
    gs_oversampler osa;
    gs_source src;
    gs_riaa riaa;
    gs_ramp riaa_mix; /* domain A: 0 bypass, 1 RIAA */
    /* The RIAA filter has the fitted filters' delay (GS_SOURCE_DELAY samples of domain A); the
     * bypass path is delayed as much, so the switch crossfades aligned signals and the latency
     * does not depend on it. */
    double dry[GS_SOURCE_DELAY];
    unsigned dry_pos;
    gs_inputstage in;
    gs_opamp_pair amp; /* domain B: the gain element */
    gs_ramp out_gain;  /* trim */
    gs_noise_gen nth;  /* source thermal noise, domain A, at the EMF */
    gs_noise_gen nein; /* preamp EIN, hiss, hum: base rate, after the input stage */
    float *nbuf;       /* domain A scratch for the thermal noise (max_block x factor) */
} frontend;

/* The resistance whose thermal noise the selected source generates (Ohm), in series with its
 * EMF as the signal sees it; see the top of this file for each type. */
static double thermal_r(const gs_source *s) {
    const double *v = s->v;
    switch ((int)lrint(v[GS_SRC_P_TYPE])) {
    case GS_SRC_DYNAMIC: return v[GS_SRC_P_DYN_R];
    case GS_SRC_RIBBON:
        return v[GS_SRC_P_RIB_R] * v[GS_SRC_P_RIB_N] * v[GS_SRC_P_RIB_N] + v[GS_SRC_P_RIB_RW];
    case GS_SRC_CONDENSER: return v[GS_SRC_P_COND_R];
    case GS_SRC_PICKUP: return v[GS_SRC_P_PU_R];
    case GS_SRC_LINE: return v[GS_SRC_P_LINE_R];
    case GS_SRC_MM: return v[GS_SRC_P_MM_R];
    case GS_SRC_PIEZO:
    default: return 0.0;
    }
}

/* Ideal stage gain (dB) whose closed loop gives target_db: 1/G = 1/G_target - 1/A0. */
static double calibrated_stage_db(double target_db) {
    return -20.0 * log10(1.0 / gs_db_to_gain(target_db) - 1.0 / GS_OPAMP_A0);
}

static void redesign_stages(frontend *m) {
    gs_opamp_pair_design(&m->amp, calibrated_stage_db(m->v[P_GAIN] / 2.0), m->v[P_GBW],
                         m->v[P_RAIL]);
}

GS_REALTIME static void set(void *self, size_t id, double value) {
    frontend *m = self;
    m->v[id] = value;
    if (id < GS_SRC_P_COUNT) {
        gs_source_set(&m->src, id, value);
        gs_noise_gen_set(&m->nth, GS_NOISE_P_SOURCE_R, thermal_r(&m->src));
        return;
    }
    if (id >= P_NOISE0) {
        size_t k = noise_index(id - P_NOISE0);
        gs_noise_gen_set(&m->nein, k, value);
        if (k == GS_NOISE_P_SEED) gs_noise_gen_seed(&m->nein, ein_seed(value));
        /* The thermal generator takes only the switch, the temperature and the seed; its EIN,
         * hiss and hum stay off (set in create). */
        if (k == GS_NOISE_P_ON || k == GS_NOISE_P_TEMP || k == GS_NOISE_P_SEED)
            gs_noise_gen_set(&m->nth, k, value);
        return;
    }
    if (id < P_RIAA) {
        gs_inputstage_set(&m->in, id - P_IN0, value, GS_CTRL_BLOCK);
        return;
    }
    switch (id) {
    case P_RIAA: gs_ramp_to(&m->riaa_mix, value, GS_CTRL_BLOCK * m->osa.factor); break;
    case P_IEC: gs_riaa_set_iec(&m->riaa, value, GS_CTRL_BLOCK * m->osa.factor); break;
    case P_GAIN:
    case P_RAIL:
    case P_GBW: redesign_stages(m); break;
    case P_TRIM: gs_ramp_to(&m->out_gain, gs_db_to_gain(value), GS_CTRL_BLOCK); break;
    default: break;
    }
}

static void destroy(void *self) {
    frontend *m = self;
    if (!m) return;
    gs_os_free(&m->osa);
    gs_opamp_pair_free(&m->amp);
    free(m->nbuf);
    free(m);
}

GS_REALTIME static void reset(void *self);

static void *create(double rate, uint32_t max_block) {
    frontend *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rate = rate;
    unsigned fa = gs_source_os_factor(rate);
    if (gs_os_init(&m->osa, rate, fa, max_block, rate < 50000.0 ? 20000.0 : 0.4167 * rate, 75.0) !=
            GS_OK ||
        gs_opamp_pair_init(&m->amp, rate, max_block) != GS_OK) {
        destroy(m);
        return NULL;
    }
    gs_source_init(&m->src, rate * fa);
    gs_riaa_init(&m->riaa, rate * fa, GS_SOURCE_TAPS, GS_SOURCE_DELAY);
    gs_inputstage_init(&m->in, rate);
    m->nbuf = malloc(sizeof(float) * max_block * fa);
    if (!m->nbuf) {
        destroy(m);
        return NULL;
    }
    gs_noise_gen_init(&m->nth, rate * fa, 1);
    gs_noise_gen_init(&m->nein, rate, ein_seed(1.0));
    /* Thermal generator: no amplifier noise, hiss or hum (levels at "off"), no 1/f. */
    m->nth.pv[GS_NOISE_P_EIN] = -200.0;
    m->nth.pv[GS_NOISE_P_HISS] = -200.0;
    m->nth.pv[GS_NOISE_P_HUM] = -200.0;
    m->nth.pv[GS_NOISE_P_CORNER] = 0.0;
    m->nth.pv[GS_NOISE_P_TEMP] = 290.0;
    for (size_t i = 0; i < P_COUNT; i++) set(m, i, params[i].def);
    reset(m);
    return m;
}

GS_REALTIME static void process(void *self, float *buf, uint32_t n) {
    frontend *m = self;
    /* Domain A: the source into its load, then (crossfaded) the RIAA de-emphasis. */
    double *a = gs_os_up(&m->osa, buf, n);
    uint32_t na = n * m->osa.factor;
    if (m->nth.pv[GS_NOISE_P_ON] != 0.0) { /* source thermal noise, in series with the EMF */
        memset(m->nbuf, 0, sizeof(float) * na);
        gs_noise_gen_process(&m->nth, m->nbuf, na);
        for (uint32_t i = 0; i < na; i++) a[i] += m->nbuf[i];
    }
    for (uint32_t i = 0; i < na; i++) {
        double x = gs_source_tick(&m->src, a[i]);
        double r = gs_riaa_tick(&m->riaa, x);
        double d = m->dry[m->dry_pos];
        m->dry[m->dry_pos] = x;
        m->dry_pos = (m->dry_pos + 1) % GS_SOURCE_DELAY;
        a[i] = d + gs_ramp_next(&m->riaa_mix) * (r - d);
    }
    gs_os_down(&m->osa, a, buf, n);
    /* Input stage at the base rate. */
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)gs_inputstage_tick(&m->in, buf[i]);
    /* The preamp's own noise at the gain element's input (adds nothing when `noise` is off). */
    gs_noise_gen_process(&m->nein, buf, n);
    /* Domain B: the gain element. */
    gs_opamp_pair_process(&m->amp, buf, n);
    /* Output trim. (A converter block goes after this loop.) */
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)(gs_ramp_next(&m->out_gain) * buf[i]);
}

GS_REALTIME static void reset(void *self) {
    frontend *m = self;
    gs_os_reset(&m->osa);
    gs_lti_reset(&m->src.lti);
    gs_riaa_reset(&m->riaa);
    for (unsigned i = 0; i < GS_SOURCE_DELAY; i++) m->dry[i] = 0.0;
    m->dry_pos = 0;
    gs_ramp_snap(&m->riaa_mix);
    gs_inputstage_reset(&m->in);
    gs_opamp_pair_reset(&m->amp);
    gs_ramp_snap(&m->out_gain);
    gs_noise_gen_restart(&m->nth);
    gs_noise_gen_reset(&m->nein);
    gs_noise_gen_seed(&m->nein, ein_seed(m->nein.pv[GS_NOISE_P_SEED]));
}

static uint32_t latency(const void *self) {
    const frontend *m = self;
    /* Source and RIAA (or its aligned bypass) each delay by GS_SOURCE_DELAY samples of domain A. */
    return m->osa.latency + 2u * GS_SOURCE_DELAY / m->osa.factor + m->amp.os.latency;
}
static uint32_t latency_for(const double *values, double rate) {
    (void)values;
    return gs_source_os_latency(rate) + 2u * GS_SOURCE_DELAY / gs_source_os_factor(rate) +
           gs_opamp_os_latency(rate);
}

const gs_model_vt gs_frontend_model = {
    {"frontend",
     "Interface input channel: source into its input impedance, RIAA, pad, high-pass, "
     "polarity, two op-amp gain stages, trim",
     0, params, P_COUNT},
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
