/* gainstage live: the JACK back end (also PipeWire's JACK support).
 *
 * Every JACK call of the live system is here. The process callback hands the port buffers to
 * the client's process function and times it; the other JACK callbacks pass on what the server
 * says (rate, period, xruns, shutdown) and report the port latencies. Sample rate and period
 * size may change while running: the engine copes with any period, and the application swaps
 * in channels for a new rate.
 */
#include "backend.h"

#include <jack/jack.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct live_backend {
    const live_backend_client *c;
    jack_client_t *client;
    jack_port_t *in[LIVE_MAX_CH], *out[LIVE_MAX_CH], *mon_l, *mon_r;
    int n;
    const char *server;
    _Atomic uint32_t rate; /* for the period's duration in the process callback */
    atomic_int gone;       /* the server shut us down: no deactivate */
};

/* libjack's messages: dropped while connecting (a missing server is reported by us in one line),
 * afterwards passed on as "jack: ...". Its info messages are chatter. libjack's message hooks are
 * global, hence the one global client. */
static const live_backend_client *jb_msg_client;
static atomic_int jb_opened;
static void jb_message(const char *msg) {
    const live_backend_client *c = jb_msg_client;
    if (!atomic_load(&jb_opened) || !c || !c->log) return;
    char line[1024];
    snprintf(line, sizeof line, "jack: %s", msg);
    c->log(c->ctx, LIVE_ERROR, line);
}
static void jb_info(const char *msg) { (void)msg; }

static double ts_s(const struct timespec *t) {
    return (double)t->tv_sec + 1e-9 * (double)t->tv_nsec;
}

GS_LIVE_RT static int on_process(jack_nframes_t n, void *arg) {
    live_backend *b = arg;
    /* Wall time (jack_get_time: CLOCK_MONOTONIC through the vDSO) against the cycle's start and
     * the next one's, and the thread's CPU time (a system call, but one that never blocks): with
     * both, a missed deadline is either our DSP or the machine, see live_engine_account. */
    jack_nframes_t cf;
    jack_time_t cur = 0, next = 0;
    float per_us;
    int have_cycle = jack_get_cycle_times(b->client, &cf, &cur, &next, &per_us) == 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    jack_time_t t0 = jack_get_time();
    const float *in[LIVE_MAX_CH];
    float *out[LIVE_MAX_CH];
    for (int k = 0; k < b->n; k++) {
        in[k] = jack_port_get_buffer(b->in[k], n);
        out[k] = jack_port_get_buffer(b->out[k], n);
    }
    float *ml = jack_port_get_buffer(b->mon_l, n), *mr = jack_port_get_buffer(b->mon_r, n);
    b->c->process(b->c->ctx, in, out, ml, mr, n, jack_last_frame_time(b->client));
    jack_time_t t1 = jack_get_time();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    live_period_time t;
    t.period = (double)n / (double)atomic_load(&b->rate);
    t.wall = t1 > t0 ? 1e-6 * (double)(t1 - t0) : 0.0;
    t.cpu = ts_s(&c1) - ts_s(&c0);
    t.late = have_cycle && t0 >= cur ? 1e-6 * (double)(t0 - cur) : -1.0;
    t.missed = have_cycle && next > cur && t1 > next;
    b->c->timing(b->c->ctx, &t);
    return 0;
}

static int on_xrun(void *arg) {
    live_backend *b = arg;
    b->c->xrun(b->c->ctx);
    return 0;
}

static int on_rate(jack_nframes_t rate, void *arg) {
    live_backend *b = arg;
    atomic_store(&b->rate, rate);
    b->c->rate(b->c->ctx, rate);
    return 0;
}

static int on_bufsize(jack_nframes_t n, void *arg) {
    live_backend *b = arg;
    b->c->period(b->c->ctx, n);
    return 0;
}

/* Add `lat` to the latency of `from` and set it on `to`. */
static void pass_latency(jack_port_t *from, jack_port_t *to, jack_latency_callback_mode_t mode,
                         uint32_t lat) {
    jack_latency_range_t r;
    jack_port_get_latency_range(from, mode, &r);
    r.min += lat;
    r.max += lat;
    jack_port_set_latency_range(to, mode, &r);
}

/* Port latencies for the DAW's compensation: out_K lags in_K by the channel's latency (its
 * oversampling filters); the monitor ports report the largest. */
static void on_latency(jack_latency_callback_mode_t mode, void *arg) {
    live_backend *b = arg;
    uint32_t most = 0;
    for (int k = 0; k < b->n; k++) {
        uint32_t lat = b->c->latency(b->c->ctx, k);
        if (lat > most) most = lat;
        if (mode == JackCaptureLatency)
            pass_latency(b->in[k], b->out[k], mode, lat);
        else
            pass_latency(b->out[k], b->in[k], mode, lat);
    }
    if (mode == JackCaptureLatency) {
        jack_latency_range_t r, in_r = {0, 0};
        for (int k = 0; k < b->n; k++) {
            jack_port_get_latency_range(b->in[k], mode, &r);
            if (r.max > in_r.max) in_r = r;
        }
        in_r.min += most;
        in_r.max += most;
        jack_port_set_latency_range(b->mon_l, mode, &in_r);
        jack_port_set_latency_range(b->mon_r, mode, &in_r);
    }
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg) {
    live_backend *b = arg;
    (void)code;
    char why[320];
    snprintf(why, sizeof why, "the JACK server went away%s%s", reason && reason[0] ? ": " : "",
             reason ? reason : "");
    atomic_store(&b->gone, 1);
    b->c->gone(b->c->ctx, why);
}

