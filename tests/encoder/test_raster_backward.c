/* The rasterizer's backward pass against central finite differences of the independent
 * double-precision reference rasterizer, for every parameter of every Gaussian. */
#include "encoder_tests.h"
#include "reference_rasterizer.h"
#include "render_tests.h"
#include "test_support.h"

#include "encoder/raster_backward.h"
#include "render/rasterizer.h"

#include <math.h>
#include <stdlib.h>

/* L = sum of weights * rendered image: dL/dimage is the weights. */
static double reference_loss(const reference_cloud *cloud, const ds_camera *camera, int degree,
                             const double background[3], const float *weights, double *scratch) {
    reference_rasterize(cloud, camera, degree, background, scratch, NULL);
    double sum = 0;
    size_t n = (size_t)camera->width * (size_t)camera->height * 3;
    for (size_t i = 0; i < n; i++) {
        sum += weights[i] * scratch[i];
    }
    return sum;
}

typedef struct gradient_check {
    size_t checked, failed;
    double worst_error;
} gradient_check;

/* Compares one analytic derivative with the central difference of the reference loss with
 * respect to *parameter. */
static void check_parameter(double *parameter, float analytic, const reference_cloud *cloud,
                            const ds_camera *camera, int degree, const double background[3],
                            const float *weights, double *scratch, double scale,
                            gradient_check *check, const char *what, size_t index) {
    const double h = 1e-6;
    double saved = *parameter;
    *parameter = saved + h;
    double plus = reference_loss(cloud, camera, degree, background, weights, scratch);
    *parameter = saved - h;
    double minus = reference_loss(cloud, camera, degree, background, weights, scratch);
    *parameter = saved;
    double numeric = (plus - minus) / (2 * h);
    /* float analytic against double numeric: relative to the gradient's overall scale. */
    double error = fabs(analytic - numeric) / (scale + fabs(numeric));
    check->checked++;
    check->worst_error = fmax(check->worst_error, error);
    if (error > 2e-3) {
        check->failed++;
        print_message("%s of Gaussian %zu: analytic %.7g, numeric %.7g\n", what, index,
                      (double)analytic, numeric);
    }
}

