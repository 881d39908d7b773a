/* The analyser of 'gainstage measure' (method in analysis.h; each measurement's method is also
 * written into the report by report.c). Not real-time code: it allocates per measurement. */
#include "analysis.h"

#include <fftw3.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI 3.14159265358979323846

const double gsm_win_coef[GSM_WIN_TERMS] = {
    2.712203605850388e-1, 4.334446123274422e-1, 2.180041228929303e-1, 6.578534329560609e-2,
    1.076186730534183e-2, 7.700127105808265e-4, 1.368088305992921e-5,
};

void gsm_window_fill(double *w, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double t = 2.0 * PI * (double)i / (double)n, v = 0.0;
        for (int k = 0; k < GSM_WIN_TERMS; k++)
            v += (k & 1 ? -1.0 : 1.0) * gsm_win_coef[k] * cos(k * t);
        w[i] = v;
    }
}

int gsm_dut_run(const gsm_dut *dut, const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; i += dut->block) {
        uint32_t len = (uint32_t)(n - i < dut->block ? n - i : dut->block);
        if (dut->process(dut->ctx, in + i, out + i, len)) return -1;
    }
    return 0;
}

double gsm_a_weight_power(double f) {
    /* IEC 61672-1 A-weighting pole frequencies (Hz). */
    const double f1 = 20.598997, f2 = 107.65265, f3 = 737.86223, f4 = 12194.217;
    double f_2 = f * f;
    double ra = (f4 * f4 * f_2 * f_2) /
                ((f_2 + f1 * f1) * sqrt((f_2 + f2 * f2) * (f_2 + f3 * f3)) * (f_2 + f4 * f4));
    double r1k = (f4 * f4 * 1e12) /
                 ((1e6 + f1 * f1) * sqrt((1e6 + f2 * f2) * (1e6 + f3 * f3)) * (1e6 + f4 * f4));
    double g = ra / r1k;
    return g * g;
}

/* Mean-square power per bin of y (windowed FFT, see analysis.h). Also the complex bin k. */
static void spectrum(const float *y, size_t n, double *p, size_t kc, double *re, double *im) {
    double *buf = fftw_malloc(sizeof(double) * n);
    fftw_complex *spec = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    double *w = malloc(sizeof(double) * n);
    fftw_plan plan = fftw_plan_dft_r2c_1d((int)n, buf, spec, FFTW_ESTIMATE);
    gsm_window_fill(w, n);
    double s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        buf[i] = w[i] * (double)y[i];
        s2 += w[i] * w[i];
    }
    fftw_execute(plan);
    for (size_t b = 0; b <= n / 2; b++)
        p[b] = (b ? 2.0 : 1.0) * (spec[b][0] * spec[b][0] + spec[b][1] * spec[b][1]) /
               ((double)n * s2);
    if (re) *re = spec[kc][0];
    if (im) *im = spec[kc][1];
    fftw_destroy_plan(plan);
    fftw_free(buf);
    fftw_free(spec);
    free(w);
}

static double band(const double *p, long lo, long hi, long nb) {
    double s = 0.0;
    if (lo < 0) lo = 0;
    if (hi > nb - 1) hi = nb - 1;
    for (long b = lo; b <= hi; b++) s += p[b];
    return s;
}

