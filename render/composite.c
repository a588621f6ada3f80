/* Compositing: each pixel blends its tile's Gaussians front to back,
 *   C += c_i alpha_i T,  T *= 1 - alpha_i,
 * skipping alphas below 1/255 and stopping before T would fall below 1e-4, then adds T times
 * the background. Eight pixels of a row go through the list together. */
#include "rasterizer_internal.h"

#include <omp.h>
#include <stdlib.h>

void ds_tile_batch_free(ds_tile_batch *batch) {
    free(batch->u);
    *batch = (ds_tile_batch){0};
}

ds_status ds_tile_batch_gather(const struct ds_rasterizer *frame, int tile, ds_tile_batch *batch) {
    size_t begin = frame->tile_ranges[tile], end = frame->tile_ranges[tile + 1];
    size_t n = end - begin;
    if (n > batch->capacity) {
        size_t capacity = n + n / 2 + 64;
        float *block = realloc(batch->u, capacity * 9 * sizeof(float));
        if (!block) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a tile batch of %zu", capacity);
        }
        /* Nine arrays carved out of one allocation. */
        float **arrays[9] = {&batch->u,       &batch->v,       &batch->conic_a,
                             &batch->conic_b, &batch->conic_c, &batch->opacity,
                             &batch->red,     &batch->green,   &batch->blue};
        for (int a = 0; a < 9; a++) {
            *arrays[a] = block + (size_t)a * capacity;
        }
        batch->capacity = capacity;
    }
    for (size_t k = 0; k < n; k++) {
        const ds_projected_gaussian *g = &frame->projected[frame->tile_entries[begin + k]];
        batch->u[k] = g->u;
        batch->v[k] = g->v;
        batch->conic_a[k] = g->conic[0];
        batch->conic_b[k] = g->conic[1];
        batch->conic_c[k] = g->conic[2];
        batch->opacity[k] = g->opacity;
        batch->red[k] = g->color[0];
        batch->green[k] = g->color[1];
        batch->blue[k] = g->color[2];
    }
    return ds_ok();
}

/* Composites one run of 8 pixels starting at (x, y) through the batch of n Gaussians. */
DS_SIMD_CLONES
static void composite_run(const ds_tile_batch *batch, size_t n, int x, int y,
                          const float background[3], float out_rgb[24], float out_t[8],
                          uint32_t out_count[8]) {
    const ds_v8f lane = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f};
    ds_v8f px = ds_v8f_splat((float)x) + lane;
    ds_v8f py = ds_v8f_splat((float)y + 0.5f);
    ds_v8f t = ds_v8f_splat(1.0f);
    ds_v8f red = ds_v8f_splat(0.0f), green = red, blue = red;
    ds_v8i active = {-1, -1, -1, -1, -1, -1, -1, -1};
    ds_v8i count = {0};
    for (size_t k = 0; k < n; k++) {
        ds_v8f dx = ds_v8f_splat(batch->u[k]) - px;
        ds_v8f dy = ds_v8f_splat(batch->v[k]) - py;
        ds_v8f g;
        ds_v8i valid;
        ds_v8f alpha = ds_pixel_alpha(dx, dy, batch->conic_a[k], batch->conic_b[k],
                                      batch->conic_c[k], batch->opacity[k], &g, &valid);
        valid &= active;
        ds_v8f next_t = t * (ds_v8f_splat(1.0f) - alpha);
        ds_v8i saturated = valid & (next_t < ds_v8f_splat(DS_TRANSMITTANCE_MIN));
        active &= ~saturated;
        valid &= ~saturated;
        ds_v8f weight = ds_v8f_select(valid, alpha * t, ds_v8f_splat(0.0f));
        red += ds_v8f_splat(batch->red[k]) * weight;
        green += ds_v8f_splat(batch->green[k]) * weight;
        blue += ds_v8f_splat(batch->blue[k]) * weight;
        t = ds_v8f_select(valid, next_t, t);
        ds_v8i entry = {0};
        entry += (int32_t)(k + 1);
        count = (valid & entry) | (~valid & count);
        if (!ds_v8i_any(active)) {
            break;
        }
    }
    float r[8], gr[8], b[8];
    ds_v8f_store(r, red);
    ds_v8f_store(gr, green);
    ds_v8f_store(b, blue);
    ds_v8f_store(out_t, t);
    int32_t counts[8];
    memcpy(counts, &count, sizeof counts);
    for (int i = 0; i < 8; i++) {
        out_rgb[3 * i] = r[i] + out_t[i] * background[0];
        out_rgb[3 * i + 1] = gr[i] + out_t[i] * background[1];
        out_rgb[3 * i + 2] = b[i] + out_t[i] * background[2];
        out_count[i] = (uint32_t)counts[i];
    }
}

ds_status ds_composite_tiles(struct ds_rasterizer *frame, ds_image *image) {
    int tiles = frame->tiles_x * frame->tiles_y;
    int width = image->width, height = image->height;
    ds_status failure = ds_ok();
    int failed = 0;
#pragma omp parallel
    {
        ds_tile_batch *batch = &frame->batches[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (int tile = 0; tile < tiles; tile++) {
            if (failed) {
                continue;
            }
            ds_status status = ds_tile_batch_gather(frame, tile, batch);
            if (ds_failed(&status)) {
#pragma omp critical
                {
                    failure = status;
                    failed = 1;
                }
                continue;
            }
            size_t n = frame->tile_ranges[tile + 1] - frame->tile_ranges[tile];
            int x0 = (tile % frame->tiles_x) * DS_TILE_SIZE;
            int y0 = (tile / frame->tiles_x) * DS_TILE_SIZE;
            for (int y = y0; y < y0 + DS_TILE_SIZE && y < height; y++) {
                for (int x = x0; x < x0 + DS_TILE_SIZE && x < width; x += 8) {
                    float rgb[24], t[8];
                    uint32_t count[8];
                    composite_run(batch, n, x, y, frame->settings.background, rgb, t, count);
                    int run = width - x < 8 ? width - x : 8;
                    size_t pixel = (size_t)y * (size_t)width + (size_t)x;
                    memcpy(image->pixels + pixel * 3, rgb, (size_t)run * 3 * sizeof(float));
                    memcpy(frame->final_transmittance + pixel, t, (size_t)run * sizeof(float));
                    memcpy(frame->contributors + pixel, count, (size_t)run * sizeof(uint32_t));
                }
            }
        }
    }
    return failure;
}
