/* The live engine with six channels of preset tube (which live_engine_run processes four at a
 * time as vector lanes, gs_stream_process_many) against six streams processed one by one as
 * `gainstage process` runs them: different gains and supplies per channel, a drive glide and a
 * quality switch sent as control commands mid-stream, periods of 64 frames and one longer than
 * the engine's chunk; every direct output sample must be equal bit for bit. */
#include "check.h"
#include "live.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define N 6
#define RATE 48000.0
#define MAXP 1500u

static float in[N][MAXP], out[N][MAXP], ref[N][MAXP], ml[MAXP], mr[MAXP];

static double in_vpu, out_vpu;

/* Control values of channel k (text as a surface sends them), applied to both sides. */
static void set_both(live_engine *e, gs_channel *c, int k, const char *sym, double v) {
    char text[32], err[256];
    snprintf(text, sizeof text, "%g", v);
    CHECK(live_ctl_param(e, k, sym, text, err, sizeof err) == 0, "live %s: %s", sym, err);
    CHECK(gs_channel_set_symbol(c, sym, v) == GS_OK, "reference %s", sym);
}

int main(void) {
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = N;
    for (int k = 0; k < N; k++) snprintf(cfg.preset[k], sizeof cfg.preset[k], "tube");
    cfg.in_vpu = in_vpu = gs_dbu_to_volts_per_unit(-20.0);
    cfg.out_vpu = out_vpu = gs_dbu_to_volts_per_unit(18.0);
    char err[512];
    live_engine *e = live_engine_new(&cfg, RATE, err, sizeof err);
    CHECK(e != NULL, "engine: %s", err);
    if (!e) return check_done();
    gs_channel *rc[N];
    gs_stream *rs[N];
    for (int k = 0; k < N; k++) {
        CHECK(gs_channel_new_preset(gs_preset_find("tube"), RATE, LIVE_CHUNK, &rc[k]) == GS_OK,
              "reference channel");
        CHECK(gs_stream_new(rc[k], 0, &rs[k]) == GS_OK, "reference stream");
        gs_stream_set_in_volts(rs[k], in_vpu, 0.0);
        gs_stream_set_out_volts(rs[k], out_vpu, 0.0);
        set_both(e, rc[k], k, "gain", -4.0 + 3.0 * k);
        set_both(e, rc[k], k, "supply", 260.0 + 20.0 * k);
    }
    /* both sides start at these values, at rest */
    live_engine_settle(e);
    for (int k = 0; k < N; k++) gs_channel_reset(rc[k]);
    uint64_t pos = 0;
    int diff = 0, periods = 0;
    double loud = 0.0;
    for (int p = 0; p < 400; p++) {
        uint32_t n = p == 150 ? MAXP : 64u;
        if (p == 100) set_both(e, rc[1], 1, "drive", -3.0);
        if (p == 200) set_both(e, rc[4], 4, "quality", 0.0);
        for (int k = 0; k < N; k++)
            for (uint32_t i = 0; i < n; i++) {
                double t = (double)(pos + i) / RATE;
                in[k][i] = (float)((0.1 + 0.1 * k) * exp(-3.0 * fmod(t, 0.5)) *
                                   sin(2 * M_PI * (110.0 + 30.0 * k) * t));
            }
        const float *ip[N];
        float *op[N];
        for (int k = 0; k < N; k++) {
            ip[k] = in[k];
            op[k] = out[k];
        }
        live_engine_run(e, ip, op, ml, mr, n, (uint32_t)pos);
        for (int k = 0; k < N; k++) {
            gs_stream_process(rs[k], in[k], ref[k], n);
            diff += memcmp(out[k], ref[k], n * sizeof(float)) != 0;
            for (uint32_t i = 0; i < n; i++) loud = fmax(loud, fabs((double)out[k][i]));
        }
        periods++;
        pos += n;
    }
    printf("%d periods of %d channels, peak output %.3f, %d channel periods differ\n", periods, N,
           loud, diff);
    CHECK(diff == 0, "%d channel periods differ from one by one", diff);
    CHECK(loud > 1e-3, "the channels play (peak %g)", loud);
    for (int k = 0; k < N; k++) {
        gs_stream_free(rs[k]);
        gs_channel_free(rc[k]);
    }
    live_engine_free(e);
    return check_done();
}
