/* Source models: what a microphone, pickup, cartridge or line output looks like electrically to
 * the input it is plugged into, and the response that results.
 *
 * Convention: the input signal (volts) is the source's open-circuit output voltage at mid band,
 * the number a datasheet's sensitivity gives (e.g. a ribbon mic's -52 dBV/Pa at the transformer's
 * secondary, not the microvolts on the ribbon). The output is the voltage across the load: the
 * interface's input resistance `zin` in parallel with its input capacitance `cin` and the cable's
 * capacitance `cable`. Each source is a linear circuit; its transfer function H(s) = N(s)/D(s) is
 * built here in closed form (nodal analysis, derivations next to each case in source.c) and run by
 * the matched-pole / fitted-zero filter of lti.h at twice the base rate below 88.2 kHz (see
 * GS_SOURCE_OS_FACTOR for why).
 *
 * The circuits (load Y_L = 1/zin + s (cin + cable)):
 *   dynamic    EMF - R_coil - L_coil - load
 *   ribbon     EMF/n - R_ribbon - [primary: L_m/n^2 shunt] - ideal 1:n - L_leak - R_wind -
 *              [C_wind shunt] - load  (the exact equivalent of two coupled inductors)
 *   condenser  EMF - R_out - C_out (output coupling capacitor) - load
 *   pickup     EMF - R_coil - L_coil - [C_wind shunt, guitar pots shunt] - load
 *   piezo      EMF - C_piezo - load
 *   line       EMF - R_out - C_out - load
 *   mm         EMF - R_coil - L_coil - load (moving-magnet phono cartridge)
 */
#ifndef GS_SOURCE_H
#define GS_SOURCE_H

#include "lti.h"
#include "oversample.h"

typedef enum gs_source_type {
    GS_SRC_DYNAMIC = 0,
    GS_SRC_RIBBON,
    GS_SRC_CONDENSER,
    GS_SRC_PICKUP,
    GS_SRC_PIEZO,
    GS_SRC_LINE,
    GS_SRC_MM,
    GS_SRC_TYPE_COUNT
} gs_source_type;

/* Parameter indices of the source; channels that embed a source put these first in their table
 * (GS_SOURCE_PARAM_TABLE expands to the entries) so ids below GS_SRC_P_COUNT are the source's. */
enum {
    GS_SRC_P_TYPE,
    GS_SRC_P_ZIN,
    GS_SRC_P_CIN,
    GS_SRC_P_CABLE,
    GS_SRC_P_DYN_R,
    GS_SRC_P_DYN_L,
    GS_SRC_P_RIB_R,
    GS_SRC_P_RIB_N,
    GS_SRC_P_RIB_RW,
    GS_SRC_P_RIB_LM,
    GS_SRC_P_RIB_LL,
    GS_SRC_P_RIB_CW,
    GS_SRC_P_COND_R,
    GS_SRC_P_COND_C,
    GS_SRC_P_PU_R,
    GS_SRC_P_PU_L,
    GS_SRC_P_PU_C,
    GS_SRC_P_PU_POT,
    GS_SRC_P_PZ_C,
    GS_SRC_P_LINE_R,
    GS_SRC_P_LINE_C,
    GS_SRC_P_MM_R,
    GS_SRC_P_MM_L,
    GS_SRC_P_COUNT
};

extern const gs_param_info gs_source_params[GS_SRC_P_COUNT];
extern const char *const gs_source_type_names[];

/* The table entries, in GS_SRC_P_ order (channels embed them in their own tables). Defaults and
 * where they come from. Values marked "assumed" are typical orders of magnitude for which no
 * datasheet gives a number; they are parameters so a measured unit can replace them. */