void gsm_tone_analyse(const float *y, const float *x, size_t n, size_t k, double rate,
                      uint32_t latency, gsm_tone *t, double *bins) {
    const long hw = GSM_WIN_HALF_WIDTH, nb = (long)(n / 2 + 1), kk = (long)k;
    double *p = bins ? bins : malloc(sizeof(double) * (size_t)nb);
    double yr, yi;
    spectrum(y, n, p, k, &yr, &yi);
    t->freq = (double)k * rate / (double)n;
    for (int j = 1; j <= GSM_NH; j++)
        t->h[j] = (long)j * kk + hw < nb ? band(p, (long)j * kk - hw, (long)j * kk + hw, nb) : NAN;
    double harm = 0.0;
    for (int j = 2; j <= GSM_NH; j++)
        if (isfinite(t->h[j])) harm += t->h[j];
    t->thd = harm / t->h[1];
    /* THD+N: everything in 20 Hz .. min(20 kHz, Nyquist) but the fundamental's bins. */
    double binhz = rate / (double)n;
    long lo = (long)ceil(20.0 / binhz), hi = (long)floor(fmin(20000.0, rate / 2.0) / binhz);
    if (lo <= hw) lo = hw + 1;
    double tot = 0.0;
    for (long b = lo; b <= hi && b < nb; b++)
        if (b < kk - hw || b > kk + hw) tot += p[b];
    t->thdn = fmax(tot, 0.0) / t->h[1];
    /* Aliasing: every bin from above DC to Nyquist that is neither DC nor a harmonic. Harmonics
     * are marked for every order whose bins reach below Nyquist. */
    char *mark = calloc((size_t)nb, 1);
    for (long b = 0; b <= hw && b < nb; b++) mark[b] = 1;
    for (long j = 1; j * kk - hw < nb; j++)
        for (long b = j * kk - hw; b <= j * kk + hw; b++)
            if (b >= 0 && b < nb) mark[b] = 1;
    double al = 0.0;
    for (long b = 0; b < nb; b++)
        if (!mark[b]) al += p[b];
    free(mark);
    t->alias = al / t->h[1];
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += y[i];
    t->dc = s / (double)n;
    t->phase_deg = NAN;
    if (x) {
        double *px = malloc(sizeof(double) * (size_t)nb), xr, xi;
        spectrum(x, n, px, k, &xr, &xi);
        double ph = atan2(yi, yr) - atan2(xi, xr) + 2.0 * PI * t->freq * latency / rate;
        ph = remainder(ph, 2.0 * PI);
        t->phase_deg = ph * 180.0 / PI;
        free(px);
    }
    if (!bins) free(p);
}

/* Coherent cycle count: odd (so no image of a harmonic up to order n falls on a harmonic) and at
 * least 2 * GSM_WIN_HALF_WIDTH + 1 (so the fundamental's and H2's bins do not overlap). */
static size_t coherent_k(double freq, double rate, size_t n) {
    long k = lround(freq * (double)n / rate);
    if (!(k & 1)) k += (freq * (double)n / rate > (double)k) ? 1 : -1;
    if (k < 2 * GSM_WIN_HALF_WIDTH + 1) k = 2 * GSM_WIN_HALF_WIDTH + 1;
    return (size_t)k;
}

/* Stream: fade-in (raised cosine) -> settle -> capture of n -> fade-out. The fades keep the
 * start-up transient of coupling capacitors and DC blockers small; the settling time lets what is
 * left decay before the capture. */
static int run_tone(const gsm_dut *dut, double freq_exact, double amp, size_t n, double settle_s,
                    float *xcap, float *ycap) {
    size_t fade = (size_t)(0.02 * dut->rate), settle = (size_t)(settle_s * dut->rate);
    settle += dut->latency;
    size_t total = fade + settle + n + fade;
    float *x = malloc(sizeof(float) * total), *y = malloc(sizeof(float) * total);
    double w = 2.0 * PI * freq_exact / dut->rate;
    for (size_t i = 0; i < total; i++) {
        /* phase referred to the capture start so x over the capture is exactly periodic */
        double ph = w * (double)((long long)i - (long long)(fade + settle));
        double g = 1.0;
        if (i < fade) g = 0.5 - 0.5 * cos(PI * (double)i / (double)fade);
        if (i >= fade + settle + n)
            g = 0.5 + 0.5 * cos(PI * (double)(i - fade - settle - n) / (double)fade);
        x[i] = (float)(g * amp * sin(fmod(ph, 2.0 * PI)));
    }
    int rc = gsm_dut_run(dut, x, y, total);
    if (!rc) {
        if (xcap) memcpy(xcap, x + fade + settle, sizeof(float) * n);
        memcpy(ycap, y + fade + settle, sizeof(float) * n);
    }
    free(x);
    free(y);
    return rc;
}

int gsm_measure_tone(const gsm_dut *dut, double freq, double level_dbfs, size_t n, double settle_s,
                     gsm_tone *t, double *bins) {
    size_t k = coherent_k(freq, dut->rate, n);
    double fe = (double)k * dut->rate / (double)n;
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    double amp = pow(10.0, level_dbfs / 20.0);
    int rc = run_tone(dut, fe, amp, n, settle_s, x, y);
    if (!rc) {
        gsm_tone_analyse(y, x, n, k, dut->rate, dut->latency, t, bins);
        t->amp_in = amp;
    }
    free(x);
    free(y);
    return rc;
}

