/* gainstage live: the recorder (disk thread) and 'gainstage recover'.
 *
 * The process thread copies each period into a live_ring (ring.h: lock-free, single producer /
 * single consumer) as one message: a header (JACK frame time, frame count) and one block of floats
 * per channel. If the ring has no room the period is dropped and counted; the process thread never
 * waits. The disk thread drains the ring every DRAIN_MS into one mono file per channel.
 *
 * Alignment: the disk thread checks each message's frame time against the frames written so far;
 * a period JACK skipped (an xrun) or a dropped period is filled with silence, so every file stays
 * on the session's time line and all channels stay sample-aligned. The first sample's JACK frame
 * time is in the take's sidecar file (start_frame).
 *
 * Crash safety: every SYNC_S the disk thread rewrites each WAV header for the frames written so
 * far (libsndfile SFC_UPDATE_HEADER_NOW) and fdatasync()s the file. After a kill -9 the files are
 * valid WAVs holding all but the last SYNC_S (the audio is in the page cache; only the header is
 * behind), and 'gainstage recover DIR' extends the headers to every whole frame on disk, so the
 * loss is what was still in the ring (at most DRAIN_MS plus a period). After a power loss the
 * loss is at most SYNC_S plus the drive's own write cache.
 */
#include "atomic.h"
#include "live.h"
#include "ring.h"

#include <sndfile.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MSG_FRAMES 1024u /* largest message; longer periods are split */
#define RING_SECONDS 4.0 /* slack for a slow disk (fdatasync can take a while) */
#define DRAIN_MS 10
#define SYNC_S 0.25
#define MAX_GAP_S 10.0
#define MAX_GAPS                                                                                   \
    256 /* gaps listed in the sidecar */ /* a longer jump of the frame clock is not filled (server \
                                            restart) */

typedef struct msg_hdr {
    uint32_t frame_time;
    uint32_t n;
} msg_hdr;

struct live_rec {
    int nch;
    double rate;
    live_rec_format fmt;
    live_rec_point point;
    live_ring *rb;
    SNDFILE *sf[2 * LIVE_MAX_CH];
    int fd[2 * LIVE_MAX_CH];
    char file[2 * LIVE_MAX_CH][300];
    char preset[2 * LIVE_MAX_CH][LIVE_NAME];
    char dir[PATH_MAX];
    char take[256];
    float *buf, *zeros;
    pthread_t th;
    int th_started;
    atomic_int stop;
    atomic_int failed;
    _Atomic uint64_t dropped, written, gaps;
    char msg[512]; /* valid once failed is set */
    /* Disk-thread state. Gaps: where silence was written for frames JACK skipped (file offset
     * and length in frames), listed in the sidecar so a reader can tell them from the signal. */
    uint64_t gap_at[MAX_GAPS];
    uint32_t gap_len[MAX_GAPS];
    int n_gaps;
    int have_start;
    uint32_t start_frame;
    /* Control changes during the take ("param.N = ..." lines, live_rec_note), from the control
     * thread; side_lock also keeps the two threads' sidecar writes apart. */
    pthread_mutex_t side_lock;
    char *notes;
    size_t notes_len, notes_cap;
    int n_notes;
    char want[LIVE_TAKE_NAME]; /* the take's name asked for ("" for the time) */
};

const char *live_rec_format_name(live_rec_format f) {
    return f == LIVE_FMT_WAV_S24 ? "wav-s24" : (f == LIVE_FMT_FLAC ? "flac" : "wav-f32");
}

int live_rec_format_parse(const char *s) {
    if (!strcmp(s, "wav-f32") || !strcmp(s, "wav")) return LIVE_FMT_WAV_F32;
    if (!strcmp(s, "wav-s24")) return LIVE_FMT_WAV_S24;
    if (!strcmp(s, "flac")) return LIVE_FMT_FLAC;
    return -1;
}

