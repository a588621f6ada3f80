#define _POSIX_C_SOURCE 200809L
/* dualsplat render: an image of a splat or stream frame, or a video / PNG sequence of a stream
 * through time along a camera path. */
#include "camera_path_option.h"
#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "progress.h"

#include "formats/capture.h"
#include "formats/png.h"
#include "formats/splat_file.h"
#include "player/gl_context.h"
#include "player/media.h"
#include "player/offline_render.h"
#include "render/gl_renderer.h"
#include "render/rasterizer.h"
#include "render/stream_frame.h"
#include "render/view.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: dualsplat render [options] IN -o OUT.png\n"
    "       dualsplat render [options] IN.dsv -o OUT.mp4 [--path orbit]\n"
    "       dualsplat render [options] IN.dsv -o 'DIR/%04d.png'\n"
    "\n"
    "Renders a splat (.ply, .spz, .splat) or a frame of a .dsv stream to a PNG with the OpenGL\n"
    "renderer (headless: no display needed), or with --cpu the CPU reference rasterizer (the\n"
    "semantics of the original 3DGS CUDA rasterizer). An OUT ending in .mp4, .mkv or .mov is a\n"
    "video of the stream through time (H.264 when this libavcodec has it); a PNG name with one\n"
    "%d in it is a numbered PNG sequence of the same frames. A video of a stream with sound\n"
    "carries that sound (AAC), in time with the frames.\n"
    "\n"
    "camera (docs/cameras.md: world axes are the splat's, x right, y down, z forward, as\n"
    "COLMAP-trained splats have them):\n"
    "  --camera X,Y,Z     camera position; alone, it looks at the splat's centre\n"
    "  --look-at X,Y,Z    point at the image centre\n"
    "  --up X,Y,Z         world direction that is up in the image (default: a stream's\n"
    "                     stored up axis, else 0,-1,0)\n"
    "  --fov DEG          vertical field of view in degrees (default 50)\n"
    "  --size WxH         image size in pixels (default 960x540)\n"
    "  --view N --capture DIR\n"
    "                     the camera (and image size) of view N of a capture: its\n"
    "                     image_white folder, transforms.json or COLMAP folder\n"
    "  --scale S          with --view: resolution scale of the capture (default 1)\n"
    "With no camera options the splat is framed from the front (looking along +z): the box\n"
    "holding the central 99% of its Gaussians on every axis fills the view, so far-away\n"
    "floaters do not shrink the object to a dot.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the PNG, video or PNG pattern to write (required)\n"
    "  --background R,G,B background colour, 0..1 (default 0,0,0; a capture's own with --view)\n"
    "  --sh-degree N      evaluate SH only up to degree N (default: all the splat has)\n"
    "  --frame N          the frame of a .dsv stream to render (default 0); the first frame\n"
    "                     of a video\n"
    "  --cpu              use the CPU reference rasterizer (single images)\n"
    "video and PNG sequences:\n"
    "  --path P           the camera through time: 'orbit' (around the subject over the\n"
    "                     video) or a camera path JSON file (docs/player.md); default: the\n"
    "                     still camera the options above give\n"
    "  --turns N          turns of the orbit (default 1)\n"
    "  --duration S       seconds of video (default: the rest of the stream; a splat: 4)\n"
    "  --fps N            frames per second of the video (default: the stream's)\n"
    "  --no-loop          past the stream's end hold its last frame (default: start over)\n"
    "  --no-sound         leave the stream's sound out of the video\n"
    "  --codec NAME       video encoder (default: libx264, else what this libavcodec has)\n"
    "  --quality Q        video quality, 1 (best) .. 51 (default 20)\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n";

typedef struct render_options {
    const char *input, *output, *capture, *path, *codec;
    bool has_eye, has_target, has_up, quiet, cpu, loop, silent;
    double turns, duration, fps;
    long quality;
    double eye[3], target[3], up[3], fov;
    int width, height, view, sh_degree;
    long frame;
    double scale;
    float background[3];
    bool has_background;
} render_options;