void gsm_meas_opts_default(gsm_meas_opts *o, int quick) {
    o->quick = quick;
    o->nominal_dbfs = -18.0;
    o->max_dbfs = 12.0;
    o->alias_dbfs = 0.0;
    o->fft_n = quick ? 16384 : 65536;
    o->cpu_seconds = quick ? 1.0 : 5.0;
}

static double db10(double p) { return p > 0.0 ? 10.0 * log10(p) : -INFINITY; }

static int sweep(const gsm_dut *dut, const gsm_meas_opts *o, double freq, gsm_sweep *s) {
    double step = o->quick ? 12.0 : 3.0;
    double lo = o->nominal_dbfs - 60.0, hi = fmin(o->nominal_dbfs + 30.0, o->max_dbfs);
    s->freq = freq;
    s->n = 0;
    double settle = o->quick ? 0.1 : 0.25;
    for (double l = lo; l <= hi + 1e-9 && s->n < GSM_MAX_LEVELS; l += step) {
        gsm_tone t;
        if (gsm_measure_tone(dut, freq, l, o->fft_n, settle, &t, NULL)) return -1;
        int i = s->n++;
        s->freq = t.freq;
        s->level[i] = l;
        s->thd_db[i] = db10(t.thd);
        s->thdn_db[i] = db10(t.thdn);
        s->gain_db[i] = db10(t.h[1]) - 20.0 * log10(t.amp_in / sqrt(2.0));
        double ev = 0.0, od = 0.0;
        for (int j = 2; j <= GSM_NH; j++) {
            s->h_db[i][j] = isfinite(t.h[j]) ? db10(t.h[j] / t.h[1]) : NAN;
            if (!isfinite(t.h[j])) continue;
            if (j & 1)
                od += t.h[j];
            else
                ev += t.h[j];
        }
        s->h_db[i][0] = NAN;
        s->h_db[i][1] = 0.0;
        s->even_odd_db[i] = db10(ev) - db10(od);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Deterministic white noise, uniform in [-1, 1) (xorshift32). */
static float noise_next(uint32_t *s) {
    uint32_t v = *s;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    *s = v;
    return (float)((double)v / 2147483648.0 - 1.0);
}

static int latency_polarity(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r) {
    size_t n = o->fft_n, pre = (size_t)(0.2 * dut->rate) + dut->latency;
    /* Impulse: after settled silence, one sample at the nominal sine's peak. */
    size_t tot = pre + n;
    float *x = calloc(tot, sizeof(float)), *y = malloc(sizeof(float) * tot);
    x[pre] = (float)pow(10.0, o->nominal_dbfs / 20.0);
    if (gsm_dut_run(dut, x, y, tot)) goto fail;
    double base = y[pre > 0 ? pre - 1 : 0], best = 0.0;
    size_t arg = 0;
    for (size_t i = pre; i < tot; i++)
        if (fabs(y[i] - base) > best) {
            best = fabs(y[i] - base);
            arg = i;
        }
    r->lat_impulse = (int)(arg - pre);
    r->pol_impulse = y[arg] - base >= 0 ? 1 : -1;
    /* Cross-correlation: periodic white noise (period n) at the nominal RMS; after one period of
     * settling, the circular cross-correlation of one period of output with the input. */
    free(x);
    free(y);
    tot = 2 * n;
    x = malloc(sizeof(float) * tot);
    y = malloc(sizeof(float) * tot);
    uint32_t seed = 12345u;
    double g = pow(10.0, o->nominal_dbfs / 20.0) / sqrt(2.0) * sqrt(3.0); /* uniform RMS 1/sqrt3 */
    for (size_t i = 0; i < n; i++) x[i] = x[i + n] = (float)(g * noise_next(&seed));
    if (gsm_dut_run(dut, x, y, tot)) goto fail;
    double *a = fftw_malloc(sizeof(double) * n), *b = fftw_malloc(sizeof(double) * n);
    fftw_complex *A = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1)),
                 *B = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
    fftw_plan pa = fftw_plan_dft_r2c_1d((int)n, a, A, FFTW_ESTIMATE);
    fftw_plan pb = fftw_plan_dft_r2c_1d((int)n, b, B, FFTW_ESTIMATE);
    fftw_plan pi = fftw_plan_dft_c2r_1d((int)n, B, b, FFTW_ESTIMATE);
    double ex = 0.0, ey = 0.0, my = 0.0, mx = 0.0;
    for (size_t i = 0; i < n; i++) {
        my += y[n + i];
        mx += x[n + i];
    }
    my /= (double)n;
    mx /= (double)n;
    for (size_t i = 0; i < n; i++) {
        a[i] = x[n + i] - mx;
        b[i] = y[n + i] - my;
        ex += a[i] * a[i];
        ey += b[i] * b[i];
    }
    fftw_execute(pa);
    fftw_execute(pb);
    for (size_t i = 0; i <= n / 2; i++) { /* B = Y conj(X) */
        double re = B[i][0] * A[i][0] + B[i][1] * A[i][1];
        double im = B[i][1] * A[i][0] - B[i][0] * A[i][1];
        B[i][0] = re;
        B[i][1] = im;
    }
    fftw_execute(pi);
    best = 0.0;
    arg = 0;
    for (size_t i = 0; i < n / 2; i++)
        if (fabs(b[i]) > best) {
            best = fabs(b[i]);
            arg = i;
        }
    r->lat_xcorr = (int)arg;
    r->pol_xcorr = b[arg] >= 0 ? 1 : -1;
    r->xcorr_peak = ex > 0 && ey > 0 ? b[arg] / (double)n / sqrt(ex * ey) : 0.0;
    fftw_destroy_plan(pa);
    fftw_destroy_plan(pb);
    fftw_destroy_plan(pi);
    fftw_free(a);
    fftw_free(b);
    fftw_free(A);
    fftw_free(B);
    free(x);
    free(y);
    return 0;
fail:
    free(x);
    free(y);
    return -1;
}

