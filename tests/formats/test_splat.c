#include "formats_tests.h"
#include "test_support.h"

#include "formats/splat.h"

#include <math.h>
#include <string.h>

#define SH_C0 0.28209479177387814

static void ply_to_splat_round_trip_within_steps(void **state) {
    (void)state;
    ds_gaussian_cloud *original = test_load_cloud("fruit_drops_minimal.ply");
    ds_byte_buffer file = {0};
    assert_int_equal(ds_splat_encode(original, &file).code, DS_OK);
    assert_int_equal(file.size, original->count * 32);
    ds_gaussian_cloud *decoded;
    assert_int_equal(ds_splat_decode(file.data, file.size, &decoded).code, DS_OK);
    assert_int_equal(decoded->count, original->count);
    assert_int_equal(decoded->sh_degree, 0);
    for (size_t i = 0; i < original->count; i++) {
        for (int k = 0; k < 3; k++) {
            assert_true(decoded->positions[i * 3 + k] == original->positions[i * 3 + k]);
            test_assert_close(decoded->log_scales[i * 3 + k], original->log_scales[i * 3 + k], 1e-5,
                              "log scale", i);
            double colour = 0.5 + SH_C0 * original->sh[i * 48 + k];
            double clamped = colour < 0 ? 0 : (colour > 1 ? 1 : colour);
            test_assert_close(0.5 + SH_C0 * decoded->sh[i * 3 + k], clamped, 0.5 / 255 + 1e-6,
                              "colour", i);
        }
        test_assert_close(ds_sigmoid(decoded->opacity_logits[i]),
                          ds_sigmoid(original->opacity_logits[i]), 0.5 / 255 + 1e-6, "opacity", i);
        const float *q = original->rotations + i * 4;
        double norm = sqrt((double)q[0] * q[0] + (double)q[1] * q[1] + (double)q[2] * q[2] +
                           (double)q[3] * q[3]);
        double unit[4];
        for (int k = 0; k < 4; k++) {
            unit[k] = q[k] / norm;
        }
        /* Half a step of 1/128 per byte, and renormalising spreads it a little. */
        test_assert_same_rotation(decoded->rotations + i * 4, unit, 1.0 / 128, i);
    }
    ds_gaussian_cloud_free(decoded);
    ds_gaussian_cloud_free(original);
    ds_byte_buffer_free(&file);
}

static void record_layout_matches_the_format(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(1, 0, &cloud).code, DS_OK);
    cloud->positions[0] = 1.0f;
    cloud->positions[1] = -2.0f;
    cloud->positions[2] = 0.5f;
    cloud->log_scales[0] = logf(0.25f);
    cloud->sh[0] = (float)(0.5 / SH_C0); /* colour 1.0 */
    cloud->opacity_logits[0] = 0.0f;     /* alpha 0.5 */
    cloud->rotations[0] = 0.0f;          /* 180 degrees about z, written w x y z */
    cloud->rotations[3] = -2.0f;
    ds_byte_buffer file = {0};
    assert_int_equal(ds_splat_encode(cloud, &file).code, DS_OK);
    assert_int_equal(file.size, 32);
    assert_true(ds_load_f32le(file.data + 4) == -2.0f);
    assert_true(fabsf(ds_load_f32le(file.data + 12) - 0.25f) < 1e-7f);
    const uint8_t rgba[4] = {255, 128, 128, 128};
    assert_memory_equal(file.data + 24, rgba, 4);
    const uint8_t rotation[4] = {128, 128, 128, 0};
    assert_memory_equal(file.data + 28, rotation, 4);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
}

static void sizes_not_a_multiple_of_32_are_rejected(void **state) {
    (void)state;
    uint8_t bytes[33] = {0};
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_splat_decode(bytes, 33, &cloud);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_null(cloud);
    assert_non_null(strstr(status.message, "not a multiple of 32"));
}

static void all_zero_rotation_reads_as_identity(void **state) {
    (void)state;
    uint8_t record[32] = {0};
    memset(record + 28, 128, 4);
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_splat_decode(record, 32, &cloud).code, DS_OK);
    assert_true(cloud->rotations[0] == 1.0f && cloud->rotations[1] == 0.0f);
    assert_true(isfinite(cloud->log_scales[0])); /* a zero scale is not -infinity */
    assert_true(isfinite(cloud->opacity_logits[0]));
    ds_gaussian_cloud_free(cloud);
}

int run_splat_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ply_to_splat_round_trip_within_steps),
        cmocka_unit_test(record_layout_matches_the_format),
        cmocka_unit_test(sizes_not_a_multiple_of_32_are_rejected),
        cmocka_unit_test(all_zero_rotation_reads_as_identity),
    };
    return cmocka_run_group_tests_name("splat", tests, NULL, NULL);
}
