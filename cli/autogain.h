/* --auto-input (alias --auto-gain) and --auto-output of gainstage process: parse a target,
 * measure the input in a first pass. */
#ifndef GS_CLI_AUTOGAIN_H
#define GS_CLI_AUTOGAIN_H

#include <sndfile.h>

enum { AG_NONE = 0, AG_PEAK, AG_TRUEPEAK, AG_RMS, AG_LUFS };

/* Gain limits of --auto-gain, dB. */
#define AG_MAX_DB 60.0

/* Parse "M:LEVEL" (peak:-1dBFS, truepeak:-1dBTP, rms:-20, lufs:-18LUFS) given to --OPT. On error
 * prints one line naming --OPT and returns EXIT_USAGE; 0 on success. */
int autogain_parse(const char *opt, const char *text, int *kind, double *target);
/* Name and unit of a measure ("integrated loudness", "LUFS"). */
const char *autogain_name(int kind);
const char *autogain_unit(int kind);
/* Read the whole input (interleaved, info->channels), measure it, then seek back to the start.
 * The measure over all channels: the highest peak or RMS of any channel, or the loudness of the
 * programme. -HUGE_VAL for silence. Returns 0, or EXIT_RUNTIME after printing why. */
int autogain_measure(SNDFILE *in, const SF_INFO *info, const char *path, int kind,
                     double *measured);

#endif