static int noise_dc(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r) {
    size_t n = o->fft_n, pre = (size_t)((o->quick ? 0.2 : 0.5) * dut->rate) + dut->latency;
    float *x = calloc(pre + n, sizeof(float)), *y = malloc(sizeof(float) * (pre + n));
    if (gsm_dut_run(dut, x, y, pre + n)) {
        free(x);
        free(y);
        return -1;
    }
    double *p = malloc(sizeof(double) * (n / 2 + 1));
    spectrum(y + pre, n, p, 0, NULL, NULL);
    double binhz = dut->rate / (double)n, u = 0.0, a = 0.0, dc = 0.0;
    for (size_t b = 1; b <= n / 2; b++) {
        double f = (double)b * binhz;
        if (f < 20.0 || f > 20000.0) continue;
        u += p[b];
        a += p[b] * gsm_a_weight_power(f);
    }
    for (size_t i = 0; i < n; i++) dc += y[pre + i];
    r->dc_units = dc / (double)n;
    r->dc_volts = r->dc_units * dut->out_vpu;
    r->noise_rms = sqrt(u);
    r->noise_rms_a = sqrt(a);
    r->noise_dbu = 20.0 * log10(r->noise_rms * dut->out_vpu / 0.7745966692);
    r->noise_dbu_a = 20.0 * log10(r->noise_rms_a * dut->out_vpu / 0.7745966692);
    free(p);
    free(x);
    free(y);
    return 0;
}

static int cpu_cost(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r) {
    size_t n = (size_t)(o->cpu_seconds * dut->rate);
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    uint32_t seed = 777u;
    double amp = pow(10.0, o->nominal_dbfs / 20.0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * (0.5 * sin(2.0 * PI * 220.0 * (double)i / dut->rate) +
                              0.5 * noise_next(&seed)));
    double t[3];
    int rc = 0;
    for (int k = 0; k < 3 && !rc; k++) {
        double t0 = cpu_now();
        rc = gsm_dut_run(dut, x, y, n);
        t[k] = cpu_now() - t0;
    }
    qsort(t, 3, sizeof t[0], cmp_double);
    r->cpu_xrt = t[1] > 0 ? (double)n / dut->rate / t[1] : INFINITY;
    free(x);
    free(y);
    return rc;
}

