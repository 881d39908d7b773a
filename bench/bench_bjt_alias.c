/* Where the bjt-stage's aliasing comes from (issue 19, target 2): the circuit solver alone, run
 * at 48 kHz x 16, 32 and 64 on a directly sampled sine (no oversampling filters), its output's
 * non-harmonic power in 0..24 kHz relative to the fundamental (one 1 s rectangular window of
 * whole cycles, 1 Hz bins, FFTW). If the figure follows the rate, it is the solver's own
 * aliasing; the power below 100 Hz shows whether the bias / coupling-capacitor transient is
 * still there after the settling time; the harmonics above 24 kHz are what a downsampler's stop
 * band has to remove.
 *
 *   bench_bjt_alias [--amp V] [--settle S] [--freq HZ]...   (defaults 1 V, 2 s, 5 and 9 kHz)
 */
#include "bjt.h"

#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double db(double p) { return 10.0 * log10(p + 1e-300); }

/* One run: f0 (Hz, a whole number), oversampling ratio N; prints one line. */
static int run(double f0, unsigned N, double amp, double settle) {
    const double fs = 48000.0 * N;
    size_t n = (size_t)fs, pre = (size_t)(settle * fs), nb = n / 2 + 1;
    double *x = fftw_malloc(sizeof(double) * n);
    fftw_complex *X = fftw_malloc(sizeof(fftw_complex) * nb);
    if (!x || !X) return 1;
    fftw_plan p = fftw_plan_dft_r2c_1d((int)n, x, X, FFTW_ESTIMATE);
    gs_bjt_core c;
    memset(&c, 0, sizeof c);
    gs_bjt_values v = GS_BJT_DEFAULTS;
    gs_bjt_core_design(&c, &v, 1.0 / fs);
    gs_bjt_core_reset(&c);
    for (size_t i = 0; i < pre; i++)
        (void)gs_bjt_core_tick(&c, amp * sin(2.0 * GS_PI * f0 * (double)i / fs));
    for (size_t i = 0; i < n; i++) x[i] = amp * sin(2.0 * GS_PI * f0 * (double)(i + pre) / fs);
    for (size_t i = 0; i < n; i += 4096)
        gs_bjt_core_run(&c, x + i, (uint32_t)(n - i < 4096 ? n - i : 4096));
    fftw_execute(p);
    size_t k0 = (size_t)f0;
    double p1 = 0.0, al = 0.0, low = 0.0, hi = 0.0;
    for (size_t k = 1; k < nb; k++) {
        double pw = X[k][0] * X[k][0] + X[k][1] * X[k][1];
        if (k == k0)
            p1 = pw;
        else if (k < 24000 && k % k0) {
            al += pw;
            if (k < 100) low += pw;
        } else if (k >= 24000 && k % k0 == 0)
            hi += pw;
    }
    double steps = (double)(n + pre);
    printf("%6.0f Hz %3ux (%7.1f kHz): alias %7.1f dB, below 100 Hz %7.1f dB, harmonics above "
           "24 kHz %6.1f dB, %.3f iterations/step, %.1f %% linearised\n",
           f0, N, fs / 1e3, db(al / p1), db(low / p1), db(hi / p1), (double)c.iterations / steps,
           100.0 * (double)c.linear_steps / steps);
    fftw_destroy_plan(p);
    fftw_free(x);
    fftw_free(X);
    return 0;
}

int main(int argc, char **argv) {
    double amp = 1.0, settle = 2.0, freqs[8];
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--amp") && i + 1 < argc)
            amp = atof(argv[++i]);
        else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
            settle = atof(argv[++i]);
        else if (!strcmp(argv[i], "--freq") && i + 1 < argc && nf < 8)
            freqs[nf++] = floor(atof(argv[++i]));
        else {
            fprintf(stderr, "usage: bench_bjt_alias [--amp V] [--settle S] [--freq HZ]...\n");
            return 2;
        }
    }
    if (!(amp > 0.0 && amp <= 1000.0) || !(settle >= 0.0 && settle <= 60.0)) {
        fprintf(stderr, "bench_bjt_alias: --amp must be in (0, 1000] V, --settle in [0, 60] s\n");
        return 2;
    }
    for (int k = 0; k < nf; k++)
        if (!(freqs[k] >= 1.0 && freqs[k] < 24000.0)) {
            fprintf(stderr, "bench_bjt_alias: --freq must be in [1, 24000) Hz\n");
            return 2;
        }
    if (nf == 0) {
        freqs[0] = 5000.0;
        freqs[1] = 9000.0;
        nf = 2;
    }
    printf("bjt solver alone, default circuit, %.3g V peak sine, settled %.1f s, 1 s window\n", amp,
           settle);
    for (int k = 0; k < nf; k++)
        for (unsigned N = 16; N <= 64; N *= 2)
            if (run(freqs[k], N, amp, settle)) return 1;
    return 0;
}
