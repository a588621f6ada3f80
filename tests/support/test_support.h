/* Shared helpers for dualsplat's cmocka tests: fixture files, CSV tables and comparisons. */
#ifndef DS_TESTS_TEST_SUPPORT_H
#define DS_TESTS_TEST_SUPPORT_H

#include "formats/dsv_container.h"
#include "formats/gaussian_cloud.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

/* A named group of tests; test programs run them all, or the one named on the command line. */
typedef struct test_group {
    const char *name;
    int (*run)(void);
} test_group;

/* Runs every group, or only the one argv[1] names; returns the process exit code (2 for an
 * unknown group, reported under `program`'s name). */
int test_run_groups(const char *program, const test_group *groups, size_t count, int argc,
                    char **argv);

/* Path of a file in tests/data (static storage, valid until the next call). */
const char *test_data_path(const char *name);

/* Reads a whole file or fails the test. Free with free(). */
uint8_t *test_read_file(const char *path, size_t *size);

/* Decodes a fixture with the format's decoder chosen by extension, or fails the test. */
ds_gaussian_cloud *test_load_cloud(const char *name);

/* Every step-th Gaussian of a cloud, as a new cloud (free with ds_gaussian_cloud_free). */
ds_gaussian_cloud *test_subsample(const ds_gaussian_cloud *cloud, size_t step);

/* A numeric CSV table with a header row. */
typedef struct test_csv {
    size_t columns, rows;
    char **names;
    double *values; /* rows x columns */
} test_csv;

test_csv *test_csv_load(const char *path);
/* Column index of a name, or -1. */
int test_csv_column(const test_csv *csv, const char *name);
double test_csv_value(const test_csv *csv, size_t row, const char *name);
void test_csv_free(test_csv *csv);

/* Asserts |actual - expected| <= tolerance with a message naming what differs. */
void test_assert_close(double actual, double expected, double tolerance, const char *what,
                       size_t index);

/* Quaternions (w, x, y, z) describe the same rotation up to sign: compares q and -q. */
void test_assert_same_rotation(const float *actual, const double *expected, double tolerance,
                               size_t index);

/* Exact equality of every attribute (bitwise, so NaN equals itself). */
void test_assert_clouds_identical(const ds_gaussian_cloud *a, const ds_gaussian_cloud *b);

/* Where layer `type` (DS_DSV_LAYER_...) of the segment `entry` indexes lies in a stream's bytes:
 * its payload's offset into `bytes` and its size; fails the test if the segment has none. */
void test_dsv_find_layer(const uint8_t *bytes, const ds_dsv_segment_entry *entry, uint32_t type,
                         size_t *offset, size_t *size);

/* A deterministic random cloud (xorshift) for round trips, with values in the ranges real
 * trainers produce. */
ds_gaussian_cloud *test_random_cloud(size_t count, int sh_degree, uint32_t seed);

#endif
