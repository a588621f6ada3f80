/* Backward pass, in two stages:
 *   1. per tile: walk the tile's Gaussians back to front (reversing compositing exactly as the
 *      reference does, T_{i} = T_{i+1} / (1 - alpha_i)) and accumulate, per (tile, Gaussian)
 *      entry, dL/d of the nine projected quantities: centre (u, v), conic (A, B, C), opacity,
 *      colour. Each entry is written by one tile only, so no two threads touch the same sum.
 *   2. per Gaussian: add up its entries (in tile order, so the result does not depend on the
 *      number of threads) and apply the chain rule back through the projection, the covariance,
 *      the quaternion normalisation, the sigmoid and the SH evaluation.
 * Derivatives are those of the forward function as computed, including where it clamps (alpha
 * at 0.99, the Jacobian's frustum limits, colours at 0). */
#include "raster_backward.h"
#include "render/parallel.h"

#include "render/raster_frame.h"
#include "render/spherical_harmonics.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { PROJECTED_GRADIENTS = 9 }; /* du, dv, dA, dB, dC, dopacity, dred, dgreen, dblue */

struct ds_raster_backward {
    float *entry_gradients; /* tile entries x PROJECTED_GRADIENTS */
    size_t entry_capacity;
    int batch_count;
    ds_tile_batch *batches; /* one per thread */
};

ds_status ds_raster_backward_create(ds_raster_backward **out) {
    *out = NULL;
    ds_raster_backward *b = calloc(1, sizeof *b);
    if (!b) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the backward pass");
    }
    b->batch_count = omp_get_max_threads();
    b->batches = calloc((size_t)b->batch_count, sizeof *b->batches);
    if (!b->batches) {
        free(b);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the backward pass");
    }
    *out = b;
    return ds_ok();
}

void ds_raster_backward_free(ds_raster_backward *b) {
    if (!b) {
        return;
    }
    for (int i = 0; i < b->batch_count; i++) {
        ds_tile_batch_free(&b->batches[i]);
    }
    free(b->batches);
    free(b->entry_gradients);
    free(b);
}

/* ---- stage 1: pixels to projected Gaussians ---- */

/* Per 8-pixel run of a tile, the state of walking its list backwards. */
typedef struct run_state {
    ds_v8f px, py;
    ds_v8f transmittance, final_transmittance;
    ds_v8f accumulated[3]; /* colour of everything behind the current Gaussian */
    ds_v8f last_alpha, last_color[3];
    ds_v8f pixel_gradient[3];
    ds_v8f background_dot; /* background . dL/dpixel */
    ds_v8i count;          /* entries composited */
    uint32_t max_count;
} run_state;

