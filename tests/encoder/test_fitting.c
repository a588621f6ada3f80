/* Densification, the scale regularisers, the trainer, the visual hull, checkpoints and the
 * whole first-frame fit, on small synthetic scenes. */
#define _POSIX_C_SOURCE 200809L
#include "encoder_tests.h"
#include "render_tests.h"
#include "test_support.h"

#include "encoder/densification.h"
#include "encoder/first_frame_fit.h"
#include "encoder/fit_checkpoint.h"
#include "encoder/gaussian_trainer.h"
#include "encoder/scale_regularizers.h"
#include "encoder/visual_hull.h"
#include "render/rasterizer.h"
#include "render/view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- densification ---- */

static ds_adam *optimizer_for(const ds_gaussian_cloud *cloud) {
    ds_adam *adam;
    assert_int_equal(ds_adam_create(NULL, &adam).code, DS_OK);
    for (int g = 0; g < DS_PARAMETER_GROUPS; g++) {
        size_t index;
        assert_int_equal(
            ds_adam_add_group(adam, cloud->count, ds_parameter_width(cloud, g), 0.01, &index).code,
            DS_OK);
    }
    return adam;
}

static void densify_clones_splits_and_prunes(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(4, 1, &cloud).code, DS_OK);
    /* 0: small, high gradient -> clone; 1: large, high gradient -> split into two;
     * 2: low gradient -> stays; 3: faint -> pruned. */
    const float sizes[4] = {0.005f, 0.5f, 0.05f, 0.05f};
    for (size_t i = 0; i < 4; i++) {
        for (int k = 0; k < 3; k++) {
            cloud->positions[i * 3 + (size_t)k] = (float)i;
            cloud->log_scales[i * 3 + (size_t)k] = logf(sizes[i]);
        }
        cloud->opacity_logits[i] = i == 3 ? ds_logit(0.001f) : ds_logit(0.5f);
        cloud->sh[i * 12] = (float)i;
    }
    ds_adam *adam = optimizer_for(cloud);
    ds_densify_statistics statistics = {0};
    assert_int_equal(ds_densify_statistics_reset(&statistics, 4).code, DS_OK);
    const float gradients[4] = {1e-3f, 1e-3f, 1e-5f, 1e-3f};
    for (size_t i = 0; i < 4; i++) {
        statistics.gradient_sum[i] = 2 * gradients[i];
        statistics.views[i] = 2;
    }
    ds_densify_settings settings = {.gradient_threshold = 2e-4f,
                                    .dense_fraction = 0.01f,
                                    .extent = 5.0f,
                                    .min_opacity = 0.005f};
    uint64_t random = 7;
    ds_densify_result result;
    assert_int_equal(
        ds_densify_and_prune(cloud, adam, &statistics, &settings, &random, &result).code, DS_OK);
    /* Gaussian 3 is faint: pruned (it also had a high gradient, so it was cloned first; the
     * clone is faint too and goes as well). */
    assert_int_equal(result.split, 1);
    assert_int_equal(result.cloned, 2);
    assert_int_equal(result.pruned, 2);
    /* Left: 0, 2, the clone of 0, and the two halves of 1. */
    assert_int_equal(cloud->count, 5);
    assert_true(cloud->sh[0 * 12] == 0.0f && cloud->sh[1 * 12] == 2.0f);
    assert_true(cloud->sh[2 * 12] == 0.0f); /* the clone */
    for (size_t i = 3; i < 5; i++) {
        assert_true(cloud->sh[i * 12] == 1.0f);
        test_assert_close(expf(cloud->log_scales[i * 3]), 0.5 / 1.6, 1e-6, "split scale", i);
        /* Drawn from the original Gaussian: within a few standard deviations of its centre. */
        assert_true(fabsf(cloud->positions[i * 3] - 1.0f) < 2.5f);
    }
    for (int g = 0; g < DS_PARAMETER_GROUPS; g++) {
        assert_int_equal(ds_adam_entries(adam, (size_t)g), 5);
    }
    assert_int_equal(statistics.count, 5);
    assert_true(statistics.views[0] == 0); /* reset */
    ds_densify_statistics_free(&statistics);
    ds_adam_free(adam);
    ds_gaussian_cloud_free(cloud);
}

