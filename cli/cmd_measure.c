/* gainstage measure: the built-in analyser, for our presets and models and for any LV2 plugin;
 * and --compare, which overlays saved reports. The measuring is in analysis.c, the hosting in
 * lv2host.c, the report in report.c: this file parses and routes. */
#include "analysis.h"
#include "commands.h"
#include "dut.h"
#include "lv2host.h"
#include "plot.h"
#include "report.h"
#include "util.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SETS 128
#define MAX_COMPARE 16

static const char help_text[] =
    "Usage: gainstage measure [--preset P | --model M] [--set SYMBOL=VALUE]... --out DIR\n"
    "       gainstage measure --lv2 URI [--lv2-set SYMBOL=VALUE]... --out DIR\n"
    "       gainstage measure --compare DIR1 DIR2 ... --out DIR\n"
    "\n"
    "Measure a preamp like an audio analyser: THD and THD+N against level (1 kHz, 100 Hz),\n"
    "harmonics H2..H10, even/odd ratio, frequency response (small signal and driven), transfer\n"
    "curve, compression, aliasing (5 kHz, 9 kHz, tones to 18 kHz), noise and EIN, latency,\n"
    "polarity, DC offset and CPU cost. Writes DIR/report.json (every number, with methods), plots\n"
    "(PNG and SVG) and DIR/index.html.\n"
    "\n"
    "Device:\n"
    "  -p, --preset NAME|FILE  a built-in preset or a preset file (default: clean)\n"
    "  -m, --model NAME        a model with its default values\n"
    "      --chain 'BLOCK | ...'  a strip, as 'gainstage process --chain' takes it\n"
    "  -s, --set SYMBOL=VALUE  set a parameter of the preset or model (repeatable)\n"
    "      --lv2 URI           an installed LV2 plugin instead (see lv2ls)\n"
    "      --lv2-set SYM=VAL   set a control port of the plugin (repeatable)\n"
    "Levels (dBFS of a sine; a file's level is the dBu RMS of a sine at 0 dBFS):\n"
    "      --in-dbu X          input calibration (default -20 for our models, +18 for LV2)\n"
    "      --out-dbu X         output calibration (default +18, EBU R68)\n"
    "      --nominal DBFS      nominal input level (default -18)\n"
    "      --max-level DBFS    top of the level sweeps (default +12)\n"
    "      --alias-level DBFS  level of the aliasing tones (default 0)\n"
    "Analysis:\n"
    "  -r, --rate HZ           sample rate (default 48000)\n"
    "      --block N           block length (default 256)\n"
    "      --fft N             FFT length, a power of two (default 65536; --quick 16384)\n"
    "      --quick             fewer levels and frequencies, shorter FFTs (tests)\n"
    "Output:\n"
    "  -o, --out DIR           the report folder (created if missing)\n"
    "      --compare DIR...    overlay the reports in these folders (no device is measured)\n"
    "  -q, --quiet             no summary on stdout\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure (plugin cannot be hosted, disk), 2 usage error.\n";

enum {
    OPT_LV2 = 256,
    OPT_CHAIN,
    OPT_LV2SET,
    OPT_IN_DBU,
    OPT_OUT_DBU,
    OPT_NOMINAL,
    OPT_MAX,
    OPT_ALIAS,
    OPT_BLOCK,
    OPT_FFT,
    OPT_QUICK,
    OPT_COMPARE
};

static json_t *load_report(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/report.json", dir);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) {
        cli_error("cannot read '%s': %s", path, e.text);
        return NULL;
    }
    if (!json_is_array(json_object_get(j, "summary"))) {
        cli_error("'%s' is not a gainstage measure report", path);
        json_decref(j);
        return NULL;
    }
    return j;
}

static int compare(int ndirs, char **dirs, const char *out) {
    json_t *reps[MAX_COMPARE];
    if (ndirs > MAX_COMPARE) {
        cli_error("--compare takes at most %d reports", MAX_COMPARE);
        return EXIT_USAGE;
    }
    for (int i = 0; i < ndirs; i++) {
        reps[i] = load_report(dirs[i]);
        if (!reps[i]) {
            for (int k = 0; k < i; k++) json_decref(reps[k]);
            return EXIT_RUNTIME;
        }
    }
    /* Reports of the same device (one model at two settings, say) would share their legend
     * labels: those are named by their folders as well. */
    for (int i = 0; i < ndirs; i++) {
        json_t *dev = json_object_get(reps[i], "device");
        const char *name = json_string_value(json_object_get(dev, "name"));
        int same = 0;
        for (int k = 0; k < ndirs && name; k++) {
            const char *other =
                json_string_value(json_object_get(json_object_get(reps[k], "device"), "name"));
            same |= k != i && other && !strcmp(name, other);
        }
        if (!same) continue;
        const char *base = strrchr(dirs[i], '/');
        base = base && base[1] ? base + 1 : dirs[i];
        char label[256];
        snprintf(label, sizeof label, "%s (%s)", name, base);
        json_object_set_new(dev, "label", json_string(label));
    }
    for (int i = 0; i < ndirs; i++) {
        json_t *dev = json_object_get(reps[i], "device");
        json_t *label = json_object_get(dev, "label");
        if (label) json_object_set(dev, "name", label);
    }
    char err[512] = "";
    int rc = gsm_report_render(reps, ndirs, out, 0, err, sizeof err);
    for (int i = 0; i < ndirs; i++) json_decref(reps[i]);
    gsm_plot_shutdown();
    if (rc) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    printf("report: %s/index.html\n", out);
    return 0;
}

