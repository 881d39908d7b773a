/* The front-end channel and its presets: the calibrated gain to 0.01 dB over 0-70 dB, and every
 * preset's response (source into its load, RIAA where on, op-amp stages) against the closed-form
 * product of its blocks, in magnitude and phase, with the reported latency removed. */
#include "check.h"
#include "internal.h"
#include "opamp.h"
#include "riaa.h"
#include "sigutil.h"
#include "source.h"

#include <complex.h>
#include <stdlib.h>

#define RATE 48000.0
#define BLK 512u

static void measure(gs_channel *ch, double f, double amp, double *gain, double *phase) {
    measure_sine_response(ch, RATE, f, amp, 0.4, 4, gain, phase);
}

/* The closed-form response of the channel's linear part at f (source, RIAA), times the gain. */
static double complex expected(gs_channel *ch, double f) {
    double v[GS_SRC_P_COUNT], num[4], den[4], re, im;
    unsigned nn, nd;
    for (size_t i = 0; i < GS_SRC_P_COUNT; i++) v[i] = gs_channel_get(ch, i);
    gs_source_poly(v, num, &nn, den, &nd);
    gs_lti_eval_analog(num, nn, den, nd, f, &re, &im);
    double complex h = re + I * im;
    size_t id;
    gs_channel_param_find(ch, "riaa", &id);
    if (gs_channel_get(ch, id) > 0.5) {
        gs_riaa_poly(0, num, &nn, den, &nd);
        gs_lti_eval_analog(num, nn, den, nd, f, &re, &im);
        h *= re + I * im;
    }
    /* The two op-amp stages (opamp.h): coupling high-passes 47 uF/10 kOhm and 100 uF/100 kOhm,
     * and closed-loop poles at wp (1 + A0 / G) with G the calibrated ideal gain per stage. */
    gs_channel_param_find(ch, "gain", &id);
    double gain_db = gs_channel_get(ch, id);
    gs_channel_param_find(ch, "gbw", &id);
    double gbw = gs_channel_get(ch, id);
    double complex s = I * 2 * M_PI * f;
    double gst = pow(10.0, gain_db / 40.0); /* closed-loop gain per stage */
    double gid = 1.0 / (1.0 / gst - 1.0 / GS_OPAMP_A0);
    double wcl = 2 * M_PI * gbw / GS_OPAMP_A0 * (1.0 + GS_OPAMP_A0 / gid);
    h *= s * 0.47 / (1.0 + s * 0.47) * s * 10.0 / (1.0 + s * 10.0);
    h *= 1.0 / ((1.0 + s / wcl) * (1.0 + s / wcl));
    return h * pow(10.0, gain_db / 20.0);
}

static void gain_calibration(void) {
    gs_channel *ch;
    gs_channel_new("frontend", RATE, BLK, &ch);
    gs_channel_set_text(ch, "source", "line");
    gs_channel_set_text(ch, "zin", "10M");
    const double gains[] = {0.0, 10.0, 20.5, 35.0, 50.0, 60.01, 70.0};
    double worst = 0;
    for (size_t k = 0; k < GS_ARRAY_LEN(gains); k++) {
        gs_channel_set_symbol(ch, "gain", gains[k]);
        double g, ph;
        measure(ch, 1000.0, 1e-3, &g, &ph);
        double err = 20 * log10(g / cabs(expected(ch, 1000.0)));
        worst = fmax(worst, fabs(err));
        CHECK(fabs(err) < 0.01, "gain %g dB: off by %.4f dB", gains[k], err);
    }
    printf("frontend gain 0-70 dB at 1 kHz: worst error %.4f dB\n", worst);
    gs_channel_free(ch);
}

static void presets(void) {
    const char *names[] = {"mic-dynamic", "mic-ribbon", "guitar-hi-z", "piezo", "phono", "line"};
    const double freqs[] = {20, 50, 100, 300, 1000, 3000, 6000, 10000, 15000, 20000};
    for (size_t p = 0; p < GS_ARRAY_LEN(names); p++) {
        const gs_preset *pr = gs_preset_find(names[p]);
        CHECK(pr != NULL, "preset %s missing", names[p]);
        if (!pr) continue;
        gs_channel *ch;
        CHECK(gs_channel_new_preset(pr, RATE, BLK, &ch) == GS_OK, "%s", names[p]);
        double wdb = 0, wdeg = 0, at = 0;
        for (size_t k = 0; k < GS_ARRAY_LEN(freqs); k++) {
            double complex h = expected(ch, freqs[k]);
            /* Keep the output at about 0.1 V, far below the rails. */
            double amp = 0.1 / cabs(h);
            double g, ph;
            measure(ch, freqs[k], amp, &g, &ph);
            double edb = fabs(20 * log10(g / cabs(h)));
            if (edb > wdb) {
                wdb = edb;
                at = freqs[k];
            }
            wdeg = fmax(wdeg, fabs(wrap_pi(ph - carg(h))) * 180 / M_PI);
        }
        printf("preset %-12s vs closed form: worst %.4f dB (at %.0f Hz), %.3f deg, latency %u\n",
               names[p], wdb, at, wdeg, gs_channel_latency(ch));
        CHECK(wdb < 0.05, "%s: %.4f dB off at %g Hz", names[p], wdb, at);
        CHECK(wdeg < 0.5, "%s: %.3f deg off", names[p], wdeg);
        gs_channel_free(ch);
    }
}

int main(void) {
    gain_calibration();
    presets();
    return check_done();
}
