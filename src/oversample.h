/* Oversampling by 2, 4, 8 or 16 with cascaded linear-phase half-band FIR filters.
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

#define GS_OS_MAX_STAGES 4

typedef struct gs_halfband {
    double *taps;    /* the non-zero even-offset taps of one side: h[c-1-2k] = h[c+1+2k] */
    unsigned nside;  /* number of those taps */
    unsigned centre; /* c: index of the centre tap = delay in samples at this stage's high rate */
    double *hist;    /* history for up (low-rate input) */
    double *hist2;   /* history for down (high-rate input) */
    unsigned hlen;   /* history lengths, including the block */
} gs_halfband;

/* A low-delay (not linear-phase) FIR pair for R-times oversampling: see gs_os_init_lowdelay. */
#define GS_OS_LD_MAX_FACTOR 16
typedef struct gs_lowdelay {
    double *hu, *hd;   /* up filter (at the high rate, gain R) and down filter taps */
    double *hdr;       /* the down filter's taps reversed (the order its loop reads them in) */
    unsigned nu, nd;   /* their lengths (nu a multiple of the factor) */
    double rate;       /* base rate (Hz) */
    double core_delay; /* the spec's (high-rate samples between the filters) */
    double *xh;        /* up history: low-rate input, nu/R - 1 + block */
    double *uh;        /* down history: high-rate input, nd - 1 + R block */
} gs_lowdelay;

/* How a low-delay pair is designed: filter lengths in base-rate periods, least-squares stop-band
 * weights (passband weight 1) falling as (edge / f)^slope, the fraction of the delay given to
 * the up filter, and how the transition band is treated. */
typedef struct gs_lowdelay_spec {
    unsigned up_periods, down_periods;
    double up_weight, down_weight, up_slope, down_slope, split;
    double trans_weight; /* 0: transition band free; else the weight of a raised-cosine target */
    /* high-rate samples of delay the model adds between the two filters (bjt-stage's half
     * steps: 1), taken off the pair's own so that the whole is still `latency` base samples */
    double core_delay;
} gs_lowdelay_spec;
/* The two designs (oversample.c says how each was chosen): standard, at 8 samples of latency,
 * about 51 dB from the stop edge and 4.2 % passband error to 20 kHz at 48 kHz; low-alias, at 16,
 * about 67 dB, 2.6 %, and no gain above +0.2 dB anywhere (test_oversample). */
extern const gs_lowdelay_spec gs_lowdelay_standard;
extern const gs_lowdelay_spec gs_lowdelay_low_alias;
/* bjt-stage's default: low-alias's design around a solver one high-rate sample late (its half
 * steps, gs_bjt_core_run_sub2); oversample.c says how its weights were chosen. */
extern const gs_lowdelay_spec gs_lowdelay_low_alias_sub2;
/* bjt-preamp's: the same around its two half-stepped stages (two high-rate samples late). */
extern const gs_lowdelay_spec gs_lowdelay_low_alias_sub2x2;

/* One low-delay design, keyed by everything gs_os_init_lowdelay designs from; the taps are
 * nu = spec.up_periods * factor and nd = spec.down_periods * factor long. */
typedef struct gs_os_ld_table {
    double rate, pass_hz, stop_hz;
    unsigned factor, latency;
    gs_lowdelay_spec spec;
    const double *hu, *hd;
} gs_os_ld_table;
/* The designs the tube models ask for at 44.1, 48, 88.2, 96, 176.4 and 192 kHz, computed at build
 * time by src/mkldtab.c with this library's own design code (oversample_tables.c in the build
 * tree; src/ldtab_none.c, empty, for the generator itself). gs_os_init_lowdelay copies a matching
 * entry instead of designing: the 16x low-alias pair costs 0.13 to 0.17 s of CPU to design. */
extern const gs_os_ld_table gs_os_ld_tables[];
extern const unsigned gs_os_ld_ntables;
/* Design a low-delay pair by least squares into hu[spec.up_periods * factor] and
 * hd[spec.down_periods * factor], bypassing the tables and the cache (what
 * gs_os_init_lowdelay does for a design it has not seen; tests compare the tables with it). */
