/* Test helper for 'gainstage live' (live/tests/live.sh):
 *
 *   live_helper wait-server SERVER [SECONDS]        poll until a JACK server answers
 *   live_helper play SERVER DEST_PREFIX [--loop] [--bufsize-at S:N] [--timeout S] FILE...
 *       a JACK client with one output per FILE (mono WAV at the server rate), connected to
 *       DEST_PREFIX1, DEST_PREFIX2, ...; starts playing on a period boundary a quarter second
 *       after the connections exist and prints "start_frame=F" (JACK frame time of sample 0).
 *       The sample played at frame t is FILE[t - F] (looped with --loop), so what reached the
 *       destination is known from frame times alone. Without --loop it exits after the longest
 *       file plus 0.2 s ("end_frame=F"); with --loop it runs until the destination disappears
 *       and prints "disconnected_frame=F", the end of the last period that had run when the
 *       server told us (an upper bound for the last frame the destination can have received).
 * --bufsize-at S:N asks the server for N-frame periods S seconds into the signal. --seconds S
 * stops after S seconds (the reference client of bench/live.sh). Every run ends by printing
 * "xruns=N", the xruns the server reported to this client, and, if a cycle of ours was irregular
 * (late, after skipped frames, or an xrun reported), "feed_known_until=F": what reached the
 * destination from frame F on is not known. live_helper
 * expect REC TAKE FEED_START SIG OUT [--loop | --prefix] [--until F] the input the channel saw
 * during the take REC (sidecar TAKE): frame t carried SIG[t - FEED_START] (silence before, and
 * after the end unless --loop); the frames JACK skipped (the take's "gap" lines: an xrun on a
 * loaded machine) are left out; with --prefix it stops at the first gap, with --until at frame F
 * (an empty F: no limit).
 *   live_helper strip REC TAKE OUT       REC with the gap frames left out
 *   live_helper compare A B [TOL]
 *       A[i] against B[i] for every sample of A; prints the largest difference and the
 *       error-to-signal ratio; fails above TOL (default 0: bit-exact).
 *   live_helper bufsize SERVER N                      ask the server for N-frame periods
 *   live_helper latency SERVER PORT                   the port's capture latency (max), frames
 *   live_helper osc PORT PATH [ARG...]
 *       send PATH with ARGs (f:1.5, i:3, s:text) to 127.0.0.1:PORT and print the reply
 *       ("PATH arg arg ..."); fails if none arrives within 5 s. Also d:1.5, h:3, T and F.
 *   live_helper flood PORT N
 *       send N /gainstage/ch/1/get unpaced (reading replies as they come), then compare the
 *       client's OSC counters (/gainstage/status) before and after: every message must have been
 *       answered or counted as dropped. Prints "flood sent=N replies=R answered=A dropped=D".
 *   live_helper passthru SERVER N SECONDS              the load bench's reference client
 *       (bench/live.sh): client "passthru" with in_1..in_N and out_1..out_N, copies each input to
 *       its output for SECONDS, then prints "late=L xruns=X cycles=C": L its periods that ended
 *       after the next cycle had begun (gainstage live's "late periods", same test), X the xruns
 *       the server reported to it.
 */
#include <jack/jack.h>
#include <lo/lo.h>
#include <sndfile.h>

#include <arpa/inet.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXF 16

