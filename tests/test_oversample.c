/* The oversampler: whole-sample latency, unity gain, flat passband, images rejected. */
#include "check.h"
#include "oversample.h"
#include "sigutil.h"
#include "tube_stage.h"

#include <stdlib.h>
#include <string.h>

/* Amplitude of the component at w (rad/sample) by a Blackman-Harris windowed DFT: its sidelobes
 * are 92 dB down, so a strong tone nearby does not mask a weak one (a plain fit leaks at -67 dB).
 */
static double tone_amp(const float *x, size_t n, double w) {
    double re = 0, im = 0, wsum = 0;
    for (size_t i = 0; i < n; i++) {
        double t = 2 * M_PI * (double)i / (double)(n - 1);
        double win = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
        re += win * x[i] * cos(w * (double)i);
        im += win * x[i] * sin(w * (double)i);
        wsum += win;
    }
    return 2 * hypot(re, im) / wsum;
}

/* stop: the last down stage's stop edge (gs_os_init_stop), 0 for the half-bands' own (gs_os_init)
 */
static void chain(double rate, unsigned factor, double pass, double stop, double atten) {
    gs_oversampler os;
    if (stop > 0.0)
        CHECK(gs_os_init_stop(&os, rate, factor, 4096, pass, stop, atten) == GS_OK, "init");
    else
        CHECK(gs_os_init(&os, rate, factor, 4096, pass, atten) == GS_OK, "init");
    /* Impulse: peak at the reported latency. */
    float buf[4096] = {0};
    buf[0] = 1.0f;
    double *hi = gs_os_up(&os, buf, 4096);
    gs_os_down(&os, hi, buf, 4096);
    size_t arg = 0;
    for (size_t i = 1; i < 4096; i++)
        if (fabs(buf[i]) > fabs(buf[arg])) arg = i;
    CHECK(arg == os.latency, "x%u at %g: impulse at %zu, latency %u", factor, rate, arg,
          os.latency);
    /* Sines through up and down: gain within the ripple to the passband edge. */
    double worst = 0;
    for (double f = 100; f <= pass; f *= 1.5) {
        gs_os_reset(&os);
        size_t n = 16384;
        float *x = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * f * (double)i / rate);
        for (size_t i = 0; i < n; i += 4096) {
            double *h = gs_os_up(&os, x + i, 4096);
            gs_os_down(&os, h, x + i, 4096);
        }
        double a, ph;
        fit_sine(x + 8192, 8192, 2 * M_PI * f / rate, &a, &ph, NULL);
        worst = fmax(worst, fabs(20 * log10(a)));
        if (getenv("VERBOSE")) printf("  %g Hz: %.6f dB\n", f, 20 * log10(a));
        free(x);
    }
    /* Each of the 2 x stages filters may add its ripple. Kaiser's order formula meets the asked
     * attenuation only to within a dB or two (measured: a 75 dB half-band's stop band peaks at
     * 73.9 dB, a 120 dB cascade's passband error is 1.3 times the nominal bound at 44.1 kHz), so
     * the bounds below allow 3 dB. */
    const double tol_db = 3.0;
    double ripple_db = 2.0 * os.nstages * 20 * log10(1 + pow(10, -(atten - tol_db) / 20));
    printf("x%u at %g Hz: latency %u, passband error %.5f dB (design bound %.5f)\n", factor, rate,
           os.latency, worst, ripple_db);
    CHECK(worst <= ripple_db + 1e-6, "passband error %.5f dB", worst);
    /* Image rejection of the first stage: a tone at the passband edge, up-sampled; the image at
     * rate - f must be atten dB down. */
    if (factor >= 2) {
        gs_os_reset(&os);
        size_t n = 4096;
        float *x = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) x[i] = (float)sin(2 * M_PI * pass * (double)i / rate);
        double *h = gs_os_up(&os, x, (uint32_t)n);
        size_t m = n * factor / 2;
        float *hf = malloc(m * sizeof(float));
        for (size_t i = 0; i < m; i++) hf[i] = (float)h[n * factor / 2 + i];
        double a_sig = tone_amp(hf, m, 2 * M_PI * pass / (rate * factor));
        double a_img = tone_amp(hf, m, 2 * M_PI * (rate - pass) / (rate * factor));
        double rej = 20 * log10(a_img / a_sig);
        printf("  image of %g Hz at %g Hz: %.1f dB\n", pass, rate - pass, rej);
        CHECK(rej < -atten + tol_db, "image at %g Hz only %.1f dB down", rate - pass, rej);
        free(x);
        free(hf);
        /* What a model's output above the base Nyquist frequency folds to: a unit tone just past
         * the stop edge, put into the up path's buffer, down-sampled; its alias at rate - f must
         * be atten dB down. */
        gs_os_reset(&os);
        double ff = (stop > 0.0 ? stop : rate - pass) + 0.005 * rate, wf = 2 * M_PI * ff / rate;
        n = 16384;
        float *y = malloc(n * sizeof(float)), zero[4096] = {0};
        for (size_t i = 0; i < n; i += 4096) {
            double *hb = gs_os_up(&os, zero, 4096);
            for (size_t t = 0; t < 4096 * (size_t)factor; t++)
                hb[t] = sin(wf * ((double)(i * factor + t) / factor));
            gs_os_down(&os, hb, y + i, 4096);
        }
        double fold = 20 * log10(tone_amp(y + 8192, 8192, 2 * M_PI * (rate - ff) / rate) + 1e-30);
        printf("  %g Hz from the top rate folds to %g Hz at %.1f dB\n", ff, rate - ff, fold);
        CHECK(fold < -atten + tol_db, "%g Hz folds to %g Hz at only %.1f dB", ff, rate - ff, fold);
        free(y);
    }
    gs_os_free(&os);
}

