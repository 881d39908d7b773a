/* gainstage live: the live system (gainstage live, gainstage recover), a static library.
 *
 * What live/ owns: the mixer engine (engine.c, links no JACK: its queues are ring.h), the recorder
 * and 'recover' (rec.c, recover.c), the session file (session.c), the application (app.c: the
 * recorder's start and stop, sessions, status, the main loop), the audio back ends behind
 * backend.h (jack.c) and the control surfaces behind frontend.h (ui.c, status.c, osc.c).
 * What it may call: the library (gainstage.h), common/ (atomic writes), libsndfile, and in the
 * back-end/surface library only, JACK and liblo. Never cli/: errors come back as strings (err,
 * esz) or through a live_log_fn, and the command prints them.
 * Libraries (meson): gslive_core (engine, ring, recorder, recover, session, presets, app,
 * terminal view, status lines; no JACK, no liblo: the engine's test and bench link only this)
 * and gslive (jack.c, osc.c) over it.
 *
 * Threads and who owns what:
 * - the back end's process thread (real time) runs live_engine_run(): it owns the channel objects
 *   and the monitor-mix state, and takes commands from a lock-free single-consumer queue;
 * - control threads (the main loop with the terminal view or status lines, the OSC thread)
 *   change parameters only through live_ctl_*(): these validate, update a mirror of the setup
 *   (used by displays, OSC queries and the session file) and post a command. The producers
 *   serialise among themselves with a mutex; the real-time side never takes it; the recorder
 *   and session commands go through live_app_* (app.h), serialised by the application's lock;
 * - the main thread alone frees what the process thread hands back (live_engine_collect),
 *   follows rate changes (live_ctl_rate) and talks to the back end;
 * - the disk thread (rec.c) drains a second single-producer/single-consumer ring fed by the
 *   process thread and writes the files.
 * Functions marked GS_LIVE_RT run in the process thread: no allocation, locks, blocking or I/O.
 */
#ifndef GS_LIVE_H
#define GS_LIVE_H

#include <gainstage/gainstage.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#ifndef GS_LIVE_RT
#define GS_LIVE_RT /* runs in the process thread */
#endif

#define LIVE_MAX_CH 64
/* Channels are created for this block length; longer JACK periods are processed in chunks, so
 * any buffer size (and changes of it while running) works without re-creating anything. */
#define LIVE_CHUNK 1024u
/* Parameters of one channel: a strip's are all its blocks' (the built-in strips have up to 52). */
#define LIVE_MAX_PARAMS 128
/* A preset name or a chain text (a strip's: GS_STRIP_MAX_BLOCKS blocks of up to 72 characters). */
#define LIVE_NAME 1200
/* Meter window: peaks and RMS are published every 1/LIVE_METER_HZ s. */
#define LIVE_METER_HZ 20.0

/* Recording tap: after the preamp, before it (the converter input as JACK delivers it: a DI track
 * for re-amping later), or both (2N files). */
typedef enum { LIVE_REC_POST = 0, LIVE_REC_PRE, LIVE_REC_BOTH } live_rec_point;
const char *live_rec_point_name(live_rec_point p);
int live_rec_point_parse(const char *s); /* "post", "pre", "both"; -1 for anything else */

/* Messages that are not the answer to a call (the recorder, 'recover', the back end's library):
 * live/ never prints them itself; the application's log function does. */
typedef enum { LIVE_INFO = 0, LIVE_ERROR } live_level;
typedef void (*live_log_fn)(void *ctx, live_level level, const char *msg);

/* A preset by built-in name, or from a file if the name is a path (contains '/' or ends in
 * ".preset") or no built-in has that name (the file's name without folders and extension is the
 * preset's), or a strip from a chain text (live_preset_is_chain: no file of that name exists).
 * NULL with err filled on failure. Freed with gs_preset_free (a no-op for built-ins). */
gs_preset *live_preset_load(const char *name_or_path, char *err, size_t esz);
/* The same; *usage tells a wrong name or file content (1) from a system failure (0: cannot
 * open or read, out of memory), for the command's exit status. */
