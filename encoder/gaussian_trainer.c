#include "gaussian_trainer.h"
#include "render/parallel.h"

#include "encoder/learning_rate.h"
#include "encoder/photometric_loss.h"
#include "encoder/raster_backward.h"
#include "encoder/scale_regularizers.h"
#include "render/rasterizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ds_trainer {
    ds_trainer_settings settings;
    ds_gaussian_cloud *cloud;
    ds_gaussian_cloud *gradient;
    ds_adam *adam;
    ds_rasterizer *rasterizer;
    ds_raster_backward *backward;
    ds_photometric_loss *loss;
    ds_densify_statistics statistics;
    float *screen_gradient;
    size_t screen_capacity;
    ds_image render, image_gradient;
    int64_t iteration;
    uint64_t random_state;
    ds_trainer_extra_loss extra_loss;
    void *extra_loss_context;
};

void ds_trainer_set_extra_loss(ds_trainer *t, ds_trainer_extra_loss loss, void *context) {
    t->extra_loss = loss;
    t->extra_loss_context = context;
}

ds_trainer_settings ds_trainer_default_settings(double extent, int64_t iterations) {
    ds_trainer_settings s = {
        .position_lr_init = 1.6e-4 * extent,
        .position_lr_final = 1.6e-6 * extent,
        .position_lr_steps = iterations,
        .rotation_lr = 0.001,
        .scale_lr = 0.005,
        .opacity_lr = 0.025,
        .dc_lr = 0.0025,
        .rest_lr = 0.0025 / 20.0,
        .lambda_dssim = 0.2f,
        .sh_degree_interval = 1000,
        .densify_from = 500,
        .densify_until = iterations / 2,
        .densify_interval = 100,
        .opacity_reset_interval = 3000,
        .reset_opacity_at_densify_from = true,
        .opacity_reset_ceiling = 0.01f,
        .densify = {.gradient_threshold = 2e-4f,
                    .dense_fraction = 0.01f,
                    .extent = (float)extent,
                    .min_opacity = 0.005f,
                    .max_screen_radius = 20.0f,
                    .max_world_fraction = 0.1f},
        .background = {1.0f, 1.0f, 1.0f},
        .seed = 1,
    };
    return s;
}

/* Creates the optimiser's groups for the current cloud, in DS_PARAMETER_* order. */
static ds_status create_optimizer(ds_trainer *t) {
    ds_adam_free(t->adam);
    t->adam = NULL;
    ds_status status = ds_adam_create(NULL, &t->adam);
    if (ds_failed(&status)) {
        return status;
    }
    const double rates[DS_PARAMETER_GROUPS] = {t->settings.position_lr_init,
                                               t->settings.rotation_lr, t->settings.scale_lr,
                                               t->settings.opacity_lr, t->settings.dc_lr};
    for (int g = 0; g < DS_PARAMETER_GROUPS; g++) {
        size_t index;
        status = ds_adam_add_group(t->adam, t->cloud->count, ds_parameter_width(t->cloud, g),
                                   rates[g], &index);
        if (ds_failed(&status)) {
            return status;
        }
    }
    /* SH: the DC columns learn at dc_lr, the higher orders at rest_lr. */
    size_t width = ds_parameter_width(t->cloud, DS_PARAMETER_SH);
    float scales[3 * 16];
    for (size_t k = 0; k < width; k++) {
        /* (With the colours frozen, dc_lr is 0 and so is every step: the scale does not matter.) */
        scales[k] = k < 3 || t->settings.dc_lr == 0.0
                        ? 1.0f
                        : (float)(t->settings.rest_lr / t->settings.dc_lr);
    }
    return ds_adam_set_column_scales(t->adam, DS_PARAMETER_SH, scales, width);
}

ds_status ds_trainer_create(ds_gaussian_cloud *cloud, const ds_trainer_settings *settings,
                            ds_trainer **out) {
    *out = NULL;
    ds_trainer *t = calloc(1, sizeof *t);
    if (!t) {
        ds_gaussian_cloud_free(cloud);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a trainer");
    }
    t->settings = *settings;
    t->cloud = cloud;
    t->random_state = settings->seed ? settings->seed : 1;
    ds_status status = ds_rasterizer_create(&t->rasterizer);
    if (!ds_failed(&status)) {
        status = ds_raster_backward_create(&t->backward);
    }
    if (!ds_failed(&status)) {
        status = ds_photometric_loss_create(&t->loss);
    }
    if (!ds_failed(&status)) {
        status = ds_trainer_replace_cloud(t, NULL);
    }
    if (ds_failed(&status)) {
        ds_trainer_free(t);
        return status;
    }
    *out = t;
    return ds_ok();
}

