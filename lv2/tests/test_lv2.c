/* The built plugin binary (gainstage.so, loaded with dlopen as a host would) against the LV2
 * real-time rules and the promises of plugin.c:
 * - run() never allocates or frees (an allocation counter interposed on malloc, calloc, realloc,
 *   free and the aligned allocators, armed only around run() calls) and never takes a pthread
 *   mutex; the counter is shown to work by counting allocations of instantiate() in the plugin;
 * - instantiates with no host feature at all, at 44.1 to 192 kHz, refuses other rates;
 * - any block size, including 1 and non-powers of two, and a host maximum block (options
 *   feature) of 333: output bit-identical to blocks of 1024;
 * - a gain jump of 70 dB is smoothed: no output step beyond a stated bound;
 * - NaN and Inf input samples are silence, non-finite control values are ignored;
 * - the latency port matches the impulse response, the meters read the levels;
 * - stereo channels are independent and equal to the mono plugin.
 *
 * - model switches (with the test build that also offers the circuit blocks as models) crossfade
 *   without a step beyond the bound, keep the latency constant and land on the new model's level.
 *
 *   test_lv2 PATH/TO/gainstage.so PATH/TO/gainstage-blocks-test.so
 */
#define _GNU_SOURCE /* dlsym(RTLD_NEXT) */
#include "check.h"
#include "gs_lv2.h"
#include "sigutil.h"

#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------- */
/* Allocation and lock counters, armed only while `armed` is set. */
static volatile int armed;
static volatile long n_alloc, n_free, n_lock;
static volatile long t_alloc, t_free, t_lock; /* totals over the whole run */

#if defined(__SANITIZE_ADDRESS__)
/* Under AddressSanitizer the allocator belongs to the sanitizer; it offers hooks on every
 * allocation and release, which count the same events. */
/* From the sanitizer runtime (sanitizer/allocator_interface.h, not always installed). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *ptr, size_t size) {
    (void)ptr;
    (void)size;
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
}
static void on_free(const volatile void *ptr) {
    (void)ptr;
    if (armed) {
        n_free++;
        t_free++;
    }
}
static void counters_install(void) {
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
/* Interposition: these definitions in the executable take precedence over the C library's for
 * every object of the process, the dlopen()ed plugin included (the executable is linked with
 * --export-dynamic). They forward to glibc's internal entry points. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
void *malloc(size_t n) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    return __libc_realloc(p, n);
}
void free(void *p) {
    if (armed && p) {
        n_free++;
        t_free++;
    }
    __libc_free(p);
}
void *aligned_alloc(size_t al, size_t n) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    return __libc_memalign(al, n);
}
void *memalign(size_t al, size_t n) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    return __libc_memalign(al, n);
}
int posix_memalign(void **out, size_t al, size_t n) {
    if (armed) {
        n_alloc++;
        t_alloc++;
    }
    *out = __libc_memalign(al, n);
    return *out ? 0 : 12; /* ENOMEM */
}
static void counters_install(void) {}
#endif

/* Locks: pthread_mutex_lock and trylock, forwarded to the next definition (libc's). */
typedef int (*lock_fn)(pthread_mutex_t *);
static lock_fn real_lock, real_trylock;
int pthread_mutex_lock(pthread_mutex_t *m) {
    if (armed) {
        n_lock++;
        t_lock++;
    }
    return real_lock(m);
}
int pthread_mutex_trylock(pthread_mutex_t *m) {
    if (armed) {
        n_lock++;
        t_lock++;
    }
    return real_trylock(m);
}

/* ------------------------------------------------------------------------------------------- */
/* A minimal host. */
#define RATE 48000.0
#define MAXP (GS_LV2_MAX_PARAMS + 16)

static const LV2_Descriptor *desc_mono, *desc_stereo;
static gs_lv2_map map;

typedef struct host {
    const LV2_Descriptor *d;
    LV2_Handle h;
    unsigned nch;
    float ctl[MAXP];
} host;

static size_t param_index(const char *sym) {
    for (size_t i = 0; i < map.n_params; i++)
        if (!strcmp(map.params[i].symbol, sym)) return i;
    return (size_t)-1;
}

static float *fixed(host *h, unsigned k) { return &h->ctl[gs_lv2_control_base(h->nch) + k]; }
static float *param(host *h, const char *sym) {
    return &h->ctl[gs_lv2_param_base(h->nch) + param_index(sym)];
}

