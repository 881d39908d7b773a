/* gainstage live: OSC control over UDP.
 *
 * liblo parses and builds the messages; the socket is our own so it can be bound to one address
 * (127.0.0.1 by default: only programs on this machine can turn gains up). A thread receives,
 * dispatches through live_osc_dispatch() (oscmsg.c: the address, channel number and arguments are
 * checked there, and the engine's live_ctl_* validate and queue the change for the process
 * thread) and answers the sender (every datagram, a malformed one too): /gainstage/ok PATH after a
 * change, /gainstage/error PATH MESSAGE when a message is refused, and the reply of each query. The
 * address space is documented in doc/live.md.
 */
#include "frontend.h"
#include "oscmsg.h"

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
    uint32_t kernel_drops; /* the socket's SO_RXQ_OVFL count last seen */
    live_osc_stats stats;
    pthread_t th;
    atomic_int stop;
} live_osc;

/* The reply, serialised and sent; a reply that cannot be sent is counted as dropped. */
static void send_reply(live_osc *o, const live_osc_reply *r, const struct sockaddr *to,
                       socklen_t tolen) {
    lo_message m = lo_message_new();
    for (int i = 0; i < r->n; i++) {
        if (r->arg[i].type == 'f')
            lo_message_add_float(m, r->arg[i].f);
        else if (r->arg[i].type == 'i')
            lo_message_add_int32(m, r->arg[i].i);
        else
            lo_message_add_string(m, r->arg[i].s);
    }
    size_t size = 0;
    void *data = lo_message_serialise(m, r->path, NULL, &size);
    if (data && sendto(o->fd, data, size, 0, to, tolen) == (ssize_t)size)
        atomic_fetch_add(&o->stats.answered, 1);
    else
        atomic_fetch_add(&o->stats.dropped, 1);
    free(data);
    lo_message_free(m);
}

/* liblo's arguments as live_osc_arg (their pointers point into the message and need not be
 * aligned for lo_arg's 8-byte members: the bytes are copied out). */
static int message_args(lo_message m, live_osc_arg *av, int max) {
    int argc = lo_message_get_argc(m);
    if (argc > max) argc = max;
    const char *types = lo_message_get_types(m);
    lo_arg **argv = lo_message_get_argv(m);
    for (int i = 0; i < argc; i++) {
        const void *a = argv[i];
        float f;
        int32_t n;
        memset(&av[i], 0, sizeof av[i]);
        av[i].type = types[i];
        switch (types[i]) {
        case 'f':
            memcpy(&f, a, sizeof f);
            av[i].f = (double)f;
            break;
        case 'd': memcpy(&av[i].f, a, sizeof av[i].f); break;
        case 'i':
            memcpy(&n, a, sizeof n);
            av[i].i = n;
            break;
        case 'h': memcpy(&av[i].i, a, sizeof av[i].i); break;
        case 's':
        case 'S': av[i].s = (const char *)a; break;
        default: break;
        }
    }
    return argc;
}

/* The kernel's count of datagrams it dropped on this socket (SO_RXQ_OVFL), from a recvmsg's
 * control data: the increase since the last one is added to the dropped counter. */
static void count_kernel_drops(live_osc *o, struct msghdr *mh) {
#ifdef SO_RXQ_OVFL
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t n;
            memcpy(&n, CMSG_DATA(c), sizeof n);
            if (n != o->kernel_drops) {
                atomic_fetch_add(&o->stats.dropped, (uint32_t)(n - o->kernel_drops));
                o->kernel_drops = n;
            }
        }
    }
#else
    (void)o;
    (void)mh;
#endif
}

static void *osc_thread(void *arg) {
    live_osc *o = arg;
    static char buf[65536];
    static live_osc_reply reply;
    static live_osc_arg av[256];
    while (!atomic_load(&o->stop)) {
        struct pollfd p = {o->fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        struct sockaddr_storage from;
        union {
            char buf[CMSG_SPACE(sizeof(uint32_t))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {buf, sizeof buf - 1};
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof ctl.buf;
        ssize_t len = recvmsg(o->fd, &mh, 0);
        if (len < 0) continue;
        count_kernel_drops(o, &mh);
        atomic_fetch_add(&o->stats.received, 1);
        const struct sockaddr *to = (struct sockaddr *)&from;
        socklen_t tl = mh.msg_namelen;
        int res = 0;
        lo_message m =
            len > 0 && buf[0] == '/' ? lo_message_deserialise(buf, (size_t)len, &res) : NULL;
        char *path = m ? lo_get_path(buf, len) : NULL;
        if (!m || !path) {
            live_osc_reply_error(&reply, "",
                                 len > 0 && buf[0] == '#' ? "bundles are not accepted"
                                                          : "not an OSC message");
        } else {
            int argc = message_args(m, av, (int)(sizeof av / sizeof av[0]));
            if (argc < lo_message_get_argc(m))
                live_osc_reply_error(&reply, path, "too many arguments");
            else
                live_osc_dispatch(o->e, o->app, &o->stats, path, av, argc, &reply);
        }
        send_reply(o, &reply, to, tl);
        if (m) lo_message_free(m);
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
    /* A larger receive buffer (up to the system's limit) absorbs bursts; what still overflows it
     * is counted (SO_RXQ_OVFL), not lost silently. */
    int rcv = 1 << 20, one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
#ifdef SO_RXQ_OVFL
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
#else
    (void)one;
#endif
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
