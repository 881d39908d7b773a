/* opamp_theory: check an op-amp-stage reference against the analytic response.
 *
 *   opamp_theory REF.wav [--gain 20] [--gbw 1e6] [--cin 47e-6] [--rin 1e4]
 *                [--a0 1e5] [--sine F] [--skip SECONDS] [--out THEORY.wav]
 *
 * H(s) = [s Rin Cin / (1 + s Rin Cin)] * A(s) / (1 + A(s)/G),
 * A(s) = A0 / (1 + s/wp), wp = 2 pi gbw / A0, G = 10^(gain/20).
 *
 * Applies H to channel 1 (the input samples, as their band-limited
 * reconstruction) by FFT with enough zero padding for the slow input
 * high-pass, and prints ESR(ref channel 2 vs theory).  With --sine F it also
 * least-squares fits a*sin + b*cos + c*exp(-t/(Rin Cin)) at F Hz to both
 * channels from --skip seconds to 10 ms before the end and compares the output/input gain and phase
 * with |H(j2piF)| and arg H(j2piF).  Needs libfftw3.
 */
#define _POSIX_C_SOURCE 200809L

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>
#include <sndfile.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static double gain_db = 20.0, gbw = 1e6, cin = 47e-6, rin = 1e4, a0 = 1e5;

static double complex H(double f) {
    double complex s = I * 2.0 * M_PI * f;
    double tau = rin * cin, wp = 2.0 * M_PI * gbw / a0, g = pow(10.0, gain_db / 20.0);
    double complex hp = s * tau / (1.0 + s * tau);
    double complex a = a0 / (1.0 + s / wp);
    return hp * a / (1.0 + a / g);
}

static void fail(const char *m) {
    fprintf(stderr, "opamp_theory: %s\n", m);
    exit(1);
}

/* fit v[n], n in [n0, n), to a sin(wt) + b cos(wt) + c exp(-t/tau) */
static void fit(const double *v, long n0, long n, double fs, double f, double tau, double *amp,
                double *ph) {
    double A[3][3] = {{0}}, r[3] = {0};
    for (long i = n0; i < n; i++) {
        double t = (double)i / fs;
        double b[3] = {sin(2 * M_PI * f * t), cos(2 * M_PI * f * t), exp(-t / tau)};
        for (int j = 0; j < 3; j++) {
            r[j] += b[j] * v[i];
            for (int k = 0; k < 3; k++) A[j][k] += b[j] * b[k];
        }
    }
    /* Gaussian elimination (3x3, well conditioned) */
    for (int p = 0; p < 3; p++)
        for (int q = p + 1; q < 3; q++) {
            double m = A[q][p] / A[p][p];
            for (int k = p; k < 3; k++) A[q][k] -= m * A[p][k];
            r[q] -= m * r[p];
        }
    double x[3];
    for (int p = 2; p >= 0; p--) {
        double s = r[p];
        for (int k = p + 1; k < 3; k++) s -= A[p][k] * x[k];
        x[p] = s / A[p][p];
    }
    /* a sin + b cos = amp sin(wt + ph) */
    *amp = hypot(x[0], x[1]);
    *ph = atan2(x[1], x[0]);
}

