#include "tracking.h"
#include "render/parallel.h"

#include "encoder/adam.h"
#include "encoder/gaussian_trainer.h"
#include "encoder/learning_rate.h"
#include "encoder/photometric_loss.h"
#include "encoder/raster_backward.h"
#include "encoder/rigidity.h"
#include "render/projection.h"
#include "render/rasterizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* HiFi4G's rig: cameras about 4 m from the performer, E = 4.4 m, with l = 0.02 m. */
#define REFERENCE_EXTENT 4.4
#define REFERENCE_LENGTH 0.02

ds_track_settings ds_track_default_settings(void) {
    return (ds_track_settings){
        .coarse_iterations = 300,
        .fine_iterations = 800,
        .background = {1.0f, 1.0f, 1.0f},
        .coarse_rigidity = 0.05,
        /* 10x the reference's 0.001: with a few hundred steps per frame instead of 15,000,
         * rigidity has to hold the skin together where the images alone have not yet
         * (measured on the synthetic bench: half the joint drift, a steady PSNR). */
        .fine_rigidity = 0.01,
        .color_temporal = 1e-5,
        .shape_temporal = 3e-8,
        .coarse_position_lr = 1.6e-4,
        .coarse_rotation_lr = 0.001,
        .fine_translation_lr = 1.6e-4,
        .fine_rotation_lr = 0.001,
        /* 4x the reference's 2.5e-4, for the same reason as the rigidity: the reference has
         * 15,000 steps per frame. A part turning against the light changes its shading by more
         * than 800 steps at 2.5e-4 can follow (on the synthetic bench's fast hand waving at
         * the end, the PSNR drop grew from 1.1 to 2.0 dB; at 1e-3 it stays below 1.3). */
        .color_lr = 1e-3,
        .seed = 1,
    };
}

/* ---- the model ---- */

ds_status ds_track_model_create(ds_gaussian_cloud *joints, ds_gaussian_cloud *skin, float length,
                                double extent, ds_track_model **out) {
    *out = NULL;
    ds_track_model *m = calloc(1, sizeof *m);
    if (!m) {
        ds_gaussian_cloud_free(joints);
        ds_gaussian_cloud_free(skin);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a tracking model");
    }
    m->joints = joints;
    m->skin = skin;
    if (skin->sh_degree != joints->sh_degree) {
        ds_track_model_free(m);
        return ds_error(DS_ERR_ARGUMENT, "joints and skin have different SH degrees");
    }
    for (size_t i = 0; i < skin->count; i++) {
        ds_quaternion_normalize(skin->rotations + i * 4);
    }
    for (size_t i = 0; i < joints->count; i++) {
        ds_quaternion_normalize(joints->rotations + i * 4);
    }
    m->binding_length = length > 0 ? length : (float)(REFERENCE_LENGTH * extent / REFERENCE_EXTENT);
    ds_status status = ds_binding_compute(skin->positions, skin->count, joints->positions,
                                          joints->count, m->binding_length, &m->binding);
    if (!ds_failed(&status)) {
        status = ds_neighbor_graph_compute(joints->positions, joints->count, m->binding_length,
                                           &m->joint_graph);
    }
    if (!ds_failed(&status)) {
        status = ds_neighbor_graph_compute(skin->positions, skin->count, m->binding_length,
                                           &m->skin_graph);
    }
    if (ds_failed(&status)) {
        ds_track_model_free(m);
        return status;
    }
    *out = m;
    return ds_ok();
}

void ds_track_model_free(ds_track_model *m) {
    if (!m) {
        return;
    }
    ds_gaussian_cloud_free(m->joints);
    ds_gaussian_cloud_free(m->skin);
    ds_binding_free(&m->binding);
    ds_binding_free(&m->joint_graph);
    ds_binding_free(&m->skin_graph);
    free(m);
}

