/* Linear time-invariant analogue circuits, H(s) = N(s) / D(s), run at the base sample rate with
 * the analogue response reproduced to a small fraction of a dB up to 20 kHz even at 44.1 kHz.
 *
 * Why not the bilinear transform: it maps the whole analogue axis onto 0..fs/2, so a resonance at
 * 8 kHz with Q 4 moves and narrows; at 44.1 kHz a source model made that way is off by several
 * tenths of a dB and several degrees near 20 kHz (tests/test_source.c prints the bilinear error next
 * to ours). Why not oversampling: the sources are linear, so their exact band-limited response is
 * known in closed form and nothing needs the extra bandwidth; oversampling would cost CPU and
 * latency for no physics.
 *
 * Method ("matched poles, fitted zeros"):
 *  1. Poles. The roots s_i of D(s) map exactly, z_i = exp(s_i T) (the impulse-invariant/matched
 *     mapping). The digital filter therefore has the analogue filter's natural frequencies and
 *     damping at any rate, and is stable whenever the circuit is (passive circuits always are).
 *  2. Zeros at DC. A factor s^k of N(s) (coupling capacitors, the piezo's series capacitance, a
 *     transformer's magnetising inductance) becomes (1 - z^-1)^k exactly, so the digital filter
 *     blocks DC exactly as the circuit does.
 *  3. The rest of the numerator is an FIR polynomial B(z) of GS_LTI_TAPS taps, chosen by weighted
 *     linear least squares so that the RELATIVE error (H_d - H_a) / H_a is small on a frequency grid
 *     from 5 Hz to the top of the fit band (20.5 kHz, or 0.9 of Nyquist when that is higher).
 *     Relative error is what dB and degrees measure; the problem is linear in B because the poles
 *     are fixed, so it is solved directly (normal equations, 8x8, Gaussian elimination) with no
 *     iteration, bounded time, no allocation: it may run in a parameter glide.
 * The result has no latency. Above the fit band (20.5 to 22.05 kHz at 44.1 kHz) the response is not
 * controlled; the fit keeps it bounded. The realisation is the FIR (with the DC differencers folded
 * in) followed by a cascade of real second-order all-pole sections, in double precision.
 */
#ifndef GS_LTI_H
#define GS_LTI_H

#include "internal.h"

#define GS_LTI_MAX_ORDER 6 /* degree of D(s) (and of N(s)) */
#define GS_LTI_MAX_TAPS 32 /* fitted numerator taps */
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
        f->s1[s] = f->s2[s] - f->a1[s] * o;
        f->s2[s] = -f->a2[s] * o;
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
