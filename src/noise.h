/* Physical noise sources of a preamp channel, in volts at the input (internal; the "noise" model
 * wraps one, and channel models may embed one ahead of their gain).
 *
 * What is modelled, all referred to the preamp's input:
 * - Thermal (Johnson-Nyquist) noise of the source's real part R at temperature T: white, one-sided
 *   density 4 k T R (V^2/Hz), so 4 k T R B over a bandwidth B.
 * - The preamp's own voltage noise, set by its datasheet EIN: the total noise over 20 Hz-20 kHz,
 *   unweighted, measured (as datasheets do) with a GS_NOISE_EIN_REF_OHM termination. That figure
 *   includes the termination's thermal noise, so the amplifier's own part is
 *   EIN^2 - 4 k T 150 B; an EIN setting below the 150 Ohm floor leaves only the floor (physics).
 *   Its density has a 1/f corner fc: S(f) = S0 (1 + fc/f), normalised so that its integral over
 *   20 Hz-20 kHz is exactly the amplifier's part. The 1/f part is a bank of one-pole low-passes
 *   (three per decade, 1 Hz up) driven by independent white noise with variances in 1/p, whose sum
 *   approximates 1/f within a fraction of a dB; its in-band power is computed exactly from the
 *   discrete filters (closed-form integral of |H|^2) so the total EIN is exact, not approximate.
 * - Tube hiss: white, its level given in dBu over 20 Hz-20 kHz (shot and grid-resistor noise of a
 *   valve stage are white in the audio band).
 * - Mains hum: fundamental (50 or 60 Hz, magnetic coupling) and harmonics (rectifier ripple at 2 f0
 *   and above) with fixed relative amplitudes; the level is the RMS of the sum, in dBu.
 * Everything is deterministic for a given seed and sample rate. */
#ifndef GS_NOISE_H
#define GS_NOISE_H

#include "rng.h"

#define GS_NOISE_K_BOLTZMANN 1.380649e-23 /* J/K, exact since the 2019 SI */
#define GS_NOISE_EIN_REF_OHM 150.0        /* the termination EIN figures are measured with */
#define GS_NOISE_F_LO 20.0                /* Hz: the EIN measurement band */
#define GS_NOISE_F_HI 20000.0
#define GS_NOISE_MAX_POLES 20
#define GS_NOISE_HUM_HARMONICS 8
#define GS_NOISE_OFF_DBU -159.0 /* a level at or below this is off */

/* Ids of the noise parameters within GS_NOISE_PARAMS (below). */
enum {
    GS_NOISE_P_ON,
    GS_NOISE_P_SOURCE_R,
    GS_NOISE_P_TEMP,
    GS_NOISE_P_EIN,
    GS_NOISE_P_CORNER,
    GS_NOISE_P_HISS,
    GS_NOISE_P_HUM,
    GS_NOISE_P_HUM_FREQ,
    GS_NOISE_P_SEED,
    GS_NOISE_NPARAMS
};

typedef struct gs_noise_gen {
    double rate;
    gs_rng rng;
    /* settings */
    double source_r, temp_k, ein_dbu, corner_hz, hiss_dbu, hum_dbu, hum_hz;
    /* derived per-sample standard deviations (V) */
    double sigma_white; /* thermal + amplifier white + hiss, all white, one Gaussian */
    double pink_gain;   /* scale of the 1/f bank */
    /* 1/f bank */
    unsigned npole;
    double alpha[GS_NOISE_MAX_POLES]; /* pole: exp(-2 pi p / fs) */
    double drive[GS_NOISE_MAX_POLES]; /* uniform-to-input scale for a 1/f density of 1 V^2 */
    double state[GS_NOISE_MAX_POLES];
    double pink_unit_inband; /* in-band power of the bank at pink_gain 1 (V^2) */
    /* hum */
    double hum_phase, hum_inc, hum_amp;
    /* parameter values, when driven through GS_NOISE_PARAMS (gs_noise_gen_set) */
    double pv[GS_NOISE_NPARAMS];
} gs_noise_gen;

/* Set up for a sample rate; all settings off (no output) until set. */
void gs_noise_gen_init(gs_noise_gen *g, double rate, uint64_t seed);
void gs_noise_gen_seed(gs_noise_gen *g, uint64_t seed);
/* Settings (cheap; real-time safe). Levels in dBu, R in Ohm, T in K, frequencies in Hz. */
GS_REALTIME void gs_noise_gen_configure(gs_noise_gen *g, double source_r, double temp_k,
                                        double ein_dbu, double corner_hz, double hiss_dbu,
                                        double hum_dbu, double hum_hz);