ds_status ds_track_frame_first(const ds_track_model *model, ds_track_frame *frame) {
    memset(frame, 0, sizeof *frame);
    ds_status status = ds_joint_transforms_create(model->joints->count, &frame->transforms);
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_clone(model->skin, &frame->skin);
    }
    if (ds_failed(&status)) {
        ds_track_frame_free(frame);
    }
    return status;
}

void ds_track_frame_free(ds_track_frame *frame) {
    ds_joint_transforms_free(&frame->transforms);
    ds_gaussian_cloud_free(frame->skin);
    frame->skin = NULL;
}

void ds_track_joint_state(const ds_track_model *model, const ds_joint_transforms *transforms,
                          float *positions, float *rotations) {
    const ds_gaussian_cloud *joints = model->joints;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(joints->count))
    for (size_t j = 0; j < joints->count; j++) {
        float q[4], m[9];
        memcpy(q, transforms->rotations + j * 4, sizeof q);
        ds_quaternion_normalize(q);
        ds_quaternion_to_matrix(q, m);
        const float *x0 = joints->positions + j * 3;
        for (int r = 0; r < 3; r++) {
            positions[j * 3 + (size_t)r] = m[r * 3] * x0[0] + m[r * 3 + 1] * x0[1] +
                                           m[r * 3 + 2] * x0[2] +
                                           transforms->translations[j * 3 + (size_t)r];
        }
        ds_quaternion_multiply(q, joints->rotations + j * 4, rotations + j * 4);
    }
}

/* ---- views in a seeded random order per epoch ---- */

static size_t pick_view(uint64_t *state, size_t count) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (size_t)((*state * 2685821657736338717ull) >> 33) % count;
}

/* ---- coarse stage ---- */

typedef struct coarse_rigidity {
    const ds_neighbor_graph *graph;
    const float *rest_positions, *rest_rotations;
    double weight;
    ds_rigidity workspace;
} coarse_rigidity;

static double coarse_extra_loss(void *context, const ds_gaussian_cloud *cloud,
                                ds_gaussian_cloud *gradient) {
    coarse_rigidity *c = context;
    return ds_rigidity_evaluate(&c->workspace, c->graph, c->rest_positions, c->rest_rotations,
                                cloud->positions, cloud->rotations, c->weight, gradient->positions,
                                gradient->rotations);
}

/* Moves the joints to the new frame; leaves their positions and rotations in `positions` and
 * `rotations`. */
static ds_status coarse_stage(const ds_track_model *model, const float *previous_positions,
                              const float *previous_rotations, const float *predicted_positions,
                              const ds_fit_views *views, const ds_track_settings *s, double extent,
                              ds_track_callback callback, void *context, float *positions,
                              float *rotations) {
    ds_gaussian_cloud *joints;
    ds_status status = ds_gaussian_cloud_clone(model->joints, &joints);
    if (ds_failed(&status)) {
        return status;
    }
    size_t n = joints->count;
    memcpy(joints->positions, predicted_positions, n * 3 * sizeof(float));
    memcpy(joints->rotations, previous_rotations, n * 4 * sizeof(float));

    ds_trainer_settings settings = ds_trainer_default_settings(extent, s->coarse_iterations);
    memcpy(settings.background, s->background, sizeof settings.background);
    settings.position_lr_init = s->coarse_position_lr * extent;
    settings.position_lr_final = 0.01 * settings.position_lr_init;
    settings.rotation_lr = s->coarse_rotation_lr;
    settings.scale_lr = settings.opacity_lr = settings.dc_lr = settings.rest_lr = 0.0;
    settings.lambda_dssim = 0.0f; /* L1 only, as the reference's coarse stage */
    settings.sh_degree_interval = 0;
    settings.densify_until = 0;
    settings.opacity_reset_interval = 0;
    settings.reset_opacity_at_densify_from = false;
    settings.seed = s->seed;
    ds_trainer *trainer;
    status = ds_trainer_create(joints, &settings, &trainer);
    if (ds_failed(&status)) {
        return status;
    }
    bool to_first = s->rigidity_reference == DS_RIGIDITY_TO_FIRST;
    coarse_rigidity rigidity = {&model->joint_graph,
                                to_first ? model->joints->positions : previous_positions,
                                to_first ? model->joints->rotations : previous_rotations,
                                s->coarse_rigidity,
                                {0}};
    ds_trainer_set_extra_loss(trainer, coarse_extra_loss, &rigidity);
    uint64_t order = s->seed * 0x9e3779b97f4a7c15ull + 1;
    for (int64_t step = 1; step <= s->coarse_iterations && !ds_failed(&status); step++) {
        size_t v = pick_view(&order, views->count);
        ds_trainer_report report;
        status = ds_trainer_step(trainer, &views->cameras[v], &views->images[v], &report);
        ds_track_progress progress = {DS_TRACK_COARSE, step, s->coarse_iterations, report.loss,
                                      report.psnr};
        if (!ds_failed(&status) && callback && !callback(context, &progress)) {
            status = ds_error(DS_ERR_INTERRUPTED, "stopped while tracking a frame");
        }
    }
    if (!ds_failed(&status)) {
        const ds_gaussian_cloud *result = ds_trainer_cloud(trainer);
        memcpy(positions, result->positions, n * 3 * sizeof(float));
        memcpy(rotations, result->rotations, n * 4 * sizeof(float));
    }
    ds_rigidity_free(&rigidity.workspace);
    ds_trainer_free(trainer);
    return status;
}

