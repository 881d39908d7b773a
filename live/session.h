/* gainstage live: the session file (doc/live.md, "Session file").
 *
 * "key = value" lines, read with the library's reader (gs_kv_*) and written atomically
 * (common/atomic.h), so a crash while saving leaves the old session or the new one:
 *   inputs, in_dbu, out_dbu, record_point, record_format, monitor.level (the monitor master,
 *   dB; 0 when absent),
 *   ch.K.preset, ch.K.level, ch.K.pan, ch.K.mute, ch.K.solo, ch.K.param.SYMBOL
 * Options given on the command line win over the file; a preset given there also drops the
 * file's parameter values of that channel.
 */
#ifndef GS_LIVE_SESSION_H
#define GS_LIVE_SESSION_H

#include "live.h"

typedef struct live_session live_session;

/* Read `path`: 0 with *out set (NULL when the file does not exist: a new session), or -1 with
 * err filled ("session 'F' line N: expected 'key = value'", "cannot read session ..."). */
int live_session_read(const char *path, live_session **out, char *err, size_t esz);
void live_session_free(live_session *s); /* NULL is fine */
/* The same from a text (`name` for the messages). Every value passes the command line's checks
 * (inputs 1..64, in_dbu and out_dbu -120..+60, record_point and record_format names, ch.K with K
 * 1..64, level and monitor.level <= +12, pan -1..+1, mute and solo 0 or 1, param values finite
 * numbers (their ranges are the model's: checked when applied; preset names are looked up by the
 * engine in the preset folders, live_preset_named); the first that does not is refused: "session
 * 'F' line N: KEY must be ...". */
int live_session_parse(const char *text, const char *name, live_session **out, char *err,
                       size_t esz);

/* What the engine and the recorder are set up with. */
typedef struct live_setup {
    int n;
    double in_dbu, out_dbu;
    live_rec_point point;
    live_rec_format fmt;
    const char *preset[LIVE_MAX_CH]; /* NULL: not in the file (strings owned by the session) */
} live_setup;
/* Which of those the command line fixed: the file does not change them. */
typedef struct live_setup_fixed {
    int n, in_dbu, out_dbu, point, fmt;
} live_setup_fixed;
/* Take the session's global settings and presets into `st` (s may be NULL: nothing to take). */
void live_session_setup(const live_session *s, live_setup *st, const live_setup_fixed *fixed);

/* The session's monitor master and per-channel values onto the engine (before activation):
 * level, pan, mute, solo and, for channels whose preset was not given on the command line
 * (keep_params[k]), the parameter values. A refused value is logged ("session 'F': channel K: ...")
 * and skipped. */
void live_session_apply(const live_session *s, live_engine *e, const int *keep_params,
                        live_log_fn log, void *ctx);

/* Write the engine's current setup to `path`. 0, or -1 with err filled. */
int live_session_write(const char *path, live_engine *e, double in_dbu, double out_dbu,
                       live_rec_format fmt, char *err, size_t esz);

#endif
