/* gainstage process: stream an audio file through one channel model per file channel.
 *
 * Safety rules: the input is opened read-only and never written; the output is written to a
 * temporary file in the output's folder and renamed over the output only after everything
 * succeeded, so a failed, full-disk or interrupted run leaves no partial output. Memory is constant
 * (blocks of BLOCK frames), whatever the file's length.
 */
#include "atomic.h"
#include "autogain.h"
#include "commands.h"
#include "util.h"

#include <sndfile.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 1024u
#define MAX_CHANNELS 64
#define MAX_SETS 128


static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static const char help_text[] =
    "Usage: gainstage process [OPTIONS] IN OUT\n"
    "\n"
    "Run an audio file through a preamp, one model instance per channel, streaming in blocks\n"
    "(any length, constant memory). The output is aligned with the input (the model's latency is\n"
    "compensated) and is written atomically: on any error nothing is left at OUT.\n"
    "\n"
    "Model:\n"
    "  -p, --preset NAME|FILE  a built-in preset (see 'gainstage presets') or a preset file;\n"
    "                          default: clean\n"
    "  -m, --model NAME        a model with its default values instead (see 'gainstage models'),\n"
    "                          e.g. opamp-stage to run one bare circuit block\n"
    "      --chain 'BLOCK | ...'  a strip: blocks run in order, in volts, each written\n"
    "                          [NAME:]MODEL [SYMBOL=VALUE]...; --set takes block.symbol (or\n"
    "                          a symbol only one block has). E.g. --chain 'source type=ribbon\n"
    "                          | tube-preamp drive=6dB | converter bits=24'\n"
    "  -s, --set SYMBOL=VALUE  set a parameter (repeatable); values take SI prefixes and units:\n"
    "                          --set gain=40dB --set cin=22u --set rin=1M\n"
    "Levels (a file's level is the dBu RMS of a sine at 0 dBFS):\n"
    "      --in-dbu X          input calibration in dBu (default -20)\n"
    "      --in-volts V        or: volts at the input for a sample value of 1.0\n"
    "      --out-dbu X         output calibration in dBu (default +18, EBU R68)\n"
    "      --out-volts V       or: volts at the output for a sample value of 1.0\n"
    "Output:\n"
    "  -f, --format FMT        f32, s24 or s16 (default: like the input; float for float input)\n"
    "      --dither TYPE       tpdf (default for integer output) or none\n"
    "      --seed N            seed of the output dither and of every model with a noise source\n"
    "                          (its `seed` parameter: N for the first file channel, N+1 for\n"
    "                          the next, ...; a --set seed=... wins); default 1: reproducible\n"
    "Input gain:\n"
    "      --auto-gain M:LEVEL first read the whole input, then set the input gain so that its\n"
    "                          measure M reaches LEVEL, and print the gain chosen. M is peak\n"
    "                          (sample peak, dBFS), truepeak (dBTP, BS.1770-4), rms (dBFS,\n"
    "                          AES17: a full-scale sine is 0) or lufs (integrated loudness,\n"
    "                          BS.1770-4/EBU R128): --auto-gain peak:-1dBFS, lufs:-18\n"
    "                          (the gain is limited to +/-60 dB; silence keeps 0 dB)\n"
    "      --no-compensate     keep the model's latency in the output instead of removing it\n"
    "  -q, --quiet             no progress bar and no summary line\n"
    "  -h, --help              show this help\n"
    "\n"
    "The output container follows OUT's extension: .wav (RF64 beyond 4 GiB), .flac, .aiff, .caf,\n"
    "  .w64, .rf64. Float output keeps values above 0 dBFS; integer output clips them and counts.\n"
    "Exit status: 0 success, 1 runtime failure (unreadable input, full disk), 2 usage error.\n";

enum {
    OPT_IN_DBU = 256,
    OPT_IN_VOLTS,
    OPT_OUT_DBU,
    OPT_OUT_VOLTS,
    OPT_DITHER,
    OPT_SEED,
    OPT_NOCOMP,
    OPT_AUTOGAIN,
    OPT_CHAIN
};

