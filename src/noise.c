/* Physical noise sources (see noise.h) and the "noise" block model. */
#include "noise.h"

#include <stdlib.h>

static const double dbu_ref = 0.77459666924148338; /* V RMS at 0 dBu: sqrt(0.6) */

/* Relative amplitudes of the hum's harmonics 1..8: the fundamental from magnetic coupling, a
 * strong second from full-wave rectifier ripple, then a decaying series (typical of a measured hum
 * spectrum of a grounded-chassis valve amplifier). */
static const double hum_rel[GS_NOISE_HUM_HARMONICS] = {1.0, 0.6, 0.35, 0.25, 0.15, 0.1, 0.07, 0.05};

double gs_noise_thermal_vrms(double r_ohm, double temp_k, double bandwidth_hz) {
    if (!(r_ohm > 0) || !(temp_k > 0) || !(bandwidth_hz > 0)) return 0.0;
    return sqrt(4.0 * GS_NOISE_K_BOLTZMANN * temp_k * r_ohm * bandwidth_hz);
}

/* Integral of 1 / (1 - 2 a cos w + a^2) from 0 to w (0 <= w < pi, 0 <= a < 1). */
static double lorentz_int(double a, double w) {
    return 2.0 / (1.0 - a * a) * atan((1.0 + a) / (1.0 - a) * tan(0.5 * w));
}

void gs_noise_gen_seed(gs_noise_gen *g, uint64_t seed) { gs_rng_seed(&g->rng, seed); }

void gs_noise_gen_init(gs_noise_gen *g, double rate, uint64_t seed) {
    *g = (gs_noise_gen){0};
    g->rate = rate;
    gs_noise_gen_seed(g, seed);
    /* 1/f bank: poles at 1 Hz * 10^(k/3) up to 0.4 fs. A sum of Lorentzians S_k(0) / (1 +
     * (f/p_k)^2) with S_k(0) = (2/pi) dlnp / p_k integrates (in ln p) to 1/f. Each pole's input
     * is white with one-sided density S_k(0) (variance S_k(0) fs / 2), filtered by the unity-DC-
     * gain one-pole y += (1 - a)(u - y). */
    const double dlnp = log(10.0) / 3.0;
    double w1 = 2.0 * GS_PI * GS_NOISE_F_LO / rate, w2 = 2.0 * GS_PI * GS_NOISE_F_HI / rate;
    g->pink_unit_inband = 0.0;
    for (unsigned k = 0; k < GS_NOISE_MAX_POLES; k++) {
        double p = pow(10.0, (double)k / 3.0);
        if (p > 0.4 * rate) break;
        double a = exp(-2.0 * GS_PI * p / rate);
        double var = (2.0 / GS_PI) * dlnp / p * rate / 2.0;
        g->alpha[k] = a;
        g->drive[k] = sqrt(12.0 * var); /* uniform [-0.5, 0.5) has variance 1/12 */
        /* In-band (both signs of w) power of (1 - a) / (1 - a z^-1) on white of variance var. */
        g->pink_unit_inband +=
            var * (1.0 - a) * (1.0 - a) / GS_PI * (lorentz_int(a, w2) - lorentz_int(a, w1));
        g->npole = k + 1;
    }
    g->hum_hz = 50.0;
    gs_noise_gen_configure(g, 0.0, 290.0, -200.0, 0.0, -200.0, -200.0, 50.0);
}

GS_REALTIME void gs_noise_gen_configure(gs_noise_gen *g, double source_r, double temp_k,
                                        double ein_dbu, double corner_hz, double hiss_dbu,
                                        double hum_dbu, double hum_hz) {
    g->source_r = source_r;
    g->temp_k = temp_k;
    g->ein_dbu = ein_dbu;
    g->corner_hz = corner_hz;
    g->hiss_dbu = hiss_dbu;
    g->hum_dbu = hum_dbu;
    g->hum_hz = hum_hz;
    const double band = GS_NOISE_F_HI - GS_NOISE_F_LO, half = g->rate / 2.0;
    double four_kt = 4.0 * GS_NOISE_K_BOLTZMANN * temp_k;
    /* Amplifier's own in-band noise power: datasheet EIN minus its 150 Ohm termination. */
    double amp = 0.0;
    if (ein_dbu > GS_NOISE_OFF_DBU) {
        double e = dbu_ref * pow(10.0, ein_dbu / 20.0);
        amp = e * e - four_kt * GS_NOISE_EIN_REF_OHM * band;
        if (amp < 0.0) amp = 0.0;
    }
    double s0 = amp / (band + corner_hz * log(GS_NOISE_F_HI / GS_NOISE_F_LO)); /* V^2/Hz */
    double var = four_kt * source_r * half + s0 * half;
    if (hiss_dbu > GS_NOISE_OFF_DBU) {
        double h = dbu_ref * pow(10.0, hiss_dbu / 20.0);
        var += h * h / band * half;
    }
    g->sigma_white = sqrt(var);
    double pink = s0 * corner_hz * log(GS_NOISE_F_HI / GS_NOISE_F_LO);
    g->pink_gain = pink > 0.0 ? sqrt(pink / g->pink_unit_inband) : 0.0;
    double sum2 = 0.0;
    for (unsigned k = 0; k < GS_NOISE_HUM_HARMONICS; k++) sum2 += hum_rel[k] * hum_rel[k];
    g->hum_amp =
        hum_dbu > GS_NOISE_OFF_DBU ? dbu_ref * pow(10.0, hum_dbu / 20.0) / sqrt(sum2 / 2.0) : 0.0;
    g->hum_inc = 2.0 * GS_PI * hum_hz / g->rate;
}

