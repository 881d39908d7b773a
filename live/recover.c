/* gainstage live: 'gainstage recover DIR', the repair of takes a killed recorder left open.
 *
 * A take whose sidecar (rec.c) still says "status = recording" was not closed: its WAV headers
 * count the frames up to the last SYNC_S update, the files hold more. Each header is extended to
 * every whole frame on disk, the take's files are cut to the shortest (the channels of a take
 * are one multitrack recording and must stay sample-aligned), but never below what a header
 * already counted, and the sidecar is rewritten with "status = recovered". The sidecar is read
 * with the library's key = value reader and rewritten atomically (common/atomic.h), line for
 * line as it was but for the status.
 */
#include "atomic.h"
#include "live.h"
#include "take.h"

#include <sndfile.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Where a WAV/RF64 file's chunks are. */
typedef struct wav_layout {
    uint64_t fsize;
    int rf64;
    off_t ds64, fact, data; /* chunk bodies (data: the chunk header); -1 if absent */
    unsigned block_align;
} wav_layout;

static int scan_wav(int fd, wav_layout *w, char *msg, size_t msz) {
    struct stat st;
    fstat(fd, &st);
    w->fsize = (uint64_t)st.st_size;
    unsigned char h[12];
    if (pread(fd, h, 12, 0) != 12 || (memcmp(h, "RIFF", 4) && memcmp(h, "RF64", 4)) ||
        memcmp(h + 8, "WAVE", 4)) {
        snprintf(msg, msz, "not a WAV file (no RIFF/RF64 WAVE header)");
        return -1;
    }
    w->rf64 = !memcmp(h, "RF64", 4);
    off_t pos = 12;
    w->ds64 = w->fact = w->data = -1;
    w->block_align = 0;
    while ((uint64_t)pos + 8 <= w->fsize) {
        unsigned char c[8];
        if (pread(fd, c, 8, pos) != 8) break;
        uint32_t size = rd32(c + 4);
        if (!memcmp(c, "data", 4)) {
            w->data = pos;
            break;
        }
        if (!memcmp(c, "ds64", 4)) w->ds64 = pos + 8;
        if (!memcmp(c, "fact", 4)) w->fact = pos + 8;
        if (!memcmp(c, "fmt ", 4)) {
            unsigned char f[16];
            if (pread(fd, f, 16, pos + 8) == 16)
                w->block_align = (unsigned)f[12] | (unsigned)f[13] << 8;
        }
        pos += 8 + (off_t)size + (size & 1);
    }
    if (w->data < 0 || w->block_align == 0 || (w->rf64 && w->ds64 < 0)) {
        snprintf(msg, msz, "no fmt or data chunk: the file was killed before its first header");
        return -1;
    }
    return 0;
}

/* Whether well-formed chunks (a printable four-character id and a size) run from pos exactly to
 * the end of the file (an odd last chunk may lack its pad byte). */
static int chunks_to_end(int fd, uint64_t pos, uint64_t fsize) {
    int n = 0;
    while (pos + 8 <= fsize && n < 64) {
        unsigned char c[8];
        if (pread(fd, c, 8, (off_t)pos) != 8) return 0;
        for (int i = 0; i < 4; i++)
            if (c[i] < 0x20 || c[i] > 0x7e) return 0;
        uint32_t size = rd32(c + 4);
        pos += 8 + (uint64_t)size + (size & 1);
        n++;
    }
    return n > 0 && (pos == fsize || pos == fsize + 1);
}

/* The new sizes into the header: `frames` of data from data_off. */
static int write_sizes(int fd, const wav_layout *w, uint64_t data_off, uint64_t frames, char *msg,
                       size_t msz) {
    uint64_t bytes = frames * w->block_align;
    if (w->rf64) {
        unsigned char d[24];
        wr64(d, data_off + bytes - 8);
        wr64(d + 8, bytes);
        wr64(d + 16, frames);
        return pwrite_all(fd, d, 24, w->ds64);
    }
    if (data_off + bytes - 8 > 0xffffffffu) {
        snprintf(msg, msz, "over 4 GiB with a plain WAV header; cannot repair in place");
        errno = 0;
        return -1;
    }
    unsigned char v[4];
    wr32(v, (uint32_t)bytes);
    if (pwrite_all(fd, v, 4, w->data + 4)) return -1;
    wr32(v, (uint32_t)(data_off + bytes - 8));
    if (pwrite_all(fd, v, 4, 4)) return -1;
    if (w->fact >= 0) {
        wr32(v, (uint32_t)frames);
        if (pwrite_all(fd, v, 4, w->fact)) return -1;
    }
    return 0;
}

/* Make a WAV/RF64 header cover every whole frame on disk, at most `limit` (the file is cut
 * there); with `dry` only count them. *before and *after: frames in the header before and after.
 * Returns 0, or -1 with msg filled. */
