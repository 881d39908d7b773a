/* The application over a back end that is not JACK: a test back end (this file, one
 * live_backend_iface, as a new back end would be) whose thread calls process() period by period.
 * - start: the back end's rate reaches the engine; the activation line is logged;
 * - a recording runs; a sample-rate change from the back end re-creates the channels and starts
 *   a new take (one file has one rate); both takes end "complete";
 * - live_app_finish saves the session (read back: the inputs and a changed level) and logs the
 *   stop line with the periods counted;
 * - xruns and the period size reach the status line; the back end going away stops the loop with
 *   its sentence and exit 1.
 * Links gslive_core only: no JACK.
 */
#include "app.h"
#include "check.h"
#include "frontend.h"
#include "session.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PERIOD 256

struct live_backend {
    const live_backend_client *c;
    int n;
    pthread_t th;
    atomic_int run, periods;
    _Atomic uint32_t rate;
};

static void *period_thread(void *arg) {
    live_backend *b = arg;
    static float in[LIVE_MAX_CH][PERIOD], out[LIVE_MAX_CH][PERIOD], ml[PERIOD], mr[PERIOD];
    const float *ip[LIVE_MAX_CH];
    float *op[LIVE_MAX_CH];
    uint32_t frame = 0;
    for (int k = 0; k < b->n; k++) {
        ip[k] = in[k];
        op[k] = out[k];
    }
    while (atomic_load(&b->run)) {
        for (int k = 0; k < b->n; k++)
            for (int i = 0; i < PERIOD; i++)
                in[k][i] = (float)(0.1 * sin(0.05 * (double)(frame + (uint32_t)i)));
        b->c->process(b->c->ctx, ip, op, ml, mr, PERIOD, frame);
        live_period_time t = {(double)PERIOD / atomic_load(&b->rate), 1e-4, 1e-4, 0.0, 0};
        b->c->timing(b->c->ctx, &t);
        frame += PERIOD;
        atomic_fetch_add(&b->periods, 1);
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static live_backend *t_open(const live_backend_opts *o, const live_backend_client *c, char *err,
                            size_t esz) {
    (void)o;
    (void)err;
    (void)esz;
    live_backend *b = calloc(1, sizeof *b);
    b->c = c;
    atomic_store(&b->rate, 48000);
    c->rate(c->ctx, 48000);
    c->period(c->ctx, PERIOD);
    return b;
}
static int t_ports(live_backend *b, int n, char *err, size_t esz) {
    (void)err;
    (void)esz;
    b->n = n;
    return 0;
}
static int t_activate(live_backend *b, char *err, size_t esz) {
    (void)err;
    (void)esz;
    atomic_store(&b->run, 1);
    b->c->log(b->c->ctx, LIVE_INFO, "test back end running");
    return pthread_create(&b->th, NULL, period_thread, b);
}
static void t_connect(live_backend *b) { (void)b; }
static int latency_calls;
static void t_latency(live_backend *b) {
    (void)b;
    latency_calls++;
}
static void t_close(live_backend *b) {
    if (!b) return;
    if (atomic_exchange(&b->run, 0)) pthread_join(b->th, NULL);
    free(b);
}
static const live_backend_iface test_backend = {"test",    t_open,    t_ports, t_activate,
                                                t_connect, t_latency, t_close};

static char logged[65536];
static void log_line(void *ctx, live_level level, const char *msg) {
    (void)ctx;
    size_t l = strlen(logged);
    snprintf(logged + l, sizeof logged - l, "%s%s\n", level == LIVE_ERROR ? "E: " : "", msg);
}

static int count_takes(const char *dir, const char *status) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".take")) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text = live_file_text(path);
        n += text && strstr(text, status) != NULL;
        free(text);
    }
    if (d) closedir(d);
    return n;
}

/* A surface that changes the sample rate once, then stops the loop. */
typedef struct script {
    live_frontend base;
    live_backend *b;
    int ticks;
} script;
static int script_tick(live_frontend *f) {
    script *s = (script *)f;
    s->ticks++;
    if (s->ticks == 4) s->b->c->rate(s->b->c->ctx, 96000);
    if (s->ticks == 4) atomic_store(&s->b->rate, 96000);
    return s->ticks >= 10 && atomic_load(&s->b->periods) > 20;
}
static const live_frontend_iface script_iface = {"script", NULL, script_tick, NULL};

