/* Oversampling: cascaded linear-phase half-bands (gs_os_init; see oversample.h for why linear
 * phase) and low-delay polyphase FIR pairs for any factor up to 16 (gs_os_init_lowdelay). */
#include "oversample.h"
#include "window.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>

/* Non-zero taps per side of a half-band from rate_in to 2 rate_in (Kaiser's order formula). */
static unsigned halfband_nside(double rate_in, double pass_hz, double atten_db) {
    /* Transition from the passband edge to its image, normalised to the output rate 2*rate_in. */
    double delta = (rate_in - 2.0 * pass_hz) / (2.0 * rate_in);
    if (delta < 0.01) delta = 0.01;
    double order = (atten_db - 7.95) / (14.36 * delta);
    unsigned m = (unsigned)ceil((order + 2.0) / 4.0);
    return m < 1 ? 1 : m;
}

/* Centre index (the delay, in samples at rate2) of the 2x decimator below. */
static unsigned decimator_centre(double rate2, double pass_hz, double stop_hz, double atten_db) {
    double delta = (stop_hz - pass_hz) / rate2;
    double order = (atten_db - 7.95) / (14.36 * delta);
    unsigned c = (unsigned)ceil(order / 2.0);
    return c < 1 ? 1 : c;
}

static gs_status halfband_init(gs_halfband *hb, double rate_in, double pass_hz, double atten_db,
                               uint32_t max_in) {
    unsigned m = halfband_nside(rate_in, pass_hz, atten_db);
    hb->nside = m;
    hb->centre = 2 * m - 1;
    hb->taps = calloc(m, sizeof(double));
    /* up: history of 2m-1 low-rate samples + block; down: 4m-2 high-rate samples + block */
    hb->hlen = 2 * m - 1;
    hb->hist = calloc(hb->hlen + max_in, sizeof(double));
    hb->hist2 = calloc((4 * m - 2) + 2 * (size_t)max_in, sizeof(double));
    if (!hb->taps || !hb->hist || !hb->hist2) return GS_ERR_NO_MEMORY;
    double beta = gs_kaiser_beta(atten_db);
    double half = (double)hb->centre; /* the window spans the filter exactly */
    double sum = 0.0;
    for (unsigned k = 0; k < m; k++) {
        double d = 2.0 * k + 1.0; /* odd offset from the centre */
        double r = d / half;
        double w = gs_kaiser_window(beta, r);
        hb->taps[k] = sin(GS_PI * d / 2.0) / (GS_PI * d) * w;
        sum += 2.0 * hb->taps[k];
    }
    /* Exact unity DC gain: the odd-offset taps must add up to 1/2, as the centre tap does. */
    for (unsigned k = 0; k < m; k++) hb->taps[k] *= 0.5 / sum;
    return GS_OK;
}

static void halfband_free(gs_halfband *hb) {
    free(hb->taps);
    free(hb->hist);
    free(hb->hist2);
    memset(hb, 0, sizeof *hb);
}

/* n low-rate samples in, 2n high-rate samples out:
 *   y[2j]   = 2 sum_k h_k (x[j-m-k] + x[j-m+1+k])
 *   y[2j+1] = x[j-m+1]                                  (the centre tap) */
GS_REALTIME static void halfband_up(gs_halfband *hb, const double *in, double *out, uint32_t n) {
    unsigned m = hb->nside, H = hb->hlen;
    double *x = hb->hist; /* x[H + j] is input j; x[H + j - t] is t samples before */
    memcpy(x + H, in, n * sizeof(double));
    const double *h = hb->taps;
    for (uint32_t j = 0; j < n; j++) {
        const double *xj = x + H + j;
        double acc = 0.0;
        for (unsigned k = 0; k < m; k++)
            acc += h[k] * (xj[-(long)(m + k)] + xj[-(long)(m - 1 - k)]);
        out[2 * j] = 2.0 * acc;
        out[2 * j + 1] = xj[-(long)(m - 1)];
    }
    memmove(x, x + n, H * sizeof(double));
}

/* 2n high-rate samples in, n low-rate samples out:
 *   z[j] = u[2j-c]/2 + sum_k h_k (u[2j-2m-2k] + u[2j-2m+2+2k]),  c = 2m-1 */
GS_REALTIME static void halfband_down(gs_halfband *hb, const double *in, double *out, uint32_t n) {
    unsigned m = hb->nside, H = 4 * m - 2;
    double *u = hb->hist2;
    memcpy(u + H, in, 2 * (size_t)n * sizeof(double));
    const double *h = hb->taps;
    for (uint32_t j = 0; j < n; j++) {
        const double *uj = u + H + 2 * j; /* uj[-t] = u[2j - t] */
        double acc = 0.5 * uj[-(long)(hb->centre)];
        for (unsigned k = 0; k < m; k++)
            acc += h[k] * (uj[-(long)(2 * m + 2 * k)] + uj[-(long)(2 * m - 2 - 2 * k)]);
        out[j] = acc;
    }
    memmove(u, u + 2 * (size_t)n, H * sizeof(double));
}

/* Kaiser-windowed sinc for 2x decimation (Oppenheim & Schafer 7.62-7.63): cut-off midway
 * between pass_hz and stop_hz, at the 2x rate rate2. */