ds_status ds_trainer_replace_cloud(ds_trainer *t, ds_gaussian_cloud *cloud) {
    if (cloud) {
        ds_gaussian_cloud_free(t->cloud);
        t->cloud = cloud;
    }
    ds_gaussian_cloud_free(t->gradient);
    t->gradient = NULL;
    ds_status status = ds_gaussian_cloud_create(t->cloud->count, t->cloud->sh_degree, &t->gradient);
    if (!ds_failed(&status)) {
        status = create_optimizer(t);
    }
    if (!ds_failed(&status)) {
        status = ds_densify_statistics_reset(&t->statistics, t->cloud->count);
    }
    return status;
}

void ds_trainer_free(ds_trainer *t) {
    if (!t) {
        return;
    }
    ds_gaussian_cloud_free(t->cloud);
    ds_gaussian_cloud_free(t->gradient);
    ds_adam_free(t->adam);
    ds_rasterizer_free(t->rasterizer);
    ds_raster_backward_free(t->backward);
    ds_photometric_loss_free(t->loss);
    ds_densify_statistics_free(&t->statistics);
    free(t->screen_gradient);
    ds_image_free(&t->render);
    ds_image_free(&t->image_gradient);
    free(t);
}

ds_gaussian_cloud *ds_trainer_cloud(ds_trainer *t) {
    return t->cloud;
}

int64_t ds_trainer_iteration(const ds_trainer *t) {
    return t->iteration;
}

ds_adam *ds_trainer_optimizer(ds_trainer *t) {
    return t->adam;
}

ds_densify_statistics *ds_trainer_statistics(ds_trainer *t) {
    return &t->statistics;
}

void ds_trainer_set_iteration(ds_trainer *t, int64_t iteration, uint64_t random_state) {
    t->iteration = iteration;
    t->random_state = random_state ? random_state : 1;
}

uint64_t ds_trainer_random_state(const ds_trainer *t) {
    return t->random_state;
}

/* Buffers sized for this view and cloud. */
static ds_status prepare_buffers(ds_trainer *t, const ds_camera *camera) {
    if (t->render.width != camera->width || t->render.height != camera->height) {
        ds_image_free(&t->render);
        ds_image_free(&t->image_gradient);
        ds_status status = ds_image_create(camera->width, camera->height, &t->render);
        if (!ds_failed(&status)) {
            status = ds_image_create(camera->width, camera->height, &t->image_gradient);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    if (t->cloud->count * 2 > t->screen_capacity || !t->screen_gradient) {
        size_t capacity = t->cloud->count * 2 + t->cloud->count + 16;
        float *grown = realloc(t->screen_gradient, capacity * sizeof *grown);
        if (!grown) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate screen gradients");
        }
        t->screen_gradient = grown;
        t->screen_capacity = capacity;
    }
    if (t->gradient->count != t->cloud->count) {
        return ds_gaussian_cloud_resize(t->gradient, t->cloud->count);
    }
    return ds_ok();
}

static double psnr_of(const ds_image *a, const ds_image *b) {
    size_t n = (size_t)a->width * (size_t)a->height * 3;
    double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static) if (DS_PARALLEL(n / 16))
    for (size_t i = 0; i < n; i++) {
        double x = a->pixels[i] < 0 ? 0 : (a->pixels[i] > 1 ? 1 : a->pixels[i]);
        double d = x - b->pixels[i];
        sum += d * d;
    }
    return sum > 0 ? -10.0 * log10(sum / (double)n) : INFINITY;
}

