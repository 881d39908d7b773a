/* Matched poles, least-squares zeros: see lti.h for the method and why. */
#include "lti.h"

#include <assert.h>
#include <complex.h>
#include <string.h>

#define FIT_LO_HZ 5.0
#define FIT_SPLIT_HZ 2000.0
#define FIT_TOP_HZ 20500.0
#define FIT_OUT_WEIGHT 1e-3

void gs_lti_init(gs_lti *f, double rate, unsigned ntaps, unsigned delay) {
    memset(f, 0, sizeof *f);
    f->rate = rate;
    f->ntaps = ntaps;
    f->delay = delay;
    f->nfir = 1; /* fir[0] = 0: silent until designed */
    /* Grid: GS_LTI_GRID_LOG points log-spaced from FIT_LO_HZ to FIT_SPLIT_HZ (relative detail at
     * low frequencies: coupling capacitors, transformers), GS_LTI_GRID_LIN linear up to
     * FIT_TOP_HZ (resonances, the top octave), both weight 1; GS_LTI_GRID_OUT linear from there to
     * 0.98 of Nyquist with a small weight, which keeps the response near the analogue one above
     * the audio band instead of leaving it free to grow. */
    unsigned i = 0;
    for (unsigned k = 0; k < GS_LTI_GRID_LOG; k++, i++) {
        double hz = FIT_LO_HZ * pow(FIT_SPLIT_HZ / FIT_LO_HZ, (double)k / GS_LTI_GRID_LOG);
        f->w[i] = 2.0 * GS_PI * hz / rate;
        f->wt[i] = 1.0;
    }
    for (unsigned k = 0; k < GS_LTI_GRID_LIN; k++, i++) {
        double hz = FIT_SPLIT_HZ + (FIT_TOP_HZ - FIT_SPLIT_HZ) * k / (GS_LTI_GRID_LIN - 1.0);
        f->w[i] = 2.0 * GS_PI * hz / rate;
        f->wt[i] = 1.0;
    }
    double nyq = 0.98 * 0.5 * rate;
    for (unsigned k = 1; k <= GS_LTI_GRID_OUT; k++, i++) {
        double hz = FIT_TOP_HZ + (nyq - FIT_TOP_HZ) * k / (double)GS_LTI_GRID_OUT;
        f->w[i] = 2.0 * GS_PI * hz / rate;
        f->wt[i] = FIT_OUT_WEIGHT;
    }
}

void gs_lti_reset(gs_lti *f) {
    memset(f->hist, 0, sizeof f->hist);
    memset(f->s1, 0, sizeof f->s1);
    memset(f->s2, 0, sizeof f->s2);
    f->pos = 0;
}

static double complex poly_c(const double *c, unsigned n, double complex s) {
    double complex y = c[n];
    for (unsigned k = n; k-- > 0;) y = y * s + c[k];
    return y;
}

void gs_lti_eval_analog(const double *num, unsigned nn, const double *den, unsigned nd, double hz,
                        double *re, double *im) {
    double complex s = I * 2.0 * GS_PI * hz;
    double complex h = poly_c(num, nn, s) / poly_c(den, nd, s);
    *re = creal(h);
    *im = cimag(h);
}

/* An all-pole cascade's denominator at z^-1 = e^{-jw}. */
static double complex den_z(const double *a1, const double *a2, unsigned nsec, double w) {
    double complex zi = cexp(-I * w), d = 1.0;
    for (unsigned s = 0; s < nsec; s++) d *= 1.0 + a1[s] * zi + a2[s] * zi * zi;
    return d;
}

void gs_lti_eval_digital(const gs_lti *f, double hz, double *re, double *im) {
    double w = 2.0 * GS_PI * hz / f->rate;
    double complex zi = cexp(-I * w), b = 0.0, p = 1.0;
    for (unsigned k = 0; k < f->nfir; k++, p *= zi) b += f->fir[k] * p;
    double complex h = b / den_z(f->a1, f->a2, f->nsec, w);
    *re = creal(h);
    *im = cimag(h);
}

/* Roots of the real polynomial sum c[k] x^k (degree n, c[n] != 0) by the Aberth-Ehrlich iteration
 * (simultaneous Newton with repulsion; cubic convergence for simple roots). The variable is scaled
 * so the roots are of order one. Returns 0 on success. */
