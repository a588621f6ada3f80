/* make_ply_sequence IN.(ply|spz|splat) OUTDIR --frames N [--fps F] [--subsample M] ...
 *
 * Writes OUTDIR/point_cloud_<n>.ply for n = 0..N-1: the input splat deformed to time n / F
 * (tools/sequence/deform_sequence.h), as the official DualGS trainer writes a sequence, for
 * testing and benchmarking `dualsplat pack`. Frame 0 is the input itself. */
#define _POSIX_C_SOURCE 200809L
#include "av_sync.h"
#include "deform_sequence.h"

#include "formats/splat_file.h"
#include "tools/cli.h"
#include "tools/progress.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char command[] = "make_ply_sequence";

static void usage(FILE *out) {
    fprintf(out, "usage: make_ply_sequence IN.(ply|spz|splat) OUTDIR --frames N [options]\n"
                 "Writes OUTDIR/point_cloud_<n>.ply (n = 0..N-1): IN smoothly deformed over time\n"
                 "(bending, twisting, swinging parts, a global turn and sway).\n"
                 "  --frames N       frames to write (required, 1..100000)\n"
                 "  --fps F          frames per second (default 30)\n"
                 "  --subsample M    keep every M-th Gaussian (default 1: all)\n"
                 "  --appearance A   opacity/colour variation amplitude (default 0)\n"
                 "  --motion S       scales every motion amplitude (default 1)\n"
                 "  --seed S         chooses the bend direction and the parts (default 1)\n"
                 "  --flash-every N  the figure flashes white on frames N, 2N, 3N, ...\n"
                 "  --click-wav FILE writes a sound track (WAV) with a click where each flash\n"
                 "                   frame starts, for checking sound and picture stay together\n"
                 "  --quiet          no progress line\n");
}

static bool parse_number(const char *text, double min, double max, double *value) {
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !(parsed >= min && parsed <= max)) {
        return false;
    }
    *value = parsed;
    return true;
}

static ds_status make_directory(const char *path) {
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        return ds_error(DS_ERR_IO, "cannot create the directory: %s", strerror(errno));
    }
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode)) {
        return ds_error(DS_ERR_IO, "not a directory");
    }
    return ds_ok();
}

/* Keeps every `step`-th Gaussian. */
static ds_status subsample(ds_gaussian_cloud *cloud, long step) {
    if (step <= 1) {
        return ds_ok();
    }
    bool *keep = malloc(cloud->count ? cloud->count : 1);
    if (!keep) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the subsampling mask");
    }
    for (size_t i = 0; i < cloud->count; i++) {
        keep[i] = i % (size_t)step == 0;
    }
    ds_gaussian_cloud_keep(cloud, keep);
    free(keep);
    return ds_ok();
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"frames", required_argument, NULL, 'n'},
        {"fps", required_argument, NULL, 'f'},
        {"subsample", required_argument, NULL, 'm'},
        {"appearance", required_argument, NULL, 'a'},
        {"motion", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'r'},
        {"flash-every", required_argument, NULL, 'F'},
        {"click-wav", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long frames = 0, step = 1, seed = 1, flash_every = 0;
    const char *click_wav = NULL;
    double fps = 30.0, appearance = 0.0, motion = 1.0;
    bool quiet = false;
    int option;
    while ((option = cli_next_option(command, argc, argv, "h", options)) != -1) {
        bool ok = true;
        switch (option) {
        case 'n':
            ok = cli_parse_int(optarg, 1, 100000, &frames);
            break;
        case 'f':
            ok = parse_number(optarg, 1e-3, 1e6, &fps);
            break;
        case 'm':
            ok = cli_parse_int(optarg, 1, 1000000000, &step);
            break;
        case 'a':
            ok = parse_number(optarg, 0.0, 100.0, &appearance);
            break;
        case 's':
            ok = parse_number(optarg, 0.0, 100.0, &motion);
            break;
        case 'r':
            ok = cli_parse_int(optarg, 0, 2147483647, &seed);
            break;
        case 'F':
            ok = cli_parse_int(optarg, 1, 100000, &flash_every);
            break;
        case 'c':
            click_wav = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
        if (!ok) {
            return cli_usage_error(command, "invalid value '%s' for --%s", optarg,
                                   options[option == 'n'   ? 0
                                           : option == 'f' ? 1
                                           : option == 'm' ? 2
                                           : option == 'a' ? 3
                                           : option == 's' ? 4
                                           : option == 'r' ? 5
                                                           : 6]
                                       .name);
        }
    }
    if (argc - optind != 2) {
        return cli_usage_error(command, "expected an input splat and an output directory");
    }
    if (frames < 1) {
        return cli_usage_error(command, "--frames is required");
    }
    const char *input = argv[optind], *directory = argv[optind + 1];
    ds_gaussian_cloud *canonical = NULL, *frame = NULL;
    ds_status status = ds_splat_file_load(input, &canonical, NULL);
    if (ds_failed(&status)) {
        return cli_fail(input, &status);
    }
    status = subsample(canonical, step);
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_clone(canonical, &frame);
    }
    if (!ds_failed(&status)) {
        status = make_directory(directory);
        if (ds_failed(&status)) {
            ds_gaussian_cloud_free(canonical);
            ds_gaussian_cloud_free(frame);
            return cli_fail(directory, &status);
        }
    }
    ds_deform_settings settings;
    ds_deform_settings_default(&settings);
    settings.bend *= motion;
    settings.twist *= motion;
    settings.swing *= motion;
    settings.sway *= motion;
    settings.turn *= motion;
    settings.appearance = appearance;
    settings.seed = (uint64_t)seed;
    cli_progress progress;
    cli_progress_start(&progress, quiet);
    char path[4096] = "";
    for (long n = 0; n < frames && !ds_failed(&status); n++) {
        status = ds_deform_cloud(canonical, (double)n / fps, &settings, frame);
        if (ds_av_sync_marked((uint32_t)n, (uint32_t)flash_every)) {
            ds_av_sync_flash(frame);
        }
        int length = snprintf(path, sizeof path, "%s/point_cloud_%ld.ply", directory, n);
        if (!ds_failed(&status) && (length < 0 || (size_t)length >= sizeof path)) {
            status = ds_error(DS_ERR_ARGUMENT, "output path is too long");
        }
        if (!ds_failed(&status)) {
            status = ds_splat_file_save(path, frame, NULL);
        }
        char detail[64];
        snprintf(detail, sizeof detail, "frame %ld/%ld", n + 1, frames);
        cli_progress_update(&progress, "writing", (double)(n + 1) / (double)frames, detail,
                            n + 1 == frames);
    }
    cli_progress_finish(&progress);
    if (!ds_failed(&status) && click_wav) {
        status = ds_av_sync_write_click_wav(click_wav, (uint32_t)frames, fps, (uint32_t)flash_every,
                                            48000);
        snprintf(path, sizeof path, "%s", click_wav);
    }
    if (!quiet && !ds_failed(&status)) {
        char count[32];
        cli_format_count(canonical->count, count, sizeof count);
        fprintf(stderr, "%s: wrote %ld frames of %s Gaussians to %s\n", command, frames, count,
                directory);
    }
    ds_gaussian_cloud_free(canonical);
    ds_gaussian_cloud_free(frame);
    if (ds_failed(&status)) {
        return cli_fail(path[0] ? path : directory, &status);
    }
    return CLI_EXIT_OK;
}
