/* gainstage live: the browser mixer's page, compiled in (live/web/embed.py writes the table from
 * live/web/index.html, mixer.js, mixer.css). */
#ifndef GS_LIVE_WEB_FILES_H
#define GS_LIVE_WEB_FILES_H

#include <stddef.h>

typedef struct live_web_file {
    const char *path; /* "/index.html" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t size;
} live_web_file;

/* Ends with an entry whose path is NULL. */
extern const live_web_file live_web_files[];

#endif
