#include "rigidity.h"
#include "render/parallel.h"

#include "render/projection.h"

#include <stdlib.h>

double ds_rigidity_evaluate(ds_rigidity *r, const ds_neighbor_graph *graph,
                            const float *rest_positions, const float *rest_rotations,
                            const float *positions, const float *rotations, double weight,
                            float *position_gradient, float *rotation_gradient) {
    int k = graph->k;
    size_t entries = graph->count * (size_t)k;
    if (entries * 3 > r->capacity || !r->residuals) {
        float *grown = realloc(r->residuals, entries * 3 * sizeof *grown);
        if (!grown) {
            return 0.0; /* no memory: the term is dropped this step */
        }
        r->residuals = grown;
        r->capacity = entries * 3;
    }
    float *residuals = r->residuals;
    double energy = 0.0;
    /* Pass 1, per point i: its residuals, and the gradient of its own position and rotation. */
#pragma omp parallel for reduction(+ : energy) schedule(static) if (DS_PARALLEL(graph->count))
    for (size_t i = 0; i < graph->count; i++) {
        const float *q = rotations + i * 4, *rest = rest_rotations + i * 4;
        const float conjugate[4] = {rest[0], -rest[1], -rest[2], -rest[3]};
        float relative[4], m[9];
        ds_quaternion_multiply(q, conjugate, relative);
        ds_quaternion_to_matrix(relative, m);
        float dm[9] = {0}, dx[3] = {0};
        for (int s = 0; s < k; s++) {
            size_t entry = i * (size_t)k + (size_t)s;
            size_t j = graph->joints[entry];
            float w = graph->weights[entry];
            float before[3], now[3], e[3];
            for (int a = 0; a < 3; a++) {
                before[a] = rest_positions[i * 3 + (size_t)a] - rest_positions[j * 3 + (size_t)a];
                now[a] = positions[i * 3 + (size_t)a] - positions[j * 3 + (size_t)a];
            }
            for (int a = 0; a < 3; a++) {
                e[a] = m[a * 3] * before[0] + m[a * 3 + 1] * before[1] + m[a * 3 + 2] * before[2] -
                       now[a];
                energy += (double)w * e[a] * e[a];
                residuals[entry * 3 + (size_t)a] = e[a];
                dx[a] -= 2.0f * w * e[a];
                for (int c = 0; c < 3; c++) {
                    dm[a * 3 + c] += 2.0f * w * e[a] * before[c];
                }
            }
        }
        float d_relative[4];
        ds_quaternion_to_matrix_backward(relative, dm, d_relative);
        /* relative = q (x) c is linear in q: right-multiplication by c = conj(rest). */
        const float *c = conjugate;
        const float dq[4] = {
            c[0] * d_relative[0] + c[1] * d_relative[1] + c[2] * d_relative[2] +
                c[3] * d_relative[3],
            -c[1] * d_relative[0] + c[0] * d_relative[1] - c[3] * d_relative[2] +
                c[2] * d_relative[3],
            -c[2] * d_relative[0] + c[3] * d_relative[1] + c[0] * d_relative[2] -
                c[1] * d_relative[3],
            -c[3] * d_relative[0] - c[2] * d_relative[1] + c[1] * d_relative[2] +
                c[0] * d_relative[3],
        };
        for (int a = 0; a < 3; a++) {
            position_gradient[i * 3 + (size_t)a] += (float)weight * dx[a];
        }
        for (int a = 0; a < 4; a++) {
            rotation_gradient[i * 4 + (size_t)a] += (float)weight * dq[a];
        }
    }
    /* Pass 2, per point j: what it owes as the neighbour of others. */
#pragma omp parallel for schedule(static) if (DS_PARALLEL(graph->count))
    for (size_t j = 0; j < graph->count; j++) {
        float dx[3] = {0, 0, 0};
        for (uint32_t e = graph->starts[j]; e < graph->starts[j + 1]; e++) {
            uint32_t entry = graph->entries[e];
            float w = graph->weights[entry];
            for (int a = 0; a < 3; a++) {
                dx[a] += 2.0f * w * residuals[(size_t)entry * 3 + (size_t)a];
            }
        }
        for (int a = 0; a < 3; a++) {
            position_gradient[j * 3 + (size_t)a] += (float)weight * dx[a];
        }
    }
    return weight * energy;
}

void ds_rigidity_free(ds_rigidity *r) {
    free(r->residuals);
    r->residuals = NULL;
    r->capacity = 0;
}
