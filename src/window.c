/* The Kaiser window (window.h). */
#include "window.h"

#include <math.h>

double gs_bessel_i0(double x) {
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    /* For x < 20 the terms fall below 1e-17 of the sum well before k = 60, so the bound never
     * decides the result. */
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

double gs_kaiser_beta(double atten_db) {
    double A = atten_db;
    if (A > 50.0) return 0.1102 * (A - 8.7);
    if (A >= 21.0) return 0.5842 * pow(A - 21.0, 0.4) + 0.07886 * (A - 21.0);
    return 0.0;
}

double gs_kaiser_window(double beta, double r) {
    if (!(fabs(r) <= 1.0)) return 0.0;
    return gs_bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / gs_bessel_i0(beta);
}
