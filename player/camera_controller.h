/* The desktop player's interactive camera: an orbit around a target, driven by input events that
 * the SDL front end translates into calls (no SDL here, so it is tested without a window).
 *
 *   left drag          ds_camera_controller_orbit   turn the view around the target
 *   right/middle drag  ds_camera_controller_pan     slide the view; what is under the cursor at
 *                                                   the target's depth stays under it
 *   wheel              ds_camera_controller_zoom    move toward / away from the target
 *   W A S D, Q E       ds_camera_controller_fly     move eye and target together
 *   Home / R           ds_camera_controller_reset   back to the first view
 *
 * The eye is at  target + distance * (cos pitch (cos yaw e1 + sin yaw e2) + sin pitch up),
 * e1, e2 a fixed basis of the plane perpendicular to `up`. Pitch stops short of the poles, so the
 * image never turns upside down and look-at's up is never parallel to the view. Inputs that are
 * not finite are ignored, so a broken event cannot leave the view unrecoverable. */
#ifndef DS_PLAYER_CAMERA_CONTROLLER_H
#define DS_PLAYER_CAMERA_CONTROLLER_H

#include "formats/camera.h"
#include "formats/status.h"

/* How far pitch may go from the horizontal, in radians (89 degrees). */
#define DS_CAMERA_CONTROLLER_MAX_PITCH 1.5533430342749532

/* What moves; reset copies the home view back. */
typedef struct ds_camera_controller_view {
    double target[3];     /* orbit centre, world space */
    double yaw, pitch;    /* radians: the direction from the target to the eye */
    double distance;      /* eye to target, > 0 */
    double fov_y_degrees; /* vertical field of view */
} ds_camera_controller_view;

typedef struct ds_camera_controller {
    ds_camera_controller_view view, home;
    double up[3];             /* unit world up */
    double e1[3], e2[3];      /* unit basis perpendicular to up, e2 = up x e1 */
    double radians_per_pixel; /* orbit speed (default 0.005: a 1200-pixel drag turns ~340 deg) */
    double zoom_per_step;     /* distance factor per wheel step (default 1.15) */
    double fly_speed;         /* target distances per second at full input (default 1) */
    double min_distance, max_distance; /* zoom limits (default 1e-3 and 1e3 x the home one) */
} ds_camera_controller;

/* Starts at the framing camera's centre looking at `target` (usually what the framing camera
 * looks at: ds_camera_framing_target for a framed cloud), with `up` up (NULL: the data
 * model's -y) and the framing camera's vertical field of view; that view is home. Fails when
 * the eye is at the target. A framing camera straight above or below the target is moved to the
 * pitch limit. */
ds_status ds_camera_controller_init_from(const ds_camera *framing, const double target[3],
                                         const double up[3], ds_camera_controller *controller);

/* A mouse drag of (dx, dy) pixels, right and down positive: the scene turns with the cursor,
 * as if grabbed (dragging right brings its left side into view; dragging down shows more of its
 * top). */
void ds_camera_controller_orbit(ds_camera_controller *controller, double dx_pixels,
                                double dy_pixels);

/* A drag of (dx, dy) pixels in a viewport `viewport_height` pixels tall: the target moves in
 * the image plane so that a point at the target's depth stays under the cursor. */
void ds_camera_controller_pan(ds_camera_controller *controller, double dx_pixels, double dy_pixels,
                              int viewport_height);

/* Wheel steps (positive: away from the user, toward the target): the distance is divided by
 * zoom_per_step per step, within the zoom limits. */
void ds_camera_controller_zoom(ds_camera_controller *controller, double wheel_steps);

/* Keys held for dt seconds; each input in [-1, 1] (larger ones are clamped): `forward` along
 * the viewing direction, `right` along the image's right, `up` along world up. Eye and target
 * move together at fly_speed target distances per second, so the speed suits the scale of
 * whatever is being looked at. */
void ds_camera_controller_fly(ds_camera_controller *controller, double forward, double right,
                              double up, double dt_seconds);

/* Back to the home view, exactly. */
void ds_camera_controller_reset(ds_camera_controller *controller);

/* The eye position of the current view. */
void ds_camera_controller_eye(const ds_camera_controller *controller, double eye[3]);

/* The camera for a width x height viewport (principal point at the centre). */
ds_status ds_camera_controller_camera(const ds_camera_controller *controller, int width, int height,
                                      ds_camera *camera);

#endif
