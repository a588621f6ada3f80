#include "encoder_tests.h"
#include "ssim_reference.h"
#include "test_support.h"

#include "encoder/photometric_loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Tolerances of the float library against the double reference. The gradient is compared
 * entry by entry with a relative tolerance, plus an absolute floor that is small against a
 * typical entry (1 / count for the L1 term alone). */
#define GRADIENT_RELATIVE 1e-4
#define GRADIENT_FLOOR    1e-4 /* times 1 / count */
#define VALUE_TOLERANCE   2e-6
#define FD_STEP           1e-6

typedef enum image_kind {
    INDEPENDENT, /* unrelated uniform noise: large differences, low SSIM */
    CLOSE,       /* a smooth target and a render a little off it, as late in training */
} image_kind;

static void make_pair(int width, int height, image_kind kind, uint32_t seed, ds_image *rendered,
                      ds_image *target) {
    assert_int_equal(ds_image_create(width, height, rendered).code, DS_OK);
    assert_int_equal(ds_image_create(width, height, target).code, DS_OK);
    uint32_t state = seed;
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * (size_t)width + (size_t)x) * 3 + (size_t)c;
                if (kind == INDEPENDENT) {
                    target->pixels[i] = (float)test_uniform(&state);
                    rendered->pixels[i] = (float)test_uniform(&state);
                } else {
                    double smooth = 0.5 + 0.3 * sin(0.7 * x + 1.3 * c) * cos(0.45 * y - 0.2 * c);
                    target->pixels[i] = (float)smooth;
                    rendered->pixels[i] = (float)(smooth + 0.06 * (test_uniform(&state) - 0.5));
                }
            }
        }
    }
}

static void free_pair(ds_image *rendered, ds_image *target) {
    ds_image_free(rendered);
    ds_image_free(target);
}

static ds_photometric_terms evaluate_or_fail(ds_photometric_loss *loss, const ds_image *rendered,
                                             const ds_image *target, float lambda,
                                             ds_image *gradient) {
    ds_photometric_terms terms;
    ds_status status =
        ds_photometric_loss_evaluate(loss, rendered, target, lambda, &terms, gradient);
    if (ds_failed(&status)) {
        fail_msg("evaluating the loss failed: %s", status.message);
    }
    return terms;
}

/* Compares the library's loss value and gradient with the double reference: the value
 * directly, the gradient against central finite differences of the reference at `samples`
 * random entries (every entry when 0). Entries where rendered and target are within a few
 * finite-difference steps are skipped: there the L1 term has its kink. */
static void check_against_reference(int width, int height, image_kind kind, uint32_t seed,
                                    float lambda, size_t samples) {
    ds_image rendered, target, gradient;
    make_pair(width, height, kind, seed, &rendered, &target);
    assert_int_equal(ds_image_create(width, height, &gradient).code, DS_OK);
    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    ds_photometric_terms terms = evaluate_or_fail(loss, &rendered, &target, lambda, &gradient);

    reference_image x = reference_image_from(&rendered), y = reference_image_from(&target);
    double l1 = reference_l1(&x, &y);
    if (fabs(terms.l1 - l1) > VALUE_TOLERANCE) {
        fail_msg("%dx%d: L1 %.9g, reference %.9g", width, height, terms.l1, l1);
    }
    if (lambda > 0.0f) {
        double ssim = reference_ssim(&x, &y);
        if (fabs(terms.ssim - ssim) > VALUE_TOLERANCE) {
            fail_msg("%dx%d: SSIM %.9g, reference %.9g", width, height, terms.ssim, ssim);
        }
    } else {
        assert_true(isnan(terms.ssim));
    }
    double expected_loss = reference_loss(&x, &y, lambda);
    if (fabs(terms.loss - expected_loss) > VALUE_TOLERANCE) {
        fail_msg("%dx%d: loss %.9g, reference %.9g", width, height, terms.loss, expected_loss);
    }

    size_t count = (size_t)width * (size_t)height * 3;
    size_t checks = samples && samples < count ? samples : count;
    uint32_t state = seed ^ 0x9e3779b9u;
    double floor = GRADIENT_FLOOR / (double)count;
    for (size_t s = 0; s < checks; s++) {
        size_t i = checks == count ? s : (size_t)(test_uniform(&state) * (double)count);
        if (fabs(x.values[i] - y.values[i]) < 10 * FD_STEP) {
            continue;
        }
        double expected = reference_loss_derivative(&x, &y, lambda, i, FD_STEP);
        double actual = gradient.pixels[i];
        if (!(fabs(actual - expected) <= GRADIENT_RELATIVE * fabs(expected) + floor)) {
            fail_msg("%dx%d lambda %g: dL/dx at pixel (%zu, %zu) channel %zu is %.9g, finite "
                     "differences give %.9g",
                     width, height, (double)lambda, i / 3 % (size_t)width, i / 3 / (size_t)width,
                     i % 3, actual, expected);
        }
    }
    reference_image_free(&x);
    reference_image_free(&y);
    ds_photometric_loss_free(loss);
    ds_image_free(&gradient);
    free_pair(&rendered, &target);
}