/* Peak-hold the bins (dB re fundamental) down to GSM_SPEC_POINTS points for plots. */
static void store_spectrum(const double *p, size_t n, double rate, double h1, double *f, double *db,
                           int *np) {
    size_t nb = n / 2 + 1, per = (nb + GSM_SPEC_POINTS - 1) / GSM_SPEC_POINTS;
    int m = 0;
    for (size_t b = 0; b < nb && m < GSM_SPEC_POINTS; b += per) {
        double mx = 0.0;
        size_t arg = b;
        for (size_t j = b; j < b + per && j < nb; j++)
            if (p[j] > mx) {
                mx = p[j];
                arg = j;
            }
        f[m] = (double)arg * rate / (double)n;
        db[m] = mx > 0 ? fmax(10.0 * log10(mx / h1), -300.0) : -300.0;
        m++;
    }
    *np = m;
}

/* Harmonics of 1 kHz at three drive levels: nominal, +12 and +24 dB (capped at the max level). */
static int drive_harmonics(const gsm_dut *dut, const gsm_meas_opts *o, double settle,
                           gsm_report *r) {
    r->drive_level[0] = o->nominal_dbfs;
    r->drive_level[1] = fmin(o->nominal_dbfs + 12.0, o->max_dbfs);
    r->drive_level[2] = fmin(o->nominal_dbfs + 24.0, o->max_dbfs);
    for (int d = 0; d < 3; d++) {
        gsm_tone t;
        if (gsm_measure_tone(dut, 1000.0, r->drive_level[d], o->fft_n, settle, &t, NULL)) return -1;
        r->drive_freq = t.freq;
        for (int j = 0; j <= GSM_NH; j++)
            r->drive_h_db[d][j] = j >= 2 && isfinite(t.h[j]) ? db10(t.h[j] / t.h[1]) : NAN;
    }
    return 0;
}

/* Frequency response: stepped coherent sines, 1/6 octave (quick: 1/3) from 20 Hz to 20 kHz,
 * at a small-signal level and at the highest drive level. The FFT is long enough for at least
 * 16 cycles. */
static int freq_response(const gsm_dut *dut, const gsm_meas_opts *o, double settle, gsm_report *r) {
    double steps = o->quick ? 3.0 : 6.0;
    r->fr_level[0] = o->nominal_dbfs - 20.0;
    r->fr_level[1] = r->drive_level[2];
    r->fr_n = 0;
    for (int i = 0; r->fr_n < GSM_MAX_FR; i++) {
        double f = 20.0 * pow(2.0, (double)i / steps);
        if (f > 20000.0 * 1.0001 || f >= dut->rate / 2.0) break;
        size_t n = 4096;
        while ((double)n < 16.0 * dut->rate / f) n *= 2;
        for (int l = 0; l < 2; l++) {
            gsm_tone t;
            if (gsm_measure_tone(dut, f, r->fr_level[l], n, settle * 0.5, &t, NULL)) return -1;
            r->fr_freq[r->fr_n] = t.freq;
            r->fr_mag_db[l][r->fr_n] = db10(t.h[1]) - 20.0 * log10(t.amp_in / sqrt(2.0));
            r->fr_phase_deg[l][r->fr_n] = t.phase_deg;
        }
        r->fr_n++;
    }
    return 0;
}

/* Static transfer curve: one period of a slow sine (a whole number of samples per period) at
 * the highest sweep level, latency removed. */