/* Add gain * noise to buf (volts). */
GS_REALTIME void gs_noise_gen_add(gs_noise_gen *g, float *buf, uint32_t n, double gain);
/* Clear filter states and hum phase (keeps the random stream position). */
GS_REALTIME void gs_noise_gen_reset(gs_noise_gen *g);

/* The noise parameters as a table fragment, so any model can offer them: put GS_NOISE_PARAMS at
 * the end of its gs_param_info table (ids first..first+GS_NOISE_NPARAMS-1), forward those ids to
 * gs_noise_gen_set(g, id - first, value), call gs_noise_gen_process() on the input (volts, ahead of
 * the gain: every source here is referred to the input) and gs_noise_gen_restart() in reset. */
extern const char *const gs_noise_hum_choices[];
// clang-format off
#define GS_NOISE_PARAM_ENTRY_ON                                                                    \
    {"noise", "Noise", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1, NULL,     \
     "adds the physical noise sources (off by default: processing stays deterministic)", 0}
#define GS_NOISE_PARAM_ENTRY_SOURCE_R                                                              \
    {"source_r", "Source resistance", GS_UNIT_OHM, 0.0, 10e6, 150.0, GS_CURVE_LINEAR,              \
     GS_PARAM_REAL, 1, NULL, "real part of the source impedance: thermal noise 4kTR", 0}
/* temp .. seed (GS_NOISE_P_TEMP .. GS_NOISE_P_SEED). */
#define GS_NOISE_PARAM_ENTRIES_TAIL                                                                \
    {"temp", "Temperature (K)", GS_UNIT_NONE, 1.0, 400.0, 290.0, GS_CURVE_LINEAR,                  \
     GS_PARAM_REAL, 1, NULL, "source temperature, kelvin (290 K: IEEE reference)", 0},             \
    {"ein", "EIN (dBu)", GS_UNIT_DB, -150.0, -80.0, -128.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,   \
     "preamp equivalent input noise, dBu, 20 Hz-20 kHz unweighted, with a 150 Ohm source", 0},     \
    {"ein_corner", "1/f corner", GS_UNIT_HZ, 0.0, 5000.0, 100.0, GS_CURVE_LINEAR,                  \
     GS_PARAM_REAL, 1, NULL, "where the preamp's 1/f density equals its white one", 0},            \
    {"hiss", "Tube hiss (dBu)", GS_UNIT_DB, -160.0, -60.0, -160.0, GS_CURVE_DB, GS_PARAM_REAL,     \
     1, NULL, "valve-stage hiss, dBu in 20 Hz-20 kHz at the input (-160: off)", 0},                \
    {"hum", "Mains hum (dBu)", GS_UNIT_DB, -160.0, -40.0, -160.0, GS_CURVE_DB, GS_PARAM_REAL, 1,   \
     NULL, "mains hum with harmonics, RMS in dBu referred to the input (-160: off)", 0},           \
    {"hum_freq", "Mains frequency", GS_UNIT_ENUM, 0.0, 1.0, 0.0, GS_CURVE_LINEAR,                  \
     GS_PARAM_CHOICE, 0, gs_noise_hum_choices,                                                     \
     "mains frequency: 50 Hz (Europe, Asia) or 60 Hz (Americas)", 0},                              \
    {"seed", "Noise seed", GS_UNIT_NONE, 0.0, 4294967295.0, 1.0, GS_CURVE_LINEAR, GS_PARAM_REAL,   \
     0, NULL, "seed of the noise generator: the same seed gives the same noise", 0}
/* The whole set. A model whose source resistance comes from its own source model (frontend.c)
 * uses ON and TAIL only, without `source_r`, and maps its ids around the gap. */
#define GS_NOISE_PARAMS                                                                            \
    GS_NOISE_PARAM_ENTRY_ON, GS_NOISE_PARAM_ENTRY_SOURCE_R, GS_NOISE_PARAM_ENTRIES_TAIL
// clang-format on

GS_REALTIME void gs_noise_gen_set(gs_noise_gen *g, size_t which, double value);
/* Add the noise (scaled by the `noise` switch, which glides) to buf. */
GS_REALTIME void gs_noise_gen_process(gs_noise_gen *g, float *buf, uint32_t n);
/* reset + reseed from the seed parameter: a reset channel repeats its noise exactly. */
GS_REALTIME void gs_noise_gen_restart(gs_noise_gen *g);

/* RMS volts of thermal noise of R Ohm at T K over a bandwidth of B Hz: sqrt(4 k T R B). */
double gs_noise_thermal_vrms(double r_ohm, double temp_k, double bandwidth_hz);

#endif
