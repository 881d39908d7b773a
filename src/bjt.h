/* Common-emitter class-A NPN stage, solved as a circuit (issue 19).
 *
 * Circuit (node names as in tools/spice/bjt_stage.cir):
 *
 *   in --cin-- b      vcc --r1-- b --r2-- gnd      vcc --rc-- c --cout-- o --rl-- gnd
 *   Q1: collector c, base b, emitter e;   e --re1-- x --re2-- gnd,  x --ce-- gnd (ce = 0: none)
 *
 * The device is ngspice's bipolar model with only IS, BF, BR, VAF set (NF = NR = 1, no series
 * resistances, no junction capacitances, no leakage or high-injection terms):
 *   Ic = IS (e^(Vbe/Vt) - e^(Vbc/Vt)) (1 - Vbc/VAF) - IS/BR (e^(Vbc/Vt) - 1)
 *   Ib = IS/BF (e^(Vbe/Vt) - 1) + IS/BR (e^(Vbc/Vt) - 1)
 * IS = 10 fA, BF = 200, BR = 2, VAF = 100 V, Vt = kT/q at 27 C (ngspice's constants).
 *
 * Method: each capacitor is its trapezoidal companion (conductance gc = 2C/T in parallel with a
 * source J = gc v + i carrying the state; the rule ngspice uses for the references). With the
 * device's two currents as unknown sources, the resistive network left is three Thevenin
 * equivalents, one per terminal:
 *   v(b) = Vb0 - Rb Ib,   v(c) = Vc0 - Rc Ic,   v(e) = Ve0 + Re (Ib + Ic),
 * with Vb0, Vc0, Ve0 linear in the input and the three sources, Rb, Rc, Re fixed per design. So
 * a sample is a 2-unknown Newton iteration in (Vbe, Vbc) on
 *   Vbe = (Vb0 - Ve0) - (Rb + Re) Ib - Re Ic,   Vbc = (Vb0 - Vc0) - Rb Ib + Rc Ic,
 * started from the last sample's solution, with SPICE's junction limiting (pnjlim) so that
 * large steps cannot overflow the exponentials; at most GS_BJT_MAX_ITER iterations. While the
 * BC junction is off and Vbe barely moves (small signals at 16x: 99.7 % of the samples on the
 * bench's input), the sample is instead the Newton step from the last solved point with a
 * second-order correction, an affine map made once per solved point (no exponential).
 */
#ifndef GS_BJT_H
#define GS_BJT_H

#include "internal.h"

/* The device of issue 19 (ngspice .model q npn(is=10f bf=200 br=2 vaf=100)). */
#define GS_BJT_IS 10e-15
#define GS_BJT_BF 200.0
#define GS_BJT_BR 2.0
#define GS_BJT_VAF 100.0
/* kT/q at 300.15 K with ngspice-39's constants (1.38064852e-23 J/K, 1.6021766208e-19 C). */
#define GS_BJT_VT 0.025864186
#define GS_BJT_MAX_ITER 40
/* Linearised steps (bjt_core.c, linear_run): allowed while the base-collector junction is off
 * (Vbc below GS_BJT_LIN_VBC, V: e^(Vbc/Vt) < 1e-8, its currents below 1e-22 A) and the
 * base-emitter voltage is within GS_BJT_LIN_DVBE (V) of the last solved point; a second-order
 * correction leaves a third-order error (-136 dB re the output on the bench's signal). */
#define GS_BJT_LIN_VBC (-0.5)
#define GS_BJT_LIN_DVBE 2e-4

typedef struct gs_bjt_values {
    double vcc;           /* supply (V) */
    double r1, r2, rc;    /* bias divider (vcc-b, b-gnd), collector resistor (Ohm) */
    double re1, re2, ce;  /* unbypassed and bypassed emitter resistors (Ohm), bypass (F; 0 none) */
    double cin, cout, rl; /* coupling capacitors (F), load (Ohm) */
} gs_bjt_values;

