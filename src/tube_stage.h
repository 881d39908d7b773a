/* Common-cathode triode stage, solved as a circuit by the nodal DK method.
 *
 * Circuit (node names as in tools/spice/tube_stage.cir):
 *
 *   in --cin-- a --rgs-- g          b+ --rp-- p --cout-- o --rl-- gnd
 *              |          +--ccg-- k          +--ccp-- k
 *              rg         +--cgp-- p          +--Ip(g,k,p)--> k
 *              gnd        +--(rgi+rs)-- d --diode--> k
 *                                  k --rk-- gnd,  k --ck-- gnd (ck = 0: none)
 *
 * Method (D. T. Yeh, J. S. Abel, J. O. Smith, "Automated physical modeling of nonlinear audio
 * circuits for real-time audio effects, part I", IEEE TASLP 18(4), 2010; M. Holters, U. Zoelzer,
 * "Physical modelling of a wah-wah effect pedal as a case study for application of the nodal DK
 * method", DAFx 2011): every capacitor is replaced by its trapezoidal companion (conductance
 * 2C/T in parallel with a current source s that carries the state), the linear network is solved
 * once per parameter change, and what remains per sample is the nonlinear part in its two
 * controlling voltages v = (Vgk, Vpk):
 *     v = p + K i(v),   p = Ps s + Pu u,   u = (vin, B+),   i = (Ip, Ig),
 * solved by Newton's method (at most GS_TUBE_MAX_ITER iterations, from a predictor built on the
 * last solution's linearisation). The grid path (rgi+rs and the diode, node d above) has no
 * capacitance, so it is one nonlinear element from g to k whose current is solved in closed form
 * (gs_grid_current, the Wright omega function) rather than a third port of the iteration. The
 * trapezoidal rule is the one ngspice uses for the reference, so the model and the reference
 * differ only by the time step.
 */
#ifndef GS_TUBE_STAGE_H
#define GS_TUBE_STAGE_H

#include "oversample.h"
#include "triode.h"

#define GS_TUBE_NCAP 6  /* cin, ccg, cgp, ccp, ck, cout */
#define GS_TUBE_NNODE 5 /* a, g, p, k, o */
#define GS_TUBE_NPORT 2 /* nonlinear ports: Vgk, Vpk */
#define GS_TUBE_MAX_ITER 16

typedef struct gs_tube_values {
    double rp, rk, ck, rgs, rg, cin, cout, rl; /* Ohm, F */
    const gs_triode_params *tube;
    double emission; /* plate-current scale: 1 new, < 1 a worn cathode */
} gs_tube_values;

/* A solution of the nonlinear part and its linearisation, which the next sample's predictor
 * starts from (and a failed sample falls back to). */
typedef struct gs_tube_solution {
    double v[GS_TUBE_NPORT], i[2]; /* (Vgk, Vpk), (Ip, Ig) */
    double jg, jp, jgg;            /* Jacobian: dIp/dVgk, dIp/dVpk, dIg/dVgk */
    double Jinv[2][2];             /* (I - K F')^-1 at that Jacobian: the predictor's matrix */
    int jinv_ok;                   /* 0 if that matrix was singular (the predictor falls back) */
} gs_tube_solution;

/* Rows of the per-sample update matrix G (see gs_tube_core_tick): the six new capacitor sources,
 * the output, the supply current and the state part of the next sample's controlling voltages;
 * padded to a multiple of 4 so that each column is whole vectors. Its columns: the six sources,
 * vin, B+ and the two nonlinear currents. */
#define GS_TUBE_GROWS 12
#define GS_TUBE_GCOLS (GS_TUBE_NCAP + 4)
enum { GS_TUBE_ROW_Y = GS_TUBE_NCAP, GS_TUBE_ROW_ISUP, GS_TUBE_ROW_PS };

/* The plate current's second-order expansion about a solved point, for the samples near it
 * (tube_tick.h, lin_update): while the grid is cut off (Ig = -Is exactly, no slope) the
 * nonlinear part is the scalar Ip alone, and with d = p - p*, d1 = M d, M = (I - K0 g^T)^-1,
 *     Ip = Ip* + g . d1 + qd,  v = v* + d1 + K0 qd,  qd = h00 d1_0^2 + h01 d1_0 d1_1 + h11 d1_1^2
 * (the Hessian terms scaled by c = 1 / (1 - g . K0)), exact to second order in d. */