/* The low-delay pairs: the response of up and down together against a pure delay to 20 kHz, the
 * down filter's attenuation from the stop edge, and the largest gain of either filter at any
 * frequency (an unconstrained transition band can peak far above 0 dB: an input near Nyquist
 * would then be amplified into the model). */
static void lowdelay(double rate, unsigned factor, unsigned latency, const gs_lowdelay_spec *spec,
                     const char *name, double err_max, double atten_min, double peak_max_db) {
    gs_oversampler os;
    gs_status st =
        gs_os_init_lowdelay(&os, rate, factor, 256, 0.4167 * rate, 0.5208 * rate, latency, spec);
    CHECK(st == GS_OK, "%s init: %s", name, gs_strerror(st));
    if (st != GS_OK) return;
    double err, att;
    gs_os_lowdelay_error(&os, 20000.0 * rate / 48000.0, 0.5208 * rate, &err, &att);
    double peak = 0.0;
    for (unsigned k = 0; k <= 4000; k++) {
        double w = GS_PI * k / 4000.0, ur = 0, ui = 0, dr = 0, di = 0;
        for (unsigned i = 0; i < os.ld->nu; i++) {
            ur += os.ld->hu[i] * cos(w * i);
            ui -= os.ld->hu[i] * sin(w * i);
        }
        for (unsigned i = 0; i < os.ld->nd; i++) {
            dr += os.ld->hd[i] * cos(w * i);
            di -= os.ld->hd[i] * sin(w * i);
        }
        double u = sqrt(ur * ur + ui * ui) / factor, d = sqrt(dr * dr + di * di);
        if (u > peak) peak = u;
        if (d > peak) peak = d;
    }
    printf("low-delay %s x%u at %g Hz, latency %u: |H - delay| %.4f to 20 kHz, stop band %.1f dB, "
           "peak gain %+.2f dB\n",
           name, factor, rate, latency, err, att, 20.0 * log10(peak));
    CHECK(err <= err_max, "%s passband error %g", name, err);
    CHECK(att >= atten_min, "%s attenuation %.1f dB", name, att);
    CHECK(20.0 * log10(peak) <= peak_max_db, "%s peak gain %.2f dB", name, 20.0 * log10(peak));
    gs_os_free(&os);
}

