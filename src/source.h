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
