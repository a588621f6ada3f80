#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "formats/file_io.h"
#include "formats/splat_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#ifndef DS_TEST_DATA_DIR
#error "DS_TEST_DATA_DIR must name tests/data"
#endif

int test_run_groups(const char *program, const test_group *groups, size_t count, int argc,
                    char **argv) {
    int failures = 0, matched = 0;
    for (size_t g = 0; g < count; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0) {
            continue;
        }
        matched++;
        failures += groups[g].run();
    }
    if (!matched) {
        fprintf(stderr, "%s: no test group named '%s'\n", program, argv[1]);
        return 2;
    }
#ifdef __SANITIZE_ADDRESS__
    /* LeakSanitizer's end-of-process check stops every thread while system libraries' exit
     * handlers (Mesa's queues, SDL) are tearing theirs down, and its tracer sometimes crashes on a
     * thread caught half-exited. Checking here, while those threads sit idle, finds the same leaks
     * and makes the end-of-process check a no-op. */
    __lsan_do_leak_check();
#endif
    return failures ? 1 : 0;
}

const char *test_data_path(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", DS_TEST_DATA_DIR, name);
    return path;
}

uint8_t *test_read_file(const char *path, size_t *size) {
    uint8_t *data = NULL;
    ds_status status = ds_file_read_all(path, (size_t)1 << 32, &data, size);
    if (ds_failed(&status)) {
        fail_msg("cannot read %s: %s", path, status.message);
    }
    return data;
}

ds_gaussian_cloud *test_load_cloud(const char *name) {
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_splat_file_load(test_data_path(name), &cloud, NULL);
    if (ds_failed(&status)) {
        fail_msg("cannot decode %s: %s", name, status.message);
    }
    return cloud;
}

/* ---- CSV ---- */

static size_t count_fields(const char *line) {
    size_t fields = 1;
    for (const char *c = line; *c && *c != '\n'; c++) {
        fields += *c == ',';
    }
    return fields;
}

test_csv *test_csv_load(const char *path) {
    size_t size;
    char *text = (char *)test_read_file(path, &size);
    text = realloc(text, size + 1);
    assert_non_null(text);
    text[size] = '\0';

    test_csv *csv = calloc(1, sizeof *csv);
    assert_non_null(csv);
    csv->columns = count_fields(text);
    csv->names = calloc(csv->columns, sizeof *csv->names);
    size_t lines = 0;
    for (size_t i = 0; i < size; i++) {
        lines += text[i] == '\n';
    }
    csv->values = calloc(csv->columns * (lines + 1), sizeof *csv->values);
    assert_true(csv->names && csv->values);

    char *cursor = text;
    for (size_t c = 0; c < csv->columns; c++) {
        size_t length = strcspn(cursor, ",\r\n");
        csv->names[c] = strndup(cursor, length);
        cursor += length + 1;
    }
    while (*cursor) {
        if (*cursor == '\n' || *cursor == '\r') {
            cursor++;
            continue;
        }
        for (size_t c = 0; c < csv->columns; c++) {
            char *end;
            csv->values[csv->rows * csv->columns + c] = strtod(cursor, &end);
            if (end == cursor) {
                fail_msg("%s: row %zu column %zu is not a number", path, csv->rows + 1, c + 1);
            }
            cursor = *end ? end + 1 : end;
        }
        csv->rows++;
    }
    free(text);
    return csv;
}

int test_csv_column(const test_csv *csv, const char *name) {
    for (size_t c = 0; c < csv->columns; c++) {
        if (strcmp(csv->names[c], name) == 0) {
            return (int)c;
        }
    }
    return -1;
}

double test_csv_value(const test_csv *csv, size_t row, const char *name) {
    int column = test_csv_column(csv, name);
    if (column < 0) {
        fail_msg("CSV has no column '%s'", name);
    }
    return csv->values[row * csv->columns + (size_t)column];
}

void test_csv_free(test_csv *csv) {
    for (size_t c = 0; c < csv->columns; c++) {
        free(csv->names[c]);
    }
    free(csv->names);
    free(csv->values);
    free(csv);
}

/* ---- comparisons ---- */

