/* Converter core (internal): see converter.c for what is modelled. */
#ifndef GS_CONVERTER_H
#define GS_CONVERTER_H

#include "quantizer.h"

#define GS_CONV_MAX_TAPS 255u

typedef struct gs_conv {
    double rate;
    double taps[GS_CONV_MAX_TAPS];
    uint32_t ntaps;
    double hist[2u * GS_CONV_MAX_TAPS];
    uint32_t hpos;
    gs_ramp aa;   /* 1: filtered; 0: the filter's delay only (latency never changes) */
    gs_ramp gain; /* digital gain, linear */
    gs_clipsafe *cs;
    double vfs; /* volts per unit: peak volts of a 0 dBFS sine */
    gs_quantizer q; /* word length, dither, shaping (quantizer.h) */
    uint64_t seed;
    uint64_t clips; /* samples beyond 0 dBFS, clipped before the quantiser */
} gs_conv;

gs_status gs_conv_init(gs_conv *c, double rate);
void gs_conv_free(gs_conv *c);
GS_REALTIME void gs_conv_reset(gs_conv *c);
GS_REALTIME void gs_conv_process(gs_conv *c, float *buf, uint32_t n);
uint32_t gs_conv_latency(const gs_conv *c);

#endif
