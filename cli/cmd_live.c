/* gainstage live: a JACK client that turns the machine into a multi-input preamp front end.
 *
 * This file is the JACK back end and the application: options, the session file, the JACK
 * callbacks, the recorder's start and stop, and the main loop (terminal view or status lines).
 * The mixing and DSP are in live_engine.c, the disk writing in live_rec.c, OSC in live_osc.c.
 *
 * Sample rate and period size follow the server while running: the channels are made for
 * LIVE_CHUNK-sample blocks and longer periods are processed in chunks, so a period-size change
 * needs nothing; a sample-rate change re-creates the channels on the main thread and swaps them in
 * through the engine's command queue (and starts a new take if recording, since a file has one
 * rate). Xruns are counted and reported; they never stop anything.
 */
#include "commands.h"
#include "live.h"
#include "util.h"

#include <jack/jack.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OSC_PORT "7770"

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

struct live_app {
    live_engine *e;
    jack_client_t *client;
    jack_port_t *in[LIVE_MAX_CH], *out[LIVE_MAX_CH], *mon_l, *mon_r;
    int n;
    /* Recording. */
    pthread_mutex_t rec_lock;
    const char *rec_dir;
    live_rec_format rec_fmt;
    live_rec *rec;
    double rec_rate;
    int rec_fail_reported;
    /* Session. */
    const char *session;
    double in_dbu, out_dbu;
    /* From JACK's threads. */
    atomic_int quit, shutdown;
    char shutdown_why[256];
    _Atomic uint64_t xruns;
    _Atomic uint32_t rate, bufsize;
    /* Load totals over the whole run (main thread): wall and CPU time, fractions of a period. */
    double load_sum, load_max, cpu_sum, cpu_max, late_max;
    uint64_t load_n;
};

static const char help_text[] =
    "Usage: gainstage live [OPTIONS]\n"
    "\n"
    "A JACK client (also under PipeWire's JACK support): N inputs in_1.. each through a preamp,\n"
    "one processed output per channel out_1.. for the DAW (direct outs: pre level, mute and "
    "solo),\n"
    "and a stereo monitor mix monitor_L/R with per-channel level, pan, mute and solo.\n"
    "\n"
    "  -i, --inputs N            channels (1-64, default 2)\n"
    "  -p, --preset P            preset of every channel (default clean)\n"
    "  -c, --channel K:PRESET    preset of channel K (repeatable)\n"
    "      --connect             connect system capture ports to in_K and monitor_L/R to the\n"
    "                            first two system playback ports\n"
    "  -r, --record DIR          record every channel into DIR (one mono file per channel, take\n"
    "                            name from the time, sidecar DIR/take-*.take)\n"
    "      --record-point P      post (after the preamp, default), pre (the converter input: a\n"
    "                            DI track for re-amping) or both (2N files)\n"
    "      --record-format F     wav-f32 (default), wav-s24 or flac (24-bit)\n"
    "  -s, --session FILE        restore the setup from FILE if it exists; save it on exit\n"
    "      --server NAME         JACK server name (default: $JACK_DEFAULT_SERVER or default)\n"
    "      --name NAME           JACK client name (default gainstage)\n"
    "      --osc-port PORT       OSC (UDP) port, 'auto' for any free one, 'off' (default 7770)\n"
    "      --osc-bind ADDR       address OSC listens on (default 127.0.0.1: this machine only)\n"
    "      --in-dbu X            input calibration: dBu of a full-scale sine (default -20)\n"
    "      --out-dbu X           output calibration (default +18, EBU R68)\n"
    "      --status-interval S   seconds between status lines when not on a terminal (default 1)\n"
    "      --duration S          stop after S seconds (default: run until Ctrl-C or 'q')\n"
    "  -h, --help                show this help\n"
    "\n"
    "On a terminal: meters with peak hold and clip markers; keys: 1-9 or up/down select a "
    "channel,\n"
    "+/- gain 1 dB, m mute, s solo, r record on/off, w save session, q quit. Elsewhere a status "
    "line\n"
    "every S seconds. OSC commands: see doc/live.md. Recover a killed recording with\n"
    "'gainstage recover DIR'.\n"
    "Exit status: 0 stopped normally, 1 runtime failure (no server, server went away), 2 usage.\n";

/* libjack's messages: dropped while connecting (a missing server is reported by us in one line),
 * afterwards passed on as "gainstage: jack: ...". Its info messages are chatter. */
