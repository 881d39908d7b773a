/* The common-emitter NPN stage (bjt-stage, issue 19): the DC operating point against ngspice,
 * the character (H2 dominant at moderate level, asymmetric clipping) and robustness (no NaN, Inf
 * or runaway at any rate for inputs up to +/-1000 V). Every measured number is printed. */
#include "bjt.h"
#include "check.h"
#include "sigutil.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 256u

static gs_bjt_core core_default(double T) {
    gs_bjt_core c;
    memset(&c, 0, sizeof c);
    gs_bjt_values v = GS_BJT_DEFAULTS;
    gs_bjt_core_design(&c, &v, T);
    return c;
}

/* ngspice-39 .op of tools/spice/bjt_stage.cir at its defaults (vin 0 V, `ngspice -b` with
 * `.op` and `print v(b) v(c) v(e) @q1[ic]`): 3.558576 V, 11.74812 V, 2.880712 V, 2.606783 mA.
 * ngspice's default reltol is 1e-3, so agreement is asked to 1e-4 relative. */
static void test_dc(void) {
    gs_bjt_core c = core_default(1.0 / 768000.0);
    gs_status st = gs_bjt_core_reset(&c);
    double vb, vc, ve;
    gs_bjt_core_nodes(&c, &vb, &vc, &ve);
    printf("DC operating point: Vb %.6f V, Vc %.6f V, Ve %.6f V, Ic %.6f mA, Ib %.4f uA\n", vb, vc,
           ve, c.ic * 1e3, c.ib * 1e6);
    CHECK(st == GS_OK, "DC point did not converge");
    CHECK(fabs(vb - 3.558576) < 1e-4 * 3.56, "Vb %g", vb);
    CHECK(fabs(vc - 11.74812) < 1e-4 * 11.7, "Vc %g", vc);
    CHECK(fabs(ve - 2.880712) < 1e-4 * 2.88, "Ve %g", ve);
    CHECK(fabs(c.ic - 2.606783e-3) < 1e-4 * 2.6e-3, "Ic %g", c.ic);
    /* the device equations themselves at that point */
    double ic, ib;
    gs_bjt_currents(c.vbe, c.vbc, &ic, &ib);
    CHECK(fabs(ic - c.ic) < 1e-9 * c.ic && fabs(ib - c.ib) < 1e-9 * c.ib, "currents");
}

/* The linearised steps (bjt_core.c) against solving every sample, at 768 kHz (the default
 * quality's rate at 48 kHz): a 110 Hz sawtooth pluck with noise at the bench's level (55 mV
 * peak), a 10 mV and a 100 mV 1 kHz sine. The difference must stay 120 dB below the output
 * (measured -136 / -137 / -158 dB) and most samples must be linearised on the small signals. */
static void test_linearised(void) {
    const double fs = 768000.0;
    const size_t n = 384000;
    double *x = malloc(n * sizeof(double)), *y0 = malloc(n * sizeof(double)),
           *y1 = malloc(n * sizeof(double));
    for (int kind = 0; kind < 3; kind++) {
        uint32_t s = 99u;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / fs;
            s = s * 1664525u + 1013904223u;
            double nz = (double)(s >> 8) / 8388608.0 - 1.0;
            x[i] = kind == 0
                       ? 0.055 * exp(-6.0 * fmod(t, 0.5)) * (2.0 * fmod(110.0 * t, 1.0) - 1.0) +
                             0.0005 * nz
                       : (kind == 1 ? 0.01 : 0.1) * sin(2.0 * GS_PI * 1000.0 * t);
        }
        if (kind == 0) /* the noise band-limited a little (it is white at 768 kHz) */
            for (size_t i = n - 1; i >= 8; i--)
                x[i] = 0.125 * (x[i] + x[i - 1] + x[i - 2] + x[i - 3] + x[i - 4] + x[i - 5] +
                                x[i - 6] + x[i - 7]);
        double frac = 0.0;
        for (int r = 0; r < 2; r++) {
            gs_bjt_core c = core_default(1.0 / fs);
            gs_bjt_core_reset(&c);
            if (!r) c.lin_dv = 0.0;
            double *y = r ? y1 : y0;
            memcpy(y, x, n * sizeof(double));
            for (size_t i = 0; i < n; i += 4096)
                gs_bjt_core_run(&c, y + i, (uint32_t)(n - i < 4096 ? n - i : 4096));
            if (r) frac = (double)c.linear_steps / (double)n;
            if (!r) CHECK(c.linear_steps == 0, "linear steps with lin_dv 0");
        }
        double m = 0.0, e = 0.0, p = 0.0;
        for (size_t i = n / 2; i < n; i++) m += y0[i];
        m /= (double)(n - n / 2);
        for (size_t i = n / 2; i < n; i++) {
            e += (y1[i] - y0[i]) * (y1[i] - y0[i]);
            p += (y0[i] - m) * (y0[i] - m);
        }
        double db = 10.0 * log10(e / p + 1e-300);
        printf("linearised steps, %s: %.1f %% of the samples, difference %.1f dB re the output\n",
               kind == 0 ? "55 mV pluck + noise" : (kind == 1 ? "10 mV 1 kHz" : "100 mV 1 kHz"),
               100.0 * frac, db);
        CHECK(db < -120.0, "linearised steps differ by %.1f dB", db);
        CHECK(kind == 2 || frac > 0.9, "only %.1f %% linearised", 100.0 * frac);
    }
    free(x);
    free(y0);
    free(y1);
}

