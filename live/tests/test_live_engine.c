/* The 'gainstage live' engine without JACK: what the process callback computes.
 * - direct outputs equal a plain channel fed the same samples (bit for bit), for periods shorter
 *   and longer than the engine's 1024-sample chunk, and across a period-size change;
 * - a preset of another model swaps in a new instance (built off the process thread);
 * - a sample-rate change (live_ctl_rate) swaps in channels built off the "RT" thread; after it the
 *   output equals a fresh channel at the new rate, and the old channels are freed by collect;
 * - the monitor mix: constant-power pan law, mute, solo, level; commands take effect in order;
 * - the monitor master: the bus scaled by the set gain after a linear ramp over one period (to
 *   float precision), the monitor meters after it, off is silence, the direct outputs untouched
 *   (they stay bit for bit a plain channel with the master at +6 dB), bad values refused;
 * - bad control values are refused with a message.
 */
#include "check.h"
#include "live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 2

static float in[N][8192], out[N][8192], ml[8192], mr[8192];

static void run(live_engine *e, uint32_t n, double *phase, double freq, double rate) {
    for (uint32_t i = 0; i < n; i++) {
        in[0][i] = (float)(0.1 * sin(*phase));
        in[1][i] = (float)(0.05 * sin(1.7 * *phase));
        *phase += 2 * M_PI * freq / rate;
    }
    const float *ip[N] = {in[0], in[1]};
    float *op[N] = {out[0], out[1]};
    live_engine_run(e, ip, op, ml, mr, n, 0);
}

/* The same samples through a plain channel, with the live/process scaling. */
static double ref_diff(gs_channel *ref, int k, uint32_t n, double in_vpu, double out_vpu) {
    static float buf[8192];
    for (uint32_t i = 0; i < n; i++) buf[i] = (float)(in[k][i] * in_vpu);
    for (uint32_t off = 0; off < n; off += 1024)
        gs_channel_process(ref, buf + off, buf + off, n - off < 1024 ? n - off : 1024);
    double md = 0;
    for (uint32_t i = 0; i < n; i++) {
        double d = fabs((double)(float)(buf[i] * (1.0 / out_vpu)) - (double)out[k][i]);
        md = d > md ? d : md;
    }
    return md;
}

static double peak(const float *x, uint32_t from, uint32_t n) {
    double p = 0;
    for (uint32_t i = from; i < n; i++) p = fmax(p, fabs((double)x[i]));
    return p;
}

/* The monitor mix (pan law, mute, solo, level), the control side's refusals and a gain change
 * reaching the channel. */