/* Instantiate and connect every control port to its default (from the same map as the .ttl). */
static int host_open(host *h, unsigned nch, double rate, const LV2_Feature *const *features) {
    memset(h, 0, sizeof *h);
    h->nch = nch;
    h->d = nch == 2 ? desc_stereo : desc_mono;
    static const LV2_Feature *const none[] = {NULL};
    h->h = h->d->instantiate(h->d, rate, "/nonexistent/", features ? features : none);
    if (!h->h) return 0;
    unsigned base = gs_lv2_control_base(nch), pbase = gs_lv2_param_base(nch);
    /* The expectations below are the clean channel's, whatever models come before it. */
    h->ctl[base + GS_LV2_MODEL] = 0.0f;
    for (size_t m = 0; m < map.n_models; m++)
        if (!strcmp(map.models[m]->name, "ss-preamp")) h->ctl[base + GS_LV2_MODEL] = (float)m;
    h->ctl[base + GS_LV2_IN_DBU] = (float)GS_DEFAULT_IN_DBU;
    h->ctl[base + GS_LV2_OUT_DBU] = (float)GS_DEFAULT_OUT_DBU;
    for (size_t i = 0; i < map.n_params; i++) h->ctl[pbase + i] = (float)map.params[i].def;
    for (unsigned p = base; p < pbase + map.n_params; p++) h->d->connect_port(h->h, p, &h->ctl[p]);
    if (h->d->activate) h->d->activate(h->h);
    return 1;
}

static void host_close(host *h) {
    if (h->h) {
        if (h->d->deactivate) h->d->deactivate(h->h);
        h->d->cleanup(h->h);
    }
    h->h = NULL;
}

/* Run n frames in blocks of blk (non-interleaved channel buffers), counters armed around run(). */
static void host_run(host *h, float *const *in, float *const *out, size_t n, uint32_t blk) {
    for (size_t i = 0; i < n; i += blk) {
        uint32_t len = (uint32_t)(n - i < blk ? n - i : blk);
        for (unsigned c = 0; c < h->nch; c++) {
            h->d->connect_port(h->h, c, in[c] + i);
            h->d->connect_port(h->h, h->nch + c, out[c] + i);
        }
        armed = 1;
        h->d->run(h->h, len);
        armed = 0;
    }
}

static void sine(float *x, size_t n, double f, double amp, double rate) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(amp * sin(2.0 * M_PI * f * (double)i / rate));
}

/* ------------------------------------------------------------------------------------------- */
static void counter_works(void) {
    /* The counter sees an allocation made while armed... */
    armed = 1;
    void *volatile p = malloc(64);
    armed = 0;
    free(p);
    CHECK(n_alloc == 1, "interposed malloc counted (%ld)", n_alloc);
    /* ...and allocations inside the plugin binary: instantiate allocates everything. */
    n_alloc = 0;
    armed = 1;
    LV2_Handle hd = desc_mono->instantiate(desc_mono, RATE, "/nonexistent/", NULL);
    armed = 0;
    CHECK(hd && n_alloc > 0, "allocations of instantiate() counted: %ld", n_alloc);
    printf("counter check: instantiate() made %ld allocations (all before run)\n", n_alloc);
    if (hd) desc_mono->cleanup(hd);
    n_alloc = n_free = n_lock = 0;
    t_alloc = t_free = t_lock = 0;
}

static void rates(void) {
    static const double ok[] = {44100, 48000, 88200, 96000, 176400, 192000};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        for (unsigned nch = 1; nch <= 2; nch++) {
            host h;
            int good = host_open(&h, nch, ok[i], NULL);
            CHECK(good, "instantiate %u ch at %.0f Hz without features", nch, ok[i]);
            if (!good) continue;
            *param(&h, "gain") = 30.0f;
            size_t n = (size_t)(ok[i] * 0.05);
            float *x = calloc(n, sizeof(float)), *y[2] = {calloc(n, 4), calloc(n, 4)};
            sine(x, n, 1000.0, 0.5, ok[i]);
            float *in[2] = {x, x};
            host_run(&h, in, y, n, 256);
            double pk = 0;
            for (size_t k = 0; k < n; k++) pk = fmax(pk, fabs((double)y[nch - 1][k]));
            /* clean at 30 dB: -6 dBFS in (-26 dBu) -> +4 dBu -> -14 dBFS out (0.2). */
            CHECK(pk > 0.1 && pk < 0.4, "%.0f Hz %u ch: output peak %.3f", ok[i], nch, pk);
            host_close(&h);
            free(x);
            free(y[0]);
            free(y[1]);
        }
    host h;
    CHECK(!host_open(&h, 1, 44099.0, NULL), "44099 Hz refused");
    CHECK(!host_open(&h, 1, 192001.0, NULL), "192001 Hz refused");
}

