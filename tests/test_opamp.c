/* Properties of the op-amp stage and the solid-state channel against circuit theory:
 * closed-loop response, distortion below clipping, rail clipping and recovery, channel flatness. */
#include "check.h"
#include "internal.h"
#include "opamp.h"
#include "sigutil.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define BLK 512u

/* The analytic response of the circuit (see opamp.h): Cin-Rin high-pass times the closed loop. */
static double complex opamp_h(double f, double gain_db, double gbw, double cin, double rin) {
    double complex s = I * 2.0 * M_PI * f;
    double beta = 1.0 / pow(10.0, gain_db / 20.0);
    double wp = 2.0 * M_PI * gbw / GS_OPAMP_A0;
    double complex A = GS_OPAMP_A0 / (1.0 + s / wp);
    double complex hp = s * rin * cin / (1.0 + s * rin * cin);
    return hp * A / (1.0 + A * beta);
}

/* Run a channel over a sine of amplitude amp (V) at f Hz for `seconds`; fit the last `fit` seconds
 * (latency removed). */
static void measure(gs_channel *ch, double f, double amp, double seconds, double fitsec,
                    double *gain, double *phase, double *resid) {
    size_t n = (size_t)(seconds * RATE);
    float *buf = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) buf[i] = (float)(amp * sin(2 * M_PI * f * (double)i / RATE));
    for (size_t i = 0; i < n; i += BLK) {
        uint32_t len = (uint32_t)(n - i < BLK ? n - i : BLK);
        gs_channel_process(ch, buf + i, buf + i, len);
    }
    uint32_t lat = gs_channel_latency(ch);
    /* Fit a whole number of cycles ending at the end of the buffer. */
    size_t cycles = (size_t)(fitsec * f);
    if (cycles < 1) cycles = 1;
    size_t m = (size_t)floor((double)cycles * RATE / f);
    size_t start = n - m;
    double a, ph, r;
    fit_sine(buf + start, m, 2 * M_PI * f / RATE, &a, &ph, &r);
    /* The fitted phase is relative to sample `start`, which holds the input of time start-lat. */
    double in_phase = 2 * M_PI * f * (double)(start - lat) / RATE;
    *gain = a / amp;
    *phase = wrap_pi(ph - in_phase);
    if (resid) *resid = r / (a / sqrt(2.0));
    free(buf);
}

static void response_vs_theory(double gain_db) {
    gs_channel *ch;
    gs_channel_new("opamp-stage", RATE, BLK, &ch);
    gs_channel_set_symbol(ch, "gain", gain_db);
    gs_channel_reset(ch);
    double worst_db = 0, worst_deg = 0;
    for (int k = 0; k <= 30; k++) {
        double f = 20.0 * pow(1000.0, k / 30.0);
        double g, ph;
        gs_channel_reset(ch);
        /* Amplitude: 1 V peak out, far below the rails. */
        double amp = 1.0 / pow(10.0, gain_db / 20.0);
        measure(ch, f, amp, f < 100 ? 1.5 : 0.3, f < 100 ? 0.5 : 0.1, &g, &ph, NULL);
        double complex h = opamp_h(f, gain_db, 1e6, 47e-6, 10e3);
        double err_db = 20 * log10(g / cabs(h));
        double err_deg = wrap_pi(ph - carg(h)) * 180 / M_PI;
        if (fabs(err_db) > fabs(worst_db)) worst_db = err_db;
        if (fabs(err_deg) > fabs(worst_deg)) worst_deg = err_deg;
    }
    printf("opamp-stage %g dB: response vs analytic, worst %.5f dB, %.4f deg (20 Hz-20 kHz)\n",
           gain_db, worst_db, worst_deg);
    CHECK(fabs(worst_db) < 0.01, "gain %g dB: magnitude error %.5f dB", gain_db, worst_db);
    CHECK(fabs(worst_deg) < 0.1, "gain %g dB: phase error %.4f deg", gain_db, worst_deg);
    gs_channel_free(ch);
}

