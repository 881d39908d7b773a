/* Measurement reports (see report.h). */
#include "report.h"
#include "plot.h"

#include "atomic.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* JSON has no infinities or NaN: non-finite numbers become null. */
static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *jarr(const double *v, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, jnum(v[i]));
    return a;
}

static const char *method_text[][2] = {
    {"spectrum",
     "Coherent tones: an odd whole number of cycles in the FFT length, so harmonics and "
     "their aliased images fall on whole bins; capture weighted by the window named in "
     "analyser.window; a tone's power is the sum of its bin +/- 6. Every tone starts "
     "with a 20 ms raised-cosine fade-in and is captured after the settling time."},
    {"thd_vs_level", "THD: power of H2..H10 (those below Nyquist) over the fundamental's. THD+N: "
                     "all power from 20 Hz to min(20 kHz, Nyquist) except the fundamental's bins, "
                     "over the fundamental's. Gain: output fundamental RMS over input RMS, in "
                     "sample units. Levels step by 3 dB (quick: 12 dB) from nominal - 60 dB to "
                     "min(nominal + 30 dB, max level)."},
    {"harmonics", "H2..H10 of a 1 kHz tone relative to the fundamental, at nominal, nominal + 12 "
                  "dB and nominal + 24 dB (capped at the max level)."},
    {"even_odd", "Power of H2+H4+H6+H8+H10 over H3+H5+H7+H9, dB, from the THD sweep."},
    {"freq_response", "Stepped coherent sines, 1/6 octave (quick: 1/3) from 20 Hz to 20 kHz, "
                      "FFT long enough for 16 cycles; magnitude is output over input fundamental; "
                      "phase against the input with the reported latency removed. Small-signal "
                      "at nominal - 20 dB; driven at the highest harmonics level."},
    {"transfer", "One period of a slow sine (a whole number of samples per period, about 50 Hz) at "
                 "the max level after settling; output against input with the reported latency "
                 "removed, in sample units."},
    {"compression", "Gain at each level of the 1 kHz sweep minus the gain at the lowest level; "
                    "the 1 dB compression point is interpolated."},
    {"aliasing", "Tones at the alias level; alias figure: power of every bin from DC +/- 6 to "
                 "Nyquist that belongs to no harmonic (any order whose bins reach below Nyquist) "
                 "over the fundamental's. The spectra are peak-held to 2048 points."},
    {"hum", "Measured first, on the fresh device: digital silence in, after 0.5 s (quick: 0.2 "
            "s) of settling, one FFT length. For 50 and 60 Hz mains, each harmonic m f (m = 1 to "
            "40, below 20 kHz and 0.45 of the rate) whose bins (+/- 7) hold more than 10 times "
            "the noise there (the median of the other bins from f/2 to 2 f) and whose power is "
            "above float32 rounding (2^-24 of the capture's peak); its complex "
            "amplitude by the windowed projection at its exact frequency. The family with more "
            "power is the hum: its mains frequency, its lines and their RMS sum, in dBFS (a "
            "full-scale sine is 0 dBFS) and dBu. Where the rate holds a whole number of samples "
            "per mains period, the lines, phase-locked to the device's sample count, are "
            "subtracted from its output for every tone measurement, so that hum falling on a "
            "tone's bins (a 100 Hz tone on 50 Hz mains' second harmonic) is neither its "
            "fundamental, its harmonics nor aliasing; the noise and DC figures keep it."},
    {"noise", "Input terminated (digital silence) after 0.5 s (quick: 0.2 s) of settling; output "
              "power from 20 Hz to 20 kHz, unweighted and A-weighted (IEC 61672-1), converted to "
              "dBu with the output calibration; EIN = output noise - small-signal gain at 1 kHz "
              "(in volts, with both calibrations). Hum included (it is also reported alone)."},
    {"latency", "Impulse: one sample at the nominal peak after settled silence; latency is the "
                "delay of the largest output deviation and polarity its sign. Cross-correlation: "
                "periodic white noise at the nominal RMS, circular cross-correlation of one period "
                "after one period of settling; lag and sign of its peak."},
    {"dc_offset", "Mean of the output with silence in, after settling."},
    {"cpu", "Seconds of audio per second of this thread's CPU time "
            "(CLOCK_THREAD_CPUTIME_ID), one channel, median of 3 runs, blocks of the device's "
            "block length, a 220 Hz sine plus white noise at the nominal level."},
};

/* Every plot: its file's base name, its title in words (on the plot and as the page's heading)
 * and the method that describes it. */
