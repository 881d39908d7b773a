/* The model-level queries, the latency flag, the channel statistics and the version, through the
 * shared library and the public header only (as a user links it). */
#include "check.h"

#include <gainstage/gainstage.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double rates[] = {44100.0, 48000.0, 96000.0, 192000.0};

static void version(void) {
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", GS_VERSION_MAJOR, GS_VERSION_MINOR, GS_VERSION_MICRO);
    CHECK(!strcmp(gs_version(), GS_VERSION_STRING), "gs_version %s, header %s", gs_version(),
          GS_VERSION_STRING);
    CHECK(!strcmp(want, GS_VERSION_STRING), "%s against %s", want, GS_VERSION_STRING);
}

static void param_find_and_check(void) {
    for (size_t m = 0; m < gs_model_count(); m++) {
        const gs_model_info *mi = gs_model_at(m);
        for (size_t i = 0; i < mi->n_params; i++) {
            const gs_param_info *p = &mi->params[i];
            size_t id = 9999;
            CHECK(gs_model_param_find(mi, p->symbol, &id) == GS_OK && id == i, "%s.%s at %zu",
                  mi->name, p->symbol, id);
            CHECK(gs_param_check(p, p->def) == GS_OK, "%s.%s default", mi->name, p->symbol);
            CHECK(gs_param_check(p, p->min) == GS_OK, "%s.%s min", mi->name, p->symbol);
            CHECK(gs_param_check(p, p->max) == GS_OK, "%s.%s max", mi->name, p->symbol);
            double below = p->min - fmax(1.0, fabs(p->min)),
                   above = p->max + fmax(1.0, fabs(p->max));
            CHECK(gs_param_check(p, below) == GS_ERR_OUT_OF_RANGE, "%s.%s below", mi->name,
                  p->symbol);
            CHECK(gs_param_check(p, above) == GS_ERR_OUT_OF_RANGE, "%s.%s above", mi->name,
                  p->symbol);
            CHECK(gs_param_check(p, NAN) == GS_ERR_INVALID_ARGUMENT, "%s.%s NaN", mi->name,
                  p->symbol);
            if (p->kind != GS_PARAM_REAL)
                CHECK(gs_param_check(p, p->min + 0.5) == GS_ERR_OUT_OF_RANGE, "%s.%s fraction",
                      mi->name, p->symbol);
            /* The flag says which switches change the latency; latency_max steps them by 1. */
            if (p->flags & GS_PARAM_LATENCY)
                CHECK(p->kind != GS_PARAM_REAL, "%s.%s: a latency parameter must be a switch",
                      mi->name, p->symbol);
        }
        size_t id;
        CHECK(gs_model_param_find(mi, "no_such_parameter", &id) == GS_ERR_UNKNOWN_PARAMETER,
              "%s: unknown symbol", mi->name);
    }
    const gs_model_info *tube = gs_model_find("tube-preamp");
    size_t id;
    CHECK(tube && gs_model_param_find(tube, "quality", &id) == GS_OK &&
              (tube->params[id].flags & GS_PARAM_LATENCY),
          "tube-preamp quality carries GS_PARAM_LATENCY");
    CHECK(gs_model_param_find(NULL, "gain", &id) == GS_ERR_INVALID_ARGUMENT, "NULL model");
    CHECK(gs_model_param_find(tube, NULL, &id) == GS_ERR_INVALID_ARGUMENT, "NULL symbol");
    CHECK(gs_model_param_find(tube, "gain", NULL) == GS_ERR_INVALID_ARGUMENT, "NULL id");
    CHECK(gs_param_check(NULL, 0.0) == GS_ERR_INVALID_ARGUMENT, "NULL param");
}

/* Every switch of every model at each rate: the channel's latency after the switch, against
 * gs_model_latency for the same values; a switch without the flag must not change it. */
