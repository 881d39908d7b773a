/* Spectral measurements for the noise, converter and meter tests (FFTW, rectangular window:
 * Parseval makes band powers exact for any signal). */
#ifndef GS_SPECTRUM_H
#define GS_SPECTRUM_H

#include <fftw3.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* Mean-square power of x (n samples at rate Hz) in the band f1..f2 Hz (inclusive bins), from the
 * one-sided spectrum: (2 / n^2) sum |X_k|^2. */
static inline double band_power(const float *x, size_t n, double rate, double f1, double f2) {
    double *in = fftw_malloc(sizeof(double) * n);
    fftw_complex *out = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan p = fftw_plan_dft_r2c_1d((int)n, in, out, FFTW_ESTIMATE);
    for (size_t i = 0; i < n; i++) in[i] = x[i];
    fftw_execute(p);
    double s = 0.0;
    for (size_t k = 1; k < n / 2; k++) {
        double f = (double)k * rate / (double)n;
        if (f >= f1 && f <= f2) s += out[k][0] * out[k][0] + out[k][1] * out[k][1];
    }
    fftw_destroy_plan(p);
    fftw_free(in);
    fftw_free(out);
    return 2.0 * s / ((double)n * (double)n);
}

/* Power (mean square) of the component at bin k of x (n samples), by the Goertzel recursion. */
static inline double bin_power(const float *x, size_t n, size_t k) {
    double w = 2.0 * M_PI * (double)k / (double)n, c = 2.0 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double re = s1 - s2 * cos(w), im = s2 * sin(w);
    return 2.0 * (re * re + im * im) / ((double)n * (double)n);
}

static inline double db10(double p) { return 10.0 * log10(p); }
static inline double dbu_of_ms(double ms) { return 10.0 * log10(ms / 0.6); }

#endif
