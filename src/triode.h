/* Koren's triode model and the grid-current diode, as used by the tube stages.
 *
 * Plate current (N. Koren, "Improved vacuum-tube models for SPICE simulations", Glass Audio 8(5),
 * 1996; his published SPICE subcircuit TRIODE):
 *     E1 = (Vpk / KP) ln(1 + exp(KP (1/MU + Vgk / sqrt(KVB + Vpk^2))))
 *     Ip = (PWR(E1,EX) + PWRS(E1,EX)) / KG1 = 2 E1^EX / KG1 for E1 > 0, else 0     (A, V)
 * Grid current: RGI (2 kOhm) from the grid in series with a diode to the cathode (Shockley, IS =
 * 1 nA, n = 1, RS = 1 Ohm; Koren's DX diode without its junction capacitance and transit time).
 * Interelectrode capacitances CCG (grid-cathode), CGP (grid-plate), CCP (plate-cathode).
 */
#ifndef GS_TRIODE_H
#define GS_TRIODE_H

#include "internal.h"

#include <string.h>

/* x, kept out of multiply-add contraction: under -ffp-contract=fast GCC fuses, of a*b + c*d, the
 * product it meets first in its IL, which depends on the surrounding code. Marking the unfused
 * product fixes the choice, so that the tube solver's one-core and four-lane versions
 * (tube_tick.h, tube_lanes.c) round alike (__builtin_assoc_barrier: GCC 12; no code). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define GS_UNFUSED(x) __builtin_assoc_barrier(x)
#else
#define GS_UNFUSED(x) (x)
#endif

struct gs_vp_seg;
struct gs_sx_seg;

typedef struct gs_triode_params {
    const char *name;
    double mu, ex, kg1, kp, kvb; /* Koren's parameters */
    double rgi;                  /* Ohm, grid resistor in series with the grid diode */
    double ccg, cgp, ccp;        /* F */
    /* Derived constants for the hot path (1/MU, ln KP, 2/KG1), so that the per-iteration
     * evaluation below needs no division by a parameter. */
    double inv_mu, ln_kp, two_kg1;
    double sx_c1, sx_c0;            /* KP GS_LAM_INV_H and (KP / MU - GS_LAM_LO) GS_LAM_INV_H */
    double r_grid;                  /* RGI + GS_GRID_RS (Ohm) */
    double grid_x0;                 /* r_grid Is / Vt + ln(r_grid Is / Vt), see gs_grid_current */
    const struct gs_vp_seg *vp_tab; /* this tube's functions of Vpk (see gs_triode_ip) */
    const struct gs_sx_seg *sx_tab; /* and of x */
} gs_triode_params;

/* Tube types, in the order of the `tube` choice parameter. */
typedef enum { GS_TUBE_12AX7 = 0, GS_TUBE_12AT7, GS_TUBE_12AU7, GS_TUBE_COUNT } gs_tube_type;

/* Choice names ("12AX7", "12AT7", "12AU7"), NULL-terminated; and the European aliases. */
extern const char *const gs_tube_names[];
const gs_triode_params *gs_triode_get(gs_tube_type type);
/* Look a tube up by name, accepting the aliases ECC83 = 12AX7, ECC81 = 12AT7, ECC82 = 12AU7
 * (case-insensitive). NULL if unknown. */
const gs_triode_params *gs_triode_find(const char *name);

/* Grid diode (Shockley): IS (A), thermal voltage n k T / q at ngspice's nominal 27 C (V), series
 * resistance (Ohm, added to RGI). */
#define GS_GRID_IS 1e-9
#define GS_GRID_VT 0.025864186
#define GS_GRID_RS 1.0

