/* Input stage against theory: gain in dB to 0.01 dB (and a 0.01 dB step resolved), the pad, the
 * polarity, and the high-pass at every slope against the analogue Butterworth magnitude
 * 1 / sqrt(1 + (fc/f)^(2n)), measured by sine fits on the "input-stage" block. */
#include "check.h"
#include "internal.h"
#include "sigutil.h"

#include <complex.h>
#include <stdlib.h>
#include <string.h>

#define BLK 512u

static void measure(gs_channel *ch, double rate, double f, double *gain, double *phase) {
    measure_sine_response(ch, rate, f, 0.5, 0.4, 4, gain, phase);
}

static void gain_accuracy(void) {
    const double gains[] = {-20.0, -6.02, 0.0, 0.01, 6.02, 12.34, 18.0};
    double worst = 0.0;
    gs_channel *ch;
    gs_channel_new("input-stage", 48000, BLK, &ch);
    for (size_t k = 0; k < GS_ARRAY_LEN(gains); k++) {
        gs_channel_set_symbol(ch, "in_gain", gains[k]);
        double g, ph;
        measure(ch, 48000, 997.0, &g, &ph);
        double err = 20 * log10(g) - gains[k];
        worst = fmax(worst, fabs(err));
        CHECK(fabs(err) < 0.001, "gain %g dB measured %.5f dB", gains[k], 20 * log10(g));
        CHECK(fabs(ph) < 1e-3, "gain %g dB: phase %g rad", gains[k], ph);
    }
    printf("input gain: worst error %.2e dB over -20..18 dB\n", worst);
    /* A 0.01 dB step is resolved. */
    double g1, g2, ph;
    gs_channel_set_symbol(ch, "in_gain", 10.00);
    measure(ch, 48000, 997.0, &g1, &ph);
    gs_channel_set_symbol(ch, "in_gain", 10.01);
    measure(ch, 48000, 997.0, &g2, &ph);
    double step = 20 * log10(g2 / g1);
    printf("input gain: 10.00 -> 10.01 dB measures a %.5f dB step\n", step);
    CHECK(fabs(step - 0.01) < 0.0005, "0.01 dB step measured as %.5f dB", step);
    /* Pad and polarity. */
    gs_channel_set_symbol(ch, "in_gain", 0.0);
    gs_channel_set_symbol(ch, "pad", 1.0);
    measure(ch, 48000, 997.0, &g1, &ph);
    printf("pad: %.5f dB\n", 20 * log10(g1));
    CHECK(fabs(20 * log10(g1) + 20.0) < 0.001, "pad %.5f dB", 20 * log10(g1));
    gs_channel_set_symbol(ch, "pad", 0.0);
    gs_channel_set_symbol(ch, "polarity", 1.0);
    measure(ch, 48000, 997.0, &g1, &ph);
    CHECK(fabs(fabs(ph) - M_PI) < 1e-3 && fabs(g1 - 1.0) < 1e-4, "polarity: gain %g phase %g rad",
          g1, ph);
    gs_channel_free(ch);
}

static void highpass(void) {
    const double rates[] = {44100.0, 96000.0};
    const double corners[] = {20.0, 80.0, 400.0};
    for (size_t r = 0; r < GS_ARRAY_LEN(rates); r++) {
        for (int order = 1; order <= 4; order++) {
            double worst = 0.0, worst_at = 0.0, worst_ph = 0.0, at_fc = 0.0;
            for (size_t c = 0; c < GS_ARRAY_LEN(corners); c++) {
                gs_channel *ch;
                gs_channel_new("input-stage", rates[r], BLK, &ch);
                gs_channel_set_symbol(ch, "hpf", order);
                gs_channel_set_symbol(ch, "hpf_freq", corners[c]);
                /* Third-octave points 20 Hz to 20 kHz, plus the corner itself. */
                for (int k = -1; k <= 30; k++) {
                    double f = k < 0 ? corners[c] : 20.0 * pow(2.0, k / 3.0);
                    double theory_db = -10 * log10(1 + pow(corners[c] / f, 2.0 * order));
                    if (theory_db < -60.0) continue; /* below the fit's resolution here */
                    double g, ph;
                    measure(ch, rates[r], f, &g, &ph);
                    double err = fabs(20 * log10(g) - theory_db);
                    if (k < 0) at_fc = fmax(at_fc, fabs(20 * log10(g) + 3.0103));
                    if (err > worst) {
                        worst = err;
                        worst_at = f;
                    }
                    /* Phase of the analogue Butterworth, for the record. */
                    double complex s = I * f / corners[c], h = 1.0;
                    double qs[2];
                    int nq = 0;
                    if (order % 2) h *= s / (s + 1.0);
                    if (order == 2) qs[nq++] = 1.0 / sqrt(2.0);
                    if (order == 3) qs[nq++] = 1.0;
                    if (order == 4) {
                        qs[nq++] = 1.0 / (2.0 * cos(M_PI / 8.0));
                        qs[nq++] = 1.0 / (2.0 * cos(3.0 * M_PI / 8.0));
                    }
                    for (int p = 0; p < nq; p++) h *= s * s / (s * s + s / qs[p] + 1.0);
                    worst_ph = fmax(worst_ph, fabs(wrap_pi(ph - carg(h))) * 180 / M_PI);
                }
                gs_channel_free(ch);
            }
            printf("high-pass %2d dB/oct at %6.0f Hz: magnitude vs Butterworth worst %.5f dB "
                   "(at %.0f Hz), at the corner %.5f dB from -3.01; phase vs analogue worst "
                   "%.2f deg\n",
                   6 * order, rates[r], worst, worst_at, at_fc, worst_ph);
            CHECK(worst < 0.01, "hpf order %d at %g Hz: %.4f dB off at %g Hz", order, rates[r],
                  worst, worst_at);
            CHECK(at_fc < 0.01, "hpf order %d: corner off by %.4f dB", order, at_fc);
        }
    }
}

int main(void) {
    gain_accuracy();
    highpass();
    return check_done();
}