/* clang-format off */
#define GS_SOURCE_PARAM_ENTRIES                                                                   \
    {"source", "Source", GS_UNIT_ENUM, 0.0, GS_SRC_TYPE_COUNT - 1, GS_SRC_DYNAMIC,                 \
     GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0, gs_source_type_names,                                    \
     "what is plugged in: dynamic, ribbon, condenser mic, guitar pickup, piezo, line,              \
      mm cartridge", 0},                                                                           \
    /* Focusrite Scarlett 4th gen mic input: 3 kOhm (issue 4); Hi-Z inputs 470 kOhm to 1 MOhm. */  \
    {"zin", "Input impedance", GS_UNIT_OHM, 150.0, 10e6, 3e3, GS_CURVE_LOG, GS_PARAM_REAL, 0,      \
     NULL, "input resistance of the interface the source is loaded with", 0},                      \
    {"cin", "Input capacitance", GS_UNIT_FARAD, 1e-12, 10e-9, 100e-12, GS_CURVE_LOG,               \
     GS_PARAM_REAL, 0, NULL, "capacitance across the interface input (assumed 100 pF)", 0},        \
    /* Instrument and mic cable: about 100 pF/m (e.g. 3 m = 300 pF). */                            \
    {"cable", "Cable capacitance", GS_UNIT_FARAD, 1e-12, 10e-9, 300e-12, GS_CURVE_LOG,             \
     GS_PARAM_REAL, 0, NULL, "capacitance of the cable, conductor to shield (about 100 pF/m)", 0}, \
    /* Shure SM58 user guide: "rated impedance 150 Ohm (300 Ohm actual)". Coil inductance: a few   \
     * mH (issue 4; assumed 2 mH). */                                                              \
    {"dyn_r", "Dynamic: coil resistance", GS_UNIT_OHM, 10.0, 2e3, 300.0, GS_CURVE_LOG,             \
     GS_PARAM_REAL, 0, NULL, "voice-coil resistance of a moving-coil mic", 0},                     \
    {"dyn_l", "Dynamic: coil inductance", GS_UNIT_HENRY, 1e-4, 50e-3, 2e-3, GS_CURVE_LOG,          \
     GS_PARAM_REAL, 0, NULL, "voice-coil inductance of a moving-coil mic", 0},                     \
    /* Royer R-121 data: 300 Ohm rated output impedance, load >= 1500 Ohm recommended. A 2.5 um    \
     * aluminium ribbon is about 0.2 Ohm; a 1:37 transformer reflects it to 274 Ohm,               \
      plus 25 Ohm of                                                                               \
     * winding: 300 Ohm. Magnetising and leakage inductance and winding capacitance: assumed. */   \
    {"rib_r", "Ribbon: ribbon resistance", GS_UNIT_OHM, 0.05, 2.0, 0.2, GS_CURVE_LOG,              \
     GS_PARAM_REAL, 0, NULL, "resistance of the ribbon itself", 0},                                \
    {"rib_n", "Ribbon: turns ratio", GS_UNIT_NONE, 5.0, 100.0, 37.0, GS_CURVE_LOG, GS_PARAM_REAL,  \
     0, NULL, "step-up ratio 1:n of the output transformer", 0},                                   \
    {"rib_rw", "Ribbon: winding resistance", GS_UNIT_OHM, 1.0, 500.0, 25.0, GS_CURVE_LOG,          \
     GS_PARAM_REAL, 0, NULL, "transformer winding resistance referred to the secondary", 0},       \
    {"rib_lm", "Ribbon: magnetising inductance", GS_UNIT_HENRY, 0.1, 50.0, 2.7, GS_CURVE_LOG,      \
     GS_PARAM_REAL, 0, NULL, "transformer magnetising inductance referred to the secondary", 0},   \
    {"rib_ll", "Ribbon: leakage inductance", GS_UNIT_HENRY, 1e-3, 0.5, 30e-3, GS_CURVE_LOG,        \
     GS_PARAM_REAL, 0, NULL, "transformer leakage inductance referred to the secondary", 0},       \
    {"rib_cw", "Ribbon: winding capacitance", GS_UNIT_FARAD, 10e-12, 5e-9, 500e-12,                \
     GS_CURVE_LOG, GS_PARAM_REAL, 0, NULL, "secondary winding capacitance", 0},                    \
    /* Neumann KM 184 data: rated impedance 50 Ohm, rated load 1 kOhm; transformerless output with \
     * coupling capacitors (22 uF assumed). */                                                     \
    {"cond_r", "Condenser: output resistance", GS_UNIT_OHM, 10.0, 1e3, 50.0, GS_CURVE_LOG,         \
     GS_PARAM_REAL, 0, NULL, "output impedance of the mic's impedance converter", 0},              \
    {"cond_c", "Condenser: output capacitor", GS_UNIT_FARAD, 1e-6, 1e-3, 22e-6, GS_CURVE_LOG,      \
     GS_PARAM_REAL, 0, NULL, "output coupling capacitor", 0},                                      \
    /* Fender-type single coil, as measured and tabulated by H. Lemme ("The Secrets of Electric    \
     * Guitar Pickups"): about 2.2 to 2.6 H and 5.6 to 6.5 kOhm; winding capacitance of the order \
     * of 100 pF. Volume and tone pots 250 kOhm each (Fender), 125 kOhm in parallel. */            \
    {"pu_r", "Pickup: coil resistance", GS_UNIT_OHM, 1e3, 20e3, 6e3, GS_CURVE_LOG, GS_PARAM_REAL,  \
     0, NULL, "DC resistance of the pickup coil", 0},                                              \
    {"pu_l", "Pickup: coil inductance", GS_UNIT_HENRY, 0.5, 10.0, 2.5, GS_CURVE_LOG,               \
     GS_PARAM_REAL, 0, NULL, "inductance of the pickup coil", 0},                                  \
    {"pu_c", "Pickup: winding capacitance", GS_UNIT_FARAD, 10e-12, 1e-9, 100e-12, GS_CURVE_LOG,    \
     GS_PARAM_REAL, 0, NULL, "self-capacitance of the pickup winding", 0},                         \
    {"pu_pot", "Pickup: guitar pots", GS_UNIT_OHM, 10e3, 100e6, 125e3, GS_CURVE_LOG,               \
     GS_PARAM_REAL, 0, NULL, "volume and tone pots in parallel across the pickup (100M: none)",    \
     0},                                                                                           \
    /* Under-saddle and contact piezo transducers: about 0.5 to 2 nF (issue 4). */                 \
    {"pz_c", "Piezo: capacitance", GS_UNIT_FARAD, 100e-12, 10e-9, 1e-9, GS_CURVE_LOG,              \
     GS_PARAM_REAL, 0, NULL, "capacitance of the piezo element", 0},                               \
    /* A line driver's build-out resistor (assumed 100 Ohm) and output capacitor (100 uF). */      \
    {"line_r", "Line: output resistance", GS_UNIT_OHM, 10.0, 10e3, 100.0, GS_CURVE_LOG,            \
     GS_PARAM_REAL, 0, NULL, "output impedance of the line source", 0},                            \
    {"line_c", "Line: output capacitor", GS_UNIT_FARAD, 1e-6, 1e-3, 100e-6, GS_CURVE_LOG,          \
     GS_PARAM_REAL, 0, NULL, "output coupling capacitor of the line source", 0},                   \
    /* Ortofon 2M Red data: DC resistance 1.3 kOhm, inductance 630 mH, load 47 kOhm and            \
     * 150 to 300 pF. */                                                                           \
    {"mm_r", "Cartridge: coil resistance", GS_UNIT_OHM, 100.0, 5e3, 1.3e3, GS_CURVE_LOG,           \
     GS_PARAM_REAL, 0, NULL, "DC resistance of a moving-magnet phono cartridge", 0},               \
    {"mm_l", "Cartridge: coil inductance", GS_UNIT_HENRY, 10e-3, 2.0, 0.63, GS_CURVE_LOG,          \
     GS_PARAM_REAL, 0, NULL, "inductance of a moving-magnet phono cartridge", 0},
