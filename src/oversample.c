/* Cascaded linear-phase half-band oversampling (see oversample.h for why linear phase). */
#include "oversample.h"

#include <stdlib.h>
#include <string.h>

/* Zeroth-order modified Bessel function of the first kind, by its power series (converges fast for
 * the Kaiser beta values used here, < 20). */
static double bessel_i0(double x) {
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

/* Kaiser's formulas (Oppenheim & Schafer, Discrete-Time Signal Processing, 3rd ed., eq. 7.62-7.63):
 * beta from the attenuation A in dB, and the order from A and the transition width. */
static double kaiser_beta(double A) {
    if (A > 50.0) return 0.1102 * (A - 8.7);
    if (A >= 21.0) return 0.5842 * pow(A - 21.0, 0.4) + 0.07886 * (A - 21.0);
    return 0.0;
}

static gs_status halfband_init(gs_halfband *hb, double rate_in, double pass_hz, double atten_db,
                               uint32_t max_in) {
    /* Transition from the passband edge to its image, normalised to the output rate 2*rate_in. */
    double delta = (rate_in - 2.0 * pass_hz) / (2.0 * rate_in);
    if (delta < 0.01) delta = 0.01;
    double order = (atten_db - 7.95) / (14.36 * delta);
    unsigned m = (unsigned)ceil((order + 2.0) / 4.0);
    if (m < 1) m = 1;
    hb->nside = m;
    hb->centre = 2 * m - 1;
    hb->taps = calloc(m, sizeof(double));
    /* up: history of 2m-1 low-rate samples + block; down: 4m-2 high-rate samples + block */
    hb->hlen = 2 * m - 1;
    hb->hist = calloc(hb->hlen + max_in, sizeof(double));
    hb->hist2 = calloc((4 * m - 2) + 2 * (size_t)max_in, sizeof(double));
    if (!hb->taps || !hb->hist || !hb->hist2) return GS_ERR_NO_MEMORY;
    double beta = kaiser_beta(atten_db);
    double half = (double)hb->centre; /* the window spans the filter exactly */
    double sum = 0.0;
    for (unsigned k = 0; k < m; k++) {
        double d = 2.0 * k + 1.0; /* odd offset from the centre */
        double r = d / half;
        double w = bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
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
        for (unsigned k = 0; k < m; k++) acc += h[k] * (xj[-(long)(m + k)] + xj[-(long)(m - 1 - k)]);
        out[2 * j] = 2.0 * acc;
        out[2 * j + 1] = xj[-(long)(m - 1)];
    }
    memmove(x, x + n, H * sizeof(double));
}

/* 2n high-rate samples in, n low-rate samples out:
 *   z[j] = u[2j-c]/2 + sum_k h_k (u[2j-2m-2k] + u[2j-2m+2+2k]),  c = 2m-1 */
GS_REALTIME static void halfband_down(gs_halfband *hb, const double *in, double *out,
                                      uint32_t n) {
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

gs_status gs_os_init(gs_oversampler *os, double rate, unsigned factor, uint32_t max_block,
                     double pass_hz, double atten_db) {
    memset(os, 0, sizeof *os);
    unsigned nst = 0;
    switch (factor) {
    case 1: nst = 0; break;
    case 2: nst = 1; break;
    case 4: nst = 2; break;
    case 8: nst = 3; break;
    default: return GS_ERR_INVALID_ARGUMENT;
    }
    os->factor = factor;
    os->nstages = nst;
    os->max_block = max_block;
    double r = rate;
    uint32_t nin = max_block;
    /* Delay of the whole chain in top-rate samples: stage k (rate r*2^k -> r*2^(k+1)) delays by
     * its centre index at its high rate, once up and once down. */
    unsigned top_delay = 0;
    for (unsigned k = 0; k < nst; k++) {
        gs_status st = halfband_init(&os->st[k], r, pass_hz, atten_db, nin);
        if (st != GS_OK) {
            gs_os_free(os);
            return st;
        }
        top_delay += 2u * os->st[k].centre * (factor >> (k + 1));
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

void gs_os_free(gs_oversampler *os) {
    if (!os) return;
    for (unsigned k = 0; k < GS_OS_MAX_STAGES; k++) halfband_free(&os->st[k]);
    free(os->work[0]);
    free(os->work[1]);
    free(os->delay);
    memset(os, 0, sizeof *os);
}

void gs_os_reset(gs_oversampler *os) {
    for (unsigned k = 0; k < os->nstages; k++) {
        gs_halfband *hb = &os->st[k];
        memset(hb->hist, 0, hb->hlen * sizeof(double));
        memset(hb->hist2, 0, (4 * hb->nside - 2) * sizeof(double));
    }
    if (os->delay) memset(os->delay, 0, os->ndelay * sizeof(double));
    os->dpos = 0;
}

GS_REALTIME double *gs_os_up(gs_oversampler *os, const float *in, uint32_t n) {
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
        halfband_down(&os->st[k], src, dst, len);
        double *t = src;
        src = dst;
        dst = t;
    }
    for (uint32_t i = 0; i < n; i++) out[i] = (float)src[i];
}