/* The low-delay pair's block processing against a direct evaluation of its definition: up is the
 * zero-stuffed input (gain R) through hu, down is hd over the high-rate stream read at the last
 * instant of each base period. Random block lengths 1..64 exercise the four-at-a-time and tail
 * paths of the up filter and the history across blocks. */
static void lowdelay_exact(unsigned factor, const gs_lowdelay_spec *spec) {
    gs_oversampler os;
    double rate = 48000.0;
    gs_status st =
        gs_os_init_lowdelay(&os, rate, factor, 64, 0.4167 * rate, 0.5208 * rate, 16, spec);
    CHECK(st == GS_OK, "low-delay x%u: %s", factor, gs_strerror(st));
    if (st != GS_OK) return;
    enum { N = 3000 };
    const unsigned R = factor, nu = os.ld->nu, nd = os.ld->nd;
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    double *hi = malloc((size_t)N * R * sizeof(double)),
           *hz = calloc((size_t)N * R, sizeof(double));
    uint32_t seed = 12345u;
    for (size_t i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((double)(seed >> 8) / 16777216.0 - 0.5);
        hz[i * R] = (double)x[i];
    }
    double worst_up = 0.0, worst_down = 0.0;
    size_t pos = 0;
    while (pos < N) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t len = 1u + (seed >> 16) % 64u;
        if (pos + len > N) len = (uint32_t)(N - pos);
        float blk[64];
        memcpy(blk, x + pos, len * sizeof(float));
        double *u = gs_os_up(&os, blk, len);
        memcpy(hi + pos * R, u, (size_t)len * R * sizeof(double));
        gs_os_down(&os, u, y + pos, len);
        pos += len;
    }
    for (size_t m = 0; m < (size_t)N * R; m++) { /* up: sum_i hu[i] (zero-stuffed x)[m - i] */
        double a = 0.0;
        for (unsigned i = 0; i < nu && i <= m; i++) a += os.ld->hu[i] * hz[m - i];
        worst_up = fmax(worst_up, fabs(a - hi[m]));
    }
    for (size_t j = 0; j < N; j++) { /* down: sum_i hd[i] hi[R j + R - 1 - i] */
        double a = 0.0;
        size_t m = R * j + R - 1;
        for (unsigned i = 0; i < nd && i <= m; i++) a += os.ld->hd[i] * hi[m - i];
        worst_down = fmax(worst_down, fabs(a - (double)y[j]));
    }
    printf("low-delay x%u block processing vs its definition: up %.2e, down %.2e\n", factor,
           worst_up, worst_down);
    CHECK(worst_up < 1e-12, "x%u up filter differs by %g", factor, worst_up);
    CHECK(worst_down < 1e-6, "x%u down filter differs by %g (float output)", factor, worst_down);
    free(x);
    free(y);
    free(hi);
    free(hz);
    gs_os_free(&os);
}

static void count_design(const gs_os_ld_table *design, void *arg) {
    (void)design;
    ++*(unsigned *)arg;
}

/* The build-time tables (oversample_tables.c) against a fresh least-squares design on this
 * machine: bit for bit, so that a tabulated rate gives the outputs a run-time design would. Also
 * that the tube models' designs at the tabulated rates are all in the table (else their instances
 * would pay the design again: over 0.1 s of CPU at 44.1/48 kHz). */
