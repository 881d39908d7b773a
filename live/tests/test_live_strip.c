/* Live channels that are strips (issue 14, item 5), through the engine without JACK:
 * - a strip preset and a chain text run in the engine bit for bit as the library's stream runs
 *   the same strip (the path 'gainstage process --preset/--chain' takes);
 * - the process thread neither allocates nor locks while it runs strips, applies block
 *   parameter changes and swaps a strip for a single model and back (tests/rtcount.h);
 * - block parameters by block.symbol and bare symbol, over OSC too; an ambiguous symbol is
 *   refused naming the candidates, a typo gets a suggestion;
 * - the latency the engine reports (and JACK is told) is the strip's, also after a change of a
 *   block's latency parameter (the tube's quality);
 * - a session with strips written and read back gives the same presets and values exactly.
 */
#include "check.h"
#include "live.h"
#include "oscmsg.h"
#include "rtcount.h"
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 2
#define LEN 700 /* not a multiple of anything the engine or the blocks use */
#define CHAIN "tube:tube-preamp drive=-3dB | t1:tube-stage | t2:tube-stage | converter bits=24"

static float in[N][LEN], out[N][LEN], ml[LEN], mr[LEN];

static void period(live_engine *e, uint32_t n, double *ph) {
    for (uint32_t i = 0; i < n; i++) {
        in[0][i] = (float)(0.2 * sin(*ph));
        in[1][i] = (float)(0.1 * sin(0.37 * *ph));
        *ph += 2 * M_PI * 440.0 / 48000.0;
    }
    const float *ip[N] = {in[0], in[1]};
    float *op[N] = {out[0], out[1]};
    live_engine_run(e, ip, op, ml, mr, n, 0);
}

/* The reference: the same strip in a gs_stream with the engine's calibration. */
static gs_stream *ref_stream(const char *name, double vpu) {
    char err[256];
    gs_preset *p = live_preset_load(name, err, sizeof err);
    gs_channel *ch = NULL;
    gs_stream *s = NULL;
    CHECK(p && gs_channel_new_preset(p, 48000.0, LIVE_CHUNK, &ch) == GS_OK, "ref %s: %s", name,
          err);
    gs_preset_free(p);
    CHECK(gs_stream_new(ch, 0, &s) == GS_OK, "ref stream");
    gs_stream_set_in_volts(s, vpu, 0.0);
    gs_stream_set_out_volts(s, vpu, 0.0);
    return s;
}

static int same_as_ref(gs_stream *ref, int k, uint32_t n) {
    static float y[LEN];
    gs_stream_process(ref, in[k], y, n);
    return !memcmp(y, out[k], n * sizeof *y);
}

static void free_ref(gs_stream *s) {
    gs_channel *ch = gs_stream_channel(s);
    gs_stream_free(s);
    gs_channel_free(ch);
}

/* Bit-exact against the reference, and no allocation or lock in the process thread while block
 * parameters change and a strip is swapped for a single model. */
static void run_and_rt(live_engine *e, double vpu) {
    gs_stream *r0 = ref_stream("ribbon-tube", vpu), *r1 = ref_stream(CHAIN, vpu);
    double ph = 0;
    for (int i = 0; i < 20; i++) {
        period(e, LEN - (uint32_t)i * 13, &ph);
        CHECK(same_as_ref(r0, 0, LEN - (uint32_t)i * 13), "strip preset != process, period %d", i);
        CHECK(same_as_ref(r1, 1, LEN - (uint32_t)i * 13), "chain != process, period %d", i);
    }
    free_ref(r0);
    free_ref(r1);
    char err[256] = "";
    CHECK(live_ctl_param(e, 1, "tube.drive", "-6dB", err, sizeof err) == 0, "%s", err);
    CHECK(live_ctl_param(e, 1, "t2.rp", "150k", err, sizeof err) == 0, "%s", err);
    CHECK(live_ctl_preset(e, 0, "tube", err, sizeof err) == 0, "%s", err);
    int counted = rt_count_install();
    CHECK(counted, "allocations are not counted here");
    rt_allocs = rt_locks = 0;
    rt_armed = 1;
    for (int i = 0; i < 20; i++) period(e, 64, &ph);
    rt_armed = 0;
    CHECK(rt_allocs == 0 && rt_locks == 0, "process thread: %ld allocations, %ld locks", rt_allocs,
          rt_locks);
    live_engine_collect(e);
    CHECK(live_ctl_preset(e, 0, "ribbon-tube", err, sizeof err) == 0, "%s", err);
    rt_armed = 1;
    for (int i = 0; i < 20; i++) period(e, 64, &ph);
    rt_armed = 0;
    CHECK(rt_allocs == 0 && rt_locks == 0, "back to a strip: %ld allocations, %ld locks", rt_allocs,
          rt_locks);
    live_engine_collect(e);
}

