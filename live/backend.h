/* gainstage live: the audio back end interface (JACK today: live/jack.c).
 *
 * A back end connects to an audio system, registers in_1..in_N, out_1..out_N, monitor_L/R,
 * runs the process callback in its real-time thread and reports what the audio system does
 * (rate and period changes, xruns, going away) through the client callbacks below. It knows
 * nothing of the engine: the application (app.c) fills the callbacks. Another back end
 * (PortAudio, ALSA, a file player for tests) is one new file defining one live_backend_iface.
 *
 * Threads: `process` and `timing` run in the back end's real-time thread (GS_LIVE_RT: no
 * allocation, locks, blocking or I/O); the other callbacks may run in any of its other threads;
 * the interface functions are called from the main thread only.
 */
#ifndef GS_LIVE_BACKEND_H
#define GS_LIVE_BACKEND_H

#include "live.h"

#include <stddef.h>
#include <stdint.h>

typedef struct live_backend live_backend; /* each back end's own */

/* What the back end calls. */
typedef struct live_backend_client {
    void *ctx;
    /* One period: in[k], out[k] for each channel, the monitor pair, nframes (any), and the audio
     * system's frame clock at the period's first sample (the recorder's time line). */
    GS_LIVE_RT void (*process)(void *ctx, const float *const *in, float *const *out, float *mon_l,
                               float *mon_r, uint32_t nframes, uint32_t frame_time);
    /* How long that period took (see live_period_time). */
    GS_LIVE_RT void (*timing)(void *ctx, const live_period_time *t);
    void (*rate)(void *ctx, uint32_t hz);       /* the sample rate, at open and on a change */
    void (*period)(void *ctx, uint32_t frames); /* the period size, likewise */
    void (*xrun)(void *ctx);
    /* The audio system went away: no more periods. `why` is a whole sentence ("the JACK server
     * went away: ..."). */
    void (*gone)(void *ctx, const char *why);
    /* Samples by which out_k lags in_k (the channel's latency), for the port latencies. */
    uint32_t (*latency)(void *ctx, int k);
    /* Messages of the back end and its library (LIVE_INFO lines such as the connection report,
     * LIVE_ERROR for problems that stop nothing). */
    live_log_fn log;
} live_backend_client;

typedef struct live_backend_opts {
    const char *server; /* NULL: the audio system's default */
    const char *name;   /* client name */
} live_backend_opts;

typedef struct live_backend_iface {
    const char *name;
    /* Connect (no ports yet, not running). Calls client->rate and client->period before it
     * returns. NULL with err filled on failure. `client` must outlive the back end. */
    live_backend *(*open)(const live_backend_opts *o, const live_backend_client *client, char *err,
                          size_t esz);
    /* Register the ports of n channels and the monitor pair. 0, or -1 with err filled. */
    int (*ports)(live_backend *b, int n, char *err, size_t esz);
    /* Start calling process; logs one line saying where it runs. 0, or -1 with err filled. */
    int (*activate)(live_backend *b, char *err, size_t esz);
    /* Connect the system's capture ports to in_K and the monitor pair to its first two playback
     * ports (logs what it did). */
    void (*connect_system)(live_backend *b);
    /* A channel's latency changed: report the port latencies again. */
    void (*latency_changed)(live_backend *b);
    /* Stop (if still running) and disconnect. NULL is fine. */
    void (*close)(live_backend *b);
} live_backend_iface;

extern const live_backend_iface live_jack_backend; /* live/jack.c */

#endif