/* Host URID map for the options feature. */
static const char *uris[16];
static LV2_URID urid_map(LV2_URID_Map_Handle hd, const char *uri) {
    (void)hd;
    for (LV2_URID i = 0; i < 16; i++) {
        if (!uris[i]) {
            uris[i] = uri;
            return i + 1;
        }
        if (!strcmp(uris[i], uri)) return i + 1;
    }
    return 0;
}

static void block_sizes(void) {
    size_t n = 12000;
    float *x = malloc(n * 4), *ref = malloc(n * 4), *y = malloc(n * 4);
    /* A sweep-like chirp into mild clipping (70 dB): any chunking error would show. */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * sin(2.0 * M_PI * (50.0 + 2.0 * (double)i) * (double)i / RATE));
    host h;
    host_open(&h, 1, RATE, NULL);
    *param(&h, "gain") = 60.0f;
    host_run(&h, &x, &ref, n, 1024);
    host_close(&h);
    static const uint32_t blks[] = {1, 2, 3, 17, 64, 333, 1000, 1025, 4096, 5000, 12000};
    long allocs = 0;
    for (size_t b = 0; b < sizeof blks / sizeof blks[0]; b++) {
        host_open(&h, 1, RATE, NULL);
        *param(&h, "gain") = 60.0f;
        n_alloc = 0;
        host_run(&h, &x, &y, n, blks[b]);
        allocs += n_alloc;
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) diff += y[i] != ref[i];
        CHECK(diff == 0, "block %u: %zu samples differ from blocks of 1024", blks[b], diff);
        host_close(&h);
    }
    /* The host announces a largest block of 333 (options feature): chunks follow it. */
    int32_t max_block = 333;
    LV2_URID_Map um = {NULL, urid_map};
    LV2_Options_Option opts[] = {{LV2_OPTIONS_INSTANCE, 0,
                                  urid_map(NULL, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t),
                                  urid_map(NULL, LV2_ATOM__Int), &max_block},
                                 {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL}};
    LV2_Feature f_map = {LV2_URID__map, &um}, f_opts = {LV2_OPTIONS__options, opts};
    const LV2_Feature *const feats[] = {&f_map, &f_opts, NULL};
    CHECK(host_open(&h, 1, RATE, feats), "instantiate with options");
    *param(&h, "gain") = 60.0f;
    host_run(&h, &x, &y, n, 333);
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) diff += y[i] != ref[i];
    CHECK(diff == 0, "host max block 333: %zu samples differ", diff);
    host_close(&h);
    CHECK(allocs == 0, "allocations during run() over all block sizes: %ld", allocs);
    printf("block sizes 1..12000 (11 sizes) and host max block 333: bit-identical to blocks of "
           "1024; allocations in run: %ld\n",
           allocs);
    free(x);
    free(ref);
    free(y);
}

/* A 70 dB gain jump (0 -> 70 dB) on a 100 Hz sine. The output may not step by more than
 * STEP_BOUND times the final amplitude in one sample. The sine's own largest step at the final
 * amplitude is 2 pi 100/48000 = 0.0131 of it; an unsmoothed jump at a crest would step by up to
 * the whole amplitude (1.0). */
