/* The character of the common-emitter NPN stage (issue 19 target 3) against what the circuit
 * predicts, and the bjt-preamp channel (target 4). Every measured number is printed.
 *
 * Stage: the solver (gs_bjt_core) itself at 192 kHz, so that the figures are the circuit's and
 * not the oversampler's: (a) the coupling capacitors' and the emitter bypass's -3 dB points
 * against their analytic corners; (b) the bias shift when driven; (c) gain compression; (d)
 * recovery after a 10 V burst; (e) the two clipping limits.
 * Channel: its gain controls in dB, presets, strips, latency against the impulse peak, finite
 * output at extreme settings and inputs, no allocation or lock in processing. */
#include "bjt.h"
#include "check.h"
#include "rtcount.h"
#include "sigutil.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define FS 192000.0
#define BLOCK 256u

static const gs_bjt_values defaults = GS_BJT_DEFAULTS;

static void core_at_rest(gs_bjt_core *c, const gs_bjt_values *v) {
    memset(c, 0, sizeof *c);
    gs_bjt_core_design(c, v, 1.0 / FS);
    CHECK(gs_bjt_core_reset(c) == GS_OK, "operating point");
}

/* Small-signal parameters of the device at the core's operating point, by central differences of
 * the device equations: gm = dIc/dVbe, g_pi = dIb/dVbe (S). */
static void small_signal(const gs_bjt_core *c, double *gm, double *gpi) {
    const double d = 1e-6;
    double ic1, ib1, ic2, ib2;
    gs_bjt_currents(c->vbe + d, c->vbc, &ic1, &ib1);
    gs_bjt_currents(c->vbe - d, c->vbc, &ic2, &ib2);
    *gm = (ic1 - ic2) / (2.0 * d);
    *gpi = (ib1 - ib2) / (2.0 * d);
}

/* Amplitude (V) of the fundamental at f of the core's output for a sine of amplitude amp, from
 * the operating point: `settle` seconds, then a whole number of cycles (>= 20 and >= 50 ms)
 * fitted. With `mean_vc`, the mean collector voltage over the fitted cycles; with `vmax`,
 * `vmin`, the output's extremes there; with `mean_vb`, the mean base voltage. */
static double core_sine(const gs_bjt_values *v, double f, double amp, double settle,
                        double *mean_vc, double *vmax, double *vmin, double *mean_vb) {
    gs_bjt_core c;
    core_at_rest(&c, v);
    size_t cycles = (size_t)fmax(20.0, ceil(0.05 * f));
    size_t ns = (size_t)(settle * FS), m = (size_t)floor((double)cycles * FS / f);
    float *y = malloc(m * sizeof(float));
    double w = 2.0 * GS_PI * f / FS, svc = 0.0, svb = 0.0, mx = -1e30, mn = 1e30;
    for (size_t i = 0; i < ns + m; i++) {
        double o = gs_bjt_core_tick(&c, amp * sin(w * (double)i));
        if (i < ns) continue;
        y[i - ns] = (float)o;
        double vb, vc;
        gs_bjt_core_nodes(&c, &vb, &vc, NULL);
        svc += vc;
        svb += vb;
        mx = fmax(mx, o);
        mn = fmin(mn, o);
    }
    double a, ph;
    fit_sine(y, m, w, &a, &ph, NULL);
    free(y);
    if (mean_vc) *mean_vc = svc / (double)m;
    if (vmax) *vmax = mx;
    if (vmin) *vmin = mn;
    if (mean_vb) *mean_vb = svb / (double)m;
    return a;
}

/* The frequency (Hz) below which the response falls more than 3.01 dB under the midband
 * amplitude `mid`, found by bisection in log f between lo and hi. */
static double corner_3db(const gs_bjt_values *v, double mid, double lo, double hi) {
    for (int it = 0; it < 24; it++) {
        double f = sqrt(lo * hi);
        double settle = fmax(0.02, 8.0 / f); /* the corner's own transient, >> 1/(2 pi fc) */
        if (core_sine(v, f, 1e-3, settle, NULL, NULL, NULL, NULL) / mid < M_SQRT1_2)
            lo = f;
        else
            hi = f;
    }
    return sqrt(lo * hi);
}

/* (a) Each corner alone, the other capacitors made large so that their corners are 1000 times
 * lower (and measured with 1 mV, where the stage is linear to -60 dB):
 *  - cin: f = 1 / (2 pi cin Rin), Rin = r1 || r2 || (r_pi + (beta + 1) Ze) the base's input
 *    resistance, Ze the emitter's resistance to ground (re1 + re2 with ce = 0), r_pi = 1/g_pi,
 *    beta = gm / g_pi: the brief's r1 || r2 || (beta + 1)(re1 + re2 + re'), re' = r_pi/(beta+1).
 *  - cout: f = 1 / (2 pi cout (Rout + rl)), Rout = rc in parallel with the collector's own output
 *    resistance ro (1 + gm Ze), ro = (VAF - Vbc) / Ic: above 4 MOhm with ce = 0, so Rout = rc
 *    to 0.1 %.
 *  - ce: with Ze(s) = R0 + re2 / (1 + s ce re2), R0 = re1 + re' (the base driven from the ideal
 *    source through a large cin), the gain is Gmid (R0 / (R0 + re2)) (1 + s tz) / (1 + s tp),
 *    tz = ce re2, tp = ce (re2 || R0); |G| = Gmid / sqrt 2 at w = sqrt(1 - 2 a^2) / tp,
 *    a = R0 / (R0 + re2) = tp / tz (0.99 / (2 pi tp) at the default values).
 * The measured -3 dB points must agree within 2 %. */