static atomic_int jack_opened;
static void jack_message(const char *msg) {
    if (atomic_load(&jack_opened)) fprintf(stderr, "gainstage: jack: %s\n", msg);
}
static void jack_info(const char *msg) { (void)msg; }

/* ---- JACK callbacks ---------------------------------------------------------------------- */

static double ts_s(const struct timespec *t) {
    return (double)t->tv_sec + 1e-9 * (double)t->tv_nsec;
}

GS_LIVE_RT static int on_process(jack_nframes_t n, void *arg) {
    live_app *a = arg;
    /* Wall time (jack_get_time: CLOCK_MONOTONIC through the vDSO) against the cycle's start and
     * the next one's, and the thread's CPU time (a system call, but one that never blocks): with
     * both, a missed deadline is either our DSP or the machine, see live_engine_account. */
    jack_nframes_t cf;
    jack_time_t cur = 0, next = 0;
    float per_us;
    int have_cycle = jack_get_cycle_times(a->client, &cf, &cur, &next, &per_us) == 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    jack_time_t t0 = jack_get_time();
    const float *in[LIVE_MAX_CH];
    float *out[LIVE_MAX_CH];
    for (int k = 0; k < a->n; k++) {
        in[k] = jack_port_get_buffer(a->in[k], n);
        out[k] = jack_port_get_buffer(a->out[k], n);
    }
    float *ml = jack_port_get_buffer(a->mon_l, n), *mr = jack_port_get_buffer(a->mon_r, n);
    live_engine_run(a->e, in, out, ml, mr, n, jack_last_frame_time(a->client));
    jack_time_t t1 = jack_get_time();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    live_period_time t;
    t.period = (double)n / (double)atomic_load(&a->rate);
    t.wall = t1 > t0 ? 1e-6 * (double)(t1 - t0) : 0.0;
    t.cpu = ts_s(&c1) - ts_s(&c0);
    t.late = have_cycle && t0 >= cur ? 1e-6 * (double)(t0 - cur) : -1.0;
    t.missed = have_cycle && next > cur && t1 > next;
    live_engine_account(a->e, &t);
    return 0;
}

static int on_xrun(void *arg) {
    live_app *a = arg;
    atomic_fetch_add(&a->xruns, 1);
    return 0;
}

static int on_rate(jack_nframes_t rate, void *arg) {
    live_app *a = arg;
    atomic_store(&a->rate, rate);
    return 0;
}

static int on_bufsize(jack_nframes_t n, void *arg) {
    live_app *a = arg;
    atomic_store(&a->bufsize, n);
    return 0;
}

/* Port latencies for the DAW's compensation: out_K lags in_K by the channel's latency (its
 * oversampling filters); the monitor ports report the largest. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg) {
    live_app *a = arg;
    uint32_t most = 0;
    jack_latency_range_t r;
    for (int k = 0; k < a->n; k++) {
        live_strip_ctl c;
        live_ctl_get(a->e, k, &c);
        if (c.latency > most) most = c.latency;
        if (mode == JackCaptureLatency) {
            jack_port_get_latency_range(a->in[k], mode, &r);
            r.min += c.latency;
            r.max += c.latency;
            jack_port_set_latency_range(a->out[k], mode, &r);
        } else {
            jack_port_get_latency_range(a->out[k], mode, &r);
            r.min += c.latency;
            r.max += c.latency;
            jack_port_set_latency_range(a->in[k], mode, &r);
        }
    }
    if (mode == JackCaptureLatency) {
        jack_latency_range_t in_r = {0, 0};
        for (int k = 0; k < a->n; k++) {
            jack_port_get_latency_range(a->in[k], mode, &r);
            if (r.max > in_r.max) in_r = r;
        }
        in_r.min += most;
        in_r.max += most;
        jack_port_set_latency_range(a->mon_l, mode, &in_r);
        jack_port_set_latency_range(a->mon_r, mode, &in_r);
    }
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg) {
    live_app *a = arg;
    (void)code;
    snprintf(a->shutdown_why, sizeof a->shutdown_why, "%s", reason ? reason : "");
    atomic_store(&a->shutdown, 1);
}

/* ---- recorder and session (also used by the OSC and terminal front ends) ------------------ */

