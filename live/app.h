/* gainstage live: the application. It owns the recorder's start and stop, the session file, the
 * status line and the main loop, and connects a back end (backend.h) to the engine (live.h).
 * The control surfaces (frontend.h) call the live_app_* functions below.
 *
 * Threads: live_app_record, _save_session, _status and _quit may be called from any control
 * thread (the main thread, the OSC thread); the rest from the main thread only. The back-end
 * callbacks it supplies run in the back end's threads (process: real time).
 */
#ifndef GS_LIVE_APP_H
#define GS_LIVE_APP_H

#include "backend.h"
#include "live.h"

#include <signal.h>

typedef struct live_frontend live_frontend; /* frontend.h */

typedef struct live_app_config {
    const char *rec_dir; /* NULL: recording is off */
    live_rec_format rec_fmt;
    const char *session; /* NULL: no session file */
    double in_dbu, out_dbu;
    double duration; /* stop after this many seconds; 0: run until asked */
    live_log_fn log; /* every message the application has (it prints none itself) */
    void *log_ctx;
} live_app_config;

live_app *live_app_new(const live_app_config *c);
void live_app_free(live_app *a); /* NULL is fine */
/* The callbacks a back end is opened with (they feed the engine once it is attached). */
const live_backend_client *live_app_backend_client(live_app *a);
/* After the back end is open and the engine made: the back end's rate as reported at open. */
uint32_t live_app_rate(const live_app *a);
void live_app_attach(live_app *a, const live_backend_iface *be, live_backend *b, live_engine *e);
live_engine *live_app_engine(live_app *a);
void live_app_log(live_app *a, live_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For the surfaces. Each returns 0, or -1 with err filled. */
int live_app_record(live_app *a, int on, char *err, size_t esz);
/* The same, a take started named NAME (live_rec_take_name_ok; NULL or "": by the time). */
int live_app_record_named(live_app *a, int on, const char *name, char *err, size_t esz);
int live_app_save_session(live_app *a, char *err, size_t esz);
/* "48000 Hz, 256 frames, load ..., xruns N[, rec ...] | 1: -14.0 dBFS | ..." */
void live_app_status(live_app *a, char *buf, size_t size);
void live_app_quit(live_app *a);
/* The figures of the status line as numbers, for a surface that draws them (the browser mixer):
 * any control thread. */
typedef struct live_app_info {
    uint32_t rate, bufsize;
    double load_mean, load_max; /* fractions of a period, over the run */
    uint64_t xruns, late;       /* late: periods that missed their deadline */
    int recording;              /* a take is open */
    double rec_seconds;
    char take[256];
} live_app_info;
void live_app_info_get(live_app *a, live_app_info *out);

/* The main loop: every 50 ms, follow the back end (rate and latency changes, going away) and the
 * recorder (a failed disk), then tick the surfaces; until a surface or live_app_quit asks, the
 * duration is over, *interrupted is set (a signal) or the back end goes away. 0, or 1 if the back
 * end went away. */
int live_app_run(live_app *a, live_frontend *const *surfaces, int n,
                 volatile sig_atomic_t *interrupted);
/* Stop the recording, save the session, log the stop line. 0, or 1 if a recording could not
 * be finished or the session not saved. */
int live_app_finish(live_app *a);

#endif
