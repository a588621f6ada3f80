/* The dualsplat subcommands. Each takes the arguments from its own name on and returns the
 * process exit code. */
#ifndef DS_TOOLS_COMMANDS_H
#define DS_TOOLS_COMMANDS_H

int command_probe(int argc, char **argv);
int command_convert(int argc, char **argv);
int command_render(int argc, char **argv);
int command_fit(int argc, char **argv);
int command_eval(int argc, char **argv);
int command_track(int argc, char **argv);
int command_synth(int argc, char **argv);
int command_pack(int argc, char **argv);
int command_encode(int argc, char **argv);
int command_unpack(int argc, char **argv);
int command_play(int argc, char **argv);

#endif
