/* The tube stage: Koren's triode, the DC operating point, accuracy against ngspice (references in
 * tests/ref, listed in tests/ref/MANIFEST), aliasing, latency, the character the data sheets
 * describe, and robustness. Every measured number is printed. */
#include "check.h"
#include "sigutil.h"
#include "spiceref.h"
#include "internal.h"
#include "tube_stage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One counter of a channel's statistics. */
static gs_channel_stats stats_of(const gs_channel *ch) {
    gs_channel_stats st;
    gs_channel_stats_get(ch, &st);
    return st;
}

#ifndef GS_REF_DIR
#error "GS_REF_DIR must name tests/ref"
#endif

#define BLOCK 256u

static gs_channel *stage(double rate, unsigned quality) {
    gs_channel *ch = NULL;
    gs_status st = gs_channel_new("tube-stage", rate, BLOCK, &ch);
    CHECK(st == GS_OK, "create tube-stage at %g Hz: %s", rate, gs_strerror(st));
    if (ch) {
        gs_channel_set_symbol(ch, "quality", quality);
        gs_channel_reset(ch);
    }
    return ch;
}

static void run(gs_channel *ch, float *buf, size_t n) {
    for (size_t i = 0; i < n; i += BLOCK) {
        uint32_t len = (uint32_t)(n - i < BLOCK ? n - i : BLOCK);
        gs_channel_process(ch, buf + i, buf + i, len);
    }
}

