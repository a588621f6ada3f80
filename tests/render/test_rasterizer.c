#include "reference_rasterizer.h"
#include "render_tests.h"
#include "test_support.h"

#include "render/rasterizer.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static ds_image render(const ds_gaussian_cloud *cloud, const ds_camera *camera, int degree,
                       const float background[3], ds_raster_statistics *statistics) {
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    ds_image image;
    assert_int_equal(ds_image_create(camera->width, camera->height, &image).code, DS_OK);
    ds_raster_settings settings = {.sh_degree = degree};
    memcpy(settings.background, background, sizeof settings.background);
    ds_status status = ds_rasterize(rasterizer, cloud, camera, &settings, &image);
    if (ds_failed(&status)) {
        fail_msg("rasterize failed: %s", status.message);
    }
    if (statistics) {
        *statistics = ds_rasterizer_statistics(rasterizer);
    }
    ds_rasterizer_free(rasterizer);
    return image;
}

/* The largest channel difference and how many channels differ by more than 1e-3. */
static double compare_with_reference(const ds_gaussian_cloud *cloud, const ds_camera *camera,
                                     int degree, const float background[3], size_t *outliers) {
    ds_raster_statistics statistics;
    ds_image image = render(cloud, camera, degree, background, &statistics);
    size_t n = (size_t)camera->width * (size_t)camera->height;
    double *expected = malloc(n * 3 * sizeof *expected);
    double *transmittance = malloc(n * sizeof *transmittance);
    double bg[3] = {background[0], background[1], background[2]};
    reference_cloud *reference = reference_cloud_from(cloud);
    reference_rasterize(reference, camera, degree, bg, expected, transmittance);
    reference_cloud_free(reference);
    double worst = 0;
    *outliers = 0;
    for (size_t i = 0; i < n * 3; i++) {
        double difference = fabs(image.pixels[i] - expected[i]);
        worst = fmax(worst, difference);
        *outliers += difference > 1e-3;
    }
    /* The footprint culling must have dropped pairs (else it would not be tested). */
    assert_true(statistics.tile_entries < statistics.square_entries);
    free(expected);
    free(transmittance);
    ds_image_free(&image);
    return worst;
}

static void matches_the_reference_on_random_scenes(void **state) {
    (void)state;
    const float white[3] = {1, 1, 1}, grey[3] = {0.2f, 0.5f, 0.7f};
    const struct {
        int width, height, degree;
        size_t count;
        uint32_t seed;
        const float *background;
    } cases[] = {
        {64, 48, 0, 150, 1, white}, {61, 37, 1, 300, 2, grey},  {80, 64, 2, 400, 3, white},
        {64, 48, 3, 500, 4, grey},  {33, 70, 3, 250, 5, white},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ds_camera camera = test_camera(cases[c].width, cases[c].height);
        ds_gaussian_cloud *cloud =
            random_scene(&camera, cases[c].count, cases[c].degree, cases[c].seed);
        size_t outliers;
        double worst =
            compare_with_reference(cloud, &camera, cases[c].degree, cases[c].background, &outliers);
        /* float against double: tiny differences, except where a pixel sits exactly on one of
         * the 1/255 or 1e-4 thresholds, which float and double may decide differently. */
        size_t channels = (size_t)cases[c].width * cases[c].height * 3;
        print_message("case %zu: worst channel difference %.3g, %zu above 1e-3\n", c, worst,
                      outliers);
        if (outliers > channels / 1000) {
            fail_msg("case %zu: %zu of %zu channels differ by more than 1e-3 (worst %g)", c,
                     outliers, channels, worst);
        }
        ds_gaussian_cloud_free(cloud);
    }
}

static void image_does_not_depend_on_thread_count(void **state) {
    (void)state;
    ds_camera camera = test_camera(96, 80);
    ds_gaussian_cloud *cloud = random_scene(&camera, 2000, 3, 42);
    const float white[3] = {1, 1, 1};
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    ds_image one = render(cloud, &camera, 3, white, NULL);
    omp_set_num_threads(threads > 1 ? threads : 2);
    ds_image many = render(cloud, &camera, 3, white, NULL);
    omp_set_num_threads(threads);
    assert_memory_equal(one.pixels, many.pixels, 96 * 80 * 3 * sizeof(float));
    ds_image_free(&one);
    ds_image_free(&many);
    ds_gaussian_cloud_free(cloud);
}

/* One round Gaussian straight ahead: the projected variance is (f s / z)^2 + 0.3, so every
 * pixel's alpha is known in closed form. */
static void single_gaussian_matches_closed_form(void **state) {
    (void)state;
    ds_camera camera = {.width = 41,
                        .height = 41,
                        .fx = 50,
                        .fy = 50,
                        .cx = 20.5,
                        .cy = 20.5,
                        .rotation = {1, 0, 0, 0, 1, 0, 0, 0, 1}};
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(1, 0, &cloud).code, DS_OK);
    cloud->positions[2] = 5.0f;
    float sigma = 0.2f;
    for (int k = 0; k < 3; k++) {
        cloud->log_scales[k] = logf(sigma);
    }
    cloud->opacity_logits[0] = ds_logit(0.8f);
    /* Colour (0.9, 0.3, 0.5) from the DC term alone. */
    const float color[3] = {0.9f, 0.3f, 0.5f};
    for (int c = 0; c < 3; c++) {
        cloud->sh[c] = (color[c] - 0.5f) / DS_SH_C0;
    }
    const float background[3] = {0.1f, 0.2f, 0.3f};
    ds_image image = render(cloud, &camera, 0, background, NULL);
    double variance = pow(50.0 * sigma / 5.0, 2) + 0.3;
    for (int y = 0; y < 41; y++) {
        for (int x = 0; x < 41; x++) {
            double dx = x + 0.5 - 20.5, dy = y + 0.5 - 20.5;
            double alpha = fmin(0.99, 0.8 * exp(-0.5 * (dx * dx + dy * dy) / variance));
            if (alpha < 1.0 / 255) {
                alpha = 0;
            }
            for (int c = 0; c < 3; c++) {
                double expected = color[c] * alpha + (1 - alpha) * background[c];
                test_assert_close(ds_image_pixel(&image, x, y)[c], expected, 2e-6, "pixel",
                                  (size_t)(y * 41 + x));
            }
        }
    }
    ds_image_free(&image);
    ds_gaussian_cloud_free(cloud);
}

