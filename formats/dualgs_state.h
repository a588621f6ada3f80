/* The DualGS state of a tracked performance (METHOD.md §1.4-1.6), shared by the encoder that
 * produces it and the player that renders it:
 *   - the binding: each skin Gaussian's K joints and blend weights, fixed for the sequence;
 *   - per frame, every joint's rigid transform from the canonical (first) frame: a rotation
 *     quaternion (w, x, y, z) and a translation.
 * Skin positions and rotations follow from these by skinning (render/skinning.h); skin opacity,
 * scale and colour are per-frame appearance. docs/tracking.md describes the files. */
#ifndef DS_FORMATS_DUALGS_STATE_H
#define DS_FORMATS_DUALGS_STATE_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

enum { DS_BINDING_K = 8 };

typedef struct ds_binding {
    size_t count; /* skin Gaussians */
    int k;
    uint32_t *joints; /* count x k, nearest first */
    float *weights;   /* count x k, summing to 1 per skin Gaussian */
    /* The same, joint by joint: joint j's entries (skin * k + slot) are
     * entries[starts[j] .. starts[j + 1]), in skin order, so per-joint sums are deterministic. */
    size_t joint_count;
    uint32_t *starts, *entries;
} ds_binding;

/* Allocates a binding of `count` Gaussians to `joint_count` joints (k = DS_BINDING_K), contents
 * unset; ds_binding_index builds the joint-by-joint index once joints and weights are filled. */
ds_status ds_binding_create(size_t count, size_t joint_count, ds_binding *binding);
ds_status ds_binding_index(ds_binding *binding);
void ds_binding_free(ds_binding *binding);

typedef struct ds_joint_transforms {
    size_t count;
    float *rotations;    /* count x 4 (w, x, y, z), normalised on use */
    float *translations; /* count x 3 */
} ds_joint_transforms;

/* Identity transforms. */
ds_status ds_joint_transforms_create(size_t count, ds_joint_transforms *transforms);
void ds_joint_transforms_free(ds_joint_transforms *transforms);

#endif