static void mix_and_controls(live_engine *e, double *ph, double rate) {
    /* Monitor: centre pan, unity level: each side carries the channel sum at -3.01 dB. */
    run(e, 512, ph, 1000, rate);
    double pl = peak(ml, 0, 512), want = 0;
    for (uint32_t i = 0; i < 512; i++)
        want = fmax(want, fabs(((double)out[0][i] + (double)out[1][i]) * sqrt(0.5)));
    CHECK(fabs(pl - want) < 1e-6 * want, "centre pan: L peak %.6f, want %.6f", pl, want);
    char err[256];
    CHECK(live_ctl_pan(e, 0, -1.0, err, sizeof err) == 0, "pan accepted");
    CHECK(live_ctl_mute(e, 1, 1) == 0, "mute accepted");
    run(e, 512, ph, 1000, rate); /* the gains glide over this period */
    run(e, 512, ph, 1000, rate);
    double r = peak(mr, 0, 512), l = peak(ml, 0, 512), o0 = peak(out[0], 0, 512);
    printf("hard left, ch 2 muted: L %.6f (ch 1 %.6f), R %.3g\n", l, o0, r);
    CHECK(r == 0.0 && fabs(l - o0) < 1e-7, "hard left pan and mute: L = ch 1, R silent");
    CHECK(live_ctl_mute(e, 1, 0) == 0 && live_ctl_solo(e, 1, 1) == 0, "solo accepted");
    CHECK(live_ctl_level(e, 1, -6.0, err, sizeof err) == 0, "level accepted");
    run(e, 512, ph, 1000, rate);
    run(e, 512, ph, 1000, rate);
    l = peak(ml, 0, 512);
    double o1 = peak(out[1], 0, 512) * pow(10.0, -6.0 / 20.0) * sqrt(0.5);
    printf("ch 2 soloed at -6 dB, centre: L %.6f, want %.6f\n", l, o1);
    CHECK(fabs(l - o1) < 1e-6, "solo: only ch 2, at -6 dB and -3.01 dB pan law");

    /* Refusals. */
    CHECK(live_ctl_param_value(e, 0, "gain", 500.0, err, sizeof err) != 0, "gain 500 refused");
    CHECK(strstr(err, "gain must be") != NULL, "message: %s", err);
    CHECK(live_ctl_param(e, 5, "gain", "30", err, sizeof err) != 0, "channel 6 refused: %s", err);
    CHECK(live_ctl_preset(e, 0, "no-such-preset", err, sizeof err) != 0, "bad preset: %s", err);
    CHECK(live_ctl_pan(e, 0, 2.0, err, sizeof err) != 0, "pan 2 refused");

    /* A gain change reaches the channel: 40 dB instead of 30 raises the output by 10 dB once the
     * glide is over. */
    double before = peak(out[0], 0, 512);
    CHECK(live_ctl_param_value(e, 0, "gain", 40.0, err, sizeof err) == 0, "gain 40 accepted");
    for (int i = 0; i < 40; i++) run(e, 512, ph, 1000, rate); /* the glide is exponential */
    double after = peak(out[0], 0, 512);
    printf("gain 30 -> 40 dB: output %+.3f dB\n", 20 * log10(after / before));
    CHECK(fabs(20 * log10(after / before) - 10.0) < 0.05, "gain change is +10 dB");
}

/* The largest |mon[i] - bus[i] * g(i)| over a period, relative to the bus's peak, with the
 * master's gain g going linearly from g0 to g1 over the period (g(n-1) = g1). The bus is
 * channel 2 alone (soloed, centre pan, level `lvl` dB): out[1] * lvl * cos(pi/4) each side. */
static double master_err(const float *mon, uint32_t n, double lvl, double g0, double g1) {
    double c = pow(10.0, lvl / 20.0) * sqrt(0.5), md = 0, pk = 0;
    for (uint32_t i = 0; i < n; i++) {
        double g = g0 + (g1 - g0) * (double)(i + 1) / (double)n;
        double bus = (double)out[1][i] * c;
        md = fmax(md, fabs((double)mon[i] - bus * g));
        pk = fmax(pk, fabs(bus));
    }
    return pk > 0 ? md / pk : INFINITY;
}

