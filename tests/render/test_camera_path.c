#include "render_tests.h"
#include "test_support.h"

#include "formats/camera_path_file.h"
#include "render/camera_path.h"
#include "render/view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void project(const ds_camera *camera, const double world[3], double *u, double *v) {
    double p[3];
    ds_camera_to_camera_space(camera, world, p);
    *u = camera->fx * p[0] / p[2] + camera->cx;
    *v = camera->fy * p[1] / p[2] + camera->cy;
}

static double distance3(const double a[3], const double b[3]) {
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                (a[2] - b[2]) * (a[2] - b[2]));
}

static void assert_cameras_close(const ds_camera *a, const ds_camera *b, double tolerance) {
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    test_assert_close(a->fx, b->fx, tolerance * a->fx, "fx", 0);
    test_assert_close(a->fy, b->fy, tolerance * a->fy, "fy", 0);
    test_assert_close(a->cx, b->cx, tolerance, "cx", 0);
    test_assert_close(a->cy, b->cy, tolerance, "cy", 0);
    for (size_t k = 0; k < 9; k++) {
        test_assert_close(a->rotation[k], b->rotation[k], tolerance, "rotation", k);
    }
    double ca[3], cb[3];
    ds_camera_center(a, ca);
    ds_camera_center(b, cb);
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(ca[k], cb[k], tolerance, "centre", k);
    }
}

/* A camera looking at `target` from up and to the side, with the data model's up. */
static const double orbit_eye[3] = {3.0, -1.5, -4.0}, orbit_target[3] = {0.5, 0.2, 1.0};

static ds_camera orbit_framing(void) {
    ds_camera framing;
    assert_int_equal(
        ds_camera_look_at(orbit_eye, orbit_target, ds_default_up, 50, 160, 120, &framing).code,
        DS_OK);
    return framing;
}

static void orbit_starts_at_the_framing_camera(void **state) {
    (void)state;
    ds_camera framing = orbit_framing();
    ds_camera_path path;
    assert_int_equal(ds_camera_path_orbit(&framing, orbit_target, NULL, 4.0, 1.0, &path).code,
                     DS_OK);
    ds_camera camera;
    assert_int_equal(ds_camera_path_evaluate(&path, 0.0, 160, 120, &camera).code, DS_OK);
    /* Same up, same field of view: the very same camera. */
    assert_cameras_close(&camera, &framing, 1e-9);
    /* At another image size the vertical field of view is kept. */
    assert_int_equal(ds_camera_path_evaluate(&path, 0.0, 320, 180, &camera).code, DS_OK);
    test_assert_close(camera.fy / 180.0, framing.fy / 120.0, 1e-9, "fy per row", 0);
    test_assert_close(ds_camera_path_end_time(&path), 4.0, 0.0, "end time", 0);
    ds_camera_path_free(&path);
}

static void orbit_half_turn_mirrors_the_eye_through_the_axis(void **state) {
    (void)state;
    ds_camera framing = orbit_framing();
    const double up[3] = {0.3, -1.0, 0.2}; /* a tilted axis, not normalised */
    ds_camera_path path;
    assert_int_equal(ds_camera_path_orbit(&framing, orbit_target, up, 4.0, 1.0, &path).code, DS_OK);
    double axis[3], length = sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
    double offset[3], along = 0.0, foot[3];
    for (int k = 0; k < 3; k++) {
        axis[k] = up[k] / length;
        offset[k] = orbit_eye[k] - orbit_target[k];
        along += offset[k] * axis[k];
    }
    for (int k = 0; k < 3; k++) {
        foot[k] = orbit_target[k] + along * axis[k];
    }
    ds_camera camera;
    double eye[3];
    assert_int_equal(ds_camera_path_evaluate(&path, 2.0, 160, 120, &camera).code, DS_OK);
    ds_camera_center(&camera, eye);
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(eye[k], 2.0 * foot[k] - orbit_eye[k], 1e-9, "mirrored eye", k);
    }
    /* A quarter turn is right-handed about up: the eye's offset from the axis turns to
     * axis x offset. */
    assert_int_equal(ds_camera_path_evaluate(&path, 1.0, 160, 120, &camera).code, DS_OK);
    ds_camera_center(&camera, eye);
    double radial[3] = {orbit_eye[0] - foot[0], orbit_eye[1] - foot[1], orbit_eye[2] - foot[2]};
    double turned[3] = {axis[1] * radial[2] - axis[2] * radial[1],
                        axis[2] * radial[0] - axis[0] * radial[2],
                        axis[0] * radial[1] - axis[1] * radial[0]};
    for (size_t k = 0; k < 3; k++) {
        test_assert_close(eye[k], foot[k] + turned[k], 1e-9, "quarter-turn eye", k);
    }
    ds_camera_path_free(&path);
}

