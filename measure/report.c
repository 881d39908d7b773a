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
    {"noise", "Input terminated (digital silence) after 0.5 s (quick: 0.2 s) of settling; output "
              "power from 20 Hz to 20 kHz, unweighted and A-weighted (IEC 61672-1), converted to "
              "dBu with the output calibration; EIN = output noise - small-signal gain at 1 kHz "
              "(in volts, with both calibrations)."},
    {"latency", "Impulse: one sample at the nominal peak after settled silence; latency is the "
                "delay of the largest output deviation and polarity its sign. Cross-correlation: "
                "periodic white noise at the nominal RMS, circular cross-correlation of one period "
                "after one period of settling; lag and sign of its peak."},
    {"dc_offset", "Mean of the output with silence in, after settling."},
    {"cpu", "Seconds of audio per second of this thread's CPU time "
            "(CLOCK_THREAD_CPUTIME_ID), one channel, median of 3 runs, blocks of the device's "
            "block length, a 220 Hz sine plus white noise at the nominal level."},
};

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

static void begin(render *c, gsm_plot *p, const char *title, const char *xlabel, const char *ylabel,
                  int xlog) {
    gsm_plot_init(p, title, xlabel, ylabel, xlog);
    c->nl = 0;
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
    begin(c, &p, "THD and THD+N against input level", "input level (dBFS, sine)",
          "distortion re fundamental (dB)", 0);
    p.ymin = -200.0;
    for (int r = 0; r < c->n; r++) {
        json_t *sw = json_object_get(c->reps[r], "thd_vs_level");
        for (int w = 0; w < 2; w++) {
            json_t *s = json_array_get(sw, (size_t)w);
            int k, k2;
            const double *x = arr(&c->pl, json_object_get(s, "level_dbfs"), &k);
            double f = num(json_object_get(s, "freq_hz"));
            gsm_plot_add(&p, label(c, "%s THD %.0f Hz", dev_name(c->reps[r]), f), x,
                         arr(&c->pl, json_object_get(s, "thd_db"), &k2), k, r, w ? 2 : 0);
            gsm_plot_add(&p, label(c, "%s THD+N %.0f Hz", dev_name(c->reps[r]), f), x,
                         arr(&c->pl, json_object_get(s, "thdn_db"), &k2), k, r, w ? 3 : 1);
        }
    }
    return save(c, &p, "thd_vs_level");
}

/* One curve of thd_vs_level's `key` against level per sweep frequency (even/odd, compression). */
static int plot_sweep_key(render *c, const char *title, const char *ylabel, const char *key,
                          const char *base) {
    gsm_plot p;
    begin(c, &p, title, "input level (dBFS, sine)", ylabel, 0);
    for (int r = 0; r < c->n; r++) {
        json_t *sw = json_object_get(c->reps[r], "thd_vs_level");
        for (int w = 0; w < 2; w++) {
            json_t *s = json_array_get(sw, (size_t)w);
            int k, k2;
            const double *x = arr(&c->pl, json_object_get(s, "level_dbfs"), &k);
            gsm_plot_add(
                &p,
                label(c, "%s %.0f Hz", dev_name(c->reps[r]), num(json_object_get(s, "freq_hz"))), x,
                arr(&c->pl, json_object_get(s, key), &k2), k, r, w ? 1 : 0);
        }
    }
    return save(c, &p, base);
}

/* Bar chart of H2..H10 at the three levels of each report. */
static int plot_harmonics(render *c) {
    static const char *hn[] = {"H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10"};
    gsm_plot p;
    begin(c, &p, "Harmonics of a 1 kHz tone at three input levels", "harmonic",
          "level re fundamental (dB)", 0);
    p.bars = 1;
    for (int i = 0; i < 9; i++) p.cats[i] = hn[i];
    p.ncat = 9;
    /* bars start at the bottom of the axis: -160 dB */
    p.ymin = -160.0;
    p.ymax = 0.0;
    for (int r = 0; r < c->n; r++) {
        json_t *lv = json_object_get(json_object_get(c->reps[r], "harmonics"), "levels");
        for (size_t d = 0; d < json_array_size(lv); d++) {
            json_t *e = json_array_get(lv, d);
            int k;
            const double *y = arr(&c->pl, json_object_get(e, "h2_h10_db"), &k);
            gsm_plot_add(&p,
                         label(c, "%s %.0f dBFS", dev_name(c->reps[r]),
                               num(json_object_get(e, "level_dbfs"))),
                         NULL, y, k, c->n > 1 ? r * 3 + (int)d : (int)d, 0);
        }
    }
    return save(c, &p, "harmonics");
}

/* Frequency response, small and driven: magnitude (ph 0) or phase (ph 1). */
static int plot_freq_response(render *c, int ph) {
    gsm_plot p;
    begin(c, &p,
          ph ? "Frequency response: phase (reported latency removed)"
             : "Frequency response: magnitude",
          "frequency (Hz)", ph ? "phase (degrees)" : "gain (dB, sample units)", 1);
    if (ph) p.ymin = -180.0, p.ymax = 180.0;
    for (int r = 0; r < c->n; r++) {
        json_t *fr = json_object_get(c->reps[r], "freq_response");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(fr, "freq_hz"), &k);
        for (int l = 0; l < 2; l++) {
            json_t *e = json_object_get(fr, l ? "driven" : "small");
            gsm_plot_add(&p,
                         label(c, "%s %.0f dBFS", dev_name(c->reps[r]),
                               num(json_object_get(e, "level_dbfs"))),
                         x, arr(&c->pl, json_object_get(e, ph ? "phase_deg" : "mag_db"), &k2), k, r,
                         l);
        }
    }
    return save(c, &p, ph ? "phase" : "freq_response");
}