static void gradient_of_small_images_matches_finite_differences(void **state) {
    (void)state;
    check_against_reference(13, 9, INDEPENDENT, 1, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(13, 9, CLOSE, 2, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
}

static void gradient_of_larger_images_matches_finite_differences(void **state) {
    (void)state;
    check_against_reference(24, 17, INDEPENDENT, 3, DS_PHOTOMETRIC_LAMBDA_DSSIM, 150);
    check_against_reference(24, 17, CLOSE, 4, DS_PHOTOMETRIC_LAMBDA_DSSIM, 150);
    /* Wider than one column tile of the library, so tiles meet inside a row. */
    check_against_reference(97, 12, CLOSE, 5, DS_PHOTOMETRIC_LAMBDA_DSSIM, 150);
}

/* Images no larger than the window: every pixel's window reads the zero padding, from one side
 * or both, and single rows and columns have no interior at all. */
static void gradient_at_borders_matches_finite_differences(void **state) {
    (void)state;
    check_against_reference(7, 6, INDEPENDENT, 6, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(11, 11, CLOSE, 7, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(12, 1, INDEPENDENT, 8, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(1, 14, CLOSE, 9, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(1, 1, INDEPENDENT, 10, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
    check_against_reference(3, 2, CLOSE, 11, DS_PHOTOMETRIC_LAMBDA_DSSIM, 0);
}

/* Each term alone: D-SSIM only, and L1 only (which skips SSIM). */
static void gradient_of_each_term_matches_finite_differences(void **state) {
    (void)state;
    check_against_reference(13, 9, INDEPENDENT, 12, 1.0f, 0);
    check_against_reference(13, 9, CLOSE, 13, 1.0f, 0);
    check_against_reference(13, 9, INDEPENDENT, 14, 0.0f, 0);
    check_against_reference(16, 10, CLOSE, 15, 0.5f, 200);
}

/* Where rendered equals target, |d| contributes nothing (torch's sign(0) = 0): the gradient
 * there is the D-SSIM term's alone. */
static void l1_subgradient_at_equality_is_zero(void **state) {
    (void)state;
    int width = 10, height = 8;
    ds_image rendered, target, gradient;
    make_pair(width, height, CLOSE, 16, &rendered, &target);
    size_t equal[] = {0, 7, 31, 100, 239};
    for (size_t e = 0; e < sizeof equal / sizeof equal[0]; e++) {
        rendered.pixels[equal[e]] = target.pixels[equal[e]];
    }
    assert_int_equal(ds_image_create(width, height, &gradient).code, DS_OK);
    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    const float lambda = DS_PHOTOMETRIC_LAMBDA_DSSIM;
    evaluate_or_fail(loss, &rendered, &target, lambda, &gradient);
    reference_image x = reference_image_from(&rendered), y = reference_image_from(&target);
    double count = (double)width * height * 3;
    for (size_t e = 0; e < sizeof equal / sizeof equal[0]; e++) {
        size_t i = equal[e];
        /* lambda * d(1 - SSIM)/dx, from the reference with the L1 weight removed. */
        double expected = lambda * reference_loss_derivative(&x, &y, 1.0, i, FD_STEP);
        double actual = gradient.pixels[i];
        if (!(fabs(actual - expected) <=
              GRADIENT_RELATIVE * fabs(expected) + GRADIENT_FLOOR / count)) {
            fail_msg("entry %zu: %.9g, expected the D-SSIM part %.9g", i, actual, expected);
        }
    }
    /* L1 alone: exactly zero there. */
    evaluate_or_fail(loss, &rendered, &target, 0.0f, &gradient);
    for (size_t e = 0; e < sizeof equal / sizeof equal[0]; e++) {
        assert_true(gradient.pixels[equal[e]] == 0.0f);
    }
    assert_true(gradient.pixels[1] == (float)(1.0 / count) ||
                gradient.pixels[1] == (float)(-1.0 / count));
    reference_image_free(&x);
    reference_image_free(&y);
    ds_photometric_loss_free(loss);
    ds_image_free(&gradient);
    free_pair(&rendered, &target);
}

static void identical_images_have_ssim_one_and_no_gradient(void **state) {
    (void)state;
    int width = 37, height = 21;
    ds_image rendered, target, gradient;
    make_pair(width, height, INDEPENDENT, 17, &rendered, &target);
    memcpy(rendered.pixels, target.pixels, (size_t)width * height * 3 * sizeof(float));
    assert_int_equal(ds_image_create(width, height, &gradient).code, DS_OK);
    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    ds_photometric_terms terms =
        evaluate_or_fail(loss, &rendered, &target, DS_PHOTOMETRIC_LAMBDA_DSSIM, &gradient);
    assert_true(terms.l1 == 0.0);
    assert_true(fabs(terms.ssim - 1.0) < 1e-12);
    assert_true(fabs(terms.loss) < 1e-12);
    /* SSIM is at its maximum, so its gradient vanishes; float rounding leaves a trace far below
     * one L1 step (1 / count). */
    double count = (double)width * height * 3;
    for (size_t i = 0; i < (size_t)count; i++) {
        if (!(fabs(gradient.pixels[i]) < 1e-3 / count)) {
            fail_msg("entry %zu: gradient %.9g at identical images", i, gradient.pixels[i]);
        }
    }
    ds_photometric_loss_free(loss);
    ds_image_free(&gradient);
    free_pair(&rendered, &target);
}

/* Two constant images. Zero padding makes the windowed statistics depend on how much of the
 * window lies inside the image, W(p) = w(px) w(py) with w the in-range sum of the 1D weights:
 *   mu_x = a W, E[x^2] = a^2 W, so sigma_x^2 = a^2 W (1 - W), sigma_xy = a b W (1 - W),
 * a closed form per pixel that needs no convolution. */
static void constant_images_match_closed_form(void **state) {
    (void)state;
    int width = 40, height = 30;
    const double a = 0.3, b = 0.65;
    ds_image rendered, target;
    assert_int_equal(ds_image_create(width, height, &rendered).code, DS_OK);
    assert_int_equal(ds_image_create(width, height, &target).code, DS_OK);
    for (size_t i = 0; i < (size_t)width * height * 3; i++) {
        rendered.pixels[i] = (float)a;
        target.pixels[i] = (float)b;
    }
    double g[11], total = 0.0;
    for (int k = 0; k < 11; k++) {
        g[k] = exp(-(double)((k - 5) * (k - 5)) / 4.5);
        total += g[k];
    }
    double fa = (float)a, fb = (float)b; /* the values as the images hold them */
    const double c1 = 1e-4, c2 = 9e-4;
    double sum = 0.0;
    for (int py = 0; py < height; py++) {
        for (int px = 0; px < width; px++) {
            double wx = 0.0, wy = 0.0;
            for (int k = 0; k < 11; k++) {
                wx += (px + k - 5 >= 0 && px + k - 5 < width) ? g[k] / total : 0.0;
                wy += (py + k - 5 >= 0 && py + k - 5 < height) ? g[k] / total : 0.0;
            }
            double w = wx * wy, spread = w * (1.0 - w);
            double mx = fa * w, my = fb * w;
            sum += (2 * mx * my + c1) * (2 * fa * fb * spread + c2) /
                   ((mx * mx + my * my + c1) * ((fa * fa + fb * fb) * spread + c2));
        }
    }
    double expected = sum / ((double)width * height);
    /* The interior alone would give the textbook value; the borders pull the mean away. */
    double interior = (2 * fa * fb + c1) / (fa * fa + fb * fb + c1);
    assert_true(fabs(expected - interior) > 1e-3);

    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    ds_photometric_terms terms = evaluate_or_fail(loss, &rendered, &target, 0.2f, NULL);
    /* Flat images are float32's worst case, as in the torch reference: the variance is a
     * difference of nearly equal filtered values (E[x^2] - mu^2), whose rounding (~1e-8) is
     * measured against C2 = 9e-4. */
    if (fabs(terms.ssim - expected) > 2e-4) {
        fail_msg("SSIM of constant images %.9g, closed form %.9g", terms.ssim, expected);
    }
    assert_true(fabs(terms.l1 - (fb - fa)) < 1e-7);
    assert_true(fabs(terms.loss - (0.8 * (fb - fa) + 0.2 * (1.0 - terms.ssim))) < 1e-7);
    /* L1 alone skips SSIM. */
    terms = evaluate_or_fail(loss, &rendered, &target, 0.0f, NULL);
    assert_true(isnan(terms.ssim));
    assert_true(fabs(terms.loss - (fb - fa)) < 1e-7);
    ds_photometric_loss_free(loss);
    free_pair(&rendered, &target);
}

/* One workspace serves images of different sizes, before and after, with the same results as
 * a fresh one; values-only evaluation agrees with the full one. */
static void workspace_is_reusable(void **state) {
    (void)state;
    ds_image big_r, big_t, small_r, small_t, g1, g2;
    make_pair(50, 33, CLOSE, 18, &big_r, &big_t);
    make_pair(13, 9, INDEPENDENT, 19, &small_r, &small_t);
    assert_int_equal(ds_image_create(50, 33, &g1).code, DS_OK);
    assert_int_equal(ds_image_create(50, 33, &g2).code, DS_OK);
    ds_photometric_loss *shared, *fresh;
    assert_int_equal(ds_photometric_loss_create(&shared).code, DS_OK);
    assert_int_equal(ds_photometric_loss_create(&fresh).code, DS_OK);

    ds_photometric_terms a = evaluate_or_fail(shared, &small_r, &small_t, 0.2f, NULL);
    ds_photometric_terms b = evaluate_or_fail(shared, &big_r, &big_t, 0.2f, &g1);
    ds_photometric_terms c = evaluate_or_fail(shared, &small_r, &small_t, 0.2f, NULL);
    ds_photometric_terms d = evaluate_or_fail(fresh, &big_r, &big_t, 0.2f, &g2);
    ds_photometric_terms e = evaluate_or_fail(shared, &big_r, &big_t, 0.2f, NULL);
    assert_true(a.loss == c.loss && a.ssim == c.ssim && a.l1 == c.l1);
    assert_true(b.loss == d.loss && b.ssim == d.ssim && b.l1 == d.l1);
    assert_true(e.loss == b.loss && e.ssim == b.ssim);
    assert_memory_equal(g1.pixels, g2.pixels, (size_t)50 * 33 * 3 * sizeof(float));
    ds_photometric_loss_free(shared);
    ds_photometric_loss_free(fresh);
    ds_image_free(&g1);
    ds_image_free(&g2);
    free_pair(&big_r, &big_t);
    free_pair(&small_r, &small_t);
}

/* The rows are shared among threads in bands; the results must not depend on how many. */
static void results_do_not_depend_on_thread_count(void **state) {
    (void)state;
#ifdef _OPENMP
    int width = 64, height = 45;
    ds_image rendered, target, g1, gn;
    make_pair(width, height, CLOSE, 20, &rendered, &target);
    assert_int_equal(ds_image_create(width, height, &g1).code, DS_OK);
    assert_int_equal(ds_image_create(width, height, &gn).code, DS_OK);
    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    ds_photometric_terms one = evaluate_or_fail(loss, &rendered, &target, 0.2f, &g1);
    /* Up to 4: LLVM's libomp keeps some data of larger teams until exit, which LeakSanitizer
     * reports in the sanitizer build. */
    const int counts[] = {2, 3, 4};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        omp_set_num_threads(counts[k]);
        ds_photometric_terms many = evaluate_or_fail(loss, &rendered, &target, 0.2f, &gn);
        assert_true(one.loss == many.loss && one.ssim == many.ssim && one.l1 == many.l1);
        assert_memory_equal(g1.pixels, gn.pixels, (size_t)width * height * 3 * sizeof(float));
    }
    omp_set_num_threads(saved);
    ds_photometric_loss_free(loss);
    ds_image_free(&g1);
    ds_image_free(&gn);
    free_pair(&rendered, &target);
#else
    skip();
#endif
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    ds_image a, b, small, gradient;
    make_pair(8, 8, CLOSE, 21, &a, &b);
    assert_int_equal(ds_image_create(8, 7, &small).code, DS_OK);
    assert_int_equal(ds_image_create(8, 8, &gradient).code, DS_OK);
    ds_photometric_loss *loss;
    assert_int_equal(ds_photometric_loss_create(&loss).code, DS_OK);
    ds_photometric_terms terms;
    ds_status status = ds_photometric_loss_evaluate(loss, &a, &small, 0.2f, &terms, NULL);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "8x7"));
    status = ds_photometric_loss_evaluate(loss, &a, &b, 0.2f, &terms, &small);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    status = ds_photometric_loss_evaluate(loss, &a, &b, 0.2f, &terms, &a);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    status = ds_photometric_loss_evaluate(loss, &a, &b, 1.5f, &terms, &gradient);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    status = ds_photometric_loss_evaluate(loss, &a, &b, NAN, &terms, &gradient);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    ds_image empty = {0};
    status = ds_photometric_loss_evaluate(loss, &empty, &b, 0.2f, &terms, NULL);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    ds_photometric_loss_free(loss);
    ds_image_free(&small);
    ds_image_free(&gradient);
    free_pair(&a, &b);
}

int run_photometric_loss_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradient_of_small_images_matches_finite_differences),
        cmocka_unit_test(gradient_of_larger_images_matches_finite_differences),
        cmocka_unit_test(gradient_at_borders_matches_finite_differences),
        cmocka_unit_test(gradient_of_each_term_matches_finite_differences),
        cmocka_unit_test(l1_subgradient_at_equality_is_zero),
        cmocka_unit_test(identical_images_have_ssim_one_and_no_gradient),
        cmocka_unit_test(constant_images_match_closed_form),
        cmocka_unit_test(workspace_is_reusable),
        cmocka_unit_test(results_do_not_depend_on_thread_count),
        cmocka_unit_test(bad_arguments_are_refused),
    };
    return cmocka_run_group_tests_name("photometric_loss", tests, NULL, NULL);
}
