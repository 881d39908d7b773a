/* mkref: make an ngspice reference output for a sampled input signal.
 *
 *   mkref --netlist TEMPLATE [--set name=value ...] --in INPUT.wav --out REF.wav
 *         [--os 16] [--method trap|gear] [--tmax-div 64] [--reltol 1e-7]
 *         [--node out] [--no-pwl-eq] [--bp up|sample] [--out-os K] [--keep] [--quiet]
 *   mkref --filter-report [--os 16]
 *
 * The input (mono float WAV, volts) is reconstructed as a band-limited
 * continuous signal: upsampled by --os with a Kaiser-windowed sinc and drawn
 * as straight lines through the upsampled points (an XSPICE filesource).  The
 * interpolation filter also undoes the sinc^2 droop of the straight lines, so
 * that filter + line drawing is flat to ~1e-7 up to 0.46 fs.  A dummy pulse
 * source puts a simulator breakpoint on every upsampled point (so on every
 * sample instant), and the output node is read at exactly the sample
 * instants: nothing is interpolated.  The result is a stereo float WAV:
 * channel 1 = the input samples as given, channel 2 = v(out).
 *
 * With --out-os K (K >= 2) the result is band-limited instead: v(out) is read at K times the
 * rate (every such instant a breakpoint), low-passed by a linear-phase Kaiser FIR at that rate
 * (flat to within 1e-7 up to the band edge fb, 140 dB down from fs - fb, so that nothing folds
 * below fb) and decimated to fs. fb = min(22 kHz, (20 kHz + fs/2)/2): the stop edge of the
 * 20 kHz in-band low-pass the tests compare through (tests/test_tube.c). A reference
 * read at the sample instants holds the continuous output's own aliasing, which an alias-free
 * model rightly lacks (issue 15); this one does not. The simulation runs on past the last
 * sample for the filter's half length (input zero), so the last samples are filtered whole.
 *
 * Simulated time runs from -P samples (P = half the filter length) so that
 * the reconstruction's pre-ringing before the first sample is included and
 * the circuit starts from its DC operating point at (practically) zero input.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Filter specification (fractions of the input rate fs). */
#define PASS_EDGE 0.46
#define STOP_EDGE 0.54
#define STOP_DB 140.0

static int quiet;
static char g_dir[4096]; /* temp dir, if made */
static int g_keep;