/* Detach the recorder from the process thread and wait until it has let go. */
static int detach_rec(live_app *a) {
    live_engine_attach_rec(a->e, NULL);
    for (int i = 0; i < 500 && live_engine_rec(a->e) != NULL; i++) {
        if (atomic_load(&a->shutdown)) return 0; /* no process thread any more */
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    return live_engine_rec(a->e) == NULL || atomic_load(&a->shutdown) ? 0 : -1;
}

static int rec_stop_locked(live_app *a, int report) {
    if (!a->rec) return 0;
    if (detach_rec(a)) {
        cli_error("the process thread did not let go of the recorder; leaving it open");
        return -1;
    }
    live_rec_status s;
    live_rec_status_get(a->rec, &s);
    int rc = live_rec_stop(a->rec);
    a->rec = NULL;
    if (report)
        printf("live: recording %s stopped: %.2f s per channel, %llu periods dropped, %llu frames "
               "of xrun silence\n",
               s.take, s.seconds, (unsigned long long)s.dropped, (unsigned long long)s.gap_frames);
    return rc;
}

static int rec_start_locked(live_app *a, char *err, size_t esz) {
    if (a->rec) return 0;
    if (!a->rec_dir) {
        snprintf(err, esz, "no recording folder (start with --record DIR)");
        return -1;
    }
    const char *presets[2 * LIVE_MAX_CH];
    static live_strip_ctl c[LIVE_MAX_CH]; /* under rec_lock */
    live_rec_point point = live_engine_rec_point(a->e);
    int nfiles = point == LIVE_REC_BOTH ? 2 * a->n : a->n;
    for (int k = 0; k < a->n; k++) live_ctl_get(a->e, k, &c[k]);
    for (int f = 0; f < nfiles; f++) presets[f] = c[f % a->n].preset;
    double rate = live_engine_rate(a->e);
    a->rec = live_rec_start(a->rec_dir, nfiles, rate, a->rec_fmt, point, presets);
    if (!a->rec) {
        snprintf(err, esz, "cannot start recording in '%s'", a->rec_dir);
        return -1;
    }
    a->rec_rate = rate;
    a->rec_fail_reported = 0;
    live_engine_attach_rec(a->e, a->rec);
    live_rec_status s;
    live_rec_status_get(a->rec, &s);
    printf("live: recording %s (%s, %s)\n", s.take,
           live_rec_point_name(live_engine_rec_point(a->e)),
           a->rec_fmt == LIVE_FMT_FLAC ? "flac"
                                       : (a->rec_fmt == LIVE_FMT_WAV_S24 ? "wav-s24" : "wav-f32"));
    return 0;
}

int live_app_record(live_app *a, int on, char *err, size_t esz) {
    pthread_mutex_lock(&a->rec_lock);
    int rc = on ? rec_start_locked(a, err, esz) : rec_stop_locked(a, 1);
    if (rc && !on) snprintf(err, esz, "stopping the recording failed");
    pthread_mutex_unlock(&a->rec_lock);
    return rc;
}

static const char *fmt_str(live_rec_format f) {
    return f == LIVE_FMT_FLAC ? "flac" : (f == LIVE_FMT_WAV_S24 ? "wav-s24" : "wav-f32");
}

int live_app_save_session(live_app *a, char *err, size_t esz) {
    if (!a->session) {
        snprintf(err, esz, "no session file (start with --session FILE)");
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->session);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, esz, "cannot write '%s': %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "# gainstage live session (written by gainstage %s)\n", gs_version());
    fprintf(f, "inputs = %d\nin_dbu = %.17g\nout_dbu = %.17g\n", a->n, a->in_dbu, a->out_dbu);
    fprintf(f, "record_point = %s\nrecord_format = %s\n",
            live_rec_point_name(live_engine_rec_point(a->e)), fmt_str(a->rec_fmt));
    for (int k = 0; k < a->n; k++) {
        live_strip_ctl c;
        live_ctl_get(a->e, k, &c);
        fprintf(f, "ch.%d.preset = %s\nch.%d.level = %.17g\nch.%d.pan = %.17g\n", k + 1, c.preset,
                k + 1, c.level_db, k + 1, c.pan);
        fprintf(f, "ch.%d.mute = %d\nch.%d.solo = %d\n", k + 1, c.mute, k + 1, c.solo);
        for (size_t i = 0; i < c.model->n_params; i++)
            fprintf(f, "ch.%d.param.%s = %.17g\n", k + 1, c.model->params[i].symbol, c.param[i]);
    }
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, a->session) != 0) {
        snprintf(err, esz, "cannot save the session '%s': %s", a->session, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void live_app_quit(live_app *a) { atomic_store(&a->quit, 1); }

static double dbfs(float x) { return x > 1e-9f ? 20.0 * log10((double)x) : -180.0; }

void live_app_status(live_app *a, char *buf, size_t size) {
    size_t len = 0;
    pthread_mutex_lock(&a->rec_lock);
    len += (size_t)snprintf(buf + len, size - len,
                            "%u Hz, %u frames, load %.1f%% (max %.1f%%), "
                            "xruns %llu",
                            atomic_load(&a->rate), atomic_load(&a->bufsize),
                            a->load_n ? 100.0 * a->load_sum / (double)a->load_n : 0.0,
                            100.0 * a->load_max, (unsigned long long)atomic_load(&a->xruns));
    if (a->rec && len < size) {
        live_rec_status s;
        live_rec_status_get(a->rec, &s);
        len += (size_t)snprintf(buf + len, size - len, ", rec %.1f s%s (dropped %llu)", s.seconds,
                                s.failed ? " STOPPED" : "", (unsigned long long)s.dropped);
    }
    pthread_mutex_unlock(&a->rec_lock);
    for (int k = 0; k < a->n && len < size; k++) {
        const live_meter *m = live_engine_meter(a->e, k);
        len += (size_t)snprintf(buf + len, size - len, " | %d: %.1f dBFS", k + 1,
                                dbfs(atomic_load(&m->out_peak)));
    }
}

/* ---- session file -------------------------------------------------------------------------- */

typedef struct session_line {
    char key[128], val[LIVE_NAME];
} session_line;

/* Read "key = value" lines. Returns the count, -1 if the file does not exist, -2 on error. */
static int session_read(const char *path, session_line *lines, int max) {
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? -1 : -2;
    char line[512];
    int n = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *h = strchr(line, '#');
        if (h) *h = '\0';
        char key[128], val[LIVE_NAME];
        if (sscanf(line, " %127[^= \t] = %127[^\n]", key, val) == 2) {
            size_t l = strlen(val);
            while (l && (val[l - 1] == ' ' || val[l - 1] == '\t' || val[l - 1] == '\r'))
                val[--l] = '\0';
            if (n == max) break;
            snprintf(lines[n].key, sizeof lines[n].key, "%s", key);
            snprintf(lines[n].val, sizeof lines[n].val, "%s", val);
            n++;
        } else if (strspn(line, " \t\r\n") != strlen(line)) {
            cli_error("session '%s' line %d: expected 'key = value'", path, lineno);
            fclose(f);
            return -2;
        }
    }
    fclose(f);
    return n;
}

/* ---- options --------------------------------------------------------------------------------- */

enum {
    O_CONNECT = 256,
    O_RPOINT,
    O_RFORMAT,
    O_SERVER,
    O_NAME,
    O_OSCPORT,
    O_OSCBIND,
    O_INDBU,
    O_OUTDBU,
    O_STATUS,
    O_DURATION
};

typedef struct live_opts {
    int n, n_given;
    const char *preset;
    const char *chan_preset[LIVE_MAX_CH];
    int connect;
    const char *record, *session, *server, *name, *osc_port, *osc_bind;
    int point, point_given, fmt, fmt_given;
    double in_dbu, out_dbu;
    int in_given, out_given;
    double status_s, duration;
} live_opts;

static int parse_fmt(const char *s) {
    if (!strcmp(s, "wav-f32") || !strcmp(s, "wav")) return LIVE_FMT_WAV_F32;
    if (!strcmp(s, "wav-s24")) return LIVE_FMT_WAV_S24;
    if (!strcmp(s, "flac")) return LIVE_FMT_FLAC;
    return -1;
}

static int parse_point(const char *s) {
    if (!strcmp(s, "post")) return LIVE_REC_POST;
    if (!strcmp(s, "pre")) return LIVE_REC_PRE;
    if (!strcmp(s, "both")) return LIVE_REC_BOTH;
    return -1;
}

static int parse_opts(int argc, char **argv, live_opts *o) {
    static const struct option opts[] = {{"inputs", required_argument, 0, 'i'},
                                         {"preset", required_argument, 0, 'p'},
                                         {"channel", required_argument, 0, 'c'},
                                         {"record", required_argument, 0, 'r'},
                                         {"session", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {"connect", no_argument, 0, O_CONNECT},
                                         {"record-point", required_argument, 0, O_RPOINT},
                                         {"record-format", required_argument, 0, O_RFORMAT},
                                         {"server", required_argument, 0, O_SERVER},
                                         {"name", required_argument, 0, O_NAME},
                                         {"osc-port", required_argument, 0, O_OSCPORT},
                                         {"osc-bind", required_argument, 0, O_OSCBIND},
                                         {"in-dbu", required_argument, 0, O_INDBU},
                                         {"out-dbu", required_argument, 0, O_OUTDBU},
                                         {"status-interval", required_argument, 0, O_STATUS},
                                         {"duration", required_argument, 0, O_DURATION},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->n = 2;
    o->name = "gainstage";
    o->osc_port = DEFAULT_OSC_PORT;
    o->osc_bind = "127.0.0.1";
    o->in_dbu = GS_DEFAULT_IN_DBU;
    o->out_dbu = GS_DEFAULT_OUT_DBU;
    o->status_s = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    double v;
    while ((c = getopt_long(argc, argv, ":i:p:c:r:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (cli_parse_double(optarg, &v) || v < 1 || v > LIVE_MAX_CH || v != floor(v)) {
                cli_error("--inputs needs a whole number from 1 to %d, not '%s'", LIVE_MAX_CH,
                          optarg);
                return EXIT_USAGE;
            }
            o->n = (int)v;
            o->n_given = 1;
            break;
        case 'p': o->preset = optarg; break;
        case 'c': {
            char *colon = strchr(optarg, ':');
            int k = colon ? atoi(optarg) : 0;
            if (!colon || k < 1 || k > LIVE_MAX_CH || !colon[1]) {
                cli_error("--channel needs K:PRESET with K from 1 to %d, not '%s'", LIVE_MAX_CH,
                          optarg);
                return EXIT_USAGE;
            }
            o->chan_preset[k - 1] = colon + 1;
            break;
        }
        case 'r': o->record = optarg; break;
        case 's': o->session = optarg; break;
        case 'h': fputs(help_text, stdout); return -1;
        case O_CONNECT: o->connect = 1; break;
        case O_RPOINT:
            if ((o->point = parse_point(optarg)) < 0) {
                cli_error("--record-point must be post, pre or both, not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->point_given = 1;
            break;
        case O_RFORMAT:
            if ((o->fmt = parse_fmt(optarg)) < 0) {
                cli_error("--record-format must be wav-f32, wav-s24 or flac, not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->fmt_given = 1;
            break;
        case O_SERVER: o->server = optarg; break;
        case O_NAME: o->name = optarg; break;
        case O_OSCPORT: o->osc_port = optarg; break;
        case O_OSCBIND: o->osc_bind = optarg; break;
        case O_INDBU:
        case O_OUTDBU:
            if (cli_parse_double(optarg, &v) || v < -120.0 || v > 60.0) {
                cli_error("--%s needs a level in dBu from -120 to +60, not '%s'",
                          c == O_INDBU ? "in-dbu" : "out-dbu", optarg);
                return EXIT_USAGE;
            }
            if (c == O_INDBU) {
                o->in_dbu = v;
                o->in_given = 1;
            } else {
                o->out_dbu = v;
                o->out_given = 1;
            }
            break;
        case O_STATUS:
        case O_DURATION:
            if (cli_parse_double(optarg, &v) || !(v > 0) || v > 1e6) {
                cli_error("--%s needs a positive number of seconds, not '%s'",
                          c == O_STATUS ? "status-interval" : "duration", optarg);
                return EXIT_USAGE;
            }
            if (c == O_STATUS)
                o->status_s = v;
            else
                o->duration = v;
            break;
        case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("live: unknown option '%s' (see 'gainstage live --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("live takes no file names ('%s'); see 'gainstage live --help'", argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
}

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void connect_system(live_app *a) {
    const char **cap =
        jack_get_ports(a->client, "^system:capture_", NULL, JackPortIsPhysical | JackPortIsOutput);
    const char **play =
        jack_get_ports(a->client, "^system:playback_", NULL, JackPortIsPhysical | JackPortIsInput);
    int nc = 0, np = 0;
    for (int k = 0; cap && cap[k] && k < a->n; k++, nc++)
        if (jack_connect(a->client, cap[k], jack_port_name(a->in[k])))
            cli_error("cannot connect %s to %s", cap[k], jack_port_name(a->in[k]));
    if (play && play[0]) {
        jack_connect(a->client, jack_port_name(a->mon_l), play[0]);
        np++;
        if (play[1]) {
            jack_connect(a->client, jack_port_name(a->mon_r), play[1]);
            np++;
        }
    }
    printf("live: connected %d capture port%s and %d playback port%s\n", nc, nc == 1 ? "" : "s", np,
           np == 1 ? "" : "s");
    if (cap) jack_free(cap);
    if (play) jack_free(play);
}

int cmd_live(int argc, char **argv) {
    live_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Session first, so explicit options override it. */
    static session_line sess[LIVE_MAX_CH * (LIVE_MAX_PARAMS + 8) + 16];
    int nsess = 0;
    if (o.session) {
        nsess = session_read(o.session, sess, (int)(sizeof sess / sizeof sess[0]));
        if (nsess == -2) {
            cli_error("cannot read session '%s': %s", o.session, strerror(errno));
            return EXIT_RUNTIME;
        }
        if (nsess < 0) nsess = 0;
    }
    live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n = o.n;
    double in_dbu = o.in_dbu, out_dbu = o.out_dbu;
    int point = o.point, fmt = o.fmt;
    const char *sess_preset[LIVE_MAX_CH] = {0};
    for (int i = 0; i < nsess; i++) {
        const char *k = sess[i].key, *v = sess[i].val;
        int ch;
        char rest[128];
        if (!strcmp(k, "inputs") && !o.n_given)
            cfg.n = atoi(v);
        else if (!strcmp(k, "in_dbu") && !o.in_given)
            in_dbu = atof(v);
        else if (!strcmp(k, "out_dbu") && !o.out_given)
            out_dbu = atof(v);
        else if (!strcmp(k, "record_point") && !o.point_given)
            point = parse_point(v) < 0 ? LIVE_REC_POST : parse_point(v);
        else if (!strcmp(k, "record_format") && !o.fmt_given && parse_fmt(v) >= 0)
            fmt = parse_fmt(v);
        else if (sscanf(k, "ch.%d.%127s", &ch, rest) == 2 && ch >= 1 && ch <= LIVE_MAX_CH &&
                 !strcmp(rest, "preset"))
            sess_preset[ch - 1] = v;
    }
    if (cfg.n < 1 || cfg.n > LIVE_MAX_CH) {
        cli_error("session '%s': inputs must be 1 to %d", o.session, LIVE_MAX_CH);
        return EXIT_USAGE;
    }
    for (int k = 0; k < cfg.n; k++) {
        const char *p = o.chan_preset[k] ? o.chan_preset[k]
                        : o.preset       ? o.preset
                        : sess_preset[k] ? sess_preset[k]
                                         : "clean";
        snprintf(cfg.preset[k], sizeof cfg.preset[k], "%s", p);
    }
    for (int k = cfg.n; k < LIVE_MAX_CH; k++)
        if (o.chan_preset[k]) {
            cli_error("--channel %d: there are only %d inputs", k + 1, cfg.n);
            return EXIT_USAGE;
        }
    cfg.in_vpu = gs_dbu_to_volts_per_unit(in_dbu);
    cfg.out_vpu = gs_dbu_to_volts_per_unit(out_dbu);

    static live_app app; /* static: JACK's threads may outlive a stack frame on odd exits */
    live_app *a = &app;
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->rec_lock, NULL);
    a->n = cfg.n;
    a->rec_dir = o.record;
    a->rec_fmt = (live_rec_format)fmt;
    a->session = o.session;
    a->in_dbu = in_dbu;
    a->out_dbu = out_dbu;

    /* libjack explains a missing server in several lines of its own; our one line says it. */
    jack_set_error_function(jack_message);
    jack_set_info_function(jack_info);
    jack_status_t st;
    jack_options_t jo = JackNoStartServer | (o.server ? JackServerName : JackNullOption);
    a->client =
        o.server ? jack_client_open(o.name, jo, &st, o.server) : jack_client_open(o.name, jo, &st);
    if (!a->client) {
        cli_error("cannot connect to the JACK server%s%s%s (is it running? start it with e.g. "
                  "'jackd -d alsa' or use PipeWire's JACK support)",
                  o.server ? " '" : "", o.server ? o.server : "", o.server ? "'" : "");
        return EXIT_RUNTIME;
    }
    atomic_store(&jack_opened, 1);
    atomic_store(&a->rate, jack_get_sample_rate(a->client));
    atomic_store(&a->bufsize, jack_get_buffer_size(a->client));
    a->e = live_engine_new(&cfg, (double)atomic_load(&a->rate));
    if (!a->e) {
        jack_client_close(a->client);
        return EXIT_RUNTIME;
    }
    live_engine_set_rec_point(a->e, (live_rec_point)point);
    /* Restore the session's per-channel values (for channels whose preset was not overridden). */
    for (int i = 0; i < nsess; i++) {
        int ch;
        char rest[128], err[256] = "";
        if (sscanf(sess[i].key, "ch.%d.%127s", &ch, rest) != 2 || ch < 1 || ch > cfg.n) continue;
        int k = ch - 1, bad = 0;
        double v = atof(sess[i].val);
        if (!strcmp(rest, "level"))
            bad = live_ctl_level(a->e, k, v, err, sizeof err);
        else if (!strcmp(rest, "pan"))
            bad = live_ctl_pan(a->e, k, v, err, sizeof err);
        else if (!strcmp(rest, "mute"))
            bad = live_ctl_mute(a->e, k, v != 0);
        else if (!strcmp(rest, "solo"))
            bad = live_ctl_solo(a->e, k, v != 0);
        else if (!strncmp(rest, "param.", 6) && !o.chan_preset[k] && !o.preset)
            bad = live_ctl_param_value(a->e, k, rest + 6, v, err, sizeof err);
        if (bad) cli_error("session '%s': channel %d: %s", o.session, ch, err);
    }
    live_engine_settle(a->e);

    char name[64];
    for (int k = 0; k < a->n; k++) {
        snprintf(name, sizeof name, "in_%d", k + 1);
        a->in[k] = jack_port_register(a->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        snprintf(name, sizeof name, "out_%d", k + 1);
        a->out[k] =
            jack_port_register(a->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!a->in[k] || !a->out[k]) break;
    }
    a->mon_l =
        jack_port_register(a->client, "monitor_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    a->mon_r =
        jack_port_register(a->client, "monitor_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!a->mon_l || !a->mon_r || !a->in[a->n - 1] || !a->out[a->n - 1]) {
        cli_error("cannot register the JACK ports");
        jack_client_close(a->client);
        live_engine_free(a->e);
        return EXIT_RUNTIME;
    }
    jack_set_process_callback(a->client, on_process, a);
    jack_set_xrun_callback(a->client, on_xrun, a);
    jack_set_sample_rate_callback(a->client, on_rate, a);
    jack_set_buffer_size_callback(a->client, on_bufsize, a);
    jack_on_info_shutdown(a->client, on_shutdown, a);
    jack_set_latency_callback(a->client, on_latency, a);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit, write() fails with EFBIG instead */

    if (jack_activate(a->client)) {
        cli_error("cannot activate the JACK client");
        jack_client_close(a->client);
        live_engine_free(a->e);
        return EXIT_RUNTIME;
    }
    printf("live: client '%s' on JACK server '%s': %u Hz, %u frames, %d channel%s\n",
           jack_get_client_name(a->client), o.server ? o.server : "default", atomic_load(&a->rate),
           atomic_load(&a->bufsize), a->n, a->n == 1 ? "" : "s");
    if (o.connect) connect_system(a);
    int exit_code = 0;
    if (o.record) {
        char err[256];
        if (live_app_record(a, 1, err, sizeof err)) exit_code = EXIT_RUNTIME;
    }
    live_osc *osc = NULL;
    if (!exit_code && strcmp(o.osc_port, "off") != 0) {
        osc = live_osc_start(a->e, a, o.osc_bind, !strcmp(o.osc_port, "auto") ? "0" : o.osc_port);
        if (osc) printf("live: OSC on osc.udp://%s:%d/\n", o.osc_bind, live_osc_port(osc));
    }
    live_ui *ui = exit_code ? NULL : live_ui_start(a->e, a);

    double t_start = mono_now(), t_status = t_start;
    uint64_t last_lat = UINT64_MAX;
    while (!exit_code) {
        struct timespec ts = {0, 50000000L};
        nanosleep(&ts, NULL);
        live_engine_collect(a->e);
        live_load ld;
        live_engine_load(a->e, &ld);
        pthread_mutex_lock(&a->rec_lock); /* the OSC thread reads these for /gainstage/status */
        a->load_sum += ld.mean * (double)ld.n;
        a->cpu_sum += ld.cpu_mean * (double)ld.n;
        a->load_n += ld.n;
        if (ld.max > a->load_max) a->load_max = ld.max;
        if (ld.cpu_max > a->cpu_max) a->cpu_max = ld.cpu_max;
        if (ld.late_max > a->late_max) a->late_max = ld.late_max;
        pthread_mutex_unlock(&a->rec_lock);
        if (got_signal || atomic_load(&a->quit)) break;
        if (atomic_load(&a->shutdown)) {
            cli_error("the JACK server went away%s%s; stopping", a->shutdown_why[0] ? ": " : "",
                      a->shutdown_why);
            exit_code = EXIT_RUNTIME;
            break;
        }
        double rate = (double)atomic_load(&a->rate);
        if (rate != live_engine_rate(a->e)) {
            printf("live: the server changed to %.0f Hz: re-creating the channels\n", rate);
            if (live_ctl_rate(a->e, rate) == 0) {
                pthread_mutex_lock(&a->rec_lock);
                if (a->rec) { /* one file has one rate: next take */
                    char err[256];
                    rec_stop_locked(a, 1);
                    if (rec_start_locked(a, err, sizeof err)) cli_error("%s", err);
                }
                pthread_mutex_unlock(&a->rec_lock);
            }
        }
        /* A preset of another model may have changed a channel's latency: tell the DAW. */
        uint64_t lat_sum = 0;
        for (int k = 0; k < a->n; k++) {
            live_strip_ctl c;
            live_ctl_get(a->e, k, &c);
            lat_sum = lat_sum * 31 + c.latency;
        }
        if (lat_sum != last_lat) {
            if (last_lat != UINT64_MAX) jack_recompute_total_latencies(a->client);
            last_lat = lat_sum;
        }
        pthread_mutex_lock(&a->rec_lock);
        if (a->rec && !a->rec_fail_reported) {
            live_rec_status s;
            live_rec_status_get(a->rec, &s);
            if (s.failed) {
                cli_error("%s", s.msg);
                a->rec_fail_reported = 1;
                rec_stop_locked(a, 0);
            }
        }
        pthread_mutex_unlock(&a->rec_lock);
        double t = mono_now();
        if (o.duration > 0 && t - t_start >= o.duration) break;
        if (ui) {
            if (live_ui_tick(ui)) break;
        } else if (t - t_status >= o.status_s) {
            t_status = t;
            char line[4096];
            live_app_status(a, line, sizeof line);
            printf("live: %s\n", line);
        }
    }
    live_ui_stop(ui);
    live_osc_stop(osc);
    pthread_mutex_lock(&a->rec_lock);
    if (rec_stop_locked(a, 1)) exit_code = EXIT_RUNTIME;
    pthread_mutex_unlock(&a->rec_lock);
    if (o.session) {
        char err[512];
        if (live_app_save_session(a, err, sizeof err)) {
            cli_error("%s", err);
            exit_code = EXIT_RUNTIME;
        } else {
            printf("live: session saved to %s\n", o.session);
        }
    }
    /* The wall-time load is JACK's DSP load; the CPU-time load is the DSP's own cost. The late
     * periods say whether the xruns were ours (DSP) or the machine's (late start, stall). */
    live_miss_counts mc;
    live_engine_misses(a->e, &mc);
    double ln = a->load_n ? (double)a->load_n : 1.0;
    printf("live: stopped after %.1f s: %llu periods, xruns %llu, DSP load mean %.2f%% max "
           "%.2f%%, CPU mean %.2f%% max %.2f%%, latest start %.2f%%; late periods %llu (DSP "
           "%llu, started late %llu, stalled %llu)\n",
           mono_now() - t_start, (unsigned long long)live_engine_cycles(a->e),
           (unsigned long long)atomic_load(&a->xruns), 100.0 * a->load_sum / ln,
           100.0 * a->load_max, 100.0 * a->cpu_sum / ln, 100.0 * a->cpu_max, 100.0 * a->late_max,
           (unsigned long long)mc.missed, (unsigned long long)mc.dsp, (unsigned long long)mc.late,
           (unsigned long long)mc.stall);
    if (!atomic_load(&a->shutdown)) jack_deactivate(a->client);
    jack_client_close(a->client);
    live_engine_free(a->e);
    pthread_mutex_destroy(&a->rec_lock);
    return exit_code;
}
