#include "densification.h"
#include "render/parallel.h"

#include "render/projection.h"
#include "render/raster_frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float *ds_parameter_values(ds_gaussian_cloud *cloud, int group) {
    switch (group) {
    case DS_PARAMETER_POSITIONS:
        return cloud->positions;
    case DS_PARAMETER_ROTATIONS:
        return cloud->rotations;
    case DS_PARAMETER_LOG_SCALES:
        return cloud->log_scales;
    case DS_PARAMETER_OPACITY:
        return cloud->opacity_logits;
    default:
        return cloud->sh;
    }
}

ds_status ds_densify_statistics_reset(ds_densify_statistics *s, size_t count) {
    if (count > s->capacity || !s->gradient_sum) {
        size_t capacity = count + count / 2 + 16;
        float *sums = realloc(s->gradient_sum, capacity * sizeof *sums);
        if (sums) {
            s->gradient_sum = sums;
        }
        uint32_t *views = realloc(s->views, capacity * sizeof *views);
        if (views) {
            s->views = views;
        }
        float *radius = realloc(s->max_radius, capacity * sizeof *radius);
        if (radius) {
            s->max_radius = radius;
        }
        if (!sums || !views || !radius) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate densification statistics");
        }
        s->capacity = capacity;
    }
    s->count = count;
    memset(s->gradient_sum, 0, count * sizeof *s->gradient_sum);
    memset(s->views, 0, count * sizeof *s->views);
    memset(s->max_radius, 0, count * sizeof *s->max_radius);
    return ds_ok();
}

void ds_densify_statistics_free(ds_densify_statistics *s) {
    free(s->gradient_sum);
    free(s->views);
    free(s->max_radius);
    *s = (ds_densify_statistics){0};
}

void ds_densify_statistics_add(ds_densify_statistics *s, const ds_rasterizer *frame,
                               const float *screen_gradient) {
    size_t n = s->count < frame->gaussian_count ? s->count : frame->gaussian_count;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n; i++) {
        /* Seen: it reached at least one tile of this view. */
        uint32_t end =
            i + 1 < frame->gaussian_count ? frame->touched[i + 1] : (uint32_t)frame->entry_count;
        if (frame->touched[i] == end) {
            continue;
        }
        float gx = screen_gradient[i * 2], gy = screen_gradient[i * 2 + 1];
        s->gradient_sum[i] += sqrtf(gx * gx + gy * gy);
        s->views[i]++;
        float radius = (float)frame->projected[i].radius;
        s->max_radius[i] = radius > s->max_radius[i] ? radius : s->max_radius[i];
    }
}

/* Resizes every optimiser group to the cloud's new order: `keep` over the old entries plus
 * `appended` new ones with zero moments. */