int main(int argc, char **argv) {
    if (argc < 2) fail("usage: opamp_theory REF.wav [--gain dB] [--gbw Hz] [--cin F] [--rin Ohm] "
                       "[--a0 A] [--sine F] [--skip s] [--out THEORY.wav]");
    const char *ref = argv[1], *out = NULL;
    double fsine = 0.0, skip = 0.05;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) fail("option needs a value");
        const char *o = argv[i], *v = argv[++i];
        if (!strcmp(o, "--gain")) gain_db = atof(v);
        else if (!strcmp(o, "--gbw")) gbw = atof(v);
        else if (!strcmp(o, "--cin")) cin = atof(v);
        else if (!strcmp(o, "--rin")) rin = atof(v);
        else if (!strcmp(o, "--a0")) a0 = atof(v);
        else if (!strcmp(o, "--sine")) fsine = atof(v);
        else if (!strcmp(o, "--skip")) skip = atof(v);
        else if (!strcmp(o, "--out")) out = v;
        else fail("unknown option");
    }
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(ref, SFM_READ, &si);
    if (!sf || si.channels != 2) fail("cannot open stereo reference");
    long n = (long)si.frames;
    double fs = si.samplerate;
    double *buf = malloc(sizeof(double) * 2 * (size_t)n);
    double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
    if (!buf || !x || !y) fail("out of memory");
    if (sf_readf_double(sf, buf, n) != n) fail("short read");
    sf_close(sf);
    for (long i = 0; i < n; i++) {
        x[i] = buf[2 * i];
        y[i] = buf[2 * i + 1];
    }

    /* zero padding: the high-pass tail must decay below 1e-9 before it wraps */
    double tau = rin * cin;
    long need = n + (long)ceil(21.0 * tau * fs);
    long N = 1;
    while (N < need) N *= 2;
    double *xt = fftw_malloc(sizeof(double) * (size_t)N);
    fftw_complex *X = fftw_malloc(sizeof(fftw_complex) * (size_t)(N / 2 + 1));
    if (!xt || !X) fail("out of memory");
    fftw_plan pf = fftw_plan_dft_r2c_1d((int)N, xt, X, FFTW_ESTIMATE);
    fftw_plan pb = fftw_plan_dft_c2r_1d((int)N, X, xt, FFTW_ESTIMATE);
    memset(xt, 0, sizeof(double) * (size_t)N);
    memcpy(xt, x, sizeof(double) * (size_t)n);
    fftw_execute(pf);
    for (long k = 0; k <= N / 2; k++) {
        double complex h = H((double)k * fs / (double)N);
        if (k == N / 2) h = creal(h);
        X[k] *= h / (double)N;
    }
    fftw_execute(pb);
    double num = 0, den = 0, num2 = 0, den2 = 0;
    long n0 = (long)(skip * fs);
    for (long i = 0; i < n; i++) {
        double d = y[i] - xt[i];
        num += d * d;
        den += xt[i] * xt[i];
        if (i >= n0) {
            num2 += d * d;
            den2 += xt[i] * xt[i];
        }
    }
    printf("%s: ESR(ref vs analytic H) = %.3e (all %ld samples)", ref, num / den, n);
    if (den2 > 0.0) printf(", %.3e (after %.3g s)", num2 / den2, skip);
    printf("\n");

    if (fsine > 0) {
        double ai, pi_, ao, po;
        /* stop 10 ms before the end: mksignals fades the last 2 ms out */
        long n1 = n - (long)(0.01 * fs);
        fit(x, n0, n1, fs, fsine, tau, &ai, &pi_);
        fit(y, n0, n1, fs, fsine, tau, &ao, &po);
        double complex h = H(fsine);
        double g = ao / ai, ph = po - pi_;
        while (ph > M_PI) ph -= 2 * M_PI;
        while (ph < -M_PI) ph += 2 * M_PI;
        printf("  sine %.6g Hz: ref gain %.9f, |H| %.9f, rel err %.2e; ref phase %.9f rad, arg H "
               "%.9f rad, diff %.2e rad\n",
               fsine, g, cabs(h), g / cabs(h) - 1.0, ph, carg(h), ph - carg(h));
    }
    if (out) {
        memset(&si, 0, sizeof si);
        si.samplerate = (int)fs;
        si.channels = 2;
        si.format = SF_FORMAT_WAV | SF_FORMAT_DOUBLE;
        SNDFILE *so = sf_open(out, SFM_WRITE, &si);
        if (!so) fail("cannot write output");
        sf_command(so, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
        for (long i = 0; i < n; i++) {
            buf[2 * i] = x[i];
            buf[2 * i + 1] = xt[i];
        }
        sf_writef_double(so, buf, n);
        sf_close(so);
    }
    fftw_destroy_plan(pf);
    fftw_destroy_plan(pb);
    fftw_free(xt);
    fftw_free(X);
    free(buf);
    free(x);
    free(y);
    return 0;
}
