#include "formats_tests.h"
#include "test_support.h"

#include "formats/spz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* ---- building files by hand, independently of the encoder ---- */

static void gzip_bytes(const uint8_t *raw, size_t size, ds_byte_buffer *out) {
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t bound = deflateBound(&z, (uLong)size);
    assert_true(ds_byte_buffer_reserve(out, bound));
    z.next_in = (Bytef *)(uintptr_t)raw;
    z.avail_in = (uInt)size;
    z.next_out = out->data + out->size;
    z.avail_out = (uInt)bound;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out->size += bound - z.avail_out;
    deflateEnd(&z);
}

static void legacy_header(ds_byte_buffer *raw, uint32_t version, uint32_t count, uint8_t degree,
                          uint8_t fractional_bits) {
    ds_byte_buffer_append_string(raw, "NGSP");
    ds_byte_buffer_append_u32le(raw, version);
    ds_byte_buffer_append_u32le(raw, count);
    ds_byte_buffer_append_u8(raw, degree);
    ds_byte_buffer_append_u8(raw, fractional_bits);
    ds_byte_buffer_append_u8(raw, 0);
    ds_byte_buffer_append_u8(raw, 0);
}

static ds_gaussian_cloud *decode_or_fail(const ds_byte_buffer *file, ds_spz_info *info) {
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_spz_decode(file->data, file->size, &cloud, info);
    if (ds_failed(&status)) {
        fail_msg("decode failed: %s", status.message);
    }
    return cloud;
}

static ds_status decode_status(const ds_byte_buffer *file) {
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_spz_decode(file->data, file->size, &cloud, NULL);
    ds_gaussian_cloud_free(cloud);
    return status;
}

static void encode_or_fail(const ds_gaussian_cloud *cloud, int version, ds_byte_buffer *out) {
    ds_spz_write_options options = {.version = version};
    ds_status status = ds_spz_encode(cloud, &options, out);
    if (ds_failed(&status)) {
        fail_msg("encode failed: %s", status.message);
    }
}

/* Decompresses stream `index` (counting non-empty streams) of a version-4 file. */
static uint8_t *v4_stream(const ds_byte_buffer *file, int index, size_t *size) {
    size_t toc = ds_load_u32le(file->data + 16);
    size_t streams = file->data[15];
    size_t offset = toc + streams * 16;
    for (int s = 0; s < index; s++) {
        offset += (size_t)ds_load_u64le(file->data + toc + (size_t)s * 16);
    }
    size_t compressed = (size_t)ds_load_u64le(file->data + toc + (size_t)index * 16);
    *size = (size_t)ds_load_u64le(file->data + toc + (size_t)index * 16 + 8);
    uint8_t *bytes = malloc(*size);
    assert_non_null(bytes);
    assert_int_equal(ZSTD_decompress(bytes, *size, file->data + offset, compressed), *size);
    return bytes;
}

/* ---- round trips ---- */

static float clampf(float value, float low, float high) {
    return value < low ? low : (value > high ? high : value);
}

static double rotation_mismatch(const float *a, const float *b) {
    double na = 0, nb = 0, dot = 0;
    for (int k = 0; k < 4; k++) {
        na += (double)a[k] * a[k];
        nb += (double)b[k] * b[k];
        dot += (double)a[k] * b[k];
    }
    return 1.0 - fabs(dot) / sqrt(na * nb);
}

