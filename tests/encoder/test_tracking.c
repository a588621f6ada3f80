/* What the tracking's rigidity terms hold each frame to. The scene is out of every camera's
 * view, so the images say nothing and only the rigidity moves the joints: a distortion in the
 * previous frame is undone when the rest shape is the first frame's, and kept when it is the
 * previous frame's (the reference implementation, whose errors so add up over a sequence). */
#include "encoder_tests.h"
#include "render_tests.h"
#include "test_support.h"

#include "encoder/tracking.h"
#include "render/skinning.h"
#include "render/view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* `count` Gaussians of 4 cm scale spread over the unit cube around the origin, unrotated. */
static ds_gaussian_cloud *cube_of_gaussians(size_t count, uint32_t seed) {
    ds_gaussian_cloud *cloud = scattered_scene(count, seed, 0.04f);
    for (size_t i = 0; i < count; i++) {
        const float identity[4] = {1, 0, 0, 0};
        memcpy(cloud->rotations + i * 4, identity, sizeof identity);
    }
    return cloud;
}

/* Mean change of the joint graph's edge lengths from the canonical joints: zero for any rigid
 * motion, so it measures distortion alone. */
static double edge_strain(const ds_track_model *model, const ds_joint_transforms *transforms) {
    size_t n = model->joints->count;
    float *positions = malloc(n * 3 * sizeof(float)), *rotations = malloc(n * 4 * sizeof(float));
    ds_track_joint_state(model, transforms, positions, rotations);
    const ds_neighbor_graph *graph = &model->joint_graph;
    const float *rest = model->joints->positions;
    double sum = 0;
    size_t edges = 0;
    for (size_t i = 0; i < graph->count; i++) {
        for (int s = 0; s < graph->k; s++) {
            size_t j = graph->joints[i * (size_t)graph->k + (size_t)s];
            double now = 0, before = 0;
            for (int a = 0; a < 3; a++) {
                double d = positions[i * 3 + (size_t)a] - positions[j * 3 + (size_t)a];
                double d0 = rest[i * 3 + (size_t)a] - rest[j * 3 + (size_t)a];
                now += d * d;
                before += d0 * d0;
            }
            sum += fabs(sqrt(now) - sqrt(before));
            edges++;
        }
    }
    free(positions);
    free(rotations);
    return sum / (double)edges;
}

static double strain_after_tracking(ds_rigidity_reference reference, double *previous_strain) {
    ds_track_model *model;
    assert_int_equal(ds_track_model_create(cube_of_gaussians(40, 3), cube_of_gaussians(160, 5),
                                           0.3f, 3.0, &model)
                         .code,
                     DS_OK);
    /* The previous frame: the canonical shape sheared, 12 cm from top to bottom. */
    ds_track_frame previous;
    assert_int_equal(ds_track_frame_first(model, &previous).code, DS_OK);
    for (size_t j = 0; j < model->joints->count; j++) {
        previous.transforms.translations[j * 3] = 0.12f * model->joints->positions[j * 3 + 1];
    }
    assert_int_equal(ds_skin_deform(model->skin->positions, model->skin->rotations, &model->binding,
                                    &previous.transforms, previous.skin->positions,
                                    previous.skin->rotations)
                         .code,
                     DS_OK);
    *previous_strain = edge_strain(model, &previous.transforms);
    /* A camera looking away from the scene, and an image of nothing. */
    const double eye[3] = {0, 0, 3}, target[3] = {0, 0, 10};
    ds_camera camera;
    assert_int_equal(ds_camera_look_at(eye, target, ds_default_up, 60, 24, 16, &camera).code,
                     DS_OK);
    ds_image empty;
    assert_int_equal(ds_image_create(24, 16, &empty).code, DS_OK);
    for (size_t i = 0; i < 24 * 16 * 3; i++) {
        empty.pixels[i] = 1.0f;
    }
    ds_fit_views views = {1, &camera, &empty};
    ds_track_settings settings = ds_track_default_settings();
    settings.coarse_iterations = 200;
    settings.fine_iterations = 200;
    settings.extent = 10.0; /* rates for a few centimetres in a few hundred steps */
    settings.rigidity_reference = reference;
    ds_track_frame next;
    ds_status status =
        ds_track_next(model, &previous, NULL, &views, &views, &settings, NULL, NULL, &next);
    if (ds_failed(&status)) {
        fail_msg("tracking: %s", status.message);
    }
    double strain = edge_strain(model, &next.transforms);
    ds_track_frame_free(&next);
    ds_track_frame_free(&previous);
    ds_image_free(&empty);
    ds_track_model_free(model);
    return strain;
}

static void rigidity_to_the_first_frame_undoes_a_previous_distortion(void **state) {
    (void)state;
    double sheared;
    double strain = strain_after_tracking(DS_RIGIDITY_TO_FIRST, &sheared);
    print_message("edge strain: sheared %.4f, tracked %.4f\n", sheared, strain);
    assert_true(sheared > 0.005);
    assert_true(strain < 0.3 * sheared);
}

static void rigidity_to_the_previous_frame_keeps_its_distortion(void **state) {
    (void)state;
    double sheared;
    double strain = strain_after_tracking(DS_RIGIDITY_TO_PREVIOUS, &sheared);
    print_message("edge strain: sheared %.4f, tracked %.4f\n", sheared, strain);
    assert_true(fabs(strain - sheared) < 0.05 * sheared);
}

int run_tracking_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rigidity_to_the_first_frame_undoes_a_previous_distortion),
        cmocka_unit_test(rigidity_to_the_previous_frame_keeps_its_distortion),
    };
    return cmocka_run_group_tests_name("tracking", tests, NULL, NULL);
}
