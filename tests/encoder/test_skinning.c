/* Skinning, its backward pass, the rigidity term, bindings and the tracking files. */
#define _POSIX_C_SOURCE 200809L
#include "encoder_tests.h"
#include "render_tests.h"
#include "test_support.h"

#include "encoder/rigidity.h"
#include "encoder/skinning.h"
#include "formats/dualgs_files.h"
#include "render/projection.h"
#include "render/skinning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static float uniform(uint32_t *state, float low, float high) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return low + (high - low) * (float)(*state >> 8) / (float)(1u << 24);
}

static float *random_points(size_t count, uint32_t seed, float spread) {
    float *p = malloc(count * 3 * sizeof *p);
    uint32_t state = seed;
    for (size_t i = 0; i < count * 3; i++) {
        p[i] = uniform(&state, -spread, spread);
    }
    return p;
}

static float *random_rotations(size_t count, uint32_t seed) {
    float *q = malloc(count * 4 * sizeof *q);
    uint32_t state = seed;
    for (size_t i = 0; i < count; i++) {
        for (int k = 0; k < 4; k++) {
            q[i * 4 + (size_t)k] = uniform(&state, -1, 1);
        }
        ds_quaternion_normalize(q + i * 4);
    }
    return q;
}

static void binding_picks_nearest_joints_with_normalised_weights(void **state) {
    (void)state;
    float *joints = random_points(300, 1, 1.0f), *skin = random_points(500, 2, 1.0f);
    ds_binding binding;
    assert_int_equal(ds_binding_compute(skin, 500, joints, 300, 0.2f, &binding).code, DS_OK);
    for (size_t i = 0; i < 500; i++) {
        /* The first joint is the nearest of all, found by brute force. */
        size_t nearest = 0;
        float best = INFINITY, sum = 0;
        for (size_t j = 0; j < 300; j++) {
            float d = 0;
            for (int a = 0; a < 3; a++) {
                float e = skin[i * 3 + (size_t)a] - joints[j * 3 + (size_t)a];
                d += e * e;
            }
            if (d < best) {
                best = d;
                nearest = j;
            }
        }
        assert_int_equal(binding.joints[i * 8], nearest);
        for (int s = 0; s < 8; s++) {
            sum += binding.weights[i * 8 + (size_t)s];
            if (s > 0) {
                assert_true(binding.weights[i * 8 + (size_t)s] <=
                            binding.weights[i * 8 + (size_t)s - 1] + 1e-6f);
            }
        }
        test_assert_close(sum, 1.0, 1e-5, "weight sum", i);
    }
    /* Far from every joint (where exp(-d^2 / l^2) underflows), weights are still defined. */
    float far[3] = {100, 100, 100};
    ds_binding lonely;
    assert_int_equal(ds_binding_compute(far, 1, joints, 300, 0.001f, &lonely).code, DS_OK);
    assert_true(lonely.weights[0] == 1.0f);
    ds_binding_free(&lonely);
    ds_binding_free(&binding);
    free(joints);
    free(skin);
}