static void test_corners(void) {
    gs_bjt_core c;
    double gm, gpi;
    /* cin: 100 nF, no bypass, cout 100 uF */
    gs_bjt_values v = defaults;
    v.cin = 100e-9;
    v.ce = 0.0;
    v.cout = 100e-6;
    core_at_rest(&c, &v);
    small_signal(&c, &gm, &gpi);
    double beta = gm / gpi, rpi = 1.0 / gpi;
    double rin = 1.0 / (1.0 / v.r1 + 1.0 / v.r2 + 1.0 / (rpi + (beta + 1.0) * (v.re1 + v.re2)));
    double f_in = 1.0 / (2.0 * GS_PI * v.cin * rin);
    double mid = core_sine(&v, 100.0 * f_in, 1e-3, 0.05, NULL, NULL, NULL, NULL);
    double m_in = corner_3db(&v, mid, f_in / 4.0, f_in * 4.0);
    printf("(a) cin 100 nF: Ic %.4f mA, beta %.1f, Rin %.0f Ohm: corner %.2f Hz, measured %.2f Hz "
           "(%+.2f %%)\n",
           c.ic * 1e3, beta, rin, f_in, m_in, 100.0 * (m_in / f_in - 1.0));
    CHECK(fabs(m_in / f_in - 1.0) < 0.02, "cin corner %.2f Hz, want %.2f", m_in, f_in);

    /* cout: 100 nF, no bypass, cin 100 uF */
    v = defaults;
    v.cout = 100e-9;
    v.ce = 0.0;
    v.cin = 100e-6;
    core_at_rest(&c, &v);
    small_signal(&c, &gm, &gpi);
    double ro = (GS_BJT_VAF - c.vbc) / c.ic;
    double rout = 1.0 / (1.0 / v.rc + 1.0 / (ro * (1.0 + gm * (v.re1 + v.re2))));
    double f_out = 1.0 / (2.0 * GS_PI * v.cout * (rout + v.rl));
    mid = core_sine(&v, 100.0 * f_out, 1e-3, 0.05, NULL, NULL, NULL, NULL);
    double m_out = corner_3db(&v, mid, f_out / 4.0, f_out * 4.0);
    printf("(a) cout 100 nF: Rout %.0f Ohm + rl: corner %.2f Hz, measured %.2f Hz (%+.2f %%)\n",
           rout, f_out, m_out, 100.0 * (m_out / f_out - 1.0));
    CHECK(fabs(m_out / f_out - 1.0) < 0.02, "cout corner %.2f Hz, want %.2f", m_out, f_out);

    /* ce: 10 uF, cin and cout 100 uF */
    v = defaults;
    v.ce = 10e-6;
    v.cin = v.cout = 100e-6;
    core_at_rest(&c, &v);
    small_signal(&c, &gm, &gpi);
    beta = gm / gpi;
    double r0 = v.re1 + (beta / (beta + 1.0)) / gm; /* re1 + alpha / gm */
    double tp = v.ce * v.re2 * r0 / (v.re2 + r0), a = r0 / (r0 + v.re2);
    double f_ce = sqrt(1.0 - 2.0 * a * a) / (2.0 * GS_PI * tp);
    mid = core_sine(&v, 100.0 * f_ce, 1e-3, 0.05, NULL, NULL, NULL, NULL);
    double m_ce = corner_3db(&v, mid, f_ce / 4.0, f_ce * 4.0);
    printf("(a) ce 10 uF: re' %.2f Ohm, pole %.2f Hz, -3 dB %.2f Hz, measured %.2f Hz (%+.2f "
           "%%)\n",
           r0 - v.re1, 1.0 / (2.0 * GS_PI * tp), f_ce, m_ce, 100.0 * (m_ce / f_ce - 1.0));
    CHECK(fabs(m_ce / f_ce - 1.0) < 0.02, "ce corner %.2f Hz, want %.2f", m_ce, f_ce);
}

/* (b) Bias shift and (c) compression, default circuit, 1 kHz, after 1.5 s (10 time constants of
 * the slowest network, cout (rc + rl) = 147 ms).
 * (b) Below clipping, two second-order effects of the same size and opposite sign meet in the DC
 * loop Vth - Rb Ib = Vbe + (re1 + re2) Ie (ce and the couplings open; no mean current flows
 * through a capacitor). With a relative collector-current swing x (= a / Vt, a the AC Vbe):
 *  - the junction rectifies: the same mean current needs Vt x^2/4 less mean Vbe (more current);
 *  - the Early factor q = 1 - Vbc/VAF falls when the current rises (the collector swings down by
 *    rc||rl ic), so the mean Ic is q0 e^(Vbe/Vt) (1 - x d/2), d = (rc||rl) Ic x / (VAF q0), while
 *    the base current, free of q, is not reduced: Ib rises by Ib x d/2 relative to Ic/beta and
 *    lowers the base through Rb, and the same mean Ic needs Vt x d/2 more mean Vbe.
 * dIc = (Vt x^2/4 - Vt x d/2 - Rb Ib x d/2) / (Vt/Ic + Rb/beta + (re1 + re2)(1 + 1/beta)), and
 * the mean collector voltage moves by -rc dIc. At these values the terms nearly cancel (0.79 mV
 * against 0.82 mV at 100 mV): the mean Vc stays within a fraction of a millivolt, where the
 * rectification alone would lower it by 3.1 mV. Checked to 5 % + 15 uV at 30 and 100 mV.
 * Driven into clipping the base current of the saturated half-cycles (the collector junction
 * forward biased, BR = 2) charges cin and pulls the mean base down (printed): the mean current
 * falls and the mean collector voltage rises, by volts at 1 V, toward cutoff. Checked: it rises
 * at 0.3 V and above, more with every level.
 * (c) The fundamental's gain falls with level: < 0.05 dB at 10 mV, 0.1 to 1 dB at 300 mV (the
 * onset), > 6 dB at 1 V, > 15 dB at 3 V; and no signal confined between the output's extremes
 * has a fundamental above (2/pi)(vmax - vmin) (the square wave's). */