static int transfer_curve(const gsm_dut *dut, const gsm_meas_opts *o, double settle,
                          gsm_report *r) {
    size_t per = (size_t)lround(dut->rate / 50.0);
    if (per > GSM_MAX_TC) per = GSM_MAX_TC;
    size_t reps = (size_t)((settle + 0.2) * dut->rate / (double)per) + 2;
    size_t tot = per * reps + dut->latency;
    float *x = malloc(sizeof(float) * tot), *y = malloc(sizeof(float) * tot);
    double amp = pow(10.0, o->max_dbfs / 20.0);
    r->tc_level = o->max_dbfs;
    r->tc_freq = dut->rate / (double)per;
    for (size_t i = 0; i < tot; i++) {
        double g = i < per ? 0.5 - 0.5 * cos(PI * (double)i / (double)per) : 1.0;
        x[i] = (float)(g * amp * sin(2.0 * PI * (double)(i % per) / (double)per));
    }
    int rc = gsm_dut_run(dut, x, y, tot);
    size_t s0 = per * (reps - 1);
    for (size_t i = 0; i < per; i++) {
        r->tc_in[i] = x[s0 - per + i];
        r->tc_out[i] = y[s0 - per + i + dut->latency];
    }
    r->tc_n = (int)per;
    free(x);
    free(y);
    return rc ? -1 : 0;
}

/* Aliasing: tones at alias_dbfs up to 18 kHz, with the spectra of the 5 kHz and 9 kHz ones. */
static int aliasing(const gsm_dut *dut, const gsm_meas_opts *o, double settle, gsm_report *r) {
    static const double freqs[] = {1000, 2000, 3000, 5000, 7000, 9000, 11000, 13000, 15000, 18000};
    double *p = malloc(sizeof(double) * (o->fft_n / 2 + 1));
    r->al_level = o->alias_dbfs;
    r->al_n = 0;
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
        if (freqs[i] >= dut->rate / 2.0 * 0.95) break;
        gsm_tone t;
        if (gsm_measure_tone(dut, freqs[i], o->alias_dbfs, o->fft_n, settle, &t, p)) {
            free(p);
            return -1;
        }
        r->al_freq[r->al_n] = t.freq;
        r->al_db[r->al_n] = db10(t.alias);
        r->al_n++;
        int which = freqs[i] == 5000 ? 0 : (freqs[i] == 9000 ? 1 : -1);
        if (which < 0) continue;
        if (which == 0) {
            r->al5_db = db10(t.alias);
            r->al5_freq = t.freq;
        } else {
            r->al9_db = db10(t.alias);
            r->al9_freq = t.freq;
        }
        store_spectrum(p, o->fft_n, dut->rate, t.h[1], r->spec_f[which], r->spec_db[which],
                       &r->spec_n);
    }
    free(p);
    return 0;
}

/* Small-signal voltage gain at 1 kHz, calibrated (for EIN). */
static int gain_1k(const gsm_dut *dut, const gsm_meas_opts *o, double settle, gsm_report *r) {
    gsm_tone t;
    if (gsm_measure_tone(dut, 1000.0, o->nominal_dbfs - 20.0, o->fft_n, settle, &t, NULL))
        return -1;
    r->gain_1k_db =
        db10(t.h[1] / (t.amp_in * t.amp_in / 2.0)) + 20.0 * log10(dut->out_vpu / dut->in_vpu);
    return 0;
}

/* ---- Hum: mains lines on silence, then subtracted from everything the tones measure */

/* A line counts as hum when the power in its bins is this many times the noise there (10 dB): a
 * line of noise alone exceeds it with a probability far below 1e-9. */
#define HUM_SIGNIFICANT 10.0

/* The device under test as the measurements see it: samples counted from the first one (the
 * hum's phase is referred to that count), and the hum's period, once measured, subtracted. */
typedef struct hum_ctx {
    const gsm_dut *dut;
    uint64_t pos;  /* samples the device has processed */
    double *table; /* one mains period of the hum, at pos % period == index; NULL: none */
    size_t period; /* samples */
    int subtract;  /* 0 while the noise is measured (it includes the hum) */
} hum_ctx;

static int hum_process(void *ctx, const float *in, float *out, uint32_t n) {
    hum_ctx *h = ctx;
    if (h->dut->process(h->dut->ctx, in, out, n)) return -1;
    if (h->table && h->subtract) {
        size_t j = (size_t)(h->pos % h->period);
        for (uint32_t i = 0; i < n; i++) {
            out[i] = (float)(out[i] - h->table[j]);
            if (++j == h->period) j = 0;
        }
    }
    h->pos += n;
    return 0;
}

/* Median power of the bins from b0/2 to 2 b0 (at least 64 bins) that no mains line or DC holds:
 * the noise floor near a line. */