/* Runs are laid out as in compositing: run r is row r / 2, columns 8 (r % 2) .. + 7. */
DS_SIMD_CLONES
static void backward_tile(const struct ds_rasterizer *frame, const ds_tile_batch *batch, int tile,
                          const ds_image *image_gradient, float *entry_gradients) {
    int width = frame->camera.width, height = frame->camera.height;
    int x0 = (tile % frame->tiles_x) * DS_TILE_SIZE, y0 = (tile / frame->tiles_x) * DS_TILE_SIZE;
    const float *background = frame->settings.background;
    run_state runs[DS_TILE_RUNS];
    uint32_t tile_max = 0;
    const ds_v8f lane = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f};
    for (int run = 0; run < DS_TILE_RUNS; run++) {
        int x = x0 + (run % 2) * 8, y = y0 + run / 2;
        run_state *r = &runs[run];
        float t[8] = {0}, g[3][8] = {{0}};
        int32_t count[8] = {0};
        int valid_pixels = y < height ? (width - x < 8 ? width - x : 8) : 0;
        size_t pixel = (size_t)y * (size_t)width + (size_t)x;
        for (int i = 0; i < valid_pixels; i++) {
            t[i] = frame->final_transmittance[pixel + (size_t)i];
            count[i] = (int32_t)frame->contributors[pixel + (size_t)i];
            for (int c = 0; c < 3; c++) {
                g[c][i] = image_gradient->pixels[(pixel + (size_t)i) * 3 + (size_t)c];
            }
        }
        r->px = ds_v8f_splat((float)x) + lane;
        r->py = ds_v8f_splat((float)y + 0.5f);
        r->transmittance = r->final_transmittance = ds_v8f_load(t);
        memcpy(&r->count, count, sizeof count);
        r->max_count = 0;
        for (int i = 0; i < 8; i++) {
            r->max_count = (uint32_t)count[i] > r->max_count ? (uint32_t)count[i] : r->max_count;
        }
        tile_max = r->max_count > tile_max ? r->max_count : tile_max;
        r->background_dot = ds_v8f_splat(0.0f);
        for (int c = 0; c < 3; c++) {
            r->accumulated[c] = r->last_color[c] = ds_v8f_splat(0.0f);
            r->pixel_gradient[c] = ds_v8f_load(g[c]);
            r->background_dot += ds_v8f_splat(background[c]) * r->pixel_gradient[c];
        }
        r->last_alpha = ds_v8f_splat(0.0f);
    }
    size_t first_entry = frame->tile_ranges[tile];
    const ds_v8f zero = ds_v8f_splat(0.0f), one = ds_v8f_splat(1.0f);
    for (uint32_t k = tile_max; k-- > 0;) {
        float *out = entry_gradients + (first_entry + k) * PROJECTED_GRADIENTS;
        int row0 = batch->row0[k], row1 = batch->row1[k];
        int half0 = batch->column0[k] >= 8, half1 = batch->column1[k] >= 8;
        if (batch->column1[k] < batch->column0[k]) {
            row1 = row0 - 1;
        }
        float a = batch->conic_a[k], b = batch->conic_b[k], c = batch->conic_c[k];
        float opacity = batch->opacity[k];
        const float color[3] = {batch->red[k], batch->green[k], batch->blue[k]};
        ds_v8f sum[PROJECTED_GRADIENTS];
        for (int q = 0; q < PROJECTED_GRADIENTS; q++) {
            sum[q] = zero;
        }
        ds_v8i entry = {0};
        entry += (int32_t)k;
        for (int row = row0; row <= row1; row++) {
            for (int half = half0; half <= half1; half++) {
                run_state *r = &runs[row * 2 + half];
                if (k >= r->max_count) {
                    continue;
                }
                ds_v8f dx = ds_v8f_splat(batch->u[k]) - r->px;
                ds_v8f dy = ds_v8f_splat(batch->v[k]) - r->py;
                ds_v8f weight;
                ds_v8i valid;
                ds_v8f alpha = ds_pixel_alpha(dx, dy, a, b, c, opacity, &weight, &valid);
                valid &= entry < r->count;
                if (!ds_v8i_any(valid)) {
                    continue;
                }
                alpha = ds_v8f_select(valid, alpha, zero);
                ds_v8f one_minus = one - alpha;
                r->transmittance =
                    ds_v8f_select(valid, r->transmittance / one_minus, r->transmittance);
                ds_v8f t = r->transmittance;
                ds_v8f alpha_gradient = zero;
                for (int ch = 0; ch < 3; ch++) {
                    ds_v8f accumulated = r->last_alpha * r->last_color[ch] +
                                         (one - r->last_alpha) * r->accumulated[ch];
                    r->accumulated[ch] = ds_v8f_select(valid, accumulated, r->accumulated[ch]);
                    r->last_color[ch] =
                        ds_v8f_select(valid, ds_v8f_splat(color[ch]), r->last_color[ch]);
                    alpha_gradient +=
                        (ds_v8f_splat(color[ch]) - r->accumulated[ch]) * r->pixel_gradient[ch];
                    sum[6 + ch] += ds_v8f_select(valid, alpha * t * r->pixel_gradient[ch], zero);
                }
                alpha_gradient = alpha_gradient * t;
                r->last_alpha = ds_v8f_select(valid, alpha, r->last_alpha);
                /* The background's share T_final falls as alpha rises. */
                alpha_gradient -= r->final_transmittance / one_minus * r->background_dot;
                alpha_gradient = ds_v8f_select(valid, alpha_gradient, zero);
                /* alpha = min(0.99, opacity G): no gradient where the cap holds. */
                ds_v8i uncapped = ds_v8f_splat(opacity) * weight < ds_v8f_splat(DS_ALPHA_MAX);
                ds_v8f capped_gradient = ds_v8f_select(uncapped, alpha_gradient, zero);
                sum[5] += capped_gradient * weight;
                /* d alpha / d power = opacity G */
                ds_v8f power_gradient = capped_gradient * ds_v8f_splat(opacity) * weight;
                sum[0] -= power_gradient * (ds_v8f_splat(a) * dx + ds_v8f_splat(b) * dy);
                sum[1] -= power_gradient * (ds_v8f_splat(c) * dy + ds_v8f_splat(b) * dx);
                sum[2] -= ds_v8f_splat(0.5f) * power_gradient * dx * dx;
                sum[3] -= power_gradient * dx * dy;
                sum[4] -= ds_v8f_splat(0.5f) * power_gradient * dy * dy;
            }
        }
        for (int q = 0; q < PROJECTED_GRADIENTS; q++) {
            out[q] = ds_v8f_sum(sum[q]);
        }
    }
    /* Entries beyond every pixel's last contribution receive nothing. */
    size_t entries = frame->tile_ranges[tile + 1] - first_entry;
    if (entries > tile_max) {
        memset(entry_gradients + (first_entry + tile_max) * PROJECTED_GRADIENTS, 0,
               (entries - tile_max) * PROJECTED_GRADIENTS * sizeof(float));
    }
}

