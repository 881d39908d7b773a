/* Batch processing for gainstage process: see batch.h. */
#include "batch.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int cli_batch_outname(const char *dir, const char *in, const char *ext, char *buf, size_t size) {
    const char *base = strrchr(in, '/');
    base = base ? base + 1 : in;
    size_t stem = strlen(base);
    const char *dot = strrchr(base, '.');
    if (ext && dot && dot != base) stem = (size_t)(dot - base);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--; /* "out/" and "out" name the same folder */
    int n = ext ? snprintf(buf, size, "%.*s/%.*s.%s", (int)dl, dir, (int)stem, base, ext)
                : snprintf(buf, size, "%.*s/%s", (int)dl, dir, base);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* An output that is an input would be destroyed by the rename: never, whatever --force says. */
static int check_one(const char *const *ins, const char *const *outs, int n, int i, int force) {
    struct stat so, si;
    for (int k = 0; k < i; k++)
        if (!strcmp(outs[k], outs[i])) {
            cli_error("'%s' and '%s' would both be written to '%s'; process them into different "
                      "folders",
                      ins[k], ins[i], outs[i]);
            return EXIT_USAGE;
        }
    if (stat(outs[i], &so) != 0) return 0;
    for (int k = 0; k < n; k++)
        if (stat(ins[k], &si) == 0 && same_file(&si, &so)) {
            cli_error("output '%s' is the input file '%s'; choose another output folder",
                      outs[i], ins[k]);
            return EXIT_USAGE;
        }
    if (S_ISDIR(so.st_mode)) {
        cli_error("output '%s' is a folder", outs[i]);
        return EXIT_USAGE;
    }
    if (!force) {
        cli_error("output '%s' exists; add --force to overwrite it", outs[i]);
        return EXIT_USAGE;
    }
    return 0;
}

int cli_batch_check(const char *const *ins, const char *const *outs, int n, int force) {
    for (int i = 0; i < n; i++) {
        int r = check_one(ins, outs, n, i, force);
        if (r) return r;
    }
    return 0;
}

int cli_batch_cores(void) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : (c > 256 ? 256 : (int)c);
}

static void bar(int done, int n, int failed) {
    char b[32];
    int fill = n ? done * 30 / n : 30;
    for (int i = 0; i < 30; i++) b[i] = i < fill ? '#' : '.';
    b[30] = '\0';
    fprintf(stderr, "\r\033[Kprocessing [%s] %d of %d files%s", b, done, n,
            failed ? " (some failed)" : "");
    fflush(stderr);
}

/* The running workers, so that a SIGTERM or SIGHUP to the batch reaches them (each removes its
 * own partial output); a terminal's Ctrl-C reaches them already, as their process group's. */
static volatile pid_t workers[256];

static void forward(int sig) {
    for (int i = 0; i < 256; i++)
        if (workers[i] > 0) kill(workers[i], sig);
}

static void track(pid_t p, pid_t was) {
    for (int i = 0; i < 256; i++)
        if (workers[i] == was) {
            workers[i] = p;
            return;
        }
}

/* Wait for one worker: its exit status as a command's (128+N for a signal). */
static int reap(int *running) {
    int ws;
    pid_t p;
    while ((p = wait(&ws)) < 0 && errno == EINTR) {
    }
    if (p < 0) return EXIT_RUNTIME;
    track(0, p);
    (*running)--;
    if (WIFEXITED(ws)) return WEXITSTATUS(ws);
    return WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : EXIT_RUNTIME;
}

int cli_batch_run(int n, int jobs, int quiet, int (*one)(int i, void *ctx), void *ctx) {
    int show = !quiet && isatty(STDERR_FILENO);
    int running = 0, done = 0, nfail = 0, worst = 0, next = 0;
    /* The workers stop on SIGINT/SIGTERM themselves (their own handlers remove their partial
     * outputs); the parent only stops starting new ones. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, forward);
    signal(SIGHUP, forward);
    while (done < n) {
        while (running < jobs && next < n && !nfail) {
            fflush(stderr);
            pid_t p = fork();
            if (p == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                _exit(one(next, ctx));
            }
            if (p < 0) {
                cli_error("cannot start a worker: %s", strerror(errno));
                nfail += n - next, worst = EXIT_RUNTIME, done += n - next, next = n;
                break;
            }
            track(p, 0);
            running++, next++;
        }
        if (!running) break;
        int r = reap(&running);
        done++;
        if (r) nfail++, worst = r > worst ? r : worst;
        if (show) bar(done, n, nfail);
    }
    if (show) fputc('\n', stderr);
    if (nfail && next < n)
        cli_error("%d of %d files failed; %d not started", nfail, n, n - next);
    else if (nfail)
        cli_error("%d of %d files failed", nfail, n);
    return worst;
}
