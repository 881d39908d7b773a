/* gainstage live: OSC control over UDP.
 *
 * liblo parses and builds the messages; the socket is our own so it can be bound to one address
 * (127.0.0.1 by default: only programs on this machine can turn gains up). A thread receives,
 * dispatches through the engine's live_ctl_* functions (which validate and queue the change for
 * the process thread) and answers the sender: /gainstage/ok PATH after a change,
 * /gainstage/error PATH MESSAGE when a message is refused, and the reply of each query.
 * The address space is documented in doc/live.md.
 */
#include "frontend.h"

#include <lo/lo.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct live_osc {
    live_frontend base;
    live_engine *e;
    live_app *app;
    int fd, port;
    pthread_t th;
    atomic_int stop;
} live_osc;

static double dbfs(float x) { return x > 1e-9f ? 20.0 * log10((double)x) : -180.0; }

static void send_msg(live_osc *o, lo_message m, const char *path, const struct sockaddr *to,
                     socklen_t tolen) {
    size_t size = 0;
    void *data = lo_message_serialise(m, path, NULL, &size);
    if (data) {
        sendto(o->fd, data, size, 0, to, tolen);
        free(data);
    }
    lo_message_free(m);
}

/* A number argument of any OSC numeric type (or a string such as "40dB"), as text. */
static int arg_text(lo_message m, int i, char *buf, size_t size) {
    if (i >= lo_message_get_argc(m)) return -1;
    char t = lo_message_get_types(m)[i];
    /* liblo's argument pointers point into the message and need not be aligned for lo_arg's
     * 8-byte members: copy the bytes out. */
    const void *a = lo_message_get_argv(m)[i];
    float f;
    double d;
    int32_t n;
    int64_t h;
    switch (t) {
    case 'f':
        memcpy(&f, a, sizeof f);
        snprintf(buf, size, "%.9g", (double)f);
        return 0;
    case 'd':
        memcpy(&d, a, sizeof d);
        snprintf(buf, size, "%.17g", d);
        return 0;
    case 'i':
        memcpy(&n, a, sizeof n);
        snprintf(buf, size, "%d", n);
        return 0;
    case 'h':
        memcpy(&h, a, sizeof h);
        snprintf(buf, size, "%lld", (long long)h);
        return 0;
    case 'T': snprintf(buf, size, "1"); return 0;
    case 'F': snprintf(buf, size, "0"); return 0;
    case 's':
    case 'S': snprintf(buf, size, "%s", (const char *)a); return 0;
    default: return -1;
    }
}

static int arg_num(lo_message m, int i, double *v) {
    char buf[128];
    if (arg_text(m, i, buf, sizeof buf)) return -1;
    char *end;
    *v = strtod(buf, &end);
    return end == buf || *end ? -1 : 0;
}

/* The sender of the message being handled. */
typedef struct peer {
    const struct sockaddr *addr;
    socklen_t len;
} peer;

/* A change of channel k's strip (`leaf` of /gainstage/ch/K/LEAF): 0, or -1 with err filled
 * (a refusal with err empty is answered "refused"). */
static int channel_change(live_osc *o, int k, const char *leaf, lo_message m, char *err,
                          size_t esz) {
    double v;
    char t[LIVE_NAME], sym[64];
    if (!strcmp(leaf, "gain")) {
        if (arg_text(m, 0, t, sizeof t)) {
            snprintf(err, esz, "gain needs a value in dB");
            return -1;
        }
        int bad = live_ctl_param(o->e, k, "gain", t, err, esz);
        return bad || err[0] ? -1 : 0;
    }
    if (!strcmp(leaf, "param")) {
        if (arg_text(m, 0, sym, sizeof sym) || arg_text(m, 1, t, sizeof t)) {
            snprintf(err, esz, "param needs a symbol and a value");
            return -1;
        }
        return live_ctl_param(o->e, k, sym, t, err, esz);
    }
    if (!strcmp(leaf, "mute") || !strcmp(leaf, "solo")) {
        if (arg_num(m, 0, &v)) {
            snprintf(err, esz, "%s needs 0 or 1", leaf);
            return -1;
        }
        return leaf[0] == 'm' ? live_ctl_mute(o->e, k, v != 0) : live_ctl_solo(o->e, k, v != 0);
    }
    if (!strcmp(leaf, "level") || !strcmp(leaf, "pan")) {
        if (arg_num(m, 0, &v)) {
            snprintf(err, esz, "%s needs a number", leaf);
            return -1;
        }
        return leaf[0] == 'l' ? live_ctl_level(o->e, k, v, err, esz)
                              : live_ctl_pan(o->e, k, v, err, esz);
    }
    if (!strcmp(leaf, "preset")) {
        if (arg_text(m, 0, t, sizeof t)) {
            snprintf(err, esz, "preset needs a name");
            return -1;
        }
        return live_ctl_preset(o->e, k, t, err, esz);
    }
    snprintf(err, esz, "unknown address (see doc/live.md)");
    return -1;
}