/* Lambda(x) = ln(softplus(x)) = ln(ln(1 + exp(x))), the one transcendental function of x in Koren's
 * equation: ln E1 = ln Vpk - ln KP + Lambda(x), so Ip = 2/KG1 exp(EX ln E1) costs one log (of
 * Vpk, independent of x) and one exp instead of the chain exp -> log1p -> log -> exp of the direct
 * form. It serves gs_triode_ip_direct, the reference and fallback of the solver's tables
 * (gs_triode_ip below), whose segments over x are Lambda's. Lambda is smooth, so it is tabulated
 * once (at the first gs_triode_get/find) as degree-8 polynomials on 160 segments of width 0.5 over
 * [-40, 40], from Chebyshev interpolation of the exact function: |error| < 1e-13 (the rounding of
 * x itself there), relative error of Lambda' < 1e-10 (tests/test_tube.c checks both). Outside,
 * the asymptotes are exact to double precision: Lambda = x below -40 (the next term, -exp(x)/2,
 * is below 2e-18), Lambda = ln x above 40. */
#define GS_LAM_LO (-40.0)
#define GS_LAM_HI 40.0
#define GS_LAM_INV_H 2.0 /* segments per unit of x */
#define GS_LAM_NSEG 160
#define GS_LAM_DEG 8
typedef struct gs_lam_seg {
    double c[GS_LAM_DEG + 1]; /* Lambda(mid + t / 4) = sum c_i t^i, t in [-1, 1] */
    double d[GS_LAM_DEG];     /* d Lambda / dt = sum d_i t^i (so Lambda' = 4 sum d_i t^i) */
} gs_lam_seg;
extern gs_lam_seg gs_lam_table[GS_LAM_NSEG];

/* Lambda(x) and its derivative; any finite or infinite x, NaN gives NaN. */
GS_REALTIME static inline double gs_lambda(double x, double *dlam) {
    double u = (x - GS_LAM_LO) * GS_LAM_INV_H;
    if (!(u >= 0.0)) { /* below the table, or NaN */
        *dlam = 1.0;
        return x;
    }
    if (!(u < (double)GS_LAM_NSEG)) {
        *dlam = 1.0 / x;
        return log(x);
    }
    int k = (int)u;
    const gs_lam_seg *s = &gs_lam_table[k];
    double t = 2.0 * (u - (double)k) - 1.0;
    /* Estrin's scheme: a short dependency chain (this sits on the solver's critical path) */
    double t2 = t * t, t4 = t2 * t2;
    const double *c = s->c, *d = s->d;
    double v = ((c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)) +
               t4 * (((c[4] + c[5] * t) + t2 * (c[6] + c[7] * t)) + t4 * c[8]);
    double dv = ((d[0] + d[1] * t) + t2 * (d[2] + d[3] * t)) +
                t4 * ((d[4] + d[5] * t) + t2 * (d[6] + d[7] * t));
    *dlam = dv * (2.0 * GS_LAM_INV_H);
    return v;
}

/* E1 below this is treated as 0 (ln 1e-30): no subnormal currents. */
#define GS_LN_E1_MIN (-69.07755278982137)

/* Plate current Ip(Vgk, Vpk) with its partial derivatives dIp/dVgk and dIp/dVpk (A/V), straight
 * from the equation (the reference for gs_triode_ip's tables, and its fallback outside them).
 * `emission` scaling is the caller's (see tube_stage.c). Never NaN or Inf for finite inputs:
 * Vpk <= 0 gives exactly 0 (E1 has the sign of Vpk), and E1 below 1e-30 (a grid far below
 * cut-off) is 0.
 * With x = KP (1/MU + Vgk q), q = 1/sqrt(KVB + Vpk^2):
 *     Ip = 2/KG1 E1^EX,  ln E1 = ln Vpk - ln KP + Lambda(x)
 *     dIp/dx = EX Ip Lambda'(x),  dIp/dVgk = dIp/dx KP q,
 *     dIp/dVpk = EX Ip / Vpk - dIp/dx KP Vgk Vpk q^3.
 * Inline: it runs once per Newton iteration per oversampled sample. */
