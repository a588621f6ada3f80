#include "view.h"

#include "formats/cloud_stats.h"
#include "formats/vector3.h"

#include <math.h>

static const double DS_PI = 3.14159265358979323846;

const double ds_default_up[3] = {0.0, -1.0, 0.0};

static double normalize(double v[3]) {
    double length = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (length > 0.0) {
        v[0] /= length;
        v[1] /= length;
        v[2] /= length;
    }
    return length;
}

ds_status ds_camera_look_at(const double eye[3], const double target[3], const double up[3],
                            double fov_y_degrees, int width, int height, ds_camera *camera) {
    if (!(fov_y_degrees > 0.0 && fov_y_degrees < 180.0)) {
        return ds_error(DS_ERR_ARGUMENT, "field of view %g is not between 0 and 180 degrees",
                        fov_y_degrees);
    }
    if (width <= 0 || height <= 0) {
        return ds_error(DS_ERR_ARGUMENT, "image size %dx%d is not positive", width, height);
    }
    double forward[3] = {target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]};
    if (normalize(forward) == 0.0) {
        return ds_error(DS_ERR_ARGUMENT, "the camera is at the point it looks at");
    }
    /* Camera axes: x right, y down, z forward, right-handed: x = down x forward. */
    double down[3] = {-up[0], -up[1], -up[2]};
    double right[3];
    ds_vec3_cross(down, forward, right);
    if (normalize(right) < 1e-9) {
        return ds_error(DS_ERR_ARGUMENT, "the up direction is parallel to the viewing direction");
    }
    double image_down[3];
    ds_vec3_cross(forward, right, image_down);
    const double *rows[3] = {right, image_down, forward};
    double focal = 0.5 * height / tan(0.5 * fov_y_degrees * DS_PI / 180.0);
    *camera = (ds_camera){.width = width,
                          .height = height,
                          .fx = focal,
                          .fy = focal,
                          .cx = 0.5 * width,
                          .cy = 0.5 * height};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            camera->rotation[3 * i + j] = rows[i][j];
        }
        camera->translation[i] = -(rows[i][0] * eye[0] + rows[i][1] * eye[1] + rows[i][2] * eye[2]);
    }
    return ds_camera_validate(camera);
}

/* The centre and half-diagonal of the box holding the central 99% of the centres per axis. */
static ds_status core_box(const ds_gaussian_cloud *cloud, double center[3], double *radius) {
    if (cloud->count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "there are no Gaussians to frame");
    }
    ds_cloud_stats stats;
    ds_status status = ds_cloud_stats_compute(cloud, &stats);
    if (ds_failed(&status)) {
        return status;
    }
    *radius = 0.0;
    for (int k = 0; k < 3; k++) {
        center[k] = 0.5 * (stats.core_min[k] + stats.core_max[k]);
        double half = 0.5 * (stats.core_max[k] - stats.core_min[k]);
        *radius += half * half;
    }
    *radius = sqrt(*radius);
    return ds_ok();
}

ds_status ds_camera_framing_target(const ds_gaussian_cloud *cloud, double target[3]) {
    double radius;
    return core_box(cloud, target, &radius);
}

ds_status ds_camera_frame_cloud(const ds_gaussian_cloud *cloud, const double *eye,
                                const double *direction, const double up[3], double fov_y_degrees,
                                int width, int height, ds_camera *camera) {
    double center[3], radius;
    ds_status status = core_box(cloud, center, &radius);
    if (ds_failed(&status)) {
        return status;
    }
    if (!(radius > 0.0)) {
        radius = 1.0; /* a single point: any distance shows it */
    }
    double position[3];
    if (eye) {
        for (int k = 0; k < 3; k++) {
            position[k] = eye[k];
        }
    } else {
        double along[3] = {0.0, 0.0, 1.0};
        double from_origin =
            sqrt(center[0] * center[0] + center[1] * center[1] + center[2] * center[2]);
        if (from_origin > 2.0 * radius) {
            /* The object sits away from the world origin, where trainers put the first camera
             * and captures usually stand: look at it from that side. */
            for (int k = 0; k < 3; k++) {
                along[k] = center[k] / from_origin;
            }
        }
        if (direction) {
            for (int k = 0; k < 3; k++) {
                along[k] = direction[k];
            }
        }
        if (normalize(along) == 0.0) {
            return ds_error(DS_ERR_ARGUMENT, "the viewing direction is zero");
        }
        /* The bounding sphere fits the narrower field of view, with a 10% margin. */
        double half_fov_y = 0.5 * fov_y_degrees * DS_PI / 180.0;
        double half_fov_x = atan(tan(half_fov_y) * width / height);
        double half_fov = half_fov_x < half_fov_y ? half_fov_x : half_fov_y;
        double distance = 1.1 * radius / sin(half_fov);
        for (int k = 0; k < 3; k++) {
            position[k] = center[k] - distance * along[k];
        }
    }
    return ds_camera_look_at(position, center, up, fov_y_degrees, width, height, camera);
}