int live_rec_point_parse(const char *s) {
    if (!strcmp(s, "post")) return LIVE_REC_POST;
    if (!strcmp(s, "pre")) return LIVE_REC_PRE;
    if (!strcmp(s, "both")) return LIVE_REC_BOTH;
    return -1;
}

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The sidecar: what the take is, written atomically (common/atomic.h: a temporary file, fsync,
 * rename, fsync of the folder), so a reader finds the old or the new one, never half. */
static int write_sidecar_locked(live_rec *r, const char *status, uint64_t frames);
static int write_sidecar(live_rec *r, const char *status, uint64_t frames) {
    pthread_mutex_lock(&r->side_lock);
    int rc = write_sidecar_locked(r, status, frames);
    pthread_mutex_unlock(&r->side_lock);
    return rc;
}

static int write_sidecar_locked(live_rec *r, const char *status, uint64_t frames) {
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s.take", r->dir, r->take);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return -1;
    fprintf(f, "# gainstage live take (see 'gainstage recover --help')\n");
    fprintf(f, "take = %s\nrate = %.0f\nchannels = %d\npoint = %s\nformat = %s\n", r->take, r->rate,
            r->nch, live_rec_point_name(r->point), live_rec_format_name(r->fmt));
    if (r->have_start)
        fprintf(f, "start_frame = %u\n", r->start_frame);
    else
        fprintf(f, "start_frame = unknown\n");
    fprintf(f, "status = %s\n", status);
    for (int i = 0; i < r->n_gaps; i++)
        fprintf(f, "gap = %llu %u\n", (unsigned long long)r->gap_at[i], r->gap_len[i]);
    if (frames) fprintf(f, "frames = %llu\n", (unsigned long long)frames);
    for (int c = 0; c < r->nch; c++)
        fprintf(f, "file.%d = %s\npreset.%d = %s\n", c + 1, r->file[c], c + 1, r->preset[c]);
    if (r->notes_len) fwrite(r->notes, 1, r->notes_len, f);
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (!bad) bad = gsc_atomic_write(path, text, len) != 0;
    free(text);
    return bad ? -1 : 0;
}

static void fail(live_rec *r, const char *fmt, const char *a, int err) {
    if (atomic_load(&r->failed)) return;
    char what[300];
    snprintf(what, sizeof what, fmt, a);
    snprintf(r->msg, sizeof r->msg, "recording stopped: %s: %s, after %.1f s; monitoring continues",
             what, err ? strerror(err) : "write error", (double)atomic_load(&r->written) / r->rate);
    atomic_store_explicit(&r->failed, 1, memory_order_release);
}

static void sync_all(live_rec *r) {
    for (int c = 0; c < r->nch; c++) {
        if (!r->sf[c]) continue;
        sf_command(r->sf[c], SFC_UPDATE_HEADER_NOW, NULL, 0);
        if (fdatasync(r->fd[c]) != 0 && errno != EINVAL)
            fail(r, "cannot sync '%s'", r->file[c], errno);
    }
}

/* Write n frames of channel data (planar); zeros if data is NULL. */
static int write_frames(live_rec *r, const float *data, uint32_t n) {
    for (int c = 0; c < r->nch; c++) {
        const float *p = data ? data + (size_t)c * n : r->zeros;
        errno = 0;
        sf_count_t put = sf_writef_float(r->sf[c], p, n);
        if (put != (sf_count_t)n) {
            int e = errno ? errno : ENOSPC;
            fail(r, "cannot write '%s'", r->file[c], e);
            return -1;
        }
    }
    atomic_fetch_add(&r->written, n);
    return 0;
}

