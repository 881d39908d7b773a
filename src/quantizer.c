/* The quantiser's public face (gainstage.h, Quantiser); the arithmetic is in quantizer.h. */
#include "quantizer.h"

#include <stdlib.h>

void gs_quantizer_set_bits(gs_quantizer *q, int bits) {
    q->bits = bits;
    q->step = ldexp(1.0, 1 - bits);
    q->full = ldexp(1.0, bits - 1);
}

void gs_quantizer_init(gs_quantizer *q, int bits, int dither, uint64_t seed) {
    gs_quantizer_set_bits(q, bits);
    q->dither = dither;
    q->shaping = 0;
    q->e1 = q->e2 = 0.0;
    q->clips = 0;
    gs_rng_seed(&q->rng, seed);
}

gs_status gs_quantizer_new(unsigned bits, int dither, uint64_t seed, gs_quantizer **out) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (bits < 8 || bits > 24) return GS_ERR_OUT_OF_RANGE;
    gs_quantizer *q = calloc(1, sizeof *q);
    if (!q) return GS_ERR_NO_MEMORY;
    gs_quantizer_init(q, (int)bits, dither != 0, seed);
    *out = q;
    return GS_OK;
}

void gs_quantizer_free(gs_quantizer *q) { free(q); }

GS_REALTIME gs_status gs_quantizer_process(gs_quantizer *q, const float *in, int32_t *out,
                                           size_t n) {
    if (!q || (n && (!in || !out))) return GS_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n; i++) out[i] = (int32_t)(gs_quantizer_next(q, (double)in[i]) * q->full);
    return GS_OK;
}

uint64_t gs_quantizer_clip_count(const gs_quantizer *q) { return q ? q->clips : 0; }
