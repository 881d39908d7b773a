/* gainstage live: the take sidecar as 'recover' reads it (recover.c; written by rec.c). */
#ifndef GS_LIVE_TAKE_H
#define GS_LIVE_TAKE_H

#include "live.h"

#include <stddef.h>

/* One take as its sidecar describes it. */
typedef struct live_take_info {
    size_t status_line; /* the "status = recording" line, from 1; 0 if the take is closed */
    char files[2 * LIVE_MAX_CH][GS_KV_MAX_LINE];
    int nfiles;
    double rate;
    char why[160]; /* set when the sidecar names a file recover must not touch */
} live_take_info;

/* Read a sidecar's text. 0; or -1 with t->why set if a file.N value is not a plain file name
 * directly in the take's folder (empty, '/', "..", a leading '.', a control character): then the
 * take is not touched at all. Lines recover does not need are skipped. */
int live_take_parse(const char *text, live_take_info *t);

#endif
