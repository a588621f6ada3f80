/* The figure, its textures and its motions: standing on the ground, head up, joints bending as
 * far as docs/synth.md says, moving through space, smooth and periodic. */
#include "synth_tests.h"
#include "test_support.h"

#include "tools/synth/motion.h"
#include "tools/synth/synth.h"
#include "tools/synth/synth_math.h"
#include "tools/synth/texture.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double distance(const double a[3], const double b[3]) {
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                (a[2] - b[2]) * (a[2] - b[2]));
}

static int joint_index(const char *name) {
    for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
        if (strcmp(ds_synth_joints()[j].name, name) == 0) {
            return j;
        }
    }
    fail_msg("no joint named %s", name);
    return -1;
}

/* The angle in degrees between the hanging axes (-y) of two parts: how far a joint bends. */
static double bend(const ds_synth_pose *pose, int parent, int child) {
    const double *r = pose->world_from_part[parent].rotation,
                 *s = pose->world_from_part[child].rotation;
    double dot = r[1] * s[1] + r[4] * s[4] + r[7] * s[7];
    return acos(fmax(-1.0, fmin(1.0, dot))) * 180.0 / DS_SYNTH_PI;
}

static void stands_on_the_ground(void **state) {
    (void)state;
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 1);
    for (int m = 0; m < DS_SYNTH_MOTION_COUNT; m++) {
        for (int f = 0; f < 240; f += 7) {
            ds_synth_pose pose;
            ds_synth_motion_pose(&figure, (ds_synth_motion)m, f / 30.0, &pose);
            double lower[3], upper[3];
            ds_synth_pose_bounds(&figure, &pose, false, lower, upper);
            test_assert_close(lower[1], 0.0, 1e-12, "lowest point", (size_t)f);
            double joints[DS_SYNTH_JOINT_COUNT][3];
            ds_synth_pose_joints(&pose, joints);
            double head = joints[joint_index("head")][1], pelvis = joints[joint_index("pelvis")][1];
            assert_true(head > pelvis + 0.4);
            assert_true(pelvis > 0.6 && pelvis < 1.0);
            for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
                const double *r = pose.world_from_part[p].rotation;
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        double dot = r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1] +
                                     r[3 * i + 2] * r[3 * j + 2];
                        test_assert_close(dot, i == j ? 1.0 : 0.0, 1e-12, "rotation", (size_t)p);
                    }
                }
            }
        }
    }
    /* About 1.7 m tall when walking upright. */
    ds_synth_pose pose;
    ds_synth_motion_pose(&figure, DS_SYNTH_WALK, 0.0, &pose);
    double joints[DS_SYNTH_JOINT_COUNT][3];
    ds_synth_pose_joints(&pose, joints);
    double top = joints[joint_index("head_top")][1];
    assert_true(top > 1.6 && top < 1.8);
}

static void motions_move_smoothly(void **state) {
    (void)state;
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 1);
    int hands[2] = {joint_index("l_wrist"), joint_index("r_wrist")}, root = joint_index("pelvis");
    for (int m = 0; m < DS_SYNTH_MOTION_COUNT; m++) {
        double first[DS_SYNTH_JOINT_COUNT][3], previous[DS_SYNTH_JOINT_COUNT][3];
        double hand_moved = 0.0, root_range = 0.0, fastest = 0.0;
        int fastest_joint = 0;
        for (int f = 0; f < 240; f++) {
            ds_synth_pose pose;
            ds_synth_motion_pose(&figure, (ds_synth_motion)m, f / 30.0, &pose);
            double joints[DS_SYNTH_JOINT_COUNT][3];
            ds_synth_pose_joints(&pose, joints);
            if (f == 0) {
                memcpy(first, joints, sizeof first);
            } else {
                for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
                    if (distance(joints[j], previous[j]) > fastest) {
                        fastest = distance(joints[j], previous[j]);
                        fastest_joint = j;
                    }
                }
            }
            /* Over the 12 frames of the test preset a hand moves more than 10 cm. */
            for (int h = 0; h < 2 && f < 12; h++) {
                hand_moved = fmax(hand_moved, distance(joints[hands[h]], first[hands[h]]));
            }
            root_range = fmax(root_range, distance(joints[root], first[root]));
            memcpy(previous, joints, sizeof previous);
        }
        printf("  %s: hand moves %.2f m in 12 frames, pelvis up to %.2f m from its start, "
               "fastest joint (%s) %.3f m per frame\n",
               ds_synth_motion_name((ds_synth_motion)m), hand_moved, root_range,
               ds_synth_joints()[fastest_joint].name, fastest);
        assert_true(hand_moved > 0.10);
        assert_true(root_range > (m == DS_SYNTH_WALK || m == DS_SYNTH_DANCE ? 0.5 : 0.2));
        assert_true(fastest < 0.1); /* smooth: no jumps between frames */
    }
}

