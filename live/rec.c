/* gainstage live: the recorder (disk thread) and 'gainstage recover'.
 *
 * The process thread copies each period into a jack_ringbuffer (lock-free, single producer /
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
#include "live.h"
#include "util.h"

#include <sndfile.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
    jack_ringbuffer_t *rb;
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
};

static const char *fmt_name(live_rec_format f) {
    return f == LIVE_FMT_WAV_S24 ? "wav-s24" : (f == LIVE_FMT_FLAC ? "flac" : "wav-f32");
}

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The sidecar: what the take is, written atomically (temporary file, fsync, rename). */
static int write_sidecar(live_rec *r, const char *status, uint64_t frames) {
    char path[PATH_MAX + 300], tmp[PATH_MAX + 310];
    snprintf(path, sizeof path, "%s/%s.take", r->dir, r->take);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "# gainstage live take (see 'gainstage recover --help')\n");
    fprintf(f, "take = %s\nrate = %.0f\nchannels = %d\npoint = %s\nformat = %s\n", r->take, r->rate,
            r->nch, live_rec_point_name(r->point), fmt_name(r->fmt));
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
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    fsync_dir(r->dir);
    return 0;
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
            jack_ringbuffer_read_advance(r->rb, jack_ringbuffer_read_space(r->rb));
            return -1;
        }
        msg_hdr h;
        if (jack_ringbuffer_peek(r->rb, (char *)&h, sizeof h) < sizeof h) return 0;
        size_t bytes = sizeof h + (size_t)h.n * (size_t)r->nch * sizeof(float);
        if (jack_ringbuffer_read_space(r->rb) < bytes) return 0; /* rest still being written */
        jack_ringbuffer_read_advance(r->rb, sizeof h);
        jack_ringbuffer_read(r->rb, (char *)r->buf, bytes - sizeof h);
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

