/* End to end on a synthetic capture with known truth: synth (the test preset's figure and
 * cameras, 4 frames), fit the first frame, track three more, and check that the tracked model
 * keeps its quality, keeps its skin count, and that its joints follow the figure's true motion.
 * Takes a couple of minutes; the full-size run is tools/bench/track. */
#define _POSIX_C_SOURCE 200809L
#include "test_support.h"

#include "encoder/first_frame_fit.h"
#include "encoder/image_metrics.h"
#include "encoder/tracking.h"
#include "formats/capture.h"
#include "render/rasterizer.h"
#include "tools/bench/synth_truth.h"
#include "tools/synth/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FRAMES = 4 };

typedef struct views {
    size_t count;
    ds_camera *cameras;
    ds_image *images;
} views;

/* Views of one frame: training (held_out false) or held-out ones. */
static views load_views(const ds_capture *capture, int frame, bool held_out) {
    views v = {0, calloc(capture->view_count, sizeof(ds_camera)),
               calloc(capture->view_count, sizeof(ds_image))};
    for (size_t i = 0; i < capture->view_count; i++) {
        if (capture->views[i].held_out != held_out) {
            continue;
        }
        ds_status status = ds_capture_load_image(capture, i, frame, &v.images[v.count]);
        if (ds_failed(&status)) {
            fail_msg("loading view %zu of frame %d: %s", i, frame, status.message);
        }
        v.cameras[v.count++] = capture->views[i].camera;
    }
    return v;
}

static void free_views(views *v) {
    for (size_t i = 0; i < v->count; i++) {
        ds_image_free(&v->images[i]);
    }
    free(v->cameras);
    free(v->images);
}

static double mean_psnr(const ds_gaussian_cloud *skin, const views *v) {
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    double sum = 0;
    for (size_t i = 0; i < v->count; i++) {
        ds_image render;
        assert_int_equal(ds_image_create(v->cameras[i].width, v->cameras[i].height, &render).code,
                         DS_OK);
        ds_raster_settings settings = {.background = {1, 1, 1}, .sh_degree = -1};
        assert_int_equal(ds_rasterize(rasterizer, skin, &v->cameras[i], &settings, &render).code,
                         DS_OK);
        double psnr;
        assert_int_equal(ds_image_psnr(&render, &v->images[i], &psnr).code, DS_OK);
        sum += psnr;
        ds_image_free(&render);
    }
    ds_rasterizer_free(rasterizer);
    return sum / (double)v->count;
}

