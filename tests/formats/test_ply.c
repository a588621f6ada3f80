#include "formats_tests.h"
#include "test_support.h"

#include "formats/ply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ds_gaussian_cloud *decode_text(const char *text, ds_status *status) {
    ds_gaussian_cloud *cloud = NULL;
    *status = ds_ply_decode((const uint8_t *)text, strlen(text), &cloud);
    return cloud;
}

/* fruit_drops_minimal.ply holds 63 float32 per vertex: x y z nx ny nz f_dc_0..2 f_rest_0..44
 * opacity scale_0..2 rot_0..3 transform. Reads one directly from the file's bytes. */
static float raw_fruit_value(const uint8_t *data, size_t header_bytes, size_t vertex,
                             size_t property) {
    float value;
    memcpy(&value, data + header_bytes + (vertex * 63 + property) * 4, 4);
    return value;
}

static void binary_little_endian_file_maps_every_property(void **state) {
    (void)state;
    size_t size;
    uint8_t *data = test_read_file(test_data_path("fruit_drops_minimal.ply"), &size);
    const char *end = strstr((const char *)data, "end_header\n");
    assert_non_null(end);
    size_t header_bytes = (size_t)(end - (const char *)data) + strlen("end_header\n");
    ds_gaussian_cloud *cloud = test_load_cloud("fruit_drops_minimal.ply");
    assert_int_equal(cloud->count, 4721);
    assert_int_equal(cloud->sh_degree, 3);
    size_t samples[] = {0, 1, 2345, 4720};
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        size_t i = samples[s];
        for (size_t k = 0; k < 3; k++) {
            assert_true(cloud->positions[i * 3 + k] == raw_fruit_value(data, header_bytes, i, k));
            assert_true(cloud->sh[i * 48 + k] == raw_fruit_value(data, header_bytes, i, 6 + k));
            assert_true(cloud->log_scales[i * 3 + k] ==
                        raw_fruit_value(data, header_bytes, i, 55 + k));
        }
        assert_true(cloud->opacity_logits[i] == raw_fruit_value(data, header_bytes, i, 54));
        for (size_t k = 0; k < 4; k++) {
            assert_true(cloud->rotations[i * 4 + k] ==
                        raw_fruit_value(data, header_bytes, i, 58 + k));
        }
        /* f_rest_j is channel-major: channel j / 15, coefficient 1 + j % 15. */
        for (size_t j = 0; j < 45; j++) {
            size_t channel = j / 15, coefficient = 1 + j % 15;
            assert_true(cloud->sh[i * 48 + coefficient * 3 + channel] ==
                        raw_fruit_value(data, header_bytes, i, 9 + j));
        }
    }
    ds_gaussian_cloud_free(cloud);
    free(data);
}

/* ASCII, properties shuffled, doubles, integer and unknown properties, SH degree 1, and a face
 * element with lists before the vertices. */
static const char ascii_ply[] =
    "ply\r\n"
    "format ascii 1.0\n"
    "comment written by hand for dualsplat's tests\n"
    "obj_info nothing\n"
    "element face 2\n"
    "property list uchar int vertex_indices\n"
    "element vertex 2\n"
    "property double rot_3\n"
    "property float f_rest_0\n"
    "property float f_rest_1\n"
    "property float f_rest_2\n"
    "property float f_rest_3\n"
    "property float f_rest_4\n"
    "property float f_rest_5\n"
    "property float f_rest_6\n"
    "property float f_rest_7\n"
    "property float f_rest_8\n"
    "property uchar red\n"
    "property double z\n"
    "property float y\n"
    "property float x\n"
    "property list uchar float extras\n"
    "property float opacity\n"
    "property short scale_2\n"
    "property float scale_1\n"
    "property float scale_0\n"
    "property float f_dc_2\n"
    "property float f_dc_1\n"
    "property float f_dc_0\n"
    "property float rot_0\n"
    "property float rot_1\n"
    "property float rot_2\n"
    "end_header\n"
    "3 0 1 2\n"
    "0\n"
    "0.5 1 2 3 4 5 6 7 8 9 255 -3.25 2.5 1.5 1 0.25 0.75 -1 -2 -3 0.1 0.2 0.3 1 0 0\n"
    "-0.5 -1 -2 -3 -4 -5 -6 -7 -8 -9 0 1e3 -2.5 -1.5 0 -0.25 -7 1.5 2 -0.1 -0.2 -0.3 0.5 0.5 "
    "0.5\n"
    "element after vertices is never read\n";