static void lowdelay_tables(void) {
    CHECK(gs_os_ld_ntables == 24,
          "%u tabulated designs, expected 4 per rate (standard, low-alias, its half-step forms for "
          "one and two stages) at 6 rates",
          gs_os_ld_ntables);
    unsigned same = 0;
    for (unsigned i = 0; i < gs_os_ld_ntables; i++) {
        const gs_os_ld_table *t = &gs_os_ld_tables[i];
        unsigned nu = t->spec.up_periods * t->factor, nd = t->spec.down_periods * t->factor;
        double *hu = calloc(nu, sizeof(double)), *hd = calloc(nd, sizeof(double));
        gs_status st = gs_os_lowdelay_design(hu, hd, t->rate, t->factor, t->pass_hz, t->stop_hz,
                                             t->latency, &t->spec);
        int eq = st == GS_OK && !memcmp(hu, t->hu, nu * sizeof(double)) &&
                 !memcmp(hd, t->hd, nd * sizeof(double));
        CHECK(eq, "table %u (%g Hz, x%u) differs from a fresh design", i, t->rate, t->factor);
        same += (unsigned)eq;
        free(hu);
        free(hd);
    }
    printf("low-delay tables: %u of %u bit-identical to a fresh design\n", same, gs_os_ld_ntables);
    unsigned designed = 0;
    const double rates[] = {44100.0, 48000.0, 88200.0, 96000.0, 176400.0, 192000.0};
    for (unsigned r = 0; r < 6; r++)
        for (unsigned q = 0; q < 3; q++) {
            gs_oversampler os;
            CHECK(gs_tube_os_init(&os, rates[r], q, 64) == GS_OK, "%g Hz quality %u", rates[r], q);
            gs_os_free(&os);
            if (q != GS_TUBE_QUALITY_DEFAULT) continue;
            CHECK(gs_tube_os_init_spec(&os, rates[r], q, 64, &gs_lowdelay_low_alias_sub2) == GS_OK,
                  "%g Hz bjt-stage default", rates[r]);
            gs_os_free(&os);
            CHECK(gs_tube_os_init_spec(&os, rates[r], q, 64, &gs_lowdelay_low_alias_sub2x2) ==
                      GS_OK,
                  "%g Hz bjt-preamp default", rates[r]);
            gs_os_free(&os);
        }
    gs_os_lowdelay_each(count_design, &designed);
    CHECK(designed == 0, "%u tube designs at tabulated rates were not in the table", designed);
}

int main(void) {
    lowdelay_tables(); /* first: the count of designs made in this process must start at 0 */
    lowdelay_exact(2, &gs_lowdelay_standard);
    lowdelay_exact(4, &gs_lowdelay_standard);
    lowdelay_exact(16, &gs_lowdelay_low_alias);
    /* measured: standard 0.042 / 51.4 dB / +9.4 dB; low-alias 0.026 / 67.3 dB / +0.19 dB */
    lowdelay(48000, 2, 8, &gs_lowdelay_standard, "standard", 0.05, 50.0, 10.0);
    lowdelay(48000, 16, 16, &gs_lowdelay_low_alias, "low-alias", 0.03, 66.0, 0.5);
    lowdelay(96000, 8, 16, &gs_lowdelay_low_alias, "low-alias", 0.03, 66.0, 0.5);
    /* bjt-stage's: the pair one high-rate sample shorter around its half-stepped solver, and a
     * deeper stop band (measured 3.5-3.7 %, 72.8-76.5 dB, +0.34 to +0.48 dB) */
    lowdelay(48000, 16, 16, &gs_lowdelay_low_alias_sub2, "low-alias (half steps)", 0.04, 70.0, 0.7);
    lowdelay(96000, 8, 16, &gs_lowdelay_low_alias_sub2, "low-alias (half steps)", 0.04, 70.0, 0.7);
    lowdelay(192000, 4, 16, &gs_lowdelay_low_alias_sub2, "low-alias (half steps)", 0.04, 70.0, 0.7);
    lowdelay(48000, 16, 16, &gs_lowdelay_low_alias_sub2x2, "low-alias (two half-stepped stages)",
             0.04, 70.0, 0.7);
    chain(48000, 8, 20000, 0, 75);
    chain(44100, 8, 20000, 0, 75);
    chain(96000, 4, 40000, 0, 75);
    chain(48000, 2, 20000, 0, 90);
    chain(48000, 4, 18000, 0, 60);
    chain(192000, 1, 80000, 0, 75);
    /* the tube models' high quality: nothing above the base Nyquist frequency folds back */
    chain(48000, 16, 20000, 24000, 120);
    chain(44100, 16, 20000, 22050, 120);
    chain(96000, 8, 40000, 48000, 120);
    return check_done();
}