#define STEP_BOUND 0.02
static void smoothing(void) {
    size_t n = (size_t)RATE; /* 0.5 s before and 0.5 s after the jump */
    size_t half = n / 2;
    float *x = malloc(n * 4), *y = malloc(n * 4);
    /* -40 dBFS in: at 70 dB gain, 70 - 40 - 20 = +10 dBu out, below the 15 V rails. */
    sine(x, n, 100.0, 0.01, RATE);
    host h;
    host_open(&h, 1, RATE, NULL);
    *param(&h, "gain") = 0.0f;
    n_alloc = n_lock = 0;
    host_run(&h, &x, &y, half, 128);
    *param(&h, "gain") = 70.0f;
    {
        float *xi = x + half, *yi = y + half;
        host_run(&h, &xi, &yi, n - half, 128);
    }
    double amp_final = 0, step_final = 0, step_jump = 0;
    for (size_t i = n - 4800; i < n; i++) {
        amp_final = fmax(amp_final, fabs((double)y[i]));
        step_final = fmax(step_final, fabs((double)y[i] - (double)y[i - 1]));
    }
    for (size_t i = half; i < half + 4800; i++)
        step_jump = fmax(step_jump, fabs((double)y[i] - (double)y[i - 1]));
    CHECK(amp_final > 0.3, "final amplitude %.3f (gain reached)", amp_final);
    CHECK(step_jump <= STEP_BOUND * amp_final,
          "largest step after the jump %.5f > %.3f x final amplitude %.4f", step_jump, STEP_BOUND,
          amp_final);
    printf("gain 0 -> 70 dB: largest output step %.5f = %.4f of the final amplitude (bound %.3f; "
           "steady-state sine step %.4f)\n",
           step_jump, step_jump / amp_final, STEP_BOUND, step_final / amp_final);

    /* A calibration jump (in_dbu -20 -> 0, +20 dB) glides too. */
    host_run(&h, &x, &y, half, 128);
    *fixed(&h, GS_LV2_IN_DBU) = -40.0f; /* -20 dB: stays below the rails */
    host_run(&h, &x, &y, half, 128);
    double amp2 = 0, step2 = 0;
    for (size_t i = half - 4800; i < half; i++) amp2 = fmax(amp2, fabs((double)y[i]));
    for (size_t i = 1; i < 4800; i++) step2 = fmax(step2, fabs((double)y[i] - (double)y[i - 1]));
    CHECK(step2 <= STEP_BOUND * amp_final, "calibration jump: step %.5f", step2);
    CHECK(fabs(20 * log10(amp2 / amp_final) + 20.0) < 0.2, "calibration -20 dB: %.2f dB",
          20 * log10(amp2 / amp_final));
    printf("in_dbu -20 -> -40: largest step %.5f of the previous amplitude; level %.2f dB\n",
           step2 / amp_final, 20 * log10(amp2 / amp_final));
    CHECK(n_alloc == 0 && n_lock == 0, "allocations %ld, locks %ld in run() while gliding", n_alloc,
          n_lock);
    host_close(&h);
    free(x);
    free(y);
}

static void nonfinite(void) {
    size_t n = 4800;
    float *x = malloc(n * 4), *z = malloc(n * 4), *y = malloc(n * 4), *yz = malloc(n * 4);
    sine(x, n, 440.0, 0.5, RATE);
    memcpy(z, x, n * 4);
    for (size_t i = 100; i < n; i += 97) {
        x[i] = (i / 97) % 3 == 0 ? NAN : ((i / 97) % 3 == 1 ? INFINITY : -INFINITY);
        z[i] = 0.0f;
    }
    host a, b;
    host_open(&a, 1, RATE, NULL);
    host_open(&b, 1, RATE, NULL);
    n_alloc = 0;
    host_run(&a, &x, &y, n, 480);
    host_run(&b, &z, &yz, n, 480);
    size_t bad = 0, diff = 0;
    for (size_t i = 0; i < n; i++) {
        bad += isfinite(y[i]) ? 0u : 1u;
        diff += y[i] != yz[i];
    }
    CHECK(bad == 0, "%zu non-finite outputs", bad);
    CHECK(diff == 0, "NaN/Inf inputs not treated as silence: %zu samples differ", diff);
    CHECK(isfinite(*fixed(&a, GS_LV2_PEAK_IN)) && isfinite(*fixed(&a, GS_LV2_PEAK_OUT)),
          "meters finite");
    /* Non-finite and out-of-range control values: ignored / clamped, output stays finite. */
    *param(&a, "gain") = NAN;
    *fixed(&a, GS_LV2_MODEL) = INFINITY;
    *fixed(&a, GS_LV2_IN_DBU) = NAN;
    *param(&b, "gain") = 1e9f;
    *param(&b, "pad") = 0.7f;
    host_run(&a, &z, &y, n, 480);
    host_run(&b, &z, &yz, n, 480);
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += (isfinite(y[i]) && isfinite(yz[i])) ? 0u : 1u;
    CHECK(bad == 0, "non-finite / out-of-range controls: %zu non-finite outputs", bad);
    CHECK(n_alloc == 0, "allocations: %ld", n_alloc);
    printf("NaN/+Inf/-Inf inputs: output identical to zeros in their place; bad controls: finite "
           "output\n");
    host_close(&a);
    host_close(&b);
    free(x);
    free(z);
    free(y);
    free(yz);
}