static const struct {
    const char *base, *title, *method;
} plots[] = {
    {"thd_vs_level", "THD and THD+N against level, 1 kHz and 100 Hz", "thd_vs_level"},
    {"harmonics", "Harmonics H2 to H10 of a 1 kHz tone at three levels", "harmonics"},
    {"even_odd", "Even against odd harmonic power, by level", "even_odd"},
    {"freq_response", "Frequency response", "freq_response"},
    {"phase", "Phase response (reported latency removed)", "freq_response"},
    {"transfer", "Static transfer curve (slow sine, one period)", "transfer"},
    {"compression", "Gain compression against level", "compression"},
    {"alias_vs_freq", "Aliasing against tone frequency", "aliasing"},
    {"spectrum_5k", "Output spectrum of a 5 kHz tone (peak-held)", "aliasing"},
    {"spectrum_9k", "Output spectrum of a 9 kHz tone (peak-held)", "aliasing"},
};
#define NPLOTS (sizeof plots / sizeof plots[0])

/* The methods' keys in words, for the page (report.json keeps the keys). */
static const char *method_title[][2] = {
    {"spectrum", "Tones and spectra"},
    {"thd_vs_level", "THD, THD+N and gain against level"},
    {"harmonics", "Harmonics H2 to H10"},
    {"even_odd", "Even and odd harmonics"},
    {"freq_response", "Frequency and phase response"},
    {"transfer", "Static transfer curve"},
    {"compression", "Compression"},
    {"aliasing", "Aliasing"},
    {"hum", "Hum"},
    {"noise", "Noise and EIN"},
    {"latency", "Latency and polarity"},
    {"dc_offset", "DC offset"},
    {"cpu", "CPU cost"},
};

static const char *plot_title(const char *base) {
    for (size_t i = 0; i < NPLOTS; i++)
        if (!strcmp(plots[i].base, base)) return plots[i].title;
    return base;
}

static const char *method_words(const char *key) {
    for (size_t i = 0; i < sizeof method_title / sizeof method_title[0]; i++)
        if (!strcmp(method_title[i][0], key)) return method_title[i][1];
    return key;
}

static double at_level(const gsm_sweep *s, const double *v, double level) {
    for (int i = 0; i < s->n; i++)
        if (fabs(s->level[i] - level) < 1e-6) return v[i];
    return NAN;
}

static double compression_point(const gsm_sweep *s) {
    for (int i = 1; i < s->n; i++) {
        double a = s->gain_db[i - 1] - s->gain_db[0], b = s->gain_db[i] - s->gain_db[0];
        if (b <= -1.0 && a > -1.0)
            return s->level[i - 1] + (s->level[i] - s->level[i - 1]) * (-1.0 - a) / (b - a);
    }
    return NAN;
}

static void add_sum(json_t *arr, const char *key, const char *label, const char *unit, double v) {
    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "key", key, "label", label, "unit",
                                         unit, "value", jnum(v)));
}

/* thd_vs_level: the 1 kHz and 100 Hz sweeps. */
static json_t *json_sweeps(const gsm_report *r) {
    json_t *sw = json_array();
    for (int w = 0; w < 2; w++) {
        const gsm_sweep *s = &r->sweep[w];
        json_t *h = json_array(), *comp = json_array();
        for (int i = 0; i < s->n; i++) {
            json_array_append_new(h, jarr(&s->h_db[i][2], GSM_NH - 1));
            json_array_append_new(comp, jnum(s->gain_db[i] - s->gain_db[0]));
        }
        json_array_append_new(
            sw, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "freq_hz", jnum(s->freq),
                          "level_dbfs", jarr(s->level, s->n), "thd_db", jarr(s->thd_db, s->n),
                          "thdn_db", jarr(s->thdn_db, s->n), "gain_db", jarr(s->gain_db, s->n),
                          "compression_db", comp, "even_odd_db", jarr(s->even_odd_db, s->n),
                          "h2_h10_db", h, "compression_1db_dbfs", jnum(compression_point(s))));
    }
    return sw;
}