static void test_bias_and_compression(void) {
    gs_bjt_core c;
    core_at_rest(&c, &defaults);
    double gm, gpi, vc0, vb0;
    small_signal(&c, &gm, &gpi);
    gs_bjt_core_nodes(&c, &vb0, &vc0, NULL);
    double beta = gm / gpi, re_ = (beta / (beta + 1.0)) / gm;
    double rb = defaults.r1 * defaults.r2 / (defaults.r1 + defaults.r2);
    double rload = defaults.rc * defaults.rl / (defaults.rc + defaults.rl);
    double q0 = 1.0 - c.vbc / GS_BJT_VAF;
    double w = 2.0 * GS_PI * 1000.0;
    /* re2 || 1/(jw ce) */
    double den = 1.0 + pow(w * defaults.ce * defaults.re2, 2.0);
    double zce_re = defaults.re2 / den,
           zce_im = -w * defaults.ce * defaults.re2 * defaults.re2 / den;
    double share = re_ / hypot(re_ + defaults.re1 + zce_re, zce_im);
    double loop = GS_BJT_VT / c.ic + rb / beta + (defaults.re1 + defaults.re2) * (1.0 + 1.0 / beta);
    const double amps[] = {1e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0};
    double g0 = 0.0, last_g = 1e9, last_vc = -1e9;
    int monotonic = 1;
    for (size_t k = 0; k < GS_ARRAY_LEN(amps); k++) {
        double vc, mx, mn, vb;
        double out = core_sine(&defaults, 1000.0, amps[k], 1.5, &vc, &mx, &mn, &vb);
        double g = 20.0 * log10(out / amps[k]);
        if (k == 0) g0 = g;
        monotonic &= g <= last_g + 1e-3;
        last_g = g;
        double x = amps[k] * share / GS_BJT_VT, d = rload * c.ic * x / (GS_BJT_VAF * q0);
        double rect = GS_BJT_VT * x * x / 4.0, early = (GS_BJT_VT + rb * c.ib) * x * d / 2.0;
        double pred = -defaults.rc * (rect - early) / loop;
        double sq = 2.0 / GS_PI * (mx - mn);
        printf("(b,c) %5.0f mV: gain %6.2f dB (%+6.2f); mean Vc %+9.3f mV from rest (2nd order "
               "%+7.3f, rectification alone %+7.3f), mean Vb %+8.2f mV; output %+.2f / %+.2f V, "
               "fundamental %.3f <= %.3f V\n",
               amps[k] * 1e3, g, g - g0, (vc - vc0) * 1e3, pred * 1e3,
               -defaults.rc * rect / loop * 1e3, (vb - vb0) * 1e3, mx, mn, out, sq);
        CHECK(out <= sq, "%g V: fundamental %g above the square wave's %g", amps[k], out, sq);
        if (amps[k] == 0.03 || amps[k] == 0.1)
            CHECK(fabs(vc - vc0 - pred) < 0.05 * fabs(pred) + 1.5e-5,
                  "%g V: bias shift %g mV, 2nd order %g mV", amps[k], (vc - vc0) * 1e3, pred * 1e3);
        if (amps[k] >= 0.3) {
            CHECK(vc > vc0 && vc > last_vc, "%g V: mean Vc %g not above rest %g and the last %g",
                  amps[k], vc, vc0, last_vc);
            last_vc = vc;
        }
        double comp = g0 - g;
        if (amps[k] == 0.01) CHECK(comp < 0.05, "10 mV compresses %.3f dB", comp);
        if (amps[k] == 0.3) CHECK(comp > 0.1 && comp < 1.0, "300 mV compresses %.3f dB", comp);
        if (amps[k] == 1.0) CHECK(comp > 6.0, "1 V compresses %.3f dB", comp);
        if (amps[k] == 3.0) CHECK(comp > 15.0, "3 V compresses %.3f dB", comp);
    }
    CHECK(monotonic, "the fundamental's gain does not fall monotonically with level");
}

