/* Where an independent tracking range starts (docs/cluster.md): the first frame's state, moved
 * to the subject's place in the range's first frame before any gradient step, because the pose
 * there may be further than the coarse stage reaches. The body is moved by how far the
 * silhouettes' centroid moved (encoder/silhouette_centroid.h), then turned about the up axis
 * through that centroid by the angle, among a few, whose render matches the frame best. */
#ifndef DS_ENCODER_RANGE_START_H
#define DS_ENCODER_RANGE_START_H

#include "encoder/tracking.h"

/* `first_views` are frame 0's, `views` the range's first frame's (any resolution; a few views
 * suffice). `state` is the first frame's state (ds_track_frame_first), moved in place. */
ds_status ds_track_range_start(const ds_track_model *model, const ds_fit_views *first_views,
                               const ds_fit_views *views, const float background[3],
                               const double up[3], ds_track_frame *state);

#endif