/* ---- Koren's equation and its derivatives */
static void test_triode(void) {
    const gs_triode_params *t = gs_triode_get(GS_TUBE_12AX7);
    CHECK(gs_triode_find("ECC83") == t && gs_triode_find("12ax7") == t, "12AX7 = ECC83");
    CHECK(gs_triode_find("ECC81") == gs_triode_get(GS_TUBE_12AT7), "ECC81 alias");
    CHECK(gs_triode_find("ECC82") == gs_triode_get(GS_TUBE_12AU7), "ECC82 alias");
    CHECK(gs_triode_find("6L6") == NULL, "unknown tube");
    /* the equation written out independently, at a point in the data sheet's plate curves */
    double vg = -1.5, vp = 200.0, dg, dp;
    double e1 = vp / 600.0 * log(1.0 + exp(600.0 * (1.0 / 100.0 + vg / sqrt(300.0 + vp * vp))));
    double ref = 2.0 * pow(e1, 1.4) / 1060.0;
    double ip = gs_triode_ip(t, vg, vp, &dg, &dp);
    printf("12AX7 Ip(Vgk=-1.5 V, Vpk=200 V) = %.4f mA (data sheet curves: about 1 mA)\n", ip * 1e3);
    /* the solver's tables (triode.h) hold Ip to 1e-8 relative: 1e-9 of a -20 dB error budget */
    CHECK(fabs(ip - ref) < 1e-8 * ref + 1e-18, "Ip %g vs %g", ip, ref);
    CHECK(ip > 0.6e-3 && ip < 1.6e-3, "Ip %g A", ip);
    /* derivatives against central differences, over the working region */
    double worst = 0.0;
    for (double g = -6.0; g <= 1.0; g += 0.5)
        for (double p = 20.0; p <= 400.0; p += 40.0) {
            double a, b, x, y;
            double h = 1e-5;
            double fg =
                (gs_triode_ip(t, g + h, p, &x, &y) - gs_triode_ip(t, g - h, p, &x, &y)) / (2 * h);
            double fp =
                (gs_triode_ip(t, g, p + h, &x, &y) - gs_triode_ip(t, g, p - h, &x, &y)) / (2 * h);
            gs_triode_ip(t, g, p, &a, &b);
            double e = fmax(fabs(a - fg) / (fabs(fg) + 1e-9), fabs(b - fp) / (fabs(fp) + 1e-9));
            if (e > worst) worst = e;
        }
    printf("Koren derivatives vs central differences: worst relative error %.2e\n", worst);
    /* the tabulated form against the equation, for every tube, over the whole plane the tables
     * cover and beyond (Vpk 0.01 V .. 3 kV, Vgk -50 .. +50 V): value and both slopes, relative
     * to the value (and slope) scale of that plate voltage */
    for (int k = 0; k < GS_TUBE_COUNT; k++) {
        const gs_triode_params *tk = gs_triode_get((gs_tube_type)k);
        double wv = 0.0, wd = 0.0;
        for (double p = 0.01; p < 3000.0; p *= 1.0173)
            for (double g = -50.0; g <= 50.0; g += 0.0371) {
                double a, b, ra, rb;
                double v = gs_triode_ip(tk, g, p, &a, &b);
                double r = gs_triode_ip_direct(tk, g, p, &ra, &rb);
                double ev = fabs(v - r) / (r + 1e-24);
                double ed =
                    fmax(fabs(a - ra) / (fabs(ra) + 1e-20), fabs(b - rb) / (fabs(rb) + 1e-20));
                if (r > 1e-20 && ev > wv) wv = ev;
                if (r > 1e-20 && ed > wd) wd = ed;
            }
        printf("%s tables vs the equation: worst relative error %.2e (Ip), %.2e (slopes)\n",
               tk->name, wv, wd);
        CHECK(wv < 1e-8 && wd < 1e-6, "%s table error %g / %g", tk->name, wv, wd);
    }
    CHECK(worst < 1e-5, "derivative error %g", worst);
    /* numerics at the edges: no NaN, no Inf, no plate current without plate voltage */
    const double vs[] = {-1e4, -300.0, -1.0, -1e-300, 0.0, 1e-300, 1e-6, 1.0, 300.0, 1e4};
    int finite = 1;
    for (size_t i = 0; i < GS_ARRAY_LEN(vs); i++)
        for (size_t j = 0; j < GS_ARRAY_LEN(vs); j++) {
            double v = gs_triode_ip(t, vs[i], vs[j], &dg, &dp);
            if (!isfinite(v) || !isfinite(dg) || !isfinite(dp) || v < 0.0) finite = 0;
            if (vs[j] <= 0.0 && v != 0.0) finite = 0;
        }
    CHECK(finite, "Ip finite, >= 0, and 0 for Vpk <= 0 everywhere");
    double dd;
    CHECK(isfinite(gs_grid_current(t, 1e4, &dd)) && isfinite(dd), "grid current finite at 10 kV");
    /* The grid element solves Vgk = r I + Vt ln(1 + I / Is): residual and slope over -2 V .. 1 kV
     */
    double worst_v = 0.0, worst_d = 0.0;
    for (double g = -2.0; g < 1000.0; g = g < 2.0 ? g + 0.01 : g * 1.1) {
        double di, i = gs_grid_current(t, g, &di), d2;
        double back = t->r_grid * i + GS_GRID_VT * log1p(i / GS_GRID_IS);
        if (i > -GS_GRID_IS * 0.999999 && fabs(back - g) > worst_v) worst_v = fabs(back - g);
        double h = 1e-6 * (1.0 + fabs(g));
        double fd = (gs_grid_current(t, g + h, &d2) - gs_grid_current(t, g - h, &d2)) / (2 * h);
        if (fd > 1e-12 && fabs(di - fd) / fd > worst_d) worst_d = fabs(di - fd) / fd;
    }
    printf("grid element: worst |Vgk(I) - Vgk| %.2e V, slope vs central differences %.2e\n",
           worst_v, worst_d);
    CHECK(worst_v < 1e-9, "grid element residual %g V", worst_v);
    CHECK(worst_d < 1e-4, "grid element slope error %g", worst_d);
}