static void check_scene(const ds_camera *camera, size_t count, int degree, uint32_t seed,
                        const float background[3]) {
    ds_gaussian_cloud *cloud = random_scene(camera, count, degree, seed);
    size_t pixels = (size_t)camera->width * (size_t)camera->height;
    ds_image weights;
    assert_int_equal(ds_image_create(camera->width, camera->height, &weights).code, DS_OK);
    uint32_t state = seed * 7919u + 1;
    for (size_t i = 0; i < pixels * 3; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        weights.pixels[i] = (float)(state >> 8) / (float)(1u << 23) - 1.0f;
    }

    ds_rasterizer *rasterizer;
    ds_raster_backward *backward;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    assert_int_equal(ds_raster_backward_create(&backward).code, DS_OK);
    ds_image image;
    assert_int_equal(ds_image_create(camera->width, camera->height, &image).code, DS_OK);
    ds_raster_settings settings = {.sh_degree = degree};
    for (int c = 0; c < 3; c++) {
        settings.background[c] = background[c];
    }
    assert_int_equal(ds_rasterize(rasterizer, cloud, camera, &settings, &image).code, DS_OK);
    ds_gaussian_cloud *gradient;
    assert_int_equal(ds_gaussian_cloud_create(count, degree, &gradient).code, DS_OK);
    float *screen = calloc(count * 2, sizeof *screen);
    ds_status status = ds_rasterize_backward(backward, rasterizer, &weights, gradient, screen);
    if (ds_failed(&status)) {
        fail_msg("backward failed: %s", status.message);
    }

    reference_cloud *reference = reference_cloud_from(cloud);
    double *scratch = malloc(pixels * 3 * sizeof *scratch);
    double bg[3] = {background[0], background[1], background[2]};
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    /* The scale of gradients in this scene, so that near-zero ones compare absolutely. */
    double scale = 0;
    for (size_t i = 0; i < count * 3; i++) {
        scale = fmax(scale, fabs(gradient->positions[i]));
    }
    scale *= 1e-3;
    gradient_check check = {0};
    for (size_t i = 0; i < count; i++) {
        for (size_t k = 0; k < 3; k++) {
            check_parameter(&reference->positions[i * 3 + k], gradient->positions[i * 3 + k],
                            reference, camera, degree, bg, weights.pixels, scratch, scale, &check,
                            "position", i);
            check_parameter(&reference->log_scales[i * 3 + k], gradient->log_scales[i * 3 + k],
                            reference, camera, degree, bg, weights.pixels, scratch, scale, &check,
                            "log scale", i);
        }
        for (size_t k = 0; k < 4; k++) {
            check_parameter(&reference->rotations[i * 4 + k], gradient->rotations[i * 4 + k],
                            reference, camera, degree, bg, weights.pixels, scratch, scale, &check,
                            "rotation", i);
        }
        check_parameter(&reference->opacity_logits[i], gradient->opacity_logits[i], reference,
                        camera, degree, bg, weights.pixels, scratch, scale, &check, "opacity", i);
        for (size_t k = 0; k < stride; k++) {
            check_parameter(&reference->sh[i * stride + k], gradient->sh[i * stride + k], reference,
                            camera, degree, bg, weights.pixels, scratch, scale, &check, "sh", i);
        }
        /* The screen-space gradient is dL/d(centre in pixels) times half the image size. */
        check_parameter(&reference->screen_offsets[i * 2],
                        screen[i * 2] / (0.5f * (float)camera->width), reference, camera, degree,
                        bg, weights.pixels, scratch, scale, &check, "screen x", i);
        check_parameter(&reference->screen_offsets[i * 2 + 1],
                        screen[i * 2 + 1] / (0.5f * (float)camera->height), reference, camera,
                        degree, bg, weights.pixels, scratch, scale, &check, "screen y", i);
    }
    print_message("%zu Gaussians, degree %d: %zu derivatives, worst relative error %.2g\n", count,
                  degree, check.checked, check.worst_error);
    /* A pixel sitting on a 1/255 or tile boundary within h can make one difference jump. */
    if (check.failed > check.checked / 200) {
        fail_msg("%zu of %zu derivatives differ from finite differences", check.failed,
                 check.checked);
    }
    free(scratch);
    free(screen);
    reference_cloud_free(reference);
    ds_gaussian_cloud_free(gradient);
    ds_image_free(&image);
    ds_image_free(&weights);
    ds_raster_backward_free(backward);
    ds_rasterizer_free(rasterizer);
    ds_gaussian_cloud_free(cloud);
}

static void gradients_match_finite_differences(void **state) {
    (void)state;
    const float white[3] = {1, 1, 1}, grey[3] = {0.3f, 0.6f, 0.2f};
    ds_camera camera = test_camera(40, 32);
    check_scene(&camera, 6, 0, 1, white);
    check_scene(&camera, 10, 1, 2, grey);
    ds_camera other = test_camera(35, 29);
    other.cx = 21.7;
    check_scene(&other, 12, 2, 3, white);
    check_scene(&other, 12, 3, 4, grey);
}

/* Gaussians whose centre lies beyond the Jacobian's clamp limits (outside the view, but close
 * enough to reach into it). */
static void gradients_match_where_the_jacobian_is_clamped(void **state) {
    (void)state;
    ds_camera camera = test_camera(40, 32);
    camera.fx = camera.fy = 90; /* a narrow view: random_scene's spread exceeds the limits */
    const float white[3] = {1, 1, 1};
    check_scene(&camera, 10, 1, 5, white);
}

int run_raster_backward_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gradients_match_finite_differences),
        cmocka_unit_test(gradients_match_where_the_jacobian_is_clamped),
    };
    return cmocka_run_group_tests_name("raster_backward", tests, NULL, NULL);
}