/* The queries of channel k: answered here (1), or 0 if `leaf` is not one. */
static int channel_query(live_osc *o, int k, const char *leaf, const char *path, peer to) {
    if (!strcmp(leaf, "meter")) {
        const live_meter *mt = live_engine_meter(o->e, k);
        lo_message r = lo_message_new();
        lo_message_add_float(r, (float)dbfs(atomic_load(&mt->in_peak)));
        lo_message_add_float(r, (float)dbfs(atomic_load(&mt->out_peak)));
        lo_message_add_float(r, (float)dbfs(atomic_load(&mt->out_rms)));
        lo_message_add_int32(r, (int32_t)atomic_load(&mt->in_clips));
        lo_message_add_int32(r, (int32_t)atomic_load(&mt->out_clips));
        send_msg(o, r, path, to.addr, to.len);
        return 1;
    }
    if (!strcmp(leaf, "get")) {
        live_strip_ctl c;
        live_ctl_get(o->e, k, &c);
        double gain = NAN;
        for (size_t i = 0; i < c.model->n_params; i++)
            if (!strcmp(c.model->params[i].symbol, "gain")) gain = c.param[i];
        lo_message r = lo_message_new();
        lo_message_add_string(r, c.preset);
        lo_message_add_float(r, (float)gain);
        lo_message_add_float(r, (float)c.level_db);
        lo_message_add_float(r, (float)c.pan);
        lo_message_add_int32(r, c.mute);
        lo_message_add_int32(r, c.solo);
        send_msg(o, r, path, to.addr, to.len);
        return 1;
    }
    return 0;
}

/* The global queries: answered here (1), or 0 if `path` is not one. */
static int global_query(live_osc *o, const char *path, peer to) {
    if (!strcmp(path, "/gainstage/meters")) {
        lo_message r = lo_message_new();
        for (int c = 0; c < live_engine_channels(o->e); c++)
            lo_message_add_float(r,
                                 (float)dbfs(atomic_load(&live_engine_meter(o->e, c)->out_peak)));
        float l, rr;
        live_engine_monitor_peak(o->e, &l, &rr);
        lo_message_add_float(r, (float)dbfs(l));
        lo_message_add_float(r, (float)dbfs(rr));
        send_msg(o, r, path, to.addr, to.len);
        return 1;
    }
    if (!strcmp(path, "/gainstage/status")) {
        char line[4096];
        live_app_status(o->app, line, sizeof line);
        lo_message r = lo_message_new();
        lo_message_add_string(r, line);
        send_msg(o, r, path, to.addr, to.len);
        return 1;
    }
    return 0;
}

/* The application's commands: 0, or -1 with err filled. */
static int global_change(live_osc *o, const char *path, lo_message m, char *err, size_t esz) {
    double v;
    if (!strcmp(path, "/gainstage/record")) {
        if (arg_num(m, 0, &v)) {
            snprintf(err, esz, "record needs 0 or 1");
            return -1;
        }
        return live_app_record(o->app, v != 0, err, esz);
    }
    if (!strcmp(path, "/gainstage/session/save")) return live_app_save_session(o->app, err, esz);
    if (!strcmp(path, "/gainstage/quit")) {
        live_app_quit(o->app);
        return 0;
    }
    snprintf(err, esz, "unknown address (see doc/live.md)");
    return -1;
}

