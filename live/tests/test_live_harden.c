/* Issue 18, the control surfaces and 'recover' against hostile input (no JACK, no network):
 * 1, 2. a preset named by OSC or a session: built-ins or regular files in the preset folders
 *       only; no path, no symlink out, no FIFO (which must not block), no file content echoed;
 * 3.    a preset name that would inject lines into the session or the take sidecar;
 * 4.    session values outside the command line's ranges, NaN, malformed channel keys;
 * 5.    a take sidecar naming files outside its folder or through a symlink; a LIST chunk after
 *       the data chunk is not audio;
 * 7.    OSC dispatch: strict channel numbers, booleans, finite numbers, T is not 1 dB, every
 *       message answered, the counters in the status reply;
 * 8.    the monitor master (issue 16): set and read back through OSC, hostile values refused;
 *       session files store and restore it, an old one loads as 0 dB, out of range is refused.
 * Links gslive_core only.
 */
#include "app.h"
#include "check.h"
#include "oscmsg.h"
#include "session.h"
#include "take.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char D[64], P[96], logged[8192];

static void put(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}
static void puts_file(const char *path, const char *text) { put(path, text, strlen(text)); }

static void log_fn(void *ctx, live_level level, const char *msg) {
    (void)ctx;
    (void)level;
    size_t n = strlen(logged);
    snprintf(logged + n, sizeof logged - n, "%s\n", msg);
}

/* One message through the dispatch: 1 if the reply is an error. */
static live_osc_reply R;
static int osc(live_engine *e, live_app *a, live_osc_stats *st, const char *path, const char *types,
               ...);
#include <stdarg.h>
static int osc(live_engine *e, live_app *a, live_osc_stats *st, const char *path, const char *types,
               ...) {
    live_osc_arg av[8];
    va_list ap;
    va_start(ap, types);
    int n = 0;
    for (; types[n]; n++) {
        memset(&av[n], 0, sizeof av[n]);
        av[n].type = types[n];
        if (types[n] == 'i' || types[n] == 'h') av[n].i = va_arg(ap, int64_t);
        if (types[n] == 'f' || types[n] == 'd') av[n].f = va_arg(ap, double);
        if (types[n] == 's') av[n].s = va_arg(ap, const char *);
    }
    va_end(ap);
    return live_osc_dispatch(e, a, st, path, av, n, &R);
}

static double gain_of(live_engine *e, int k) {
    live_strip_ctl c;
    live_ctl_get(e, k, &c);
    for (size_t i = 0; i < c.model->n_params; i++)
        if (!strcmp(c.model->params[i].symbol, "gain")) return c.param[i];
    return NAN;
}