static ds_status optimizer_step(ds_trainer *t, bool skip_opacity) {
    for (int g = 0; g < DS_PARAMETER_GROUPS; g++) {
        /* A frozen group (learning rate 0) would not move: skip its arithmetic. */
        if ((g == DS_PARAMETER_OPACITY && skip_opacity) ||
            ds_adam_learning_rate(t->adam, (size_t)g) == 0.0) {
            continue;
        }
        ds_status status = ds_adam_step(t->adam, (size_t)g, ds_parameter_values(t->cloud, g),
                                        ds_parameter_values(t->gradient, g), t->cloud->count);
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}

ds_status ds_trainer_step(ds_trainer *t, const ds_camera *camera, const ds_image *target,
                          ds_trainer_report *report) {
    const ds_trainer_settings *s = &t->settings;
    *report = (ds_trainer_report){0};
    if (target->width != camera->width || target->height != camera->height) {
        return ds_error(DS_ERR_ARGUMENT, "target image is %dx%d but the view is %dx%d",
                        target->width, target->height, camera->width, camera->height);
    }
    if (t->cloud->count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "no Gaussians are left to train");
    }
    int64_t iteration = ++t->iteration;
    ds_lr_schedule schedule = {s->position_lr_init, s->position_lr_final, s->position_lr_steps};
    ds_status status = ds_adam_set_learning_rate(t->adam, DS_PARAMETER_POSITIONS,
                                                 ds_lr_schedule_at(&schedule, iteration));
    if (!ds_failed(&status)) {
        status = prepare_buffers(t, camera);
    }
    if (ds_failed(&status)) {
        return status;
    }
    int degree = t->cloud->sh_degree;
    if (s->sh_degree_interval > 0) {
        int64_t ramp = iteration / s->sh_degree_interval;
        degree = ramp < degree ? (int)ramp : degree;
    }
    ds_raster_settings raster = {.sh_degree = degree};
    memcpy(raster.background, s->background, sizeof raster.background);
    status = ds_rasterize(t->rasterizer, t->cloud, camera, &raster, &t->render);
    ds_photometric_terms terms;
    if (!ds_failed(&status)) {
        status = ds_photometric_loss_evaluate(t->loss, &t->render, target, s->lambda_dssim, &terms,
                                              &t->image_gradient);
    }
    if (!ds_failed(&status)) {
        status = ds_rasterize_backward(t->backward, t->rasterizer, &t->image_gradient, t->gradient,
                                       t->screen_gradient);
    }
    if (ds_failed(&status)) {
        return status;
    }
    double loss = terms.loss;
    if (s->isotropy_weight > 0 || s->size_weight > 0) {
        ds_scale_regularizer_terms regular = ds_scale_regularizers(
            t->cloud, s->isotropy_weight, s->size_weight, t->gradient->log_scales);
        loss += s->isotropy_weight * regular.isotropy + s->size_weight * regular.size;
    }
    if (t->extra_loss) {
        loss += t->extra_loss(t->extra_loss_context, t->cloud, t->gradient);
    }
    *report = (ds_trainer_report){
        .iteration = iteration,
        .loss = loss,
        .l1 = terms.l1,
        .ssim = terms.ssim,
        .psnr = psnr_of(&t->render, target),
    };

    /* Adaptive density control, before the optimiser step as in the reference; parameters that
     * densification replaced take no step this iteration. */
    bool densified = false, reset = false;
    if (iteration < s->densify_until) {
        ds_densify_statistics_add(&t->statistics, t->rasterizer, t->screen_gradient);
        if (iteration > s->densify_from && iteration % s->densify_interval == 0) {
            ds_densify_settings densify = s->densify;
            if (s->opacity_reset_interval <= 0 || iteration <= s->opacity_reset_interval) {
                densify.max_screen_radius = 0; /* not before the first opacity reset */
            }
            status = ds_densify_and_prune(t->cloud, t->adam, &t->statistics, &densify,
                                          &t->random_state, &report->densified);
            densified = true;
        }
        bool reset_now =
            s->opacity_reset_interval > 0 && iteration % s->opacity_reset_interval == 0;
        if (s->reset_opacity_at_densify_from && iteration == s->densify_from) {
            reset_now = true;
        }
        if (!ds_failed(&status) && reset_now) {
            status = ds_reset_opacity(t->cloud, t->adam, s->opacity_reset_ceiling);
            reset = report->opacity_reset = true;
        }
    }
    if (!ds_failed(&status) && !densified) {
        status = optimizer_step(t, reset);
    }
    report->gaussians = t->cloud->count;
    return status;
}