static void orbit_keeps_the_target_at_the_principal_point(void **state) {
    (void)state;
    ds_camera framing = orbit_framing();
    ds_camera_path path;
    assert_int_equal(ds_camera_path_orbit(&framing, orbit_target, NULL, 3.0, -2.5, &path).code,
                     DS_OK);
    double start_distance = distance3(orbit_eye, orbit_target);
    ds_camera first, last;
    assert_int_equal(ds_camera_path_evaluate(&path, 0.0, 160, 120, &first).code, DS_OK);
    assert_int_equal(ds_camera_path_evaluate(&path, 3.0, 160, 120, &last).code, DS_OK);
    for (int step = -10; step <= 40; step++) {
        double t = 0.1 * step;
        ds_camera camera;
        assert_int_equal(ds_camera_path_evaluate(&path, t, 160, 120, &camera).code, DS_OK);
        double u, v, eye[3];
        project(&camera, orbit_target, &u, &v);
        test_assert_close(u, camera.cx, 1e-9, "target u", (size_t)(step + 10));
        test_assert_close(v, camera.cy, 1e-9, "target v", (size_t)(step + 10));
        ds_camera_center(&camera, eye);
        test_assert_close(distance3(eye, orbit_target), start_distance, 1e-9, "distance",
                          (size_t)(step + 10));
        /* Clamped outside [0, duration]. */
        if (t < 0.0) {
            assert_cameras_close(&camera, &first, 0.0);
        }
        if (t > 3.0) {
            assert_cameras_close(&camera, &last, 0.0);
        }
    }
    ds_camera_path_free(&path);
}

static void orbit_refuses_a_camera_on_its_axis(void **state) {
    (void)state;
    const double above[3] = {0.5, -5.0, 1.0};
    const double tilted_up[3] = {0.0, 0.0, 1.0};
    ds_camera framing;
    assert_int_equal(ds_camera_look_at(above, orbit_target, tilted_up, 50, 160, 120, &framing).code,
                     DS_OK);
    ds_camera_path path;
    ds_status status = ds_camera_path_orbit(&framing, orbit_target, NULL, 4.0, 1.0, &path);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "axis"));
    assert_null(path.keys);
    framing = orbit_framing();
    assert_int_equal(ds_camera_path_orbit(&framing, orbit_target, NULL, 0.0, 1.0, &path).code,
                     DS_ERR_ARGUMENT);
    assert_int_equal(ds_camera_path_orbit(&framing, orbit_target, NULL, 1.0, NAN, &path).code,
                     DS_ERR_ARGUMENT);
}

/* Four keys at uneven times, with changing up and field of view. */
static const ds_camera_keyframe test_keys[] = {
    {.time = 0.5, .eye = {0, 0, -4}, .target = {0, 0, 0}, .up = {0, -1, 0}, .fov_y_degrees = 50},
    {.time = 1.0, .eye = {3, -1, -3}, .target = {0.2, 0, 0}, .up = {0, -2, 0}, .fov_y_degrees = 40},
    {.time = 3.5,
     .eye = {4, -2, 2},
     .target = {0, 0.5, 0},
     .up = {0.1, -1, 0},
     .fov_y_degrees = 60},
    {.time = 4.0,
     .eye = {0, -1, 5},
     .target = {0, 0, 0.3},
     .up = {0, -1, 0.2},
     .fov_y_degrees = 60},
};
enum { TEST_KEY_COUNT = sizeof test_keys / sizeof test_keys[0] };

static ds_camera key_camera(const ds_camera_keyframe *key) {
    ds_camera camera;
    assert_int_equal(
        ds_camera_look_at(key->eye, key->target, key->up, key->fov_y_degrees, 160, 120, &camera)
            .code,
        DS_OK);
    return camera;
}

