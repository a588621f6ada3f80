/* bench_formats: load and save time, size on disk and bytes per Gaussian of each static splat
 * format, for each input splat. Times are medians of repeated runs; ratios compare each format
 * with .ply (the uncompressed reference) measured in the same run, since absolute times on a
 * shared machine drift.
 *
 * usage: bench_formats [--repeat N] [--json OUT.json] [--workdir DIR] INPUT...
 */
#define _POSIX_C_SOURCE 200809L
#include "formats/file_io.h"
#include "formats/splat_file.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct output_format {
    const char *label;
    const char *extension;
    ds_splat_save_options options;
} output_format;

static const output_format formats[] = {
    {"ply", "ply", {.ply_encoding = DS_PLY_BINARY_LITTLE_ENDIAN}},
    {"spz v3 (gzip)", "spz", {.spz_version = 3}},
    {"spz v4 (zstd)", "spz", {.spz_version = 4}},
    {"splat", "splat", {0}},
};
enum { FORMAT_COUNT = sizeof formats / sizeof formats[0] };

typedef struct measurement {
    double load_ms, save_ms;
    size_t bytes;
} measurement;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare_doubles);
    return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

static void die(const char *what, const ds_status *status) {
    fprintf(stderr, "bench_formats: %s: %s\n", what, status->message);
    exit(1);
}

static measurement measure(const ds_gaussian_cloud *cloud, const output_format *format,
                           const char *path, int repeat) {
    double save[64], load[64];
    for (int r = 0; r < repeat; r++) {
        double start = now_ms();
        ds_status status = ds_splat_file_save(path, cloud, &format->options);
        save[r] = now_ms() - start;
        if (ds_failed(&status)) {
            die(path, &status);
        }
        ds_gaussian_cloud *loaded;
        start = now_ms();
        status = ds_splat_file_load(path, &loaded, NULL);
        load[r] = now_ms() - start;
        if (ds_failed(&status)) {
            die(path, &status);
        }
        ds_gaussian_cloud_free(loaded);
    }
    struct stat info;
    measurement m = {median(load, repeat), median(save, repeat), 0};
    if (stat(path, &info) == 0) {
        m.bytes = (size_t)info.st_size;
    }
    return m;
}

int main(int argc, char **argv) {
    int repeat = 5;
    const char *json_path = NULL;
    const char *workdir = "/tmp";
    int first_input = 1;
    for (; first_input < argc && argv[first_input][0] == '-'; first_input += 2) {
        if (first_input + 1 >= argc) {
            fprintf(stderr, "bench_formats: %s needs a value\n", argv[first_input]);
            return 2;
        }
        if (strcmp(argv[first_input], "--repeat") == 0) {
            repeat = atoi(argv[first_input + 1]);
            repeat = repeat < 1 ? 1 : (repeat > 64 ? 64 : repeat);
        } else if (strcmp(argv[first_input], "--json") == 0) {
            json_path = argv[first_input + 1];
        } else if (strcmp(argv[first_input], "--workdir") == 0) {
            workdir = argv[first_input + 1];
        } else {
            fprintf(stderr, "bench_formats: unknown option %s\n", argv[first_input]);
            return 2;
        }
    }
    if (first_input >= argc) {
        fprintf(stderr,
                "usage: bench_formats [--repeat N] [--json OUT] [--workdir DIR] INPUT...\n");
        return 2;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "repeat", repeat);
    cJSON *results = cJSON_AddArrayToObject(root, "results");
    printf("%-24s %-14s %9s %10s %8s %8s %8s %9s %9s\n", "input", "format", "gaussians", "bytes",
           "B/gauss", "load ms", "save ms", "load/ply", "save/ply");
    for (int i = first_input; i < argc; i++) {
        ds_gaussian_cloud *cloud;
        ds_status status = ds_splat_file_load(argv[i], &cloud, NULL);
        if (ds_failed(&status)) {
            die(argv[i], &status);
        }
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        measurement results_by_format[FORMAT_COUNT];
        for (int f = 0; f < FORMAT_COUNT; f++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/bench_formats_%d.%s", workdir, (int)getpid(),
                     formats[f].extension);
            results_by_format[f] = measure(cloud, &formats[f], path, repeat);
            unlink(path);
            const measurement *m = &results_by_format[f];
            const measurement *ply = &results_by_format[0];
            double per_gaussian = (double)m->bytes / (double)cloud->count;
            printf("%-24s %-14s %9zu %10zu %8.1f %8.2f %8.2f %9.2f %9.2f\n", name, formats[f].label,
                   cloud->count, m->bytes, per_gaussian, m->load_ms, m->save_ms,
                   m->load_ms / ply->load_ms, m->save_ms / ply->save_ms);
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "input", name);
            cJSON_AddStringToObject(row, "format", formats[f].label);
            cJSON_AddNumberToObject(row, "gaussians", (double)cloud->count);
            cJSON_AddNumberToObject(row, "sh_degree", cloud->sh_degree);
            cJSON_AddNumberToObject(row, "bytes", (double)m->bytes);
            cJSON_AddNumberToObject(row, "bytes_per_gaussian", per_gaussian);
            cJSON_AddNumberToObject(row, "load_ms", m->load_ms);
            cJSON_AddNumberToObject(row, "save_ms", m->save_ms);
            cJSON_AddNumberToObject(row, "load_ratio_to_ply", m->load_ms / ply->load_ms);
            cJSON_AddNumberToObject(row, "save_ratio_to_ply", m->save_ms / ply->save_ms);
            cJSON_AddNumberToObject(row, "size_ratio_to_ply",
                                    (double)m->bytes / (double)ply->bytes);
            cJSON_AddItemToArray(results, row);
        }
        ds_gaussian_cloud_free(cloud);
    }
    if (json_path) {
        char *text = cJSON_Print(root);
        ds_status status = ds_file_write_atomic(json_path, text, strlen(text));
        cJSON_free(text);
        if (ds_failed(&status)) {
            die(json_path, &status);
        }
        printf("\nwrote %s\n", json_path);
    }
    cJSON_Delete(root);
    return 0;
}
