/* mksignals: standard test inputs as mono float WAVs (volts), deterministic.
 *
 *   mksignals SIGNAL OUT.wav [--rate 48000] [--seconds 1.0] [--peak 1.0] [--fade MS]
 *
 * SIGNAL:
 *   sine     1 kHz sine, sin phase, amplitude peak
 *   twotone  100 Hz + 1.5 kHz, sin phase, amplitude peak/2 each
 *   sweep    exponential sine sweep 20 Hz -> 20 kHz, normalised to peak
 *   pluck    plucked-string-like: decaying, slightly stretched harmonics of
 *            110 Hz (string plucked at 1/5 of its length; higher harmonics
 *            decay faster), kept below min(0.4 fs, 12 kHz), normalised to peak
 * Raised-cosine fades at both ends: 10 ms for sweep, 2 ms for the others
 * (pluck: 1 ms attack, 2 ms fade-out); --fade MS sets both ends (0 = none).
 * The fades keep the band-limited reconstruction of the samples free of
 * pre-ringing before the first sample and after the last.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static void die(const char *msg, const char *arg) {
    fprintf(stderr, "mksignals: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    exit(1);
}

static double parse_double(const char *s, const char *what) {
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || *e || e == s || !isfinite(v)) die(what, s);
    return v;
}

/* raised-cosine gain for a fade of length tf at time t from the edge */
static double fade(double t, double tf) {
    if (t <= 0.0) return 0.0;
    if (t >= tf) return 1.0;
    return 0.5 - 0.5 * cos(M_PI * t / tf);
}

static void normalize(double *x, long n, double peak) {
    double mx = 0.0;
    for (long i = 0; i < n; i++)
        if (fabs(x[i]) > mx) mx = fabs(x[i]);
    if (mx > 0.0)
        for (long i = 0; i < n; i++) x[i] *= peak / mx;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: mksignals sine|twotone|sweep|pluck OUT.wav [--rate 48000] [--seconds 1.0] "
              "[--peak 1.0]\n",
              stderr);
        return 2;
    }
    const char *sig = argv[1], *out = argv[2];
    double rate = 48000.0, seconds = 1.0, peak = 1.0, fade_ms = -1.0;
    for (int i = 3; i < argc; i++) {
        if (i + 1 >= argc) die("missing value for", argv[i]);
        if (strcmp(argv[i], "--rate") == 0) rate = parse_double(argv[++i], "bad --rate");
        else if (strcmp(argv[i], "--seconds") == 0) seconds = parse_double(argv[++i], "bad --seconds");
        else if (strcmp(argv[i], "--peak") == 0) peak = parse_double(argv[++i], "bad --peak");
        else if (strcmp(argv[i], "--fade") == 0) fade_ms = parse_double(argv[++i], "bad --fade");
        else die("unknown argument", argv[i]);
    }
    if (rate < 8000.0 || rate > 768000.0 || rate != floor(rate)) die("bad --rate", NULL);
    if (seconds <= 0.0 || seconds > 600.0) die("bad --seconds", NULL);
    if (peak <= 0.0) die("bad --peak", NULL);
    if (fade_ms > 0.5e3 * seconds) die("--fade longer than half the signal", NULL);

    long n = (long)llround(seconds * rate);
    double *x = calloc((size_t)n, sizeof(double));
    if (!x) die("out of memory", NULL);
    double dur = (double)n / rate;
    double fin = 0.0, fout = 0.0;
    int normalize_after_fade = 0;

    if (strcmp(sig, "sine") == 0) {
        for (long i = 0; i < n; i++) x[i] = peak * sin(2.0 * M_PI * 1000.0 * (double)i / rate);
        fin = fout = 0.002;
    } else if (strcmp(sig, "twotone") == 0) {
        for (long i = 0; i < n; i++) {
            double t = (double)i / rate;
            x[i] = 0.5 * peak * (sin(2.0 * M_PI * 100.0 * t) + sin(2.0 * M_PI * 1500.0 * t));
        }
        fin = fout = 0.002;
    } else if (strcmp(sig, "sweep") == 0) {
        double f1 = 20.0, f2 = 20000.0, tf = 0.010;
        if (f2 >= 0.46 * rate) die("sweep needs --rate above 43.5 kHz", NULL);
        double k = log(f2 / f1) / dur;
        for (long i = 0; i < n; i++) {
            double t = (double)i / rate;
            double ph = 2.0 * M_PI * f1 * (exp(k * t) - 1.0) / k;
            x[i] = sin(ph);
        }
        fin = fout = tf;
        normalize_after_fade = 1;
    } else if (strcmp(sig, "pluck") == 0) {
        double f0 = 110.0, pos = 0.2, fmax = fmin(0.4 * rate, 12000.0);
        for (int h = 1;; h++) {
            double fh = f0 * h * sqrt(1.0 + 1e-4 * (double)h * h); /* slight stiffness */
            if (fh >= fmax) break;
            double a = sin(M_PI * h * pos) / ((double)h * h);  /* plucked at 1/5 */
            double tau = 1.2 / (1.0 + 0.015 * (double)h * h); /* highs die first */
            double w = 2.0 * M_PI * fh;
            for (long i = 0; i < n; i++) {
                double t = (double)i / rate;
                x[i] += a * exp(-t / tau) * cos(w * t);
            }
        }
        fin = 0.001;
        fout = 0.002;
        normalize_after_fade = 1;
    } else {
        die("unknown signal (sine, twotone, sweep, pluck):", sig);
    }

    if (fade_ms >= 0.0) fin = fout = 1e-3 * fade_ms;
    /* last sample at dur - 1/rate: fades reach 0 at t = 0 and t = dur */
    for (long i = 0; i < n; i++) {
        double t = (double)i / rate;
        if (fin > 0.0) x[i] *= fade(t, fin);
        if (fout > 0.0) x[i] *= fade(dur - t, fout);
    }
    if (normalize_after_fade) normalize(x, n, peak);

    SF_INFO si;
    memset(&si, 0, sizeof si);
    si.samplerate = (int)rate;
    si.channels = 1;
    si.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *sf = sf_open(out, SFM_WRITE, &si);
    if (!sf) die("cannot write", out);
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE); /* reproducible bytes */
    if (sf_writef_double(sf, x, n) != n) die("write error on", out);
    if (sf_close(sf) != 0) die("close error on", out);
    free(x);
    return 0;
}
