/* The tube stage's per-sample code (the solver: predictor, Newton, sub-stepping fallback,
 * update; and the linearised samples), shared by the one-core loops of tube_core.c and the
 * four-lane loops of tube_lanes.c, so both run the same arithmetic. Internal to those two
 * files. */
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
 * multiply-adds. In three parts (tick_linear, tick_solve, tick_update). */
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

/* Linearised samples (gs_tube_lin, tube_stage.h). The expansion's error is third order in the
 * distance from its point, so the region is bounded where the third derivatives are known:
 * in Koren's x = KP (1/MU + Vgk q(Vpk)), the softplus argument, whose relative derivatives are
 * of order one (EX^n below cut-off, 1/x^n far above it), and in Vpk, on whose scale of
 * hundreds of volts A(Vpk) and q(Vpk) vary. The grid stays LIN_GRID_MARGIN below conduction,
 * where Ig = -Is exactly (gs_grid_current), so the expansion is the plate current's alone. */
#define LIN_RX 0.02          /* half-width in x */
#define LIN_RP 2.0           /* half-width in Vpk (V) */
#define LIN_GRID_MARGIN 0.05 /* V */
#define LIN_MIN_RUN 4u       /* a point that served fewer samples doubles the wait */
#define LIN_MAX_WAIT 64u     /* solved samples */

/* Off the expansion: sol's slopes at its voltages (first order from the point) and their
 * inverse for the solver's predictor; a point that served few samples makes the next wait. */
GS_REALTIME static GS_FORCE_INLINE void lin_leave(gs_tube_core *c) {
    gs_tube_lin *L = &c->lin;
    if (!L->on) return;
    L->on = 0;
    L->carry_ok = 0;
    if (c->linear_steps - L->since < LIN_MIN_RUN) {
        L->backoff = L->backoff ? 2u * L->backoff : 1u;
        if (L->backoff > LIN_MAX_WAIT) L->backoff = LIN_MAX_WAIT;
    } else
        L->backoff = 0;
    L->wait = L->backoff;
    if (!L->stale) return;
    L->stale = 0;
    gs_tube_solution *w = &c->sol;
    const double e0 = w->v[0] - L->vstar[0], e1 = w->v[1] - L->vstar[1];
    w->jg = L->g0 + (L->hgg * e0 + L->hgp * e1);
    w->jp = L->g1 + (L->hgp * e0 + L->hpp * e1);
    w->jgg = 0.0;
    w->jinv_ok = jacobian_inverse(c, w->jg, w->jp, w->jgg, w->Jinv);
}

/* A new point at the solved sample in c->sol, if the grid is cut off there (out of line: a
 * hundred-odd nanoseconds, once per region). */
GS_REALTIME void gs_tube_lin_enter(gs_tube_core *c);

GS_REALTIME static GS_FORCE_INLINE void lin_after_solve(gs_tube_core *c) {
    gs_tube_lin *L = &c->lin;
    if (L->disabled) return;
    if (L->wait) {
        L->wait--;
        return;
    }
    gs_tube_lin_enter(c);
}

GS_REALTIME static GS_FORCE_INLINE double tick(gs_tube_core *c, double vin, double bplus) {
    double p[GS_TUBE_NPORT], acc[GS_TUBE_GROWS];
    tick_linear(c, vin, bplus, p, acc);
    tick_solve(c, p);
    return tick_update(c, p, acc, vin, bplus);
}

/* A run's state as three vectors, the rows of its last sample's map: (s0..s3), (s4, s5, y,
 * isup) and the next sample's (a0, a1, g . a, dx) but for its input terms. */
typedef double v4d __attribute__((vector_size(32)));
typedef struct lin_regs {
    v4d r0, r1, r2;
} lin_regs;
/* What the write-back needs of the last sample taken: its a, qd, e, inputs and sources. */
typedef struct lin_last {
    v4d a, s0, s1;
    double qd, e, vin, b;
} lin_last;