/* on failure, drop the big files but keep circuit.cir and ngspice.log */
static void die(const char *fmt, ...) {
    va_list ap;
    fputs("mkref: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (g_dir[0] && !g_keep) {
        char p[4200];
        snprintf(p, sizeof p, "%s/src.txt", g_dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/out.raw", g_dir);
        unlink(p);
    }
    exit(1);
}

static void note(const char *fmt, ...) {
    va_list ap;
    if (quiet) return;
    fputs("mkref: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- filter */

static double bessel_i0(double x) {
    double sum = 1.0, term = 1.0, q = 0.25 * x * x;
    for (int k = 1; k < 500; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return sum;
}

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    return sin(M_PI * x) / (M_PI * x);
}

typedef struct {
    int L;      /* upsampling factor */
    int P;      /* input samples of pre-roll (half the filter span) */
    int M;      /* half length in taps: tap(m) for |m| <= M */
    double *h;  /* h[0..M], symmetric: tap(-m) = tap(m); DC gain L */
    int pwl_eq; /* compensates the sinc^2 droop of linear interpolation */
} interp_filter;

/* Kaiser-windowed sinc, length from the usual (A - 7.95) / (2.285 dw)
 * estimate; a Nyquist filter (taps at multiples of L are zero, so the
 * upsampled signal passes exactly through the input samples).
 *
 * With pwl_eq, it is followed by a 7-tap equaliser at the upsampled rate
 * for the sinc^2(f/(L fs)) droop of straight-line interpolation:
 *   1/sinc^2 = arcsin^2(sqrt(u))/u = 1 + u/3 + 8u^2/45 + 4u^3/35 + O(u^4),
 *   u = sin^2(w/2) = (1 - cos w)/2 <= 0.0082 for f <= 0.46 fs at L >= 16,
 * so the truncation error is < 1e-9 there (7e-8 at L = 8). */
static void design_filter(interp_filter *f, int L, int pwl_eq) {
    double dw = 2.0 * M_PI * (STOP_EDGE - PASS_EDGE) / (double)L;
    double ntaps = (STOP_DB - 7.95) / (2.285 * dw);
    double beta = 0.1102 * (STOP_DB - 8.7);
    int P = (int)ceil(ntaps / (2.0 * L));
    int M0 = P * L;
    double i0b = bessel_i0(beta);
    double *h0 = xmalloc(sizeof(double) * (size_t)(2 * M0 + 1)); /* h0[M0 + m] */
    for (int m = 0; m <= M0; m++) {
        double r = (double)m / (double)M0;
        double w = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
        double ideal = (m % L == 0 && m != 0) ? 0.0 : sinc((double)m / (double)L);
        h0[M0 + m] = h0[M0 - m] = w * ideal;
    }
    /* equaliser e[-3..3] = 1 + u/3 + 8/45 u^2 + 4/35 u^3, u = [-1/4, 1/2, -1/4] */
    double e[7] = {0, 0, 0, 1, 0, 0, 0};
    if (pwl_eq) {
        double u[7] = {0, 0, -0.25, 0.5, -0.25, 0, 0}, up[7], tmp[7];
        double coef[3] = {1.0 / 3.0, 8.0 / 45.0, 4.0 / 35.0};
        memcpy(up, u, sizeof up);
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < 7; i++) e[i] += coef[p] * up[i];
            for (int i = 0; i < 7; i++) { /* up = up * u (stays within 7 taps) */
                double acc = 0.0;
                for (int j = 0; j < 7; j++) {
                    int d = i - j + 3;
                    if (d >= 0 && d < 7) acc += up[j] * u[d];
                }
                tmp[i] = acc;
            }
            memcpy(up, tmp, sizeof up);
        }
    }
    int K = pwl_eq ? 3 : 0;
    f->L = L;
    f->P = P;
    f->M = M0 + K;
    f->pwl_eq = pwl_eq;
    f->h = xmalloc(sizeof(double) * (size_t)(f->M + 1));
    for (int m = 0; m <= f->M; m++) {
        double acc = 0.0;
        for (int j = -K; j <= K; j++) {
            int i = m - j;
            if (i >= -M0 && i <= M0) acc += e[3 + j] * h0[M0 + i];
        }
        f->h[m] = acc;
    }
    free(h0);
}

/* Response of filter + linear interpolation relative to ideal, at nu = f/fs. */
static double filter_response(const interp_filter *f, double nu, int with_pwl) {
    double acc = f->h[0];
    double a = 2.0 * M_PI * nu / (double)f->L;
    for (int m = 1; m <= f->M; m++) acc += 2.0 * f->h[m] * cos(a * (double)m);
    acc /= (double)f->L;
    if (with_pwl) {
        double s = sinc(nu / (double)f->L);
        acc *= s * s;
    }
    return acc;
}

static void filter_report(const interp_filter *f) {
    double pmax = 0.0, smax = 0.0, smax_pwl = 0.0;
    int np = 4000;
    for (int k = 0; k <= np; k++) {
        double nu = PASS_EDGE * (double)k / np;
        double d = fabs(filter_response(f, nu, 1) - 1.0);
        if (d > pmax) pmax = d;
    }
    /* stopband of the discrete upsampler: STOP_EDGE .. L/2 */
    int ns = 200 * f->L;
    for (int k = 0; k <= ns; k++) {
        double nu = STOP_EDGE + (0.5 * f->L - STOP_EDGE) * (double)k / ns;
        double r = fabs(filter_response(f, nu, 0));
        double rp = fabs(filter_response(f, nu, 1));
        if (r > smax) smax = r;
        if (rp > smax_pwl) smax_pwl = rp;
    }
    printf("interpolation filter: os=%d taps=%d (P=%d input samples each side) pwl_eq=%d\n", f->L,
           2 * f->M + 1, f->P, f->pwl_eq);
    printf("  passband 0..%.2f fs: max |filter*pwl - 1| = %.3g\n", PASS_EDGE, pmax);
    printf("  stopband %.2f fs..%d fs: filter %.1f dB, filter*pwl %.1f dB\n", STOP_EDGE,
           f->L / 2, 20.0 * log10(smax + 1e-300), 20.0 * log10(smax_pwl + 1e-300));
}

/* y[m], m = 0..nout-1, at time m/(L fs) - P/fs, from x[0..n-1] at n/fs. */
static double *upsample(const interp_filter *f, const double *x, long n, long nout) {
    double *y = xmalloc(sizeof(double) * (size_t)nout);
    long L = f->L, M = f->M;
    for (long m = 0; m < nout; m++) {
        long q = m - (long)f->P * L; /* position relative to x[0], in upsampled ticks */
        long lo = q - M, hi = q + M;
        long n0 = lo >= 0 ? (lo + L - 1) / L : -((-lo) / L); /* ceil(lo/L) */
        long n1 = hi >= 0 ? hi / L : -((-hi + L - 1) / L);  /* floor(hi/L) */
        if (n0 < 0) n0 = 0;
        if (n1 > n - 1) n1 = n - 1;
        double acc = 0.0;
        for (long k = n0; k <= n1; k++) {
            long d = q - k * L;
            acc += x[k] * f->h[d < 0 ? -d : d];
        }
        y[m] = acc;
    }
    return y;
}

/* Band edge of a band-limited reference (see the header): the in-band low-pass's stop edge. */
static double bl_edge(double fs) { return fmin(22000.0, 0.5 * (20000.0 + 0.5 * fs)); }

/* Decimation low-pass at K fs: Kaiser-windowed sinc cut at fs/2, transition fb .. fs - fb, 140
 * dB (ripple 1e-7 in the band); taps h[0..M] (symmetric), DC gain 1. */
static double *design_decimator(double fs, int K, int *M) {
    double fb = bl_edge(fs), dw = 2.0 * M_PI * (fs - 2.0 * fb) / ((double)K * fs);
    double beta = 0.1102 * (STOP_DB - 8.7), i0b = bessel_i0(beta);
    *M = (int)ceil((STOP_DB - 7.95) / (2.285 * dw) / 2.0);
    double *h = xmalloc(sizeof(double) * (size_t)(*M + 1)), dc = 0.0;
    for (int m = 0; m <= *M; m++) {
        double r = (double)m / (double)*M;
        h[m] = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b * sinc((double)m / K);
        dc += m ? 2.0 * h[m] : h[m];
    }
    for (int m = 0; m <= *M; m++) h[m] /= dc;
    return h;
}

/* ---------------------------------------------------------------- netlist */

typedef struct {
    char *name;
    char *value;
    int used;
} param_set;

static char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) die("cannot open %s: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0) die("cannot seek %s", path);
    long sz = ftell(fp);
    if (sz < 0) die("cannot size %s", path);
    rewind(fp);
    char *buf = xmalloc((size_t)sz + 1);
    size_t got = fread(buf, 1, (size_t)sz, fp);
    fclose(fp);
    if (got != (size_t)sz) die("short read on %s", path);
    buf[sz] = 0;
    if (len) *len = (size_t)sz;
    return buf;
}