typedef struct gs_tube_lin {
    double M[2][2];         /* (I - K0 g^T)^-1 */
    double pstar[2];        /* the point's linear part: v* = p* + K i* */
    double vstar[2], ip;    /* the point (V) and its plate current (A; Ig = -GS_GRID_IS) */
    double g0, g1;          /* dIp/dVgk, dIp/dVpk there (A/V) */
    double h00, h01, h11;   /* c/2 Ip_gg, c Ip_gp, c/2 Ip_pp (A/V^2) */
    double hgg, hgp, hpp;   /* the Hessian itself, for the slopes on leaving */
    double x0, x1;          /* dx/dVgk, dx/dVpk of Koren's x (1/V), for the bound */
    double dmax0;           /* the largest d1_0 before the grid would conduct (V) */
    int on;                 /* a point is set: samples within the bounds are linearised */
    int stale;              /* sol's slopes and inverse are from before the last linear samples */
    unsigned backoff, wait; /* solved samples to skip before trying a point again */
    uint64_t since;         /* linear_steps when the point was set */
    /* A run of linearised samples as one affine map per sample (tube_tick.h, lin_update; built
     * by tube_core.c, lin_rows): rows s'0..5, y, isup, then the next sample's a0, a1, g . a and
     * dx but for its input terms; columns s0..5, vin, B+, e = Ip - Ip*, 1. mu: those last four
     * rows per unit of a sample's own vin and B+. */
    double W[GS_TUBE_NCAP + 4][GS_TUBE_GROWS];
    double mu[2][4];
    double carry[4]; /* a run's next a0, a1, g . a, dx but for the input terms, across blocks */
    int carry_ok;    /* carry is the next sample's (the last sample was linearised) */
    int disabled;    /* 1: every sample solved (the reference the expansion is tested on) */
} gs_tube_lin;

typedef struct gs_tube_core {
    /* G[col][row]: column-major, so that a new state is a sum of scaled columns (packed
     * multiply-adds) rather than ten short dot products. */
    double G[GS_TUBE_GCOLS][GS_TUBE_GROWS];
    gs_tube_values val;
    /* the matrices of the method (G is built from them) */
    double Ps[GS_TUBE_NPORT][GS_TUBE_NCAP], Pu[GS_TUBE_NPORT][2], K[GS_TUBE_NPORT][2];
    double Vs[GS_TUBE_NCAP][GS_TUBE_NCAP], Vu[GS_TUBE_NCAP][2], Vi[GS_TUBE_NCAP][2];
    double gc[GS_TUBE_NCAP]; /* 2C/T */
    /* state */
    double s[GS_TUBE_NCAP];      /* companion current sources */
    double s_prev[GS_TUBE_NCAP]; /* the sources the last sample was solved with */
    double vc[GS_TUBE_NCAP];     /* capacitor voltages held by design/reset until the next tick */
    int vc_held;                 /* 1: vc is current; 0: from s_prev, u_last and the currents */
    double ps[GS_TUBE_NPORT];    /* Ps s: the state's part of the next controlling voltages */
    double isup;                 /* plate supply current at the last sample (A) */
    gs_tube_solution sol;        /* the last sample's: the next one's starting point */
    double u_last[2];
    double p_last[GS_TUBE_NPORT]; /* linear part of the controlling voltages, last sample */
    gs_tube_lin lin;              /* the linearised samples' expansion */
    uint64_t linear_steps;        /* samples taken by the expansion (diagnostics) */
    uint64_t nonconverged;        /* samples whose Newton iteration hit the bound */
    uint64_t iterations;          /* total Newton iterations (diagnostics) */
} gs_tube_core;

/* Recompute the matrices for new component values at sample period T (s). The state carries over
 * physically: capacitor voltages and currents are continuous. */
void gs_tube_core_design(gs_tube_core *c, const gs_tube_values *val, double T);
/* DC operating point for zero input and supply bplus (V). Returns GS_OK or GS_ERR_NOT_CONVERGED
 * (the state is finite either way). */
