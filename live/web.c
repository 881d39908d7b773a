/* gainstage live: the browser mixer (--web [ADDR:]PORT), over libwebsockets.
 *
 * One thread runs the libwebsockets service loop: it serves the page compiled in from live/web/
 * (web_files.h: a request can name only those files, nothing on disk) and one WebSocket
 * protocol, "gainstage". Every 50 ms it builds one state message (meters pre and post the preamp,
 * every strip's controls, load, xruns, late periods, the recording) and sends it to every
 * client. A client's message is an OSC message written as JSON, {"path": "/gainstage/ch/1/mute",
 * "args": [1]}, dispatched by live_osc_dispatch() exactly as a datagram from OSC: the same
 * checks, the same live_ctl_* / live_app_* calls, the same replies (as JSON), so the page, OSC
 * and the terminal view cannot disagree. This thread is a control thread: it never touches the
 * process thread's state except through those calls and the published meters.
 *
 * Access: bound to 127.0.0.1 unless told otherwise. On any other address every request, HTTP or
 * WebSocket, must carry ?token=T (printed at start, 128 random bits); without it HTTP gets 403
 * and the socket's handshake is refused. A WebSocket whose Origin is not this server is refused
 * too (a page elsewhere in the user's browser must not drive the mixer).
 */
#include "frontend.h"
#include "oscmsg.h"
#include "web_files.h"

#include <jansson.h>
#include <libwebsockets.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEB_RX_MAX 4096   /* a control message is a few dozen bytes: larger ones are refused */
#define WEB_MSG_MAX 65536 /* the state message of 64 channels fits */
#define WEB_TICK_US (50 * LWS_US_PER_MS)
#define WEB_ARGS 8

typedef struct web_client {
    struct web_client *next;
    struct lws *wsi;
    unsigned gen; /* the last state sent */
    int hello;    /* the start message is still to be sent */
    size_t rx_len;
    char rx[WEB_RX_MAX + 1];
    size_t reply_len; /* a reply waiting to be sent (0: none); input paused meanwhile */
    unsigned char reply[LWS_PRE + 16384];
} web_client;

typedef struct web_http {
    const live_web_file *file;
    size_t sent;
} web_http;

typedef struct live_web {
    live_frontend base;
    live_app *app;
    live_engine *e;
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
    pthread_t th;
    atomic_int stop;
    int need_token;
    char token[33];
    web_client *clients;
    unsigned gen;
    size_t state_len;
    unsigned char state[LWS_PRE + WEB_MSG_MAX];
    live_osc_stats stats;
} live_web;

static live_web *web_of(struct lws *wsi) {
    return (live_web *)lws_context_user(lws_get_context(wsi));
}

/* ---- access --------------------------------------------------------------------------------- */

/* Equal without telling by the time taken how much of the token was right. */
static int token_equal(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++) diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

/* The token from the request's Cookie header ("gstoken=T", set by the first page request that
 * carried ?token=T), so the page's own .css and .js and a reload need no token in their URL. */
static int cookie_token_ok(live_web *w, struct lws *wsi) {
    char cookie[1024];
    if (lws_hdr_copy(wsi, cookie, sizeof cookie, WSI_TOKEN_HTTP_COOKIE) <= 0) return 0;
    for (char *save = NULL, *c = strtok_r(cookie, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
        while (*c == ' ') c++;
        if (!strncmp(c, "gstoken=", 8) && token_equal(c + 8, w->token)) return 1;
    }
    return 0;
}

static int token_ok(live_web *w, struct lws *wsi) {
    if (!w->need_token) return 1;
    char buf[128];
    const char *v = lws_get_urlarg_by_name(wsi, "token=", buf, (int)sizeof buf);
    return (v && token_equal(v, w->token)) || cookie_token_ok(w, wsi);
}

/* A browser sends the page's origin: it must name this server (the Host header). Clients that
 * are not browsers send none. */
static int origin_ok(struct lws *wsi) {
    char origin[256], host[256];
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0) return 1;
    if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) return 0;
    const char *o = strstr(origin, "://");
    return o && !strcmp(o + 3, host);
}