/* an unaligned load of four doubles (a macro: a function returning a vector would change the
 * ABI of the default clone) */
typedef double v4d_u __attribute__((vector_size(32), aligned(8), may_alias));
#define ld4(p) (*(const v4d_u *)(const void *)(p))

/* A run's starting rows: the state, and a from the carry (the last sample was linearised) or
 * from ps (it was solved). */
GS_REALTIME static GS_FORCE_INLINE void lin_begin(const gs_tube_core *c, lin_regs *R) {
    const gs_tube_lin *L = &c->lin;
    v4d r2;
    if (L->carry_ok) {
        r2 = ld4(L->carry);
    } else {
        const double d0 = c->ps[0] - L->pstar[0], d1 = c->ps[1] - L->pstar[1];
        const double a0 = L->M[0][0] * d0 + L->M[0][1] * d1;
        const double a1 = L->M[1][0] * d0 + L->M[1][1] * d1;
        r2 = (v4d){a0, a1, L->g0 * a0 + L->g1 * a1, L->x0 * a0 + L->x1 * a1};
    }
    *R = (lin_regs){ld4(c->s), (v4d){c->s[4], c->s[5], 0.0, c->isup}, r2};
}

/* A linearised sample in three parts (the four-lane loops test every lane before updating
 * any): its a, whether that is in the region, and the update. The plate current's deviation e
 * enters last, so the chain from one sample's a to the next is the quadratic and one
 * multiply-add. */
/* (vectors go by pointer: by value they would change the default clone's ABI) */
GS_REALTIME static GS_FORCE_INLINE void lin_a(const gs_tube_lin *L, const lin_regs *R, double vin,
                                              double b, v4d *a) {
    *a = R->r2 + (ld4(L->mu[0]) * vin + GS_UNFUSED(ld4(L->mu[1]) * b));
}

GS_REALTIME static GS_FORCE_INLINE int lin_in(const gs_tube_lin *L, const v4d *a) {
    return fabs((*a)[3]) < LIN_RX && fabs((*a)[1]) < LIN_RP && (*a)[0] < L->dmax0;
}

GS_REALTIME static GS_FORCE_INLINE void lin_update(const gs_tube_lin *L, lin_regs *R, lin_last *z,
                                                   const v4d *pa, double vin, double b) {
    const v4d a = *pa;
    const double qd =
        a[0] * (L->h00 * a[0] + GS_UNFUSED(L->h01 * a[1])) + GS_UNFUSED(L->h11 * (a[1] * a[1]));
    const double e = a[2] + qd;
    const double s0 = R->r0[0], s1 = R->r0[1], s2 = R->r0[2], s3 = R->r0[3];
    const double s4 = R->r1[0], s5 = R->r1[1];
    v4d acc[3];
    for (int j = 0; j < 3; j++) {
#define WC(col) ld4(&L->W[col][4 * j])
        /* (the product each sum fuses pinned, as everywhere in the solver: the one-core and
         * four-lane loops must round alike) */
        const v4d rest =
            ((WC(0) * s0 + GS_UNFUSED(WC(1) * s1)) + (WC(2) * s2 + GS_UNFUSED(WC(3) * s3))) +
            ((WC(4) * s4 + GS_UNFUSED(WC(5) * s5)) +
             ((WC(6) * vin + GS_UNFUSED(WC(7) * b)) + WC(9)));
        acc[j] = rest + WC(8) * e;
#undef WC
    }
    z->a = a;
    z->s0 = R->r0;
    z->s1 = R->r1;
    z->qd = qd;
    z->e = e;
    z->vin = vin;
    z->b = b;
    *R = (lin_regs){acc[0], acc[1], acc[2]};
}

