#define _POSIX_C_SOURCE 200809L
/* dualsplat play: the desktop player. */
#include "camera_path_option.h"
#include "cli.h"
#include "commands.h"
#include "play_xr.h"

#include "player/desktop_player.h"
#include "player/gl_context.h"
#include "player/http_source.h"
#include "player/input_script.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef DS_ASSETS_DIR
#define DS_ASSETS_DIR "assets"
#endif

static const char help[] =
    "usage: dualsplat play [FILE] [options]\n"
    "\n"
    "Plays a .dsv stream (or shows a .ply, .spz or .splat splat) in a window, rendered on the\n"
    "GPU with OpenGL 4.5. With no FILE it plays the bundled sample, " DS_ASSETS_DIR "/sample.dsv.\n"
    "Without a display, use `dualsplat render FILE -o out.mp4` to make a video instead.\n"
    "\n"
    "keys and mouse:\n"
    "  space              play / pause\n"
    "  left, right        back / forward one second\n"
    "  down, up           previous / next segment (PageDown / PageUp too); Home: frame 0\n"
    "  , .                one frame back / forward (pauses)\n"
    "  - +                half / double speed (1/8x .. 8x)\n"
    "  L                  loop on / off\n"
    "  M                  sound on / off;  9 0: volume down / up\n"
    "  left drag          orbit around the subject\n"
    "  right / middle drag pan;  wheel: zoom\n"
    "  W A S D, Q E       fly forward, left, back, right, down, up\n"
    "  R                  reset the view\n"
    "  O                  overlay: fps, frame, decode and upload ms, GPU ms per stage\n"
    "  F                  full screen\n"
    "  F12                screenshot (PNG)\n"
    "  Esc                quit;  drop a file on the window to play it\n"
    "\n"
    "options:\n"
    "  --size WxH         window size (default 1280x720)\n"
    "  --no-loop          stop at the last frame (default: loop)\n"
    "  --speed X          playback speed (default 1)\n"
    "  --background R,G,B background colour, 0..1 (default 0,0,0)\n"
    "  --no-overlay       start with the overlay hidden\n"
    "  --no-vsync         present as fast as possible\n"
    "  --fullscreen       start full screen\n"
    "  --screenshots DIR  where F12 writes (default: the current folder)\n"
    "  --buffer S         over HTTP: seconds of stream fetched ahead (default 10)\n"
    "  --buffer-mb N      over HTTP: most megabytes of stream kept (default 256)\n"
    "  --no-sound         leave a stream's sound out (a stream with sound otherwise leads\n"
    "                     the picture: frames are shown, held or dropped to follow it; at\n"
    "                     1/2x..2x the sound keeps its pitch, beyond that it is muted)\n"
    "  --volume P         sound volume, 1..100 percent (default 100)\n"
    "  --rendition NAME   with a renditions manifest (FILE.json, made by pack --renditions):\n"
    "                     keep to this one instead of adapting to the measured throughput\n"
    "VR (an OpenXR headset; docs/player.md):\n"
    "  --xr               play in the headset: the performer stands life-size on the floor\n"
    "                     in front of you. Controllers: A / select play-pause, B / menu\n"
    "                     recentre, X Y (left) seek -/+1 s, right thumbstick: flick to seek,\n"
    "                     hold up / down to scale\n"
    "  --xr-fallback      with no headset (or no OpenXR runtime), play in a window instead\n"
    "  --xr-distance M    metres from you to the performer (default 1.5)\n"
    "  --xr-scale S       performer scale (default 1: life-size for a capture in metres)\n"
    "  --xr-turn DEG      turn the performer about the vertical (it faces you with the side\n"
    "                     the desktop view starts on, which may be its back: try 180)\n"
    "  --xr-resolution F  render the eyes at this fraction of the headset's resolution\n"
    "                     (default: lowered and raised to keep each frame within 80% of the\n"
    "                     display period of GPU time)\n"
    "  --xr-budget N      draw at most N splats per frame, the nearest (default: all)\n"
    "  --xr-stereo-sound  a stream's sound as plain stereo (default: it comes from where the\n"
    "                     performer stands, binaural with HRTF, following your head)\n"
    "scripted runs (tests, benchmarks):\n"
    "  --frames N         quit after showing N frames\n"
    "  --exit             quit after the last frame (implies --no-loop)\n"
    "  --every-frame      show every frame in order, never drop one (not real time;\n"
    "                     silent)\n"
    "  --random-seeks N   seek to N random frames, one every half second, then quit\n"
    "  --keys SCRIPT      press keys or drop files at turns of the player's loop, e.g.\n"
    "                     '10:Space;12:Up;14:.;20:drop=other.dsv;30:Escape' (SDL's key names)\n"
    "  --screenshot-after N  a screenshot (as F12) once N frames are shown\n"
    "  --camera-path P    'orbit' or a camera path JSON file (docs/player.md) instead of the\n"
    "                     mouse; --turns N for the orbit (default 1, over the stream)\n"
    "  --debug            OpenGL debug output: count driver errors, exit 1 if any\n"
    "  --json             print a summary as JSON at exit\n"
    "  -q, --quiet        print nothing but errors\n"
    "  -h, --help         show this help\n";

