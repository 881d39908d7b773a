/* Noise of the front-end channel (frontend.c): the source's thermal noise enters at its EMF and is
 * filtered by the source/load network like the signal; the preamp's EIN enters at the gain
 * element. With the input silent, the output noise in 20 Hz-20 kHz, referred to the preamp input
 * by the measured gain, must match the power sum of
 *   source thermal:  4 k T R integrated over 20 Hz-20 kHz through |H_source(f)|^2
 *   preamp:          the amplifier's part of `ein` (EIN^2 minus its 150 Ohm termination)
 * each weighted by the op-amp stages' response relative to 1 kHz (flat to ~0.01 dB in band), within
 * 0.5 dB. The solid-state channel (ss_preamp.c) with its 150 Ohm default source must give its
 * `ein` setting. Also: off means exact silence, and the seed decides the noise. */
#include "check.h"
#include "internal.h"
#include "noise.h"
#include "opamp.h"
#include "sigutil.h"
#include "source.h"
#include "spectrum.h"

#include <complex.h>
#include <string.h>

#define RATE 48000.0
#define BLK 512u
#define F_REF 1000.0

static const double dbu_ref = 0.77459666924148338;

static double get(gs_channel *ch, const char *sym) {
    size_t id = 0;
    CHECK(gs_channel_param_find(ch, sym, &id) == GS_OK, "no parameter %s", sym);
    return gs_channel_get(ch, id);
}

static void run(gs_channel *ch, float *x, size_t n) {
    for (size_t i = 0; i < n; i += BLK) {
        uint32_t len = (uint32_t)(n - i < BLK ? n - i : BLK);
        gs_channel_process(ch, x + i, x + i, len);
    }
}

/* |H_source(f)| from the closed form (source.h) for the channel's current source settings. */
static double source_mag(gs_channel *ch, double f) {
    double v[GS_SRC_P_COUNT], num[4], den[4], re, im;
    unsigned nn, nd;
    for (size_t i = 0; i < GS_SRC_P_COUNT; i++) v[i] = gs_channel_get(ch, i);
    gs_source_poly(v, num, &nn, den, &nd);
    gs_lti_eval_analog(num, nn, den, nd, f, &re, &im);
    return hypot(re, im);
}

/* The op-amp stages' response relative to 1 kHz (coupling high-passes, closed-loop poles; as in
 * test_frontend.c). */
static double stages_rel(double gain_db, double gbw, double f) {
    double gst = pow(10.0, gain_db / 40.0);
    double gid = 1.0 / (1.0 / gst - 1.0 / GS_OPAMP_A0);
    double wcl = 2 * M_PI * gbw / GS_OPAMP_A0 * (1.0 + GS_OPAMP_A0 / gid);
    double h[2];
    const double fr[2] = {f, F_REF};
    for (int k = 0; k < 2; k++) {
        double complex s = I * 2 * M_PI * fr[k];
        h[k] = cabs(s * 0.47 / (1.0 + s * 0.47) * s * 10.0 / (1.0 + s * 10.0) /
                    ((1.0 + s / wcl) * (1.0 + s / wcl)));
    }
    return h[0] / h[1];
}

/* Expected input-referred noise (V^2 in 20 Hz-20 kHz at the preamp input) for thermal
 * resistance r: the two parts separately. */
static void expected(gs_channel *ch, double r, double *thermal, double *amp) {
    double temp = get(ch, "temp"), ein = get(ch, "ein"), fc = get(ch, "ein_corner");
    double gain_db = get(ch, "gain"), gbw = get(ch, "gbw");
    double four_kt = 4.0 * GS_NOISE_K_BOLTZMANN * temp;
    double band = GS_NOISE_F_HI - GS_NOISE_F_LO;
    double e = dbu_ref * pow(10.0, ein / 20.0);
    double pa = e * e - four_kt * GS_NOISE_EIN_REF_OHM * band;
    if (pa < 0) pa = 0;
    double s0 = pa / (band + fc * log(GS_NOISE_F_HI / GS_NOISE_F_LO));
    /* Midpoint rule, 1 Hz steps: the integrands are smooth on that scale. */
    double st = 0, sa = 0;
    for (double f = GS_NOISE_F_LO + 0.5; f < GS_NOISE_F_HI; f += 1.0) {
        double w = stages_rel(gain_db, gbw, f);
        w *= w;
        double hs = source_mag(ch, f);
        st += four_kt * r * hs * hs * w;
        sa += s0 * (1.0 + fc / f) * w;
    }
    *thermal = st;
    *amp = sa;
}