GS_REALTIME void gs_noise_gen_add(gs_noise_gen *g, float *buf, uint32_t n, double gain) {
    if (gain == 0.0) return;
    for (uint32_t i = 0; i < n; i++) {
        double v = g->sigma_white * gs_rng_gauss(&g->rng);
        if (g->pink_gain > 0.0) {
            double p = 0.0;
            for (unsigned k = 0; k < g->npole; k++) {
                double u = g->drive[k] * gs_rng_uniform(&g->rng);
                g->state[k] = u + g->alpha[k] * (g->state[k] - u);
                p += g->state[k];
            }
            v += g->pink_gain * p;
        }
        if (g->hum_amp > 0.0) {
            /* sin(k th) by the Chebyshev recursion s_k = 2 cos(th) s_(k-1) - s_(k-2). */
            double s1 = sin(g->hum_phase), c2 = 2.0 * cos(g->hum_phase), s0 = 0.0, h = 0.0;
            for (unsigned k = 0; k < GS_NOISE_HUM_HARMONICS; k++) {
                h += hum_rel[k] * s1;
                double s2 = c2 * s1 - s0;
                s0 = s1;
                s1 = s2;
            }
            v += g->hum_amp * h;
            g->hum_phase += g->hum_inc;
            if (g->hum_phase >= 2.0 * GS_PI) g->hum_phase -= 2.0 * GS_PI;
        }
        buf[i] = (float)(buf[i] + gain * v);
    }
}

GS_REALTIME void gs_noise_gen_reset(gs_noise_gen *g) {
    for (unsigned k = 0; k < g->npole; k++) g->state[k] = 0.0;
    g->hum_phase = 0.0;
}

/* ------------------------------------------------------------------------------------------
 * The parameter set (GS_NOISE_PARAMS in noise.h) and the "noise" block: adds the sources above to
 * its input (volts). */
const char *const gs_noise_hum_choices[] = {"50Hz", "60Hz", NULL};

GS_REALTIME void gs_noise_gen_set(gs_noise_gen *g, size_t which, double value) {
    if (which >= GS_NOISE_NPARAMS) return;
    g->pv[which] = value;
    if (which == GS_NOISE_P_ON) return;
    if (which == GS_NOISE_P_SEED) {
        gs_noise_gen_seed(g, (uint64_t)value);
        return;
    }
    const double *v = g->pv;
    gs_noise_gen_configure(g, v[GS_NOISE_P_SOURCE_R], v[GS_NOISE_P_TEMP], v[GS_NOISE_P_EIN],
                           v[GS_NOISE_P_CORNER], v[GS_NOISE_P_HISS], v[GS_NOISE_P_HUM],
                           v[GS_NOISE_P_HUM_FREQ] > 0.5 ? 60.0 : 50.0);
}

GS_REALTIME void gs_noise_gen_process(gs_noise_gen *g, float *buf, uint32_t n) {
    gs_noise_gen_add(g, buf, n, g->pv[GS_NOISE_P_ON]);
}

GS_REALTIME void gs_noise_gen_restart(gs_noise_gen *g) {
    gs_noise_gen_reset(g);
    gs_noise_gen_seed(g, (uint64_t)g->pv[GS_NOISE_P_SEED]);
}

static const gs_param_info params[GS_NOISE_NPARAMS] = {GS_NOISE_PARAMS};

typedef struct noise_block {
    gs_noise_gen gen;
} noise_block;

GS_REALTIME static void nb_set(void *self, size_t id, double value) {
    gs_noise_gen_set(&((noise_block *)self)->gen, id, value);
}

static void *nb_create(double rate, uint32_t max_block) {
    (void)max_block;
    noise_block *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    gs_noise_gen_init(&m->gen, rate, 1);
    for (size_t i = 0; i < GS_NOISE_NPARAMS; i++) nb_set(m, i, params[i].def);
    return m;
}

static void nb_destroy(void *self) { free(self); }

GS_REALTIME static void nb_process(void *self, float *buf, uint32_t n) {
    gs_noise_gen_process(&((noise_block *)self)->gen, buf, n);
}

/* Reset restarts the random stream too, so a reset channel repeats itself exactly. */
GS_REALTIME static void nb_reset(void *self) { gs_noise_gen_restart(&((noise_block *)self)->gen); }

static uint32_t nb_latency(const void *self) {
    (void)self;
    return 0;
}

static uint32_t no_latency(const double *values, double rate) {
    (void)values;
    (void)rate;
    return 0;
}

const gs_model_vt gs_noise_model = {
    {"noise", "Noise sources at the input: source thermal noise, preamp EIN with 1/f, hiss, hum", 1,
     params, GS_NOISE_NPARAMS},
    nb_create,
    nb_destroy,
    nb_set,
    nb_process,
    nb_reset,
    nb_latency,
    NULL,
    no_latency,
    NULL,
};

double gs_noise_thermal_dbu(double r_ohm, double temp_k, double bandwidth_hz) {
    return 20.0 * log10(gs_noise_thermal_vrms(r_ohm, temp_k, bandwidth_hz) / dbu_ref);
}