static void test_osc(live_engine *e, live_app *a) {
    live_osc_stats st = {0};
    /* 7: channel numbers. */
    CHECK(osc(e, a, &st, "/gainstage/ch/1/gain", "f", 40.0) == 0 &&
              !strcmp(R.path, "/gainstage/ok"),
          "valid gain: %s", R.path);
    const char *bad_ch[] = {"/gainstage/ch/4294967297/gain", "/gainstage/ch/+1/gain",
                            "/gainstage/ch/ 1/gain",         "/gainstage/ch/01/gain",
                            "/gainstage/ch/0/gain",          "/gainstage/ch/1/gain/x",
                            "/gainstage/ch/1x/gain",         "/gainstage/ch/-1/gain",
                            "/gainstage/ch//gain",           "/gainstage/ch/1"};
    for (size_t i = 0; i < sizeof bad_ch / sizeof bad_ch[0]; i++)
        CHECK(osc(e, a, &st, bad_ch[i], "f", 20.0) == 1 && !strcmp(R.path, "/gainstage/error"),
              "%s accepted", bad_ch[i]);
    CHECK(gain_of(e, 0) == 40.0, "channel 1's gain changed by a refused address: %g",
          gain_of(e, 0));
    CHECK(osc(e, a, &st, "/gainstage/ch/3/gain", "f", 20.0) == 1 && R.n == 2 &&
              strstr(R.arg[1].s, "no channel 3"),
          "channel 3 of 2");
    /* 7: NaN/Inf, T is not 1 dB. */
    CHECK(osc(e, a, &st, "/gainstage/ch/1/gain", "T") == 1 && gain_of(e, 0) == 40.0,
          "T as gain: %g", gain_of(e, 0));
    CHECK(osc(e, a, &st, "/gainstage/ch/1/gain", "f", (double)NAN) == 1, "NaN gain");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/gain", "d", (double)INFINITY) == 1, "Inf gain");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/gain", "s", "nan") == 1, "'nan' gain");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/param", "ss", "gain", "inf") == 1, "'inf' param");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/level", "f", (double)NAN) == 1, "NaN level");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/pan", "f", (double)INFINITY) == 1, "Inf pan");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/pan", "s", "nan") == 1, "'nan' pan");
    CHECK(gain_of(e, 0) == 40.0, "gain %g", gain_of(e, 0));
    /* 7: booleans. */
    live_strip_ctl c;
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "f", (double)NAN) == 1, "NaN mute");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/solo", "f", (double)INFINITY) == 1, "Inf solo");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "i", (int64_t)2) == 1, "mute 2");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "f", 0.5) == 1, "mute 0.5");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "s", "yes") == 1, "mute 'yes'");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "") == 1, "mute without argument");
    CHECK(osc(e, a, &st, "/gainstage/record", "f", (double)NAN) == 1, "NaN record");
    live_ctl_get(e, 0, &c);
    CHECK(!c.mute && !c.solo, "refused booleans switched mute %d solo %d", c.mute, c.solo);
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "s", "true") == 0, "mute 'true'");
    live_ctl_get(e, 0, &c);
    CHECK(c.mute == 1, "mute 'true'");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "F") == 0, "mute F");
    live_ctl_get(e, 0, &c);
    CHECK(c.mute == 0, "mute F");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/solo", "T") == 0, "solo T");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/solo", "i", (int64_t)0) == 0, "solo 0");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "f", 1.0) == 0, "mute 1.0");
    CHECK(osc(e, a, &st, "/gainstage/ch/1/mute", "s", "0") == 0, "mute '0'");
    /* Queries and the counters. */
    CHECK(osc(e, a, &st, "/gainstage/ch/1/get", "") == 0 && R.n == 6 && R.arg[1].f == 40.0f, "get");
    atomic_store(&st.received, 10000);
    atomic_store(&st.answered, 9990);
    atomic_store(&st.dropped, 10);
    CHECK(osc(e, a, &st, "/gainstage/status", "") == 0 && R.n == 1 &&
              strstr(R.arg[0].s, "osc received 10000 answered 9990 dropped 10"),
          "status: %s", R.n ? R.arg[0].s : "");
    CHECK(osc(e, a, &st, "/nothing", "") == 1 && !strcmp(R.path, "/gainstage/error"),
          "unknown address answered");
    /* 8: the monitor master. */
    CHECK(osc(e, a, &st, "/gainstage/monitor/level", "f", -6.0) == 0 &&
              !strcmp(R.path, "/gainstage/ok"),
          "master -6: %s", R.path);
    CHECK(osc(e, a, &st, "/gainstage/monitor/get", "") == 0 && R.n == 3 && R.arg[0].f == -6.0f &&
              !strcmp(R.path, "/gainstage/monitor/get"),
          "master reads back %g", R.n ? (double)R.arg[0].f : NAN);
    struct {
        const char *types;
        double f;
        const char *s;
    } hostile[] = {{"f", 12.5, NULL}, {"f", (double)NAN, NULL}, {"d", (double)INFINITY, NULL},
                   {"s", 0, "nan"},   {"s", 0, "-6dB"},         {"T", 0, NULL},
                   {"", 0, NULL},     {"f", 1e30, NULL}};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        int bad = hostile[i].types[0] == 's'
                      ? osc(e, a, &st, "/gainstage/monitor/level", "s", hostile[i].s)
                  : hostile[i].types[0] == 'f' || hostile[i].types[0] == 'd'
                      ? osc(e, a, &st, "/gainstage/monitor/level", hostile[i].types, hostile[i].f)
                      : osc(e, a, &st, "/gainstage/monitor/level", hostile[i].types);
        CHECK(bad == 1 && R.n == 2 && strstr(R.arg[1].s, "monitor master"),
              "hostile master %zu (%s %g %s) not refused clearly: %s", i, hostile[i].types,
              hostile[i].f, hostile[i].s ? hostile[i].s : "", R.n == 2 ? R.arg[1].s : R.path);
    }
    CHECK(live_ctl_master_get(e) == -6.0, "refusals changed the master: %g",
          live_ctl_master_get(e));
    CHECK(osc(e, a, &st, "/gainstage/monitor/level", "s", "-3") == 0 &&
              live_ctl_master_get(e) == -3.0,
          "master '-3': %g", live_ctl_master_get(e));
    CHECK(osc(e, a, &st, "/gainstage/monitor/level", "i", (int64_t)-1000) == 0 &&
              live_ctl_master_get(e) == LIVE_MASTER_OFF,
          "master -1000 dB is off: %g", live_ctl_master_get(e));
    CHECK(osc(e, a, &st, "/gainstage/monitor/level", "i", (int64_t)0) == 0 &&
              live_ctl_master_get(e) == 0.0,
          "master back to 0");
}