static float *load(const char *path, size_t *n, int *rate) {
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        fprintf(stderr, "live_helper: cannot read %s: %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    if (info.channels != 1) {
        fprintf(stderr, "live_helper: %s is not mono\n", path);
        sf_close(f);
        return NULL;
    }
    float *x = malloc(((size_t)info.frames + 1) * sizeof(float));
    *n = (size_t)sf_readf_float(f, x, info.frames);
    if (rate) *rate = info.samplerate;
    sf_close(f);
    return x;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static jack_client_t *open_client(const char *server, const char *name) {
    jack_status_t st;
    return jack_client_open(name, JackNoStartServer | JackServerName | JackUseExactName, &st,
                            server);
}

static int wait_server(const char *server, double seconds) {
    double t0 = now_s();
    while (now_s() - t0 < seconds) {
        jack_client_t *c = open_client(server, "live_helper_probe");
        if (c) {
            jack_client_close(c);
            return 0;
        }
        sleep_ms(100);
    }
    fprintf(stderr, "live_helper: JACK server %s did not answer in %.0f s\n", server, seconds);
    return 1;
}

/* ---- play ---- */
static struct {
    jack_client_t *c;
    jack_port_t *port[MAXF];
    float *sig[MAXF];
    size_t len[MAXF];
    int n, loop;
    atomic_int started;
    uint32_t start;
    atomic_int disconnected;
    _Atomic uint32_t disc_frame, cycle_end;
    atomic_ulong xruns;
    /* The feed is known only up to the first irregular cycle: one that ran late (JACK may then
     * have run the destination on a buffer we had not finished), one after skipped frames, or an
     * xrun reported to us (its cycle is taken to be the last one we completed). */
    atomic_int irregular;
    _Atomic uint32_t known_until, prev_end;
} P;

static void mark_irregular(uint32_t frame) {
    if (!atomic_exchange(&P.irregular, 1)) atomic_store(&P.known_until, frame);
}

static int play_xrun(void *arg) {
    (void)arg;
    atomic_fetch_add(&P.xruns, 1);
    if (atomic_load(&P.started))
        mark_irregular(atomic_load(&P.cycle_end) - jack_get_buffer_size(P.c));
    return 0;
}

static int play_process(jack_nframes_t nf, void *arg) {
    (void)arg;
    uint32_t t = jack_last_frame_time(P.c);
    int on = atomic_load(&P.started);
    for (int k = 0; k < P.n; k++) {
        float *o = jack_port_get_buffer(P.port[k], nf);
        for (uint32_t i = 0; i < nf; i++) {
            int64_t idx = (int32_t)(t + i - P.start);
            float v = 0.0f;
            if (on && idx >= 0) {
                if (P.loop)
                    v = P.sig[k][(size_t)idx % P.len[k]];
                else if ((size_t)idx < P.len[k])
                    v = P.sig[k][idx];
            }
            o[i] = v;
        }
    }
    if (on) {
        uint32_t pe = atomic_load(&P.prev_end);
        if (pe && t != pe) mark_irregular(pe);
        if (jack_frames_since_cycle_start(P.c) >= nf) mark_irregular(t);
    }
    atomic_store(&P.prev_end, t + nf);
    atomic_store(&P.cycle_end, t + nf);
    return 0;
}

static void play_connect_cb(jack_port_id_t a, jack_port_id_t b, int connect, void *arg) {
    (void)arg;
    (void)b;
    (void)a;
    if (!connect && atomic_load(&P.started) && !atomic_load(&P.disconnected)) {
        /* The end of the period in progress now: no cycle the destination ran can end later, so
         * this bounds what it can have recorded. The end of our own latest cycle is not a bound
         * if we ran late and JACK ran the destination without us. */
        uint32_t nf = jack_get_buffer_size(P.c), now = jack_frame_time(P.c);
        uint32_t end = now - (now - P.start) % nf + nf, ce = atomic_load(&P.cycle_end);
        atomic_store(&P.disc_frame, (int32_t)(ce - end) > 0 ? ce : end);
        atomic_store(&P.disconnected, 1);
    }
}

static int play(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *server = argv[2], *dest = argv[3];
    double bs_at = -1, timeout = 60, seconds = -1;
    unsigned bs_n = 0;
    int i = 4;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--loop"))
            P.loop = 1;
        else if (!strcmp(argv[i], "--bufsize-at") && i + 1 < argc)
            sscanf(argv[++i], "%lf:%u", &bs_at, &bs_n);
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
    }
    P.c = open_client(server, "feeder");
    if (!P.c) {
        fprintf(stderr, "live_helper: cannot open a client on %s\n", server);
        return 1;
    }
    double rate = jack_get_sample_rate(P.c);
    size_t maxlen = 0;
    for (; i < argc && P.n < MAXF; i++) {
        int r;
        P.sig[P.n] = load(argv[i], &P.len[P.n], &r);
        if (!P.sig[P.n] || r != (int)rate || P.len[P.n] == 0) {
            fprintf(stderr, "live_helper: %s unusable at %.0f Hz\n", argv[i], rate);
            return 1;
        }
        if (P.len[P.n] > maxlen) maxlen = P.len[P.n];
        char name[32];
        snprintf(name, sizeof name, "out_%d", P.n + 1);
        P.port[P.n] = jack_port_register(P.c, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        P.n++;
    }
    jack_set_process_callback(P.c, play_process, NULL);
    jack_set_port_connect_callback(P.c, play_connect_cb, NULL);
    jack_set_xrun_callback(P.c, play_xrun, NULL);
    if (jack_activate(P.c)) return 1;
    for (int k = 0; k < P.n; k++) {
        char d[256];
        snprintf(d, sizeof d, "%s%d", dest, k + 1);
        /* The client fed may have announced itself before its ports are all registered
         * (or, on a loaded machine, before the server has published them): retry for 5 s. */
        int tries = 0;
        while (jack_connect(P.c, jack_port_name(P.port[k]), d)) {
            if (++tries > 100) {
                fprintf(stderr, "live_helper: cannot connect to %s (tried for 5 s)\n", d);
                return 1;
            }
            usleep(50000);
        }
    }
    uint32_t period = jack_get_buffer_size(P.c);
    uint32_t s = jack_frame_time(P.c) + (uint32_t)(rate / 4);
    P.start = s - s % period;
    atomic_store(&P.started, 1);
    printf("start_frame=%u\n", P.start);
    fflush(stdout);
    double t0 = now_s();
    int bs_done = bs_at < 0;
    int rc = 0;
    for (;;) {
        sleep_ms(5);
        uint32_t t = jack_frame_time(P.c);
        int64_t pos = (int32_t)(t - P.start);
        if (!bs_done && pos >= (int64_t)(bs_at * rate)) {
            bs_done = 1;
            if (jack_set_buffer_size(P.c, bs_n))
                fprintf(stderr, "live_helper: bufsize failed\n");
            else
                printf("bufsize_frame=%u period=%u\n", jack_frame_time(P.c), bs_n);
        }
        if (!P.loop && pos >= (int64_t)maxlen + (int64_t)(rate / 5)) {
            printf("end_frame=%u\n", t);
            break;
        }
        if (P.loop && atomic_load(&P.disconnected)) {
            printf("disconnected_frame=%u\n", atomic_load(&P.disc_frame));
            break;
        }
        if (seconds >= 0 && now_s() - t0 >= seconds) break;
        if (now_s() - t0 > timeout) {
            fprintf(stderr, "live_helper: play timed out\n");
            rc = 1;
            break;
        }
    }
    jack_deactivate(P.c);
    jack_client_close(P.c);
    printf("xruns=%lu\n", atomic_load(&P.xruns));
    if (atomic_load(&P.irregular)) printf("feed_known_until=%u\n", atomic_load(&P.known_until));
    for (int k = 0; k < P.n; k++) free(P.sig[k]);
    return rc;
}

/* ---- expect, strip, compare ---- */

/* The gaps of a take's sidecar: file offset and length in frames. */
static int read_take(const char *path, long *tstart, long *gat, long *glen, int max) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int n = 0;
    *tstart = -1;
    while (fgets(line, sizeof line, f)) {
        long a, b;
        if (sscanf(line, "start_frame = %ld", &a) == 1) *tstart = a;
        if (sscanf(line, "gap = %ld %ld", &a, &b) == 2 && n < max) {
            gat[n] = a;
            glen[n++] = b;
        }
    }
    fclose(f);
    return n;
}

