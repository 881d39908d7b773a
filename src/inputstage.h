/* Input stage: pad, high-pass, polarity and a clean gain, every control smoothed.
 *
 * - Pad: 20 dB, toggled by a crossfade of the two gains (the channel glides the switch value).
 * - High-pass: Butterworth of order 1 to 4 (6, 12, 18, 24 dB/octave), -3 dB at hpf_freq for every
 *   order. All four orders run all the time (six sections in total, cheap) and the output is a
 *   crossfade between the two orders either side of the gliding choice value, so changing the
 *   slope or switching the filter never clicks. Sections by the bilinear transform prewarped at
 *   the corner (RBJ cookbook forms): with corners of 20 to 400 Hz the frequency warping changes
 *   the magnitude by under 0.001 dB below 20 kHz at 44.1 kHz (tested); the phase near 20 kHz
 *   lags the analogue filter's by up to a few degrees (printed by the test), which an EQ-style
 *   high-pass does not need to reproduce.
 * - Polarity: the signal gain passes through 0 while the switch glides.
 * - Gain: in dB, the factor 10^(g/20) exactly (double precision), ramped per sample.
 * Pad, polarity and gain are one product, ramped per sample over each control block.
 */
#ifndef GS_INPUTSTAGE_H
#define GS_INPUTSTAGE_H

#include "biquad.h"

enum { GS_IN_P_PAD, GS_IN_P_HPF, GS_IN_P_HPF_FREQ, GS_IN_P_POLARITY, GS_IN_P_GAIN, GS_IN_P_COUNT };
#define GS_IN_PAD_DB 20.0
#define GS_IN_HPF_ORDERS 4

extern const gs_param_info gs_inputstage_params[GS_IN_P_COUNT];
extern const char *const gs_inputstage_slopes[];
/* The table entries in GS_IN_P_ order, for channels that embed an input stage. */
/* clang-format off */
#define GS_INPUTSTAGE_PARAM_ENTRIES                                                               \
    {"pad", "20 dB pad", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_TOGGLE, 1, NULL,   \
     "input attenuator, -20 dB", 0},                                                               \
    {"hpf", "High-pass slope", GS_UNIT_ENUM, 0.0, 4.0, 0.0, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 1,   \
     gs_inputstage_slopes, "Butterworth high-pass: off, 6, 12, 18 or 24 dB/octave", 0},            \
    {"hpf_freq", "High-pass corner", GS_UNIT_HZ, 20.0, 400.0, 80.0, GS_CURVE_LOG, GS_PARAM_REAL,   \
     1, NULL, "-3 dB corner of the high-pass filter (every slope)", 0},                            \
    {"polarity", "Polarity invert", GS_UNIT_NONE, 0.0, 1.0, 0.0, GS_CURVE_LINEAR,                  \
     GS_PARAM_TOGGLE, 1, NULL, "inverts the signal", 0},                                           \
    /* A line-level trim: the large mic gains belong to the gain element after it (op-amp stages   \
     * with rails), which is where a real preamp gets them. */                                     \
    {"in_gain", "Input gain", GS_UNIT_DB, -20.0, 18.0, 0.0, GS_CURVE_DB, GS_PARAM_REAL, 1, NULL,   \
     "clean gain of the input stage, exact in dB", 0},
/* clang-format on */

typedef struct gs_inputstage {
    double rate;
    double v[GS_IN_P_COUNT];
    gs_biquad sec[6];                /* order 1: [0]; 2: [1]; 3: [2],[3]; 4: [4],[5] */
    gs_ramp w[GS_IN_HPF_ORDERS + 1]; /* weight of: unfiltered, order 1..4 */
    gs_ramp g;                       /* pad x polarity x gain */
} gs_inputstage;

void gs_inputstage_init(gs_inputstage *s, double rate);
/* Set a GS_IN_P_ parameter (already smoothed by the channel); ramps over ramp_len samples. */
GS_REALTIME void gs_inputstage_set(gs_inputstage *s, size_t id, double value, uint32_t ramp_len);
GS_REALTIME void gs_inputstage_reset(gs_inputstage *s);
GS_REALTIME double gs_inputstage_tick(gs_inputstage *s, double x);

#endif