/* ---- DC operating point */
static void test_dc(void) {
    gs_tube_core c;
    memset(&c, 0, sizeof c);
    gs_tube_values v = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
    gs_tube_core_design(&c, &v, 1.0 / 96000.0);
    gs_status st = gs_tube_core_reset(&c, 250.0);
    double vp = gs_tube_core_vp(&c), vk = gs_tube_core_vk(&c);
    double dg, dp;
    double ip = gs_triode_ip(v.tube, c.sol.v[0], vp - vk, &dg, &dp);
    printf("DC operating point: Vp %.3f V, Vk %.4f V, Ip %.4f mA, Vgk %.4f V\n", vp, vk, ip * 1e3,
           c.sol.v[0]);
    CHECK(st == GS_OK, "DC solve: %s", gs_strerror(st));
    /* Kirchhoff at the plate and the cathode: (B+ - Vp)/rp = Ip,  Vk/rk = Ip + grid current */
    CHECK(fabs((250.0 - vp) / 100e3 - ip) < 1e-6 * ip, "plate KCL %g vs %g", (250.0 - vp) / 100e3,
          ip);
    CHECK(fabs(vk / 1.5e3 - ip - c.sol.i[1]) < 1e-6 * ip, "cathode KCL");
    CHECK(vp > 150.0 && vp < 190.0 && vk > 1.0 && vk < 1.5, "operating point plausible");
    /* no thump: silence in, silence out from the first sample */
    gs_channel *ch = stage(48000.0, 0);
    float buf[4800] = {0};
    run(ch, buf, 4800);
    double m = 0;
    for (int i = 0; i < 4800; i++) m = fmax(m, fabs(buf[i]));
    printf("start-up: largest output in the first 100 ms of silence %.2e V\n", m);
    CHECK(m < 1e-6, "start-up thump %g V", m);
    gs_channel_free(ch);
}

/* ---- ngspice references (the reader, the in-band low-pass and the ESR: spiceref.h) */
static int for_each_case(int band_limited, spiceref_fn fn, void *ctx) {
    return spiceref_for_each(GS_REF_DIR, "tube-stage", band_limited, fn, ctx);
}

static double esr_case(const char *name, char *const *kv, int nkv, unsigned q,
                       const spiceref_inband *f, uint32_t *lat) {
    return spiceref_esr(GS_REF_DIR, "tube-stage", name, kv, nkv, q, f, BLOCK, lat);
}

static void spice_case(char **tok, int nt, void *ctx) {
    double *worst = ctx, e[3];
    uint32_t lat[3];
    for (unsigned q = 0; q < 3; q++) {
        e[q] = esr_case(tok[0], tok + 5, nt - 5, q, NULL, &lat[q]);
        if (e[q] > worst[q]) worst[q] = e[q];
    }
    printf("  %-16s %6s Hz %-8s %4s V  ESR %.2e (lat %u)  %.2e (lat %u)  %.2e (lat %u)\n", tok[0],
           tok[2], tok[3], tok[4], e[0], lat[0], e[1], lat[1], e[2], lat[2]);
    CHECK(e[0] <= 1e-3, "%s fast ESR %g > 1e-3", tok[0], e[0]);
    CHECK(e[1] <= 1e-4, "%s high ESR %g > 1e-4", tok[0], e[1]);
    CHECK(e[2] <= 1e-4, "%s low-alias ESR %g > 1e-4", tok[0], e[2]);
}

static void test_spice(void) {
    double worst[3] = {0, 0, 0};
    printf("ESR against ngspice (latency-compensated; fast / high / low-alias quality):\n");
    int cases = for_each_case(0, spice_case, worst);
    printf("  %d cases; worst ESR %.2e (fast), %.2e (high), %.2e (low-alias)\n", cases, worst[0],
           worst[1], worst[2]);
    CHECK(cases >= 6, "only %d reference cases", cases);
}

/* In-band ESR (issue 15 target 3), against the band-limited references: both outputs through
 * the same 20 kHz low-pass. The limits: the targets where they hold with a margin;
 * measured worst cases in the comments. */
static const double inband_limit[3] = {1e-3, 1e-6, 1e-5}; /* fast, high, low-alias (default) */

static void inband_case(char **tok, int nt, void *ctx) {
    double *worst = ctx, e[3];
    uint32_t lat[3];
    spiceref_inband f;
    spiceref_inband_design(&f, atof(tok[2]));
    for (unsigned q = 0; q < 3; q++) {
        e[q] = esr_case(tok[0], tok + 5, nt - 5, q, &f, &lat[q]);
        if (e[q] > worst[q]) worst[q] = e[q];
        CHECK(e[q] <= inband_limit[q], "%s %s in-band ESR %.2e > %.0e", tok[0],
              gs_tube_quality_names[q], e[q], inband_limit[q]);
    }
    printf("  %-18s %6s Hz %-8s %4s V  in-band ESR %.2e  %.2e  %.2e\n", tok[0], tok[2], tok[3],
           tok[4], e[0], e[1], e[2]);
}