/* 8: the monitor master in session files. */
static void test_session_master(live_engine *e, const live_config *cfg) {
    char err[512], sess[256];
    snprintf(sess, sizeof sess, "%s/master.session", D);
    CHECK(live_ctl_master(e, -7.5, err, sizeof err) == 0, "master -7.5: %s", err);
    CHECK(live_session_write(sess, e, -20, 18, LIVE_FMT_WAV_F32, err, sizeof err) == 0, "%s", err);
    char *text = live_file_text(sess);
    CHECK(text && strstr(text, "\nmonitor.level = -7.5\n"), "written: %s", text ? text : "");
    free(text);
    live_session *s = NULL;
    int keep[LIVE_MAX_CH] = {1, 1};
    live_engine *e2 = live_engine_new(cfg, 48000.0, err, sizeof err);
    CHECK(e2 && live_session_read(sess, &s, err, sizeof err) == 0 && s, "read back: %s", err);
    if (e2 && s) {
        CHECK(live_ctl_master_get(e2) == 0.0, "a new engine's master: %g", live_ctl_master_get(e2));
        logged[0] = '\0';
        live_session_apply(s, e2, keep, log_fn, NULL);
        CHECK(live_ctl_master_get(e2) == -7.5 && !logged[0], "restored master %g (%s)",
              live_ctl_master_get(e2), logged);
    }
    live_session_free(s);
    live_engine_free(e2);
    /* An old session (no monitor.level) leaves 0 dB; below -90 is off, as a channel's level. */
    const char *texts[] = {"inputs = 2\nch.1.level = -3\n", "monitor.level = -300\n"};
    const double want[] = {0.0, LIVE_MASTER_OFF};
    for (int i = 0; i < 2; i++) {
        e2 = live_engine_new(cfg, 48000.0, err, sizeof err);
        s = NULL;
        CHECK(e2 && live_session_parse(texts[i], "t", &s, err, sizeof err) == 0 && s, "%s", err);
        if (e2 && s) live_session_apply(s, e2, keep, log_fn, NULL);
        CHECK(e2 && live_ctl_master_get(e2) == want[i], "session %d: master %g, want %g", i,
              e2 ? live_ctl_master_get(e2) : NAN, want[i]);
        live_session_free(s);
        live_engine_free(e2);
    }
    CHECK(live_ctl_master(e, 0.0, err, sizeof err) == 0, "master back to 0");
}

