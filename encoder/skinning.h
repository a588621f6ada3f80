/* The encoder's side of DualGS skinning: computing the binding and the neighbour graphs
 * (METHOD.md §1.4, §2.2) and differentiating the deformation (render/skinning.h). */
#ifndef DS_ENCODER_SKINNING_H
#define DS_ENCODER_SKINNING_H

#include "formats/dualgs_state.h"
#include "render/skinning.h"

/* Binds every skin position to its K nearest joint positions with weights
 * softmax(-d^2 / length^2), computed relative to the nearest so far joints never give 0/0. */
ds_status ds_binding_compute(const float *skin_positions, size_t skin_count,
                             const float *joint_positions, size_t joint_count, float length,
                             ds_binding *binding);

/* A graph over points: each point's K nearest others with normalised weights, stored as a
 * binding (DualGS's joint graph and skin graph, for the rigidity term). */
typedef ds_binding ds_neighbor_graph;
ds_status ds_neighbor_graph_compute(const float *positions, size_t count, float length,
                                    ds_neighbor_graph *graph);

/* Given dL/d(deformed positions, rotations), adds dL/d(joint rotations, translations) into
 * `gradient` (transforms-shaped). Deterministic: each joint sums its skin entries in order. */
ds_status ds_skin_deform_backward(const float *canonical_positions,
                                  const float *canonical_rotations, const ds_binding *binding,
                                  const ds_joint_transforms *transforms,
                                  const float *position_gradient, const float *rotation_gradient,
                                  ds_joint_transforms *gradient);

#endif