static void test_spice_inband(void) {
    double worst[3] = {0, 0, 0};
    printf("in-band ESR (20 kHz low-pass) against band-limited ngspice references, "
           "fast / high / low-alias:\n");
    int cases = for_each_case(1, inband_case, worst);
    printf("  %d cases; worst in-band ESR %.2e (fast), %.2e (high), %.2e (low-alias)\n", cases,
           worst[0], worst[1], worst[2]);
    CHECK(cases == 16, "%d band-limited cases, want the 16 tube cases", cases);
}

/* The solver itself, sampled the way ngspice samples: the high quality's up path and circuit at
 * 16 x 48 kHz, every 16th top-rate sample taken without the down filter. ngspice's reference is
 * the continuous output sampled at the sample instants, so it holds that output's own aliasing
 * (harmonics above 24 kHz folded back); the filtered high-quality output removes it, and that is
 * almost all of its ESR (8.3e-6 on the 4 V sine, measured). Taken raw, the two agree to the
 * solver's accuracy. */
static void test_spice_raw(void) {
    const char *names[2] = {"tube_sine4", "tube_sweep"};
    const double limit[2] = {1e-8, 2e-7}; /* measured 4.9e-10 and 3.4e-8 */
    for (int c = 0; c < 2; c++) {
        double rate;
        size_t n;
        float *st = spiceref_read(GS_REF_DIR, names[c], &rate, &n);
        CHECK(st != NULL, "reference %s missing", names[c]);
        if (!st) continue;
        gs_oversampler os;
        CHECK(gs_tube_os_init(&os, rate, 1, BLOCK) == GS_OK, "high oversampler");
        unsigned f = os.factor, dup = os.ndelay; /* the up path's delay, top-rate samples */
        for (unsigned k = 0; k < os.nstages; k++) dup += os.st[k].centre * (f >> (k + 1));
        gs_tube_core core;
        memset(&core, 0, sizeof core);
        gs_tube_values v = {
            100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
        gs_tube_core_design(&core, &v, 1.0 / (rate * f));
        gs_tube_core_reset(&core, 250.0);
        size_t pad = dup / f + 2, tot = n + pad;
        double *raw = calloc(tot * f, sizeof(double));
        float blk[BLOCK];
        for (size_t i = 0; i < tot; i += BLOCK) {
            uint32_t len = (uint32_t)(tot - i < BLOCK ? tot - i : BLOCK);
            for (uint32_t j = 0; j < len; j++) blk[j] = i + j < n ? st[2 * (i + j)] : 0.0f;
            double *hi = gs_os_up(&os, blk, len);
            gs_tube_core_run(&core, hi, len * f, 250.0);
            memcpy(raw + i * f, hi, (size_t)len * f * sizeof(double));
        }
        double e = 0.0, sref = 0.0;
        for (size_t j = 0; j < n; j++) {
            double r = st[2 * j + 1], d = raw[j * f + dup] - r;
            e += d * d;
            sref += r * r;
        }
        printf("solver at %ux, sampled like ngspice (no down filter), %s: ESR %.2e\n", f, names[c],
               e / sref);
        CHECK(e / sref <= limit[c], "%s raw ESR %g > %g", names[c], e / sref, limit[c]);
        free(raw);
        free(st);
        gs_os_free(&os);
    }
}

/* Drive a channel with a sine; returns the analysed last `n` samples in out. */
static void drive(gs_channel *ch, double f0, double amp, double rate, float *out, size_t pre,
                  size_t n) {
    float *x = malloc((pre + n) * sizeof(float));
    for (size_t i = 0; i < pre + n; i++)
        x[i] = (float)(amp * sin(2.0 * GS_PI * f0 * (double)i / rate));
    run(ch, x, pre + n);
    memcpy(out, x + pre, n * sizeof(float));
    free(x);
}

static void test_alias(void) {
    const double rate = 48000.0;
    const size_t n = 48000, pre = 24000;
    float *y = malloc(n * sizeof(float));
    /* measured values (fast: -42.6 / -33.3 dB; high: -121.3 / -98.1 dB; low-alias: -92.6 /
     * -97.2 dB); fast with a margin of a few dB for compilers; high and low-alias are held
     * to the targets (-90 / -80 dB), at 82 and 16 samples of latency, not the 8 asked
     * (see oversample.c). Before its last down stage stopped from 24 kHz, high measured -41.3 /
     * -71.6 dB: its half-bands let 24-28 kHz (the 5 kHz tone's 5th harmonic) fold to 20-24 kHz. */
    const double limit[3][2] = {{-40.0, -30.0}, {-90.0, -80.0}, {-90.0, -80.0}};
    for (unsigned q = 0; q < 3; q++) {
        const double f0s[2] = {5000.0, 9000.0};
        for (int k = 0; k < 2; k++) {
            gs_channel *ch = stage(rate, q);
            drive(ch, f0s[k], 4.0, rate, y, pre, n);
            double a = alias_db(y, n, f0s[k], rate, NULL, NULL);
            printf("aliasing, 4 V peak %g Hz, %s quality: %.1f dB re fundamental (latency %u)\n",
                   f0s[k], gs_tube_quality_names[q], a, gs_channel_latency(ch));
            CHECK(a <= limit[q][k], "alias %.1f dB", a);
            gs_channel_free(ch);
        }
    }
    /* Away from the two tones too: no lucky coincidence of harmonics with the internal
     * rate: neither 48 kHz nor 16 x 48 kHz is a multiple of these. */
    const double more[3] = {3100.0, 7000.0, 11000.0};
    for (unsigned q = 1; q < 3; q++)
        for (int k = 0; k < 3; k++) {
            gs_channel *ch = stage(rate, q);
            drive(ch, more[k], 4.0, rate, y, pre, n);
            double a = alias_db(y, n, more[k], rate, NULL, NULL);
            printf("aliasing, 4 V peak %g Hz, %s quality: %.1f dB re fundamental\n", more[k],
                   gs_tube_quality_names[q], a);
            CHECK(a <= -80.0, "alias %.1f dB at %g Hz", a, more[k]); /* low-alias: -85.3 at 3.1k */
            gs_channel_free(ch);
        }
    free(y);
    gs_channel *ch = stage(48000.0, 0);
    printf("fast-quality latency: %u samples at 48 kHz\n", gs_channel_latency(ch));
    CHECK(gs_channel_latency(ch) <= 8, "latency %u > 8", gs_channel_latency(ch));
    gs_channel_free(ch);
    /* the default (low-alias since issue 15; tests/test_tube_alias.c holds its aliasing) */
    ch = NULL;
    gs_channel_new("tube-stage", 48000.0, BLOCK, &ch);
    printf("default-quality latency: %u samples at 48 kHz\n", gs_channel_latency(ch));
    CHECK(ch && gs_channel_latency(ch) == 16, "default latency %u", gs_channel_latency(ch));
    gs_channel_free(ch);
}

/* ---- character */
static void test_character(void) {
    const double rate = 48000.0;
    const size_t n = 48000, pre = 24000;
    float *y = malloc(n * sizeof(float));
    double levels[4] = {0.05, 0.2, 1.0, 4.0}, thd[4], gain[4], h2[4], h3[4];
    for (int l = 0; l < 4; l++) {
        gs_channel *ch = stage(rate, 0);
        drive(ch, 1000.0, levels[l], rate, y, pre, n);
        double p1 = tone_power(y, n, 1000.0, rate), ph = 0.0;
        for (int k = 2; k <= 20; k++) ph += tone_power(y, n, 1000.0 * k, rate);
        alias_db(y, n, 1000.0, rate, &h2[l], &h3[l]);
        thd[l] = 10.0 * log10(ph / p1);
        gain[l] = 20.0 * log10(sqrt(p1) / (levels[l] / sqrt(2.0)));
        printf("1 kHz %.2f V peak: gain %.2f dB, THD %.1f dB, H2 %.1f dB, H3 %.1f dB\n", levels[l],
               gain[l], thd[l], h2[l], h3[l]);
        gs_channel_free(ch);
    }
    CHECK(h2[0] > h3[0] + 10.0 && h2[1] > h3[1] + 10.0, "2nd harmonic dominant at moderate level");
    CHECK(thd[0] < thd[1] && thd[1] < thd[2], "harmonics rise with level");
    CHECK(thd[1] - thd[0] > 6.0 && thd[1] - thd[0] < 20.0, "gradually: %.1f dB per 12 dB",
          thd[1] - thd[0]);
    CHECK(gain[3] < gain[0] - 3.0, "compression when driven: %.2f vs %.2f dB", gain[3], gain[0]);

    /* Miller low-pass: the grid stopper into Cgk + (1 + A) Cgp */
    double g1k = 0.0, g15k = 0.0;
    for (int k = 0; k < 2; k++) {
        double f = k ? 15000.0 : 1000.0;
        gs_channel *ch = stage(rate, 1);
        drive(ch, f, 0.02, rate, y, pre, n);
        double g = 10.0 * log10(tone_power(y, n, f, rate) / (0.02 * 0.02 / 2.0));
        if (k)
            g15k = g;
        else
            g1k = g;
        gs_channel_free(ch);
    }
    printf("Miller low-pass: small-signal gain %.2f dB at 1 kHz, %.2f dB at 15 kHz\n", g1k, g15k);
    CHECK(g1k - g15k > 2.0 && g1k - g15k < 10.0, "Miller roll-off %.2f dB", g1k - g15k);

    /* asymmetric clipping and bias shift, on the core */
    gs_tube_core c;
    memset(&c, 0, sizeof c);
    gs_tube_values v = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
    double fs = 96000.0;
    gs_tube_core_design(&c, &v, 1.0 / fs);
    gs_tube_core_reset(&c, 250.0);
    double vk0 = gs_tube_core_vk(&c), ymax = -1e9, ymin = 1e9, vk_sum = 0.0, vga_sum = 0.0;
    size_t m = (size_t)(0.3 * fs), cnt = 0;
    for (size_t i = 0; i < m; i++) {
        double o = gs_tube_core_tick(&c, 4.0 * sin(2.0 * GS_PI * 1000.0 * (double)i / fs), 250.0);
        if (i > m / 2) {
            ymax = fmax(ymax, o);
            ymin = fmin(ymin, o);
            vk_sum += gs_tube_core_vk(&c);
            double vc[GS_TUBE_NCAP];
            gs_tube_core_cap_voltages(&c, vc);
            vga_sum += -vc[0]; /* v(a) = vin - v(cin) averages to -v(cin) over whole periods */
            cnt++;
        }
    }
    double vk_mean = vk_sum / (double)cnt, va_mean = vga_sum / (double)cnt;
    printf("4 V drive: output peaks +%.1f / %.1f V; cathode %.3f V at rest, %.3f V mean driven; "
           "grid-leak node mean %.3f V (bias shift from grid current)\n",
           ymax, ymin, vk0, vk_mean, va_mean);
    CHECK(fabs(ymax + ymin) > 0.1 * (ymax - ymin), "asymmetric clipping");
    CHECK(fabs(vk_mean - vk0) > 0.05, "cathode bias shift %.3f V", vk_mean - vk0);
    CHECK(va_mean < -0.3, "grid charged negative by grid current: %.3f V", va_mean);

    /* blocking: a loud burst charges cin through the grid current; the small-signal gain right
     * after is lower and recovers with the rg cin (22 ms) and ck rk (33 ms) time constants */
    gs_tube_core_reset(&c, 250.0);
    size_t burst = (size_t)(0.1 * fs), probe = (size_t)(0.004 * fs);
    for (size_t i = 0; i < burst; i++)
        gs_tube_core_tick(&c, 20.0 * sin(2.0 * GS_PI * 200.0 * (double)i / fs), 250.0);
    double amp_after[3];
    const double waits[3] = {0.0, 0.05, 0.5};
    double waited = 0.0;
    float *pr = malloc(probe * sizeof(float));
    for (int k = 0; k < 3; k++) {
        size_t idle = (size_t)((waits[k] - waited) * fs);
        for (size_t i = 0; i < idle; i++) gs_tube_core_tick(&c, 0.0, 250.0);
        for (size_t i = 0; i < probe; i++)
            pr[i] = (float)gs_tube_core_tick(&c, 0.05 * sin(2.0 * GS_PI * 1000.0 * (double)i / fs),
                                             250.0);
        waited = waits[k] + (double)probe / fs;
        double ph;
        /* the fit's DC and ramp terms take out the recovering plate voltage */
        fit_sine(pr, probe, 2.0 * GS_PI * 1000.0 / fs, &amp_after[k], &ph, NULL);
    }
    free(pr);
    printf("blocking: 50 mV 1 kHz probe gives %.3f V right after a 20 V burst, %.3f V 50 ms later, "
           "%.3f V after 0.5 s\n",
           amp_after[0], amp_after[1], amp_after[2]);
    CHECK(amp_after[0] < 0.8 * amp_after[2], "blocked right after the burst");
    CHECK(amp_after[1] > amp_after[0], "recovering");
    free(y);
}

/* ---- robustness */
static uint32_t rng = 12345u;
static double urand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (double)(rng >> 8) / 16777216.0;
}