static gs_channel *stage(double rate) {
    gs_channel *ch = NULL;
    gs_status st = gs_channel_new("bjt-stage", rate, BLOCK, &ch);
    CHECK(st == GS_OK, "create bjt-stage at %g Hz: %s", rate, gs_strerror(st));
    return ch;
}

static void run(gs_channel *ch, float *buf, size_t n) {
    for (size_t i = 0; i < n; i += BLOCK) {
        uint32_t len = (uint32_t)(n - i < BLOCK ? n - i : BLOCK);
        gs_channel_process(ch, buf + i, buf + i, len);
    }
}

/* 1 kHz sines at 48 kHz: H2 dominant among the harmonics at moderate level; clipped 1 V shows
 * the two edges (cutoff on the positive output side, saturation on the negative). */
static void test_character(void) {
    const double rate = 48000.0;
    size_t n = (size_t)rate, pre = (size_t)rate;
    float *x = malloc((n + pre) * sizeof(float));
    const double amps[] = {0.01, 0.03, 0.1};
    double h2s[3] = {0, 0, 0};
    for (size_t a = 0; a < GS_ARRAY_LEN(amps); a++) {
        gs_channel *ch = stage(rate);
        if (!ch) continue;
        for (size_t i = 0; i < n + pre; i++)
            x[i] = (float)(amps[a] * sin(2.0 * GS_PI * 1000.0 * (double)i / rate));
        run(ch, x, n + pre);
        double p1 = tone_power(x + pre, n, 1000.0, rate), p2 = tone_power(x + pre, n, 2000.0, rate);
        double p3 = tone_power(x + pre, n, 3000.0, rate);
        double h2 = 10.0 * log10(p2 / p1), h3 = 10.0 * log10(p3 / p1);
        printf("%.0f mV 1 kHz: gain %.2f dB, H2 %.1f dB, H3 %.1f dB\n", amps[a] * 1e3,
               10.0 * log10(p1 / (0.5 * amps[a] * amps[a])), h2, h3);
        CHECK(h2 > h3, "%g V: H2 %.1f not above H3 %.1f", amps[a], h2, h3);
        h2s[a] = h2;
        gs_channel_free(ch);
    }
    /* H2 relative to the fundamental rises 1 dB per dB of input (second-order term) */
    double slope = (h2s[1] - h2s[0]) / (20.0 * log10(amps[1] / amps[0]));
    printf("H2 slope 10 -> 30 mV: %.3f dB/dB\n", slope);
    CHECK(fabs(slope - 1.0) < 0.1, "H2 slope %.3f dB/dB", slope);
    gs_channel *ch = stage(rate);
    if (ch) {
        for (size_t i = 0; i < n + pre; i++)
            x[i] = (float)(1.0 * sin(2.0 * GS_PI * 1000.0 * (double)i / rate));
        run(ch, x, n + pre);
        double mx = -1e9, mn = 1e9;
        for (size_t i = pre; i < n + pre; i++) {
            if (x[i] > mx) mx = x[i];
            if (x[i] < mn) mn = x[i];
        }
        printf("1 V 1 kHz: output peaks %+.3f V / %+.3f V (asymmetric clipping)\n", mx, mn);
        CHECK(fabs(mx + mn) > 1.0, "peaks %g / %g not asymmetric", mx, mn);
        gs_channel_stats st;
        gs_channel_stats_get(ch, &st);
        CHECK(st.solver_failures == 0, "%llu solver failures",
              (unsigned long long)st.solver_failures);
        gs_channel_free(ch);
    }
    free(x);
}

