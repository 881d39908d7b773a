/* gs-mksig: deterministic test and demo material, written with libsndfile.
 *
 *   gs-mksig [--rate HZ] [--seconds S] [--peak DBFS | --peak-volts V] [--channels N]
 *            [--format f32|s24|s16] [--freq HZ] SIGNAL OUT.wav
 *
 * Signals: sine, twotone (100 Hz + 1.5 kHz), sweep (exponential 20 Hz..20 kHz with 10 ms fades),
 * pluck (a guitar-like DI line: Karplus-Strong strings, arpeggio), voice (a voice-like mic signal:
 * glottal pulses through vowel formants, syllables), noise (white, uniform), silence, impulse.
 * Everything is synthesised here: no recorded or copyrighted material.
 */
#include <sndfile.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static double urand(void) { /* xorshift64*, uniform in [-1, 1) */
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return (double)((rs * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-52 - 1.0;
}

static void fade(double *x, size_t n, double rate, double seconds) {
    size_t f = (size_t)(seconds * rate);
    if (f * 2 > n) f = n / 2;
    for (size_t i = 0; i < f; i++) {
        double g = 0.5 - 0.5 * cos(PI * (double)i / (double)f);
        x[i] *= g;
        x[n - 1 - i] *= g;
    }
}

/* Karplus-Strong plucked strings (Jaffe & Smith 1983): a noise burst circulating in a delay line
 * with a two-point average (string loss) and an allpass for the fractional part of the period. */
static void pluck(double *x, size_t n, double rate) {
    static const double notes[] = {82.41,  110.0,  146.83, 196.0,  246.94,
                                   329.63, 246.94, 196.0,  146.83, 110.0};
    size_t note_len = (size_t)(0.5 * rate);
    size_t maxd = (size_t)(rate / 60.0) + 4;
    double *d = calloc(maxd, sizeof(double));
    memset(x, 0, n * sizeof(double));
    for (size_t k = 0; (k * note_len) < n; k++) {
        double f0 = notes[k % (sizeof notes / sizeof notes[0])];
        double period = rate / f0 - 0.5; /* the averaging filter delays by half a sample */
        size_t N = (size_t)floor(period);
        double frac = period - (double)N;
        double c = (1.0 - frac) / (1.0 + frac); /* first-order allpass for the fraction */
        /* Excitation: noise, low-passed by a pick (brightness) and comb-filtered by the pick
         * position (1/5 of the string). */
        double lp = 0;
        for (size_t i = 0; i < N; i++) {
            lp += 0.5 * (urand() - lp);
            d[i] = lp;
        }
        size_t p = N / 5;
        for (size_t i = N; i-- > p;) d[i] -= d[i - p];
        size_t pos = 0;
        double prev = 0, ap_x1 = 0, ap_y1 = 0;
        size_t start = k * note_len;
        /* Let each note ring under the next (strings keep sounding). */
        for (size_t i = start; i < n && i < start + 4 * note_len; i++) {
            double y = d[pos];
            double avg = 0.996 * 0.5 * (y + prev);
            prev = y;
            double ap = c * avg + ap_x1 - c * ap_y1;
            ap_x1 = avg;
            ap_y1 = ap;
            d[pos] = ap;
            pos = (pos + 1) % N;
            x[i] += y;
        }
    }
    free(d);
}

/* A voice-like signal: a Rosenberg glottal pulse train (f0 about 120 Hz with vibrato and slow
 * intonation) through three formant resonators, cycling through vowels, with syllable envelopes
 * and pauses, plus a little breath noise. */
static void voice(double *x, size_t n, double rate) {
    static const double formants[][3] = {{730, 1090, 2440},
                                         {270, 2290, 3010},
                                         {570, 840, 2410},
                                         {300, 870, 2240},
                                         {530, 1840, 2480}};
    static const double bw[3] = {90, 110, 170};
    double s1[3] = {0}, s2[3] = {0};
    double phase = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        double f0 =
            120.0 * (1.0 + 0.1 * sin(2 * PI * 0.3 * t)) * (1.0 + 0.01 * sin(2 * PI * 5.5 * t));
        phase += f0 / rate;
        if (phase >= 1.0) phase -= 1.0;
        /* Rosenberg pulse: opening 40 % of the period, closing 16 %. */
        double g;
        if (phase < 0.4)
            g = 0.5 * (1.0 - cos(PI * phase / 0.4));
        else if (phase < 0.56)
            g = cos(PI * (phase - 0.4) / 0.32);
        else
            g = 0.0;
        double syl = fmod(t, 0.3) / 0.3; /* syllables of 300 ms */
        double env = sin(PI * syl);
        env *= env;
        if (fmod(t, 2.4) > 2.0) env = 0.0; /* a pause between phrases */
        int v = (int)(t / 0.3) % 5;
        double src = env * (g - 0.3) + 0.02 * env * urand();
        double y = 0;
        for (int k = 0; k < 3; k++) {
            double r = exp(-PI * bw[k] / rate);
            double w = 2 * PI * formants[v][k] / rate;
            double a1 = -2 * r * cos(w), a2 = r * r;
            double out = (1 - r) * src - a1 * s1[k] - a2 * s2[k];
            s2[k] = s1[k];
            s1[k] = out;
            y += out / (double)(k + 1);
        }
        x[i] = y;
    }
}

