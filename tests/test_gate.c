/* Noise gate / downward expander: the static curve on steady sines, and attack, hold and release
 * timing on DC steps (the gain is then out/in, sample by sample). */
#include "check.h"

#include <gainstage/gainstage.h>
#include <math.h>
#include <stdlib.h>

#define RATE 48000.0

static double amp_of_dbu(double dbu) { return sqrt(2.0 * 0.6) * pow(10.0, dbu / 20.0); }

static gs_channel *make(double thr, double ratio, double range, double att, double hold,
                        double rel) {
    gs_channel *ch = NULL;
    gs_channel_new("gate", RATE, 4096, &ch);
    gs_channel_set_symbol(ch, "threshold", thr);
    gs_channel_set_symbol(ch, "ratio", ratio);
    gs_channel_set_symbol(ch, "range", range);
    gs_channel_set_symbol(ch, "attack", att);
    gs_channel_set_symbol(ch, "hold", hold);
    gs_channel_set_symbol(ch, "release", rel);
    gs_channel_reset(ch);
    return ch;
}

/* The detector is two cascaded one-poles of time constant tau: its step response is
 * 1 - e^(-u) (1 + u), u = t / tau. Time (s) at which that fraction is reached (bisection). */
static double detector_time(double frac, double tau) {
    double lo = 0.0, hi = 100.0;
    for (int i = 0; i < 200; i++) {
        double u = 0.5 * (lo + hi);
        if (1.0 - exp(-u) * (1.0 + u) < frac)
            lo = u;
        else
            hi = u;
    }
    return 0.5 * (lo + hi) * tau;
}

static void run(gs_channel *ch, float *buf, size_t n) {
    for (size_t i = 0; i < n; i += 4096)
        gs_channel_process(ch, buf + i, buf + i, (uint32_t)(n - i < 4096 ? n - i : 4096));
}

int main(void) {
    /* Static curve: T = -50 dBu, R = 4, range 60 dB. */
    const double T = -50.0, R = 4.0, A = 60.0;
    const double levels[] = {-20.0, -49.0, -55.0, -60.0, -65.0, -70.0, -90.0};
    size_t n = 48000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
        gs_channel *ch = make(T, R, A, 0.001, 0.0, 0.02);
        double a = amp_of_dbu(levels[l]);
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] = (float)(a * sin(2 * M_PI * 1000.0 * (double)i / RATE));
        run(ch, y, n);
        double sx = 0, sy = 0;
        for (size_t i = n / 2; i < n; i++) {
            sx += (double)x[i] * x[i];
            sy += (double)y[i] * y[i];
        }
        double got = 10 * log10(sy / sx);
        double want = levels[l] >= T ? 0.0 : fmax(-A, (R - 1.0) * (levels[l] - T));
        printf("static curve: input %6.1f dBu -> gain %8.3f dB (curve %6.1f dB, error %+.3f)\n",
               levels[l], got, want, got - want);
        CHECK(fabs(got - want) < 0.02, "level %.1f: gain %.3f vs %.1f", levels[l], got, want);
        gs_channel_free(ch);
    }
    /* Ratio 1 is a wire (whatever the level). */
    {
        gs_channel *ch = make(T, 1.0, A, 0.001, 0.0, 0.02);
        for (size_t i = 0; i < n; i++) y[i] = x[i] = (float)(1e-4 * sin(0.1 * (double)i));
        run(ch, y, n);
        double worst = 0;
        for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(y[i] - x[i]));
        CHECK(worst == 0.0, "ratio 1 changed the signal by %g", worst);
        gs_channel_free(ch);
    }

    /* Release and hold: DC at 0.1 V for 0.5 s, then 1e-5 V. The mean-square detector (2 x 5 ms)
     * falls below T (ms_T = 0.6 10^(T/10)) when its step response covers (ms_hi - ms_T) /
     * (ms_hi - ms_lo); the gain then holds, then closes
     * with the release time constant towards -A (ratio 100: a gate, the target is -A at once). */
    {
        const double hold = 0.05, rel = 0.02, att = 0.002, tau = 0.005;
        gs_channel *ch = make(T, 100.0, A, att, hold, rel);
        size_t step = 24000, m = 48000;
        for (size_t i = 0; i < m; i++) x[i] = y[i] = i < step ? 0.1f : 1e-5f;
        run(ch, y, m);
        double ms_hi = 0.01, ms_lo = 1e-10, ms_t = 0.6 * pow(10.0, T / 10.0);
        double t_c = detector_time((ms_hi - ms_t) / (ms_hi - ms_lo), tau);
        double want = t_c + hold + rel; /* gain at -A (1 - 1/e) */
        double g_target = -A * (1.0 - exp(-1.0));
        double t_hit = -1, g_hold_end = 0;
        for (size_t i = step; i < m; i++) {
            double g = 20 * log10(y[i] / x[i]);
            double t = (double)(i - step) / RATE;
            if (t < t_c + hold - 0.001) g_hold_end = fmin(g_hold_end, g);
            if (t_hit < 0 && g <= g_target) t_hit = t;
        }
        printf("release: gain held at %.4f dB until %.1f ms; reached -A(1-1/e) at %.2f ms "
               "(expected %.2f ms = detector %.2f + hold %.0f + release %.0f)\n",
               g_hold_end, (t_c + hold) * 1e3, t_hit * 1e3, want * 1e3, t_c * 1e3, hold * 1e3,
               rel * 1e3);
        CHECK(g_hold_end > -0.01, "gain fell during hold: %.4f dB", g_hold_end);
        CHECK(fabs(t_hit - want) < 0.001, "release timing %.2f ms vs %.2f ms", t_hit * 1e3,
              want * 1e3);
        /* Attack: from closed, DC back to 0.1 V: once the detector reaches T the gain opens with
         * the attack constant. */
        double t_up = detector_time((ms_t - ms_lo) / (ms_hi - ms_lo), tau);
        for (size_t i = 0; i < m; i++) x[i] = y[i] = 0.1f;
        run(ch, y, m);
        double t_open = -1;
        for (size_t i = 0; i < m; i++) {
            double g = 20 * log10(y[i] / x[i]);
            if (t_open < 0 && g >= -A * exp(-1.0)) t_open = (double)i / RATE;
        }
        printf("attack: gain reached -A/e at %.3f ms (expected %.3f = detector %.3f + attack "
               "constant %.1f ms)\n",
               t_open * 1e3, (t_up + att) * 1e3, t_up * 1e3, att * 1e3);
        CHECK(fabs(t_open - (t_up + att)) < 0.0002, "attack timing %.3f ms", t_open * 1e3);
        gs_channel_free(ch);
    }
    free(x);
    free(y);
    return check_done();
}
