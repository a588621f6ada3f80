#include "gaussian_cloud.h"

#include <stdlib.h>
#include <string.h>

/* Floats per Gaussian of each array, in the order of the struct. */
enum { POSITION_FLOATS = 3, ROTATION_FLOATS = 4, SCALE_FLOATS = 3, OPACITY_FLOATS = 1 };

static void set_defaults(ds_gaussian_cloud *cloud, size_t first, size_t end) {
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    memset(cloud->positions + first * POSITION_FLOATS, 0,
           (end - first) * POSITION_FLOATS * sizeof(float));
    memset(cloud->log_scales + first * SCALE_FLOATS, 0,
           (end - first) * SCALE_FLOATS * sizeof(float));
    memset(cloud->opacity_logits + first, 0, (end - first) * sizeof(float));
    memset(cloud->sh + first * sh_stride, 0, (end - first) * sh_stride * sizeof(float));
    for (size_t i = first; i < end; i++) {
        float *q = cloud->rotations + i * ROTATION_FLOATS;
        q[0] = 1.0f;
        q[1] = q[2] = q[3] = 0.0f;
    }
}

/* realloc that treats a zero size as "keep one element" so a NULL return always means failure. */
static ds_status grow_array(float **array, size_t elements) {
    size_t bytes = (elements ? elements : 1) * sizeof(float);
    float *grown = realloc(*array, bytes);
    if (!grown) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes for Gaussian attributes",
                        bytes);
    }
    *array = grown;
    return ds_ok();
}

static ds_status reserve(ds_gaussian_cloud *cloud, size_t capacity) {
    if (capacity > DS_GAUSSIAN_CLOUD_MAX_COUNT) {
        return ds_error(DS_ERR_NO_MEMORY, "%zu Gaussians exceed the limit of %zu", capacity,
                        DS_GAUSSIAN_CLOUD_MAX_COUNT);
    }
    struct {
        float **array;
        size_t floats_per_gaussian;
    } arrays[] = {
        {&cloud->positions, POSITION_FLOATS},
        {&cloud->rotations, ROTATION_FLOATS},
        {&cloud->log_scales, SCALE_FLOATS},
        {&cloud->opacity_logits, OPACITY_FLOATS},
        {&cloud->sh, ds_gaussian_cloud_sh_stride(cloud)},
    };
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++) {
        ds_status status = grow_array(arrays[a].array, capacity * arrays[a].floats_per_gaussian);
        if (ds_failed(&status)) {
            return status;
        }
    }
    cloud->capacity = capacity;
    return ds_ok();
}

ds_status ds_gaussian_cloud_create(size_t count, int sh_degree, ds_gaussian_cloud **out) {
    *out = NULL;
    if (sh_degree < 0 || sh_degree > DS_SH_MAX_DEGREE) {
        return ds_error(DS_ERR_ARGUMENT, "SH degree %d is outside 0..%d", sh_degree,
                        DS_SH_MAX_DEGREE);
    }
    ds_gaussian_cloud *cloud = calloc(1, sizeof *cloud);
    if (!cloud) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a Gaussian cloud");
    }
    cloud->sh_degree = sh_degree;
    ds_status status = reserve(cloud, count);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(cloud);
        return status;
    }
    cloud->count = count;
    set_defaults(cloud, 0, count);
    *out = cloud;
    return ds_ok();
}

ds_status ds_gaussian_cloud_resize(ds_gaussian_cloud *cloud, size_t count) {
    if (count > cloud->capacity) {
        /* Grow geometrically so that appending one Gaussian at a time stays linear. */
        size_t capacity = cloud->capacity + cloud->capacity / 2;
        if (capacity < count || capacity > DS_GAUSSIAN_CLOUD_MAX_COUNT) {
            capacity = count;
        }
        ds_status status = reserve(cloud, capacity);
        if (ds_failed(&status)) {
            return status;
        }
    }
    size_t old_count = cloud->count;
    cloud->count = count;
    if (count > old_count) {
        set_defaults(cloud, old_count, count);
    }
    return ds_ok();
}