static int make_token(char *out, size_t size) {
    unsigned char raw[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t got = read(fd, raw, sizeof raw);
    close(fd);
    if (got != (ssize_t)sizeof raw || size < 2 * sizeof raw + 1) return -1;
    for (size_t i = 0; i < sizeof raw; i++) snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* ---- HTTP: the page ----------------------------------------------------------------------- */

static const live_web_file *find_file(const char *uri) {
    if (!strcmp(uri, "/")) uri = "/index.html";
    for (const live_web_file *f = live_web_files; f->path; f++)
        if (!strcmp(f->path, uri)) return f;
    return NULL;
}

static int http_refuse(struct lws *wsi, unsigned status) {
    if (lws_return_http_status(wsi, status, NULL)) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_headers(live_web *w, struct lws *wsi, const live_web_file *f) {
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    static const char nosniff[] = "nosniff", nostore[] = "no-store";
    char cookie[128];
    snprintf(cookie, sizeof cookie, "gstoken=%s; Path=/; HttpOnly; SameSite=Strict", w->token);
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, f->type, f->size, &p, end) ||
        (w->need_token && lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:",
                                                      (const unsigned char *)cookie,
                                                      (int)strlen(cookie), &p, end)) ||
        lws_add_http_header_by_name(
            wsi, (const unsigned char *)"x-content-type-options:", (const unsigned char *)nosniff,
            (int)strlen(nosniff), &p, end) ||
        lws_add_http_header_by_name(
            wsi, (const unsigned char *)"cache-control:", (const unsigned char *)nostore,
            (int)strlen(nostore), &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* One chunk of the file each time the socket can take it. */
static int http_body(struct lws *wsi, web_http *h) {
    unsigned char buf[LWS_PRE + 4096];
    size_t n = h->file->size - h->sent;
    if (n > sizeof buf - LWS_PRE) n = sizeof buf - LWS_PRE;
    memcpy(buf + LWS_PRE, h->file->data + h->sent, n);
    h->sent += n;
    int last = h->sent == h->file->size;
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    if (last) return lws_http_transaction_completed(wsi) ? -1 : 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len) {
    web_http *h = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        live_web *w = web_of(wsi);
        if (!token_ok(w, wsi)) return http_refuse(wsi, HTTP_STATUS_FORBIDDEN);
        const live_web_file *f = in ? find_file(in) : NULL;
        if (!f) return http_refuse(wsi, HTTP_STATUS_NOT_FOUND);
        h->file = f;
        h->sent = 0;
        return http_headers(w, wsi, f);
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: return h && h->file ? http_body(wsi, h) : 0;
    default: return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- the state message -------------------------------------------------------------------- */

static json_t *strip_json(live_web *w, int k) {
    live_strip_ctl c;
    live_ctl_get(w->e, k, &c);
    const live_meter *m = live_engine_meter(w->e, k);
    json_t *s =
        json_pack("{s:s, s:f, s:f, s:b, s:b, s:f, s:f, s:I, s:I, s:I}", "preset", c.preset, "level",
                  c.level_db, "pan", c.pan, "mute", c.mute, "solo", c.solo, "pre",
                  (double)atomic_load(&m->in_peak), "post", (double)atomic_load(&m->out_peak),
                  "cpre", (json_int_t)atomic_load(&m->in_clips), "cpost",
                  (json_int_t)atomic_load(&m->out_clips), "latency", (json_int_t)c.latency);
    for (size_t i = 0; s && c.model && i < c.model->n_params; i++) {
        const gs_param_info *p = &c.model->params[i];
        if (strcmp(p->symbol, "gain")) continue;
        json_object_set_new(s, "gain", json_real(c.param[i]));
        json_object_set_new(s, "gmin", json_real(p->min));
        json_object_set_new(s, "gmax", json_real(p->max));
    }
    return s;
}

static json_t *state_json(live_web *w) {
    live_app_info in;
    live_app_info_get(w->app, &in);
    float l, r;
    live_engine_monitor_peak(w->e, &l, &r);
    json_t *ch = json_array();
    for (int k = 0; k < live_engine_channels(w->e); k++)
        json_array_append_new(ch, strip_json(w, k));
    return json_pack("{s:s, s:o, s:[f,f], s:f, s:i, s:i, s:f, s:f, s:I, s:I, s:{s:b, s:s, s:f}}",
                     "t", "state", "ch", ch, "mon", (double)l, (double)r, "master",
                     live_ctl_master_get(w->e), "rate", (int)in.rate, "period", (int)in.bufsize,
                     "load", in.load_mean, "loadmax", in.load_max, "xruns", (json_int_t)in.xruns,
                     "late", (json_int_t)in.late, "rec", "on", in.recording, "take", in.take,
                     "seconds", in.rec_seconds);
}

/* Serialised into buf after LWS_PRE; the length, or 0 if it does not fit. */
static size_t dump_into(json_t *j, unsigned char *buf, size_t size) {
    if (!j) return 0;
    size_t n = json_dumpb(j, (char *)buf + LWS_PRE, size - LWS_PRE, JSON_COMPACT);
    json_decref(j);
    return n <= size - LWS_PRE ? n : 0;
}

/* Every 50 ms: a new state for every client. */
static void on_tick(lws_sorted_usec_list_t *sul) {
    live_web *w = lws_container_of(sul, live_web, sul);
    w->state_len = dump_into(state_json(w), w->state, sizeof w->state);
    w->gen++;
    for (web_client *c = w->clients; c; c = c->next) lws_callback_on_writable(c->wsi);
    lws_sul_schedule(w->ctx, 0, &w->sul, on_tick, WEB_TICK_US);
}

static size_t hello_json(live_web *w, unsigned char *buf, size_t size) {
    json_t *names = json_array();
    for (size_t i = 0; i < gs_preset_count(); i++)
        json_array_append_new(names, json_string(gs_preset_name(gs_preset_at(i))));
    return dump_into(json_pack("{s:s, s:i, s:o, s:b}", "t", "hello", "channels",
                               live_engine_channels(w->e), "presets", names, "token",
                               w->need_token),
                     buf, size);
}

/* ---- a client's messages -------------------------------------------------------------------- */

/* JSON values as OSC arguments: integers 'i', other numbers 'd', strings 's', true/false 'T'/'F';
 * anything else gets a type the dispatcher refuses. */
static int json_args(json_t *args, live_osc_arg *av) {
    size_t i;
    json_t *v;
    json_array_foreach(args, i, v) {
        memset(&av[i], 0, sizeof av[i]);
        if (json_is_integer(v)) {
            av[i].type = 'i';
            av[i].i = json_integer_value(v);
        } else if (json_is_real(v)) {
            av[i].type = 'd';
            av[i].f = json_real_value(v);
        } else if (json_is_string(v)) {
            av[i].type = 's';
            av[i].s = json_string_value(v);
        } else if (json_is_boolean(v)) {
            av[i].type = json_is_true(v) ? 'T' : 'F';
        } else {
            av[i].type = '?';
        }
    }
    return (int)json_array_size(args);
}

static json_t *reply_json(const live_osc_reply *r) {
    json_t *args = json_array();
    for (int i = 0; i < r->n; i++)
        json_array_append_new(args, r->arg[i].type == 'f'   ? json_real((double)r->arg[i].f)
                                    : r->arg[i].type == 'i' ? json_integer(r->arg[i].i)
                                                            : json_string(r->arg[i].s));
    return json_pack("{s:s, s:s, s:o}", "t", "reply", "path", r->path, "args", args);
}

/* One complete message: dispatched as OSC, the reply queued for the client. */
static void handle_message(live_web *w, web_client *c) {
    static live_osc_reply reply; /* this thread only */
    live_osc_arg av[WEB_ARGS];
    json_error_t jerr;
    c->rx[c->rx_len] = 0;
    json_t *j = json_loadb(c->rx, c->rx_len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *path = j ? json_object_get(j, "path") : NULL;
    json_t *args = j ? json_object_get(j, "args") : NULL;
    atomic_fetch_add(&w->stats.received, 1);
    if (!j || !json_is_object(j))
        live_osc_reply_error(&reply, "", "not a JSON object");
    else if (!json_is_string(path) || (args && !json_is_array(args)))
        live_osc_reply_error(&reply, "", "needs {\"path\": \"/gainstage/...\", \"args\": [...]}");
    else if (args && json_array_size(args) > WEB_ARGS)
        live_osc_reply_error(&reply, json_string_value(path), "too many arguments");
    else
        live_osc_dispatch(w->e, w->app, &w->stats, json_string_value(path), av,
                          args ? json_args(args, av) : 0, &reply);
    c->reply_len = dump_into(reply_json(&reply), c->reply, sizeof c->reply);
    json_decref(j);
    if (c->reply_len) {
        lws_rx_flow_control(c->wsi, 0); /* one reply waiting at a time */
        lws_callback_on_writable(c->wsi);
    }
}

static int ws_receive(struct lws *wsi, web_client *c, const void *in, size_t len) {
    if (lws_frame_is_binary(wsi) || c->rx_len + len > WEB_RX_MAX) {
        static const char why[] = "control messages are JSON text of at most 4096 bytes";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why,
                         sizeof why - 1);
        return -1;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        handle_message(web_of(wsi), c);
        c->rx_len = 0;
    }
    return 0;
}

static int ws_send(live_web *w, struct lws *wsi, web_client *c) {
    unsigned char hello[LWS_PRE + 8192];
    if (c->hello) {
        size_t n = hello_json(w, hello, sizeof hello);
        c->hello = 0;
        if (n && lws_write(wsi, hello + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) return -1;
    } else if (c->reply_len) {
        size_t n = c->reply_len;
        c->reply_len = 0;
        if (lws_write(wsi, c->reply + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) return -1;
        atomic_fetch_add(&w->stats.answered, 1);
        lws_rx_flow_control(wsi, 1);
    } else if (c->gen != w->gen && w->state_len) {
        c->gen = w->gen;
        if (lws_write(wsi, w->state + LWS_PRE, w->state_len, LWS_WRITE_TEXT) < (int)w->state_len)
            return -1;
        return 0;
    } else {
        return 0;
    }
    lws_callback_on_writable(wsi); /* the state may be waiting behind it */
    return 0;
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len) {
    web_client *c = user;
    live_web *w = web_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return !token_ok(w, wsi) || !origin_ok(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->hello = 1;
        c->next = w->clients;
        w->clients = c;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLOSED:
        for (web_client **p = &w->clients; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                break;
            }
        return 0;
    case LWS_CALLBACK_RECEIVE: return ws_receive(wsi, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE: return ws_send(w, wsi, c);
    default: return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"http", cb_http, sizeof(web_http), 0, 0, NULL, 0},
    {"gainstage", cb_ws, sizeof(web_client), WEB_RX_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

/* ---- the surface ---------------------------------------------------------------------------- */

static void *web_thread(void *arg) {
    live_web *w = arg;
    lws_sul_schedule(w->ctx, 0, &w->sul, on_tick, WEB_TICK_US);
    while (!atomic_load(&w->stop))
        if (lws_service(w->ctx, 0) < 0) break;
    return NULL;
}

static int is_loopback(const char *addr) {
    return !strcmp(addr, "127.0.0.1") || !strcmp(addr, "::1") || !strcmp(addr, "localhost");
}

static void lws_quiet(int level, const char *line) {
    (void)level;
    (void)line;
}

static struct lws_context *web_context(live_web *w, const char *bind_addr, int port) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = bind_addr;
    info.protocols = protocols;
    info.user = w;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(bind_addr, ':') == NULL) |
                   LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.timeout_secs = 20;
    lws_set_log_level(LLL_ERR, lws_quiet);
    return lws_create_context(&info);
}

static live_frontend *web_open(live_app *app, const live_frontend_opts *o, char *err, size_t esz) {
    if (!o->web_port) return NULL; /* not asked for */
    live_web *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, esz, "web: out of memory; the browser mixer is off");
        return NULL;
    }
    w->base.iface = &live_web_frontend;
    w->app = app;
    w->e = live_app_engine(app);
    w->need_token = !is_loopback(o->web_bind);
    if (w->need_token && make_token(w->token, sizeof w->token)) {
        snprintf(err, esz, "web: no random token (/dev/urandom: %s); the mixer is off",
                 strerror(errno));
        free(w);
        return NULL;
    }
    w->ctx = web_context(w, o->web_bind, atoi(o->web_port));
    int port = w->ctx ? lws_get_vhost_listen_port(lws_get_vhost_by_name(w->ctx, "default")) : 0;
    if (!w->ctx || pthread_create(&w->th, NULL, web_thread, w) != 0) {
        snprintf(err, esz, "web: cannot listen on %s:%s; the browser mixer is off", o->web_bind,
                 o->web_port);
        if (w->ctx) lws_context_destroy(w->ctx);
        free(w);
        return NULL;
    }
    const char *fmt = strchr(o->web_bind, ':') ? "http://[%s]:%d/%s%s" : "http://%s:%d/%s%s";
    char url[512];
    snprintf(url, sizeof url, fmt, o->web_bind, port, w->need_token ? "?token=" : "", w->token);
    live_app_log(app, LIVE_INFO, "browser mixer on %s", url);
    return &w->base;
}

/* The mixer runs in its own thread: nothing to do in the main loop. */
static int web_tick(live_frontend *f) {
    (void)f;
    return 0;
}

static void web_close(live_frontend *f) {
    live_web *w = (live_web *)f;
    if (!w) return;
    atomic_store(&w->stop, 1);
    lws_cancel_service(w->ctx);
    pthread_join(w->th, NULL);
    lws_context_destroy(w->ctx);
    free(w);
}

const live_frontend_iface live_web_frontend = {
    .name = "web",
    .open = web_open,
    .tick = web_tick,
    .close = web_close,
};