static void latency(void) {
    for (size_t m = 0; m < gs_model_count(); m++) {
        const gs_model_info *mi = gs_model_at(m);
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            gs_channel *ch = NULL;
            if (gs_channel_new(mi->name, rates[r], 256, &ch) != GS_OK) {
                CHECK(0, "%s at %g: cannot create", mi->name, rates[r]);
                continue;
            }
            double v[64];
            size_t n = mi->n_params < 64 ? mi->n_params : 64;
            for (size_t i = 0; i < n; i++) v[i] = mi->params[i].def;
            uint32_t base = gs_channel_latency(ch), lm = 9999, most = base;
            CHECK(gs_model_latency(mi, v, n, rates[r], &lm) == GS_OK && lm == base,
                  "%s at %g: model %u, channel %u", mi->name, rates[r], lm, base);
            CHECK(gs_model_latency(mi, NULL, 0, rates[r], &lm) == GS_OK && lm == base,
                  "%s at %g, defaults: model %u, channel %u", mi->name, rates[r], lm, base);
            for (size_t i = 0; i < n; i++) {
                const gs_param_info *p = &mi->params[i];
                if (p->kind == GS_PARAM_REAL) continue;
                for (double x = p->min; x <= p->max; x += 1.0) {
                    v[i] = x;
                    gs_channel_set(ch, i, x);
                    gs_channel_reset(ch);
                    uint32_t lc = gs_channel_latency(ch);
                    if (lc > most) most = lc;
                    CHECK(gs_model_latency(mi, v, n, rates[r], &lm) == GS_OK && lm == lc,
                          "%s.%s = %g at %g: model %u, channel %u", mi->name, p->symbol, x,
                          rates[r], lm, lc);
                    if (!(p->flags & GS_PARAM_LATENCY))
                        CHECK(lc == base,
                              "%s.%s = %g at %g changes the latency (%u, was %u) "
                              "without GS_PARAM_LATENCY",
                              mi->name, p->symbol, x, rates[r], lc, base);
                }
                v[i] = p->def;
                gs_channel_set(ch, i, p->def);
                gs_channel_reset(ch);
            }
            CHECK(gs_channel_latency_max(ch) == most, "%s at %g: latency_max %u, want %u", mi->name,
                  rates[r], gs_channel_latency_max(ch), most);
            CHECK(gs_channel_latency(ch) == base, "%s: latency_max left the latency at %u",
                  mi->name, gs_channel_latency(ch));
            gs_channel_free(ch);
        }
    }
    const gs_model_info *mi = gs_model_find("tube-stage");
    gs_model_info copy = *mi;
    uint32_t l;
    double bad[1] = {1e30};
    CHECK(gs_model_latency(mi, NULL, 0, 48000.0, NULL) == GS_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(gs_model_latency(NULL, NULL, 0, 48000.0, &l) == GS_ERR_INVALID_ARGUMENT, "NULL model");
    CHECK(gs_model_latency(&copy, NULL, 0, 48000.0, &l) == GS_ERR_UNKNOWN_MODEL, "foreign model");
    CHECK(gs_model_latency(mi, NULL, 0, 8000.0, &l) == GS_ERR_UNSUPPORTED_RATE, "rate");
    CHECK(gs_model_latency(mi, NULL, 1, 48000.0, &l) == GS_ERR_INVALID_ARGUMENT, "NULL values");
    CHECK(gs_model_latency(mi, bad, mi->n_params + 1, 48000.0, &l) == GS_ERR_INVALID_ARGUMENT,
          "too many values");
    CHECK(gs_model_latency(mi, bad, 1, 48000.0, &l) == GS_ERR_OUT_OF_RANGE, "out of range");
}

static void stats(void) {
    gs_channel_stats st;
    CHECK(gs_channel_stats_get(NULL, &st) == GS_ERR_INVALID_ARGUMENT, "NULL channel");
    gs_channel *ch = NULL;
    CHECK(gs_channel_new("digital-preamp", 48000.0, 64, &ch) == GS_OK, "create");
    CHECK(gs_channel_stats_get(ch, NULL) == GS_ERR_INVALID_ARGUMENT, "NULL stats");
    memset(&st, 0xff, sizeof st);
    CHECK(gs_channel_stats_get(ch, &st) == GS_OK && st.nonfinite_inputs == 0 &&
              st.recoveries == 0 && st.solver_failures == 0 && st.clipped_samples == 0 &&
              st.clipsafe_max_reduction_db == 0.0,
          "a new channel counts nothing");
    /* Blocks at twice full scale, one sample NaN: counted once, and the converter clips once
     * its filter's delay has passed. */
    float buf[64];
    double vfs = gs_dbu_to_volts_per_unit(18.0); /* the converter's default full scale */
    for (int b = 0; b < 16; b++) {
        for (int i = 0; i < 64; i++) buf[i] = (float)(2.0 * vfs);
        if (b == 0) buf[10] = NAN;
        gs_channel_process(ch, buf, buf, 64);
    }
    gs_channel_stats_get(ch, &st);
    CHECK(st.nonfinite_inputs == 1, "non-finite %llu", (unsigned long long)st.nonfinite_inputs);
    CHECK(st.clipped_samples > 0, "clipped %llu", (unsigned long long)st.clipped_samples);
    gs_channel_free(ch);
}

int main(void) {
    version();
    param_find_and_check();
    latency();
    stats();
    return check_done();
}