static void print_summary(json_t *j) {
    json_t *s = json_object_get(j, "summary");
    printf("%s\n", json_string_value(json_object_get(json_object_get(j, "device"), "name")));
    for (size_t i = 0; i < json_array_size(s); i++) {
        json_t *e = json_array_get(s, i), *v = json_object_get(e, "value");
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *note =
            key && json_is_number(v) ? gsm_report_note(j, key, json_number_value(v)) : NULL;
        if (note)
            printf("  %-46s %12s\n", json_string_value(json_object_get(e, "label")), note);
        else if (json_is_number(v))
            printf("  %-46s %12.4g %s\n", json_string_value(json_object_get(e, "label")),
                   json_number_value(v), json_string_value(json_object_get(e, "unit")));
        else
            printf("  %-46s %12s %s\n", json_string_value(json_object_get(e, "label")), "-",
                   json_string_value(json_object_get(e, "unit")));
    }
}

static int parse_num(const char *opt, const char *s, double *v) {
    if (cli_parse_double(s, v) || !isfinite(*v)) {
        cli_error("%s: '%s' is not a number", opt, s);
        return -1;
    }
    return 0;
}

/* The command line as given. */
typedef struct margs {
    const char *preset, *model, *lv2, *out, *chain;
    const char *sets[MAX_SETS], *lv2sets[MAX_SETS];
    int nsets, nlv2, quick, quiet, do_compare, in_given;
    double rate, in_dbu, out_dbu, nominal, maxl, alias, blockd, fftd;
} margs;

/* parse_args' result when the command goes on (any other is the exit status). */
#define PARSED -1

static int add_set(const char **v, int *n, const char *opt, const char *arg) {
    if (*n == MAX_SETS) {
        cli_error("too many %s options (at most %d)", opt, MAX_SETS);
        return -1;
    }
    v[(*n)++] = arg;
    return 0;
}

/* The number-valued options: their names and where they go. */
static double *num_opt(margs *a, int c, const char **name) {
    switch (c) {
    case OPT_IN_DBU: *name = "--in-dbu"; return &a->in_dbu;
    case OPT_OUT_DBU: *name = "--out-dbu"; return &a->out_dbu;
    case OPT_NOMINAL: *name = "--nominal"; return &a->nominal;
    case OPT_MAX: *name = "--max-level"; return &a->maxl;
    case OPT_ALIAS: *name = "--alias-level"; return &a->alias;
    case 'r': *name = "--rate"; return &a->rate;
    case OPT_BLOCK: *name = "--block"; return &a->blockd;
    case OPT_FFT: *name = "--fft"; return &a->fftd;
    default: return NULL;
    }
}

/* Options into *a, in order (the first bad one ends the parsing); optind is left at the first
 * argument that is not an option. Returns PARSED or the exit status (0 after --help). */