/* One linearised sample: 0 (R untouched) if it leaves the region. */
GS_REALTIME static GS_FORCE_INLINE int lin_sample(const gs_tube_lin *L, lin_regs *R, lin_last *z,
                                                  double vin, double b) {
    v4d a;
    lin_a(L, R, vin, b, &a);
    if (!lin_in(L, &a)) return 0;
    lin_update(L, R, z, &a, vin, b);
    return 1;
}

/* The core's state after linearised samples, from the last one's rows and z: what tick_update
 * leaves (sources, supply current, inputs, ps, p_last, the solution) and the carry. */
GS_REALTIME static __attribute__((noinline, unused)) void
lin_store(gs_tube_core *c, const lin_regs *R, const lin_last *z, uint32_t taken) {
    gs_tube_lin *L = &c->lin;
    for (int k = 0; k < 4; k++) {
        c->s[k] = R->r0[k];
        c->s_prev[k] = z->s0[k];
    }
    for (int k = 0; k < 2; k++) {
        c->s[4 + k] = R->r1[k];
        c->s_prev[4 + k] = z->s1[k];
    }
    c->isup = R->r1[3];
    c->u_last[0] = z->vin;
    c->u_last[1] = z->b;
    for (int r = 0; r < GS_TUBE_NPORT; r++) {
        double p = c->Pu[r][0] * z->vin + c->Pu[r][1] * z->b, ps = 0.0;
        for (int k = 0; k < GS_TUBE_NCAP; k++) {
            p += c->Ps[r][k] * c->s_prev[k];
            ps += c->Ps[r][k] * c->s[k];
        }
        c->p_last[r] = p;
        c->ps[r] = ps;
    }
    c->sol.v[0] = L->vstar[0] + (z->a[0] + c->K[0][0] * z->qd);
    c->sol.v[1] = L->vstar[1] + (z->a[1] + c->K[1][0] * z->qd);
    c->sol.i[0] = L->ip + z->e;
    c->sol.i[1] = -GS_GRID_IS; /* the grid cut off */
    memcpy(L->carry, &R->r2, sizeof L->carry);
    L->carry_ok = 1;
    L->stale = 1;
    c->vc_held = 0;
    c->linear_steps += taken;
}

/* Linearised samples of one core at a constant supply from x[0] on while they stay in the
 * region; returns how many were taken (0: x[0] is to be solved). */
GS_REALTIME static GS_FORCE_INLINE uint32_t lin_run(gs_tube_core *c, double *x, uint32_t n,
                                                    double bplus) {
    lin_regs R;
    lin_begin(c, &R);
    lin_last z;
    uint32_t k = 0;
    for (; k < n; k++) {
        if (!lin_sample(&c->lin, &R, &z, x[k], bplus)) break;
        x[k] = R.r1[2];
    }
    if (k) lin_store(c, &R, &z, k);
    return k;
}

/* A solved sample: off the expansion (its slopes into sol), the solver, and perhaps a new
 * point there. */
GS_REALTIME static GS_FORCE_INLINE double tick_solved(gs_tube_core *c, double vin, double bplus) {
    lin_leave(c);
    double y = tick(c, vin, bplus);
    lin_after_solve(c);
    return y;
}

/* One sample of a core, linearised if it can be. */
GS_REALTIME static GS_FORCE_INLINE double tick_one(gs_tube_core *c, double vin, double bplus) {
    if (c->lin.on && lin_run(c, &vin, 1, bplus)) return vin;
    return tick_solved(c, vin, bplus);
}

/* One sample of a pair (the tube preamp), each stage linearised if it can be. */
GS_REALTIME static GS_FORCE_INLINE double pair_tick(gs_tube_core st[2], gs_tube_psu *psu,
                                                    gs_ramp *drive, double vin) {
    /* B+ for this sample from the currents of the last (the supply's time constant is tens of
     * ms, a one-sample lag is immaterial) */
    double b = gs_tube_psu_tick(psu, st[0].isup + st[1].isup);
    double y = tick_one(&st[0], vin, b);
    return tick_one(&st[1], gs_ramp_next(drive) * y, b);
}

#endif