static gs_status decimator_init(gs_decimator *d, double rate2, double pass_hz, double stop_hz,
                                double atten_db, uint32_t max_in) {
    unsigned c = decimator_centre(rate2, pass_hz, stop_hz, atten_db);
    d->centre = c;
    d->taps = calloc(2 * (size_t)c + 1, sizeof(double));
    d->hist = calloc(2 * (size_t)c + 2 * (size_t)max_in, sizeof(double));
    if (!d->taps || !d->hist) return GS_ERR_NO_MEMORY;
    double beta = gs_kaiser_beta(atten_db), wc = GS_PI * (pass_hz + stop_hz) / rate2, sum = 0.0;
    for (unsigned t = 0; t <= c; t++) {
        double k = (double)c - (double)t, r = k / (double)c;
        double w = gs_kaiser_window(beta, r);
        d->taps[t] = (t == c ? wc / GS_PI : sin(wc * k) / (GS_PI * k)) * w;
        sum += (t == c ? 1.0 : 2.0) * d->taps[t];
    }
    for (unsigned t = 0; t <= c; t++) {
        d->taps[t] /= sum; /* exact unity DC gain */
        d->taps[2 * c - t] = d->taps[t];
    }
    return GS_OK;
}

/* sum_t a[t] b[t] in eight partial sums (packed by the compiler; one long sum would be bound by
 * the latency of its additions). */