static void test_presets(live_engine *e) {
    char path[256], err[512];
    /* Outside the folder: a file whose line would leak, a symlink to it. */
    snprintf(path, sizeof path, "%s/secret.txt", D);
    puts_file(path, "model = hunter2-secret\n");
    snprintf(path, sizeof path, "%s/good.preset", P);
    puts_file(path, "model = ss-preamp\ngain = 50\n");
    snprintf(path, sizeof path, "%s/bad.preset", P);
    puts_file(path, "description = x\nmodel = hunter2-secret\n");
    snprintf(path, sizeof path, "%s/link.preset", P);
    CHECK(symlink("../secret.txt", path) == 0, "symlink");
    snprintf(path, sizeof path, "%s/fifo.preset", P);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    snprintf(path, sizeof path, "%s/sub.preset", P);
    CHECK(mkdir(path, 0700) == 0, "mkdir");

    const char *refused[] = {"../secret.txt",
                             "../../../../etc/shadow",
                             "/etc/shadow",
                             "link",
                             "link.preset",
                             "fifo",
                             "fifo.preset",
                             "sub",
                             "..",
                             ".hidden",
                             "a\nout_dbu = -1000",
                             "a#b",
                             "a=b",
                             "nosuch",
                             "secret.txt"};
    alarm(20); /* a FIFO opened blocking would hang here: SIGALRM fails the test */
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err[0] = '\0';
        CHECK(live_ctl_preset(e, 1, refused[i], err, sizeof err) != 0, "preset '%s' accepted",
              refused[i]);
        CHECK(!strstr(err, "hunter2") && !strstr(err, "No such") && !strstr(err, "ermission") &&
                  !strchr(err, '\n'),
              "preset '%s': the message tells too much: %s", refused[i], err);
    }
    /* The command line's --preset FILE may be any path, but a FIFO does not block it either. */
    snprintf(path, sizeof path, "%s/fifo.preset", P);
    gs_preset *fp = live_preset_load(path, err, sizeof err);
    CHECK(!fp && strstr(err, "not a regular file"), "--preset FIFO: %s", err);
    alarm(0);
    /* A missing file outside and an existing one: the same words. */
    char e1[512], e2[512];
    live_ctl_preset(e, 1, "../secret.txt", e1, sizeof e1);
    live_ctl_preset(e, 1, "../nosuch.txt", e2, sizeof e2);
    CHECK(!strcmp(e1, e2), "'%s' vs '%s'", e1, e2);
    live_ctl_preset(e, 1, "secret.txt", e1, sizeof e1);
    live_ctl_preset(e, 1, "nosuch.txt", e2, sizeof e2);
    CHECK(strstr(e1, "secret.txt") && strstr(e2, "nosuch.txt") &&
              !strcmp(strstr(e1, "secret.txt") + 10, strstr(e2, "nosuch.txt") + 10),
          "'%s' vs '%s'", e1, e2);
    CHECK(live_ctl_preset(e, 1, "bad", err, sizeof err) != 0 &&
              strstr(err, "preset 'bad' is not a valid preset file (line 2)") &&
              !strstr(err, "hunter2"),
          "bad preset: %s", err);
    CHECK(live_ctl_preset(e, 1, "good", err, sizeof err) == 0 && gain_of(e, 1) == 50.0,
          "preset file in the folder: %s", err);
    CHECK(live_ctl_preset(e, 1, "good.preset", err, sizeof err) == 0, "with extension: %s", err);
    CHECK(live_ctl_preset(e, 1, "clean", err, sizeof err) == 0, "built-in: %s", err);
    /* The OSC surface says the same. */
    CHECK(osc(e, NULL, NULL, "/gainstage/ch/2/preset", "s", "../secret.txt") == 1 && R.n == 2 &&
              !strstr(R.arg[1].s, "hunter2"),
          "OSC preset");
}

