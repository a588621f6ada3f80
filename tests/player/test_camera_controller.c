#include "player_tests.h"
#include "test_support.h"

#include "player/camera_controller.h"
#include "render/view.h"

#include <math.h>
#include <string.h>

static const double framing_eye[3] = {2.0, -1.5, -5.0}, framing_target[3] = {0.2, 0.3, 0.5};
enum { WIDTH = 320, HEIGHT = 200 };

static ds_camera_controller make_controller(ds_camera *framing) {
    assert_int_equal(
        ds_camera_look_at(framing_eye, framing_target, ds_default_up, 45, WIDTH, HEIGHT, framing)
            .code,
        DS_OK);
    ds_camera_controller controller;
    assert_int_equal(
        ds_camera_controller_init_from(framing, framing_target, NULL, &controller).code, DS_OK);
    return controller;
}

static ds_camera camera_of(const ds_camera_controller *controller) {
    ds_camera camera;
    assert_int_equal(ds_camera_controller_camera(controller, WIDTH, HEIGHT, &camera).code, DS_OK);
    return camera;
}

static void project(const ds_camera *camera, const double world[3], double *u, double *v) {
    double p[3];
    ds_camera_to_camera_space(camera, world, p);
    assert_true(p[2] > 0.0);
    *u = camera->fx * p[0] / p[2] + camera->cx;
    *v = camera->fy * p[1] / p[2] + camera->cy;
}

static double eye_distance(const ds_camera_controller *controller) {
    double eye[3], d = 0.0;
    ds_camera_controller_eye(controller, eye);
    for (int k = 0; k < 3; k++) {
        d += (eye[k] - controller->view.target[k]) * (eye[k] - controller->view.target[k]);
    }
    return sqrt(d);
}

static void starts_as_the_framing_camera(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    ds_camera camera = camera_of(&controller);
    test_assert_close(camera.fy, framing.fy, 1e-9 * framing.fy, "fy", 0);
    for (size_t k = 0; k < 9; k++) {
        test_assert_close(camera.rotation[k], framing.rotation[k], 1e-12, "rotation", k);
    }
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(camera.translation[k], framing.translation[k], 1e-12, "translation", k);
    }
    /* The eye cannot be the target. */
    ds_camera_controller other;
    assert_int_equal(ds_camera_controller_init_from(&framing, framing_eye, NULL, &other).code,
                     DS_ERR_ARGUMENT);
}

static void orbit_keeps_the_distance_and_the_target(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    double distance = controller.view.distance;
    const double drags[][2] = {{10, 0}, {0, 25}, {-300, 40}, {1234, -77}, {-5, -500}};
    for (size_t i = 0; i < sizeof drags / sizeof drags[0]; i++) {
        ds_camera_controller_orbit(&controller, drags[i][0], drags[i][1]);
        test_assert_close(eye_distance(&controller), distance, 1e-12 * distance, "distance", i);
        for (size_t k = 0; k < 3; k++) {
            test_assert_close(controller.view.target[k], framing_target[k], 0.0, "target", k);
        }
        ds_camera camera = camera_of(&controller);
        double u, v;
        project(&camera, framing_target, &u, &v);
        test_assert_close(u, camera.cx, 1e-9, "target u", i);
        test_assert_close(v, camera.cy, 1e-9, "target v", i);
    }
}

static void orbit_turns_the_scene_with_the_cursor(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    /* A point between the target and the eye: the near side of the object, which a grabbing
     * drag carries along. */
    double near[3], eye[3];
    ds_camera_controller_eye(&controller, eye);
    for (int k = 0; k < 3; k++) {
        near[k] = 0.5 * (eye[k] + framing_target[k]);
    }
    double u0, v0, u, v;
    ds_camera camera = camera_of(&controller);
    project(&camera, near, &u0, &v0);
    ds_camera_controller_orbit(&controller, 20, 0);
    camera = camera_of(&controller);
    project(&camera, near, &u, &v);
    assert_true(u > u0 + 1.0);
    ds_camera_controller_reset(&controller);
    ds_camera_controller_orbit(&controller, 0, 20);
    camera = camera_of(&controller);
    project(&camera, near, &u, &v);
    assert_true(v > v0 + 1.0);
}

