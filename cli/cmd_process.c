/* gainstage process: stream an audio file through one channel model per file channel.
 *
 * Safety rules: the input is opened read-only and never written; the output is written to a
 * temporary file in the output's folder and renamed over the output only after everything
 * succeeded, so a failed, full-disk or interrupted run leaves no partial output. Memory is constant
 * (blocks of BLOCK frames), whatever the file's length.
 */
#include "autogain.h"
#include "commands.h"
#include "util.h"

#include <sndfile.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
    OPT_AUTOGAIN
};

typedef struct options {
    const char *preset, *model;
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

/* xoshiro256** (Blackman & Vigna): fast, good-quality, reproducible dither noise. */
typedef struct rng {
    uint64_t s[4];
} rng;
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rng_next(rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}
static void rng_seed(rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) { /* splitmix64 to spread the seed */
        seed += 0x9e3779b97f4a7c15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        r->s[i] = z ^ (z >> 31);
    }
}
/* Uniform in [-0.5, 0.5) LSB. */
static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53 - 0.5; }

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
                                         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->in_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_IN_DBU);
    o->out_vpu = gs_dbu_to_volts_per_unit(GS_DEFAULT_OUT_DBU);
    o->dither = -1;
    o->seed = 1;
    o->compensate = 1;
    int c;
    double v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:m:s:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o->preset = optarg; break;
        case 'm': o->model = optarg; break;
        case 's':
            if (o->nsets == MAX_SETS) {
                cli_error("too many --set options (at most %d)", MAX_SETS);
                return EXIT_USAGE;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "f32") && strcmp(optarg, "s24") && strcmp(optarg, "s16")) {
                cli_error("--format must be f32, s24 or s16, not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->format = optarg;
            break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(help_text, stdout); return -1;
        case OPT_IN_DBU:
        case OPT_OUT_DBU:
            if (cli_parse_double(optarg, &v) || v < -120.0 || v > 60.0) {
                cli_error("--%s needs a level in dBu from -120 to +60, not '%s'",
                          c == OPT_IN_DBU ? "in-dbu" : "out-dbu", optarg);
                return EXIT_USAGE;
            }
            if (c == OPT_IN_DBU) {
                o->in_vpu = gs_dbu_to_volts_per_unit(v);
                o->in_given++;
            } else {
                o->out_vpu = gs_dbu_to_volts_per_unit(v);
                o->out_given++;
            }
            break;
        case OPT_IN_VOLTS:
        case OPT_OUT_VOLTS:
            if (gs_parse_value(optarg, GS_UNIT_VOLT, NULL, &v) != GS_OK || !(v > 0) || v > 1e4) {
                cli_error("--%s needs a positive voltage up to 10 kV (e.g. 1.5, 200m), not '%s'",
                          c == OPT_IN_VOLTS ? "in-volts" : "out-volts", optarg);
                return EXIT_USAGE;
            }
            if (c == OPT_IN_VOLTS) {
                o->in_vpu = v;
                o->in_given++;
            } else {
                o->out_vpu = v;
                o->out_given++;
            }
            break;
        case OPT_DITHER:
            if (!strcmp(optarg, "tpdf"))
                o->dither = 1;
            else if (!strcmp(optarg, "none"))
                o->dither = 0;
            else {
                cli_error("--dither must be tpdf or none, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (end == optarg || *end || errno || optarg[0] == '-') {
                cli_error("--seed needs a whole number, not '%s'", optarg);
                return EXIT_USAGE;
            }
            o->seed = s;
            break;
        }
        case OPT_NOCOMP: o->compensate = 0; break;
        case OPT_AUTOGAIN:
            if (autogain_parse(optarg, &o->auto_kind, &o->auto_target)) return EXIT_USAGE;
            break;
        case ':': cli_error("option '%s' needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("process: unknown option '%s' (see 'gainstage process --help')",
                      argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (o->in_given > 1 || o->out_given > 1) {
        cli_error("give the %s calibration once (--%s-dbu or --%s-volts)",
                  o->in_given > 1 ? "input" : "output", o->in_given > 1 ? "in" : "out",
                  o->in_given > 1 ? "in" : "out");
        return EXIT_USAGE;
    }
    if (o->preset && o->model) {
        cli_error("give --preset or --model, not both");
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

typedef struct job {
    SNDFILE *in, *out;
    SF_INFO iinfo, oinfo;
    char tmp[PATH_MAX];
    int tmp_fd;
    gs_channel *ch[MAX_CHANNELS];
    gs_preset *preset;
    float *ibuf, *obuf, *mono;
} job;

static void job_cleanup(job *j, int keep_output) {
    if (j->out) sf_close(j->out);
    j->out = NULL;
    if (j->tmp[0] && !keep_output) unlink(j->tmp);
    if (j->in) sf_close(j->in);
    for (int c = 0; c < MAX_CHANNELS; c++) gs_channel_free(j->ch[c]);
    gs_preset_free(j->preset);
    free(j->ibuf);
    free(j->obuf);
    free(j->mono);
}

int cmd_process(int argc, char **argv) {
    options o;
    int r = parse_options(argc, argv, &o);
    if (r < 0) return 0; /* --help */
    if (r) return r;

    job j;
    memset(&j, 0, sizeof j);
    j.tmp_fd = -1;
    int code = EXIT_RUNTIME;

    /* Model and values first: usage errors should not depend on the files. */
    const char *model = o.model;
    if (!model) {
        j.preset = cli_load_preset(o.preset ? o.preset : "clean", &code);
        if (!j.preset) return code;
        model = gs_preset_model(j.preset);
    } else if (!gs_model_find(model)) {
        cli_error("unknown model '%s' (see 'gainstage models')", model);
        return EXIT_USAGE;
    }
    /* A probe instance validates --set before any file is touched. */
    {
        gs_channel *probe = NULL;
        gs_status st = gs_channel_new(model, 48000.0, BLOCK, &probe);
        if (st != GS_OK) {
            cli_error("cannot create model %s: %s", model, gs_strerror(st));
            return EXIT_RUNTIME;
        }
        for (int i = 0; i < o.nsets; i++) {
            if (cli_apply_set(probe, o.sets[i])) {
                gs_channel_free(probe);
                job_cleanup(&j, 0);
                return EXIT_USAGE;
            }
        }
        gs_channel_free(probe);
    }

    /* Never touch the input: refuse an output that is the input file itself. */
    struct stat sin, sout;
    if (stat(o.in, &sin) != 0) {
        cli_error("cannot open input '%s': %s", o.in, strerror(errno));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    if (S_ISDIR(sin.st_mode)) {
        cli_error("input '%s' is a folder, not an audio file", o.in);
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    if (stat(o.out, &sout) == 0) {
        if (sout.st_dev == sin.st_dev && sout.st_ino == sin.st_ino) {
            cli_error("output '%s' is the input file; choose another output name", o.out);
            job_cleanup(&j, 0);
            return EXIT_USAGE;
        }
        if (S_ISDIR(sout.st_mode)) {
            cli_error("output '%s' is a folder; give a file name", o.out);
            job_cleanup(&j, 0);
            return EXIT_USAGE;
        }
    }

    int major = major_for_path(o.out);
    if (!major) {
        cli_error("cannot tell the output format from '%s': use .wav, .flac, .aiff, .caf, .w64 "
                  "or .rf64",
                  o.out);
        job_cleanup(&j, 0);
        return EXIT_USAGE;
    }

    j.in = sf_open(o.in, SFM_READ, &j.iinfo);
    if (!j.in) {
        cli_error("cannot read input '%s': %s", o.in, sf_strerror(NULL));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    if (j.iinfo.channels < 1 || j.iinfo.channels > MAX_CHANNELS) {
        cli_error("input '%s' has %d channels; at most %d are supported", o.in, j.iinfo.channels,
                  MAX_CHANNELS);
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    double rate = (double)j.iinfo.samplerate;
    if (rate < GS_RATE_MIN || rate > GS_RATE_MAX) {
        cli_error("input '%s' is at %d Hz; gainstage runs at 44.1 to 192 kHz (resample first, "
                  "e.g. with sox)",
                  o.in, j.iinfo.samplerate);
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    int nch = j.iinfo.channels;
    int subtype = subtype_for(o.format, j.iinfo.format, major);
    if (major == SF_FORMAT_FLAC && subtype == SF_FORMAT_FLOAT) {
        cli_error("FLAC cannot store 32-bit float; use --format s24 or a .wav output");
        job_cleanup(&j, 0);
        return EXIT_USAGE;
    }
    /* A .wav stays plain RIFF WAV when it fits (4 GiB); a longer one is written as RF64, the
     * EBU's 64-bit extension of WAV. */
    if (major == SF_FORMAT_RF64) {
        const char *ext = strrchr(o.out, '.');
        int bytes = subtype == SF_FORMAT_PCM_16 ? 2 : (subtype == SF_FORMAT_PCM_24 ? 3 : 4);
        double size = ((double)j.iinfo.frames + 1e6) * nch * bytes;
        if (ext && strcasecmp(ext, ".rf64") != 0 && size < 4294967295.0 - 65536.0)
            major = SF_FORMAT_WAV;
    }
    memset(&j.oinfo, 0, sizeof j.oinfo);
    j.oinfo.samplerate = j.iinfo.samplerate;
    j.oinfo.channels = nch;
    j.oinfo.format = major | subtype;
    if (!sf_format_check(&j.oinfo)) {
        cli_error("the output format of '%s' cannot hold %s audio", o.out,
                  o.format ? o.format : "this");
        job_cleanup(&j, 0);
        return EXIT_USAGE;
    }

    for (int c = 0; c < nch; c++) {
        gs_status st = j.preset ? gs_channel_new_preset(j.preset, rate, BLOCK, &j.ch[c])
                                : gs_channel_new(model, rate, BLOCK, &j.ch[c]);
        if (st != GS_OK) {
            cli_error("cannot create model %s at %d Hz: %s", model, j.iinfo.samplerate,
                      gs_strerror(st));
            job_cleanup(&j, 0);
            return EXIT_RUNTIME;
        }
        /* Models with a noise source are seeded from --seed, one stream per file channel (so a
         * stereo file does not get the same noise twice); an explicit --set seed=... wins. */
        size_t seed_id;
        if (gs_channel_param_find(j.ch[c], "seed", &seed_id) == GS_OK)
            gs_channel_set(j.ch[c], seed_id, (double)((o.seed + (uint64_t)c) & 0xffffffffu));
        for (int i = 0; i < o.nsets; i++) cli_apply_set(j.ch[c], o.sets[i]); /* validated */
        gs_channel_reset(j.ch[c]); /* start at the requested values, at the DC operating point */
    }
    uint32_t latency = o.compensate ? gs_channel_latency(j.ch[0]) : 0;

    /* --auto-gain: a first pass over the whole input, then the input gain that brings the chosen
     * measure to the target. */
    double auto_db = 0.0;
    if (o.auto_kind) {
        double measured;
        int e = autogain_measure(j.in, &j.iinfo, o.in, o.auto_kind, &measured);
        if (e) {
            job_cleanup(&j, 0);
            return e;
        }
        const char *unit = autogain_unit(o.auto_kind);
        if (isfinite(measured)) {
            auto_db = o.auto_target - measured;
            if (auto_db > AG_MAX_DB) auto_db = AG_MAX_DB;
            if (auto_db < -AG_MAX_DB) auto_db = -AG_MAX_DB;
            if (!o.quiet)
                fprintf(stderr,
                        "gainstage: auto-gain: input %s %.2f %s, target %.2f %s: input gain "
                        "%+.2f dB\n",
                        autogain_name(o.auto_kind), measured, unit, o.auto_target, unit, auto_db);
        } else if (!o.quiet) {
            fprintf(stderr,
                    "gainstage: auto-gain: input %s cannot be measured (silent or too "
                    "short); input gain +0.00 dB\n",
                    autogain_name(o.auto_kind));
        }
    }

    j.ibuf = malloc(sizeof(float) * BLOCK * (size_t)nch);
    j.obuf = malloc(sizeof(float) * BLOCK * (size_t)nch);
    j.mono = malloc(sizeof(float) * BLOCK);
    int *ibits = malloc(sizeof(int) * BLOCK * (size_t)nch);
    if (!j.ibuf || !j.obuf || !j.mono || !ibits) {
        free(ibits);
        cli_error("out of memory");
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }

    /* Temporary output next to the final one, so the rename is atomic (same file system). */
    const char *slash = strrchr(o.out, '/');
    int dirlen = slash ? (int)(slash - o.out + 1) : 0;
    if (snprintf(j.tmp, sizeof j.tmp, "%.*s.%s.gainstage-XXXXXX", dirlen, o.out, o.out + dirlen) >=
        (int)sizeof j.tmp) {
        j.tmp[0] = '\0';
        free(ibits);
        cli_error("output path '%s' is too long", o.out);
        job_cleanup(&j, 0);
        return EXIT_USAGE;
    }
    j.tmp_fd = mkstemp(j.tmp);
    if (j.tmp_fd < 0) {
        int e = errno;
        j.tmp[0] = '\0';
        free(ibits);
        cli_error("cannot write in the output folder of '%s': %s", o.out, strerror(e));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    /* mkstemp makes the file 0600; give it the mode a normal new file would have. */
    mode_t um = umask(0);
    umask(um);
    fchmod(j.tmp_fd, 0666 & ~um);
    j.out = sf_open_fd(j.tmp_fd, SFM_WRITE, &j.oinfo, SF_TRUE);
    if (!j.out) {
        close(j.tmp_fd);
        free(ibits);
        cli_error("cannot create output '%s': %s", o.out, sf_strerror(NULL));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Past a file-size limit, write() should fail with EFBIG (reported), not kill us. */
    signal(SIGXFSZ, SIG_IGN);

    int bits = out_bits(subtype);
    int dither = o.dither < 0 ? (bits > 0) : o.dither;
    rng rg;
    rng_seed(&rg, o.seed);
    double in_scale = o.in_vpu * pow(10.0, auto_db / 20.0), out_scale = 1.0 / o.out_vpu;
    double peak_in = 0, peak_out = 0;
    uint64_t clipped = 0, over = 0, frames_in = 0, frames_out = 0, to_skip = latency;
    uint64_t total = j.iinfo.frames > 0 ? (uint64_t)j.iinfo.frames : 0;
    int show = !o.quiet && isatty(STDERR_FILENO);
    time_t start = time(NULL), last = 0;
    int failed = 0, eof = 0;
    uint64_t tail = latency; /* zeros fed after the end to flush the latency */

    while (!failed && !interrupted) {
        sf_count_t got = 0;
        if (!eof) {
            got = sf_readf_float(j.in, j.ibuf, BLOCK);
            if (got < 0) got = 0;
            if (got < (sf_count_t)BLOCK) {
                if (sf_error(j.in) != SF_ERR_NO_ERROR) {
                    cli_error("error reading input '%s': %s", o.in, sf_strerror(j.in));
                    failed = 1;
                    break;
                }
                eof = 1;
            }
        }
        uint32_t n = (uint32_t)got;
        if (eof && n < BLOCK && tail > 0) {
            /* Flush: feed silence to push the last samples through the latency. */
            uint32_t extra = BLOCK - n;
            if (extra > tail) extra = (uint32_t)tail;
            memset(j.ibuf + (size_t)n * (size_t)nch, 0, sizeof(float) * extra * (size_t)nch);
            n += extra;
            tail -= extra;
        }
        if (n == 0) break;
        frames_in += (uint64_t)got;
        for (int c = 0; c < nch; c++) {
            for (uint32_t i = 0; i < n; i++) {
                float x = j.ibuf[(size_t)i * (size_t)nch + (size_t)c];
                double a = fabs((double)x);
                if (a > peak_in && isfinite(a)) peak_in = a;
                j.mono[i] = (float)(x * in_scale);
            }
            gs_channel_process(j.ch[c], j.mono, j.mono, n);
            for (uint32_t i = 0; i < n; i++)
                j.obuf[(size_t)i * (size_t)nch + (size_t)c] = (float)(j.mono[i] * out_scale);
        }
        /* Drop the first `latency` frames so the output lines up with the input. */
        uint32_t skip = to_skip > n ? n : (uint32_t)to_skip;
        to_skip -= skip;
        uint32_t wn = n - skip;
        float *w = j.obuf + (size_t)skip * (size_t)nch;
        size_t cnt = (size_t)wn * (size_t)nch;
        for (size_t i = 0; i < cnt; i++) {
            double a = fabs((double)w[i]);
            if (a > peak_out) peak_out = a;
            if (a > 1.0) over++;
        }
        sf_count_t put;
        if (bits) {
            double full = ldexp(1.0, bits - 1);
            for (size_t i = 0; i < cnt; i++) {
                double x = (double)w[i] * full;
                if (dither) x += rng_uniform(&rg) + rng_uniform(&rg); /* TPDF, +/-1 LSB */
                double q = floor(x + 0.5);
                if (q > full - 1) {
                    q = full - 1;
                    clipped++;
                } else if (q < -full) {
                    q = -full;
                    clipped++;
                }
                /* Left-justify in 32 bits: libsndfile then stores it without rescaling. */
                ibits[i] = (int)q * (1 << (32 - bits));
            }
            put = sf_writef_int(j.out, ibits, wn);
        } else {
            put = sf_writef_float(j.out, w, wn);
        }
        if (put != (sf_count_t)wn) {
            int e = errno;
            cli_error("writing output '%s' failed: %s", o.out,
                      e ? strerror(e) : sf_strerror(j.out));
            failed = 1;
            break;
        }
        frames_out += wn;
        if (show && time(NULL) != last) {
            last = time(NULL);
            progress((double)frames_in / rate, (double)total / rate, start, 0);
        }
    }
    free(ibits);
    if (show && !failed && !interrupted)
        progress((double)frames_in / rate, (double)total / rate, start, 1);
    else if (show)
        fputc('\n', stderr);

    if (interrupted && !failed) {
        cli_error("interrupted by signal %d; no output written", (int)interrupted);
        job_cleanup(&j, 0);
        return 128 + (int)interrupted;
    }
    if (failed) {
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    /* Close (flushes headers), sync, then rename into place. */
    sf_write_sync(j.out);
    int cerr = sf_close(j.out);
    j.out = NULL;
    if (cerr != 0) {
        cli_error("finishing output '%s' failed: %s", o.out, sf_error_number(cerr));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    if (rename(j.tmp, o.out) != 0) {
        cli_error("cannot move the finished output to '%s': %s", o.out, strerror(errno));
        job_cleanup(&j, 0);
        return EXIT_RUNTIME;
    }
    j.tmp[0] = '\0';
    if (!o.quiet) {
        double in_dbu = gs_volts_per_unit_to_dbu(o.in_vpu);
        double out_dbu = gs_volts_per_unit_to_dbu(o.out_vpu);
        fprintf(stderr,
                "gainstage: %s -> %s: %s, %d ch, %d Hz, %.2f s; peak in %.1f dBFS (%.1f dBu), "
                "peak out %.1f dBFS (%.1f dBu); %llu samples %s; latency %u samples %s\n",
                o.in, o.out, j.preset ? gs_preset_name(j.preset) : model, nch, j.iinfo.samplerate,
                (double)frames_out / rate, dbfs(peak_in), dbfs(peak_in) + in_dbu, dbfs(peak_out),
                dbfs(peak_out) + out_dbu, (unsigned long long)(bits ? clipped : over),
                bits ? "clipped" : "above 0 dBFS (kept, float)", gs_channel_latency(j.ch[0]),
                o.compensate ? "compensated" : "kept");
    }
    (void)code;
    job_cleanup(&j, 1);
    return 0;
}
