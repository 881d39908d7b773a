/* The analyser of 'gainstage measure' against systems with known answers, through the same
 * device-under-test interface it uses for our channels and LV2 plugins:
 * - a wire: no distortion, no aliasing, flat response, zero phase, zero latency, positive polarity
 *   (this is also the analyser's own floor);
 * - y = x + a x^2: H2/H1 = a A / 2 for a sine of peak A, no odd harmonics;
 * - a pure delay of D samples: latency D by impulse and by cross-correlation, and zero phase once
 *   the reported latency is D;
 * - a one-pole low-pass y += b (x - y): magnitude and phase of b / (1 - (1 - b) e^-jw);
 * - an inverter: polarity -1;
 * - a wire with mains hum added (two lines, 50 or 60 Hz mains, 8 dB above the lowest sweep
 *   level): the hum is reported alone, line by line, and spoils neither the 100 Hz sweep (its
 *   tone sits on the second harmonic of 50 Hz mains) nor the compression nor the aliasing;
 * - the window's highest sidelobe, as stated in the reports. */
#include "analysis.h"
#include "check.h"

#include <fftw3.h>

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000.0
#define PI 3.14159265358979323846

typedef struct sys {
    int kind; /* 0 wire, 1 square law, 2 delay, 3 one-pole, 4 inverter, 5 wire + hum */
    double a;
    double mains; /* kind 5: hum a sin(2 pi 2 mains t) + a/2 sin(2 pi 3 mains t + 1), t from 0 */
    uint64_t t;
    float hist[64];
    unsigned pos, delay;
    double y1;
} sys;

static int proc(void *ctx, const float *in, float *out, uint32_t n) {
    sys *s = ctx;
    for (uint32_t i = 0; i < n; i++) {
        double x = in[i], y = x;
        switch (s->kind) {
        case 1: y = x + s->a * x * x; break;
        case 2:
            s->hist[s->pos % 64] = in[i];
            y = s->hist[(s->pos + 64 - s->delay) % 64];
            s->pos++;
            break;
        case 3: y = s->y1 = s->y1 + s->a * (x - s->y1); break;
        case 4: y = -x; break;
        case 5: {
            double t = (double)s->t++ / RATE;
            y = x + s->a * sin(2.0 * PI * 2.0 * s->mains * t) +
                0.5 * s->a * sin(2.0 * PI * 3.0 * s->mains * t + 1.0);
            break;
        }
        default: break;
        }
        out[i] = (float)y;
    }
    return 0;
}

static gsm_dut dut_of(sys *s, uint32_t latency) {
    gsm_dut d = {s, proc, RATE, 256, latency, 1.0, 1.0};
    return d;
}

static gsm_report rep;

static void window_sidelobe(void) {
    /* DTFT of the window by a 64x zero-padded FFT; the main lobe ends at 7 bins. */
    size_t n = 256, pad = 64, m = n * pad;
    double *w = malloc(sizeof(double) * n), *buf = fftw_malloc(sizeof(double) * m);
    fftw_complex *sp = fftw_malloc(sizeof(fftw_complex) * (m / 2 + 1));
    gsm_window_fill(w, n);
    memset(buf, 0, sizeof(double) * m);
    for (size_t i = 0; i < n; i++) buf[i] = w[i];
    fftw_plan p = fftw_plan_dft_r2c_1d((int)m, buf, sp, FFTW_ESTIMATE);
    fftw_execute(p);
    double peak = hypot(sp[0][0], sp[0][1]), side = 0.0;
    for (size_t b = 7 * pad; b <= m / 2; b++) side = fmax(side, hypot(sp[b][0], sp[b][1]));
    double db = 20.0 * log10(side / peak);
    printf("window: highest sidelobe %.1f dB (stated %.0f dB)\n", db, GSM_WIN_SIDELOBE_DB);
    CHECK(db < -170.0 && db > -190.0, "sidelobe %.1f dB", db);
    /* whole-bin tones must not leak past +/- 6 bins: the window's DFT has 7 terms only */
    double sum = 0.0;
    for (int k = 0; k < GSM_WIN_TERMS; k++) sum += gsm_win_coef[k];
    CHECK(fabs(sum - 1.0) < 1e-9, "coefficients sum to %.12f", sum);
    fftw_destroy_plan(p);
    fftw_free(buf);
    fftw_free(sp);
    free(w);
}

