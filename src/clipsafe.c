/* Clip safe: a look-ahead gain rider that lowers the gain just before a peak would pass a ceiling,
 * so the converter never clips (what interfaces sell as "Clip Safe").
 *
 * Guarantee by construction, not by tuning: with a look-ahead of L samples,
 *   g_req[n] = min(1, ceiling / |x[n]|)            gain each sample needs
 *   m[n]     = min(g_req[n-L .. n])                 sliding minimum over L+1 samples
 *   r[n]     = min(m[n], r[n-1] + (1 - r[n-1]) c)   release back towards 1 (time constant tau)
 *   g[n]     = mean(r[n-L .. n])                     box average: a smooth linear ramp down
 *   y[n]     = g[n] x[n-L]
 * Every r[k] with k in n-L..n has x[n-L] inside its window, so r[k] <= g_req[n-L] and their mean
 * is too: |y| <= ceiling always, and the gain ramps down over exactly L samples ahead of the peak
 * (no step, so no click). The sliding minimum is a monotonic deque (O(1) amortised). */
#include "internal.h"

#include <stdlib.h>

struct gs_clipsafe {
    double rate;
    uint32_t look;  /* L */
    double ceiling; /* linear, > 0 */
    double rel;     /* release coefficient c = 1 - exp(-1 / (tau fs)) */
    int enabled;
    float *delay; /* L samples */
    uint32_t dpos;
    double *box; /* L + 1 values of r */
    uint32_t bpos;
    double sum;
    double *dq_val; /* deque of (index, value), capacity L + 1 */
    uint64_t *dq_idx;
    uint32_t dq_head, dq_len;
    uint64_t n;
    double r, gain, max_red_db;
};

uint32_t gs_clipsafe_lookahead_samples(double rate, double lookahead_s) {
    uint32_t look = (uint32_t)lrint(lookahead_s * rate);
    return look < 1 ? 1 : look;
}

gs_status gs_clipsafe_new(double rate, double lookahead_s, gs_clipsafe **out) {
    if (!out) return GS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!(rate >= GS_RATE_MIN && rate <= GS_RATE_MAX)) return GS_ERR_UNSUPPORTED_RATE;
    if (!(lookahead_s > 0.0 && lookahead_s <= 0.05)) return GS_ERR_OUT_OF_RANGE;
    gs_clipsafe *c = calloc(1, sizeof *c);
    if (!c) return GS_ERR_NO_MEMORY;
    c->rate = rate;
    c->look = gs_clipsafe_lookahead_samples(rate, lookahead_s);
    c->delay = calloc(c->look, sizeof *c->delay);
    c->box = calloc(c->look + 1u, sizeof *c->box);
    c->dq_val = calloc(c->look + 1u, sizeof *c->dq_val);
    c->dq_idx = calloc(c->look + 1u, sizeof *c->dq_idx);
    if (!c->delay || !c->box || !c->dq_val || !c->dq_idx) {
        gs_clipsafe_free(c);
        return GS_ERR_NO_MEMORY;
    }
    c->ceiling = 1.0;
    c->enabled = 1;
    gs_clipsafe_set_release(c, 0.5);
    gs_clipsafe_reset(c);
    *out = c;
    return GS_OK;
}

void gs_clipsafe_free(gs_clipsafe *c) {
    if (!c) return;
    free(c->delay);
    free(c->box);
    free(c->dq_val);
    free(c->dq_idx);
    free(c);
}

void gs_clipsafe_reset(gs_clipsafe *c) {
    if (!c) return;
    for (uint32_t i = 0; i < c->look; i++) c->delay[i] = 0.0f;
    for (uint32_t i = 0; i <= c->look; i++) c->box[i] = 1.0;
    c->sum = (double)(c->look + 1u);
    c->dpos = c->bpos = 0;
    c->dq_head = c->dq_len = 0;
    c->n = 0;
    c->r = c->gain = 1.0;
    c->max_red_db = 0.0;
}

gs_status gs_clipsafe_set_ceiling(gs_clipsafe *c, double ceiling) {
    if (!c || !(ceiling > 0.0) || !isfinite(ceiling)) return GS_ERR_INVALID_ARGUMENT;
    c->ceiling = ceiling;
    return GS_OK;
}

gs_status gs_clipsafe_set_release(gs_clipsafe *c, double seconds) {
    if (!c || !(seconds >= 0.001 && seconds <= 60.0)) return GS_ERR_OUT_OF_RANGE;
    c->rel = 1.0 - exp(-1.0 / (seconds * c->rate));
    return GS_OK;
}

void gs_clipsafe_enable(gs_clipsafe *c, int on) {
    if (c) c->enabled = on != 0;
}

uint32_t gs_clipsafe_latency(const gs_clipsafe *c) { return c ? c->look : 0; }
double gs_clipsafe_reduction_db(const gs_clipsafe *c) { return c ? -20.0 * log10(c->gain) : 0.0; }
double gs_clipsafe_max_reduction_db(const gs_clipsafe *c) { return c ? c->max_red_db : 0.0; }

GS_REALTIME gs_status gs_clipsafe_process(gs_clipsafe *c, float *buf, uint32_t n) {
    if (!c || (!buf && n)) return GS_ERR_INVALID_ARGUMENT;
    const uint32_t L = c->look, cap = L + 1u;
    for (uint32_t i = 0; i < n; i++) {
        double x = buf[i];
        double a = fabs(x);
        double req = c->enabled && a > c->ceiling ? c->ceiling / a : 1.0;
        /* Deque: drop values the new one makes irrelevant, then the one leaving the window. */
        while (c->dq_len && c->dq_val[(c->dq_head + c->dq_len - 1u) % cap] >= req) c->dq_len--;
        uint32_t slot = (c->dq_head + c->dq_len) % cap;
        c->dq_val[slot] = req;
        c->dq_idx[slot] = c->n;
        c->dq_len++;
        while (c->dq_idx[c->dq_head] + cap <= c->n) {
            c->dq_head = (c->dq_head + 1u) % cap;
            c->dq_len--;
        }
        double m = c->dq_val[c->dq_head];
        double r = c->r + (1.0 - c->r) * c->rel;
        c->r = r < m ? r : m;
        c->sum += c->r - c->box[c->bpos];
        c->box[c->bpos] = c->r;
        if (++c->bpos == cap) {
            /* Re-sum once per window so rounding cannot accumulate over hours. */
            c->bpos = 0;
            double s = 0.0;
            for (uint32_t k = 0; k < cap; k++) s += c->box[k];
            c->sum = s;
        }
        double g = c->sum / (double)cap;
        if (g > 1.0) g = 1.0;
        float xd = c->delay[c->dpos];
        c->delay[c->dpos] = (float)x;
        if (++c->dpos == L) c->dpos = 0;
        double y = g * xd;
        /* Float rounding of the product must not poke through the ceiling. */
        if (c->enabled && fabs(y) > c->ceiling) y = y > 0 ? c->ceiling : -c->ceiling;
        buf[i] = (float)y;
        c->gain = g;
        if (g < 1.0) {
            double red = -20.0 * log10(g);
            if (red > c->max_red_db) c->max_red_db = red;
        }
        c->n++;
    }
    return GS_OK;
}
