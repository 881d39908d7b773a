/* gainstage models: the channels and blocks, one a line. */
#include "commands.h"
#include "util.h"

#include <stdio.h>

int cmd_models(int argc, char **argv) {
    int r = cli_simple_help(argc, argv,
                        "Usage: gainstage models\n\nList the models: complete channels, and bare "
                        "blocks for validation (use with 'gainstage process --model NAME').");
    if (r >= 0) return r;
    for (size_t i = 0; i < gs_model_count(); i++) {
        const gs_model_info *m = gs_model_at(i);
        printf("%-14s %-8s %s\n", m->name, m->is_block ? "block" : "channel", m->description);
    }
    return 0;
}
