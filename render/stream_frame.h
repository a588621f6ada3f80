/* A decoded .dsv frame as a Gaussian cloud: the canonical skin skinned by the frame's joint
 * transforms (render/skinning.h), the segment's corrections applied, and the frame's opacity,
 * scales and colours. The CPU reference of what the player's GPU path computes. */
#ifndef DS_RENDER_STREAM_FRAME_H
#define DS_RENDER_STREAM_FRAME_H

#include "formats/dsv_reader.h"
#include "formats/gaussian_cloud.h"

/* A cloud sized for the stream (free with ds_gaussian_cloud_free). */
ds_status ds_stream_cloud_create(const ds_dsv *dsv, ds_gaussian_cloud **cloud);

/* Skinned positions and unit rotations of the canonical skin under `transforms`. */
ds_status ds_stream_skin(const ds_dsv_canonical *canonical, const ds_joint_transforms *transforms,
                         float *positions, float *rotations);

/* Fills `cloud` with local frame `local` of `segment`, decoded into `frame`. */
ds_status ds_stream_frame_cloud(const ds_dsv *dsv, const ds_dsv_segment *segment,
                                const ds_dsv_frame *frame, ds_gaussian_cloud *cloud);

/* Decodes frame `frame` of the stream into `cloud` (reads its segment): for one-off use such as
 * `render --frame N` and `unpack`. */
ds_status ds_stream_read_frame(ds_dsv *dsv, uint32_t frame, ds_gaussian_cloud *cloud);

#endif