/* One message: a query is answered with its reply, a change with /gainstage/ok PATH or
 * /gainstage/error PATH MESSAGE. */
static void handle(live_osc *o, const char *path, lo_message m, const struct sockaddr *from,
                   socklen_t fromlen) {
    peer to = {from, fromlen};
    char err[512] = "", leaf[64] = "";
    int k = 0, n = 0, bad;
    if (sscanf(path, "/gainstage/ch/%d/%63s%n", &k, leaf, &n) == 2 && path[n] == '\0') {
        k -= 1;
        if (k < 0 || k >= live_engine_channels(o->e)) {
            snprintf(err, sizeof err, "no channel %d (there are %d)", k + 1,
                     live_engine_channels(o->e));
            bad = 1;
        } else {
            if (channel_query(o, k, leaf, path, to)) return;
            bad = channel_change(o, k, leaf, m, err, sizeof err) != 0;
        }
    } else {
        if (global_query(o, path, to)) return;
        bad = global_change(o, path, m, err, sizeof err) != 0;
    }
    lo_message r = lo_message_new();
    lo_message_add_string(r, path);
    if (bad) {
        lo_message_add_string(r, err[0] ? err : "refused");
        send_msg(o, r, "/gainstage/error", from, fromlen);
    } else {
        send_msg(o, r, "/gainstage/ok", from, fromlen);
    }
}

static void *osc_thread(void *arg) {
    live_osc *o = arg;
    static char buf[65536];
    while (!atomic_load(&o->stop)) {
        struct pollfd p = {o->fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t len = recvfrom(o->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (len <= 0) continue;
        if (buf[0] != '/') continue; /* bundles are not accepted */
        int res = 0;
        lo_message m = lo_message_deserialise(buf, (size_t)len, &res);
        if (!m) continue;
        char *path = lo_get_path(buf, len);
        if (path) handle(o, path, m, (struct sockaddr *)&from, fl);
        lo_message_free(m);
    }
    return NULL;
}

/* The socket, bound; -1 with err filled. *port_out: the port it got (for "auto"). */
static int osc_socket(const char *bind_addr, const char *port, int *port_out, char *err,
                      size_t esz) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(bind_addr, port, &hints, &res);
    if (gai) {
        snprintf(err, esz, "OSC: cannot use address %s port %s: %s; OSC is off", bind_addr, port,
                 gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        snprintf(err, esz, "OSC: cannot listen on %s:%s: %s; OSC is off", bind_addr, port,
                 strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static live_frontend *osc_open(live_app *app, const live_frontend_opts *opts, char *err,
                               size_t esz) {
    int port = 0;
    int fd = osc_socket(opts->osc_bind, opts->osc_port, &port, err, esz);
    if (fd < 0) return NULL;
    live_osc *o = calloc(1, sizeof *o);
    if (!o) {
        close(fd);
        snprintf(err, esz, "OSC: out of memory; OSC is off");
        return NULL;
    }
    o->base.iface = &live_osc_frontend;
    o->e = live_app_engine(app);
    o->app = app;
    o->fd = fd;
    o->port = port;
    if (pthread_create(&o->th, NULL, osc_thread, o) != 0) {
        close(fd);
        free(o);
        snprintf(err, esz, "OSC: cannot start its thread; OSC is off");
        return NULL;
    }
    live_app_log(app, LIVE_INFO, "OSC on osc.udp://%s:%d/", opts->osc_bind, o->port);
    return &o->base;
}

/* OSC runs in its own thread: nothing to do in the main loop. */
static int osc_tick(live_frontend *f) {
    (void)f;
    return 0;
}

static void osc_close(live_frontend *f) {
    live_osc *o = (live_osc *)f;
    if (!o) return;
    atomic_store(&o->stop, 1);
    pthread_join(o->th, NULL);
    close(o->fd);
    free(o);
}

const live_frontend_iface live_osc_frontend = {
    .name = "OSC",
    .open = osc_open,
    .tick = osc_tick,
    .close = osc_close,
};