static void ascii_any_order_with_lists_and_unknown_properties(void **state) {
    (void)state;
    ds_status status;
    ds_gaussian_cloud *cloud = decode_text(ascii_ply, &status);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(cloud->count, 2);
    assert_int_equal(cloud->sh_degree, 1);
    assert_true(cloud->positions[0] == 1.5f && cloud->positions[1] == 2.5f &&
                cloud->positions[2] == -3.25f);
    assert_true(cloud->positions[5] == 1000.0f);
    assert_true(cloud->opacity_logits[0] == 0.75f);
    assert_true(cloud->log_scales[0] == -3.0f && cloud->log_scales[1] == -2.0f &&
                cloud->log_scales[2] == -1.0f); /* the short scale_2 of the first is -1 */
    assert_true(cloud->sh[0] == 0.3f && cloud->sh[1] == 0.2f && cloud->sh[2] == 0.1f);
    assert_true(cloud->rotations[0] == 1.0f && cloud->rotations[3] == 0.5f);
    /* f_rest_0..2 are red coefficients 1..3, f_rest_3..5 green, f_rest_6..8 blue. */
    assert_true(cloud->sh[1 * 3 + 0] == 1.0f && cloud->sh[3 * 3 + 0] == 3.0f);
    assert_true(cloud->sh[1 * 3 + 1] == 4.0f && cloud->sh[2 * 3 + 2] == 8.0f);
    assert_true(cloud->sh[12 + 3 * 3 + 2] == -9.0f);
    ds_gaussian_cloud_free(cloud);
}

/* Appends a value big-endian. */
static void put_be(ds_byte_buffer *out, const void *value, size_t size) {
    const uint8_t *bytes = value;
    for (size_t i = 0; i < size; i++) {
        ds_byte_buffer_append_u8(out, bytes[size - 1 - i]);
    }
}

static void binary_big_endian_with_doubles(void **state) {
    (void)state;
    ds_byte_buffer file = {0};
    ds_byte_buffer_append_string(&file, "ply\nformat binary_big_endian 1.0\nelement vertex 3\n"
                                        "property double x\nproperty double y\n"
                                        "property double z\nproperty uchar junk\n"
                                        "property float opacity\n");
    static const char *const floats[] = {"scale_0", "scale_1", "scale_2", "rot_0",  "rot_1",
                                         "rot_2",   "rot_3",   "f_dc_0",  "f_dc_1", "f_dc_2"};
    for (size_t p = 0; p < 10; p++) {
        ds_byte_buffer_printf(&file, "property float %s\n", floats[p]);
    }
    ds_byte_buffer_append_string(&file, "end_header\n");
    for (int i = 0; i < 3; i++) {
        double position[3] = {0.1 * i, 1e-3 + i, -12345.678};
        for (int k = 0; k < 3; k++) {
            put_be(&file, &position[k], 8);
        }
        ds_byte_buffer_append_u8(&file, 0xab);
        float opacity = (float)i - 1.0f;
        put_be(&file, &opacity, 4);
        for (int p = 0; p < 10; p++) {
            float value = (float)(i * 10 + p) / 7.0f;
            put_be(&file, &value, 4);
        }
    }
    ds_gaussian_cloud *cloud;
    ds_status status = ds_ply_decode(file.data, file.size, &cloud);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(cloud->count, 3);
    assert_int_equal(cloud->sh_degree, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(cloud->positions[i * 3 + 0] == (float)(0.1 * i));
        assert_true(cloud->positions[i * 3 + 1] == (float)(1e-3 + i));
        assert_true(cloud->positions[i * 3 + 2] == (float)-12345.678);
        assert_true(cloud->opacity_logits[i] == (float)i - 1.0f);
        assert_true(cloud->log_scales[i * 3 + 2] == (float)(i * 10 + 2) / 7.0f);
        assert_true(cloud->rotations[i * 4 + 3] == (float)(i * 10 + 6) / 7.0f);
        assert_true(cloud->sh[i * 3 + 1] == (float)(i * 10 + 8) / 7.0f);
    }
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
}