static void check_round_trip_within_steps(int version, double rotation_tolerance) {
    ds_gaussian_cloud *original = test_load_cloud("fruit_drops_minimal.ply");
    ds_byte_buffer file = {0};
    encode_or_fail(original, version, &file);
    ds_spz_info info;
    ds_gaussian_cloud *decoded = decode_or_fail(&file, &info);
    assert_int_equal(info.version, (uint32_t)version);
    assert_int_equal(info.fractional_bits, 12);
    assert_int_equal(decoded->count, original->count);
    assert_int_equal(decoded->sh_degree, 3);
    const double epsilon = 1e-5;
    for (size_t i = 0; i < original->count; i++) {
        for (int k = 0; k < 3; k++) {
            test_assert_close(decoded->positions[i * 3 + k], original->positions[i * 3 + k],
                              0.5 / 4096 + 1e-6, "position", i);
            test_assert_close(decoded->log_scales[i * 3 + k],
                              clampf(original->log_scales[i * 3 + k], -10.0f, 5.9375f),
                              0.5 / 16 + epsilon, "log scale", i);
            test_assert_close(decoded->sh[i * 48 + k],
                              clampf(original->sh[i * 48 + k], -0.5f / 0.15f, 0.5f / 0.15f),
                              0.5 / (255 * 0.15) + epsilon, "f_dc", i);
        }
        test_assert_close(ds_sigmoid(decoded->opacity_logits[i]),
                          ds_sigmoid(original->opacity_logits[i]), 0.5 / 255 + epsilon, "opacity",
                          i);
        double mismatch =
            rotation_mismatch(decoded->rotations + i * 4, original->rotations + i * 4);
        if (mismatch > rotation_tolerance) {
            fail_msg("rotation of Gaussian %zu differs by %g (1 - |cos|)", i, mismatch);
        }
        for (size_t j = 0; j < 15; j++) {
            /* The reference keeps 5 bits of degree-1 bytes and 4 of the others. */
            double bucket = (j < 3 ? 8.0 : 16.0) / 128.0;
            for (int c = 0; c < 3; c++) {
                float expected =
                    clampf(original->sh[i * 48 + (1 + j) * 3 + (size_t)c], -1.0f, 127.0f / 128.0f);
                test_assert_close(decoded->sh[i * 48 + (1 + j) * 3 + (size_t)c], expected,
                                  bucket / 2 + 1.0 / 256 + epsilon, "f_rest", i);
            }
        }
    }
    ds_gaussian_cloud_free(decoded);
    ds_gaussian_cloud_free(original);
    ds_byte_buffer_free(&file);
}

static void ply_to_spz_version_2_round_trip(void **state) {
    (void)state;
    /* Version 2 rebuilds w from x, y, z, which is coarse where w is small. */
    check_round_trip_within_steps(2, 1e-3);
}

static void ply_to_spz_version_3_round_trip(void **state) {
    (void)state;
    check_round_trip_within_steps(3, 2e-6);
}

static void ply_to_spz_version_4_round_trip(void **state) {
    (void)state;
    check_round_trip_within_steps(4, 2e-6);
}

/* Decoded values lie on the quantisation grid, so encoding them again must store the same
 * bytes and decode to identical values; the one exception is a rotation whose two largest
 * components tie within a step, where either may be the one left out: those may move by a
 * step, and are rare. */
static void reencoding_decoded_files_is_lossless(void **state) {
    (void)state;
    const struct {
        const char *file;
        int version;
    } cases[] = {{"minimal-v2.spz", 2},
                 {"minimal-v3.spz", 3},
                 {"minimal-v4.spz", 4},
                 {"biker.spz", 4},
                 {"biker.spz", 3}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ds_gaussian_cloud *first = test_load_cloud(cases[c].file);
        ds_byte_buffer file = {0};
        encode_or_fail(first, cases[c].version, &file);
        ds_gaussian_cloud *second = decode_or_fail(&file, NULL);
        size_t moved = 0;
        for (size_t i = 0; i < first->count; i++) {
            double expected[4];
            for (int k = 0; k < 4; k++) {
                expected[k] = first->rotations[i * 4 + k];
            }
            test_assert_same_rotation(second->rotations + i * 4, expected, 0.7071 / 511, i);
            moved += memcmp(second->rotations + i * 4, first->rotations + i * 4, 16) != 0;
        }
        assert_true(moved <= first->count / 1000);
        memcpy(second->rotations, first->rotations, first->count * 4 * sizeof(float));
        test_assert_clouds_identical(first, second);
        ds_gaussian_cloud_free(second);
        ds_gaussian_cloud_free(first);
        ds_byte_buffer_free(&file);
    }
}