gs_status gs_tube_core_reset(gs_tube_core *c, double bplus);
/* One sample: input vin (V) and supply bplus (V); returns v(o) (V). */
GS_REALTIME double gs_tube_core_tick(gs_tube_core *c, double vin, double bplus);
/* Capacitor voltages at the last sample (V; order cin, ccg, cgp, ccp, ck, cout). */
void gs_tube_core_cap_voltages(const gs_tube_core *c, double vc[GS_TUBE_NCAP]);
/* Plate and cathode voltages at the last solution (V), for tests. */
double gs_tube_core_vp(const gs_tube_core *c);
double gs_tube_core_vk(const gs_tube_core *c);

#endif

/* Latency of the fast and low-alias qualities, base-rate samples (at every rate). */
#define GS_TUBE_LATENCY_STANDARD 8u
#define GS_TUBE_LATENCY_LOW_ALIAS 16u
/* Oversampling of the tube models for a quality index at a base rate: 0 fast (2x, low delay,
 * GS_TUBE_LATENCY_STANDARD), 1 high (linear phase, 16x at 44.1/48 kHz, the last down stage
 * stopping from the base Nyquist frequency, 81-138 samples), 2 low-alias (16x at
 * 44.1/48 kHz, 8x at 88.2/96 kHz, 4x above; low delay, GS_TUBE_LATENCY_LOW_ALIAS). */
#define GS_TUBE_NQUALITY 3
/* The default quality: low-alias, alias-free (-90 / -80 dB at 4 V, 5 / 9 kHz) at 16 samples
 * (issue 15: what a user gets without asking is alias-free; fast is the opt-in). */
#define GS_TUBE_QUALITY_DEFAULT 2u
gs_status gs_tube_os_init(gs_oversampler *os, double rate, unsigned quality, uint32_t max_block);
/* The same with another design for the low-alias quality (its rates, edges and latency are
 * kept; bjt-stage's half steps need gs_lowdelay_low_alias_sub2), whose core_delay the high
 * quality's chain takes into account too (the same top rate). */
gs_status gs_tube_os_init_spec(gs_oversampler *os, double rate, unsigned quality,
                               uint32_t max_block, const gs_lowdelay_spec *low_alias);
/* The latency gs_tube_os_init gives, designing nothing (base-rate samples). */
uint32_t gs_tube_os_latency(double rate, unsigned quality);
/* The same for a model made with gs_tube_os_model_new_spec (whose core delay is also the high
 * quality's). */
uint32_t gs_tube_os_latency_spec(double rate, unsigned quality, const gs_lowdelay_spec *low_alias);
/* The part every oversampled model (tube-stage, tube-preamp, bjt-stage, bjt-preamp) starts
 * with: its oversampler for each quality, all made at creation so that a quality change between
 * takes allocates nothing, and the one in use. */
typedef struct gs_tube_os_head {
    gs_oversampler os[GS_TUBE_NQUALITY];
    unsigned q;
    double rate; /* base rate (Hz) */
} gs_tube_os_head;
/* A zeroed model of `size` bytes whose first member is a gs_tube_os_head, its oversamplers made
 * at rate for blocks up to max_block and the default quality chosen; NULL on failure. */
void *gs_tube_os_model_new(size_t size, double rate, uint32_t max_block);
/* The same with another low-alias design (gs_tube_os_init_spec). */
void *gs_tube_os_model_new_spec(size_t size, double rate, uint32_t max_block,
                                const gs_lowdelay_spec *low_alias);
/* Frees a model made by gs_tube_os_model_new (NULL: nothing). */
void gs_tube_os_model_free(void *model);
/* Its latency at the quality in use (base-rate samples): the models' latency entry. */
uint32_t gs_tube_os_model_latency(const void *model);
/* The quality index of a `quality` parameter value (out of range: the default). */
unsigned gs_tube_quality_index(double value);
extern const char *const gs_tube_quality_names[];
/* The `quality` parameter entry, the same in every tube model's table. */
/* clang-format off */
#define GS_TUBE_QUALITY_PARAM                                                                     \
    {"quality", "Quality", GS_UNIT_ENUM, 0.0, (double)(GS_TUBE_NQUALITY - 1),                     \
     (double)GS_TUBE_QUALITY_DEFAULT, GS_CURVE_LINEAR, GS_PARAM_CHOICE, 0,                        \
     gs_tube_quality_names,                                                                       \
     "oversampling: low-alias (default; 16x, 16 samples of latency, alias-free), fast (2x, 8 "    \
     "samples: many channels live; 'standard' is its old name) or high (16x, linear phase: "      \
     "closest to the circuit, least aliasing)", GS_PARAM_LATENCY}