/* ---- stage 2: projected Gaussians to parameters ---- */

static void matrix_multiply(const float *a, const float *b, float *out, int rows, int inner,
                            int columns) {
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < columns; j++) {
            float sum = 0.0f;
            for (int k = 0; k < inner; k++) {
                sum += a[i * inner + k] * b[k * columns + j];
            }
            out[i * columns + j] = sum;
        }
    }
}

static void gaussian_backward(const struct ds_rasterizer *frame, size_t i,
                              const float projected_gradient[PROJECTED_GRADIENTS],
                              ds_gaussian_cloud *gradient, float *screen_gradient) {
    const ds_gaussian_cloud *cloud = frame->cloud;
    const ds_projection_camera *cam = &frame->camera;
    const ds_projected_gaussian *g = &frame->projected[i];
    const float *p = cloud->positions + i * 3;
    const float *R = cam->rotation;
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    float du = projected_gradient[0], dv = projected_gradient[1];
    if (screen_gradient) {
        screen_gradient[i * 2] = du * 0.5f * (float)cam->width;
        screen_gradient[i * 2 + 1] = dv * 0.5f * (float)cam->height;
    }

    /* Opacity: o = sigmoid(logit). */
    gradient->opacity_logits[i] = projected_gradient[5] * g->opacity * (1.0f - g->opacity);

    /* Colour: SH coefficients, and the viewing direction. */
    float direction[3] = {p[0] - cam->center[0], p[1] - cam->center[1], p[2] - cam->center[2]};
    float length = sqrtf(direction[0] * direction[0] + direction[1] * direction[1] +
                         direction[2] * direction[2]);
    for (int k = 0; k < 3; k++) {
        direction[k] /= length;
    }
    int degree = frame->sh_degree;
    int coefficients = (degree + 1) * (degree + 1);
    float basis[DS_SH_MAX_COEFFICIENTS];
    ds_sh_basis(degree, direction[0], direction[1], direction[2], basis);
    float color_gradient[3];
    for (int c = 0; c < 3; c++) {
        color_gradient[c] = (g->clamped >> c) & 1 ? 0.0f : projected_gradient[6 + c];
    }
    float *sh_gradient = gradient->sh + i * sh_stride;
    const float *sh = cloud->sh + i * sh_stride;
    memset(sh_gradient, 0, sh_stride * sizeof(float));
    for (int k = 0; k < coefficients; k++) {
        for (int c = 0; c < 3; c++) {
            sh_gradient[k * 3 + c] = basis[k] * color_gradient[c];
        }
    }
    float position_gradient[3] = {0.0f, 0.0f, 0.0f};
    if (degree > 0) {
        float basis_gradient[DS_SH_MAX_COEFFICIENTS][3];
        ds_sh_basis_gradient(degree, direction[0], direction[1], direction[2], basis_gradient);
        float direction_gradient[3] = {0.0f, 0.0f, 0.0f};
        for (int k = 1; k < coefficients; k++) {
            float weight = sh[k * 3] * color_gradient[0] + sh[k * 3 + 1] * color_gradient[1] +
                           sh[k * 3 + 2] * color_gradient[2];
            for (int axis = 0; axis < 3; axis++) {
                direction_gradient[axis] += weight * basis_gradient[k][axis];
            }
        }
        /* Through the normalisation d / |d|. */
        float dot = direction_gradient[0] * direction[0] + direction_gradient[1] * direction[1] +
                    direction_gradient[2] * direction[2];
        for (int axis = 0; axis < 3; axis++) {
            position_gradient[axis] += (direction_gradient[axis] - direction[axis] * dot) / length;
        }
    }

    /* Conic (A, B, C) = (c, -b, a) / det of the dilated 2D covariance [[a, b], [b, c]]. */
    float cov3[6];
    ds_gaussian_covariance(cloud->log_scales + i * 3, cloud->rotations + i * 4, cov3);
    float t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = R[3 * k] * p[0] + R[3 * k + 1] * p[1] + R[3 * k + 2] * p[2] + cam->translation[k];
    }
    float inv_z = 1.0f / t[2];
    float ratio_x = t[0] * inv_z, ratio_y = t[1] * inv_z;
    bool clamped_x = ratio_x < cam->limit_x_low || ratio_x > cam->limit_x_high;
    bool clamped_y = ratio_y < cam->limit_y_low || ratio_y > cam->limit_y_high;
    float tx = (clamped_x ? (ratio_x < cam->limit_x_low ? cam->limit_x_low : cam->limit_x_high)
                          : ratio_x) *
               t[2];
    float ty = (clamped_y ? (ratio_y < cam->limit_y_low ? cam->limit_y_low : cam->limit_y_high)
                          : ratio_y) *
               t[2];
    float J[6] = {cam->fx * inv_z,
                  0.0f,
                  -cam->fx * tx * inv_z * inv_z,
                  0.0f,
                  cam->fy * inv_z,
                  -cam->fy * ty * inv_z * inv_z};
    float M[6];
    matrix_multiply(J, R, M, 2, 3, 3);
    float S[9] = {cov3[0], cov3[1], cov3[2], cov3[1], cov3[3], cov3[4], cov3[2], cov3[4], cov3[5]};
    float MS[6], cov2[4];
    matrix_multiply(M, S, MS, 2, 3, 3);
    float Mt[6] = {M[0], M[3], M[1], M[4], M[2], M[5]};
    matrix_multiply(MS, Mt, cov2, 2, 3, 2);
    float a = cov2[0] + DS_COVARIANCE_DILATION, b = cov2[1], c = cov2[3] + DS_COVARIANCE_DILATION;
    float det = a * c - b * b;
    float det2 = det * det;
    float gA = projected_gradient[2], gB = projected_gradient[3], gC = projected_gradient[4];
    float ga = (-c * c * gA + b * c * gB - b * b * gC) / det2;
    float gb = (2.0f * b * c * gA - (det + 2.0f * b * b) * gB + 2.0f * a * b * gC) / det2;
    float gc = (-b * b * gA + a * b * gB - a * a * gC) / det2;
    /* cov2 = M S M^T with symmetric dL/dcov2 G = [[ga, gb/2], [gb/2, gc]]. */
    float G[4] = {ga, 0.5f * gb, 0.5f * gb, gc};
    float GM[6], dS[9], dM[6];
    matrix_multiply(G, M, GM, 2, 2, 3);
    matrix_multiply(Mt, GM, dS, 3, 2, 3); /* M^T G M */
    float GMS[6];
    matrix_multiply(G, MS, GMS, 2, 2, 3);
    for (int k = 0; k < 6; k++) {
        dM[k] = 2.0f * GMS[k];
    }
    /* M = J R: dL/dJ = dL/dM R^T (only J's non-zero entries matter). */
    float Rt[9] = {R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8]};
    float dJ[6];
    matrix_multiply(dM, Rt, dJ, 2, 3, 3);
    /* J from the camera-space centre: J00 = fx/z, J02 = -fx x'/z^2 with x' = x unless clamped
     * (then x' = limit z, and J02 = -fx limit / z). */
    float dt[3] = {0.0f, 0.0f, 0.0f};
    float inv_z2 = inv_z * inv_z, inv_z3 = inv_z2 * inv_z;
    dt[2] += -cam->fx * inv_z2 * dJ[0] - cam->fy * inv_z2 * dJ[4];
    if (clamped_x) {
        dt[2] += cam->fx * tx * inv_z3 * dJ[2];
    } else {
        dt[0] += -cam->fx * inv_z2 * dJ[2];
        dt[2] += 2.0f * cam->fx * tx * inv_z3 * dJ[2];
    }
    if (clamped_y) {
        dt[2] += cam->fy * ty * inv_z3 * dJ[5];
    } else {
        dt[1] += -cam->fy * inv_z2 * dJ[5];
        dt[2] += 2.0f * cam->fy * ty * inv_z3 * dJ[5];
    }
    /* Centre: u = fx x / z + cx, v = fy y / z + cy. */
    dt[0] += du * cam->fx * inv_z;
    dt[1] += dv * cam->fy * inv_z;
    dt[2] += -(du * cam->fx * t[0] + dv * cam->fy * t[1]) * inv_z2;
    for (int axis = 0; axis < 3; axis++) {
        position_gradient[axis] += R[axis] * dt[0] + R[3 + axis] * dt[1] + R[6 + axis] * dt[2];
        gradient->positions[i * 3 + (size_t)axis] = position_gradient[axis];
    }

    /* Covariance S = A A^T with A = Rq diag(s): dL/dA = 2 dS A. */
    float Rq[9];
    ds_quaternion_to_matrix(cloud->rotations + i * 4, Rq);
    float scale[3];
    for (int k = 0; k < 3; k++) {
        scale[k] = expf(cloud->log_scales[i * 3 + k]);
    }
    float A[9];
    for (int row = 0; row < 3; row++) {
        for (int col = 0; col < 3; col++) {
            A[row * 3 + col] = Rq[row * 3 + col] * scale[col];
        }
    }
    float dA[9];
    matrix_multiply(dS, A, dA, 3, 3, 3);
    float dRq[9];
    for (int col = 0; col < 3; col++) {
        float scale_gradient = 0.0f;
        for (int row = 0; row < 3; row++) {
            dA[row * 3 + col] *= 2.0f;
            scale_gradient += dA[row * 3 + col] * Rq[row * 3 + col];
            dRq[row * 3 + col] = dA[row * 3 + col] * scale[col];
        }
        gradient->log_scales[i * 3 + (size_t)col] = scale_gradient * scale[col];
    }
    ds_quaternion_to_matrix_backward(cloud->rotations + i * 4, dRq, gradient->rotations + i * 4);
}