GS_REALTIME static inline double dot_fwd(const double *a, const double *b, unsigned len) {
    const unsigned n8 = len & ~7u;
    double s[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (unsigned t = 0; t < n8; t += 8)
        for (unsigned l = 0; l < 8; l++) s[l] += a[t + l] * b[t + l];
    for (unsigned t = n8; t < len; t++) s[0] += a[t] * b[t];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* 2n samples at the 2x rate in, n out: z[j] = sum_t h[t] u[2j - t], t = 0..2c (delay c). The
 * taps are symmetric, so this is a forward dot product of h with u[2j - 2c ..], which
 * vectorises (a folded loop reads one side backwards and did not). */
GS_REALTIME GS_HOT_CLONES static void decimator_down(gs_decimator *d, const double *in, double *out,
                                                     uint32_t n) {
    unsigned c = d->centre, H = 2 * c;
    double *u = d->hist;
    memcpy(u + H, in, 2 * (size_t)n * sizeof(double));
    for (uint32_t j = 0; j < n; j++) out[j] = dot_fwd(d->taps, u + 2 * (size_t)j, H + 1);
    memmove(u, u + 2 * (size_t)n, H * sizeof(double));
}

gs_status gs_os_init(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                     double pass_hz, double atten_db) {
    return gs_os_init_stop(os, rate, factor, max_block, pass_hz, rate - pass_hz, atten_db);
}

/* Stages of a half-band cascade for a factor, or -1 if it has none. */
static int cascade_stages(unsigned factor) {
    switch (factor) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    case 16: return 4;
    default: return -1;
    }
}

/* Whether the first stage's down filter is the decimator (a stop band below the image). */
static int uses_decimator(double rate, double pass_hz, double stop_hz) {
    return stop_hz < rate - pass_hz - 1e-9 * rate;
}

gs_status gs_os_stop_latency(double rate, unsigned factor, double pass_hz, double stop_hz,
                             double atten_db, uint32_t *latency) {
    return gs_os_stop_latency_core(rate, factor, pass_hz, stop_hz, atten_db, 0, latency);
}

gs_status gs_os_stop_latency_core(double rate, unsigned factor, double pass_hz, double stop_hz,
                                  double atten_db, unsigned core_delay, uint32_t *latency) {
    int nst = cascade_stages(factor);
    if (nst < 0 || !(stop_hz > pass_hz) || stop_hz > rate - pass_hz + 1e-9 * rate)
        return GS_ERR_INVALID_ARGUMENT;
    /* Delay of the whole chain in top-rate samples: stage k (rate r*2^k -> r*2^(k+1)) delays by
     * its centre index at its high rate, once up and once down; then padded to whole base-rate
     * samples. gs_os_init_stop designs the same stages from the same helpers. */
    unsigned top_delay = core_delay;
    double r = rate;
    for (int k = 0; k < nst; k++) {
        unsigned centre = 2 * halfband_nside(r, pass_hz, atten_db) - 1;
        unsigned down = (k == 0 && uses_decimator(rate, pass_hz, stop_hz))
                            ? decimator_centre(2.0 * rate, pass_hz, stop_hz, atten_db)
                            : centre;
        top_delay += (centre + down) * (factor >> (k + 1));
        r *= 2.0;
    }
    unsigned ndelay = (factor - top_delay % factor) % factor;
    *latency = (top_delay + ndelay) / factor;
    return GS_OK;
}

uint32_t gs_os_latency(double rate, unsigned factor, double pass_hz, double atten_db) {
    uint32_t latency = 0;
    gs_os_stop_latency(rate, factor, pass_hz, rate - pass_hz, atten_db, &latency);
    return latency;
}

gs_status gs_os_init_stop(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                          double pass_hz, double stop_hz, double atten_db) {
    return gs_os_init_stop_core(os, rate, factor, max_block, pass_hz, stop_hz, atten_db, 0);
}

gs_status gs_os_init_stop_core(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                               double pass_hz, double stop_hz, double atten_db,
                               unsigned core_delay) {
    memset(os, 0, sizeof *os);
    int nsti = cascade_stages(factor);
    if (nsti < 0) return GS_ERR_INVALID_ARGUMENT;
    unsigned nst = (unsigned)nsti;
    if (!(stop_hz > pass_hz) || stop_hz > rate - pass_hz + 1e-9 * rate)
        return GS_ERR_INVALID_ARGUMENT;
    os->factor = factor;
    os->nstages = nst;
    os->max_block = max_block;
    double r = rate;
    uint32_t nin = max_block;
    /* Delay of the whole chain in top-rate samples: stage k (rate r*2^k -> r*2^(k+1)) delays by
     * its centre index at its high rate, once up and once down; the model adds core_delay. */
    unsigned top_delay = core_delay;
    for (unsigned k = 0; k < nst; k++) {
        gs_status st = halfband_init(&os->st[k], r, pass_hz, atten_db, nin);
        if (st == GS_OK && k == 0 && uses_decimator(rate, pass_hz, stop_hz))
            st = decimator_init(&os->dec, 2.0 * rate, pass_hz, stop_hz, atten_db, nin);
        if (st != GS_OK) {
            gs_os_free(os);
            return st;
        }
        unsigned down = (k == 0 && os->dec.taps) ? os->dec.centre : os->st[k].centre;
        top_delay += (os->st[k].centre + down) * (factor >> (k + 1));
        r *= 2.0;
        nin *= 2;
    }
    os->ndelay = (factor - top_delay % factor) % factor;
    os->latency = (top_delay + os->ndelay) / factor;
    for (int i = 0; i < 2; i++) {
        os->work[i] = calloc((size_t)max_block * factor, sizeof(double));
        if (!os->work[i]) {
            gs_os_free(os);
            return GS_ERR_NO_MEMORY;
        }
    }
    if (os->ndelay) {
        os->delay = calloc(os->ndelay, sizeof(double));
        if (!os->delay) {
            gs_os_free(os);
            return GS_ERR_NO_MEMORY;
        }
    }
    return GS_OK;
}

/* Weighted least-squares FIR: minimise sum over a frequency grid (w in 0..pi at the filter's rate)
 * of W(w) |H(w) - T(w)|^2, with T = g e^{-j w D} in the passband [0, wp] and 0 in the stop band
 * [ws, pi]. The transition is either left free (trans_weight 0) or, with that weight, asked to
 * follow a raised-cosine taper from g to 0 with the same delay: left free, a sharp low-delay
 * design puts peaks of +20 to +37 dB there (an input near 23 kHz would then drive the model
 * 70 times harder). With real taps the normal equations are Q h = b, Q[m][n] = sum W cos(w (m -
 * n)) (Toeplitz), b[m] = sum W a(w) g cos(w (m - D)) (a the target magnitude); solved by
 * Cholesky (Q is positive definite for a grid denser than the length). */
/* One frequency of the least-squares grid: its weight W, W a g (the target's share), the rotation
 * by w and the phase of the delay. */
typedef struct grid_point {
    double W, wag, cw, sw, cd, sd;
    int pass; /* a target above 0 (else b is not touched) */
} grid_point;
enum { GRID_LANES = 4 };

/* r[m] += W cos(w m) and b[m] += W a g cos(w (m - D)) for np (<= GRID_LANES) grid points, the
 * points in their order for each m: every r[m] and b[m] sees the same additions in the same
 * order as one point at a time over all m (the same sums, bit for bit), while the points'
 * independent rotations overlap (one rotation is a chain of dependent multiply-adds). */
static void grid_add(const grid_point *pt, unsigned np, double *r, double *b, unsigned n) {
    double c[GRID_LANES], sn[GRID_LANES];
    for (unsigned q = 0; q < np; q++) {
        c[q] = 1.0;
        sn[q] = 0.0;
    }
    if (np == GRID_LANES) {
        for (unsigned m = 0; m < n; m++) {
            for (unsigned q = 0; q < GRID_LANES; q++) {
                const grid_point *p = &pt[q];
                r[m] += p->W * c[q];
                if (p->pass) b[m] += p->wag * (c[q] * p->cd + sn[q] * p->sd);
                double c2 = c[q] * p->cw - sn[q] * p->sw;
                sn[q] = sn[q] * p->cw + c[q] * p->sw;
                c[q] = c2;
            }
        }
        return;
    }
    for (unsigned q = 0; q < np; q++) {
        const grid_point *p = &pt[q];
        for (unsigned m = 0; m < n; m++) {
            r[m] += p->W * c[q];
            if (p->pass) b[m] += p->wag * (c[q] * p->cd + sn[q] * p->sd);
            double c2 = c[q] * p->cw - sn[q] * p->sw;
            sn[q] = sn[q] * p->cw + c[q] * p->sw;
            c[q] = c2;
        }
    }
}

static gs_status ls_design(double *h, unsigned n, double wp, double ws, double D, double g,
                           double stop_weight, double slope, double trans_weight) {
    /* at least 16 grid points per tap, so long filters are still over-determined */
    const unsigned grid = n * 16u > 4096u ? n * 16u : 4096u;
    double *r = calloc(n, sizeof(double));
    double *b = calloc(n, sizeof(double));
    double *L = calloc((size_t)n * n, sizeof(double));
    if (!r || !b || !L) {
        free(r);
        free(b);
        free(L);
        return GS_ERR_NO_MEMORY;
    }
    grid_point pt[GRID_LANES];
    unsigned np = 0;
    for (unsigned k = 0; k <= grid; k++) {
        double w = GS_PI * k / grid;
        double W, amp = 0.0;
        if (w <= wp) {
            W = 1.0;
            amp = 1.0;
        } else if (w >= ws) {
            W = slope > 0.0 ? stop_weight * pow(ws / w, slope) : stop_weight;
        } else if (trans_weight > 0.0) {
            W = trans_weight;
            amp = 0.5 * (1.0 + cos(GS_PI * (w - wp) / (ws - wp)));
        } else {
            continue;
        }
        /* cos(w m) and cos(w (m - D)) by rotation, not a cos() call per tap (a 1000-tap design
         * would spend seconds there); the drift over m is a few ulp per step */
        pt[np++] = (grid_point){W, W * amp * g, cos(w), sin(w), cos(w * D), sin(w * D), amp > 0.0};
        if (np == GRID_LANES) {
            grid_add(pt, np, r, b, n);
            np = 0;
        }
    }
    grid_add(pt, np, r, b, n);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j <= i; j++) L[(size_t)i * n + j] = r[i - j];
    for (unsigned i = 0; i < n; i++) L[(size_t)i * n + i] *= 1.0 + 1e-12; /* conditioning */
    for (unsigned j = 0; j < n; j++) { /* Cholesky, lower triangle in place */
        double d = L[(size_t)j * n + j];
        for (unsigned k = 0; k < j; k++) d -= L[(size_t)j * n + k] * L[(size_t)j * n + k];
        d = sqrt(d > 1e-300 ? d : 1e-300);
        L[(size_t)j * n + j] = d;
        /* Four rows at a time: each row's sum still runs over k in order (the same roundings,
         * so the same taps as one row at a time, bit for bit), but four independent chains of
         * subtractions instead of one hide their latency. */
        const double *Lj = L + (size_t)j * n;
        unsigned i = j + 1;
        for (; i + 4 <= n; i += 4) {
            double *L0 = L + (size_t)i * n, *L1 = L0 + n, *L2 = L1 + n, *L3 = L2 + n;
            double a0 = L0[j], a1 = L1[j], a2 = L2[j], a3 = L3[j];
            for (unsigned k = 0; k < j; k++) {
                const double l = Lj[k];
                a0 -= L0[k] * l;
                a1 -= L1[k] * l;
                a2 -= L2[k] * l;
                a3 -= L3[k] * l;
            }
            L0[j] = a0 / d;
            L1[j] = a1 / d;
            L2[j] = a2 / d;
            L3[j] = a3 / d;
        }
        for (; i < n; i++) {
            double a = L[(size_t)i * n + j];
            for (unsigned k = 0; k < j; k++) a -= L[(size_t)i * n + k] * L[(size_t)j * n + k];
            L[(size_t)i * n + j] = a / d;
        }
    }
    for (unsigned i = 0; i < n; i++) { /* forward: L y = b */
        double a = b[i];
        for (unsigned k = 0; k < i; k++) a -= L[(size_t)i * n + k] * h[k];
        h[i] = a / L[(size_t)i * n + i];
    }
    for (unsigned i = n; i-- > 0;) { /* back: L' h = y */
        double a = h[i];
        for (unsigned k = i + 1; k < n; k++) a -= L[(size_t)k * n + i] * h[k];
        h[i] = a / L[(size_t)i * n + i];
    }
    free(r);
    free(b);
    free(L);
    return GS_OK;
}