void test_assert_close(double actual, double expected, double tolerance, const char *what,
                       size_t index) {
    if (isinf(expected) && actual == expected) {
        return;
    }
    if (!(fabs(actual - expected) <= tolerance)) {
        fail_msg("%s of Gaussian %zu: got %.9g, expected %.9g (tolerance %.3g)", what, index,
                 actual, expected, tolerance);
    }
}

void test_assert_same_rotation(const float *actual, const double *expected, double tolerance,
                               size_t index) {
    double same = 0.0, opposite = 0.0;
    for (int k = 0; k < 4; k++) {
        same = fmax(same, fabs(actual[k] - expected[k]));
        opposite = fmax(opposite, fabs(actual[k] + expected[k]));
    }
    if (!(fmin(same, opposite) <= tolerance)) {
        fail_msg("rotation of Gaussian %zu: got (%.6f %.6f %.6f %.6f), expected (%.6f %.6f %.6f "
                 "%.6f) up to sign (tolerance %.3g)",
                 index, actual[0], actual[1], actual[2], actual[3], expected[0], expected[1],
                 expected[2], expected[3], tolerance);
    }
}

void test_assert_clouds_identical(const ds_gaussian_cloud *a, const ds_gaussian_cloud *b) {
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->sh_degree, b->sh_degree);
    size_t n = a->count;
    assert_memory_equal(a->positions, b->positions, n * 3 * sizeof(float));
    assert_memory_equal(a->rotations, b->rotations, n * 4 * sizeof(float));
    assert_memory_equal(a->log_scales, b->log_scales, n * 3 * sizeof(float));
    assert_memory_equal(a->opacity_logits, b->opacity_logits, n * sizeof(float));
    assert_memory_equal(a->sh, b->sh, n * ds_gaussian_cloud_sh_stride(a) * sizeof(float));
}

static float random_uniform(uint32_t *state, float low, float high) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return low + (high - low) * (float)(*state >> 8) / (float)(1u << 24);
}

ds_gaussian_cloud *test_random_cloud(size_t count, int sh_degree, uint32_t seed) {
    ds_gaussian_cloud *cloud;
    ds_status status = ds_gaussian_cloud_create(count, sh_degree, &cloud);
    assert_int_equal(status.code, DS_OK);
    uint32_t state = seed ? seed : 1;
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < count; i++) {
        for (int k = 0; k < 3; k++) {
            cloud->positions[i * 3 + k] = random_uniform(&state, -20.0f, 20.0f);
            cloud->log_scales[i * 3 + k] = random_uniform(&state, -9.0f, 1.0f);
        }
        for (int k = 0; k < 4; k++) {
            cloud->rotations[i * 4 + k] = random_uniform(&state, -1.0f, 1.0f);
        }
        cloud->opacity_logits[i] = random_uniform(&state, -6.0f, 6.0f);
        for (size_t k = 0; k < sh_stride; k++) {
            cloud->sh[i * sh_stride + k] =
                k < 3 ? random_uniform(&state, -2.0f, 2.0f) : random_uniform(&state, -0.9f, 0.9f);
        }
    }
    return cloud;
}

ds_gaussian_cloud *test_subsample(const ds_gaussian_cloud *cloud, size_t step) {
    ds_gaussian_cloud *out;
    assert_int_equal(ds_gaussian_cloud_create(0, cloud->sh_degree, &out).code, DS_OK);
    for (size_t i = 0; i < cloud->count; i += step) {
        assert_int_equal(ds_gaussian_cloud_resize(out, out->count + 1).code, DS_OK);
        ds_gaussian_cloud_copy_one(out, out->count - 1, cloud, i);
    }
    return out;
}

void test_dsv_find_layer(const uint8_t *bytes, const ds_dsv_segment_entry *entry, uint32_t type,
                         size_t *offset, size_t *size) {
    ds_dsv_layer layers[DS_DSV_MAX_LAYERS];
    int count = 0;
    assert_int_equal(
        ds_dsv_segment_parse(bytes + entry->offset, entry->size, entry, layers, &count).code,
        DS_OK);
    for (int l = 0; l < count; l++) {
        if (layers[l].type == type) {
            *offset = (size_t)(layers[l].data - bytes);
            *size = layers[l].size;
            return;
        }
    }
    fail_msg("the segment at byte %llu has no such layer", (unsigned long long)entry->offset);
}