static void pan_keeps_the_target_under_the_cursor(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    ds_camera_controller_orbit(&controller, 150, -60); /* off the axes, to be general */
    double distance = controller.view.distance;
    const double drags[][2] = {{12, -7}, {-40, 33}, {0.5, 0.25}};
    for (size_t i = 0; i < sizeof drags / sizeof drags[0]; i++) {
        double before[3];
        memcpy(before, controller.view.target, sizeof before);
        ds_camera camera = camera_of(&controller);
        double u0, v0, u, v;
        project(&camera, before, &u0, &v0);
        ds_camera_controller_pan(&controller, drags[i][0], drags[i][1], HEIGHT);
        camera = camera_of(&controller);
        project(&camera, before, &u, &v);
        test_assert_close(u, u0 + drags[i][0], 1e-9, "u follows the cursor", i);
        test_assert_close(v, v0 + drags[i][1], 1e-9, "v follows the cursor", i);
        test_assert_close(controller.view.distance, distance, 0.0, "distance", i);
    }
    /* A degenerate viewport changes nothing. */
    ds_camera_controller_view view = controller.view;
    ds_camera_controller_pan(&controller, 10, 10, 0);
    assert_memory_equal(&view, &controller.view, sizeof view);
}

static void zoom_scales_the_distance(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    double distance = controller.view.distance;
    ds_camera camera = camera_of(&controller);
    ds_camera_controller_zoom(&controller, 2.0);
    test_assert_close(controller.view.distance, distance / (1.15 * 1.15), 1e-12, "zoom in", 0);
    /* Straight toward the target: the view direction does not change. */
    ds_camera zoomed = camera_of(&controller);
    for (size_t k = 0; k < 9; k++) {
        test_assert_close(zoomed.rotation[k], camera.rotation[k], 1e-12, "rotation", k);
    }
    ds_camera_controller_zoom(&controller, -3.0);
    test_assert_close(controller.view.distance, distance * 1.15, 1e-12, "zoom out", 0);
    /* Within the limits, however far the wheel turns. */
    ds_camera_controller_zoom(&controller, 1e6);
    test_assert_close(controller.view.distance, controller.min_distance, 0.0, "closest", 0);
    ds_camera_controller_zoom(&controller, -1e6);
    test_assert_close(controller.view.distance, controller.max_distance, 0.0, "farthest", 0);
    assert_int_equal(ds_camera_controller_camera(&controller, WIDTH, HEIGHT, &camera).code, DS_OK);
}

static void fly_moves_eye_and_target_together(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    double distance = controller.view.distance, eye0[3], eye[3];
    ds_camera_controller_eye(&controller, eye0);
    ds_camera camera = camera_of(&controller);
    ds_camera_controller_fly(&controller, 1.0, 0.0, 0.0, 0.5);
    ds_camera_controller_eye(&controller, eye);
    /* Half a second at full speed: half the orbit distance along the view direction (the
     * camera's third rotation row). */
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(eye[k] - eye0[k], 0.5 * distance * camera.rotation[6 + k], 1e-12,
                          "forward", k);
        test_assert_close(controller.view.target[k] - framing_target[k],
                          0.5 * distance * camera.rotation[6 + k], 1e-12, "target moves", k);
    }
    test_assert_close(controller.view.distance, distance, 0.0, "distance", 0);
    ds_camera_controller_reset(&controller);
    ds_camera_controller_fly(&controller, 0.0, 2.0, 0.0, 0.25); /* clamped to 1 */
    ds_camera_controller_eye(&controller, eye);
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(eye[k] - eye0[k], 0.25 * distance * camera.rotation[k], 1e-12, "right",
                          k);
    }
}

