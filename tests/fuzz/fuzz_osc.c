/* OSC message handling (live/oscmsg.c, live_osc_dispatch) without the network. The input is
 * text: the address on the first line, the type tags on the second, then one line per argument
 * (numbers as text for i, h, f, d: "nan" and "inf" too; the string itself for s). Every message
 * gets exactly one well-formed reply; a malformed channel number is always an error; and however
 * the messages come, every strip stays within its ranges (level, pan, mute and solo 0 or 1,
 * parameters within the model's ranges). */
#include "fuzz.h"

#include "oscmsg.h"

#include <math.h>
#include <string.h>

static live_engine *E;
static live_app *A;

static void setup(void) {
    if (E) return;
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = 2;
    for (int k = 0; k < cfg.n; k++) snprintf(cfg.preset[k], sizeof cfg.preset[k], "clean");
    cfg.in_vpu = cfg.out_vpu = 1.0;
    E = live_engine_new(&cfg, 48000.0, NULL, 0);
    live_app_config ac;
    memset(&ac, 0, sizeof ac);
    A = live_app_new(&ac);
    if (!E || !A) abort();
    live_app_attach(A, NULL, NULL, E);
}

/* Strict: "/gainstage/ch/" then [1-9][0-9]{0,2} then "/". */
static int strict_channel(const char *path) {
    const char *p = path + 14;
    if (*p < '1' || *p > '9') return 0;
    int n = 0;
    while (*p >= '0' && *p <= '9') p++, n++;
    return n <= 3 && *p == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    char *s = fuzz_string(data, size);
    char *line[10] = {0};
    int nl = 0;
    for (char *p = s; nl < 10;) {
        line[nl++] = p;
        char *nlc = strchr(p, '\n');
        if (!nlc) break;
        *nlc = '\0';
        p = nlc + 1;
    }
    const char *path = line[0], *types = nl > 1 ? line[1] : "";
    live_osc_arg av[8];
    int argc = 0;
    for (; argc < 8 && types[argc]; argc++) {
        memset(&av[argc], 0, sizeof av[argc]);
        av[argc].type = types[argc];
        const char *t = argc + 2 < nl ? line[argc + 2] : "";
        if (types[argc] == 'i') av[argc].i = (int32_t)strtol(t, NULL, 0);
        if (types[argc] == 'h') av[argc].i = strtoll(t, NULL, 0);
        if (types[argc] == 'f') av[argc].f = (double)strtof(t, NULL);
        if (types[argc] == 'd') av[argc].f = strtod(t, NULL);
        if (types[argc] == 's' || types[argc] == 'S') av[argc].s = t;
    }
    static live_osc_stats st;
    static live_osc_reply r;
    atomic_fetch_add(&st.received, 1);
    int bad = live_osc_dispatch(E, A, &st, path, av, argc, &r);
    atomic_fetch_add(&st.answered, 1);
    FUZZ_ASSERT(r.n >= 0 && r.n <= LIVE_OSC_REPLY_ARGS && r.text_len <= sizeof r.text, "reply");
    if (bad)
        FUZZ_ASSERT(!strcmp(r.path, "/gainstage/error") && r.n == 2, "error reply %s", r.path);
    else
        FUZZ_ASSERT(!strcmp(r.path, "/gainstage/ok") || !strcmp(r.path, path), "reply %s", r.path);
    if (!strncmp(path, "/gainstage/ch/", 14) && !strict_channel(path))
        FUZZ_ASSERT(bad, "channel address '%s' accepted", path);
    for (int i = 0; i < r.n; i++)
        FUZZ_ASSERT(r.arg[i].type != 's' ||
                        (r.arg[i].s >= r.text && r.arg[i].s < r.text + sizeof r.text),
                    "string argument outside the reply");
    /* The commands queued, applied now and then (there is no process thread): a full queue is
     * answered "queue full", which is fine too. */
    static unsigned runs;
    if (++runs % 512 == 0) {
        live_engine_settle(E);
        live_engine_collect(E);
    }
    for (int k = 0; k < live_engine_channels(E); k++) {
        live_strip_ctl c;
        live_ctl_get(E, k, &c);
        FUZZ_ASSERT(isfinite(c.level_db) && c.level_db <= LIVE_LEVEL_MAX, "level %g", c.level_db);
        FUZZ_ASSERT(c.pan >= -1 && c.pan <= 1, "pan %g", c.pan);
        FUZZ_ASSERT((c.mute == 0 || c.mute == 1) && (c.solo == 0 || c.solo == 1), "mute/solo");
        for (size_t i = 0; i < c.model->n_params; i++)
            FUZZ_ASSERT(gs_param_check(&c.model->params[i], c.param[i]) == GS_OK, "%s = %g",
                        c.model->params[i].symbol, c.param[i]);
    }
    free(s);
    return 0;
}