static int in_gap(long i, const long *gat, const long *glen, int ng) {
    for (int g = 0; g < ng; g++)
        if (i >= gat[g] && i < gat[g] + glen[g]) return 1;
    return 0;
}

static int save(const char *path, const float *x, size_t n) {
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 48000;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return 1;
    sf_writef_float(f, x, (sf_count_t)n);
    sf_close(f);
    return 0;
}

/* expect REC TAKE FEED_START SIG OUT [--loop]: the input the channel saw during the take (frames
 * JACK skipped left out), from the feed's definition: frame t carried SIG[t - FEED_START].
 * strip REC TAKE OUT: the recording with the gap frames left out. */
static int expect_strip(int argc, char **argv, int strip) {
    long gat[1024], glen[1024], tstart;
    size_t nr;
    float *rec = load(argv[2], &nr, NULL);
    int ng = read_take(argv[3], &tstart, gat, glen, 1024);
    if (!rec || ng < 0 || tstart < 0) return 1;
    float *out = malloc((nr + 1) * sizeof(float));
    size_t m = 0;
    if (strip) {
        for (size_t i = 0; i < nr; i++)
            if (!in_gap((long)i, gat, glen, ng)) out[m++] = rec[i];
        printf("gaps=%d kept=%zu of %zu\n", ng, m, nr);
        int rc = save(argv[4], out, m);
        free(rec);
        free(out);
        return rc;
    }
    long feed = atol(argv[4]);
    size_t ns;
    float *sig = load(argv[5], &ns, NULL);
    int loop = 0, prefix = 0;
    long until = -1; /* a JACK frame time: the feed is not known from there on */
    for (int a = 7; a < argc; a++) {
        if (!strcmp(argv[a], "--loop")) loop = 1;
        if (!strcmp(argv[a], "--prefix")) prefix = 1;
        if (!strcmp(argv[a], "--until") && a + 1 < argc && argv[a + 1][0]) until = atol(argv[++a]);
    }
    if (!sig) {
        free(rec);
        free(out);
        return 1;
    }
    for (size_t i = 0; i < nr; i++) {
        if (until >= 0 && (int32_t)((uint32_t)tstart + (uint32_t)i - (uint32_t)until) >= 0) break;
        if (in_gap((long)i, gat, glen, ng)) {
            if (prefix) break;
            continue;
        }
        long j = tstart + (long)i - feed;
        float v = 0.0f;
        if (j >= 0 && loop)
            v = sig[(size_t)j % ns];
        else if (j >= 0 && (size_t)j < ns)
            v = sig[j];
        out[m++] = v;
    }
    printf("gaps=%d frames=%zu\n", ng, m);
    int rc = save(argv[6], out, m);
    free(rec);
    free(out);
    free(sig);
    return rc;
}