/* clang-format on */

/* Power supply of a tube channel: a full-wave rectified source (raw DC plus a ripple at twice the
 * mains frequency) behind its internal and dropping resistance rs into the filter capacitor cf,
 * whose voltage is B+. The stages draw their plate currents from it, so loud passages (which
 * change the average plate current) move B+ with the time constant rs cf, and all stages sag
 * together. Integrated exactly for a constant load over one sample (a one-pole). */
typedef struct gs_tube_psu {
    double v;      /* B+ (V), the capacitor voltage */
    double vraw;   /* rectified source (V) */
    double ripple; /* ripple amplitude (V, peak) */
    double rs, cf; /* Ohm, F */
    double a;      /* exp(-T / (rs cf)) */
    double c, s;   /* ripple phasor (cos, sin of the phase) */
    double wc, ws; /* its rotation per sample */
} gs_tube_psu;

void gs_tube_psu_design(gs_tube_psu *p, double vraw, double ripple_frac, double mains_hz, double rs,
                        double cf, double T);
/* B+ with the capacitor at rest for a constant load current (A). */
void gs_tube_psu_settle(gs_tube_psu *p, double iload);
GS_REALTIME static inline double gs_tube_psu_tick(gs_tube_psu *p, double iload) {
    /* source = vraw + ripple cos(phase); the phase advances by rotating a unit phasor (no cos()
     * per sample), renormalised to first order so its length cannot drift */
    double src = p->vraw + p->ripple * p->c;
    /* (which product of each sum is fused is pinned: the scalar and four-lane loops inline this
     * in different surroundings and must round alike) */
    double c = p->c * p->wc - GS_UNFUSED(p->s * p->ws), s = p->s * p->wc + GS_UNFUSED(p->c * p->ws);
    double k = 1.5 - 0.5 * (c * c + GS_UNFUSED(s * s));
    p->c = c * k;
    p->s = s * k;
    double target = src - p->rs * iload;
    p->v = target + p->a * (p->v - target);
    return p->v;
}
/* Plate current (through rp) of a core at its last sample, for the supply (A). */
static inline double gs_tube_core_supply_current(const gs_tube_core *c) { return c->isup; }

/* A block through one core at a constant supply: x[i] = gs_tube_core_tick(c, x[i], bplus). */
GS_REALTIME void gs_tube_core_run(gs_tube_core *c, double *x, uint32_t n, double bplus);
/* A block through two cores in series on one supply (the tube preamp): per sample, B+ from the
 * supply loaded by both stages' last currents, then stage 0, the ramped interstage gain `drive`
 * and stage 1. */
GS_REALTIME void gs_tube_core_run_pair(gs_tube_core st[2], gs_tube_psu *psu, gs_ramp *drive,
                                       double *x, uint32_t n);
/* Four different cores at once (tube_lanes.c): x[l][i] = gs_tube_core_tick(c[l], x[l][i], bplus)
 * for each lane l, the four lanes' linearised samples interleaved in one loop. Bit for bit what
 * gs_tube_core_run(c[l], x[l], n, bplus) gives, counters included. */
GS_REALTIME void gs_tube_core_run4(gs_tube_core *const c[4], double *const x[4], uint32_t n,
                                   double bplus);
/* Four tube preamps at once (tube_lanes.c): for each lane l, what
 * gs_tube_core_run_pair(st[l], psu[l], drive[l], x[l], n) gives, bit for bit; st[l] points to
 * that channel's two stages. */
GS_REALTIME void gs_tube_core_run_pair4(gs_tube_core *const st[4], gs_tube_psu *const psu[4],
                                        gs_ramp *const drive[4], double *const x[4], uint32_t n);

/* B+ (V) of a tube-preamp model instance (the state a gs_model_vt create returned), for tests. */
double gs_tube_preamp_bplus(const void *self);