static int poly_roots(const double *c, unsigned n, double complex *r) {
    double scale = pow(fabs(c[0] / c[n]), 1.0 / (double)n);
    if (!(scale > 0.0) || !isfinite(scale)) scale = 1.0;
    double a[GS_LTI_MAX_ORDER + 1];
    double pw = 1.0;
    for (unsigned k = 0; k <= n; k++, pw *= scale) a[k] = c[k] * pw / c[n];
    for (unsigned k = 0; k < n; k++) /* initial guesses on a circle, off the real axis */
        r[k] = cexp(I * (2.0 * GS_PI * (double)k / (double)n + 0.4)) * 1.1;
    for (int it = 0; it < 500; it++) {
        double worst = 0.0;
        for (unsigned k = 0; k < n; k++) {
            double complex p = a[n], dp = 0.0;
            for (unsigned j = n; j-- > 0;) {
                dp = dp * r[k] + p;
                p = p * r[k] + a[j];
            }
            if (cabs(p) == 0.0) continue;
            double complex ratio = p / dp, sum = 0.0;
            for (unsigned j = 0; j < n; j++)
                if (j != k) sum += 1.0 / (r[k] - r[j]);
            double complex step = ratio / (1.0 - ratio * sum);
            r[k] -= step;
            double rel = cabs(step) / (cabs(r[k]) + 1e-300);
            if (rel > worst) worst = rel;
        }
        if (worst < 1e-15) break;
    }
    for (unsigned k = 0; k < n; k++) {
        if (!isfinite(creal(r[k])) || !isfinite(cimag(r[k]))) return -1;
        r[k] *= scale;
    }
    return 0;
}

/* Least squares min |A x - t| for an m x n matrix (m >= n) whose column n holds t, by Householder
 * reflections applied to A and t together, then back substitution. A is overwritten. Returns 0 on
 * success. */
static int lsq_qr(double (*A)[GS_LTI_MAX_TAPS + 1], unsigned m, unsigned n, double *x) {
    for (unsigned c = 0; c < n; c++) {
        double norm = 0.0;
        for (unsigned r = c; r < m; r++) norm += A[r][c] * A[r][c];
        norm = sqrt(norm);
        if (norm == 0.0) return -1;
        double alpha = A[c][c] > 0.0 ? -norm : norm;
        /* v = a - alpha e1, stored in place of column c (rows c..m-1). */
        A[c][c] -= alpha;
        double vv = 0.0;
        for (unsigned r = c; r < m; r++) vv += A[r][c] * A[r][c];
        if (vv == 0.0) return -1;
        for (unsigned k = c + 1; k <= n; k++) {
            double d = 0.0;
            for (unsigned r = c; r < m; r++) d += A[r][c] * A[r][k];
            d = 2.0 * d / vv;
            for (unsigned r = c; r < m; r++) A[r][k] -= d * A[r][c];
        }
        A[c][c] = alpha; /* R's diagonal */
    }
    for (unsigned c = n; c-- > 0;) {
        double s = A[c][n];
        for (unsigned k = c + 1; k < n; k++) s -= A[c][k] * x[k];
        x[c] = s / A[c][c];
        if (!isfinite(x[c])) return -1;
    }
    return 0;
}

