/* dualsplat unpack: every frame of a .dsv stream as an INRIA .ply, for other tools. */
#include "cli.h"
#include "commands.h"
#include "progress.h"

#include "formats/dsv_reader.h"
#include "formats/ply.h"
#include "formats/splat_file.h"
#include "render/stream_frame.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat unpack STREAM.dsv -o FOLDER [--frames A:B] [-q]\n"
    "\n"
    "Decodes frames of a .dsv stream, skinned, to FOLDER/point_cloud_<n>.ply (INRIA 3DGS binary\n"
    "little-endian, what trainers and viewers read; n is the frame number). Each file is written\n"
    "atomically. A damaged segment is reported and its frames skipped; the others are written\n"
    "and the command exits non-zero.\n"
    "\n"
    "options:\n"
    "  -o, --output FOLDER  where the frames go (created if missing)\n"
    "  --frames A:B         only frames A to B inclusive (default: all)\n"
    "  -q, --quiet          no progress bar\n"
    "  -h, --help           show this help\n";

static bool parse_range(const char *text, long *first, long *last) {
    char copy[64];
    snprintf(copy, sizeof copy, "%s", text);
    char *colon = strchr(copy, ':');
    if (!colon) {
        return cli_parse_int(copy, 0, 1L << 30, first) && (*last = *first, true);
    }
    *colon = '\0';
    return cli_parse_int(copy, 0, 1L << 30, first) && cli_parse_int(colon + 1, 0, 1L << 30, last) &&
           *first <= *last;
}

int command_unpack(int argc, char **argv) {
    enum { FRAMES = 256 };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"frames", required_argument, NULL, FRAMES},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    long first = 0, last = -1;
    bool quiet = false;
    optind = 0;
    int c;
    while ((c = cli_next_option("unpack", argc, argv, "o:qh", options)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case FRAMES:
            if (!parse_range(optarg, &first, &last)) {
                return cli_usage_error("unpack", "--frames needs A:B, not '%s'", optarg);
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        return cli_usage_error("unpack",
                               optind >= argc ? "no stream given" : "one stream at a time");
    }
    if (!output) {
        return cli_usage_error("unpack", "no output folder given (-o FOLDER)");
    }
    const char *input = argv[optind];
    ds_dsv *dsv;
    ds_status status = ds_dsv_open_file(input, &dsv);
    if (ds_failed(&status)) {
        return cli_fail(input, &status);
    }
    uint32_t frames = dsv->header.frame_count;
    if (last < 0) {
        last = frames - 1;
    }
    if (first >= frames || last >= frames) {
        ds_dsv_close(dsv);
        return cli_usage_error("unpack", "--frames %ld:%ld is outside the stream's 0:%u", first,
                               last, frames - 1);
    }
    if (mkdir(output, 0755) != 0 && errno != EEXIST) {
        cli_error(output, "cannot create the folder: %s", strerror(errno));
        ds_dsv_close(dsv);
        return CLI_EXIT_FAILURE;
    }
    ds_gaussian_cloud *cloud = NULL;
    ds_dsv_frame frame = {0};
    status = ds_stream_cloud_create(dsv, &cloud);
    if (!ds_failed(&status)) {
        status = ds_dsv_frame_create(dsv, &frame);
    }
    cli_progress progress;
    cli_progress_start(&progress, quiet);
    int failures = 0;
    ds_dsv_segment segment = {0};
    bool have_segment = false;
    for (long f = first; f <= last && !ds_failed(&status); f++) {
        uint32_t s = ds_dsv_segment_of(dsv, (uint32_t)f);
        if (!have_segment || segment.index != s) {
            if (have_segment) {
                ds_dsv_segment_free(&segment);
            }
            ds_status read = ds_dsv_read_segment(dsv, s, &segment);
            have_segment = !ds_failed(&read);
            if (!have_segment) {
                cli_progress_finish(&progress);
                cli_error(input, "%s; its frames are skipped", read.message);
                failures++;
                f = (long)dsv->segments[s].first_frame + dsv->segments[s].frame_count - 1;
                continue;
            }
        }
        status = ds_dsv_frame_decode(dsv, &segment, (uint32_t)f - segment.first_frame, &frame);
        if (!ds_failed(&status)) {
            status = ds_stream_frame_cloud(dsv, &segment, &frame, cloud);
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/point_cloud_%ld.ply", output, f);
        if (!ds_failed(&status)) {
            status = ds_splat_file_save(path, cloud, NULL);
        }
        char detail[64];
        snprintf(detail, sizeof detail, "frame %ld", f);
        cli_progress_update(&progress, "unpacking", (double)(f - first + 1) / (last - first + 1),
                            detail, false);
    }
    cli_progress_finish(&progress);
    if (have_segment) {
        ds_dsv_segment_free(&segment);
    }
    ds_dsv_frame_free(&frame);
    ds_gaussian_cloud_free(cloud);
    ds_dsv_close(dsv);
    if (ds_failed(&status)) {
        return cli_fail(input, &status);
    }
    if (!quiet) {
        printf("%s: frames %ld-%ld written to %s%s\n", input, first, last, output,
               failures ? " (damaged segments skipped)" : "");
    }
    return failures ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
