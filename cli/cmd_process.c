/* gainstage process: stream an audio file through one channel model per file channel.
 *
 * Safety rules: the input is opened read-only and never written; the output is written to a
 * temporary file in the output's folder and renamed over the output only after everything
 * succeeded, so a failed, full-disk or interrupted run leaves no partial output. Memory is constant
 * (blocks of BLOCK frames), whatever the file's length.
 */
#include "atomic.h"
#include "autogain.h"
#include "batch.h"
#include "commands.h"
#include "util.h"

#include <sndfile.h>

#include <errno.h>
#include <fcntl.h>
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
    "       gainstage process [OPTIONS] IN... -o DIR\n"
    "\n"
    "Run audio files through a preamp, one model instance per channel, streaming in blocks\n"
    "(any length, constant memory). The output is aligned with the input (the model's latency is\n"
    "compensated) and is written atomically: on any error nothing is left at OUT. An existing\n"
    "OUT is never replaced without --force, and never when it is an input.\n"
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
    "Levels (a file's level is the dBu RMS of a sine at 0 dBFS; see 'Levels and re-amping'\n"
    "in gainstage(1)):\n"
    "      --in-dbu X          input calibration in dBu (default -20; a mic recording about\n"
    "                          -30, a DI about 0, a line-level mix +18 or +24)\n"
    "      --in-volts V        or: volts at the input for a sample value of 1.0\n"
    "      --out-dbu X         output calibration in dBu (default +18, EBU R68)\n"
    "      --out-volts V       or: volts at the output for a sample value of 1.0\n"
    "      --auto-input M:LEVEL  first read the whole input, then set the input gain so that\n"
    "                          the preamp sees its measure M at LEVEL (e.g. peak:-12); printed\n"
    "      --auto-output M:LEVEL  run the file once unwritten, then set the output gain (after\n"
    "                          the preamp) so that the output lands at LEVEL (e.g. peak:-1)\n"
    "                          M is peak (sample peak, dBFS), truepeak (dBTP, BS.1770-4), rms\n"
    "                          (dBFS, AES17: a full-scale sine is 0) or lufs (integrated\n"
    "                          loudness, BS.1770-4/EBU R128); gains are limited to +/-60 dB,\n"
    "                          silence keeps 0 dB. --auto-gain is the old name of --auto-input\n"
    ;
/* In two parts: ISO C asks compilers to support string literals of 4095 characters only. */
static const char help_text_output[] =
    "Output:\n"
    "  -o, --output DIR        write each IN as DIR/NAME (its extension changed by --type);\n"
    "                          every output is checked before the first file is written\n"
    "      --jobs N            files processed at once with -o (default: the number of cores)\n"
    "      --force             overwrite existing outputs (never an input)\n"
    "  -f, --format FMT        f32, s24 or s16 (default: like the input; float for float input)\n"
    "      --type EXT          the container by extension, for '-' (default wav) and -o DIR\n"
    "      --quality Q         0 to 1: encoding quality of .ogg, .opus, .mp3 (libsndfile's VBR\n"
    "                          quality; default the codec's), or for .flac 1 = smallest file\n"
    "      --dither TYPE       tpdf (default for integer output) or none\n"
    "      --seed N            seed of the output dither and of every model with a noise source\n"
    "                          (its `seed` parameter: N for the first file channel, N+1 for\n"
    "                          the next, ...; a --set seed=... wins); default 1: reproducible\n"
    "      --no-compensate     keep the model's latency in the output instead of removing it\n"
    "  -q, --quiet             no progress bar and no summary line\n"
    "  -h, --help              show this help\n"
    "\n"
    "The output container follows OUT's extension: .wav (RF64 beyond 4 GiB), .flac, .aiff, .caf,\n"
    "  .w64, .rf64, .au, and where this libsndfile has them .ogg (Vorbis), .opus (48 kHz and\n"
    "  below) and .mp3. Float output keeps values above 0 dBFS; integer output clips them,\n"
    "  counts them and says how to avoid it.\n"
    "IN or OUT may be '-': standard input (any format libsndfile reads) or standard output\n"
    "  (WAV, or --type). Both pass through a temporary file, so a failed run writes nothing.\n"
    "Progress: a bar on a terminal (with -o: one for the batch, and a line per file).\n"
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
    OPT_AUTO_INPUT,
    OPT_AUTO_OUTPUT,
    OPT_JOBS,
    OPT_FORCE,
    OPT_TYPE,
    OPT_QUALITY,
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
    /* batch and writing (issue 17) */
    const char *outdir; /* -o DIR: every name is an input */
    const char *const *ins;
    int nin, jobs, force, batch;
    const char *type; /* --type: the container by extension, for '-' and -o DIR */
    double quality;   /* --quality 0..1, -1 when not given */
    int out_kind;     /* --auto-output: 0 or an AG_ value */
    double out_target;
    double in_gain_db; /* the input gain without --auto-input (its second pass reuses it) */
} options;