/* Drain every complete message. Returns -1 once writing failed. */
static int drain(live_rec *r) {
    for (;;) {
        if (atomic_load(&r->failed)) {
            /* Keep emptying the ring so the process thread is never held up. */
            live_ring_skip(r->rb, live_ring_read_space(r->rb));
            return -1;
        }
        msg_hdr h;
        if (live_ring_peek(r->rb, &h, sizeof h)) return 0;
        size_t bytes = sizeof h + (size_t)h.n * (size_t)r->nch * sizeof(float);
        if (live_ring_read_space(r->rb) < bytes) return 0; /* rest still being written */
        live_ring_skip(r->rb, sizeof h);
        live_ring_read(r->rb, r->buf, bytes - sizeof h);
        if (!r->have_start) {
            r->have_start = 1;
            r->start_frame = h.frame_time;
            write_sidecar(r, "recording", 0);
        } else {
            uint32_t expect = r->start_frame + (uint32_t)atomic_load(&r->written);
            uint32_t gap = h.frame_time - expect; /* modulo 2^32, like the JACK frame clock */
            if (gap != 0 && gap < (uint32_t)(MAX_GAP_S * r->rate)) {
                atomic_fetch_add(&r->gaps, gap);
                if (r->n_gaps < MAX_GAPS) {
                    r->gap_at[r->n_gaps] = atomic_load(&r->written);
                    r->gap_len[r->n_gaps++] = gap;
                    write_sidecar(r, "recording", 0);
                }
                while (gap > 0) {
                    uint32_t n = gap < MSG_FRAMES ? gap : MSG_FRAMES;
                    if (write_frames(r, NULL, n)) return -1;
                    gap -= n;
                }
            }
        }
        if (write_frames(r, r->buf, h.n)) return -1;
    }
}

