/* dualsplat fit: the first frame of a capture as DualGS joint and skin Gaussians. */
#define _POSIX_C_SOURCE 200809L
#include "capture_views.h"
#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "progress.h"

#include "encoder/first_frame_fit.h"
#include "encoder/image_metrics.h"
#include "formats/capture.h"
#include "formats/file_io.h"
#include "formats/ply.h"
#include "formats/splat_file.h"
#include "render/rasterizer.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat fit CAPTURE -o OUTDIR [options]\n"
    "\n"
    "Fits one frame of a multi-view capture (HiFi4G / DualGS image_white folder, its\n"
    "transforms.json, or a COLMAP folder) as DualGS Gaussians (docs/fitting.md):\n"
    "  1. joints: from the visual hull of the silhouettes, 3DGS with the isotropy and size\n"
    "     regularisers, thinned to --joints halfway;\n"
    "  2. skin: from the joints, plain 3DGS with densification.\n"
    "Writes OUTDIR/joints.ply and OUTDIR/skin.ply (INRIA .ply, for any viewer) and\n"
    "OUTDIR/fit.json (settings, counts, time, held-out PSNR). Every view whose index is a\n"
    "multiple of --holdout-every is kept out of training and used to report PSNR.\n"
    "\n"
    "A checkpoint (OUTDIR/checkpoint.dsfit) is written every 500 steps and on Ctrl-C; running\n"
    "the same command again continues from it.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR          where to write (created if missing; required)\n"
    "  --frame N                 frame to fit (default 0)\n"
    "  --max-width W             fit at most W pixels wide (default 960)\n"
    "  --scale S                 resolution scale of the images, (0, 1] (default 1)\n"
    "  --joint-scale S           resolution of the joint stage relative to the skin's\n"
    "                            (default 0.5)\n"
    "  --joint-iterations N      steps of the joint stage (default 3000)\n"
    "  --skin-iterations N       steps of the skin stage (default 9000)\n"
    "  --joints N                joints kept (default 15000)\n"
    "  --holdout-every N         hold out every N-th view (default 8; 0: none)\n"
    "  --seed N                  random seed (default 1)\n"
    "  --threads N               worker threads (default: all cores)\n"
    "  --restart                 ignore an existing checkpoint\n"
    "  -q, --quiet               no progress display\n"
    "  -h, --help                show this help\n";

typedef struct fit_options {
    const char *capture, *output;
    int frame, threads;
    cli_capture_choice choice;
    double joint_scale;
    bool restart, quiet;
    ds_fit_settings settings;
} fit_options;

