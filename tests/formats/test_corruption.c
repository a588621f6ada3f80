/* Damaged files give an error, never a crash, a leak (the sanitizer build runs this) or a
 * cloud that does not match what the file claims. */
#include "formats_tests.h"
#include "test_support.h"

#include "formats/splat_file.h"

#include <stdlib.h>
#include <string.h>

typedef struct corruption_case {
    const char *file;
    ds_splat_format format;
    size_t max_offsets; /* truncation and flip positions tried, spread over the file */
    /* Flips from this offset on are covered by a checksum (gzip's CRC): they must give an error
     * or, where the flip did not change what the stream decodes to, the intact values. SIZE_MAX
     * where data bytes carry no check. */
    size_t checked_from;
} corruption_case;

static const corruption_case cases[] = {
    {"minimal-v2.spz", DS_SPLAT_FORMAT_SPZ, 1000, 10}, /* gzip header's time and OS bytes */
    {"minimal-v3.spz", DS_SPLAT_FORMAT_SPZ, 1000, 10}, /* are not checked by anyone */
    {"minimal-v4.spz", DS_SPLAT_FORMAT_SPZ, 1000, SIZE_MAX},
    {"minimal.splat", DS_SPLAT_FORMAT_SPLAT, 1000, SIZE_MAX},
    {"fruit_drops_minimal.ply", DS_SPLAT_FORMAT_PLY, 120, SIZE_MAX},
    {"biker.spz", DS_SPLAT_FORMAT_SPZ, 16, SIZE_MAX},
};

static ds_status decode(const uint8_t *data, size_t size, ds_splat_format format,
                        ds_gaussian_cloud **cloud) {
    return ds_splat_file_decode(data, size, format, cloud, NULL);
}

static size_t offset_at(size_t step, size_t steps, size_t size) {
    return steps >= size ? step : (size_t)((double)step * (double)size / (double)steps);
}

static void truncated_files_are_errors(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t size;
        uint8_t *data = test_read_file(test_data_path(cases[c].file), &size);
        size_t steps = size < cases[c].max_offsets ? size : cases[c].max_offsets;
        for (size_t step = 0; step < steps; step++) {
            size_t length = offset_at(step, steps, size);
            /* A copy of exactly that length, so ASan sees any read past the end. */
            uint8_t *copy = malloc(length ? length : 1);
            assert_non_null(copy);
            memcpy(copy, data, length);
            ds_gaussian_cloud *cloud = NULL;
            ds_status status = decode(copy, length, cases[c].format, &cloud);
            bool whole_records =
                cases[c].format == DS_SPLAT_FORMAT_SPLAT && length > 0 && length % 32 == 0;
            if (whole_records) {
                /* .splat has no header: fewer whole records are a valid, smaller file. */
                assert_int_equal(status.code, DS_OK);
                assert_int_equal(cloud->count, length / 32);
            } else if (!ds_failed(&status)) {
                fail_msg("%s cut to %zu of %zu bytes decoded without error", cases[c].file, length,
                         size);
            } else {
                assert_null(cloud);
                assert_true(strlen(status.message) > 0);
            }
            ds_gaussian_cloud_free(cloud);
            free(copy);
        }
        free(data);
    }
}

static void flipped_bytes_never_crash(void **state) {
    (void)state;
    static const uint8_t masks[] = {0x01, 0x80, 0xff};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t size;
        uint8_t *data = test_read_file(test_data_path(cases[c].file), &size);
        ds_gaussian_cloud *intact = NULL;
        assert_int_equal(decode(data, size, cases[c].format, &intact).code, DS_OK);
        size_t steps = size < cases[c].max_offsets ? size : cases[c].max_offsets;
        for (size_t step = 0; step < steps; step++) {
            size_t offset = offset_at(step, steps, size);
            for (size_t m = 0; m < sizeof masks; m++) {
                data[offset] ^= masks[m];
                ds_gaussian_cloud *cloud = NULL;
                ds_status status = decode(data, size, cases[c].format, &cloud);
                if (!ds_failed(&status)) {
                    if (offset >= cases[c].checked_from) {
                        test_assert_clouds_identical(cloud, intact);
                    }
                    /* Whatever decoded is internally consistent. */
                    assert_true(cloud->sh_degree >= 0 && cloud->sh_degree <= DS_SH_MAX_DEGREE);
                    assert_true(cloud->count <= cloud->capacity);
                    if (cloud->count > 0) {
                        volatile float last =
                            cloud->sh[cloud->count * ds_gaussian_cloud_sh_stride(cloud) - 1];
                        (void)last;
                    }
                } else {
                    assert_null(cloud);
                }
                ds_gaussian_cloud_free(cloud);
                data[offset] ^= masks[m];
            }
        }
        ds_gaussian_cloud_free(intact);
        free(data);
    }
}

int run_corruption_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncated_files_are_errors),
        cmocka_unit_test(flipped_bytes_never_crash),
    };
    return cmocka_run_group_tests_name("corruption", tests, NULL, NULL);
}
