/* Compositing: each pixel blends its tile's Gaussians front to back,
 *   C += c_i alpha_i T,  T *= 1 - alpha_i,
 * skipping alphas below 1/255 and stopping before T would fall below 1e-4, then adds T times
 * the background.
 *
 * The loop runs over the tile's Gaussians on the outside and over the tile's 32 runs of 8 pixels
 * inside, visiting only the runs the Gaussian's footprint box reaches: most Gaussians cover a
 * few pixels of a tile, and the runs of one Gaussian are independent work the processor can
 * overlap. A run drops out when all its pixels are saturated, the tile when all runs are. */
#include "rasterizer_internal.h"

#include <omp.h>
#include <stdlib.h>

void ds_tile_batch_free(ds_tile_batch *batch) {
    free(batch->u);
    free(batch->row0);
    *batch = (ds_tile_batch){0};
}

static int clamp_int(int value, int low, int high) {
    return value < low ? low : (value > high ? high : value);
}

ds_status ds_tile_batch_gather(const struct ds_rasterizer *frame, int tile, ds_tile_batch *batch) {
    size_t begin = frame->tile_ranges[tile], end = frame->tile_ranges[tile + 1];
    size_t n = end - begin;
    if (n > batch->capacity) {
        size_t capacity = n + n / 2 + 64;
        float *floats = realloc(batch->u, capacity * 9 * sizeof(float));
        if (floats) {
            batch->u = floats;
        }
        int8_t *bytes = realloc(batch->row0, capacity * 4);
        if (bytes) {
            batch->row0 = bytes;
        }
        if (!floats || !bytes) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a tile batch of %zu", capacity);
        }
        /* Arrays carved out of the two allocations. */
        float **arrays[9] = {&batch->u,       &batch->v,       &batch->conic_a,
                             &batch->conic_b, &batch->conic_c, &batch->opacity,
                             &batch->red,     &batch->green,   &batch->blue};
        for (int a = 0; a < 9; a++) {
            *arrays[a] = floats + (size_t)a * capacity;
        }
        batch->row1 = bytes + capacity;
        batch->column0 = bytes + 2 * capacity;
        batch->column1 = bytes + 3 * capacity;
        batch->capacity = capacity;
    }
    int x0 = (tile % frame->tiles_x) * DS_TILE_SIZE, y0 = (tile / frame->tiles_x) * DS_TILE_SIZE;
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
        batch->row0[k] = (int8_t)clamp_int(g->y0 - y0, 0, DS_TILE_SIZE);
        batch->row1[k] = (int8_t)clamp_int(g->y1 - y0, -1, DS_TILE_SIZE - 1);
        batch->column0[k] = (int8_t)clamp_int(g->x0 - x0, 0, DS_TILE_SIZE);
        batch->column1[k] = (int8_t)clamp_int(g->x1 - x0, -1, DS_TILE_SIZE - 1);
    }
    return ds_ok();
}

/* The state of one run of 8 pixels while compositing. */
typedef struct run_state {
    ds_v8f px, py;
    ds_v8f transmittance, red, green, blue;
    ds_v8i active; /* lanes still compositing */
    ds_v8i count;  /* entries up to the last one composited */
} run_state;

