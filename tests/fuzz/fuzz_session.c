/* The session reader (live/session.c): it ends, and whatever it accepts passes the command
 * line's checks, on the setup (inputs, calibration, record point and format) and, applied to an
 * engine, on every channel (level, pan, mute, solo, parameters within the model's ranges). */
#include "fuzz.h"

#include "session.h"

#include <math.h>
#include <string.h>

static live_engine *engine(void) {
    static live_engine *e;
    if (!e) {
        live_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.n = 4;
        for (int k = 0; k < cfg.n; k++) snprintf(cfg.preset[k], sizeof cfg.preset[k], "clean");
        cfg.in_vpu = cfg.out_vpu = 1.0;
        e = live_engine_new(&cfg, 48000.0, NULL, 0);
        if (!e) abort();
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = fuzz_string(data, size);
    live_session *sess = NULL;
    char err[512] = "";
    int rc = live_session_parse(s, "fuzz", &sess, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || (rc == -1 && !sess && !strncmp(err, "session 'fuzz' ", 15)),
                "rc %d err '%s'", rc, err);
    FUZZ_ASSERT(!strchr(err, '\n'), "a message of more than one line: '%s'", err);
    if (rc == 0 && sess) {
        live_setup st;
        memset(&st, 0, sizeof st);
        st.n = 2;
        st.in_dbu = -20;
        st.out_dbu = 18;
        live_setup_fixed fixed = {0, 0, 0, 0, 0};
        live_session_setup(sess, &st, &fixed);
        FUZZ_ASSERT(st.n >= 1 && st.n <= LIVE_MAX_CH, "inputs %d", st.n);
        FUZZ_ASSERT(st.in_dbu >= -120 && st.in_dbu <= 60, "in_dbu %g", st.in_dbu);
        FUZZ_ASSERT(st.out_dbu >= -120 && st.out_dbu <= 60, "out_dbu %g", st.out_dbu);
        FUZZ_ASSERT((int)st.point >= 0 && (int)st.point <= 2, "point %d", (int)st.point);
        FUZZ_ASSERT((int)st.fmt >= 0 && (int)st.fmt <= 2, "format %d", (int)st.fmt);
        for (int k = 0; k < LIVE_MAX_CH; k++)
            FUZZ_ASSERT(!st.preset[k] || live_kv_value_ok(st.preset[k]), "preset of %d", k + 1);
        live_engine *e = engine();
        int keep[LIVE_MAX_CH];
        for (int k = 0; k < LIVE_MAX_CH; k++) keep[k] = 1;
        live_session_apply(sess, e, keep, NULL, NULL);
        /* The commands queued, applied now and then (there is no process thread): a full queue is
         * answered "queue full", which is fine too. */
        static unsigned runs;
        if (++runs % 512 == 0) {
            live_engine_settle(e);
            live_engine_collect(e);
        }
        for (int k = 0; k < live_engine_channels(e); k++) {
            live_strip_ctl c;
            live_ctl_get(e, k, &c);
            FUZZ_ASSERT(isfinite(c.level_db) && c.level_db <= LIVE_LEVEL_MAX, "level %g",
                        c.level_db);
            FUZZ_ASSERT(c.pan >= -1 && c.pan <= 1, "pan %g", c.pan);
            FUZZ_ASSERT((c.mute == 0 || c.mute == 1) && (c.solo == 0 || c.solo == 1), "mute/solo");
            for (size_t i = 0; i < c.model->n_params; i++)
                FUZZ_ASSERT(gs_param_check(&c.model->params[i], c.param[i]) == GS_OK, "%s = %g",
                            c.model->params[i].symbol, c.param[i]);
        }
    }
    live_session_free(sess);
    free(s);
    return 0;
}
