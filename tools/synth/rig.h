/* The synthetic capture's cameras: V pinhole cameras on a ring or a dome around the figure,
 * each looking at the middle of the figure's motion from 3.5 m, with a field of view that keeps
 * the whole motion inside every image: every point the caller lists (the corners of each part's
 * box in every pose of the motion) lands at least 3% of the image inside its borders.
 *
 * Like a real stage, the cameras are not identical: each has its own focal length (up to 4%
 * shorter than the one that just frames the motion), a slightly different vertical focal length
 * and a principal point a few pixels off the image centre, drawn from the seed. There is no lens
 * distortion. */
#ifndef DS_SYNTH_RIG_H
#define DS_SYNTH_RIG_H

#include "formats/camera.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_SYNTH_CAMERA_DISTANCE 3.5 /* metres from the point the cameras look at */

typedef enum ds_synth_rig_kind {
    DS_SYNTH_RING, /* one ring, at three alternating heights (2, 12 and 22 degrees up) */
    DS_SYNTH_DOME, /* rings at -5, 15, 35 and 55 degrees, views shared by circumference */
    DS_SYNTH_RIG_COUNT
} ds_synth_rig_kind;

/* "ring", "dome". */
const char *ds_synth_rig_name(ds_synth_rig_kind kind);
bool ds_synth_rig_from_name(const char *name, ds_synth_rig_kind *kind);

/* One camera as transforms.json stores it. */
typedef struct ds_synth_rig_camera {
    double camera_to_world[16]; /* OpenGL axes (x right, y up, looking down -z), row-major */
    int width, height;
    double fx, fy, cx, cy;
} ds_synth_rig_camera;

/* Places `count` cameras (1-10000) around `target`, framing the `point_count` world points.
 * Every value is rounded (positions to 1e-9 m, intrinsics to 1e-6 px) so that what
 * transforms.json holds is exactly what was rendered. */
ds_status ds_synth_rig_create(ds_synth_rig_kind kind, int count, int width, int height,
                              uint64_t seed, const double target[3], const double (*points)[3],
                              size_t point_count, ds_synth_rig_camera *cameras);

/* The camera as a capture reader sees it (ds_camera_from_opengl_camera_to_world). */
ds_status ds_synth_rig_camera_to_camera(const ds_synth_rig_camera *rig_camera, ds_camera *camera);

#endif