static void rigid_motion_moves_the_skin_rigidly(void **state) {
    (void)state;
    float *joints = random_points(50, 3, 1.0f), *skin = random_points(200, 4, 1.0f);
    float *rotations = random_rotations(200, 5);
    ds_binding binding;
    assert_int_equal(ds_binding_compute(skin, 200, joints, 50, 0.3f, &binding).code, DS_OK);
    ds_joint_transforms transforms;
    assert_int_equal(ds_joint_transforms_create(50, &transforms).code, DS_OK);
    /* Every joint: the same rotation about an axis, and translation; some as -q. */
    const float q[4] = {0.9f, 0.1f, -0.3f, 0.2f}, t[3] = {0.5f, -1.0f, 2.0f};
    float unit[4];
    memcpy(unit, q, sizeof unit);
    ds_quaternion_normalize(unit);
    for (size_t j = 0; j < 50; j++) {
        for (int k = 0; k < 4; k++) {
            transforms.rotations[j * 4 + (size_t)k] = (j % 3 ? 1.0f : -1.0f) * unit[k];
        }
        memcpy(transforms.translations + j * 3, t, sizeof t);
    }
    float *positions = malloc(200 * 3 * sizeof *positions), *out = malloc(200 * 4 * sizeof *out);
    assert_int_equal(ds_skin_deform(skin, rotations, &binding, &transforms, positions, out).code,
                     DS_OK);
    float m[9];
    ds_quaternion_to_matrix(unit, m);
    for (size_t i = 0; i < 200; i++) {
        for (int r = 0; r < 3; r++) {
            float expected = m[r * 3] * skin[i * 3] + m[r * 3 + 1] * skin[i * 3 + 1] +
                             m[r * 3 + 2] * skin[i * 3 + 2] + t[r];
            test_assert_close(positions[i * 3 + (size_t)r], expected, 1e-5, "position", i);
        }
        float expected_q[4];
        ds_quaternion_multiply(unit, rotations + i * 4, expected_q);
        ds_quaternion_normalize(out + i * 4);
        double rotation[4] = {expected_q[0], expected_q[1], expected_q[2], expected_q[3]};
        test_assert_same_rotation(out + i * 4, rotation, 1e-5, i);
    }
    free(positions);
    free(out);
    ds_joint_transforms_free(&transforms);
    ds_binding_free(&binding);
    free(rotations);
    free(joints);
    free(skin);
}

/* L = sum a . positions + sum b . normalise(rotations): gradients against central differences in
 * the transform parameters. */
static double skinning_loss(const float *skin, const float *rotations, const ds_binding *binding,
                            const ds_joint_transforms *transforms, const float *a, const float *b,
                            size_t count, float *positions, float *out) {
    ds_skin_deform(skin, rotations, binding, transforms, positions, out);
    double sum = 0;
    for (size_t i = 0; i < count; i++) {
        for (int k = 0; k < 3; k++) {
            sum += (double)a[i * 3 + (size_t)k] * positions[i * 3 + (size_t)k];
        }
        ds_quaternion_normalize(out + i * 4);
        for (int k = 0; k < 4; k++) {
            sum += (double)b[i * 4 + (size_t)k] * out[i * 4 + (size_t)k];
        }
    }
    return sum;
}

static void skinning_gradients_match_finite_differences(void **state) {
    (void)state;
    const size_t joints_count = 12, count = 60;
    float *joints = random_points(joints_count, 6, 1.0f), *skin = random_points(count, 7, 1.0f);
    float *rotations = random_rotations(count, 8);
    float *a = random_points(count, 9, 1.0f), *b = random_points(count * 4 / 3 + 1, 10, 1.0f);
    ds_binding binding;
    assert_int_equal(ds_binding_compute(skin, count, joints, joints_count, 0.6f, &binding).code,
                     DS_OK);
    ds_joint_transforms transforms, gradient;
    assert_int_equal(ds_joint_transforms_create(joints_count, &transforms).code, DS_OK);
    assert_int_equal(ds_joint_transforms_create(joints_count, &gradient).code, DS_OK);
    float *random_q = random_rotations(joints_count, 11),
          *random_t = random_points(joints_count, 12, 0.5f);
    memcpy(transforms.rotations, random_q, joints_count * 4 * sizeof(float));
    memcpy(transforms.translations, random_t, joints_count * 3 * sizeof(float));
    memset(gradient.rotations, 0, joints_count * 4 * sizeof(float));
    float *positions = malloc(count * 3 * sizeof(float)), *out = malloc(count * 4 * sizeof(float));
    /* dL/dposition = a; dL/drotation through the normalisation of each output quaternion. */
    ds_skin_deform(skin, rotations, &binding, &transforms, positions, out);
    float *rotation_gradient = malloc(count * 4 * sizeof(float));
    for (size_t i = 0; i < count; i++) {
        const float *q = out + i * 4;
        float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        float dot = 0;
        for (int k = 0; k < 4; k++) {
            dot += b[i * 4 + (size_t)k] * q[k] / norm;
        }
        for (int k = 0; k < 4; k++) {
            rotation_gradient[i * 4 + (size_t)k] =
                (b[i * 4 + (size_t)k] - q[k] / norm * dot) / norm;
        }
    }
    assert_int_equal(ds_skin_deform_backward(skin, rotations, &binding, &transforms, a,
                                             rotation_gradient, &gradient)
                         .code,
                     DS_OK);
    float *parameters[2] = {transforms.rotations, transforms.translations};
    float *analytic[2] = {gradient.rotations, gradient.translations};
    size_t sizes[2] = {joints_count * 4, joints_count * 3};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; i < sizes[p]; i++) {
            float saved = parameters[p][i];
            const float h = 1e-3f;
            parameters[p][i] = saved + h;
            double plus =
                skinning_loss(skin, rotations, &binding, &transforms, a, b, count, positions, out);
            parameters[p][i] = saved - h;
            double minus =
                skinning_loss(skin, rotations, &binding, &transforms, a, b, count, positions, out);
            parameters[p][i] = saved;
            double numeric = (plus - minus) / (2 * h);
            test_assert_close(analytic[p][i], numeric, 2e-3 * (1 + fabs(numeric)),
                              p ? "translation gradient" : "rotation gradient", i);
        }
    }
    free(rotation_gradient);
    free(positions);
    free(out);
    free(random_q);
    free(random_t);
    ds_joint_transforms_free(&transforms);
    ds_joint_transforms_free(&gradient);
    ds_binding_free(&binding);
    free(a);
    free(b);
    free(rotations);
    free(joints);
    free(skin);
}

