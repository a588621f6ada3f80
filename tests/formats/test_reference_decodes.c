/* Every fixture decodes to the values an independent decoder (PlayCanvas splat-transform 2.7.1)
 * produced, within the format's quantisation step. */
#include "formats_tests.h"
#include "test_support.h"

#include "formats/splat_file.h"

#include <math.h>

typedef struct reference_case {
    const char *file;
    const char *csv;
    size_t expected_count;
    /* One quantisation step per attribute: */
    double position;  /* 2^-fractional_bits, or float rounding */
    double log_scale; /* 1/16 in SPZ */
    double dc;        /* one colour byte, in f_dc units */
    double opacity;   /* one byte of sigmoid(opacity) */
    double rotation;  /* one rotation code, per component */
} reference_case;

#define SPZ_DC_STEP          (1.0 / (255.0 * 0.15))
#define SPZ_V3_ROTATION_STEP (0.70710678 / 511.0)
#define SPLAT_DC_STEP        (1.0 / (255.0 * 0.28209479177387814))

static void check_against_csv(const reference_case *c) {
    ds_gaussian_cloud *cloud = test_load_cloud(c->file);
    test_csv *csv = test_csv_load(test_data_path(c->csv));
    assert_int_equal(cloud->count, c->expected_count);
    assert_true(csv->rows > 0 && csv->rows <= cloud->count);
    static const char *const axes[] = {"x", "y", "z"};
    static const char *const scales[] = {"scale_0", "scale_1", "scale_2"};
    static const char *const dcs[] = {"f_dc_0", "f_dc_1", "f_dc_2"};
    static const char *const rots[] = {"rot_0", "rot_1", "rot_2", "rot_3"};
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < csv->rows; i++) {
        for (int k = 0; k < 3; k++) {
            test_assert_close(cloud->positions[i * 3 + k], test_csv_value(csv, i, axes[k]),
                              c->position, axes[k], i);
            test_assert_close(cloud->log_scales[i * 3 + k], test_csv_value(csv, i, scales[k]),
                              c->log_scale, scales[k], i);
            test_assert_close(cloud->sh[i * sh_stride + k], test_csv_value(csv, i, dcs[k]), c->dc,
                              dcs[k], i);
        }
        /* Compared as opacity: the logit of a 0 or 255 byte is infinite in the reference. */
        double expected_opacity = 1.0 / (1.0 + exp(-test_csv_value(csv, i, "opacity")));
        test_assert_close(ds_sigmoid(cloud->opacity_logits[i]), expected_opacity, c->opacity,
                          "opacity", i);
        double rotation[4];
        for (int k = 0; k < 4; k++) {
            rotation[k] = test_csv_value(csv, i, rots[k]);
        }
        test_assert_same_rotation(cloud->rotations + i * 4, rotation, c->rotation, i);
    }
    test_csv_free(csv);
    ds_gaussian_cloud_free(cloud);
}

static void spz_version_2_matches_reference(void **state) {
    (void)state;
    /* This fixture stores positions with 8 fractional bits. */
    reference_case c = {"minimal-v2.spz", "minimal-v2.spz.csv", 4,         1.0 / 256,
                        1.0 / 16,         SPZ_DC_STEP,          1.0 / 255, 1.0 / 127.5};
    check_against_csv(&c);
}

static void spz_version_3_matches_reference(void **state) {
    (void)state;
    reference_case c = {"minimal-v3.spz", "minimal-v3.spz.csv", 4,         1.0 / 4096,
                        1.0 / 16,         SPZ_DC_STEP,          1.0 / 255, SPZ_V3_ROTATION_STEP};
    check_against_csv(&c);
}

static void spz_version_4_matches_reference(void **state) {
    (void)state;
    reference_case c = {"minimal-v4.spz", "minimal-v4.spz.csv", 4,         1.0 / 4096,
                        1.0 / 16,         SPZ_DC_STEP,          1.0 / 255, SPZ_V3_ROTATION_STEP};
    check_against_csv(&c);
}

static void biker_spz_matches_reference(void **state) {
    (void)state;
    reference_case c = {"biker.spz", "biker.first2000.csv", 152746,    1.0 / 4096,
                        1.0 / 16,    SPZ_DC_STEP,           1.0 / 255, SPZ_V3_ROTATION_STEP};
    check_against_csv(&c);
}

static void splat_matches_reference(void **state) {
    (void)state;
    reference_case c = {"minimal.splat", "minimal.splat.csv", 4,        1e-6, 1e-5,
                        SPLAT_DC_STEP,   1.0 / 255,           1.0 / 128};
    check_against_csv(&c);
}

static void biker_spz_is_identified(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    ds_splat_file_info info;
    ds_status status = ds_splat_file_load(test_data_path("biker.spz"), &cloud, &info);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(info.format, DS_SPLAT_FORMAT_SPZ);
    assert_string_equal(info.variant, "version 4");
    assert_int_equal(cloud->count, 152746);
    assert_int_equal(cloud->sh_degree, 0);
    ds_gaussian_cloud_free(cloud);
}

int run_reference_decode_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spz_version_2_matches_reference),
        cmocka_unit_test(spz_version_3_matches_reference),
        cmocka_unit_test(spz_version_4_matches_reference),
        cmocka_unit_test(biker_spz_matches_reference),
        cmocka_unit_test(splat_matches_reference),
        cmocka_unit_test(biker_spz_is_identified),
    };
    return cmocka_run_group_tests_name("reference_decodes", tests, NULL, NULL);
}