/* Gain from the preamp input (the voltage across the load) to the output at 1 kHz, measured: the
 * channel's gain from the EMF by a sine fit, divided by the source network's |H(1 kHz)|. */
static double preamp_gain(gs_channel *ch) {
    gs_channel_reset(ch);
    size_t settle = (size_t)(0.3 * RATE), m = (size_t)(0.1 * RATE), n = settle + m;
    float *x = malloc(n * sizeof *x);
    double w = 2 * M_PI * F_REF / RATE, amp = 1e-4, a, ph;
    for (size_t i = 0; i < n; i++) x[i] = (float)(amp * sin(w * (double)i));
    run(ch, x, n);
    fit_sine(x + settle, m, w, &a, &ph, NULL);
    free(x);
    return a / amp / source_mag(ch, F_REF);
}

/* Output of n samples of silence with noise on (the first `settle` samples dropped). */
static float *silence(gs_channel *ch, size_t settle, size_t n) {
    gs_channel_reset(ch);
    float *x = calloc(settle + n, sizeof *x);
    run(ch, x, settle + n);
    memmove(x, x + settle, n * sizeof *x);
    return x;
}

/* Measures preset `name` at gain `gain_db` with `ein` dBu; thermal resistance r (what frontend.c
 * uses for the preset's source). Returns measured minus expected, dB. */
static double noise_case(const char *name, double gain_db, double ein, double r, const char *what) {
    gs_channel *ch = NULL;
    CHECK(gs_channel_new_preset(gs_preset_find(name), RATE, BLK, &ch) == GS_OK, "%s", name);
    if (!ch) return 99;
    gs_channel_set_symbol(ch, "gain", gain_db);
    gs_channel_set_symbol(ch, "ein", ein);
    double g = preamp_gain(ch);
    gs_channel_set_symbol(ch, "noise", 1.0);
    size_t n = (size_t)(2.0 * RATE);
    float *y = silence(ch, (size_t)(0.5 * RATE), n);
    double p = band_power(y, n, RATE, GS_NOISE_F_LO, GS_NOISE_F_HI) / (g * g);
    double th, am;
    expected(ch, r, &th, &am);
    double want = th + am, err = db10(p / want);
    printf("%-12s %s: gain %.3f dB measured; input-referred noise 20 Hz-20 kHz %.3f dBu, "
           "expected %.3f dBu (thermal %.3f dBu through the network, preamp %.3f dBu): "
           "%+.3f dB\n",
           name, what, 20 * log10(g), dbu_of_ms(p), dbu_of_ms(want),
           th > 0 ? dbu_of_ms(th) : -999.0, am > 0 ? dbu_of_ms(am) : -999.0, err);
    free(y);
    gs_channel_free(ch);
    return err;
}

static void levels(void) {
    /* mic-dynamic: 300 Ohm coil (dyn_r) into 3 kOhm, at 50 dB; the default EIN -128 dBu. */
    double e = noise_case("mic-dynamic", 50.0, -128.0, 300.0, "thermal+EIN");
    CHECK(fabs(e) < 0.5, "mic-dynamic, 50 dB: %+.3f dB", e);
    /* Thermal alone: an EIN at the minimum (below the 150 Ohm floor) leaves the amplifier
     * noiseless, so this is the coil's 4kTR through the mic/load network. */
    e = noise_case("mic-dynamic", 50.0, -150.0, 300.0, "thermal only");
    CHECK(fabs(e) < 0.5, "mic-dynamic thermal only: %+.3f dB", e);
    /* The preamp alone: a piezo has no resistive part, so only the EIN (with its 1/f part). */
    e = noise_case("piezo", 50.0, -120.0, 0.0, "EIN only");
    CHECK(fabs(e) < 0.5, "piezo (EIN only): %+.3f dB", e);
    /* Ribbon: 0.2 Ohm x 37^2 + 25 Ohm = 298.8 Ohm at the secondary. */
    e = noise_case("mic-ribbon", 50.0, -150.0, 0.2 * 37 * 37 + 25.0, "thermal only");
    CHECK(fabs(e) < 0.5, "mic-ribbon thermal only: %+.3f dB", e);
}