/* (e) The two clipping limits, from rest, in the first cycle of a 1 kHz sine of 0.6 V (twice
 * what either edge needs, so the capacitors have barely moved). The output is the collector
 * swing through cout, which holds the collector's rest voltage Vc0:
 *  - cutoff (input down, output up): Ic -> 0, the collector rises through rc into rl:
 *    vo_max = (vcc - Vc0) rl / (rc + rl);
 *  - saturation (input up, output down): the collector falls to Vce_sat above the emitter, the
 *    emitter at vx + re1 Ie with ce holding vx = Vx0; the collector network is the Thevenin source
 *    Vth = (vcc rl + Vc0 rc) / (rc + rl) behind rc || rl, so Ic = (Vth - Vx0 - Vce_sat) /
 *    (rc || rl + re1) and vo_min = Vx0 + re1 Ic + Vce_sat - Vc0, Vce_sat ~ 0.1 V for this device
 *    (Ebers-Moll, BR = 2: Vt ln((1/alpha_R + (Ic/Ib)/BR) / (1 - (Ic/Ib)/BF)), 10 mV to 0.2 V).
 * Each measured limit within 3 % of its prediction, the collector-emitter voltage at the
 * negative peak between 10 mV and 0.3 V (saturated) and the collector current at the positive
 * one below 1 uA (cut off). With the default 10 kOhm load the two limits are about equal
 * (+8.3 / -8.6 V) though set by different things; with a 1 MOhm load the cutoff side moves to
 * +12.2 V and the saturation side stays: asymmetric by more than 3 V. */
static void clip_limits(double rl, double *pos, double *neg) {
    gs_bjt_values v = defaults;
    v.rl = rl;
    gs_bjt_core c;
    core_at_rest(&c, &v);
    double vx0, vcin0, vc0;
    gs_bjt_core_cap_voltages(&c, &vcin0, &vx0, &vc0);
    double p_pos = (v.vcc - vc0) * v.rl / (v.rc + v.rl);
    double rth = v.rc * v.rl / (v.rc + v.rl), vth = (v.vcc * v.rl + vc0 * v.rc) / (v.rc + v.rl);
    double ic_sat = (vth - vx0 - 0.1) / (rth + v.re1);
    double p_neg = vx0 + v.re1 * ic_sat + 0.1 - vc0;
    double mx = -1e30, mn = 1e30, vce_at_min = 0.0, ic_at_max = 0.0;
    size_t n = (size_t)(FS / 1000.0);
    for (size_t i = 0; i < n; i++) {
        double o = gs_bjt_core_tick(&c, 0.6 * sin(2.0 * GS_PI * 1000.0 * (double)i / FS));
        double vc, ve;
        gs_bjt_core_nodes(&c, NULL, &vc, &ve);
        if (o > mx) mx = o, ic_at_max = c.ic;
        if (o < mn) mn = o, vce_at_min = vc - ve;
    }
    printf("(e) rl %.0f kOhm: output %+.3f V (cutoff, theory %+.3f; Ic there %.2g A), %+.3f V "
           "(saturation, theory %+.3f; Vce there %.3f V)\n",
           rl / 1e3, mx, p_pos, ic_at_max, mn, p_neg, vce_at_min);
    CHECK(fabs(mx / p_pos - 1.0) < 0.03, "cutoff limit %g, theory %g", mx, p_pos);
    CHECK(fabs(mn / p_neg - 1.0) < 0.03, "saturation limit %g, theory %g", mn, p_neg);
    CHECK(vce_at_min > 0.01 && vce_at_min < 0.3, "Vce %g at the negative peak", vce_at_min);
    CHECK(fabs(ic_at_max) < 1e-6, "Ic %g at the positive peak", ic_at_max);
    *pos = mx;
    *neg = mn;
}

static void test_clipping(void) {
    double p1, n1, p2, n2;
    clip_limits(10e3, &p1, &n1);
    clip_limits(1e6, &p2, &n2);
    CHECK(p2 + n2 > 3.0, "1 MOhm load: limits %+g / %+g not asymmetric", p2, n2);
}

/* (d) Recovery after overload: a 10 V 1 kHz burst for 20 ms in a 10 mV 1 kHz probe, against an
 * instance fed only the probe. On the burst's positive peaks the base-emitter junction conducts
 * (the collector one too, saturated) and the base current charges cin; the emitter current
 * charges ce. When the burst ends the base sits far below the emitter: the transistor is cut
 * off, and nothing but the two capacitors' own discharges moves it:
 *   Vb(t) = Vth + (Vb0 - Vth) e^(-t / (cin Rb)),  Rb = r1 || r2 (the input is a source at 0 V),
 *   Vx(t) = Vx0 e^(-t / (ce re2))                  (no emitter current),
 * with Vb0, Vx0 the state at the burst's end. The small-signal gain, Gmid ~ (rc || rl) /
 * (re1 + alpha/gm), is back within 1 dB once Ic reaches the Ic1 at which re1 + alpha Vt/Ic1 is
 * 1 dB above its rest value, i.e. once Vb - Vx = Vt ln(Ic1 / (IS q0)) + re1 Ic1 / alpha. The
 * crossing time of those exponentials (cin Rb = 127 ms, ce re2 = 100 ms; 161.3 ms) is the first
 * estimate; the prediction t1 (163.5 ms) adds the turn-on itself (the emitter current beginning
 * to recharge ce), integrating the same two capacitors with the junction conducting;
 * measured in 1 ms windows (the probe's gain against the reference's), the gain must stay within
 * 1 dB from t1 + 1 ms on, and not before t1 - 1 ms (the prediction is not just a loose bound). */
