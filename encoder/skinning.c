#include "skinning.h"
#include "render/parallel.h"

#include "encoder/neighbors.h"
#include "render/projection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Weights softmax(-d^2 / l^2) over each row of k squared distances, relative to the row's
 * smallest distance so that exp never underflows to 0/0. */
static void softmax_weights(const float *distances, size_t rows, int k, float length,
                            float *weights) {
    float inverse = 1.0f / (length * length);
    for (size_t r = 0; r < rows; r++) {
        const float *d = distances + r * (size_t)k;
        float *w = weights + r * (size_t)k;
        float nearest = d[0];
        float sum = 0.0f;
        for (int j = 0; j < k; j++) {
            w[j] = isfinite(d[j]) ? expf(-(d[j] - nearest) * inverse) : 0.0f;
            sum += w[j];
        }
        for (int j = 0; j < k; j++) {
            w[j] = sum > 0.0f ? w[j] / sum : (j == 0 ? 1.0f : 0.0f);
        }
    }
}

static ds_status make_binding(const float *queries, size_t count, const float *points,
                              size_t point_count, float length, bool exclude_self, ds_binding *b) {
    memset(b, 0, sizeof *b);
    if (point_count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "there are no joints to bind to");
    }
    if (!(length > 0.0f)) {
        return ds_error(DS_ERR_ARGUMENT, "binding length %g is not positive", (double)length);
    }
    ds_status status = ds_binding_create(count, point_count, b);
    if (ds_failed(&status)) {
        return status;
    }
    size_t entries = count * (size_t)b->k;
    float *distances = malloc((entries ? entries : 1) * sizeof *distances);
    if (!distances) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate a binding of %zu Gaussians", count);
    }
    if (!ds_failed(&status)) {
        status = ds_nearest_neighbors(queries, count, points, point_count, b->k, exclude_self,
                                      b->joints, distances);
    }
    if (!ds_failed(&status)) {
        softmax_weights(distances, count, b->k, length, b->weights);
        status = ds_binding_index(b);
    }
    free(distances);
    if (ds_failed(&status)) {
        ds_binding_free(b);
    }
    return status;
}

ds_status ds_binding_compute(const float *skin_positions, size_t skin_count,
                             const float *joint_positions, size_t joint_count, float length,
                             ds_binding *binding) {
    return make_binding(skin_positions, skin_count, joint_positions, joint_count, length, false,
                        binding);
}

ds_status ds_neighbor_graph_compute(const float *positions, size_t count, float length,
                                    ds_neighbor_graph *graph) {
    if (count < 2) {
        return ds_error(DS_ERR_ARGUMENT, "a neighbour graph needs at least two points");
    }
    return make_binding(positions, count, positions, count, length, true, graph);
}

ds_status ds_skin_deform_backward(const float *canonical_positions,
                                  const float *canonical_rotations, const ds_binding *binding,
                                  const ds_joint_transforms *transforms,
                                  const float *position_gradient, const float *rotation_gradient,
                                  ds_joint_transforms *gradient) {
    if (binding->joint_count != transforms->count || gradient->count != transforms->count) {
        return ds_error(DS_ERR_ARGUMENT, "binding, transforms and gradient disagree on joints");
    }
    ds_joint_frame *frames = ds_joint_frames(transforms);
    if (!frames) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint frames");
    }
    int k = binding->k;
    /* Joint by joint, over the skin entries that use it: no two threads share a sum. */
#pragma omp parallel for schedule(dynamic, 64) if (DS_PARALLEL(binding->count))
    for (size_t j = 0; j < transforms->count; j++) {
        float dm[9] = {0}, dq_unit[4] = {0}, dt[3] = {0};
        for (uint32_t e = binding->starts[j]; e < binding->starts[j + 1]; e++) {
            uint32_t entry = binding->entries[e];
            size_t i = entry / (size_t)k;
            int slot = (int)(entry % (size_t)k);
            float w = binding->weights[entry];
            const float *g = position_gradient + i * 3;
            const float *x0 = canonical_positions + i * 3;
            for (int r = 0; r < 3; r++) {
                dt[r] += w * g[r];
                for (int c = 0; c < 3; c++) {
                    dm[r * 3 + c] += w * g[r] * x0[c];
                }
            }
            /* q_i = blend (x) q0: the derivative with respect to blend is the transpose of
             * right-multiplication by q0. */
            const float *b = canonical_rotations + i * 4, *gq = rotation_gradient + i * 4;
            float d_blend[4] = {
                b[0] * gq[0] + b[1] * gq[1] + b[2] * gq[2] + b[3] * gq[3],
                -b[1] * gq[0] + b[0] * gq[1] - b[3] * gq[2] + b[2] * gq[3],
                -b[2] * gq[0] + b[3] * gq[1] + b[0] * gq[2] - b[1] * gq[3],
                -b[3] * gq[0] - b[2] * gq[1] + b[1] * gq[2] + b[0] * gq[3],
            };
            float ws = w * ds_skinning_hemisphere(frames, binding->joints + i * (size_t)k, slot);
            for (int c = 0; c < 4; c++) {
                dq_unit[c] += ws * d_blend[c];
            }
        }
        for (int r = 0; r < 3; r++) {
            gradient->translations[j * 3 + (size_t)r] += dt[r];
        }
        /* Both paths act on the unit quaternion; pass them through its normalisation together:
         * the matrix path's backward includes it, the blend path's is applied here. */
        float dq[4];
        ds_quaternion_to_matrix_backward(transforms->rotations + j * 4, dm, dq);
        const float *raw = transforms->rotations + j * 4;
        float norm = sqrtf(raw[0] * raw[0] + raw[1] * raw[1] + raw[2] * raw[2] + raw[3] * raw[3]);
        const float *unit = frames[j].q;
        float dot = dq_unit[0] * unit[0] + dq_unit[1] * unit[1] + dq_unit[2] * unit[2] +
                    dq_unit[3] * unit[3];
        for (int c = 0; c < 4; c++) {
            float blend_part = norm > 0.0f ? (dq_unit[c] - unit[c] * dot) / norm : 0.0f;
            gradient->rotations[j * 4 + (size_t)c] += dq[c] + blend_part;
        }
    }
    free(frames);
    return ds_ok();
}