/* After mix_and_controls: channel 2 soloed at -6 dB, centre. */
static void master_checks(live_engine *e, double *ph, double rate) {
    char err[256];
    const uint32_t n = 512;
    run(e, n, ph, 1000, rate);
    double e0 = fmax(master_err(ml, n, -6.0, 1, 1), master_err(mr, n, -6.0, 1, 1));
    CHECK(e0 < 1e-6, "master 0 dB: bus as the channels make it (rel. error %.3g)", e0);
    double g = pow(10.0, -9.0 / 20.0);
    CHECK(live_ctl_master(e, -9.0, err, sizeof err) == 0, "master -9 dB accepted: %s", err);
    CHECK(live_ctl_master_get(e) == -9.0, "master reads %g", live_ctl_master_get(e));
    run(e, n, ph, 1000, rate);
    double er = fmax(master_err(ml, n, -6.0, 1, g), master_err(mr, n, -6.0, 1, g));
    run(e, n, ph, 1000, rate);
    double es = fmax(master_err(ml, n, -6.0, g, g), master_err(mr, n, -6.0, g, g));
    printf("master 0 -> -9 dB: ramp over one period, rel. error %.3g; then steady %.3g\n", er, es);
    CHECK(er < 1e-6, "the master glides linearly over one period (rel. error %.3g)", er);
    CHECK(es < 1e-6, "then the bus is scaled by -9 dB to float precision (rel. error %.3g)", es);
    /* The monitor meters read after the master: a whole meter window at -9 dB. */
    for (int i = 0; i < 12; i++) run(e, n, ph, 1000, rate);
    float pl, pr;
    live_engine_monitor_peak(e, &pl, &pr);
    double want = peak(ml, 0, n);
    printf("monitor meter at master -9 dB: L %.6f, bus peak %.6f\n", (double)pl, want);
    CHECK(fabs((double)pl - want) < 0.01 * want && fabs((double)pr - want) < 0.01 * want,
          "monitor meter after the master: L %.6f R %.6f, want %.6f", (double)pl, (double)pr, want);
    /* Refusals leave it as it was; below the floor is off. */
    CHECK(live_ctl_master(e, 12.5, err, sizeof err) != 0 && strstr(err, "monitor master"),
          "+12.5 dB refused: %s", err);
    CHECK(live_ctl_master(e, (double)NAN, err, sizeof err) != 0, "NaN refused");
    CHECK(live_ctl_master(e, (double)-INFINITY, err, sizeof err) != 0, "-inf refused");
    CHECK(live_ctl_master_get(e) == -9.0, "refusals changed it: %g", live_ctl_master_get(e));
    CHECK(live_ctl_master(e, -200.0, err, sizeof err) == 0 &&
              live_ctl_master_get(e) == LIVE_MASTER_OFF,
          "-200 dB is off: %g", live_ctl_master_get(e));
    run(e, n, ph, 1000, rate);
    er = fmax(master_err(ml, n, -6.0, g, 0), master_err(mr, n, -6.0, g, 0));
    CHECK(er < 1e-6, "the fade to off glides (rel. error %.3g)", er);
    for (int i = 0; i < 12; i++) run(e, n, ph, 1000, rate);
    live_engine_monitor_peak(e, &pl, &pr);
    CHECK(peak(ml, 0, n) == 0.0 && peak(mr, 0, n) == 0.0 && pl == 0.0f && pr == 0.0f,
          "master off: monitor silent (peak %g), meters %g %g", peak(ml, 0, n), (double)pl,
          (double)pr);
    CHECK(peak(out[1], 0, n) > 0.01, "direct output goes on with the master off");
    CHECK(live_ctl_master(e, 12.0, err, sizeof err) == 0, "+12 dB accepted: %s", err);
    run(e, n, ph, 1000, rate);
    run(e, n, ph, 1000, rate);
    g = pow(10.0, 12.0 / 20.0);
    es = fmax(master_err(ml, n, -6.0, g, g), master_err(mr, n, -6.0, g, g));
    CHECK(es < 1e-6, "master +12 dB (rel. error %.3g)", es);
    CHECK(live_ctl_master(e, 0.0, err, sizeof err) == 0, "back to 0 dB");
    run(e, n, ph, 1000, rate);
}

