/* dualsplat synth: a synthetic multi-view capture of an animated figure with known truth. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "progress.h"

#include "tools/synth/synth.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: dualsplat synth OUTDIR [options]\n"
    "\n"
    "Writes a synthetic multi-view capture of an animated, textured figure with known truth\n"
    "(docs/synth.md). The figure is made of capsules and ellipsoids and ray traced exactly,\n"
    "not rendered as Gaussians. The layout is HiFi4G / DualGS's, which fit and eval read:\n"
    "  OUTDIR/image_white/transforms.json      the cameras (instant-NGP form, OpenGL axes)\n"
    "  OUTDIR/image_white/<frame>/<view>.png   frames 0..N-1 of views 0..V-1 on white\n"
    "  OUTDIR/bones.json                       every part's transform and every joint's\n"
    "                                          position, frame by frame\n"
    "World axes: +y up, the ground at y = 0, metres; 30 frames per second. The same options\n"
    "give the same files, byte for byte.\n"
    "\n"
    "options:\n"
    "  --preset NAME      test (default): 24 views on a ring, 160x120, 12 frames;\n"
    "                     bench: 48 views on a dome, 480x360, 120 frames\n"
    "  --motion NAME      walk, turn, wave, or dance (default: walking round a circle while\n"
    "                     turning, waving and bobbing)\n"
    "  --rig NAME         ring (one ring at three alternating heights) or dome (four rings)\n"
    "  --views N          number of cameras\n"
    "  --frames N         number of frames\n"
    "  --size WxH         image size in pixels\n"
    "  --seed N           varies colours, texture phases and camera intrinsics (default 1)\n"
    "  --samples N        N x N rays per pixel, for anti-aliasing (default 3)\n"
    "  --threads N        worker threads (default: all cores)\n"
    "  --force            replace a capture already in OUTDIR\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n"
    "--views, --frames, --size, --rig, --motion, --seed and --samples override the preset.\n";

typedef struct synth_options {
    const char *output;
    ds_synth_settings settings;
    int threads;
    bool quiet;
} synth_options;

/* Explicit options, applied over the preset whatever their order. */
typedef struct overrides {
    int views, frames, width, height, samples; /* 0: from the preset */
    long seed;                                 /* -1: from the preset */
    bool has_rig, has_motion;
    ds_synth_rig_kind rig;
    ds_synth_motion motion;
} overrides;

static int parse_count(const char *option, const char *text, long max, int *value) {
    long number;
    if (!cli_parse_int(text, 1, max, &number)) {
        return cli_usage_error("synth", "%s must be 1-%ld, not '%s'", option, max, text);
    }
    *value = (int)number;
    return CLI_EXIT_OK;
}

