/* Deterministic random numbers for noise and dither: xoshiro256** (Blackman and Vigna, 2018),
 * seeded through splitmix64 so nearby seeds give unrelated streams. Same seed, same stream, on
 * every platform (integer arithmetic only; the float conversions below are exact). */
#ifndef GS_RNG_H
#define GS_RNG_H

#include "internal.h"

typedef struct gs_rng {
    uint64_t s[4];
    double spare; /* second Gaussian of the last Box-Muller pair */
    int have_spare;
} gs_rng;

static inline uint64_t gs_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

GS_REALTIME static inline uint64_t gs_rng_next(gs_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = gs_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gs_rng_rotl(s[3], 45);
    return result;
}

static inline void gs_rng_seed(gs_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
    r->have_spare = 0;
    r->spare = 0.0;
}

/* Uniform in [-0.5, 0.5), 53-bit resolution. */
GS_REALTIME static inline double gs_rng_uniform(gs_rng *r) {
    return (double)(gs_rng_next(r) >> 11) * 0x1.0p-53 - 0.5;
}

/* Standard normal (mean 0, variance 1), Box-Muller: exact Gaussian, two values per log/sqrt/sincos.
 * u1 is in (0, 1], so log(u1) is finite. */
GS_REALTIME static inline double gs_rng_gauss(gs_rng *r) {
    if (r->have_spare) {
        r->have_spare = 0;
        return r->spare;
    }
    double u1 = ((double)(gs_rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(gs_rng_next(r) >> 11) * 0x1.0p-53;
    double m = sqrt(-2.0 * log(u1));
    r->spare = m * sin(2.0 * GS_PI * u2);
    r->have_spare = 1;
    return m * cos(2.0 * GS_PI * u2);
}

#endif
