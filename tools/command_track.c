/* dualsplat track: DualGS tracking of a capture's frames after the fitted first frame. */
#define _POSIX_C_SOURCE 200809L
#include "capture_views.h"
#include "cli.h"
#include "commands.h"
#include "encoder/range_start.h"
#include "interrupt.h"
#include "progress.h"

#include "encoder/image_metrics.h"
#include "encoder/tracking.h"
#include "formats/capture.h"
#include "formats/dualgs_files.h"
#include "formats/file_io.h"
#include "formats/splat_file.h"
#include "render/rasterizer.h"
#include "render/skinning.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat track CAPTURE --from FIT_DIR -o OUTDIR [options]\n"
    "\n"
    "Tracks the frames after the first (docs/tracking.md): for each frame, a coarse stage moves\n"
    "the joint Gaussians (L1 + rigidity, from the previous frame plus its velocity), then a fine\n"
    "stage optimises per-joint rigid transforms, which skin the skin Gaussians, together with the\n"
    "skin's opacity, scale and colour. The skin count never changes.\n"
    "\n"
    "FIT_DIR is the output of `dualsplat fit` (joints.ply, skin.ply) for frame 0 of CAPTURE.\n"
    "OUTDIR receives canonical_joints.ply, canonical_skin.ply, binding.dsbind (once),\n"
    "frames/NNNNNN.dsframe per frame (transforms and appearance), frames/NNNNNN.json (held-out\n"
    "PSNR, seconds of each stage) and track.json. Each frame is written when it is done: running "
    "again continues\n"
    "after the last finished frame.\n"
    "\n"
    "Independent ranges (a cluster, docs/cluster.md): `--frames A:B` into an OUTDIR that does not\n"
    "hold frame A-1 starts from the first frame's state instead: moved and turned to where the\n"
    "silhouettes show the subject in frame A, then a coarse stage of 64 times the steps at 8\n"
    "times the position rate, so ranges run at once on different machines; `dualsplat pack`\n"
    "joins their OUTDIRs.\n"
    "\n"
    "options:\n"
    "  --from DIR              the first frame's fit (required)\n"
    "  -o, --output DIR        where to write (required)\n"
    "  --frames A:B            track frames A to B (inclusive; A: to the end; default 1:)\n"
    "  --coarse-iterations N   coarse steps per frame (default 300)\n"
    "  --fine-iterations N     fine steps per frame (default 800)\n"
    "  --max-width W           track at most W pixels wide (default 960, as fit)\n"
    "  --scale S               resolution scale of the images, (0, 1] (default 1)\n"
    "  --coarse-scale S        resolution of the coarse stage relative to the fine (0.5)\n"
    "  --holdout-every N       views held out for evaluation, as given to fit (default 8)\n"
    "  --export-ply            also write ply/NNNNNN.ply: each frame's skin as INRIA .ply\n"
    "  --binding-length L      l of the skin weights exp(-d^2/l^2) in scene units (default\n"
    "                          0.02 m scaled by the camera rig's size relative to HiFi4G's)\n"
    "  --coarse-rigidity W     weight of the joints' rigidity term (default 0.05)\n"
    "  --fine-rigidity W       weight of the skin's rigidity term (default 0.01)\n"
    "  --rigidity-to first|previous\n"
    "                          the shape both rigidity terms hold to: the first frame's\n"
    "                          (default; errors do not add up over frames) or the previous\n"
    "                          frame's (the reference implementation)\n"
    "  --coarse-lr R           joint position learning rate, times E (default 1.6e-4)\n"
    "  --fine-lr R             joint translation learning rate, times E (default 1.6e-4)\n"
    "  --color-lr R            colour (SH) learning rate of the fine stage (default 1e-3)\n"
    "  --seed N                random seed (default 1)\n"
    "  --threads N             worker threads (default: all cores)\n"
    "  -q, --quiet             no progress display\n"
    "  -h, --help              show this help\n";

/* The first frame of an independent range starts from the first frame's state placed where the
 * subject now stands (encoder/range_start.h); the articulation may still be far from its own, so
 * its coarse stage takes this many times the steps at this many times the position rate.
 * Measured on the synthetic dance, frames 4, 6 and 8 from the first: 34.7, 34.3 and 34.1 dB
 * held-out, against 33.7, 33.8 and 34.3 tracking in order; with 32 times the steps, or without
 * the placement, frame 8 reached only 26.8-30.4 dB. */
enum { RANGE_START_COARSE_STEPS = 64, RANGE_START_COARSE_RATE = 8 };

