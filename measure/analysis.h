/* The analyser of 'gainstage measure': drives a device under test (one of our channels, an LV2
 * plugin, or a reference system in the tests) with test signals and measures it.
 *
 * Levels are dBFS of a sine: a sine of peak 1.0 (in the device's sample units) is 0 dBFS. Volts
 * and dBu follow from the device's calibration (volts per unit sample at input and output).
 *
 * Spectral method (every FFT measurement): tones are coherent (an odd whole number k of cycles in
 * the FFT length N), so every harmonic and every aliased image lands on a whole bin. The capture
 * is weighted by a 7-term minimum-sidelobe Blackman-Harris window (H.-H. Albrecht, "A family of
 * cosine-sum windows for high-resolution measurements", ICASSP 2001; highest sidelobe
 * -177.3 dB, measured by measure/tests/test_analysis), so a whole-bin tone occupies exactly its bin
 * +/- 6 and anything off-bin (noise, non-periodic output) leaks at most -177 dB. Powers are mean
 * squares: P[b] = 2 |X[b]|^2 / (N sum w^2), so a tone's power is the sum of its 13 bins.
 */
#ifndef GSM_ANALYSIS_H
#define GSM_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

/* A device under test: processes blocks of float samples at a rate, reports its latency. */
typedef struct gsm_dut {
    void *ctx;
    /* Process n <= block samples from in to out (distinct buffers); returns 0 on success. */
    int (*process)(void *ctx, const float *in, float *out, uint32_t n);
    double rate;      /* Hz */
    uint32_t block;   /* block length used for every call (the last call of a run may be shorter) */
    uint32_t latency; /* reported delay in samples (compensated in phase and transfer curves) */
    double in_vpu;    /* volts at the input for a sample value of 1.0 */
    double out_vpu;   /* volts at the output for a sample value of 1.0 */
} gsm_dut;

/* Run n samples through the device in blocks; returns 0 on success. */
int gsm_dut_run(const gsm_dut *dut, const float *in, float *out, size_t n);

/* The window's coefficients and its highest sidelobe as stated in reports. */
#define GSM_WIN_TERMS 7
#define GSM_WIN_HALF_WIDTH 6 /* a whole-bin tone occupies its bin +/- this */
#define GSM_WIN_NAME "7-term minimum-sidelobe Blackman-Harris (Albrecht 2001)"
#define GSM_WIN_SIDELOBE_DB -177.3 /* measured by measure/tests/test_analysis */
extern const double gsm_win_coef[GSM_WIN_TERMS];
/* Fill w[0..n-1] with the (periodic) window. */
void gsm_window_fill(double *w, size_t n);

#define GSM_NH 10 /* harmonics H1..H10 */
#define GSM_MAX_LEVELS 40
#define GSM_MAX_FR 80
#define GSM_MAX_ALIAS 16
#define GSM_SPEC_POINTS 2048 /* stored spectra are peak-held down to this many points */
#define GSM_MAX_TC 4800
#define GSM_MAX_HUM 40 /* mains lines looked at: the fundamental and harmonics 2..40 */

/* One tone's analysis. Harmonic powers are mean squares in units^2; NaN above Nyquist. */
typedef struct gsm_tone {
    double freq;             /* the coherent frequency actually used, Hz */
    double amp_in;           /* input peak, units */
    double h[GSM_NH + 1];    /* h[1] fundamental, h[2..10] harmonics */
    double phase_deg;        /* fundamental's phase against the input's, latency removed */
    double thd, thdn, alias; /* power ratios to the fundamental (not dB) */
    double dc;               /* mean of the output over the capture, units */
} gsm_tone;

/* Analyse the output y[0..n-1] (n = fft length) of a coherent tone of k cycles; x is the input
 * over the same samples (for the phase) or NULL. Optionally returns the bin powers (n/2+1). */
void gsm_tone_analyse(const float *y, const float *x, size_t n, size_t k, double rate,
                      uint32_t latency, gsm_tone *t, double *bins);

/* Drive the device with a tone near freq at level dBFS and analyse it (fade-in, settling, then an
 * n-sample capture, fade-out). bins (n/2+1) may be NULL. Returns 0 on success. */