/* Out of line: a rare fallback, kept out of the solver's hot loop. */
GS_REALTIME __attribute__((noinline)) static double
gs_triode_ip_direct(const gs_triode_params *t, double vgk, double vpk, double *dvgk, double *dvpk) {
    *dvgk = 0.0;
    *dvpk = 0.0;
    if (!(vpk > 0.0)) return 0.0;
    double q = 1.0 / sqrt(t->kvb + vpk * vpk);
    double lvp = log(vpk); /* independent of the chain through x: overlaps it */
    double dlam;
    double lam = gs_lambda(t->kp * (t->inv_mu + vgk * q), &dlam);
    double le1 = (lvp - t->ln_kp) + lam;
    if (!(le1 > GS_LN_E1_MIN)) return 0.0;
    double ip = t->two_kg1 * exp(t->ex * le1);
    double dix = t->ex * ip * dlam;
    *dvgk = dix * t->kp * q;
    *dvpk = t->ex * ip / vpk - dix * t->kp * vgk * vpk * (q * q * q);
    return ip;
}

/* The same plate current from two tables per tube, which take the transcendental functions off
 * the solver's critical path (a sqrt, a division, a log and an exp per Newton iteration before).
 * Koren's equation separates as
 *     Ip = A(Vpk) S(x),  x = KP (1/MU + Vgk q(Vpk)),
 *     A = 2/KG1 (Vpk/KP)^EX,  q = 1/sqrt(KVB + Vpk^2),  S = softplus(x)^EX,
 *     dIp/dVgk = A S'(x) KP q,  dIp/dVpk = A' S + A S'(x) KP Vgk q'.
 * A, q and their derivatives are tabulated over Vpk in [1/16, 2048) V on 8 segments per octave
 * (the segment is read from the exponent and the top three mantissa bits of Vpk, so Vpk^EX is
 * equally well resolved at 0.1 V and at 1 kV); S and S' over x in [-40, 40] on the segments of
 * Lambda. All are degree-6 (derivatives 5) Chebyshev interpolants, 3 multiply-adds deep by
 * Estrin's scheme: relative error below 5e-9 (Ip) and 4e-7 (slopes), tests/test_tube.c compares
 * them with gs_triode_ip_direct over the whole plane. That is far below anything the output can
 * show (every ESR against ngspice is the same in its three printed digits as with degree 8 and
 * 3e-12), and degree 8 cost 8 more cycles of latency per Newton iteration. Below x = -40,
 * S < 1e-24 and Ip (below 1e-27 A) is 0; outside both ranges this falls back to the
 * direct form. */
#define GS_VP_OCT_LO (-4) /* the table starts at 2^-4 V */
#define GS_VP_NOCT 15     /* and ends at 2^11 V */
#define GS_VP_NSEG (GS_VP_NOCT * 8)
#define GS_TAB_DEG 6
typedef struct gs_vp_seg {
    double scale; /* dt/dVpk of the position t in [-1, 1) in the segment (gs_vp_index) */
    double q[GS_TAB_DEG + 1], a[GS_TAB_DEG + 1];
    double dq[GS_TAB_DEG], da[GS_TAB_DEG]; /* d/dVpk, in t */
} gs_vp_seg;
typedef struct gs_sx_seg {
    double s[GS_TAB_DEG + 1], ds[GS_TAB_DEG]; /* S and dS/dx, in t as for Lambda */
} gs_sx_seg;

/* Estrin's scheme for degrees 6 and 5 (short dependency chains: 3 multiply-adds deep). */
GS_REALTIME static inline double gs_poly6(const double *c, double t, double t2, double t4) {
    return ((c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)) + t4 * ((c[4] + c[5] * t) + t2 * c[6]);
}
GS_REALTIME static inline double gs_poly5(const double *c, double t, double t2, double t4) {
    return ((c[0] + c[1] * t) + t2 * (c[2] + c[3] * t)) + t4 * (c[4] + c[5] * t);
}

/* The Vpk segment of a positive Vpk, or -1 outside the table; and the position t in [-1, 1) in
 * that segment, straight from the mantissa bits below the top three (exponent set to 0: y in
 * [1, 1.125), t = 16 y - 17), so t does not wait for the segment's load. */
GS_REALTIME static inline int gs_vp_index(double vpk, double *t) {
    uint64_t b;
    memcpy(&b, &vpk, sizeof b);
    uint64_t yb = (b & 0x0001FFFFFFFFFFFFull) | 0x3FF0000000000000ull;
    double y;
    memcpy(&y, &yb, sizeof y);
    *t = 16.0 * y - 17.0;
    long k = (long)(b >> 49) - (long)((1023 + GS_VP_OCT_LO) * 8);
    return (k >= 0 && k < GS_VP_NSEG) ? (int)k : -1;
}