/* Output containers by extension; lossy ones fix their codec (`sub`), the others take the sample
 * format from --format or the input. */
static const struct {
    const char *ext;
    int major, sub;
} containers[] = {{"wav", SF_FORMAT_RF64, 0},
                  {"wave", SF_FORMAT_RF64, 0},
                  {"flac", SF_FORMAT_FLAC, 0},
                  {"aif", SF_FORMAT_AIFF, 0},
                  {"aiff", SF_FORMAT_AIFF, 0},
                  {"caf", SF_FORMAT_CAF, 0},
                  {"w64", SF_FORMAT_W64, 0},
                  {"rf64", SF_FORMAT_RF64, 0},
                  {"au", SF_FORMAT_AU, 0},
                  {"ogg", SF_FORMAT_OGG, SF_FORMAT_VORBIS},
                  {"oga", SF_FORMAT_OGG, SF_FORMAT_VORBIS},
                  {"opus", SF_FORMAT_OGG, SF_FORMAT_OPUS},
                  {"mp3", SF_FORMAT_MPEG, SF_FORMAT_MPEG_LAYER_III}};
#define NCONTAINERS (sizeof containers / sizeof containers[0])

/* The extension of a path ("wav"), or NULL. */
static const char *path_ext(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    return !dot || (slash && dot < slash) ? NULL : dot + 1;
}

/* Index in containers[] of an extension, or -1. */
static int container_of(const char *ext) {
    for (size_t i = 0; ext && i < NCONTAINERS; i++)
        if (!strcasecmp(ext, containers[i].ext)) return (int)i;
    return -1;
}

/* Whether the installed libsndfile lists this major format and codec (it may be built without
 * Ogg, Opus or MPEG). */
static int sndfile_has(int what, int count_cmd, int get_cmd) {
    int n = 0;
    sf_command(NULL, count_cmd, &n, sizeof n);
    for (int i = 0; i < n; i++) {
        SF_FORMAT_INFO f;
        memset(&f, 0, sizeof f);
        f.format = i;
        if (sf_command(NULL, get_cmd, &f, sizeof f) == 0 && f.format == what) return 1;
    }
    return 0;
}

