/* gainstage live: a JACK client that turns the machine into a multi-input preamp front end.
 *
 * The command only: options, then the wiring of the live system (live/): the session file's
 * settings under the options, the back end (live/jack.c behind live/backend.h), the engine, the
 * application (live/app.h: recorder, session, status, main loop) and the control surfaces
 * (live/frontend.h: terminal view or status lines, OSC). Messages of live/ come back as strings
 * and are printed here: "live: ..." on stdout, "gainstage: ..." on stderr.
 */
#include "commands.h"
#include "util.h"

#include "app.h"
#include "frontend.h"
#include "session.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_OSC_PORT "7770"

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

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
    "      --preset-dir DIR      a folder of preset files OSC and the session may name\n"
    "                            (repeatable; also the session file's folder and\n"
    "                            $XDG_DATA_HOME/gainstage/presets); other names than the\n"
    "                            built-in presets and FILE[.preset] in these are refused\n"
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
    "      --web [ADDR:]PORT     the browser mixer on http://ADDR:PORT/ (ADDR default 127.0.0.1;\n"
    "                            PORT 0: any free one); on any other address than the loopback\n"
    "                            only with the access token printed at start (?token=...)\n"
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
    "Exit status: 0 stopped normally, 1 runtime failure (no server, server went away), 2 usage\n"
    "(also an unknown preset, as in 'gainstage process').\n";

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
    O_DURATION,
    O_PRESETDIR,
    O_WEB
};

typedef struct live_opts {
    int n, n_given;
    const char *preset;
    const char *chan_preset[LIVE_MAX_CH];
    int connect;
    const char *record, *session, *server, *name, *osc_port, *osc_bind;
    const char *web_port; /* NULL: no browser mixer */
    char web_bind[256];
    int point, point_given, fmt, fmt_given;
    double in_dbu, out_dbu;
    int in_given, out_given;
    double status_s, duration;
    live_preset_dirs dirs;
} live_opts;

/* --web [ADDR:]PORT ("[v6]:PORT" too): 0, or EXIT_USAGE after a message. */
static int web_opt(const char *arg, live_opts *o) {
    const char *colon = strrchr(arg, ':');
    const char *port = colon ? colon + 1 : arg;
    size_t alen = colon ? (size_t)(colon - arg) : 0;
    if (alen >= 2 && arg[0] == '[' && arg[alen - 1] == ']') {
        arg++;
        alen -= 2;
    }
    char *end;
    long v = strtol(port, &end, 10);
    if (!*port || *end || v < 0 || v > 65535 || (colon && alen == 0) ||
        alen >= sizeof o->web_bind) {
        cli_error("--web needs [ADDR:]PORT with PORT from 0 to 65535, not '%s'", optarg);
        return EXIT_USAGE;
    }
    snprintf(o->web_bind, sizeof o->web_bind, "%.*s", (int)(colon ? alen : 9),
             colon ? arg : "127.0.0.1");
    o->web_port = port;
    return 0;
}

/* One option (getopt's c and optarg) into o: 0, -1 after --help, EXIT_USAGE after a message,
 * or 1 if c is none of ours. */
