#include "camera_controller.h"

#include "render/view.h"

#include "formats/vector3.h"

#include <math.h>
#include <stdbool.h>

static const double DS_PI = 3.14159265358979323846;

static bool normalize(double v[3]) {
    double length = sqrt(ds_vec3_dot(v, v));
    if (!(length > 0.0 && isfinite(length))) {
        return false;
    }
    for (int k = 0; k < 3; k++) {
        v[k] /= length;
    }
    return true;
}

static double clamp(double value, double low, double high) {
    return fmin(fmax(value, low), high);
}

/* Unit vector from the target toward the eye. */
static void eye_direction(const ds_camera_controller *c, double direction[3]) {
    double cos_pitch = cos(c->view.pitch), sin_pitch = sin(c->view.pitch);
    double cos_yaw = cos(c->view.yaw), sin_yaw = sin(c->view.yaw);
    for (int k = 0; k < 3; k++) {
        direction[k] = cos_pitch * (cos_yaw * c->e1[k] + sin_yaw * c->e2[k]) + sin_pitch * c->up[k];
    }
}

/* The camera's forward, right and down axes in world space, as ds_camera_look_at builds them. */
static void camera_axes(const ds_camera_controller *c, double forward[3], double right[3],
                        double down[3]) {
    double direction[3];
    eye_direction(c, direction);
    const double minus_up[3] = {-c->up[0], -c->up[1], -c->up[2]};
    for (int k = 0; k < 3; k++) {
        forward[k] = -direction[k];
    }
    ds_vec3_cross(minus_up, forward, right);
    normalize(right); /* never zero: pitch stays short of the poles */
    ds_vec3_cross(forward, right, down);
}

ds_status ds_camera_controller_init_from(const ds_camera *framing, const double target[3],
                                         const double up[3], ds_camera_controller *c) {
    ds_status status = ds_camera_validate(framing);
    if (ds_failed(&status)) {
        return ds_error(status.code, "the framing camera: %s", status.message);
    }
    if (!(isfinite(target[0]) && isfinite(target[1]) && isfinite(target[2]))) {
        return ds_error(DS_ERR_ARGUMENT, "the camera's target is not a finite point");
    }
    *c = (ds_camera_controller){
        .radians_per_pixel = 0.005,
        .zoom_per_step = 1.15,
        .fly_speed = 1.0,
    };
    const double *axis = up ? up : ds_default_up;
    for (int k = 0; k < 3; k++) {
        c->up[k] = axis[k];
    }
    if (!normalize(c->up)) {
        return ds_error(DS_ERR_ARGUMENT, "the up direction is zero");
    }
    double eye[3], offset[3];
    ds_camera_center(framing, eye);
    for (int k = 0; k < 3; k++) {
        offset[k] = eye[k] - target[k];
    }
    double distance = sqrt(ds_vec3_dot(offset, offset));
    /* Relative to the coordinates' size: a framing camera's centre comes back from R and t with
     * rounding, so "at the target" is never exactly zero. */
    double size = 0.0;
    for (int k = 0; k < 3; k++) {
        size = fmax(size, fmax(fabs(eye[k]), fabs(target[k])));
    }
    if (!(distance > 1e-9 * size && distance > 0.0 && isfinite(distance))) {
        return ds_error(DS_ERR_ARGUMENT, "the camera is at the point it looks at");
    }
    /* e1 points from the axis toward the eye, so the home yaw is 0; straight above or below the
     * target any horizontal direction serves. */
    double height = ds_vec3_dot(offset, c->up);
    for (int k = 0; k < 3; k++) {
        c->e1[k] = offset[k] - height * c->up[k];
    }
    if (sqrt(ds_vec3_dot(c->e1, c->e1)) <= 1e-9 * distance || !normalize(c->e1)) {
        const double x[3] = {1, 0, 0}, y[3] = {0, 1, 0};
        ds_vec3_cross(c->up, fabs(c->up[0]) < 0.9 ? x : y, c->e1);
        normalize(c->e1);
    }
    ds_vec3_cross(c->up, c->e1, c->e2);
    double sine = clamp(height / distance, -1.0, 1.0);
    c->view = (ds_camera_controller_view){
        .target = {target[0], target[1], target[2]},
        .yaw = atan2(ds_vec3_dot(offset, c->e2), ds_vec3_dot(offset, c->e1)),
        .pitch = clamp(asin(sine), -DS_CAMERA_CONTROLLER_MAX_PITCH, DS_CAMERA_CONTROLLER_MAX_PITCH),
        .distance = distance,
        .fov_y_degrees = 2.0 * atan(0.5 * framing->height / framing->fy) * 180.0 / DS_PI,
    };
    c->home = c->view;
    c->min_distance = 1e-3 * distance;
    c->max_distance = 1e3 * distance;
    return ds_ok();
}

