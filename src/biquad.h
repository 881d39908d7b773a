/* Second-order sections (transposed direct form II, double precision). Used for filters whose
 * corners lie far below Nyquist, where the bilinear transform's frequency warping is negligible
 * and is prewarped away at the corner anyway. */
#ifndef GS_BIQUAD_H
#define GS_BIQUAD_H

#include "internal.h"

typedef struct gs_biquad {
    double b0, b1, b2, a1, a2; /* normalised, a0 = 1 */
    double s1, s2;             /* state */
} gs_biquad;

/* Second-order high-pass s^2 / (s^2 + s wc/Q + wc^2) at fc Hz for sample rate fs, by the bilinear
 * transform prewarped at fc (RBJ Audio EQ Cookbook form). Keeps the state. */
static inline void gs_biquad_hp(gs_biquad *f, double fc, double Q, double fs) {
    double w0 = 2.0 * GS_PI * fc / fs;
    double cw = cos(w0), alpha = sin(w0) / (2.0 * Q);
    double a0 = 1.0 + alpha;
    f->b0 = (1.0 + cw) / 2.0 / a0;
    f->b1 = -(1.0 + cw) / a0;
    f->b2 = f->b0;
    f->a1 = -2.0 * cw / a0;
    f->a2 = (1.0 - alpha) / a0;
}

/* Butterworth (Q = 1/sqrt 2) high-pass. */
static inline void gs_biquad_butter_hp(gs_biquad *f, double fc, double fs) {
    gs_biquad_hp(f, fc, 0.7071067811865476, fs);
}

static inline void gs_biquad_reset(gs_biquad *f) { f->s1 = f->s2 = 0.0; }

GS_REALTIME static inline double gs_biquad_tick(gs_biquad *f, double x) {
    double y = f->b0 * x + f->s1;
    f->s1 = f->b1 * x - f->a1 * y + f->s2;
    f->s2 = f->b2 * x - f->a2 * y;
    return y;
}

#endif
