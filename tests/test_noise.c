/* Noise sources against physics: thermal noise 4kTRB, EIN over 20 Hz-20 kHz with its 1/f corner,
 * the 150 Ohm floor as the limit, hum, determinism. */
#include "check.h"
#include "noise.h"
#include "spectrum.h"

#include <string.h>

#define K_B 1.380649e-23

/* Run the "noise" block on silence and return its output (n samples). */
static float *render(double rate, size_t n, const char *const *sym, const double *val, size_t nv) {
    gs_channel *ch = NULL;
    if (gs_channel_new("noise", rate, 4096, &ch) != GS_OK) return NULL;
    gs_channel_set_symbol(ch, "noise", 1.0);
    for (size_t i = 0; i < nv; i++) {
        gs_status st = gs_channel_set_symbol(ch, sym[i], val[i]);
        CHECK(st == GS_OK, "set %s = %g: %s", sym[i], val[i], gs_strerror(st));
    }
    gs_channel_reset(ch);
    float *x = calloc(n, sizeof *x);
    for (size_t i = 0; i < n; i += 4096) {
        uint32_t m = (uint32_t)(n - i < 4096 ? n - i : 4096);
        gs_channel_process(ch, x + i, x + i, m);
    }
    gs_channel_free(ch);
    return x;
}