static int ieq_prefix(const char *s, const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != word[i]) return 0;
    return s[n] == 0 || isspace((unsigned char)s[n]) || (s[n] == '=' && word[0] != '.');
}

/* Copy the template to fp, substituting overridden .param values and
 * dropping the final .end (mkref appends its own analysis and .end). */
static void emit_template(FILE *fp, const char *tpl_path, param_set *ps, int nps) {
    char *text = read_file(tpl_path, NULL);
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        const char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (lineno > 1 && ieq_prefix(s, ".end")) continue;
        if (lineno > 1 && (ieq_prefix(s, ".tran") || ieq_prefix(s, ".control")))
            die("%s:%d: the template must not contain %s (mkref adds the analysis)", tpl_path,
                lineno, s);
        if (lineno > 1 && ieq_prefix(s, ".param")) {
            const char *p = s + 6;
            while (isspace((unsigned char)*p)) p++;
            const char *n0 = p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_')) p++;
            size_t nl = (size_t)(p - n0);
            int hit = -1;
            for (int i = 0; i < nps; i++)
                if (strlen(ps[i].name) == nl && strncasecmp(ps[i].name, n0, nl) == 0) hit = i;
            if (hit >= 0) {
                fprintf(fp, ".param %s = %s\n", ps[hit].name, ps[hit].value);
                ps[hit].used = 1;
                continue;
            }
        }
        fprintf(fp, "%s\n", line);
    }
    free(text);
    for (int i = 0; i < nps; i++)
        if (!ps[i].used)
            die("parameter '%s' is not declared in %s (needs a '.param %s = ...' line)",
                ps[i].name, tpl_path, ps[i].name);
}