/* Every measurement after the sweeps, each under its method's key. */
static void json_results(json_t *j, const gsm_report *r) {
    json_t *hd = json_array();
    for (int d = 0; d < 3; d++)
        json_array_append_new(hd, json_pack("{s:o, s:o}", "level_dbfs", jnum(r->drive_level[d]),
                                            "h2_h10_db", jarr(&r->drive_h_db[d][2], GSM_NH - 1)));
    json_object_set_new(j, "harmonics",
                        json_pack("{s:o, s:o}", "freq_hz", jnum(r->drive_freq), "levels", hd));
    json_object_set_new(
        j, "freq_response",
        json_pack("{s:o, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}}", "freq_hz",
                  jarr(r->fr_freq, r->fr_n), "small", "level_dbfs", jnum(r->fr_level[0]), "mag_db",
                  jarr(r->fr_mag_db[0], r->fr_n), "phase_deg", jarr(r->fr_phase_deg[0], r->fr_n),
                  "driven", "level_dbfs", jnum(r->fr_level[1]), "mag_db",
                  jarr(r->fr_mag_db[1], r->fr_n), "phase_deg", jarr(r->fr_phase_deg[1], r->fr_n)));
    json_object_set_new(j, "transfer",
                        json_pack("{s:o, s:o, s:o, s:o}", "freq_hz", jnum(r->tc_freq), "level_dbfs",
                                  jnum(r->tc_level), "in", jarr(r->tc_in, r->tc_n), "out",
                                  jarr(r->tc_out, r->tc_n)));
    json_t *spec = json_array();
    for (int s = 0; s < 2; s++)
        json_array_append_new(spec, json_pack("{s:o, s:o, s:o}", "tone_hz",
                                              jnum(s ? r->al9_freq : r->al5_freq), "freq_hz",
                                              jarr(r->spec_f[s], r->spec_n), "db_re_fundamental",
                                              jarr(r->spec_db[s], r->spec_n)));
    json_object_set_new(j, "aliasing",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "level_dbfs", jnum(r->al_level),
                                  "freq_hz", jarr(r->al_freq, r->al_n), "alias_db",
                                  jarr(r->al_db, r->al_n), "at_5k_db", jnum(r->al5_db), "at_9k_db",
                                  jnum(r->al9_db), "spectra", spec));
    json_object_set_new(j, "noise",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "out_rms_units",
                                  jnum(r->noise_rms), "out_rms_units_a", jnum(r->noise_rms_a),
                                  "out_dbu", jnum(r->noise_dbu), "out_dbu_a", jnum(r->noise_dbu_a),
                                  "gain_1k_db", jnum(r->gain_1k_db), "ein_dbu", jnum(r->ein_dbu),
                                  "ein_dbu_a", jnum(r->ein_dbu_a)));
    json_object_set_new(j, "hum",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "mains_hz",
                                  jnum(r->hum_mains_hz), "freq_hz", jarr(r->hum_freq, r->hum_n),
                                  "line_dbfs", jarr(r->hum_line_dbfs, r->hum_n), "rms_units",
                                  jnum(r->hum_rms), "dbfs", jnum(r->hum_dbfs), "dbu",
                                  jnum(r->hum_dbu), "removed_from_tones", r->hum_removed));
    json_object_set_new(
        j, "latency",
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:o}", "reported", (int)r->latency_reported, "impulse",
                  r->lat_impulse, "impulse_polarity", r->pol_impulse, "xcorr", r->lat_xcorr,
                  "xcorr_polarity", r->pol_xcorr, "xcorr_peak", jnum(r->xcorr_peak)));
    json_object_set_new(
        j, "dc_offset",
        json_pack("{s:o, s:o}", "units", jnum(r->dc_units), "volts", jnum(r->dc_volts)));
    json_object_set_new(j, "cpu", json_pack("{s:o}", "x_realtime", jnum(r->cpu_xrt)));
}

/* The summary: what the table shows. */
static json_t *json_summary(const gsm_report *r, const gsm_meas_opts *o) {
    const gsm_sweep *s = &r->sweep[0];
    double nom = o->nominal_dbfs;
    json_t *sum = json_array();
    add_sum(sum, "gain_1k", "Gain at 1 kHz, small signal (calibrated)", "dB", r->gain_1k_db);
    add_sum(sum, "thd_nom", "THD, 1 kHz, nominal", "dB", at_level(s, s->thd_db, nom));
    add_sum(sum, "thdn_nom", "THD+N, 1 kHz, nominal", "dB", at_level(s, s->thdn_db, nom));
    add_sum(sum, "thd_nom12", "THD, 1 kHz, nominal + 12 dB", "dB",
            at_level(s, s->thd_db, nom + 12));
    add_sum(sum, "thd_nom24", "THD, 1 kHz, nominal + 24 dB", "dB",
            at_level(s, s->thd_db, nom + 24));
    add_sum(sum, "thd100_nom", "THD, 100 Hz, nominal", "dB",
            at_level(&r->sweep[1], r->sweep[1].thd_db, nom));
    add_sum(sum, "h2_nom", "H2, 1 kHz, nominal", "dB", r->drive_h_db[0][2]);
    add_sum(sum, "h3_nom", "H3, 1 kHz, nominal", "dB", r->drive_h_db[0][3]);
    add_sum(sum, "eo_nom", "Even/odd power, nominal", "dB", at_level(s, s->even_odd_db, nom));
    add_sum(sum, "comp1db", "1 dB compression point (input)", "dBFS", compression_point(s));
    add_sum(sum, "fr_20", "Response at 20 Hz (small signal, re 1 kHz)", "dB",
            r->fr_n ? r->fr_mag_db[0][0] - r->gain_1k_db + 20.0 * log10(r->out_vpu / r->in_vpu)
                    : NAN);
    add_sum(sum, "fr_20k", "Response at 20 kHz (small signal, re 1 kHz)", "dB",
            r->fr_n ? r->fr_mag_db[0][r->fr_n - 1] - r->gain_1k_db +
                          20.0 * log10(r->out_vpu / r->in_vpu)
                    : NAN);
    add_sum(sum, "alias5k", "Aliasing, 5 kHz tone", "dB", r->al5_db);
    add_sum(sum, "alias9k", "Aliasing, 9 kHz tone", "dB", r->al9_db);
    add_sum(sum, "hum_dbfs", "Hum on silence (mains and harmonics)", "dBFS", r->hum_dbfs);
    add_sum(sum, "hum_hz", "Hum: mains frequency", "Hz", r->hum_n ? r->hum_mains_hz : NAN);
    add_sum(sum, "noise_dbu", "Output noise, 20 Hz-20 kHz", "dBu", r->noise_dbu);
    add_sum(sum, "noise_dbu_a", "Output noise, A-weighted", "dBu(A)", r->noise_dbu_a);
    add_sum(sum, "ein_dbu", "EIN, 20 Hz-20 kHz", "dBu", r->ein_dbu);
    add_sum(sum, "ein_dbu_a", "EIN, A-weighted", "dBu(A)", r->ein_dbu_a);
    add_sum(sum, "dc_mv", "DC offset at the output", "mV", 1000.0 * r->dc_volts);
    add_sum(sum, "lat_rep", "Latency, reported", "samples", r->latency_reported);
    add_sum(sum, "lat_imp", "Latency, impulse", "samples", r->lat_impulse);
    add_sum(sum, "lat_xc", "Latency, cross-correlation", "samples", r->lat_xcorr);
    add_sum(sum, "polarity", "Polarity (impulse)", "", r->pol_impulse);
    add_sum(sum, "cpu", "CPU, x real time per channel", "x", r->cpu_xrt);
    return sum;
}