static void keyframes_are_hit_exactly_and_clamped(void **state) {
    (void)state;
    ds_camera_path path;
    assert_int_equal(ds_camera_path_from_keyframes(test_keys, TEST_KEY_COUNT, &path).code, DS_OK);
    test_assert_close(ds_camera_path_end_time(&path), 4.0, 0.0, "end time", 0);
    for (size_t i = 0; i < TEST_KEY_COUNT; i++) {
        ds_camera camera, expected = key_camera(&test_keys[i]);
        assert_int_equal(ds_camera_path_evaluate(&path, test_keys[i].time, 160, 120, &camera).code,
                         DS_OK);
        assert_cameras_close(&camera, &expected, 1e-12);
        double eye[3];
        ds_camera_center(&camera, eye);
        for (size_t k = 0; k < 3; k++) {
            test_assert_close(eye[k], test_keys[i].eye[k], 1e-12, "eye at key", i);
        }
    }
    ds_camera camera, first = key_camera(&test_keys[0]),
                      last = key_camera(&test_keys[TEST_KEY_COUNT - 1]);
    const double before[] = {-1e9, -1.0, 0.0, 0.4999};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        assert_int_equal(ds_camera_path_evaluate(&path, before[i], 160, 120, &camera).code, DS_OK);
        assert_cameras_close(&camera, &first, 1e-12);
    }
    const double after[] = {4.0001, 10.0, INFINITY};
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++) {
        assert_int_equal(ds_camera_path_evaluate(&path, after[i], 160, 120, &camera).code, DS_OK);
        assert_cameras_close(&camera, &last, 1e-12);
    }
    assert_int_equal(ds_camera_path_evaluate(&path, NAN, 160, 120, &camera).code, DS_ERR_ARGUMENT);
    ds_camera_path_free(&path);
    assert_null(path.keys);
}

static void eye_at(const ds_camera_path *path, double t, double eye[3], double *fy) {
    ds_camera camera;
    assert_int_equal(ds_camera_path_evaluate(path, t, 160, 120, &camera).code, DS_OK);
    ds_camera_center(&camera, eye);
    *fy = camera.fy;
}

static void keyframe_interpolation_is_continuous(void **state) {
    (void)state;
    ds_camera_path path;
    assert_int_equal(ds_camera_path_from_keyframes(test_keys, TEST_KEY_COUNT, &path).code, DS_OK);
    /* No jumps: small steps in time move the eye little. */
    double previous[3], fy_previous;
    eye_at(&path, 0.5, previous, &fy_previous);
    const double step = 1e-3;
    for (int i = 1; i <= 3500; i++) {
        double eye[3], fy;
        eye_at(&path, 0.5 + step * i, eye, &fy);
        assert_true(distance3(eye, previous) < 0.05);
        assert_true(fabs(fy - fy_previous) < 0.5);
        memcpy(previous, eye, sizeof eye);
        fy_previous = fy;
    }
    /* The velocity is continuous through the inner keys (Catmull-Rom is C1). */
    const double h = 1e-6;
    for (size_t i = 1; i + 1 < TEST_KEY_COUNT; i++) {
        double t = test_keys[i].time, left[3], centre[3], right[3], fy;
        eye_at(&path, t - h, left, &fy);
        eye_at(&path, t, centre, &fy);
        eye_at(&path, t + h, right, &fy);
        for (size_t k = 0; k < 3; k++) {
            double incoming = (centre[k] - left[k]) / h, outgoing = (right[k] - centre[k]) / h;
            test_assert_close(incoming, outgoing, 1e-3 * (1.0 + fabs(incoming)), "velocity", i);
        }
    }
    /* Between keys, the target stays where the image centre is. */
    ds_camera camera;
    assert_int_equal(ds_camera_path_evaluate(&path, 2.0, 160, 120, &camera).code, DS_OK);
    assert_int_equal(ds_camera_validate(&camera).code, DS_OK);
    ds_camera_path_free(&path);
}