static void ply_round_trip_is_exact_in_every_encoding(void **state) {
    (void)state;
    ds_gaussian_cloud *original = test_load_cloud("fruit_drops_minimal.ply");
    const ds_ply_encoding encodings[] = {DS_PLY_BINARY_LITTLE_ENDIAN, DS_PLY_BINARY_BIG_ENDIAN,
                                         DS_PLY_ASCII};
    for (size_t e = 0; e < 3; e++) {
        ds_byte_buffer bytes = {0};
        assert_int_equal(ds_ply_encode(original, encodings[e], &bytes).code, DS_OK);
        ds_gaussian_cloud *decoded;
        assert_int_equal(ds_ply_decode(bytes.data, bytes.size, &decoded).code, DS_OK);
        test_assert_clouds_identical(original, decoded);
        /* Writing what we read gives the same bytes again. */
        ds_byte_buffer again = {0};
        assert_int_equal(ds_ply_encode(decoded, encodings[e], &again).code, DS_OK);
        assert_int_equal(again.size, bytes.size);
        assert_memory_equal(again.data, bytes.data, bytes.size);
        ds_byte_buffer_free(&again);
        ds_byte_buffer_free(&bytes);
        ds_gaussian_cloud_free(decoded);
    }
    ds_gaussian_cloud_free(original);
}

static void written_header_is_the_reference_layout(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(2, 1, 5);
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_ply_encode(cloud, DS_PLY_BINARY_LITTLE_ENDIAN, &bytes).code, DS_OK);
    const char *expected_start = "ply\nformat binary_little_endian 1.0\nelement vertex 2\n"
                                 "property float x\nproperty float y\nproperty float z\n"
                                 "property float nx\nproperty float ny\nproperty float nz\n"
                                 "property float f_dc_0\nproperty float f_dc_1\n"
                                 "property float f_dc_2\nproperty float f_rest_0\n";
    assert_memory_equal(bytes.data, expected_start, strlen(expected_start));
    const char *expected_end = "property float f_rest_8\nproperty float opacity\n"
                               "property float scale_0\nproperty float scale_1\n"
                               "property float scale_2\nproperty float rot_0\n"
                               "property float rot_1\nproperty float rot_2\n"
                               "property float rot_3\nend_header\n";
    size_t floats = 3 + 3 + 3 + 9 + 1 + 3 + 4;
    size_t data_bytes = 2 * floats * 4;
    size_t end_length = strlen(expected_end);
    assert_memory_equal(bytes.data + bytes.size - data_bytes - end_length, expected_end,
                        end_length);
    /* The first f_rest value written is red coefficient 1; the 4th is green coefficient 1. */
    float value;
    size_t data_start = bytes.size - data_bytes;
    memcpy(&value, bytes.data + data_start + 9 * 4, 4);
    assert_true(value == cloud->sh[1 * 3 + 0]);
    memcpy(&value, bytes.data + data_start + 12 * 4, 4);
    assert_true(value == cloud->sh[1 * 3 + 1]);
    ds_byte_buffer_free(&bytes);
    ds_gaussian_cloud_free(cloud);
}

/* Replaces the first occurrence of `from` in the ASCII fixture and expects an error whose
 * message contains `expected`. */
static void expect_error_after_edit(const char *from, const char *to, ds_status_code code,
                                    const char *expected) {
    const char *at = strstr(ascii_ply, from);
    assert_non_null(at);
    size_t prefix = (size_t)(at - ascii_ply);
    char *edited = malloc(sizeof ascii_ply + strlen(to));
    assert_non_null(edited);
    memcpy(edited, ascii_ply, prefix);
    strcpy(edited + prefix, to);
    strcat(edited, at + strlen(from));
    ds_status status;
    ds_gaussian_cloud *cloud = decode_text(edited, &status);
    assert_null(cloud);
    assert_int_equal(status.code, code);
    if (!strstr(status.message, expected)) {
        fail_msg("message '%s' does not mention '%s'", status.message, expected);
    }
    free(edited);
}