/* The transforms that take the canonical joints to the given positions and rotations. */
static void transforms_from_joints(const ds_track_model *model, const float *positions,
                                   const float *rotations, ds_joint_transforms *transforms) {
    const ds_gaussian_cloud *joints = model->joints;
    for (size_t j = 0; j < joints->count; j++) {
        const float *q0 = joints->rotations + j * 4;
        const float conjugate[4] = {q0[0], -q0[1], -q0[2], -q0[3]};
        float q[4], relative[4], m[9];
        memcpy(q, rotations + j * 4, sizeof q);
        ds_quaternion_normalize(q);
        ds_quaternion_multiply(q, conjugate, relative);
        ds_quaternion_normalize(relative);
        ds_quaternion_to_matrix(relative, m);
        memcpy(transforms->rotations + j * 4, relative, sizeof relative);
        const float *x0 = joints->positions + j * 3;
        for (int r = 0; r < 3; r++) {
            transforms->translations[j * 3 + (size_t)r] =
                positions[j * 3 + (size_t)r] -
                (m[r * 3] * x0[0] + m[r * 3 + 1] * x0[1] + m[r * 3 + 2] * x0[2]);
        }
    }
}

/* ---- fine stage ---- */

enum { FINE_ROTATIONS, FINE_TRANSLATIONS, FINE_OPACITY, FINE_SCALES, FINE_SH, FINE_GROUPS };

/* Adds weight * ||current - previous|| (Frobenius, not squared) over `count` floats taken
 * `width` at a time from rows of `stride` starting at `offset`, and its gradient. */
static double temporal_term(const float *current, const float *previous, float *gradient,
                            size_t rows, size_t stride, size_t offset, size_t width,
                            double weight) {
    double sum = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < width; c++) {
            double d = current[r * stride + offset + c] - previous[r * stride + offset + c];
            sum += d * d;
        }
    }
    double norm = sqrt(sum);
    if (norm > 0 && gradient) {
        float scale = (float)(weight / norm);
        for (size_t r = 0; r < rows; r++) {
            for (size_t c = 0; c < width; c++) {
                size_t i = r * stride + offset + c;
                gradient[i] += scale * (current[i] - previous[i]);
            }
        }
    }
    return weight * norm;
}

typedef struct fine_state {
    ds_rasterizer *rasterizer;
    ds_raster_backward *backward;
    ds_photometric_loss *loss;
    ds_adam *adam;
    ds_gaussian_cloud *gradient;
    ds_joint_transforms transform_gradient;
    ds_rigidity rigidity;
    ds_image render, image_gradient;
} fine_state;

