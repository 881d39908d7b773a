/* gainstage params: a model's or preset's parameter table as text. */
#include "commands.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* One parameter's line (and its choices), its default the preset's value where it has one. */
static void print_row(const gs_param_info *p, const gs_preset *preset) {
    {
        double def = p->def;
        if (preset) {
            for (size_t k = 0; k < gs_preset_value_count(preset); k++) {
                const char *sym;
                double v;
                gs_preset_value_at(preset, k, &sym, &v);
                if (!strcmp(sym, p->symbol)) def = v;
            }
        }
        char lo[40], hi[40], d[40];
        /* Numbers with SI prefixes but without the unit, which has its own column. */
        gs_unit u = p->unit == GS_UNIT_DB || p->unit == GS_UNIT_ENUM ? p->unit : GS_UNIT_NONE;
        gs_format_value(p->min, p->unit == GS_UNIT_ENUM ? p->unit : u, p->choices, lo, sizeof lo);
        gs_format_value(p->max, p->unit == GS_UNIT_ENUM ? p->unit : u, p->choices, hi, sizeof hi);
        gs_format_value(def, p->unit == GS_UNIT_ENUM ? p->unit : u, p->choices, d, sizeof d);
        if (p->unit != GS_UNIT_DB && p->unit != GS_UNIT_ENUM && p->unit != GS_UNIT_NONE) {
            /* SI-prefixed numbers without the unit symbol: "47u", "10k". */
            char buf[40];
            gs_format_value(p->min, p->unit, NULL, buf, sizeof buf);
            snprintf(lo, sizeof lo, "%.*s", (int)(strlen(buf) - strlen(gs_unit_symbol(p->unit))),
                     buf);
            gs_format_value(p->max, p->unit, NULL, buf, sizeof buf);
            snprintf(hi, sizeof hi, "%.*s", (int)(strlen(buf) - strlen(gs_unit_symbol(p->unit))),
                     buf);
            gs_format_value(def, p->unit, NULL, buf, sizeof buf);
            snprintf(d, sizeof d, "%.*s", (int)(strlen(buf) - strlen(gs_unit_symbol(p->unit))),
                     buf);
        } else if (p->unit == GS_UNIT_DB) {
            snprintf(lo, sizeof lo, "%g", p->min);
            snprintf(hi, sizeof hi, "%g", p->max);
            snprintf(d, sizeof d, "%g", def);
        }
        /* Remove the space between number and prefix: "47 u" -> "47u". */
        char *cols[3] = {lo, hi, d};
        for (int c = 0; c < 3; c++) {
            char *sp = strchr(cols[c], ' ');
            if (sp) memmove(sp, sp + 1, strlen(sp));
        }
        const char *unit = p->kind == GS_PARAM_TOGGLE   ? "on/off"
                           : p->kind == GS_PARAM_CHOICE ? "choice"
                                                        : gs_unit_symbol(p->unit);
        printf("%-12s %-12s %-12s %-12s %-6s %s%s\n", p->symbol, lo, hi, d, *unit ? unit : "-",
               p->name, p->smoothed ? "" : " (not smoothed)");
        /* Every choice, under the range (which shows only the first and the last), and the
         * names of a switch's states where it has them (ss-preamp's hpf: off, 12dB/oct). */
        if (p->choices && p->choices[0]) {
            printf("%-12s one of: ", "");
            for (size_t k = 0; p->choices[k]; k++) printf("%s%s", k ? ", " : "", p->choices[k]);
            puts(p->kind == GS_PARAM_TOGGLE ? " (or on/off)" : "");
        }
    }
}

static void print_head(void) {
    printf("%-12s %-12s %-12s %-12s %-6s %s\n", "symbol", "minimum", "maximum", "default", "unit",
           "name");
}

static void print_params(const gs_model_info *mi, const gs_preset *preset) {
    printf("# %s: %s\n", mi->name, mi->description);
    if (preset) printf("# preset %s: %s\n", gs_preset_name(preset), gs_preset_description(preset));
    print_head();
    for (size_t i = 0; i < mi->n_params; i++) print_row(&mi->params[i], preset);
}

/* A strip's table, grouped by block, symbols as block.symbol. */
static int print_strip(const gs_preset *preset) {
    gs_channel *ch = NULL;
    gs_status st = gs_channel_new_preset(preset, 48000.0, 64, &ch);
    if (st != GS_OK) {
        cli_error("cannot create strip %s: %s", gs_preset_name(preset), gs_strerror(st));
        return EXIT_RUNTIME;
    }
    printf("# strip %s: %s\n# chain = %s\n", gs_preset_name(preset), gs_preset_description(preset),
           gs_preset_model(preset));
    for (size_t b = 0; b < gs_channel_block_count(ch); b++) {
        const char *name;
        const gs_model_info *mi;
        size_t first, count;
        gs_channel_block_at(ch, b, &name, &mi, &first, &count);
        printf("%s# block %s: %s: %s\n", b ? "\n" : "", name, mi->name, mi->description);
        print_head();
        for (size_t i = first; i < first + count; i++)
            print_row(gs_channel_param_info(ch, i), preset);
    }
    gs_channel_free(ch);
    return 0;
}

int cmd_params(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"preset", required_argument, 0, 'p'},
                                         {"chain", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *preset_name = NULL, *chain = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "m:p:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'p': preset_name = optarg; break;
        case 'c': chain = optarg; break;
        case 'h':
            puts("Usage: gainstage params [--model NAME | --preset NAME|FILE | --chain 'BLOCK | "
                 "...']\n"
                 "\n"
                 "Print the parameter table: symbol (for --set, presets and plugin ports), range,\n"
                 "default and unit. Values may be written with SI prefixes and units: 100k, 1M,\n"
                 "22n, 4.7u, 47uF, -6dB. Choices are given by name (source=condenser), or by the\n"
                 "number on the front panel where their names are numbers (hpf=12 for 12dB/oct).\n"
                 "Switches take on/off, yes/no, true/false or 1/0. Without options, prints every\n"
                 "model's table. A strip's (--chain, or a strip preset) is grouped by block, its\n"
                 "symbols block.symbol.");
            return 0;
        default:
            cli_error("params: unknown option '%s' (see 'gainstage params --help')",
                      argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("params: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if ((model != NULL) + (preset_name != NULL) + (chain != NULL) > 1) {
        cli_error(chain ? "params: give one of --model, --preset and --chain"
                        : "params: give --model or --preset, not both");
        return EXIT_USAGE;
    }
    if (preset_name || chain) {
        int code = 0;
        gs_preset *p = chain ? cli_load_chain(chain, &code) : cli_load_preset(preset_name, &code);
        if (!p) return code;
        int r = 0;
        if (gs_preset_block_count(p))
            r = print_strip(p);
        else
            print_params(gs_model_find(gs_preset_model(p)), p);
        gs_preset_free(p);
        return r;
    }
    if (model) {
        const gs_model_info *mi = gs_model_find(model);
        if (!mi) {
            cli_unknown_model(model);
            return EXIT_USAGE;
        }
        print_params(mi, NULL);
        return 0;
    }
    for (size_t i = 0; i < gs_model_count(); i++) {
        if (i) putchar('\n');
        print_params(gs_model_at(i), NULL);
    }
    return 0;
}