int main(void) {
    /* The thermal floor of 150 Ohm over 20 kHz, from 4 k T R B by hand. */
    double v290 = sqrt(4.0 * K_B * 290.0 * 150.0 * 20000.0);
    double floor290 = 20.0 * log10(v290 / sqrt(0.6));
    double floor300 = gs_noise_thermal_dbu(150.0, 300.0, 20000.0);
    printf("150 Ohm thermal floor over 20 kHz: %.3f dBu at 290 K, %.3f dBu at 300 K\n", floor290,
           floor300);
    CHECK(fabs(gs_noise_thermal_dbu(150.0, 290.0, 20000.0) - floor290) < 1e-9, "library formula");
    CHECK(fabs(floor300 - (-130.8)) < 0.05, "-130.8 dBu is the 300 K figure: %.3f", floor300);
    CHECK(fabs(floor290 - (-130.96)) < 0.01, "290 K: %.3f", floor290);

    const double rates[] = {44100.0, 48000.0, 96000.0};
    for (size_t r = 0; r < 3; r++) {
        double fs = rates[r];
        size_t n = (size_t)fs * 2;
        /* Thermal only: EIN set far below the floor leaves the amplifier noiseless. */
        {
            const char *s[] = {"source_r", "temp", "ein"};
            double v[] = {150.0, 290.0, -150.0};
            float *x = render(fs, n, s, v, 3);
            double got = dbu_of_ms(band_power(x, n, fs, 0.0, 20000.0));
            printf("%6.0f Hz: thermal 150 Ohm 290 K over 20 kHz: %.3f dBu (theory %.3f, error "
                   "%+.3f dB)\n",
                   fs, got, floor290, got - floor290);
            CHECK(fabs(got - floor290) < 0.1, "thermal floor %.3f vs %.3f", got, floor290);
            free(x);
        }
        /* 10 kOhm at 300 K: density scales with R and T. */
        {
            const char *s[] = {"source_r", "temp", "ein"};
            double v[] = {10e3, 300.0, -150.0};
            float *x = render(fs, n, s, v, 3);
            double want = gs_noise_thermal_dbu(10e3, 300.0, 19980.0);
            double got = dbu_of_ms(band_power(x, n, fs, 20.0, 20000.0));
            printf("%6.0f Hz: thermal 10 kOhm 300 K 20 Hz-20 kHz: %.3f dBu (theory %.3f)\n", fs,
                   got, want);
            CHECK(fabs(got - want) < 0.1, "10k thermal %.3f vs %.3f", got, want);
            free(x);
        }
        /* EIN with a 150 Ohm source, as datasheets measure it: 20 Hz-20 kHz, unweighted. */
        const double eins[] = {-128.0, -125.0, -120.0};
        const double corners[] = {0.0, 100.0, 1000.0};
        for (size_t e = 0; e < 3; e++) {
            const char *s[] = {"source_r", "ein", "ein_corner"};
            double v[] = {150.0, eins[e], corners[e]};
            float *x = render(fs, n, s, v, 3);
            double got = dbu_of_ms(band_power(x, n, fs, 20.0, 20000.0));
            printf("%6.0f Hz: EIN setting %.1f dBu, 1/f corner %4.0f Hz: measured %.3f dBu "
                   "(error %+.3f dB)\n",
                   fs, eins[e], corners[e], got, got - eins[e]);
            CHECK(fabs(got - eins[e]) < 0.5, "EIN %.3f vs %.1f", got, eins[e]);
            CHECK(fabs(got - eins[e]) < 0.1, "EIN (tight) %.3f vs %.1f", got, eins[e]);
            free(x);
        }
    }

    /* 1/f shape: with a 1 kHz corner, the 20-40 Hz band holds S0 (20 + fc ln 2), where
     * S0 = amp / (19980 + fc ln 1000) and amp = EIN^2 - 4kT 150 B; source_r 0 isolates it. */
    {
        double fs = 48000.0, fc = 1000.0, ein = -120.0;
        size_t n = (size_t)fs * 8;
        const char *s[] = {"source_r", "ein", "ein_corner"};
        double v[] = {0.0, ein, fc};
        float *x = render(fs, n, s, v, 3);
        double amp = 0.6 * pow(10.0, ein / 10.0) - 4.0 * K_B * 290.0 * 150.0 * 19980.0;
        double s0 = amp / (19980.0 + fc * log(1000.0));
        const double bands[][2] = {{20, 40}, {100, 200}, {1000, 2000}, {10000, 20000}};
        for (int b = 0; b < 4; b++) {
            double f1 = bands[b][0], f2 = bands[b][1];
            double want = s0 * ((f2 - f1) + fc * log(f2 / f1));
            double got = band_power(x, n, fs, f1, f2);
            printf("1/f corner 1 kHz: band %5.0f-%5.0f Hz: %.2f dB vs density model %.2f dB "
                   "(%+.2f)\n",
                   f1, f2, db10(got), db10(want), db10(got / want));
            CHECK(fabs(db10(got / want)) < 1.0, "1/f band %g-%g: %+.2f dB", f1, f2,
                  db10(got / want));
        }
        double total = dbu_of_ms(band_power(x, n, fs, 20.0, 20000.0));
        double own = dbu_of_ms(amp);
        printf("amplifier's own noise (source 0 Ohm): %.3f dBu, expected %.3f\n", total, own);
        CHECK(fabs(total - own) < 0.1, "own noise %.3f vs %.3f", total, own);
        free(x);
    }

    /* The limit: an EIN below the 150 Ohm floor cannot be had; the floor remains. */
    {
        const char *s[] = {"source_r", "ein"};
        double v[] = {150.0, -140.0};
        float *x = render(48000.0, 96000, s, v, 2);
        double got = dbu_of_ms(band_power(x, 96000, 48000.0, 20.0, 20000.0));
        double want = gs_noise_thermal_dbu(150.0, 290.0, 19980.0);
        printf("EIN set to -140 dBu with 150 Ohm: measured %.3f dBu = the floor %.3f\n", got, want);
        CHECK(fabs(got - want) < 0.1, "limit %.3f vs %.3f", got, want);
        free(x);
    }

    /* Hiss: white, its level over 20 Hz-20 kHz. */
    {
        const char *s[] = {"source_r", "ein", "hiss"};
        double v[] = {0.0, -150.0, -100.0};
        float *x = render(48000.0, 96000, s, v, 3);
        double got = dbu_of_ms(band_power(x, 96000, 48000.0, 20.0, 20000.0));
        printf("hiss -100 dBu: measured %.3f dBu\n", got);
        CHECK(fabs(got + 100.0) < 0.1, "hiss %.3f", got);
        free(x);
    }

    /* Hum: RMS level, fundamental and rectifier harmonic at 50 Hz or 60 Hz. */
    for (int h = 0; h < 2; h++) {
        const char *s[] = {"source_r", "ein", "hum", "hum_freq"};
        double v[] = {0.0, -150.0, -60.0, (double)h};
        size_t n = 48000;
        float *x = render(48000.0, n, s, v, 4);
        double ms = 0;
        for (size_t i = 0; i < n; i++) ms += (double)x[i] * x[i];
        double got = dbu_of_ms(ms / (double)n);
        size_t f0 = h ? 60 : 50; /* 1 s: bin k is k Hz */
        double p1 = bin_power(x, n, f0), p2 = bin_power(x, n, 2 * f0);
        double other = bin_power(x, n, h ? 50 : 60);
        printf("hum %d Hz at -60 dBu: RMS %.4f dBu, fundamental %.1f dBu, 2nd %.1f dBu, other "
               "mains %.1f dBu\n",
               (int)f0, got, dbu_of_ms(p1), dbu_of_ms(p2), dbu_of_ms(other + 1e-30));
        CHECK(fabs(got + 60.0) < 0.05, "hum level %.4f", got);
        CHECK(p1 > p2 && p2 > 1e-3 * p1, "fundamental and ripple harmonic");
        CHECK(other < 1e-6 * p1, "no component at the other mains frequency");
        free(x);
    }

    /* Off by default: the block is a wire. Determinism: same seed, same noise. */
    {
        gs_channel *a = NULL, *b = NULL;
        gs_channel_new("noise", 48000.0, 512, &a);
        float x[512], y[512];
        for (int i = 0; i < 512; i++) x[i] = y[i] = (float)sin(0.01 * i);
        gs_channel_process(a, y, y, 512);
        CHECK(!memcmp(x, y, sizeof x), "noise off by default must pass the input unchanged");
        gs_channel_free(a);
        gs_channel_new("noise", 48000.0, 512, &a);
        gs_channel_new("noise", 48000.0, 512, &b);
        gs_channel_set_symbol(a, "noise", 1);
        gs_channel_set_symbol(b, "noise", 1);
        gs_channel_set_symbol(a, "seed", 7);
        gs_channel_set_symbol(b, "seed", 7);
        gs_channel_reset(a);
        gs_channel_reset(b);
        memset(x, 0, sizeof x);
        memset(y, 0, sizeof y);
        gs_channel_process(a, x, x, 512);
        gs_channel_process(b, y, y, 512);
        CHECK(!memcmp(x, y, sizeof x), "same seed must give the same noise");
        gs_channel_set_symbol(b, "seed", 8);
        gs_channel_reset(a);
        gs_channel_reset(b);
        memset(x, 0, sizeof x);
        memset(y, 0, sizeof y);
        gs_channel_process(a, x, x, 512);
        gs_channel_process(b, y, y, 512);
        CHECK(memcmp(x, y, sizeof x) != 0, "another seed must give other noise");
        float z[512] = {0};
        gs_channel_reset(a);
        gs_channel_process(a, z, z, 512);
        CHECK(!memcmp(x, z, sizeof x), "reset must replay the same noise");
        gs_channel_free(a);
        gs_channel_free(b);
    }
    return check_done();
}