/* Issue 19's default circuit, the one place its values are written (bjt-stage's parameter
 * table, bjt-preamp's stages, tests and benches take them from here). */
#define GS_BJT_DEF_VCC 24.0
#define GS_BJT_DEF_R1 82e3
#define GS_BJT_DEF_R2 15e3
#define GS_BJT_DEF_RC 4.7e3
#define GS_BJT_DEF_RE1 100.0
#define GS_BJT_DEF_RE2 1e3
#define GS_BJT_DEF_CE 100e-6
#define GS_BJT_DEF_CIN 10e-6
#define GS_BJT_DEF_COUT 10e-6
#define GS_BJT_DEF_RL 10e3
#define GS_BJT_DEFAULTS                                                                            \
    {                                                                                              \
        GS_BJT_DEF_VCC, GS_BJT_DEF_R1, GS_BJT_DEF_R2, GS_BJT_DEF_RC, GS_BJT_DEF_RE1,               \
            GS_BJT_DEF_RE2, GS_BJT_DEF_CE, GS_BJT_DEF_CIN, GS_BJT_DEF_COUT, GS_BJT_DEF_RL          \
    }

typedef struct gs_bjt_core {
    gs_bjt_values val;
    /* design: conductances and the Thevenin equivalents' fixed parts */
    double gin, gce, gout;   /* 2C/T of cin, ce, cout (S; gce 0 without ce) */
    double Rb, Rc, Re;       /* Thevenin resistances of base, collector, emitter (Ohm) */
    double kb_in, kb_j, kb0; /* Vb0 = kb_in vin - kb_j Jin + kb0 */
    double kc_j, kc0;        /* Vc0 = kc_j Jout + kc0 */
    double kx;               /* v(x) = kx (Ie + Jce) */
    double ko;               /* v(o) = ko (gout v(c) - Jout) */
    /* state: capacitor voltages (V) and currents (A) at the last sample; a sample's companion
     * sources are J = gc v + i, so a new design (another T) keeps both continuous */
    double vcin, vce, vcout; /* in - b, x - gnd, c - o */
    double iin, ice, iout;
    double vbe, vbc;       /* last solution (V) */
    double ic, ib;         /* its currents (A) */
    double vo;             /* last output (V) */
    double pj[4];          /* -J^-1 at the last solution (row-major): the predictor matrix */
    double lastA, lastB;   /* the last sample's (Vb0 - Ve0, Vb0 - Vc0) (V) */
    uint64_t nonconverged; /* samples whose iteration hit the bound */
    uint64_t iterations;   /* total Newton iterations (diagnostics) */
    double g[4];           /* dIc/dVbe, dIc/dVbc, dIb/dVbe, dIb/dVbc at the last solved point */
    double lp[4];          /* the last solved point: Vbe, Vbc (V), Ic, Ib (A) */
    int lin_ok;            /* it allows linearised steps */
    int rows_ok;           /* L is made for it */
    /* a linearised run that ended with the block: its loop's own (Jin, Jce, Jout) and next
     * (Vbe - Vbe*, Vbc - Vbc*), so that the next block resumes with exactly those numbers and
     * not the node values rebuilt from them (equal only to rounding): a stream cut into blocks
     * of any length gives the same samples as one call (test_stream) */
    int lin_carry;
    double carry[8];       /* (Jin, Jce, Jout), then the next pv's base, w and p1 (linear_run) */
    double lin_dv;         /* GS_BJT_LIN_DVBE (design sets it; 0 = always solve, for tests) */
    double L[11][5];       /* the linearised step as affine maps (bjt_core.c, linear_rows) */
    double Q[11][2];       /* and its second-order terms */
    double H[2][7];        /* the next sample's Vbe, Vbc from this one's (z, p1^2, p1 p2) */
    uint64_t linear_steps; /* samples taken as a linearised step (diagnostics) */
} gs_bjt_core;

