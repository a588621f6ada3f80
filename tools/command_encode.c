/* dualsplat encode: a capture to a .dsv stream in one command — fit, track, pack. */
#include "cli.h"
#include "commands.h"

#include "encoder/audio_track.h"
#include "formats/capture.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat encode CAPTURE -o OUT.dsv [options]\n"
    "\n"
    "Turns a multi-view capture into a .dsv stream: `fit` of frame 0, `track` of the frames\n"
    "after it, then `pack`. The intermediate results go to a work folder (OUT.dsv.work by\n"
    "default) and are kept: every stage resumes where it stopped, so running the same command\n"
    "again after an interruption continues, and a later `pack` can re-encode at another\n"
    "quality without tracking again.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       the stream to write (required)\n"
    "  --work DIR              the work folder (default: OUT.dsv.work)\n"
    "  --frames A:B            frames to encode (default: all; A must be 0: fit is of frame 0)\n"
    "  --max-width W           fit and track at most W pixels wide (default 960)\n"
    "  --joint-iterations N, --skin-iterations N, --fine-iterations N\n"
    "                          passed to fit and track (see their --help)\n"
    "  --quality PRESET        low, default, high or lossless (pack's --quality)\n"
    "  --segment-frames N      frames per segment (default 50)\n"
    "  --fps N[/D]             frame rate (default 30)\n"
    "  --up AXIS               the world axis that is up (+x, -x, +y, -y, +z, -z), stored in\n"
    "                          the stream (default: what the cameras' own up vectors agree on)\n"
    "  --audio FILE            the performance's sound, stored with the picture (pack's\n"
    "                          --audio; checked before fitting starts)\n"
    "  --audio-offset S, --audio-codec NAME, --audio-bitrate KBPS\n"
    "                          passed to pack (see its --help)\n"
    "  -q, --quiet             no progress display\n"
    "  -h, --help              show this help\n";

typedef struct encode_options {
    const char *capture, *output, *work, *frames, *max_width, *quality, *segment_frames, *fps, *up;
    const char *joint_iterations, *skin_iterations, *fine_iterations;
    const char *audio, *audio_offset, *audio_codec, *audio_bitrate;
    bool quiet;
} encode_options;

