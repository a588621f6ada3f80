#include "render_tests.h"
#include "test_support.h"

#include "render/view.h"

#include <math.h>

static void project(const ds_camera *camera, const double world[3], double *u, double *v) {
    double p[3];
    ds_camera_to_camera_space(camera, world, p);
    *u = camera->fx * p[0] / p[2] + camera->cx;
    *v = camera->fy * p[1] / p[2] + camera->cy;
}

static void look_at_puts_the_target_in_the_centre_and_up_up(void **state) {
    (void)state;
    const double eye[3] = {3, -2, -4}, target[3] = {0.5, 0.2, 1}, up[3] = {0, -1, 0};
    ds_camera camera;
    assert_int_equal(ds_camera_look_at(eye, target, up, 60, 200, 100, &camera).code, DS_OK);
    double u, v;
    project(&camera, target, &u, &v);
    assert_true(fabs(u - 100) < 1e-9 && fabs(v - 50) < 1e-9);
    /* A point above the target (along up) appears above the centre (smaller v). */
    const double above[3] = {target[0] + up[0], target[1] + up[1], target[2] + up[2]};
    project(&camera, above, &u, &v);
    assert_true(v < 50);
    double center[3];
    ds_camera_center(&camera, center);
    for (int k = 0; k < 3; k++) {
        assert_true(fabs(center[k] - eye[k]) < 1e-9);
    }
    /* Vertical field of view: the top edge of the image is 30 degrees above the axis. */
    assert_true(fabs(camera.fy - 50 / tan(30 * 3.14159265358979 / 180)) < 1e-6);
    const double parallel_up[3] = {-2.5, 2.2, 5};
    assert_int_equal(ds_camera_look_at(eye, target, parallel_up, 60, 200, 100, &camera).code,
                     DS_ERR_ARGUMENT);
    assert_int_equal(ds_camera_look_at(eye, eye, up, 60, 200, 100, &camera).code, DS_ERR_ARGUMENT);
}

static void framing_ignores_far_floaters(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(2000, 0, &cloud).code, DS_OK);
    for (size_t i = 0; i < 2000; i++) {
        /* A unit cube around (10, 0, 0), and 5 floaters far away. */
        cloud->positions[i * 3] = 10.0f + (float)(i % 10) / 9.0f - 0.5f;
        cloud->positions[i * 3 + 1] = (float)(i / 10 % 10) / 9.0f - 0.5f;
        cloud->positions[i * 3 + 2] = (float)(i / 100 % 10) / 9.0f - 0.5f;
    }
    for (size_t i = 0; i < 5; i++) {
        cloud->positions[i * 3] = 1000.0f * (float)(i + 1);
    }
    ds_camera camera;
    assert_int_equal(
        ds_camera_frame_cloud(cloud, NULL, NULL, ds_default_up, 50, 160, 120, &camera).code, DS_OK);
    /* The cube's corners are all inside the image and the cube fills a good part of it. */
    double low_u = 1e9, high_u = -1e9;
    for (int corner = 0; corner < 8; corner++) {
        double p[3] = {10 + (corner & 1 ? 0.5 : -0.5), corner & 2 ? 0.5 : -0.5,
                       corner & 4 ? 0.5 : -0.5};
        double u, v;
        project(&camera, p, &u, &v);
        assert_true(u > 0 && u < 160 && v > 0 && v < 120);
        low_u = fmin(low_u, u);
        high_u = fmax(high_u, u);
    }
    assert_true(high_u - low_u > 40);
    ds_gaussian_cloud_free(cloud);
}

int run_view_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(look_at_puts_the_target_in_the_centre_and_up_up),
        cmocka_unit_test(framing_ignores_far_floaters),
    };
    return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
