#include "formats_tests.h"
#include "test_support.h"

#include <string.h>

static void create_gives_zeroed_gaussians_with_identity_rotations(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(5, 2, &cloud).code, DS_OK);
    assert_int_equal(cloud->count, 5);
    assert_int_equal(ds_gaussian_cloud_sh_stride(cloud), 27);
    for (size_t i = 0; i < 5; i++) {
        assert_true(cloud->rotations[i * 4] == 1.0f);
        assert_true(cloud->rotations[i * 4 + 3] == 0.0f);
        assert_true(cloud->positions[i * 3 + 1] == 0.0f);
        assert_true(cloud->sh[i * 27 + 26] == 0.0f);
    }
    ds_gaussian_cloud_free(cloud);
}

static void create_rejects_unsupported_sh_degrees(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = (ds_gaussian_cloud *)1;
    ds_status status = ds_gaussian_cloud_create(1, 4, &cloud);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_null(cloud);
    assert_non_null(strstr(status.message, "SH degree 4"));
    assert_int_equal(ds_gaussian_cloud_create(1, -1, &cloud).code, DS_ERR_ARGUMENT);
}

static void resize_keeps_existing_and_defaults_new(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(3, 1, 7);
    float first_position = cloud->positions[0];
    float last_sh = cloud->sh[2 * 12 + 11];
    assert_int_equal(ds_gaussian_cloud_resize(cloud, 1000).code, DS_OK);
    assert_int_equal(cloud->count, 1000);
    assert_true(cloud->capacity >= 1000);
    assert_true(cloud->positions[0] == first_position);
    assert_true(cloud->sh[2 * 12 + 11] == last_sh);
    assert_true(cloud->rotations[999 * 4] == 1.0f);
    assert_true(cloud->opacity_logits[999] == 0.0f);
    assert_int_equal(ds_gaussian_cloud_resize(cloud, 2).code, DS_OK);
    assert_int_equal(cloud->count, 2);
    assert_true(cloud->positions[0] == first_position);
    assert_int_equal(ds_gaussian_cloud_resize(cloud, DS_GAUSSIAN_CLOUD_MAX_COUNT + 1).code,
                     DS_ERR_NO_MEMORY);
    ds_gaussian_cloud_free(cloud);
}

static void set_sh_degree_keeps_shared_coefficients(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(4, 1, 11);
    float dc_green = cloud->sh[3 * 12 + 1];
    float degree1_blue = cloud->sh[3 * 12 + 3 * 3 + 2];
    assert_int_equal(ds_gaussian_cloud_set_sh_degree(cloud, 3).code, DS_OK);
    assert_int_equal(ds_gaussian_cloud_sh_stride(cloud), 48);
    assert_true(cloud->sh[3 * 48 + 1] == dc_green);
    assert_true(cloud->sh[3 * 48 + 3 * 3 + 2] == degree1_blue);
    assert_true(cloud->sh[3 * 48 + 47] == 0.0f);
    assert_int_equal(ds_gaussian_cloud_set_sh_degree(cloud, 0).code, DS_OK);
    assert_true(cloud->sh[3 * 3 + 1] == dc_green);
    assert_int_equal(ds_gaussian_cloud_set_sh_degree(cloud, 9).code, DS_ERR_ARGUMENT);
    ds_gaussian_cloud_free(cloud);
}

static void status_carries_formatted_message(void **state) {
    (void)state;
    ds_status status = ds_error(DS_ERR_FORMAT, "bad %s at %d", "header", 12);
    assert_true(ds_failed(&status));
    assert_string_equal(status.message, "bad header at 12");
    assert_string_equal(ds_status_code_name(DS_ERR_FORMAT), "format error");
    ds_status ok = ds_ok();
    assert_false(ds_failed(&ok));
    char long_text[600];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    status = ds_error(DS_ERR_IO, "%s", long_text);
    assert_int_equal(strlen(status.message), DS_STATUS_MESSAGE_SIZE - 1);
}

int run_gaussian_cloud_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_gives_zeroed_gaussians_with_identity_rotations),
        cmocka_unit_test(create_rejects_unsupported_sh_degrees),
        cmocka_unit_test(resize_keeps_existing_and_defaults_new),
        cmocka_unit_test(set_sh_degree_keeps_shared_coefficients),
        cmocka_unit_test(status_carries_formatted_message),
    };
    return cmocka_run_group_tests_name("gaussian_cloud", tests, NULL, NULL);
}