static int repair_wav(const char *path, uint64_t limit, int dry, uint64_t *before, uint64_t *after,
                      char *msg, size_t msz) {
    /* A regular file directly in the folder (the name has no '/': live_take_parse), never
     * through a symlink, and a FIFO is not waited for. */
    int fd = open(path, (dry ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msz, "cannot open: %s",
                 errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, msz, "not a regular file");
        close(fd);
        return -1;
    }
    wav_layout w;
    if (scan_wav(fd, &w, msg, msz)) {
        close(fd);
        return -1;
    }
    unsigned char c[8];
    pread(fd, c, 8, w.data);
    uint64_t data_off = (uint64_t)w.data + 8;
    uint64_t hdr_bytes;
    if (w.rf64) {
        unsigned char d[24];
        if (pread(fd, d, 24, w.ds64) != 24) {
            close(fd);
            snprintf(msg, msz, "short ds64 chunk");
            return -1;
        }
        hdr_bytes = (uint64_t)rd32(d + 12) << 32 | rd32(d + 8);
    } else {
        hdr_bytes = rd32(c + 4);
    }
    *before = hdr_bytes / w.block_align;
    /* The data chunk's real extent: if chunks follow the one the header describes (a LIST
     * chunk, written when the file was closed), those bytes are not audio and the header is
     * right; otherwise the frames on disk run to the end of the file. */
    int tail = hdr_bytes <= w.fsize - data_off &&
               chunks_to_end(fd, data_off + hdr_bytes + (hdr_bytes & 1), w.fsize);
    uint64_t frames = (tail ? hdr_bytes : w.fsize - data_off) / w.block_align;
    if (tail && limit < frames && !dry) {
        close(fd);
        snprintf(msg, msz, "chunks follow its data: not cut to %llu frames",
                 (unsigned long long)limit);
        return -1;
    }
    if (frames > limit) frames = limit;
    if (dry) {
        close(fd);
        *after = frames;
        return 0;
    }
    msg[0] = '\0';
    /* Drop a partial last frame, so the file ends where its header says. */
    if (tail && frames == *before) { /* complete as it is: nothing to write, nothing to cut */
        close(fd);
        *after = frames;
        return 0;
    }
    if (write_sizes(fd, &w, data_off, frames, msg, msz) ||
        ftruncate(fd, (off_t)(data_off + frames * w.block_align)) != 0 || fsync(fd) != 0) {
        if (!msg[0]) snprintf(msg, msz, "cannot write the header: %s", strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    *after = frames;
    return 0;
}

static void say(live_log_fn log, void *ctx, live_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(live_log_fn log, void *ctx, live_level level, const char *fmt, ...) {
    char line[PATH_MAX + 1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (log) log(ctx, level, line);
}

/* One open take: the sidecar's text and what it says. */
typedef struct take_info {
    char *text; /* the sidecar as read (malloc) */
    live_take_info i;
} take_info;

/* A file name recover may open: directly in the take's folder, no way out of it. */
static int plain_name(const char *s) {
    if (!s[0] || s[0] == '.' || strchr(s, '/') || strstr(s, "..")) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\') return 0;
    return 1;
}

int live_take_parse(const char *text, live_take_info *t) {
    t->status_line = 0;
    t->nfiles = 0;
    t->rate = 0;
    t->why[0] = '\0';
    gs_kv_reader rd;
    gs_kv kv;
    gs_kv_init(&rd, text);
    int k, got;
    while ((got = gs_kv_next(&rd, &kv, NULL, 0)) != 0) {
        if (got < 0) continue; /* a line recover does not need */
        if (!strcmp(kv.key, "status") && !strcmp(kv.value, "recording")) {
            t->status_line = kv.line;
        } else if (!strcmp(kv.key, "rate")) {
            char *end;
            double r = strtod(kv.value, &end);
            t->rate = *end || !(r > 0 && r < 1e7) ? 0 : r;
        } else if (sscanf(kv.key, "file.%d", &k) == 1 && t->nfiles < 2 * LIVE_MAX_CH) {
            if (!plain_name(kv.value)) {
                snprintf(t->why, sizeof t->why,
                         "line %zu: file.%d is not a file name in the take's folder", kv.line, k);
                return -1;
            }
            snprintf(t->files[t->nfiles++], sizeof t->files[0], "%s", kv.value);
        }
    }
    return 0;
}

/* Read a sidecar (a regular file, not through a symlink): 0, or -1 if it cannot be read or is
 * not one (it is then left alone, as before: recover only touches what it understands). */
static int read_take(const char *path, take_info *t) {
    t->text = NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 16 * 1024 * 1024) {
        close(fd);
        return -1;
    }
    close(fd);
    t->text = live_file_text(path);
    if (!t->text) return -1;
    live_take_parse(t->text, &t->i);
    return 0;
}

/* The sidecar as it was, with its status line now "status = recovered", atomically. */
static int rewrite_take(const char *path, const take_info *t) {
    char *out = NULL;
    size_t olen = 0;
    FILE *mem = open_memstream(&out, &olen);
    if (!mem) return -1;
    const char *p = t->text;
    for (size_t line = 1; *p; line++) {
        size_t len = strcspn(p, "\n");
        size_t with_nl = len + (p[len] == '\n');
        if (line == t->i.status_line)
            fputs("status = recovered\n", mem);
        else
            fwrite(p, 1, with_nl, mem);
        p += with_nl;
    }
    int bad = fclose(mem) != 0;
    if (!bad) bad = gsc_atomic_write(path, out, olen) != 0;
    free(out);
    return bad ? -1 : 0;
}

/* The shortest file on disk, but never below the frames a header already counted. */
static uint64_t common_frames(const char *dir, const take_info *t) {
    uint64_t common = UINT64_MAX, confirmed = 0;
    for (int i = 0; i < t->i.nfiles; i++) {
        char fp[PATH_MAX + sizeof t->i.files[0] + 2], msg[256];
        snprintf(fp, sizeof fp, "%s/%s", dir, t->i.files[i]);
        size_t fl = strlen(t->i.files[i]);
        if (fl > 5 && !strcmp(t->i.files[i] + fl - 5, ".flac")) continue;
        uint64_t before = 0, after = 0;
        if (!repair_wav(fp, UINT64_MAX, 1, &before, &after, msg, sizeof msg)) {
            if (after < common) common = after;
            if (before > confirmed) confirmed = before;
        }
    }
    return common < confirmed ? confirmed : common;
}

/* Repair one take's files; 0, or 1 if one of them could not be. */
static int repair_take(const char *dir, const take_info *t, live_log_fn log, void *ctx) {
    /* The disk thread writes the channels one after another, so a kill can leave one a block
     * longer than the next: every file is cut to the take's shortest, to stay sample-aligned (a
     * take's channels are one multitrack recording). Never below what a header already counted:
     * that audio was synced, and a file shorter than it (damaged some other way) must not cost
     * the others their confirmed frames. */
    uint64_t common = common_frames(dir, t);
    int bad = 0;
    for (int i = 0; i < t->i.nfiles; i++) {
        char fp[PATH_MAX + sizeof t->i.files[0] + 2], msg[256];
        snprintf(fp, sizeof fp, "%s/%s", dir, t->i.files[i]);
        size_t fl = strlen(t->i.files[i]);
        if (fl > 5 && !strcmp(t->i.files[i] + fl - 5, ".flac")) {
            say(log, ctx, LIVE_INFO, "%s: FLAC, left as written", fp);
            continue;
        }
        uint64_t before = 0, after = 0;
        if (repair_wav(fp, common, 0, &before, &after, msg, sizeof msg)) {
            say(log, ctx, LIVE_ERROR, "cannot repair '%s': %s", fp, msg);
            bad = 1;
            continue;
        }
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *sf = sf_open(fp, SFM_READ, &info);
        if (!sf || (uint64_t)info.frames != after) {
            say(log, ctx, LIVE_ERROR, "'%s' is still not readable after the repair", fp);
            bad = 1;
        } else {
            say(log, ctx, LIVE_INFO, "%s: %llu frames in the header, now %llu (%.3f s recovered)",
                fp, (unsigned long long)before, (unsigned long long)after,
                t->i.rate > 0 ? ((double)after - (double)before) / t->i.rate : 0.0);
        }
        if (sf) sf_close(sf);
    }
    return bad;
}

int live_recover(const char *dir, live_log_fn log, void *ctx) {
    DIR *d = opendir(dir);
    if (!d) {
        say(log, ctx, LIVE_ERROR, "cannot open folder '%s': %s", dir, strerror(errno));
        return -1;
    }
    static take_info t; /* 130 kB: off the stack; 'recover' is one thread */
    int takes = 0, failures = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".take")) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (read_take(path, &t)) continue;
        if (!t.i.status_line) {
            free(t.text);
            continue;
        }
        takes++;
        if (t.i.why[0]) {
            say(log, ctx, LIVE_ERROR, "%s %s; the take is not touched", path, t.i.why);
            failures++;
            free(t.text);
            continue;
        }
        int bad = repair_take(dir, &t, log, ctx);
        if (!bad) {
            if (rewrite_take(path, &t) == 0) {
                say(log, ctx, LIVE_INFO, "%s: recovered", path);
            } else {
                say(log, ctx, LIVE_ERROR, "cannot update '%s': %s", path, strerror(errno));
                bad = 1;
            }
        }
        failures += bad;
        free(t.text);
    }
    closedir(d);
    if (!takes) say(log, ctx, LIVE_INFO, "%s: no take left open; nothing to recover", dir);
    return failures ? 1 : 0;
}