static void test_recovery(void) {
    gs_bjt_core c, r;
    core_at_rest(&c, &defaults);
    core_at_rest(&r, &defaults);
    double gm, gpi;
    small_signal(&c, &gm, &gpi);
    double beta = gm / gpi, alpha = beta / (beta + 1.0), q0 = 1.0 - c.vbc / GS_BJT_VAF;
    double rb = defaults.r1 * defaults.r2 / (defaults.r1 + defaults.r2);
    double vth = defaults.vcc * defaults.r2 / (defaults.r1 + defaults.r2);
    const size_t win = (size_t)(FS / 1000.0), burst = 20 * win, after = 400 * win;
    const double w = 2.0 * GS_PI * 1000.0 / FS;
    for (size_t i = 0; i < burst; i++) {
        gs_bjt_core_tick(&c, 10.0 * sin(w * (double)i));
        gs_bjt_core_tick(&r, 0.01 * sin(w * (double)i));
    }
    double vcin0, vx0, vcout0;
    gs_bjt_core_cap_voltages(&c, &vcin0, &vx0, &vcout0);
    double vb0 = -vcin0, ic_end = c.ic;
    /* the 1 dB current: re1 + alpha Vt / Ic1 = 10^(1/20) (re1 + alpha / gm) */
    double ic1 = alpha * GS_BJT_VT / (pow(10.0, 0.05) * (defaults.re1 + alpha / gm) - defaults.re1);
    double need = GS_BJT_VT * log(ic1 / (GS_BJT_IS * q0)) + defaults.re1 * ic1 / alpha;
    double tb = defaults.cin * rb, te = defaults.ce * defaults.re2, lo = 0.0, hi = 2.0;
    for (int it = 0; it < 60; it++) {
        double t = 0.5 * (lo + hi);
        double d = vth + (vb0 - vth) * exp(-t / tb) - vx0 * exp(-t / te);
        if (d < need)
            lo = t;
        else
            hi = t;
    }
    double t_cut = 0.5 * (lo + hi);
    /* The same two capacitors with the junction conducting as it turns on (quasi-static: Ic from
     * Vb - Vx = Vt ln(Ic / (IS q0) + 1) + re1 Ie, Ib = Ic / (BF q0)), Euler steps of 10 us: the
     * emitter current starts recharging ce in the last milliseconds, which the cut-off
     * exponentials leave out. */
    double vb = vb0, vx = vx0, t1 = -1.0;
    for (int k = 0; k < 200000 && t1 < 0.0; k++) {
        double d = vb - vx, l = 1e-18, h = 1.0;
        for (int it = 0; it < 100; it++) {
            double ic = sqrt(l * h);
            double f = GS_BJT_VT * log(ic / (GS_BJT_IS * q0) + 1.0) + defaults.re1 * ic / alpha;
            if (f < d)
                l = ic;
            else
                h = ic;
        }
        double ic = sqrt(l * h), ib = ic / (GS_BJT_BF * q0);
        if (ic >= ic1) t1 = (double)k * 1e-5;
        vb += 1e-5 * ((vth - vb) / rb - ib) / defaults.cin;
        vx += 1e-5 * (ic + ib - vx / defaults.re2) / defaults.ce;
    }
    float yc[192], yr[192];
    double last_bad = -1.0, first_good = -1.0;
    for (size_t k = 0; k < after / win; k++) {
        for (size_t i = 0; i < win; i++) {
            double x = 0.01 * sin(w * (double)(burst + k * win + i));
            yc[i] = (float)gs_bjt_core_tick(&c, x);
            yr[i] = (float)gs_bjt_core_tick(&r, x);
        }
        double ac, ar, ph;
        fit_sine(yc, win, w, &ac, &ph, NULL);
        fit_sine(yr, win, w, &ar, &ph, NULL);
        int good = fabs(20.0 * log10((ac + 1e-30) / ar)) <= 1.0;
        double t_end = (double)(k + 1) * 1e-3;
        if (!good) last_bad = t_end;
        if (good && first_good < 0.0) first_good = t_end - 1e-3;
    }
    printf("(d) after 20 ms of 10 V: Ic %.2g A (cut off), Vb %+.3f V, Vx %+.3f V; need Vb - Vx = "
           "%.3f V (Ic %.3f mA, -1 dB): predicted %.2f ms (cut-off exponentials alone %.2f ms; cin "
           "Rb %.1f ms, ce re2 %.1f ms); gain within 1 dB from %.1f ms, first good window at "
           "%.1f ms\n",
           ic_end, vb0, vx0, need, ic1 * 1e3, t1 * 1e3, t_cut * 1e3, tb * 1e3, te * 1e3,
           last_bad * 1e3, first_good * 1e3);
    CHECK(ic_end < 1e-6, "not cut off after the burst: Ic %g", ic_end);
    CHECK(last_bad <= t1 + 1e-3, "recovered after %.1f ms, predicted %.1f ms + 1 ms",
          last_bad * 1e3, t1 * 1e3);
    CHECK(first_good >= t1 - 1e-3, "good from %.1f ms, before the predicted %.1f ms - 1 ms",
          first_good * 1e3, t1 * 1e3);
}

/* ---- The bjt-preamp channel ------------------------------------------------------------- */

#define RATE 48000.0

static gs_channel *preamp(double rate) {
    gs_channel *ch = NULL;
    gs_status st = gs_channel_new("bjt-preamp", rate, 512, &ch);
    CHECK(st == GS_OK, "create bjt-preamp at %g Hz: %s", rate, gs_strerror(st));
    return ch;
}