static void latency_and_meters(void) {
    uint32_t expect = 0;
    for (size_t m = 0; m < map.n_models; m++) {
        gs_channel *ch;
        if (gs_channel_new(map.models[m]->name, RATE, 64, &ch) == GS_OK) {
            uint32_t l = gs_channel_latency(ch);
            if (l > expect) expect = l;
            gs_channel_free(ch);
        }
    }
    size_t n = 4096;
    float *x = calloc(n, 4), *y = calloc(n, 4);
    x[0] = 0.5f;
    host h;
    host_open(&h, 1, RATE, NULL);
    host_run(&h, &x, &y, n, 64);
    size_t arg = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(y[i]) > fabsf(y[arg])) arg = i;
    float lat = *fixed(&h, GS_LV2_LATENCY);
    CHECK(lat == (float)expect, "latency port %.0f, models' largest latency %u", lat, expect);
    CHECK((double)arg >= lat - 1 && (double)arg <= lat + 1, "impulse peak at %zu, latency %.0f",
          arg, lat);
    printf("latency port: %.0f samples at 48 kHz; impulse response peaks at sample %zu\n", lat,
           arg);
    host_close(&h);

    /* Meters: a -6 dBFS sine in; out peak equals the output's own peak. */
    n = 48000;
    free(x);
    free(y);
    x = malloc(n * 4);
    y = malloc(n * 4);
    sine(x, n, 997.0, pow(10.0, -6.0 / 20.0), RATE);
    host_open(&h, 1, RATE, NULL);
    host_run(&h, &x, &y, n, 512);
    double pk = 0;
    for (size_t i = n - 512; i < n; i++) pk = fmax(pk, fabs((double)y[i]));
    float pin = *fixed(&h, GS_LV2_PEAK_IN), pout = *fixed(&h, GS_LV2_PEAK_OUT);
    CHECK(fabs(pin + 6.0) < 0.05, "peak_in %.3f dBFS for a -6 dBFS sine", pin);
    CHECK(fabs(pout - 20 * log10(pk)) < 0.05, "peak_out %.3f dBFS, output peak %.3f dBFS", pout,
          20 * log10(pk));
    /* Then 1.7 s of silence: both fall by 20 dB. */
    memset(x, 0, n * 4);
    host_run(&h, &x, &y, n, 512); /* 1 s */
    host_run(&h, &x, &y, (size_t)(0.7 * RATE), 512);
    float pin2 = *fixed(&h, GS_LV2_PEAK_IN);
    CHECK(fabs((pin - pin2) - 20.0) < 0.5, "meter fall in 1.7 s: %.2f dB", pin - pin2);
    printf("meters: peak_in %.2f dBFS, peak_out %.2f dBFS (output %.2f), fall %.2f dB in 1.7 s\n",
           pin, pout, 20 * log10(pk), pin - pin2);
    host_close(&h);
    free(x);
    free(y);
}

/* A model whose latency changes with a parameter (the tube preamp's quality: 8, 16 or 81-138
 * samples) must still come out at the plugin's one constant latency: the impulse response peaks
 * at the same sample for every quality. At 44.1 kHz the high quality (138) is longer than every
 * other model, so the plugin's latency is its. */
static void latency_follows_quality(void) {
    int tube = -1;
    for (size_t m = 0; m < map.n_models; m++)
        if (!strcmp(map.models[m]->name, "tube-preamp")) tube = (int)m;
    CHECK(tube >= 0 && param_index("quality") != (size_t)-1, "tube-preamp with a quality port");
    if (tube < 0 || param_index("quality") == (size_t)-1) return;
    size_t n = 24000;
    float *x = calloc(n, 4), *y = calloc(n, 4);
    const double rates[2] = {RATE, 44100.0};
    for (int r = 0; r < 2; r++) {
        size_t peak[3] = {0, 0, 0};
        host h;
        host_open(&h, 1, rates[r], NULL);
        *fixed(&h, GS_LV2_MODEL) = (float)tube;
        for (int q = 0; q < 3; q++) {
            *param(&h, "quality") = (float)q; /* fast, high, low-alias */
            memset(x, 0, n * 4);
            host_run(&h, &x, &y, n, 256); /* the model switch's cross-fade, the restart settle */
            x[0] = 0.01f;
            host_run(&h, &x, &y, n, 256);
            for (size_t i = 0; i < n; i++)
                if (fabsf(y[i]) > fabsf(y[peak[q]])) peak[q] = i;
        }
        float lat = *fixed(&h, GS_LV2_LATENCY);
        printf("tube-preamp at %g Hz: impulse peak at %zu (fast), %zu (high), %zu (low-alias), "
               "latency port %.0f\n",
               rates[r], peak[0], peak[1], peak[2], lat);
        CHECK(peak[0] == peak[1] && peak[0] == peak[2], "impulse peaks %zu, %zu, %zu differ",
              peak[0], peak[1], peak[2]);
        CHECK(fabs((double)peak[0] - lat) <= 2.0, "impulse peak %zu, latency %.0f", peak[0], lat);
        gs_channel *ch = NULL;
        if (r == 1 && gs_channel_new("tube-preamp", rates[r], 64, &ch) == GS_OK) {
            gs_channel_set_symbol(ch, "quality", 1.0);
            gs_channel_reset(ch);
            uint32_t lh = gs_channel_latency(ch);
            CHECK(lat == (float)lh, "latency %.0f at 44.1 kHz, not the high quality's %u", lat, lh);
            gs_channel_free(ch);
        }
        host_close(&h);
    }
    free(x);
    free(y);
}

