/* Oversampling by 2, 4 or 8 with cascaded linear-phase half-band FIR filters.
 *
 * Linear phase matters here: models are checked against circuit simulations sample by sample, and
 * a filter's phase error near 20 kHz would dominate the error-to-signal ratio. Each 2x stage is a
 * Kaiser-windowed half-band (every other tap zero, centre tap 1/2) designed at init for a passband
 * edge and an attenuation; later stages see a much wider transition band and are short. The total
 * delay is made a whole number of base-rate samples with a short delay at the top rate, so hosts and
 * tests can compensate it exactly.
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

typedef struct gs_oversampler {
    unsigned factor;  /* 1, 2, 4 or 8 */
    unsigned nstages; /* log2(factor) */
    gs_halfband st[GS_OS_MAX_STAGES];
    double *work[2];  /* ping-pong buffers of max_block * factor samples */
    double *delay;    /* top-rate delay line for a whole-sample total latency */
    unsigned ndelay, dpos;
    uint32_t max_block;
    uint32_t latency; /* base-rate samples */
} gs_oversampler;

/* Design for a base rate (Hz), an oversampling factor (1, 2, 4, 8), a passband edge (Hz, flat to
 * about the ripple) and a stop-band attenuation (dB) at the image of the passband edge. */
gs_status gs_os_init(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                     double pass_hz, double atten_db);
void gs_os_free(gs_oversampler *os);
void gs_os_reset(gs_oversampler *os);

/* Up-sample n base-rate samples; returns a buffer of n * factor samples, valid until the next
 * call. The caller may process it in place and hand it to gs_os_down. */
GS_REALTIME double *gs_os_up(gs_oversampler *os, const float *in, uint32_t n);
/* Down-sample n * factor samples (from gs_os_up's buffer) into n base-rate samples. */
GS_REALTIME void gs_os_down(gs_oversampler *os, const double *hi, float *out, uint32_t n);

#endif