static live_backend *jb_open(const live_backend_opts *o, const live_backend_client *c, char *err,
                             size_t esz) {
    live_backend *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, esz, "out of memory");
        return NULL;
    }
    b->c = c;
    b->server = o->server;
    /* libjack explains a missing server in several lines of its own; our one line says it. */
    jb_msg_client = c;
    jack_set_error_function(jb_message);
    jack_set_info_function(jb_info);
    jack_status_t st;
    jack_options_t jo = JackNoStartServer | (o->server ? JackServerName : JackNullOption);
    b->client = o->server ? jack_client_open(o->name, jo, &st, o->server)
                          : jack_client_open(o->name, jo, &st);
    if (!b->client) {
        snprintf(err, esz,
                 "cannot connect to the JACK server%s%s%s (is it running? start it with e.g. "
                 "'jackd -d alsa' or use PipeWire's JACK support)",
                 o->server ? " '" : "", o->server ? o->server : "", o->server ? "'" : "");
        free(b);
        return NULL;
    }
    atomic_store(&jb_opened, 1);
    atomic_store(&b->rate, jack_get_sample_rate(b->client));
    c->rate(c->ctx, atomic_load(&b->rate));
    c->period(c->ctx, jack_get_buffer_size(b->client));
    return b;
}

static int jb_ports(live_backend *b, int n, char *err, size_t esz) {
    char name[64];
    b->n = n;
    for (int k = 0; k < n; k++) {
        snprintf(name, sizeof name, "in_%d", k + 1);
        b->in[k] = jack_port_register(b->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        snprintf(name, sizeof name, "out_%d", k + 1);
        b->out[k] =
            jack_port_register(b->client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!b->in[k] || !b->out[k]) break;
    }
    b->mon_l =
        jack_port_register(b->client, "monitor_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    b->mon_r =
        jack_port_register(b->client, "monitor_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!b->mon_l || !b->mon_r || !b->in[n - 1] || !b->out[n - 1]) {
        snprintf(err, esz, "cannot register the JACK ports");
        return -1;
    }
    jack_set_process_callback(b->client, on_process, b);
    jack_set_xrun_callback(b->client, on_xrun, b);
    jack_set_sample_rate_callback(b->client, on_rate, b);
    jack_set_buffer_size_callback(b->client, on_bufsize, b);
    jack_on_info_shutdown(b->client, on_shutdown, b);
    jack_set_latency_callback(b->client, on_latency, b);
    return 0;
}

static void say(live_backend *b, live_level level, const char *msg) {
    if (b->c->log) b->c->log(b->c->ctx, level, msg);
}

static int jb_activate(live_backend *b, char *err, size_t esz) {
    if (jack_activate(b->client)) {
        snprintf(err, esz, "cannot activate the JACK client");
        return -1;
    }
    char line[512];
    snprintf(line, sizeof line, "client '%s' on JACK server '%s': %u Hz, %u frames, %d channel%s",
             jack_get_client_name(b->client), b->server ? b->server : "default",
             jack_get_sample_rate(b->client), jack_get_buffer_size(b->client), b->n,
             b->n == 1 ? "" : "s");
    say(b, LIVE_INFO, line);
    return 0;
}

static void jb_connect_system(live_backend *b) {
    const char **cap =
        jack_get_ports(b->client, "^system:capture_", NULL, JackPortIsPhysical | JackPortIsOutput);
    const char **play =
        jack_get_ports(b->client, "^system:playback_", NULL, JackPortIsPhysical | JackPortIsInput);
    int nc = 0, np = 0;
    char line[1024];
    for (int k = 0; cap && cap[k] && k < b->n; k++, nc++)
        if (jack_connect(b->client, cap[k], jack_port_name(b->in[k]))) {
            snprintf(line, sizeof line, "cannot connect %s to %s", cap[k],
                     jack_port_name(b->in[k]));
            say(b, LIVE_ERROR, line);
        }
    if (play && play[0]) {
        jack_connect(b->client, jack_port_name(b->mon_l), play[0]);
        np++;
        if (play[1]) {
            jack_connect(b->client, jack_port_name(b->mon_r), play[1]);
            np++;
        }
    }
    snprintf(line, sizeof line, "connected %d capture port%s and %d playback port%s", nc,
             nc == 1 ? "" : "s", np, np == 1 ? "" : "s");
    say(b, LIVE_INFO, line);
    if (cap) jack_free(cap);
    if (play) jack_free(play);
}

static void jb_latency_changed(live_backend *b) { jack_recompute_total_latencies(b->client); }

static void jb_close(live_backend *b) {
    if (!b) return;
    if (!atomic_load(&b->gone)) jack_deactivate(b->client);
    jack_client_close(b->client);
    /* libjack's message hooks outlive the client; the client callbacks may not. */
    atomic_store(&jb_opened, 0);
    jb_msg_client = NULL;
    free(b);
}

const live_backend_iface live_jack_backend = {
    .name = "jack",
    .open = jb_open,
    .ports = jb_ports,
    .activate = jb_activate,
    .connect_system = jb_connect_system,
    .latency_changed = jb_latency_changed,
    .close = jb_close,
};