DS_SIMD_CLONES
static void composite_tile(const struct ds_rasterizer *frame, const ds_tile_batch *batch, int tile,
                           ds_image *image) {
    int width = image->width, height = image->height;
    int x0 = (tile % frame->tiles_x) * DS_TILE_SIZE, y0 = (tile / frame->tiles_x) * DS_TILE_SIZE;
    size_t n = frame->tile_ranges[tile + 1] - frame->tile_ranges[tile];
    run_state runs[DS_TILE_RUNS];
    bool live[DS_TILE_RUNS];
    int live_runs = 0;
    const ds_v8f lane = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f};
    const ds_v8f zero = ds_v8f_splat(0.0f), one = ds_v8f_splat(1.0f);
    for (int r = 0; r < DS_TILE_RUNS; r++) {
        int x = x0 + (r % 2) * 8, y = y0 + r / 2;
        run_state *s = &runs[r];
        s->px = ds_v8f_splat((float)x) + lane;
        s->py = ds_v8f_splat((float)y + 0.5f);
        s->transmittance = one;
        s->red = s->green = s->blue = zero;
        s->count = (ds_v8i){0};
        /* Lanes past the image's right or bottom edge never composite. */
        int32_t inside[8];
        for (int i = 0; i < 8; i++) {
            inside[i] = x + i < width && y < height ? -1 : 0;
        }
        memcpy(&s->active, inside, sizeof inside);
        live[r] = ds_v8i_any(s->active);
        live_runs += live[r];
    }
    for (size_t k = 0; k < n && live_runs > 0; k++) {
        int row0 = batch->row0[k], row1 = batch->row1[k];
        int half0 = batch->column0[k] >= 8, half1 = batch->column1[k] >= 8;
        if (batch->column1[k] < batch->column0[k]) {
            continue;
        }
        ds_v8f gu = ds_v8f_splat(batch->u[k]), gv = ds_v8f_splat(batch->v[k]);
        ds_v8f color[3] = {ds_v8f_splat(batch->red[k]), ds_v8f_splat(batch->green[k]),
                           ds_v8f_splat(batch->blue[k])};
        ds_v8i entry = {0};
        entry += (int32_t)(k + 1);
        for (int row = row0; row <= row1; row++) {
            for (int half = half0; half <= half1; half++) {
                int r = row * 2 + half;
                if (!live[r]) {
                    continue;
                }
                run_state *s = &runs[r];
                ds_v8f weight_g;
                ds_v8i valid;
                ds_v8f alpha =
                    ds_pixel_alpha(gu - s->px, gv - s->py, batch->conic_a[k], batch->conic_b[k],
                                   batch->conic_c[k], batch->opacity[k], &weight_g, &valid);
                valid &= s->active;
                ds_v8f next = s->transmittance * (one - alpha);
                ds_v8i saturated = valid & (next < ds_v8f_splat(DS_TRANSMITTANCE_MIN));
                s->active &= ~saturated;
                valid &= ~saturated;
                ds_v8f weight = ds_v8f_select(valid, alpha * s->transmittance, zero);
                s->red += color[0] * weight;
                s->green += color[1] * weight;
                s->blue += color[2] * weight;
                s->transmittance = ds_v8f_select(valid, next, s->transmittance);
                s->count = (valid & entry) | (~valid & s->count);
                if (!ds_v8i_any(s->active)) {
                    live[r] = false;
                    live_runs--;
                }
            }
        }
    }
    const float *background = frame->settings.background;
    for (int r = 0; r < DS_TILE_RUNS; r++) {
        int x = x0 + (r % 2) * 8, y = y0 + r / 2;
        if (x >= width || y >= height) {
            continue;
        }
        const run_state *s = &runs[r];
        float red[8], green[8], blue[8], t[8];
        int32_t count[8];
        ds_v8f_store(red, s->red);
        ds_v8f_store(green, s->green);
        ds_v8f_store(blue, s->blue);
        ds_v8f_store(t, s->transmittance);
        memcpy(count, &s->count, sizeof count);
        int run = width - x < 8 ? width - x : 8;
        size_t pixel = (size_t)y * (size_t)width + (size_t)x;
        for (int i = 0; i < run; i++) {
            float *out = image->pixels + (pixel + (size_t)i) * 3;
            out[0] = red[i] + t[i] * background[0];
            out[1] = green[i] + t[i] * background[1];
            out[2] = blue[i] + t[i] * background[2];
            frame->final_transmittance[pixel + (size_t)i] = t[i];
            frame->contributors[pixel + (size_t)i] = (uint32_t)count[i];
        }
    }
}

ds_status ds_composite_tiles(struct ds_rasterizer *frame, ds_image *image) {
    int tiles = frame->tiles_x * frame->tiles_y;
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
            composite_tile(frame, batch, tile, image);
        }
    }
    return failure;
}
