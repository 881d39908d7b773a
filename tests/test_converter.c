/* Converter and digital preamp: quantisation noise against theory (undithered D^2/12, TPDF
 * 3 D^2/12, noise shaping power gains 2 and 6), dithered error uncorrelated with the signal,
 * clip counting, the anti-alias filter's response and latency, digital gain, clip safe. */
#include "check.h"
#include "converter.h"
#include "spectrum.h"

#include <string.h>

/* One counter of a channel's statistics. */
static gs_channel_stats stats_of(const gs_channel *ch) {
    gs_channel_stats st;
    gs_channel_stats_get(ch, &st);
    return st;
}

#define RATE 48000.0
#define N 262144u /* 5.5 s at 48 kHz; relative error of a variance estimate ~ sqrt(2/N) = 0.3 % */

/* Full scale of exactly 1 V per unit sample, so digital values are volts (float-exact even at
 * 24 bits). */
static gs_channel *make(const char *model, int bits_idx, int dither, int shaping, int aa) {
    gs_channel *ch = NULL;
    if (gs_channel_new(model, RATE, 4096, &ch) != GS_OK) return NULL;
    gs_channel_set_symbol(ch, "fs_dbu", gs_volts_per_unit_to_dbu(1.0));
    gs_channel_set_symbol(ch, "bits", bits_idx);
    gs_channel_set_symbol(ch, "dither", dither);
    gs_channel_set_symbol(ch, "shaping", shaping);
    gs_channel_set_symbol(ch, "aa", aa);
    gs_channel_reset(ch);
    return ch;
}

static void run(gs_channel *ch, const float *in, float *out, size_t n) {
    uint32_t lat = gs_channel_latency(ch);
    size_t total = n + lat;
    float *buf = calloc(total, sizeof *buf);
    memcpy(buf, in, n * sizeof *in);
    for (size_t i = 0; i < total; i += 4096) {
        uint32_t m = (uint32_t)(total - i < 4096 ? total - i : 4096);
        gs_channel_process(ch, buf + i, buf + i, m);
    }
    memcpy(out, buf + lat, n * sizeof *out);
    free(buf);
}

/* Error power (mean square) of quantising x, in units of D^2/12. */
static double err_power(gs_channel *ch, const float *x, float *e, int bits) {
    run(ch, x, e, N);
    double s = 0;
    for (size_t i = 0; i < N; i++) {
        e[i] = e[i] - x[i];
        s += (double)e[i] * e[i];
    }
    double d = ldexp(1.0, 1 - bits);
    return s / N / (d * d / 12.0);
}

