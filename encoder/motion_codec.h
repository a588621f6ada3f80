/* Analysis of the joint-motion layer (formats/dsv_motion.h): joint positions and rotations of a
 * segment's frames quantised to B bits, and a residual vector quantiser trained on the
 * constant-velocity prediction residuals (k-means per stage) whose codewords take most of each
 * residual, so that the losslessly coded leftovers are mostly zero. */
#ifndef DS_ENCODER_MOTION_CODEC_H
#define DS_ENCODER_MOTION_CODEC_H

#include "formats/dsv_motion.h"

typedef struct ds_motion_settings {
    /* Quantisation steps: of a joint's displacement within a segment, as a fraction of the
     * scene's size (the caller's `extent`), and of a relative rotation's quaternion components.
     * Each channel gets the bits its range over the segment needs at that step (METHOD.md §3.3
     * uses 11 bits everywhere), 16 at most. */
    float position_step, rotation_step;
    int stages;       /* residual quantiser stages, 0..4 */
    uint32_t entries; /* codewords per stage, 1..4096 */
    uint64_t seed;
} ds_motion_settings;

void ds_motion_settings_default(ds_motion_settings *settings);

/* transforms[t] for t < frames: each joint's rigid transform from the canonical frame;
 * canonical_joints: joints x 3; extent: the scene's size (e.g. its bounding diagonal).
 * Creates `layer`. */
ds_status ds_motion_analyse(const ds_joint_transforms *transforms, uint32_t frames,
                            const float *canonical_joints, float extent,
                            const ds_motion_settings *settings, ds_motion_layer *layer);

#endif