static void *disk_thread(void *arg) {
    live_rec *r = arg;
    double last_sync = mono_now();
    for (;;) {
        int stopping = atomic_load(&r->stop);
        drain(r);
        double t = mono_now();
        if (t - last_sync >= SYNC_S && !atomic_load(&r->failed)) {
            sync_all(r);
            last_sync = t;
        }
        if (stopping) break;
        struct timespec ts = {0, DRAIN_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

#define SETERR(...) ((err && esz) ? (void)snprintf(err, esz, __VA_ARGS__) : (void)0)

/* The folder, created if missing. */
static int make_dir(const char *dir, char *err, size_t esz) {
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (mkdir(dir, 0777) != 0) {
            SETERR("cannot create the recording folder '%s': %s", dir, strerror(errno));
            return -1;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        SETERR("--record needs a folder; '%s' is a file", dir);
        return -1;
    }
    return 0;
}

/* Take name from the local time; a suffix if a take of that second exists. The sidecar is
 * created with O_EXCL, so two recorders never share a name. */
static int reserve_take(live_rec *r, char *err, size_t esz) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[64];
    strftime(stamp, sizeof stamp, "take-%Y%m%d-%H%M%S", &tm);
    if (r->want[0]) snprintf(stamp, sizeof stamp, "%s", r->want);
    for (int i = 1;; i++) {
        if (i == 1)
            snprintf(r->take, sizeof r->take, "%s", stamp);
        else
            snprintf(r->take, sizeof r->take, "%s-%d", stamp, i);
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s.take", r->dir, r->take);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno != EEXIST || i > 1000) {
            SETERR("cannot create a take in '%s': %s", r->dir, strerror(errno));
            return -1;
        }
    }
}

/* File c of the take: take-...-chNN.wav, with both taps also take-...-chNN-pre.wav (the
 * converter input). */
static int open_file(live_rec *r, int c, char *err, size_t esz) {
    const char *ext = r->fmt == LIVE_FMT_FLAC ? "flac" : "wav";
    int half = r->point == LIVE_REC_BOTH ? r->nch / 2 : r->nch, k = c % half;
    snprintf(r->file[c], sizeof r->file[c], "%s-ch%02d%s.%s", r->take, k + 1,
             r->point == LIVE_REC_BOTH && c < half ? "-pre" : "", ext);
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", r->dir, r->file[c]);
    r->fd[c] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0666);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = (int)r->rate;
    info.channels = 1;
    info.format =
        r->fmt == LIVE_FMT_FLAC
            ? SF_FORMAT_FLAC | SF_FORMAT_PCM_24
            : SF_FORMAT_RF64 | (r->fmt == LIVE_FMT_WAV_S24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT);
    if (r->fd[c] >= 0) r->sf[c] = sf_open_fd(r->fd[c], SFM_WRITE, &info, SF_FALSE);
    if (!r->sf[c]) {
        SETERR("cannot create '%s': %s", path, r->fd[c] < 0 ? strerror(errno) : sf_strerror(NULL));
        return -1;
    }
    /* Plain WAV while it fits in 4 GiB, RF64 beyond (the header switches as it grows). */
    sf_command(r->sf[c], SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
    sf_command(r->sf[c], SFC_SET_CLIPPING, NULL, SF_TRUE);
    sf_command(r->sf[c], SFC_UPDATE_HEADER_NOW, NULL, 0);
    return 0;
}

/* Everything but the thread; -1 with err filled (the caller frees r). */
static int rec_open(live_rec *r, char *err, size_t esz) {
    size_t ring = (size_t)(RING_SECONDS * r->rate) * (size_t)r->nch * sizeof(float);
    r->rb = live_ring_new(ring);
    r->buf = malloc((size_t)MSG_FRAMES * (size_t)r->nch * sizeof(float));
    r->zeros = calloc(MSG_FRAMES, sizeof(float));
    if (!r->rb || !r->buf || !r->zeros) {
        SETERR("out of memory for the recorder");
        return -1;
    }
    live_ring_mlock(r->rb);
    if (reserve_take(r, err, esz)) return -1;
    for (int c = 0; c < r->nch; c++)
        if (open_file(r, c, err, esz)) return -1;
    if (write_sidecar(r, "recording", 0) != 0) {
        SETERR("cannot write the take's sidecar in '%s': %s", r->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int live_rec_take_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= LIVE_TAKE_NAME || name[0] == '.' || name[0] == '-') return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    return 1;
}

live_rec *live_rec_start(const char *dir, int nch, double rate, live_rec_format fmt,
                         live_rec_point point, const char *const *presets, char *err, size_t esz) {
    return live_rec_start_named(dir, NULL, nch, rate, fmt, point, presets, err, esz);
}

live_rec *live_rec_start_named(const char *dir, const char *name, int nch, double rate,
                               live_rec_format fmt, live_rec_point point,
                               const char *const *presets, char *err, size_t esz) {
    if (name && name[0] && !live_rec_take_name_ok(name)) {
        SETERR("a take name is 1 to %d letters, digits, '-', '_' or '.' (not first), not '%s'",
               LIVE_TAKE_NAME - 1, name);
        return NULL;
    }
    if (make_dir(dir, err, esz)) return NULL;
    live_rec *r = calloc(1, sizeof *r);
    if (!r) {
        SETERR("out of memory for the recorder");
        return NULL;
    }
    if (name) snprintf(r->want, sizeof r->want, "%s", name);
    pthread_mutex_init(&r->side_lock, NULL);
    r->nch = nch;
    r->rate = rate;
    r->fmt = fmt;
    r->point = point;
    for (int c = 0; c < 2 * LIVE_MAX_CH; c++) r->fd[c] = -1;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    for (int c = 0; c < nch; c++) {
        /* The sidecar has one pair a line and '#' starts a comment: a control character or '#'
         * in a name (a command-line path may hold anything) would inject lines or cut the value.
         * The name is informational here: such characters become '?'. */
        snprintf(r->preset[c], sizeof r->preset[c], "%s", presets[c]);
        for (char *p = r->preset[c]; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '#') *p = '?';
        if (!live_kv_value_ok(r->preset[c])) snprintf(r->preset[c], sizeof r->preset[c], "?");
    }
    if (rec_open(r, err, esz)) {
        live_rec_stop(r);
        return NULL;
    }
    if (pthread_create(&r->th, NULL, disk_thread, r) != 0) {
        SETERR("cannot start the disk thread");
        live_rec_stop(r);
        return NULL;
    }
    r->th_started = 1;
    return r;
}

int live_rec_stop(live_rec *r) {
    if (!r) return 0;
    if (r->th_started) {
        atomic_store(&r->stop, 1);
        pthread_join(r->th, NULL);
    }
    int bad = atomic_load(&r->failed);
    for (int c = 0; c < r->nch; c++) {
        if (r->sf[c]) {
            sf_write_sync(r->sf[c]);
            if (sf_close(r->sf[c]) != 0) bad = 1; /* closes fd too */
            r->sf[c] = NULL;
        } else if (r->fd[c] >= 0) {
            close(r->fd[c]);
        }
    }
    if (r->th_started)
        write_sidecar(r, bad ? "stopped-by-error" : "complete", atomic_load(&r->written));
    live_ring_free(r->rb);
    pthread_mutex_destroy(&r->side_lock);
    free(r->notes);
    free(r->buf);
    free(r->zeros);
    free(r);
    return bad ? -1 : 0;
}

GS_LIVE_RT void live_rec_push(live_rec *r, const float *const *bufs, uint32_t n,
                              uint32_t frame_time) {
    if (atomic_load_explicit(&r->failed, memory_order_relaxed)) return;
    for (uint32_t off = 0; off < n; off += MSG_FRAMES) {
        msg_hdr h = {frame_time + off, n - off < MSG_FRAMES ? n - off : MSG_FRAMES};
        size_t bytes = sizeof h + (size_t)h.n * (size_t)r->nch * sizeof(float);
        if (live_ring_write_space(r->rb) < bytes) {
            atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
            continue; /* the disk thread fills the hole with silence, keeping alignment */
        }
        /* Header, then one block per channel, each published as it goes: the space for all of
         * it was checked above (only this thread takes space), and the reader waits for the
         * whole message before it takes any. */
        live_ring_write(r->rb, &h, sizeof h);
        for (int c = 0; c < r->nch; c++) live_ring_write(r->rb, bufs[c] + off, h.n * sizeof(float));
    }
}

void live_rec_status_get(live_rec *r, live_rec_status *s) {
    memset(s, 0, sizeof *s);
    s->seconds = (double)atomic_load(&r->written) / r->rate;
    s->dropped = atomic_load(&r->dropped);
    s->gap_frames = atomic_load(&r->gaps);
    s->failed = atomic_load_explicit(&r->failed, memory_order_acquire);
    if (s->failed) snprintf(s->msg, sizeof s->msg, "%s", r->msg);
    snprintf(s->take, sizeof s->take, "%s/%s", r->dir, r->take);
}

int live_rec_note(live_rec *r, const char *text) {
    /* The value is one sidecar line: control characters and '#' would inject or cut lines. */
    char clean[LIVE_NAME + 96];
    snprintf(clean, sizeof clean, "%s", text);
    for (char *p = clean; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '#') *p = '?';
    pthread_mutex_lock(&r->side_lock);
    int rc = -1;
    if (r->n_notes < LIVE_REC_MAX_NOTES) {
        char line[LIVE_NAME + 128];
        int n = snprintf(line, sizeof line, "param.%d = %s\n", r->n_notes + 1, clean);
        size_t need = r->notes_len + (size_t)n + 1;
        if (need > r->notes_cap) {
            size_t cap = r->notes_cap ? 2 * r->notes_cap : 4096;
            while (cap < need) cap *= 2;
            char *p = realloc(r->notes, cap);
            if (p) {
                r->notes = p;
                r->notes_cap = cap;
            }
        }
        if (need <= r->notes_cap) {
            memcpy(r->notes + r->notes_len, line, (size_t)n + 1);
            r->notes_len += (size_t)n;
            r->n_notes++;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&r->side_lock);
    return rc;
}

int live_rec_note_flush(live_rec *r) {
    if (atomic_load(&r->failed)) return -1;
    return write_sidecar(r, "recording", 0);
}
