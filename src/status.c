/* Status codes and the level conventions shared by every front end. */
#include "internal.h"

const char *gs_strerror(gs_status status) {
    switch (status) {
    case GS_OK: return "success";
    case GS_ERR_INVALID_ARGUMENT: return "invalid argument";
    case GS_ERR_NO_MEMORY: return "out of memory";
    case GS_ERR_UNSUPPORTED_RATE: return "unsupported sample rate (44.1 to 192 kHz)";
    case GS_ERR_BLOCK_SIZE: return "invalid block size";
    case GS_ERR_UNKNOWN_MODEL: return "unknown model";
    case GS_ERR_UNKNOWN_PRESET: return "unknown preset";
    case GS_ERR_UNKNOWN_PARAMETER: return "unknown parameter";
    case GS_ERR_OUT_OF_RANGE: return "value out of range";
    case GS_ERR_PARSE: return "not a number";
    case GS_ERR_PRESET_SYNTAX: return "malformed preset";
    case GS_ERR_NOT_CONVERGED: return "circuit solver did not converge";
    case GS_ERR_AMBIGUOUS_PARAMETER: return "parameter in several blocks: write block.symbol";
    }
    return "unknown status";
}

const char *gs_version(void) { return GS_VERSION_STRING; }

/* 0 dBu is 0.774597 V RMS (1 mW into 600 Ohm: sqrt(0.6) V). A sine's peak is sqrt(2) times its
 * RMS, and a full-scale (0 dBFS) sine has a peak sample value of 1.0. */
#define GS_DBU_REF_VRMS 0.7745966692414834

double gs_dbu_to_volts_per_unit(double dbu) {
    return GS_DBU_REF_VRMS * sqrt(2.0) * pow(10.0, dbu / 20.0);
}

double gs_volts_per_unit_to_dbu(double volts_per_unit) {
    return 20.0 * log10(volts_per_unit / (GS_DBU_REF_VRMS * sqrt(2.0)));
}
