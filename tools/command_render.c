/* dualsplat render: one image of a splat from a camera. */
#include "cli.h"
#include "commands.h"

#include "formats/capture.h"
#include "formats/png.h"
#include "formats/splat_file.h"
#include "render/rasterizer.h"
#include "render/stream_frame.h"
#include "render/view.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "usage: dualsplat render [options] IN -o OUT.png\n"
    "\n"
    "Renders a splat (.ply, .spz, .splat) or a frame of a .dsv stream to a PNG with the CPU\n"
    "reference rasterizer (the semantics of the original 3DGS CUDA rasterizer).\n"
    "\n"
    "camera (docs/cameras.md: world axes are the splat's, x right, y down, z forward, as\n"
    "COLMAP-trained splats have them):\n"
    "  --camera X,Y,Z     camera position; alone, it looks at the splat's centre\n"
    "  --look-at X,Y,Z    point at the image centre\n"
    "  --up X,Y,Z         world direction that is up in the image (default 0,-1,0)\n"
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
    "  -o, --output FILE  the PNG to write (required)\n"
    "  --background R,G,B background colour, 0..1 (default 0,0,0; a capture's own with --view)\n"
    "  --sh-degree N      evaluate SH only up to degree N (default: all the splat has)\n"
    "  --frame N          the frame of a .dsv stream to render (default 0)\n"
    "  --cpu              use the CPU reference rasterizer (the only renderer so far)\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n";

typedef struct render_options {
    const char *input, *output, *capture;
    bool has_eye, has_target, quiet;
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
                          .scale = 1.0};
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
            break; /* the CPU rasterizer is the only one so far */
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
static ds_status load_input(const render_options *o, ds_gaussian_cloud **cloud) {
    if (!ds_dsv_file_is_stream(o->input)) {
        if (o->frame > 0) {
            return ds_error(DS_ERR_ARGUMENT, "--frame applies to .dsv streams only");
        }
        return ds_splat_file_load(o->input, cloud, NULL);
    }
    ds_dsv *dsv;
    ds_status status = ds_dsv_open_file(o->input, &dsv);
    if (ds_failed(&status)) {
        return status;
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

int command_render(int argc, char **argv) {
    render_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    ds_gaussian_cloud *cloud;
    ds_status status = load_input(&o, &cloud);
    if (ds_failed(&status)) {
        return cli_fail(o.input, &status);
    }
    ds_camera camera;
    if (o.view >= 0) {
        result = capture_camera(&o, &camera);
    } else if (o.has_target) {
        double eye[3] = {o.eye[0], o.eye[1], o.eye[2]};
        if (!o.has_eye) {
            /* A target alone: frame the splat, then look at the target from there. */
            ds_camera framed;
            status =
                ds_camera_frame_cloud(cloud, NULL, NULL, o.up, o.fov, o.width, o.height, &framed);
            ds_camera_center(&framed, eye);
        }
        if (!ds_failed(&status)) {
            status = ds_camera_look_at(eye, o.target, o.up, o.fov, o.width, o.height, &camera);
        }
    } else {
        status = ds_camera_frame_cloud(cloud, o.has_eye ? o.eye : NULL, NULL, o.up, o.fov, o.width,
                                       o.height, &camera);
    }
    if (ds_failed(&status)) {
        result = cli_fail("render", &status);
    }
    ds_rasterizer *rasterizer = NULL;
    ds_image image = {0};
    if (result == CLI_EXIT_OK) {
        status = ds_rasterizer_create(&rasterizer);
        if (!ds_failed(&status)) {
            status = ds_image_create(camera.width, camera.height, &image);
        }
        ds_raster_settings settings = {.sh_degree = o.sh_degree, .antialiased = cloud->antialiased};
        memcpy(settings.background, o.background, sizeof settings.background);
        if (!ds_failed(&status)) {
            status = ds_rasterize(rasterizer, cloud, &camera, &settings, &image);
        }
        if (!ds_failed(&status)) {
            status = ds_png_save(o.output, &image);
            if (ds_failed(&status)) {
                result = cli_fail(o.output, &status);
            }
        } else {
            result = cli_fail(o.input, &status);
        }
    }
    if (result == CLI_EXIT_OK && !o.quiet) {
        ds_raster_statistics statistics = ds_rasterizer_statistics(rasterizer);
        char count[32], visible[32];
        cli_format_count(cloud->count, count, sizeof count);
        cli_format_count(statistics.visible, visible, sizeof visible);
        printf("%s -> %s: %dx%d, %s of %s Gaussians visible\n", o.input, o.output, camera.width,
               camera.height, visible, count);
    }
    ds_image_free(&image);
    ds_rasterizer_free(rasterizer);
    ds_gaussian_cloud_free(cloud);
    return result;
}
