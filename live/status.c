/* gainstage live: status lines, the surface when there is no terminal (a service, a test, a
 * pipe): "live: 48000 Hz, 256 frames, load ..., xruns N | 1: -14.0 dBFS | ..." every
 * --status-interval seconds, through the application's log. */
#include "frontend.h"

#include <stdlib.h>
#include <time.h>

typedef struct live_status {
    live_frontend base;
    live_app *app;
    double interval, last;
} live_status;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static live_frontend *status_open(live_app *app, const live_frontend_opts *o, char *err,
                                  size_t esz) {
    if (err && esz) err[0] = '\0';
    live_status *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->base.iface = &live_status_frontend;
    s->app = app;
    s->interval = o->status_interval > 0 ? o->status_interval : 1.0;
    s->last = now_s();
    return &s->base;
}

static int status_tick(live_frontend *f) {
    live_status *s = (live_status *)f;
    double t = now_s();
    if (t - s->last < s->interval) return 0;
    s->last = t;
    char line[4096];
    live_app_status(s->app, line, sizeof line);
    live_app_log(s->app, LIVE_INFO, "%s", line);
    return 0;
}

static void status_close(live_frontend *f) { free(f); }

const live_frontend_iface live_status_frontend = {
    .name = "status lines",
    .open = status_open,
    .tick = status_tick,
    .close = status_close,
};