/* ---------------------------------------------------------------- raw file */

typedef struct {
    long npoints;
    int nvars;
    double *data; /* npoints * nvars */
    char **names;
} rawfile;

static void read_raw(const char *path, rawfile *r) {
    size_t len;
    char *buf = read_file(path, &len);
    char *bin = strstr(buf, "Binary:\n");
    if (!bin) die("ngspice raw file %s has no binary data (simulation did not run?)", path);
    *bin = 0;
    size_t off = (size_t)(bin - buf) + 8;
    char *p = strstr(buf, "No. Variables:");
    char *q = strstr(buf, "No. Points:");
    char *v = strstr(buf, "Variables:\n");
    if (!p || !q || !v) die("cannot parse ngspice raw header in %s", path);
    if (strstr(buf, "Flags: complex")) die("unexpected complex data in %s", path);
    r->nvars = atoi(p + 14);
    long hdr_points = atol(q + 11);
    if (r->nvars < 2 || r->nvars > 1000) die("bad variable count in %s", path);
    r->names = xmalloc(sizeof(char *) * (size_t)r->nvars);
    char *save = NULL;
    char *line = strtok_r(v + 11, "\n", &save);
    for (int i = 0; i < r->nvars; i++) {
        if (!line) die("truncated variable list in %s", path);
        int idx;
        char name[256], type[64];
        if (sscanf(line, " %d %255s %63s", &idx, name, type) != 3 || idx != i)
            die("cannot parse variable line '%s' in %s", line, path);
        r->names[i] = strdup(name);
        line = strtok_r(NULL, "\n", &save);
    }
    long avail = (long)((len - off) / (sizeof(double) * (size_t)r->nvars));
    r->npoints = hdr_points > 0 && hdr_points < avail ? hdr_points : avail;
    r->data = xmalloc(sizeof(double) * (size_t)r->npoints * (size_t)r->nvars);
    memcpy(r->data, buf + off, sizeof(double) * (size_t)r->npoints * (size_t)r->nvars);
    free(buf);
}

static int raw_index(const rawfile *r, const char *name) {
    for (int i = 0; i < r->nvars; i++)
        if (strcasecmp(r->names[i], name) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- ngspice */

static void check_log(const char *logpath) {
    FILE *fp = fopen(logpath, "r");
    if (!fp) return;
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strstr(line, "imestep too small") || strstr(line, "simulation(s) aborted") ||
            strstr(line, "cannot open") || strstr(line, "nknown model") ||
            strstr(line, "rror") || strstr(line, "no such vector") ||
            strstr(line, "not converge")) {
            if (strstr(line, "rror") && strstr(line, "no errors")) continue;
            fclose(fp);
            die("ngspice reported: %s (log: %s)", line, logpath);
        }
    }
    fclose(fp);
}