static void fine_state_free(fine_state *f) {
    ds_rasterizer_free(f->rasterizer);
    ds_raster_backward_free(f->backward);
    ds_photometric_loss_free(f->loss);
    ds_adam_free(f->adam);
    ds_gaussian_cloud_free(f->gradient);
    ds_joint_transforms_free(&f->transform_gradient);
    ds_rigidity_free(&f->rigidity);
    ds_image_free(&f->render);
    ds_image_free(&f->image_gradient);
}

static ds_status fine_state_create(const ds_track_model *model, const ds_track_settings *s,
                                   double extent, fine_state *f) {
    memset(f, 0, sizeof *f);
    const ds_gaussian_cloud *skin = model->skin;
    size_t stride = ds_gaussian_cloud_sh_stride(skin);
    ds_status status = ds_rasterizer_create(&f->rasterizer);
    if (!ds_failed(&status)) {
        status = ds_raster_backward_create(&f->backward);
    }
    if (!ds_failed(&status)) {
        status = ds_photometric_loss_create(&f->loss);
    }
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create(skin->count, skin->sh_degree, &f->gradient);
    }
    if (!ds_failed(&status)) {
        status = ds_joint_transforms_create(model->joints->count, &f->transform_gradient);
    }
    if (!ds_failed(&status)) {
        status = ds_adam_create(NULL, &f->adam);
    }
    /* METHOD.md §2.5's rates: opacity 2.5e-3, scaling 5e-4; f_dc and f_rest faster
     * (ds_track_default_settings). */
    const struct {
        size_t entries, width;
        double rate;
    } groups[FINE_GROUPS] = {
        {model->joints->count, 4, s->fine_rotation_lr},
        {model->joints->count, 3, s->fine_translation_lr * extent},
        {skin->count, 1, 2.5e-3},
        {skin->count, 3, 5e-4},
        {skin->count, stride, s->color_lr},
    };
    for (int g = 0; g < FINE_GROUPS && !ds_failed(&status); g++) {
        size_t index;
        status =
            ds_adam_add_group(f->adam, groups[g].entries, groups[g].width, groups[g].rate, &index);
    }
    if (!ds_failed(&status)) {
        float scales[48];
        for (size_t k = 0; k < stride; k++) {
            scales[k] = k < 3 ? 1.0f : 0.5f; /* f_rest at half f_dc's rate */
        }
        status = ds_adam_set_column_scales(f->adam, FINE_SH, scales, stride);
    }
    if (ds_failed(&status)) {
        fine_state_free(f);
    }
    return status;
}

static ds_status prepare_images(fine_state *f, const ds_camera *camera) {
    if (f->render.width == camera->width && f->render.height == camera->height) {
        return ds_ok();
    }
    ds_image_free(&f->render);
    ds_image_free(&f->image_gradient);
    ds_status status = ds_image_create(camera->width, camera->height, &f->render);
    if (!ds_failed(&status)) {
        status = ds_image_create(camera->width, camera->height, &f->image_gradient);
    }
    return status;
}

static double psnr_of(const ds_image *a, const ds_image *b) {
    size_t n = (size_t)a->width * (size_t)a->height * 3;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = a->pixels[i] < 0 ? 0 : (a->pixels[i] > 1 ? 1 : a->pixels[i]);
        double d = x - b->pixels[i];
        sum += d * d;
    }
    return sum > 0 ? -10.0 * log10(sum / (double)n) : 99.0;
}

