/* RIAA de-emphasis: the analogue curve against the published table (IEC 60098 playback values),
 * then the "riaa" block, measured by sine fits at 44.1 to 192 kHz from 20 Hz to 20 kHz, against
 * the standard curve (limit 0.05 dB; phase printed and held to 0.5 degree), with and without the
 * IEC rumble filter. */
#include "check.h"
#include "internal.h"
#include "riaa.h"
#include "sigutil.h"

#include <complex.h>
#include <stdlib.h>

#define BLK 1024u

static double complex curve(int iec, double f) {
    double num[4], den[4], re, im;
    unsigned nn, nd;
    gs_riaa_poly(iec, num, &nn, den, &nd);
    gs_lti_eval_analog(num, nn, den, nd, f, &re, &im);
    return re + I * im;
}

static void measure(gs_channel *ch, double rate, double f, double *gain, double *phase) {
    measure_sine_response(ch, rate, f, 0.1, 0.25, 3, gain, phase);
}

int main(void) {
    /* The standard playback curve, relative to 1 kHz (commonly tabulated values). */
    const double tf[] = {20, 50, 100, 500, 1000, 2000, 5000, 10000, 20000};
    const double tdb[] = {19.274, 16.946, 13.088, 2.648, 0.0, -2.586, -8.210, -13.734, -19.620};
    double worst_tab = 0;
    for (size_t k = 0; k < GS_ARRAY_LEN(tf); k++) {
        double db = 20 * log10(cabs(curve(0, tf[k])));
        worst_tab = fmax(worst_tab, fabs(db - tdb[k]));
        CHECK(fabs(db - tdb[k]) < 0.005, "RIAA at %g Hz: %.3f dB, table %.3f", tf[k], db, tdb[k]);
    }
    printf("RIAA closed form vs table: worst %.4f dB\n", worst_tab);
    /* The IEC filter: -3.01 dB more at 1/(2 pi 7950 us) = 20.02 Hz. */
    double fi = 1.0 / (2 * M_PI * GS_RIAA_T4);
    double extra = 20 * log10(cabs(curve(1, fi)) / cabs(curve(0, fi)));
    CHECK(fabs(extra + 3.0103) < 1e-3, "IEC at %.2f Hz: %.4f dB", fi, extra);

    const double rates[] = {44100, 48000, 88200, 96000, 176400, 192000};
    for (int iec = 0; iec < 2; iec++) {
        for (size_t r = 0; r < GS_ARRAY_LEN(rates); r++) {
            gs_channel *ch;
            CHECK(gs_channel_new("riaa", rates[r], BLK, &ch) == GS_OK, "new");
            gs_channel_set_symbol(ch, "iec", iec);
            double wdb = 0, wdeg = 0, fdb = 0;
            for (int k = 0; k <= 30; k++) {
                double f = 20.0 * pow(1000.0, k / 30.0);
                double g, ph;
                measure(ch, rates[r], f, &g, &ph);
                double complex h = curve(iec, f);
                double e = fabs(20 * log10(g / cabs(h)));
                if (e > wdb) {
                    wdb = e;
                    fdb = f;
                }
                wdeg = fmax(wdeg, fabs(wrap_pi(ph - carg(h))) * 180 / M_PI);
            }
            printf("RIAA%s at %6.0f Hz: worst %.4f dB (at %.0f Hz), %.3f deg; latency %u\n",
                   iec ? "+IEC" : "    ", rates[r], wdb, fdb, wdeg, gs_channel_latency(ch));
            CHECK(wdb < 0.05, "RIAA iec=%d at %g Hz: %.4f dB at %g Hz", iec, rates[r], wdb, fdb);
            CHECK(wdeg < 0.5, "RIAA iec=%d at %g Hz: %.3f deg", iec, rates[r], wdeg);
            gs_channel_free(ch);
        }
    }
    return check_done();
}
