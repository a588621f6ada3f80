#include "rasterizer.h"
#include "parallel.h"
#include "rasterizer_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

ds_status ds_reserve_array(void **array, size_t *capacity, size_t count, size_t size) {
    if (count <= *capacity && *array) {
        return ds_ok();
    }
    size_t grown = count + count / 4 + 16;
    void *fresh = realloc(*array, grown * size);
    if (!fresh) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes for rendering", grown * size);
    }
    *array = fresh;
    *capacity = grown;
    return ds_ok();
}

ds_status ds_rasterizer_create(ds_rasterizer **out) {
    *out = NULL;
    ds_rasterizer *r = calloc(1, sizeof *r);
    if (!r) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a rasterizer");
    }
    r->batch_count = omp_get_max_threads();
    r->batches = calloc((size_t)r->batch_count, sizeof *r->batches);
    if (!r->batches) {
        free(r);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a rasterizer");
    }
    *out = r;
    return ds_ok();
}

void ds_rasterizer_free(ds_rasterizer *r) {
    if (!r) {
        return;
    }
    free(r->projected);
    free(r->tile_ranges);
    free(r->tile_entries);
    free(r->final_transmittance);
    free(r->contributors);
    free(r->touched);
    free(r->depth_order);
    free(r->sort_keys);
    free(r->sort_scratch);
    free(r->gaussian_tiles);
    free(r->pair_entries);
    free(r->tile_cursor);
    for (int b = 0; b < r->batch_count; b++) {
        ds_tile_batch_free(&r->batches[b]);
    }
    free(r->batches);
    free(r);
}

/* Sizes the per-Gaussian, per-tile and per-pixel buffers for this frame. */
static ds_status reserve_frame(ds_rasterizer *r, size_t gaussians, size_t tiles, size_t pixels) {
    ds_status status = ds_ok();
    if (gaussians > r->gaussian_capacity || !r->projected) {
        size_t capacity = gaussians + gaussians / 4 + 16;
        void **arrays[] = {(void **)&r->projected, (void **)&r->touched, (void **)&r->depth_order,
                           (void **)&r->sort_keys, (void **)&r->sort_scratch};
        size_t sizes[] = {sizeof(ds_projected_gaussian), sizeof(uint32_t), sizeof(uint32_t),
                          sizeof(uint32_t), 2 * sizeof(uint32_t)};
        for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++) {
            void *fresh = realloc(*arrays[a], capacity * sizes[a]);
            if (!fresh) {
                return ds_error(DS_ERR_NO_MEMORY,
                                "cannot allocate rendering buffers for %zu "
                                "Gaussians",
                                gaussians);
            }
            *arrays[a] = fresh;
        }
        r->gaussian_capacity = capacity;
    }
    if (tiles + 1 > r->tile_capacity || !r->tile_ranges) {
        size_t capacity = tiles + 1;
        uint32_t *ranges = realloc(r->tile_ranges, capacity * sizeof *ranges);
        if (ranges) {
            r->tile_ranges = ranges;
        }
        uint32_t *cursor = realloc(r->tile_cursor, capacity * sizeof *cursor);
        if (cursor) {
            r->tile_cursor = cursor;
        }
        if (!ranges || !cursor) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate tile lists");
        }
        r->tile_capacity = capacity;
    }
    if (pixels > r->pixel_capacity || !r->final_transmittance) {
        float *t = realloc(r->final_transmittance, pixels * sizeof *t);
        if (t) {
            r->final_transmittance = t;
        }
        uint32_t *c = realloc(r->contributors, pixels * sizeof *c);
        if (c) {
            r->contributors = c;
        }
        if (!t || !c) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate per-pixel buffers");
        }
        r->pixel_capacity = pixels;
    }
    return status;
}

ds_status ds_rasterize(ds_rasterizer *r, const ds_gaussian_cloud *cloud, const ds_camera *camera,
                       const ds_raster_settings *settings, ds_image *image) {
    ds_status status = ds_camera_validate(camera);
    if (ds_failed(&status)) {
        return status;
    }
    if (image->width != camera->width || image->height != camera->height) {
        return ds_error(DS_ERR_ARGUMENT, "image is %dx%d but the camera is %dx%d", image->width,
                        image->height, camera->width, camera->height);
    }
    int sh_degree = settings->sh_degree < 0 || settings->sh_degree > cloud->sh_degree
                        ? cloud->sh_degree
                        : settings->sh_degree;
    r->cloud = cloud;
    r->camera = ds_projection_camera_make(camera);
    r->settings = *settings;
    r->sh_degree = sh_degree;
    r->tiles_x = (camera->width + DS_TILE_SIZE - 1) / DS_TILE_SIZE;
    r->tiles_y = (camera->height + DS_TILE_SIZE - 1) / DS_TILE_SIZE;
    r->gaussian_count = cloud->count;
    size_t tiles = (size_t)r->tiles_x * (size_t)r->tiles_y;
    size_t pixels = (size_t)camera->width * (size_t)camera->height;
    if (cloud->count > UINT32_MAX / 2) {
        return ds_error(DS_ERR_ARGUMENT, "%zu Gaussians are too many to render", cloud->count);
    }
    status = reserve_frame(r, cloud->count, tiles, pixels);
    if (ds_failed(&status)) {
        return status;
    }
    const ds_projection_camera *projection = &r->camera;
    bool antialiased = settings->antialiased;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(cloud->count))
    for (size_t i = 0; i < cloud->count; i++) {
        ds_project_gaussian(cloud, i, projection, sh_degree, antialiased, &r->projected[i]);
    }
    status = ds_bin_tiles(r);
    if (ds_failed(&status)) {
        return status;
    }
    return ds_composite_tiles(r, image);
}

ds_raster_statistics ds_rasterizer_statistics(const ds_rasterizer *r) {
    return r->statistics;
}