static double ctl_value(live_engine *e, int k, const char *sym) {
    live_strip_ctl c;
    size_t id;
    live_ctl_get(e, k, &c);
    return gs_model_param_find(c.model, sym, &id) == GS_OK ? c.param[id] : NAN;
}

/* Names: qualified, bare, ambiguous, typo; OSC's /param. */
static void names(live_engine *e) {
    char err[512] = "";
    CHECK(live_ctl_param(e, 1, "bits", "16", err, sizeof err) == 0, "bare bits: %s", err);
    live_strip_ctl c;
    size_t id;
    double want = -1;
    live_ctl_get(e, 1, &c);
    CHECK(gs_model_param_find(c.model, "converter.bits", &id) == GS_OK &&
              gs_param_parse(&c.model->params[id], "16", &want) == GS_OK &&
              ctl_value(e, 1, "converter.bits") == want,
          "bits %g", ctl_value(e, 1, "converter.bits"));
    CHECK(live_ctl_param(e, 1, "rp", "100k", err, sizeof err) == -1 &&
              strstr(err, "rp is in t1 and t2: write t1.rp"),
          "ambiguous: %s", err);
    CHECK(live_ctl_param(e, 1, "tube.drvie", "1", err, sizeof err) == -1 &&
              strstr(err, "did you mean 'tube.drive'"),
          "typo: %s", err);
    CHECK(live_ctl_param_value(e, 1, "t9.rp", 1e5, err, sizeof err) == -1 && strstr(err, "t9.rp"),
          "unknown block: %s", err);
    CHECK(live_ctl_param(e, 1, "tube.drive", "99", err, sizeof err) == -1, "range refused");
    static live_osc_reply r;
    live_osc_arg a[2] = {{'s', 0, 0, "tube.drive"}, {'f', 0, -4.5, NULL}};
    CHECK(live_osc_dispatch(e, NULL, NULL, "/gainstage/ch/2/param", a, 2, &r) == 0, "osc: %s",
          r.n > 1 ? r.arg[1].s : "?");
    CHECK(ctl_value(e, 1, "tube.drive") == -4.5, "osc drive %g", ctl_value(e, 1, "tube.drive"));
    a[0].s = "rp";
    CHECK(live_osc_dispatch(e, NULL, NULL, "/gainstage/ch/2/param", a, 2, &r) == 1 &&
              !strcmp(r.path, "/gainstage/error") && strstr(r.arg[1].s, "write t1.rp"),
          "osc ambiguous");
    live_osc_arg p = {'s', 0, 0, "interface-clean"};
    CHECK(live_osc_dispatch(e, NULL, NULL, "/gainstage/ch/1/preset", &p, 1, &r) == 0, "osc preset");
    live_ctl_get(e, 0, &c);
    CHECK(!strcmp(c.preset, "interface-clean") && gs_model_find(c.model->name) == NULL,
          "preset %s, model %s", c.preset, c.model->name);
    /* /get answers the strip's one gain (ss-preamp.gain). */
    CHECK(live_osc_dispatch(e, NULL, NULL, "/gainstage/ch/1/get", NULL, 0, &r) == 0 &&
              r.arg[1].f == (float)ctl_value(e, 0, "ss-preamp.gain"),
          "get gain");
}

