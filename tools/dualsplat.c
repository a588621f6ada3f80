/* dualsplat: one program, git-style subcommands. */
#include "cli.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef DS_VERSION
#define DS_VERSION "unknown"
#endif

typedef struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"probe", "show what a splat file holds: format, Gaussians, SH degree, bounds, statistics",
     command_probe},
    {"convert", "convert a static splat between .ply, .spz and .splat", command_convert},
    {"play", "play a .dsv stream (or show a splat) in a window", command_play},
    {"render", "render a splat or stream to a PNG, a PNG sequence or a video", command_render},
    {"fit", "fit the first frame of a multi-view capture as joint and skin Gaussians", command_fit},
    {"eval", "PSNR / SSIM of a fitted model on a capture's held-out views", command_eval},
    {"track", "track the frames after the first: joint motion and skin appearance", command_track},
    {"synth", "write a synthetic multi-view capture of an animated figure with known truth",
     command_synth},
    {"encode", "a capture to a .dsv stream: fit, track and pack in one go", command_encode},
    {"pack", "compress a tracking, a .ply sequence or a splat into a .dsv stream", command_pack},
    {"unpack", "decode a .dsv stream's frames to .ply files", command_unpack},
};

static void print_help(FILE *out) {
    fprintf(out, "usage: dualsplat <command> [options]\n"
                 "\n"
                 "dualsplat encodes multi-view captures of people into compact volumetric video\n"
                 "and plays it back. Commands:\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\n"
                 "Run 'dualsplat <command> --help' for the options of a command.\n"
                 "Options: --help, --version\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("dualsplat %s\n", DS_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    cli_error(name, "unknown command (see 'dualsplat --help')");
    return CLI_EXIT_USAGE;
}
