/* gainstage live: the control-surface interface (the terminal view live/ui.c, status lines
 * live/status.c, OSC live/osc.c, the browser mixer
 * live/web.c).
 *
 * A surface shows the application's state and changes it only through app.h (live_app_*) and
 * the engine's live_ctl_* (which validate, mirror and queue every change for the process
 * thread). Another surface is one new file defining one live_frontend_iface.
 *
 * Threads: open, tick and close are called from the main thread; a surface may run threads of
 * its own (OSC does), which are control threads: never the process thread.
 */
#ifndef GS_LIVE_FRONTEND_H
#define GS_LIVE_FRONTEND_H

#include "app.h"

#include <stddef.h>

/* Each surface's state begins with this. */
typedef struct live_frontend {
    const struct live_frontend_iface *iface;
} live_frontend;

/* What the command line says about the surfaces; each takes its own fields. */
typedef struct live_frontend_opts {
    const char *osc_bind, *osc_port; /* OSC: address and UDP port ("0": any free one) */
    double status_interval;          /* status lines: seconds between two */
    const char *web_bind, *web_port; /* the browser mixer (web_port NULL: off; "0": any port) */
} live_frontend_opts;

typedef struct live_frontend_iface {
    const char *name;
    /* Start. NULL if the surface cannot run: with err filled on a failure, with err empty when
     * it does not apply here (the terminal view without a terminal). */
    live_frontend *(*open)(live_app *app, const live_frontend_opts *o, char *err, size_t esz);
    /* Every 50 ms: redraw, handle input. 1 when the user asked to quit. */
    int (*tick)(live_frontend *f);
    /* Stop and free (restores the terminal). NULL is fine. */
    void (*close)(live_frontend *f);
} live_frontend_iface;

extern const live_frontend_iface live_ui_frontend;     /* live/ui.c: meters and keys */
extern const live_frontend_iface live_status_frontend; /* live/status.c: a line each interval */
extern const live_frontend_iface live_osc_frontend;    /* live/osc.c: OSC over UDP */
extern const live_frontend_iface live_web_frontend;    /* live/web.c: the browser mixer */

static inline int live_frontend_tick(live_frontend *f) { return f ? f->iface->tick(f) : 0; }
static inline void live_frontend_close(live_frontend *f) {
    if (f) f->iface->close(f);
}

#endif