/* emission: the plate-current scale of this tube (1 new; see tube_stage.c), applied to A off
 * the dependency chain. */
GS_REALTIME static GS_FORCE_INLINE double gs_triode_ip_scaled(const gs_triode_params *t,
                                                              double emission, double vgk,
                                                              double vpk, double *dvgk,
                                                              double *dvpk) {
    *dvgk = 0.0;
    *dvpk = 0.0;
    if (!(vpk > 0.0)) return 0.0;
    double tv;
    int kv = gs_vp_index(vpk, &tv);
    if (kv < 0) {
        double ip = emission * gs_triode_ip_direct(t, vgk, vpk, dvgk, dvpk);
        *dvgk *= emission;
        *dvpk *= emission;
        return ip;
    }
    const gs_vp_seg *g = &t->vp_tab[kv];
    double tv2 = tv * tv, tv4 = tv2 * tv2;
    double q = gs_poly6(g->q, tv, tv2, tv4);
    /* u = (x - GS_LAM_LO) GS_LAM_INV_H with x = KP (1/MU + Vgk q), as one multiply-add on q */
    double u = (vgk * t->sx_c1) * q + t->sx_c0;
    if (!(u >= 0.0)) return 0.0; /* far below cut-off (or NaN: the solver's guard sees v) */
    if (!(u < (double)GS_LAM_NSEG)) {
        double ip = emission * gs_triode_ip_direct(t, vgk, vpk, dvgk, dvpk);
        *dvgk *= emission;
        *dvpk *= emission;
        return ip;
    }
    double a = emission * gs_poly6(g->a, tv, tv2, tv4);
    double dq = gs_poly5(g->dq, tv, tv2, tv4) * g->scale;
    double da = emission * gs_poly5(g->da, tv, tv2, tv4) * g->scale;
    int k = (int)u;
    const gs_sx_seg *sg = &t->sx_tab[k];
    double ts = 2.0 * (u - (double)k) - 1.0, ts2 = ts * ts, ts4 = ts2 * ts2;
    double sv = gs_poly6(sg->s, ts, ts2, ts4);
    double ds = gs_poly5(sg->ds, ts, ts2, ts4) * (2.0 * GS_LAM_INV_H);
    double ip = a * sv, ads = a * ds * t->kp;
    *dvgk = ads * q;
    *dvpk = da * sv + GS_UNFUSED(ads * vgk * dq);
    return ip;
}

GS_REALTIME static GS_FORCE_INLINE double gs_triode_ip(const gs_triode_params *t, double vgk,
                                                       double vpk, double *dvgk, double *dvpk) {
    return gs_triode_ip_scaled(t, 1.0, vgk, vpk, dvgk, dvpk);
}

/* The grid current path as one element from grid to cathode: RGI + RS (r, Ohm) in series with
 * the Shockley diode. Its current solves Vgk = r I + Vt ln(1 + I / Is), which is the Wright omega
 * function: with u = r (I + Is) / Vt,  u + ln u = x = (Vgk + r Is) / Vt + ln(r Is / Vt),  u =
 * omega(x). Solving it here (instead of giving the solver the internal diode node as a third
 * port) keeps the circuit's Newton iteration two-dimensional; the element's slope is bounded by
 * 1/r and its current grows only linearly at any voltage, so a Newton step on Vgk can neither
 * overflow nor overshoot the way a bare exponential does.
 * omega by Newton's method on t = ln u (e^t + t = x, convex, derivative above 1): from t = x for
 * x < 1 and t = ln x above, to 1e-13 in at most 8 steps (3 to 5 in practice). Below x = -36
 * (Vgk < -0.69 V for the 12AX7's 2 kOhm) u < 2.4e-16: the current is -Is to double precision. */