static int container_available(int i) {
    return sndfile_has(containers[i].major, SFC_GET_FORMAT_MAJOR_COUNT, SFC_GET_FORMAT_MAJOR) &&
           (!containers[i].sub ||
            sndfile_has(containers[i].sub, SFC_GET_FORMAT_SUBTYPE_COUNT, SFC_GET_FORMAT_SUBTYPE));
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

/* A number from lo to hi for --NAME. */
static int parse_range(const char *name, const char *arg, double lo, double hi, double *v) {
    if (cli_parse_double(arg, v) || *v < lo || *v > hi) {
        cli_error("--%s needs a number from %g to %g, not '%s'", name, lo, hi, arg);
        return EXIT_USAGE;
    }
    return 0;
}

/* The options of batches, containers and output levels: 0, an exit status, or -2 if `c` is not
 * one of them. */
static int parse_writing(int c, options *o) {
    double v;
    switch (c) {
    case 'o': o->outdir = optarg; return 0;
    case OPT_FORCE: o->force = 1; return 0;
    case OPT_JOBS:
        if (parse_range("jobs", optarg, 1, 256, &v)) return EXIT_USAGE;
        if (v != floor(v)) {
            cli_error("--jobs needs a whole number, not '%s'", optarg);
            return EXIT_USAGE;
        }
        o->jobs = (int)v;
        return 0;
    case OPT_QUALITY:
        if (parse_range("quality", optarg, 0, 1, &o->quality)) return EXIT_USAGE;
        return 0;
    case OPT_TYPE:
        if (container_of(optarg) < 0) {
            cli_error("--type must be an output extension (wav, flac, aiff, caf, w64, rf64, au, "
                      "ogg, opus, mp3), not '%s'",
                      optarg);
            return EXIT_USAGE;
        }
        o->type = optarg;
        return 0;
    case OPT_AUTOGAIN: /* the old spelling: a target for the input, as it always meant */
    case OPT_AUTO_INPUT:
        return autogain_parse(c == OPT_AUTOGAIN ? "auto-gain" : "auto-input", optarg,
                              &o->auto_kind, &o->auto_target)
                   ? EXIT_USAGE
                   : 0;
    case OPT_AUTO_OUTPUT:
        return autogain_parse("auto-output", optarg, &o->out_kind, &o->out_target) ? EXIT_USAGE
                                                                                    : 0;
    default: return -2;
    }
}

/* One option from getopt_long (its argument in optarg): 0, -1 after --help, or an exit status. */
static int parse_one(int c, char **argv, options *o) {
    int w;
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
    case 'h':
        fputs(help_text, stdout);
        fputs(help_text_output, stdout);
        return -1;
    case OPT_IN_DBU:
    case OPT_OUT_DBU:
    case OPT_IN_VOLTS:
    case OPT_OUT_VOLTS: return parse_level(c, optarg, o);
    case OPT_DITHER: return parse_dither(optarg, &o->dither);
    case OPT_SEED: return parse_seed(optarg, &o->seed);
    case OPT_NOCOMP: o->compensate = 0; return 0;
    case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
    default:
        if ((w = parse_writing(c, o)) != -2) return w;
        cli_error("process: unknown option '%s' (see 'gainstage process --help')",
                  argv[optind - 1]);
        return EXIT_USAGE;
    }
}

/* The names: IN OUT, or IN... with -o DIR. Several names without -o are refused whatever they
 * are: `process a.wav b.wav` from a shell glob must not write over b.wav. */
static int check_names(int n, const char *const *names, options *o) {
    if (o->outdir) {
        if (n < 1) {
            cli_error("process -o DIR needs at least one input file");
            return EXIT_USAGE;
        }
        for (int i = 0; i < n; i++)
            if (!strcmp(names[i], "-")) {
                cli_error("standard input ('-') has no name to write in '%s'; give an output "
                          "file instead of -o",
                          o->outdir);
                return EXIT_USAGE;
            }
        o->ins = names;
        o->nin = n;
        return 0;
    }
    if (n < 2) {
        cli_error("process needs an input and an output file (see 'gainstage process --help')");
        return EXIT_USAGE;
    }
    if (n > 2) {
        cli_error("process takes one input and one output file, got %d names (several inputs: "
                  "-o DIR)",
                  n);
        return EXIT_USAGE;
    }
    o->in = names[0];
    o->out = names[1];
    return 0;
}

/* What getopt cannot check: options that exclude each other, and the file names. */
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
    return check_names(argc - optind, (const char *const *)argv + optind, o);
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
                                         {"auto-input", required_argument, 0, OPT_AUTO_INPUT},
                                         {"auto-output", required_argument, 0, OPT_AUTO_OUTPUT},
                                         {"output", required_argument, 0, 'o'},
                                         {"jobs", required_argument, 0, OPT_JOBS},
                                         {"force", no_argument, 0, OPT_FORCE},
                                         {"type", required_argument, 0, OPT_TYPE},
                                         {"quality", required_argument, 0, OPT_QUALITY},
                                         {"chain", required_argument, 0, OPT_CHAIN},
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->in_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    o->out_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    o->dither = -1;
    o->seed = 1;
    o->compensate = 1;
    o->quality = -1.0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:m:s:f:o:qh", opts, NULL)) != -1) {
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
    int cont;                            /* index in containers[] */
    FILE *pipe_tmp;                      /* output '-': the whole output, copied at the end */
    gs_meter *meter;                     /* --auto-output's first pass: measured, not written */
    double in_gain_db, out_gain_db;      /* chosen by --auto-input and --auto-output */
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
    gs_meter_free(j->meter);
    if (j->pipe_tmp) fclose(j->pipe_tmp);
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

static int stdout_tty(void) {
    cli_error("standard output is a terminal; redirect it (> out.wav) or pipe it");
    return EXIT_USAGE;
}

/* Never touch the input: refuse an output that is the input file itself, and an existing output
 * without --force (a batch checked all of them before it started). */
