/* The quantiser (internal view): word length, TPDF dither, optional noise shaping by error
 * feedback. One implementation for the converter model (converter.c) and for front ends writing
 * integer files (gs_quantizer_* in gainstage.h). */
#ifndef GS_QUANTIZER_H
#define GS_QUANTIZER_H

#include "rng.h"

struct gs_quantizer {
    int bits;       /* word length: set with gs_quantizer_set_bits */
    double step;    /* 2^(1 - bits): one LSB in full-scale units */
    double full;    /* 2^(bits - 1): codes per unit */
    int dither;     /* 1: TPDF, two uniform +/-0.5 LSB values (triangular +/-1 LSB) */
    int shaping;    /* 0 none, 1 first order (1 - z^-1), 2 second order (1 - z^-1)^2 */
    gs_rng rng;     /* the dither's draws: two per sample, in sample order */
    double e1, e2;  /* past total errors (full-scale units), for the shaper */
    uint64_t clips; /* codes clamped to the word's range */
};

void gs_quantizer_init(gs_quantizer *q, int bits, int dither, uint64_t seed);
/* The word length, and the step and scale that follow from it (two ldexp, once, not per sample). */
void gs_quantizer_set_bits(gs_quantizer *q, int bits);

/* Quantise v (full scale +/-1) to a multiple of the step 2^(1 - bits) in -1 .. 1 - step (the code
 * range of a two's-complement word): round to nearest after dither and feedback, clamp (counted).
 * The scaling by the step is by a power of two, so exact: the code is the result / step. */
GS_REALTIME static inline double gs_quantizer_next(gs_quantizer *q, double v) {
    const double step = q->step, full = q->full;
    double fb = q->shaping == 1 ? q->e1 : (q->shaping == 2 ? 2.0 * q->e1 - q->e2 : 0.0);
    double u = v - fb;
    double d = q->dither ? gs_rng_uniform(&q->rng) + gs_rng_uniform(&q->rng) : 0.0;
    double x = floor(u / step + d + 0.5);
    double code = gs_clamp(x, -full, full - 1.0);
    q->clips += (uint64_t)(code != x);
    double r = code * step;
    /* Feedback error, bounded so a clipped stretch cannot drive the loop unstable. */
    double e = gs_clamp(r - u, -2.0 * step, 2.0 * step);
    q->e2 = q->e1;
    q->e1 = e;
    return r;
}

#endif
