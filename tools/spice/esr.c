/* esr: error-to-signal ratio between one channel of two WAV files.
 *
 *   esr REF.wav OTHER.wav [--chan N] [--delay D] [--skip S]
 *
 * ESR = sum (y[n] - r[n])^2 / sum r[n]^2, r = REF channel N (default 2, or 1
 * for mono files), y[n] = OTHER channel N at n + D (D integer samples, may be
 * negative), summed over n >= S where both exist.  Prints the ESR (and dB).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

static double *load(const char *path, int chan, long *n, int *rate) {
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) {
        fprintf(stderr, "esr: cannot open %s: %s\n", path, sf_strerror(NULL));
        exit(1);
    }
    int c = chan > 0 ? chan : (si.channels >= 2 ? 2 : 1);
    if (c > si.channels) {
        fprintf(stderr, "esr: %s has %d channel(s), no channel %d\n", path, si.channels, c);
        exit(1);
    }
    double *all = malloc(sizeof(double) * (size_t)si.frames * (size_t)si.channels);
    double *x = malloc(sizeof(double) * (size_t)(si.frames ? si.frames : 1));
    if (!all || !x) {
        fprintf(stderr, "esr: out of memory\n");
        exit(1);
    }
    if (sf_readf_double(sf, all, si.frames) != si.frames) {
        fprintf(stderr, "esr: short read on %s\n", path);
        exit(1);
    }
    sf_close(sf);
    for (sf_count_t i = 0; i < si.frames; i++) x[i] = all[i * si.channels + c - 1];
    free(all);
    *n = (long)si.frames;
    *rate = si.samplerate;
    return x;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: esr REF.wav OTHER.wav [--chan N] [--delay D] [--skip S]\n", stderr);
        return 2;
    }
    int chan = 0;
    long delay = 0, skip = 0;
    for (int i = 3; i < argc; i++) {
        char *e = NULL;
        if (i + 1 >= argc) {
            fprintf(stderr, "esr: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--chan") == 0) chan = (int)strtol(argv[++i], &e, 10);
        else if (strcmp(argv[i], "--delay") == 0) delay = strtol(argv[++i], &e, 10);
        else if (strcmp(argv[i], "--skip") == 0) skip = strtol(argv[++i], &e, 10);
        else {
            fprintf(stderr, "esr: unknown argument %s\n", argv[i]);
            return 2;
        }
        if (!e || *e || (chan < 0) || skip < 0) {
            fprintf(stderr, "esr: bad value %s\n", argv[i]);
            return 2;
        }
    }
    long na, nb;
    int ra, rb;
    double *a = load(argv[1], chan, &na, &ra);
    double *b = load(argv[2], chan, &nb, &rb);
    if (ra != rb) fprintf(stderr, "esr: warning: sample rates differ (%d vs %d)\n", ra, rb);
    if (na != nb) fprintf(stderr, "esr: warning: lengths differ (%ld vs %ld)\n", na, nb);
    double num = 0.0, den = 0.0;
    long used = 0;
    for (long i = skip; i < na; i++) {
        long j = i + delay;
        if (j < 0 || j >= nb) continue;
        double d = b[j] - a[i];
        num += d * d;
        den += a[i] * a[i];
        used++;
    }
    if (used == 0 || den == 0.0) {
        fprintf(stderr, "esr: no overlap or silent reference\n");
        return 1;
    }
    double esr = num / den;
    printf("%.3e (%.1f dB, %ld samples)\n", esr, esr > 0 ? 10.0 * log10(esr) : -INFINITY, used);
    free(a);
    free(b);
    return 0;
}
