/* The channel API's promises: argument checking, ranges, glides without clicks, NaN/Inf safety,
 * no subnormals, determinism, block-size independence, reported latency, finite output for every
 * parameter extreme of every model. */
#include "check.h"
#include "sigutil.h"

#include <gainstage/gainstage.h>
#include <math.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

/* One counter of a channel's statistics. */
static gs_channel_stats stats_of(const gs_channel *ch) {
    gs_channel_stats st;
    gs_channel_stats_get(ch, &st);
    return st;
}

#define RATE 48000.0

static void run(gs_channel *ch, float *buf, size_t n, uint32_t blk) {
    for (size_t i = 0; i < n; i += blk) {
        uint32_t len = (uint32_t)(n - i < blk ? n - i : blk);
        gs_channel_process(ch, buf + i, buf + i, len);
    }
}

static void api_errors(void) {
    gs_channel *ch = (gs_channel *)0x1;
    CHECK(gs_channel_new("nope", RATE, 64, &ch) == GS_ERR_UNKNOWN_MODEL && ch == NULL, "model");
    CHECK(gs_channel_new("ss-preamp", 44099.0, 64, &ch) == GS_ERR_UNSUPPORTED_RATE, "rate low");
    CHECK(gs_channel_new("ss-preamp", 192001.0, 64, &ch) == GS_ERR_UNSUPPORTED_RATE, "rate hi");
    CHECK(gs_channel_new("ss-preamp", NAN, 64, &ch) == GS_ERR_UNSUPPORTED_RATE, "rate nan");
    CHECK(gs_channel_new("ss-preamp", RATE, 0, &ch) == GS_ERR_BLOCK_SIZE, "block 0");
    CHECK(gs_channel_new("ss-preamp", RATE, GS_MAX_BLOCK_LIMIT + 1, &ch) == GS_ERR_BLOCK_SIZE,
          "block big");
    CHECK(gs_channel_new(NULL, RATE, 64, &ch) == GS_ERR_INVALID_ARGUMENT, "NULL model");
    CHECK(gs_channel_new("ss-preamp", RATE, 64, NULL) == GS_ERR_INVALID_ARGUMENT, "NULL out");
    gs_channel_free(NULL);
    gs_preset_free(NULL);
    CHECK(strlen(gs_strerror(GS_ERR_OUT_OF_RANGE)) > 0, "strerror");
    CHECK(strlen(gs_strerror((gs_status)999)) > 0, "strerror unknown");

    CHECK(gs_channel_new("ss-preamp", RATE, 64, &ch) == GS_OK, "create");
    size_t id;
    CHECK(gs_channel_param_find(ch, "nope", &id) == GS_ERR_UNKNOWN_PARAMETER, "find");
    CHECK(gs_channel_param_find(ch, "gain", &id) == GS_OK, "find gain");
    double before = gs_channel_get(ch, id);
    CHECK(gs_channel_set(ch, id, 71.0) == GS_ERR_OUT_OF_RANGE, "range hi");
    CHECK(gs_channel_set(ch, id, -0.1) == GS_ERR_OUT_OF_RANGE, "range lo");
    CHECK(gs_channel_set(ch, id, NAN) == GS_ERR_INVALID_ARGUMENT, "nan");
    CHECK(gs_channel_get(ch, id) == before, "value unchanged after errors");
    CHECK(gs_channel_set(ch, 999, 1.0) == GS_ERR_UNKNOWN_PARAMETER, "bad id");
    CHECK(gs_channel_set_symbol(ch, "pad", 0.5) == GS_ERR_OUT_OF_RANGE, "toggle 0.5");
    CHECK(gs_channel_set_text(ch, "gain", "40dB") == GS_OK && gs_channel_get(ch, id) == 40.0,
          "set text");
    CHECK(gs_channel_set_text(ch, "gain", "forty") == GS_ERR_PARSE, "set text bad");
    /* Values by name (gs_param_parse): the switch hpf by its slope too, no on/off for reals. */
    size_t hpf;
    gs_channel_param_find(ch, "hpf", &hpf);
    CHECK(gs_channel_set_text(ch, "hpf", "12dB/oct") == GS_OK && gs_channel_get(ch, hpf) == 1.0,
          "ss-preamp hpf=12dB/oct");
    CHECK(gs_channel_set_text(ch, "hpf", "off") == GS_OK && gs_channel_get(ch, hpf) == 0.0,
          "ss-preamp hpf=off");
    CHECK(gs_channel_set_text(ch, "hpf", "6") == GS_ERR_PARSE && gs_channel_get(ch, hpf) == 0.0,
          "ss-preamp has no 6 dB/oct");
    CHECK(gs_channel_set_text(ch, "gain", "on") == GS_ERR_PARSE, "gain=on");
    float buf[128] = {0};
    CHECK(gs_channel_process(ch, buf, buf, 65) == GS_ERR_BLOCK_SIZE, "n > max");
    CHECK(gs_channel_process(ch, NULL, buf, 8) == GS_ERR_INVALID_ARGUMENT, "NULL in");
    CHECK(gs_channel_process(ch, buf, buf, 0) == GS_OK, "n = 0");
    CHECK(gs_channel_param_info(ch, 999) == NULL, "info out of range");
    gs_channel_free(ch);

    /* Model names as users type them; choices by name or front-panel number, not by on/off. */
    CHECK(gs_channel_new("FrontEnd", RATE, 64, &ch) == GS_OK, "model name in another case");
    CHECK(!strcmp(gs_channel_model(ch)->name, "frontend"), "model's own name");
    gs_channel_param_find(ch, "hpf", &hpf);
    CHECK(gs_channel_set_text(ch, "hpf", "12") == GS_OK && gs_channel_get(ch, hpf) == 2.0,
          "frontend hpf=12 is 12 dB/oct");
    CHECK(gs_channel_set_text(ch, "hpf", "on") == GS_ERR_PARSE && gs_channel_get(ch, hpf) == 2.0,
          "frontend hpf=on refused");
    CHECK(gs_channel_set_text(ch, "source", "yes") == GS_ERR_PARSE, "source=yes refused");
    CHECK(gs_channel_set_text(ch, "source", "CONDENSER") == GS_OK, "source=CONDENSER");
    gs_channel_free(ch);
}

