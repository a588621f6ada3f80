/* Adaptive density control of 3DGS (clone, split, prune, opacity reset), keeping the optimiser's
 * state in step with the cloud, and the statistics it decides on. */
#ifndef DS_ENCODER_DENSIFICATION_H
#define DS_ENCODER_DENSIFICATION_H

#include "encoder/adam.h"
#include "formats/gaussian_cloud.h"
#include "render/rasterizer.h"

#include <stdint.h>

/* The Adam groups that track a cloud's arrays, in this order. */
enum {
    DS_PARAMETER_POSITIONS,
    DS_PARAMETER_ROTATIONS,
    DS_PARAMETER_LOG_SCALES,
    DS_PARAMETER_OPACITY,
    DS_PARAMETER_SH,
    DS_PARAMETER_GROUPS
};

/* A cloud's array for an optimiser group, and the floats per Gaussian in it. */
float *ds_parameter_values(ds_gaussian_cloud *cloud, int group);
size_t ds_parameter_width(const ds_gaussian_cloud *cloud, int group);

/* Per Gaussian, since the last densification: the summed norm of its screen-space gradient over
 * the views that saw it, how many views saw it, and its largest screen radius. */
typedef struct ds_densify_statistics {
    size_t count, capacity;
    float *gradient_sum;
    uint32_t *views;
    float *max_radius;
} ds_densify_statistics;

ds_status ds_densify_statistics_reset(ds_densify_statistics *statistics, size_t count);
void ds_densify_statistics_free(ds_densify_statistics *statistics);

/* Adds the frame the rasterizer last rendered (and its screen gradient, count x 2). */
void ds_densify_statistics_add(ds_densify_statistics *statistics, const ds_rasterizer *frame,
                               const float *screen_gradient);

typedef struct ds_densify_settings {
    float gradient_threshold; /* mean screen-gradient norm that densifies (3DGS: 2e-4) */
    float dense_fraction;     /* clone at or below this max scale / extent, else split (0.01) */
    float extent;             /* the scene's spatial scale E */
    float min_opacity;        /* prune below this opacity */
    float max_screen_radius;  /* prune above this screen radius in pixels; 0: never */
    float max_world_fraction; /* prune max scale above this times E (0.1); 0: never */
} ds_densify_settings;

typedef struct ds_densify_result {
    size_t cloned, split, pruned;
} ds_densify_result;

/* Clones small Gaussians and splits large ones whose mean screen gradient reaches the threshold,
 * then prunes faint and oversized ones; resizes the optimiser's groups to match, appending zero
 * moments for new Gaussians, and resets the statistics. `random_state` seeds the split
 * samples. */
ds_status ds_densify_and_prune(ds_gaussian_cloud *cloud, ds_adam *adam,
                               ds_densify_statistics *statistics,
                               const ds_densify_settings *settings, uint64_t *random_state,
                               ds_densify_result *result);

/* Prunes the Gaussians whose flag is set, keeping the optimiser and statistics in step. */
ds_status ds_prune(ds_gaussian_cloud *cloud, ds_adam *adam, ds_densify_statistics *statistics,
                   const bool *remove);

/* Caps every opacity at `ceiling` and zeroes the opacity optimiser state (3DGS's reset). */
ds_status ds_reset_opacity(ds_gaussian_cloud *cloud, ds_adam *adam, float ceiling);

#endif