int main(void) {
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = N;
    snprintf(cfg.preset[0], sizeof cfg.preset[0], "clean");
    snprintf(cfg.preset[1], sizeof cfg.preset[1], "clean");
    cfg.in_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    cfg.out_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    live_preset_dirs_add(&cfg.dirs, "/tmp"); /* the preset file below: a surface names files
                                              * in the preset folders only (issue 18) */
    double rate = 48000;
    live_engine *e = live_engine_new(&cfg, rate, NULL, 0);
    CHECK(e != NULL, "engine created");
    if (!e) return check_done();
    CHECK(live_ctl_master_get(e) == 0.0, "the master starts at 0 dB: %g", live_ctl_master_get(e));
    /* The master at +6 dB: the direct outputs below must not care. */
    CHECK(live_ctl_master(e, 6.0, NULL, 0) == 0, "master +6 dB accepted");
    live_engine_settle(e);
    gs_channel *ref[N];
    for (int k = 0; k < N; k++) {
        gs_channel_new_preset(gs_preset_find("clean"), rate, 1024, &ref[k]);
        gs_channel_reset(ref[k]);
    }
    double ph = 0, md = 0;
    uint32_t sizes[] = {64, 64, 3000, 128, 8192, 17, 256};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        run(e, sizes[s], &ph, 1000, rate);
        for (int k = 0; k < N; k++)
            md = fmax(md, ref_diff(ref[k], k, sizes[s], cfg.in_vpu, cfg.out_vpu));
    }
    printf("periods 64..8192 (chunked at 1024): max difference from a plain channel %.3g\n", md);
    CHECK(md == 0.0, "direct outputs equal a plain channel bit for bit (max diff %g)", md);
    /* ... while the monitor bus (both channels, centre) was at +6 dB. */
    double mw = 0;
    for (uint32_t i = 0; i < 256; i++)
        mw = fmax(mw, fabs(((double)out[0][i] + (double)out[1][i]) * sqrt(0.5) * pow(10, 0.3)));
    CHECK(fabs(peak(ml, 0, 256) - mw) < 1e-6 * mw, "master +6 dB: L peak %.6f, want %.6f",
          peak(ml, 0, 256), mw);
    CHECK(live_ctl_master(e, 0.0, NULL, 0) == 0, "master 0 dB accepted");
    run(e, 64, &ph, 1000, rate); /* the glide back to 0 dB */

    mix_and_controls(e, &ph, rate);
    master_checks(e, &ph, rate);
    char err[256];

    /* Sample-rate change: new channels at 96 kHz, built here, swapped in at the next period. */
    CHECK(live_ctl_rate(e, 96000.0, NULL, 0) == 0, "rate change accepted");
    CHECK(live_engine_rate(e) == 96000.0, "control side at 96 kHz");
    gs_channel *ref96 = NULL;
    gs_channel_new_preset(gs_preset_find("clean"), 96000.0, 1024, &ref96);
    gs_channel_set_symbol(ref96, "gain", 40.0);
    gs_channel_reset(ref96);
    rate = 96000;
    md = 0;
    for (int i = 0; i < 5; i++) {
        run(e, 256, &ph, 1000, rate);
        md = fmax(md, ref_diff(ref96, 0, 256, cfg.in_vpu, cfg.out_vpu));
    }
    live_engine_collect(e); /* frees the 48 kHz channels */
    printf("after the switch to 96 kHz: max difference from a fresh 96 kHz channel %.3g\n", md);
    CHECK(md == 0.0, "after the rate change the output is a fresh channel at 96 kHz with gain 40");
    CHECK(live_ctl_rate(e, 1000.0, NULL, 0) != 0, "1 kHz refused");

    /* A preset of another model (a file here): a new instance is built on this thread and
     * swapped in by the next period; from then on channel 2 is that model at its defaults. */
    char path[] = "/tmp/gs-live-test-XXXXXX";
    int fd = mkstemp(path);
    const char text[] = "model = opamp-stage\ndescription = bare stage\n";
    CHECK(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1), "preset file");
    close(fd);
    CHECK(live_ctl_preset(e, 1, path, err, sizeof err) != 0, "a path is refused");
    CHECK(live_ctl_preset(e, 1, path + 5, err, sizeof err) == 0, "preset of another model: %s",
          err);
    unlink(path);
    live_strip_ctl c;
    live_ctl_get(e, 1, &c);
    CHECK(!strcmp(c.model->name, "opamp-stage"), "control side now %s", c.model->name);
    gs_channel *refo = NULL;
    gs_channel_new("opamp-stage", 96000.0, 1024, &refo);
    gs_channel_reset(refo);
    md = 0;
    for (int i = 0; i < 4; i++) {
        run(e, 300, &ph, 1000, rate);
        md = fmax(md, ref_diff(refo, 1, 300, cfg.in_vpu, cfg.out_vpu));
    }
    live_engine_collect(e); /* frees the replaced clean channel */
    printf("after swapping in opamp-stage: max difference from a fresh one %.3g\n", md);
    CHECK(md == 0.0, "the swapped-in channel is a fresh opamp-stage, bit for bit");
    gs_channel_free(refo);

    for (int k = 0; k < N; k++) gs_channel_free(ref[k]);
    gs_channel_free(ref96);
    live_engine_free(e);
    return check_done();
}