json_t *gsm_report_json(const gsm_report *r, const gsm_meas_opts *o, const char *name,
                        const char *kind, const char *id, const char *settings) {
    json_t *j = json_object();
    json_object_set_new(j, "format", json_string("gainstage-measure-1"));
    json_object_set_new(
        j, "device",
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:o, s:o}", "name", name, "kind", kind,
                  "id", id, "settings", settings, "rate_hz", jnum(r->rate), "latency_reported",
                  (int)r->latency_reported, "in_volts_per_unit", jnum(r->in_vpu),
                  "out_volts_per_unit", jnum(r->out_vpu), "in_dbu_at_0dbfs",
                  jnum(20.0 * log10(r->in_vpu / sqrt(2.0) / 0.7745966692)), "out_dbu_at_0dbfs",
                  jnum(20.0 * log10(r->out_vpu / sqrt(2.0) / 0.7745966692))));
    json_object_set_new(j, "analyser",
                        json_pack("{s:s, s:o, s:i, s:b, s:o, s:o, s:o, s:s}", "window",
                                  GSM_WIN_NAME, "window_sidelobe_db", jnum(GSM_WIN_SIDELOBE_DB),
                                  "fft_n", (int)r->fft_n, "quick", o->quick, "nominal_dbfs",
                                  jnum(o->nominal_dbfs), "max_dbfs", jnum(o->max_dbfs),
                                  "alias_dbfs", jnum(o->alias_dbfs), "levels",
                                  "dBFS of a sine: peak 1.0 in sample units is 0 dBFS"));
    json_t *m = json_object();
    for (size_t i = 0; i < sizeof method_text / sizeof method_text[0]; i++)
        json_object_set_new(m, method_text[i][0], json_string(method_text[i][1]));
    json_object_set_new(j, "methods", m);
    json_object_set_new(j, "thd_vs_level", json_sweeps(r));
    json_results(j, r);
    json_object_set_new(j, "summary", json_summary(r, o));
    return j;
}

/* ------------------------------------------------------------------------------------------- */
/* Rendering from JSON. Arrays read from JSON live in a pool freed at the end. */
typedef struct pool {
    double *a[1024];
    int n;
} pool;

static const double *arr(pool *p, json_t *j, int *n) {
    *n = 0;
    if (!json_is_array(j) || p->n >= 1024) return NULL;
    size_t len = json_array_size(j);
    double *v = malloc(sizeof(double) * (len ? len : 1));
    for (size_t i = 0; i < len; i++) {
        json_t *e = json_array_get(j, i);
        v[i] = json_is_number(e) ? json_number_value(e) : NAN;
    }
    p->a[p->n++] = v;
    *n = (int)len;
    return v;
}

static double num(json_t *j) { return json_is_number(j) ? json_number_value(j) : NAN; }

static const char *dev_name(json_t *r) {
    const char *s = json_string_value(json_object_get(json_object_get(r, "device"), "name"));
    return s ? s : "?";
}

/* One rendering: the reports, the folder, where an error goes, the pool, and the number of
 * series labels the plot being drawn has used. */
typedef struct render {
    json_t *const *reps;
    int n;
    const char *dir;
    char *err;
    size_t es;
    pool pl;
    int nl;
} render;

/* Series labels must outlive the plot: kept here. */
static char labels[GSM_PLOT_MAX_SERIES][96];