static int parse(int argc, char **argv, render_options *o) {
    static const struct option options[] = {
        {"camera", required_argument, NULL, 'c'},
        {"look-at", required_argument, NULL, 'l'},
        {"up", required_argument, NULL, 'u'},
        {"fov", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},
        {"view", required_argument, NULL, 'v'},
        {"capture", required_argument, NULL, 'C'},
        {"scale", required_argument, NULL, 'S'},
        {"output", required_argument, NULL, 'o'},
        {"background", required_argument, NULL, 'b'},
        {"sh-degree", required_argument, NULL, 'd'},
        {"cpu", no_argument, NULL, 'p'},
        {"path", required_argument, NULL, 'P'},
        {"turns", required_argument, NULL, 'T'},
        {"duration", required_argument, NULL, 'D'},
        {"fps", required_argument, NULL, 'R'},
        {"no-loop", no_argument, NULL, 'N'},
        {"no-sound", no_argument, NULL, 'M'},
        {"codec", required_argument, NULL, 'k'},
        {"quality", required_argument, NULL, 'Q'},
        {"frame", required_argument, NULL, 'F'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (render_options){.up = {0, -1, 0},
                          .fov = 50,
                          .width = 960,
                          .height = 540,
                          .view = -1,
                          .sh_degree = -1,
                          .scale = 1.0,
                          .turns = 1.0,
                          .loop = true};
    optind = 0;
    int option;
    while ((option = cli_next_option("render", argc, argv, "o:qh", options)) != -1) {
        double values[3];
        long number;
        switch (option) {
        case 'F':
            if (!cli_parse_int(optarg, 0, 1L << 30, &o->frame)) {
                return cli_usage_error("render", "--frame needs a frame number, not '%s'", optarg);
            }
            break;
        case 'c':
            if (!cli_parse_numbers(optarg, 3, o->eye)) {
                return cli_usage_error("render", "--camera needs X,Y,Z, not '%s'", optarg);
            }
            o->has_eye = true;
            break;
        case 'l':
            if (!cli_parse_numbers(optarg, 3, o->target)) {
                return cli_usage_error("render", "--look-at needs X,Y,Z, not '%s'", optarg);
            }
            o->has_target = true;
            break;
        case 'u':
            if (!cli_parse_numbers(optarg, 3, o->up)) {
                return cli_usage_error("render", "--up needs X,Y,Z, not '%s'", optarg);
            }
            o->has_up = true;
            break;
        case 'f':
            if (!cli_parse_numbers(optarg, 1, &o->fov) || o->fov <= 0 || o->fov >= 180) {
                return cli_usage_error("render", "--fov must be between 0 and 180, not '%s'",
                                       optarg);
            }
            break;
        case 's':
            if (!cli_parse_size(optarg, &o->width, &o->height)) {
                return cli_usage_error("render", "--size needs WIDTHxHEIGHT, not '%s'", optarg);
            }
            break;
        case 'v':
            if (!cli_parse_int(optarg, 0, 1000000, &number)) {
                return cli_usage_error("render", "--view needs a view number, not '%s'", optarg);
            }
            o->view = (int)number;
            break;
        case 'C':
            o->capture = optarg;
            break;
        case 'S':
            if (!cli_parse_numbers(optarg, 1, &o->scale) || o->scale <= 0 || o->scale > 1) {
                return cli_usage_error("render", "--scale must be in (0, 1], not '%s'", optarg);
            }
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'b':
            if (!cli_parse_numbers(optarg, 3, values)) {
                return cli_usage_error("render", "--background needs R,G,B, not '%s'", optarg);
            }
            for (int c = 0; c < 3; c++) {
                o->background[c] = (float)values[c];
            }
            o->has_background = true;
            break;
        case 'd':
            if (!cli_parse_int(optarg, 0, DS_SH_MAX_DEGREE, &number)) {
                return cli_usage_error("render", "--sh-degree must be 0-3, not '%s'", optarg);
            }
            o->sh_degree = (int)number;
            break;
        case 'p':
            o->cpu = true;
            break;
        case 'P':
            o->path = optarg;
            break;
        case 'T':
            if (!cli_parse_numbers(optarg, 1, &o->turns)) {
                return cli_usage_error("render", "--turns needs a number, not '%s'", optarg);
            }
            break;
        case 'D':
            if (!cli_parse_numbers(optarg, 1, &o->duration) || !(o->duration > 0) ||
                o->duration > 86400) {
                return cli_usage_error("render", "--duration needs seconds > 0, not '%s'", optarg);
            }
            break;
        case 'R':
            if (!cli_parse_numbers(optarg, 1, &o->fps) || !(o->fps > 0) || o->fps > 1000) {
                return cli_usage_error("render", "--fps needs a rate in (0, 1000], not '%s'",
                                       optarg);
            }
            break;
        case 'N':
            o->loop = false;
            break;
        case 'M':
            o->silent = true;
            break;
        case 'k':
            o->codec = optarg;
            break;
        case 'Q':
            if (!cli_parse_int(optarg, 1, 51, &o->quality)) {
                return cli_usage_error("render", "--quality must be 1..51, not '%s'", optarg);
            }
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
    if (argc - optind != 1) {
        return cli_usage_error("render", "expected one input splat, got %d", argc - optind);
    }
    o->input = argv[optind];
    if (!o->output) {
        return cli_usage_error("render", "missing -o OUT.png");
    }
    if ((o->view >= 0) != (o->capture != NULL)) {
        return cli_usage_error("render", "--view and --capture go together");
    }
    if (o->view >= 0 && (o->has_eye || o->has_target)) {
        return cli_usage_error("render", "--view replaces --camera and --look-at");
    }
    return CLI_EXIT_OK;
}

/* The capture's camera for view N, and its background. */
static int capture_camera(render_options *o, ds_camera *camera) {
    ds_capture_options options = ds_capture_default_options();
    options.scale = o->scale;
    ds_capture *capture;
    ds_status status = ds_capture_open(o->capture, &options, &capture);
    if (ds_failed(&status)) {
        return cli_fail(o->capture, &status);
    }
    if ((size_t)o->view >= capture->view_count) {
        cli_error(o->capture, "has %zu views; there is no view %d", capture->view_count, o->view);
        ds_capture_free(capture);
        return CLI_EXIT_USAGE;
    }
    *camera = capture->views[o->view].camera;
    if (!o->has_background) {
        memcpy(o->background, capture->background, sizeof o->background);
    }
    ds_capture_free(capture);
    return CLI_EXIT_OK;
}

/* A splat file, or frame --frame of a .dsv stream (recognised by its signature). */
static ds_status load_input(render_options *o, ds_gaussian_cloud **cloud) {
    if (!ds_media_is_stream(o->input)) {
        if (o->frame > 0) {
            return ds_error(DS_ERR_ARGUMENT, "--frame applies to .dsv streams only");
        }
        return ds_splat_file_load(o->input, cloud, NULL);
    }
    ds_dsv *dsv;
    ds_status status = ds_media_open_stream(o->input, &dsv);
    if (ds_failed(&status)) {
        return status;
    }
    if (!o->has_up) {
        ds_dsv_up_vector(dsv->header.up_axis, o->up); /* upright as the stream says */
    }
    status = ds_stream_cloud_create(dsv, cloud);
    if (!ds_failed(&status)) {
        status = ds_stream_read_frame(dsv, (uint32_t)o->frame, *cloud);
        if (ds_failed(&status)) {
            ds_gaussian_cloud_free(*cloud);
            *cloud = NULL;
        }
    }
    ds_dsv_close(dsv);
    return status;
}

static bool is_video_name(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot &&
           (strcmp(dot, ".mp4") == 0 || strcmp(dot, ".mkv") == 0 || strcmp(dot, ".mov") == 0);
}

/* The camera the options give, framing `cloud` when they leave it open. */
static int choose_camera(render_options *o, const ds_gaussian_cloud *cloud, ds_camera *camera) {
    ds_status status = ds_ok();
    if (o->view >= 0) {
        return capture_camera(o, camera);
    }
    if (o->has_target) {
        double eye[3] = {o->eye[0], o->eye[1], o->eye[2]};
        if (!o->has_eye) {
            /* A target alone: frame the splat, then look at the target from there. */
            ds_camera framed;
            status = ds_camera_frame_cloud(cloud, NULL, NULL, o->up, o->fov, o->width, o->height,
                                           &framed);
            ds_camera_center(&framed, eye);
        }
        if (!ds_failed(&status)) {
            status = ds_camera_look_at(eye, o->target, o->up, o->fov, o->width, o->height, camera);
        }
    } else {
        status = ds_camera_frame_cloud(cloud, o->has_eye ? o->eye : NULL, NULL, o->up, o->fov,
                                       o->width, o->height, camera);
    }
    return ds_failed(&status) ? cli_fail("render", &status) : CLI_EXIT_OK;
}

static ds_status render_cpu(const render_options *o, const ds_gaussian_cloud *cloud,
                            const ds_camera *camera, ds_image *image, size_t *visible) {
    ds_rasterizer *rasterizer;
    ds_status status = ds_rasterizer_create(&rasterizer);
    if (ds_failed(&status)) {
        return status;
    }
    ds_raster_settings settings = {.sh_degree = o->sh_degree, .antialiased = cloud->antialiased};
    memcpy(settings.background, o->background, sizeof settings.background);
    status = ds_rasterize(rasterizer, cloud, camera, &settings, image);
    *visible = ds_rasterizer_statistics(rasterizer).visible;
    ds_rasterizer_free(rasterizer);
    return status;
}

/* The GL renderer in a hidden (or, with no display, headless) context. */
static ds_status render_gpu(const render_options *o, const ds_gaussian_cloud *cloud,
                            const ds_camera *camera, ds_image *image, size_t *visible) {
    ds_gl_context context;
    ds_gl_context_options options = {.title = "dualsplat render", .width = 64, .height = 64};
    ds_status status = ds_gl_context_create(&options, &context);
    if (ds_failed(&status)) {
        return status;
    }
    ds_gl_scene scene = ds_gl_scene_of_cloud(cloud);
    if (o->sh_degree >= 0 && o->sh_degree < scene.sh_degree) {
        scene.sh_degree = o->sh_degree;
    }
    ds_gl_renderer *renderer;
    status = ds_gl_renderer_create(&scene, 1, &renderer);
    if (!ds_failed(&status)) {
        ds_gl_frame_info info;
        ds_gl_frame_fill_cloud(ds_gl_renderer_layout(renderer), cloud,
                               ds_gl_renderer_slot(renderer, 0), &info);
        ds_gl_draw_options draw = {
            .background = {o->background[0], o->background[1], o->background[2]}};
        status = ds_gl_renderer_draw(renderer, 0, &info, camera, &draw);
        ds_image_free(image);
        if (!ds_failed(&status)) {
            status = ds_gl_renderer_read_image(renderer, image);
        }
        *visible = ds_gl_renderer_visible_count(renderer);
        ds_gl_renderer_free(renderer);
    }
    ds_gl_context_destroy(&context);
    return status;
}

static int render_image(render_options *o, const ds_gaussian_cloud *cloud,
                        const ds_camera *camera) {
    ds_image image = {0};
    size_t visible = 0;
    ds_status status = ds_image_create(camera->width, camera->height, &image);
    if (!ds_failed(&status) && !o->cpu) {
        status = render_gpu(o, cloud, camera, &image, &visible);
        if (ds_failed(&status) && status.code == DS_ERR_UNSUPPORTED) {
            /* No usable OpenGL here: the reference rasterizer gives the same picture. */
            cli_warning("no OpenGL renderer (%s); using the CPU rasterizer", status.message);
            o->cpu = true;
            status = ds_image_create(camera->width, camera->height, &image);
        }
    }
    if (!ds_failed(&status) && o->cpu) {
        status = render_cpu(o, cloud, camera, &image, &visible);
    }
    if (ds_failed(&status)) {
        ds_image_free(&image);
        return cli_fail(o->input, &status);
    }
    status = ds_png_save(o->output, &image);
    ds_image_free(&image);
    if (ds_failed(&status)) {
        return cli_fail(o->output, &status);
    }
    if (!o->quiet) {
        char count[32], shown[32];
        cli_format_count(cloud->count, count, sizeof count);
        cli_format_count(visible, shown, sizeof shown);
        printf("%s -> %s: %dx%d, %s of %s Gaussians visible (%s)\n", o->input, o->output,
               camera->width, camera->height, shown, count, o->cpu ? "CPU" : "OpenGL");
    }
    return CLI_EXIT_OK;
}

/* Ctrl-C (or SIGTERM) stops between frames; the partial video is removed. */
static bool sequence_progress(void *context, uint64_t done, uint64_t total) {
    char detail[64];
    snprintf(detail, sizeof detail, "frame %llu/%llu", (unsigned long long)done,
             (unsigned long long)total);
    cli_progress_update(context, "rendering", (double)done / (double)total, detail, false);
    return !cli_interrupt_requested();
}

static void sequence_warning(void *context, const char *message) {
    (void)context;
    cli_warning("%s", message);
}

static int render_sequence(render_options *o, ds_media *media, const ds_camera *still) {
    ds_status status;
    ds_camera_path path = {0};
    bool has_path = o->path != NULL;
    if (has_path) {
        double duration = o->duration;
        if (duration <= 0) {
            uint32_t frames = ds_media_frame_count(media);
            duration = frames > 1 ? (frames - (uint32_t)o->frame) / ds_media_fps(media) : 4.0;
        }
        status = camera_path_option_load(o->path, o->turns, duration, media, still->width,
                                         still->height, &path);
        if (ds_failed(&status)) {
            return cli_fail(o->path, &status);
        }
    }
    ds_gl_context context;
    ds_gl_context_options options = {.title = "dualsplat render", .width = 64, .height = 64};
    status = ds_gl_context_create(&options, &context);
    if (ds_failed(&status)) {
        if (has_path) {
            ds_camera_path_free(&path);
        }
        return cli_fail("render", &status);
    }
    cli_progress bar;
    cli_progress_start(&bar, o->quiet);
    cli_interrupt interrupt;
    cli_interrupt_catch(&interrupt);
    ds_offline_render_options render = {
        .output = o->output,
        .width = still->width,
        .height = still->height,
        .path = has_path ? &path : NULL,
        .camera = still,
        .fps = o->fps,
        .duration = o->duration,
        .first_frame = (uint32_t)o->frame,
        .loop = o->loop,
        .silent = o->silent,
        .background = {o->background[0], o->background[1], o->background[2]},
        .codec = o->codec,
        .quality = (int)o->quality,
        .progress = sequence_progress,
        .warning = sequence_warning,
        .context = &bar};
    ds_offline_render_report report;
    status = ds_offline_render(media, &render, &report);
    cli_progress_finish(&bar);
    cli_interrupt_release(&interrupt);
    ds_gl_context_destroy(&context);
    if (has_path) {
        ds_camera_path_free(&path);
    }
    if (ds_failed(&status)) {
        return cli_fail(status.code == DS_ERR_INTERRUPTED ? "render" : o->output, &status);
    }
    if (!o->quiet) {
        printf("%s -> %s: %llu frames, %dx%d%s%s%s, in %.1f s (decode %.1f ms/frame; GPU "
               "skin+project %.1f ms, sort %.1f ms, draw %.1f ms)\n",
               o->input, o->output, (unsigned long long)report.frames, still->width, still->height,
               report.codec[0] ? ", " : "", report.codec, report.sound ? " with AAC sound" : "",
               report.seconds, report.decode_ms, report.preprocess_ms, report.sort_ms,
               report.draw_ms);
    }
    return report.skipped ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int command_render(int argc, char **argv) {
    render_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    bool sequence = is_video_name(o.output) || ds_offline_output_is_png_sequence(o.output);
    if (sequence && o.cpu) {
        return cli_usage_error("render", "--cpu renders single images, not videos");
    }
    if (!sequence && (o.path || o.duration > 0 || o.fps > 0 || o.codec)) {
        return cli_usage_error("render", "--path, --duration, --fps and --codec need a video or "
                                         "PNG pattern output (OUT.mp4, 'DIR/%%04d.png')");
    }
    const char *dot = strrchr(o.output, '.');
    if (!sequence && !(dot && strcmp(dot, ".png") == 0)) {
        return cli_usage_error("render",
                               "%s: write a .png, a PNG pattern ('DIR/%%04d.png') or a "
                               ".mp4, .mkv or .mov video",
                               o.output);
    }
    ds_gaussian_cloud *cloud;
    ds_camera camera;
    if (!sequence) {
        ds_status status = load_input(&o, &cloud);
        if (ds_failed(&status)) {
            return cli_fail(o.input, &status);
        }
        result = choose_camera(&o, cloud, &camera);
        if (result == CLI_EXIT_OK) {
            result = render_image(&o, cloud, &camera);
        }
        ds_gaussian_cloud_free(cloud);
        return result;
    }
    /* A video reads the input once (over HTTP, once is what it costs). */
    ds_media *media;
    ds_status status = ds_media_open(o.input, &media);
    if (!ds_failed(&status) && !ds_media_stream(media) && o.frame > 0) {
        status = ds_error(DS_ERR_ARGUMENT, "--frame applies to .dsv streams only");
    }
    if (!ds_failed(&status)) {
        if (!o.has_up) {
            ds_media_up(media, o.up);
        }
        status = ds_media_frame_cloud(media, (uint32_t)o.frame, &cloud);
    }
    if (ds_failed(&status)) {
        ds_media_free(media);
        return cli_fail(o.input, &status);
    }
    result = choose_camera(&o, cloud, &camera);
    ds_gaussian_cloud_free(cloud);
    if (result == CLI_EXIT_OK) {
        result = render_sequence(&o, media, &camera);
    }
    ds_media_free(media);
    return result;
}
