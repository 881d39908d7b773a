/* Linear time-invariant analogue circuits, H(s) = N(s) / D(s), run digitally with the analogue
 * magnitude and phase reproduced to about 0.01 dB and 0.1 degree up to 20 kHz.
 *
 * Why not the bilinear transform: it maps the whole analogue axis onto 0..fs/2, so a resonance at
 * 5-10 kHz moves and narrows, and a 1/f slope bends towards Nyquist; at 44.1 kHz source models
 * made that way are off by tenths of a dB to many dB and up to tens of degrees near 20 kHz
 * (tests/test_source.c prints the unwarped bilinear error next to ours for every case).
 *
 * Method ("matched poles, fitted zeros"):
 *  1. Poles. The roots s_i of D(s) (Aberth-Ehrlich iteration) map exactly, z_i = exp(s_i T). The
 *     digital filter has the circuit's natural frequencies and damping at any rate and is stable
 *     whenever the circuit is (passive circuits always are).
 *  2. Zeros at DC. A factor s^k of N(s) (coupling capacitors, the piezo's capacitance, a
 *     transformer's magnetising inductance) becomes (1 - z^-1)^k, so DC is blocked exactly.
 *  3. The rest of the numerator is an FIR polynomial B(z) of `ntaps` taps, chosen by weighted
 *     linear least squares (Householder QR) so that the RELATIVE error H_d / (H_a e^{-jw delay}) -
 * 1 is small on a grid from 5 Hz to 20.5 kHz (what dB and degrees measure), with a small weight up
 * to 0.98 of Nyquist so the response stays near the analogue one above the audio band. The problem
 * is linear in B because the poles are fixed: bounded time, no iteration, no allocation (about 0.15
 * ms for 12 taps), so it may run in the audio thread on a parameter change (not at control rate).
 *  `delay` samples of latency let B be a two-sided correction; the caller reports it.
 * Limit: an analogue response falling as 1/f has no rational equivalent in z and a real filter must
 * be real at Nyquist, so with only 20-22 kHz to bend in (44.1 kHz) no short fit is accurate; at
 * 88.2 kHz and above 12 taps with a delay of 4 are within 0.01 dB and 0.1 degree for every source
 * and for RIAA. Callers below 88.2 kHz run it 2x oversampled (source.h).
 * The realisation is the FIR (DC differencers folded in) followed by a cascade of real
 * second-order all-pole sections, in double precision.
 */
#ifndef GS_LTI_H
#define GS_LTI_H

#include "internal.h"

#define GS_LTI_MAX_ORDER 6 /* degree of D(s) (and of N(s)) */
#define GS_LTI_MAX_TAPS 16 /* fitted numerator taps (the sources use 12) */
#define GS_LTI_FIR (GS_LTI_MAX_TAPS + GS_LTI_MAX_ORDER)
#define GS_LTI_GRID_LOG 40 /* fit frequencies, see gs_lti_init */
#define GS_LTI_GRID_LIN 60
#define GS_LTI_GRID_OUT 16
#define GS_LTI_GRID (GS_LTI_GRID_LOG + GS_LTI_GRID_LIN + GS_LTI_GRID_OUT)
#define GS_LTI_ROWS (2 * GS_LTI_GRID)

typedef struct gs_lti {
    /* coefficients */
    double fir[GS_LTI_FIR];
    unsigned nfir;
    double a1[GS_LTI_MAX_ORDER / 2 + 1], a2[GS_LTI_MAX_ORDER / 2 + 1];
    unsigned nsec;
    /* state: FIR history (circular, doubled for a contiguous read), section states */
    double hist[2 * GS_LTI_FIR];
    unsigned pos;
    double s1[GS_LTI_MAX_ORDER / 2 + 1], s2[GS_LTI_MAX_ORDER / 2 + 1];
    /* the fit grid for this rate: rad/sample, computed once */
    double rate;
    double w[GS_LTI_GRID], wt[GS_LTI_GRID];
    unsigned ntaps, delay;
    double work[2 * GS_LTI_GRID][GS_LTI_MAX_TAPS + 1]; /* the fit's matrix (no allocation) */
    double fit_err; /* worst relative error on the grid below 20 kHz after the fit (diagnostic) */
} gs_lti;

/* Prepare for a sample rate (Hz): the fit grid. No filter yet (passes nothing until designed). */
void gs_lti_init(gs_lti *f, double rate, unsigned ntaps, unsigned delay);

/* Design from N(s) = sum num[k] s^k (k = 0..nn) and D(s) = sum den[k] s^k (k = 0..nd),
 * nd <= GS_LTI_MAX_ORDER, nn <= nd, den[nd] != 0, all roots of D in the left half-plane.
 * Keeps the state (so a parameter glide is continuous). Returns GS_ERR_INVALID_ARGUMENT for
 * degrees out of range, GS_ERR_NOT_CONVERGED if the root finder or the fit fails (the filter is
 * then left unchanged). Real-time safe: fixed iteration bounds, no allocation. */
GS_REALTIME gs_status gs_lti_design(gs_lti *f, const double *num, unsigned nn, const double *den,
                                    unsigned nd);

/* Zero state. */
GS_REALTIME void gs_lti_reset(gs_lti *f);

GS_REALTIME static inline double gs_lti_tick(gs_lti *f, double x) {
    unsigned n = f->nfir;
    f->pos = f->pos == 0 ? n - 1 : f->pos - 1;
    f->hist[f->pos] = x;
    f->hist[f->pos + n] = x;
    const double *h = f->hist + f->pos;
    double y = 0.0;
    for (unsigned k = 0; k < n; k++) y += f->fir[k] * h[k];
    for (unsigned s = 0; s < f->nsec; s++) {
        /* Transposed direct form II, all-pole: y = x - a1 y[n-1] - a2 y[n-2]. */
        double o = y + f->s1[s];
        /* States decay exponentially in silence: keep them out of the subnormal range. */
        f->s1[s] = gs_undenormal(f->s2[s] - f->a1[s] * o);
        f->s2[s] = gs_undenormal(-f->a2[s] * o);
        y = o;
    }
    return y;
}

/* Analytic helpers shared with the tests: N(s)/D(s) at s = j 2 pi f, and the digital filter's
 * response at f Hz (from its coefficients). */
void gs_lti_eval_analog(const double *num, unsigned nn, const double *den, unsigned nd, double f,
                        double *re, double *im);
void gs_lti_eval_digital(const gs_lti *f, double hz, double *re, double *im);

#endif