static void rigidity_is_zero_for_rigid_motion_and_its_gradient_matches(void **state) {
    (void)state;
    const size_t count = 80;
    float *before = random_points(count, 13, 1.0f), *before_q = random_rotations(count, 14);
    ds_neighbor_graph graph;
    assert_int_equal(ds_neighbor_graph_compute(before, count, 0.5f, &graph).code, DS_OK);
    /* A rigid motion of everything: every point rotated by R, rotations by q. */
    const float q[4] = {0.8f, 0.3f, 0.4f, -0.2f};
    float unit[4];
    memcpy(unit, q, sizeof unit);
    ds_quaternion_normalize(unit);
    float m[9];
    ds_quaternion_to_matrix(unit, m);
    float *after = malloc(count * 3 * sizeof(float)), *after_q = malloc(count * 4 * sizeof(float));
    for (size_t i = 0; i < count; i++) {
        for (int r = 0; r < 3; r++) {
            after[i * 3 + (size_t)r] = m[r * 3] * before[i * 3] + m[r * 3 + 1] * before[i * 3 + 1] +
                                       m[r * 3 + 2] * before[i * 3 + 2] + 0.7f;
        }
        ds_quaternion_multiply(unit, before_q + i * 4, after_q + i * 4);
    }
    float *dx = calloc(count * 3, sizeof(float)), *dq = calloc(count * 4, sizeof(float));
    ds_rigidity rigidity = {0};
    double energy =
        ds_rigidity_evaluate(&rigidity, &graph, before, before_q, after, after_q, 1.0, dx, dq);
    assert_true(energy < 1e-9);
    /* Disturb it and compare the gradient with central differences. */
    float *noise = random_points(count, 15, 0.05f);
    for (size_t i = 0; i < count * 3; i++) {
        after[i] += noise[i];
    }
    float *noise_q = random_points(count * 4 / 3 + 1, 16, 0.05f);
    for (size_t i = 0; i < count * 4; i++) {
        after_q[i] += noise_q[i];
    }
    memset(dx, 0, count * 3 * sizeof(float));
    memset(dq, 0, count * 4 * sizeof(float));
    energy = ds_rigidity_evaluate(&rigidity, &graph, before, before_q, after, after_q, 0.3, dx, dq);
    assert_true(energy > 1e-6);
    float *scratch_x = calloc(count * 3, sizeof(float)),
          *scratch_q = calloc(count * 4, sizeof(float));
    float *parameters[2] = {after, after_q}, *analytic[2] = {dx, dq};
    size_t sizes[2] = {count * 3, count * 4};
    for (int p = 0; p < 2; p++) {
        for (size_t i = 0; i < sizes[p]; i += 3) {
            float saved = parameters[p][i];
            const float h = 1e-3f;
            parameters[p][i] = saved + h;
            double plus = ds_rigidity_evaluate(&rigidity, &graph, before, before_q, after, after_q,
                                               0.3, scratch_x, scratch_q);
            parameters[p][i] = saved - h;
            double minus = ds_rigidity_evaluate(&rigidity, &graph, before, before_q, after, after_q,
                                                0.3, scratch_x, scratch_q);
            parameters[p][i] = saved;
            double numeric = (plus - minus) / (2 * h);
            test_assert_close(analytic[p][i], numeric, 2e-3 * (1 + fabs(numeric)),
                              p ? "rotation gradient" : "position gradient", i);
        }
    }
    ds_rigidity_free(&rigidity);
    free(scratch_x);
    free(scratch_q);
    free(noise);
    free(noise_q);
    free(dx);
    free(dq);
    free(after);
    free(after_q);
    ds_binding_free(&graph);
    free(before);
    free(before_q);
}