/* compare A B [TOL]: A[i] against B[i] for every sample of A (B may be longer). */
static int compare(const char *ap, const char *bp, double tol) {
    size_t na, nb;
    float *a = load(ap, &na, NULL), *b = load(bp, &nb, NULL);
    if (!a || !b) return 1;
    if (nb < na) {
        printf("FAIL: %s has %zu frames, %s only %zu\n", ap, na, bp, nb);
        return 1;
    }
    double md = 0, e = 0, s = 0;
    for (size_t i = 0; i < na; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        md = d > md ? d : md;
        e += d * d;
        s += (double)b[i] * b[i];
    }
    printf("compared=%zu maxdiff=%.3g esr=%.3g ref_rms=%.3g\n", na, md, s > 0 ? e / s : e,
           na ? sqrt(s / (double)na) : 0.0);
    free(a);
    free(b);
    return (md <= tol && na > 0 && s > 0) ? 0 : 1;
}

/* ---- osc ---- */
static int osc(int argc, char **argv) {
    if (argc < 4) return 2;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)atoi(argv[2]));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lo_message m = lo_message_new();
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "f:", 2))
            lo_message_add_float(m, (float)atof(a + 2));
        else if (!strncmp(a, "i:", 2))
            lo_message_add_int32(m, atoi(a + 2));
        else if (!strncmp(a, "s:", 2))
            lo_message_add_string(m, a + 2);
        else if (!strncmp(a, "d:", 2))
            lo_message_add_double(m, atof(a + 2));
        else if (!strncmp(a, "h:", 2))
            lo_message_add_int64(m, atoll(a + 2));
        else if (!strcmp(a, "T"))
            lo_message_add_true(m);
        else if (!strcmp(a, "F"))
            lo_message_add_false(m);
        else {
            fprintf(stderr, "live_helper: argument '%s' needs f:, i: or s:\n", a);
            return 2;
        }
    }
    size_t size;
    void *data = lo_message_serialise(m, argv[3], NULL, &size);
    lo_message_free(m);
    sendto(fd, data, size, 0, (struct sockaddr *)&to, sizeof to);
    free(data);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) {
        fprintf(stderr, "live_helper: no OSC reply to %s\n", argv[3]);
        return 1;
    }
    static char buf[65536];
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    int res;
    lo_message r = len > 0 ? lo_message_deserialise(buf, (size_t)len, &res) : NULL;
    if (!r) return 1;
    printf("%s", lo_get_path(buf, len));
    const char *types = lo_message_get_types(r);
    lo_arg **av = lo_message_get_argv(r);
    for (int i = 0; types[i]; i++) {
        /* The argument pointers need not be aligned for lo_arg: copy the bytes. */
        float f;
        int32_t n;
        if (types[i] == 'f') {
            memcpy(&f, av[i], sizeof f);
            printf(" %.4f", (double)f);
        } else if (types[i] == 'i') {
            memcpy(&n, av[i], sizeof n);
            printf(" %d", n);
        } else if (types[i] == 's') {
            printf(" %s", (const char *)av[i]);
        }
    }
    printf("\n");
    lo_message_free(r);
    close(fd);
    return 0;
}