live_rec *live_rec_start(const char *dir, int nch, double rate, live_rec_format fmt,
                         live_rec_point point, const char *const *presets) {
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (mkdir(dir, 0777) != 0) {
            cli_error("cannot create the recording folder '%s': %s", dir, strerror(errno));
            return NULL;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        cli_error("--record needs a folder; '%s' is a file", dir);
        return NULL;
    }
    live_rec *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->nch = nch;
    r->rate = rate;
    r->fmt = fmt;
    r->point = point;
    for (int c = 0; c < 2 * LIVE_MAX_CH; c++) r->fd[c] = -1;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    for (int c = 0; c < nch; c++) snprintf(r->preset[c], sizeof r->preset[c], "%s", presets[c]);
    size_t ring = (size_t)(RING_SECONDS * rate) * (size_t)nch * sizeof(float);
    r->rb = jack_ringbuffer_create(ring);
    r->buf = malloc((size_t)MSG_FRAMES * (size_t)nch * sizeof(float));
    r->zeros = calloc(MSG_FRAMES, sizeof(float));
    if (!r->rb || !r->buf || !r->zeros) {
        cli_error("out of memory for the recorder");
        live_rec_stop(r);
        return NULL;
    }
    jack_ringbuffer_mlock(r->rb);
    /* Take name from the local time; a suffix if a take of that second exists. The sidecar is
     * created with O_EXCL, so two recorders never share a name. */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[64];
    strftime(stamp, sizeof stamp, "take-%Y%m%d-%H%M%S", &tm);
    for (int i = 1;; i++) {
        if (i == 1)
            snprintf(r->take, sizeof r->take, "%s", stamp);
        else
            snprintf(r->take, sizeof r->take, "%s-%d", stamp, i);
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s.take", dir, r->take);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            close(fd);
            break;
        }
        if (errno != EEXIST || i > 1000) {
            cli_error("cannot create a take in '%s': %s", dir, strerror(errno));
            live_rec_stop(r);
            return NULL;
        }
    }
    const char *ext = fmt == LIVE_FMT_FLAC ? "flac" : "wav";
    for (int c = 0; c < nch; c++) {
        /* With both taps: take-...-chNN-pre.wav (converter input) and take-...-chNN.wav. */
        int half = point == LIVE_REC_BOTH ? nch / 2 : nch, k = c % half;
        snprintf(r->file[c], sizeof r->file[c], "%s-ch%02d%s.%s", r->take, k + 1,
                 point == LIVE_REC_BOTH && c < half ? "-pre" : "", ext);
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, r->file[c]);
        r->fd[c] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0666);
        SF_INFO info;
        memset(&info, 0, sizeof info);
        info.samplerate = (int)rate;
        info.channels = 1;
        info.format =
            fmt == LIVE_FMT_FLAC
                ? SF_FORMAT_FLAC | SF_FORMAT_PCM_24
                : SF_FORMAT_RF64 | (fmt == LIVE_FMT_WAV_S24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT);
        if (r->fd[c] >= 0) r->sf[c] = sf_open_fd(r->fd[c], SFM_WRITE, &info, SF_FALSE);
        if (!r->sf[c]) {
            cli_error("cannot create '%s': %s", path,
                      r->fd[c] < 0 ? strerror(errno) : sf_strerror(NULL));
            live_rec_stop(r);
            return NULL;
        }
        /* Plain WAV while it fits in 4 GiB, RF64 beyond (the header switches as it grows). */
        sf_command(r->sf[c], SFC_RF64_AUTO_DOWNGRADE, NULL, SF_TRUE);
        sf_command(r->sf[c], SFC_SET_CLIPPING, NULL, SF_TRUE);
        sf_command(r->sf[c], SFC_UPDATE_HEADER_NOW, NULL, 0);
    }
    if (write_sidecar(r, "recording", 0) != 0) {
        cli_error("cannot write the take's sidecar in '%s': %s", dir, strerror(errno));
        live_rec_stop(r);
        return NULL;
    }
    if (pthread_create(&r->th, NULL, disk_thread, r) != 0) {
        cli_error("cannot start the disk thread");
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
    if (r->rb) jack_ringbuffer_free(r->rb);
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
        if (jack_ringbuffer_write_space(r->rb) < bytes) {
            atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
            continue; /* the disk thread fills the hole with silence, keeping alignment */
        }
        jack_ringbuffer_write(r->rb, (const char *)&h, sizeof h);
        for (int c = 0; c < r->nch; c++)
            jack_ringbuffer_write(r->rb, (const char *)(bufs[c] + off), h.n * sizeof(float));
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

/* ---- gainstage recover ------------------------------------------------------------------- */

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void wr64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static int pwrite_all(int fd, const void *p, size_t n, off_t off) {
    return pwrite(fd, p, n, off) == (ssize_t)n ? 0 : -1;
}

/* Make a WAV/RF64 header cover every whole frame on disk, at most `limit` (the file is cut
 * there); with `dry` only count them. *before and *after: frames in the header before and after.
 * Returns 0, or -1 with msg filled. */
static int repair_wav(const char *path, uint64_t limit, int dry, uint64_t *before, uint64_t *after,
                      char *msg, size_t msz) {
    int fd = open(path, dry ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(msg, msz, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    fstat(fd, &st);
    uint64_t fsize = (uint64_t)st.st_size;
    unsigned char h[12];
    if (pread(fd, h, 12, 0) != 12 || (memcmp(h, "RIFF", 4) && memcmp(h, "RF64", 4)) ||
        memcmp(h + 8, "WAVE", 4)) {
        close(fd);
        snprintf(msg, msz, "not a WAV file (no RIFF/RF64 WAVE header)");
        return -1;
    }
    int rf64 = !memcmp(h, "RF64", 4);
    off_t pos = 12, ds64 = -1, fact = -1, data = -1;
    unsigned block_align = 0;
    while ((uint64_t)pos + 8 <= fsize) {
        unsigned char c[8];
        if (pread(fd, c, 8, pos) != 8) break;
        uint32_t size = rd32(c + 4);
        if (!memcmp(c, "data", 4)) {
            data = pos;
            break;
        }
        if (!memcmp(c, "ds64", 4)) ds64 = pos + 8;
        if (!memcmp(c, "fact", 4)) fact = pos + 8;
        if (!memcmp(c, "fmt ", 4)) {
            unsigned char f[16];
            if (pread(fd, f, 16, pos + 8) == 16)
                block_align = (unsigned)f[12] | (unsigned)f[13] << 8;
        }
        pos += 8 + (off_t)size + (size & 1);
    }
    if (data < 0 || block_align == 0 || (rf64 && ds64 < 0)) {
        close(fd);
        snprintf(msg, msz, "no fmt or data chunk: the file was killed before its first header");
        return -1;
    }
    unsigned char c[8];
    pread(fd, c, 8, data);
    uint64_t data_off = (uint64_t)data + 8;
    uint64_t frames = (fsize - data_off) / block_align;
    if (frames > limit) frames = limit;
    uint64_t bytes = frames * block_align;
    unsigned char d[24];
    if (rf64) {
        if (pread(fd, d, 24, ds64) != 24) {
            close(fd);
            snprintf(msg, msz, "short ds64 chunk");
            return -1;
        }
        *before = ((uint64_t)rd32(d + 12) << 32 | rd32(d + 8)) / block_align;
    } else {
        *before = rd32(c + 4) / block_align;
    }
    if (dry) {
        close(fd);
        *after = frames;
        return 0;
    }
    if (rf64) {
        wr64(d, data_off + bytes - 8);
        wr64(d + 8, bytes);
        wr64(d + 16, frames);
        if (pwrite_all(fd, d, 24, ds64)) goto werr;
    } else {
        if (data_off + bytes - 8 > 0xffffffffu) {
            close(fd);
            snprintf(msg, msz, "over 4 GiB with a plain WAV header; cannot repair in place");
            return -1;
        }
        unsigned char v[4];
        wr32(v, (uint32_t)bytes);
        if (pwrite_all(fd, v, 4, data + 4)) goto werr;
        wr32(v, (uint32_t)(data_off + bytes - 8));
        if (pwrite_all(fd, v, 4, 4)) goto werr;
        if (fact >= 0) {
            wr32(v, (uint32_t)frames);
            if (pwrite_all(fd, v, 4, fact)) goto werr;
        }
    }
    /* Drop a partial last frame, so the file ends where its header says. */
    if (ftruncate(fd, (off_t)(data_off + bytes)) != 0 || fsync(fd) != 0) goto werr;
    close(fd);
    *after = frames;
    return 0;
werr:
    snprintf(msg, msz, "cannot write the header: %s", strerror(errno));
    close(fd);
    return -1;
}

static const char recover_help[] =
    "Usage: gainstage recover DIR\n"
    "\n"
    "Repair the takes in DIR that a killed or crashed 'gainstage live --record' left open (their\n"
    "sidecar DIR/take-*.take says status = recording): each WAV header is extended to cover every\n"
    "whole frame on disk, then the take's WAV files are cut to the shortest of them, so its\n"
    "channels stay sample-aligned (a kill between two channels' writes leaves at most one write\n"
    "that only some channels have), but never below the frames a header already counted.\n"
    "Finished takes are left as they are.\n"
    "FLAC takes need no header repair (a FLAC stream is decodable as written).\n"
    "Exit status: 0 success (or nothing to do), 1 a file could not be repaired, 2 usage error.\n";

int cmd_recover(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(recover_help, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        cli_error("recover needs one folder (see 'gainstage recover --help')");
        return EXIT_USAGE;
    }
    const char *dir = argv[1];
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("cannot open folder '%s': %s", dir, strerror(errno));
        return EXIT_RUNTIME;
    }
    int takes = 0, failures = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".take")) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        char line[1024], files[2 * LIVE_MAX_CH][300];
        int nfiles = 0, open_take = 0;
        char *text = NULL;
        size_t tlen = 0;
        FILE *mem = open_memstream(&text, &tlen);
        while (fgets(line, sizeof line, f)) {
            char name[300];
            int k;
            if (!strcmp(line, "status = recording\n")) {
                open_take = 1;
                fputs("status = recovered\n", mem);
                continue;
            }
            if (sscanf(line, "file.%d = %299[^\n]", &k, name) == 2 && nfiles < 2 * LIVE_MAX_CH)
                snprintf(files[nfiles++], sizeof files[0], "%s", name);
            fputs(line, mem);
        }
        fclose(f);
        fclose(mem);
        if (!open_take) {
            free(text);
            continue;
        }
        takes++;
        int bad = 0;
        double rate = 0;
        const char *rl = strstr(text, "\nrate = ");
        if (rl) rate = atof(rl + 8);
        /* The disk thread writes the channels one after another, so a kill can leave one a block
         * longer than the next: every file is cut to the take's shortest, to stay sample-aligned
         * (a take's channels are one multitrack recording). Never below what a header already
         * counted: that audio was synced, and a file shorter than it (damaged some other way)
         * must not cost the others their confirmed frames. */
        uint64_t common = UINT64_MAX, confirmed = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < nfiles; i++) {
                char fp[PATH_MAX + sizeof files], msg[256];
                snprintf(fp, sizeof fp, "%s/%s", dir, files[i]);
                size_t fl = strlen(files[i]);
                if (fl > 5 && !strcmp(files[i] + fl - 5, ".flac")) {
                    if (pass) printf("%s: FLAC, left as written\n", fp);
                    continue;
                }
                uint64_t before = 0, after = 0;
                if (!pass) {
                    if (!repair_wav(fp, UINT64_MAX, 1, &before, &after, msg, sizeof msg)) {
                        if (after < common) common = after;
                        if (before > confirmed) confirmed = before;
                    }
                    if (i == nfiles - 1 && common < confirmed) common = confirmed;
                    continue;
                }
                if (repair_wav(fp, common, 0, &before, &after, msg, sizeof msg)) {
                    cli_error("cannot repair '%s': %s", fp, msg);
                    bad = 1;
                    continue;
                }
                SF_INFO info;
                memset(&info, 0, sizeof info);
                SNDFILE *sf = sf_open(fp, SFM_READ, &info);
                if (!sf || (uint64_t)info.frames != after) {
                    cli_error("'%s' is still not readable after the repair", fp);
                    bad = 1;
                } else {
                    printf("%s: %llu frames in the header, now %llu (%.3f s recovered)\n", fp,
                           (unsigned long long)before, (unsigned long long)after,
                           rate > 0 ? ((double)after - (double)before) / rate : 0.0);
                }
                if (sf) sf_close(sf);
            }
        if (!bad) {
            char tmp[PATH_MAX + 310];
            snprintf(tmp, sizeof tmp, "%s.tmp", path);
            FILE *o = fopen(tmp, "w");
            if (o && fputs(text, o) >= 0 && fflush(o) == 0 && fsync(fileno(o)) == 0 &&
                fclose(o) == 0 && rename(tmp, path) == 0) {
                printf("%s: recovered\n", path);
            } else {
                cli_error("cannot update '%s': %s", path, strerror(errno));
                bad = 1;
            }
        }
        failures += bad;
        free(text);
    }
    closedir(d);
    if (!takes) printf("%s: no take left open; nothing to recover\n", dir);
    return failures ? EXIT_RUNTIME : 0;
}