static void single_keyframe_is_a_still_camera(void **state) {
    (void)state;
    ds_camera_path path;
    assert_int_equal(ds_camera_path_from_keyframes(&test_keys[1], 1, &path).code, DS_OK);
    ds_camera expected = key_camera(&test_keys[1]);
    const double times[] = {-5.0, 0.0, 1.0, 7.0};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        ds_camera camera;
        assert_int_equal(ds_camera_path_evaluate(&path, times[i], 160, 120, &camera).code, DS_OK);
        assert_cameras_close(&camera, &expected, 1e-12);
    }
    ds_camera_path_free(&path);
}

static void invalid_keyframes_are_refused(void **state) {
    (void)state;
    ds_camera_keyframe keys[TEST_KEY_COUNT];
    ds_camera_path path;
    assert_int_equal(ds_camera_path_from_keyframes(test_keys, 0, &path).code, DS_ERR_ARGUMENT);
    memcpy(keys, test_keys, sizeof keys);
    keys[2].time = keys[1].time;
    assert_int_equal(ds_camera_path_from_keyframes(keys, TEST_KEY_COUNT, &path).code,
                     DS_ERR_ARGUMENT);
    assert_null(path.keys);
    memcpy(keys, test_keys, sizeof keys);
    memcpy(keys[3].target, keys[3].eye, sizeof keys[3].eye);
    assert_int_equal(ds_camera_path_from_keyframes(keys, TEST_KEY_COUNT, &path).code,
                     DS_ERR_ARGUMENT);
    memcpy(keys, test_keys, sizeof keys);
    keys[0].fov_y_degrees = 180.0;
    assert_int_equal(ds_camera_path_from_keyframes(keys, TEST_KEY_COUNT, &path).code,
                     DS_ERR_ARGUMENT);
    memcpy(keys, test_keys, sizeof keys);
    keys[1].up[0] = keys[1].target[0] - keys[1].eye[0];
    keys[1].up[1] = keys[1].target[1] - keys[1].eye[1];
    keys[1].up[2] = keys[1].target[2] - keys[1].eye[2];
    ds_status status = ds_camera_path_from_keyframes(keys, TEST_KEY_COUNT, &path);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "keyframes[1]"));
}

/* ---- the file format ---- */

static ds_status parse(const char *text, ds_camera_path_file *file) {
    return ds_camera_path_file_parse(text, strlen(text), file);
}

static void keyframe_files_parse_with_defaults(void **state) {
    (void)state;
    ds_camera_path_file file;
    ds_status status = parse("{\"keyframes\": ["
                             " {\"time\": 0, \"eye\": [0, 0, -4], \"target\": [0, 0, 0]},"
                             " {\"time\": 2.5, \"eye\": [4, 0, 0], \"target\": [0, 1, 0],"
                             "  \"up\": [0, 0, 1], \"fov\": 30}]}",
                             &file);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(file.kind, DS_CAMERA_PATH_FILE_KEYFRAMES);
    assert_int_equal(file.count, 2);
    const ds_camera_keyframe *a = &file.keyframes[0], *b = &file.keyframes[1];
    assert_true(a->time == 0.0 && a->eye[2] == -4.0 && a->target[0] == 0.0);
    assert_true(a->up[0] == 0.0 && a->up[1] == -1.0 && a->up[2] == 0.0);
    assert_true(a->fov_y_degrees == DS_CAMERA_PATH_DEFAULT_FOV);
    assert_true(b->time == 2.5 && b->eye[0] == 4.0 && b->target[1] == 1.0);
    assert_true(b->up[2] == 1.0 && b->fov_y_degrees == 30.0);
    ds_camera_path path;
    assert_int_equal(ds_camera_path_from_file(&file, NULL, NULL, NULL, &path).code, DS_OK);
    assert_int_equal(path.count, 2);
    ds_camera_path_free(&path);
    ds_camera_path_file_free(&file);

    /* Top-level up and fov are the keyframes' defaults. */
    status = parse("{\"up\": [0, 0, 2], \"fov\": 70, \"keyframes\": ["
                   " {\"time\": 1, \"eye\": [1, 2, 3], \"target\": [0, 0, 0]}]}",
                   &file);
    assert_int_equal(status.code, DS_OK);
    assert_true(file.keyframes[0].up[2] == 2.0 && file.keyframes[0].fov_y_degrees == 70.0);
    ds_camera_path_file_free(&file);
    assert_null(file.keyframes);
}