static void reset_returns_the_home_camera_exactly(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    ds_camera home = camera_of(&controller);
    ds_camera_controller_orbit(&controller, 300, -120);
    ds_camera_controller_pan(&controller, 33, 12, HEIGHT);
    ds_camera_controller_zoom(&controller, 3);
    ds_camera_controller_fly(&controller, 0.3, -1, 0.5, 0.1);
    ds_camera moved = camera_of(&controller);
    assert_memory_not_equal(&moved, &home, sizeof home);
    ds_camera_controller_reset(&controller);
    ds_camera camera = camera_of(&controller);
    assert_memory_equal(&camera, &home, sizeof home);
}

static void pitch_never_reaches_the_pole(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    const double pulls[] = {1e4, 1e9, -1e4, -1e9, 3e3};
    for (size_t i = 0; i < sizeof pulls / sizeof pulls[0]; i++) {
        ds_camera_controller_orbit(&controller, 7, pulls[i]);
        assert_true(fabs(controller.view.pitch) <= DS_CAMERA_CONTROLLER_MAX_PITCH);
        assert_true(fabs(controller.view.pitch) < 0.5 * 3.14159265358979);
        ds_camera camera = camera_of(&controller);
        /* The world's up still points up the image (against the camera's y, "down"). */
        const double *down = &camera.rotation[3];
        double up_dot_down =
            down[0] * controller.up[0] + down[1] * controller.up[1] + down[2] * controller.up[2];
        assert_true(up_dot_down < -1e-3);
    }
    /* A framing camera straight above the target starts at the limit rather than failing. */
    const double above[3] = {framing_target[0], framing_target[1] - 3.0, framing_target[2]};
    const double z_up[3] = {0, 0, 1};
    ds_camera top;
    assert_int_equal(ds_camera_look_at(above, framing_target, z_up, 45, WIDTH, HEIGHT, &top).code,
                     DS_OK);
    ds_camera_controller from_top;
    assert_int_equal(ds_camera_controller_init_from(&top, framing_target, NULL, &from_top).code,
                     DS_OK);
    test_assert_close(from_top.view.pitch, DS_CAMERA_CONTROLLER_MAX_PITCH, 0.0, "top pitch", 0);
    ds_camera camera;
    assert_int_equal(ds_camera_controller_camera(&from_top, WIDTH, HEIGHT, &camera).code, DS_OK);
}

static void broken_events_are_ignored(void **state) {
    (void)state;
    ds_camera framing;
    ds_camera_controller controller = make_controller(&framing);
    ds_camera_controller_view view = controller.view;
    ds_camera_controller_orbit(&controller, NAN, 3);
    ds_camera_controller_orbit(&controller, INFINITY, 0);
    ds_camera_controller_pan(&controller, NAN, 1, HEIGHT);
    ds_camera_controller_zoom(&controller, NAN);
    ds_camera_controller_fly(&controller, NAN, 0, 0, 0.1);
    ds_camera_controller_fly(&controller, 1, 0, 0, INFINITY);
    ds_camera_controller_fly(&controller, 1, 0, 0, -1);
    assert_memory_equal(&view, &controller.view, sizeof view);
}

int run_camera_controller_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_as_the_framing_camera),
        cmocka_unit_test(orbit_keeps_the_distance_and_the_target),
        cmocka_unit_test(orbit_turns_the_scene_with_the_cursor),
        cmocka_unit_test(pan_keeps_the_target_under_the_cursor),
        cmocka_unit_test(zoom_scales_the_distance),
        cmocka_unit_test(fly_moves_eye_and_target_together),
        cmocka_unit_test(reset_returns_the_home_camera_exactly),
        cmocka_unit_test(pitch_never_reaches_the_pole),
        cmocka_unit_test(broken_events_are_ignored),
    };
    return cmocka_run_group_tests_name("camera_controller", tests, NULL, NULL);
}