/* The two low-delay designs. Lengths are in base-rate periods (the same duration at every factor:
 * the transition bands are the same in Hz). Standard: about 51 dB from the stop edge, passband
 * within 0.36 dB / 4 % complex error to 20 kHz at 48 kHz, cheap; its free transition band peaks
 * at +9 dB (up) and +6 dB (down) near 23 kHz. Low-alias: longer filters whose stop-band weight
 * falls as (edge / f)^2 (the stage's harmonics fall with frequency, so the attenuation is spent
 * near the edge, where they are strong), 40 % of the delay for the up filter (its images of the
 * input would otherwise intermodulate in the nonlinearity down into the audio band), and a
 * lightly weighted raised-cosine target across the transition band, which keeps the response
 * there below +0.2 dB: at 16 samples of latency about 67 dB from the edge, passband within
 * 0.22 dB / 2.6 %. (At 8 samples the same method reaches -94 dB of aliasing only with the
 * transition band free, where it then peaks at +37 dB: an input near 23 kHz would drive the
 * tube 70 times harder. Bounded to +3 dB at 8 samples it gives -83 dB.) */
const gs_lowdelay_spec gs_lowdelay_standard = {24, 40, 30.0, 30.0, 0.0, 0.0, 1.0 / 3.0, 0.0, 0.0};
const gs_lowdelay_spec gs_lowdelay_low_alias = {50, 60, 3000.0, 1000.0, 2.0, 2.0, 0.4, 1e-3, 0.0};
/* bjt-stage's default (its solved samples at twice the rate, one high-rate sample late: core_delay
 * 1). There the solver's own aliasing is down to -103 / -90 dB (1 V, 5 / 9 kHz), and what was left,
 * -84.9 dB at 5 kHz with low-alias's weights, was the clipped sine's 6th to 9th harmonics
 * (30-45 kHz) through the down filter's 67 dB stop band. Stop-band weights of 3e4 (up and down)
 * falling as (edge / f)^4 instead of ^2 give 73 dB from the edge and -93.5 / -88.0 dB, for
 * 3.5 % instead of 2.6 % passband error at 20 kHz and a peak of +0.34 dB; lengths of 40 periods
 * each (not 50 and 60) cost nothing measurable at this delay (the fit is limited by the 16
 * samples, not the length) and 12 % of the stage's time. Heavier weights (1e5) reach -98 dB
 * but peak at +0.7 dB with 3.9 % error; 32 periods let a 44.1 kHz sweep's in-band ESR reach
 * 1.3e-5 (test_bjt). Chosen by test_bjt_stage, test_bjt and test_oversample. */
const gs_lowdelay_spec gs_lowdelay_low_alias_sub2 = {40,  40,  30000.0, 30000.0, 2.0,
                                                     4.0, 0.4, 1e-3,    1.0};
const gs_lowdelay_spec gs_lowdelay_low_alias_sub2x2 = {40,  40,  30000.0, 30000.0, 2.0,
                                                       4.0, 0.4, 1e-3,    2.0};

/* Designs are costly for long filters (0.13 to 0.17 s of CPU for the 16x low-alias pair on a
 * loaded 2-core machine, 0.34 to 0.39 s before the row blocking and grid interleaving above; about
 * 1/8 of that at 8x) and the same for every instance at one rate. The tube models' designs at the
 * usual rates are tabulated at build time (gs_os_ld_tables); any other is made once per process,
 * cached and copied (create time only, not on a real-time path; the lock is never taken by
 * processing). */