static void test_robust(void) {
    const double rates[4] = {44100.0, 96000.0, 176400.0, 192000.0};
    int bad = 0;
    uint64_t fails = 0;
    float buf[2048];
    for (int trial = 0; trial < 24; trial++) {
        double rate = rates[trial % 4];
        gs_channel *ch = stage(rate, (unsigned)(trial / 4) % 2);
        size_t np = gs_channel_param_count(ch);
        for (size_t p = 0; p < np; p++) {
            const gs_param_info *pi = gs_channel_param_info(ch, p);
            if (!strcmp(pi->symbol, "quality")) continue;
            double u = trial < 2 ? (double)trial : urand(); /* all minima, all maxima, random */
            double val = pi->curve == GS_CURVE_LOG ? pi->min * pow(pi->max / pi->min, u)
                                                   : pi->min + u * (pi->max - pi->min);
            if (pi->kind == GS_PARAM_CHOICE) val = floor(val + 0.5);
            gs_channel_set(ch, p, val);
        }
        gs_channel_reset(ch);
        for (int blk = 0; blk < 40; blk++) {
            for (int i = 0; i < 2048; i++) {
                double t = (double)(blk * 2048 + i) / rate;
                double x =
                    blk < 10
                        ? 1000.0 * (((int)(t * 50.0)) % 2 ? 1.0 : -1.0) /* 50 Hz square, 1 kV */
                    : blk < 20 ? 1000.0 * (2.0 * urand() - 1.0)         /* 1 kV noise */
                    : blk < 30 ? 10.0 * sin(2.0 * GS_PI * 15000.0 * t)
                               : 0.0;
                buf[i] = (float)x;
            }
            for (uint32_t i = 0; i < 2048u; i += BLOCK)
                gs_channel_process(ch, buf + i, buf + i, BLOCK);
            for (int i = 0; i < 2048; i++)
                if (!isfinite(buf[i]) || fabs(buf[i]) > 2000.0) bad++;
        }
        CHECK(stats_of(ch).recoveries == 0, "trial %d: state went non-finite", trial);
        fails += stats_of(ch).solver_failures;
        gs_channel_free(ch);
    }
    printf("robustness: 24 random circuits at 44.1-192 kHz, +/-1 kV square and noise: %d bad "
           "samples, %llu solver failures (reported, output kept finite)\n",
           bad, (unsigned long long)fails);
    CHECK(bad == 0, "%d non-finite or runaway samples", bad);
    /* 24 x 40 x 2048 base-rate samples: the bound may be hit at violent edges, but rarely */
    CHECK(fails < 24u * 40u * 2048u / 1000u, "solver failures %llu", (unsigned long long)fails);

    /* long silence: the cost per second must not grow (no subnormal slow-down) */
    gs_channel *ch = stage(48000.0, 0);
    float *z = calloc(48000, sizeof(float));
    double t[3] = {1.0, 1.0, 1.0};
    for (int s = 0; s < 60; s++) {
        memset(z, 0, 48000 * sizeof(float));
        clock_t c0 = clock();
        run(ch, z, 48000);
        double dt = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (s == 1) t[0] = dt;
        if (s == 59) t[1] = dt;
    }
    double mx = 0;
    for (int i = 0; i < 48000; i++) mx = fmax(mx, fabs(z[i]));
    t[2] = t[1] / t[0];
    printf("silence: 60 s, second 2 took %.3f s, second 60 %.3f s (ratio %.2f), output %.1e V\n",
           t[0], t[1], t[2], mx);
    CHECK(t[2] < 3.0, "slow-down over silence: ratio %.2f", t[2]);
    CHECK(mx < 1e-6, "silence gives silence: %g", mx);
    free(z);
    gs_channel_free(ch);
}

