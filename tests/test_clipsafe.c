/* Clip safe: the output never passes the ceiling, the gain ramps down ahead of a peak over the
 * look-ahead (no step), signals under the ceiling pass bit-exactly (delayed), the reduction is
 * reported, and the latency is what it says. */
#include "check.h"
#include "internal.h"
#include "rng.h"

#include <stdlib.h>

#define RATE 48000.0

int main(void) {
    gs_clipsafe *cs = NULL;
    CHECK(gs_clipsafe_new(RATE, 0.001, &cs) == GS_OK, "new");
    const uint32_t L = gs_clipsafe_latency(cs);
    printf("look-ahead 1 ms at 48 kHz: latency %u samples\n", L);
    CHECK(L == 48, "latency %u", L);

    /* Random signal with bursts up to +12 dBFS: never above the ceiling, and the applied gain
     * (out / delayed in) moves by at most 1/(L+1) per sample on the way down. */
    size_t n = 200000;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    gs_rng r;
    gs_rng_seed(&r, 3);
    for (size_t i = 0; i < n; i++) {
        double burst = (i / 4000) % 3 == 1 ? 4.0 : 0.3;
        x[i] = y[i] =
            (float)(burst * sin(2 * M_PI * 440.0 * (double)i / RATE) + 0.05 * gs_rng_uniform(&r));
    }
    for (size_t i = 0; i < n; i += 512)
        gs_clipsafe_process(cs, y + i, (uint32_t)(n - i < 512 ? n - i : 512));
    double peak = 0, worst_step = 0;
    for (size_t i = L; i < n; i++) peak = fmax(peak, fabs(y[i]));
    for (size_t i = L + 1; i < n; i++) {
        /* The gain is out / delayed in; compare neighbours where both are well defined. */
        if (fabs(x[i - L]) > 0.05 && fabs(x[i - L - 1]) > 0.05) {
            double g1 = y[i] / x[i - L], g0 = y[i - 1] / x[i - L - 1];
            if (g0 - g1 > worst_step) worst_step = g0 - g1;
        }
    }
    printf("bursts to +12 dBFS: output peak %.6f (ceiling 1), largest gain drop per sample %.5f "
           "(bound 1/(L+1) = %.5f), max reduction %.2f dB\n",
           peak, worst_step, 1.0 / (L + 1), gs_clipsafe_max_reduction_db(cs));
    CHECK(peak <= 1.0, "peak %.9f above the ceiling", peak);
    CHECK(worst_step <= 1.0 / (L + 1) + 1e-6, "gain step %.6f", worst_step);
    CHECK(fabs(gs_clipsafe_max_reduction_db(cs) - 20 * log10(4.05)) < 0.2, "max reduction %.2f",
          gs_clipsafe_max_reduction_db(cs));

    /* Under the ceiling: a delayed, bit-exact copy. Released gain is back at unity. */
    gs_clipsafe_reset(cs);
    for (size_t i = 0; i < 10000; i++) x[i] = y[i] = (float)(0.9 * sin(0.05 * (double)i));
    gs_clipsafe_process(cs, y, 10000);
    int exact = 1;
    for (size_t i = L; i < 10000; i++) exact &= y[i] == x[i - L];
    CHECK(exact, "signal under the ceiling must pass unchanged");
    CHECK(gs_clipsafe_max_reduction_db(cs) == 0.0, "no reduction expected");

    /* One peak of 2.0 (+6.02 dBFS) in silence-ish: reduction 6.02 dB, ramped over L samples, the
     * peak itself exactly at the ceiling; then released. */
    gs_clipsafe_reset(cs);
    CHECK(gs_clipsafe_set_release(cs, 0.05) == GS_OK, "release");
    for (size_t i = 0; i < 48000; i++) x[i] = y[i] = 0.5f;
    x[1000] = y[1000] = 2.0f;
    gs_clipsafe_process(cs, y, 48000);
    printf("single +6.02 dBFS peak: output %.6f at the peak, max reduction %.3f dB, reduction "
           "after 1 s %.4f dB\n",
           y[1000 + L], gs_clipsafe_max_reduction_db(cs), gs_clipsafe_reduction_db(cs));
    CHECK(fabs(y[1000 + L] - 1.0) < 1e-6, "peak lands on the ceiling: %.6f", y[1000 + L]);
    CHECK(fabs(gs_clipsafe_max_reduction_db(cs) - 6.0206) < 0.001, "reduction");
    CHECK(y[999] == 0.5f && y[1000] < 0.5f,
          "gain starts to fall when the peak enters, L samples ahead");
    CHECK(gs_clipsafe_reduction_db(cs) < 0.001, "released after 1 s");

    /* Disabled: a pure delay of the same latency. */
    gs_clipsafe_reset(cs);
    gs_clipsafe_enable(cs, 0);
    for (size_t i = 0; i < 1000; i++) x[i] = y[i] = (float)(3.0 * sin(0.1 * (double)i));
    gs_clipsafe_process(cs, y, 1000);
    exact = 1;
    for (size_t i = L; i < 1000; i++) exact &= y[i] == x[i - L];
    CHECK(exact, "disabled clip safe must only delay");

    gs_clipsafe_free(cs);
    gs_clipsafe *bad = NULL;
    CHECK(gs_clipsafe_new(RATE, 0.0, &bad) == GS_ERR_OUT_OF_RANGE && !bad, "zero look-ahead");
    CHECK(gs_clipsafe_set_ceiling(NULL, 1.0) == GS_ERR_INVALID_ARGUMENT, "NULL");
    gs_clipsafe_free(NULL);
    free(x);
    free(y);
    return check_done();
}