typedef struct options {
    const char *preset, *model, *chain;
    const char *sets[MAX_SETS];
    int nsets;
    double in_vpu, out_vpu; /* volts per unit sample */
    int in_given, out_given;
    const char *format;
    int dither; /* -1: default */
    uint64_t seed;
    int auto_kind; /* 0: none, else an AG_ value */
    double auto_target;
    int compensate;
    int quiet;
    const char *in, *out;
} options;

/* Output containers by file extension. */
static int major_for_path(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return 0;
    static const struct {
        const char *ext;
        int major;
    } map[] = {{"wav", SF_FORMAT_RF64}, {"wave", SF_FORMAT_RF64}, {"flac", SF_FORMAT_FLAC},
               {"aif", SF_FORMAT_AIFF}, {"aiff", SF_FORMAT_AIFF}, {"caf", SF_FORMAT_CAF},
               {"w64", SF_FORMAT_W64},  {"rf64", SF_FORMAT_RF64}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot + 1, map[i].ext)) return map[i].major;
    return 0;
}

/* Bits of the output's integer format, 0 for float. */
static int out_bits(int subtype) {
    switch (subtype) {
    case SF_FORMAT_PCM_16: return 16;
    case SF_FORMAT_PCM_24: return 24;
    default: return 0;
    }
}

static int subtype_for(const char *fmt, int in_format, int major) {
    if (fmt) {
        if (!strcmp(fmt, "f32")) return SF_FORMAT_FLOAT;
        if (!strcmp(fmt, "s24")) return SF_FORMAT_PCM_24;
        if (!strcmp(fmt, "s16")) return SF_FORMAT_PCM_16;
        return -1;
    }
    int sub = in_format & SF_FORMAT_SUBMASK;
    int out;
    switch (sub) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8:
    case SF_FORMAT_PCM_16: out = SF_FORMAT_PCM_16; break;
    case SF_FORMAT_PCM_24: out = SF_FORMAT_PCM_24; break;
    default: out = SF_FORMAT_FLOAT; break;
    }
    if (major == SF_FORMAT_FLAC && out == SF_FORMAT_FLOAT) out = SF_FORMAT_PCM_24;
    return out;
}

static void progress(double done, double total, time_t start, int final) {
    int width = 30;
    double frac = total > 0 ? done / total : 1.0;
    if (frac > 1.0) frac = 1.0;
    int fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double el = difftime(time(NULL), start);
    fprintf(stderr, "\rprocessing [%s] %3d%%  %5.0f s of audio in %3.0f s%s", bar,
            (int)(frac * 100.0), done, el, final ? "\n" : "");
    fflush(stderr);
}

static double dbfs(double peak) { return peak > 0 ? 20.0 * log10(peak) : -INFINITY; }

/* --in-dbu, --out-dbu, --in-volts or --out-volts: 0 or an exit status. */
static int parse_level(int c, const char *arg, options *o) {
    int in = c == OPT_IN_DBU || c == OPT_IN_VOLTS;
    double v;
    if (c == OPT_IN_DBU || c == OPT_OUT_DBU) {
        if (cli_parse_double(arg, &v) || v < -120.0 || v > 60.0) {
            cli_error("--%s needs a level in dBu from -120 to +60, not '%s'",
                      in ? "in-dbu" : "out-dbu", arg);
            return EXIT_USAGE;
        }
        v = gs_dbu_to_volts_per_unit(v);
    } else if (gs_parse_value(arg, GS_UNIT_VOLT, NULL, &v) != GS_OK || !(v > 0) || v > 1e4) {
        cli_error("--%s needs a positive voltage up to 10 kV (e.g. 1.5, 200m), not '%s'",
                  in ? "in-volts" : "out-volts", arg);
        return EXIT_USAGE;
    }
    if (in) {
        o->in_vpu = v;
        o->in_given++;
    } else {
        o->out_vpu = v;
        o->out_given++;
    }
    return 0;
}