/* One fine step on one view; returns the loss in *loss. */
static ds_status fine_step(fine_state *f, const ds_track_model *model,
                           const ds_track_frame *previous, ds_track_frame *next,
                           const ds_camera *camera, const ds_image *target,
                           const ds_track_settings *s, double *loss, double *psnr) {
    ds_gaussian_cloud *skin = next->skin;
    size_t n = skin->count, stride = ds_gaussian_cloud_sh_stride(skin);
    ds_status status =
        ds_skin_deform(model->skin->positions, model->skin->rotations, &model->binding,
                       &next->transforms, skin->positions, skin->rotations);
    if (!ds_failed(&status)) {
        status = prepare_images(f, camera);
    }
    ds_raster_settings raster = {.sh_degree = -1};
    memcpy(raster.background, s->background, sizeof raster.background);
    if (!ds_failed(&status)) {
        status = ds_rasterize(f->rasterizer, skin, camera, &raster, &f->render);
    }
    ds_photometric_terms terms;
    if (!ds_failed(&status)) {
        status = ds_photometric_loss_evaluate(
            f->loss, &f->render, target, DS_PHOTOMETRIC_LAMBDA_DSSIM, &terms, &f->image_gradient);
    }
    if (!ds_failed(&status)) {
        status = ds_rasterize_backward(f->backward, f->rasterizer, &f->image_gradient, f->gradient,
                                       NULL);
    }
    if (ds_failed(&status)) {
        return status;
    }
    *loss = terms.loss;
    *psnr = psnr_of(&f->render, target);
    /* Rigidity of the skinned skin against the first or the previous frame's. */
    const ds_gaussian_cloud *rest =
        s->rigidity_reference == DS_RIGIDITY_TO_FIRST ? model->skin : previous->skin;
    *loss += ds_rigidity_evaluate(&f->rigidity, &model->skin_graph, rest->positions,
                                  rest->rotations, skin->positions, skin->rotations,
                                  s->fine_rigidity, f->gradient->positions, f->gradient->rotations);
    /* Appearance stays close to the previous frame's. */
    const ds_gaussian_cloud *before = previous->skin;
    *loss +=
        temporal_term(skin->sh, before->sh, f->gradient->sh, n, stride, 0, 3, s->color_temporal);
    *loss += temporal_term(skin->sh, before->sh, f->gradient->sh, n, stride, 3, stride - 3,
                           s->color_temporal);
    *loss += temporal_term(skin->opacity_logits, before->opacity_logits,
                           f->gradient->opacity_logits, n, 1, 0, 1, s->shape_temporal);
    *loss += temporal_term(skin->log_scales, before->log_scales, f->gradient->log_scales, n, 3, 0,
                           3, s->shape_temporal);
    /* Through the skinning to the joints. */
    size_t joints = next->transforms.count;
    memset(f->transform_gradient.rotations, 0, joints * 4 * sizeof(float));
    memset(f->transform_gradient.translations, 0, joints * 3 * sizeof(float));
    status = ds_skin_deform_backward(model->skin->positions, model->skin->rotations,
                                     &model->binding, &next->transforms, f->gradient->positions,
                                     f->gradient->rotations, &f->transform_gradient);
    struct {
        float *values;
        const float *gradients;
        size_t entries;
    } steps[FINE_GROUPS] = {
        {next->transforms.rotations, f->transform_gradient.rotations, joints},
        {next->transforms.translations, f->transform_gradient.translations, joints},
        {skin->opacity_logits, f->gradient->opacity_logits, n},
        {skin->log_scales, f->gradient->log_scales, n},
        {skin->sh, f->gradient->sh, n},
    };
    for (int g = 0; g < FINE_GROUPS && !ds_failed(&status); g++) {
        status =
            ds_adam_step(f->adam, (size_t)g, steps[g].values, steps[g].gradients, steps[g].entries);
    }
    for (size_t j = 0; j < joints; j++) {
        ds_quaternion_normalize(next->transforms.rotations + j * 4);
    }
    return status;
}

