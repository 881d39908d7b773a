/* Signal helpers for the tests: sine fitting (amplitude, phase, residual) by least squares. */
#ifndef GS_SIGUTIL_H
#define GS_SIGUTIL_H

#include <gainstage/gainstage.h>

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* Fit y[i] ~ a sin(w i) + b cos(w i) + c + d (i/n) over n samples (w in rad/sample); the DC and
 * ramp terms absorb the slow transient of coupling capacitors. Returns the amplitude, the phase
 * (radians, of a sine) and the RMS of what the fit leaves. Solved by the normal equations with
 * Gaussian elimination (4x4). */
static inline void fit_sine(const float *y, size_t n, double w, double *amp, double *phase,
                            double *resid_rms) {
    double A[4][5] = {{0}};
    for (size_t i = 0; i < n; i++) {
        double t = (double)i;
        double r[4] = {sin(w * t), cos(w * t), 1.0, t / (double)n};
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) A[a][b] += r[a] * r[b];
            A[a][4] += r[a] * y[i];
        }
    }
    for (int c = 0; c < 4; c++) {
        int p = c;
        for (int r = c + 1; r < 4; r++)
            if (fabs(A[r][c]) > fabs(A[p][c])) p = r;
        for (int k = 0; k < 5; k++) {
            double t = A[c][k];
            A[c][k] = A[p][k];
            A[p][k] = t;
        }
        for (int r = 0; r < 4; r++) {
            if (r == c) continue;
            double f = A[r][c] / A[c][c];
            for (int k = 0; k < 5; k++) A[r][k] -= f * A[c][k];
        }
    }
    double x[4];
    for (int c = 0; c < 4; c++) x[c] = A[c][4] / A[c][c];
    *amp = hypot(x[0], x[1]);
    *phase = atan2(x[1], x[0]);
    if (resid_rms) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i;
            double e = y[i] - (x[0] * sin(w * t) + x[1] * cos(w * t) + x[2] + x[3] * t / (double)n);
            s += e * e;
        }
        *resid_rms = sqrt(s / (double)n);
    }
}

static inline double wrap_pi(double a) {
    while (a > M_PI) a -= 2 * M_PI;
    while (a < -M_PI) a += 2 * M_PI;
    return a;
}

/* Gain (linear) and phase (radians, the channel's latency removed) of a channel at f Hz: reset,
 * then a sine of amplitude amp (volts) for settle_s seconds, so that the transients of coupling
 * capacitors die away, followed by a whole number of cycles (at least min_cycles, and 50 ms),
 * fitted by least squares. Processed in blocks of 512 (the channel must allow that). */
static inline void measure_sine_response(gs_channel *ch, double rate, double f, double amp,
                                         double settle_s, size_t min_cycles, double *gain,
                                         double *phase) {
    gs_channel_reset(ch);
    size_t settle = (size_t)(settle_s * rate);
    size_t cycles = (size_t)ceil(0.05 * f);
    if (cycles < min_cycles) cycles = min_cycles;
    size_t m = (size_t)floor((double)cycles * rate / f);
    size_t n = settle + m;
    float *buf = malloc(n * sizeof(float));
    double w = 2 * M_PI * f / rate;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(amp * sin(w * (double)i));
    for (size_t i = 0; i < n; i += 512) {
        uint32_t len = (uint32_t)(n - i < 512 ? n - i : 512);
        gs_channel_process(ch, buf + i, buf + i, len);
    }
    double a, ph;
    fit_sine(buf + settle, m, w, &a, &ph, NULL);
    *gain = a / amp;
    *phase = wrap_pi(ph - w * ((double)settle - (double)gs_channel_latency(ch)));
    free(buf);
}

/* Power of the component at f (Hz) of n samples holding a whole number of its periods (an exact
 * DFT bin, no window). */
static inline double tone_power(const float *x, size_t n, double f, double rate) {
    double re = 0.0, im = 0.0, w = 2.0 * M_PI * f / rate;
    for (size_t i = 0; i < n; i++) {
        re += x[i] * cos(w * (double)i);
        im += x[i] * sin(w * (double)i);
    }
    return 2.0 * (re * re + im * im) / ((double)n * (double)n);
}

/* Power of everything that is neither DC nor a harmonic of f0, relative to the fundamental (dB),
 * by Parseval: total - DC - harmonics. */
static inline double alias_db(const float *x, size_t n, double f0, double rate, double *h2_db,
                              double *h3_db) {
    double tot = 0.0, dc = 0.0;
    for (size_t i = 0; i < n; i++) {
        tot += (double)x[i] * x[i];
        dc += x[i];
    }
    tot /= (double)n;
    dc /= (double)n;
    double harm = 0.0, p1 = tone_power(x, n, f0, rate);
    for (int k = 1; k * f0 < rate / 2.0; k++) {
        double p = k == 1 ? p1 : tone_power(x, n, k * f0, rate);
        harm += p;
        if (k == 2 && h2_db) *h2_db = 10.0 * log10(p / p1);
        if (k == 3 && h3_db) *h3_db = 10.0 * log10(p / p1);
    }
    double a = tot - dc * dc - harm;
    return 10.0 * log10(fmax(a, 1e-30 * p1) / p1);
}

#endif