static int one_opt(int c, live_opts *o) {
    double v;
    switch (c) {
    case 'i':
        if (cli_parse_double(optarg, &v) || v < 1 || v > LIVE_MAX_CH || v != floor(v)) {
            cli_error("--inputs needs a whole number from 1 to %d, not '%s'", LIVE_MAX_CH, optarg);
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
        if ((o->point = live_rec_point_parse(optarg)) < 0) {
            cli_error("--record-point must be post, pre or both, not '%s'", optarg);
            return EXIT_USAGE;
        }
        o->point_given = 1;
        break;
    case O_RFORMAT:
        if ((o->fmt = live_rec_format_parse(optarg)) < 0) {
            cli_error("--record-format must be wav-f32, wav-s24 or flac, not '%s'", optarg);
            return EXIT_USAGE;
        }
        o->fmt_given = 1;
        break;
    case O_PRESETDIR:
        if (o->dirs.n >= LIVE_PRESET_DIRS - 2 || live_preset_dirs_add(&o->dirs, optarg)) {
            cli_error("--preset-dir: at most %d folders, of fewer than 4096 bytes",
                      LIVE_PRESET_DIRS - 2);
            return EXIT_USAGE;
        }
        break;
    case O_SERVER: o->server = optarg; break;
    case O_NAME: o->name = optarg; break;
    case O_OSCPORT: o->osc_port = optarg; break;
    case O_OSCBIND: o->osc_bind = optarg; break;
    case O_WEB: return web_opt(optarg, o);
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
    default: return 1;
    }
    return 0;
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
                                         {"preset-dir", required_argument, 0, O_PRESETDIR},
                                         {"web", required_argument, 0, O_WEB},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->n = 2;
    o->dirs.n = 0;
    o->name = "gainstage";
    o->osc_port = DEFAULT_OSC_PORT;
    o->osc_bind = "127.0.0.1";
    o->in_dbu = GS_DEFAULT_IN_DBU;
    o->out_dbu = GS_DEFAULT_OUT_DBU;
    o->status_s = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":i:p:c:r:s:h", opts, NULL)) != -1) {
        if (c == ':') {
            cli_error("option '%s' needs a value", argv[optind - 1]);
            return EXIT_USAGE;
        }
        int rc = one_opt(c, o);
        if (rc == 1) {
            cli_error("live: unknown option '%s' (see 'gainstage live --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
        if (rc) return rc;
    }
    if (optind < argc) {
        cli_error("live takes no file names ('%s'); see 'gainstage live --help'", argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
}

/* live/'s messages: outcomes as "live: ..." on stdout, problems as "gainstage: ..." on stderr. */
static void print_line(void *ctx, live_level level, const char *msg) {
    (void)ctx;
    if (level == LIVE_ERROR)
        cli_error("%s", msg);
    else
        printf("live: %s\n", msg);
}

/* The engine's configuration: options over the session file over the defaults. Returns 0 or an
 * exit status. */
static int make_config(const live_opts *o, const live_session *sess, live_config *cfg,
                       live_setup *st) {
    memset(st, 0, sizeof *st);
    st->n = o->n;
    st->in_dbu = o->in_dbu;
    st->out_dbu = o->out_dbu;
    st->point = (live_rec_point)o->point;
    st->fmt = (live_rec_format)o->fmt;
    live_setup_fixed fixed = {o->n_given, o->in_given, o->out_given, o->point_given, o->fmt_given};
    live_session_setup(sess, st, &fixed);
    memset(cfg, 0, sizeof *cfg);
    cfg->n = st->n;
    if (cfg->n < 1 || cfg->n > LIVE_MAX_CH) {
        cli_error("session '%s': inputs must be 1 to %d", o->session, LIVE_MAX_CH);
        return EXIT_USAGE;
    }
    for (int k = 0; k < cfg->n; k++) {
        const char *p = o->chan_preset[k] ? o->chan_preset[k]
                        : o->preset       ? o->preset
                        : st->preset[k]   ? st->preset[k]
                                          : "clean";
        snprintf(cfg->preset[k], sizeof cfg->preset[k], "%s", p);
        cfg->named[k] = !o->chan_preset[k] && !o->preset && st->preset[k];
    }
    cfg->dirs = o->dirs;
    live_preset_dirs_std(&cfg->dirs, o->session);
    /* A preset named on the command line is checked before any server is reached, with
     * 'process''s exit status: a name that does not exist is a usage error (2), a file that
     * cannot be read a runtime one (1). */
    for (int k = 0; k < cfg->n; k++) {
        if (cfg->named[k]) continue;
        char err[512];
        int usage = 0;
        gs_preset *p = live_preset_load_ex(cfg->preset[k], &usage, err, sizeof err);
        if (!p) {
            cli_error("%s", err);
            return usage ? EXIT_USAGE : EXIT_RUNTIME;
        }
        gs_preset_free(p);
    }
    for (int k = cfg->n; k < LIVE_MAX_CH; k++)
        if (o->chan_preset[k]) {
            cli_error("--channel %d: there are only %d inputs", k + 1, cfg->n);
            return EXIT_USAGE;
        }
    cfg->in_vpu = gs_dbu_to_volts_per_unit(st->in_dbu);
    cfg->out_vpu = gs_dbu_to_volts_per_unit(st->out_dbu);
    return 0;
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit, write() fails with EFBIG instead */
}

/* The engine on the back end's rate, with the session's per-channel values; NULL on failure
 * (printed). */
static live_engine *make_engine(const live_opts *o, const live_config *cfg, const live_setup *st,
                                const live_session *sess, live_app *a) {
    char err[512];
    live_engine *e = live_engine_new(cfg, (double)live_app_rate(a), err, sizeof err);
    if (!e) {
        cli_error("%s", err);
        return NULL;
    }
    live_engine_set_rec_point(e, st->point);
    /* Restore the session's per-channel values (the parameters only for channels whose preset
     * the command line did not set). */
    int keep[LIVE_MAX_CH];
    for (int k = 0; k < LIVE_MAX_CH; k++) keep[k] = !o->chan_preset[k] && !o->preset;
    live_session_apply(sess, e, keep, print_line, NULL);
    live_engine_settle(e);
    return e;
}

/* OSC (unless off) and the terminal view, or status lines where there is no terminal. */
static int open_surfaces(const live_opts *o, live_app *a, live_frontend **fe) {
    live_frontend_opts fo = {.osc_bind = o->osc_bind,
                             .osc_port = !strcmp(o->osc_port, "auto") ? "0" : o->osc_port,
                             .status_interval = o->status_s,
                             .web_bind = o->web_bind,
                             .web_port = o->web_port};
    char err[512];
    int n = 0;
    if (o->web_port) {
#ifdef GS_LIVE_WEB
        fe[n] = live_web_frontend.open(a, &fo, err, sizeof err);
        if (fe[n])
            n++;
        else
            cli_error("%s", err);
#else
        cli_error("--web: this gainstage was built without libwebsockets; no browser mixer");
#endif
    }
    if (strcmp(o->osc_port, "off") != 0) {
        fe[n] = live_osc_frontend.open(a, &fo, err, sizeof err);
        if (fe[n])
            n++;
        else
            cli_error("%s", err);
    }
    fe[n] = live_ui_frontend.open(a, &fo, err, sizeof err);
    if (!fe[n]) fe[n] = live_status_frontend.open(a, &fo, err, sizeof err);
    if (fe[n]) n++;
    return n;
}

/* From an open back end to the end of the run; returns the exit status. */
static int run(const live_opts *o, const live_backend_iface *be, live_backend *b, live_app *a,
               live_engine *e) {
    char err[512];
    if (be->ports(b, live_engine_channels(e), err, sizeof err) != 0) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    install_signals();
    /* A take asked for on the command line starts before the first period: it then holds every
     * sample the channels processed, so 'gainstage process' of its pre-preamp file gives its
     * post-preamp file bit for bit, even for circuits whose state moves on silence (a tube
     * supply's ripple); armed after activation, a few short periods would run before it. */
    if (o->record && live_app_record(a, 1, err, sizeof err)) {
        live_app_finish(a);
        return EXIT_RUNTIME;
    }
    if (be->activate(b, err, sizeof err) != 0) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    if (o->connect) be->connect_system(b);
    int exit_code = 0;
    live_frontend *fe[5] = {0};
    int nfe = exit_code ? 0 : open_surfaces(o, a, fe);
    if (!exit_code && live_app_run(a, fe, nfe, &got_signal)) exit_code = EXIT_RUNTIME;
    /* The terminal view first: the stop messages then land on a restored terminal. */
    for (int i = nfe - 1; i >= 0; i--) live_frontend_close(fe[i]);
    if (live_app_finish(a)) exit_code = EXIT_RUNTIME;
    return exit_code;
}

int cmd_live(int argc, char **argv) {
    live_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Session first, so explicit options override it. */
    live_session *sess = NULL;
    char err[4608];
    if (o.session && live_session_read(o.session, &sess, err, sizeof err)) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    live_config cfg;
    live_setup st;
    rc = make_config(&o, sess, &cfg, &st);
    live_app_config ac = {.rec_dir = o.record,
                          .rec_fmt = st.fmt,
                          .session = o.session,
                          .in_dbu = st.in_dbu,
                          .out_dbu = st.out_dbu,
                          .duration = o.duration,
                          .log = print_line};
    live_app *a = rc ? NULL : live_app_new(&ac);
    if (!rc && !a) {
        cli_error("out of memory");
        rc = EXIT_RUNTIME;
    }
    const live_backend_iface *be = &live_jack_backend;
    /* libjack reads $JACK_DEFAULT_SERVER itself; named here, the start-up line and the error
     * messages say which server it is rather than 'default'. */
    const char *env_server = getenv("JACK_DEFAULT_SERVER");
    if (!o.server && env_server && env_server[0]) o.server = env_server;
    live_backend_opts bo = {o.server, o.name};
    live_backend *b = a ? be->open(&bo, live_app_backend_client(a), err, sizeof err) : NULL;
    if (a && !b) {
        cli_error("%s", err);
        rc = EXIT_RUNTIME;
    }
    live_engine *e = b ? make_engine(&o, &cfg, &st, sess, a) : NULL;
    if (b && !e) rc = EXIT_RUNTIME;
    if (e) {
        live_app_attach(a, be, b, e);
        rc = run(&o, be, b, a, e);
    }
    if (b) be->close(b);
    live_engine_free(e);
    live_app_free(a);
    live_session_free(sess);
    return rc;
}