static double child_cpu_s(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0) return 0.0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* returns wall time; *cpu gets the child's CPU time */
static double run_ngspice(const char *ngspice, const char *dir, double *cpu) {
    double c0 = child_cpu_s();
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) die("fork failed: %s", strerror(errno));
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(126);
        FILE *lf = freopen("ngspice.log", "w", stdout);
        if (!lf) _exit(126);
        if (dup2(fileno(stdout), 2) < 0) _exit(126);
        execlp(ngspice, ngspice, "-b", "-r", "out.raw", "circuit.cir", (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) die("waitpid failed: %s", strerror(errno));
    double dt = now_s() - t0;
    *cpu = child_cpu_s() - c0;
    char logpath[4200];
    snprintf(logpath, sizeof logpath, "%s/ngspice.log", dir);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        die("cannot run '%s' (is ngspice installed and on PATH?)", ngspice);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        check_log(logpath);
        die("ngspice failed (status %d; log: %s)", WIFEXITED(st) ? WEXITSTATUS(st) : -1, logpath);
    }
    check_log(logpath);
    return dt;
}

/* ---------------------------------------------------------------- main */

static void usage(void) {
    fputs("usage: mkref --netlist TEMPLATE [--set name=value ...] --in INPUT.wav --out REF.wav\n"
          "             [--os 16] [--method trap|gear] [--tmax-div 64] [--reltol 1e-7]\n"
          "             [--node out] [--no-pwl-eq] [--bp up|sample] [--out-os K] [--keep]\n"
          "             [--quiet]\n"
          "       mkref --filter-report [--os 16] [--no-pwl-eq]\n",
          stderr);
    exit(2);
}

static long parse_long(const char *s, const char *what) {
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || *e || e == s) die("bad %s '%s'", what, s);
    return v;
}

static double parse_double(const char *s, const char *what) {
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || *e || e == s) die("bad %s '%s'", what, s);
    return v;
}

int main(int argc, char **argv) {
    const char *netlist = NULL, *in_path = NULL, *out_path = NULL, *method = "trap";
    const char *node = "out", *bp = "up";
    const char *ngspice = getenv("NGSPICE") ? getenv("NGSPICE") : "ngspice";
    long os = 16, tmax_div = 64, out_os = 1;
    double reltol = 1e-7, ttol = 1e-15;
    int keep = 0, pwl_eq = 1, report = 0;
    param_set *ps = xmalloc(sizeof(param_set) * (size_t)argc);
    int nps = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
#define ARG(name) (strcmp(a, name) == 0 && (has || (die("%s needs a value", name), 0)))
        if (ARG("--netlist")) netlist = argv[++i];
        else if (ARG("--in")) in_path = argv[++i];
        else if (ARG("--out")) out_path = argv[++i];
        else if (ARG("--os")) os = parse_long(argv[++i], "--os");
        else if (ARG("--out-os")) out_os = parse_long(argv[++i], "--out-os");
        else if (ARG("--method")) method = argv[++i];
        else if (ARG("--tmax-div")) tmax_div = parse_long(argv[++i], "--tmax-div");
        else if (ARG("--reltol")) reltol = parse_double(argv[++i], "--reltol");
        else if (ARG("--ttol")) ttol = parse_double(argv[++i], "--ttol");
        else if (ARG("--node")) node = argv[++i];
        else if (ARG("--bp")) bp = argv[++i];
        else if (ARG("--ngspice")) ngspice = argv[++i];
        else if (ARG("--set")) {
            char *kv = argv[++i];
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv || !eq[1]) die("--set wants name=value, got '%s'", kv);
            for (const char *c = kv; c < eq; c++)
                if (!isalnum((unsigned char)*c) && *c != '_') die("bad parameter name in '%s'", kv);
            for (const char *c = eq + 1; *c; c++)
                if (isspace((unsigned char)*c)) die("parameter value must not contain spaces: '%s'", kv);
            ps[nps].name = strndup(kv, (size_t)(eq - kv));
            ps[nps].value = eq + 1;
            ps[nps].used = 0;
            nps++;
        } else if (strcmp(a, "--keep") == 0) keep = 1;
        else if (strcmp(a, "--quiet") == 0) quiet = 1;
        else if (strcmp(a, "--no-pwl-eq") == 0) pwl_eq = 0;
        else if (strcmp(a, "--filter-report") == 0) report = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) usage();
        else die("unknown argument '%s' (try --help)", a);
