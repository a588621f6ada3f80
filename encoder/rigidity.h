/* The as-rigid-as-possible term of DualGS tracking (METHOD.md §2.4): each point's neighbourhood
 * should move with the point's own rotation since a rest state,
 *
 *   E_rigid = sum_i sum_{j in N(i)} w_ij || R_i (p_i - p_j) - (x_i - x_j) ||^2,
 *   R_i = R(normalise(q_i (x) conj(r_i)))
 *
 * with p, r the rest state's positions and rotations and x, q the current ones (a plain sum,
 * as the reference). The reference's rest state is the previous frame; tracking can also use the
 * first frame (ds_rigidity_reference). */
#ifndef DS_ENCODER_RIGIDITY_H
#define DS_ENCODER_RIGIDITY_H

#include "encoder/skinning.h"

typedef struct ds_rigidity {
    float *residuals; /* count x k x 3, reused between evaluations */
    size_t capacity;
} ds_rigidity;

/* Returns weight * E_rigid and adds its gradient with respect to the current positions and
 * rotations (count x 3, count x 4) into the gradient arrays. */
double ds_rigidity_evaluate(ds_rigidity *rigidity, const ds_neighbor_graph *graph,
                            const float *rest_positions, const float *rest_rotations,
                            const float *positions, const float *rotations, double weight,
                            float *position_gradient, float *rotation_gradient);

void ds_rigidity_free(ds_rigidity *rigidity);

#endif
