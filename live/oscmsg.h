/* gainstage live: OSC message dispatch without the network (live/oscmsg.c, in gslive_core).
 *
 * osc.c receives a datagram with liblo, turns its arguments into live_osc_arg and calls
 * live_osc_dispatch(), which validates everything (the address, the channel number, every
 * argument's type and value), acts through live_ctl_* / live_app_* and fills the reply; osc.c
 * serialises it and sends it. The fuzz target tests/fuzz/fuzz_osc.c calls it directly.
 * Every message gets one reply: the query's answer, /gainstage/ok PATH or /gainstage/error PATH
 * MESSAGE.
 */
#ifndef GS_LIVE_OSCMSG_H
#define GS_LIVE_OSCMSG_H

#include "app.h"

#include <stdatomic.h>
#include <stdint.h>

/* One argument as received: type is the OSC type tag ('i', 'h', 'f', 'd', 's', 'S', 'T', 'F',
 * anything else is unsupported); i for 'i' and 'h', f for 'f' and 'd', s for 's' and 'S'. */
typedef struct live_osc_arg {
    char type;
    int64_t i;
    double f;
    const char *s;
} live_osc_arg;

#define LIVE_OSC_REPLY_ARGS (LIVE_MAX_CH + 8)
/* One reply: path, and arguments of type 'f', 'i' or 's' (s points into text). */
typedef struct live_osc_reply {
    char path[256];
    int n;
    struct {
        char type;
        float f;
        int32_t i;
        const char *s;
    } arg[LIVE_OSC_REPLY_ARGS];
    char text[8192];
    size_t text_len;
} live_osc_reply;

/* The OSC surface's counters (shown in /gainstage/status): messages received, replies sent,
 * and dropped ones (datagrams the kernel discarded because they came faster than they were
 * read, replies that could not be sent). */
typedef struct live_osc_stats {
    _Atomic uint64_t received, answered, dropped;
} live_osc_stats;

/* Handle one message; the reply is always filled. Returns 1 if the reply is an error. app and
 * stats may be NULL (then the application's commands and the counters are not available). */
int live_osc_dispatch(live_engine *e, live_app *app, const live_osc_stats *stats, const char *path,
                      const live_osc_arg *argv, int argc, live_osc_reply *r);
/* The reply to a datagram that is not a message (a bundle, malformed): an error. */
void live_osc_reply_error(live_osc_reply *r, const char *path, const char *msg);

#endif