static int parse(int argc, char **argv, fit_options *o) {
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"frame", required_argument, NULL, 'f'},
        {"max-width", required_argument, NULL, 'w'},
        {"scale", required_argument, NULL, 's'},
        {"joint-scale", required_argument, NULL, 'j'},
        {"joint-iterations", required_argument, NULL, 'J'},
        {"skin-iterations", required_argument, NULL, 'S'},
        {"joints", required_argument, NULL, 'n'},
        {"holdout-every", required_argument, NULL, 'H'},
        {"seed", required_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},
        {"restart", no_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (fit_options){.choice = {.scale = 1.0, .max_width = 960, .holdout_every = 8},
                       .joint_scale = 0.5,
                       .settings = ds_fit_default_settings()};
    optind = 0;
    int option;
    while ((option = cli_next_option("fit", argc, argv, "o:qh", options)) != -1) {
        long number;
        switch (option) {
        case 'o':
            o->output = optarg;
            break;
        case 'f':
            if (!cli_parse_int(optarg, 0, 1000000, &number)) {
                return cli_usage_error("fit", "--frame needs a frame number, not '%s'", optarg);
            }
            o->frame = (int)number;
            break;
        case 'w':
            if (!cli_parse_int(optarg, 16, 16384, &number)) {
                return cli_usage_error("fit", "--max-width must be 16-16384, not '%s'", optarg);
            }
            o->choice.max_width = (int)number;
            break;
        case 's':
        case 'j': {
            double value;
            if (!cli_parse_numbers(optarg, 1, &value) || value <= 0 || value > 1) {
                return cli_usage_error("fit", "%s must be in (0, 1], not '%s'",
                                       option == 's' ? "--scale" : "--joint-scale", optarg);
            }
            *(option == 's' ? &o->choice.scale : &o->joint_scale) = value;
            break;
        }
        case 'J':
        case 'S':
            if (!cli_parse_int(optarg, 1, 10000000, &number)) {
                return cli_usage_error("fit", "iterations must be a positive number, not '%s'",
                                       optarg);
            }
            *(option == 'J' ? &o->settings.joint_iterations : &o->settings.skin_iterations) =
                number;
            break;
        case 'n':
            if (!cli_parse_int(optarg, 100, 10000000, &number)) {
                return cli_usage_error("fit", "--joints must be at least 100, not '%s'", optarg);
            }
            o->settings.joint_count = (size_t)number;
            break;
        case 'H':
            if (!cli_parse_int(optarg, 0, 1000000, &number)) {
                return cli_usage_error("fit", "--holdout-every needs a number, not '%s'", optarg);
            }
            o->choice.holdout_every = (int)number;
            break;
        case 'r':
            if (!cli_parse_int(optarg, 0, 0x7fffffff, &number)) {
                return cli_usage_error("fit", "--seed needs a number, not '%s'", optarg);
            }
            o->settings.seed = (uint64_t)number;
            break;
        case 't':
            if (!cli_parse_int(optarg, 1, 1024, &number)) {
                return cli_usage_error("fit", "--threads must be 1-1024, not '%s'", optarg);
            }
            o->threads = (int)number;
            break;
        case 'R':
            o->restart = true;
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
        return cli_usage_error("fit", "expected one CAPTURE, got %d", argc - optind);
    }
    o->capture = argv[optind];
    if (!o->output) {
        return cli_usage_error("fit", "missing -o OUTDIR");
    }
    return CLI_EXIT_OK;
}

typedef struct progress_context {
    cli_progress bar;
    int64_t total_steps, joint_steps;
} progress_context;

static bool on_progress(void *context, const ds_fit_progress *p) {
    progress_context *c = context;
    int64_t done = p->iteration + (p->stage == DS_FIT_STAGE_SKIN ? c->joint_steps : 0);
    char count[32], detail[160];
    cli_format_count(p->gaussians, count, sizeof count);
    snprintf(detail, sizeof detail, "step %lld/%lld loss %.4f PSNR %.2f dB %s Gaussians",
             (long long)p->iteration, (long long)p->iterations, p->loss, p->psnr, count);
    cli_progress_update(&c->bar,
                        p->stage == DS_FIT_STAGE_JOINTS ? "fit 1/2 joints" : "fit 2/2 skin",
                        (double)done / (double)c->total_steps, detail, false);
    return !cli_interrupt_requested();
}

static ds_status write_summary(const char *path, const fit_options *o, const ds_capture *capture,
                               const ds_gaussian_cloud *joints, const ds_gaussian_cloud *skin,
                               double seconds, double psnr, size_t held_out) {
    char text[2048];
    int length = snprintf(
        text, sizeof text,
        "{\n  \"capture\": \"%s\",\n  \"frame\": %d,\n  \"width\": %d,\n  \"height\": %d,\n"
        "  \"joint_iterations\": %lld,\n  \"skin_iterations\": %lld,\n  \"joints\": %zu,\n"
        "  \"skin\": %zu,\n  \"seconds\": %.1f,\n  \"held_out_views\": %zu,\n"
        "  \"held_out_psnr\": %.3f\n}\n",
        o->capture, o->frame, capture->views[0].camera.width, capture->views[0].camera.height,
        (long long)o->settings.joint_iterations, (long long)o->settings.skin_iterations,
        joints->count, skin->count, seconds, held_out, isnan(psnr) ? 0.0 : psnr);
    if (length < 0 || (size_t)length >= sizeof text) {
        return ds_error(DS_ERR_ARGUMENT, "summary does not fit (capture path too long?)");
    }
    return ds_file_write_atomic(path, text, (size_t)length);
}

int command_fit(int argc, char **argv) {
    fit_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    if (o.threads > 0) {
        omp_set_num_threads(o.threads);
    }
    if (mkdir(o.output, 0755) != 0 && errno != EEXIST) {
        cli_error(o.output, "cannot create the output folder: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    ds_capture *capture = NULL, *joint_capture = NULL;
    ds_status status = cli_capture_open(o.capture, &o.choice, 0, &capture);
    if (ds_failed(&status)) {
        return cli_fail(o.capture, &status);
    }
    if (o.frame >= capture->frame_count) {
        cli_error(o.capture, "has %d frame(s); there is no frame %d", capture->frame_count,
                  o.frame);
        ds_capture_free(capture);
        return CLI_EXIT_USAGE;
    }
    /* The joint stage sees the same views at a fraction of the resolution. */
    int skin_width = capture->views[0].camera.width;
    status = cli_capture_open(o.capture, &o.choice, (int)(skin_width * o.joint_scale + 0.5),
                              &joint_capture);
    cli_views skin_views = {0}, joint_views = {0}, held_out = {0};
    if (!ds_failed(&status)) {
        status = cli_views_load(capture, o.frame, false, &skin_views);
    }
    if (!ds_failed(&status)) {
        status = cli_views_load(joint_capture, o.frame, false, &joint_views);
    }
    if (!ds_failed(&status)) {
        status = cli_views_load(capture, o.frame, true, &held_out);
    }
    if (ds_failed(&status)) {
        result = cli_fail(o.capture, &status);
    }
    char checkpoint[4096], joints_path[4096], skin_path[4096], summary_path[4096];
    snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint.dsfit", o.output);
    snprintf(joints_path, sizeof joints_path, "%s/joints.ply", o.output);
    snprintf(skin_path, sizeof skin_path, "%s/skin.ply", o.output);
    snprintf(summary_path, sizeof summary_path, "%s/fit.json", o.output);
    if (o.restart) {
        remove(checkpoint);
    }
    ds_gaussian_cloud *joints = NULL, *skin = NULL;
    double started = cli_seconds();
    if (result == CLI_EXIT_OK) {
        o.settings.checkpoint_path = checkpoint;
        memcpy(o.settings.background, capture->background, sizeof o.settings.background);
        progress_context progress = {
            .total_steps = o.settings.joint_iterations + o.settings.skin_iterations,
            .joint_steps = o.settings.joint_iterations,
        };
        cli_progress_start(&progress.bar, o.quiet);
        cli_interrupt interrupt;
        cli_interrupt_catch(&interrupt);
        ds_fit_views joint_set = cli_views_for_fitting(&joint_views);
        ds_fit_views skin_set = cli_views_for_fitting(&skin_views);
        status = ds_fit_first_frame(&joint_set, &skin_set, &o.settings, on_progress, &progress,
                                    &joints, &skin);
        cli_interrupt_release(&interrupt);
        cli_progress_finish(&progress.bar);
        if (ds_failed(&status)) {
            result = cli_fail(status.code == DS_ERR_INTERRUPTED ? "fit" : o.capture, &status);
        }
    }
    if (result == CLI_EXIT_OK) {
        double seconds = cli_seconds() - started, psnr = NAN;
        status = ds_splat_file_save(joints_path, joints, NULL);
        if (!ds_failed(&status)) {
            status = ds_splat_file_save(skin_path, skin, NULL);
        }
        if (!ds_failed(&status)) {
            status = cli_mean_psnr(skin, &held_out, capture->background, &psnr);
        }
        if (!ds_failed(&status)) {
            status = write_summary(summary_path, &o, capture, joints, skin, seconds, psnr,
                                   held_out.count);
        }
        if (ds_failed(&status)) {
            result = cli_fail(o.output, &status);
        } else {
            char joint_count[32], skin_count[32];
            cli_format_count(joints->count, joint_count, sizeof joint_count);
            cli_format_count(skin->count, skin_count, sizeof skin_count);
            printf("fit %s frame %d: %s joints, %s skin Gaussians in %.0f s", o.capture, o.frame,
                   joint_count, skin_count, seconds);
            if (!isnan(psnr)) {
                printf("; held-out PSNR %.2f dB over %zu views", psnr, held_out.count);
            }
            printf("\nwrote %s, %s, %s\n", joints_path, skin_path, summary_path);
        }
    }
    ds_gaussian_cloud_free(joints);
    ds_gaussian_cloud_free(skin);
    cli_views_free(&skin_views);
    cli_views_free(&joint_views);
    cli_views_free(&held_out);
    ds_capture_free(joint_capture);
    ds_capture_free(capture);
    return result;
}