static ds_status fine_stage(const ds_track_model *model, const ds_track_frame *previous,
                            ds_track_frame *next, const ds_fit_views *views,
                            const ds_track_settings *s, double extent, ds_track_callback callback,
                            void *context) {
    fine_state f;
    ds_status status = fine_state_create(model, s, extent, &f);
    if (ds_failed(&status)) {
        return status;
    }
    ds_lr_schedule translation = {s->fine_translation_lr * extent,
                                  0.01 * s->fine_translation_lr * extent, s->fine_iterations};
    ds_lr_schedule rotation = {s->fine_rotation_lr, 0.01 * s->fine_rotation_lr, s->fine_iterations};
    uint64_t order = (s->seed + 17) * 0x9e3779b97f4a7c15ull + 3;
    for (int64_t step = 1; step <= s->fine_iterations && !ds_failed(&status); step++) {
        ds_adam_set_learning_rate(f.adam, FINE_TRANSLATIONS, ds_lr_schedule_at(&translation, step));
        ds_adam_set_learning_rate(f.adam, FINE_ROTATIONS, ds_lr_schedule_at(&rotation, step));
        size_t v = pick_view(&order, views->count);
        double loss = 0, psnr = 0;
        status = fine_step(&f, model, previous, next, &views->cameras[v], &views->images[v], s,
                           &loss, &psnr);
        ds_track_progress progress = {DS_TRACK_FINE, step, s->fine_iterations, loss, psnr};
        if (!ds_failed(&status) && callback && !callback(context, &progress)) {
            status = ds_error(DS_ERR_INTERRUPTED, "stopped while tracking a frame");
        }
    }
    /* The frame's skin at the final transforms. */
    if (!ds_failed(&status)) {
        status = ds_skin_deform(model->skin->positions, model->skin->rotations, &model->binding,
                                &next->transforms, next->skin->positions, next->skin->rotations);
    }
    fine_state_free(&f);
    return status;
}

/* ---- a frame ---- */

ds_status ds_track_next(const ds_track_model *model, const ds_track_frame *previous,
                        const ds_track_frame *before_previous, const ds_fit_views *coarse_views,
                        const ds_fit_views *fine_views, const ds_track_settings *settings,
                        ds_track_callback callback, void *context, ds_track_frame *next) {
    memset(next, 0, sizeof *next);
    if (coarse_views->count == 0 || fine_views->count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "tracking needs training views");
    }
    size_t joints = model->joints->count;
    double extent = settings->extent > 0 ? settings->extent
                                         : ds_camera_extent(fine_views->cameras, fine_views->count);
    /* Joint state of the previous frames: positions and rotations. */
    float *state = malloc(joints * (3 + 4 + 3 + 4 + 3 + 4) * sizeof(float));
    if (!state) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint states");
    }
    float *previous_positions = state, *previous_rotations = state + joints * 3;
    float *older_positions = previous_rotations + joints * 4;
    float *older_rotations = older_positions + joints * 3;
    float *positions = older_rotations + joints * 4, *rotations = positions + joints * 3;
    ds_track_joint_state(model, &previous->transforms, previous_positions, previous_rotations);
    if (before_previous) {
        ds_track_joint_state(model, &before_previous->transforms, older_positions, older_rotations);
    } else {
        memcpy(older_positions, previous_positions, joints * 3 * sizeof(float));
    }
    /* Constant velocity: x_t = x_{t-1} + (x_{t-1} - x_{t-2}); rotations are kept. */
    for (size_t i = 0; i < joints * 3; i++) {
        positions[i] = 2.0f * previous_positions[i] - older_positions[i];
    }
    ds_status status =
        coarse_stage(model, previous_positions, previous_rotations, positions, coarse_views,
                     settings, extent, callback, context, positions, rotations);
    if (!ds_failed(&status)) {
        status = ds_joint_transforms_create(joints, &next->transforms);
    }
    if (!ds_failed(&status)) {
        transforms_from_joints(model, positions, rotations, &next->transforms);
        /* The appearance starts from the previous frame's. */
        status = ds_gaussian_cloud_clone(previous->skin, &next->skin);
    }
    if (!ds_failed(&status)) {
        status = fine_stage(model, previous, next, fine_views, settings, extent, callback, context);
    }
    free(state);
    if (ds_failed(&status)) {
        ds_track_frame_free(next);
    }
    return status;
}