/* NaN and Inf inputs are silence: the output equals that of zeros in their place, and the
 * channel goes on working. */
static void nonfinite_input(void) {
    size_t n = 4800;
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) a[i] = b[i] = (float)(0.01 * sin(0.05 * (double)i));
    a[100] = NAN;
    a[101] = INFINITY;
    a[2000] = -INFINITY;
    b[100] = b[101] = b[2000] = 0.0f;
    gs_channel *x, *y;
    gs_channel_new("ss-preamp", RATE, 256, &x);
    gs_channel_new("ss-preamp", RATE, 256, &y);
    run(x, a, n, 256);
    run(y, b, n, 256);
    int same = 1, finite = 1;
    for (size_t i = 0; i < n; i++) {
        same &= a[i] == b[i];
        finite &= isfinite(a[i]);
    }
    CHECK(finite, "non-finite output after NaN input");
    CHECK(same, "NaN/Inf not treated as silence");
    CHECK(stats_of(x).nonfinite_inputs == 3, "counted %llu",
          (unsigned long long)stats_of(x).nonfinite_inputs);
    /* The largest float in: finite out, and it recovers to normal afterwards. */
    for (size_t i = 0; i < n; i++) a[i] = (i % 2 ? FLT_MAX : -FLT_MAX);
    run(x, a, n, 256);
    finite = 1;
    for (size_t i = 0; i < n; i++) finite &= isfinite(a[i]);
    CHECK(finite, "FLT_MAX input gave non-finite output");
    gs_channel_free(x);
    gs_channel_free(y);
    free(a);
    free(b);
}

/* A gain jump glides: no output step larger than the steady signal's own largest step at the
 * final gain, and it arrives within 100 ms. */