#undef ARG
    }
    if (os < 1 || os > 256) die("--os must be 1..256");
    if (out_os < 1 || out_os > 64) die("--out-os must be 1..64");
    if (report) {
        interp_filter f;
        design_filter(&f, (int)os, pwl_eq);
        filter_report(&f);
        return 0;
    }
    if (!netlist || !in_path || !out_path) usage();
    if (strcmp(method, "trap") != 0 && strcmp(method, "gear") != 0)
        die("--method must be trap or gear");
    if (tmax_div < 1) die("--tmax-div must be >= 1");
    if (strcmp(bp, "up") != 0 && strcmp(bp, "sample") != 0) die("--bp must be up or sample");
    for (const char *c = node; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_') die("bad node name '%s'", node);

    /* --- input */
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(in_path, SFM_READ, &si);
    if (!sf) die("cannot open %s: %s", in_path, sf_strerror(NULL));
    if (si.channels != 1) die("%s: input must be mono (has %d channels)", in_path, si.channels);
    int sub = si.format & SF_FORMAT_SUBMASK;
    if (sub != SF_FORMAT_FLOAT && sub != SF_FORMAT_DOUBLE)
        die("%s: input must be a float WAV of volts", in_path);
    if (si.frames < 2) die("%s: too few samples", in_path);
    long n = (long)si.frames;
    double fs = (double)si.samplerate;
    float *xin = xmalloc(sizeof(float) * (size_t)n);
    if (sf_readf_float(sf, xin, n) != n) die("%s: short read", in_path);
    sf_close(sf);
    double *x = xmalloc(sizeof(double) * (size_t)n);
    for (long i = 0; i < n; i++) {
        if (!isfinite(xin[i])) die("%s: non-finite sample at %ld", in_path, i);
        x[i] = (double)xin[i];
    }

    /* --- reconstruction */
    double t0 = now_s();
    interp_filter f;
    design_filter(&f, (int)os, pwl_eq);
    long L = os, P = f.P, K = out_os;
    int dM = 0; /* decimation filter half length (K fs taps) */
    double *dh = K > 1 ? design_decimator(fs, (int)K, &dM) : NULL;
    long E = K > 1 ? dM / K + 2 : 0; /* samples simulated past the last, for the filter */
    long m_stop = (n - 1 + P) * L;      /* upsampled index of the last sample */
    long nup = m_stop + (2 + E) * L + 1; /* a little past the end */
    double *y = upsample(&f, x, n, nup);
    double t_design = now_s() - t0;

    /* --- temp dir */
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/mkref.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) die("cannot create temp dir %s: %s", dir, strerror(errno));
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    g_keep = keep;
    char path[4200];

    snprintf(path, sizeof path, "%s/src.txt", dir);
    FILE *fp = fopen(path, "w");
    if (!fp) die("cannot write %s", path);
    double fup = fs * (double)L;
    for (long m = 0; m < nup; m++) fprintf(fp, "%.17g %.17g\n", (double)m / fup, y[m]);
    if (fclose(fp) != 0) die("write error on %s", path);

    double T = 1.0 / fs, Tk = T / (double)K; /* the output instants' spacing */
    int up = strcmp(bp, "up") == 0;
    double tick = 1.0 / fup; /* upsampled point spacing */
    /* run half a sample past the last instant, so that it is an ordinary
     * breakpoint and not the final point */
    double tstop = ((double)(n - 1 + P + E) + 0.5) / fs;
    double tmax = T / (double)tmax_div;
    double minbreak = 8.0 * (nextafter(tstop, 2.0 * tstop) - tstop);

    snprintf(path, sizeof path, "%s/circuit.cir", dir);
    fp = fopen(path, "w");
    if (!fp) die("cannot write %s", path);
    emit_template(fp, netlist, ps, nps);
    fprintf(fp,
            "\n* ---- added by mkref ----\n"
            "* band-limited input: straight lines through the x%ld upsampled points\n"
            ".model mkref_fsrc filesource (file=\"src.txt\" amploffset=[0] amplscale=[1]\n"
            "+ timeoffset=0 timescale=1 timerelative=false amplstep=false)\n"
            "amkref_src %%v([in]) mkref_fsrc\n"
            "* time-point forcing: dummy pulse sources whose corners are breakpoints.\n"
            "* ngspice-39 re-arms a pulse's next breakpoint only when a step was cut\n"
            "* to land on one of its corners; if a step happens to end on a corner by\n"
            "* itself the chain stops.  Three chains with different corner sets re-arm\n"
            "* each other: every sample instant, every half-sample instant, %s\n"
            "vmkref_tk1 mkref_tk1 0 PULSE(0 1 0 %.17g %.17g %.17g %.17g)\n"
            "rmkref_tk1 mkref_tk1 0 1k\n"
            "vmkref_tk2 mkref_tk2 0 PULSE(0 1 %.17g %.17g %.17g %.17g %.17g)\n"
            "rmkref_tk2 mkref_tk2 0 1k\n"
            "%svmkref_tk3 mkref_tk3 0 PULSE(0 1 0 %.17g %.17g %.17g %.17g)\n"
            "%srmkref_tk3 mkref_tk3 0 1k\n"
            "* corners of different chains computed a few ulps apart are merged\n"
            ".options minbreak=%.3g\n"
            ".options method=%s reltol=%g abstol=1e-15 vntol=1e-12 chgtol=1e-18 itl4=50\n"
            ".tran %.17g %.17g 0 %.17g\n"
            ".save v(%s) v(in)\n"
            ".end\n",
            L, up ? "every upsampled point" : "(not the upsampled points: --bp sample)", Tk, Tk,
            Tk, 2.0 * Tk, 0.5 * Tk, Tk, Tk, Tk, 2.0 * Tk, up ? "" : "*", tick, tick, tick,
            2.0 * tick,
            up ? "" : "*", minbreak, method, reltol, T, tstop, tmax, node);
    if (fclose(fp) != 0) die("write error on %s", path);

    /* --- simulate */
    double t_cpu;
    double t_sim = run_ngspice(ngspice, dir, &t_cpu);

    snprintf(path, sizeof path, "%s/out.raw", dir);
    rawfile r;
    read_raw(path, &r);
    char vname[300];
    snprintf(vname, sizeof vname, "v(%s)", node);
    int it = raw_index(&r, "time"), io = raw_index(&r, vname), ii = raw_index(&r, "v(in)");
    if (it < 0 || io < 0 || ii < 0) die("output node '%s' (or time / in) missing from ngspice results", node);
    double tlast = r.data[(size_t)(r.npoints - 1) * (size_t)r.nvars + (size_t)it];
    if (tlast < tstop * (1.0 - 1e-15))
        die("simulation stopped at t=%.9g s of %.9g s (did not converge?)", tlast, tstop);

    /* --- pick the output instants (no interpolation): the sample instants, or with --out-os K
     * every instant q / (K fs) of simulated time from 0 (the pre-roll included) */
    long q0 = K > 1 ? 0 : P, nq = K > 1 ? K * (n + P + E - 1) + 1 : n;
    double *yq = xmalloc(sizeof(double) * (size_t)nq);
    double max_rel = 0.0, max_in_err = 0.0;
    long k = 0, dup = 0;
    for (long j = 0; j < r.npoints && k < nq; j++) {
        const double *row = r.data + (size_t)j * (size_t)r.nvars;
        double tn = (double)(k + K * q0) / ((double)K * fs);
        double t = row[it];
        double rel = tn > 0.0 ? fabs(t - tn) / tn : fabs(t);
        if (rel <= ttol) {
            /* ngspice may emit a point more than once (e.g. near a break):
             * all points at this instant must agree; take the nearest. */
            const double *best = row;
            double brel = rel;
            while (j + 1 < r.npoints) {
                const double *nx = r.data + (size_t)(j + 1) * (size_t)r.nvars;
                double nrel = tn > 0.0 ? fabs(nx[it] - tn) / tn : fabs(nx[it]);
                if (nrel > ttol) break;
                dup++;
                if (fabs(nx[io] - row[io]) > 1e-9 * (1.0 + fabs(row[io])))
                    die("different results at the same instant t=%.17g s (%.17g vs %.17g V)", tn,
                        row[io], nx[io]);
                if (nrel < brel) {
                    best = nx;
                    brel = nrel;
                }
                j++;
            }
            if (brel > max_rel) max_rel = brel;
            yq[k] = best[io];
            long ks = (k + K * q0) % K ? -1 : (k + K * q0) / K - P; /* input sample, if one */
            if (ks >= 0 && ks < n) {
                double e = fabs(best[ii] - x[ks]);
                if (e > max_in_err) max_in_err = e;
            }
            k++;
        } else if (t > tn) {
            die("no simulator time point at output instant %ld (t=%.17g s; nearest %.17g s, rel "
                "%.3g)",
                k, tn, t, rel);
        }
    }
    if (k != nq) die("got %ld of %ld output instants from ngspice", k, nq);
    float *yout = xmalloc(sizeof(float) * (size_t)n);
    for (long i = 0; i < n; i++) {
        if (K == 1) {
            yout[i] = (float)yq[i];
            continue;
        }
        /* sample i is instant K (i + P); before time 0 the circuit rests at its DC point */
        long c = K * (i + P);
        double acc = dh[0] * yq[c];
        for (long m = 1; m <= dM; m++)
            acc += dh[m] * (yq[c - m < 0 ? 0 : c - m] + yq[c + m]);
        yout[i] = (float)acc;
    }
    free(yq);
    free(dh);

    /* how many upsampled points (source corners) got a time point */
    long corners = 0;
    for (long j = 0; j < r.npoints; j++) {
        double t = r.data[(size_t)j * (size_t)r.nvars + (size_t)it];
        double m = nearbyint(t * fup);
        if (m > 0.0 && m <= (double)m_stop && fabs(t - m / fup) <= ttol * t) corners++;
    }

    /* --- output */
    memset(&si, 0, sizeof si);
    si.samplerate = (int)fs;
    si.channels = 2;
    si.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *so = sf_open(out_path, SFM_WRITE, &si);
    if (!so) die("cannot write %s: %s", out_path, sf_strerror(NULL));
    /* no PEAK chunk: it holds a time stamp, and the files should be reproducible */
    sf_command(so, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    float *il = xmalloc(sizeof(float) * 2 * (size_t)n);
    for (long i = 0; i < n; i++) {
        il[2 * i] = xin[i];
        il[2 * i + 1] = yout[i];
    }
    if (sf_writef_float(so, il, n) != n) die("write error on %s", out_path);
    if (sf_close(so) != 0) die("close error on %s", out_path);

    note("%s: %ld samples @ %g Hz, os=%ld taps=%d method=%s tmax=T/%ld reltol=%g bp=%s", out_path,
         n, fs, L, 2 * f.M + 1, method, tmax_div, reltol, bp);
    if (K > 1)
        note("  band-limited: read at %ld x the rate, %d-tap decimation filter (flat to %.0f Hz, "
             "140 dB from %.0f Hz)",
             K, 2 * dM + 1, bl_edge(fs), fs - bl_edge(fs));
    note("  ngspice %.2f s CPU, %.2f s wall (%ld time points, %.1f per sample), filter+upsample "
         "%.2f s",
         t_cpu, t_sim, r.npoints, (double)r.npoints / (double)(n + P), t_design);
    note("  max |t - n/fs|/t at sample instants = %.2g; upsampled points hit: %ld of %ld", max_rel,
         corners, m_stop);
    note("  max |v(in) - x| at sample instants = %.3g V%s", max_in_err,
         dup ? " (repeated points seen)" : "");

    if (keep) {
        note("  kept %s", dir);
    } else {
        const char *files[] = {"src.txt", "circuit.cir", "out.raw", "ngspice.log"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
    }
    return 0;
}