int main(void) {
    float *x = malloc(N * sizeof *x), *e = malloc(N * sizeof *e);
    /* A busy signal: a -30 dBFS sine at a frequency with no simple relation to the rate. Not
     * louder: a float near 0.5 lies on a 2^-25 grid, only 4 points per 24-bit step, and the error
     * of quantising such a coarse input is not uniform (+0.5 dB); at -30 dBFS the grid is 64 times
     * finer than the step. */
    for (size_t i = 0; i < N; i++)
        x[i] = (float)(0.0316 * sin(2 * M_PI * 997.3 * (double)i / RATE));

    const int bits_of[] = {16, 20, 24};
    for (int b = 0; b < 3; b++) {
        gs_channel *ch = make("converter", b, 0, 0, 0);
        double p = err_power(ch, x, e, bits_of[b]);
        printf("%d bits, no dither: error power %.4f x D^2/12 (%+.3f dB vs theory)\n", bits_of[b],
               p, db10(p));
        CHECK(fabs(db10(p)) < 0.2, "undithered %d bits: %+.3f dB", bits_of[b], db10(p));
        gs_channel_free(ch);
        ch = make("converter", b, 1, 0, 0);
        p = err_power(ch, x, e, bits_of[b]);
        printf("%d bits, TPDF:      error power %.4f x D^2/12 (%+.3f dB vs 3x theory)\n",
               bits_of[b], p, db10(p / 3.0));
        CHECK(fabs(db10(p / 3.0)) < 0.2, "TPDF %d bits: %+.3f dB", bits_of[b], db10(p / 3.0));
        gs_channel_free(ch);
    }

    /* Noise shaping: output error = TPDF error through NTF; power gains 2 and 6, and less error
     * below fs/16 than without shaping. */
    {
        double flat_lo = 0;
        const double gain[] = {1.0, 2.0, 6.0};
        for (int s = 0; s < 3; s++) {
            gs_channel *ch = make("converter", 0, 1, s, 0);
            double p = err_power(ch, x, e, 16);
            double lo = band_power(e, N, RATE, 0.0, RATE / 16.0);
            if (s == 0) flat_lo = lo;
            printf("shaping %d: error power %.3f x D^2/12 (%+.3f dB vs 3 x %.0f), below fs/16: "
                   "%+.1f dB vs unshaped\n",
                   s, p, db10(p / (3.0 * gain[s])), gain[s], db10(lo / flat_lo));
            CHECK(fabs(db10(p / (3.0 * gain[s]))) < 0.2, "shaping %d power", s);
            if (s) CHECK(lo < 0.25 * flat_lo, "shaping %d must lower the low band", s);
            gs_channel_free(ch);
        }
    }

    /* Dithered error is uncorrelated with the signal: a sine of 3 LSB on an exact bin (16 bits).
     * Without dither the error holds harmonics of it; with TPDF it is white. */
    {
        const double d = ldexp(1.0, -15);
        const size_t k0 = 1021; /* bin: 1021 * 48000 / N = 187 Hz */
        for (size_t i = 0; i < N; i++)
            x[i] = (float)(3.0 * d * sin(2 * M_PI * (double)k0 * (double)i / N));
        for (int dith = 0; dith < 2; dith++) {
            gs_channel *ch = make("converter", 0, dith, 0, 0);
            err_power(ch, x, e, 16);
            double sxy = 0, sxx = 0, syy = 0, me = 0;
            for (size_t i = 0; i < N; i++) me += e[i];
            me /= N;
            for (size_t i = 0; i < N; i++) {
                sxy += (double)x[i] * (e[i] - me);
                sxx += (double)x[i] * x[i];
                syy += (e[i] - me) * (e[i] - me);
            }
            double r = sxy / sqrt(sxx * syy);
            /* Mean power per bin of the error, and the strongest harmonic 2..9 relative to it. */
            double per_bin = syy / N / (N / 2.0);
            double worst = 0;
            int worst_h = 0;
            for (int h = 2; h <= 9; h++) {
                double p = bin_power(e, N, (size_t)h * k0) / per_bin;
                if (p > worst) {
                    worst = p;
                    worst_h = h;
                }
            }
            printf("3 LSB sine, %s: correlation(error, signal) = %+.5f; strongest harmonic (%d) "
                   "%.1f dB above the mean noise bin\n",
                   dith ? "TPDF" : "no dither", r, worst_h, db10(worst));
            if (dith) {
                CHECK(fabs(r) < 0.01, "dithered correlation %g", r);
                CHECK(worst < 10.0, "dithered error has a harmonic %.1f dB over the floor",
                      db10(worst));
            } else {
                CHECK(worst > 1000.0, "undithered error should show harmonics (the test's teeth)");
            }
            gs_channel_free(ch);
        }
    }

    /* TPDF makes the error's first two moments independent of the signal (Wannamaker et al.):
     * for 32 DC levels across one LSB, the error mean stays 0 and its variance D^2/4, while
     * plain rounding gives an error that is the level's own rounding (mean up to D/2, no
     * variance): the signal decides the error. */
    {
        const double d = ldexp(1.0, -15);
        const size_t m = 16384;
        for (int dith = 0; dith < 2; dith++) {
            double worst_mean = 0, vmin = 1e9, vmax = 0;
            for (int k = 0; k < 32; k++) {
                gs_channel *ch = make("converter", 0, dith, 0, 0);
                double level = (100.0 + (k + 0.5) / 32.0) * d;
                for (size_t i = 0; i < m; i++) x[i] = (float)level;
                run(ch, x, e, m);
                double s1 = 0, s2 = 0;
                for (size_t i = 0; i < m; i++) {
                    double err = ((double)e[i] - level) / d;
                    s1 += err;
                    s2 += err * err;
                }
                double mean = s1 / (double)m, var = s2 / (double)m - mean * mean;
                worst_mean = fmax(worst_mean, fabs(mean));
                vmin = fmin(vmin, var);
                vmax = fmax(vmax, var);
                gs_channel_free(ch);
            }
            printf("DC across one LSB, %s: |error mean| <= %.4f LSB, error variance %.4f..%.4f "
                   "LSB^2 (TPDF theory 0 and 0.25)\n",
                   dith ? "TPDF" : "no dither", worst_mean, vmin, vmax);
            if (dith) {
                CHECK(worst_mean < 0.02, "dithered error mean depends on the signal: %.4f",
                      worst_mean);
                CHECK(vmin > 0.24 && vmax < 0.26, "dithered error variance %.4f..%.4f", vmin, vmax);
            } else {
                CHECK(worst_mean > 0.4, "plain rounding should show a signal-dependent mean");
            }
        }
    }

    /* Hard clip at 0 dBFS, counted: a +3 dBFS sine, no filter. */
    {
        gs_channel *ch = make("converter", 2, 1, 0, 0);
        size_t n = 48000, over = 0;
        float *y = malloc(n * sizeof *y);
        double peak = 0;
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)(1.4125 * sin(2 * M_PI * 1000.0 * (double)i / RATE));
            over += fabs(x[i]) > 1.0;
        }
        run(ch, x, y, n);
        for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(y[i]));
        printf("+3 dBFS sine: %llu samples clipped (expected %zu), output peak %.7f\n",
               (unsigned long long)stats_of(ch).clipped_samples, over, peak);
        CHECK(stats_of(ch).clipped_samples == over, "clip count");
        CHECK(peak <= 1.0, "output beyond full scale");
        gs_channel_free(ch);
        free(y);
    }

    /* Anti-alias filter: flat passband, 80 dB at fs/2, latency = what is reported. */
    {
        gs_conv c;
        CHECK(gs_conv_init(&c, RATE) == GS_OK, "init");
        double worst = 0, at_nyq = 0;
        for (double f = 0; f <= 0.5 * RATE; f += 10.0) {
            double re = 0, im = 0;
            for (uint32_t k = 0; k < c.ntaps; k++) {
                re += c.taps[k] * cos(2 * M_PI * f * k / RATE);
                im -= c.taps[k] * sin(2 * M_PI * f * k / RATE);
            }
            double db = 10 * log10(re * re + im * im);
            if (f <= 0.4535 * RATE) worst = fmax(worst, fabs(db));
            if (f == 0.5 * RATE) at_nyq = db;
        }
        printf("anti-alias FIR: %u taps, passband ripple %.5f dB to 0.4535 fs, %.1f dB at fs/2\n",
               c.ntaps, worst, at_nyq);
        CHECK(worst < 0.005, "passband ripple %.5f dB", worst);
        CHECK(at_nyq < -79.0, "Nyquist %.1f dB", at_nyq);
        gs_conv_free(&c);

        gs_channel *ch = make("converter", 2, 0, 0, 1);
        uint32_t lat = gs_channel_latency(ch);
        size_t n = 1024, arg = 0;
        float imp[1024] = {0};
        imp[0] = 0.5f;
        for (size_t i = 0; i < n; i += 256) gs_channel_process(ch, imp + i, imp + i, 256);
        for (size_t i = 0; i < n; i++)
            if (fabs(imp[i]) > fabs(imp[arg])) arg = i;
        printf("converter latency: reported %u samples, impulse peak at %zu\n", lat, arg);
        CHECK(arg == lat, "latency %u vs impulse at %zu", lat, arg);
        gs_channel_free(ch);
    }

    /* Digital preamp: exact gain; clip safe keeps a hot signal under full scale without clips. */
    {
        gs_channel *ch = make("digital-preamp", 2, 1, 0, 1);
        gs_channel_set_symbol(ch, "gain", 20.0);
        gs_channel_reset(ch);
        size_t n = 48000;
        float *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.05 * sin(2 * M_PI * 1000.0 * (double)i / RATE));
        run(ch, x, y, n);
        double sxy = 0, sxx = 0;
        for (size_t i = 1000; i < n; i++) {
            sxy += (double)x[i] * y[i];
            sxx += (double)x[i] * x[i];
        }
        double g = 20 * log10(sxy / sxx);
        printf("digital gain 20 dB: measured %.5f dB\n", g);
        CHECK(fabs(g - 20.0) < 0.001, "gain %.5f", g);

        gs_channel_set_symbol(ch, "gain", 32.0); /* +6 dBFS peaks */
        gs_channel_set_symbol(ch, "clip_safe", 1);
        gs_channel_reset(ch);
        run(ch, x, y, n);
        double peak = 0;
        for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(y[i]));
        double red = stats_of(ch).clipsafe_max_reduction_db;
        printf("clip safe, +6 dBFS into the converter: output peak %.3f dBFS, %llu clips, "
               "reduction %.2f dB\n",
               20 * log10(peak), (unsigned long long)stats_of(ch).clipped_samples, red);
        CHECK(stats_of(ch).clipped_samples == 0, "clip safe let clips through");
        CHECK(20 * log10(peak) < -0.09, "peak %.3f dBFS", 20 * log10(peak));
        double want = 20 * log10(0.05 * pow(10.0, 32.0 / 20.0)) + 0.1;
        CHECK(fabs(red - want) < 0.05, "reduction %.2f dB, want %.2f", red, want);
        gs_channel_free(ch);
        free(y);
    }
    free(x);
    free(e);
    return check_done();
}
