/* The Kaiser window, for every windowed-sinc design of the library (the oversampling filters, the
 * converter's decimation-filter model, the meter's true-peak interpolator). One copy, so that a
 * change to its accuracy reaches all of them. Design-time only (not real-time: a power series). */
#ifndef GS_WINDOW_H
#define GS_WINDOW_H

/* Zeroth-order modified Bessel function of the first kind, by its power series (converges fast for
 * the Kaiser beta values used here, < 20). */
double gs_bessel_i0(double x);

/* Kaiser's beta for a stop-band attenuation of atten_db (Oppenheim & Schafer, Discrete-Time
 * Signal Processing, 3rd ed., eq. 7.62). */
double gs_kaiser_beta(double atten_db);

/* The Kaiser window at r, the offset from the centre as a fraction of the half-length:
 * I0(beta sqrt(1 - r^2)) / I0(beta) for |r| <= 1, 0 outside. */
double gs_kaiser_window(double beta, double r);

#endif