static void opacity_reset_caps_and_clears_moments(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(2, 0, &cloud).code, DS_OK);
    cloud->opacity_logits[0] = 3.0f;
    cloud->opacity_logits[1] = -6.0f;
    ds_adam *adam = optimizer_for(cloud);
    float gradient[2] = {1, 1};
    assert_int_equal(
        ds_adam_step(adam, DS_PARAMETER_OPACITY, cloud->opacity_logits, gradient, 2).code, DS_OK);
    assert_int_equal(ds_reset_opacity(cloud, adam, 0.01f).code, DS_OK);
    test_assert_close(ds_sigmoid(cloud->opacity_logits[0]), 0.01, 1e-6, "opacity", 0);
    assert_true(ds_sigmoid(cloud->opacity_logits[1]) < 0.01f);
    assert_true(ds_adam_first_moments(adam, DS_PARAMETER_OPACITY)[0] == 0.0f);
    ds_adam_free(adam);
    ds_gaussian_cloud_free(cloud);
}

/* ---- scale regularisers: gradient against central differences ---- */

/* The regularisers written out again in double, with the mean scale held fixed as the gradient
 * treats it. */
static double regularizer_value(const ds_gaussian_cloud *cloud, double mean_scale) {
    double isotropy = 0, size = 0;
    for (size_t i = 0; i < cloud->count; i++) {
        double s[3];
        for (int k = 0; k < 3; k++) {
            s[k] = exp(cloud->log_scales[i * 3 + (size_t)k]);
        }
        double largest = fmax(s[0], fmax(s[1], s[2])), smallest = fmin(s[0], fmin(s[1], s[2]));
        isotropy += fmax(largest / (smallest + 1e-8), 4.0) - 4.0;
        size += fmax(largest - 5 * mean_scale, 0.0) + fmax(0.2 * mean_scale - largest, 0.0);
    }
    return 0.002 * isotropy / (double)cloud->count + size;
}

