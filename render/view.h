/* Cameras for looking at a cloud: look-at construction and automatic framing. */
#ifndef DS_RENDER_VIEW_H
#define DS_RENDER_VIEW_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"

/* A camera at `eye` looking at `target`, with `up` pointing up in the image (it need not be
 * perpendicular to the viewing direction, only not parallel to it), a vertical field of view in
 * degrees and a principal point at the image centre. */
ds_status ds_camera_look_at(const double eye[3], const double target[3], const double up[3],
                            double fov_y_degrees, int width, int height, ds_camera *camera);

/* The world "up" the data model assumes when none is given: -y, since its axes are right, down,
 * front (those of COLMAP-trained splats). */
extern const double ds_default_up[3];

/* A camera that shows the whole object: it looks at the centre of the box holding the central
 * 99% of the Gaussian centres on every axis (so far-away floaters do not shrink the object to a
 * dot), from a distance where that box fits the field of view, along `direction` (toward the
 * object). With `direction` NULL: from the side of the world origin when the origin lies well
 * outside the object (trained scenes put their cameras around it there), else along +z, the
 * data model's forward. If `eye` is given, the camera stands there instead. */
ds_status ds_camera_frame_cloud(const ds_gaussian_cloud *cloud, const double *eye,
                                const double *direction, const double up[3], double fov_y_degrees,
                                int width, int height, ds_camera *camera);

/* The point ds_camera_frame_cloud looks at: the centre of the box holding the central 99% of
 * the Gaussian centres on each axis (to orbit around, for instance). */
ds_status ds_camera_framing_target(const ds_gaussian_cloud *cloud, double target[3]);

#endif