gs_status gs_lti_design(gs_lti *f, const double *num, unsigned nn, const double *den, unsigned nd) {
    if (nd > GS_LTI_MAX_ORDER || nn > nd || den[nd] == 0.0) return GS_ERR_INVALID_ARGUMENT;
    double T = 1.0 / f->rate;
    /* 1. Poles, matched: z = exp(sT). */
    double complex s_roots[GS_LTI_MAX_ORDER];
    if (nd > 0 && poly_roots(den, nd, s_roots) != 0) return GS_ERR_NOT_CONVERGED;
    /* The new coefficients are built aside and committed only on success. */
    double a1[GS_LTI_MAX_ORDER / 2 + 1], a2[GS_LTI_MAX_ORDER / 2 + 1];
    unsigned nsec = 0;
    int used[GS_LTI_MAX_ORDER] = {0};
    double lone = 0.0;
    int have_lone = 0;
    for (unsigned k = 0; k < nd; k++) {
        if (used[k]) continue;
        used[k] = 1;
        double complex s = s_roots[k];
        if (creal(s) >= 0.0) return GS_ERR_NOT_CONVERGED; /* not a passive, stable circuit */
        if (fabs(cimag(s)) > 1e-7 * cabs(s)) {
            /* A complex pole: find its conjugate partner (the closest unused root). */
            unsigned best = k;
            double bd = INFINITY;
            for (unsigned j = k + 1; j < nd; j++)
                if (!used[j] && cabs(s_roots[j] - conj(s)) < bd) {
                    bd = cabs(s_roots[j] - conj(s));
                    best = j;
                }
            if (best == k) return GS_ERR_NOT_CONVERGED;
            used[best] = 1;
            double complex z = cexp(0.5 * (s + conj(s_roots[best])) * T);
            a1[nsec] = -2.0 * creal(z);
            a2[nsec] = creal(z) * creal(z) + cimag(z) * cimag(z);
            nsec++;
        } else {
            double z = exp(creal(s) * T);
            if (have_lone) {
                a1[nsec] = -(lone + z);
                a2[nsec] = lone * z;
                nsec++;
                have_lone = 0;
            } else {
                lone = z;
                have_lone = 1;
            }
        }
    }
    if (have_lone) {
        a1[nsec] = -lone;
        a2[nsec] = 0.0;
        nsec++;
    }
    /* 2. Zeros at DC: N(s) = s^k N'(s). */
    unsigned k0 = 0;
    while (k0 < nn && num[k0] == 0.0) k0++;
    const double *np = num + k0;
    unsigned nnp = nn - k0;
    /* 3. Least squares for B: minimise sum_i |E^k B(w_i) / (Dz(w_i) H_a(w_i)) - 1|^2 where
     * E = 1 - e^{-jw} and H_a = s^k N'(s)/D(s). Columns c_m = e^{-jwm} E^k D / (Dz s^k N'). */
    const unsigned nt = f->ntaps;
    /* The weighted least-squares problem as a real system A b = t (rows: real and imaginary parts
     * per frequency), solved by Householder QR: the normal equations would square a condition
     * number that the low-frequency rows (all taps nearly equal there) make large. */
    static_assert(2 * GS_LTI_GRID <= GS_LTI_ROWS, "rows");
    double(*A)[GS_LTI_MAX_TAPS + 1] = f->work;
    for (unsigned i = 0; i < GS_LTI_GRID; i++) {
        double w = f->w[i];
        double complex s = I * w * f->rate;
        double complex zi = cexp(-I * w);
        /* The target includes the latency: H_a(s) e^{-jw delay}. */
        double complex base = poly_c(den, nd, s) * cexp(I * w * (double)f->delay) /
                              (den_z(a1, a2, nsec, w) * poly_c(np, nnp, s));
        double complex e = (1.0 - zi) / s;
        for (unsigned k = 0; k < k0; k++) base *= e;
        double sw = sqrt(f->wt[i]);
        double complex p = base * sw;
        for (unsigned m = 0; m < nt; m++, p *= zi) {
            A[2 * i][m] = creal(p);
            A[2 * i + 1][m] = cimag(p);
        }
        A[2 * i][nt] = sw;
        A[2 * i + 1][nt] = 0.0;
    }
    double bcoef[GS_LTI_MAX_TAPS];
    if (lsq_qr(A, 2 * GS_LTI_GRID, nt, bcoef) != 0) return GS_ERR_NOT_CONVERGED;
    /* FIR = (1 - z^-1)^k0 * B. */
    double fir[GS_LTI_FIR] = {0};
    memcpy(fir, bcoef, nt * sizeof(double));
    unsigned len = nt;
    for (unsigned k = 0; k < k0; k++) {
        for (unsigned j = len; j > 0; j--) fir[j] -= fir[j - 1];
        len++;
    }
    /* Commit. */
    if (f->nfir != len || f->nsec != nsec) {
        /* The structure changed (number of DC zeros or of sections): start the state afresh. */
        gs_lti_reset(f);
    }
    memcpy(f->fir, fir, sizeof f->fir);
    f->nfir = len;
    memcpy(f->a1, a1, sizeof a1);
    memcpy(f->a2, a2, sizeof a2);
    f->nsec = nsec;
    /* Diagnostic: the worst relative error on the grid up to 20 kHz. */
    double worst = 0.0;
    for (unsigned i = 0; i < GS_LTI_GRID; i++) {
        double hz = f->w[i] * f->rate / (2.0 * GS_PI);
        if (hz > 20000.0) break;
        double hr, hi, ar, ai;
        gs_lti_eval_digital(f, hz, &hr, &hi);
        gs_lti_eval_analog(num, nn, den, nd, hz, &ar, &ai);
        double complex lag = cexp(-I * f->w[i] * (double)f->delay);
        double e = cabs((hr + I * hi) / ((ar + I * ai) * lag) - 1.0);
        if (e > worst) worst = e;
    }
    f->fit_err = worst;
    return GS_OK;
}