static int plot_transfer(render *c) {
    gsm_plot p;
    begin(c, &p, "Static transfer curve (slow sine, one period)",
          "input (sample units, 1.0 = 0 dBFS peak)", "output (sample units)", 0);
    for (int r = 0; r < c->n; r++) {
        json_t *tc = json_object_get(c->reps[r], "transfer");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(tc, "in"), &k);
        gsm_plot_add(&p,
                     label(c, "%s %.0f Hz, %.0f dBFS", dev_name(c->reps[r]),
                           num(json_object_get(tc, "freq_hz")),
                           num(json_object_get(tc, "level_dbfs"))),
                     x, arr(&c->pl, json_object_get(tc, "out"), &k2), k, r, 0);
    }
    return save(c, &p, "transfer");
}

static int plot_alias(render *c) {
    gsm_plot p;
    begin(c, &p, "Aliasing against tone frequency", "tone frequency (Hz)",
          "non-harmonic power re fundamental (dB)", 1);
    p.ymin = -200.0;
    for (int r = 0; r < c->n; r++) {
        json_t *al = json_object_get(c->reps[r], "aliasing");
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(al, "freq_hz"), &k);
        gsm_plot_add(&p,
                     label(c, "%s at %.0f dBFS", dev_name(c->reps[r]),
                           num(json_object_get(al, "level_dbfs"))),
                     x, arr(&c->pl, json_object_get(al, "alias_db"), &k2), k, r, 0);
    }
    return save(c, &p, "alias_vs_freq");
}

/* The peak-held output spectrum of the 5 kHz (s 0) or 9 kHz (s 1) tone. */
static int plot_spectrum(render *c, int s) {
    gsm_plot p;
    begin(c, &p,
          s ? "Output spectrum, 9 kHz tone (peak-held)" : "Output spectrum, 5 kHz tone (peak-held)",
          "frequency (Hz)", "level re fundamental (dB)", 0);
    p.ymin = -200.0;
    p.ymax = 10.0;
    for (int r = 0; r < c->n; r++) {
        json_t *sp = json_array_get(
            json_object_get(json_object_get(c->reps[r], "aliasing"), "spectra"), (size_t)s);
        int k, k2;
        const double *x = arr(&c->pl, json_object_get(sp, "freq_hz"), &k);
        gsm_plot_add(&p, label(c, "%s", dev_name(c->reps[r])), x,
                     arr(&c->pl, json_object_get(sp, "db_re_fundamental"), &k2), k, r, 0);
    }
    return save(c, &p, s ? "spectrum_9k" : "spectrum_5k");
}

/* Every plot, each drawn even if an earlier one failed (err holds the last failure). */
static int render_plots(render *c) {
    int rc = plot_thd(c);
    rc |= plot_sweep_key(c, "Even/odd harmonic power against level",
                         "even / odd harmonic power (dB)", "even_odd_db", "even_odd");
    rc |= plot_sweep_key(c, "Gain compression against level (1 kHz and 100 Hz)",
                         "gain change re lowest level (dB)", "compression_db", "compression");
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

/* The page's head and the summary table: a row per entry of the first report's summary, a
 * column per report (entries matched by key; "-" where a report lacks one or it is null). */
static void html_table(FILE *f, json_t *const *reps, int n) {
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>gainstage measure</title>\n"
          "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}table{border-collapse:"
          "collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
          "td:first-child{text-align:left}img{width:100%}</style></head><body>\n",
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
        for (int r = 0; r < n; r++) {
            json_t *sr = json_object_get(reps[r], "summary");
            double v = NAN;
            for (size_t q = 0; q < json_array_size(sr); q++)
                if (!strcmp(json_string_value(json_object_get(json_array_get(sr, q), "key")), key))
                    v = num(json_object_get(json_array_get(sr, q), "value"));
            if (isfinite(v))
                fprintf(f, "<td>%.4g</td>", v);
            else
                fputs("<td>-</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* One line per device: what it is, its rate, calibration, nominal level, FFT and settings. */
static void html_devices(FILE *f, json_t *const *reps, int n) {
    fputs("<p>Devices:</p><ul>\n", f);
    for (int r = 0; r < n; r++) {
        json_t *d = json_object_get(reps[r], "device"), *a = json_object_get(reps[r], "analyser");
        fputs("<li><b>", f);
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

/* Each plot with the text of its method, then every method, then the window. */
static void html_plots(FILE *f, json_t *const *reps) {
    static const char *plots[][2] = {
        {"thd_vs_level", "thd_vs_level"}, {"harmonics", "harmonics"},
        {"even_odd", "even_odd"},         {"freq_response", "freq_response"},
        {"phase", "freq_response"},       {"transfer", "transfer"},
        {"compression", "compression"},   {"alias_vs_freq", "aliasing"},
        {"spectrum_5k", "aliasing"},      {"spectrum_9k", "aliasing"},
    };
    json_t *methods = json_object_get(reps[0], "methods");
    for (size_t i = 0; i < sizeof plots / sizeof plots[0]; i++) {
        fprintf(f, "<h2>%s</h2>\n<a href=\"%s.svg\"><img src=\"%s.png\" alt=\"%s\"></a>\n<p>",
                plots[i][0], plots[i][0], plots[i][0], plots[i][0]);
        const char *mt = json_string_value(json_object_get(methods, plots[i][1]));
        if (mt) html_escape(f, mt);
        fputs("</p>\n", f);
    }
    fputs("<h2>Methods</h2>\n<dl>\n", f);
    const char *key;
    json_t *val;
    json_object_foreach(methods, key, val) {
        fprintf(f, "<dt>%s</dt><dd>", key);
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
