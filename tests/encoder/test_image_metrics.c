#include "encoder_tests.h"
#include "ssim_reference.h"
#include "test_support.h"

#include "encoder/image_metrics.h"

#include <math.h>
#include <string.h>

static void fill(ds_image *image, float value) {
    for (size_t i = 0; i < (size_t)image->width * (size_t)image->height * 3; i++) {
        image->pixels[i] = value;
    }
}

static double psnr_or_fail(const ds_image *a, const ds_image *b) {
    double psnr = NAN;
    ds_status status = ds_image_psnr(a, b, &psnr);
    if (ds_failed(&status)) {
        fail_msg("PSNR failed: %s", status.message);
    }
    return psnr;
}

static double ssim_or_fail(const ds_image *a, const ds_image *b) {
    double ssim = NAN;
    ds_status status = ds_image_ssim(a, b, &ssim);
    if (ds_failed(&status)) {
        fail_msg("SSIM failed: %s", status.message);
    }
    return ssim;
}

static void psnr_of_known_errors(void **state) {
    (void)state;
    ds_image a, b;
    assert_int_equal(ds_image_create(20, 10, &a).code, DS_OK);
    assert_int_equal(ds_image_create(20, 10, &b).code, DS_OK);
    /* A uniform error of 0.1: MSE 0.01, 20 dB (0.25 and 0.35 differ by 0.1 up to float
     * rounding of 0.35). */
    fill(&a, 0.25f);
    fill(&b, 0.35f);
    double d = (double)0.35f - 0.25;
    assert_true(fabs(psnr_or_fail(&a, &b) - -10.0 * log10(d * d)) < 1e-9);
    assert_true(fabs(psnr_or_fail(&a, &b) - 20.0) < 1e-5);
    /* Error 0.5 on the red channel of every pixel only: MSE 0.25 / 3. */
    fill(&b, 0.25f);
    for (int i = 0; i < 200; i++) {
        b.pixels[i * 3] = 0.75f;
    }
    assert_true(fabs(psnr_or_fail(&a, &b) - -10.0 * log10(0.25 / 3.0)) < 1e-9);
    /* Identical: infinite. */
    assert_true(isinf(psnr_or_fail(&a, &a)) && psnr_or_fail(&a, &a) > 0);
    ds_image_free(&a);
    ds_image_free(&b);
}

/* Both images are clamped to 0..1 before comparing, as saved renders are. */
static void psnr_clamps_to_the_unit_range(void **state) {
    (void)state;
    ds_image a, b;
    assert_int_equal(ds_image_create(5, 4, &a).code, DS_OK);
    assert_int_equal(ds_image_create(5, 4, &b).code, DS_OK);
    fill(&a, 1.5f);
    fill(&b, 1.0f);
    assert_true(isinf(psnr_or_fail(&a, &b)));
    fill(&a, -0.25f);
    fill(&b, 0.1f);
    double d = (double)0.1f;
    assert_true(fabs(psnr_or_fail(&a, &b) - -10.0 * log10(d * d)) < 1e-9);
    ds_image_free(&a);
    ds_image_free(&b);
}

static void ssim_matches_the_reference(void **state) {
    (void)state;
    ds_image a, b;
    assert_int_equal(ds_image_create(23, 16, &a).code, DS_OK);
    assert_int_equal(ds_image_create(23, 16, &b).code, DS_OK);
    uint32_t random = 99;
    for (size_t i = 0; i < 23 * 16 * 3; i++) {
        a.pixels[i] = (float)test_uniform(&random);
        b.pixels[i] = (float)(0.7 * a.pixels[i] + 0.3 * test_uniform(&random));
    }
    reference_image x = reference_image_from(&a), y = reference_image_from(&b);
    double expected = reference_ssim(&x, &y);
    double actual = ssim_or_fail(&a, &b);
    if (fabs(actual - expected) > 2e-6) {
        fail_msg("SSIM %.9g, reference %.9g", actual, expected);
    }
    assert_true(fabs(ssim_or_fail(&a, &a) - 1.0) < 1e-12);
    assert_true(fabs(ssim_or_fail(&a, &b) - ssim_or_fail(&b, &a)) < 1e-12);

    /* Values outside 0..1 are clamped first: the same as comparing the clamped images. */
    for (size_t i = 0; i < 23 * 16 * 3; i += 5) {
        b.pixels[i] = b.pixels[i] * 3.0f - 1.0f;
        y.values[i] = fmin(fmax(b.pixels[i], 0.0), 1.0);
    }
    expected = reference_ssim(&x, &y);
    actual = ssim_or_fail(&a, &b);
    if (fabs(actual - expected) > 2e-6) {
        fail_msg("SSIM of clamped images %.9g, reference %.9g", actual, expected);
    }
    reference_image_free(&x);
    reference_image_free(&y);
    ds_image_free(&a);
    ds_image_free(&b);
}

static void metrics_refuse_mismatched_images(void **state) {
    (void)state;
    ds_image a, b;
    assert_int_equal(ds_image_create(5, 4, &a).code, DS_OK);
    assert_int_equal(ds_image_create(4, 5, &b).code, DS_OK);
    double value;
    ds_status status = ds_image_psnr(&a, &b, &value);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "5x4"));
    assert_int_equal(ds_image_ssim(&a, &b, &value).code, DS_ERR_ARGUMENT);
    ds_image_free(&a);
    ds_image_free(&b);
}

int run_image_metrics_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(psnr_of_known_errors),
        cmocka_unit_test(psnr_clamps_to_the_unit_range),
        cmocka_unit_test(ssim_matches_the_reference),
        cmocka_unit_test(metrics_refuse_mismatched_images),
    };
    return cmocka_run_group_tests_name("image_metrics", tests, NULL, NULL);
}