static ds_status sync_optimizer(ds_adam *adam, const bool *keep, size_t old_count,
                                size_t appended) {
    for (size_t g = 0; g < DS_PARAMETER_GROUPS; g++) {
        ds_status status = ds_adam_append(adam, g, appended);
        if (!ds_failed(&status) && keep) {
            status = ds_adam_keep(adam, g, keep, old_count + appended);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}

static double uniform(uint64_t *state) {
    /* xorshift64*: enough for sampling split positions, and reproducible from a seed. */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *state) {
    double u = uniform(state), v = uniform(state);
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(6.283185307179586 * v);
}

static float max_scale(const ds_gaussian_cloud *cloud, size_t i) {
    const float *s = cloud->log_scales + i * 3;
    return expf(fmaxf(s[0], fmaxf(s[1], s[2])));
}

ds_status ds_densify_and_prune(ds_gaussian_cloud *cloud, ds_adam *adam,
                               ds_densify_statistics *statistics,
                               const ds_densify_settings *settings, uint64_t *random_state,
                               ds_densify_result *result) {
    *result = (ds_densify_result){0};
    size_t n = cloud->count;
    if (statistics->count != n) {
        return ds_error(DS_ERR_ARGUMENT, "densification statistics do not match the cloud");
    }
    /* Decide on the old Gaussians first: which to clone, which to split. */
    uint8_t *action = calloc(n ? n : 1, 1); /* 1 clone, 2 split */
    if (!action) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate densification flags");
    }
    float size_limit = settings->dense_fraction * settings->extent;
    for (size_t i = 0; i < n; i++) {
        float mean = statistics->views[i] ? statistics->gradient_sum[i] / statistics->views[i] : 0;
        if (mean >= settings->gradient_threshold) {
            action[i] = max_scale(cloud, i) <= size_limit ? 1 : 2;
            result->cloned += action[i] == 1;
            result->split += action[i] == 2;
        }
    }
    size_t appended = result->cloned + 2 * result->split;
    size_t total = n + appended;
    ds_status status = ds_gaussian_cloud_resize(cloud, total);
    if (ds_failed(&status)) {
        free(action);
        return status;
    }
    /* New Gaussians go after the old ones: clones first, then split samples (as 3DGS). */
    size_t next = n;
    for (size_t i = 0; i < n; i++) {
        if (action[i] == 1) {
            ds_gaussian_cloud_copy_one(cloud, next++, cloud, i);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (action[i] != 2) {
            continue;
        }
        float rotation[9], scale[3];
        ds_quaternion_to_matrix(cloud->rotations + i * 4, rotation);
        for (int k = 0; k < 3; k++) {
            scale[k] = expf(cloud->log_scales[i * 3 + k]);
        }
        for (int sample = 0; sample < 2; sample++) {
            size_t j = next++;
            ds_gaussian_cloud_copy_one(cloud, j, cloud, i);
            /* A point drawn from the Gaussian itself, at 1/1.6 of its size. */
            double local[3];
            for (int k = 0; k < 3; k++) {
                local[k] = normal(random_state) * scale[k];
            }
            for (int k = 0; k < 3; k++) {
                cloud->positions[j * 3 + (size_t)k] +=
                    (float)(rotation[3 * k] * local[0] + rotation[3 * k + 1] * local[1] +
                            rotation[3 * k + 2] * local[2]);
                cloud->log_scales[j * 3 + (size_t)k] = logf(scale[k] / 1.6f);
            }
        }
    }
    bool *keep = malloc(total * sizeof *keep);
    if (!keep) {
        free(action);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate densification flags");
    }
    float world_limit = settings->max_world_fraction * settings->extent;
    for (size_t i = 0; i < total; i++) {
        bool originally_split = i < n && action[i] == 2;
        bool faint = ds_sigmoid(cloud->opacity_logits[i]) < settings->min_opacity;
        /* New Gaussians have not been seen yet: no screen size to judge. */
        bool big_on_screen = settings->max_screen_radius > 0 && i < n &&
                             statistics->max_radius[i] > settings->max_screen_radius;
        bool big_in_world = settings->max_world_fraction > 0 && max_scale(cloud, i) > world_limit;
        keep[i] = !originally_split && !faint && !big_on_screen && !big_in_world;
        result->pruned += !keep[i] && !originally_split;
    }
    free(action);
    status = sync_optimizer(adam, keep, n, appended);
    if (!ds_failed(&status)) {
        ds_gaussian_cloud_keep(cloud, keep);
        status = ds_densify_statistics_reset(statistics, cloud->count);
    }
    free(keep);
    return status;
}

ds_status ds_prune(ds_gaussian_cloud *cloud, ds_adam *adam, ds_densify_statistics *statistics,
                   const bool *remove) {
    size_t n = cloud->count;
    bool *keep = calloc(n ? n : 1, sizeof *keep);
    if (!keep) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate pruning flags");
    }
    for (size_t i = 0; i < n; i++) {
        keep[i] = !remove[i];
    }
    ds_status status = sync_optimizer(adam, keep, n, 0);
    if (!ds_failed(&status)) {
        /* Statistics follow the same selection. */
        size_t kept = 0;
        for (size_t i = 0; i < n && statistics && i < statistics->count; i++) {
            if (keep[i]) {
                statistics->gradient_sum[kept] = statistics->gradient_sum[i];
                statistics->views[kept] = statistics->views[i];
                statistics->max_radius[kept] = statistics->max_radius[i];
                kept++;
            }
        }
        if (statistics) {
            statistics->count = kept;
        }
        ds_gaussian_cloud_keep(cloud, keep);
    }
    free(keep);
    return status;
}

ds_status ds_reset_opacity(ds_gaussian_cloud *cloud, ds_adam *adam, float ceiling) {
    float ceiling_logit = ds_logit(ceiling);
    for (size_t i = 0; i < cloud->count; i++) {
        if (cloud->opacity_logits[i] > ceiling_logit) {
            cloud->opacity_logits[i] = ceiling_logit;
        }
    }
    return ds_adam_reset(adam, DS_PARAMETER_OPACITY, NULL, cloud->count);
}

size_t ds_parameter_width(const ds_gaussian_cloud *cloud, int group) {
    static const size_t widths[] = {3, 4, 3, 1};
    return group < DS_PARAMETER_SH ? widths[group] : ds_gaussian_cloud_sh_stride(cloud);
}