/* The next series label of the current plot. */
__attribute__((format(printf, 2, 3))) static const char *label(render *c, const char *fmt, ...) {
    char *l = labels[c->nl++ % GSM_PLOT_MAX_SERIES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l, sizeof labels[0], fmt, ap);
    va_end(ap);
    return l;
}

/* Distortion and noise figures below -200 dB are the arithmetic's noise, not the device's:
 * kept out of the fitted ranges and drawn as below the axis. */
#define NUMERIC_FLOOR_DB (-200.0)

static void begin(render *c, gsm_plot *p, const char *base, const char *xlabel, const char *ylabel,
                  int xlog) {
    gsm_plot_init(p, plot_title(base), xlabel, ylabel, xlog);
    c->nl = 0;
}

/* The k-th series of report r in this plot. One report: each series its own colour and marker.
 * Compared: what a reader tells apart is the device, so a report has one colour and one marker
 * in every plot (and on the page's legend), its series differing by dash (lines) or tint (bars). */
static void add(render *c, gsm_plot *p, const char *lab, const double *x, const double *y, int n,
                int r, int k) {
    int who = c->n > 1 ? r : k;
    gsm_series *se = gsm_plot_add(p, lab, x, y, n, who, p->bars ? 0 : k);
    if (!se) return;
    se->marker = who % GSM_PLOT_NMARKERS + 1;
    if (p->bars && c->n > 1) se->tint = k;
}

/* A copy of v[0..n) plus off, in the pool (presentation only: report.json keeps v). */
static const double *shifted(pool *pl, const double *v, int n, double off) {
    if (!v || pl->n >= 1024) return v;
    double *w = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) w[i] = v[i] + off;
    pl->a[pl->n++] = w;
    return w;
}

static int save(render *c, const gsm_plot *p, const char *base) {
    if (gsm_plot_save(p, c->dir, base)) {
        snprintf(c->err, c->es, "cannot write the plot %s/%s.png or .svg", c->dir, base);
        return -1;
    }
    return 0;
}

/* THD and THD+N against level, at both sweep frequencies. */
static int plot_thd(render *c) {
    gsm_plot p;
    begin(c, &p, "thd_vs_level", "input level (dBFS, sine)", "distortion re fundamental (dB)", 0);
    p.yfloor = NUMERIC_FLOOR_DB;
    p.yspan = 20.0;
    for (int r = 0; r < c->n; r++) {
        json_t *sw = json_object_get(c->reps[r], "thd_vs_level");
        for (int w = 0; w < 2; w++) {
            json_t *s = json_array_get(sw, (size_t)w);
            int k, k2;
            const double *x = arr(&c->pl, json_object_get(s, "level_dbfs"), &k);
            double f = num(json_object_get(s, "freq_hz"));
            add(c, &p, label(c, "%s THD %.0f Hz", dev_name(c->reps[r]), f), x,
                arr(&c->pl, json_object_get(s, "thd_db"), &k2), k, r, 2 * w);
            add(c, &p, label(c, "%s THD+N %.0f Hz", dev_name(c->reps[r]), f), x,
                arr(&c->pl, json_object_get(s, "thdn_db"), &k2), k, r, 2 * w + 1);
        }
    }
    return save(c, &p, "thd_vs_level");
}

/* One curve of thd_vs_level's `key` against level per sweep frequency (even/odd, compression);
 * span: the smallest range shown, so that a flat curve looks flat. */
static int plot_sweep_key(render *c, const char *base, const char *ylabel, const char *key,
                          double span) {
    gsm_plot p;
    begin(c, &p, base, "input level (dBFS, sine)", ylabel, 0);
    p.yspan = span;
    for (int r = 0; r < c->n; r++) {
        json_t *sw = json_object_get(c->reps[r], "thd_vs_level");
        for (int w = 0; w < 2; w++) {
            json_t *s = json_array_get(sw, (size_t)w);
            int k, k2;
            const double *x = arr(&c->pl, json_object_get(s, "level_dbfs"), &k);
            add(c, &p,
                label(c, "%s %.0f Hz", dev_name(c->reps[r]), num(json_object_get(s, "freq_hz"))), x,
                arr(&c->pl, json_object_get(s, key), &k2), k, r, w);
        }
    }
    return save(c, &p, base);
}

/* Bar chart of H2..H10 at the three levels of each report; a harmonic below the axis is marked
 * on it, not left out. */
static int plot_harmonics(render *c) {
    static const char *hn[] = {"H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10"};
    gsm_plot p;
    begin(c, &p, "harmonics", "harmonic", "level re fundamental (dB)", 0);
    p.bars = 1;
    for (int i = 0; i < 9; i++) p.cats[i] = hn[i];
    p.ncat = 9;
    p.yfloor = NUMERIC_FLOOR_DB;
    p.yspan = 20.0;
    for (int r = 0; r < c->n; r++) {
        json_t *lv = json_object_get(json_object_get(c->reps[r], "harmonics"), "levels");
        for (size_t d = 0; d < json_array_size(lv); d++) {
            json_t *e = json_array_get(lv, d);
            int k;
            const double *y = arr(&c->pl, json_object_get(e, "h2_h10_db"), &k);
            add(c, &p,
                label(c, "%s %.0f dBFS", dev_name(c->reps[r]),
                      num(json_object_get(e, "level_dbfs"))),
                NULL, y, k, r, (int)d);
        }
    }
    return save(c, &p, "harmonics");
}