static double hum_floor(const double *p, const char *mark, long nb, long b0) {
    long lo = b0 / 2, hi = 2 * b0 > b0 + 64 ? 2 * b0 : b0 + 64;
    if (hi > nb - 1) hi = nb - 1;
    double *v = malloc(sizeof(double) * (size_t)(hi - lo + 1));
    size_t m = 0;
    for (long b = lo; b <= hi; b++)
        if (!mark[b]) v[m++] = p[b];
    double med = 0.0;
    if (m) {
        qsort(v, m, sizeof v[0], cmp_double);
        med = v[m / 2];
    }
    free(v);
    return med;
}

/* Complex amplitude c of the component Re(c e^(j omega t)) of y, t the device's sample count
 * (y[0] at t0): the windowed projection, exact for a sinusoid at omega whatever its bin, other
 * components 7 bins away or more leaking below the window's -177 dB sidelobes. */
static void hum_line(const float *y, const double *w, size_t n, double omega, uint64_t t0,
                     double *re, double *im) {
    double ar = 0.0, ai = 0.0, sw = 0.0, ph0 = fmod(omega * (double)t0, 2.0 * PI);
    for (size_t i = 0; i < n; i++) {
        double ph = ph0 + omega * (double)i;
        ar += w[i] * y[i] * cos(ph);
        ai -= w[i] * y[i] * sin(ph);
        sw += w[i];
    }
    *re = 2.0 * ar / sw;
    *im = 2.0 * ai / sw;
}

/* Hum on silence: for 50 and 60 Hz mains, every harmonic m f (m = 1..GSM_MAX_HUM, below 20 kHz
 * and 0.45 of the rate) whose bins stand out of the noise and above float rounding; the family with
 * more power is the hum. Its lines, summed over one mains period, become the table hum_process
 * subtracts. */
static int hum_measure(const gsm_dut *hd, hum_ctx *hc, const gsm_meas_opts *o, gsm_report *r) {
    size_t n = o->fft_n, pre = (size_t)((o->quick ? 0.2 : 0.5) * hd->rate) + hd->latency;
    const long hw = GSM_WIN_HALF_WIDTH + 1, nb = (long)(n / 2 + 1); /* off-bin: one more */
    float *x = calloc(pre + n, sizeof(float)), *y = malloc(sizeof(float) * (pre + n));
    double *p = malloc(sizeof(double) * (size_t)nb), *w = malloc(sizeof(double) * n);
    char *mark = calloc((size_t)nb, 1);
    int rc = gsm_dut_run(hd, x, y, pre + n);
    uint64_t t0 = hc->pos - n;
    const double fam[2] = {50.0, 60.0}, binhz = hd->rate / (double)n;
    const double fmax_hz = fmin(20000.0, 0.45 * hd->rate);
    double re[2][GSM_MAX_HUM], im[2][GSM_MAX_HUM], pw[2][GSM_MAX_HUM], tot[2] = {0.0, 0.0};
    if (rc) goto done;
    spectrum(y + pre, n, p, 0, NULL, NULL);
    gsm_window_fill(w, n);
    /* Below float32 rounding of the capture (2^-24 of its peak) a line is the rounding of a
     * periodic output, not hum. */
    double peak = 0.0;
    for (size_t i = 0; i < n; i++) peak = fmax(peak, fabs(y[pre + i]));
    double rounding = 0.5 * (peak * 0x1p-24) * (peak * 0x1p-24);
    for (long b = 0; b <= hw && b < nb; b++) mark[b] = 1;
    for (int f = 0; f < 2; f++)
        for (int m = 1; m <= GSM_MAX_HUM && m * fam[f] < fmax_hz; m++) {
            long b0 = lround(m * fam[f] / binhz);
            for (long b = b0 - hw; b <= b0 + hw; b++)
                if (b >= 0 && b < nb) mark[b] = 1;
        }
    for (int f = 0; f < 2; f++)
        for (int m = 1; m <= GSM_MAX_HUM; m++) {
            pw[f][m - 1] = 0.0;
            if (m * fam[f] >= fmax_hz) continue;
            long b0 = lround(m * fam[f] / binhz);
            double floor_p = hum_floor(p, mark, nb, b0);
            if (band(p, b0 - hw, b0 + hw, nb) <= HUM_SIGNIFICANT * (double)(2 * hw + 1) * floor_p)
                continue;
            hum_line(y + pre, w, n, 2.0 * PI * m * fam[f] / hd->rate, t0, &re[f][m - 1],
                     &im[f][m - 1]);
            pw[f][m - 1] = 0.5 * (re[f][m - 1] * re[f][m - 1] + im[f][m - 1] * im[f][m - 1]);
            if (pw[f][m - 1] <= rounding) pw[f][m - 1] = 0.0;
            tot[f] += pw[f][m - 1];
        }
    int f = tot[1] > tot[0];
    r->hum_mains_hz = tot[f] > 0.0 ? fam[f] : 0.0;
    r->hum_n = 0;
    for (int m = 1; m <= GSM_MAX_HUM && tot[f] > 0.0; m++)
        if (pw[f][m - 1] > 0.0) {
            r->hum_freq[r->hum_n] = m * fam[f];
            r->hum_line_dbfs[r->hum_n++] = 10.0 * log10(pw[f][m - 1] / 0.5);
        }
    r->hum_rms = sqrt(tot[f]);
    r->hum_dbfs = 10.0 * log10(tot[f] / 0.5); /* -inf without hum: null in the report */
    r->hum_dbu = 20.0 * log10(r->hum_rms * hd->out_vpu / 0.7745966692);
    /* The table needs a whole number of samples per mains period (every common rate has). */
    double per = hd->rate / fam[f];
    r->hum_removed = tot[f] > 0.0 && fabs(per - round(per)) < 1e-9;
    if (r->hum_removed) {
        hc->period = (size_t)round(per);
        hc->table = calloc(hc->period, sizeof(double));
        for (int m = 1; m <= GSM_MAX_HUM; m++) {
            if (pw[f][m - 1] <= 0.0) continue;
            double om = 2.0 * PI * m * fam[f] / hd->rate;
            for (size_t j = 0; j < hc->period; j++)
                hc->table[j] +=
                    re[f][m - 1] * cos(om * (double)j) - im[f][m - 1] * sin(om * (double)j);
        }
    }
done:
    free(x);
    free(y);
    free(p);
    free(w);
    free(mark);
    return rc;
}