static void wire(void) {
    sys s = {0};
    gsm_dut d = dut_of(&s, 0);
    gsm_meas_opts o;
    gsm_meas_opts_default(&o, 1);
    CHECK(gsm_measure_all(&d, &o, &rep) == 0, "measure wire");
    double worst_thd = -INFINITY, worst_thdn = -INFINITY, worst_g = 0.0, worst_fr = 0.0,
           worst_ph = 0.0, worst_al = -INFINITY;
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < rep.sweep[w].n; i++) {
            worst_thd = fmax(worst_thd, rep.sweep[w].thd_db[i]);
            /* THD+N of a wire is the float32 rounding of the input (about -150 dB at full scale
             * against the signal, relative to the level): only check at and above nominal */
            if (rep.sweep[w].level[i] >= o.nominal_dbfs)
                worst_thdn = fmax(worst_thdn, rep.sweep[w].thdn_db[i]);
            worst_g = fmax(worst_g, fabs(rep.sweep[w].gain_db[i]));
        }
    for (int i = 0; i < rep.fr_n; i++)
        for (int l = 0; l < 2; l++) {
            worst_fr = fmax(worst_fr, fabs(rep.fr_mag_db[l][i]));
            worst_ph = fmax(worst_ph, fabs(rep.fr_phase_deg[l][i]));
        }
    for (int i = 0; i < rep.al_n; i++) worst_al = fmax(worst_al, rep.al_db[i]);
    printf("wire: THD max %.1f dB, THD+N (>= nominal) max %.1f dB, gain error %.2g dB, "
           "response %.2g dB / %.2g deg over %d points, alias max %.1f dB (5k %.1f, 9k %.1f), "
           "latency %d/%d, polarity %+d/%+d, xcorr %.6f\n",
           worst_thd, worst_thdn, worst_g, worst_fr, worst_ph, rep.fr_n, worst_al, rep.al5_db,
           rep.al9_db, rep.lat_impulse, rep.lat_xcorr, rep.pol_impulse, rep.pol_xcorr,
           rep.xcorr_peak);
    CHECK(worst_thd < -130.0, "wire THD %.1f dB", worst_thd);
    CHECK(worst_thdn < -120.0, "wire THD+N %.1f dB", worst_thdn);
    CHECK(worst_g < 1e-4, "wire gain error %g dB", worst_g);
    CHECK(worst_fr < 1e-4, "wire response %g dB", worst_fr);
    CHECK(worst_ph < 1e-3, "wire phase %g deg", worst_ph);
    CHECK(worst_al < -120.0, "wire alias %.1f dB", worst_al);
    CHECK(rep.lat_impulse == 0 && rep.lat_xcorr == 0, "latency %d %d", rep.lat_impulse,
          rep.lat_xcorr);
    CHECK(rep.pol_impulse == 1 && rep.pol_xcorr == 1, "polarity");
    CHECK(fabs(rep.xcorr_peak - 1.0) < 1e-6, "xcorr peak %g", rep.xcorr_peak);
    CHECK(rep.dc_units == 0.0 && rep.noise_rms == 0.0, "silence in, silence out");
    CHECK(rep.hum_n == 0 && rep.hum_mains_hz == 0.0 && !rep.hum_removed, "no hum found in a wire");
    CHECK(fabs(rep.gain_1k_db) < 1e-4, "gain %g", rep.gain_1k_db);
    CHECK(rep.tc_n > 0 && fabs(rep.tc_out[rep.tc_n / 4] - rep.tc_in[rep.tc_n / 4]) < 1e-6,
          "transfer is the identity");
    CHECK(isfinite(rep.cpu_xrt) && rep.cpu_xrt > 0.0, "cpu %g (measured; its speed is bench/'s)",
          rep.cpu_xrt);
}

