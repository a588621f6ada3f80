#include "render_tests.h"

#include "formats/camera.h"
#include "test_support.h"

#include <math.h>

static float uniform(uint32_t *state, float low, float high) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return low + (high - low) * (float)(*state >> 8) / (float)(1u << 24);
}

ds_camera test_camera(int width, int height) {
    /* A small rotation about y then x, so no axis is trivially aligned. */
    double ay = 0.1, ax = -0.05;
    double ry[9] = {cos(ay), 0, sin(ay), 0, 1, 0, -sin(ay), 0, cos(ay)};
    double rx[9] = {1, 0, 0, 0, cos(ax), -sin(ax), 0, sin(ax), cos(ax)};
    ds_camera camera = {.width = width,
                        .height = height,
                        .fx = 0.9 * width,
                        .fy = 0.85 * width,
                        .cx = 0.45 * width,
                        .cy = 0.55 * height,
                        .translation = {0.1, -0.05, 0.2}};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                sum += rx[3 * i + k] * ry[3 * k + j];
            }
            camera.rotation[3 * i + j] = sum;
        }
    }
    return camera;
}

ds_gaussian_cloud *random_scene(const ds_camera *camera, size_t count, int sh_degree,
                                uint32_t seed) {
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(count, sh_degree, &cloud).code, DS_OK);
    uint32_t state = seed ? seed : 1;
    double center[3];
    ds_camera_center(camera, center);
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < count; i++) {
        /* A point in camera space, then to world: x = R^T (p - t). */
        double z = uniform(&state, 2.0f, 6.0f);
        double p[3] = {uniform(&state, -0.7f, 0.7f) * z, uniform(&state, -0.6f, 0.6f) * z, z};
        for (int k = 0; k < 3; k++) {
            p[k] -= camera->translation[k];
        }
        for (int k = 0; k < 3; k++) {
            cloud->positions[i * 3 + k] =
                (float)(camera->rotation[k] * p[0] + camera->rotation[3 + k] * p[1] +
                        camera->rotation[6 + k] * p[2]);
            cloud->log_scales[i * 3 + k] = uniform(&state, -4.0f, -1.5f);
        }
        for (int k = 0; k < 4; k++) {
            cloud->rotations[i * 4 + k] = uniform(&state, -1.0f, 1.0f);
        }
        cloud->opacity_logits[i] = uniform(&state, -3.0f, 4.0f);
        for (size_t k = 0; k < stride; k++) {
            cloud->sh[i * stride + k] =
                k < 3 ? uniform(&state, -1.5f, 1.5f) : uniform(&state, -0.3f, 0.3f);
        }
    }
    return cloud;
}

ds_gaussian_cloud *scattered_scene(size_t count, uint32_t seed, float scale) {
    ds_camera camera = test_camera(32, 32);
    ds_gaussian_cloud *cloud = random_scene(&camera, count, 1, seed);
    uint32_t state = seed * 31u + 7;
    for (size_t i = 0; i < count * 3; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        cloud->positions[i] = (float)(state >> 8) / (float)(1u << 24) - 0.5f;
        cloud->log_scales[i] = logf(scale);
    }
    return cloud;
}
