/* gainstage recover DIR: the command over live_recover() (live/recover.c). */
#include "commands.h"
#include "live.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char recover_help[] =
    "Usage: gainstage recover DIR\n"
    "\n"
    "Repair the takes in DIR that a killed or crashed 'gainstage live --record' left open (their\n"
    "sidecar DIR/take-*.take says status = recording): each WAV header is extended to cover every\n"
    "whole frame on disk, then the take's WAV files are cut to the shortest of them, so its\n"
    "channels stay sample-aligned (a kill between two channels' writes leaves at most one write\n"
    "that only some channels have), but never below the frames a header already counted.\n"
    "Finished takes are left as they are.\n"
    "FLAC takes need no header repair (a FLAC stream is decodable as written).\n"
    "Exit status: 0 success (or nothing to do), 1 a file could not be repaired, 2 usage error.\n";

/* Outcomes on stdout, problems as "gainstage: ..." on stderr. */
static void print_line(void *ctx, live_level level, const char *msg) {
    (void)ctx;
    if (level == LIVE_ERROR)
        cli_error("%s", msg);
    else
        printf("%s\n", msg);
}

int cmd_recover(int argc, char **argv) {
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(recover_help, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        cli_error("recover needs one folder (see 'gainstage recover --help')");
        return EXIT_USAGE;
    }
    int rc = live_recover(argv[1], print_line, NULL);
    return rc ? EXIT_RUNTIME : 0;
}