/* The engine's latency is the strip's, and follows a block's quality. */
static void latency(live_engine *e) {
    char err[256] = "";
    CHECK(live_ctl_param(e, 1, "tube.quality", "0", err, sizeof err) == 0, "%s", err);
    live_strip_ctl c;
    live_ctl_get(e, 1, &c);
    gs_channel *ch = NULL;
    CHECK(gs_channel_new_chain(c.model->name, 48000.0, 64, &ch, err, sizeof err) == GS_OK, "%s",
          err);
    for (size_t i = 0; i < c.model->n_params; i++) gs_channel_set(ch, i, c.param[i]);
    gs_channel_reset(ch); /* a quality change redesigns the stage, and its latency, at reset */
    CHECK(c.latency == gs_channel_latency(ch), "latency %u, strip's %u", c.latency,
          gs_channel_latency(ch));
    gs_channel_free(ch);
}

/* Write a session, read it into a fresh engine: the same presets and values exactly. */
static void session(live_engine *e, const live_config *cfg) {
    char path[] = "/tmp/gs_live_strip_XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    close(fd);
    CHECK(live_session_write(path, e, 0.0, 0.0, LIVE_FMT_WAV_F32, err, sizeof err) == 0, "%s", err);
    live_session *s = NULL;
    CHECK(live_session_read(path, &s, err, sizeof err) == 0 && s, "read: %s", err);
    live_setup st = {0};
    live_setup_fixed fixed = {0};
    live_session_setup(s, &st, &fixed);
    live_config c2 = *cfg;
    for (int k = 0; k < N; k++) {
        CHECK(st.preset[k] != NULL, "ch %d preset missing", k + 1);
        snprintf(c2.preset[k], sizeof c2.preset[k], "%s", st.preset[k] ? st.preset[k] : "");
        c2.named[k] = 1;
    }
    live_engine *e2 = live_engine_new(&c2, 48000.0, err, sizeof err);
    CHECK(e2 != NULL, "session engine: %s", err);
    int keep[N] = {1, 1};
    if (e2) live_session_apply(s, e2, keep, NULL, NULL);
    for (int k = 0; e2 && k < N; k++) {
        live_strip_ctl a, b;
        live_ctl_get(e, k, &a);
        live_ctl_get(e2, k, &b);
        CHECK(!strcmp(a.preset, b.preset) && !strcmp(a.model->name, b.model->name) &&
                  a.model->n_params == b.model->n_params,
              "ch %d: %s / %s", k + 1, a.preset, b.preset);
        CHECK(!memcmp(a.param, b.param, a.model->n_params * sizeof a.param[0]),
              "ch %d values differ", k + 1);
        CHECK(a.latency == b.latency, "ch %d latency %u %u", k + 1, a.latency, b.latency);
    }
    live_engine_free(e2);
    live_session_free(s);
    unlink(path);
}

int main(void) {
    live_config cfg = {0};
    cfg.n = N;
    cfg.in_vpu = cfg.out_vpu = 1.2;
    snprintf(cfg.preset[0], sizeof cfg.preset[0], "ribbon-tube");
    snprintf(cfg.preset[1], sizeof cfg.preset[1], "%s", CHAIN);
    char err[512] = "";
    live_engine *e = live_engine_new(&cfg, 48000.0, err, sizeof err);
    CHECK(e != NULL, "engine: %s", err);
    if (!e) return check_done();
    live_engine_settle(e);
    run_and_rt(e, cfg.in_vpu);
    names(e);
    latency(e);
    session(e, &cfg);
    /* A bad chain is refused with the library's line. */
    snprintf(cfg.preset[1], sizeof cfg.preset[1], "source | nosuch-block");
    CHECK(live_engine_new(&cfg, 48000.0, err, sizeof err) == NULL && strstr(err, "nosuch-block"),
          "bad chain: %s", err);
    live_engine_free(e);
    return check_done();
}