static void written_version_4_is_as_compact_as_the_reference(void **state) {
    (void)state;
    size_t reference_size;
    free(test_read_file(test_data_path("biker.spz"), &reference_size));
    ds_gaussian_cloud *cloud = test_load_cloud("biker.spz");
    ds_byte_buffer file = {0};
    encode_or_fail(cloud, 4, &file);
    assert_true(file.size < reference_size * 105 / 100);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
}

/* ---- the axis convention, checked on the stored bytes ---- */

static void stored_axes_are_right_up_back(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(1, 1, &cloud).code, DS_OK);
    cloud->positions[0] = 1.0f;
    cloud->positions[1] = 2.0f;
    cloud->positions[2] = 3.0f;
    for (int k = 3; k < 12; k++) {
        cloud->sh[k] = 0.5f;
    }
    ds_byte_buffer file = {0};
    encode_or_fail(cloud, 4, &file);
    size_t size;
    uint8_t *positions = v4_stream(&file, 0, &size);
    assert_int_equal(size, 9);
    /* .ply's (1, 2, 3) (right, down, front) is (1, -2, -3) right, up, back, times 2^12. */
    const int32_t expected[3] = {4096, -8192, -12288};
    for (int k = 0; k < 3; k++) {
        uint32_t raw = positions[3 * k] | positions[3 * k + 1] << 8 | positions[3 * k + 2] << 16;
        int32_t fixed = (raw & 0x800000u) ? (int32_t)(raw | 0xff000000u) : (int32_t)raw;
        assert_int_equal(fixed, expected[k]);
    }
    uint8_t *sh = v4_stream(&file, 5, &size);
    assert_int_equal(size, 9);
    /* Degree-1 basis functions are linear in y, z and x: flipping y and z negates the first two
     * coefficients. +-0.5 is stored as 128 +- 64. */
    const uint8_t expected_sh[9] = {64, 64, 64, 64, 64, 64, 192, 192, 192};
    assert_memory_equal(sh, expected_sh, 9);
    free(sh);
    free(positions);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
}

static void large_scenes_use_fewer_fractional_bits(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(50, 0, 3);
    cloud->positions[7] = 3000.25f;
    ds_byte_buffer file = {0};
    encode_or_fail(cloud, 4, &file);
    assert_int_equal(file.data[13], 11);
    ds_gaussian_cloud *decoded = decode_or_fail(&file, NULL);
    for (size_t i = 0; i < 150; i++) {
        test_assert_close(decoded->positions[i], cloud->positions[i], 0.5 / 2048 + 1e-6, "position",
                          i / 3);
    }
    ds_gaussian_cloud_free(decoded);
    ds_byte_buffer_free(&file);

    cloud->positions[7] = 1e7f;
    ds_status status = ds_spz_encode(cloud, NULL, &file);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "24-bit"));
    cloud->positions[7] = NAN;
    status = ds_spz_encode(cloud, NULL, &file);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "Gaussian 2 has a non-finite position"));
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
}

static void antialiased_flag_survives(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(5, 0, 9);
    cloud->antialiased = true;
    for (int version = 2; version <= 4; version++) {
        ds_byte_buffer file = {0};
        encode_or_fail(cloud, version, &file);
        ds_spz_info info;
        ds_gaussian_cloud *decoded = decode_or_fail(&file, &info);
        assert_true(info.antialiased);
        assert_true(decoded->antialiased);
        ds_gaussian_cloud_free(decoded);
        ds_byte_buffer_free(&file);
    }
    ds_gaussian_cloud_free(cloud);
}

/* ---- variants other writers produce ---- */