static void glide_without_clicks(const char *model, const char *sym, double from, double to,
                                 double amp) {
    size_t n = (size_t)(0.5 * RATE);
    float *buf = malloc(n * sizeof(float));
    double w = 2 * M_PI * 100.0 / RATE;
    for (size_t i = 0; i < n; i++) buf[i] = (float)(amp * sin(w * (double)i));
    gs_channel *ch;
    gs_channel_new(model, RATE, 256, &ch);
    gs_channel_set_symbol(ch, sym, from);
    gs_channel_reset(ch);
    size_t jump = (size_t)(0.1 * RATE);
    run(ch, buf, jump, 256);
    gs_channel_set_symbol(ch, sym, to);
    run(ch, buf + jump, n - jump, 256);
    /* No click: while gliding, no sample-to-sample step exceeds 1.5 times the larger of the
     * steady steps before and after. A 10 ms glide over 60 dB changes the gain about as fast as a
     * 100 Hz sine changes, so the two slopes may add (up to sqrt 2); a click or a zipper staircase
     * (the gain stepping every control block) gives steps many times larger. */
    double step_glide = 0, step_before = 0, step_final = 0;
    for (size_t i = jump - 4799; i < jump; i++)
        step_before = fmax(step_before, fabs((double)buf[i] - buf[i - 1]));
    for (size_t i = jump; i < jump + (size_t)(0.1 * RATE); i++)
        step_glide = fmax(step_glide, fabs((double)buf[i] - buf[i - 1]));
    for (size_t i = n - 4800; i < n; i++)
        step_final = fmax(step_final, fabs((double)buf[i] - buf[i - 1]));
    double bound = fmax(step_before, step_final);
    printf("%s: %s %g -> %g: largest step while gliding %.4g V, steady %.4g V\n", model, sym, from,
           to, step_glide, bound);
    CHECK(step_glide <= 1.5 * bound, "%s %s glide clicks: step %g > %g", model, sym, step_glide,
          bound);
    double peak_final, ph;
    fit_sine(buf + n - 4800, 4800, w, &peak_final, &ph, NULL);
    /* Arrived: the last 100 ms have the final level (1 % tolerance). */
    gs_channel *ref;
    gs_channel_new(model, RATE, 256, &ref);
    gs_channel_set_symbol(ref, sym, to);
    gs_channel_reset(ref);
    float *r = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) r[i] = (float)(amp * sin(w * (double)i));
    run(ref, r, n, 256);
    double pr;
    fit_sine(r + n - 4800, 4800, w, &pr, &ph, NULL);
    CHECK(fabs(peak_final / pr - 1.0) < 0.01, "%s did not arrive: %g vs %g", sym, peak_final, pr);
    gs_channel_free(ch);
    gs_channel_free(ref);
    free(buf);
    free(r);
}

/* Same input, same output: after reset, and whatever the block partition. */
static void determinism(void) {
    size_t n = 9600;
    float *x = malloc(n * sizeof(float)), *a = malloc(n * sizeof(float)),
          *b = malloc(n * sizeof(float)), *c = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.2 * sin(0.01 * (double)i * (1 + (double)i / (double)n)));
    gs_channel *ch;
    gs_channel_new("ss-preamp", RATE, 1024, &ch);
    gs_channel_set_symbol(ch, "gain", 40);
    gs_channel_reset(ch);
    memcpy(a, x, n * sizeof(float));
    run(ch, a, n, 1024);
    gs_channel_reset(ch);
    memcpy(b, x, n * sizeof(float));
    run(ch, b, n, 1);
    gs_channel_reset(ch);
    memcpy(c, x, n * sizeof(float));
    run(ch, c, n, 7);
    CHECK(!memcmp(a, b, n * sizeof(float)), "block 1 differs from block 1024");
    CHECK(!memcmp(a, c, n * sizeof(float)), "block 7 differs from block 1024");
    gs_channel_free(ch);
    free(x);
    free(a);
    free(b);
    free(c);
}