gs_preset *live_preset_load_ex(const char *name_or_path, int *usage, char *err, size_t esz);
/* The preset folders a control surface (OSC, the terminal view) or a session may name presets
 * from: --preset-dir DIR, the session file's folder, $XDG_DATA_HOME/gainstage/presets (default
 * ~/.local/share/gainstage/presets). */
#define LIVE_PRESET_DIRS 8
typedef struct live_preset_dirs {
    int n;
    char dir[LIVE_PRESET_DIRS][4096];
} live_preset_dirs;
/* Add a folder: 0, or -1 if there are LIVE_PRESET_DIRS already or the name is too long. */
int live_preset_dirs_add(live_preset_dirs *d, const char *dir);
/* Add the session file's folder (session_path may be NULL) and the XDG data folder. */
void live_preset_dirs_std(live_preset_dirs *d, const char *session_path);
/* A text that names a chain rather than a preset: it has '|', '=' or a space, or it is a
 * model's name (a one-block strip). 1 or 0. */
int live_preset_is_chain(const char *text);
/* A name a surface or a session may use: not empty, shorter than LIVE_NAME, no '/', '\\',
 * "..", '#', '=', control characters, leading '.' or space, trailing space (1), else 0. */
int live_preset_name_ok(const char *name);
/* A preset named by a surface or a session: a built-in, a chain text (live_preset_is_chain: it
 * reads no file), or NAME (or NAME.preset) directly in one
 * of the folders, a regular file (opened with O_NOFOLLOW | O_NONBLOCK, never through a symlink,
 * at most 64 KiB). Anything else is refused with one line that quotes no file content and does
 * not tell whether a file exists outside the folders. NULL with err filled. */
gs_preset *live_preset_named(const live_preset_dirs *d, const char *name, char *err, size_t esz);
/* A value a session or sidecar line can hold as it is (gs_kv: one pair a line, '#' starts a
 * comment, values trimmed): not empty, no control characters (newline) or '#', no leading or
 * trailing space. 1 or 0. */
int live_kv_value_ok(const char *s);
/* A whole text file, NUL-terminated, in memory from malloc; NULL with errno set. */
char *live_file_text(const char *path);

/* Published meters of one strip (written by the process thread only). Linear sample values. */
typedef struct live_meter {
    _Atomic float in_peak, out_peak, out_rms; /* of the last complete window */
    _Atomic uint32_t in_clips, out_clips;     /* samples at or above full scale, ever */
} live_meter;

/* The control-side mirror of one channel strip. */
typedef struct live_strip_ctl {
    char preset[LIVE_NAME]; /* the preset's name or the chain text, as the user gave it */
    /* The registry's model, or for a strip its table ("block.symbol" symbols): owned by the
     * engine and valid until live_engine_free (a snapshot may outlive a preset change). */
    const gs_model_info *model;
    double param[LIVE_MAX_PARAMS];
    double level_db; /* monitor level, dB; <= LIVE_LEVEL_OFF is off */
    double pan;      /* -1 left .. +1 right, constant power */
    int mute, solo;
    uint32_t latency; /* of the channel instance, samples (oversampling filters) */
} live_strip_ctl;

#define LIVE_LEVEL_OFF -90.0
#define LIVE_LEVEL_MAX 12.0
/* The monitor master (the gain of the stereo monitor bus, after the channels' levels, pans,
 * mutes and solos, before the monitor meters): the same range as a channel's level, -90 dB (and
 * anything below it) is off (silence), at most +12 dB; 0 dB, the default, leaves the mix as it is.
 * It never touches the direct outputs or the recording. */
#define LIVE_MASTER_OFF LIVE_LEVEL_OFF
#define LIVE_MASTER_MAX LIVE_LEVEL_MAX

typedef struct live_engine live_engine;
typedef struct live_rec live_rec;

