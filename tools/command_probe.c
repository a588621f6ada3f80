/* dualsplat probe: what a splat file is and what it holds. */
#include "cli.h"
#include "commands.h"

#include "formats/cloud_stats.h"
#include "formats/file_io.h"
#include "formats/splat_file.h"
#include "player/media.h"
#include "player/renditions.h"
#include "stream_report.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat probe [--json] FILE...\n"
    "\n"
    "Shows what a splat file is: its format, Gaussian count, SH degree, size per Gaussian,\n"
    "the bounds of the Gaussian centres (all of them, and the central 99% that leaves out\n"
    "far floaters), and the minimum, maximum and mean of every attribute in the raw domain\n"
    "that 3DGS trainers use (log scales, opacity logits, SH coefficients).\n"
    "\n"
    "Reads .ply (INRIA 3DGS: ascii, binary little- or big-endian), .spz (versions 1-4) and\n"
    ".splat (antimatter15). .ply and .spz are recognised by content, .splat by name.\n"
    "For a .dsv stream: frames, frame rate, segments, skin Gaussians and joints, bytes per\n"
    "frame in all and per layer, bits per Gaussian per frame, and the ratio to the same frames\n"
    "as raw .ply files; segments the file does not hold whole are reported (exit status 1).\n"
    "\n"
    "options:\n"
    "  --json     print one JSON object per file instead of a table\n"
    "  -h, --help show this help\n";

static const char *format_title(ds_splat_format format) {
    switch (format) {
    case DS_SPLAT_FORMAT_PLY:
        return "INRIA 3DGS .ply";
    case DS_SPLAT_FORMAT_SPZ:
        return "Niantic .spz";
    case DS_SPLAT_FORMAT_SPLAT:
        return "antimatter15 .splat";
    case DS_SPLAT_FORMAT_UNKNOWN:
        break;
    }
    return "unknown";
}

typedef struct attribute_row {
    const char *name;
    const ds_value_stats *stats;
} attribute_row;

/* The rows of the attribute table, in display order; returns how many. */
static size_t attribute_rows(const ds_cloud_stats *s, int sh_degree, attribute_row rows[32]) {
    size_t n = 0;
    static const char *const position[] = {"position x", "position y", "position z"};
    static const char *const scale[] = {"log scale 0", "log scale 1", "log scale 2"};
    static const char *const rotation[] = {"rotation w", "rotation x", "rotation y", "rotation z"};
    static const char *const dc[] = {"f_dc red", "f_dc green", "f_dc blue"};
    for (int k = 0; k < 3; k++) {
        rows[n++] = (attribute_row){position[k], &s->position[k]};
    }
    for (int k = 0; k < 3; k++) {
        rows[n++] = (attribute_row){scale[k], &s->log_scale[k]};
    }
    rows[n++] = (attribute_row){"opacity logit", &s->opacity_logit};
    rows[n++] = (attribute_row){"opacity", &s->opacity};
    for (int k = 0; k < 4; k++) {
        rows[n++] = (attribute_row){rotation[k], &s->rotation[k]};
    }
    rows[n++] = (attribute_row){"rotation norm", &s->rotation_norm};
    for (int k = 0; k < 3; k++) {
        rows[n++] = (attribute_row){dc[k], &s->sh_dc[k]};
    }
    if (sh_degree > 0) {
        rows[n++] = (attribute_row){"f_rest (all)", &s->sh_rest};
    }
    return n;
}

