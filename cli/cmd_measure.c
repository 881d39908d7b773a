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
    return 0;
}

static void print_summary(json_t *j) {
    json_t *s = json_object_get(j, "summary");
    printf("%s\n", json_string_value(json_object_get(json_object_get(j, "device"), "name")));
    for (size_t i = 0; i < json_array_size(s); i++) {
        json_t *e = json_array_get(s, i), *v = json_object_get(e, "value");
        if (json_is_number(v))
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

int cmd_measure(int argc, char **argv) {
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"model", required_argument, NULL, 'm'},
        {"set", required_argument, NULL, 's'},
        {"lv2", required_argument, NULL, OPT_LV2},
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
    const char *preset = NULL, *model = NULL, *lv2 = NULL, *out = NULL;
    const char *sets[MAX_SETS], *lv2sets[MAX_SETS];
    int nsets = 0, nlv2 = 0, quick = 0, quiet = 0, do_compare = 0, in_given = 0;
    double rate = 48000.0, in_dbu = GS_DEFAULT_IN_DBU, out_dbu = GS_DEFAULT_OUT_DBU,
           nominal = -18.0, maxl = 12.0, alias = 0.0, blockd = 256.0, fftd = 0.0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":p:m:s:r:o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': preset = optarg; break;
        case 'm': model = optarg; break;
        case 's':
            if (nsets == MAX_SETS) {
                cli_error("too many --set options (at most %d)", MAX_SETS);
                return EXIT_USAGE;
            }
            sets[nsets++] = optarg;
            break;
        case OPT_LV2: lv2 = optarg; break;
        case OPT_LV2SET:
            if (nlv2 == MAX_SETS) {
                cli_error("too many --lv2-set options (at most %d)", MAX_SETS);
                return EXIT_USAGE;
            }
            lv2sets[nlv2++] = optarg;
            break;
        case OPT_IN_DBU:
            if (parse_num("--in-dbu", optarg, &in_dbu)) return EXIT_USAGE;
            in_given = 1;
            break;
        case OPT_OUT_DBU:
            if (parse_num("--out-dbu", optarg, &out_dbu)) return EXIT_USAGE;
            break;
        case OPT_NOMINAL:
            if (parse_num("--nominal", optarg, &nominal)) return EXIT_USAGE;
            break;
        case OPT_MAX:
            if (parse_num("--max-level", optarg, &maxl)) return EXIT_USAGE;
            break;
        case OPT_ALIAS:
            if (parse_num("--alias-level", optarg, &alias)) return EXIT_USAGE;
            break;
        case 'r':
            if (parse_num("--rate", optarg, &rate)) return EXIT_USAGE;
            break;
        case OPT_BLOCK:
            if (parse_num("--block", optarg, &blockd)) return EXIT_USAGE;
            break;
        case OPT_FFT:
            if (parse_num("--fft", optarg, &fftd)) return EXIT_USAGE;
            break;
        case OPT_QUICK: quick = 1; break;
        case 'o': out = optarg; break;
        case OPT_COMPARE: do_compare = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(help_text, stdout); return 0;
        case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("unknown option '%s' (see 'gainstage measure --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (!out) {
        cli_error("missing --out DIR (see 'gainstage measure --help')");
        return EXIT_USAGE;
    }
    if (do_compare) {
        if (argc - optind < 1) {
            cli_error("--compare needs at least one report folder");
            return EXIT_USAGE;
        }
        if (preset || model || lv2) {
            cli_error("--compare reads saved reports; it takes no --preset, --model or --lv2");
            return EXIT_USAGE;
        }
        return compare(argc - optind, argv + optind, out);
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if ((preset != NULL) + (model != NULL) + (lv2 != NULL) > 1) {
        cli_error("give only one of --preset, --model and --lv2");
        return EXIT_USAGE;
    }
    if (lv2 && nsets) {
        cli_error("--set is for our models; use --lv2-set for plugin ports");
        return EXIT_USAGE;
    }
    if (!lv2 && nlv2) {
        cli_error("--lv2-set needs --lv2 URI");
        return EXIT_USAGE;
    }
    if (rate < GS_RATE_MIN || rate > GS_RATE_MAX) {
        cli_error("--rate %g is outside %g..%g Hz", rate, GS_RATE_MIN, GS_RATE_MAX);
        return EXIT_USAGE;
    }
    if (blockd < 1 || blockd > 8192 || blockd != floor(blockd)) {
        cli_error("--block must be a whole number from 1 to 8192");
        return EXIT_USAGE;
    }
    gsm_meas_opts o;
    gsm_meas_opts_default(&o, quick);
    if (fftd != 0.0) {
        size_t n = (size_t)fftd;
        if ((double)n != fftd || n < 4096 || n > (1u << 20) || (n & (n - 1))) {
            cli_error("--fft must be a power of two from 4096 to 1048576");
            return EXIT_USAGE;
        }
        o.fft_n = n;
    }
    if (maxl < nominal) {
        cli_error("--max-level must not be below --nominal");
        return EXIT_USAGE;
    }
    o.nominal_dbfs = nominal;
    o.max_dbfs = maxl;
    o.alias_dbfs = alias;
    uint32_t block = (uint32_t)blockd;
    if (lv2 && !in_given) in_dbu = 18.0;
    double in_vpu = gs_dbu_to_volts_per_unit(in_dbu), out_vpu = gs_dbu_to_volts_per_unit(out_dbu);

    gsm_dut dut;
    gsm_chan_dut cd = {0};
    gs_channel *ch = NULL;
    gsm_lv2host *host = NULL;
    gs_preset *pr = NULL;
    char name[256], id[1024], settings[2048];
    const char *kind;
    int ec = 0;
    if (lv2) {
        char err[512] = "";
        if (gsm_lv2host_new(lv2, rate, block, lv2sets, nlv2, &host, err, sizeof err)) {
            cli_error("%s", err);
            return EXIT_RUNTIME;
        }
        dut = (gsm_dut){host,   gsm_lv2host_process, rate, block, gsm_lv2host_latency(host), in_vpu,
                        out_vpu};
        kind = "lv2";
        snprintf(name, sizeof name, "%s", gsm_lv2host_name(host));
        snprintf(id, sizeof id, "%s", lv2);
        snprintf(settings, sizeof settings, "%s", gsm_lv2host_settings(host));
    } else {
        gs_status st;
        if (model) {
            st = gs_channel_new(model, rate, block, &ch);
            kind = "model";
            snprintf(name, sizeof name, "%s", model);
        } else {
            pr = cli_load_preset(preset ? preset : "clean", &ec);
            if (!pr) return ec;
            st = gs_channel_new_preset(pr, rate, block, &ch);
            kind = "preset";
            snprintf(name, sizeof name, "%s", gs_preset_name(pr));
        }
        if (st != GS_OK) {
            cli_error("cannot create %s '%s': %s", kind, name, gs_strerror(st));
            gs_preset_free(pr);
            return st == GS_ERR_UNKNOWN_MODEL ? EXIT_USAGE : EXIT_RUNTIME;
        }
        for (int i = 0; i < nsets; i++)
            if (cli_apply_set(ch, sets[i])) {
                gs_channel_free(ch);
                gs_preset_free(pr);
                return EXIT_USAGE;
            }
        gs_channel_reset(ch); /* values jump to their targets: no glide in the measurement */
        snprintf(id, sizeof id, "%s", name);
        size_t len = 0;
        settings[0] = '\0';
        for (size_t i = 0; i < gs_channel_param_count(ch) && len + 64 < sizeof settings; i++) {
            const gs_param_info *pi = gs_channel_param_info(ch, i);
            char v[48];
            gs_format_value(gs_channel_get(ch, i), pi->unit, pi->choices, v, sizeof v);
            len += (size_t)snprintf(settings + len, sizeof settings - len, "%s%s=%s",
                                    len ? ", " : "", pi->symbol, v);
        }
        if (gsm_chan_dut_init(&cd, ch, in_vpu, out_vpu, block, &dut)) {
            cli_error("out of memory");
            gs_channel_free(ch);
            gs_preset_free(pr);
            return EXIT_RUNTIME;
        }
    }
    gsm_report *r = calloc(1, sizeof *r);
    int rc = r ? gsm_measure_all(&dut, &o, r) : -1;
    if (rc) {
        cli_error("the device failed while being measured");
        ec = EXIT_RUNTIME;
    } else {
        json_t *j = gsm_report_json(r, &o, name, kind, id, settings);
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
    gsm_chan_dut_free(&cd);
    gs_channel_free(ch);
    gs_preset_free(pr);
    gsm_lv2host_free(host);
    gsm_plot_shutdown();
    return ec;
}
