/* --auto-input (formerly --auto-gain) and --auto-output: the targets, and the first pass over the input, with the library's meter (gs_meter). */
#include "autogain.h"
#include "util.h"

#include <gainstage/gainstage.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *key, *name, *unit;
    int kind;
} kinds[] = {
    {"peak", "sample peak", "dBFS", AG_PEAK},
    {"truepeak", "true peak", "dBTP", AG_TRUEPEAK},
    {"rms", "RMS level", "dBFS", AG_RMS},
    {"lufs", "integrated loudness", "LUFS", AG_LUFS},
};

const char *autogain_name(int kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind) return kinds[i].name;
    return "?";
}
const char *autogain_unit(int kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind) return kinds[i].unit;
    return "";
}

int autogain_parse(const char *opt, const char *text, int *kind, double *target) {
    const char *colon = strchr(text, ':');
    *kind = AG_NONE;
    if (colon) {
        size_t len = (size_t)(colon - text);
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strlen(kinds[i].key) == len && !strncasecmp(text, kinds[i].key, len))
                *kind = kinds[i].kind;
    }
    if (*kind == AG_NONE) {
        cli_error("--%s needs MEASURE:LEVEL with MEASURE peak, truepeak, rms or lufs "
                  "(e.g. peak:-1dBFS, lufs:-18), not '%s'",
                  opt, text);
        return EXIT_USAGE;
    }
    /* The level: a number, optionally followed by its unit (or plain dB). */
    char buf[64];
    snprintf(buf, sizeof buf, "%s", colon + 1);
    size_t n = strlen(buf);
    const char *units[] = {"dbfs", "dbtp", "lufs", "db"};
    for (size_t u = 0; u < 4; u++) {
        size_t ul = strlen(units[u]);
        if (n > ul && !strcasecmp(buf + n - ul, units[u])) {
            buf[n - ul] = '\0';
            break;
        }
    }
    double v;
    if (cli_parse_double(buf, &v) || v > 0.0 || v < -70.0) {
        cli_error("--%s level must be a number from -70 to 0 (e.g. %s:-1), not '%s'", opt,
                  kinds[*kind - 1].key, colon + 1);
        return EXIT_USAGE;
    }
    *target = v;
    return 0;
}

#define AG_BLOCK 4096

int autogain_measure(SNDFILE *in, const SF_INFO *info, const char *path, int kind,
                     double *measured) {
    gs_meter *m = NULL;
    gs_status st = gs_meter_new((double)info->samplerate, (unsigned)info->channels, &m);
    if (st != GS_OK) {
        cli_error("auto-gain: cannot measure '%s': %s", path, gs_strerror(st));
        return EXIT_RUNTIME;
    }
    float *buf = malloc(sizeof(float) * AG_BLOCK * (size_t)info->channels);
    if (!buf) {
        gs_meter_free(m);
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    sf_count_t got;
    while ((got = sf_readf_float(in, buf, AG_BLOCK)) > 0) gs_meter_process(m, buf, (uint32_t)got);
    int err = sf_error(in) != SF_ERR_NO_ERROR;
    free(buf);
    if (err || sf_seek(in, 0, SEEK_SET) != 0) {
        cli_error("auto-gain: cannot %s '%s': %s", err ? "read" : "rewind", path, sf_strerror(in));
        gs_meter_free(m);
        return EXIT_RUNTIME;
    }
    double v = -HUGE_VAL;
    if (kind == AG_LUFS) {
        v = gs_meter_integrated_lufs(m);
    } else {
        for (unsigned c = 0; c < (unsigned)info->channels; c++) {
            double x = kind == AG_PEAK       ? gs_meter_sample_peak_dbfs(m, c)
                       : kind == AG_TRUEPEAK ? gs_meter_true_peak_dbtp(m, c)
                                             : gs_meter_rms_dbfs(m, c);
            if (x > v) v = x;
        }
    }
    gs_meter_free(m);
    *measured = v;
    return 0;
}