#define GS_GRID_X_OFF (-36.0)
/* omega(x) (u + ln u = x) by Newton's method, for x above the table. Returns u. */
GS_REALTIME __attribute__((noinline)) static double gs_omega_newton(double x) {
    double t = x < 1.0 ? x : log(x);
    double u = exp(t);
    for (int k = 0; k < 8; k++) {
        double dt = (u + t - x) / (u + 1.0);
        t -= dt;
        u = exp(t);
        if (fabs(dt) < 1e-13 * (1.0 + fabs(t))) break;
    }
    return u;
}

/* omega and d omega / dx = omega / (1 + omega) are tabulated over the conducting range
 * [GS_GRID_X_OFF, GS_OMEGA_HI] (Vgk up to about 1.28 V for the 12AX7's 2 kOhm, which the grid
 * stopper rarely lets the grid pass) on segments of width 0.5, degree 6 (relative error below
 * 1e-10; checked through the element's residual in tests/test_tube.c): no exp, log or division
 * on the solver's path while the grid conducts. Above, Newton's method. */
#define GS_OMEGA_HI 40.0
#define GS_OMEGA_NSEG 152 /* (GS_OMEGA_HI - GS_GRID_X_OFF) * 2 */
typedef struct gs_omega_seg {
    double w[GS_TAB_DEG + 1], dw[GS_TAB_DEG]; /* in t, as for Lambda */
} gs_omega_seg;
extern gs_omega_seg gs_omega_table[GS_OMEGA_NSEG];

/* The conducting grid element: the table, or Newton's method above it. Out of line: inlined, it
 * slowed the solver's common (cut-off) case by 15 %, measured with bench_channel. */
GS_REALTIME __attribute__((noinline)) static double gs_grid_conducting(const gs_triode_params *tp,
                                                                       double x, double *dig) {
    const double r = tp->r_grid;
    double h = (x - GS_GRID_X_OFF) * 2.0;
    if (h < (double)GS_OMEGA_NSEG) {
        int k = (int)h;
        const gs_omega_seg *g = &gs_omega_table[k];
        double t = 2.0 * (h - (double)k) - 1.0, t2 = t * t, t4 = t2 * t2;
        double u = gs_poly6(g->w, t, t2, t4);
        /* dI/dVgk = (Vt / r) (d omega / dx) / Vt, and dt/dx = 4 */
        *dig = gs_poly5(g->dw, t, t2, t4) * 4.0 / r;
        return GS_GRID_VT / r * u - GS_GRID_IS;
    }
    double u = gs_omega_newton(x);
    *dig = u / (r * (1.0 + u));
    return GS_GRID_VT / r * u - GS_GRID_IS;
}

/* The cut-off test inline (the solver's usual case). */
GS_REALTIME static GS_FORCE_INLINE double gs_grid_current(const gs_triode_params *tp, double vgk,
                                                          double *dig) {
    double x = vgk * (1.0 / GS_GRID_VT) + tp->grid_x0;
    if (!(x > GS_GRID_X_OFF)) { /* off (or NaN: the caller's NaN guard sees the voltage) */
        *dig = 0.0;
        return -GS_GRID_IS;
    }
    return gs_grid_conducting(tp, x, dig);
}

/* Second partial derivatives of Koren's plate current (A/V^2): h[0] = d2Ip/dVgk2,
 * h[1] = d2Ip/dVgk dVpk, h[2] = d2Ip/dVpk2, from the equation (not the tables), unscaled by
 * emission. Ip = A(Vpk) S(x) as for gs_triode_ip_scaled, so that
 *     Ip_gg = A S'' x_g^2,  Ip_gp = A' S' x_g + A (S'' x_g x_p + S' x_gp),
 *     Ip_pp = A'' S + 2 A' S' x_p + A (S'' x_p^2 + S' x_pp),
 * with x_g = KP q, x_p = KP Vgk q', x_gp = KP q', x_pp = KP Vgk q'', q' = -Vpk q^3,
 * q'' = 3 Vpk^2 q^5 - q^3. Zero where the tables give Ip = 0 (Vpk <= 0, x below GS_LAM_LO).
 * For the tube solver's linearised samples (tube_tick.h); not on any per-sample path. */
void gs_triode_ip_hessian(const gs_triode_params *t, double vgk, double vpk, double h[3]);

#endif