static void square_law(void) {
    /* H2/H1 = a A / 2 exactly (a A^2 / 2 against A); no H3 and above. */
    sys s = {.kind = 1, .a = 0.1};
    gsm_dut d = dut_of(&s, 0);
    double levels[] = {-30.0, -12.0, 0.0};
    for (int i = 0; i < 3; i++) {
        gsm_tone t;
        CHECK(gsm_measure_tone(&d, 1000.0, levels[i], 16384, 0.05, &t, NULL) == 0, "tone");
        double h2 = 10.0 * log10(t.h[2] / t.h[1]);
        double want = 20.0 * log10(s.a * t.amp_in / 2.0);
        double h3 = 10.0 * log10(t.h[3] / t.h[1]);
        printf("square law at %.0f dBFS: H2 %.4f dB (theory %.4f), H3 %.1f dB, THD %.4f%%\n",
               levels[i], h2, want, h3, 100.0 * sqrt(t.thd));
        CHECK(fabs(h2 - want) < 0.01, "H2 %.4f want %.4f", h2, want);
        CHECK(h3 < want - 60.0, "H3 %.1f", h3);
    }
}

static void delay(void) {
    sys s = {.kind = 2, .delay = 37};
    gsm_dut d = dut_of(&s, 0);
    gsm_meas_opts o;
    gsm_meas_opts_default(&o, 1);
    CHECK(gsm_measure_all(&d, &o, &rep) == 0, "measure delay");
    printf("delay 37: impulse %d, xcorr %d (peak %.6f)\n", rep.lat_impulse, rep.lat_xcorr,
           rep.xcorr_peak);
    CHECK(rep.lat_impulse == 37 && rep.lat_xcorr == 37, "latency %d %d", rep.lat_impulse,
          rep.lat_xcorr);
    /* phase of a pure delay, when not reported: -w D */
    double worst = 0.0;
    for (int i = 0; i < rep.fr_n; i++) {
        double want = remainder(-2.0 * PI * rep.fr_freq[i] * 37.0 / RATE, 2.0 * PI) * 180.0 / PI;
        worst = fmax(worst, fabs(remainder(rep.fr_phase_deg[0][i] - want, 360.0)));
    }
    printf("delay 37 unreported: phase error %.2g deg\n", worst);
    CHECK(worst < 1e-3, "phase error %g", worst);
    /* reported: the phase is zero and the transfer curve the identity */
    sys s2 = {.kind = 2, .delay = 37};
    gsm_dut d2 = dut_of(&s2, 37);
    CHECK(gsm_measure_all(&d2, &o, &rep) == 0, "measure delay reported");
    worst = 0.0;
    for (int i = 0; i < rep.fr_n; i++) worst = fmax(worst, fabs(rep.fr_phase_deg[0][i]));
    printf("delay 37 reported: phase %.2g deg\n", worst);
    CHECK(worst < 1e-3, "phase %g", worst);
    CHECK(fabs(rep.tc_out[rep.tc_n / 4] - rep.tc_in[rep.tc_n / 4]) < 1e-6, "transfer aligned");
}

static void one_pole(void) {
    double fc = 1000.0, b = 1.0 - exp(-2.0 * PI * fc / RATE);
    sys s = {.kind = 3, .a = b};
    gsm_dut d = dut_of(&s, 0);
    gsm_meas_opts o;
    gsm_meas_opts_default(&o, 1);
    CHECK(gsm_measure_all(&d, &o, &rep) == 0, "measure one-pole");
    double wm = 0.0, wp = 0.0;
    for (int i = 0; i < rep.fr_n; i++) {
        double w = 2.0 * PI * rep.fr_freq[i] / RATE;
        double complex h = b / (1.0 - (1.0 - b) * cexp(-I * w));
        double m = 20.0 * log10(cabs(h)), ph = carg(h) * 180.0 / PI;
        wm = fmax(wm, fabs(rep.fr_mag_db[0][i] - m));
        wp = fmax(wp, fabs(rep.fr_phase_deg[0][i] - ph));
    }
    printf("one-pole 1 kHz: magnitude error %.2g dB, phase error %.2g deg over %d points\n", wm, wp,
           rep.fr_n);
    CHECK(wm < 1e-3, "magnitude %g", wm);
    CHECK(wp < 1e-2, "phase %g", wp);
}