static void test_session(live_engine *e) {
    const char *bad[] = {"out_dbu = -1000\n",       "in_dbu = nan\n",
                         "in_dbu = inf\n",          "inputs = 0\n",
                         "inputs = 1.5\n",          "inputs = 65\n",
                         "record_point = middle\n", "record_format = mp3\n",
                         "ch.1.level = inf\n",      "ch.1.level = 13\n",
                         "ch.1.pan = 5\n",          "ch.1.mute = 2\n",
                         "ch.1.solo = nan\n",       "ch.1.param.gain = nan\n",
                         "ch.01.level = 0\n",       "ch.65.level = 0\n",
                         "ch.+1.level = 0\n",       "ch.4294967297.level = 0\n",
                         "out_dbu = 0x\n",          "monitor.level = 13\n",
                         "monitor.level = nan\n",   "monitor.level = -6dB\n"};
    char err[512];
    live_session *s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "# test\n%s", bad[i]);
        err[0] = '\0';
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(bad[i], " "), bad[i]);
        CHECK(live_session_parse(text, "t", &s, err, sizeof err) == -1 && !s &&
                  strstr(err, "line 2") && strstr(err, key),
              "'%.*s' accepted or badly refused: %s", (int)strlen(bad[i]) - 1, bad[i], err);
    }
    const char good[] = "inputs = 2\nin_dbu = -20\nout_dbu = 18\nrecord_point = pre\n"
                        "record_format = flac\nch.1.preset = clean\nch.1.level = -100\n"
                        "ch.1.pan = -1\nch.1.mute = 1\nch.1.solo = 0\nch.2.param.gain = 1e9\n";
    CHECK(live_session_parse(good, "t", &s, err, sizeof err) == 0 && s, "good session: %s", err);
    /* A parameter's range is the model's: refused when applied, with the key and line. */
    int keep[LIVE_MAX_CH] = {1, 1};
    logged[0] = '\0';
    double g = gain_of(e, 1);
    live_session_apply(s, e, keep, log_fn, NULL);
    CHECK(strstr(logged, "session 't' line 11: ch.2.param.gain: gain must be") &&
              gain_of(e, 1) == g,
          "param out of range: %s", logged);
    live_session_free(s);

    /* 3: a name that would inject lines never reaches the file. */
    char path[256], sess[256];
    snprintf(path, sizeof path, "%s/x\nout_dbu = -1000.preset", D);
    puts_file(path, "model = ss-preamp\n");
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = 1;
    snprintf(cfg.preset[0], sizeof cfg.preset[0], "%.100s", path);
    cfg.in_vpu = cfg.out_vpu = 1.0;
    live_engine *e2 = live_engine_new(&cfg, 48000.0, err, sizeof err);
    CHECK(e2 != NULL, "engine with a file preset: %s", err);
    snprintf(sess, sizeof sess, "%s/inj.session", D);
    if (e2) {
        CHECK(live_session_write(sess, e2, -20, 18, LIVE_FMT_WAV_F32, err, sizeof err) == -1 &&
                  strstr(err, "preset name has a newline"),
              "session with a newline in a preset name: %s", err);
        CHECK(access(sess, F_OK) != 0, "the session was written");
        live_engine_free(e2);
    }
    /* The take sidecar: the same name, made harmless. */
    const char *presets[1] = {"a\nstatus = complete\n#x"};
    live_rec *r =
        live_rec_start(D, 1, 48000.0, LIVE_FMT_WAV_F32, LIVE_REC_POST, presets, err, sizeof err);
    CHECK(r != NULL, "recorder: %s", err);
    if (r) {
        live_rec_status rs;
        live_rec_status_get(r, &rs);
        live_rec_stop(r);
        char tp[4600];
        snprintf(tp, sizeof tp, "%s.take", rs.take);
        char *text = live_file_text(tp);
        const char *tx = text ? text : "";
        CHECK(strstr(tx, "preset.1 = a?status = complete\n") == NULL &&
                  strstr(tx, "preset.1 = a?status = complete??x\n") &&
                  !strstr(tx, "\nstatus = complete\nstatus"),
              "sidecar: %s", text ? text : tp);
        live_take_info ti;
        CHECK(live_take_parse(tx, &ti) == 0 && ti.nfiles == 1, "sidecar read back");
        free(text);
    }
}

