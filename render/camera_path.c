#include "camera_path.h"

#include "view.h"

#include "formats/vector3.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double DS_PI = 3.14159265358979323846;
/* The framing camera must stand this far off the orbit's axis (as a fraction of its distance to
 * the target) for the view direction and the axis not to be parallel. */
static const double MIN_ORBIT_SINE = 1e-6;

/* v / |v|, scaled by its largest component first so that tiny vectors (an interpolated up can
 * pass near zero) do not underflow when squared; false for zero or non-finite vectors. */
static bool unit_vector(const double v[3], double out[3]) {
    double scale = fmax(fabs(v[0]), fmax(fabs(v[1]), fabs(v[2])));
    if (!(scale > 0.0 && isfinite(scale))) {
        return false;
    }
    double scaled[3] = {v[0] / scale, v[1] / scale, v[2] / scale};
    double length = sqrt(ds_vec3_dot(scaled, scaled));
    for (int k = 0; k < 3; k++) {
        out[k] = scaled[k] / length;
    }
    return true;
}

ds_status ds_camera_path_from_keyframes(const ds_camera_keyframe *keys, size_t count,
                                        ds_camera_path *path) {
    *path = (ds_camera_path){0};
    ds_status status = ds_camera_keyframes_validate(keys, count);
    if (ds_failed(&status)) {
        return ds_error(DS_ERR_ARGUMENT, "camera path: %s", status.message);
    }
    path->keys = malloc(count * sizeof *path->keys);
    if (!path->keys) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu camera keyframes", count);
    }
    memcpy(path->keys, keys, count * sizeof *keys);
    path->count = count;
    path->kind = DS_CAMERA_PATH_KEYFRAMES;
    return ds_ok();
}

ds_status ds_camera_path_orbit(const ds_camera *framing, const double target[3], const double up[3],
                               double duration_s, double turns, ds_camera_path *path) {
    *path = (ds_camera_path){0};
    ds_status status = ds_camera_validate(framing);
    if (ds_failed(&status)) {
        return ds_error(status.code, "orbit: the framing camera: %s", status.message);
    }
    if (!(duration_s > 0.0 && isfinite(duration_s))) {
        return ds_error(DS_ERR_ARGUMENT, "orbit: duration %g s is not positive", duration_s);
    }
    if (!isfinite(turns)) {
        return ds_error(DS_ERR_ARGUMENT, "orbit: %g turns is not a number", turns);
    }
    if (!(isfinite(target[0]) && isfinite(target[1]) && isfinite(target[2]))) {
        return ds_error(DS_ERR_ARGUMENT, "orbit: the target is not a finite point");
    }
    ds_camera_orbit orbit = {.turns = turns, .duration = duration_s};
    if (!unit_vector(up ? up : ds_default_up, orbit.axis)) {
        return ds_error(DS_ERR_ARGUMENT, "orbit: the up direction is zero");
    }
    double eye[3], offset[3];
    ds_camera_center(framing, eye);
    for (int k = 0; k < 3; k++) {
        orbit.center[k] = target[k];
        offset[k] = eye[k] - target[k];
    }
    orbit.height = ds_vec3_dot(offset, orbit.axis);
    double horizontal[3];
    for (int k = 0; k < 3; k++) {
        horizontal[k] = offset[k] - orbit.height * orbit.axis[k];
    }
    orbit.radius = sqrt(ds_vec3_dot(horizontal, horizontal));
    if (!(orbit.radius > MIN_ORBIT_SINE * sqrt(ds_vec3_dot(offset, offset)))) {
        return ds_error(DS_ERR_ARGUMENT,
                        "orbit: the camera stands on the axis it would turn around (straight %s "
                        "the target)",
                        orbit.height > 0.0 ? "above" : "below");
    }
    for (int k = 0; k < 3; k++) {
        orbit.radial[k] = horizontal[k] / orbit.radius;
    }
    /* The vertical field of view is what the framing camera shows, whatever image size the
     * path is later evaluated at. */
    orbit.fov_y_degrees = 2.0 * atan(0.5 * framing->height / framing->fy) * 180.0 / DS_PI;
    path->kind = DS_CAMERA_PATH_ORBIT;
    path->orbit = orbit;
    return ds_ok();
}

ds_status ds_camera_path_from_file(const ds_camera_path_file *file, const ds_camera *framing,
                                   const double *target, const double *up, ds_camera_path *path) {
    *path = (ds_camera_path){0};
    if (file->kind == DS_CAMERA_PATH_FILE_KEYFRAMES) {
        return ds_camera_path_from_keyframes(file->keyframes, file->count, path);
    }
    const ds_camera_orbit_request *request = &file->orbit;
    const double *center = request->has_target ? request->target : target;
    if (!center) {
        return ds_error(DS_ERR_ARGUMENT, "orbit: there is no target to turn around");
    }
    const double *axis = request->has_up ? request->up : up;
    ds_status status =
        ds_camera_path_orbit(framing, center, axis, request->duration, request->turns, path);
    if (!ds_failed(&status) && request->has_fov) {
        path->orbit.fov_y_degrees = request->fov_y_degrees;
    }
    return status;
}