static void scale_regularizer_gradients_match(void **state) {
    (void)state;
    ds_camera camera = test_camera(32, 32);
    ds_gaussian_cloud *cloud = random_scene(&camera, 40, 0, 9);
    /* Spread the sizes so both bounds and the ratio are active somewhere. */
    for (size_t i = 0; i < 40; i++) {
        cloud->log_scales[i * 3] += (float)(i % 5) - 2.0f;
    }
    double mean_scale = 0;
    for (size_t i = 0; i < 40 * 3; i++) {
        mean_scale += exp(cloud->log_scales[i]) / (40 * 3);
    }
    float *gradient = calloc(40 * 3, sizeof *gradient);
    ds_scale_regularizer_terms terms = ds_scale_regularizers(cloud, 0.002, 1.0, gradient);
    test_assert_close(0.002 * terms.isotropy + terms.size, regularizer_value(cloud, mean_scale),
                      1e-6, "value", 0);
    size_t active = 0;
    for (size_t i = 0; i < 40 * 3; i++) {
        float saved = cloud->log_scales[i];
        const float h = 1e-3f;
        cloud->log_scales[i] = saved + h;
        double plus = regularizer_value(cloud, mean_scale);
        cloud->log_scales[i] = saved - h;
        double minus = regularizer_value(cloud, mean_scale);
        cloud->log_scales[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        test_assert_close(gradient[i], numeric, 1e-3 * (1 + fabs(numeric)), "log scale gradient",
                          i / 3);
        active += gradient[i] != 0.0f;
    }
    assert_true(active > 10);
    free(gradient);
    ds_gaussian_cloud_free(cloud);
}

/* ---- a synthetic multi-view scene ---- */

typedef struct scene_views {
    size_t count;
    ds_camera *cameras;
    ds_image *images;
} scene_views;

/* `count` cameras around the origin, alternately above and below it (as capture rigs stack
 * cameras), looking at it, and renders of `truth`. */
static scene_views ring_views(const ds_gaussian_cloud *truth, size_t count, int width, int height) {
    scene_views views = {count, calloc(count, sizeof(ds_camera)), calloc(count, sizeof(ds_image))};
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    ds_raster_settings settings = {.background = {1, 1, 1}, .sh_degree = -1};
    for (size_t i = 0; i < count; i++) {
        double angle = 2 * 3.14159265358979 * (double)i / (double)count;
        double elevation = i % 2 ? 1.2 : -1.2;
        const double eye[3] = {3 * sin(angle), elevation, 3 * cos(angle)}, target[3] = {0, 0, 0};
        assert_int_equal(
            ds_camera_look_at(eye, target, ds_default_up, 60, width, height, &views.cameras[i])
                .code,
            DS_OK);
        assert_int_equal(ds_image_create(width, height, &views.images[i]).code, DS_OK);
        assert_int_equal(
            ds_rasterize(rasterizer, truth, &views.cameras[i], &settings, &views.images[i]).code,
            DS_OK);
    }
    ds_rasterizer_free(rasterizer);
    return views;
}

static void free_views(scene_views *views) {
    for (size_t i = 0; i < views->count; i++) {
        ds_image_free(&views->images[i]);
    }
    free(views->cameras);
    free(views->images);
}

/* A coloured blob of Gaussians inside the unit sphere. */
static ds_gaussian_cloud *blob(size_t count, uint32_t seed) {
    ds_gaussian_cloud *cloud = scattered_scene(count, seed, 0.08f);
    for (size_t i = 0; i < count; i++) {
        cloud->opacity_logits[i] = 3.0f;
    }
    return cloud;
}

static void trainer_reduces_the_loss(void **state) {
    (void)state;
    ds_gaussian_cloud *truth = blob(60, 1);
    scene_views views = ring_views(truth, 6, 40, 32);
    /* Start from the truth, scrambled: colours and opacities wrong, positions moved. */
    ds_gaussian_cloud *start;
    assert_int_equal(ds_gaussian_cloud_clone(truth, &start).code, DS_OK);
    for (size_t i = 0; i < start->count; i++) {
        start->sh[i * 12] = start->sh[i * 12 + 1] = start->sh[i * 12 + 2] = 0.0f;
        start->opacity_logits[i] = 0.0f;
        start->positions[i * 3] += 0.05f;
    }
    ds_trainer_settings settings = ds_trainer_default_settings(3.0, 300);
    settings.densify_from = 50;
    settings.densify_until = 200;
    settings.opacity_reset_interval = 0;
    settings.reset_opacity_at_densify_from = false;
    settings.sh_degree_interval = 0;
    ds_trainer *trainer;
    assert_int_equal(ds_trainer_create(start, &settings, &trainer).code, DS_OK);
    double first = 0, last = 0;
    for (int step = 0; step < 300; step++) {
        size_t v = (size_t)step % views.count;
        ds_trainer_report report;
        ds_status status = ds_trainer_step(trainer, &views.cameras[v], &views.images[v], &report);
        if (ds_failed(&status)) {
            fail_msg("step %d: %s", step, status.message);
        }
        if (step < 6) {
            first += report.psnr / 6;
        }
        if (step >= 294) {
            last += report.psnr / 6;
        }
    }
    print_message("trainer: PSNR %.1f dB -> %.1f dB, %zu Gaussians\n", first, last,
                  ds_trainer_cloud(trainer)->count);
    assert_true(last > first + 5);
    ds_trainer_free(trainer);
    free_views(&views);
    ds_gaussian_cloud_free(truth);
}

static void visual_hull_finds_the_object(void **state) {
    (void)state;
    ds_gaussian_cloud *truth = blob(200, 2);
    scene_views views = ring_views(truth, 16, 64, 48);
    ds_visual_hull_settings settings = ds_visual_hull_default_settings();
    settings.resolution = 48;
    ds_gaussian_cloud *hull;
    ds_visual_hull_report report;
    const float white[3] = {1, 1, 1};
    ds_status status =
        ds_visual_hull(views.cameras, views.images, views.count, white, &settings, &hull, &report);
    if (ds_failed(&status)) {
        fail_msg("hull: %s", status.message);
    }
    assert_true(hull->count > 100);
    /* The blob is a cube of side 1 of Gaussians 0.08 wide; 16 views carve its hull loosely
     * toward the corners, but most points lie close to it and none far away. */
    size_t near = 0;
    for (size_t i = 0; i < hull->count; i++) {
        float distance = 0;
        for (int k = 0; k < 3; k++) {
            distance = fmaxf(distance, fabsf(hull->positions[i * 3 + (size_t)k]));
        }
        assert_true(distance < 2.0f);
        near += distance < 1.0f;
    }
    print_message("hull: %zu points, %zu within 1 unit\n", hull->count, near);
    assert_true(near >= hull->count * 9 / 10);
    for (int k = 0; k < 3; k++) {
        assert_true(fabs(report.center[k]) < 0.2);
    }
    ds_gaussian_cloud_free(hull);

    /* Blank images: nothing to carve from. */
    for (size_t i = 0; i < views.count; i++) {
        for (size_t p = 0; p < 64 * 48 * 3; p++) {
            views.images[i].pixels[p] = 1.0f;
        }
    }
    status =
        ds_visual_hull(views.cameras, views.images, views.count, white, &settings, &hull, &report);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "silhouette"));
    free_views(&views);
    ds_gaussian_cloud_free(truth);
}

