#define _POSIX_C_SOURCE 200809L
#include "formats_tests.h"
#include "test_support.h"

#include "formats/file_io.h"
#include "formats/splat_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *make_temporary_directory(void) {
    char *directory = strdup("/tmp/dualsplat-test-XXXXXX");
    assert_non_null(directory);
    assert_non_null(mkdtemp(directory));
    return directory;
}

static bool exists(const char *path) {
    struct stat info;
    return stat(path, &info) == 0;
}

static void formats_are_recognised_by_content_before_name(void **state) {
    (void)state;
    size_t size;
    uint8_t *data = test_read_file(test_data_path("minimal-v3.spz"), &size);
    ds_gaussian_cloud *cloud;
    ds_splat_file_info info;
    /* A .spz mislabelled as .splat is still read as .spz. */
    assert_int_equal(ds_splat_file_decode(data, size, DS_SPLAT_FORMAT_SPLAT, &cloud, &info).code,
                     DS_OK);
    assert_int_equal(info.format, DS_SPLAT_FORMAT_SPZ);
    assert_string_equal(info.variant, "version 3");
    ds_gaussian_cloud_free(cloud);
    free(data);

    data = test_read_file(test_data_path("minimal.splat"), &size);
    ds_status status = ds_splat_file_decode(data, size, DS_SPLAT_FORMAT_UNKNOWN, &cloud, &info);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "unrecognised file type"));
    free(data);

    status = ds_splat_file_decode((const uint8_t *)"", 0, DS_SPLAT_FORMAT_PLY, &cloud, &info);
    assert_string_equal(status.message, "file is empty");
}

static void extensions_pick_formats(void **state) {
    (void)state;
    assert_int_equal(ds_splat_format_from_path("a/b.PLY"), DS_SPLAT_FORMAT_PLY);
    assert_int_equal(ds_splat_format_from_path("x.spz"), DS_SPLAT_FORMAT_SPZ);
    assert_int_equal(ds_splat_format_from_path("dir.v2/x.splat"), DS_SPLAT_FORMAT_SPLAT);
    assert_int_equal(ds_splat_format_from_path("dir.ply/x"), DS_SPLAT_FORMAT_UNKNOWN);
    assert_int_equal(ds_splat_format_from_path(".ply"), DS_SPLAT_FORMAT_UNKNOWN);
    char extension[8];
    ds_path_extension("scene.Compressed.PLY", extension, sizeof extension);
    assert_string_equal(extension, "ply");
}

static void saving_is_atomic_and_failures_leave_nothing(void **state) {
    (void)state;
    char *directory = make_temporary_directory();
    char path[512], temporary[520];
    snprintf(path, sizeof path, "%s/out.spz", directory);
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    ds_gaussian_cloud *cloud = test_load_cloud("minimal-v4.spz");
    assert_int_equal(ds_splat_file_save(path, cloud, NULL).code, DS_OK);
    assert_true(exists(path));
    assert_false(exists(temporary));
    ds_gaussian_cloud *again;
    ds_splat_file_info info;
    assert_int_equal(ds_splat_file_load(path, &again, &info).code, DS_OK);
    assert_string_equal(info.variant, "version 3"); /* the default written version */
    test_assert_clouds_identical(cloud, again);
    ds_gaussian_cloud_free(again);

    /* A cloud SPZ cannot hold: the error leaves neither the file nor a temporary behind. */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/bad.spz", directory);
    cloud->positions[0] = 1e9f;
    ds_status status = ds_splat_file_save(bad, cloud, NULL);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_false(exists(bad));

    char missing[512];
    snprintf(missing, sizeof missing, "%s/no/such/dir/out.ply", directory);
    status = ds_splat_file_save(missing, cloud, NULL);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_non_null(strstr(status.message, "No such file or directory"));

    snprintf(bad, sizeof bad, "%s/out.obj", directory);
    status = ds_splat_file_save(bad, cloud, NULL);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);

    unlink(path);
    rmdir(directory);
    free(directory);
    ds_gaussian_cloud_free(cloud);
}

static void loading_reports_missing_files_and_directories(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    ds_status status = ds_splat_file_load("/nonexistent/file.ply", &cloud, NULL);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_string_equal(status.message, "No such file or directory");
    status = ds_splat_file_load("/tmp", &cloud, NULL);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_non_null(strstr(status.message, "directory"));
}

int run_splat_file_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_are_recognised_by_content_before_name),
        cmocka_unit_test(extensions_pick_formats),
        cmocka_unit_test(saving_is_atomic_and_failures_leave_nothing),
        cmocka_unit_test(loading_reports_missing_files_and_directories),
    };
    return cmocka_run_group_tests_name("splat_file", tests, NULL, NULL);
}