double ds_camera_path_end_time(const ds_camera_path *path) {
    if (path->kind == DS_CAMERA_PATH_ORBIT) {
        return path->orbit.duration;
    }
    return path->count ? path->keys[path->count - 1].time : 0.0;
}

static ds_status orbit_camera(const ds_camera_orbit *orbit, double t, int width, int height,
                              ds_camera *camera) {
    double fraction = fmin(fmax(t / orbit->duration, 0.0), 1.0);
    double angle = 2.0 * DS_PI * orbit->turns * fraction;
    double c = cos(angle), s = sin(angle);
    double tangent[3], eye[3];
    ds_vec3_cross(orbit->axis, orbit->radial, tangent);
    for (int k = 0; k < 3; k++) {
        eye[k] = orbit->center[k] + orbit->height * orbit->axis[k] +
                 orbit->radius * (c * orbit->radial[k] + s * tangent[k]);
    }
    return ds_camera_look_at(eye, orbit->center, orbit->axis, orbit->fov_y_degrees, width, height,
                             camera);
}

/* The index of the last key at or before t (0 when t is before every key). */
static size_t segment_of(const ds_camera_keyframe *keys, size_t count, double t) {
    size_t low = 0, high = count - 1;
    while (low < high) {
        size_t middle = low + (high - low + 1) / 2;
        if (keys[middle].time <= t) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    return low;
}

/* The Catmull-Rom tangent (per second) at key i of one vector field: a centred difference over
 * the neighbouring keys, one-sided at the ends. Divided by the time between the neighbours, it
 * stays no longer than their distance per segment length, so uneven key spacing cannot make it
 * overshoot wildly. */
static void tangent_at(const ds_camera_keyframe *keys, size_t count, size_t i, size_t field,
                       double out[3]) {
    size_t before = i > 0 ? i - 1 : i, after = i + 1 < count ? i + 1 : i;
    const double *fields_before[3] = {keys[before].eye, keys[before].target, keys[before].up};
    const double *fields_after[3] = {keys[after].eye, keys[after].target, keys[after].up};
    double span = keys[after].time - keys[before].time;
    for (int k = 0; k < 3; k++) {
        out[k] = (fields_after[field][k] - fields_before[field][k]) / span;
    }
}

static ds_status keyframe_camera(const ds_camera_keyframe *keys, size_t count, double t, int width,
                                 int height, ds_camera *camera) {
    double eye[3], target[3], up[3], fov;
    if (t <= keys[0].time || t >= keys[count - 1].time) {
        const ds_camera_keyframe *key = t <= keys[0].time ? &keys[0] : &keys[count - 1];
        memcpy(eye, key->eye, sizeof eye);
        memcpy(target, key->target, sizeof target);
        memcpy(up, key->up, sizeof up);
        fov = key->fov_y_degrees;
    } else {
        /* On a key s = 0 makes every Hermite weight but h00 = 1 exactly zero, so the camera
         * passes through the key bit for bit. */
        size_t i = segment_of(keys, count, t);
        const ds_camera_keyframe *a = &keys[i], *b = &keys[i + 1];
        double duration = b->time - a->time;
        double s = (t - a->time) / duration;
        double s2 = s * s, s3 = s2 * s;
        double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2,
               h11 = s3 - s2;
        double *outputs[3] = {eye, target, up};
        const double *from[3] = {a->eye, a->target, a->up};
        const double *to[3] = {b->eye, b->target, b->up};
        for (size_t field = 0; field < 3; field++) {
            double m0[3], m1[3];
            tangent_at(keys, count, i, field, m0);
            tangent_at(keys, count, i + 1, field, m1);
            for (int k = 0; k < 3; k++) {
                outputs[field][k] = h00 * from[field][k] + h10 * duration * m0[k] +
                                    h01 * to[field][k] + h11 * duration * m1[k];
            }
        }
        fov = a->fov_y_degrees + s * (b->fov_y_degrees - a->fov_y_degrees);
    }
    double unit_up[3];
    if (!unit_vector(up, unit_up)) {
        return ds_error(DS_ERR_ARGUMENT, "camera path: at %g s the interpolated up is zero", t);
    }
    ds_status status = ds_camera_look_at(eye, target, unit_up, fov, width, height, camera);
    if (ds_failed(&status)) {
        return ds_error(status.code, "camera path: at %g s: %s", t, status.message);
    }
    return status;
}

ds_status ds_camera_path_evaluate(const ds_camera_path *path, double t, int width, int height,
                                  ds_camera *camera) {
    if (isnan(t)) {
        return ds_error(DS_ERR_ARGUMENT, "camera path: the time is not a number");
    }
    if (path->kind == DS_CAMERA_PATH_ORBIT) {
        return orbit_camera(&path->orbit, t, width, height, camera);
    }
    if (path->count == 0 || !path->keys) {
        return ds_error(DS_ERR_ARGUMENT, "camera path: the path has no keyframes");
    }
    return keyframe_camera(path->keys, path->count, t, width, height, camera);
}

void ds_camera_path_free(ds_camera_path *path) {
    free(path->keys);
    *path = (ds_camera_path){0};
}