/* The reported latency is where a wire-like model puts an impulse. */
static void latency_matches_impulse(void) {
    const char *models[] = {"opamp-stage", "ss-preamp"};
    double rates[] = {44100, 48000, 96000, 192000};
    for (size_t m = 0; m < 2; m++) {
        for (size_t r = 0; r < 4; r++) {
            gs_channel *ch;
            gs_channel_new(models[m], rates[r], 512, &ch);
            gs_channel_set_symbol(ch, "gain", 0);
            gs_channel_reset(ch);
            float buf[512] = {0};
            buf[0] = 1.0f;
            gs_channel_process(ch, buf, buf, 512);
            size_t arg = 0;
            for (size_t i = 1; i < 512; i++)
                if (fabs(buf[i]) > fabs(buf[arg])) arg = i;
            uint32_t lat = gs_channel_latency(ch);
            CHECK(arg == lat, "%s at %g Hz: impulse peak at %zu, latency %u", models[m], rates[r],
                  arg, lat);
            if (r == 1) printf("%s latency at 48 kHz: %u samples\n", models[m], lat);
            gs_channel_free(ch);
        }
    }
}

/* Hours of silence after a signal must not leave subnormal numbers around (they cost 100x CPU on
 * many processors): outputs are never subnormal. */
static void no_subnormals(void) {
    gs_channel *ch;
    gs_channel_new("ss-preamp", RATE, 4800, &ch);
    gs_channel_set_symbol(ch, "gain", 70);
    gs_channel_reset(ch);
    float buf[4800];
    for (int i = 0; i < 4800; i++) buf[i] = (float)(0.001 * sin(0.1 * i));
    gs_channel_process(ch, buf, buf, 4800);
    int sub = 0;
    for (int k = 0; k < 2000; k++) { /* 200 s of silence */
        memset(buf, 0, sizeof buf);
        gs_channel_process(ch, buf, buf, 4800);
        for (int i = 0; i < 4800; i++) sub |= fpclassify(buf[i]) == FP_SUBNORMAL;
    }
    CHECK(!sub, "subnormal output after silence");
    gs_channel_free(ch);
}

/* Every model, every parameter at its extremes, any supported rate, inputs up to +/-1000 V: the
 * output is finite and bounded by the model's physics. */
static void extremes(void) {
    double rates[] = {44100, 96000, 192000};
    for (size_t m = 0; m < gs_model_count(); m++) {
        const gs_model_info *mi = gs_model_at(m);
        for (int corner = 0; corner < 3; corner++) {
            for (size_t r = 0; r < 3; r++) {
                gs_channel *ch;
                CHECK(gs_channel_new(mi->name, rates[r], 1000, &ch) == GS_OK, "%s", mi->name);
                for (size_t p = 0; p < mi->n_params; p++) {
                    const gs_param_info *pi = &mi->params[p];
                    double v = corner == 0   ? pi->min
                               : corner == 1 ? pi->max
                                             : (p % 2 ? pi->min : pi->max);
                    gs_channel_set(ch, p, v);
                }
                gs_channel_reset(ch);
                float buf[1000];
                int finite = 1;
                for (int k = 0; k < 20; k++) {
                    for (int i = 0; i < 1000; i++)
                        buf[i] = (float)(1000.0 * sin(0.3 * (i + 1000 * k)) * (k % 3 ? 1 : 1e-6));
                    gs_channel_process(ch, buf, buf, 1000);
                    for (int i = 0; i < 1000; i++) finite &= isfinite(buf[i]) && fabs(buf[i]) < 1e4;
                }
                CHECK(finite, "%s corner %d rate %g: non-finite or runaway output", mi->name,
                      corner, rates[r]);
                CHECK(stats_of(ch).recoveries == 0, "%s needed a state reset", mi->name);
                gs_channel_free(ch);
            }
        }
    }
}