/* Output over input in dB with both calibrations (dBu over dBu), as the table's gain: the
 * report's mag_db is in sample units. */
static double calibration_db(json_t *rep) {
    json_t *d = json_object_get(rep, "device");
    return 20.0 * log10(num(json_object_get(d, "out_volts_per_unit")) /
                        num(json_object_get(d, "in_volts_per_unit")));
}

/* Frequency response, small and driven: magnitude (ph 0) or phase (ph 1). */
static int plot_freq_response(render *c, int ph) {
    gsm_plot p;
    begin(c, &p, ph ? "phase" : "freq_response", "frequency (Hz)",
          ph ? "phase (degrees)" : "gain (dB, output dBu re input dBu)", 1);
    if (ph) p.ymin = -180.0, p.ymax = 180.0;
    p.yspan = 6.0;
    for (int r = 0; r < c->n; r++) {
        json_t *fr = json_object_get(c->reps[r], "freq_response");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(fr, "freq_hz"), &k);
        for (int l = 0; l < 2; l++) {
            json_t *e = json_object_get(fr, l ? "driven" : "small");
            const double *y = arr(&c->pl, json_object_get(e, ph ? "phase_deg" : "mag_db"), &k2);
            if (!ph) y = shifted(&c->pl, y, k2, calibration_db(c->reps[r]));
            add(c, &p,
                label(c, "%s %.0f dBFS", dev_name(c->reps[r]),
                      num(json_object_get(e, "level_dbfs"))),
                x, y, k, r, l);
        }
    }
    return save(c, &p, ph ? "phase" : "freq_response");
}

static int plot_transfer(render *c) {
    gsm_plot p;
    begin(c, &p, "transfer", "input (sample units, 1.0 = 0 dBFS peak)", "output (sample units)", 0);
    for (int r = 0; r < c->n; r++) {
        json_t *tc = json_object_get(c->reps[r], "transfer");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(tc, "in"), &k);
        add(c, &p,
            label(c, "%s %.0f Hz, %.0f dBFS", dev_name(c->reps[r]),
                  num(json_object_get(tc, "freq_hz")), num(json_object_get(tc, "level_dbfs"))),
            x, arr(&c->pl, json_object_get(tc, "out"), &k2), k, r, 0);
    }
    return save(c, &p, "transfer");
}

static int plot_alias(render *c) {
    gsm_plot p;
    begin(c, &p, "alias_vs_freq", "tone frequency (Hz)", "non-harmonic power re fundamental (dB)",
          1);
    p.yfloor = NUMERIC_FLOOR_DB;
    p.yspan = 20.0;
    for (int r = 0; r < c->n; r++) {
        json_t *al = json_object_get(c->reps[r], "aliasing");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(al, "freq_hz"), &k);
        add(c, &p,
            label(c, "%s at %.0f dBFS", dev_name(c->reps[r]),
                  num(json_object_get(al, "level_dbfs"))),
            x, arr(&c->pl, json_object_get(al, "alias_db"), &k2), k, r, 0);
    }
    return save(c, &p, "alias_vs_freq");
}

/* The peak-held output spectrum of the 5 kHz (s 0) or 9 kHz (s 1) tone. */
static int plot_spectrum(render *c, int s) {
    const char *base = s ? "spectrum_9k" : "spectrum_5k";
    gsm_plot p;
    begin(c, &p, base, "frequency (Hz)", "level re fundamental (dB)", 0);
    p.yfloor = NUMERIC_FLOOR_DB;
    p.yspan = 20.0;
    for (int r = 0; r < c->n; r++) {
        json_t *sp = json_array_get(
            json_object_get(json_object_get(c->reps[r], "aliasing"), "spectra"), (size_t)s);
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(sp, "freq_hz"), &k);
        add(c, &p, label(c, "%s", dev_name(c->reps[r])), x,
            arr(&c->pl, json_object_get(sp, "db_re_fundamental"), &k2), k, r, 0);
    }
    return save(c, &p, base);
}

/* Every plot, each drawn even if an earlier one failed (err holds the last failure). */
static int render_plots(render *c) {
    int rc = plot_thd(c);
    rc |= plot_sweep_key(c, "even_odd", "even / odd harmonic power (dB)", "even_odd_db", 6.0);
    rc |=
        plot_sweep_key(c, "compression", "gain change re lowest level (dB)", "compression_db", 2.0);
    rc |= plot_harmonics(c);
    for (int ph = 0; ph < 2; ph++) rc |= plot_freq_response(c, ph);
    rc |= plot_transfer(c);
    rc |= plot_alias(c);
    for (int s = 0; s < 2; s++) rc |= plot_spectrum(c, s);
    return rc;
}