static void sh_degree_four_is_read_up_to_degree_three(void **state) {
    (void)state;
    ds_byte_buffer raw = {0}, file = {0};
    legacy_header(&raw, 3, 1, 4, 12);
    static const uint8_t fixed[9 + 1 + 3 + 3] = {0};
    ds_byte_buffer_append(&raw, fixed, sizeof fixed);
    ds_byte_buffer_append_u32le(&raw, 0xc0000000u); /* identity */
    for (int j = 0; j < 24; j++) {
        for (int c = 0; c < 3; c++) {
            ds_byte_buffer_append_u8(&raw, (uint8_t)(128 + j + c));
        }
    }
    gzip_bytes(raw.data, raw.size, &file);
    ds_spz_info info;
    ds_gaussian_cloud *cloud = decode_or_fail(&file, &info);
    assert_int_equal(info.sh_degree, 4);
    assert_int_equal(cloud->sh_degree, 3);
    /* The sign each coefficient takes from right-up-back to right-down-front. */
    const float flip[15] = {-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1};
    for (int j = 0; j < 15; j++) {
        for (int c = 0; c < 3; c++) {
            float expected = (float)(j + c) / 128.0f * flip[j];
            assert_true(fabsf(cloud->sh[(1 + j) * 3 + c] - expected) < 1e-7f);
        }
    }
    assert_true(cloud->rotations[0] == 1.0f);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&raw);
    ds_byte_buffer_free(&file);
}

static void version_1_half_float_positions(void **state) {
    (void)state;
    ds_byte_buffer raw = {0}, file = {0};
    legacy_header(&raw, 1, 1, 0, 0);
    const uint16_t halves[3] = {0x3e00, 0xc000, 0x3400}; /* 1.5, -2, 0.25 */
    for (int k = 0; k < 3; k++) {
        ds_byte_buffer_append_u8(&raw, (uint8_t)halves[k]);
        ds_byte_buffer_append_u8(&raw, (uint8_t)(halves[k] >> 8));
    }
    static const uint8_t rest[1 + 3 + 3 + 3] = {255, 0, 0, 0, 160, 160, 160, 128, 128, 128};
    ds_byte_buffer_append(&raw, rest, sizeof rest);
    gzip_bytes(raw.data, raw.size, &file);
    ds_gaussian_cloud *cloud = decode_or_fail(&file, NULL);
    assert_true(cloud->positions[0] == 1.5f);
    assert_true(cloud->positions[1] == 2.0f);
    assert_true(cloud->positions[2] == -0.25f);
    assert_true(cloud->log_scales[0] == 0.0f);
    assert_true(fabsf(cloud->rotations[0] - 1.0f) < 1e-4f);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&raw);
    ds_byte_buffer_free(&file);
}

/* minimal-v4.spz with one extension record inserted before its table of contents. */
static void with_extension(uint32_t type, const uint8_t *payload, uint32_t length,
                           ds_byte_buffer *out) {
    size_t size;
    uint8_t *original = test_read_file(test_data_path("minimal-v4.spz"), &size);
    assert_int_equal(ds_load_u32le(original + 16), 32);
    ds_byte_buffer_append(out, original, 32);
    out->data[14] |= 2;
    ds_store_u32le(out->data + 16, 32 + 8 + length);
    ds_byte_buffer_append_u32le(out, type);
    ds_byte_buffer_append_u32le(out, length);
    ds_byte_buffer_append(out, payload, length);
    ds_byte_buffer_append(out, original + 32, size - 32);
    free(original);
}

static void coordinate_system_extension_is_honoured(void **state) {
    (void)state;
    ds_gaussian_cloud *plain = test_load_cloud("minimal-v4.spz");
    uint8_t rdf[4] = {6, 0, 0, 0};
    ds_byte_buffer file = {0};
    with_extension(0xadbe0003u, rdf, 4, &file);
    ds_gaussian_cloud *cloud = decode_or_fail(&file, NULL);
    /* Stored in .ply axes already: nothing is flipped, so y and z come out negated relative to
     * reading the same bytes as right-up-back. */
    for (size_t i = 0; i < 4; i++) {
        assert_true(cloud->positions[i * 3] == plain->positions[i * 3]);
        assert_true(cloud->positions[i * 3 + 2] == -plain->positions[i * 3 + 2]);
    }
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);

    uint8_t rotated[4] = {10, 0, 0, 0};
    with_extension(0xadbe0003u, rotated, 4, &file);
    ds_status status = decode_status(&file);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    ds_byte_buffer_free(&file);

    uint8_t unknown[3] = {1, 2, 3};
    with_extension(0x12345678u, unknown, 3, &file);
    cloud = decode_or_fail(&file, NULL);
    test_assert_clouds_identical(cloud, plain);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&file);
    ds_gaussian_cloud_free(plain);
}