/* The "osc received R answered A dropped D" counters of a /gainstage/status reply. */
static int osc_counters(int fd, const struct sockaddr_in *to, unsigned long long *c) {
    lo_message m = lo_message_new();
    size_t size;
    void *data = lo_message_serialise(m, "/gainstage/status", NULL, &size);
    lo_message_free(m);
    sendto(fd, data, size, 0, (const struct sockaddr *)to, sizeof *to);
    free(data);
    static char buf[65536];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) return -1;
        ssize_t len = recv(fd, buf, sizeof buf - 1, 0);
        if (len <= 0) return -1;
        buf[len] = '\0';
        if (strcmp(buf, "/gainstage/status")) continue; /* a late reply of the flood */
        for (ssize_t i = 0; i < len; i++)
            if (!strncmp(buf + i, "osc received ", 13))
                return sscanf(buf + i, "osc received %llu answered %llu dropped %llu", &c[0], &c[1],
                              &c[2]) == 3
                           ? 0
                           : -1;
        return -1;
    }
}

static int flood(const char *port, long n) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rcv = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)atoi(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned long long c0[3], c1[3];
    if (osc_counters(fd, &to, c0)) {
        fprintf(stderr, "live_helper: no counters in /gainstage/status\n");
        return 1;
    }
    lo_message m = lo_message_new();
    size_t size;
    void *data = lo_message_serialise(m, "/gainstage/ch/1/get", NULL, &size);
    lo_message_free(m);
    static char buf[65536];
    long replies = 0;
    for (long i = 0; i < n; i++) {
        sendto(fd, data, size, 0, (struct sockaddr *)&to, sizeof to);
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) replies++;
    }
    free(data);
    /* The rest of the replies, until none for half a second. */
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 500) <= 0) break;
        if (recv(fd, buf, sizeof buf, 0) > 0) replies++;
    }
    if (osc_counters(fd, &to, c1)) {
        fprintf(stderr, "live_helper: no counters in /gainstage/status after the flood\n");
        return 1;
    }
    close(fd);
    /* The first status query was answered after its line was made: one more than the flood. */
    unsigned long long answered = c1[1] - c0[1], dropped = c1[2] - c0[2];
    printf("flood sent=%ld replies=%ld answered=%llu dropped=%llu\n", n, replies, answered - 1,
           dropped);
    return answered + dropped == (unsigned long long)n + 1 ? 0 : 1;
}

static void quiet(const char *msg) { (void)msg; }

static int bufsize(const char *server, unsigned n) {
    jack_client_t *c = open_client(server, "live_helper_bufsize");
    if (!c) return 1;
    int rc = jack_set_buffer_size(c, n);
    jack_client_close(c);
    return rc ? 1 : 0;
}