static int check_paths(const options *o) {
    struct stat sin, sout;
    if (!strcmp(o->in, "-")) {
        memset(&sin, 0, sizeof sin);
        sin.st_ino = (ino_t)-1; /* the spool is a deleted file: nothing on disk is the input */
    } else if (stat(o->in, &sin) != 0) {
        cli_error("cannot open input '%s': %s", o->in, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (S_ISDIR(sin.st_mode)) {
        cli_error("input '%s' is a folder, not an audio file", o->in);
        return EXIT_RUNTIME;
    }
    if (!strcmp(o->out, "-")) return isatty(STDOUT_FILENO) ? stdout_tty() : 0;
    if (stat(o->out, &sout) == 0) {
        if (sout.st_dev == sin.st_dev && sout.st_ino == sin.st_ino) {
            cli_error("output '%s' is the input file; choose another output name", o->out);
            return EXIT_USAGE;
        }
        if (S_ISDIR(sout.st_mode)) {
            cli_error("output '%s' is a folder; give a file name", o->out);
            return EXIT_USAGE;
        }
        if (!o->force && !o->batch) {
            cli_error("output '%s' exists; add --force to overwrite it (several inputs: -o DIR)",
                      o->out);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* The container: --type, else OUT's extension ('-' is WAV unless --type says otherwise). */
static int choose_container(const options *o, job *j) {
    int pipe_out = !strcmp(o->out, "-");
    int by_name = pipe_out ? -1 : container_of(path_ext(o->out));
    int i = o->type ? container_of(o->type) : (pipe_out ? container_of("wav") : by_name);
    if (i < 0) {
        cli_error("cannot tell the output format from '%s': use .wav, .flac, .aiff, .caf, .w64, "
                  ".rf64, .au, .ogg, .opus or .mp3",
                  o->out);
        return EXIT_USAGE;
    }
    if (o->type && !pipe_out && by_name >= 0 &&
        (containers[by_name].major != containers[i].major ||
         containers[by_name].sub != containers[i].sub)) {
        cli_error("--type %s disagrees with the name '%s'", o->type, o->out);
        return EXIT_USAGE;
    }
    if (!container_available(i)) {
        cli_error("this libsndfile (%s) cannot write .%s; choose another output format",
                  sf_version_string(), containers[i].ext);
        return EXIT_USAGE;
    }
    j->cont = i;
    j->major = containers[i].major;
    return 0;
}

/* Standard input is copied to a deleted temporary file first: libsndfile reads few formats
 * from a pipe, and --auto-input/--auto-output read the input twice. The copy is made once;
 * each pass reads a descriptor of its own. */
static int stdin_spool = -1;

static int spool_stdin(void) {
    if (stdin_spool >= 0) return 0;
    if (isatty(STDIN_FILENO)) {
        cli_error("standard input is a terminal; pipe audio into it (< in.wav)");
        return EXIT_USAGE;
    }
    FILE *f = tmpfile();
    char buf[65536];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, n, f) != n) break;
    if (!f || ferror(stdin) || fflush(f) != 0 || ferror(f)) {
        cli_error("cannot copy standard input to a temporary file: %s", strerror(errno));
        if (f) fclose(f);
        return EXIT_RUNTIME;
    }
    stdin_spool = dup(fileno(f)); /* the FILE may go; the deleted file stays while this is open */
    fclose(f);
    return stdin_spool < 0 ? EXIT_RUNTIME : 0;
}

static SNDFILE *open_in(const options *o, SF_INFO *info) {
    if (strcmp(o->in, "-")) return sf_open(o->in, SFM_READ, info);
    int fd = dup(stdin_spool); /* shares the offset: the passes run one after the other */
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) return NULL;
    return sf_open_fd(fd, SFM_READ, info, SF_TRUE);
}

static int open_input(const options *o, job *j) {
    int r = choose_container(o, j);
    if (!r && !strcmp(o->in, "-")) r = spool_stdin();
    if (r) return r;
    j->in = open_in(o, &j->iinfo);
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

/* Lossy codecs take float samples and a --quality, not --format. */
static int lossy_format(const options *o, job *j) {
    const char *ext = containers[j->cont].ext;
    if (o->format) {
        cli_error("--format is for PCM outputs; .%s is lossy (use --quality 0..1)", ext);
        return EXIT_USAGE;
    }
    int r = j->iinfo.samplerate;
    if (containers[j->cont].sub == SF_FORMAT_OPUS &&
        r != 8000 && r != 12000 && r != 16000 && r != 24000 && r != 48000) {
        cli_error("Opus stores 8, 12, 16, 24 or 48 kHz, and '%s' is at %d Hz; write .ogg or "
                  "resample first",
                  o->in, r);
        return EXIT_USAGE;
    }
    memset(&j->oinfo, 0, sizeof j->oinfo);
    j->oinfo.samplerate = r;
    j->oinfo.channels = j->nch;
    j->oinfo.format = j->major | containers[j->cont].sub;
    j->subtype = containers[j->cont].sub;
    j->bits = 0;
    return 0;
}

static int output_format(const options *o, job *j) {
    if (containers[j->cont].sub) return lossy_format(o, j);
    if (o->quality >= 0 && j->major != SF_FORMAT_FLAC) {
        cli_error("--quality is for .ogg, .opus, .mp3 (encoding quality) and .flac "
                  "(compression), not .%s",
                  containers[j->cont].ext);
        return EXIT_USAGE;
    }
    int major = j->major, subtype = subtype_for(o->format, j->iinfo.format, major);
    if (major == SF_FORMAT_FLAC && subtype == SF_FORMAT_FLOAT) {
        cli_error("FLAC cannot store 32-bit float; use --format s24 or a .wav output");
        return EXIT_USAGE;
    }
    /* A .wav stays plain RIFF WAV when it fits (4 GiB); a longer one is written as RF64, the
     * EBU's 64-bit extension of WAV. */
    if (major == SF_FORMAT_RF64) {
        const char *ext = containers[j->cont].ext;
        int bytes = subtype == SF_FORMAT_PCM_16 ? 2 : (subtype == SF_FORMAT_PCM_24 ? 3 : 4);
        double size = ((double)j->iinfo.frames + 1e6) * j->nch * bytes;
        if (strcasecmp(ext, "rf64") != 0 && size < 4294967295.0 - 65536.0)
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
    *gain_db = o->in_gain_db;
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
                    "gainstage: auto-input: input %s %.2f %s, target %.2f %s: input gain "
                    "%+.2f dB\n",
                    autogain_name(o->auto_kind), measured, unit, o->auto_target, unit, db);
    } else if (!o->quiet) {
        fprintf(stderr,
                "gainstage: auto-input: input %s cannot be measured (silent or too "
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
/* --quality: the codec's VBR quality, or FLAC's compression level (both 0..1 in libsndfile;
 * FLAC is lossless, so there 1 is only the smallest, slowest file). */
static int set_quality(const options *o, job *j) {
    if (o->quality < 0) return 0;
    double q = o->quality;
    int cmd = j->major == SF_FORMAT_FLAC ? SFC_SET_COMPRESSION_LEVEL : SFC_SET_VBR_ENCODING_QUALITY;
    if (sf_command(j->out, cmd, &q, sizeof q) != SF_TRUE) {
        cli_error("this libsndfile cannot set the quality of .%s", containers[j->cont].ext);
        return EXIT_USAGE;
    }
    return 0;
}

/* Output '-': a deleted temporary file, copied to standard output once complete, so that a
 * failed run writes nothing there and any container works (libsndfile writes few to a pipe). */
static int open_pipe_output(const options *o, job *j) {
    j->pipe_tmp = tmpfile();
    if (j->pipe_tmp) j->out = sf_open_fd(fileno(j->pipe_tmp), SFM_WRITE, &j->oinfo, SF_FALSE);
    if (!j->out) {
        cli_error("cannot create a temporary output for standard output: %s",
                  j->pipe_tmp ? sf_strerror(NULL) : strerror(errno));
        return EXIT_RUNTIME;
    }
    return set_quality(o, j);
}

static int open_output(const options *o, job *j) {
    if (!strcmp(o->out, "-")) return open_pipe_output(o, j);
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
    return set_quality(o, j);
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

/* measure: the first pass of --auto-output, into a meter instead of a file. */
static int prepare(const options *o, job *j, int measure) {
    double gain_db = 0.0;
    int r = load_model(o, j);
    if (!r) r = check_paths(o);
    if (!r) r = open_input(o, j);
    if (!r) r = output_format(o, j);
    if (!r) r = make_channels(o, j);
    if (!r) r = auto_gain(o, j, &gain_db);
    if (!r) r = calibrate(o, j, gain_db);
    j->in_gain_db = gain_db;
    if (!r && measure &&
        gs_meter_new(j->rate, (unsigned)j->nch, &j->meter) != GS_OK) {
        cli_error("out of memory");
        r = EXIT_RUNTIME;
    }
    if (!r && !measure) r = open_output(o, j);
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
    if (j->meter) {
        gs_meter_process(j->meter, w, wn);
        put = wn;
    } else if (j->qz) {
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
    int show = !j->o->quiet && !j->o->batch && !j->meter && isatty(STDERR_FILENO);
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

/* After clipping: the --out-dbu that brings the peak 1 dB under full scale, and a float PCM
 * output where one is possible. Not for float PCM, which keeps the values. */
static void clip_hint(const job *j, double peak_out_dbfs, double out_dbu, uint64_t n) {
    int pcm_float = !j->bits && !containers[j->cont].sub;
    if (!n || pcm_float || !isfinite(peak_out_dbfs)) return;
    double dbu = ceil(out_dbu + (peak_out_dbfs > 0 ? peak_out_dbfs : 0) + 1.0);
    int can_f32 = j->major != SF_FORMAT_FLAC && !containers[j->cont].sub;
    fprintf(stderr,
            "gainstage: %llu samples clipped: lower the output with --out-dbu %.0f (or "
            "--auto-output peak:-1), or write %s\n",
            (unsigned long long)n, dbu, can_f32 ? "--format f32" : "a .wav with --format f32");
}

/* The levels where they matter: the input file, then at the preamp after the input gain. */
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
    uint64_t clipped = j->bits ? gs_quantizer_clip_count(j->qz) : over;
    double in_dbu = gs_volts_per_unit_to_dbu(o->in_vpu) + j->in_gain_db;
    double out_dbu = gs_volts_per_unit_to_dbu(o->out_vpu);
    char gain[64] = "";
    if (j->in_gain_db != 0.0)
        snprintf(gain, sizeof gain, ", %+.2f dB input gain", j->in_gain_db);
    fprintf(stderr,
            "%sgainstage: %s -> %s: %s, %d ch, %d Hz, %.2f s; peak in %.1f dBFS%s (%.1f dBu at "
            "the preamp), peak out %.1f dBFS (%.1f dBu); %llu samples %s; latency %u samples "
            "%s\n",
            o->batch && isatty(STDERR_FILENO) ? "\r\033[K" : "", o->in, o->out,
            j->preset ? gs_preset_name(j->preset) : j->model, j->nch, j->iinfo.samplerate,
            (double)j->frames_out / j->rate, dbfs(peak_in), gain, dbfs(peak_in) + in_dbu,
            dbfs(peak_out), dbfs(peak_out) + out_dbu, (unsigned long long)clipped,
            j->bits ? "clipped"
                    : (containers[j->cont].sub ? "above 0 dBFS (a decoder may clip them)"
                                               : "above 0 dBFS (kept, float)"),
            gs_channel_latency(j->ch[0]), o->compensate ? "compensated" : "kept");
    clip_hint(j, dbfs(peak_out), out_dbu, clipped);
}

/* Output '-': the finished temporary file onto standard output. */
static int copy_to_stdout(job *j) {
    char buf[65536];
    size_t n;
    rewind(j->pipe_tmp);
    while ((n = fread(buf, 1, sizeof buf, j->pipe_tmp)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) break;
    if (ferror(j->pipe_tmp) || fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("writing to standard output failed: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    return 0;
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
    if (j->pipe_tmp) {
        if (copy_to_stdout(j)) return EXIT_RUNTIME;
    } else if (gsc_atomic_commit(&j->tmp) != 0) {
        cli_error("cannot move the finished output to '%s': %s", o->out, strerror(errno));
        return EXIT_RUNTIME;
    }
    if (!o->quiet) summary(o, j);
    return 0;
}

/* One pass over a file: into OUT, or (measure) into j->meter for --auto-output. */
static int run_pass(const options *o, job *j, int measure) {
    job_init(j, o);
    int r = prepare(o, j, measure);
    if (!r) {
        install_signals();
        int failed = run_loop(j);
        if (measure)
            r = interrupted ? 128 + (int)interrupted : failed ? EXIT_RUNTIME : 0;
        else
            r = finish(o, j, failed);
    }
    return r;
}

/* --auto-output: the output gain (a change of the output calibration, so after the model) that
 * brings the measure of a first, unwritten pass to the target. The model is not linear, so it is
 * measured, not predicted; the second pass repeats the first exactly (same seeds). */
static int output_gain(const options *o, double *in_gain_db, double *db) {
    job j;
    int r = run_pass(o, &j, 1);
    double v = -HUGE_VAL;
    for (unsigned c = 0; !r && c < (unsigned)j.nch; c++) {
        double x = o->out_kind == AG_LUFS       ? gs_meter_integrated_lufs(j.meter)
                   : o->out_kind == AG_PEAK     ? gs_meter_sample_peak_dbfs(j.meter, c)
                   : o->out_kind == AG_TRUEPEAK ? gs_meter_true_peak_dbtp(j.meter, c)
                                                : gs_meter_rms_dbfs(j.meter, c);
        if (x > v) v = x;
    }
    *db = isfinite(v) ? fmax(-AG_MAX_DB, fmin(AG_MAX_DB, o->out_target - v)) : 0.0;
    *in_gain_db = j.in_gain_db;
    const char *unit = autogain_unit(o->out_kind);
    if (!r && !o->quiet && isfinite(v))
        fprintf(stderr,
                "gainstage: auto-output: output %s %.2f %s, target %.2f %s: output gain %+.2f dB "
                "(as --out-dbu %.2f)\n",
                autogain_name(o->out_kind), v, unit, o->out_target, unit, *db,
                gs_volts_per_unit_to_dbu(o->out_vpu) - *db);
    else if (!r && !o->quiet)
        fprintf(stderr, "gainstage: auto-output: the output is silent; output gain +0.00 dB\n");
    job_cleanup(&j);
    return r;
}

/* One file, IN to OUT, with its passes. */
static int process_file(const options *o) {
    options once = *o;
    if (o->out_kind) {
        double g;
        int r = output_gain(o, &once.in_gain_db, &g);
        if (r) return r;
        once.auto_kind = 0; /* measured once, in the first pass */
        once.out_vpu = o->out_vpu * pow(10.0, -g / 20.0);
    }
    job j;
    int r = run_pass(&once, &j, 0);
    job_cleanup(&j);
    return r;
}

typedef struct batch_ctx {
    const options *o;
    const char *const *outs;
} batch_ctx;

static int batch_one(int i, void *ctx) {
    const batch_ctx *b = ctx;
    options one = *b->o;
    one.in = b->o->ins[i];
    one.out = b->outs[i];
    return process_file(&one);
}

/* -o DIR: the names, every check before the first file is written, then the workers. The model
 * and --set are validated once here, so a typo is one message, not one per file. */
static int process_batch(options *o) {
    struct stat sd;
    if (stat(o->outdir, &sd) != 0 || !S_ISDIR(sd.st_mode)) {
        cli_error("output folder '%s' %s", o->outdir,
                  errno == ENOENT ? "does not exist (create it first)" : "is not a folder");
        return EXIT_RUNTIME;
    }
    job probe;
    job_init(&probe, o);
    int r = load_model(o, &probe);
    job_cleanup(&probe);
    if (r) return r;
    char(*names)[4096] = calloc((size_t)o->nin, sizeof *names);
    const char **outs = calloc((size_t)o->nin, sizeof *outs);
    for (int i = 0; !r && names && outs && i < o->nin; i++) {
        outs[i] = names[i];
        if (cli_batch_outname(o->outdir, o->ins[i], o->type, names[i], sizeof names[i])) {
            cli_error("output path for '%s' is too long", o->ins[i]);
            r = EXIT_USAGE;
        }
    }
    if (!names || !outs) cli_error("out of memory"), r = EXIT_RUNTIME;
    if (!r) r = cli_batch_check(o->ins, outs, o->nin, o->force);
    o->batch = 1;
    batch_ctx ctx = {o, outs};
    if (!r) r = cli_batch_run(o->nin, o->jobs ? o->jobs : cli_batch_cores(), o->quiet, batch_one,
                              &ctx);
    free(names);
    free(outs);
    return r;
}

int cmd_process(int argc, char **argv) {
    options o;
    int r = parse_options(argc, argv, &o);
    if (r < 0) return 0; /* --help */
    if (r) return r;
    return o.outdir ? process_batch(&o) : process_file(&o);
}
