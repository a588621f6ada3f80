/* Skinning of the skin Gaussians by the joints' rigid transforms (formats/dualgs_state.h):
 *
 *   position  x_i = sum_k w_ik (R_k x0_i + t_k)                        (linear blend skinning)
 *   rotation  q_i = (sum_k w_ik s_ik q_k) (x) q0_i                      (normalised on use)
 *
 * where s_ik = +-1 puts each q_k in the hemisphere of the heaviest joint's, so that q and -q
 * (the same rotation) blend alike. Blending quaternions rather than matrices (the reference
 * blends 3x4 matrices) keeps the skin's rotation a rotation. The CPU reference of what the
 * player's shaders do; the encoder differentiates it. */
#ifndef DS_RENDER_SKINNING_H
#define DS_RENDER_SKINNING_H

#include "formats/dualgs_state.h"

/* Writes the deformed positions and rotations (count x 3, count x 4) of the skin from its
 * canonical positions and unit rotations. */
ds_status ds_skin_deform(const float *canonical_positions, const float *canonical_rotations,
                         const ds_binding *binding, const ds_joint_transforms *transforms,
                         float *positions, float *rotations);

/* Quaternion helpers (w, x, y, z). */
void ds_quaternion_multiply(const float a[4], const float b[4], float out[4]);
void ds_quaternion_normalize(float q[4]);

/* Per joint: the unit rotation and its matrix. */
typedef struct ds_joint_frame {
    float q[4], m[9];
} ds_joint_frame;

/* The joint frames of a set of transforms (free with free()); NULL when out of memory. */
ds_joint_frame *ds_joint_frames(const ds_joint_transforms *transforms);

/* s_ik of slot `slot` of a skin Gaussian whose joints are `joints`. */
static inline float ds_skinning_hemisphere(const ds_joint_frame *frames, const uint32_t *joints,
                                           int slot) {
    const float *a = frames[joints[0]].q, *b = frames[joints[slot]].q;
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] < 0.0f ? -1.0f : 1.0f;
}

#endif