static void fit_and_track_follow_the_figure(void **state) {
    (void)state;
    char directory[] = "/tmp/dualsplat-synthetic-XXXXXX";
    assert_non_null(mkdtemp(directory));
    char capture_path[512];
    snprintf(capture_path, sizeof capture_path, "%s/capture", directory);
    ds_synth_settings synth;
    assert_int_equal(ds_synth_preset("test", &synth).code, DS_OK);
    synth.frames = FRAMES;
    ds_status status = ds_synth_generate(capture_path, &synth, NULL, NULL);
    if (ds_failed(&status)) {
        fail_msg("synth: %s", status.message);
    }
    ds_capture *capture, *half;
    ds_capture_options options = ds_capture_default_options();
    assert_int_equal(ds_capture_open(capture_path, &options, &capture).code, DS_OK);
    options.max_width = capture->views[0].camera.width / 2;
    assert_int_equal(ds_capture_open(capture_path, &options, &half).code, DS_OK);
    assert_int_equal(capture->frame_count, FRAMES);

    /* Frame 0. */
    views train = load_views(capture, 0, false), coarse = load_views(half, 0, false);
    views held_out = load_views(capture, 0, true);
    ds_fit_settings fit = ds_fit_default_settings();
    /* Long enough for the joints to densify and prune a few times; at this small size the
     * joints train at full resolution. */
    fit.joint_iterations = 2000;
    fit.skin_iterations = 3000;
    fit.joint_count = 3000;
    ds_fit_views joint_set = {train.count, train.cameras, train.images};
    ds_fit_views skin_set = {train.count, train.cameras, train.images};
    ds_gaussian_cloud *joints, *skin;
    status = ds_fit_first_frame(&joint_set, &skin_set, &fit, NULL, NULL, &joints, &skin);
    if (ds_failed(&status)) {
        fail_msg("fit: %s", status.message);
    }
    double first_psnr = mean_psnr(skin, &held_out);
    print_message("frame 0: %zu joints, %zu skin Gaussians, held-out PSNR %.2f dB\n", joints->count,
                  skin->count, first_psnr);
    assert_true(first_psnr > 27.0);
    size_t skin_count = skin->count;
    double extent = ds_camera_extent(skin_set.cameras, skin_set.count);
    free_views(&train);
    free_views(&coarse);
    free_views(&held_out);

    /* The truth: where each joint Gaussian on the figure's surface should go. */
    char bones[600];
    snprintf(bones, sizeof bones, "%s/bones.json", capture_path);
    ds_truth truth;
    assert_int_equal(ds_truth_load(bones, &truth).code, DS_OK);
    double size = ds_truth_figure_size(&truth);
    ds_truth_anchors anchors;
    assert_int_equal(
        ds_truth_anchor(&truth, joints->positions, joints->count, 0.015 * size, &anchors).code,
        DS_OK);
    assert_true(anchors.anchored > joints->count / 4);

    ds_track_model *model;
    status = ds_track_model_create(joints, skin, 0, extent, &model);
    if (ds_failed(&status)) {
        fail_msg("tracking model: %s", status.message);
    }
    ds_track_settings settings = ds_track_default_settings();
    settings.coarse_iterations = 200;
    settings.fine_iterations = 300;
    ds_track_frame frames[FRAMES];
    assert_int_equal(ds_track_frame_first(model, &frames[0]).code, DS_OK);
    float *positions = malloc(model->joints->count * 3 * sizeof(float));
    float *rotations = malloc(model->joints->count * 4 * sizeof(float));
    for (int f = 1; f < FRAMES; f++) {
        views fine = load_views(capture, f, false), rough = load_views(half, f, false);
        views check = load_views(capture, f, true);
        ds_fit_views coarse_set = {rough.count, rough.cameras, rough.images};
        ds_fit_views fine_set = {fine.count, fine.cameras, fine.images};
        status = ds_track_next(model, &frames[f - 1], f >= 2 ? &frames[f - 2] : NULL, &coarse_set,
                               &fine_set, &settings, NULL, NULL, &frames[f]);
        if (ds_failed(&status)) {
            fail_msg("track frame %d: %s", f, status.message);
        }
        assert_int_equal(frames[f].skin->count, skin_count);
        double psnr = mean_psnr(frames[f].skin, &check);
        ds_track_joint_state(model, &frames[f].transforms, positions, rotations);
        ds_truth_error error = ds_truth_compare(&truth, &anchors, f, positions);
        print_message("frame %d: held-out PSNR %.2f dB, joint error %.2f cm, true motion %.2f cm\n",
                      f, psnr, 100 * error.mean, 100 * error.mean_motion);
        /* Quality holds, and the joints follow the figure: closer to where it went than to
         * where it was, and within 3% of its size. */
        assert_true(psnr > first_psnr - 1.5);
        assert_true(error.mean < 0.5 * error.mean_motion);
        assert_true(error.mean < 0.03 * size);
        free_views(&fine);
        free_views(&rough);
        free_views(&check);
    }
    for (int f = 0; f < FRAMES; f++) {
        ds_track_frame_free(&frames[f]);
    }
    free(positions);
    free(rotations);
    ds_truth_anchors_free(&anchors);
    ds_truth_free(&truth);
    ds_track_model_free(model);
    ds_capture_free(capture);
    ds_capture_free(half);
    char command[700];
    snprintf(command, sizeof command, "rm -rf '%s'", directory);
    assert_int_equal(system(command), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fit_and_track_follow_the_figure),
    };
    return cmocka_run_group_tests_name("synthetic_tracking", tests, NULL, NULL);
}