static void stereo(void) {
    size_t n = 9600;
    float *l = malloc(n * 4), *r = calloc(n, 4), *yl = malloc(n * 4), *yr = malloc(n * 4),
          *ym = malloc(n * 4);
    sine(l, n, 1000.0, 0.5, RATE);
    host s, m;
    host_open(&s, 2, RATE, NULL);
    host_open(&m, 1, RATE, NULL);
    *param(&s, "gain") = *param(&m, "gain") = 50.0f;
    float *in[2] = {l, r}, *out[2] = {yl, yr};
    n_alloc = 0;
    host_run(&s, in, out, n, 300);
    host_run(&m, &l, &ym, n, 300);
    size_t diff = 0;
    double rpk = 0;
    for (size_t i = 0; i < n; i++) {
        diff += yl[i] != ym[i];
        rpk = fmax(rpk, fabs((double)yr[i]));
    }
    CHECK(diff == 0, "stereo left differs from mono in %zu samples", diff);
    CHECK(rpk == 0.0, "silent right channel carries %.3g", rpk);
    CHECK(n_alloc == 0, "allocations %ld", n_alloc);
    host_close(&s);
    host_close(&m);
    free(l);
    free(r);
    free(yl);
    free(yr);
    free(ym);
}

/* Model switches, with the test build whose model port also offers the bare circuit blocks:
 * ss-preamp at 20 dB gain and -20 dB trim (0 dB) to opamp-stage at 20 dB (which has no trim): the
 * level rises tenfold. An abrupt switch at a crest would step by 0.9 of the final amplitude; the
 * 20 ms crossfade must keep every step within STEP_BOUND of it. */