/* Moving the principal point by whole pixels moves the image by as many pixels. */
static void principal_point_shifts_the_image(void **state) {
    (void)state;
    /* Short focal lengths keep every centre well inside the Jacobian's clamp limits, which
     * move with the principal point. */
    ds_camera camera = test_camera(64, 48);
    camera.fx = camera.fy = 0.3 * 64;
    ds_gaussian_cloud *cloud = random_scene(&camera, 300, 1, 7);
    const float white[3] = {1, 1, 1};
    ds_image base = render(cloud, &camera, 1, white, NULL);
    ds_camera shifted_camera = camera;
    shifted_camera.cx += 16; /* a whole tile, so binning is identical too */
    shifted_camera.cy += 16;
    ds_image shifted = render(cloud, &shifted_camera, 1, white, NULL);
    for (int y = 16; y < 48; y++) {
        for (int x = 16; x < 64; x++) {
            for (int c = 0; c < 3; c++) {
                test_assert_close(ds_image_pixel(&shifted, x, y)[c],
                                  ds_image_pixel(&base, x - 16, y - 16)[c], 1e-5, "pixel",
                                  (size_t)(y * 64 + x));
            }
        }
    }
    ds_image_free(&base);
    ds_image_free(&shifted);
    ds_gaussian_cloud_free(cloud);
}

static void near_plane_culls(void **state) {
    (void)state;
    ds_camera camera = {.width = 16,
                        .height = 16,
                        .fx = 10,
                        .fy = 10,
                        .cx = 8,
                        .cy = 8,
                        .rotation = {1, 0, 0, 0, 1, 0, 0, 0, 1}};
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(1, 0, &cloud).code, DS_OK);
    cloud->opacity_logits[0] = 5.0f;
    cloud->log_scales[0] = cloud->log_scales[1] = cloud->log_scales[2] = logf(0.05f);
    const float black[3] = {0, 0, 0};
    cloud->positions[2] = 0.19f;
    ds_image image = render(cloud, &camera, 0, black, NULL);
    assert_true(ds_image_pixel(&image, 8, 8)[0] == 0.0f);
    ds_image_free(&image);
    cloud->positions[2] = 0.21f;
    image = render(cloud, &camera, 0, black, NULL);
    assert_true(ds_image_pixel(&image, 8, 8)[0] > 0.4f);
    ds_image_free(&image);
    ds_gaussian_cloud_free(cloud);
}

static void invalid_inputs_are_errors(void **state) {
    (void)state;
    ds_camera camera = test_camera(32, 32);
    ds_gaussian_cloud *cloud = random_scene(&camera, 10, 0, 3);
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    ds_image image;
    assert_int_equal(ds_image_create(31, 32, &image).code, DS_OK);
    ds_raster_settings settings = {.sh_degree = -1};
    ds_status status = ds_rasterize(rasterizer, cloud, &camera, &settings, &image);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    ds_image_free(&image);
    assert_int_equal(ds_image_create(32, 32, &image).code, DS_OK);
    camera.fx = 0;
    status = ds_rasterize(rasterizer, cloud, &camera, &settings, &image);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "focal"));
    ds_image_free(&image);
    ds_rasterizer_free(rasterizer);
    ds_gaussian_cloud_free(cloud);
}

/* A rasterizer reused for scenes of different sizes gives what a fresh one gives. */
static void reuse_across_frames_is_clean(void **state) {
    (void)state;
    ds_camera small = test_camera(40, 30), large = test_camera(100, 90);
    ds_gaussian_cloud *a = random_scene(&large, 800, 2, 11), *b = random_scene(&small, 50, 2, 12);
    const float white[3] = {1, 1, 1};
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    ds_raster_settings settings = {.background = {1, 1, 1}, .sh_degree = -1};
    ds_image image;
    assert_int_equal(ds_image_create(100, 90, &image).code, DS_OK);
    assert_int_equal(ds_rasterize(rasterizer, a, &large, &settings, &image).code, DS_OK);
    ds_image_free(&image);
    assert_int_equal(ds_image_create(40, 30, &image).code, DS_OK);
    assert_int_equal(ds_rasterize(rasterizer, b, &small, &settings, &image).code, DS_OK);
    ds_image fresh = render(b, &small, 2, white, NULL);
    assert_memory_equal(image.pixels, fresh.pixels, 40 * 30 * 3 * sizeof(float));
    ds_image_free(&image);
    ds_image_free(&fresh);
    ds_rasterizer_free(rasterizer);
    ds_gaussian_cloud_free(a);
    ds_gaussian_cloud_free(b);
}

int run_rasterizer_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_the_reference_on_random_scenes),
        cmocka_unit_test(image_does_not_depend_on_thread_count),
        cmocka_unit_test(single_gaussian_matches_closed_form),
        cmocka_unit_test(principal_point_shifts_the_image),
        cmocka_unit_test(near_plane_culls),
        cmocka_unit_test(invalid_inputs_are_errors),
        cmocka_unit_test(reuse_across_frames_is_clean),
    };
    return cmocka_run_group_tests_name("rasterizer", tests, NULL, NULL);
}