/* Aliasing of a 1 V peak 5 / 9 kHz sine at 48 kHz at the default quality (issue 19 target 2:
 * <= -90 / -80 dB, latency <= 16), and of the same tones at 44.1 and 96 kHz. With the solver at
 * 16x it was -81.4 / -75.6 dB at 48 kHz, the solver's own aliasing (bench_bjt_alias: the solver
 * alone on a directly sampled sine gives -84.1 / -75.7 dB at 16x, -103.1 / -90.0 at 32x); the
 * default now solves the samples it cannot linearise as two half steps (gs_bjt_core_run_sub2)
 * inside a low-delay pair with a deeper stop band (gs_lowdelay_low_alias_sub2): measured -93.6 /
 * -89.0 dB at 48 kHz, -93.9 / -86.4 at 44.1, -102.0 / -87.5 at 96. The 2 s of settling put
 * everything below 100 Hz at -155 dB (-37 dB after 0.25 s). */
static void test_alias_at(double rate, unsigned quality) {
    const double freqs[2] = {5000.0, 9000.0}, bound[2] = {-90.0, -80.0};
    for (int k = 0; k < 2; k++) {
        gs_channel *ch = stage(rate);
        if (!ch) continue;
        gs_channel_set_symbol(ch, "quality", quality);
        gs_channel_reset(ch);
        size_t pre = (size_t)(2.0 * rate), n = (size_t)rate;
        float *x = malloc((pre + n) * sizeof(float));
        for (size_t i = 0; i < pre + n; i++)
            x[i] = (float)sin(2.0 * GS_PI * freqs[k] * (double)i / rate);
        run(ch, x, pre + n);
        double a = alias_db(x + pre, n, freqs[k], rate, NULL, NULL);
        uint32_t lat = gs_channel_latency(ch);
        printf("1 V %.0f kHz at %g kHz, %s: aliasing %.1f dB (target %.0f), latency %u\n",
               freqs[k] / 1e3, rate / 1e3, quality == 2 ? "default quality" : "high", a, bound[k],
               lat);
        CHECK(a <= bound[k], "aliasing %.1f dB above the target %.1f", a, bound[k]);
        CHECK(quality != 2 || lat <= 16, "latency %u", lat);
        free(x);
        gs_channel_free(ch);
    }
}

static void test_alias(void) {
    const double rates[] = {44100.0, 48000.0, 96000.0};
    for (int r = 0; r < 3; r++) test_alias_at(rates[r], 2);
    /* high, which its description calls the least aliasing: -103.1 / -90.1 dB */
    test_alias_at(48000.0, 1);
}

/* +/-1000 V steps, a 1000 V sine and full-scale noise at every rate and quality: every output
 * finite and within twice the input's reach (a 1000 V step drives both junctions on, so the
 * collector follows the base), the iteration counted when it fails. */
static void test_robust(void) {
    const double rates[] = {44100.0, 48000.0, 96000.0, 192000.0};
    for (size_t r = 0; r < GS_ARRAY_LEN(rates); r++)
        for (unsigned q = 0; q < 3; q++) {
            gs_channel *ch = stage(rates[r]);
            if (!ch) continue;
            gs_channel_set_symbol(ch, "quality", q);
            gs_channel_reset(ch);
            size_t n = (size_t)(0.3 * rates[r]);
            float *x = malloc(n * sizeof(float));
            uint32_t s = 1;
            for (size_t i = 0; i < n; i++) {
                s = s * 1664525u + 1013904223u;
                double noise = (double)(s >> 8) / 8388608.0 - 1.0;
                x[i] = (float)(1000.0 * (i < n / 4   ? (i / 1000 % 2 ? 1.0 : -1.0)
                                         : i < n / 2 ? sin(0.01 * (double)i)
                                                     : noise));
            }
            run(ch, x, n);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += !isfinite(x[i]) || fabs(x[i]) > 2000.0;
            gs_channel_stats st;
            gs_channel_stats_get(ch, &st);
            printf("+/-1000 V at %.1f kHz, quality %u: %zu bad samples, %llu solver failures\n",
                   rates[r] / 1e3, q, bad, (unsigned long long)st.solver_failures);
            CHECK(bad == 0, "%zu bad samples", bad);
            free(x);
            gs_channel_free(ch);
        }
}

/* Every parameter at its minimum and at its maximum (the others at their defaults), at the
 * fast quality: a 1 V sine then +/-1000 V steps; every output finite and bounded. */