/* gs_channel_latency_max: the largest over the qualities, and the channel left as it was. */
static void latency_max(void) {
    const double rates[3] = {44100.0, 48000.0, 96000.0};
    for (int r = 0; r < 3; r++) {
        gs_channel *ch = NULL;
        CHECK(gs_channel_new("tube-stage", rates[r], 64, &ch) == GS_OK, "tube-stage");
        if (!ch) continue;
        uint32_t lq[3];
        for (unsigned q = 0; q < 3; q++) {
            gs_channel_set_symbol(ch, "quality", q);
            gs_channel_reset(ch);
            lq[q] = gs_channel_latency(ch);
        }
        gs_channel_set_symbol(ch, "quality", 2.0);
        gs_channel_reset(ch);
        uint32_t most = gs_channel_latency_max(ch), want = lq[0];
        for (unsigned q = 1; q < 3; q++) want = lq[q] > want ? lq[q] : want;
        size_t id;
        gs_channel_param_find(ch, "quality", &id);
        printf("tube-stage at %g Hz: latency %u / %u / %u, largest %u\n", rates[r], lq[0], lq[1],
               lq[2], most);
        CHECK(most == want && most > lq[0], "largest latency %u, want %u", most, want);
        CHECK(gs_channel_get(ch, id) == 2.0 && gs_channel_latency(ch) == lq[2],
              "quality not restored: %g, latency %u", gs_channel_get(ch, id),
              gs_channel_latency(ch));
        gs_channel_free(ch);
    }
    gs_channel *ch = NULL;
    CHECK(gs_channel_new("ss-preamp", 48000.0, 64, &ch) == GS_OK, "ss-preamp");
    CHECK(gs_channel_latency_max(ch) == gs_channel_latency(ch), "no quality: its one latency");
    gs_channel_free(ch);
}

/* One meaning of hpf=12 (issue 17): on the interface models (a choice of slopes) and on
 * ss-preamp (a switch) it is the same 12 dB/oct Butterworth at hpf_freq: the gain with the filter
 * over the gain without, at 40 Hz for an 80 Hz corner, is (1/2)^2 / sqrt(1 + (1/2)^4), -12.30 dB,
 * on each. Small signals, so that every model is linear. */
static void hpf_means_one_thing(void) {
    const char *models[] = {"ss-preamp", "frontend", "input-stage"};
    const double want = 20.0 * log10(0.25 / sqrt(1.0625));
    for (size_t m = 0; m < (sizeof models / sizeof models[0]); m++) {
        gs_channel *ch = NULL;
        CHECK(gs_channel_new(models[m], RATE, 512, &ch) == GS_OK, "%s", models[m]);
        if (!ch) continue;
        double on, off, ph;
        gs_channel_set_text(ch, "hpf_freq", "80Hz");
        CHECK(gs_channel_set_text(ch, "hpf", "12") == GS_OK, "%s: hpf=12", models[m]);
        measure_sine_response(ch, RATE, 40.0, 1e-3, 0.5, 8, &on, &ph);
        CHECK(gs_channel_set_text(ch, "hpf", "off") == GS_OK, "%s: hpf=off", models[m]);
        measure_sine_response(ch, RATE, 40.0, 1e-3, 0.5, 8, &off, &ph);
        double db = 20.0 * log10(on / off);
        CHECK(fabs(db - want) < 0.05, "%s: hpf=12 at 40 Hz (corner 80 Hz): %.3f dB, want %.3f dB",
              models[m], db, want);
        gs_channel_free(ch);
    }
}

int main(void) {
    hpf_means_one_thing();
    api_errors();
    nonfinite_input();
    glide_without_clicks("ss-preamp", "gain", 0, 60, 0.001);
    glide_without_clicks("ss-preamp", "gain", 60, 0, 0.001);
    glide_without_clicks("ss-preamp", "trim", -40, 12, 0.01);
    glide_without_clicks("ss-preamp", "polarity", 0, 1, 0.01);
    glide_without_clicks("ss-preamp", "pad", 0, 1, 0.01);
    glide_without_clicks("opamp-stage", "gain", 0, 40, 0.01);
    glide_without_clicks("input-stage", "in_gain", -20, 18, 0.001);
    glide_without_clicks("input-stage", "pad", 0, 1, 0.01);
    glide_without_clicks("input-stage", "polarity", 0, 1, 0.01);
    glide_without_clicks("input-stage", "hpf", 0, 4, 0.01);
    glide_without_clicks("input-stage", "hpf_freq", 20, 400, 0.01);
    determinism();
    latency_matches_impulse();
    latency_max();
    no_subnormals();
    extremes();
    return check_done();
}