void ds_camera_controller_orbit(ds_camera_controller *c, double dx_pixels, double dy_pixels) {
    double yaw = c->view.yaw - dx_pixels * c->radians_per_pixel;
    double pitch = c->view.pitch + dy_pixels * c->radians_per_pixel;
    if (!isfinite(yaw) || !isfinite(pitch)) {
        return; /* a broken event must not poison the view */
    }
    /* Kept in [-pi, pi] so that hours of dragging lose no precision. */
    c->view.yaw = remainder(yaw, 2.0 * DS_PI);
    c->view.pitch = clamp(pitch, -DS_CAMERA_CONTROLLER_MAX_PITCH, DS_CAMERA_CONTROLLER_MAX_PITCH);
}

void ds_camera_controller_pan(ds_camera_controller *c, double dx_pixels, double dy_pixels,
                              int viewport_height) {
    if (viewport_height <= 0 || !isfinite(dx_pixels) || !isfinite(dy_pixels)) {
        return;
    }
    /* A pixel at the target's depth spans distance / focal world units; moving the camera
     * against the drag by that much per pixel keeps that depth glued to the cursor. */
    double focal = 0.5 * viewport_height / tan(0.5 * c->view.fov_y_degrees * DS_PI / 180.0);
    double scale = c->view.distance / focal;
    double forward[3], right[3], down[3];
    camera_axes(c, forward, right, down);
    for (int k = 0; k < 3; k++) {
        c->view.target[k] -= scale * (dx_pixels * right[k] + dy_pixels * down[k]);
    }
}

void ds_camera_controller_zoom(ds_camera_controller *c, double wheel_steps) {
    double distance = c->view.distance * pow(c->zoom_per_step, -wheel_steps);
    if (isnan(distance)) {
        return;
    }
    c->view.distance = clamp(distance, c->min_distance, c->max_distance);
}

void ds_camera_controller_fly(ds_camera_controller *c, double forward, double right, double up,
                              double dt_seconds) {
    if (!isfinite(forward) || !isfinite(right) || !isfinite(up) || !(dt_seconds > 0.0) ||
        !isfinite(dt_seconds)) {
        return;
    }
    double step = c->fly_speed * c->view.distance * dt_seconds;
    double f = clamp(forward, -1.0, 1.0), r = clamp(right, -1.0, 1.0), u = clamp(up, -1.0, 1.0);
    double forward_axis[3], right_axis[3], down_axis[3];
    camera_axes(c, forward_axis, right_axis, down_axis);
    for (int k = 0; k < 3; k++) {
        c->view.target[k] += step * (f * forward_axis[k] + r * right_axis[k] + u * c->up[k]);
    }
}

void ds_camera_controller_reset(ds_camera_controller *c) {
    c->view = c->home;
}

void ds_camera_controller_eye(const ds_camera_controller *c, double eye[3]) {
    double direction[3];
    eye_direction(c, direction);
    for (int k = 0; k < 3; k++) {
        eye[k] = c->view.target[k] + c->view.distance * direction[k];
    }
}

ds_status ds_camera_controller_camera(const ds_camera_controller *c, int width, int height,
                                      ds_camera *camera) {
    double eye[3];
    ds_camera_controller_eye(c, eye);
    return ds_camera_look_at(eye, c->view.target, c->up, c->view.fov_y_degrees, width, height,
                             camera);
}
