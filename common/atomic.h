/* common/: what the front ends (cli/, live/, measure/) share that is not DSP and so not the
 * library's: writing a file so that it is either the old one or the complete new one. May call
 * libc only. Prefix gsc_.
 *
 * Every writer of a file a user keeps (processed audio, sessions, take sidecars, recovered
 * headers) goes through here: a temporary file in the target's folder (same file system, so the
 * rename is atomic), fsync of its data, rename over the target, fsync of the folder (so that the
 * rename itself survives a power cut). A failure at any step removes the temporary file and
 * leaves the target as it was. */
#ifndef GSC_ATOMIC_H
#define GSC_ATOMIC_H

#include <stddef.h>

typedef struct gsc_atomic {
    char path[4096]; /* the target */
    char tmp[4096];  /* ".NAME.gainstage-XXXXXX" beside it; "" when nothing is pending */
    int fd;          /* the temporary file, open for writing; -1 once handed over or closed */
} gsc_atomic;

/* Create the temporary file for `path` (mode 0666 less the umask, as a plain new file). 0, or -1
 * with errno set (ENAMETOOLONG for a path too long). */
int gsc_atomic_begin(gsc_atomic *a, const char *path);
/* Sync the temporary file's data (through a->fd if still open, else by reopening it: a writer
 * such as libsndfile may have closed the descriptor), close it, rename it over the target and
 * sync the folder. 0, or -1 with errno set and the temporary file removed. */
int gsc_atomic_commit(gsc_atomic *a);
/* Close and remove the temporary file; the target is untouched. Safe to call twice. */
void gsc_atomic_abort(gsc_atomic *a);
/* The whole sequence for text already in memory. 0, or -1 with errno set. */
int gsc_atomic_write(const char *path, const char *data, size_t len);

#endif
