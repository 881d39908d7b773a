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

/* RMS volts of thermal noise of R Ohm at T K over a bandwidth of B Hz: sqrt(4 k T R B). */
double gs_noise_thermal_vrms(double r_ohm, double temp_k, double bandwidth_hz);

#endif