static void run(gs_channel *ch, float *x, size_t n) {
    for (size_t i = 0; i < n; i += BLOCK)
        gs_channel_process(ch, x + i, x + i, (uint32_t)(n - i < BLOCK ? n - i : BLOCK));
}

/* Gain (dB) of the channel at 1 kHz for 1 mV (both stages linear to -55 dB). */
static double gain_db(gs_channel *ch) {
    double g, ph;
    measure_sine_response(ch, RATE, 1000.0, 1e-3, 0.5, 20, &g, &ph);
    return 20.0 * log10(g);
}

/* The magnitude of a stage's emitter impedance at 1 kHz, re1 + alpha/gm + re2 || 1/(jw ce), at
 * supply vcc: the stage's gain is (rc || rl) over it. */
static double emitter_z(double vcc) {
    gs_bjt_values v = defaults;
    v.vcc = vcc;
    gs_bjt_core c;
    core_at_rest(&c, &v);
    double gm, gpi;
    small_signal(&c, &gm, &gpi);
    double beta = gm / gpi, w = 2.0 * GS_PI * 1000.0;
    double den = 1.0 + pow(w * v.ce * v.re2, 2.0);
    return hypot(v.re1 + beta / (beta + 1.0) / gm + v.re2 / den, w * v.ce * v.re2 * v.re2 / den);
}

/* Each control does what it says at 1 kHz: gain +10 dB, drive -10 dB, level +12 dB, each to
 * 0.05 dB; the supply at 12 V instead of 24 V lowers both stages' current (re' from 9.9 to about
 * 24 Ohm), which the two emitter impedances predict, to 0.1 dB. */
static void test_controls(void) {
    gs_channel *ch = preamp(RATE);
    if (!ch) return;
    double g0 = gain_db(ch);
    struct {
        const char *sym;
        double value, def, want;
    } k[] = {
        {"gain", 10.0, 0.0, 10.0}, {"drive", -22.0, -12.0, -10.0}, {"level", -8.0, -20.0, 12.0}};
    printf("bjt-preamp defaults: %.2f dB at 1 kHz, latency %u\n", g0, gs_channel_latency(ch));
    for (size_t i = 0; i < GS_ARRAY_LEN(k); i++) {
        gs_channel_set_symbol(ch, k[i].sym, k[i].value);
        double d = gain_db(ch) - g0;
        printf("  %s %g dB: %+.3f dB (want %+.1f)\n", k[i].sym, k[i].value, d, k[i].want);
        CHECK(fabs(d - k[i].want) < 0.05, "%s: %+.3f dB, want %+.1f", k[i].sym, d, k[i].want);
        gs_channel_set_symbol(ch, k[i].sym, k[i].def);
    }
    gs_channel_set_symbol(ch, "vcc", 12.0);
    double d = gain_db(ch) - g0, want = 2.0 * 20.0 * log10(emitter_z(24.0) / emitter_z(12.0));
    printf("  vcc 12 V: %+.3f dB (the emitter impedances predict %+.3f)\n", d, want);
    CHECK(fabs(d - want) < 0.1, "vcc 12 V: %+.3f dB, want %+.3f", d, want);

    /* smoothed: +20 dB of gain at a block boundary glides, no step in the output */
    gs_channel_set_symbol(ch, "vcc", 24.0);
    gs_channel_reset(ch);
    size_t n = 24000;
    float *x = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(1e-3 * sin(2.0 * GS_PI * 1000.0 * (double)i / RATE));
    run(ch, x, 12288);
    gs_channel_set_symbol(ch, "gain", 20.0);
    run(ch, x + 12288, n - 12288);
    double dmax_after = 0.0, dmax_change = 0.0;
    for (size_t i = 12289; i < n; i++) {
        double dd = fabs((double)x[i] - x[i - 1]);
        if (i < 12288 + 2048)
            dmax_change = fmax(dmax_change, dd);
        else
            dmax_after = fmax(dmax_after, dd);
    }
    printf("  gain +20 dB in a run: largest sample step %.4g V while gliding, %.4g V after\n",
           dmax_change, dmax_after);
    CHECK(dmax_change <= 1.01 * dmax_after, "a step of %g V (settled: %g)", dmax_change,
          dmax_after);
    free(x);
    gs_channel_free(ch);
}

/* The presets at -20 dBFS of the default calibration (11 mV peak): bjt clean (THD < -60 dB),
 * bjt-driven with H2 dominant at -40 to -25 dB; the gains the preset comments give. */