typedef struct track_options {
    const char *capture, *fit, *output;
    int first, last; /* last < 0: to the end */
    int threads;
    cli_capture_choice choice;
    double coarse_scale;
    bool export_ply, quiet;
    ds_track_settings settings;
} track_options;

static bool parse_range(const char *text, int *first, int *last) {
    char *end;
    errno = 0;
    long a = strtol(text, &end, 10);
    if (end == text || *end != ':' || errno || a < 1 || a > 10000000) {
        return false;
    }
    const char *rest = end + 1;
    if (*rest == '\0') {
        *first = (int)a;
        *last = -1;
        return true;
    }
    long b = strtol(rest, &end, 10);
    if (end == rest || *end != '\0' || errno || b < a || b > 10000000) {
        return false;
    }
    *first = (int)a;
    *last = (int)b;
    return true;
}

static int parse(int argc, char **argv, track_options *o) {
    static const struct option options[] = {
        {"from", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"frames", required_argument, NULL, 'r'},
        {"coarse-iterations", required_argument, NULL, 'C'},
        {"fine-iterations", required_argument, NULL, 'I'},
        {"max-width", required_argument, NULL, 'w'},
        {"scale", required_argument, NULL, 's'},
        {"coarse-scale", required_argument, NULL, 'c'},
        {"holdout-every", required_argument, NULL, 'H'},
        {"export-ply", no_argument, NULL, 'e'},
        {"binding-length", required_argument, NULL, 'l'},
        {"coarse-rigidity", required_argument, NULL, 'A'},
        {"fine-rigidity", required_argument, NULL, 'B'},
        {"rigidity-to", required_argument, NULL, 'R'},
        {"coarse-lr", required_argument, NULL, 'L'},
        {"fine-lr", required_argument, NULL, 'M'},
        {"color-lr", required_argument, NULL, 'K'},
        {"seed", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (track_options){.first = 1,
                         .last = -1,
                         .choice = {.scale = 1.0, .max_width = 960, .holdout_every = 8},
                         .coarse_scale = 0.5,
                         .settings = ds_track_default_settings()};
    optind = 0;
    int option;
    while ((option = cli_next_option("track", argc, argv, "o:qh", options)) != -1) {
        long number;
        double value;
        switch (option) {
        case 'F':
            o->fit = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'r':
            if (!parse_range(optarg, &o->first, &o->last)) {
                return cli_usage_error("track",
                                       "--frames needs A:B or A: with 1 <= A <= B, not "
                                       "'%s'",
                                       optarg);
            }
            break;
        case 'C':
        case 'I':
            if (!cli_parse_int(optarg, 1, 10000000, &number)) {
                return cli_usage_error("track", "iterations must be a positive number, not '%s'",
                                       optarg);
            }
            *(option == 'C' ? &o->settings.coarse_iterations : &o->settings.fine_iterations) =
                number;
            break;
        case 'w':
            if (!cli_parse_int(optarg, 16, 16384, &number)) {
                return cli_usage_error("track", "--max-width must be 16-16384, not '%s'", optarg);
            }
            o->choice.max_width = (int)number;
            break;
        case 's':
        case 'c':
            if (!cli_parse_numbers(optarg, 1, &value) || value <= 0 || value > 1) {
                return cli_usage_error("track", "%s must be in (0, 1], not '%s'",
                                       option == 's' ? "--scale" : "--coarse-scale", optarg);
            }
            *(option == 's' ? &o->choice.scale : &o->coarse_scale) = value;
            break;
        case 'H':
            if (!cli_parse_int(optarg, 0, 1000000, &number)) {
                return cli_usage_error("track", "--holdout-every needs a number, not '%s'", optarg);
            }
            o->choice.holdout_every = (int)number;
            break;
        case 'e':
            o->export_ply = true;
            break;
        case 'l':
            if (!cli_parse_numbers(optarg, 1, &value) || value <= 0) {
                return cli_usage_error("track", "--binding-length must be positive, not '%s'",
                                       optarg);
            }
            o->settings.binding_length = (float)value;
            break;
        case 'A':
        case 'B':
        case 'L':
        case 'M':
        case 'K':
            if (!cli_parse_numbers(optarg, 1, &value) || value < 0) {
                return cli_usage_error("track", "'%s' is not a non-negative number", optarg);
            }
            *(option == 'A'   ? &o->settings.coarse_rigidity
              : option == 'B' ? &o->settings.fine_rigidity
              : option == 'L' ? &o->settings.coarse_position_lr
              : option == 'M' ? &o->settings.fine_translation_lr
                              : &o->settings.color_lr) = value;
            break;
        case 'R':
            if (strcmp(optarg, "first") == 0) {
                o->settings.rigidity_reference = DS_RIGIDITY_TO_FIRST;
            } else if (strcmp(optarg, "previous") == 0) {
                o->settings.rigidity_reference = DS_RIGIDITY_TO_PREVIOUS;
            } else {
                return cli_usage_error("track", "--rigidity-to must be first or previous, not '%s'",
                                       optarg);
            }
            break;
        case 'S':
            if (!cli_parse_int(optarg, 0, 0x7fffffff, &number)) {
                return cli_usage_error("track", "--seed needs a number, not '%s'", optarg);
            }
            o->settings.seed = (uint64_t)number;
            break;
        case 't':
            if (!cli_parse_int(optarg, 1, 1024, &number)) {
                return cli_usage_error("track", "--threads must be 1-1024, not '%s'", optarg);
            }
            o->threads = (int)number;
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
        return cli_usage_error("track", "expected one CAPTURE, got %d", argc - optind);
    }
    o->capture = argv[optind];
    if (!o->fit) {
        return cli_usage_error("track", "missing --from FIT_DIR");
    }
    if (!o->output) {
        return cli_usage_error("track", "missing -o OUTDIR");
    }
    return CLI_EXIT_OK;
}

/* The views of one frame: training views at the two resolutions, and held-out views. */
typedef struct frame_views {
    cli_views coarse, fine, held_out;
} frame_views;

static void free_frame_views(frame_views *v) {
    cli_views_free(&v->coarse);
    cli_views_free(&v->fine);
    cli_views_free(&v->held_out);
}

static ds_status load_frame_views(const ds_capture *coarse, const ds_capture *fine, int frame,
                                  frame_views *v) {
    memset(v, 0, sizeof *v);
    ds_status status = cli_views_load(coarse, frame, false, &v->coarse);
    if (!ds_failed(&status)) {
        status = cli_views_load(fine, frame, false, &v->fine);
    }
    if (!ds_failed(&status)) {
        status = cli_views_load(fine, frame, true, &v->held_out);
    }
    if (ds_failed(&status)) {
        free_frame_views(v);
    }
    return status;
}

static void frame_path(const char *directory, const char *folder, int frame, const char *extension,
                       char *path, size_t capacity) {
    snprintf(path, capacity, "%s/%s/%06d.%s", directory, folder, frame, extension);
}

/* A frame's state from its file, skinned. */
static ds_status load_frame(const ds_track_model *model, const char *path, int expected,
                            ds_track_frame *frame) {
    memset(frame, 0, sizeof *frame);
    uint32_t number;
    ds_status status = ds_frame_load(path, &number, &frame->transforms, &frame->skin);
    if (ds_failed(&status)) {
        return status;
    }
    if ((int)number != expected || frame->transforms.count != model->joints->count ||
        frame->skin->count != model->skin->count ||
        frame->skin->sh_degree != model->skin->sh_degree) {
        ds_track_frame_free(frame);
        return ds_error(DS_ERR_FORMAT, "%s belongs to another frame or another fit", path);
    }
    return ds_skin_deform(model->skin->positions, model->skin->rotations, &model->binding,
                          &frame->transforms, frame->skin->positions, frame->skin->rotations);
}

typedef struct progress_context {
    cli_progress bar;
    int frame, frames_total, frames_done;
    const ds_track_settings *settings;
    double fine_started; /* when the current frame's fine stage began; 0 before */
} progress_context;

static bool on_progress(void *context, const ds_track_progress *p) {
    progress_context *c = context;
    if (p->stage == DS_TRACK_FINE && c->fine_started == 0) {
        c->fine_started = cli_seconds();
    }
    int64_t per_frame = c->settings->coarse_iterations + c->settings->fine_iterations;
    int64_t within =
        p->iteration + (p->stage == DS_TRACK_FINE ? c->settings->coarse_iterations : 0);
    double fraction =
        ((double)c->frames_done + (double)within / (double)per_frame) / (double)c->frames_total;
    char label[64], detail[128];
    snprintf(label, sizeof label, "track frame %d", c->frame);
    snprintf(detail, sizeof detail, "%s %lld/%lld PSNR %.2f dB",
             p->stage == DS_TRACK_COARSE ? "coarse" : "fine", (long long)p->iteration,
             (long long)p->iterations, p->psnr);
    cli_progress_update(&c->bar, label, fraction, detail, false);
    return !cli_interrupt_requested();
}

/* Writes frame f's statistics and the manifest listing every frame done so far. */
static ds_status write_statistics(const track_options *o, int frame, double psnr,
                                  double coarse_seconds, double fine_seconds, int frame_count) {
    char path[4096], text[512];
    frame_path(o->output, "frames", frame, "json", path, sizeof path);
    int length = snprintf(text, sizeof text,
                          "{\"frame\": %d, \"held_out_psnr\": %.3f, \"coarse_seconds\": %.2f, "
                          "\"fine_seconds\": %.2f}\n",
                          frame, isnan(psnr) ? 0.0 : psnr, coarse_seconds, fine_seconds);
    ds_status status = ds_file_write_atomic(path, text, (size_t)length);
    if (ds_failed(&status)) {
        return status;
    }
    /* The manifest: every frame file present, in order, with its statistics. */
    ds_byte_buffer manifest = {0};
    ds_byte_buffer_printf(&manifest,
                          "{\n  \"capture\": \"%s\",\n  \"fit\": \"%s\",\n"
                          "  \"coarse_iterations\": %lld,\n  \"fine_iterations\": %lld,\n"
                          "  \"rigidity_to\": \"%s\",\n  \"frames\": [\n",
                          o->capture, o->fit, (long long)o->settings.coarse_iterations,
                          (long long)o->settings.fine_iterations,
                          o->settings.rigidity_reference == DS_RIGIDITY_TO_FIRST ? "first"
                                                                                 : "previous");
    bool first = true;
    for (int f = 0; f < frame_count; f++) {
        char frame_file[4096], stats_file[4096];
        frame_path(o->output, "frames", f, "dsframe", frame_file, sizeof frame_file);
        frame_path(o->output, "frames", f, "json", stats_file, sizeof stats_file);
        struct stat info;
        if (stat(frame_file, &info) != 0) {
            continue;
        }
        uint8_t *stats = NULL;
        size_t size = 0;
        ds_status read = ds_file_read_all(stats_file, 4096, &stats, &size);
        ds_byte_buffer_printf(&manifest, "%s    ", first ? "" : ",\n");
        if (!ds_failed(&read) && size > 1) {
            ds_byte_buffer_append(&manifest, stats, size - 1); /* without its newline */
        } else {
            ds_byte_buffer_printf(&manifest, "{\"frame\": %d}", f);
        }
        free(stats);
        first = false;
    }
    ds_byte_buffer_append_string(&manifest, "\n  ]\n}\n");
    status = ds_byte_buffer_status(&manifest);
    if (!ds_failed(&status)) {
        snprintf(path, sizeof path, "%s/track.json", o->output);
        status = ds_file_write_atomic(path, manifest.data, manifest.size);
    }
    ds_byte_buffer_free(&manifest);
    return status;
}

static ds_status make_folders(const char *output, bool export_ply) {
    const char *folders[] = {"", "/frames", "/ply"};
    for (int i = 0; i < (export_ply ? 3 : 2); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", output, folders[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            return ds_error(DS_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        }
    }
    return ds_ok();
}

/* Writes the canonical state once: the fit's clouds, the binding and frame 0. */
static ds_status write_canonical(const track_options *o, const ds_track_model *model) {
    char path[4096];
    struct stat info;
    snprintf(path, sizeof path, "%s/binding.dsbind", o->output);
    if (stat(path, &info) == 0) {
        ds_binding existing;
        ds_status status = ds_binding_load(path, &existing);
        if (ds_failed(&status)) {
            return status;
        }
        bool same = existing.count == model->binding.count &&
                    existing.joint_count == model->binding.joint_count &&
                    memcmp(existing.joints, model->binding.joints,
                           existing.count * (size_t)existing.k * sizeof(uint32_t)) == 0;
        ds_binding_free(&existing);
        return same ? ds_ok()
                    : ds_error(DS_ERR_ARGUMENT,
                               "%s holds the tracking of another fit; choose "
                               "another OUTDIR",
                               o->output);
    }
    ds_status status = ds_binding_save(path, &model->binding);
    snprintf(path, sizeof path, "%s/canonical_joints.ply", o->output);
    if (!ds_failed(&status)) {
        status = ds_splat_file_save(path, model->joints, NULL);
    }
    snprintf(path, sizeof path, "%s/canonical_skin.ply", o->output);
    if (!ds_failed(&status)) {
        status = ds_splat_file_save(path, model->skin, NULL);
    }
    ds_track_frame first;
    if (!ds_failed(&status)) {
        status = ds_track_frame_first(model, &first);
        if (!ds_failed(&status)) {
            frame_path(o->output, "frames", 0, "dsframe", path, sizeof path);
            status = ds_frame_save(path, 0, &first.transforms, first.skin);
            ds_track_frame_free(&first);
        }
    }
    return status;
}

static ds_status open_captures(const track_options *o, ds_capture **fine, ds_capture **coarse) {
    ds_status status = cli_capture_open(o->capture, &o->choice, 0, fine);
    if (ds_failed(&status)) {
        return status;
    }
    int coarse_width = (int)((*fine)->views[0].camera.width * o->coarse_scale + 0.5);
    return cli_capture_open(o->capture, &o->choice, coarse_width < 16 ? 16 : coarse_width, coarse);
}

static ds_status load_model(const track_options *o, const ds_capture *capture,
                            ds_track_model **model) {
    char path[4096];
    ds_gaussian_cloud *joints = NULL, *skin = NULL;
    snprintf(path, sizeof path, "%s/joints.ply", o->fit);
    ds_status status = ds_splat_file_load(path, &joints, NULL);
    if (!ds_failed(&status)) {
        snprintf(path, sizeof path, "%s/skin.ply", o->fit);
        status = ds_splat_file_load(path, &skin, NULL);
    }
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(joints);
        return ds_error(status.code, "%s: %s", path, status.message);
    }
    double extent = 0;
    ds_camera *cameras = malloc(capture->view_count * sizeof *cameras);
    if (cameras) {
        for (size_t v = 0; v < capture->view_count; v++) {
            cameras[v] = capture->views[v].camera;
        }
        extent = ds_camera_extent(cameras, capture->view_count);
        free(cameras);
    }
    return ds_track_model_create(joints, skin, o->settings.binding_length, extent, model);
}

/* The start of an independent range at `frame`: the first frame's state placed where the subject
 * is in that frame (encoder/range_start.h), judged on the coarse views. */
static ds_status place_range_start(const ds_track_model *model, const ds_capture *capture,
                                   int frame, const ds_track_settings *settings,
                                   ds_track_frame *state) {
    cli_views first, views;
    ds_status status = cli_views_load(capture, 0, false, &first);
    if (ds_failed(&status)) {
        return status;
    }
    status = cli_views_load(capture, frame, false, &views);
    if (!ds_failed(&status)) {
        ds_fit_views first_set = cli_views_for_fitting(&first);
        ds_fit_views set = cli_views_for_fitting(&views);
        double up[3];
        ds_dsv_up_vector(ds_capture_up_axis(capture), up);
        status = ds_track_range_start(model, &first_set, &set, settings->background, up, state);
        cli_views_free(&views);
    }
    cli_views_free(&first);
    return status;
}

int command_track(int argc, char **argv) {
    track_options o;
    int result = parse(argc, argv, &o);
    if (result != CLI_EXIT_OK) {
        return result < 0 ? CLI_EXIT_OK : result;
    }
    if (o.threads > 0) {
        omp_set_num_threads(o.threads);
    }
    ds_capture *fine = NULL, *coarse = NULL;
    ds_status status = open_captures(&o, &fine, &coarse);
    if (ds_failed(&status)) {
        ds_capture_free(fine);
        return cli_fail(o.capture, &status);
    }
    int last = o.last < 0 ? fine->frame_count - 1 : o.last;
    if (last >= fine->frame_count || o.first > last) {
        cli_error(o.capture, "has frames 0-%d; cannot track %d:%d", fine->frame_count - 1, o.first,
                  last);
        ds_capture_free(fine);
        ds_capture_free(coarse);
        return CLI_EXIT_USAGE;
    }
    ds_track_model *model = NULL;
    status = load_model(&o, fine, &model);
    if (ds_failed(&status)) {
        result = cli_fail(o.fit, &status);
    }
    if (result == CLI_EXIT_OK) {
        status = make_folders(o.output, o.export_ply);
        if (!ds_failed(&status)) {
            status = write_canonical(&o, model);
        }
        if (ds_failed(&status)) {
            result = cli_fail(o.output, &status);
        }
    }
    memcpy(o.settings.background, fine->background, sizeof o.settings.background);
    progress_context progress = {.frames_total = last - o.first + 1, .settings = &o.settings};
    cli_progress_start(&progress.bar, o.quiet);
    cli_interrupt interrupt;
    cli_interrupt_catch(&interrupt);
    if (result == CLI_EXIT_OK && !o.quiet) {
        printf("%-7s %14s %9s\n", "frame", "held-out PSNR", "seconds");
    }
    for (int f = o.first; f <= last && result == CLI_EXIT_OK; f++, progress.frames_done++) {
        char path[4096];
        frame_path(o.output, "frames", f, "dsframe", path, sizeof path);
        struct stat info;
        if (stat(path, &info) == 0) {
            ds_track_frame existing;
            status = load_frame(model, path, f, &existing);
            ds_track_frame_free(&existing);
            if (!ds_failed(&status)) {
                continue; /* done by an earlier run */
            }
        }
        ds_track_frame previous = {0}, older = {0}, next = {0};
        char previous_path[4096], older_path[4096];
        frame_path(o.output, "frames", f - 1, "dsframe", previous_path, sizeof previous_path);
        frame_path(o.output, "frames", f - 2, "dsframe", older_path, sizeof older_path);
        ds_track_settings settings = o.settings;
        bool range_start = f == o.first && f > 1 && stat(previous_path, &info) != 0;
        if (range_start) {
            /* An independent range: from the first frame's pose, with no motion to go on; the
             * coarse stage gets the reach a larger move needs. */
            status = ds_track_frame_first(model, &previous);
            if (!ds_failed(&status)) {
                status = place_range_start(model, coarse, f, &o.settings, &previous);
            }
            settings.coarse_iterations *= RANGE_START_COARSE_STEPS;
            settings.coarse_position_lr *= RANGE_START_COARSE_RATE;
        } else {
            status = load_frame(model, previous_path, f - 1, &previous);
            if (ds_failed(&status)) {
                status = ds_error(status.code, "frame %d must be tracked before frame %d (%s)",
                                  f - 1, f, status.message);
            }
        }
        bool have_older = false;
        if (!ds_failed(&status) && f >= 2 && !range_start) {
            ds_status older_status = load_frame(model, older_path, f - 2, &older);
            have_older = !ds_failed(&older_status);
        }
        frame_views views = {0};
        if (!ds_failed(&status)) {
            status = load_frame_views(coarse, fine, f, &views);
        }
        double started = cli_seconds(), psnr = NAN;
        progress.fine_started = 0;
        if (!ds_failed(&status)) {
            progress.frame = f;
            ds_fit_views coarse_set = cli_views_for_fitting(&views.coarse);
            ds_fit_views fine_set = cli_views_for_fitting(&views.fine);
            progress.settings = &settings;
            status = ds_track_next(model, &previous, have_older ? &older : NULL, &coarse_set,
                                   &fine_set, &settings, on_progress, &progress, &next);
        }
        if (!ds_failed(&status)) {
            status = ds_frame_save(path, (uint32_t)f, &next.transforms, next.skin);
        }
        if (!ds_failed(&status) && o.export_ply) {
            frame_path(o.output, "ply", f, "ply", path, sizeof path);
            status = ds_splat_file_save(path, next.skin, NULL);
        }
        if (!ds_failed(&status)) {
            status = cli_mean_psnr(next.skin, &views.held_out, fine->background, &psnr);
        }
        double finished = cli_seconds(), seconds = finished - started;
        double fine_seconds = progress.fine_started > 0 ? finished - progress.fine_started : 0;
        if (!ds_failed(&status)) {
            status = write_statistics(&o, f, psnr, seconds - fine_seconds, fine_seconds,
                                      fine->frame_count);
        }
        if (ds_failed(&status)) {
            cli_progress_finish(&progress.bar);
            result = cli_fail(status.code == DS_ERR_INTERRUPTED ? "track" : o.output, &status);
        } else if (!o.quiet) {
            cli_progress_finish(&progress.bar);
            printf("%-7d %11.2f dB %9.1f\n", f, psnr, seconds);
            fflush(stdout);
        }
        free_frame_views(&views);
        ds_track_frame_free(&previous);
        ds_track_frame_free(&older);
        ds_track_frame_free(&next);
    }
    cli_interrupt_release(&interrupt);
    cli_progress_finish(&progress.bar);
    if (result == CLI_EXIT_OK && !o.quiet) {
        printf("tracked frames %d-%d of %s into %s\n", o.first, last, o.capture, o.output);
    }
    ds_track_model_free(model);
    ds_capture_free(fine);
    ds_capture_free(coarse);
    return result;
}