typedef struct ld_cached {
    gs_os_ld_table d; /* hu, hd point to owned copies */
    struct ld_cached *next;
} ld_cached;
static ld_cached *ld_cache, **ld_cache_tail = &ld_cache; /* oldest first */
static pthread_mutex_t ld_lock = PTHREAD_MUTEX_INITIALIZER;

/* The cache lives as long as the library: freed when it is unloaded (a plugin host's dlclose),
 * so nothing is left unreachable. */
__attribute__((destructor)) static void ld_cache_free(void) {
    pthread_mutex_lock(&ld_lock);
    while (ld_cache) {
        ld_cached *next = ld_cache->next;
        free((double *)ld_cache->d.hu);
        free((double *)ld_cache->d.hd);
        free(ld_cache);
        ld_cache = next;
    }
    ld_cache_tail = &ld_cache;
    pthread_mutex_unlock(&ld_lock);
}

static int spec_eq(const gs_lowdelay_spec *a, const gs_lowdelay_spec *b) {
    return a->up_periods == b->up_periods && a->down_periods == b->down_periods &&
           a->up_weight == b->up_weight && a->down_weight == b->down_weight &&
           a->up_slope == b->up_slope && a->down_slope == b->down_slope && a->split == b->split &&
           a->trans_weight == b->trans_weight && a->core_delay == b->core_delay;
}

/* Exact equality of every input of the design: a cached design is used only for the very
 * request it was made for, so it can never stand in for a different filter. */
static int ld_match(const gs_os_ld_table *d, double rate, unsigned factor, double pass_hz,
                    double stop_hz, unsigned latency, const gs_lowdelay_spec *spec) {
    return d->rate == rate && d->factor == factor && d->pass_hz == pass_hz &&
           d->stop_hz == stop_hz && d->latency == latency && spec_eq(&d->spec, spec);
}

/* a and b the same to 1e-12 relative (far above the rounding of 0.4167 * rate / rate, far below
 * any edge a design would choose differently) */
static int ratio_eq(double a, double b) { return fabs(a - b) <= 1e-12 * fabs(b); }

/* The same design in normalised terms: gs_os_lowdelay_design depends on the rate only through
 * pass_hz / rate and stop_hz / rate (its band edges are 2 pi f / (factor rate); lengths and
 * delays are in periods), so a tabulated design serves every rate with the same edge ratios.
 * A tube model at 50 kHz therefore gets the 48 kHz table (same ratios 0.4167 and 0.5208) in a
 * microsecond instead of a 0.1 s least-squares design; its taps differ from a design at 50 kHz
 * only by the rounding of the edges (test_startup measures the difference). */
static int ld_match_ratio(const gs_os_ld_table *d, double rate, unsigned factor, double pass_hz,
                          double stop_hz, unsigned latency, const gs_lowdelay_spec *spec) {
    return d->factor == factor && d->latency == latency && spec_eq(&d->spec, spec) &&
           ratio_eq(pass_hz / rate, d->pass_hz / d->rate) &&
           ratio_eq(stop_hz / rate, d->stop_hz / d->rate);
}

gs_status gs_os_lowdelay_design(double *hu, double *hd, double rate, unsigned factor,
                                double pass_hz, double stop_hz, unsigned latency,
                                const gs_lowdelay_spec *spec) {
    /* The output is read at the last high-rate instant of each base period, so the two delays
     * add up to R latency + R - 1 high-rate samples (R = 2: 2 latency + 1); the split gives the
     * down filter, whose transition is the sharper, the larger part. */
    double R = (double)factor;
    double total = R * latency + R - 1.0 - spec->core_delay;
    double du = floor(total * spec->split);
    double dd = total - du;
    double hr = R * rate; /* high rate */
    double wp = 2.0 * GS_PI * pass_hz / hr;
    gs_status st = ls_design(hu, spec->up_periods * factor, wp, 2.0 * GS_PI * (rate - pass_hz) / hr,
                             du, R, spec->up_weight, spec->up_slope, spec->trans_weight);
    if (st == GS_OK)
        st = ls_design(hd, spec->down_periods * factor, wp, 2.0 * GS_PI * stop_hz / hr, dd, 1.0,
                       spec->down_weight, spec->down_slope, spec->trans_weight);
    return st;
}

void gs_os_lowdelay_each(void (*fn)(const gs_os_ld_table *design, void *arg), void *arg) {
    pthread_mutex_lock(&ld_lock);
    for (const ld_cached *c = ld_cache; c; c = c->next) fn(&c->d, arg);
    pthread_mutex_unlock(&ld_lock);
}