static int parse_dither(const char *arg, int *dither) {
    if (!strcmp(arg, "tpdf"))
        *dither = 1;
    else if (!strcmp(arg, "none"))
        *dither = 0;
    else {
        cli_error("--dither must be tpdf or none, not '%s'", arg);
        return EXIT_USAGE;
    }
    return 0;
}

static int parse_seed(const char *arg, uint64_t *seed) {
    char *end;
    errno = 0;
    unsigned long long s = strtoull(arg, &end, 10);
    if (end == arg || *end || errno || arg[0] == '-') {
        cli_error("--seed needs a whole number, not '%s'", arg);
        return EXIT_USAGE;
    }
    *seed = s;
    return 0;
}

/* One option from getopt_long (its argument in optarg): 0, -1 after --help, or an exit status. */
static int parse_one(int c, char **argv, options *o) {
    switch (c) {
    case 'p': o->preset = optarg; return 0;
    case 'm': o->model = optarg; return 0;
    case OPT_CHAIN: o->chain = optarg; return 0;
    case 's':
        if (o->nsets == MAX_SETS) {
            cli_error("too many --set options (at most %d)", MAX_SETS);
            return EXIT_USAGE;
        }
        o->sets[o->nsets++] = optarg;
        return 0;
    case 'f':
        if (strcmp(optarg, "f32") && strcmp(optarg, "s24") && strcmp(optarg, "s16")) {
            cli_error("--format must be f32, s24 or s16, not '%s'", optarg);
            return EXIT_USAGE;
        }
        o->format = optarg;
        return 0;
    case 'q': o->quiet = 1; return 0;
    case 'h': fputs(help_text, stdout); return -1;
    case OPT_IN_DBU:
    case OPT_OUT_DBU:
    case OPT_IN_VOLTS:
    case OPT_OUT_VOLTS: return parse_level(c, optarg, o);
    case OPT_DITHER: return parse_dither(optarg, &o->dither);
    case OPT_SEED: return parse_seed(optarg, &o->seed);
    case OPT_NOCOMP: o->compensate = 0; return 0;
    case OPT_AUTOGAIN:
        return autogain_parse(optarg, &o->auto_kind, &o->auto_target) ? EXIT_USAGE : 0;
    case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
    default:
        cli_error("process: unknown option '%s' (see 'gainstage process --help')",
                  argv[optind - 1]);
        return EXIT_USAGE;
    }
}

/* What getopt cannot check: options that exclude each other, and the two file names. */
static int check_options(int argc, char **argv, options *o) {
    if (o->in_given > 1 || o->out_given > 1) {
        cli_error("give the %s calibration once (--%s-dbu or --%s-volts)",
                  o->in_given > 1 ? "input" : "output", o->in_given > 1 ? "in" : "out",
                  o->in_given > 1 ? "in" : "out");
        return EXIT_USAGE;
    }
    if ((o->preset != NULL) + (o->model != NULL) + (o->chain != NULL) > 1) {
        cli_error(o->chain ? "give only one of --preset, --model and --chain"
                           : "give --preset or --model, not both");
        return EXIT_USAGE;
    }
    if (argc - optind != 2) {
        cli_error(argc - optind < 2 ? "process needs an input and an output file (see 'gainstage "
                                      "process --help')"
                                    : "process takes one input and one output file, got %d "
                                      "names",
                  argc - optind);
        return EXIT_USAGE;
    }
    o->in = argv[optind];
    o->out = argv[optind + 1];
    return 0;
}