typedef struct play_options {
    ds_player_options player;
    play_xr_settings xr;
    const char *camera_path;
    double turns;
    bool json, quiet;
} play_options;

static void print_notice(void *context, const char *message) {
    (void)context;
    fprintf(stderr, "dualsplat: %s\n", message);
}

static int parse(int argc, char **argv, play_options *o) {
    static const struct option options[] = {
        {"size", required_argument, NULL, 's'},
        {"no-loop", no_argument, NULL, 'L'},
        {"speed", required_argument, NULL, 'x'},
        {"background", required_argument, NULL, 'b'},
        {"no-overlay", no_argument, NULL, 'O'},
        {"no-vsync", no_argument, NULL, 'V'},
        {"fullscreen", no_argument, NULL, 'F'},
        {"screenshots", required_argument, NULL, 'S'},
        {"buffer", required_argument, NULL, 'B'},
        {"buffer-mb", required_argument, NULL, 'M'},
        {"rendition", required_argument, NULL, 'R'},
        {"frames", required_argument, NULL, 'n'},
        {"exit", no_argument, NULL, 'e'},
        {"every-frame", no_argument, NULL, 'E'},
        {"screenshot-after", required_argument, NULL, 'A'},
        {"camera-path", required_argument, NULL, 'p'},
        {"turns", required_argument, NULL, 't'},
        {"debug", no_argument, NULL, 'D'},
        {"xr", no_argument, NULL, 'X'},
        {"xr-fallback", no_argument, NULL, 'W'},
        {"xr-distance", required_argument, NULL, 'Y'},
        {"xr-scale", required_argument, NULL, 'Z'},
        {"xr-turn", required_argument, NULL, 'T'},
        {"xr-resolution", required_argument, NULL, 'U'},
        {"xr-budget", required_argument, NULL, 'G'},
        {"xr-stereo-sound", no_argument, NULL, 'H'},
        {"no-sound", no_argument, NULL, 'N'},
        {"volume", required_argument, NULL, 'v'},
        {"random-seeks", required_argument, NULL, 'K'},
        {"keys", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (play_options){.player = {.width = 1280,
                                   .height = 720,
                                   .loop = true,
                                   .overlay = true,
                                   .vsync = true,
                                   .speed = 1.0,
                                   .notice = print_notice},
                        .turns = 1.0};
    ds_player_options *p = &o->player;
    optind = 0;
    int option;
    while ((option = cli_next_option("play", argc, argv, "qh", options)) != -1) {
        double values[3];
        long number;
        switch (option) {
        case 's':
            if (!cli_parse_size(optarg, &p->width, &p->height)) {
                return cli_usage_error("play", "--size needs WIDTHxHEIGHT, not '%s'", optarg);
            }
            break;
        case 'L':
            p->loop = false;
            break;
        case 'x':
            if (!cli_parse_numbers(optarg, 1, &p->speed) || p->speed < 0.125 || p->speed > 8) {
                return cli_usage_error("play", "--speed must be 0.125..8, not '%s'", optarg);
            }
            break;
        case 'b':
            if (!cli_parse_numbers(optarg, 3, values)) {
                return cli_usage_error("play", "--background needs R,G,B, not '%s'", optarg);
            }
            for (int c = 0; c < 3; c++) {
                p->background[c] = (float)values[c];
            }
            break;
        case 'O':
            p->overlay = false;
            break;
        case 'V':
            p->vsync = false;
            break;
        case 'F':
            p->fullscreen = true;
            break;
        case 'S':
            p->screenshot_folder = optarg;
            break;
        case 'R':
            p->rendition = optarg;
            break;
        case 'B':
            if (!cli_parse_numbers(optarg, 1, &p->buffer_seconds) || p->buffer_seconds < 1 ||
                p->buffer_seconds > 3600) {
                return cli_usage_error("play", "--buffer needs 1..3600 seconds, not '%s'", optarg);
            }
            break;
        case 'M':
            if (!cli_parse_int(optarg, 16, 65536, &number)) {
                return cli_usage_error("play", "--buffer-mb needs 16..65536, not '%s'", optarg);
            }
            p->buffer_bytes = (size_t)number << 20;
            break;
        case 'n':
            if (!cli_parse_int(optarg, 1, 1L << 40, &number)) {
                return cli_usage_error("play", "--frames needs a positive count, not '%s'", optarg);
            }
            p->frame_limit = (uint64_t)number;
            break;
        case 'e':
            p->exit_at_end = true;
            p->loop = false;
            break;
        case 'E':
            p->every_frame = true;
            break;
        case 'A':
            if (!cli_parse_int(optarg, 1, 1L << 40, &number)) {
                return cli_usage_error("play", "--screenshot-after needs a frame count, not '%s'",
                                       optarg);
            }
            p->screenshot_after = (uint64_t)number;
            break;
        case 'p':
            o->camera_path = optarg;
            break;
        case 't':
            if (!cli_parse_numbers(optarg, 1, &o->turns)) {
                return cli_usage_error("play", "--turns needs a number, not '%s'", optarg);
            }
            break;
        case 'D':
            p->debug = true;
            break;
        case 'N':
            p->silent = true;
            break;
        case 'H':
            o->xr.stereo_sound = true;
            break;
        case 'v':
            if (!cli_parse_int(optarg, 1, 100, &number)) {
                return cli_usage_error("play", "--volume needs 1..100 (percent), not '%s'", optarg);
            }
            p->volume_percent = (int)number;
            break;
        case 'k': {
            ds_input_script *script;
            ds_status status = ds_input_script_parse(optarg, &script);
            if (ds_failed(&status)) {
                return cli_usage_error("play", "--keys: %s", status.message);
            }
            ds_input_script_free(script);
            p->input_script = optarg;
            break;
        }
        case 'K':
            if (!cli_parse_int(optarg, 1, 100000, &number)) {
                return cli_usage_error("play", "--random-seeks needs a count, not '%s'", optarg);
            }
            p->random_seeks = (uint32_t)number;
            break;
        case 'X':
            o->xr.enabled = true;
            break;
        case 'W':
            o->xr.fallback = true;
            break;
        case 'Y':
            if (!cli_parse_numbers(optarg, 1, &o->xr.distance) || o->xr.distance < 0.3 ||
                o->xr.distance > 50) {
                return cli_usage_error("play", "--xr-distance needs 0.3..50 metres, not '%s'",
                                       optarg);
            }
            break;
        case 'Z':
            if (!cli_parse_numbers(optarg, 1, &o->xr.scale) || o->xr.scale < 0.05 ||
                o->xr.scale > 20) {
                return cli_usage_error("play", "--xr-scale needs 0.05..20, not '%s'", optarg);
            }
            break;
        case 'T':
            if (!cli_parse_numbers(optarg, 1, &o->xr.turn) || o->xr.turn < -360 ||
                o->xr.turn > 360) {
                return cli_usage_error("play", "--xr-turn needs -360..360 degrees, not '%s'",
                                       optarg);
            }
            break;
        case 'U':
            if (!cli_parse_numbers(optarg, 1, &o->xr.resolution) || o->xr.resolution < 0.25 ||
                o->xr.resolution > 1) {
                return cli_usage_error("play", "--xr-resolution needs 0.25..1, not '%s'", optarg);
            }
            break;
        case 'G':
            if (!cli_parse_int(optarg, 1000, 100000000, &number)) {
                return cli_usage_error("play", "--xr-budget needs 1000..100000000 splats, not '%s'",
                                       optarg);
            }
            o->xr.budget = (unsigned long)number;
            break;
        case 'j':
            o->json = true;
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
    if (argc - optind > 1) {
        return cli_usage_error("play", "expected at most one file, got %d", argc - optind);
    }
    p->path = argc - optind == 1 ? argv[optind] : DS_ASSETS_DIR "/sample.dsv";
    if ((o->xr.fallback || o->xr.distance || o->xr.scale || o->xr.turn || o->xr.resolution ||
         o->xr.budget || o->xr.stereo_sound) &&
        !o->xr.enabled) {
        return cli_usage_error("play", "the --xr-... options need --xr");
    }
    if (o->xr.enabled && o->camera_path) {
        return cli_usage_error("play", "--camera-path is for the desktop; the headset moves the "
                                       "camera in VR");
    }
    return CLI_EXIT_OK;
}

static void print_summary(const play_options *o, const ds_player_report *r) {
    double fps = r->seconds > 0 ? (double)r->redraws / r->seconds : 0;
    if (o->json) {
        printf("{\"frames_shown\": %llu, \"redraws\": %llu, \"seconds\": %.3f, \"fps\": %.2f, "
               "\"dropped\": %llu, \"skipped\": %llu, \"stalls\": %llu, \"stall_seconds\": %.3f, "
               "\"largest_step\": %llu, \"rendition_switches\": %llu, \"renditions\": \"%s\", "
               "\"startup_seconds\": %.3f, \"network_bytes\": %llu, \"retries\": %llu, "
               "\"decode_ms\": %.3f, \"upload_ms\": %.3f, "
               "\"segment_ms\": %.3f, \"gpu_preprocess_ms\": %.3f, \"gpu_sort_ms\": %.3f, "
               "\"gpu_draw_ms\": %.3f, \"gl_errors\": %u, \"sound\": %s, "
               "\"av_offset_ms_mean\": %.2f, \"av_offset_ms_max\": %.2f, \"last_frame\": %u, "
               "\"clock_frame\": %u, "
               "\"paused\": %s, \"looping\": %s, \"speed\": %g, \"muted\": %s, "
               "\"volume_percent\": %d}\n",
               (unsigned long long)r->frames_shown, (unsigned long long)r->redraws, r->seconds, fps,
               (unsigned long long)r->dropped, (unsigned long long)r->skipped,
               (unsigned long long)r->stalls, r->stall_seconds, (unsigned long long)r->largest_step,
               (unsigned long long)r->rendition_switches, r->renditions, r->startup_seconds,
               (unsigned long long)r->network_bytes, (unsigned long long)r->retries, r->decode_ms,
               r->upload_ms, r->segment_ms, r->preprocess_ms, r->sort_ms, r->draw_ms, r->gl_errors,
               r->sound ? "true" : "false",
               r->av_frames ? r->av_offset_ms_sum / (double)r->av_frames : 0.0, r->av_offset_ms_max,
               r->last_frame, r->clock_frame, r->paused ? "true" : "false",
               r->looping ? "true" : "false", r->speed, r->muted ? "true" : "false",
               r->volume_percent);
    } else if (!o->quiet) {
        printf("%s: %llu frames shown in %.1f s (%.1f fps), %llu dropped; decode %.1f ms/frame, "
               "upload %.1f ms; GPU skin+project %.2f ms, sort %.2f ms, draw %.2f ms\n",
               o->player.path, (unsigned long long)r->frames_shown, r->seconds, fps,
               (unsigned long long)r->dropped, r->decode_ms, r->upload_ms, r->preprocess_ms,
               r->sort_ms, r->draw_ms);
    }
}

int command_play(int argc, char **argv) {
    play_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    if (!ds_http_is_url(o.player.path) && access(o.player.path, R_OK) != 0) {
        cli_error(o.player.path, "cannot read it%s",
                  argc > 1 && strcmp(o.player.path, DS_ASSETS_DIR "/sample.dsv") != 0
                      ? ""
                      : " (the bundled sample; give a file to play)");
        return CLI_EXIT_FAILURE;
    }
    if (o.xr.enabled) {
        bool fall_back;
        result = play_xr(&o.player, &o.xr, o.json, o.quiet, &fall_back);
        if (!fall_back) {
            return result;
        }
    }
    if (!ds_gl_display_available()) {
        cli_error("play",
                  "no display to open a window on (DISPLAY is unset); make a video with "
                  "`dualsplat render %s -o out.mp4`",
                  o.player.path);
        return CLI_EXIT_FAILURE;
    }
    ds_camera_path path = {0};
    bool has_path = false;
    if (o.camera_path) {
        ds_media *media;
        ds_status status = ds_media_open(o.player.path, &media);
        if (!ds_failed(&status)) {
            double duration = ds_media_frame_count(media) / ds_media_fps(media);
            status = camera_path_option_load(o.camera_path, o.turns, duration > 1 ? duration : 4,
                                             media, o.player.width, o.player.height, &path);
            ds_media_free(media);
        }
        if (ds_failed(&status)) {
            return cli_fail(o.camera_path, &status);
        }
        has_path = true;
        o.player.camera_path = &path;
    }
    ds_player_report report;
    ds_status status = ds_player_run(&o.player, &report);
    if (has_path) {
        ds_camera_path_free(&path);
    }
    if (ds_failed(&status)) {
        return cli_fail(o.player.path, &status);
    }
    print_summary(&o, &report);
    if (o.player.debug && report.gl_errors > 0) {
        cli_error("play", "%u OpenGL errors, the last: %s", report.gl_errors, report.last_gl_error);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