/* latency SERVER PORT: the port's capture latency range (max), frames. */
static int latency(const char *server, const char *name) {
    jack_client_t *c = open_client(server, "live_helper_latency");
    if (!c) return 1;
    jack_port_t *p = jack_port_by_name(c, name);
    if (!p) {
        jack_client_close(c);
        return 1;
    }
    jack_latency_range_t r;
    jack_port_get_latency_range(p, JackCaptureLatency, &r);
    printf("%u\n", r.max);
    jack_client_close(c);
    return 0;
}

/* ---- passthru: a client that only copies, for the machine's share of late periods ---- */
#define PT_MAX 64
static struct {
    jack_client_t *c;
    jack_port_t *in[PT_MAX], *out[PT_MAX];
    int n;
    atomic_ulong late, xruns, cycles;
} pt;

static int pt_process(jack_nframes_t nf, void *arg) {
    (void)arg;
    jack_nframes_t cf;
    jack_time_t cur, next;
    float per_us;
    int have = jack_get_cycle_times(pt.c, &cf, &cur, &next, &per_us) == 0;
    for (int k = 0; k < pt.n; k++)
        memcpy(jack_port_get_buffer(pt.out[k], nf), jack_port_get_buffer(pt.in[k], nf),
               nf * sizeof(float));
    if (have && next > cur && jack_get_time() > next) atomic_fetch_add(&pt.late, 1);
    atomic_fetch_add(&pt.cycles, 1);
    return 0;
}

static int pt_xrun(void *arg) {
    (void)arg;
    atomic_fetch_add(&pt.xruns, 1);
    return 0;
}

static int passthru(const char *server, int n, double seconds) {
    if (n < 1 || n > PT_MAX || !(seconds > 0)) return 2;
    pt.n = n;
    pt.c = open_client(server, "passthru");
    if (!pt.c) {
        fprintf(stderr, "live_helper: no JACK server '%s'\n", server);
        return 1;
    }
    for (int k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof name, "in_%d", k + 1);
        pt.in[k] = jack_port_register(pt.c, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        snprintf(name, sizeof name, "out_%d", k + 1);
        pt.out[k] = jack_port_register(pt.c, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
        if (!pt.in[k] || !pt.out[k]) return 1;
    }
    jack_set_process_callback(pt.c, pt_process, NULL);
    jack_set_xrun_callback(pt.c, pt_xrun, NULL);
    if (jack_activate(pt.c)) return 1;
    sleep_ms((long)(seconds * 1000.0));
    jack_deactivate(pt.c);
    jack_client_close(pt.c);
    printf("late=%lu xruns=%lu cycles=%lu\n", atomic_load(&pt.late), atomic_load(&pt.xruns),
           atomic_load(&pt.cycles));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    /* libjack reports every failed connection attempt on stderr; the probes expect some. */
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
    if (!strcmp(argv[1], "latency") && argc >= 4) return latency(argv[2], argv[3]);
    if (!strcmp(argv[1], "bufsize") && argc >= 4) return bufsize(argv[2], (unsigned)atoi(argv[3]));
    if (!strcmp(argv[1], "wait-server") && argc >= 3)
        return wait_server(argv[2], argc > 3 ? atof(argv[3]) : 30.0);
    if (!strcmp(argv[1], "play")) return play(argc, argv);
    if (!strcmp(argv[1], "expect") && argc >= 7) return expect_strip(argc, argv, 0);
    if (!strcmp(argv[1], "strip") && argc >= 5) return expect_strip(argc, argv, 1);
    if (!strcmp(argv[1], "compare") && argc >= 4)
        return compare(argv[2], argv[3], argc > 4 ? atof(argv[4]) : 0.0);
    if (!strcmp(argv[1], "osc")) return osc(argc, argv);
    if (!strcmp(argv[1], "flood") && argc >= 4) return flood(argv[2], atol(argv[3]));
    if (!strcmp(argv[1], "passthru") && argc >= 5)
        return passthru(argv[2], atoi(argv[3]), atof(argv[4]));
    fprintf(stderr, "usage: see the comment at the top of tests/live_helper.c\n");
    return 2;
}