static void malformed_files_give_clear_errors(void **state) {
    (void)state;
    expect_error_after_edit("property float opacity\n", "", DS_ERR_FORMAT, "no 'opacity' property");
    expect_error_after_edit("property float rot_2\n", "", DS_ERR_FORMAT, "no 'rot_2' property");
    expect_error_after_edit("property float f_rest_8\n", "", DS_ERR_FORMAT, "8 f_rest");
    expect_error_after_edit("property float f_rest_4\n", "property float f_rest_9\n", DS_ERR_FORMAT,
                            "without gaps");
    expect_error_after_edit("end_header\n", "end_headr\n", DS_ERR_FORMAT, "end_headr");
    expect_error_after_edit("format ascii 1.0", "format ascii 2.0", DS_ERR_UNSUPPORTED, "version");
    expect_error_after_edit("format ascii", "format binary_middle_endian", DS_ERR_FORMAT,
                            "binary_middle_endian");
    expect_error_after_edit("element vertex 2", "element vertex 3", DS_ERR_FORMAT,
                            "truncated or malformed");
    expect_error_after_edit("element vertex 2", "element vertex two", DS_ERR_FORMAT,
                            "not a number");
    expect_error_after_edit("property float y\n", "property float y\nproperty float y\n",
                            DS_ERR_FORMAT, "twice");
    expect_error_after_edit("property float x\n", "property quad x\n", DS_ERR_FORMAT,
                            "unknown type");
    expect_error_after_edit("element vertex", "element vertices", DS_ERR_FORMAT,
                            "no 'vertex' element");
    expect_error_after_edit("property float f_rest_8\n", "property list uchar float f_rest_8\n",
                            DS_ERR_FORMAT, "is a list");
    expect_error_after_edit("0.5 1 2", "0.5 1 zwei", DS_ERR_FORMAT, "vertex 0");
    expect_error_after_edit("3 0 1 2\n", "3 0 1\n", DS_ERR_FORMAT, "element 'face'");

    ds_status status;
    assert_null(decode_text("not a ply", &status));
    assert_non_null(strstr(status.message, "does not start with 'ply'"));
    assert_null(decode_text("ply\nformat ascii 1.0\nelement vertex 1\n", &status));
    assert_non_null(strstr(status.message, "end_header"));
}

static void vertex_count_beyond_the_data_is_refused_before_allocating(void **state) {
    (void)state;
    /* 4 billion vertices claimed in a file of a few hundred bytes. */
    char text[512];
    snprintf(text, sizeof text,
             "ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\n"
             "property float x\nproperty float y\nproperty float z\nproperty float opacity\n"
             "property float scale_0\nproperty float scale_1\nproperty float scale_2\n"
             "property float rot_0\nproperty float rot_1\nproperty float rot_2\n"
             "property float rot_3\nproperty float f_dc_0\nproperty float f_dc_1\n"
             "property float f_dc_2\nend_header\n");
    ds_status status;
    assert_null(decode_text(text, &status));
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "4000000000 vertices"));
}

static void degree_four_sh_is_reported_as_unsupported(void **state) {
    (void)state;
    ds_byte_buffer text = {0};
    ds_byte_buffer_append_string(&text, "ply\nformat ascii 1.0\nelement vertex 1\n"
                                        "property float x\nproperty float y\nproperty float z\n"
                                        "property float opacity\nproperty float scale_0\n"
                                        "property float scale_1\nproperty float scale_2\n"
                                        "property float rot_0\nproperty float rot_1\n"
                                        "property float rot_2\nproperty float rot_3\n"
                                        "property float f_dc_0\nproperty float f_dc_1\n"
                                        "property float f_dc_2\n");
    for (int j = 0; j < 72; j++) {
        ds_byte_buffer_printf(&text, "property float f_rest_%d\n", j);
    }
    ds_byte_buffer_append_string(&text, "end_header\n");
    for (int j = 0; j < 14 + 72; j++) {
        ds_byte_buffer_append_string(&text, "0 ");
    }
    ds_gaussian_cloud *cloud;
    ds_status status = ds_ply_decode(text.data, text.size, &cloud);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(status.message, "SH degree above 3"));
    ds_byte_buffer_free(&text);
}

static void playcanvas_compressed_ply_is_named(void **state) {
    (void)state;
    const char *text = "ply\nformat binary_little_endian 1.0\nelement chunk 0\n"
                       "property float min_x\nelement vertex 0\nproperty uint packed_position\n"
                       "end_header\n";
    ds_status status;
    assert_null(decode_text(text, &status));
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(status.message, "PlayCanvas compressed"));
}

int run_ply_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binary_little_endian_file_maps_every_property),
        cmocka_unit_test(ascii_any_order_with_lists_and_unknown_properties),
        cmocka_unit_test(binary_big_endian_with_doubles),
        cmocka_unit_test(ply_round_trip_is_exact_in_every_encoding),
        cmocka_unit_test(written_header_is_the_reference_layout),
        cmocka_unit_test(malformed_files_give_clear_errors),
        cmocka_unit_test(vertex_count_beyond_the_data_is_refused_before_allocating),
        cmocka_unit_test(degree_four_sh_is_reported_as_unsupported),
        cmocka_unit_test(playcanvas_compressed_ply_is_named),
    };
    return cmocka_run_group_tests_name("ply", tests, NULL, NULL);
}