static void html_escape(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
}

/* Whether the device's settings turn its noise model off ("noise=0" or "noise=off" among
 * them): its noise figures are then the arithmetic's, not a measurement. */
static int noise_off(json_t *rep) {
    const char *set =
        json_string_value(json_object_get(json_object_get(rep, "device"), "settings"));
    for (const char *p = set; p && (p = strstr(p, "noise=")); p += 6) {
        if (p != set && p[-1] != ' ' && p[-1] != ',') continue; /* "x_noise=" is another one */
        if (!strncmp(p + 6, "0", 1) || !strncmp(p + 6, "off", 3)) return 1;
    }
    return 0;
}

/* The value of summary entry `key` of one report, NAN if it lacks one or it is null. */
static double summary_value(json_t *rep, const char *key) {
    json_t *sr = json_object_get(rep, "summary");
    for (size_t q = 0; q < json_array_size(sr); q++) {
        json_t *e = json_array_get(sr, q);
        const char *k = json_string_value(json_object_get(e, "key"));
        if (k && !strcmp(k, key)) return num(json_object_get(e, "value"));
    }
    return NAN;
}

const char *gsm_report_note(json_t *rep, const char *key, double value) {
    int noise = !strncmp(key, "noise_", 6) || !strncmp(key, "ein_", 4);
    if (noise && noise_off(rep)) return "noise model off";
    if (noise && value < NUMERIC_FLOOR_DB) return "below -200 (numerical)";
    return NULL;
}

/* One cell of the table: the number, or why there is none worth showing. */
static void html_cell(FILE *f, json_t *rep, const char *key) {
    double v = summary_value(rep, key);
    const char *note = gsm_report_note(rep, key, v);
    if (note)
        fprintf(f, "<td class=\"note\">%s</td>", note);
    else if (isfinite(v))
        fprintf(f, "<td>%.4g</td>", v);
    else
        fputs("<td>-</td>", f);
}

/* The page's head and the summary table: a row per entry of the first report's summary, a
 * column per report (entries matched by key; "-" where a report lacks one or it is null). */
