/* The tube stage's per-sample solver (predictor, Newton, sub-stepping fallback, update), shared
 * by the one-core loops of tube_core.c and the four-lane kernel of tube_lanes.c, so both run the
 * same arithmetic. Internal to those two files. */
#ifndef GS_TUBE_TICK_H
#define GS_TUBE_TICK_H

/* after tube_stage.h (whose guard ends before its oversampling and supply part) */
#include <string.h>
#ifdef GS_TUBE_TRACE
#include <stdio.h>
#endif

/* Nonlinear currents f(v) = (Ip(Vgk, Vpk), Ig(Vgk)) and their Jacobian F' = [[dg dp] [dgg 0]]. */
GS_REALTIME static GS_FORCE_INLINE void currents(const gs_tube_core *c, const double v[2],
                                                 double f[2], double *dg, double *dp, double *dgg) {
    f[0] = gs_triode_ip_scaled(c->val.tube, c->val.emission, v[0], v[1], dg, dp);
    f[1] = gs_grid_current(c->val.tube, v[0], dgg);
}

/* The inverse of the Newton Jacobian J = I - K F' into Jinv. Returns 0 (Jinv untouched) if J is
 * singular to working precision. */
GS_REALTIME static GS_FORCE_INLINE int jacobian_inverse(const gs_tube_core *c, double dg, double dp,
                                                        double dgg, double Jinv[2][2]) {
    double j00 = 1.0 - (c->K[0][0] * dg + GS_UNFUSED(c->K[0][1] * dgg)), j01 = -c->K[0][0] * dp;
    double j10 = -(c->K[1][0] * dg + GS_UNFUSED(c->K[1][1] * dgg)), j11 = 1.0 - c->K[1][0] * dp;
    double det = j00 * j11 - GS_UNFUSED(j01 * j10);
    if (!(fabs(det) > 1e-300)) return 0;
    double k = 1.0 / det;
    Jinv[0][0] = j11 * k;
    Jinv[0][1] = -j01 * k;
    Jinv[1][0] = -j10 * k;
    Jinv[1][1] = j00 * k;
    return 1;
}

#define CHORD_MAX_V 0.05 /* V: the largest first step taken with the last sample's inverse */

/* Solve v = p + K f(v) from the guess in w->v; leaves v and i = f(v) in c. Returns 1 if
 * converged within max_iter. chord: the first step may use the last sample's inverse Jacobian
 * (the per-sample path; the sub-stepping fallback and the DC solve use fresh ones throughout). */
