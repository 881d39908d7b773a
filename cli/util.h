/* Shared helpers of the gainstage command: messages, exit codes, presets and --set handling. */
#ifndef GS_CLI_UTIL_H
#define GS_CLI_UTIL_H

#include <gainstage/gainstage.h>

#include <stdarg.h>

/* Exit statuses: runtime failures (files, disks) and usage errors (options, values). */
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Print "gainstage: MESSAGE" on stderr, one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Load a preset by built-in name, or from a file if the name is a path (contains '/' or ends in
 * ".preset") or no built-in has that name. On failure prints the reason and returns NULL with
 * *exit_code set. The result is freed with gs_preset_free (a no-op for built-ins). */
gs_preset *cli_load_preset(const char *name_or_path, int *exit_code);

/* A strip preset from a --chain text; on failure prints "--chain: PROBLEM" and returns NULL with
 * *exit_code set (EXIT_USAGE). Free with gs_preset_free. */
gs_preset *cli_load_chain(const char *text, int *exit_code);

/* Print "unknown model 'NAME'", with the nearest model's name if one is close. */
void cli_unknown_model(const char *name);

/* Apply "SYMBOL=VALUE" to a channel; prints a message naming the problem on failure. */
int cli_apply_set(gs_channel *ch, const char *assignment);

/* Parse a plain real number (whole string); returns 0 on success. */
int cli_parse_double(const char *s, double *out);

/* For a command that takes no arguments: print `help` and return 0 for -h/--help, report any other
 * argument (exit status EXIT_USAGE), or return -1 to go on. */
int cli_simple_help(int argc, char **argv, const char *help);

#endif