static gs_status ld_design_cached(gs_lowdelay *ld, double rate, unsigned factor, double pass_hz,
                                  double stop_hz, unsigned latency, const gs_lowdelay_spec *spec) {
    /* tabulated: a copy of 128 (2x standard) to 1760 (16x low-alias) doubles, about 1 us; the
     * entry of this very rate first (what a tabulated rate always got), else one of the same
     * edge ratios */
    const gs_os_ld_table *t = NULL;
    for (unsigned i = 0; i < gs_os_ld_ntables && !t; i++)
        if (ld_match(&gs_os_ld_tables[i], rate, factor, pass_hz, stop_hz, latency, spec))
            t = &gs_os_ld_tables[i];
    for (unsigned i = 0; i < gs_os_ld_ntables && !t; i++)
        if (ld_match_ratio(&gs_os_ld_tables[i], rate, factor, pass_hz, stop_hz, latency, spec))
            t = &gs_os_ld_tables[i];
    if (t) {
        memcpy(ld->hu, t->hu, ld->nu * sizeof(double));
        memcpy(ld->hd, t->hd, ld->nd * sizeof(double));
        return GS_OK;
    }
    gs_status st = GS_OK;
    pthread_mutex_lock(&ld_lock);
    ld_cached *c = ld_cache;
    while (c && !ld_match(&c->d, rate, factor, pass_hz, stop_hz, latency, spec)) c = c->next;
    if (!c) {
        st = gs_os_lowdelay_design(ld->hu, ld->hd, rate, factor, pass_hz, stop_hz, latency, spec);
        c = st == GS_OK ? calloc(1, sizeof *c) : NULL;
        double *hu = c ? malloc(ld->nu * sizeof(double)) : NULL;
        double *hd = c ? malloc(ld->nd * sizeof(double)) : NULL;
        if (c && hu && hd) {
            memcpy(hu, ld->hu, ld->nu * sizeof(double));
            memcpy(hd, ld->hd, ld->nd * sizeof(double));
            c->d = (gs_os_ld_table){rate, pass_hz, stop_hz, factor, latency, *spec, hu, hd};
            c->next = NULL;
            *ld_cache_tail = c;
            ld_cache_tail = &c->next;
        } else { /* not cached: this instance keeps its design all the same */
            free(hu);
            free(hd);
            free(c);
        }
    } else {
        memcpy(ld->hu, c->d.hu, ld->nu * sizeof(double));
        memcpy(ld->hd, c->d.hd, ld->nd * sizeof(double));
    }
    pthread_mutex_unlock(&ld_lock);
    return st;
}

gs_status gs_os_init_lowdelay(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                              double pass_hz, double stop_hz, unsigned latency,
                              const gs_lowdelay_spec *spec) {
    memset(os, 0, sizeof *os);
    if (!spec || factor < 2 || factor > GS_OS_LD_MAX_FACTOR || latency < 2 || !(pass_hz > 0.0) ||
        !(stop_hz > pass_hz) || stop_hz >= rate || spec->up_periods < 2 || spec->down_periods < 1 ||
        !(spec->split > 0.0 && spec->split < 1.0) ||
        !(spec->core_delay >= 0.0 && spec->core_delay < factor))
        return GS_ERR_INVALID_ARGUMENT;
    os->factor = factor;
    os->nstages = 1;
    os->max_block = max_block;
    os->latency = latency;
    gs_lowdelay *ld = calloc(1, sizeof *ld);
    os->ld = ld;
    if (!ld) return GS_ERR_NO_MEMORY;
    ld->rate = rate;
    ld->core_delay = spec->core_delay;
    ld->nu = spec->up_periods * factor;
    ld->nd = spec->down_periods * factor;
    ld->hu = calloc(ld->nu, sizeof(double));
    ld->hd = calloc(ld->nd, sizeof(double));
    ld->hdr = calloc(ld->nd, sizeof(double));
    ld->xh = calloc(ld->nu / factor - 1 + max_block, sizeof(double));
    ld->uh = calloc(ld->nd - 1 + (size_t)factor * max_block, sizeof(double));
    os->work[0] = calloc((size_t)max_block * factor, sizeof(double));
    os->work[1] = calloc((size_t)max_block * factor, sizeof(double));
    if (!ld->hu || !ld->hd || !ld->hdr || !ld->xh || !ld->uh || !os->work[0] || !os->work[1]) {
        gs_os_free(os);
        return GS_ERR_NO_MEMORY;
    }
    gs_status st = ld_design_cached(ld, rate, factor, pass_hz, stop_hz, latency, spec);
    if (st != GS_OK) {
        gs_os_free(os);
        return st;
    }
    for (unsigned i = 0; i < ld->nd; i++) ld->hdr[i] = ld->hd[ld->nd - 1 - i];
    return st;
}

void gs_os_lowdelay_error(const gs_oversampler *os, double f_hz, double stop_hz, double *err,
                          double *atten_db) {
    const gs_lowdelay *ld = os->ld;
    *err = 0.0;
    *atten_db = 0.0;
    if (!ld) return;
    double R = (double)os->factor;
    double worst = 0.0, minatt = 1e9;
    const unsigned npts = 2000 * os->factor;
    for (unsigned k = 0; k <= npts; k++) {
        double w = GS_PI * k / npts; /* high-rate rad/sample */
        double ur = 0, ui = 0, dr = 0, di = 0;
        for (unsigned i = 0; i < ld->nu; i++) {
            ur += ld->hu[i] * cos(w * i);
            ui -= ld->hu[i] * sin(w * i);
        }
        for (unsigned i = 0; i < ld->nd; i++) {
            dr += ld->hd[i] * cos(w * i);
            di -= ld->hd[i] * sin(w * i);
        }
        /* up gain R and the factor 1/R of zero-stuffing cancel */
        double hr2 = (ur * dr - ui * di) / R, hi2 = (ur * di + ui * dr) / R;
        double D = R * os->latency + R - 1.0 - ld->core_delay;
        double er = hr2 - cos(w * D), ei = hi2 + sin(w * D);
        double fz = w / (2.0 * GS_PI) * R * ld->rate;
        if (fz <= f_hz && sqrt(er * er + ei * ei) > worst) worst = sqrt(er * er + ei * ei);
        if (fz >= stop_hz) {
            double a = -10.0 * log10(dr * dr + di * di + 1e-300);
            if (a < minatt) minatt = a;
        }
    }
    *err = worst;
    *atten_db = minatt;
}

void gs_os_free(gs_oversampler *os) {
    if (!os) return;
    if (os->ld) {
        free(os->ld->hu);
        free(os->ld->hd);
        free(os->ld->hdr);
        free(os->ld->xh);
        free(os->ld->uh);
        free(os->ld);
    }
    for (unsigned k = 0; k < GS_OS_MAX_STAGES; k++) halfband_free(&os->st[k]);
    free(os->dec.taps);
    free(os->dec.hist);
    free(os->work[0]);
    free(os->work[1]);
    free(os->delay);
    memset(os, 0, sizeof *os);
}