static void thd_below_clipping(double gain_db, double out_peak) {
    gs_channel *ch;
    gs_channel_new("opamp-stage", RATE, BLK, &ch);
    gs_channel_set_symbol(ch, "gain", gain_db);
    gs_channel_reset(ch);
    double g, ph, thdn;
    measure(ch, 1000.0, out_peak / pow(10.0, gain_db / 20.0), 0.5, 0.2, &g, &ph, &thdn);
    printf("opamp-stage %g dB, %.1f V peak out: THD+N %.6f %%\n", gain_db, out_peak, thdn * 100);
    CHECK(thdn < 1e-5, "THD+N %.6f %% at %g dB, %.1f V", thdn * 100, gain_db, out_peak);
    gs_channel_free(ch);
}

static void clipping_and_recovery(void) {
    const size_t n = (size_t)(0.3 * RATE);
    const size_t burst = (size_t)(0.05 * RATE);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    /* A 1 kHz burst at 0.3 V into 40 dB (30 V demanded, rails at 15 V), then 10 mV. */
    for (size_t i = 0; i < n; i++) {
        double amp = i < burst ? 0.3 : 0.01;
        a[i] = b[i] = (float)(amp * sin(2 * M_PI * 1000.0 * (double)i / RATE));
    }
    gs_channel *clip, *lin;
    gs_channel_new("opamp-stage", RATE, BLK, &clip);
    gs_channel_new("opamp-stage", RATE, BLK, &lin);
    gs_channel_set_symbol(clip, "gain", 40);
    gs_channel_set_symbol(lin, "gain", 40);
    gs_channel_set_symbol(lin, "rail", 50); /* never clips: the linear circuit */
    gs_channel_reset(clip);
    gs_channel_reset(lin);
    for (size_t i = 0; i < n; i += BLK) {
        uint32_t len = (uint32_t)(n - i < BLK ? n - i : BLK);
        gs_channel_process(clip, a + i, a + i, len);
        gs_channel_process(lin, b + i, b + i, len);
    }
    uint32_t lat = gs_channel_latency(clip);
    /* Clipping level: the flat top, the median of the samples within 2 % of the maximum. */
    double mx = 0;
    for (size_t i = lat + 480; i < burst + lat; i++) mx = fmax(mx, fabs(a[i]));
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = lat + 480; i < burst + lat; i++)
        if (fabs(a[i]) > 0.98 * mx && fabs(a[i]) < 1.02 * mx) {
            sum += fabs(a[i]);
            cnt++;
        }
    double top = sum / (double)cnt;
    printf("clipping at 15 V rails: flat top %.3f V, overshoot peak %.3f V\n", top, mx);
    CHECK(fabs(top - 15.0) < 0.1, "clip level %.3f V, want 15 +/- 0.1", top);
    /* Recovery: 1 ms after the burst the clipped channel must match the linear one. */
    double worst = 0;
    for (size_t i = burst + lat + 48; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]));
    printf("recovery: worst difference from the linear circuit 1 ms after overload %.2e V "
           "(signal 1 V peak)\n",
           worst);
    CHECK(worst < 1e-3, "after overload, output differs from linear by %.3g V", worst);
    gs_channel_free(clip);
    gs_channel_free(lin);
    free(a);
    free(b);
}

/* Rail clipping aliases little: a 5 kHz and a 9 kHz sine driven 20 dB past the 15 V rails (0.3 V
 * into 54 dB), 1 s at 48 kHz. Everything the clipping makes above 24 kHz must be filtered before
 * it folds. Measured -62.7 / -59.7 dB; with half-band filters alone (stopping from 28 kHz, so the
 * 5 kHz tone's 5th harmonic folded to 23 kHz) -34.6 / -51.4 dB. */
static void clipping_alias(void) {
    const size_t n = (size_t)RATE, pre = (size_t)(0.1 * RATE);
    float *x = malloc((n + pre) * sizeof(float));
    const double f0s[2] = {5000.0, 9000.0}, limit[2] = {-60.0, -55.0};
    for (int k = 0; k < 2; k++) {
        gs_channel *ch;
        gs_channel_new("opamp-stage", RATE, BLK, &ch);
        gs_channel_set_symbol(ch, "gain", 54);
        gs_channel_reset(ch);
        for (size_t i = 0; i < n + pre; i++)
            x[i] = (float)(0.3 * sin(2 * M_PI * f0s[k] * (double)i / RATE));
        for (size_t i = 0; i < n + pre; i += BLK) {
            uint32_t len = (uint32_t)(n + pre - i < BLK ? n + pre - i : BLK);
            gs_channel_process(ch, x + i, x + i, len);
        }
        double a = alias_db(x + pre, n, f0s[k], RATE, NULL, NULL);
        printf("clipping 20 dB past the rails, %g Hz: aliasing %.1f dB re fundamental\n", f0s[k],
               a);
        CHECK(a <= limit[k], "aliasing %.1f dB at %g Hz", a, f0s[k]);
        gs_channel_free(ch);
    }
    free(x);
}