static void test_presets(void) {
    const char *names[2] = {"bjt", "bjt-driven"};
    const double gains[2] = {38.3, 39.2};
    for (int k = 0; k < 2; k++) {
        const gs_preset *p = gs_preset_find(names[k]);
        CHECK(p && strlen(gs_preset_description(p)) > 10, "preset %s", names[k]);
        gs_channel *ch = NULL;
        if (!p || gs_channel_new_preset(p, RATE, 512, &ch) != GS_OK) continue;
        CHECK(!strcmp(gs_channel_model(ch)->name, "bjt-preamp"), "%s's model", names[k]);
        size_t pre = 24000, n = 48000;
        float *x = malloc((pre + n) * sizeof(float));
        double a = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU) * 0.1;
        for (size_t i = 0; i < pre + n; i++)
            x[i] = (float)(a * sin(2.0 * GS_PI * 1000.0 * (double)i / RATE));
        run(ch, x, pre + n);
        double amp, ph, res, h2 = 0.0, h3 = 0.0;
        fit_sine(x + pre, n, 2.0 * GS_PI * 1000.0 / RATE, &amp, &ph, &res);
        alias_db(x + pre, n, 1000.0, RATE, &h2, &h3);
        double thd = 20.0 * log10(res * sqrt(2.0) / amp), g = 20.0 * log10(amp / a);
        printf("preset %-10s: %.1f mV -> gain %.2f dB, THD+N %.1f dB, H2 %.1f dB, H3 %.1f dB\n",
               names[k], a * 1e3, g, thd, h2, h3);
        CHECK(fabs(g - gains[k]) < 0.5, "%s: gain %.2f dB", names[k], g);
        if (k == 0) CHECK(thd < -60.0, "bjt: THD %.1f dB", thd);
        if (k == 1) CHECK(thd > -40.0 && thd < -25.0 && h2 > h3, "bjt-driven: THD %.1f dB", thd);
        free(x);
        gs_channel_free(ch);
    }
}

/* Aliasing of the presets at 0 dBFS of the default calibration (110 mV peak) at 5 and 9 kHz,
 * 48 kHz, default quality. bjt: -109.9 / -102.3 dB measured, held to -90 / -85. bjt-driven clips
 * its second stage hard at that level (THD -2 dB) and aliases at -81.5 / -79.2 dB (-75.3 / -67.0
 * before its solved samples took half steps, as bjt-stage's do): not alias-free by the tube's
 * -90 / -80 measure at 5 kHz, held as a regression bound 2 dB above what was measured, and
 * printed. */
static void test_preset_alias(void) {
    const char *names[2] = {"bjt", "bjt-driven"};
    const double freqs[2] = {5000.0, 9000.0}, bound[2][2] = {{-90.0, -85.0}, {-79.5, -77.2}};
    double a0 = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    for (int k = 0; k < 2; k++)
        for (int f = 0; f < 2; f++) {
            gs_channel *ch = NULL;
            if (gs_channel_new_preset(gs_preset_find(names[k]), RATE, 512, &ch) != GS_OK) {
                CHECK(0, "preset %s", names[k]);
                continue;
            }
            size_t pre = 24000, n = 48000;
            float *x = malloc((pre + n) * sizeof(float));
            for (size_t i = 0; i < pre + n; i++)
                x[i] = (float)(a0 * sin(2.0 * GS_PI * freqs[f] * (double)i / RATE));
            run(ch, x, pre + n);
            double al = alias_db(x + pre, n, freqs[f], RATE, NULL, NULL);
            printf("preset %-10s: 0 dBFS %.0f kHz: aliasing %.1f dB (bound %.1f)\n", names[k],
                   freqs[f] / 1e3, al, bound[k][f]);
            CHECK(al <= bound[k][f], "%s %g Hz: aliasing %.1f dB", names[k], freqs[f], al);
            free(x);
            gs_channel_free(ch);
        }
}

/* The built-in strip and chains with the stage and the channel: they build and run, finite. */
static void test_strips(void) {
    const char *chains[] = {
        "source | bjt-preamp gain=6dB | converter bits=24",
        "source source=ribbon | bjt-stage | bjt-preamp drive=-20dB | converter"};
    for (size_t k = 0; k < 3; k++) {
        gs_preset *own = NULL;
        const gs_preset *p = NULL;
        char err[256] = "";
        if (k == 0)
            p = gs_preset_find("interface-bjt");
        else if (gs_preset_parse_chain(chains[k - 1], &own, err, sizeof err) == GS_OK)
            p = own;
        CHECK(p != NULL, "%s: %s", k ? chains[k - 1] : "interface-bjt", err);
        gs_channel *ch = NULL;
        if (!p || gs_channel_new_preset(p, RATE, 512, &ch) != GS_OK) {
            gs_preset_free(own);
            continue;
        }
        size_t n = 24000;
        float *x = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.01 * sin(2.0 * GS_PI * 440.0 * (double)i / RATE));
        run(ch, x, n);
        double rms = 0.0;
        int finite = 1;
        for (size_t i = n / 2; i < n; i++) {
            finite &= isfinite(x[i]) != 0;
            rms += (double)x[i] * x[i];
        }
        rms = sqrt(rms / (double)(n / 2));
        printf("strip %s: %zu blocks, RMS out %.4g, latency %u\n",
               k ? chains[k - 1] : "interface-bjt", gs_preset_block_count(p), rms,
               gs_channel_latency(ch));
        CHECK(finite && rms > 1e-4, "strip %zu: RMS %g", k, rms);
        free(x);
        gs_channel_free(ch);
        gs_preset_free(own);
    }
}

/* The reported latency is where a 1 mV impulse peaks, at every quality and rate. */
static void test_latency(void) {
    const double rates[] = {44100.0, 48000.0, 96000.0, 192000.0};
    for (size_t r = 0; r < GS_ARRAY_LEN(rates); r++)
        for (unsigned q = 0; q < 3; q++) {
            gs_channel *ch = preamp(rates[r]);
            if (!ch) continue;
            gs_channel_set_symbol(ch, "quality", q);
            gs_channel_reset(ch);
            static float x[4096];
            memset(x, 0, sizeof x);
            x[0] = 1e-3f;
            run(ch, x, 4096);
            size_t peak = 0;
            for (size_t i = 1; i < 4096; i++)
                if (fabs(x[i]) > fabs(x[peak])) peak = i;
            CHECK(peak == gs_channel_latency(ch), "%g Hz quality %u: peak at %zu, latency %u",
                  rates[r], q, peak, gs_channel_latency(ch));
            if (r == 1)
                printf("latency at 48 kHz, quality %u: %u samples, impulse peak at %zu\n", q,
                       gs_channel_latency(ch), peak);
            gs_channel_free(ch);
        }
}