void gs_os_reset(gs_oversampler *os) {
    if (os->ld) {
        memset(os->ld->xh, 0, (os->ld->nu / os->factor - 1) * sizeof(double));
        memset(os->ld->uh, 0, (os->ld->nd - 1) * sizeof(double));
        return;
    }
    for (unsigned k = 0; k < os->nstages; k++) {
        gs_halfband *hb = &os->st[k];
        memset(hb->hist, 0, hb->hlen * sizeof(double));
        memset(hb->hist2, 0, (4 * hb->nside - 2) * sizeof(double));
    }
    if (os->dec.taps) memset(os->dec.hist, 0, 2 * os->dec.centre * sizeof(double));
    if (os->delay) memset(os->delay, 0, os->ndelay * sizeof(double));
    os->dpos = 0;
}

/* Polyphase: y[R j + ph] = sum_k hu[R k + ph] x[j - k]. The factor is a compile-time constant in
 * each instance of this body (up_fixed), so the R accumulators live in registers and the inner
 * loop over the phases becomes packed multiply-adds; a run-time R left them in memory. With the
 * four outputs at a time below, the 2x standard pair's up filter went from 65 to 10-12 ns a base
 * sample (bench/bench_oversample). */
GS_REALTIME static GS_FORCE_INLINE void up_fixed(const double *hu, unsigned m, const double *x,
                                                 double *y, uint32_t n, const unsigned R) {
    /* four outputs at a time: four independent accumulator chains (one chain of m dependent
     * multiply-adds per output would leave the loop bound by their latency) */
    uint32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const double *xj = x + j;
        double acc[4][GS_OS_LD_MAX_FACTOR];
        for (unsigned q = 0; q < 4; q++)
            for (unsigned ph = 0; ph < R; ph++) acc[q][ph] = 0.0;
        for (unsigned k = 0; k < m; k++) {
            const double *h = hu + (size_t)R * k;
            for (unsigned q = 0; q < 4; q++) {
                const double xv = xj[(long)q - (long)k];
                for (unsigned ph = 0; ph < R; ph++) acc[q][ph] += h[ph] * xv;
            }
        }
        for (unsigned q = 0; q < 4; q++)
            for (unsigned ph = 0; ph < R; ph++) y[(size_t)R * (j + q) + ph] = acc[q][ph];
    }
    for (; j < n; j++) {
        const double *xj = x + j;
        double acc[GS_OS_LD_MAX_FACTOR];
        for (unsigned ph = 0; ph < R; ph++) acc[ph] = 0.0;
        for (unsigned k = 0; k < m; k++) {
            const double xv = xj[-(long)k], *h = hu + (size_t)R * k;
            for (unsigned ph = 0; ph < R; ph++) acc[ph] += h[ph] * xv;
        }
        for (unsigned ph = 0; ph < R; ph++) y[(size_t)R * j + ph] = acc[ph];
    }
}

/* up_fixed for R a multiple of 4 (8x, 16x), in explicit 4-double vectors (GCC vector extensions),
 * two outputs at a time: 2 R / 4 accumulators in registers. The generic body with a compile-time
 * R of 8 or 16 was compiled to slower code than with a run-time one (bench_oversample: 1.5 to 4
 * times slower), so the vectors are spelled out. Each output is the same sum in the same order as
 * up_fixed's; the last output of an odd block takes the same vector expression (not up_fixed,
 * whose multiply-adds the compiler may contract otherwise), so that a stream cut into blocks of
 * any length gives the same samples (test_stream). */
typedef double gs_os_v4d __attribute__((vector_size(32)));
GS_REALTIME static GS_FORCE_INLINE void up_vec(const double *hu, unsigned m, const double *x,
                                               double *y, uint32_t n, const unsigned R) {
    const unsigned NV = R / 4;
    uint32_t j = 0;
    for (; j + 2 <= n; j += 2) {
        const double *xj = x + j;
        gs_os_v4d a0[GS_OS_LD_MAX_FACTOR / 4], a1[GS_OS_LD_MAX_FACTOR / 4];
        for (unsigned v = 0; v < NV; v++) a0[v] = a1[v] = (gs_os_v4d){0.0, 0.0, 0.0, 0.0};
        for (unsigned k = 0; k < m; k++) {
            const double *h = hu + (size_t)R * k;
            const double x0 = xj[-(long)k], x1 = xj[1 - (long)k];
            for (unsigned v = 0; v < NV; v++) {
                gs_os_v4d hv; /* (memcpy: the taps need not be 32-byte aligned) */
                memcpy(&hv, h + 4 * v, sizeof hv);
                a0[v] += hv * x0;
                a1[v] += hv * x1;
            }
        }
        memcpy(y + (size_t)R * j, a0, R * sizeof(double));
        memcpy(y + (size_t)R * (j + 1), a1, R * sizeof(double));
    }
    if (j < n) { /* the last of an odd block: the same vector sums, one output */
        const double *xj = x + j;
        gs_os_v4d a0[GS_OS_LD_MAX_FACTOR / 4];
        for (unsigned v = 0; v < NV; v++) a0[v] = (gs_os_v4d){0.0, 0.0, 0.0, 0.0};
        for (unsigned k = 0; k < m; k++) {
            const double *h = hu + (size_t)R * k;
            const double x0 = xj[-(long)k];
            for (unsigned v = 0; v < NV; v++) {
                gs_os_v4d hv;
                memcpy(&hv, h + 4 * v, sizeof hv);
                a0[v] += hv * x0;
            }
        }
        memcpy(y + (size_t)R * j, a0, R * sizeof(double));
    }
}