/* The solid-state channel (preset "clean"), no source model: with source_r = 150 Ohm (default)
 * the input-referred noise is the `ein` setting itself, by the datasheet definition. */
static void ss_preamp_noise(void) {
    const double eins[] = {-128.0, -120.0};
    for (size_t k = 0; k < GS_ARRAY_LEN(eins); k++) {
        gs_channel *ch = NULL;
        CHECK(gs_channel_new_preset(gs_preset_find("clean"), RATE, BLK, &ch) == GS_OK, "clean");
        if (!ch) return;
        gs_channel_set_symbol(ch, "gain", 50.0);
        gs_channel_set_symbol(ch, "ein", eins[k]);
        gs_channel_reset(ch);
        size_t settle = (size_t)(0.3 * RATE), m = (size_t)(0.1 * RATE);
        float *x = malloc((settle + m) * sizeof *x);
        double w = 2 * M_PI * F_REF / RATE, a, ph;
        for (size_t i = 0; i < settle + m; i++) x[i] = (float)(1e-4 * sin(w * (double)i));
        run(ch, x, settle + m);
        fit_sine(x + settle, m, w, &a, &ph, NULL);
        free(x);
        double g = a / 1e-4;
        gs_channel_set_symbol(ch, "noise", 1.0);
        size_t n = (size_t)(2.0 * RATE);
        float *y = silence(ch, (size_t)(0.5 * RATE), n);
        double p = band_power(y, n, RATE, GS_NOISE_F_LO, GS_NOISE_F_HI) / (g * g);
        double err = dbu_of_ms(p) - eins[k];
        printf("clean (ss-preamp) 150 Ohm source, ein %.0f dBu: gain %.3f dB measured; "
               "input-referred noise 20 Hz-20 kHz %.3f dBu: %+.3f dB\n",
               eins[k], 20 * log10(g), dbu_of_ms(p), err);
        CHECK(fabs(err) < 0.5, "ss-preamp ein %g: %+.3f dB", eins[k], err);
        free(y);
        gs_channel_free(ch);
    }
}

static void determinism(void) {
    const gs_preset *pr = gs_preset_find("mic-dynamic");
    size_t n = (size_t)(0.25 * RATE);
    gs_channel *a = NULL, *b = NULL;
    gs_channel_new_preset(pr, RATE, BLK, &a);
    gs_channel_new_preset(pr, RATE, BLK, &b);
    if (!a || !b) {
        CHECK(0, "channels");
        return;
    }
    /* Off (the default): silence in, exact silence out. */
    float *x = silence(a, 0, n);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += x[i] != 0.0f;
    printf("noise off: %zu of %zu output samples non-zero for silence in\n", nonzero, n);
    CHECK(nonzero == 0, "noise off: %zu non-zero samples", nonzero);
    free(x);

    gs_channel_set_symbol(a, "noise", 1.0);
    gs_channel_set_symbol(b, "noise", 1.0);
    gs_channel_set_symbol(a, "seed", 7.0);
    gs_channel_set_symbol(b, "seed", 7.0);
    float *ya = silence(a, 0, n), *yb = silence(b, 0, n);
    CHECK(memcmp(ya, yb, n * sizeof *ya) == 0, "seed 7 twice: outputs differ");
    /* A reset channel repeats its noise exactly. */
    float *ya2 = silence(a, 0, n);
    CHECK(memcmp(ya, ya2, n * sizeof *ya) == 0, "seed 7 after reset: output differs");
    gs_channel_set_symbol(b, "seed", 8.0);
    float *yc = silence(b, 0, n);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += ya[i] == yc[i];
    printf("seed 7 vs 7: identical; seed 7 vs 8: %zu of %zu samples equal\n", same, n);
    CHECK(same < n / 100, "seed 8 gives the same noise as seed 7 (%zu equal samples)", same);
    free(ya);
    free(ya2);
    free(yb);
    free(yc);
    gs_channel_free(a);
    gs_channel_free(b);
}

int main(void) {
    levels();
    ss_preamp_noise();
    determinism();
    return check_done();
}
