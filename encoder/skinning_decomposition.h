/* Skinning decomposition of a Gaussian sequence: from the per-frame positions of Gaussians whose
 * count and order are constant (a directory of trained .ply frames), a joint layer that the
 * stream stores instead of the positions (COMPRESSION.md): joints with one rigid transform per
 * frame and a binding of every Gaussian to K = 8 of them (render/skinning.h). In the manner of
 * smooth skinning decomposition with rigid bones (Le & Deng 2012):
 *
 *   1. clusters: Gaussians grouped into `joints` rigid groups by alternating a rigid fit of
 *      every group to its members' trajectories and the reassignment of every Gaussian to the
 *      nearby group whose motion best predicts its whole trajectory;
 *   2. weights: per Gaussian, the convex combination of its best K nearby joints that best
 *      predicts its trajectory (least squares on the simplex), so that Gaussians at the border
 *      of two groups blend them;
 *   3. transforms re-fitted to the blended prediction, joint by joint, and the weights again.
 *
 * The residual positions[f] - skinned positions is what the stream stores as corrections. */
#ifndef DS_ENCODER_SKINNING_DECOMPOSITION_H
#define DS_ENCODER_SKINNING_DECOMPOSITION_H

#include "formats/dualgs_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most joints a decomposition accepts: far beyond DualGS's 15k, it bounds the motion arrays. */
#define DS_DECOMPOSITION_MAX_JOINTS ((size_t)1 << 20)

typedef struct ds_decomposition_settings {
    size_t joints;   /* rigid groups; clamped to the Gaussian count */
    int iterations;  /* alternations of transform fitting and reassignment (>= 1) */
    int refinements; /* rounds of weighted transform re-fitting and weight solving (>= 0) */
    uint64_t seed;   /* picks the initial cluster centres; the result is a function of it */
} ds_decomposition_settings;

/* The defaults for `count` Gaussians: one joint per 12 Gaussians (DualGS's ~15k joints for
 * ~180k skin Gaussians) clamped to [1, 16384], 8 iterations, 2 refinements. */
void ds_decomposition_settings_default(size_t count, ds_decomposition_settings *settings);

/* Called between steps (never from worker threads) with the fraction of the work done;
 * returning false stops the decomposition with DS_ERR_INTERRUPTED. */
typedef bool (*ds_decomposition_progress)(void *context, double fraction);

/* positions[f] (f < frames, frames >= 1) holds the count x 3 positions of frame f; frame 0 is
 * the canonical frame. On success: *joint_positions (joint_count x 3, malloc'd) the joints'
 * canonical positions, *binding (created here; heaviest joint first, weights >= 0 summing to 1,
 * indexed) and transforms[f] for every frame (created here; rigid, canonical -> frame f, frame 0
 * the identity). On failure nothing is allocated. Deterministic: the same for a seed whatever
 * the thread count. */
ds_status ds_skinning_decompose(const float *const *positions, size_t count, size_t frames,
                                const ds_decomposition_settings *settings,
                                ds_decomposition_progress progress, void *context,
                                float **joint_positions, size_t *joint_count, ds_binding *binding,
                                ds_joint_transforms *transforms);

#endif