GS_REALTIME static GS_FORCE_INLINE int solve(gs_tube_core *c, gs_tube_solution *w,
                                             const double p[2], int max_iter, double tol,
                                             int chord) {
    double *v = w->v;
    double f[2], dg, dp, dgg;
    int ok = 0;
    for (int it = 0; it < max_iter; it++) {
        c->iterations++;
        currents(c, v, f, &dg, &dp, &dgg);
        /* r = v - p - K f, the current terms last: they end the dependency chain */
        double r0 = (v[0] - p[0]) - (c->K[0][0] * f[0] + GS_UNFUSED(c->K[0][1] * f[1]));
        double r1 = (v[1] - p[1]) - (c->K[1][0] * f[0] + GS_UNFUSED(c->K[1][1] * f[1]));
        double J[2][2];
        int fresh = jacobian_inverse(c, dg, dp, dgg, J);
        /* The first step uses the inverse kept from the last sample (the predictor's), which
         * differs from this one by the change of the slopes over one sample: the step is then
         * independent of the division above, which leaves the critical chain. */
        double n0, n1;
        if (chord && it == 0 && w->jinv_ok) {
            n0 = v[0] - (w->Jinv[0][0] * r0 + GS_UNFUSED(w->Jinv[0][1] * r1));
            n1 = v[1] - (w->Jinv[1][0] * r0 + GS_UNFUSED(w->Jinv[1][1] * r1));
            /* a large step (a violent input) is redone with the fresh inverse: the slopes may
             * have changed a lot along it */
            if (fabs(n0 - v[0]) + fabs(n1 - v[1]) > CHORD_MAX_V) {
                if (!fresh) break;
                n0 = v[0] - (J[0][0] * r0 + GS_UNFUSED(J[0][1] * r1));
                n1 = v[1] - (J[1][0] * r0 + GS_UNFUSED(J[1][1] * r1));
            }
        } else {
            if (!fresh) break;
            n0 = v[0] - (J[0][0] * r0 + GS_UNFUSED(J[0][1] * r1));
            n1 = v[1] - (J[1][0] * r0 + GS_UNFUSED(J[1][1] * r1));
        }
        /* Below Vpk = 0 the plate current is identically 0 (no slope to come back by): a step
         * across that edge goes only halfway to it, so the iteration cannot ping-pong over it. */
        if (n1 <= 0.0 && v[1] > 0.0) n1 = 0.5 * v[1];
        double e0 = n0 - v[0], e1 = n1 - v[1];
#ifdef GS_TUBE_TRACE
        fprintf(stderr, "  it %d v %.6f %.6f -> %.6f %.6f f %.4g %.4g\n", it, v[0], v[1], n0, n1,
                f[0], f[1]);
#endif
        /* The larger step, by comparison (fmax is a libm call here); a NaN in either component
         * makes the sum NaN, caught below. */
        double a0 = fabs(e0), a1 = fabs(e1);
        double step = a0 > a1 ? a0 : a1;
        double nan_check = e0 + e1;
        v[0] = n0;
        v[1] = n1;
        if (!(nan_check == nan_check)) break; /* NaN guard */
        if (step < tol) {
            /* currents at the solution, to second order from the last linearisation */
            w->i[0] = GS_UNFUSED(f[0]) + dg * e0 + dp * e1;
            w->i[1] = GS_UNFUSED(f[1]) + dgg * e0;
            w->jg = dg;
            w->jp = dp;
            w->jgg = dgg;
            if (fresh) memcpy(w->Jinv, J, sizeof w->Jinv);
            w->jinv_ok = fresh;
            ok = 1;
            break;
        }
    }
    if (!ok) {
        /* Keep a finite, self-consistent pair even when the bound was hit. */
        if (!(isfinite(v[0]) && isfinite(v[1]))) {
            v[0] = p[0];
            v[1] = p[1];
        }
        currents(c, v, f, &dg, &dp, &dgg);
        w->i[0] = f[0];
        w->i[1] = f[1];
        w->jg = dg;
        w->jp = dp;
        w->jgg = dgg;
        w->jinv_ok = jacobian_inverse(c, dg, dp, dgg, w->Jinv);
    }
    return ok;
}

/* Predictor: the previous solution's linearisation i ~ i0 + F' (v - v0) in v = p + K i, that is
 * (I - K F') v = p + K (i0 - F' v0), with (I - K F')^-1 kept from the last solution: a 2 x 2
 * product and no transcendental function. */
GS_REALTIME static GS_FORCE_INLINE void predict(const gs_tube_core *c, gs_tube_solution *w,
                                                const double p[2]) {
    double *v = w->v;
    double a0 = w->i[0] - (GS_UNFUSED(w->jg * v[0]) + w->jp * v[1]), a1 = w->i[1] - w->jgg * v[0];
    double r0 = p[0] + (GS_UNFUSED(c->K[0][0] * a0) + c->K[0][1] * a1);
    double r1 = p[1] + (GS_UNFUSED(c->K[1][0] * a0) + c->K[1][1] * a1);
    if (w->jinv_ok) {
        v[0] = w->Jinv[0][0] * r0 + GS_UNFUSED(w->Jinv[0][1] * r1);
        v[1] = w->Jinv[1][0] * r0 + GS_UNFUSED(w->Jinv[1][1] * r1);
    } else {
        for (int r = 0; r < 2; r++) v[r] = p[r] + c->K[r][0] * w->i[0] + c->K[r][1] * w->i[1];
    }
}

#define TOL_V 1e-4

/* One sample:
 *   p = Pu u + ps                        (ps = Ps s, computed by the previous sample)
 *   i = the solution of v = p + K i(v)   (predictor + Newton)
 *   (s', y, isup, ps') = G (s, u, i)     (one matrix, column by column)
 * G's columns of the currents come last: everything before them is independent of the solve and
 * overlaps it, so the chain from one sample's currents to the next sample's p is two
 * multiply-adds. In three parts (tick_linear, tick_solve, tick_update) so that the four-lane
 * kernel can run the first and last per lane and replace the middle one. */
