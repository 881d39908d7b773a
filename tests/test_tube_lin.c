/* The tube core's linearised samples (tube_tick.h, lin_update): the plate current's Hessian
 * (gs_triode_ip_hessian) against central differences of its slopes, and a core that linearises
 * against the same core solving every sample (lin.disabled), on signals from a quiet sine to
 * one that drives the grid into conduction: the expansion's error, in dB re the output's peak
 * swing, must stay far below anything audible or measurable (its third-order bound, LIN_RX). */
#include "check.h"
#include "tube_stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 768000.0 /* 16 x 48 kHz, the default quality's step */
#define NS 76800u     /* 0.1 s */
#define BPLUS 250.0

static void hessian_check(gs_tube_type type, double vgk, double vpk) {
    const gs_triode_params *t = gs_triode_get(type);
    double h[3], gp, pp, gm, pm, gq, pq, gn, pn;
    gs_triode_ip_hessian(t, vgk, vpk, h);
    const double dg = 1e-4, dp = 1e-2; /* V */
    (void)gs_triode_ip_scaled(t, 1.0, vgk + dg, vpk, &gp, &pp);
    (void)gs_triode_ip_scaled(t, 1.0, vgk - dg, vpk, &gm, &pm);
    (void)gs_triode_ip_scaled(t, 1.0, vgk, vpk + dp, &gq, &pq);
    (void)gs_triode_ip_scaled(t, 1.0, vgk, vpk - dp, &gn, &pn);
    const double fd[3] = {(gp - gm) / (2 * dg), 0.5 * ((gq - gn) / (2 * dp) + (pp - pm) / (2 * dg)),
                          (pq - pn) / (2 * dp)};
    double scale = fabs(fd[0]) + fabs(fd[1]) + fabs(fd[2]), err = 0.0;
    for (int k = 0; k < 3; k++) err = fmax(err, fabs(h[k] - fd[k]));
    CHECK(scale > 0.0 && err <= 1e-3 * scale,
          "%s at Vgk %.2f V, Vpk %.0f V: Hessian (%.4g %.4g %.4g) vs differences (%.4g %.4g %.4g)",
          t->name, vgk, vpk, h[0], h[1], h[2], fd[0], fd[1], fd[2]);
}

static void make_core(gs_tube_core *c) {
    memset(c, 0, sizeof *c);
    gs_tube_values v = {
        100e3, 1.5e3, 22e-6, 68e3, 1e6, 22e-9, 22e-9, 1e6, gs_triode_get(GS_TUBE_12AX7), 1.0};
    gs_tube_core_design(c, &v, 1.0 / RATE);
    CHECK(gs_tube_core_reset(c, BPLUS) == GS_OK, "DC operating point");
}

/* Returns the error in dB re the reference's peak swing; *lin the linearised fraction. */
static double against_solved(double amp, uint32_t block, double *lin) {
    gs_tube_core a, ref;
    make_core(&a);
    make_core(&ref);
    ref.lin.disabled = 1;
    double *x = malloc(NS * sizeof *x), *y = malloc(NS * sizeof *y);
    if (!x || !y) return 0.0;
    for (uint32_t i = 0; i < NS; i++) {
        double t = i / RATE;
        x[i] = y[i] = amp * (sin(2 * GS_PI * 220.0 * t) + 0.5 * sin(2 * GS_PI * 330.0 * t));
    }
    for (uint32_t i = 0; i < NS; i += block) {
        uint32_t n = NS - i < block ? NS - i : block;
        gs_tube_core_run(&a, x + i, n, BPLUS);
        gs_tube_core_run(&ref, y + i, n, BPLUS);
    }
    double lo = y[NS / 2], hi = lo, err = 0.0;
    for (uint32_t i = NS / 2; i < NS; i++) {
        lo = fmin(lo, y[i]);
        hi = fmax(hi, y[i]);
    }
    for (uint32_t i = 0; i < NS; i++) err = fmax(err, fabs(x[i] - y[i]));
    *lin = (double)a.linear_steps / NS;
    CHECK(ref.linear_steps == 0, "the reference linearised %llu samples",
          (unsigned long long)ref.linear_steps);
    free(x);
    free(y);
    return 20.0 * log10(err / (0.5 * (hi - lo)) + 1e-300);
}

int main(void) {
    static const gs_tube_type types[] = {GS_TUBE_12AX7, GS_TUBE_12AT7, GS_TUBE_12AU7};
    for (int k = 0; k < 3; k++)
        for (double vgk = -4.0; vgk < 0.0; vgk += 1.25)
            for (double vpk = 60.0; vpk < 300.0; vpk += 80.0) hessian_check(types[k], vgk, vpk);
    /* grid signal amplitudes (V): the bench's pluck level, a second stage's, and grid current */
    static const double amps[] = {0.055, 0.4, 4.0};
    static const double min_lin[] = {0.9, 0.5, 0.0};
    for (int k = 0; k < 3; k++) {
        double lin, db = against_solved(amps[k], 4096, &lin), lin1,
                    db1 = against_solved(amps[k], 7, &lin1);
        printf("%.3f V: error %.1f dB re the output's peak swing, %.1f %% of samples linearised "
               "(blocks of 7: %.1f dB, %.1f %%)\n",
               amps[k], db, 100.0 * lin, db1, 100.0 * lin1);
        CHECK(db <= -110.0 && db1 <= -110.0, "%.3f V: linearised vs solved %.1f / %.1f dB", amps[k],
              db, db1);
        CHECK(lin >= min_lin[k] && lin == lin1, "%.3f V: %.3f / %.3f linearised", amps[k], lin,
              lin1);
    }
    return check_done();
}
