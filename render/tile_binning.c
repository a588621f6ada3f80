/* Binning: which tiles each Gaussian touches, and each tile's Gaussians front to back.
 *
 * The reference bins a Gaussian into every tile of its bounding square and sorts (tile, depth)
 * keys with a stable radix sort. We keep the same order — Gaussians by depth, ties by index —
 * but only put a Gaussian in tiles its footprint reaches: where alpha can reach 1/255, i.e.
 * q(d) <= 2 ln(255 opacity). Tiles dropped that way hold no pixel the Gaussian would have
 * composited, so the image is the reference's, with far fewer pairs to composite. */
#include "parallel.h"
#include "rasterizer_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tile_rect {
    int x0, y0, x1, y1; /* tiles [x0, x1) x [y0, y1) */
} tile_rect;

/* The reference's bounding square of tiles, computed in its pixel coordinates (centres at
 * integers, ours at + 0.5). */
static tile_rect bounding_tiles(const ds_projected_gaussian *g, int tiles_x, int tiles_y) {
    float px = g->u - 0.5f, py = g->v - 0.5f, radius = (float)g->radius;
    tile_rect rect = {
        .x0 = (int)((px - radius) / DS_TILE_SIZE),
        .y0 = (int)((py - radius) / DS_TILE_SIZE),
        .x1 = (int)((px + radius + DS_TILE_SIZE - 1) / DS_TILE_SIZE),
        .y1 = (int)((py + radius + DS_TILE_SIZE - 1) / DS_TILE_SIZE),
    };
    rect.x0 = rect.x0 < 0 ? 0 : (rect.x0 > tiles_x ? tiles_x : rect.x0);
    rect.y0 = rect.y0 < 0 ? 0 : (rect.y0 > tiles_y ? tiles_y : rect.y0);
    rect.x1 = rect.x1 < 0 ? 0 : (rect.x1 > tiles_x ? tiles_x : rect.x1);
    rect.y1 = rect.y1 < 0 ? 0 : (rect.y1 > tiles_y ? tiles_y : rect.y1);
    return rect;
}

static float quadratic(const float conic[3], float dx, float dy) {
    return conic[0] * dx * dx + 2.0f * conic[1] * dx * dy + conic[2] * dy * dy;
}

static float clampf(float value, float low, float high) {
    return value < low ? low : (value > high ? high : value);
}

/* Whether {d : q(d) <= threshold} meets the box of offsets [dx0, dx1] x [dy0, dy1] (pixel centres
 * relative to the Gaussian's centre). The minimum of a convex quadratic over a box is 0 inside it,
 * else on an edge, where it is a one-dimensional quadratic minimised in closed form. */
static bool footprint_meets_box(const float conic[3], float threshold, float dx0, float dx1,
                                float dy0, float dy1) {
    if (dx0 <= 0.0f && dx1 >= 0.0f && dy0 <= 0.0f && dy1 >= 0.0f) {
        return true;
    }
    float a = conic[0], b = conic[1], c = conic[2];
    const float dxs[2] = {dx0, dx1}, dys[2] = {dy0, dy1};
    for (int e = 0; e < 2; e++) {
        float dy = clampf(-b * dxs[e] / c, dy0, dy1);
        if (quadratic(conic, dxs[e], dy) <= threshold) {
            return true;
        }
        float dx = clampf(-b * dys[e] / a, dx0, dx1);
        if (quadratic(conic, dx, dys[e]) <= threshold) {
            return true;
        }
    }
    return false;
}

/* Calls visit(tile) for each tile Gaussian g reaches; returns how many. `tiles` may be NULL. */
static uint32_t touched_tiles(const ds_projected_gaussian *g, int tiles_x, int tiles_y,
                              uint32_t *tiles) {
    float threshold = ds_footprint_threshold(g->opacity);
    if (g->radius <= 0 || threshold < 0.0f || g->x0 > g->x1 || g->y0 > g->y1) {
        return 0;
    }
    tile_rect rect = bounding_tiles(g, tiles_x, tiles_y);
    float a = g->conic[0], b = g->conic[1], c = g->conic[2];
    bool definite = a > 0.0f && c > 0.0f && a * c - b * b > 0.0f;
    uint32_t count = 0;
    for (int ty = rect.y0; ty < rect.y1; ty++) {
        /* Offsets of the tile's first and last pixel centres from the Gaussian's centre. */
        float dy0 = (float)(ty * DS_TILE_SIZE) + 0.5f - g->v;
        float dy1 = dy0 + (float)(DS_TILE_SIZE - 1);
        for (int tx = rect.x0; tx < rect.x1; tx++) {
            float dx0 = (float)(tx * DS_TILE_SIZE) + 0.5f - g->u;
            float dx1 = dx0 + (float)(DS_TILE_SIZE - 1);
            if (definite && !footprint_meets_box(g->conic, threshold, dx0, dx1, dy0, dy1)) {
                continue;
            }
            if (tiles) {
                tiles[count] = (uint32_t)(ty * tiles_x + tx);
            }
            count++;
        }
    }
    return count;
}