GS_REALTIME static GS_FORCE_INLINE void tick_linear(const gs_tube_core *c, double vin, double bplus,
                                                    double p[GS_TUBE_NPORT],
                                                    double acc[GS_TUBE_GROWS]) {
    for (int r = 0; r < GS_TUBE_NPORT; r++)
        p[r] = (c->Pu[r][0] * vin + GS_UNFUSED(c->Pu[r][1] * bplus)) + c->ps[r];
    /* the state and input part of the update, while the solver runs */
    for (int r = 0; r < GS_TUBE_GROWS; r++)
        acc[r] = c->G[GS_TUBE_NCAP][r] * vin + GS_UNFUSED(c->G[GS_TUBE_NCAP + 1][r] * bplus);
    for (int k = 0; k < GS_TUBE_NCAP; k++) {
        const double sk = c->s[k];
        for (int r = 0; r < GS_TUBE_GROWS; r++) acc[r] += c->G[k][r] * sk;
    }
}

/* Rare (a violent input step): walk the linear part from the last sample's to this one's in
 * sub-steps, each starting from the previous sub-step's solution. */
GS_REALTIME static GS_FORCE_INLINE void tick_substep(gs_tube_core *c,
                                                     const double p[GS_TUBE_NPORT]) {
    int ok = 0;
    gs_tube_solution w = c->sol;
    for (int sub = 1; sub <= 8; sub++) {
        double q[GS_TUBE_NPORT];
        for (int r = 0; r < GS_TUBE_NPORT; r++)
            q[r] = c->p_last[r] + (p[r] - c->p_last[r]) * sub / 8.0;
        predict(c, &w, q);
        ok = solve(c, &w, q, GS_TUBE_MAX_ITER, TOL_V, 0);
        if (!ok) break;
    }
    if (ok)
        c->sol = w;
    else /* give up on this sample but stay finite and physical: the previous currents */
        c->nonconverged++;
}

/* The sample's solution into c->sol. */
GS_REALTIME static GS_FORCE_INLINE void tick_solve(gs_tube_core *c, const double p[GS_TUBE_NPORT]) {
    /* Predictor: the new linear part with the previous currents. The solve works on a copy
     * (kept in registers), which replaces the last solution only if it converged. */
    gs_tube_solution w = c->sol;
    predict(c, &w, p);
    if (solve(c, &w, p, GS_TUBE_MAX_ITER, TOL_V, 1))
        c->sol = w;
    else
        tick_substep(c, p);
}

/* The update with the solved currents; returns v(o). */
GS_REALTIME static GS_FORCE_INLINE double tick_update(gs_tube_core *c,
                                                      const double p[GS_TUBE_NPORT],
                                                      double acc[GS_TUBE_GROWS], double vin,
                                                      double bplus) {
    memcpy(c->p_last, p, sizeof c->p_last);
    memcpy(c->s_prev, c->s, sizeof c->s);
    const double i0 = c->sol.i[0], i1 = c->sol.i[1];
    for (int r = 0; r < GS_TUBE_GROWS; r++)
        acc[r] += c->G[GS_TUBE_NCAP + 2][r] * i0 + GS_UNFUSED(c->G[GS_TUBE_NCAP + 3][r] * i1);
    memcpy(c->s, acc, sizeof c->s);
    c->ps[0] = acc[GS_TUBE_ROW_PS];
    c->ps[1] = acc[GS_TUBE_ROW_PS + 1];
    c->isup = acc[GS_TUBE_ROW_ISUP];
    c->vc_held = 0;
    c->u_last[0] = vin;
    c->u_last[1] = bplus;
    return acc[GS_TUBE_ROW_Y];
}

GS_REALTIME static GS_FORCE_INLINE double tick(gs_tube_core *c, double vin, double bplus) {
    double p[GS_TUBE_NPORT], acc[GS_TUBE_GROWS];
    tick_linear(c, vin, bplus, p, acc);
    tick_solve(c, p);
    return tick_update(c, p, acc, vin, bplus);
}

#endif