static void zero_gaussian(ds_gaussian_cloud *gradient, size_t i, float *screen_gradient) {
    size_t sh_stride = ds_gaussian_cloud_sh_stride(gradient);
    memset(gradient->positions + i * 3, 0, 3 * sizeof(float));
    memset(gradient->rotations + i * 4, 0, 4 * sizeof(float));
    memset(gradient->log_scales + i * 3, 0, 3 * sizeof(float));
    gradient->opacity_logits[i] = 0.0f;
    memset(gradient->sh + i * sh_stride, 0, sh_stride * sizeof(float));
    if (screen_gradient) {
        screen_gradient[i * 2] = screen_gradient[i * 2 + 1] = 0.0f;
    }
}

ds_status ds_rasterize_backward(ds_raster_backward *backward, const ds_rasterizer *rasterizer,
                                const ds_image *image_gradient, ds_gaussian_cloud *gradient,
                                float *screen_gradient) {
    const struct ds_rasterizer *frame = rasterizer;
    if (!frame->cloud) {
        return ds_error(DS_ERR_ARGUMENT, "nothing has been rendered to take the gradient of");
    }
    if (frame->settings.antialiased) {
        return ds_error(DS_ERR_UNSUPPORTED, "no backward pass for antialiased rendering");
    }
    if (image_gradient->width != frame->camera.width ||
        image_gradient->height != frame->camera.height) {
        return ds_error(DS_ERR_ARGUMENT, "image gradient is %dx%d but the frame is %dx%d",
                        image_gradient->width, image_gradient->height, frame->camera.width,
                        frame->camera.height);
    }
    if (gradient->count != frame->cloud->count || gradient->sh_degree != frame->cloud->sh_degree) {
        return ds_error(DS_ERR_ARGUMENT, "gradient cloud does not match the rendered cloud");
    }
    if (frame->entry_count > backward->entry_capacity || !backward->entry_gradients) {
        size_t capacity = frame->entry_count + frame->entry_count / 4 + 64;
        float *grown =
            realloc(backward->entry_gradients, capacity * PROJECTED_GRADIENTS * sizeof(float));
        if (!grown) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate gradients for %zu tile entries",
                            frame->entry_count);
        }
        backward->entry_gradients = grown;
        backward->entry_capacity = capacity;
    }
    int tiles = frame->tiles_x * frame->tiles_y;
    ds_status failure = ds_ok();
    int failed = 0;
#pragma omp parallel
    {
        ds_tile_batch *batch = &backward->batches[omp_get_thread_num()];
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
            backward_tile(frame, batch, tile, image_gradient, backward->entry_gradients);
        }
    }
    if (failed) {
        return failure;
    }
    size_t n = frame->gaussian_count;
    const float *entry_gradients = backward->entry_gradients;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n; i++) {
        uint32_t begin = frame->touched[i];
        uint32_t end = i + 1 < n ? frame->touched[i + 1] : (uint32_t)frame->entry_count;
        if (begin == end) {
            zero_gaussian(gradient, i, screen_gradient);
            continue;
        }
        float sum[PROJECTED_GRADIENTS] = {0};
        for (uint32_t e = begin; e < end; e++) {
            const float *entry =
                entry_gradients + (size_t)frame->pair_entries[e] * PROJECTED_GRADIENTS;
            for (int q = 0; q < PROJECTED_GRADIENTS; q++) {
                sum[q] += entry[q];
            }
        }
        gaussian_backward(frame, i, sum, gradient, screen_gradient);
    }
    return ds_ok();
}