/* Recompute the design for component values at sample period T (s). The capacitor voltages and
 * currents carry over. */
void gs_bjt_core_design(gs_bjt_core *c, const gs_bjt_values *val, double T);
/* DC operating point for zero input (capacitors open). GS_OK or GS_ERR_NOT_CONVERGED (finite
 * state either way). */
gs_status gs_bjt_core_reset(gs_bjt_core *c);
/* One sample: input vin (V); returns v(o) (V). */
GS_REALTIME double gs_bjt_core_tick(gs_bjt_core *c, double vin);
/* A block in place: x[i] = gs_bjt_core_tick(c, x[i]) (the same arithmetic). */
GS_REALTIME void gs_bjt_core_run(gs_bjt_core *c, double *x, uint32_t n);
/* Half steps where the circuit needs them (bjt-stage's default and high qualities, issue 19
 * target 2). The solver's own aliasing at 16x (-84 / -76 dB on a 1 V 5 / 9 kHz sine) falls by
 * about 19 and 14 dB per doubling of its rate, but only the samples it solves in full (a junction
 * moving fast, clipping) make harmonics high enough to fold: a linearised sample is an affine
 * map. So a sample is first tried as one linearised step at T (the core passed in); where that
 * does not qualify it is two solved half steps at T/2 (the core kept here, the state handed
 * across: capacitor voltages and currents, the junctions' solution and its slopes, with each
 * core's own predictor rebuilt for its network). Every sample has a whole-step output b and a
 * mid-step output a: the solved half step's, or for a linearised sample the cubic through the
 * last four b (at 5 kHz within 1e-7 of the circuit's; the half step's input is the same cubic
 * through the inputs). The output is brought back to T by the half-band-like kernel (1/4, 1/2,
 * 1/4) over (a, b, a) centred on the previous sample, whose zeros at the half-step Nyquist
 * frequency remove what would fold back onto the audio band. That centre is one sample (at T)
 * late, a delay the oversampler's design subtracts (gs_lowdelay_spec.core_delay). */
#define GS_BJT_SUB_CHUNK 256
typedef struct gs_bjt_sub2 {
    gs_bjt_core s;       /* the half-step core (designed at T/2) */
    int on_s;            /* 1: s holds the latest state, 0: the whole-step core does */
    double xh[3], bh[3]; /* the last three samples' inputs and whole-step outputs, oldest first */
    double a1;           /* the last sample's mid-step output */
    double xin[GS_BJT_SUB_CHUNK], bb[GS_BJT_SUB_CHUNK], ab[GS_BJT_SUB_CHUNK];
    unsigned char half[GS_BJT_SUB_CHUNK]; /* 1: that sample took the half steps */
} gs_bjt_sub2;
/* Design the whole-step core c at T and the half-step core at T / 2. */
void gs_bjt_sub2_design(gs_bjt_sub2 *s, gs_bjt_core *c, const gs_bjt_values *val, double T);
/* Both cores at their operating point, at rest (input 0 V). */
gs_status gs_bjt_sub2_reset(gs_bjt_sub2 *s, gs_bjt_core *c);
/* A block in place: x[i] becomes the output for x[i - 1] (at T). */
GS_REALTIME void gs_bjt_core_run_sub2(gs_bjt_core *c, gs_bjt_sub2 *s, double *x, uint32_t n);
/* Node voltages at the last sample (V), for tests: base, collector, emitter. */
void gs_bjt_core_nodes(const gs_bjt_core *c, double *vb, double *vc, double *ve);
/* Capacitor voltages at the last sample (V): cin (in - b), ce (x), cout (c - o). */
void gs_bjt_core_cap_voltages(const gs_bjt_core *c, double *vcin, double *vce, double *vcout);
/* Device currents for junction voltages (A), exactly the model above. */
void gs_bjt_currents(double vbe, double vbc, double *ic, double *ib);

#endif
