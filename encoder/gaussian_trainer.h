/* 3DGS training of one Gaussian cloud against calibrated views: each step renders a view with
 * the CPU rasterizer, takes the photometric loss (plus, optionally, the DualGS scale
 * regularisers), back-propagates, and updates every parameter with Adam, with the learning-rate
 * schedule, SH degree ramp and adaptive density control of the reference implementation. */
#ifndef DS_ENCODER_GAUSSIAN_TRAINER_H
#define DS_ENCODER_GAUSSIAN_TRAINER_H

#include "encoder/densification.h"
#include "formats/camera.h"
#include "formats/gaussian_cloud.h"
#include "formats/image.h"

#include <stdint.h>

typedef struct ds_trainer_settings {
    /* Learning rates (positions already multiplied by the scene extent). */
    double position_lr_init, position_lr_final;
    int64_t position_lr_steps;
    double rotation_lr, scale_lr, opacity_lr, dc_lr, rest_lr;
    float lambda_dssim;     /* weight of 1 - SSIM in the loss (0.2) */
    double isotropy_weight; /* E_iso weight (0: off) */
    double size_weight;     /* E_size weight (0: off) */
    int sh_degree_interval; /* raise the evaluated SH degree every this many steps; 0: full */
    int64_t densify_from, densify_until, densify_interval;
    int64_t opacity_reset_interval;     /* 0: never */
    bool reset_opacity_at_densify_from; /* 3DGS does, for white backgrounds */
    float opacity_reset_ceiling;        /* 0.01 */
    ds_densify_settings densify; /* max_screen_radius applies after the first opacity reset */
    float background[3];
    uint64_t seed;
} ds_trainer_settings;

/* 3DGS's defaults for a scene of spatial extent `extent`, trained for `iterations` steps. */
ds_trainer_settings ds_trainer_default_settings(double extent, int64_t iterations);

typedef struct ds_trainer ds_trainer;

/* Takes ownership of `cloud` (its SH arrays stay at the cloud's degree; the evaluated degree
 * ramps up to it). */
ds_status ds_trainer_create(ds_gaussian_cloud *cloud, const ds_trainer_settings *settings,
                            ds_trainer **trainer);
void ds_trainer_free(ds_trainer *trainer);

typedef struct ds_trainer_report {
    int64_t iteration;
    double loss, l1, ssim, psnr;
    size_t gaussians;
    ds_densify_result densified; /* what densification did in this step, if it ran */
    bool opacity_reset;
} ds_trainer_report;

/* One training step on one view. */
ds_status ds_trainer_step(ds_trainer *trainer, const ds_camera *camera, const ds_image *target,
                          ds_trainer_report *report);

/* The cloud being trained (owned by the trainer; valid until the next step). */
ds_gaussian_cloud *ds_trainer_cloud(ds_trainer *trainer);
int64_t ds_trainer_iteration(const ds_trainer *trainer);
ds_adam *ds_trainer_optimizer(ds_trainer *trainer);

/* Restores the step counter, e.g. after loading a checkpoint. */
void ds_trainer_set_iteration(ds_trainer *trainer, int64_t iteration, uint64_t random_state);
uint64_t ds_trainer_random_state(const ds_trainer *trainer);

/* An extra loss term evaluated every step after the photometric one: adds its gradient into
 * `gradient` (same shape as the cloud) and returns its value. */
typedef double (*ds_trainer_extra_loss)(void *context, const ds_gaussian_cloud *cloud,
                                        ds_gaussian_cloud *gradient);
void ds_trainer_set_extra_loss(ds_trainer *trainer, ds_trainer_extra_loss loss, void *context);

/* The adaptive density control statistics gathered since the last densification. */
ds_densify_statistics *ds_trainer_statistics(ds_trainer *trainer);

/* Replaces the cloud (e.g. after subsampling), resetting the optimiser state. Takes ownership. */
ds_status ds_trainer_replace_cloud(ds_trainer *trainer, ds_gaussian_cloud *cloud);

#endif