/* Every control at its minimum, then at its maximum, at 44.1 and 192 kHz and every quality:
 * +/-1000 V steps, a 1000 V sine, full-scale noise, NaN and Inf: every output finite and within
 * the circuit's reach (no runaway): the channel clamps its input at GS_OVERLOAD_V, and a stage's
 * output, a difference of node voltages that the junctions tie to the input or the supply, stays
 * within 2 (|vin| + vcc); so |out| <= 1.2 level 2 (drive 2 (GS_OVERLOAD_V gain + vcc) + vcc), 1.2
 * for the oversampler's overshoot. Then the controls moved every block while it plays.
 * No allocation or lock in processing or in setting a control (quality and supply included). */
static void test_extremes(void) {
    const double rates[2] = {44100.0, 192000.0};
    const char *syms[4] = {"gain", "drive", "level", "vcc"};
    const double lo[4] = {-20.0, -60.0, -60.0, 12.0}, hi[4] = {30.0, 0.0, 12.0, 48.0};
    size_t bad_all = 0;
    unsigned long long fails = 0;
    CHECK(rt_count_install(), "the allocation counter counts");
    for (size_t r = 0; r < 2; r++)
        for (unsigned q = 0; q < 3; q++)
            for (int end = 0; end < 3; end++) {
                gs_channel *ch = preamp(rates[r]);
                if (!ch) continue;
                gs_channel_set_symbol(ch, "quality", q);
                for (int s = 0; s < 4 && end < 2; s++)
                    gs_channel_set_symbol(ch, syms[s], end ? hi[s] : lo[s]);
                gs_channel_reset(ch);
                size_t n = (size_t)(0.2 * rates[r]);
                float *x = malloc(n * sizeof(float));
                uint32_t seed = 1;
                for (size_t i = 0; i < n; i++) {
                    seed = seed * 1664525u + 1013904223u;
                    double noise = (double)(seed >> 8) / 8388608.0 - 1.0;
                    x[i] = (float)(1000.0 * (i < n / 4   ? (i / 1000 % 2 ? 1.0 : -1.0)
                                             : i < n / 2 ? sin(0.01 * (double)i)
                                                         : noise));
                }
                x[n / 3] = NAN;
                x[n / 3 + 7] = INFINITY;
                x[2 * n / 3] = -INFINITY;
                rt_allocs = rt_locks = 0;
                rt_armed = 1;
                for (size_t i = 0; i < n; i += BLOCK) {
                    if (end == 2) /* controls moving every block */
                        for (int s = 0; s < 4; s++)
                            gs_channel_set_symbol(ch, syms[s],
                                                  (i / BLOCK + (size_t)s) % 2 ? hi[s] : lo[s]);
                    gs_channel_process(ch, x + i, x + i, (uint32_t)(n - i < BLOCK ? n - i : BLOCK));
                }
                gs_channel_set_symbol(ch, "quality", (q + 1) % 3);
                rt_armed = 0;
                CHECK(rt_allocs == 0 && rt_locks == 0, "%ld allocations, %ld locks", rt_allocs,
                      rt_locks);
                int m = end == 1 ? 1 : 0; /* the settings that give the largest reach */
                double reach = 1.2 *
                               gs_db_to_gain(end == 2 ? hi[2]
                                             : m      ? hi[2]
                                                      : lo[2]) *
                               2.0 *
                               (gs_db_to_gain(end == 2 ? hi[1]
                                              : m      ? hi[1]
                                                       : lo[1]) *
                                    2.0 *
                                    (GS_OVERLOAD_V * gs_db_to_gain(end == 2 || m ? hi[0] : lo[0]) +
                                     (end == 2 || m ? hi[3] : lo[3])) +
                                (end == 2 || m ? hi[3] : lo[3]));
                size_t bad = 0;
                double peak = 0.0;
                for (size_t i = 0; i < n; i++) {
                    bad += !isfinite(x[i]) || fabs(x[i]) > reach;
                    peak = fmax(peak, fabs(x[i]));
                }
                if (q == 2)
                    printf("extremes at %g Hz, controls %s: peak %.4g V (reach %.4g V)\n", rates[r],
                           end == 2 ? "moving"
                           : end    ? "max"
                                    : "min",
                           peak, reach);
                gs_channel_stats st;
                gs_channel_stats_get(ch, &st);
                fails += st.solver_failures;
                CHECK(bad == 0, "%g Hz quality %u %s: %zu bad samples", rates[r], q,
                      end == 2 ? "moving"
                      : end    ? "max"
                               : "min",
                      bad);
                bad_all += bad;
                free(x);
                gs_channel_free(ch);
            }
    printf("extremes: %zu bad samples, %llu solver failures in all\n", bad_all, fails);
}

int main(void) {
    test_corners();
    test_bias_and_compression();
    test_clipping();
    test_recovery();
    test_controls();
    test_presets();
    test_preset_alias();
    test_strips();
    test_latency();
    test_extremes();
    return check_done();
}
