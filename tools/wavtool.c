/* gs-wav: look inside audio files, for the tests and the demo.
 *
 *   gs-wav info FILE            frames, channels, rate, container, sample format, peak, argmax
 *   gs-wav diff A B [SHIFT]     largest absolute sample difference and ESR of B against A; with
 *                               SHIFT, A[n] is compared with B[n + SHIFT] (B delayed by SHIFT)
 *   gs-wav thd --freq HZ FILE   THD, THD+N and harmonics H2..H10 of channel 1 (FFTW, windowed)
 *   gs-wav level FILE           RMS and peak of channel 1 in dBFS
 *
 * Output is "key=value" pairs on one line, easy to test in shell.
 */
#include <fftw3.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *load(const char *path, SF_INFO *info) {
    memset(info, 0, sizeof *info);
    SNDFILE *f = sf_open(path, SFM_READ, info);
    if (!f) {
        fprintf(stderr, "gs-wav: cannot read '%s': %s\n", path, sf_strerror(NULL));
        exit(1);
    }
    size_t n = (size_t)info->frames * (size_t)info->channels;
    double *x = malloc((n ? n : 1) * sizeof(double));
    sf_count_t got = sf_readf_double(f, x, info->frames);
    sf_close(f);
    info->frames = got;
    return x;
}

static const char *subtype_name(int fmt) {
    switch (fmt & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_16: return "s16";
    case SF_FORMAT_PCM_24: return "s24";
    case SF_FORMAT_PCM_32: return "s32";
    case SF_FORMAT_FLOAT: return "f32";
    case SF_FORMAT_DOUBLE: return "f64";
    default: return "other";
    }
}

static const char *major_name(int fmt) {
    switch (fmt & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX: return "wav";
    case SF_FORMAT_RF64: return "rf64";
    case SF_FORMAT_FLAC: return "flac";
    case SF_FORMAT_AIFF: return "aiff";
    case SF_FORMAT_CAF: return "caf";
    case SF_FORMAT_W64: return "w64";
    default: return "other";
    }
}

static int info_cmd(const char *path) {
    SF_INFO in;
    double *x = load(path, &in);
    double peak = 0;
    long long arg = 0, nonzero = 0;
    for (long long i = 0; i < (long long)in.frames; i++) {
        for (int c = 0; c < in.channels; c++) {
            double v = fabs(x[i * in.channels + c]);
            if (v > peak) {
                peak = v;
                if (c == 0) arg = i;
            }
            nonzero += v != 0.0;
        }
    }
    printf("frames=%lld channels=%d rate=%d container=%s format=%s peak=%.9g argmax=%lld "
           "nonzero=%lld\n",
           (long long)in.frames, in.channels, in.samplerate, major_name(in.format),
           subtype_name(in.format), peak, arg, nonzero);
    free(x);
    return 0;
}

static int diff_cmd(const char *a, const char *b, long shift) {
    SF_INFO ia, ib;
    double *x = load(a, &ia), *y = load(b, &ib);
    if (ia.frames != ib.frames || ia.channels != ib.channels || shift < 0 ||
        shift >= (long)ia.frames) {
        printf("same_shape=0 frames=%lld/%lld channels=%d/%d\n", (long long)ia.frames,
               (long long)ib.frames, ia.channels, ib.channels);
        return 1;
    }
    double md = 0, e = 0, s = 0;
    size_t off = (size_t)shift * (size_t)ia.channels;
    size_t n = (size_t)ia.frames * (size_t)ia.channels - off;
    for (size_t i = 0; i < n; i++) {
        double d = y[i + off] - x[i];
        md = fmax(md, fabs(d));
        e += d * d;
        s += x[i] * x[i];
    }
    printf("same_shape=1 maxdiff=%.9g esr=%.6g\n", md, s > 0 ? e / s : (e > 0 ? INFINITY : 0));
    free(x);
    free(y);
    return 0;
}

static int level_cmd(const char *path) {
    SF_INFO in;
    double *x = load(path, &in);
    double s = 0, peak = 0;
    for (long long i = 0; i < (long long)in.frames; i++) {
        double v = x[i * in.channels];
        s += v * v;
        peak = fmax(peak, fabs(v));
    }
    double rms = in.frames ? sqrt(s / (double)in.frames) : 0;
    printf("rms_dbfs=%.2f peak_dbfs=%.2f\n", 20 * log10(rms + 1e-30), 20 * log10(peak + 1e-30));
    free(x);
    return 0;
}

/* THD by FFT of the middle of the file with a 4-term Blackman-Harris window (sidelobes -92 dB):
 * harmonic k's power is the sum of the bins within +/-4 of k f0; THD+N is everything but DC and the
 * fundamental's bins, from 10 Hz to 20 kHz (or Nyquist). */
static int thd_cmd(const char *path, double f0) {
    SF_INFO in;
    double *x = load(path, &in);
    size_t N = 1;
    while (N * 2 <= (size_t)in.frames / 2 && N < (1u << 18)) N *= 2;
    if (N < 4096) {
        fprintf(stderr, "gs-wav: '%s' is too short for THD\n", path);
        return 1;
    }
    double *buf = fftw_malloc(sizeof(double) * N);
    fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * (N / 2 + 1));
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)N, buf, spec, FFTW_ESTIMATE);
    size_t start = ((size_t)in.frames - N) / 2;
    for (size_t i = 0; i < N; i++) {
        double t = 2 * M_PI * (double)i / (double)N;
        double w = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
        buf[i] = w * x[(start + i) * (size_t)in.channels];
    }
    fftw_execute(plan);
    double binhz = in.samplerate / (double)N;
    double *p = malloc(sizeof(double) * (N / 2 + 1));
    for (size_t k = 0; k <= N / 2; k++) p[k] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
    double h[11] = {0};
    for (int k = 1; k <= 10; k++) {
        double fk = f0 * k;
        if (fk >= in.samplerate / 2.0) break;
        long c = lround(fk / binhz);
        for (long b = c - 4; b <= c + 4; b++)
            if (b > 0 && b <= (long)(N / 2)) h[k] += p[b];
    }
    double harm = 0;
    for (int k = 2; k <= 10; k++) harm += h[k];
    double total = 0;
    long lo = lround(10.0 / binhz), hi = lround(fmin(20000.0, in.samplerate / 2.0) / binhz);
    long c1 = lround(f0 / binhz);
    for (long b = lo; b <= hi && b <= (long)(N / 2); b++)
        if (b < c1 - 4 || b > c1 + 4) total += p[b];
    printf("thd_pct=%.6f thdn_pct=%.6f", 100 * sqrt(harm / h[1]), 100 * sqrt(total / h[1]));
    for (int k = 2; k <= 10; k++)
        printf(" h%d_db=%.2f", k, h[k] > 0 ? 10 * log10(h[k] / h[1]) : -300.0);
    printf("\n");
    fftw_destroy_plan(plan);
    fftw_free(buf);
    fftw_free(spec);
    free(p);
    free(x);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "info")) return info_cmd(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "diff"))
        return diff_cmd(argv[2], argv[3], argc >= 5 ? atol(argv[4]) : 0);
    if (argc >= 3 && !strcmp(argv[1], "level")) return level_cmd(argv[2]);
    if (argc >= 5 && !strcmp(argv[1], "thd") && !strcmp(argv[2], "--freq"))
        return thd_cmd(argv[4], atof(argv[3]));
    fprintf(stderr,
            "usage: gs-wav info FILE | diff A B [SHIFT] | level FILE | thd --freq HZ FILE\n");
    return 2;
}