static void orbit_files_parse_and_take_the_rest_from_the_render(void **state) {
    (void)state;
    ds_camera_path_file file;
    assert_int_equal(parse("{\"orbit\": {\"turns\": 2, \"duration\": 4}}", &file).code, DS_OK);
    assert_int_equal(file.kind, DS_CAMERA_PATH_FILE_ORBIT);
    assert_true(file.orbit.turns == 2.0 && file.orbit.duration == 4.0);
    assert_false(file.orbit.has_target || file.orbit.has_up || file.orbit.has_fov);

    ds_camera framing = orbit_framing();
    ds_camera_path path;
    /* Without a target in the file, the caller must give one. */
    assert_int_equal(ds_camera_path_from_file(&file, &framing, NULL, NULL, &path).code,
                     DS_ERR_ARGUMENT);
    assert_int_equal(ds_camera_path_from_file(&file, &framing, orbit_target, NULL, &path).code,
                     DS_OK);
    assert_int_equal(path.kind, DS_CAMERA_PATH_ORBIT);
    ds_camera camera;
    assert_int_equal(ds_camera_path_evaluate(&path, 0.0, 160, 120, &camera).code, DS_OK);
    assert_cameras_close(&camera, &framing, 1e-9);
    ds_camera_path_free(&path);
    ds_camera_path_file_free(&file);

    assert_int_equal(parse("{\"fov\": 30, \"orbit\": {\"duration\": 2, \"target\": [0.5, 0.2, 1],"
                           " \"up\": [0, -1, 0]}}",
                           &file)
                         .code,
                     DS_OK);
    assert_true(file.orbit.turns == 1.0 && file.orbit.has_target && file.orbit.has_up);
    assert_true(file.orbit.has_fov && file.orbit.fov_y_degrees == 30.0);
    assert_int_equal(ds_camera_path_from_file(&file, &framing, NULL, NULL, &path).code, DS_OK);
    assert_true(path.orbit.fov_y_degrees == 30.0);
    ds_camera_path_free(&path);
    ds_camera_path_file_free(&file);
}