/* ---- Lambda, and component changes while the stage runs */
static void test_lambda(void) {
    gs_triode_get(GS_TUBE_12AX7); /* builds the tables */
    double we = 0.0, wd = 0.0;
    for (double x = -50.0; x <= 50.0; x += 0.00731) {
        double sp = x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)), ref = log(sp);
        double dref = (x > 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x))) / sp;
        double d, v = gs_lambda(x, &d);
        we = fmax(we, fabs(v - ref));
        wd = fmax(wd, fabs(d - dref) / dref);
    }
    printf("Lambda table: worst |error| %.2e, Lambda' relative error %.2e\n", we, wd);
    CHECK(we < 1e-13 && wd < 1e-10, "Lambda error %g, slope %g", we, wd);
}

static double run_core(gs_tube_core *c, double amp, double fs, size_t n, size_t redesign_every,
                       const gs_tube_values *v, double *y) {
    double last = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (redesign_every && i % redesign_every == 0) gs_tube_core_design(c, v, 1.0 / fs);
        last = gs_tube_core_tick(c, amp * sin(2.0 * GS_PI * 1000.0 * (double)i / fs), 250.0);
        if (y) y[i] = last;
    }
    return last;
}

static void test_redesign(void) {
    const double fs = 96000.0;
    const size_t n = 9600;
    gs_tube_values v = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
    gs_tube_core a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    gs_tube_core_design(&a, &v, 1.0 / fs);
    gs_tube_core_design(&b, &v, 1.0 / fs);
    gs_tube_core_reset(&a, 250.0);
    gs_tube_core_reset(&b, 250.0);
    double *ya = malloc(n * sizeof(double)), *yb = malloc(n * sizeof(double));
    /* the same values re-applied every 32 samples while driven (grid conducting): no change */
    run_core(&a, 2.0, fs, n, 0, &v, ya);
    run_core(&b, 2.0, fs, n, 32, &v, yb);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(ya[i] - yb[i]));
    printf("re-applying the same component values every 32 samples: output differs by %.2e V\n",
           worst);
    CHECK(worst < 1e-6, "redesign changed the output by %g V", worst);
    /* removing the cathode bypass while driven, then silence: the stage settles (the removed
     * capacitor's source must not survive as a current flipping sign every sample) */
    v.ck = 0.0;
    gs_tube_core_design(&a, &v, 1.0 / fs);
    run_core(&a, 0.0, fs, n, 0, &v, ya);
    double nyq = 0.0;
    for (size_t i = n / 2 + 2; i < n; i++)
        nyq = fmax(nyq, fabs(ya[i] - 2.0 * ya[i - 1] + ya[i - 2]));
    printf("ck -> 0 while driven, then 50 ms of silence: largest second difference of the output "
           "in its last 50 ms %.2e V\n",
           nyq);
    CHECK(nyq < 1e-4, "ck -> 0 left an oscillation of %g V", nyq);
    free(ya);
    free(yb);
}

int main(void) {
    test_lambda();
    test_redesign();
    test_triode();
    test_dc();
    test_spice();
    test_spice_inband();
    test_spice_raw();
    test_alias();
    test_character();
    test_robust();
    return check_done();
}