int main(int argc, char **argv) {
    double rate = 48000, seconds = 1.0, peak = 1.0, freq = 1000.0;
    int channels = 1, have_volts = 0;
    const char *fmt = "f32", *sig = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rate") && v)
            rate = atof(argv[++i]);
        else if (!strcmp(a, "--seconds") && v)
            seconds = atof(argv[++i]);
        else if (!strcmp(a, "--peak") && v)
            peak = pow(10.0, atof(argv[++i]) / 20.0);
        else if (!strcmp(a, "--peak-volts") && v) {
            peak = atof(argv[++i]);
            have_volts = 1;
        } else if (!strcmp(a, "--channels") && v)
            channels = atoi(argv[++i]);
        else if (!strcmp(a, "--format") && v)
            fmt = argv[++i];
        else if (!strcmp(a, "--freq") && v)
            freq = atof(argv[++i]);
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            puts("usage: gs-mksig [--rate HZ] [--seconds S] [--peak DBFS|--peak-volts V] "
                 "[--channels N] [--format f32|s24|s16] [--freq HZ] "
                 "sine|twotone|sweep|pluck|voice|noise|silence|impulse OUT");
            return 0;
        } else if (!sig)
            sig = a;
        else if (!out)
            out = a;
        else {
            fprintf(stderr, "gs-mksig: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    (void)have_volts;
    if (!sig || !out || rate < 8000 || seconds <= 0 || channels < 1 || channels > 64) {
        fprintf(stderr, "gs-mksig: usage: see --help\n");
        return 2;
    }
    size_t n = (size_t)(seconds * rate + 0.5);
    double *x = calloc(n, sizeof(double));
    if (!x) return 1;
    if (!strcmp(sig, "sine")) {
        for (size_t i = 0; i < n; i++) x[i] = sin(2 * PI * freq * (double)i / rate);
    } else if (!strcmp(sig, "twotone")) {
        for (size_t i = 0; i < n; i++)
            x[i] = 0.5 * sin(2 * PI * 100.0 * (double)i / rate) +
                   0.5 * sin(2 * PI * 1500.0 * (double)i / rate);
    } else if (!strcmp(sig, "sweep")) {
        double f1 = 20.0, f2 = 20000.0, T = seconds, L = T / log(f2 / f1);
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / rate;
            x[i] = sin(2 * PI * f1 * L * (exp(t / L) - 1.0));
        }
        fade(x, n, rate, 0.01);
    } else if (!strcmp(sig, "pluck")) {
        pluck(x, n, rate);
    } else if (!strcmp(sig, "voice")) {
        voice(x, n, rate);
    } else if (!strcmp(sig, "noise")) {
        for (size_t i = 0; i < n; i++) x[i] = urand();
    } else if (!strcmp(sig, "silence")) {
        /* zeros */
    } else if (!strcmp(sig, "impulse")) {
        x[n / 4] = 1.0;
    } else {
        fprintf(stderr, "gs-mksig: unknown signal '%s'\n", sig);
        free(x);
        return 2;
    }
    /* Normalise to the requested peak (sine, sweep and friends already peak at 1). */
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    if (m > 0)
        for (size_t i = 0; i < n; i++) x[i] *= peak / m;

    SF_INFO info = {0};
    info.samplerate = (int)rate;
    info.channels = channels;
    int sub = !strcmp(fmt, "s16")   ? SF_FORMAT_PCM_16
              : !strcmp(fmt, "s24") ? SF_FORMAT_PCM_24
                                    : SF_FORMAT_FLOAT;
    info.format = SF_FORMAT_WAV | sub;
    SNDFILE *f = sf_open(out, SFM_WRITE, &info);
    if (!f) {
        fprintf(stderr, "gs-mksig: cannot write '%s': %s\n", out, sf_strerror(NULL));
        free(x);
        return 1;
    }
    /* Interleave and write in blocks (one call per frame is slow for long files). */
    enum { BLK = 4096 };
    double *frames = malloc(sizeof(double) * BLK * (size_t)channels);
    int ok = frames != NULL;
    for (size_t i = 0; i < n && ok; i += BLK) {
        size_t len = n - i < BLK ? n - i : BLK;
        for (size_t k = 0; k < len; k++)
            for (int c = 0; c < channels; c++)
                frames[k * (size_t)channels + (size_t)c] = x[i + k] * (c % 2 ? 0.9 : 1.0);
        ok = sf_writef_double(f, frames, (sf_count_t)len) == (sf_count_t)len;
    }
    free(frames);
    free(x);
    if (sf_close(f) != 0 || !ok) {
        fprintf(stderr, "gs-mksig: writing '%s' failed\n", out);
        return 1;
    }
    return 0;
}