/* The clean channel: flat within 0.1 dB from 20 Hz to 20 kHz at every gain, high-pass off. */
static void channel_flatness(void) {
    const double freqs[] = {20, 40, 100, 1000, 5000, 10000, 15000, 20000};
    double worst = 0;
    for (int gdb = 0; gdb <= 70; gdb += 10) {
        gs_channel *ch;
        gs_channel_new("ss-preamp", RATE, BLK, &ch);
        gs_channel_set_symbol(ch, "gain", gdb);
        gs_channel_reset(ch);
        double ref = 0;
        for (size_t k = 0; k < GS_ARRAY_LEN(freqs); k++) {
            double g, ph;
            gs_channel_reset(ch);
            double amp = 0.5 / pow(10.0, gdb / 20.0); /* 0.5 V out */
            measure(ch, freqs[k], amp, freqs[k] < 100 ? 1.0 : 0.2, freqs[k] < 100 ? 0.5 : 0.1, &g,
                    &ph, NULL);
            double db = 20 * log10(g);
            if (k == 3) ref = db;
            double dev = db - gdb; /* against the nominal gain */
            if (fabs(dev) > fabs(worst)) worst = dev;
        }
        /* Two stages of gdb/2 each, with the finite open-loop gain: Gcl = A0 / (1 + A0/G). */
        double G = pow(10.0, gdb / 40.0);
        double want = 2.0 * 20.0 * log10(GS_OPAMP_A0 / (1.0 + GS_OPAMP_A0 / G));
        CHECK(fabs(ref - want) < 0.01, "gain %d dB: 1 kHz gain %.4f dB, circuit %.4f dB", gdb, ref,
              want);
        gs_channel_free(ch);
    }
    printf("ss-preamp: worst deviation from nominal gain, 20 Hz-20 kHz, 0-70 dB: %.4f dB\n", worst);
    CHECK(fabs(worst) < 0.1, "channel not flat: %.4f dB", worst);
}

/* The high-pass: -3 dB at the corner, 12 dB/octave below. */
static void channel_highpass(void) {
    gs_channel *ch;
    gs_channel_new("ss-preamp", RATE, BLK, &ch);
    gs_channel_set_symbol(ch, "gain", 20);
    gs_channel_set_symbol(ch, "hpf", 1);
    gs_channel_reset(ch);
    double g80, g20, g1k, ph;
    measure(ch, 80, 0.05, 1.5, 0.5, &g80, &ph, NULL);
    gs_channel_reset(ch);
    measure(ch, 20, 0.05, 1.5, 0.5, &g20, &ph, NULL);
    gs_channel_reset(ch);
    measure(ch, 1000, 0.05, 0.3, 0.1, &g1k, &ph, NULL);
    double c = 20 * log10(g80 / g1k), o = 20 * log10(g20 / g1k);
    printf("ss-preamp high-pass: %.2f dB at 80 Hz, %.2f dB at 20 Hz (2nd-order Butterworth: "
           "-3.01, -24.1)\n",
           c, o);
    CHECK(fabs(c + 3.01) < 0.1, "corner %.2f dB", c);
    CHECK(fabs(o + 24.08) < 0.3, "20 Hz %.2f dB", o);
    gs_channel_free(ch);
}

int main(void) {
    response_vs_theory(20);
    response_vs_theory(40);
    response_vs_theory(0);
    thd_below_clipping(20, 10.0);
    thd_below_clipping(40, 10.0);
    clipping_and_recovery();
    clipping_alias();
    channel_flatness();
    channel_highpass();
    return check_done();
}
