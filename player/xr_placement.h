/* Where the performer stands in a headset's room, and the eye cameras that see it. The room is
 * OpenXR's stage space: metres, +y up, the floor at y = 0, the user looking down -z when
 * recentred. The media's world has its own up axis and units; a placement maps it into the room:
 *
 *     stage = scale * Ry(yaw) * Q * (world - anchor) + position
 *
 * where Q turns the world's up to +y and the performer's front to +z (toward the user), the anchor
 * is the floor point under the performance, and yaw and position put it in front of the user.
 * Plain math without OpenXR, so it is tested on its own. */
#ifndef DS_PLAYER_XR_PLACEMENT_H
#define DS_PLAYER_XR_PLACEMENT_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"
#include "formats/status.h"

typedef struct ds_xr_placement {
    double upright[9];  /* Q, row-major */
    double anchor[3];   /* world */
    double yaw;         /* radians about stage +y */
    double position[3]; /* stage, metres */
    double scale;       /* metres per world unit: 1 for a capture in metres (1:1) */
} ds_xr_placement;

/* A pose in the stage: position in metres and orientation as a unit quaternion (x, y, z, w), the
 * view looking down its -z with +y up (OpenXR's view space). */
typedef struct ds_xr_pose {
    double position[3];
    double orientation[4];
} ds_xr_pose;

/* An eye's field of view as OpenXR gives it: angles in radians of its left, right, top and bottom
 * edges from the view direction (left and down negative). */
typedef struct ds_xr_fov {
    double left, right, up, down;
} ds_xr_fov;

/* Uprights the performance (Gaussians spread over the stream, ds_media_performance_cloud) by the
 * world's `up`, turns the side `front` points to (a world direction from the performer toward
 * where it should be seen from) toward the user, and anchors it at the floor under its centre:
 * the lowest of its central 99% along up. Scale 1, at the stage origin until placed. */
ds_status ds_xr_placement_init(const ds_gaussian_cloud *performance, const double up[3],
                               const double front[3], ds_xr_placement *placement);

/* Puts the performer on the floor `distance` metres in front of the head (along its gaze,
 * levelled), facing it. */
void ds_xr_placement_face(ds_xr_placement *placement, const ds_xr_pose *head, double distance);

/* A world point in the stage. */
void ds_xr_placement_to_stage(const ds_xr_placement *placement, const double world[3],
                              double stage[3]);

/* The camera (in the media's world, our camera conventions) of an eye at `eye` in the stage with
 * field of view `fov`, rendering a width x height image. */
ds_camera ds_xr_eye_camera(const ds_xr_placement *placement, const ds_xr_pose *eye,
                           const ds_xr_fov *fov, int width, int height);

#endif
