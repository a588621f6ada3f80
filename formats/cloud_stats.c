#include "cloud_stats.h"

#include <stdlib.h>
#include <string.h>

/* Running accumulation; the sum is double so means of millions of values stay exact enough. */
typedef struct accumulator {
    double min, max, sum;
    size_t finite, non_finite;
} accumulator;

static void accumulate(accumulator *a, double value) {
    if (!isfinite(value)) {
        a->non_finite++;
        return;
    }
    if (a->finite == 0 || value < a->min) {
        a->min = value;
    }
    if (a->finite == 0 || value > a->max) {
        a->max = value;
    }
    a->sum += value;
    a->finite++;
}

static ds_value_stats finish(const accumulator *a) {
    ds_value_stats stats = {0};
    if (a->finite > 0) {
        /* Adding zero turns -0 (from axis flips) into 0 for display. */
        stats.min = a->min + 0.0;
        stats.max = a->max + 0.0;
        stats.mean = a->sum / (double)a->finite;
    }
    stats.non_finite = a->non_finite;
    return stats;
}

/* Accumulates column `column` of an array with `stride` floats per Gaussian. */
static ds_value_stats column_stats(const float *array, size_t count, size_t stride, size_t column) {
    accumulator a = {0};
    for (size_t i = 0; i < count; i++) {
        accumulate(&a, array[i * stride + column]);
    }
    return finish(&a);
}

static int compare_floats(const void *left, const void *right) {
    float a = *(const float *)left, b = *(const float *)right;
    return (a > b) - (a < b);
}

/* The 0.5% and 99.5% quantiles of the finite values of one position axis. */
static ds_status core_range(const ds_gaussian_cloud *cloud, int axis, double *low, double *high) {
    *low = *high = 0.0;
    float *values = malloc((cloud->count ? cloud->count : 1) * sizeof *values);
    if (!values) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu floats for quantiles", cloud->count);
    }
    size_t finite = 0;
    for (size_t i = 0; i < cloud->count; i++) {
        float v = cloud->positions[i * 3 + (size_t)axis];
        if (isfinite(v)) {
            values[finite++] = v;
        }
    }
    if (finite > 0) {
        qsort(values, finite, sizeof *values, compare_floats);
        size_t lower = (size_t)((double)(finite - 1) * 0.005);
        size_t upper = (size_t)((double)(finite - 1) * 0.995 + 0.5);
        *low = values[lower];
        *high = values[upper];
    }
    free(values);
    return ds_ok();
}

ds_status ds_cloud_stats_compute(const ds_gaussian_cloud *cloud, ds_cloud_stats *stats) {
    memset(stats, 0, sizeof *stats);
    size_t n = cloud->count;
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t k = 0; k < 3; k++) {
        stats->position[k] = column_stats(cloud->positions, n, 3, k);
        stats->log_scale[k] = column_stats(cloud->log_scales, n, 3, k);
        stats->sh_dc[k] = column_stats(cloud->sh, n, sh_stride, k);
    }
    for (size_t k = 0; k < 4; k++) {
        stats->rotation[k] = column_stats(cloud->rotations, n, 4, k);
    }
    stats->opacity_logit = column_stats(cloud->opacity_logits, n, 1, 0);
    accumulator opacity = {0}, norm = {0}, rest = {0};
    for (size_t i = 0; i < n; i++) {
        accumulate(&opacity, ds_sigmoid(cloud->opacity_logits[i]));
        const float *q = cloud->rotations + i * 4;
        accumulate(&norm, sqrt((double)q[0] * q[0] + (double)q[1] * q[1] + (double)q[2] * q[2] +
                               (double)q[3] * q[3]));
        for (size_t k = 3; k < sh_stride; k++) {
            accumulate(&rest, cloud->sh[i * sh_stride + k]);
        }
    }
    stats->opacity = finish(&opacity);
    stats->rotation_norm = finish(&norm);
    stats->sh_rest = finish(&rest);
    for (int axis = 0; axis < 3; axis++) {
        ds_status status = core_range(cloud, axis, &stats->core_min[axis], &stats->core_max[axis]);
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}