static int parse_args(int argc, char **argv, margs *a) {
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"model", required_argument, NULL, 'm'},
        {"set", required_argument, NULL, 's'},
        {"lv2", required_argument, NULL, OPT_LV2},
        {"chain", required_argument, NULL, OPT_CHAIN},
        {"lv2-set", required_argument, NULL, OPT_LV2SET},
        {"in-dbu", required_argument, NULL, OPT_IN_DBU},
        {"out-dbu", required_argument, NULL, OPT_OUT_DBU},
        {"nominal", required_argument, NULL, OPT_NOMINAL},
        {"max-level", required_argument, NULL, OPT_MAX},
        {"alias-level", required_argument, NULL, OPT_ALIAS},
        {"rate", required_argument, NULL, 'r'},
        {"block", required_argument, NULL, OPT_BLOCK},
        {"fft", required_argument, NULL, OPT_FFT},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"out", required_argument, NULL, 'o'},
        {"compare", no_argument, NULL, OPT_COMPARE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (margs){.rate = 48000.0,
                 .in_dbu = GS_DEFAULT_IN_DBU,
                 .out_dbu = GS_DEFAULT_OUT_DBU,
                 .nominal = -18.0,
                 .maxl = 12.0,
                 .alias = 0.0,
                 .blockd = 256.0,
                 .fftd = 0.0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":p:m:s:r:o:qh", longopts, NULL)) != -1) {
        const char *name;
        double *v = num_opt(a, c, &name);
        if (v) {
            if (parse_num(name, optarg, v)) return EXIT_USAGE;
            a->in_given |= c == OPT_IN_DBU;
            continue;
        }
        switch (c) {
        case 'p': a->preset = optarg; break;
        case 'm': a->model = optarg; break;
        case 's':
            if (add_set(a->sets, &a->nsets, "--set", optarg)) return EXIT_USAGE;
            break;
        case OPT_LV2: a->lv2 = optarg; break;
        case OPT_CHAIN: a->chain = optarg; break;
        case OPT_LV2SET:
            if (add_set(a->lv2sets, &a->nlv2, "--lv2-set", optarg)) return EXIT_USAGE;
            break;
        case OPT_QUICK: a->quick = 1; break;
        case 'o': a->out = optarg; break;
        case OPT_COMPARE: a->do_compare = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(help_text, stdout); return 0;
        case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see 'gainstage measure --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    return PARSED;
}

/* --compare DIR...: saved reports only, no device. */
static int run_compare(const margs *a, int nargs, char **args) {
    if (nargs < 1) {
        cli_error("--compare needs at least one report folder");
        return EXIT_USAGE;
    }
    if (a->preset || a->model || a->lv2) {
        cli_error("--compare reads saved reports; it takes no --preset, --model or --lv2");
        return EXIT_USAGE;
    }
    return compare(nargs, args, a->out);
}

/* The options that measure a device, checked together, and the analyser's options from them.
 * Returns 0 or the exit status. */
static int check_args(const margs *a, int nargs, char **args, gsm_meas_opts *o) {
    if (nargs > 0) {
        cli_error("unexpected argument '%s'", args[0]);
        return EXIT_USAGE;
    }
    if ((a->preset != NULL) + (a->model != NULL) + (a->lv2 != NULL) + (a->chain != NULL) > 1) {
        cli_error("give only one of --preset, --model, --chain and --lv2");
        return EXIT_USAGE;
    }
    if (a->lv2 && a->nsets) {
        cli_error("--set is for our models; use --lv2-set for plugin ports");
        return EXIT_USAGE;
    }
    if (!a->lv2 && a->nlv2) {
        cli_error("--lv2-set needs --lv2 URI");
        return EXIT_USAGE;
    }
    if (a->rate < GS_RATE_MIN || a->rate > GS_RATE_MAX) {
        cli_error("--rate %g is outside %g..%g Hz", a->rate, GS_RATE_MIN, GS_RATE_MAX);
        return EXIT_USAGE;
    }
    if (a->blockd < 1 || a->blockd > 8192 || a->blockd != floor(a->blockd)) {
        cli_error("--block must be a whole number from 1 to 8192");
        return EXIT_USAGE;
    }
    gsm_meas_opts_default(o, a->quick);
    if (a->fftd != 0.0) {
        size_t n = (size_t)a->fftd;
        if ((double)n != a->fftd || n < 4096 || n > (1u << 20) || (n & (n - 1))) {
            cli_error("--fft must be a power of two from 4096 to 1048576");
            return EXIT_USAGE;
        }
        o->fft_n = n;
    }
    if (a->maxl < a->nominal) {
        cli_error("--max-level must not be below --nominal");
        return EXIT_USAGE;
    }
    o->nominal_dbfs = a->nominal;
    o->max_dbfs = a->maxl;
    o->alias_dbfs = a->alias;
    return 0;
}

/* The device under test and what the report says of it. */
typedef struct device {
    gsm_dut dut;
    gsm_chan_dut cd;
    gs_channel *ch;
    gsm_lv2host *host;
    gs_preset *pr;
    const char *kind;
    char name[256], id[1024], settings[2048];
} device;

static void device_free(device *d) {
    gsm_chan_dut_free(&d->cd);
    gs_channel_free(d->ch);
    gs_preset_free(d->pr);
    gsm_lv2host_free(d->host);
}

static int open_lv2(const margs *a, double in_vpu, double out_vpu, uint32_t block, device *d) {
    char err[512] = "";
    if (gsm_lv2host_new(a->lv2, a->rate, block, a->lv2sets, a->nlv2, &d->host, err, sizeof err)) {
        cli_error("%s", err);
        return EXIT_RUNTIME;
    }
    d->dut = (gsm_dut){d->host, gsm_lv2host_process,          a->rate,
                       block,   gsm_lv2host_latency(d->host), in_vpu,
                       out_vpu};
    d->kind = "lv2";
    snprintf(d->name, sizeof d->name, "%s", gsm_lv2host_name(d->host));
    snprintf(d->id, sizeof d->id, "%s", a->lv2);
    snprintf(d->settings, sizeof d->settings, "%s", gsm_lv2host_settings(d->host));
    return 0;
}

/* "sym=value, ..." of every parameter of the channel, as far as it fits. */
static void channel_settings(const gs_channel *ch, char *settings, size_t size) {
    size_t len = 0;
    settings[0] = '\0';
    for (size_t i = 0; i < gs_channel_param_count(ch) && len + 64 < size; i++) {
        const gs_param_info *pi = gs_channel_param_info(ch, i);
        char v[48];
        gs_format_value(gs_channel_get(ch, i), pi->unit, pi->choices, v, sizeof v);
        len +=
            (size_t)snprintf(settings + len, size - len, "%s%s=%s", len ? ", " : "", pi->symbol, v);
    }
}

/* One of our models or presets with the --set values applied. Returns 0 or the exit status. */
static int open_channel(const margs *a, double in_vpu, double out_vpu, uint32_t block, device *d) {
    gs_status st;
    int ec = 0;
    if (a->model) {
        st = gs_channel_new(a->model, a->rate, block, &d->ch);
        d->kind = "model";
        snprintf(d->name, sizeof d->name, "%s", a->model);
    } else {
        d->pr = a->chain ? cli_load_chain(a->chain, &ec)
                         : cli_load_preset(a->preset ? a->preset : "clean", &ec);
        if (!d->pr) return ec;
        st = gs_channel_new_preset(d->pr, a->rate, block, &d->ch);
        d->kind = "preset";
        snprintf(d->name, sizeof d->name, "%s", gs_preset_name(d->pr));
    }
    if (st != GS_OK) {
        cli_error("cannot create %s '%s': %s", d->kind, d->name, gs_strerror(st));
        return st == GS_ERR_UNKNOWN_MODEL ? EXIT_USAGE : EXIT_RUNTIME;
    }
    for (int i = 0; i < a->nsets; i++)
        if (cli_apply_set(d->ch, a->sets[i])) return EXIT_USAGE;
    gs_channel_reset(d->ch); /* values jump to their targets: no glide in the measurement */
    snprintf(d->id, sizeof d->id, "%s", d->name);
    channel_settings(d->ch, d->settings, sizeof d->settings);
    if (gsm_chan_dut_init(&d->cd, d->ch, in_vpu, out_vpu, block, &d->dut)) {
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    return 0;
}

/* Measure the device and write the report (and the summary unless quiet). */
static int measure_and_report(const device *d, const gsm_meas_opts *o, const char *out, int quiet) {
    gsm_report *r = calloc(1, sizeof *r);
    int ec = 0;
    if (!r || gsm_measure_all(&d->dut, o, r)) {
        cli_error("the device failed while being measured");
        ec = EXIT_RUNTIME;
    } else {
        json_t *j = gsm_report_json(r, o, d->name, d->kind, d->id, d->settings);
        char err[512] = "";
        if (gsm_report_render(&j, 1, out, 1, err, sizeof err)) {
            cli_error("%s", err);
            ec = EXIT_RUNTIME;
        } else if (!quiet) {
            print_summary(j);
            printf("report: %s/index.html\n", out);
        }
        json_decref(j);
    }
    free(r);
    return ec;
}

int cmd_measure(int argc, char **argv) {
    margs a;
    int ec = parse_args(argc, argv, &a);
    if (ec != PARSED) return ec;
    if (!a.out) {
        cli_error("missing --out DIR (see 'gainstage measure --help')");
        return EXIT_USAGE;
    }
    if (a.do_compare) return run_compare(&a, argc - optind, argv + optind);
    gsm_meas_opts o;
    ec = check_args(&a, argc - optind, argv + optind, &o);
    if (ec) return ec;
    uint32_t block = (uint32_t)a.blockd;
    /* a plugin's samples are taken to be at line level unless told (see --help) */
    if (a.lv2 && !a.in_given) a.in_dbu = 18.0;
    double in_vpu = gs_dbu_to_volts_per_unit(a.in_dbu),
           out_vpu = gs_dbu_to_volts_per_unit(a.out_dbu);
    device d = {.ch = NULL};
    ec = a.lv2 ? open_lv2(&a, in_vpu, out_vpu, block, &d)
               : open_channel(&a, in_vpu, out_vpu, block, &d);
    if (ec) {
        device_free(&d);
        return ec;
    }
    ec = measure_and_report(&d, &o, a.out, a.quiet);
    device_free(&d);
    gsm_plot_shutdown();
    return ec;
}