static void joints_bend(void **state) {
    (void)state;
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 1);
    for (int m = 0; m < DS_SYNTH_MOTION_COUNT; m++) {
        double knee = 0.0, elbow = 0.0;
        for (int f = 0; f < 240; f++) {
            ds_synth_pose pose;
            ds_synth_motion_pose(&figure, (ds_synth_motion)m, f / 30.0, &pose);
            knee = fmax(knee, fmax(bend(&pose, DS_SYNTH_L_THIGH, DS_SYNTH_L_SHIN),
                                   bend(&pose, DS_SYNTH_R_THIGH, DS_SYNTH_R_SHIN)));
            elbow = fmax(elbow, fmax(bend(&pose, DS_SYNTH_L_UPPER_ARM, DS_SYNTH_L_FOREARM),
                                     bend(&pose, DS_SYNTH_R_UPPER_ARM, DS_SYNTH_R_FOREARM)));
        }
        printf("  %s: knees bend up to %.0f degrees, elbows up to %.0f\n",
               ds_synth_motion_name((ds_synth_motion)m), knee, elbow);
        assert_true(knee >= 30.0 && knee <= 95.0);
        assert_true(elbow >= 30.0 && elbow <= 95.0);
    }
}

static void motions_are_periodic(void **state) {
    (void)state;
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 3);
    for (int m = 0; m < DS_SYNTH_MOTION_COUNT; m++) {
        for (double t = 0.0; t < 8.0; t += 1.3) {
            ds_synth_pose a, b;
            ds_synth_motion_pose(&figure, (ds_synth_motion)m, t, &a);
            ds_synth_motion_pose(&figure, (ds_synth_motion)m, t + DS_SYNTH_MOTION_PERIOD, &b);
            for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
                for (int k = 0; k < 9; k++) {
                    test_assert_close(b.world_from_part[p].rotation[k],
                                      a.world_from_part[p].rotation[k], 1e-9, "rotation",
                                      (size_t)p);
                }
                for (int k = 0; k < 3; k++) {
                    test_assert_close(b.world_from_part[p].translation[k],
                                      a.world_from_part[p].translation[k], 1e-9, "translation",
                                      (size_t)p);
                }
            }
        }
    }
}

static void seed_varies_the_looks(void **state) {
    (void)state;
    ds_synth_figure one, again, two;
    ds_synth_figure_init(&one, 1);
    ds_synth_figure_init(&again, 1);
    ds_synth_figure_init(&two, 2);
    assert_memory_equal(&one, &again, sizeof one);
    double largest = 0.0, total = 0.0;
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        for (int c = 0; c < 3; c++) {
            double difference = fabs(one.parts[p].colour[c] - two.parts[p].colour[c]);
            largest = fmax(largest, difference);
            total += difference;
        }
        assert_true(one.parts[p].texture.phase != two.parts[p].texture.phase);
    }
    assert_true(total > 0.0);
    assert_true(largest <= 0.06 + 1e-6);
}

/* Every part shows both of its colours, and the chest's glyphs cover a text-like share of it. */
static void textures_have_contrast(void **state) {
    (void)state;
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, 1);
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const ds_synth_part *part = &figure.parts[p];
        int base = 0, second = 0;
        for (int i = 0; i < 4000; i++) {
            /* Points of the surface facing +z (the front), spread over the part. */
            double u = (i % 80) / 80.0, v = (i / 80) / 50.0, local[3];
            const ds_synth_shape *s = &part->shape;
            if (s->kind == DS_SYNTH_CAPSULE) {
                double angle = 2.0 * DS_SYNTH_PI * u;
                local[0] = s->radius * cos(angle);
                local[1] = s->a[1] + v * (s->b[1] - s->a[1]);
                local[2] = s->radius * sin(angle);
            } else {
                double x = 2.0 * u - 1.0, y = 2.0 * v - 1.0, z2 = 1.0 - x * x - y * y;
                if (z2 < 0) {
                    continue;
                }
                local[0] = s->center[0] + s->radii[0] * x;
                local[1] = s->center[1] + s->radii[1] * y;
                local[2] = s->center[2] + s->radii[2] * sqrt(z2);
            }
            float rgb[3];
            ds_synth_texture_albedo(part, local, rgb);
            base += memcmp(rgb, part->colour, sizeof rgb) == 0;
            second += memcmp(rgb, part->texture.second_colour, sizeof rgb) == 0;
        }
        if (base < 100 || second < 100) {
            fail_msg("%s shows its colours at %d and %d of the points", part->name, base, second);
        }
        if (p == DS_SYNTH_TORSO) {
            double ink = (double)second / (base + second);
            assert_true(ink > 0.1 && ink < 0.6);
        }
    }
}

int run_figure_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stands_on_the_ground),  cmocka_unit_test(motions_move_smoothly),
        cmocka_unit_test(joints_bend),           cmocka_unit_test(motions_are_periodic),
        cmocka_unit_test(seed_varies_the_looks), cmocka_unit_test(textures_have_contrast),
    };
    return cmocka_run_group_tests_name("synth figure", tests, NULL, NULL);
}
