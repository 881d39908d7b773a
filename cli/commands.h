/* Sub-commands of the gainstage command. Each returns the process exit status. */
#ifndef GS_CLI_COMMANDS_H
#define GS_CLI_COMMANDS_H

int cmd_process(int argc, char **argv);
int cmd_params(int argc, char **argv);  /* cli/cmd_params.c, and so on: one file each */
int cmd_presets(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_live(int argc, char **argv);    /* cli/cmd_live.c */
int cmd_recover(int argc, char **argv); /* cli/cmd_recover.c */

#endif