/* ---- malformed files ---- */

static void expect_v4_edit_fails(size_t offset, uint8_t value, const char *expected) {
    size_t size;
    uint8_t *data = test_read_file(test_data_path("minimal-v4.spz"), &size);
    ds_byte_buffer file = {0};
    ds_byte_buffer_append(&file, data, size);
    file.data[offset] = value;
    ds_status status = decode_status(&file);
    assert_true(ds_failed(&status));
    if (!strstr(status.message, expected)) {
        fail_msg("message '%s' does not mention '%s'", status.message, expected);
    }
    ds_byte_buffer_free(&file);
    free(data);
}

static void malformed_headers_are_rejected(void **state) {
    (void)state;
    expect_v4_edit_fails(4, 5, "version 5");
    expect_v4_edit_fails(12, 5, "SH degree 5");
    expect_v4_edit_fails(13, 30, "fractional bits");
    expect_v4_edit_fails(15, 6, "6 streams");
    expect_v4_edit_fails(16, 200, "table of contents");
    expect_v4_edit_fails(8, 0, "no Gaussians");
    expect_v4_edit_fails(11, 0x40, "more than a 220 byte file");
    expect_v4_edit_fails(40, 4, "stream 0 holds 4 bytes");
    expect_v4_edit_fails(0, 'X', "not a .spz");

    size_t size;
    uint8_t *data = test_read_file(test_data_path("minimal-v4.spz"), &size);
    ds_byte_buffer file = {0};
    ds_byte_buffer_append(&file, data, size);
    ds_byte_buffer_append_u8(&file, 0);
    ds_status status = decode_status(&file);
    assert_non_null(strstr(status.message, "1 unexpected bytes after its last stream"));
    ds_byte_buffer_free(&file);
    free(data);

    data = test_read_file(test_data_path("minimal-v3.spz"), &size);
    ds_byte_buffer_append(&file, data, size);
    ds_byte_buffer_append_string(&file, "junk");
    status = decode_status(&file);
    assert_non_null(strstr(status.message, "after its gzip stream"));
    ds_byte_buffer_free(&file);
    free(data);
}

static void invalid_write_requests_are_refused(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(3, 0, 1);
    ds_byte_buffer out = {0};
    ds_spz_write_options options = {.version = 1};
    assert_int_equal(ds_spz_encode(cloud, &options, &out).code, DS_ERR_ARGUMENT);
    options = (ds_spz_write_options){.version = 3, .sh1_bits = 9};
    assert_int_equal(ds_spz_encode(cloud, &options, &out).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_gaussian_cloud_resize(cloud, 0).code, DS_OK);
    assert_int_equal(ds_spz_encode(cloud, NULL, &out).code, DS_ERR_ARGUMENT);
    assert_int_equal(out.size, 0);
    ds_gaussian_cloud_free(cloud);
    ds_byte_buffer_free(&out);
}

int run_spz_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ply_to_spz_version_2_round_trip),
        cmocka_unit_test(ply_to_spz_version_3_round_trip),
        cmocka_unit_test(ply_to_spz_version_4_round_trip),
        cmocka_unit_test(reencoding_decoded_files_is_lossless),
        cmocka_unit_test(written_version_4_is_as_compact_as_the_reference),
        cmocka_unit_test(stored_axes_are_right_up_back),
        cmocka_unit_test(large_scenes_use_fewer_fractional_bits),
        cmocka_unit_test(antialiased_flag_survives),
        cmocka_unit_test(sh_degree_four_is_read_up_to_degree_three),
        cmocka_unit_test(version_1_half_float_positions),
        cmocka_unit_test(coordinate_system_extension_is_honoured),
        cmocka_unit_test(malformed_headers_are_rejected),
        cmocka_unit_test(invalid_write_requests_are_refused),
    };
    return cmocka_run_group_tests_name("spz", tests, NULL, NULL);
}
