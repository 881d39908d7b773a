/* gainstage: the command-line front end. It parses, routes and reports; all DSP is in the library.
 */
#include "commands.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
    fputs("Usage: gainstage COMMAND [OPTIONS]\n"
          "\n"
          "Physically modelled preamps: re-amp files, list models, parameters and presets.\n"
          "\n"
          "Commands:\n"
          "  process   run an audio file through a preamp model or preset\n"
          "  params    list the parameters of a model or preset (symbol, range, default, unit)\n"
          "  presets   list the built-in presets\n"
          "  models    list the models (complete channels and bare blocks)\n"
          "  measure   measure a preset, model or LV2 plugin like an audio analyser (plots, JSON)\n"
          "  live      JACK front end: N preamp channels, DAW outputs, monitor mix, recorder\n"
          "  recover   repair the takes of a killed live recording\n"
          "\n"
          "Options:\n"
          "  -h, --help     show this help (also 'gainstage COMMAND --help')\n"
          "  -V, --version  show the version\n"
          "\n"
          "Exit status: 0 success, 1 runtime failure (files, disk), 2 usage error.\n"
          "See gainstage(1) for details.\n",
          f);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        cli_error("missing command (see 'gainstage --help')");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("gainstage %s\n", gs_version());
        return 0;
    }
    if (!strcmp(cmd, "process")) return cmd_process(argc - 1, argv + 1);
    if (!strcmp(cmd, "params")) return cmd_params(argc - 1, argv + 1);
    if (!strcmp(cmd, "presets")) return cmd_presets(argc - 1, argv + 1);
    if (!strcmp(cmd, "models")) return cmd_models(argc - 1, argv + 1);
    if (!strcmp(cmd, "measure")) return cmd_measure(argc - 1, argv + 1);
    if (!strcmp(cmd, "live")) return cmd_live(argc - 1, argv + 1);
    if (!strcmp(cmd, "recover")) return cmd_recover(argc - 1, argv + 1);
    static const char *const commands[] = {"process", "params", "presets", "models",
                                           "measure", "live",   "recover", "help"};
    const char *near = gs_name_suggest(cmd, commands, sizeof commands / sizeof commands[0]);
    cli_error("unknown command '%s'%s%s%s (see 'gainstage --help')", cmd,
              near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return EXIT_USAGE;
}