static void every_file_error_is_a_one_line_status(void **state) {
    (void)state;
    static const struct {
        const char *text, *message; /* message: a part the error must contain, or NULL */
    } bad[] = {
        {"", "empty"},
        {"{\"keyframes\": [", "not valid JSON"},
        {"[1, 2]", "not a JSON object"},
        {"{}", "neither"},
        {"{\"keyframes\": [], \"orbit\": {\"duration\": 1}}", "not both"},
        {"{\"keyframe\": []}", "unknown key 'keyframe'"},
        {"{\"keyframes\": {}}", "not an array"},
        {"{\"keyframes\": []}", "empty"},
        {"{\"keyframes\": [3]}", "keyframes[0] is not an object"},
        {"{\"keyframes\": [{\"eye\": [0,0,1], \"target\": [0,0,0]}]}", "'time' is missing"},
        {"{\"keyframes\": [{\"time\": \"0\", \"eye\": [0,0,1], \"target\": [0,0,0]}]}",
         "'time' is not a number"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0]},"
         " {\"time\": 1, \"eye\": [0,0], \"target\": [0,0,0]}]}",
         "camera path: keyframes[1]: 'eye' needs 3 numbers"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,\"1\"], \"target\": [0,0,0]}]}",
         "'eye' needs 3 numbers"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1]}]}", "'target' is missing"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0], \"fovy\": 3}]}",
         "keyframes[0]: unknown key 'fovy'"},
        {"{\"keyframes\": [{\"time\": -1, \"eye\": [0,0,1], \"target\": [0,0,0]}]}", "time"},
        {"{\"keyframes\": [{\"time\": 1, \"eye\": [0,0,1], \"target\": [0,0,0]},"
         " {\"time\": 1, \"eye\": [0,0,2], \"target\": [0,0,0]}]}",
         "keyframes[1]: time 1 is not after"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [1,2,3], \"target\": [1,2,3]}]}", "same point"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0], \"fov\": 180}]}",
         "fov 180"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0], \"fov\": 0}]}",
         "fov 0"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0], \"up\": [0,0,0]}]}",
         "'up' is zero"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [0,0,1], \"target\": [0,0,0], \"up\": [0,0,3]}]}",
         "parallel"},
        {"{\"keyframes\": [{\"time\": 0, \"eye\": [1e300,0,1], \"target\": [0,0,0]}]}", "within"},
        {"{\"keyframes\": [{\"time\": 1e300, \"eye\": [0,0,1], \"target\": [0,0,0]}]}", "time"},
        {"{\"orbit\": 1}", "'orbit' is not an object"},
        {"{\"orbit\": {\"turns\": 1}}", "orbit: 'duration' is missing"},
        {"{\"orbit\": {\"duration\": 0}}", "duration 0"},
        {"{\"orbit\": {\"duration\": 1, \"turns\": 1e9}}", "turns"},
        {"{\"orbit\": {\"duration\": 1, \"target\": [0, 1]}}", "'target' needs 3 numbers"},
        {"{\"orbit\": {\"duration\": 1, \"up\": [0, 0, 0]}}", "'up' is zero"},
        {"{\"orbit\": {\"duration\": 1, \"fov\": -5}}", "fov -5"},
        {"{\"orbit\": {\"duration\": 1, \"speed\": 2}}", "orbit: unknown key 'speed'"},
        {"{\"up\": [0, 1], \"orbit\": {\"duration\": 1}}", "'up' needs 3 numbers"},
        {"{\"fov\": 200, \"orbit\": {\"duration\": 1}}", "fov 200"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ds_camera_path_file file;
        ds_status status = parse(bad[i].text, &file);
        if (status.code != DS_ERR_FORMAT || strncmp(status.message, "camera path: ", 13) != 0 ||
            strchr(status.message, '\n') ||
            (bad[i].message && !strstr(status.message, bad[i].message))) {
            fail_msg("case %zu (%s): got code %d, '%s'", i, bad[i].text, status.code,
                     status.message);
        }
        assert_null(file.keyframes);
        assert_int_equal(file.count, 0);
    }
    /* Truncations of a valid file fail cleanly. */
    const char *good = "{\"keyframes\": [{\"time\": 0, \"eye\": [0, 0, 1], \"target\": [0, 0, "
                       "0], \"up\": [0, -1, 0], \"fov\": 40}]}";
    for (size_t length = 0; length < strlen(good); length++) {
        ds_camera_path_file file;
        ds_status status = ds_camera_path_file_parse(good, length, &file);
        assert_int_equal(status.code, DS_ERR_FORMAT);
        assert_null(file.keyframes);
    }
}

static void seed_files_load(void **state) {
    (void)state;
    const char *names[] = {"../fuzz/seeds/camera_path/keyframes.json",
                           "../fuzz/seeds/camera_path/orbit.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ds_camera_path_file file;
        ds_status status = ds_camera_path_file_load(test_data_path(names[i]), &file);
        if (ds_failed(&status)) {
            fail_msg("%s: %s", names[i], status.message);
        }
        ds_camera_path_file_free(&file);
    }
    ds_camera_path_file file;
    ds_status status = ds_camera_path_file_load(test_data_path("no-such-path.json"), &file);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_non_null(strstr(status.message, "camera path: "));
}

int run_camera_path_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(orbit_starts_at_the_framing_camera),
        cmocka_unit_test(orbit_half_turn_mirrors_the_eye_through_the_axis),
        cmocka_unit_test(orbit_keeps_the_target_at_the_principal_point),
        cmocka_unit_test(orbit_refuses_a_camera_on_its_axis),
        cmocka_unit_test(keyframes_are_hit_exactly_and_clamped),
        cmocka_unit_test(keyframe_interpolation_is_continuous),
        cmocka_unit_test(single_keyframe_is_a_still_camera),
        cmocka_unit_test(invalid_keyframes_are_refused),
        cmocka_unit_test(keyframe_files_parse_with_defaults),
        cmocka_unit_test(orbit_files_parse_and_take_the_rest_from_the_render),
        cmocka_unit_test(every_file_error_is_a_one_line_status),
        cmocka_unit_test(seed_files_load),
    };
    return cmocka_run_group_tests_name("camera_path", tests, NULL, NULL);
}