/* ----- engine (engine.c) ----------------------------------------------------------------- */
typedef struct live_config {
    int n; /* channels */
    char preset[LIVE_MAX_CH][LIVE_NAME];
    double in_vpu, out_vpu; /* volts per unit sample at input and output */
    /* 1: preset[k] came from a session, not the command line: a name in `dirs` only
     * (live_preset_named), as every preset a control surface names later. */
    unsigned char named[LIVE_MAX_CH];
    live_preset_dirs dirs; /* copied into the engine */
} live_config;

/* Create the engine: n channels at `rate`, each with its preset. NULL with err filled on failure.
 */
live_engine *live_engine_new(const live_config *cfg, double rate, char *err, size_t esz);
void live_engine_free(live_engine *e);
int live_engine_channels(const live_engine *e);
double live_engine_rate(const live_engine *e);

/* One period: in[c], out[c] for each channel, the monitor pair, nframes, and the period's JACK
 * frame time (for the recorder). Any nframes works. */
GS_LIVE_RT void live_engine_run(live_engine *e, const float *const *in, float *const *out,
                                float *mon_l, float *mon_r, uint32_t nframes, uint32_t frame_time);

/* Control side (any non-RT thread). Each returns 0 or prints nothing and fills err. */
int live_ctl_param(live_engine *e, int k, const char *symbol, const char *text, char *err,
                   size_t esz);
int live_ctl_param_value(live_engine *e, int k, const char *symbol, double v, char *err,
                         size_t esz);
/* A preset by name (live_preset_named: a built-in or a file in the configured preset folders). */
int live_ctl_preset(live_engine *e, int k, const char *name, char *err, size_t esz);
int live_ctl_level(live_engine *e, int k, double db, char *err, size_t esz);
int live_ctl_pan(live_engine *e, int k, double pan, char *err, size_t esz);
int live_ctl_mute(live_engine *e, int k, int on);
int live_ctl_solo(live_engine *e, int k, int on);
/* The monitor master in dB: at most LIVE_MASTER_MAX, finite; below LIVE_MASTER_OFF it is off
 * (stored as LIVE_MASTER_OFF). Glides over the next period like the channel levels. */
int live_ctl_master(live_engine *e, double db, char *err, size_t esz);
/* The monitor master as last set (dB; LIVE_MASTER_OFF is off). */
double live_ctl_master_get(live_engine *e);
/* A consistent copy of strip k's control state. */
void live_ctl_get(live_engine *e, int k, live_strip_ctl *out);
/* Rebuild every channel at a new sample rate (off the RT thread) and swap them in. */
int live_ctl_rate(live_engine *e, double rate, char *err, size_t esz);
/* Free channels the process thread has swapped out. Call from the main loop. */
void live_engine_collect(live_engine *e);
const live_meter *live_engine_meter(const live_engine *e, int k);
/* Monitor bus meters (peak of the last window). */
void live_engine_monitor_peak(const live_engine *e, float *l, float *r);
/* One period as the JACK back end timed it. An xrun can come from us (the callback needs more
 * than a period of CPU) or from outside (we were woken late, or stalled while running: other
 * processes, a virtual machine's CPU not being scheduled); these times tell which. */
typedef struct live_period_time {
    double period; /* duration of the period, s */
    double wall;   /* callback entry to exit, s (what the deadline depends on) */
    double cpu;    /* thread CPU time of the callback, s (the DSP's own cost) */
    double late;   /* callback entry after the cycle's start, s (-1: unknown) */
    int missed;    /* the callback ended after the next cycle's start */
} live_period_time;
/* Where the missed deadlines came from (totals since the start). */
typedef struct live_miss_counts {
    uint64_t missed; /* periods whose callback ended after the next cycle had started */
    uint64_t dsp;    /* of those: CPU time alone above the period (the DSP is too slow) */
    uint64_t late;   /* started so late that the CPU time no longer fitted */
    uint64_t stall;  /* started in time but stalled while running (wall time >> CPU time) */
} live_miss_counts;
/* Since the last call, as fractions of the period: mean and maximum of the wall time (the DSP
 * load as JACK sees it) and of the CPU time, the latest start, and n periods. Resets them. */