static size_t square_tiles(const ds_projected_gaussian *g, int tiles_x, int tiles_y) {
    if (g->radius <= 0) {
        return 0;
    }
    tile_rect rect = bounding_tiles(g, tiles_x, tiles_y);
    return (size_t)(rect.x1 - rect.x0) * (size_t)(rect.y1 - rect.y0);
}

/* Stable LSD radix sort of `count` values by 32-bit keys (4 passes of 8 bits). */
static void radix_sort(uint32_t *keys, uint32_t *values, uint32_t *key_scratch,
                       uint32_t *value_scratch, size_t count) {
    for (int shift = 0; shift < 32; shift += 8) {
        size_t histogram[257] = {0};
        for (size_t i = 0; i < count; i++) {
            histogram[((keys[i] >> shift) & 0xffu) + 1]++;
        }
        for (int b = 0; b < 256; b++) {
            histogram[b + 1] += histogram[b];
        }
        for (size_t i = 0; i < count; i++) {
            size_t slot = histogram[(keys[i] >> shift) & 0xffu]++;
            key_scratch[slot] = keys[i];
            value_scratch[slot] = values[i];
        }
        memcpy(keys, key_scratch, count * sizeof *keys);
        memcpy(values, value_scratch, count * sizeof *values);
    }
}

ds_status ds_bin_tiles(struct ds_rasterizer *frame) {
    size_t n = frame->gaussian_count;
    int tiles_x = frame->tiles_x, tiles_y = frame->tiles_y;
    size_t tile_count = (size_t)tiles_x * (size_t)tiles_y;
    const ds_projected_gaussian *projected = frame->projected;
    uint32_t *touched = frame->touched;

    /* 1. How many tiles each Gaussian touches, and its offset in the per-Gaussian tile lists. */
    size_t square_total = 0;
#pragma omp parallel for schedule(static) reduction(+ : square_total) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n; i++) {
        touched[i] = touched_tiles(&projected[i], tiles_x, tiles_y, NULL);
        square_total += square_tiles(&projected[i], tiles_x, tiles_y);
    }
    size_t total = 0, visible = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t count = touched[i];
        touched[i] = (uint32_t)total;
        total += count;
        if (count > 0) {
            frame->depth_order[visible] = (uint32_t)i;
            frame->sort_keys[visible] = 0;
            visible++;
        }
    }
    if (total > UINT32_MAX) {
        return ds_error(DS_ERR_NO_MEMORY, "%zu tile entries exceed the 32-bit index range", total);
    }
    ds_status status = ds_reserve_array((void **)&frame->gaussian_tiles,
                                        &frame->gaussian_tiles_capacity, total, sizeof(uint32_t));
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_reserve_array((void **)&frame->tile_entries, &frame->tile_entries_capacity, total,
                              sizeof(uint32_t));
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_reserve_array((void **)&frame->pair_entries, &frame->pair_entries_capacity, total,
                              sizeof(uint32_t));
    if (ds_failed(&status)) {
        return status;
    }

    /* 2. The tiles themselves, each Gaussian at its offset. */
    uint32_t *gaussian_tiles = frame->gaussian_tiles;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n; i++) {
        touched_tiles(&projected[i], tiles_x, tiles_y, gaussian_tiles + touched[i]);
    }

    /* 3. Visible Gaussians front to back; positive float depths sort as their bit patterns, and
     * the stable sort keeps ties in index order, as the reference's radix sort does. */
    for (size_t k = 0; k < visible; k++) {
        float depth = projected[frame->depth_order[k]].depth;
        memcpy(&frame->sort_keys[k], &depth, sizeof depth);
    }
    radix_sort(frame->sort_keys, frame->depth_order, frame->sort_scratch,
               frame->sort_scratch + frame->gaussian_capacity, visible);

    /* 4. Counting sort by tile, walking Gaussians front to back: each tile's list comes out in
     * depth order. */
    uint32_t *ranges = frame->tile_ranges;
    memset(ranges, 0, (tile_count + 1) * sizeof *ranges);
    for (size_t k = 0; k < visible; k++) {
        uint32_t i = frame->depth_order[k];
        uint32_t end = i + 1 < n ? touched[i + 1] : (uint32_t)total;
        for (uint32_t e = touched[i]; e < end; e++) {
            ranges[gaussian_tiles[e] + 1]++;
        }
    }
    for (size_t t = 0; t < tile_count; t++) {
        ranges[t + 1] += ranges[t];
    }
    /* Fill using a cursor per tile (the start offsets, advanced as entries land). */
    uint32_t *cursor = frame->tile_cursor;
    memcpy(cursor, ranges, tile_count * sizeof *cursor);
    for (size_t k = 0; k < visible; k++) {
        uint32_t i = frame->depth_order[k];
        uint32_t end = i + 1 < n ? touched[i + 1] : (uint32_t)total;
        for (uint32_t e = touched[i]; e < end; e++) {
            uint32_t position = cursor[gaussian_tiles[e]]++;
            frame->tile_entries[position] = i;
            frame->pair_entries[e] = position;
        }
    }
    frame->entry_count = total;
    frame->statistics = (ds_raster_statistics){
        .visible = visible, .tile_entries = total, .square_entries = square_total};
    return ds_ok();
}
