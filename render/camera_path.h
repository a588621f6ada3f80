/* Camera paths: where the camera is at each moment of an offline render. Either keyframes
 * (formats/camera_path_file.h), interpolated in between, or an orbit around a target, evaluated
 * in closed form so that any number of turns stays exactly on the circle. */
#ifndef DS_RENDER_CAMERA_PATH_H
#define DS_RENDER_CAMERA_PATH_H

#include "formats/camera.h"
#include "formats/camera_path_file.h"

#include <stddef.h>

typedef enum ds_camera_path_kind {
    DS_CAMERA_PATH_KEYFRAMES,
    DS_CAMERA_PATH_ORBIT,
} ds_camera_path_kind;

/* A circle around an axis through `center`: at angle a the eye is
 *   center + height * axis + radius * (cos a * radial + sin a * (axis x radial)),
 * looking at `center` with `axis` up, a = 2 pi turns min(max(t, 0), duration) / duration. */
typedef struct ds_camera_orbit {
    double center[3]; /* the target */
    double axis[3];   /* unit; the orbit's up */
    double radial[3]; /* unit, perpendicular to axis, toward the eye at t = 0 */
    double radius;    /* the eye's distance from the axis, > 0 */
    double height;    /* the eye's height above the center along the axis */
    double turns;     /* signed: positive turns right-handed about the axis */
    double duration;  /* seconds, > 0 */
    double fov_y_degrees;
} ds_camera_orbit;

typedef struct ds_camera_path {
    ds_camera_path_kind kind;
    size_t count;             /* KEYFRAMES: at least 1 */
    ds_camera_keyframe *keys; /* KEYFRAMES: owned, times strictly increasing */
    ds_camera_orbit orbit;    /* ORBIT */
} ds_camera_path;

/* A path through copies of `keys` (checked with ds_camera_keyframes_validate). Between keys the
 * eye, target and up follow Catmull-Rom splines (tangents from the neighbouring keys, scaled to
 * the keys' uneven spacing in time, one-sided at the ends), so the camera passes through every
 * key with a continuous velocity; the field of view is interpolated linearly. */
ds_status ds_camera_path_from_keyframes(const ds_camera_keyframe *keys, size_t count,
                                        ds_camera_path *path);

/* An orbit that starts at the framing camera's centre and goes `turns` times around the line
 * through `target` along `up` (NULL: ds_default_up) in `duration_s` seconds, looking at
 * `target` with `up` up. The field of view is the framing camera's vertical one. Fails when the
 * framing camera stands on the axis. */
ds_status ds_camera_path_orbit(const ds_camera *framing, const double target[3], const double up[3],
                               double duration_s, double turns, ds_camera_path *path);

/* The path a parsed file describes. An orbit starts at `framing`'s centre; what the file leaves
 * out of it comes from the caller: `target` (the point the render's camera looks at; required
 * unless the file gives one), `up` (NULL: ds_default_up) and the framing camera's field of view.
 * `framing` and `target` are unused for keyframes. */
ds_status ds_camera_path_from_file(const ds_camera_path_file *file, const ds_camera *framing,
                                   const double *target, const double *up, ds_camera_path *path);

/* The camera at time `t` seconds for a width x height image (principal point at the centre).
 * Times before the start or after the end give the first or last pose. Fails only where
 * interpolation between keys passes the eye through the target or turns up along the view. */
ds_status ds_camera_path_evaluate(const ds_camera_path *path, double t, int width, int height,
                                  ds_camera *camera);

/* The time of the last pose: the last key's time, or the orbit's duration. */
double ds_camera_path_end_time(const ds_camera_path *path);

void ds_camera_path_free(ds_camera_path *path);

#endif