/* A mono float WAV of `frames` frames (header counting hdr_frames), then `tail` bytes. */
static void wav(const char *path, uint32_t frames, uint32_t hdr_frames, const void *tail,
                size_t tail_n) {
    unsigned char h[44];
    uint32_t hdata = hdr_frames * 4;
    memcpy(h, "RIFF", 4);
    uint32_t riff = 36 + hdata + (uint32_t)tail_n;
    memcpy(h + 4, &riff, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    uint32_t v = 16;
    memcpy(h + 16, &v, 4);
    uint16_t fmt[4] = {3, 1, 0, 0};
    memcpy(h + 20, fmt, 4);
    v = 48000;
    memcpy(h + 24, &v, 4);
    v = 48000 * 4;
    memcpy(h + 28, &v, 4);
    uint16_t ba[2] = {4, 32};
    memcpy(h + 32, ba, 4);
    memcpy(h + 36, "data", 4);
    memcpy(h + 40, &hdata, 4);
    FILE *f = fopen(path, "wb");
    fwrite(h, 1, 44, f);
    float *x = calloc(frames, 4);
    for (uint32_t i = 0; i < frames; i++) x[i] = 0.25f;
    fwrite(x, 4, frames, f);
    free(x);
    if (tail_n) fwrite(tail, 1, tail_n, f);
    fclose(f);
}

static long fsize(const char *p) {
    struct stat st;
    return lstat(p, &st) ? -1 : (long)st.st_size;
}

static void test_recover(void) {
    live_take_info t;
    const char *bad[] = {"file.1 = ../victim/v.wav\n", "file.1 = /tmp/v.wav\n",
                         "file.1 = a/b.wav\n", "file.1 = ..\n", "file.2 = ok.wav\nfile.1 = .x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "status = recording\n%s", bad[i]);
        CHECK(live_take_parse(text, &t) == -1 && strstr(t.why, "not a file name"),
              "sidecar '%s' accepted", bad[i]);
    }
    CHECK(live_take_parse("status = recording\nfile.1 = take-1_1.wav\n", &t) == 0 &&
              t.nfiles == 1 && t.status_line == 1,
          "plain name");

    char dir[128], vdir[128], p[256], q[256];
    snprintf(dir, sizeof dir, "%s/rec", D);
    snprintf(vdir, sizeof vdir, "%s/victim", D);
    mkdir(dir, 0700);
    mkdir(vdir, 0700);
    /* The victim: a WAV 'recover' would extend from 4800 to 4820 frames. */
    snprintf(q, sizeof q, "%s/v.wav", vdir);
    wav(q, 4820, 4800, NULL, 0);
    snprintf(p, sizeof p, "%s/t1.take", dir);
    puts_file(p, "rate = 48000\nstatus = recording\nfile.1 = ../victim/v.wav\n");
    logged[0] = '\0';
    CHECK(live_recover(dir, log_fn, NULL) == 1 && strstr(logged, "not touched"),
          "'../' in a sidecar: %s", logged);
    /* Through a symlink in DIR. */
    unlink(p);
    snprintf(p, sizeof p, "%s/l.wav", dir);
    CHECK(symlink("../victim/v.wav", p) == 0, "symlink");
    snprintf(p, sizeof p, "%s/t2.take", dir);
    puts_file(p, "rate = 48000\nstatus = recording\nfile.1 = l.wav\n");
    logged[0] = '\0';
    CHECK(live_recover(dir, log_fn, NULL) == 1, "symlinked file: %s", logged);
    unsigned char h[44];
    FILE *f = fopen(q, "rb");
    CHECK(f && fread(h, 1, 44, f) == 44, "victim");
    if (f) fclose(f);
    uint32_t n;
    memcpy(&n, h + 40, 4);
    CHECK(n == 4800 * 4 && fsize(q) == 44 + 4820 * 4, "the victim was rewritten: %u", n);
    unlink(p);

    /* A LIST chunk after a complete data chunk is not audio. */
    static const unsigned char list[] = "LIST\x16\0\0\0INFOISFT\x0a\0\0\0gainstage\0";
    snprintf(p, sizeof p, "%s/w.wav", dir);
    wav(p, 4800, 4800, list, sizeof list - 1);
    long before = fsize(p);
    snprintf(q, sizeof q, "%s/t3.take", dir);
    puts_file(q, "rate = 48000\nstatus = recording\nfile.1 = w.wav\n");
    logged[0] = '\0';
    CHECK(live_recover(dir, log_fn, NULL) == 0, "LIST take: %s", logged);
    f = fopen(p, "rb");
    CHECK(f && fread(h, 1, 44, f) == 44, "w.wav");
    if (f) fclose(f);
    memcpy(&n, h + 40, 4);
    CHECK(n == 4800 * 4 && fsize(p) == before, "LIST counted as audio: %u bytes of data, %s", n,
          logged);
    /* An open take still grows to the end of the file. */
    snprintf(p, sizeof p, "%s/g.wav", dir);
    wav(p, 4820, 4800, NULL, 0);
    snprintf(q, sizeof q, "%s/t4.take", dir);
    puts_file(q, "rate = 48000\nstatus = recording\nfile.1 = g.wav\n");
    logged[0] = '\0';
    CHECK(live_recover(dir, log_fn, NULL) == 0 && strstr(logged, "4800 frames in the header, now "
                                                                 "4820"),
          "open take: %s", logged);
}

int main(void) {
    snprintf(D, sizeof D, "/tmp/gs-harden-XXXXXX");
    if (!mkdtemp(D)) return 1;
    snprintf(P, sizeof P, "%s/presets", D);
    mkdir(P, 0700);
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = 2;
    snprintf(cfg.preset[0], sizeof cfg.preset[0], "clean");
    snprintf(cfg.preset[1], sizeof cfg.preset[1], "clean");
    cfg.in_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    cfg.out_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    live_preset_dirs_add(&cfg.dirs, P);
    char err[512];
    live_engine *e = live_engine_new(&cfg, 48000.0, err, sizeof err);
    CHECK(e != NULL, "engine: %s", err);
    if (!e) return check_done();
    live_app_config ac = {.log = log_fn};
    live_app *a = live_app_new(&ac);
    live_app_attach(a, NULL, NULL, e);
    test_osc(e, a);
    test_presets(e);
    test_session(e);
    test_session_master(e, &cfg);
    test_recover();
    live_app_free(a);
    live_engine_free(e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", D);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", D);
    return check_done();
}