static void tracking_files_round_trip_and_reject_damage(void **state) {
    (void)state;
    float *joints = random_points(40, 17, 1.0f), *skin = random_points(90, 18, 1.0f);
    ds_binding binding;
    assert_int_equal(ds_binding_compute(skin, 90, joints, 40, 0.4f, &binding).code, DS_OK);
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_binding_encode(&binding, &bytes).code, DS_OK);
    ds_binding decoded;
    assert_int_equal(ds_binding_decode(bytes.data, bytes.size, &decoded).code, DS_OK);
    assert_memory_equal(decoded.joints, binding.joints, 90 * 8 * sizeof(uint32_t));
    assert_memory_equal(decoded.weights, binding.weights, 90 * 8 * sizeof(float));
    assert_memory_equal(decoded.starts, binding.starts, 41 * sizeof(uint32_t));
    ds_binding_free(&decoded);
    bytes.data[40] ^= 1;
    ds_status status = ds_binding_decode(bytes.data, bytes.size, &decoded);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "checksum"));
    ds_byte_buffer_free(&bytes);

    ds_camera camera = test_camera(16, 16);
    ds_gaussian_cloud *cloud = random_scene(&camera, 90, 2, 19);
    ds_joint_transforms transforms;
    assert_int_equal(ds_joint_transforms_create(40, &transforms).code, DS_OK);
    float *q = random_rotations(40, 20);
    memcpy(transforms.rotations, q, 40 * 4 * sizeof(float));
    assert_int_equal(ds_frame_encode(7, &transforms, cloud, &bytes).code, DS_OK);
    uint32_t frame;
    ds_joint_transforms read_transforms;
    ds_gaussian_cloud *read_skin;
    assert_int_equal(
        ds_frame_decode(bytes.data, bytes.size, &frame, &read_transforms, &read_skin).code, DS_OK);
    assert_int_equal(frame, 7);
    assert_memory_equal(read_transforms.rotations, transforms.rotations, 40 * 4 * sizeof(float));
    assert_memory_equal(read_skin->sh, cloud->sh, 90 * 27 * sizeof(float));
    assert_memory_equal(read_skin->opacity_logits, cloud->opacity_logits, 90 * sizeof(float));
    ds_joint_transforms_free(&read_transforms);
    ds_gaussian_cloud_free(read_skin);
    /* Every truncation is an error. */
    for (size_t cut = 0; cut < bytes.size; cut += 7) {
        status = ds_frame_decode(bytes.data, cut, &frame, &read_transforms, &read_skin);
        assert_int_equal(status.code, DS_ERR_FORMAT);
        assert_null(read_skin);
    }
    ds_byte_buffer_free(&bytes);
    free(q);
    ds_joint_transforms_free(&transforms);
    ds_gaussian_cloud_free(cloud);
    ds_binding_free(&binding);
    free(joints);
    free(skin);
}

int run_skinning_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binding_picks_nearest_joints_with_normalised_weights),
        cmocka_unit_test(rigid_motion_moves_the_skin_rigidly),
        cmocka_unit_test(skinning_gradients_match_finite_differences),
        cmocka_unit_test(rigidity_is_zero_for_rigid_motion_and_its_gradient_matches),
        cmocka_unit_test(tracking_files_round_trip_and_reject_damage),
    };
    return cmocka_run_group_tests_name("skinning", tests, NULL, NULL);
}
