/* Non-inverting op-amp gain stage, as in solid-state mic preamps.
 *
 * Circuit: input -> series Cin -> node a, Rin from a to ground; a drives the + input; feedback Rf
 * from the output to the - input, Rg from there to ground, ideal gain G = 1 + Rf/Rg. The op-amp has
 * an open-loop gain A(s) = A0 / (1 + s/wp) with A0 = 1e5 (100 dB) and wp = 2 pi GBW / A0, infinite
 * input impedance and zero output impedance, and an output that saturates at +/- rail without
 * wind-up (it leaves the rail as soon as the demand comes back inside).
 *
 * Closing the loop (beta = 1/G) gives, from v_a to the output,
 *     H(s) = Gcl / (1 + s/wcl),   Gcl = A0 / (1 + A0 beta),   wcl = wp (1 + A0 beta),
 * so the stage is the cascade of the Cin-Rin high-pass (corner 1/(Rin Cin)) and a one-pole low-pass
 * whose state is the output voltage itself: clamping that state is exactly the rail saturation of
 * the op-amp's output (its internal node cannot run past the rails either).
 *
 * The core runs at whatever rate it is given (callers oversample it); see onepole.h for the
 * discretisation.
 */
#ifndef GS_OPAMP_H
#define GS_OPAMP_H

#include "onepole.h"
#include "oversample.h"

#define GS_OPAMP_A0 1e5 /* open-loop DC gain, 100 dB */

typedef struct gs_opamp_core {
    gs_onepole hp; /* Cin into Rin */
    gs_onepole lp; /* closed-loop pole; its state is the output voltage */
    gs_ramp gcl;   /* closed-loop DC gain, ramped per sample when the gain glides */
    double rail;   /* V */
} gs_opamp_core;

/* Coefficients for gain (dB, ideal 1 + Rf/Rg), gbw (Hz), cin (F), rin (Ohm), rail (V), at sample
 * period T (s). Keeps the state; the gain ramps to its new value over ramp_len ticks. */
void gs_opamp_core_design(gs_opamp_core *c, double gain_db, double gbw, double cin, double rin,
                          double rail, double T, uint32_t ramp_len);
/* DC operating point for zero input; the gain lands on its target. */
void gs_opamp_core_reset(gs_opamp_core *c);

GS_REALTIME static inline double gs_opamp_core_tick(gs_opamp_core *c, double vin) {
    double va = gs_onepole_hp(&c->hp, vin);
    return gs_onepole_lp_clamped(&c->lp, gs_ramp_next(&c->gcl) * va, -c->rail, c->rail);
}

/* The oversampling used for op-amp stages at a base rate: factor, and the passband edge (Hz) kept
 * flat (20 kHz, or 0.4167 fs above 50 kHz). */
unsigned gs_opamp_os_factor(double rate);
double gs_opamp_os_pass(double rate);
#define GS_OPAMP_OS_ATTEN_DB 75.0
/* That oversampler, its last down stage stopping from rate/2 (nothing above it folds back). */
gs_status gs_opamp_os_init(gs_oversampler *os, double rate, uint32_t max_block);
/* The latency gs_opamp_os_init gives (base-rate samples), designing nothing. */
uint32_t gs_opamp_os_latency(double rate);

/* The gain element of the preamp channels: two op-amp stages sharing the gain, inside one
 * oversampled region (so the channel pays the oversampling latency once). Coupling: 47 uF into
 * 10 kOhm at the input (0.34 Hz), 100 uF into 100 kOhm between the stages (0.016 Hz). */
typedef struct gs_opamp_pair {
    gs_oversampler os;
    gs_opamp_core st1, st2;
    double rate;
} gs_opamp_pair;

/* All memory for a base rate (Hz) and maximum block; oversampling per gs_opamp_os_factor(). */
gs_status gs_opamp_pair_init(gs_opamp_pair *p, double rate, uint32_t max_block);
void gs_opamp_pair_free(gs_opamp_pair *p);
/* Each stage gets stage_db of ideal gain (1 + Rf/Rg); gbw in Hz, rail in V. Gains ramp over one
 * control block. */
void gs_opamp_pair_design(gs_opamp_pair *p, double stage_db, double gbw, double rail);
void gs_opamp_pair_reset(gs_opamp_pair *p);
/* n base-rate samples in place, volts. */
GS_REALTIME void gs_opamp_pair_process(gs_opamp_pair *p, float *buf, uint32_t n);

#endif
