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

/* Weighted least-squares FIR: minimise sum over a frequency grid (w in 0..pi at the filter's rate)
 * of W(w) |H(w) - T(w)|^2, with T = g e^{-j w D} in the passband [0, wp] and 0 in the stop band
 * [ws, pi], the transition left free. With real taps the normal equations are Q h = b,
 * Q[m][n] = sum W cos(w (m - n)) (Toeplitz), b[m] = sum_pass W g cos(w (m - D)); solved by
 * Cholesky (Q is positive definite for a grid denser than the length). */
static gs_status ls_design(double *h, unsigned n, double wp, double ws, double D, double g,
                           double stop_weight) {
    const unsigned grid = 4096;
    double *r = calloc(n, sizeof(double));
    double *b = calloc(n, sizeof(double));
    double *L = calloc((size_t)n * n, sizeof(double));
    if (!r || !b || !L) {
        free(r);
        free(b);
        free(L);
        return GS_ERR_NO_MEMORY;
    }
    for (unsigned k = 0; k <= grid; k++) {
        double w = GS_PI * k / grid;
        double W;
        int pass = w <= wp;
        if (pass)
            W = 1.0;
        else if (w >= ws)
            W = stop_weight;
        else
            continue;
        for (unsigned m = 0; m < n; m++) {
            r[m] += W * cos(w * m);
            if (pass) b[m] += W * g * cos(w * (m - D));
        }
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j <= i; j++) L[(size_t)i * n + j] = r[i - j];
    for (unsigned i = 0; i < n; i++) L[(size_t)i * n + i] *= 1.0 + 1e-12; /* conditioning */
    for (unsigned j = 0; j < n; j++) { /* Cholesky, lower triangle in place */
        double d = L[(size_t)j * n + j];
        for (unsigned k = 0; k < j; k++) d -= L[(size_t)j * n + k] * L[(size_t)j * n + k];
        d = sqrt(d > 1e-300 ? d : 1e-300);
        L[(size_t)j * n + j] = d;
        for (unsigned i = j + 1; i < n; i++) {
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

/* Lengths and stop-band weight of the low-delay pair: long enough for about 60 dB from the stop
 * edge with a delay far shorter than a linear-phase filter's half length. */
#ifndef LD_NU
#define LD_NU 48
#endif
#ifndef LD_ND
#define LD_ND 80
#endif
#ifndef LD_WEIGHT
#define LD_WEIGHT 30.0
#endif

gs_status gs_os_init_lowdelay(gs_oversampler *os, double rate, uint32_t max_block, double pass_hz,
                              double stop_hz, unsigned latency) {
    memset(os, 0, sizeof *os);
    if (latency < 2 || !(pass_hz > 0.0) || !(stop_hz > pass_hz) || stop_hz >= rate)
        return GS_ERR_INVALID_ARGUMENT;
    os->factor = 2;
    os->nstages = 1;
    os->max_block = max_block;
    os->latency = latency;
    gs_lowdelay *ld = calloc(1, sizeof *ld);
    os->ld = ld;
    if (!ld) return GS_ERR_NO_MEMORY;
    ld->rate = rate;
    ld->nu = LD_NU;
    ld->nd = LD_ND;
    ld->hu = calloc(ld->nu, sizeof(double));
    ld->hd = calloc(ld->nd, sizeof(double));
    ld->xh = calloc(ld->nu / 2 - 1 + max_block, sizeof(double));
    ld->uh = calloc(ld->nd - 1 + 2 * (size_t)max_block, sizeof(double));
    os->work[0] = calloc((size_t)max_block * 2, sizeof(double));
    os->work[1] = calloc((size_t)max_block * 2, sizeof(double));
    if (!ld->hu || !ld->hd || !ld->xh || !ld->uh || !os->work[0] || !os->work[1]) {
        gs_os_free(os);
        return GS_ERR_NO_MEMORY;
    }
    /* Split the delay (2 latency + 1 high-rate samples: the output is read at odd high-rate
     * instants) about 1 : 2 between up and down: the down filter has the sharper transition and
     * needs more. */
    double total = 2.0 * latency + 1.0;
    double du = floor(total / 3.0);
    double dd = total - du;
    double hr = 2.0 * rate; /* high rate */
    double wp = 2.0 * GS_PI * pass_hz / hr;
    gs_status st =
        ls_design(ld->hu, ld->nu, wp, 2.0 * GS_PI * (rate - pass_hz) / hr, du, 2.0, LD_WEIGHT);
    if (st == GS_OK)
        st = ls_design(ld->hd, ld->nd, wp, 2.0 * GS_PI * stop_hz / hr, dd, 1.0, LD_WEIGHT);
    if (st != GS_OK) gs_os_free(os);
    return st;
}

void gs_os_lowdelay_error(const gs_oversampler *os, double f_hz, double stop_hz, double *err,
                          double *atten_db) {
    const gs_lowdelay *ld = os->ld;
    *err = 0.0;
    *atten_db = 0.0;
    if (!ld) return;
    double worst = 0.0, minatt = 1e9;
    for (unsigned k = 0; k <= 2000; k++) {
        double w = GS_PI * k / 2000.0; /* high-rate rad/sample */
        double ur = 0, ui = 0, dr = 0, di = 0;
        for (unsigned i = 0; i < ld->nu; i++) {
            ur += ld->hu[i] * cos(w * i);
            ui -= ld->hu[i] * sin(w * i);
        }
        for (unsigned i = 0; i < ld->nd; i++) {
            dr += ld->hd[i] * cos(w * i);
            di -= ld->hd[i] * sin(w * i);
        }
        /* up gain 2 and the factor 1/2 of zero-stuffing cancel */
        double hr2 = 0.5 * (ur * dr - ui * di), hi2 = 0.5 * (ur * di + ui * dr);
        double D = 2.0 * os->latency + 1.0;
        double er = hr2 - cos(w * D), ei = hi2 + sin(w * D);
        double fz = w / (2.0 * GS_PI) * 2.0 * ld->rate;
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
        free(os->ld->xh);
        free(os->ld->uh);
        free(os->ld);
    }
    for (unsigned k = 0; k < GS_OS_MAX_STAGES; k++) halfband_free(&os->st[k]);
    free(os->work[0]);
    free(os->work[1]);
    free(os->delay);
    memset(os, 0, sizeof *os);
}

void gs_os_reset(gs_oversampler *os) {
    if (os->ld) {
        memset(os->ld->xh, 0, (os->ld->nu / 2 - 1) * sizeof(double));
        memset(os->ld->uh, 0, (os->ld->nd - 1) * sizeof(double));
        return;
    }
    for (unsigned k = 0; k < os->nstages; k++) {
        gs_halfband *hb = &os->st[k];
        memset(hb->hist, 0, hb->hlen * sizeof(double));
        memset(hb->hist2, 0, (4 * hb->nside - 2) * sizeof(double));
    }
    if (os->delay) memset(os->delay, 0, os->ndelay * sizeof(double));
    os->dpos = 0;
}

/* y[2j] = sum_k hu[2k] x[j-k],  y[2j+1] = sum_k hu[2k+1] x[j-k] */
GS_REALTIME static double *lowdelay_up(gs_oversampler *os, const float *in, uint32_t n) {
    gs_lowdelay *ld = os->ld;
    unsigned H = ld->nu / 2 - 1, m = ld->nu / 2;
    double *x = ld->xh, *y = os->work[0];
    for (uint32_t i = 0; i < n; i++) x[H + i] = (double)in[i];
    for (uint32_t j = 0; j < n; j++) {
        const double *xj = x + H + j;
        double e = 0.0, o = 0.0;
        for (unsigned k = 0; k < m; k++) {
            e += ld->hu[2 * k] * xj[-(long)k];
            o += ld->hu[2 * k + 1] * xj[-(long)k];
        }
        y[2 * j] = e;
        y[2 * j + 1] = o;
    }
    memmove(x, x + n, H * sizeof(double));
    return y;
}

/* z[j] = sum_i hd[i] u[2j+1-i] */
GS_REALTIME static void lowdelay_down(gs_oversampler *os, const double *hi, float *out,
                                      uint32_t n) {
    gs_lowdelay *ld = os->ld;
    unsigned H = ld->nd - 1;
    double *u = ld->uh;
    memcpy(u + H, hi, 2 * (size_t)n * sizeof(double));
    for (uint32_t j = 0; j < n; j++) {
        const double *uj = u + H + 2 * j + 1;
        double a = 0.0;
        for (unsigned i = 0; i < ld->nd; i++) a += ld->hd[i] * uj[-(long)i];
        out[j] = (float)a;
    }
    memmove(u, u + 2 * (size_t)n, H * sizeof(double));
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
        halfband_down(&os->st[k], src, dst, len);
        double *t = src;
        src = dst;
        dst = t;
    }
    for (uint32_t i = 0; i < n; i++) out[i] = (float)src[i];
}