ds_status ds_gaussian_cloud_set_sh_degree(ds_gaussian_cloud *cloud, int sh_degree) {
    if (sh_degree < 0 || sh_degree > DS_SH_MAX_DEGREE) {
        return ds_error(DS_ERR_ARGUMENT, "SH degree %d is outside 0..%d", sh_degree,
                        DS_SH_MAX_DEGREE);
    }
    size_t old_stride = ds_gaussian_cloud_sh_stride(cloud);
    size_t new_stride = (size_t)ds_sh_coeff_count(sh_degree) * 3;
    size_t capacity = cloud->capacity ? cloud->capacity : 1;
    float *sh = calloc(capacity * new_stride, sizeof(float));
    if (!sh) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate SH coefficients for degree %d",
                        sh_degree);
    }
    size_t kept = old_stride < new_stride ? old_stride : new_stride;
    for (size_t i = 0; i < cloud->count; i++) {
        memcpy(sh + i * new_stride, cloud->sh + i * old_stride, kept * sizeof(float));
    }
    free(cloud->sh);
    cloud->sh = sh;
    cloud->sh_degree = sh_degree;
    return ds_ok();
}

void ds_gaussian_cloud_copy_one(ds_gaussian_cloud *destination, size_t to,
                                const ds_gaussian_cloud *source, size_t from) {
    size_t sh_stride = ds_gaussian_cloud_sh_stride(source);
    memmove(destination->positions + to * POSITION_FLOATS,
            source->positions + from * POSITION_FLOATS, POSITION_FLOATS * sizeof(float));
    memmove(destination->rotations + to * ROTATION_FLOATS,
            source->rotations + from * ROTATION_FLOATS, ROTATION_FLOATS * sizeof(float));
    memmove(destination->log_scales + to * SCALE_FLOATS, source->log_scales + from * SCALE_FLOATS,
            SCALE_FLOATS * sizeof(float));
    destination->opacity_logits[to] = source->opacity_logits[from];
    memmove(destination->sh + to * sh_stride, source->sh + from * sh_stride,
            sh_stride * sizeof(float));
}

ds_status ds_gaussian_cloud_clone(const ds_gaussian_cloud *cloud, ds_gaussian_cloud **copy) {
    ds_status status = ds_gaussian_cloud_create(cloud->count, cloud->sh_degree, copy);
    if (ds_failed(&status)) {
        return status;
    }
    size_t n = cloud->count;
    memcpy((*copy)->positions, cloud->positions, n * POSITION_FLOATS * sizeof(float));
    memcpy((*copy)->rotations, cloud->rotations, n * ROTATION_FLOATS * sizeof(float));
    memcpy((*copy)->log_scales, cloud->log_scales, n * SCALE_FLOATS * sizeof(float));
    memcpy((*copy)->opacity_logits, cloud->opacity_logits, n * sizeof(float));
    memcpy((*copy)->sh, cloud->sh, n * ds_gaussian_cloud_sh_stride(cloud) * sizeof(float));
    (*copy)->antialiased = cloud->antialiased;
    return ds_ok();
}

void ds_gaussian_cloud_keep(ds_gaussian_cloud *cloud, const bool *keep) {
    size_t kept = 0;
    for (size_t i = 0; i < cloud->count; i++) {
        if (keep[i]) {
            if (kept != i) {
                ds_gaussian_cloud_copy_one(cloud, kept, cloud, i);
            }
            kept++;
        }
    }
    cloud->count = kept;
}

void ds_gaussian_cloud_free(ds_gaussian_cloud *cloud) {
    if (!cloud) {
        return;
    }
    free(cloud->positions);
    free(cloud->rotations);
    free(cloud->log_scales);
    free(cloud->opacity_logits);
    free(cloud->sh);
    free(cloud);
}
