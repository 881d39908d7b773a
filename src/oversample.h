/* Oversampling by 2, 4 or 8 with cascaded linear-phase half-band FIR filters.
 *
 * Linear phase matters here: models are checked against circuit simulations sample by sample, and
 * a filter's phase error near 20 kHz would dominate the error-to-signal ratio. Each 2x stage is a
 * Kaiser-windowed half-band (every other tap zero, centre tap 1/2) designed at init for a passband
 * edge and an attenuation; later stages see a much wider transition band and are short. The total
 * delay is made a whole number of base-rate samples with a short delay at the top rate, so hosts
 * and tests can compensate it exactly.
 */
#ifndef GS_OVERSAMPLE_H
#define GS_OVERSAMPLE_H

#include "internal.h"

#define GS_OS_MAX_STAGES 3

typedef struct gs_halfband {
    double *taps;    /* the non-zero even-offset taps of one side: h[c-1-2k] = h[c+1+2k] */
    unsigned nside;  /* number of those taps */
    unsigned centre; /* c: index of the centre tap = delay in samples at this stage's high rate */
    double *hist;    /* history for up (low-rate input) */
    double *hist2;   /* history for down (high-rate input) */
    unsigned hlen;   /* history lengths, including the block */
} gs_halfband;

/* A low-delay (not linear-phase) FIR pair for 2x oversampling: see gs_os_init_lowdelay. */
typedef struct gs_lowdelay {
    double *hu, *hd; /* up filter (at the high rate, gain 2) and down filter taps */
    unsigned nu, nd; /* their lengths (nu even) */
    double rate;     /* base rate (Hz) */
    double *xh;      /* up history: low-rate input, nu/2 - 1 + block */
    double *uh;      /* down history: high-rate input, nd - 1 + 2 block */
} gs_lowdelay;

typedef struct gs_oversampler {
    unsigned factor;  /* 1, 2, 4 or 8 */
    gs_lowdelay *ld;  /* non-NULL: the low-delay 2x design replaces the half-band cascade */
    unsigned nstages; /* log2(factor) */
    gs_halfband st[GS_OS_MAX_STAGES];
    double *work[2]; /* ping-pong buffers of max_block * factor samples */
    double *delay;   /* top-rate delay line for a whole-sample total latency */
    unsigned ndelay, dpos;
    uint32_t max_block;
    uint32_t latency; /* base-rate samples */
} gs_oversampler;

/* Design for a base rate (Hz), an oversampling factor (1, 2, 4, 8), a passband edge (Hz, flat to
 * about the ripple) and a stop-band attenuation (dB) at the image of the passband edge. */
gs_status gs_os_init(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                     double pass_hz, double atten_db);
/* 2x oversampling with a low-delay FIR pair designed at init by weighted least squares on the
 * complex response (target: a pure delay in the passband 0..pass_hz, zero in the stop bands):
 * the up filter's stop band is the image band (rate - pass_hz .. rate, at the high rate), the down
 * filter's is stop_hz .. rate (what would fold into the base band). The two delays add up to
 * 2 * latency + 1 high-rate samples (whole base-rate samples, as for gs_os_init). Phase is linear
 * only to the accuracy of the fit (reported by gs_os_lowdelay_error). */
gs_status gs_os_init_lowdelay(gs_oversampler *os, double rate, uint32_t max_block, double pass_hz,
                              double stop_hz, unsigned latency);
/* Largest |H(f) - e^{-j 2 pi f L / rate}| of the up-down pair over 0..f_hz, and the smallest
 * attenuation (dB) of the down filter from stop_hz to the high-rate Nyquist frequency. */
void gs_os_lowdelay_error(const gs_oversampler *os, double f_hz, double stop_hz, double *err,
                          double *atten_db);
void gs_os_free(gs_oversampler *os);
void gs_os_reset(gs_oversampler *os);

/* Up-sample n base-rate samples; returns a buffer of n * factor samples, valid until the next
 * call. The caller may process it in place and hand it to gs_os_down. */
GS_REALTIME double *gs_os_up(gs_oversampler *os, const float *in, uint32_t n);
/* Down-sample n * factor samples (from gs_os_up's buffer) into n base-rate samples. */
GS_REALTIME void gs_os_down(gs_oversampler *os, const double *hi, float *out, uint32_t n);

#endif