static void model_switch(const char *path) {
    void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK(so != NULL, "dlopen %s: %s", path, dlerror());
    if (!so) return;
    LV2_Descriptor_Function fn = (LV2_Descriptor_Function)(uintptr_t)dlsym(so, "lv2_descriptor");
    static gs_lv2_map saved;
    saved = map;
    const LV2_Descriptor *saved_d = desc_mono;
    desc_mono = fn ? fn(0) : NULL;
    gs_lv2_map_build(&map, 1);
    int target = -1, from = -1;
    for (size_t m = 0; m < map.n_models; m++) {
        if (!strcmp(map.models[m]->name, "opamp-stage")) target = (int)m;
        if (!strcmp(map.models[m]->name, "ss-preamp")) from = (int)m;
    }
    CHECK(desc_mono && target >= 0 && from >= 0, "test build offers ss-preamp and opamp-stage");
    if (!desc_mono || target < 0 || from < 0) goto out;
    uint32_t expect = 0;
    for (size_t m = 0; m < map.n_models; m++) {
        gs_channel *ch;
        if (gs_channel_new(map.models[m]->name, RATE, 64, &ch) == GS_OK) {
            if (gs_channel_latency(ch) > expect) expect = gs_channel_latency(ch);
            gs_channel_free(ch);
        }
    }
    size_t n = 24000; /* 0.5 s */
    float *x = malloc(n * 4), *y = malloc(n * 4), *y2 = malloc(n * 4);
    /* A cosine: the switch at 0.5 s (50 periods) falls on a crest, where an abrupt switch steps
     * most. */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.05 * cos(2.0 * M_PI * 100.0 * (double)i / RATE));
    host h, f;
    host_open(&h, 1, RATE, NULL);
    *param(&h, "gain") = 20.0f;
    *param(&h, "trim") = -20.0f;
    n_alloc = n_lock = 0;
    host_run(&h, &x, &y, n, 256);
    double amp0 = 0;
    for (size_t i = n - 4800; i < n; i++) amp0 = fmax(amp0, fabs((double)y[i]));
    float lat0 = *fixed(&h, GS_LV2_LATENCY);
    *fixed(&h, GS_LV2_MODEL) = (float)target;
    double prev = (double)y[n - 1];
    host_run(&h, &x, &y, n, 256);
    float lat1 = *fixed(&h, GS_LV2_LATENCY);
    double step = 0, amp1, ph1, res1, amp2, ph2, res2, ampf = 0;
    step = fabs((double)y[0] - prev);
    for (size_t i = 1; i < 4800; i++) step = fmax(step, fabs((double)y[i] - (double)y[i - 1]));
    for (size_t i = n - 4800; i < n; i++) ampf = fmax(ampf, fabs((double)y[i]));
    /* A fresh instance started on the target model: the level the switch must land on. */
    host_open(&f, 1, RATE, NULL);
    *param(&f, "gain") = 20.0f;
    *param(&f, "trim") = -20.0f;
    *fixed(&f, GS_LV2_MODEL) = (float)target;
    host_run(&f, &x, &y2, n, 256);
    host_run(&f, &x, &y2, n, 256);
    double w = 2.0 * M_PI * 100.0 / RATE;
    fit_sine(y + n - 9600, 9600, w, &amp1, &ph1, &res1);
    fit_sine(y2 + n - 9600, 9600, w, &amp2, &ph2, &res2);
    CHECK(lat0 == (float)expect && lat1 == (float)expect, "latency %.0f -> %.0f, expected %u", lat0,
          lat1, expect);
    CHECK(ampf > 5.0 * amp0, "level rose by %.1f dB", 20 * log10(ampf / amp0));
    CHECK(step <= STEP_BOUND * ampf, "switch: largest step %.5f > %.3f x final amplitude %.4f",
          step, STEP_BOUND, ampf);
    CHECK(fabs(20 * log10(amp1 / amp2)) < 0.01,
          "level after the switch %.4f dB from a fresh "
          "opamp-stage instance",
          20 * log10(amp1 / amp2));
    printf("model switch ss-preamp (0 dB) -> opamp-stage (+20 dB): level %+.2f dB, largest step "
           "%.4f of the final amplitude (bound %.3f), level after %.4f dB from a fresh instance, "
           "latency %.0f\n",
           20 * log10(ampf / amp0), step / ampf, STEP_BOUND, 20 * log10(amp1 / amp2), lat1);
    /* Requests faster than the 20 ms crossfade: every 5 ms for 0.5 s. */
    double worst = 0;
    size_t bad = 0;
    for (size_t k = 0; k < 100; k++) {
        *fixed(&h, GS_LV2_MODEL) = (float)(k % 2 ? from : target);
        float *xi = x + k * 240, *yi = y + k * 240;
        host_run(&h, &xi, &yi, 240, 240);
    }
    for (size_t i = 1; i < 24000; i++) {
        worst = fmax(worst, fabs((double)y[i] - (double)y[i - 1]));
        bad += isfinite(y[i]) ? 0u : 1u;
    }
    CHECK(bad == 0 && worst <= STEP_BOUND * ampf, "rapid switching: step %.5f, %zu non-finite",
          worst, bad);
    CHECK(n_alloc == 0 && n_lock == 0, "switching: %ld allocations, %ld locks in run()", n_alloc,
          n_lock);
    printf("switching every 5 ms for 0.5 s: largest step %.4f of the louder amplitude, "
           "allocations %ld\n",
           worst / ampf, n_alloc);
    host_close(&h);
    host_close(&f);
    free(x);
    free(y);
    free(y2);
out:
    map = saved;
    desc_mono = saved_d;
    dlclose(so);
}

/* Every model's own plugin (mono and stereo): the URI of the port map's list, its ports exactly
 * its model's parameters with the command line's symbols, its latency port the latency a host
 * compensates (the impulse's peak is there), and no allocation or lock in run(). */