static int parse(int argc, char **argv, synth_options *o) {
    static const struct option options[] = {
        {"preset", required_argument, NULL, 'P'},
        {"motion", required_argument, NULL, 'm'},
        {"rig", required_argument, NULL, 'r'},
        {"views", required_argument, NULL, 'v'},
        {"frames", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"samples", required_argument, NULL, 'a'},
        {"threads", required_argument, NULL, 't'},
        {"force", no_argument, NULL, 'F'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (synth_options){0};
    overrides x = {.seed = -1};
    const char *preset = "test";
    optind = 0;
    int option, result = CLI_EXIT_OK;
    while (result == CLI_EXIT_OK &&
           (option = cli_next_option("synth", argc, argv, "qh", options)) != -1) {
        long number;
        switch (option) {
        case 'P':
            if (strcmp(optarg, "test") != 0 && strcmp(optarg, "bench") != 0) {
                return cli_usage_error("synth", "--preset must be test or bench, not '%s'", optarg);
            }
            preset = optarg;
            break;
        case 'm':
            if (!ds_synth_motion_from_name(optarg, &x.motion)) {
                return cli_usage_error(
                    "synth", "--motion must be walk, turn, wave or dance, not '%s'", optarg);
            }
            x.has_motion = true;
            break;
        case 'r':
            if (!ds_synth_rig_from_name(optarg, &x.rig)) {
                return cli_usage_error("synth", "--rig must be ring or dome, not '%s'", optarg);
            }
            x.has_rig = true;
            break;
        case 'v':
            result = parse_count("--views", optarg, 10000, &x.views);
            break;
        case 'f':
            result = parse_count("--frames", optarg, 100000, &x.frames);
            break;
        case 's':
            if (!cli_parse_size(optarg, &x.width, &x.height)) {
                return cli_usage_error("synth", "--size needs WIDTHxHEIGHT, not '%s'", optarg);
            }
            break;
        case 'S':
            if (!cli_parse_int(optarg, 0, 0x7fffffff, &number)) {
                return cli_usage_error("synth", "--seed needs a number, not '%s'", optarg);
            }
            x.seed = number;
            break;
        case 'a':
            result = parse_count("--samples", optarg, 16, &x.samples);
            break;
        case 't':
            result = parse_count("--threads", optarg, 1024, &o->threads);
            break;
        case 'F':
            o->settings.overwrite = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (result != CLI_EXIT_OK) {
        return result;
    }
    if (argc - optind != 1) {
        return cli_usage_error("synth", "expected one OUTDIR, got %d", argc - optind);
    }
    o->output = argv[optind];
    bool overwrite = o->settings.overwrite;
    ds_status status = ds_synth_preset(preset, &o->settings);
    if (ds_failed(&status)) {
        return cli_usage_error("synth", "%s", status.message);
    }
    ds_synth_settings *s = &o->settings;
    s->overwrite = overwrite;
    s->views = x.views ? x.views : s->views;
    s->frames = x.frames ? x.frames : s->frames;
    s->width = x.width ? x.width : s->width;
    s->height = x.height ? x.height : s->height;
    s->samples = x.samples ? x.samples : s->samples;
    s->seed = x.seed >= 0 ? (uint64_t)x.seed : s->seed;
    s->rig = x.has_rig ? x.rig : s->rig;
    s->motion = x.has_motion ? x.motion : s->motion;
    return CLI_EXIT_OK;
}

typedef struct progress_context {
    cli_progress bar;
    int frames, views;
} progress_context;

static bool on_progress(void *context, int done, int total) {
    progress_context *c = context;
    char detail[96];
    snprintf(detail, sizeof detail, "frame %d/%d", (done - 1) / c->views + 1, c->frames);
    cli_progress_update(&c->bar, "synth", (double)done / total, detail, done == total);
    return !cli_interrupt_requested();
}

int command_synth(int argc, char **argv) {
    synth_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    if (o.threads > 0) {
        omp_set_num_threads(o.threads);
    }
    if (!o.settings.overwrite && ds_synth_output_has_capture(o.output)) {
        cli_error(o.output, "holds a capture already (--force replaces it)");
        return CLI_EXIT_FAILURE;
    }
    const ds_synth_settings *s = &o.settings;
    progress_context progress = {.frames = s->frames, .views = s->views};
    cli_progress_start(&progress.bar, o.quiet);
    cli_interrupt interrupt;
    cli_interrupt_catch(&interrupt);
    double started = cli_seconds();
    ds_status status = ds_synth_generate(o.output, s, on_progress, &progress);
    double seconds = cli_seconds() - started;
    cli_interrupt_release(&interrupt);
    cli_progress_finish(&progress.bar);
    if (ds_failed(&status)) {
        return cli_fail(status.code == DS_ERR_INTERRUPTED ? "synth" : o.output, &status);
    }
    if (!o.quiet) {
        printf("synth %s: %d frame%s x %d view%s (%s), %dx%d, in %.1f s -> %s/image_white, "
               "%s/bones.json\n",
               ds_synth_motion_name(s->motion), s->frames, s->frames == 1 ? "" : "s", s->views,
               s->views == 1 ? "" : "s", ds_synth_rig_name(s->rig), s->width, s->height, seconds,
               o.output, o.output);
    }
    return CLI_EXIT_OK;
}