static void inverter(void) {
    sys s = {.kind = 4};
    gsm_dut d = dut_of(&s, 0);
    gsm_meas_opts o;
    gsm_meas_opts_default(&o, 1);
    CHECK(gsm_measure_all(&d, &o, &rep) == 0, "measure inverter");
    printf("inverter: polarity %+d / %+d\n", rep.pol_impulse, rep.pol_xcorr);
    CHECK(rep.pol_impulse == -1 && rep.pol_xcorr == -1, "polarity");
    CHECK(fabs(fabs(rep.fr_phase_deg[0][5]) - 180.0) < 1e-3, "phase 180");
}

static void hum(void) {
    for (int f = 0; f < 2; f++) {
        double mains = f ? 60.0 : 50.0, a = pow(10.0, -70.0 / 20.0); /* -70 dBFS peak line */
        sys s = {.kind = 5, .a = a, .mains = mains};
        gsm_dut d = dut_of(&s, 0);
        gsm_meas_opts o;
        gsm_meas_opts_default(&o, 1);
        CHECK(gsm_measure_all(&d, &o, &rep) == 0, "measure hum");
        /* the lines' RMS in dBFS: -70 and -76 dB re a full-scale sine */
        double want = 10.0 * log10(a * a + a * a / 4.0);
        printf("hum %g Hz mains: found %g Hz, %d lines (%.0f Hz %.3f dBFS, %.0f Hz %.3f dBFS), "
               "total %.3f dBFS (added %.3f), removed %d\n",
               mains, rep.hum_mains_hz, rep.hum_n, rep.hum_freq[0], rep.hum_line_dbfs[0],
               rep.hum_n > 1 ? rep.hum_freq[1] : 0.0, rep.hum_n > 1 ? rep.hum_line_dbfs[1] : 0.0,
               rep.hum_dbfs, want, rep.hum_removed);
        CHECK(rep.hum_mains_hz == mains && rep.hum_n == 2 && rep.hum_removed, "hum lines");
        CHECK(rep.hum_freq[0] == 2.0 * mains && rep.hum_freq[1] == 3.0 * mains, "hum freqs");
        CHECK(fabs(rep.hum_line_dbfs[0] + 70.0) < 0.01 && fabs(rep.hum_line_dbfs[1] + 76.02) < 0.01,
              "hum line levels %g %g", rep.hum_line_dbfs[0], rep.hum_line_dbfs[1]);
        CHECK(fabs(rep.hum_dbfs - want) < 0.01, "hum %g dBFS, added %g", rep.hum_dbfs, want);
        /* the noise figure keeps the hum, as a meter would read it */
        CHECK(fabs(20.0 * log10(rep.noise_rms * sqrt(2.0)) - want) < 0.05, "noise with hum");
        /* a wire: unit gain, no compression, no harmonics, at every level of both sweeps; the
         * lowest (-78 dBFS) sits 8 dB under the hum's first line */
        double worst_g = 0.0, worst_thd = -INFINITY;
        for (int w = 0; w < 2; w++)
            for (int i = 0; i < rep.sweep[w].n; i++) {
                worst_g = fmax(worst_g, fabs(rep.sweep[w].gain_db[i]));
                worst_thd = fmax(worst_thd, rep.sweep[w].thd_db[i]);
            }
        printf("  with the hum: sweeps' worst gain error %.2g dB, worst THD %.1f dB; aliasing "
               "%.1f / %.1f dB\n",
               worst_g, worst_thd, rep.al5_db, rep.al9_db);
        CHECK(worst_g < 1e-3, "gain (compression) error %g dB", worst_g);
        CHECK(worst_thd < -100.0, "THD %g dB", worst_thd);
        CHECK(rep.al5_db < -120.0 && rep.al9_db < -120.0, "aliasing %g %g", rep.al5_db, rep.al9_db);
    }
}

int main(void) {
    window_sidelobe();
    wire();
    square_law();
    delay();
    one_pole();
    inverter();
    hum();
    return check_done();
}