int main(void) {
    char dir[] = "/tmp/gs-live-app-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    char rec[4200], sess[4200];
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(sess, sizeof sess, "%s/s.session", dir);
    live_app_config ac = {rec, LIVE_FMT_WAV_F32, sess, -20.0, 18.0, 0.0, log_line, NULL};
    live_app *a = live_app_new(&ac);
    char err[512] = "";
    live_backend_opts bo = {NULL, "test"};
    live_backend *b = test_backend.open(&bo, live_app_backend_client(a), err, sizeof err);
    CHECK(live_app_rate(a) == 48000, "the back end's rate reached the application");
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = 2;
    snprintf(cfg.preset[0], sizeof cfg.preset[0], "clean");
    snprintf(cfg.preset[1], sizeof cfg.preset[1], "clean");
    cfg.in_vpu = gs_dbu_to_volts_per_unit(-20.0);
    cfg.out_vpu = gs_dbu_to_volts_per_unit(18.0);
    live_engine *e = live_engine_new(&cfg, live_app_rate(a), err, sizeof err);
    CHECK(e != NULL, "engine: %s", err);
    if (!e) return check_done();
    live_engine_settle(e);
    live_app_attach(a, &test_backend, b, e);
    CHECK(test_backend.ports(b, 2, err, sizeof err) == 0, "ports");
    CHECK(test_backend.activate(b, err, sizeof err) == 0, "activate");
    CHECK(live_app_record(a, 1, err, sizeof err) == 0, "recording starts: %s", err);
    CHECK(live_ctl_level(e, 1, -6.0, err, sizeof err) == 0, "level");
    b->c->xrun(b->c->ctx);
    live_strip_ctl c48;
    live_ctl_get(e, 0, &c48);
    uint32_t lat48 = c48.latency;
    script s = {{&script_iface}, b, 0};
    live_frontend *fe[1] = {&s.base};
    int rc = live_app_run(a, fe, 1, NULL);
    CHECK(rc == 0, "the loop ended at the surface's request");
    CHECK(live_engine_rate(e) == 96000.0, "the engine follows the back end to 96 kHz");
    CHECK(strstr(logged, "the server changed to 96000 Hz") != NULL, "rate change logged");
    char st[4096];
    live_app_status(a, st, sizeof st);
    printf("status: %s\n", st);
    CHECK(strstr(st, "96000 Hz, 256 frames") && strstr(st, "xruns 1") && strstr(st, ", rec "),
          "status line: %s", st);
    live_strip_ctl c96;
    live_ctl_get(e, 0, &c96);
    CHECK(latency_calls == (c96.latency != lat48),
          "latency re-reported iff it changed (%u -> %u: %d)", lat48, c96.latency, latency_calls);
    CHECK(live_app_finish(a) == 0, "finish");
    CHECK(count_takes(rec, "status = complete") == 2, "two complete takes (one per rate): %d",
          count_takes(rec, "status = complete"));
    live_session *ss = NULL;
    CHECK(live_session_read(sess, &ss, err, sizeof err) == 0 && ss, "session read back: %s", err);
    live_setup setup = {0};
    live_setup_fixed fixed = {0};
    live_session_setup(ss, &setup, &fixed);
    CHECK(setup.n == 2 && setup.preset[1] && !strcmp(setup.preset[1], "clean"),
          "session: 2 inputs, presets");
    char *text = live_file_text(sess);
    CHECK(text && strstr(text, "ch.2.level = -6\n"), "session holds the level");
    free(text);
    live_session_free(ss);
    CHECK(strstr(logged, "test back end running") && strstr(logged, "session saved to") &&
              strstr(logged, "stopped after"),
          "log:\n%s", logged);

    /* The back end goes away: the loop stops with its sentence. */
    logged[0] = '\0';
    b->c->gone(b->c->ctx, "the test server went away: bye");
    CHECK(live_app_run(a, NULL, 0, NULL) == 1, "gone: exit 1");
    CHECK(strstr(logged, "E: the test server went away: bye; stopping") != NULL, "log: %s", logged);
    test_backend.close(b);
    live_engine_free(e);
    live_app_free(a);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "clean up");
    return check_done();
}
