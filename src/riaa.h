/* RIAA playback de-emphasis (IEC 60098) with the exact time constants, and the optional IEC
 * "rumble" high-pass (7950 us, the 1976 amendment):
 *     H(s) = (1 + s T2) / ((1 + s T1)(1 + s T3)),  T1 = 3180 us, T2 = 318 us, T3 = 75 us,
 *     times s T4 / (1 + s T4), T4 = 7950 us, when iec is on;
 * normalised to 0 dB at 1 kHz (the convention of the published tables: +19.27 dB at 20 Hz,
 * -19.62 dB at 20 kHz). Run by the matched-pole / fitted-zero filter of lti.h at the source's
 * rate (2x oversampled below 88.2 kHz), so there is none of the bilinear transform's cramping of
 * the 75 us pole near Nyquist: the response follows the analogue curve to 20 kHz at every rate.
 * The IEC switch crossfades between two filters running side by side (no click). */
#ifndef GS_RIAA_H
#define GS_RIAA_H

#include "lti.h"

#define GS_RIAA_T1 3180e-6
#define GS_RIAA_T2 318e-6
#define GS_RIAA_T3 75e-6
#define GS_RIAA_T4 7950e-6

typedef struct gs_riaa {
    gs_lti plain, iec;
    gs_ramp mix; /* 0: plain, 1: with the IEC high-pass */
} gs_riaa;

/* The normalised analogue transfer function: degrees *nn <= *nd <= 3. */
void gs_riaa_poly(int iec, double num[4], unsigned *nn, double den[4], unsigned *nd);
/* For the (possibly oversampled) rate the filter runs at; delay in samples at that rate. */
void gs_riaa_init(gs_riaa *r, double rate, unsigned taps, unsigned delay);
GS_REALTIME void gs_riaa_set_iec(gs_riaa *r, double amount, uint32_t ramp_len);
GS_REALTIME void gs_riaa_reset(gs_riaa *r);
GS_REALTIME static inline double gs_riaa_tick(gs_riaa *r, double x) {
    double a = gs_lti_tick(&r->plain, x), b = gs_lti_tick(&r->iec, x);
    return a + gs_ramp_next(&r->mix) * (b - a);
}

#endif