static int measure_tones(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r) {
    double settle = o->quick ? 0.1 : 0.25;
    /* THD, THD+N, gain and harmonics against level at 1 kHz and 100 Hz. */
    if (sweep(dut, o, 1000.0, &r->sweep[0]) || sweep(dut, o, 100.0, &r->sweep[1])) return -1;
    if (drive_harmonics(dut, o, settle, r) || freq_response(dut, o, settle, r) ||
        transfer_curve(dut, o, settle, r) || aliasing(dut, o, settle, r) ||
        gain_1k(dut, o, settle, r))
        return -1;
    return 0;
}

/* The device is never reset between measurements, so their order is part of the method: each
 * one starts from the state the previous one left (after its own settling). Hum first, on the
 * fresh device's silence. */
int gsm_measure_all(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r) {
    memset(r, 0, sizeof *r);
    r->rate = dut->rate;
    r->fft_n = o->fft_n;
    r->latency_reported = dut->latency;
    r->in_vpu = dut->in_vpu;
    r->out_vpu = dut->out_vpu;
    r->nominal_dbfs = o->nominal_dbfs;
    hum_ctx hc = {dut, 0, NULL, 0, 1};
    gsm_dut hd = *dut;
    hd.ctx = &hc;
    hd.process = hum_process;
    int rc = hum_measure(&hd, &hc, o, r) || measure_tones(&hd, o, r) ? -1 : 0;
    /* Noise and DC with the hum in (a meter's reading), then latency, polarity, CPU (the
     * device alone: the subtraction's cost is not the device's). */
    hc.subtract = 0;
    if (!rc) rc = noise_dc(&hd, o, r);
    hc.subtract = 1;
    if (!rc) {
        r->ein_dbu = r->noise_dbu - r->gain_1k_db;
        r->ein_dbu_a = r->noise_dbu_a - r->gain_1k_db;
        rc = latency_polarity(&hd, o, r) || cpu_cost(dut, o, r) ? -1 : 0;
    }
    free(hc.table);
    return rc;
}
