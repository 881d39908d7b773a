/* gainstage process IN... -o DIR: output names, the checks that protect every file, and the
 * worker processes. The per-file work is the caller's (a callback), so this knows no audio. */
#ifndef GS_CLI_BATCH_H
#define GS_CLI_BATCH_H

#include <stddef.h>

/* DIR/NAME of IN, its extension replaced by `ext` when one is given ("ogg"). 0, or -1 if it does
 * not fit in `size`. */
int cli_batch_outname(const char *dir, const char *in, const char *ext, char *buf, size_t size);

/* Before anything is written: no output may be an input (by any path), two inputs may not map to
 * one output, and an existing output needs `force`. Prints one line and returns EXIT_USAGE, or 0. */
int cli_batch_check(const char *const *ins, const char *const *outs, int n, int force);

/* Number of cores online (the default of --jobs). */
int cli_batch_cores(void);

/* Run one(i, ctx) for every file, at most `jobs` at a time, each in a process of its own (so a
 * file's failure, signal or memory cannot touch the others). On a terminal and unless quiet, an
 * overall bar. Returns 0 if every file succeeded, else the highest status of a failed file after
 * printing how many failed. */
int cli_batch_run(int n, int jobs, int quiet, int (*one)(int i, void *ctx), void *ctx);

#endif