/* ---- the whole fit, interrupted and resumed ---- */

typedef struct stopper {
    int stage;
    int64_t at;
    bool fired;
} stopper;

static bool stop_once(void *context, const ds_fit_progress *progress) {
    stopper *s = context;
    if (!s->fired && progress->stage == s->stage && progress->iteration == s->at) {
        s->fired = true;
        return false;
    }
    return true;
}

static ds_fit_settings small_fit(const char *checkpoint) {
    ds_fit_settings settings = ds_fit_default_settings();
    settings.joint_iterations = 120;
    settings.skin_iterations = 160;
    settings.joint_count = 150;
    settings.hull.resolution = 32;
    settings.hull.max_points = 600;
    settings.checkpoint_path = checkpoint;
    settings.checkpoint_interval = 50;
    return settings;
}

static void interrupted_fit_resumes_to_the_same_result(void **state) {
    (void)state;
    ds_gaussian_cloud *truth = blob(150, 3);
    scene_views views = ring_views(truth, 6, 48, 40);
    ds_fit_views fit_views = {views.count, views.cameras, views.images};
    char checkpoint[] = "/tmp/dualsplat-fit-XXXXXX";
    int fd = mkstemp(checkpoint);
    assert_true(fd >= 0);
    close(fd);
    unlink(checkpoint);

    /* Uninterrupted, without a checkpoint. */
    ds_fit_settings plain = small_fit(NULL);
    ds_gaussian_cloud *joints_a, *skin_a;
    assert_int_equal(
        ds_fit_first_frame(&fit_views, &fit_views, &plain, NULL, NULL, &joints_a, &skin_a).code,
        DS_OK);
    assert_true(joints_a->count <= 2 * 150);

    /* Stopped in each stage, then run again to the end. */
    ds_fit_settings resumable = small_fit(checkpoint);
    ds_gaussian_cloud *joints_b = NULL, *skin_b = NULL;
    stopper stops[2] = {{DS_FIT_STAGE_JOINTS, 77, false}, {DS_FIT_STAGE_SKIN, 33, false}};
    for (int s = 0; s < 2; s++) {
        ds_status status = ds_fit_first_frame(&fit_views, &fit_views, &resumable, stop_once,
                                              &stops[s], &joints_b, &skin_b);
        assert_int_equal(status.code, DS_ERR_INTERRUPTED);
        assert_true(stops[s].fired);
    }
    assert_int_equal(
        ds_fit_first_frame(&fit_views, &fit_views, &resumable, NULL, NULL, &joints_b, &skin_b).code,
        DS_OK);
    test_assert_clouds_identical(joints_a, joints_b);
    test_assert_clouds_identical(skin_a, skin_b);

    /* A damaged checkpoint is refused, not used: the fit starts over and still succeeds. */
    FILE *file = fopen(checkpoint, "r+b");
    assert_non_null(file);
    fseek(file, 100, SEEK_SET);
    fputc(0x5a, file);
    fclose(file);
    ds_fit_checkpoint loaded;
    ds_status status = ds_fit_checkpoint_load(checkpoint, &loaded);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "checksum"));

    unlink(checkpoint);
    ds_gaussian_cloud_free(joints_a);
    ds_gaussian_cloud_free(skin_a);
    ds_gaussian_cloud_free(joints_b);
    ds_gaussian_cloud_free(skin_b);
    free_views(&views);
    ds_gaussian_cloud_free(truth);
}

int run_fitting_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(densify_clones_splits_and_prunes),
        cmocka_unit_test(opacity_reset_caps_and_clears_moments),
        cmocka_unit_test(scale_regularizer_gradients_match),
        cmocka_unit_test(trainer_reduces_the_loss),
        cmocka_unit_test(visual_hull_finds_the_object),
        cmocka_unit_test(interrupted_fit_resumes_to_the_same_result),
    };
    return cmocka_run_group_tests_name("fitting", tests, NULL, NULL);
}