/* 0, -1 after --help, or an exit status. */
static int parse_options(int argc, char **argv, options *o) {
    static const struct option opts[] = {{"preset", required_argument, 0, 'p'},
                                         {"model", required_argument, 0, 'm'},
                                         {"set", required_argument, 0, 's'},
                                         {"format", required_argument, 0, 'f'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {"in-dbu", required_argument, 0, OPT_IN_DBU},
                                         {"in-volts", required_argument, 0, OPT_IN_VOLTS},
                                         {"out-dbu", required_argument, 0, OPT_OUT_DBU},
                                         {"out-volts", required_argument, 0, OPT_OUT_VOLTS},
                                         {"dither", required_argument, 0, OPT_DITHER},
                                         {"seed", required_argument, 0, OPT_SEED},
                                         {"no-compensate", no_argument, 0, OPT_NOCOMP},
                                         {"auto-gain", required_argument, 0, OPT_AUTOGAIN},
                                         {"chain", required_argument, 0, OPT_CHAIN},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->in_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    o->out_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    o->dither = -1;
    o->seed = 1;
    o->compensate = 1;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:m:s:f:qh", opts, NULL)) != -1) {
        int r = parse_one(c, argv, o);
        if (r) return r;
    }
    return check_options(argc, argv, o);
}

typedef struct job {
    const options *o;
    const char *model;
    gs_preset *preset;
    SNDFILE *in, *out;
    SF_INFO iinfo, oinfo;
    gsc_atomic tmp; /* the output until it is complete */
    int major, subtype, bits, nch;
    double rate;
    gs_channel *ch[MAX_CHANNELS];
    gs_stream *st[MAX_CHANNELS]; /* calibration and meters around each channel */
    gs_quantizer *qz;            /* integer output only */
    float *ibuf, *obuf, *mono;
    int32_t *ibits;
    uint64_t to_skip, tail; /* latency frames still to drop at the start, to flush at the end */
    uint64_t frames_in, frames_out;
    double peak_in_skipped;              /* input peak while the dropped frames came out */
    uint64_t over_skipped[MAX_CHANNELS]; /* output clips among the dropped frames */
} job;

static void job_init(job *j, const options *o) {
    memset(j, 0, sizeof *j);
    j->o = o;
    j->tmp.fd = -1;
}

static void job_cleanup(job *j) {
    if (j->out) sf_close(j->out);
    j->out = NULL;
    gsc_atomic_abort(&j->tmp); /* nothing left once committed */
    if (j->in) sf_close(j->in);
    for (int c = 0; c < MAX_CHANNELS; c++) {
        gs_stream_free(j->st[c]);
        gs_channel_free(j->ch[c]);
    }
    gs_quantizer_free(j->qz);
    gs_preset_free(j->preset);
    free(j->ibuf);
    free(j->obuf);
    free(j->mono);
    free(j->ibits);
}

/* ---- policy: model, files, formats, calibration ---------------------------------------------
 */

/* Model and values first: usage errors should not depend on the files. A probe instance
 * validates --set before any file is touched. */
static int load_model(const options *o, job *j) {
    int code = EXIT_RUNTIME;
    j->model = o->model;
    if (!j->model) {
        j->preset = o->chain ? cli_load_chain(o->chain, &code)
                             : cli_load_preset(o->preset ? o->preset : "clean", &code);
        if (!j->preset) return code;
        j->model = gs_preset_model(j->preset);
    } else if (!gs_model_find(j->model)) {
        cli_unknown_model(j->model);
        return EXIT_USAGE;
    }
    gs_channel *probe = NULL;
    gs_status st = j->preset ? gs_channel_new_preset(j->preset, 48000.0, BLOCK, &probe)
                             : gs_channel_new(j->model, 48000.0, BLOCK, &probe);
    if (st != GS_OK) {
        cli_error("cannot create model %s: %s", j->model, gs_strerror(st));
        return EXIT_RUNTIME;
    }
    int r = 0;
    for (int i = 0; i < o->nsets && !r; i++)
        if (cli_apply_set(probe, o->sets[i])) r = EXIT_USAGE;
    gs_channel_free(probe);
    return r;
}

/* Never touch the input: refuse an output that is the input file itself. */
static int check_paths(const options *o) {
    struct stat sin, sout;
    if (stat(o->in, &sin) != 0) {
        cli_error("cannot open input '%s': %s", o->in, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (S_ISDIR(sin.st_mode)) {
        cli_error("input '%s' is a folder, not an audio file", o->in);
        return EXIT_RUNTIME;
    }
    if (stat(o->out, &sout) == 0) {
        if (sout.st_dev == sin.st_dev && sout.st_ino == sin.st_ino) {
            cli_error("output '%s' is the input file; choose another output name", o->out);
            return EXIT_USAGE;
        }
        if (S_ISDIR(sout.st_mode)) {
            cli_error("output '%s' is a folder; give a file name", o->out);
            return EXIT_USAGE;
        }
    }
    return 0;
}

static int open_input(const options *o, job *j) {
    j->major = major_for_path(o->out);
    if (!j->major) {
        cli_error("cannot tell the output format from '%s': use .wav, .flac, .aiff, .caf, .w64 "
                  "or .rf64",
                  o->out);
        return EXIT_USAGE;
    }
    j->in = sf_open(o->in, SFM_READ, &j->iinfo);
    if (!j->in) {
        cli_error("cannot read input '%s': %s", o->in, sf_strerror(NULL));
        return EXIT_RUNTIME;
    }
    if (j->iinfo.channels < 1 || j->iinfo.channels > MAX_CHANNELS) {
        cli_error("input '%s' has %d channels; at most %d are supported", o->in, j->iinfo.channels,
                  MAX_CHANNELS);
        return EXIT_RUNTIME;
    }
    j->rate = (double)j->iinfo.samplerate;
    if (j->rate < GS_RATE_MIN || j->rate > GS_RATE_MAX) {
        cli_error("input '%s' is at %d Hz; gainstage runs at 44.1 to 192 kHz (resample first, "
                  "e.g. with sox)",
                  o->in, j->iinfo.samplerate);
        return EXIT_RUNTIME;
    }
    j->nch = j->iinfo.channels;
    return 0;
}

static int output_format(const options *o, job *j) {
    int major = j->major, subtype = subtype_for(o->format, j->iinfo.format, major);
    if (major == SF_FORMAT_FLAC && subtype == SF_FORMAT_FLOAT) {
        cli_error("FLAC cannot store 32-bit float; use --format s24 or a .wav output");
        return EXIT_USAGE;
    }
    /* A .wav stays plain RIFF WAV when it fits (4 GiB); a longer one is written as RF64, the
     * EBU's 64-bit extension of WAV. */
    if (major == SF_FORMAT_RF64) {
        const char *ext = strrchr(o->out, '.');
        int bytes = subtype == SF_FORMAT_PCM_16 ? 2 : (subtype == SF_FORMAT_PCM_24 ? 3 : 4);
        double size = ((double)j->iinfo.frames + 1e6) * j->nch * bytes;
        if (ext && strcasecmp(ext, ".rf64") != 0 && size < 4294967295.0 - 65536.0)
            major = SF_FORMAT_WAV;
    }
    memset(&j->oinfo, 0, sizeof j->oinfo);
    j->oinfo.samplerate = j->iinfo.samplerate;
    j->oinfo.channels = j->nch;
    j->oinfo.format = major | subtype;
    if (!sf_format_check(&j->oinfo)) {
        cli_error("the output format of '%s' cannot hold %s audio", o->out,
                  o->format ? o->format : "this");
        return EXIT_USAGE;
    }
    j->subtype = subtype;
    j->bits = out_bits(subtype);
    return 0;
}

/* One channel per file channel, at the requested values and at its DC operating point, each in
 * a stream. */
static int make_channels(const options *o, job *j) {
    for (int c = 0; c < j->nch; c++) {
        gs_status st = j->preset ? gs_channel_new_preset(j->preset, j->rate, BLOCK, &j->ch[c])
                                 : gs_channel_new(j->model, j->rate, BLOCK, &j->ch[c]);
        if (st == GS_OK) st = gs_stream_new(j->ch[c], 0, &j->st[c]);
        if (st != GS_OK) {
            cli_error("cannot create model %s at %d Hz: %s", j->model, j->iinfo.samplerate,
                      gs_strerror(st));
            return EXIT_RUNTIME;
        }
        /* Models with a noise source are seeded from --seed, one stream per file channel (so a
         * stereo file does not get the same noise twice); an explicit --set seed=... wins. */
        size_t seed_id;
        if (gs_channel_param_find(j->ch[c], "seed", &seed_id) == GS_OK)
            gs_channel_set(j->ch[c], seed_id, (double)((o->seed + (uint64_t)c) & 0xffffffffu));
        for (int i = 0; i < o->nsets; i++) cli_apply_set(j->ch[c], o->sets[i]); /* validated */
        gs_channel_reset(j->ch[c]); /* start at the requested values, at the DC operating point */
    }
    j->to_skip = j->tail = o->compensate ? gs_channel_latency(j->ch[0]) : 0;
    return 0;
}

/* --auto-gain: a first pass over the whole input, then the input gain in dB that brings the
 * chosen measure to the target. */
static int auto_gain(const options *o, job *j, double *gain_db) {
    *gain_db = 0.0;
    if (!o->auto_kind) return 0;
    double measured;
    int e = autogain_measure(j->in, &j->iinfo, o->in, o->auto_kind, &measured);
    if (e) return e;
    const char *unit = autogain_unit(o->auto_kind);
    if (isfinite(measured)) {
        double db = o->auto_target - measured;
        if (db > AG_MAX_DB) db = AG_MAX_DB;
        if (db < -AG_MAX_DB) db = -AG_MAX_DB;
        *gain_db = db;
        if (!o->quiet)
            fprintf(stderr,
                    "gainstage: auto-gain: input %s %.2f %s, target %.2f %s: input gain "
                    "%+.2f dB\n",
                    autogain_name(o->auto_kind), measured, unit, o->auto_target, unit, db);
    } else if (!o->quiet) {
        fprintf(stderr,
                "gainstage: auto-gain: input %s cannot be measured (silent or too "
                "short); input gain +0.00 dB\n",
                autogain_name(o->auto_kind));
    }
    return 0;
}

/* Calibration of every stream (the auto gain is part of the input's), and the quantiser of an
 * integer output. Float output keeps values above 0 dBFS: the clip meters count those, so the
 * level is the float just above 1.0. */
static int calibrate(const options *o, job *j, double gain_db) {
    double in_scale = o->in_vpu * pow(10.0, gain_db / 20.0);
    for (int c = 0; c < j->nch; c++) {
        gs_stream_set_in_volts(j->st[c], in_scale, 0.0);
        gs_stream_set_out_volts(j->st[c], o->out_vpu, 0.0);
        gs_stream_set_clip_level(j->st[c], nextafter(1.0, 2.0));
    }
    int dither = o->dither < 0 ? (j->bits > 0) : o->dither;
    size_t n = (size_t)BLOCK * (size_t)j->nch;
    j->ibuf = malloc(sizeof(float) * n);
    j->obuf = malloc(sizeof(float) * n);
    j->mono = malloc(sizeof(float) * BLOCK);
    j->ibits = malloc(sizeof(int32_t) * n);
    if (!j->ibuf || !j->obuf || !j->mono || !j->ibits ||
        (j->bits && gs_quantizer_new((unsigned)j->bits, dither, o->seed, &j->qz) != GS_OK)) {
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    return 0;
}

/* The temporary output next to the final one (common/atomic.h). */
static int open_output(const options *o, job *j) {
    if (gsc_atomic_begin(&j->tmp, o->out) != 0) {
        int e = errno;
        if (e == ENAMETOOLONG) {
            cli_error("output path '%s' is too long", o->out);
            return EXIT_USAGE;
        }
        cli_error("cannot write in the output folder of '%s': %s", o->out, strerror(e));
        return EXIT_RUNTIME;
    }
    j->out = sf_open_fd(j->tmp.fd, SFM_WRITE, &j->oinfo, SF_TRUE);
    if (!j->out) {
        cli_error("cannot create output '%s': %s", o->out, sf_strerror(NULL));
        return EXIT_RUNTIME;
    }
    j->tmp.fd = -1; /* libsndfile closes it; the commit reopens the file to sync it */
    return 0;
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Past a file-size limit, write() should fail with EFBIG (reported), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
}

static int prepare(const options *o, job *j) {
    double gain_db = 0.0;
    int r = load_model(o, j);
    if (!r) r = check_paths(o);
    if (!r) r = open_input(o, j);
    if (!r) r = output_format(o, j);
    if (!r) r = make_channels(o, j);
    if (!r) r = auto_gain(o, j, &gain_db);
    if (!r) r = calibrate(o, j, gain_db);
    if (!r) r = open_output(o, j);
    return r;
}

/* ---- the processing loop --------------------------------------------------------------------
 */

/* The next block in ibuf, with the zeros that push the last samples through the latency after
 * the end: its frame count (0 at the end), or -1 on a read error. */
static long read_block(job *j, int *eof) {
    sf_count_t got = 0;
    if (!*eof) {
        got = sf_readf_float(j->in, j->ibuf, BLOCK);
        if (got < 0) got = 0;
        if (got < (sf_count_t)BLOCK) {
            if (sf_error(j->in) != SF_ERR_NO_ERROR) {
                cli_error("error reading input '%s': %s", j->o->in, sf_strerror(j->in));
                return -1;
            }
            *eof = 1;
        }
    }
    uint32_t n = (uint32_t)got;
    if (*eof && n < BLOCK && j->tail > 0) {
        uint32_t extra = BLOCK - n;
        if (extra > j->tail) extra = (uint32_t)j->tail;
        memset(j->ibuf + (size_t)n * (size_t)j->nch, 0, sizeof(float) * extra * (size_t)j->nch);
        n += extra;
        j->tail -= extra;
    }
    j->frames_in += (uint64_t)got;
    return (long)n;
}

/* Each file channel through its stream, ibuf to obuf. The first frames out are the model's
 * latency when it is compensated: dropped, so they are processed in a call of their own and
 * their output levels are left out of the summary. Returns how many of the n frames to drop. */
static uint32_t process_block(job *j, uint32_t n) {
    uint32_t skip = j->to_skip > n ? n : (uint32_t)j->to_skip;
    j->to_skip -= skip;
    size_t nch = (size_t)j->nch;
    for (size_t c = 0; c < nch; c++) {
        for (uint32_t i = 0; i < n; i++) j->mono[i] = j->ibuf[(size_t)i * nch + c];
        if (skip) {
            gs_stream_levels lv;
            gs_stream_process(j->st[c], j->mono, j->mono, skip);
            gs_stream_read_levels(j->st[c], &lv);
            gs_stream_clips(j->st[c], NULL, &j->over_skipped[c]);
            if (lv.peak_in > j->peak_in_skipped) j->peak_in_skipped = lv.peak_in;
        }
        gs_stream_process(j->st[c], j->mono + skip, j->mono + skip, n - skip);
        for (uint32_t i = 0; i < n; i++) j->obuf[(size_t)i * nch + c] = j->mono[i];
    }
    return skip;
}

static int write_block(job *j, uint32_t skip, uint32_t wn) {
    const float *w = j->obuf + (size_t)skip * (size_t)j->nch;
    size_t cnt = (size_t)wn * (size_t)j->nch;
    sf_count_t put;
    if (j->qz) {
        gs_quantizer_process(j->qz, w, j->ibits, cnt);
        /* Left-justify in 32 bits: libsndfile then stores it without rescaling. */
        for (size_t i = 0; i < cnt; i++) j->ibits[i] *= (int32_t)1 << (32 - j->bits);
        put = sf_writef_int(j->out, j->ibits, wn);
    } else {
        put = sf_writef_float(j->out, w, wn);
    }
    if (put != (sf_count_t)wn) {
        int e = errno;
        cli_error("writing output '%s' failed: %s", j->o->out,
                  e ? strerror(e) : sf_strerror(j->out));
        return -1;
    }
    j->frames_out += wn;
    return 0;
}

/* Read, process, write until the end or a signal. Returns 1 on failure. */
static int run_loop(job *j) {
    int show = !j->o->quiet && isatty(STDERR_FILENO);
    time_t start = time(NULL), last = 0;
    uint64_t total = j->iinfo.frames > 0 ? (uint64_t)j->iinfo.frames : 0;
    int failed = 0, eof = 0;
    while (!failed && !interrupted) {
        long n = read_block(j, &eof);
        if (n <= 0) {
            failed = n < 0;
            break;
        }
        uint32_t skip = process_block(j, (uint32_t)n);
        failed = write_block(j, skip, (uint32_t)n - skip) != 0;
        if (!failed && show && time(NULL) != last) {
            last = time(NULL);
            progress((double)j->frames_in / j->rate, (double)total / j->rate, start, 0);
        }
    }
    if (show && !failed && !interrupted)
        progress((double)j->frames_in / j->rate, (double)total / j->rate, start, 1);
    else if (show)
        fputc('\n', stderr);
    return failed;
}

static void summary(const options *o, const job *j) {
    double peak_in = j->peak_in_skipped, peak_out = 0.0;
    uint64_t over = 0;
    for (int c = 0; c < j->nch; c++) {
        gs_stream_levels lv;
        uint64_t clips;
        gs_stream_read_levels(j->st[c], &lv);
        gs_stream_clips(j->st[c], NULL, &clips);
        if (lv.peak_in > peak_in) peak_in = lv.peak_in;
        if (lv.peak_out > peak_out) peak_out = lv.peak_out;
        over += clips - j->over_skipped[c];
    }
    uint64_t clipped = gs_quantizer_clip_count(j->qz);
    double in_dbu = gs_volts_per_unit_to_dbu(o->in_vpu);
    double out_dbu = gs_volts_per_unit_to_dbu(o->out_vpu);
    fprintf(stderr,
            "gainstage: %s -> %s: %s, %d ch, %d Hz, %.2f s; peak in %.1f dBFS (%.1f dBu), "
            "peak out %.1f dBFS (%.1f dBu); %llu samples %s; latency %u samples %s\n",
            o->in, o->out, j->preset ? gs_preset_name(j->preset) : j->model, j->nch,
            j->iinfo.samplerate, (double)j->frames_out / j->rate, dbfs(peak_in),
            dbfs(peak_in) + in_dbu, dbfs(peak_out), dbfs(peak_out) + out_dbu,
            (unsigned long long)(j->bits ? clipped : over),
            j->bits ? "clipped" : "above 0 dBFS (kept, float)", gs_channel_latency(j->ch[0]),
            o->compensate ? "compensated" : "kept");
}

/* Close (flushes headers), then sync and rename into place. */
static int finish(const options *o, job *j, int failed) {
    if (interrupted && !failed) {
        cli_error("interrupted by signal %d; no output written", (int)interrupted);
        return 128 + (int)interrupted;
    }
    if (failed) return EXIT_RUNTIME;
    int cerr = sf_close(j->out);
    j->out = NULL;
    if (cerr != 0) {
        cli_error("finishing output '%s' failed: %s", o->out, sf_error_number(cerr));
        return EXIT_RUNTIME;
    }
    if (gsc_atomic_commit(&j->tmp) != 0) {
        cli_error("cannot move the finished output to '%s': %s", o->out, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (!o->quiet) summary(o, j);
    return 0;
}

int cmd_process(int argc, char **argv) {
    options o;
    int r = parse_options(argc, argv, &o);
    if (r < 0) return 0; /* --help */
    if (r) return r;
    job j;
    job_init(&j, &o);
    r = prepare(&o, &j);
    if (!r) {
        install_signals();
        r = finish(&o, &j, run_loop(&j));
    }
    job_cleanup(&j);
    return r;
}