int gsm_measure_tone(const gsm_dut *dut, double freq, double level_dbfs, size_t n, double settle_s,
                     gsm_tone *t, double *bins);

typedef struct gsm_meas_opts {
    int quick;           /* fewer levels and frequencies, shorter FFTs (for tests) */
    double nominal_dbfs; /* nominal input level (default -18 dBFS) */
    double max_dbfs;     /* highest level of the sweeps (default +12 dBFS) */
    double alias_dbfs;   /* level of the alias tones (default 0 dBFS) */
    size_t fft_n;        /* FFT length (default 65536; quick 16384) */
    double cpu_seconds;  /* audio timed for the CPU cost (default 5 s; quick 1 s) */
} gsm_meas_opts;
void gsm_meas_opts_default(gsm_meas_opts *o, int quick);

typedef struct gsm_sweep {
    double freq;
    int n;
    double level[GSM_MAX_LEVELS];
    double thd_db[GSM_MAX_LEVELS], thdn_db[GSM_MAX_LEVELS], gain_db[GSM_MAX_LEVELS];
    double even_odd_db[GSM_MAX_LEVELS];
    double h_db[GSM_MAX_LEVELS][GSM_NH + 1]; /* harmonic k re fundamental, dB */
} gsm_sweep;

typedef struct gsm_report {
    double rate;
    size_t fft_n;
    uint32_t latency_reported;
    double in_vpu, out_vpu, nominal_dbfs;
    gsm_sweep sweep[2]; /* 1 kHz, 100 Hz */
    double drive_level[3], drive_freq, drive_h_db[3][GSM_NH + 1];
    int fr_n;
    double fr_freq[GSM_MAX_FR], fr_level[2], fr_mag_db[2][GSM_MAX_FR], fr_phase_deg[2][GSM_MAX_FR];
    int tc_n;
    double tc_freq, tc_level, tc_in[GSM_MAX_TC], tc_out[GSM_MAX_TC];
    int al_n;
    double al_level, al_freq[GSM_MAX_ALIAS], al_db[GSM_MAX_ALIAS];
    double al5_db, al9_db, al5_freq, al9_freq;
    int spec_n; /* points of each stored spectrum */
    double spec_f[2][GSM_SPEC_POINTS], spec_db[2][GSM_SPEC_POINTS]; /* 5 kHz, 9 kHz; dB re H1 */
    double noise_rms, noise_rms_a; /* output, units (20 Hz - 20 kHz; A-weighted) */
    double noise_dbu, noise_dbu_a; /* output, dBu by the calibration */
    double gain_1k_db;             /* small-signal voltage gain at 1 kHz, dB */
    double ein_dbu, ein_dbu_a;     /* noise_dbu - gain */
    double dc_units, dc_volts;     /* output with silence in */
    /* Hum with silence in: the lines of the mains fundamental and its harmonics that stand out of
     * the noise (method in report.c). Measured first; the tone measurements see the device's
     * output with these lines subtracted (hum_removed), so that hum on a tone's bins is neither
     * its harmonics nor its gain nor aliasing. The noise figures above still include it. */
    double hum_mains_hz;                                      /* 50 or 60; 0: no line stood out */
    int hum_n;                                                /* lines found */
    double hum_freq[GSM_MAX_HUM], hum_line_dbfs[GSM_MAX_HUM]; /* Hz; RMS dBFS of each line */
    double hum_rms, hum_dbfs, hum_dbu; /* all lines: units RMS; dBFS (sine at full scale = 0 dB) */
    int hum_removed;                   /* 1: subtracted (the rate is a whole number of periods) */
    int lat_impulse, pol_impulse;      /* samples; +1 / -1 */
    int lat_xcorr, pol_xcorr;
    double xcorr_peak; /* normalised cross-correlation at its peak */
    double cpu_xrt;    /* seconds of audio per CPU second, one channel */
} gsm_report;

/* Run every measurement. Returns 0 on success, -1 if the device failed to process. */
int gsm_measure_all(const gsm_dut *dut, const gsm_meas_opts *o, gsm_report *r);

/* A-weighting (IEC 61672-1), power gain at f Hz, 1.0 at 1 kHz. */
double gsm_a_weight_power(double f);

#endif