static void html_table(FILE *f, json_t *const *reps, int n) {
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gainstage measure</title>\n"
          "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:"
          "collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
          "td:first-child{text-align:left}td.note{color:#666;font-style:italic}img{width:100%}"
          ".legend{list-style:none;padding-left:0}.swatch{vertical-align:middle;margin-right:6px}"
          "</style></head><body>\n",
          f);
    fputs(n > 1 ? "<h1>gainstage measure: comparison</h1>\n" : "<h1>gainstage measure</h1>\n", f);
    fputs("<table><tr><th>measurement</th><th>unit</th>", f);
    for (int r = 0; r < n; r++) {
        fputs("<th>", f);
        html_escape(f, dev_name(reps[r]));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    json_t *s0 = json_object_get(reps[0], "summary");
    for (size_t i = 0; i < json_array_size(s0); i++) {
        json_t *e = json_array_get(s0, i);
        const char *key = json_string_value(json_object_get(e, "key"));
        fprintf(f, "<tr><td>%s</td><td>%s</td>", json_string_value(json_object_get(e, "label")),
                json_string_value(json_object_get(e, "unit")));
        for (int r = 0; r < n; r++) html_cell(f, reps[r], key ? key : "");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p>Gain is in dB from the input's dBu to the output's dBu (each device's "
          "calibration below), in this table and in the frequency response alike.</p>\n",
          f);
}

/* One line per device: its colour and marker in the plots (the page's legend), what it is, its
 * rate, calibration, nominal level, FFT and settings. */
static void html_devices(FILE *f, json_t *const *reps, int n) {
    fputs(n > 1 ? "<p>Devices (each has one colour and one marker in every plot):</p>"
                  "<ul class=\"legend\">\n"
                : "<p>Device:</p><ul class=\"legend\">\n",
          f);
    for (int r = 0; r < n; r++) {
        json_t *d = json_object_get(reps[r], "device"), *a = json_object_get(reps[r], "analyser");
        char sw[512];
        gsm_plot_swatch_svg(sw, sizeof sw, r, r % GSM_PLOT_NMARKERS + 1);
        fprintf(f, "<li class=\"legend-entry\">%s<b>", n > 1 ? sw : "");
        html_escape(f, dev_name(reps[r]));
        fprintf(f, "</b> (%s ", json_string_value(json_object_get(d, "kind")));
        html_escape(f, json_string_value(json_object_get(d, "id")));
        fprintf(f,
                "), %.0f Hz, calibration in %.2f dBu / out %.2f dBu at 0 dBFS, nominal %.1f dBFS, "
                "FFT %d: ",
                num(json_object_get(d, "rate_hz")), num(json_object_get(d, "in_dbu_at_0dbfs")),
                num(json_object_get(d, "out_dbu_at_0dbfs")),
                num(json_object_get(a, "nominal_dbfs")),
                (int)json_integer_value(json_object_get(a, "fft_n")));
        html_escape(f, json_string_value(json_object_get(d, "settings")));
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

/* The three latencies of each device and what they are, so that "reported 8, measured 9" reads
 * as what it is (analysis.c, latency_polarity: both measurements find a peak). */
static void html_latency(FILE *f, json_t *const *reps, int n) {
    fputs("<h2>Latency</h2>\n<p><b>Reported</b> is the delay the device declares to its host, "
          "which a host compensates: for our models, the group delay of their linear-phase "
          "oversampling and converter filters, rounded to whole samples. <b>Impulse</b> is the "
          "sample at which the largest output deviation follows a one-sample impulse; "
          "<b>cross-correlation</b> is the lag of the peak of the cross-correlation of white noise "
          "in and out. Both measure where the peak of the impulse response lands. A linear-phase "
          "filter alone puts it exactly at its reported centre; the circuit's own filtering "
          "(coupling capacitors, a low-pass pole, a low-delay or minimum-phase filter) smears "
          "the response and can move its peak a sample or so later, so a measured latency one "
          "sample above the reported one is expected and harmless. A difference of many samples "
          "would mean a host misaligns the device.</p>\n<ul>\n",
          f);
    for (int r = 0; r < n; r++) {
        json_t *l = json_object_get(reps[r], "latency");
        int rep = (int)json_integer_value(json_object_get(l, "reported")),
            imp = (int)json_integer_value(json_object_get(l, "impulse")),
            xc = (int)json_integer_value(json_object_get(l, "xcorr"));
        fputs("<li>", f);
        html_escape(f, dev_name(reps[r]));
        fprintf(f, ": reported %d, impulse %d, cross-correlation %d samples", rep, imp, xc);
        if (imp != rep || xc != rep)
            fprintf(f, " (the impulse response peaks %d sample%s after the reported delay)",
                    imp - rep, abs(imp - rep) == 1 ? "" : "s");
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

/* Each plot under its title with the text of its method, then every method, then the window. */
static void html_plots(FILE *f, json_t *const *reps) {
    json_t *methods = json_object_get(reps[0], "methods");
    for (size_t i = 0; i < NPLOTS; i++) {
        fprintf(f, "<h2 id=\"%s\">", plots[i].base);
        html_escape(f, plots[i].title);
        fprintf(f, "</h2>\n<a href=\"%s.svg\"><img src=\"%s.png\" alt=\"", plots[i].base,
                plots[i].base);
        html_escape(f, plots[i].title);
        fputs("\"></a>\n<p>", f);
        const char *mt = json_string_value(json_object_get(methods, plots[i].method));
        if (mt) html_escape(f, mt);
        fputs("</p>\n", f);
    }
    fputs("<h2>Methods</h2>\n<dl>\n", f);
    const char *key;
    json_t *val;
    json_object_foreach(methods, key, val) {
        fputs("<dt>", f);
        html_escape(f, method_words(key));
        fputs("</dt><dd>", f);
        html_escape(f, json_string_value(val));
        fputs("</dd>\n", f);
    }
    fprintf(f, "</dl>\n<p>Window: %s, highest sidelobe %.1f dB.</p>\n</body></html>\n",
            GSM_WIN_NAME, GSM_WIN_SIDELOBE_DB);
}

/* The page is composed in memory and written like every file a user keeps (common/atomic.h). */
static int write_index(const render *c) {
    char path[4096];
    snprintf(path, sizeof path, "%s/index.html", c->dir);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(c->err, c->es, "cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    html_table(f, c->reps, c->n);
    html_devices(f, c->reps, c->n);
    html_latency(f, c->reps, c->n);
    html_plots(f, c->reps);
    int bad = fclose(f) != 0 || gsc_atomic_write(path, text, len) != 0;
    if (bad) snprintf(c->err, c->es, "cannot write '%s': %s", path, strerror(errno));
    free(text);
    return bad ? -1 : 0;
}

int gsm_report_render(json_t *const *reps, int n, const char *dir, int write_json, char *err,
                      size_t es) {
    if (mkdir(dir, 0777) && errno != EEXIST) {
        snprintf(err, es, "cannot create the folder '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (write_json) {
        char path[4096];
        snprintf(path, sizeof path, "%s/report.json", dir);
        char *text = json_dumps(reps[0], JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        int bad = !text || gsc_atomic_write(path, text, strlen(text)) != 0;
        free(text);
        if (bad) {
            snprintf(err, es, "cannot write '%s': %s", path, strerror(errno));
            return -1;
        }
    }
    render c = {.reps = reps, .n = n, .dir = dir, .err = err, .es = es, .pl = {.n = 0}, .nl = 0};
    int rc = render_plots(&c);
    for (int i = 0; i < c.pl.n; i++) free(c.pl.a[i]);
    return rc ? -1 : write_index(&c);
}