/* clang-format on */

/* The analytic transfer function for parameter values v[GS_SRC_P_COUNT]: N(s) = sum num[k] s^k,
 * D(s) = sum den[k] s^k, degrees *nn <= *nd <= 3. */
void gs_source_poly(const double *v, double num[4], unsigned *nn, double den[4], unsigned *nd);

/* Oversampling of the source filter: 2x below 88.2 kHz. An analogue response that falls as 1/f
 * (any source with more poles than zeros) has no exact rational equivalent in z, and a causal
 * digital filter must be real at Nyquist; at 44.1 kHz there is only 2 kHz between 20 kHz and
 * Nyquist to bend into that, which costs ~0.3 dB even with 24 fitted taps. At 88.2 kHz and above a
 * 12-tap fit with 4 samples of delay is within 0.01 dB and 0.1 degree (numbers in the tests). */
#define GS_SOURCE_TAPS 12u
#define GS_SOURCE_DELAY 4u /* at the oversampled rate; a multiple of the factor */
unsigned gs_source_os_factor(double rate);
/* The latency (base-rate samples) of the source models' oversampler (gs_os_init at
 * gs_source_os_factor, flat to 20 kHz, 75 dB), designing nothing; GS_SOURCE_DELAY not included. */
uint32_t gs_source_os_latency(double rate);

/* The source core: the filter, running at the rate given to init (the caller oversamples). */
typedef struct gs_source {
    double v[GS_SRC_P_COUNT];
    gs_lti lti;
} gs_source;

/* Prepare for a (possibly oversampled) rate; parameters at their defaults. */
void gs_source_init(gs_source *s, double rate);
/* Set parameter id (a GS_SRC_P_ index) and redesign. Real-time safe (bounded time). */
GS_REALTIME void gs_source_set(gs_source *s, size_t id, double value);
GS_REALTIME static inline double gs_source_tick(gs_source *s, double x) {
    return gs_lti_tick(&s->lti, x);
}

#endif
