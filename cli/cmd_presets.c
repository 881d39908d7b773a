/* gainstage presets: the built-in presets, one a line. */
#include "commands.h"
#include "util.h"

#include <stdio.h>

int cmd_presets(int argc, char **argv) {
    int r = cli_simple_help(
        argc, argv,
        "Usage: gainstage presets\n\nList the built-in presets: name, model, "
        "description (a strip's model is its chain of blocks). Use one with 'gainstage process "
        "--preset NAME'; a preset file (model = NAME, then SYMBOL = VALUE lines; "
        "or chain = BLOCK | BLOCK ..., then block.symbol = value) works the same "
        "way.");
    if (r >= 0) return r;
    for (size_t i = 0; i < gs_preset_count(); i++) {
        const gs_preset *p = gs_preset_at(i);
        /* One line each (scripts read the first column): a strip's model is its chain. */
        printf("%-12s %-14s %s\n", gs_preset_name(p), gs_preset_model(p), gs_preset_description(p));
    }
    return 0;
}
