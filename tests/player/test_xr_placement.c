/* The performer's placement in a headset's room and the eye cameras: world points seen through
 * an eye camera land where OpenXR's own view and projection conventions put them; the world's up
 * becomes the room's; the performer stands on the floor in front of the head, facing it. */
#include "player_tests.h"

#include "player/xr_placement.h"
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

static const double PI = 3.14159265358979323846;

/* A cloud in the data model's axes (-y up): a column 1.7 tall, its feet at y = 0.2, with one
 * stray point far below that the floor must ignore. */
static ds_gaussian_cloud *standing_cloud(void) {
    ds_gaussian_cloud *cloud;
    size_t count = 1001;
    assert_int_equal(ds_gaussian_cloud_create(count, 0, &cloud).code, DS_OK);
    for (size_t i = 0; i < count - 1; i++) {
        double t = (double)i / (double)(count - 2);
        cloud->positions[i * 3] = (float)(0.5 + 0.1 * sin(40 * t));
        cloud->positions[i * 3 + 1] = (float)(0.2 - 1.7 * t);
        cloud->positions[i * 3 + 2] = (float)(3.0 + 0.1 * cos(40 * t));
    }
    cloud->positions[(count - 1) * 3 + 1] = 5.0f;
    return cloud;
}

static ds_xr_placement placed(const double front[3]) {
    ds_gaussian_cloud *cloud = standing_cloud();
    const double up[3] = {0, -1, 0};
    ds_xr_placement placement;
    assert_int_equal(ds_xr_placement_init(cloud, up, front, &placement).code, DS_OK);
    ds_gaussian_cloud_free(cloud);
    return placement;
}

static ds_xr_pose pose(double x, double y, double z, double yaw, double pitch) {
    /* Ry(yaw) Rx(pitch) as a quaternion (x, y, z, w). */
    double cy = cos(yaw / 2), sy = sin(yaw / 2), cp = cos(pitch / 2), sp = sin(pitch / 2);
    return (ds_xr_pose){{x, y, z}, {cy * sp, sy * cp, -sy * sp, cy * cp}};
}

static void rotate(const double q[4], const double v[3], double out[3]) {
    double x = q[0], y = q[1], z = q[2], w = q[3];
    double m[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                   2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                   2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
    for (int i = 0; i < 3; i++) {
        out[i] = m[3 * i] * v[0] + m[3 * i + 1] * v[1] + m[3 * i + 2] * v[2];
    }
}

static void up_becomes_the_rooms_up_and_the_feet_the_floor(void **state) {
    (void)state;
    const double front[3] = {0, 0, -1};
    ds_xr_placement p = placed(front);
    double feet[3] = {0.5, 0.2, 3.0}, head[3] = {0.5, -1.5, 3.0}, stage_feet[3], stage_head[3];
    ds_xr_placement_to_stage(&p, feet, stage_feet);
    ds_xr_placement_to_stage(&p, head, stage_head);
    /* The stray point at y = 5 is below the feet in this world and must not be the floor. */
    assert_true(fabs(stage_feet[1]) < 0.02);
    assert_true(fabs(stage_head[1] - 1.7) < 0.02);
    assert_true(fabs(stage_head[0] - stage_feet[0]) < 0.15 &&
                fabs(stage_head[2] - stage_feet[2]) < 0.15);
    /* Metres for metres at scale 1; twice as tall at scale 2. */
    p.scale = 2.0;
    ds_xr_placement_to_stage(&p, head, stage_head);
    assert_true(fabs(stage_head[1] - 3.4) < 0.04);
}

static void performer_stands_in_front_of_the_head_facing_it(void **state) {
    (void)state;
    /* The performer's front is toward world -z (where a framing camera stood). */
    const double front[3] = {0, 0, -1};
    ds_xr_placement p = placed(front);
    /* A head at (1, 1.7, 0.5) turned to look along +x (yaw -90 degrees), tilted down a little. */
    ds_xr_pose head = pose(1.0, 1.7, 0.5, -PI / 2, -0.3);
    ds_xr_placement_face(&p, &head, 2.0);
    assert_true(fabs(p.position[0] - 3.0) < 1e-9);
    assert_true(fabs(p.position[1]) < 1e-9);
    assert_true(fabs(p.position[2] - 0.5) < 1e-9);
    /* A point in front of the performer (world -z of it) is nearer the head than one behind. */
    double in_front[3] = {0.5, -0.8, 2.0}, behind[3] = {0.5, -0.8, 4.0}, a[3], b[3];
    ds_xr_placement_to_stage(&p, in_front, a);
    ds_xr_placement_to_stage(&p, behind, b);
    assert_true(a[0] < 3.0 && b[0] > 3.0);
    assert_true(fabs(a[2] - 0.5) < 0.02 && fabs(b[2] - 0.5) < 0.02);
}

static void eye_cameras_project_as_openxr_views_do(void **state) {
    (void)state;
    const double front[3] = {0.3, 0.1, -1};
    ds_xr_placement p = placed(front);
    p.scale = 1.3;
    p.yaw = 0.7;
    p.position[0] = 0.2;
    p.position[2] = -1.5;
    ds_xr_pose eye = pose(-0.1, 1.6, 0.3, 0.2, -0.25);
    ds_xr_fov fov = {-0.9, 0.7, 0.8, -0.75};
    int width = 400, height = 300;
    ds_camera camera = ds_xr_eye_camera(&p, &eye, &fov, width, height);
    assert_int_equal(ds_camera_validate(&camera).code, DS_OK);
    srand(3);
    int checked = 0;
    for (int n = 0; n < 200; n++) {
        double world[3] = {0.5 + (rand() / (double)RAND_MAX - 0.5),
                           -0.8 + 2 * (rand() / (double)RAND_MAX - 0.5),
                           3.0 + (rand() / (double)RAND_MAX - 0.5)};
        /* OpenXR: the stage point in the eye's view space (looking down -z, y up), then the
         * projection of its tangents onto the fov's edges. */
        double stage[3], relative[3], view[3];
        ds_xr_placement_to_stage(&p, world, stage);
        for (int k = 0; k < 3; k++) {
            relative[k] = stage[k] - eye.position[k];
        }
        double inverse[4] = {-eye.orientation[0], -eye.orientation[1], -eye.orientation[2],
                             eye.orientation[3]};
        rotate(inverse, relative, view);
        if (!(view[2] < -0.1)) {
            continue;
        }
        double tx = view[0] / -view[2], ty = view[1] / -view[2];
        double u = (tx - tan(fov.left)) / (tan(fov.right) - tan(fov.left)) * width;
        double v = (tan(fov.up) - ty) / (tan(fov.up) - tan(fov.down)) * height;
        double c[3];
        ds_camera_to_camera_space(&camera, world, c);
        /* Camera space is in world units: the view-space depth over the scale. */
        assert_true(fabs(c[2] - (-view[2]) / p.scale) < 1e-9);
        assert_true(fabs(camera.fx * c[0] / c[2] + camera.cx - u) < 1e-6);
        assert_true(fabs(camera.fy * c[1] / c[2] + camera.cy - v) < 1e-6);
        checked++;
    }
    assert_true(checked > 50);
}

int run_xr_placement_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(up_becomes_the_rooms_up_and_the_feet_the_floor),
        cmocka_unit_test(performer_stands_in_front_of_the_head_facing_it),
        cmocka_unit_test(eye_cameras_project_as_openxr_views_do),
    };
    return cmocka_run_group_tests_name("xr_placement", tests, NULL, NULL);
}