static void print_table(const char *path, size_t file_bytes, const ds_splat_file_info *info,
                        const ds_gaussian_cloud *cloud, const ds_cloud_stats *stats) {
    char count[32], size[32];
    cli_format_count(cloud->count, count, sizeof count);
    cli_format_bytes((double)file_bytes, size, sizeof size);
    printf("%s\n", path);
    printf("  format        %s%s%s%s\n", format_title(info->format), info->variant[0] ? " (" : "",
           info->variant, info->variant[0] ? ")" : "");
    printf("  gaussians     %s\n", count);
    int coefficients = ds_sh_coeff_count(cloud->sh_degree);
    printf("  sh degree     %d (%d coefficient%s per colour channel)\n", cloud->sh_degree,
           coefficients, coefficients == 1 ? "" : "s");
    if (cloud->count > 0) {
        printf("  file size     %s (%.1f bytes per Gaussian)\n", size,
               (double)file_bytes / (double)cloud->count);
    } else {
        printf("  file size     %s\n", size);
    }
    printf("  bounds        x [%.4g, %.4g]  y [%.4g, %.4g]  z [%.4g, %.4g]\n",
           stats->position[0].min, stats->position[0].max, stats->position[1].min,
           stats->position[1].max, stats->position[2].min, stats->position[2].max);
    printf("  core 99%%      x [%.4g, %.4g]  y [%.4g, %.4g]  z [%.4g, %.4g]\n", stats->core_min[0],
           stats->core_max[0], stats->core_min[1], stats->core_max[1], stats->core_min[2],
           stats->core_max[2]);
    printf("\n  %-16s %12s %12s %12s\n", "attribute", "min", "max", "mean");
    attribute_row rows[32];
    size_t row_count = attribute_rows(stats, cloud->sh_degree, rows);
    size_t non_finite = 0;
    for (size_t r = 0; r < row_count; r++) {
        printf("  %-16s %12.5g %12.5g %12.5g\n", rows[r].name, rows[r].stats->min,
               rows[r].stats->max, rows[r].stats->mean);
        non_finite += rows[r].stats->non_finite;
    }
    if (non_finite > 0) {
        printf("  note: %zu values are NaN or infinite (left out of the statistics)\n", non_finite);
    }
}

static cJSON *stats_json(const ds_value_stats *stats) {
    cJSON *object = cJSON_CreateObject();
    cJSON_AddNumberToObject(object, "min", stats->min);
    cJSON_AddNumberToObject(object, "max", stats->max);
    cJSON_AddNumberToObject(object, "mean", stats->mean);
    cJSON_AddNumberToObject(object, "non_finite", (double)stats->non_finite);
    return object;
}

static cJSON *range_json(const double *low, const double *high) {
    cJSON *object = cJSON_CreateObject();
    cJSON_AddItemToObject(object, "min", cJSON_CreateDoubleArray(low, 3));
    cJSON_AddItemToObject(object, "max", cJSON_CreateDoubleArray(high, 3));
    return object;
}

static bool print_json(const char *path, size_t file_bytes, const ds_splat_file_info *info,
                       const ds_gaussian_cloud *cloud, const ds_cloud_stats *stats) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "file", path);
    cJSON_AddStringToObject(root, "format", ds_splat_format_name(info->format));
    cJSON_AddStringToObject(root, "variant", info->variant);
    cJSON_AddNumberToObject(root, "file_bytes", (double)file_bytes);
    cJSON_AddNumberToObject(root, "gaussians", (double)cloud->count);
    cJSON_AddNumberToObject(root, "sh_degree", cloud->sh_degree);
    cJSON_AddBoolToObject(root, "antialiased", cloud->antialiased);
    double low[3], high[3];
    for (int k = 0; k < 3; k++) {
        low[k] = stats->position[k].min;
        high[k] = stats->position[k].max;
    }
    cJSON_AddItemToObject(root, "bounds", range_json(low, high));
    cJSON_AddItemToObject(root, "core_bounds", range_json(stats->core_min, stats->core_max));
    cJSON *attributes = cJSON_AddObjectToObject(root, "attributes");
    attribute_row rows[32];
    size_t row_count = attribute_rows(stats, cloud->sh_degree, rows);
    for (size_t r = 0; r < row_count; r++) {
        cJSON_AddItemToObject(attributes, rows[r].name, stats_json(rows[r].stats));
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        return false;
    }
    printf("%s\n", text);
    cJSON_free(text);
    return true;
}

