/* Where a subject stands, from its silhouettes: the point nearest (least squares) to the rays
 * through the centroids of the foreground (pixels unlike the background) in every view. Robust
 * to large moves that gradient steps cannot cross: a tracking range that starts far from the
 * first frame's pose gets its body moved there first (tools/command_track.c). */
#ifndef DS_ENCODER_SILHOUETTE_CENTROID_H
#define DS_ENCODER_SILHOUETTE_CENTROID_H

#include "encoder/first_frame_fit.h"
#include "formats/status.h"

/* Fails when fewer than two views see any foreground, or their rays are (nearly) parallel. */
ds_status ds_silhouette_centroid(const ds_fit_views *views, const float background[3],
                                 double centroid[3]);

#endif