gs_status gs_os_lowdelay_design(double *hu, double *hd, double rate, unsigned factor,
                                double pass_hz, double stop_hz, unsigned latency,
                                const gs_lowdelay_spec *spec);
/* Call fn for each design made by least squares in this process so far (not the tabulated ones),
 * oldest first: the generator writes them out. */
void gs_os_lowdelay_each(void (*fn)(const gs_os_ld_table *design, void *arg), void *arg);

/* A linear-phase decimate-by-2 FIR of odd length 2c+1 (symmetric taps), for a first down stage
 * that must stop from the base Nyquist frequency rather than from the half-band's image of the
 * passband edge: see gs_os_init_stop. */
typedef struct gs_decimator {
    double *taps;    /* h[0..2c], symmetric: h[2c - t] = h[t] */
    unsigned centre; /* c: the delay at the 2x rate */
    double *hist;    /* 2c previous 2x-rate samples + block */
} gs_decimator;

typedef struct gs_oversampler {
    unsigned factor;  /* 1, 2, 4, 8 or 16 (half-band cascade); 2 to 16 (low delay) */
    gs_lowdelay *ld;  /* non-NULL: the low-delay design replaces the half-band cascade */
    unsigned nstages; /* log2(factor) */
    gs_halfband st[GS_OS_MAX_STAGES];
    gs_decimator dec; /* taps non-NULL: replaces st[0]'s down filter */
    double *work[2];  /* ping-pong buffers of max_block * factor samples */
    double *delay;    /* top-rate delay line for a whole-sample total latency */
    unsigned ndelay, dpos;
    uint32_t max_block;
    uint32_t latency; /* base-rate samples */
} gs_oversampler;

/* Design for a base rate (Hz), an oversampling factor (1, 2, 4, 8, 16), a passband edge (Hz, flat
 * to about the ripple) and a stop-band attenuation (dB) at the image of the passband edge. */
gs_status gs_os_init(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                     double pass_hz, double atten_db);
/* The same with the last down stage's stop band starting at stop_hz (pass_hz < stop_hz <= rate -
 * pass_hz). A half-band is symmetric about rate/2, so with gs_os_init a model's output between
 * rate/2 and rate - pass_hz (24-28 kHz at 48 kHz: the 5th harmonic of 5 kHz) folds back into
 * the band; with stop_hz = rate/2 nothing folds, for a longer final filter (more latency). */
gs_status gs_os_init_stop(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                          double pass_hz, double stop_hz, double atten_db);
/* The latency (base-rate samples) gs_os_init_stop gives for these arguments, designing nothing:
 * for latency queries that need no instance. */
gs_status gs_os_stop_latency(double rate, unsigned factor, double pass_hz, double stop_hz,
                             double atten_db, uint32_t *latency);
/* The two above for a model that adds core_delay top-rate samples between up and down (bjt-stage's
 * half steps: 1): the padding to whole base-rate samples takes that delay into account, so the
 * reported latency is the whole chain's. */
gs_status gs_os_init_stop_core(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                               double pass_hz, double stop_hz, double atten_db,
                               unsigned core_delay);
gs_status gs_os_stop_latency_core(double rate, unsigned factor, double pass_hz, double stop_hz,
                                  double atten_db, unsigned core_delay, uint32_t *latency);
/* The same for gs_os_init (0 for invalid arguments). */
uint32_t gs_os_latency(double rate, unsigned factor, double pass_hz, double atten_db);
/* R-times oversampling (R = factor, 2 to GS_OS_LD_MAX_FACTOR) with a low-delay polyphase FIR
 * pair designed at init by weighted least squares on the complex response (target: a pure delay
 * in the passband 0..pass_hz, zero in the stop bands): the up filter's stop band is everything
 * from the first image (rate - pass_hz) up, the down filter's is stop_hz up to the high-rate
 * Nyquist frequency (what would fold into the base band). The two delays add up to
 * R latency + R - 1 high-rate samples (whole base-rate samples, as for gs_os_init). Phase is
 * linear only to the accuracy of the fit (reported by gs_os_lowdelay_error). */
gs_status gs_os_init_lowdelay(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                              double pass_hz, double stop_hz, unsigned latency,
                              const gs_lowdelay_spec *spec);
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
