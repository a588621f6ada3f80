/* The cameras: they frame the whole motion, look at its middle from 3.5 m with +y up, and are
 * not all alike (focal lengths, principal points off centre). */
#include "synth_tests.h"
#include "test_support.h"

#include "tools/synth/motion.h"
#include "tools/synth/rig.h"

#include <math.h>
#include <stdlib.h>

typedef struct rig_case {
    ds_synth_rig_kind kind;
    int count, width, height;
    ds_synth_motion motion;
} rig_case;

static void project(const ds_camera *camera, const double world[3], double *u, double *v) {
    double p[3];
    ds_camera_to_camera_space(camera, world, p);
    assert_true(p[2] > 0.0);
    *u = camera->fx * p[0] / p[2] + camera->cx;
    *v = camera->fy * p[1] / p[2] + camera->cy;
}

static void check_rig(const rig_case *c) {
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 1);
    double(*points)[3] = calloc(DS_SYNTH_FRAMING_POINT_COUNT, sizeof *points);
    ds_synth_rig_camera *rig = calloc((size_t)c->count, sizeof *rig);
    assert_true(points && rig);
    double target[3];
    ds_synth_motion_framing(&figure, c->motion, points, target);
    ds_status status =
        ds_synth_rig_create(c->kind, c->count, c->width, c->height, 1, target,
                            (const double(*)[3])points, DS_SYNTH_FRAMING_POINT_COUNT, rig);
    assert_int_equal(status.code, DS_OK);
    double heights[64];
    int height_count = 0;
    double min_f = INFINITY, max_f = 0.0;
    for (int i = 0; i < c->count; i++) {
        ds_camera camera;
        status = ds_synth_rig_camera_to_camera(&rig[i], &camera);
        assert_int_equal(status.code, DS_OK);
        double center[3];
        ds_camera_center(&camera, center);
        test_assert_close(sqrt((center[0] - target[0]) * (center[0] - target[0]) +
                               (center[1] - target[1]) * (center[1] - target[1]) +
                               (center[2] - target[2]) * (center[2] - target[2])),
                          DS_SYNTH_CAMERA_DISTANCE, 1e-6, "distance", (size_t)i);
        /* Looking at the target: it lands on the principal point. */
        double u, v;
        project(&camera, target, &u, &v);
        test_assert_close(u, camera.cx, 1e-5, "target u", (size_t)i);
        test_assert_close(v, camera.cy, 1e-5, "target v", (size_t)i);
        /* World +y is up in the image. */
        double above[3] = {target[0], target[1] + 0.5, target[2]}, u2, v2;
        project(&camera, above, &u2, &v2);
        assert_true(v2 < v - 1.0);
        test_assert_close(u2, u, 1e-6 * c->width, "up is vertical", (size_t)i);
        /* The whole motion is inside the image. */
        for (size_t p = 0; p < DS_SYNTH_FRAMING_POINT_COUNT; p++) {
            project(&camera, points[p], &u, &v);
            if (u < 0 || u > c->width || v < 0 || v > c->height) {
                fail_msg("camera %d sees point %zu at (%g, %g), outside %dx%d", i, p, u, v,
                         c->width, c->height);
            }
        }
        /* Principal points 1.5-3% off centre, pixels almost square, no distortion to store. */
        double off_x = fabs(camera.cx - 0.5 * c->width), off_y = fabs(camera.cy - 0.5 * c->height);
        assert_true(off_x >= 0.015 * c->width - 1e-6 && off_x <= 0.03 * c->width + 1e-6);
        assert_true(off_y >= 0.015 * c->height - 1e-6 && off_y <= 0.03 * c->height + 1e-6);
        assert_true(fabs(camera.fy / camera.fx - 1.0) <= 0.003 + 1e-9);
        min_f = fmin(min_f, camera.fx);
        max_f = fmax(max_f, camera.fx);
        bool known = false;
        for (int h = 0; h < height_count; h++) {
            known |= fabs(heights[h] - center[1]) < 1e-6;
        }
        if (!known && height_count < 64) {
            heights[height_count++] = center[1];
        }
    }
    /* Focal lengths differ from camera to camera. */
    assert_true(max_f > min_f * 1.001);
    if (c->count >= 12) {
        assert_int_equal(height_count, c->kind == DS_SYNTH_RING ? 3 : 4);
    }
    free(points);
    free(rig);
}

static void ring_frames_the_motion(void **state) {
    (void)state;
    check_rig(&(rig_case){DS_SYNTH_RING, 24, 160, 120, DS_SYNTH_DANCE});
    check_rig(&(rig_case){DS_SYNTH_RING, 7, 200, 300, DS_SYNTH_WALK});
}

static void dome_frames_the_motion(void **state) {
    (void)state;
    check_rig(&(rig_case){DS_SYNTH_DOME, 48, 480, 360, DS_SYNTH_DANCE});
    check_rig(&(rig_case){DS_SYNTH_DOME, 13, 320, 180, DS_SYNTH_TURN});
    check_rig(&(rig_case){DS_SYNTH_DOME, 2, 64, 48, DS_SYNTH_WAVE});
}

static void seed_varies_the_intrinsics(void **state) {
    (void)state;
    const double target[3] = {0, 0.9, 0}, points[2][3] = {{-0.5, 0, -0.5}, {0.5, 1.8, 0.5}};
    ds_synth_rig_camera a[4], b[4], c[4];
    assert_int_equal(ds_synth_rig_create(DS_SYNTH_RING, 4, 160, 120, 1, target, points, 2, a).code,
                     DS_OK);
    assert_int_equal(ds_synth_rig_create(DS_SYNTH_RING, 4, 160, 120, 1, target, points, 2, b).code,
                     DS_OK);
    assert_int_equal(ds_synth_rig_create(DS_SYNTH_RING, 4, 160, 120, 2, target, points, 2, c).code,
                     DS_OK);
    assert_memory_equal(a, b, sizeof a);
    for (int i = 0; i < 4; i++) {
        assert_memory_equal(a[i].camera_to_world, c[i].camera_to_world,
                            sizeof a[i].camera_to_world);
        assert_true(a[i].cx != c[i].cx && a[i].fx != c[i].fx);
    }
    ds_status status = ds_synth_rig_create(DS_SYNTH_RING, 0, 160, 120, 1, target, points, 2, a);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
}

int run_rig_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_frames_the_motion),
        cmocka_unit_test(dome_frames_the_motion),
        cmocka_unit_test(seed_varies_the_intrinsics),
    };
    return cmocka_run_group_tests_name("synth rig", tests, NULL, NULL);
}