static void test_param_corners(void) {
    const gs_model_info *info = gs_model_find("bjt-stage");
    CHECK(info != NULL, "bjt-stage in the registry");
    if (!info) return;
    size_t worst = 0;
    unsigned long long fails = 0;
    for (size_t p = 0; p + 1 < info->n_params; p++)
        for (int end = 0; end < 2; end++) {
            gs_channel *ch = stage(48000.0);
            if (!ch) continue;
            gs_channel_set_symbol(ch, "quality", 0);
            gs_channel_set_symbol(ch, info->params[p].symbol,
                                  end ? info->params[p].max : info->params[p].min);
            gs_channel_reset(ch);
            size_t n = 9600;
            float *x = malloc(n * sizeof(float));
            for (size_t i = 0; i < n; i++)
                x[i] = (float)(i < n / 2 ? sin(0.13 * (double)i) : (i / 500 % 2 ? 1e3 : -1e3));
            run(ch, x, n);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += !isfinite(x[i]) || fabs(x[i]) > 2000.0;
            gs_channel_stats st;
            gs_channel_stats_get(ch, &st);
            fails += st.solver_failures;
            CHECK(bad == 0, "%s = %g: %zu bad samples", info->params[p].symbol,
                  end ? info->params[p].max : info->params[p].min, bad);
            if (bad > worst) worst = bad;
            free(x);
            gs_channel_free(ch);
        }
    printf("parameter corners: worst %zu bad samples, %llu solver failures in all\n", worst, fails);
}

/* The default quality hands the state between its whole-step and half-step cores sample by
 * sample (gs_bjt_core_run_sub2). A 1 kHz sine whose level swings from 10 mV to 2 V crosses
 * between the two regimes many times: at 768 kHz, blocks of 1, 7 and 300 give the same samples
 * as one call, and both paths are taken; through the channel (with a NaN and an Inf sample),
 * blocks of 1, 13 and 100 give what blocks of 256 give, all finite. */
static double swing(size_t i, double rate) {
    double t = (double)i / rate, env = 0.01 + 1.99 * (0.5 - 0.5 * cos(2.0 * GS_PI * 4.0 * t));
    return env * sin(2.0 * GS_PI * 1000.0 * t);
}

static void test_blocks_core(void) {
    enum { N = 76800 };
    static double ref[N], y[N];
    static gs_bjt_sub2 sub;
    const gs_bjt_values v = GS_BJT_DEFAULTS;
    const uint32_t lens[] = {N, 1, 7, 300};
    for (size_t l = 0; l < GS_ARRAY_LEN(lens); l++) {
        gs_bjt_core c;
        memset(&c, 0, sizeof c);
        memset(&sub, 0, sizeof sub);
        gs_bjt_sub2_design(&sub, &c, &v, 1.0 / 768000.0);
        gs_bjt_sub2_reset(&sub, &c);
        double *x = l ? y : ref;
        for (size_t i = 0; i < N; i++) x[i] = swing(i, 768000.0);
        for (size_t i = 0; i < N; i += lens[l])
            gs_bjt_core_run_sub2(&c, &sub, x + i, (uint32_t)(N - i < lens[l] ? N - i : lens[l]));
        if (!l) {
            printf("half steps: %llu linearised whole steps, %llu half-step iterations in %d "
                   "samples\n",
                   (unsigned long long)c.linear_steps, (unsigned long long)sub.s.iterations, N);
            CHECK(c.linear_steps > N / 10 && sub.s.iterations > N / 10, "both paths taken");
        } else {
            CHECK(!memcmp(y, ref, sizeof y), "core: blocks of %u differ from one call", lens[l]);
        }
    }
}

static void test_blocks(void) {
    test_blocks_core();
    const double rate = 48000.0;
    enum { N = 24000 };
    static float ref[N], y[N];
    const uint32_t lens[] = {BLOCK, 1, 13, 100};
    for (size_t l = 0; l < GS_ARRAY_LEN(lens); l++) {
        gs_channel *ch = stage(rate);
        if (!ch) return;
        float *x = l ? y : ref;
        for (size_t i = 0; i < N; i++) x[i] = (float)swing(i, rate);
        x[7000] = NAN;
        x[15000] = INFINITY;
        for (size_t i = 0; i < N; i += lens[l])
            gs_channel_process(ch, x + i, x + i, (uint32_t)(N - i < lens[l] ? N - i : lens[l]));
        gs_channel_free(ch);
        if (l) CHECK(!memcmp(y, ref, sizeof y), "channel: blocks of %u differ", lens[l]);
    }
    int finite = 1;
    for (size_t i = 0; i < N; i++) finite &= isfinite(ref[i]);
    CHECK(finite, "non-finite output");
}

int main(void) {
    test_blocks();
    test_dc();
    test_linearised();
    test_character();
    test_alias();
    test_robust();
    test_param_corners();
    return check_done();
}