typedef struct live_load {
    double mean, max, cpu_mean, cpu_max, late_max;
    uint64_t n;
} live_load;
void live_engine_load(live_engine *e, live_load *l);
void live_engine_misses(const live_engine *e, live_miss_counts *m);
/* Before activation only: apply queued commands now and settle every channel at its values. */
void live_engine_settle(live_engine *e);
GS_LIVE_RT void live_engine_account(live_engine *e, const live_period_time *t);
uint64_t live_engine_cycles(const live_engine *e);
/* Recorder attachment: the engine feeds `rec` while it is attached. */
void live_engine_attach_rec(live_engine *e, live_rec *rec);
live_rec *live_engine_rec(live_engine *e);
void live_engine_set_rec_point(live_engine *e, live_rec_point p);
live_rec_point live_engine_rec_point(const live_engine *e);

/* ----- recorder (rec.c) ------------------------------------------------------------------ */
typedef enum { LIVE_FMT_WAV_F32 = 0, LIVE_FMT_WAV_S24, LIVE_FMT_FLAC } live_rec_format;
const char *live_rec_format_name(live_rec_format f); /* "wav-f32", "wav-s24", "flac" */
int live_rec_format_parse(const char *s);            /* those (and "wav"); -1 for anything else */

/* Create a take in `dir`: one mono file per channel plus a sidecar "<take>.take" (with
 * LIVE_REC_BOTH, nch is twice the channel count: the pre files first, then the post files).
 * Starts the disk thread. NULL with err filled on failure. */
live_rec *live_rec_start(const char *dir, int nch, double rate, live_rec_format fmt,
                         live_rec_point point, const char *const *presets, char *err, size_t esz);
/* Stop: the caller has detached the recorder from the engine first. Drains, finalises headers
 * and the sidecar, joins the thread. Returns 0 if every file was closed cleanly. */
int live_rec_stop(live_rec *r);
/* live_rec_start with the take named NAME (files NAME-chNN.wav, NAME.take; NAME-2... if taken)
 * rather than by the time; NULL or "" for the time. NAME: live_rec_take_name_ok. */
#define LIVE_TAKE_NAME 64
int live_rec_take_name_ok(const char *name);
live_rec *live_rec_start_named(const char *dir, const char *name, int nch, double rate,
                               live_rec_format fmt, live_rec_point point,
                               const char *const *presets, char *err, size_t esz);
/* Process thread side: write one period (planar, nch blocks of n floats). */
GS_LIVE_RT void live_rec_push(live_rec *r, const float *const *bufs, uint32_t n,
                              uint32_t frame_time);
/* Status for displays. failed: the disk thread stopped (message in msg). */
typedef struct live_rec_status {
    double seconds;      /* audio written per channel */
    uint64_t dropped;    /* periods the ring could not take (disk too slow) */
    uint64_t gap_frames; /* frames of silence written for periods JACK skipped */
    int failed;
    char msg[512];
    char take[4400];
} live_rec_status;
void live_rec_status_get(live_rec *r, live_rec_status *s);
/* Control side: log one change made during the take ("T ch.K.SYMBOL VALUE", T in seconds from
 * the take's start) as a "param.N = ..." sidecar line; at most LIVE_REC_MAX_NOTES a take. 0, or
 * -1 when the log is full. live_rec_note_flush rewrites the sidecar with them (not real-time). */
#define LIVE_REC_MAX_NOTES 100000
int live_rec_note(live_rec *r, const char *text);
int live_rec_note_flush(live_rec *r);

/* 'gainstage recover DIR' (recover.c): repair the takes in `dir` whose sidecar still says
 * "status = recording". Every file's outcome goes to `log`. 0 if all were repaired (or none was
 * open), 1 if one could not be, -1 if the folder cannot be read. */
int live_recover(const char *dir, live_log_fn log, void *ctx);

/* ----- the application, back ends and control surfaces -------------------------------------- */
typedef struct live_app live_app; /* app.h */
/* backend.h: the audio back end interface (jack.c); frontend.h: the control surfaces (ui.c,
 * status.c, osc.c); session.h: the session file. */

#endif