GS_REALTIME GS_HOT_CLONES static double *lowdelay_up(gs_oversampler *os, const float *in,
                                                     uint32_t n) {
    gs_lowdelay *ld = os->ld;
    const unsigned R = os->factor, m = ld->nu / R, H = m - 1;
    double *x = ld->xh, *y = os->work[0];
    for (uint32_t i = 0; i < n; i++) x[H + i] = (double)in[i];
    switch (R) {
    case 2: up_fixed(ld->hu, m, x + H, y, n, 2); break;
    case 4: up_fixed(ld->hu, m, x + H, y, n, 4); break;
    case 8: up_vec(ld->hu, m, x + H, y, n, 8); break;
    case 16: up_vec(ld->hu, m, x + H, y, n, 16); break;
    default: up_fixed(ld->hu, m, x + H, y, n, R); break;
    }
    memmove(x, x + n, H * sizeof(double));
    return y;
}

/* z[j] = sum_i hd[i] u[R j + R - 1 - i] = sum_t hdr[t] u[R j + R - 1 - (nd - 1) + t]: with the taps
 * reversed (hdr) the sum runs forward over contiguous memory (dot_fwd). */
/* Four of lowdelay_down's outputs, out[q] = dot_fwd(a, b + q step, len) for len a multiple of 8,
 * in explicit 4-double vectors: each tap vector is loaded once for the four outputs (one dot
 * product at a time loads two numbers per multiply-add and is bound by the loads). Lanes 0-3 and
 * 4-7 of each output's two accumulators are dot_fwd's eight partial sums, added in its order and
 * combined as it does. A block's last outputs (fewer than four) take the same body with Q = 1,
 * not dot_fwd: the compiler may contract dot_fwd's multiply-adds otherwise, and a stream cut
 * into other blocks must give the same samples (test_stream). */
GS_REALTIME static GS_FORCE_INLINE void dot_fwd4(const double *a, const double *b, size_t step,
                                                 unsigned len, float *out, const unsigned Q) {
    gs_os_v4d lo[4], hi[4];
    for (unsigned q = 0; q < Q; q++) lo[q] = hi[q] = (gs_os_v4d){0.0, 0.0, 0.0, 0.0};
    for (unsigned t = 0; t < len; t += 8) {
        gs_os_v4d a0, a1;
        memcpy(&a0, a + t, sizeof a0);
        memcpy(&a1, a + t + 4, sizeof a1);
        for (unsigned q = 0; q < Q; q++) {
            gs_os_v4d b0, b1;
            memcpy(&b0, b + q * step + t, sizeof b0);
            memcpy(&b1, b + q * step + t + 4, sizeof b1);
            lo[q] += a0 * b0;
            hi[q] += a1 * b1;
        }
    }
    for (unsigned q = 0; q < Q; q++)
        out[q] = (float)(((lo[q][0] + hi[q][0]) + (lo[q][1] + hi[q][1])) +
                         ((lo[q][2] + hi[q][2]) + (lo[q][3] + hi[q][3])));
}

GS_REALTIME GS_HOT_CLONES static void lowdelay_down(gs_oversampler *os, const double *hi,
                                                    float *out, uint32_t n) {
    gs_lowdelay *ld = os->ld;
    const unsigned R = os->factor, H = ld->nd - 1;
    double *u = ld->uh;
    memcpy(u + H, hi, (size_t)R * n * sizeof(double));
    uint32_t j = 0;
    if ((ld->nd & 7u) == 0) {
        for (; j + 4 <= n; j += 4)
            dot_fwd4(ld->hdr, u + (size_t)R * j + R - 1, R, ld->nd, out + j, 4);
        for (; j < n; j++) dot_fwd4(ld->hdr, u + (size_t)R * j + R - 1, R, ld->nd, out + j, 1);
    }
    for (; j < n; j++) out[j] = (float)dot_fwd(ld->hdr, u + (size_t)R * j + R - 1, ld->nd);
    memmove(u, u + (size_t)R * n, H * sizeof(double));
}

GS_REALTIME double *gs_os_up(gs_oversampler *os, const float *in, uint32_t n) {
    if (os->ld) return lowdelay_up(os, in, n);
    double *a = os->work[0], *b = os->work[1];
    for (uint32_t i = 0; i < n; i++) a[i] = (double)in[i];
    uint32_t len = n;
    for (unsigned k = 0; k < os->nstages; k++) {
        halfband_up(&os->st[k], a, b, len);
        double *t = a;
        a = b;
        b = t;
        len *= 2;
    }
    if (os->ndelay) {
        for (uint32_t i = 0; i < len; i++) {
            double v = a[i];
            a[i] = os->delay[os->dpos];
            os->delay[os->dpos] = v;
            if (++os->dpos == os->ndelay) os->dpos = 0;
        }
    }
    return a;
}

GS_REALTIME void gs_os_down(gs_oversampler *os, const double *hi, float *out, uint32_t n) {
    if (os->ld) {
        lowdelay_down(os, hi, out, n);
        return;
    }
    if (os->nstages == 0) {
        for (uint32_t i = 0; i < n; i++) out[i] = (float)hi[i];
        return;
    }
    /* hi is one of the work buffers; down-sample into the other and ping-pong. */
    double *src = (double *)hi;
    double *dst = (hi == os->work[0]) ? os->work[1] : os->work[0];
    uint32_t len = n * os->factor;
    for (unsigned k = os->nstages; k-- > 0;) {
        len /= 2;
        if (k == 0 && os->dec.taps)
            decimator_down(&os->dec, src, dst, len);
        else
            halfband_down(&os->st[k], src, dst, len);
        double *t = src;
        src = dst;
        dst = t;
    }
    for (uint32_t i = 0; i < n; i++) out[i] = (float)src[i];
}