static int probe_stream(const char *path, bool json) {
    ds_dsv *dsv;
    ds_status status = ds_media_open_stream(path, &dsv);
    if (ds_failed(&status)) {
        return cli_fail(path, &status);
    }
    bool whole = stream_report_print_probe(stdout, path, dsv, json);
    ds_dsv_close(dsv);
    return whole ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* A renditions manifest: its renditions, each opened and checked against the others. */
static int probe_renditions(const char *path, bool json) {
    ds_renditions *renditions;
    ds_status status = ds_renditions_open(path, NULL, NULL, &renditions);
    if (ds_failed(&status)) {
        return cli_fail(path, &status);
    }
    const ds_dsv_header *h = &ds_renditions_stream(renditions, 0)->header;
    size_t count = ds_renditions_count(renditions);
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "file", path);
        cJSON_AddStringToObject(root, "format", "dsv renditions");
        cJSON_AddNumberToObject(root, "frames", h->frame_count);
        cJSON_AddNumberToObject(root, "segment_frames", h->segment_frames);
        cJSON *list = cJSON_AddArrayToObject(root, "renditions");
        for (size_t i = 0; i < count; i++) {
            ds_dsv *dsv = ds_renditions_stream(renditions, i);
            cJSON *item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "name", ds_renditions_name(renditions, i));
            cJSON_AddNumberToObject(item, "bytes", (double)dsv->source.size);
            cJSON_AddItemToArray(list, item);
        }
        char *text = cJSON_Print(root);
        if (text) {
            printf("%s\n", text);
        }
        cJSON_free(text);
        cJSON_Delete(root);
    } else {
        printf("%s: dualsplat renditions manifest, %zu rendition%s of %u frame%s in segments of "
               "%u\n",
               path, count, count == 1 ? "" : "s", h->frame_count, h->frame_count == 1 ? "" : "s",
               h->segment_frames);
        double seconds = h->frame_count * (double)h->fps_denominator / h->fps_numerator;
        for (size_t i = 0; i < count; i++) {
            ds_dsv *dsv = ds_renditions_stream(renditions, i);
            char size[32];
            cli_format_bytes((double)dsv->source.size, size, sizeof size);
            printf("  %-16s %s, %.2f Mbit/s\n", ds_renditions_name(renditions, i), size,
                   (double)dsv->source.size * 8 / seconds * 1e-6);
        }
    }
    ds_renditions_free(renditions);
    return CLI_EXIT_OK;
}

static int probe_file(const char *path, bool json) {
    if (ds_renditions_path(path)) {
        return probe_renditions(path, json);
    }
    if (ds_media_is_stream(path)) {
        return probe_stream(path, json);
    }
    ds_gaussian_cloud *cloud;
    ds_splat_file_info info;
    ds_status status = ds_splat_file_load(path, &cloud, &info);
    if (ds_failed(&status)) {
        return cli_fail(path, &status);
    }
    struct stat file;
    size_t file_bytes = stat(path, &file) == 0 ? (size_t)file.st_size : 0;
    ds_cloud_stats stats;
    status = ds_cloud_stats_compute(cloud, &stats);
    int result = CLI_EXIT_OK;
    if (ds_failed(&status)) {
        result = cli_fail(path, &status);
    } else if (json) {
        if (!print_json(path, file_bytes, &info, cloud, &stats)) {
            cli_error(path, "out of memory while printing JSON");
            result = CLI_EXIT_FAILURE;
        }
    } else {
        print_table(path, file_bytes, &info, cloud, &stats);
    }
    ds_gaussian_cloud_free(cloud);
    return result;
}

int command_probe(int argc, char **argv) {
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    optind = 0;
    int option;
    while ((option = cli_next_option("probe", argc, argv, "h", options)) != -1) {
        switch (option) {
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        return cli_usage_error("probe", "missing FILE");
    }
    int result = CLI_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        if (i > optind && !json) {
            printf("\n");
        }
        int file_result = probe_file(argv[i], json);
        if (file_result != CLI_EXIT_OK) {
            result = file_result;
        }
    }
    return result;
}
