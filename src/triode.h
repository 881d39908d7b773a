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

typedef struct gs_triode_params {
    const char *name;
    double mu, ex, kg1, kp, kvb; /* Koren's parameters */
    double rgi;                  /* Ohm, grid resistor in series with the grid diode */
    double ccg, cgp, ccp;        /* F */
    /* Derived constants for the hot path (1/MU, 1/KP, 2/KG1), so that the per-iteration
     * evaluation below needs no division by a parameter. */
    double inv_mu, inv_kp, two_kg1;
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

/* softplus(x) = ln(1 + exp(x)) and its derivative, the logistic function, without overflow:
 * for x > 0 it is x + ln(1 + exp(-x)). One exp and one log1p share the same exp. */
GS_REALTIME static inline double gs_softplus(double x, double *logistic) {
    double e = exp(-fabs(x));
    double r = 1.0 / (1.0 + e);
    *logistic = x > 0.0 ? r : e * r;
    return (x > 0.0 ? x : 0.0) + log1p(e); /* not fmax: a libm call without -ffast-math */
}

/* Plate current Ip(Vgk, Vpk) with its partial derivatives dIp/dVgk and dIp/dVpk (A/V). `emission`
 * scales the current (1 = new tube; below 1 for a worn cathode, see tube_stage.c). Never NaN or
 * Inf for finite inputs: the softplus is evaluated without overflow, E1 <= 0 (Vpk <= 0 or a grid
 * far below cut-off) gives exactly 0, and E1 below 1e-30 is treated as 0 (no subnormal pow). */
/* Inline (it runs once per Newton iteration per oversampled sample); divisions by parameters
 * are multiplications by the precomputed reciprocals, and 1/sqrt(KVB + Vpk^2) is formed once. */
GS_REALTIME static inline double gs_triode_ip(const gs_triode_params *t, double vgk, double vpk,
                                              double *dvgk, double *dvpk) {
    *dvgk = 0.0;
    *dvpk = 0.0;
    if (!(vpk > 0.0)) return 0.0; /* E1 has the sign of Vpk: no plate current */
    double is = 1.0 / sqrt(t->kvb + vpk * vpk);
    double sig;
    double L = gs_softplus(t->kp * (t->inv_mu + vgk * is), &sig);
    double e1 = vpk * L * t->inv_kp;
    if (!(e1 > 1e-30)) return 0.0;
    /* Ip = 2 E1^EX / KG1; dIp/dE1 = EX Ip / E1 */
    double ip = t->two_kg1 * exp(t->ex * log(e1));
    double dip = t->ex * ip / e1;
    double de1_dvgk = vpk * sig * is;
    double de1_dvpk = L * t->inv_kp - sig * vgk * vpk * vpk * (is * is * is);
    *dvgk = dip * de1_dvgk;
    *dvpk = dip * de1_dvpk;
    return ip;
}

/* Diode current Is (exp(v/Vt) - 1) and its derivative, with the exponential continued linearly
 * above v = GS_GRID_VLIN so that Newton steps never overflow (the grid series resistance keeps a
 * converged junction voltage far below that: 1000 V through 70 kOhm is 0.43 V). */
#define GS_GRID_VLIN 1.2
GS_REALTIME static inline double gs_grid_diode(double v, double *dv) {
    if (v < -1.0) { /* exp(-1 / Vt) = 1.6e-17: the reverse current is -Is to double precision */
        *dv = 0.0;
        return -GS_GRID_IS;
    }
    if (v > GS_GRID_VLIN) {
        double e = exp(GS_GRID_VLIN / GS_GRID_VT);
        double g = GS_GRID_IS / GS_GRID_VT * e;
        *dv = g;
        return GS_GRID_IS * (e - 1.0) + g * (v - GS_GRID_VLIN);
    }
    double e = exp(v / GS_GRID_VT);
    *dv = GS_GRID_IS / GS_GRID_VT * e;
    return GS_GRID_IS * (e - 1.0);
}

#endif