static void model_plugins(LV2_Descriptor_Function fn) {
    size_t count = gs_lv2_plugin_count(), n_model_plugins = 0;
    for (size_t i = 0; i < count; i++) {
        char uri[GS_LV2_MAX_URI];
        const gs_model_info *mi;
        unsigned nch;
        const LV2_Descriptor *d = fn((uint32_t)i);
        CHECK(gs_lv2_plugin_at(i, uri, sizeof uri, &mi, &nch), "plugin %zu listed", i);
        CHECK(d && !strcmp(d->URI, uri), "descriptor %zu is %s", i, uri);
        if (!d || !mi) continue;
        n_model_plugins++;
        static gs_lv2_map mm;
        CHECK(gs_lv2_map_build_one(&mm, mi) == GS_OK && mm.n_params == mi->n_params,
              "%s: one port per parameter (%zu)", uri, mm.n_params);
        for (size_t k = 0; k < mm.n_params; k++)
            CHECK(!strcmp(mm.params[k].symbol, mi->params[k].symbol), "%s: port %s is --set %s",
                  uri, mm.params[k].symbol, mi->params[k].symbol);
        static float ctl[MAXP];
        unsigned base = gs_lv2_control_base(nch), pbase = gs_lv2_map_param_base(&mm, nch);
        CHECK(pbase - base == GS_LV2_FIXED_CONTROLS - 1, "%s: no model port", uri);
        memset(ctl, 0, sizeof ctl);
        ctl[base + 3] = (float)GS_DEFAULT_IN_DBU;
        ctl[base + 4] = (float)GS_DEFAULT_OUT_DBU;
        for (size_t k = 0; k < mm.n_params; k++) ctl[pbase + k] = (float)mm.params[k].def;
        LV2_Handle hd = d->instantiate(d, RATE, "/nonexistent/", NULL);
        CHECK(hd != NULL, "%s instantiated", uri);
        if (!hd) continue;
        for (unsigned p = base; p < pbase + mm.n_params; p++) d->connect_port(hd, p, &ctl[p]);
        d->activate(hd);
        size_t n = 8192;
        float *x[2] = {calloc(n, 4), calloc(n, 4)}, *y[2] = {calloc(n, 4), calloc(n, 4)};
        x[0][0] = x[1][0] = 0.5f;
        for (size_t off = 0; off < n; off += 64) {
            for (unsigned c = 0; c < nch; c++) {
                d->connect_port(hd, c, x[c] + off);
                d->connect_port(hd, nch + c, y[c] + off);
            }
            armed = 1;
            d->run(hd, 64);
            armed = 0;
        }
        gs_channel *ch;
        uint32_t expect = 0;
        if (gs_channel_new(mi->name, RATE, 64, &ch) == GS_OK) {
            expect = gs_channel_latency_max(ch);
            gs_channel_free(ch);
        }
        float lat = ctl[base + GS_LV2_LATENCY];
        size_t arg = 0;
        for (size_t k = 0; k < n; k++)
            if (fabsf(y[nch - 1][k]) > fabsf(y[nch - 1][arg])) arg = k;
        CHECK(lat == (float)expect && expect > 0, "%s: latency port %.0f, model's %u", uri, lat,
              expect);
        CHECK((double)arg >= lat - 1 && (double)arg <= lat + 1,
              "%s: impulse peak at %zu, latency %.0f", uri, arg, lat);
        printf("%s: %zu controls, latency %.0f at 48 kHz, impulse peak at %zu\n", uri,
               gs_lv2_fixed_count(&mm) + mm.n_params, lat, arg);
        d->cleanup(hd);
        for (unsigned c = 0; c < 2; c++) {
            free(x[c]);
            free(y[c]);
        }
    }
    CHECK(fn((uint32_t)count) == NULL, "%zu plugins", count);
    CHECK(n_model_plugins >= 8, "a mono and a stereo plugin per channel model: %zu",
          n_model_plugins);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_lv2 PATH/TO/gainstage.so PATH/TO/gainstage-blocks-test.so\n");
        return 2;
    }
    real_lock = (lock_fn)(uintptr_t)dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_trylock = (lock_fn)(uintptr_t)dlsym(RTLD_NEXT, "pthread_mutex_trylock");
    counters_install();
    void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(so != NULL, "dlopen %s: %s", argv[1], dlerror());
    if (!so) return check_done();
    LV2_Descriptor_Function fn = (LV2_Descriptor_Function)(uintptr_t)dlsym(so, "lv2_descriptor");
    CHECK(fn != NULL, "lv2_descriptor exported");
    if (!fn) return check_done();
    desc_mono = fn(0);
    desc_stereo = fn(1);
    CHECK(desc_mono && !strcmp(desc_mono->URI, GS_LV2_URI_MONO), "descriptor 0 is mono");
    CHECK(desc_stereo && !strcmp(desc_stereo->URI, GS_LV2_URI_STEREO), "descriptor 1 is stereo");
    model_plugins(fn);
    CHECK(gs_lv2_map_build(&map, 0) == GS_OK, "port map");
    CHECK(param_index("gain") != (size_t)-1, "a gain port");

    counter_works();
    rates();
    block_sizes();
    smoothing();
    nonfinite();
    latency_and_meters();
    latency_follows_quality();
    stereo();
    model_switch(argv[2]);
    CHECK(t_alloc == 0 && t_free == 0 && t_lock == 0,
          "in run(): %ld allocations, %ld frees, %ld mutex locks", t_alloc, t_free, t_lock);
    printf("all run() calls: %ld allocations, %ld frees, %ld mutex locks\n", t_alloc, t_free,
           t_lock);
    dlclose(so);
    return check_done();
}
