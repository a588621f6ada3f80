/* What the forward pass of the rasterizer keeps for the backward pass (encoder/): the projected
 * Gaussians, the per-tile lists in compositing order and, per pixel, the final transmittance and
 * how many list entries it composited. Internal to render/ and encoder/. */
#ifndef DS_RENDER_RASTER_FRAME_H
#define DS_RENDER_RASTER_FRAME_H

#include "projection.h"
#include "rasterizer.h"
#include "simd.h"

#include <stddef.h>
#include <stdint.h>

/* Compositing stops before transmittance would fall below this, and ignores alphas below
 * DS_ALPHA_MIN; alpha is capped at DS_ALPHA_MAX (the reference's constants). */
#define DS_TRANSMITTANCE_MIN 1e-4f
#define DS_ALPHA_MIN         (1.0f / 255.0f)
#define DS_ALPHA_MAX         0.99f

/* A tile's Gaussians gathered in compositing order, structure of arrays for 8-wide loads. */
typedef struct ds_tile_batch {
    size_t capacity;
    float *u, *v, *conic_a, *conic_b, *conic_c, *opacity, *red, *green, *blue;
    /* The footprint's bounding box clipped to the tile, in tile pixel coordinates 0..15:
     * rows [row0, row1] and columns [column0, column1]; row0 > row1 when empty. */
    int8_t *row0, *row1, *column0, *column1;
} ds_tile_batch;

/* The tile's pixels in runs of 8: run r covers row r / 2, columns 8 (r % 2) .. + 7. */
enum { DS_TILE_RUNS = DS_TILE_SIZE * DS_TILE_SIZE / 8 };

struct ds_rasterizer {
    /* the frame */
    const ds_gaussian_cloud *cloud;
    ds_projection_camera camera;
    ds_raster_settings settings;
    int sh_degree;
    int tiles_x, tiles_y;
    size_t gaussian_count;

    ds_projected_gaussian *projected; /* gaussian_count */
    uint32_t *tile_ranges;            /* tiles + 1: tile t's entries are [ranges[t], ranges[t+1]) */
    uint32_t *tile_entries;           /* Gaussian indices, front to back within each tile */
    size_t entry_count;
    float *final_transmittance; /* per pixel */
    uint32_t *contributors;     /* per pixel: entries up to the last one composited */
    ds_raster_statistics statistics;

    /* scratch reused between frames */
    size_t gaussian_capacity, pixel_capacity, tile_capacity;
    size_t gaussian_tiles_capacity, tile_entries_capacity;
    uint32_t *touched; /* per Gaussian: first its tile count, then its offset into gaussian_tiles
                        * (Gaussian i's tiles are [touched[i], touched[i + 1]), the last ending
                        * at entry_count) */
    uint32_t *depth_order;    /* visible Gaussians, front to back */
    uint32_t *sort_keys;      /* their depths' bit patterns */
    uint32_t *sort_scratch;   /* radix sort ping-pong: 2 x gaussian_capacity */
    uint32_t *gaussian_tiles; /* per Gaussian, the ids of the tiles it touches */
    uint32_t *pair_entries;   /* beside each of those, where that pair sits in tile_entries */
    size_t pair_entries_capacity;
    uint32_t *tile_cursor; /* per tile, where its next entry goes */
    int batch_count;
    ds_tile_batch *batches; /* one per thread */
};

/* Gathers tile t's Gaussians into a batch. */
ds_status ds_tile_batch_gather(const struct ds_rasterizer *frame, int tile, ds_tile_batch *batch);
void ds_tile_batch_free(ds_tile_batch *batch);

/* The alpha of 8 pixels at offsets (dx, dy) from a Gaussian's centre, exactly as compositing
 * computes it; `valid` is set where the pixel is inside the Gaussian's effective footprint
 * (exponent <= 0 and alpha >= DS_ALPHA_MIN). `gaussian_weight` receives exp(power). */
DS_SIMD_INLINE ds_v8f ds_pixel_alpha(ds_v8f dx, ds_v8f dy, float a, float b, float c, float opacity,
                                     ds_v8f *gaussian_weight, ds_v8i *valid) {
    ds_v8f power = ds_v8f_splat(-0.5f) * (ds_v8f_splat(a) * dx * dx + ds_v8f_splat(c) * dy * dy) -
                   ds_v8f_splat(b) * dx * dy;
    ds_v8f g = ds_v8f_exp(ds_v8f_min(power, ds_v8f_splat(0.0f)));
    ds_v8f alpha = ds_v8f_min(ds_v8f_splat(DS_ALPHA_MAX), ds_v8f_splat(opacity) * g);
    *valid = (power <= ds_v8f_splat(0.0f)) & (alpha >= ds_v8f_splat(DS_ALPHA_MIN));
    *gaussian_weight = g;
    return alpha;
}

#endif
