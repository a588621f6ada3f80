/* dualsplat eval: quality of a fitted model on the views it was not trained on. */
#define _POSIX_C_SOURCE 200809L
#include "capture_views.h"
#include "cli.h"
#include "commands.h"

#include "encoder/image_metrics.h"
#include "formats/capture.h"
#include "formats/png.h"
#include "formats/splat_file.h"
#include "render/rasterizer.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat eval MODEL CAPTURE [options]\n"
    "\n"
    "Renders MODEL (a splat file, or a `dualsplat fit` output folder: its skin.ply) from the\n"
    "held-out views of CAPTURE and prints PSNR and SSIM (3DGS definitions: all pixels and\n"
    "channels, background included; SSIM with an 11x11 Gaussian window) per view and their\n"
    "mean. With -o, writes one side-by-side PNG per view: render | capture | error (the\n"
    "absolute difference, 5x brighter).\n"
    "\n"
    "options:\n"
    "  -o, --output DIR      write side-by-side images here (created if missing)\n"
    "  --frame N             frame of the capture (default 0)\n"
    "  --max-width W         evaluate at most W pixels wide (default 960, as fit)\n"
    "  --scale S             resolution scale of the images, (0, 1] (default 1)\n"
    "  --holdout-every N     which views are held out, as given to fit (default 8)\n"
    "  --all-views           evaluate every view, not only the held-out ones\n"
    "  -h, --help            show this help\n";

typedef struct eval_options {
    const char *model, *capture, *output;
    int frame;
    cli_capture_choice choice;
    bool all_views;
} eval_options;

static int parse(int argc, char **argv, eval_options *o) {
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"frame", required_argument, NULL, 'f'},
        {"max-width", required_argument, NULL, 'w'},
        {"scale", required_argument, NULL, 's'},
        {"holdout-every", required_argument, NULL, 'H'},
        {"all-views", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (eval_options){.choice = {.scale = 1.0, .max_width = 960, .holdout_every = 8}};
    optind = 0;
    int option;
    while ((option = cli_next_option("eval", argc, argv, "o:h", options)) != -1) {
        long number;
        switch (option) {
        case 'o':
            o->output = optarg;
            break;
        case 'f':
        case 'w':
        case 'H':
            if (!cli_parse_int(optarg, option == 'w' ? 16 : 0, 1000000, &number)) {
                return cli_usage_error("eval", "'%s' is not a valid number here", optarg);
            }
            *(option == 'f'   ? &o->frame
              : option == 'w' ? &o->choice.max_width
                              : &o->choice.holdout_every) = (int)number;
            break;
        case 's':
            if (!cli_parse_numbers(optarg, 1, &o->choice.scale) || o->choice.scale <= 0 ||
                o->choice.scale > 1) {
                return cli_usage_error("eval", "--scale must be in (0, 1], not '%s'", optarg);
            }
            break;
        case 'a':
            o->all_views = true;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        return cli_usage_error("eval", "expected MODEL and CAPTURE, got %d arguments",
                               argc - optind);
    }
    o->model = argv[optind];
    o->capture = argv[optind + 1];
    return CLI_EXIT_OK;
}

/* render | capture | 5 x |difference|, side by side. */
static ds_status side_by_side(const ds_image *render, const ds_image *capture, ds_image *out) {
    int w = render->width, h = render->height;
    ds_status status = ds_image_create(3 * w, h, out);
    if (ds_failed(&status)) {
        return status;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const float *a = ds_image_pixel(render, x, y), *b = ds_image_pixel(capture, x, y);
            float *left = ds_image_pixel(out, x, y), *middle = ds_image_pixel(out, w + x, y);
            float *right = ds_image_pixel(out, 2 * w + x, y);
            for (int c = 0; c < 3; c++) {
                left[c] = a[c];
                middle[c] = b[c];
                right[c] = fminf(1.0f, 5.0f * fabsf(a[c] - b[c]));
            }
        }
    }
    return ds_ok();
}

int command_eval(int argc, char **argv) {
    eval_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    char model_path[4096];
    struct stat info;
    if (stat(o.model, &info) == 0 && S_ISDIR(info.st_mode)) {
        snprintf(model_path, sizeof model_path, "%s/skin.ply", o.model);
    } else {
        snprintf(model_path, sizeof model_path, "%s", o.model);
    }
    if (o.output && mkdir(o.output, 0755) != 0 && errno != EEXIST) {
        cli_error(o.output, "cannot create the output folder: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    ds_gaussian_cloud *model;
    ds_status status = ds_splat_file_load(model_path, &model, NULL);
    if (ds_failed(&status)) {
        return cli_fail(model_path, &status);
    }
    ds_capture *capture;
    status = cli_capture_open(o.capture, &o.choice, 0, &capture);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(model);
        return cli_fail(o.capture, &status);
    }
    if (o.frame >= capture->frame_count) {
        cli_error(o.capture, "has %d frame(s); there is no frame %d", capture->frame_count,
                  o.frame);
        ds_capture_free(capture);
        ds_gaussian_cloud_free(model);
        return CLI_EXIT_USAGE;
    }
    ds_rasterizer *rasterizer;
    status = ds_rasterizer_create(&rasterizer);
    double psnr_sum = 0, ssim_sum = 0;
    size_t evaluated = 0;
    printf("%-8s %9s %8s\n", "view", "PSNR dB", "SSIM");
    for (size_t v = 0; v < capture->view_count && !ds_failed(&status); v++) {
        if (!o.all_views && !capture->views[v].held_out) {
            continue;
        }
        ds_image target = {0}, render = {0};
        status = ds_capture_load_image(capture, v, o.frame, &target);
        if (!ds_failed(&status)) {
            status = ds_image_create(target.width, target.height, &render);
        }
        ds_raster_settings settings = {.sh_degree = -1};
        memcpy(settings.background, capture->background, sizeof settings.background);
        if (!ds_failed(&status)) {
            status = ds_rasterize(rasterizer, model, &capture->views[v].camera, &settings, &render);
        }
        double psnr = 0, ssim = 0;
        if (!ds_failed(&status)) {
            status = ds_image_psnr(&render, &target, &psnr);
        }
        if (!ds_failed(&status)) {
            status = ds_image_ssim(&render, &target, &ssim);
        }
        if (!ds_failed(&status)) {
            printf("%-8s %9.2f %8.4f\n", capture->views[v].name, psnr, ssim);
            psnr_sum += psnr;
            ssim_sum += ssim;
            evaluated++;
        }
        if (!ds_failed(&status) && o.output) {
            ds_image combined;
            status = side_by_side(&render, &target, &combined);
            char path[4096];
            snprintf(path, sizeof path, "%s/view_%s.png", o.output, capture->views[v].name);
            if (!ds_failed(&status)) {
                status = ds_png_save(path, &combined);
            }
            ds_image_free(&combined);
        }
        ds_image_free(&target);
        ds_image_free(&render);
    }
    if (ds_failed(&status)) {
        result = cli_fail(o.capture, &status);
    } else if (evaluated == 0) {
        cli_error(o.capture, "no held-out views (use --holdout-every or --all-views)");
        result = CLI_EXIT_USAGE;
    } else {
        printf("%-8s %9.2f %8.4f   (%zu views, %dx%d)\n", "mean", psnr_sum / evaluated,
               ssim_sum / evaluated, evaluated, capture->views[0].camera.width,
               capture->views[0].camera.height);
        if (o.output) {
            printf("wrote side-by-side images to %s/\n", o.output);
        }
    }
    ds_rasterizer_free(rasterizer);
    ds_capture_free(capture);
    ds_gaussian_cloud_free(model);
    return result;
}