static int parse(int argc, char **argv, encode_options *o) {
    enum {
        WORK = 256,
        FRAMES,
        WIDTH,
        QUALITY,
        SEGMENT,
        FPS,
        JOINT,
        SKIN,
        FINE,
        UP,
        AUDIO,
        AUDIO_OFFSET,
        AUDIO_CODEC,
        AUDIO_BITRATE
    };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"work", required_argument, NULL, WORK},
        {"frames", required_argument, NULL, FRAMES},
        {"max-width", required_argument, NULL, WIDTH},
        {"quality", required_argument, NULL, QUALITY},
        {"segment-frames", required_argument, NULL, SEGMENT},
        {"fps", required_argument, NULL, FPS},
        {"joint-iterations", required_argument, NULL, JOINT},
        {"skin-iterations", required_argument, NULL, SKIN},
        {"fine-iterations", required_argument, NULL, FINE},
        {"up", required_argument, NULL, UP},
        {"audio", required_argument, NULL, AUDIO},
        {"audio-offset", required_argument, NULL, AUDIO_OFFSET},
        {"audio-codec", required_argument, NULL, AUDIO_CODEC},
        {"audio-bitrate", required_argument, NULL, AUDIO_BITRATE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (encode_options){0};
    optind = 0;
    int c;
    while ((c = cli_next_option("encode", argc, argv, "o:qh", options)) != -1) {
        switch (c) {
        case 'o':
            o->output = optarg;
            break;
        case WORK:
            o->work = optarg;
            break;
        case FRAMES:
            o->frames = optarg;
            break;
        case WIDTH:
            o->max_width = optarg;
            break;
        case QUALITY:
            o->quality = optarg;
            break;
        case SEGMENT:
            o->segment_frames = optarg;
            break;
        case FPS:
            o->fps = optarg;
            break;
        case JOINT:
            o->joint_iterations = optarg;
            break;
        case SKIN:
            o->skin_iterations = optarg;
            break;
        case FINE:
            o->fine_iterations = optarg;
            break;
        case UP:
            o->up = optarg;
            break;
        case AUDIO:
            o->audio = optarg;
            break;
        case AUDIO_OFFSET:
            o->audio_offset = optarg;
            break;
        case AUDIO_CODEC:
            o->audio_codec = optarg;
            break;
        case AUDIO_BITRATE:
            o->audio_bitrate = optarg;
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
    if (optind != argc - 1) {
        return cli_usage_error("encode",
                               optind >= argc ? "no capture given" : "one capture at a time");
    }
    o->capture = argv[optind];
    if (!o->output) {
        return cli_usage_error("encode", "no output given (-o OUT.dsv)");
    }
    if (o->frames && strncmp(o->frames, "0:", 2) != 0) {
        return cli_usage_error("encode", "--frames must start at 0 (A:B with A = 0), not '%s'",
                               o->frames);
    }
    return CLI_EXIT_OK;
}

/* An argument list for a subcommand, built up one argument at a time. */
typedef struct arguments {
    char *values[32];
    int count;
} arguments;

static void add(arguments *a, const char *value) {
    if (value && a->count < 31) {
        a->values[a->count++] = (char *)value;
        a->values[a->count] = NULL;
    }
}

static void add_option(arguments *a, const char *name, const char *value) {
    if (value) {
        add(a, name);
        add(a, value);
    }
}

static int run(int (*command)(int, char **), arguments *a) {
    return command(a->count, a->values);
}

/* The capture's up axis as its cameras see it (nothing when they do not agree). */
static void capture_up(const char *path, char *up, size_t size) {
    ds_capture *capture;
    ds_status status = ds_capture_open(path, NULL, &capture);
    if (ds_failed(&status)) {
        return;
    }
    ds_dsv_up_axis axis = ds_capture_up_axis(capture);
    if (axis != DS_DSV_UP_UNSPECIFIED) {
        snprintf(up, size, "%s", ds_dsv_up_axis_name(axis));
    }
    ds_capture_free(capture);
}

int command_encode(int argc, char **argv) {
    encode_options o;
    int code = parse(argc, argv, &o);
    if (code != CLI_EXIT_OK) {
        return code < 0 ? CLI_EXIT_OK : code;
    }
    if (o.audio) {
        /* Hours of fitting and tracking should not end on a sound file that cannot be read: code
         * it once now (seconds), and let pack code it again at the end. */
        ds_audio_settings settings = {0};
        ds_audio_track audio;
        ds_status status = ds_audio_track_encode_file(o.audio, &settings, &audio);
        if (ds_failed(&status)) {
            return cli_fail("encode", &status);
        }
        ds_audio_track_free(&audio);
    }
    char work[4096], fit[4200], track[4200], track_frames[64];
    if (o.work) {
        snprintf(work, sizeof work, "%s", o.work);
    } else {
        snprintf(work, sizeof work, "%s.work", o.output);
    }
    if (mkdir(work, 0755) != 0 && errno != EEXIST) {
        cli_error(work, "cannot create the work folder: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    snprintf(fit, sizeof fit, "%s/fit", work);
    snprintf(track, sizeof track, "%s/track", work);
    snprintf(track_frames, sizeof track_frames, "1:%s", o.frames ? o.frames + 2 : "");

    arguments a = {0};
    add(&a, "fit");
    add(&a, o.capture);
    add_option(&a, "-o", fit);
    add_option(&a, "--max-width", o.max_width);
    add_option(&a, "--joint-iterations", o.joint_iterations);
    add_option(&a, "--skin-iterations", o.skin_iterations);
    add(&a, o.quiet ? "-q" : NULL);
    if (!o.quiet) {
        fprintf(stderr, "encode: 1/3 fitting frame 0 into %s\n", fit);
    }
    code = run(command_fit, &a);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    /* One frame is a static stream of the fitted skin; no tracking. */
    bool single_frame = o.frames && strcmp(o.frames, "0:0") == 0;
    char skin[4300];
    snprintf(skin, sizeof skin, "%s/skin.ply", fit);
    a = (arguments){0};
    add(&a, "track");
    add(&a, o.capture);
    add_option(&a, "--from", fit);
    add_option(&a, "-o", track);
    add_option(&a, "--frames", track_frames);
    add_option(&a, "--max-width", o.max_width);
    add_option(&a, "--fine-iterations", o.fine_iterations);
    add(&a, o.quiet ? "-q" : NULL);
    if (!o.quiet && !single_frame) {
        fprintf(stderr, "encode: 2/3 tracking into %s\n", track);
    }
    code = single_frame ? CLI_EXIT_OK : run(command_track, &a);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    a = (arguments){0};
    add(&a, "pack");
    add(&a, single_frame ? skin : track);
    add_option(&a, "-o", o.output);
    add_option(&a, "--quality", o.quality);
    add_option(&a, "--segment-frames", o.segment_frames);
    add_option(&a, "--fps", o.fps);
    char up[16] = "";
    if (!o.up) {
        capture_up(o.capture, up, sizeof up);
    }
    add_option(&a, "--up", o.up ? o.up : (up[0] ? up : NULL));
    add_option(&a, "--audio", o.audio);
    add_option(&a, "--audio-offset", o.audio_offset);
    add_option(&a, "--audio-codec", o.audio_codec);
    add_option(&a, "--audio-bitrate", o.audio_bitrate);
    add(&a, o.quiet ? "-q" : NULL);
    if (!o.quiet) {
        fprintf(stderr, "encode: 3/3 packing %s\n", o.output);
    }
    return run(command_pack, &a);
}
