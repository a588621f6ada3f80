#include "camera.h"

#include <math.h>

ds_status ds_camera_validate(const ds_camera *camera) {
    if (camera->width <= 0 || camera->height <= 0) {
        return ds_error(DS_ERR_FORMAT, "camera image size %dx%d is not positive", camera->width,
                        camera->height);
    }
    if (!(camera->fx > 0.0) || !(camera->fy > 0.0) || !isfinite(camera->fx) ||
        !isfinite(camera->fy)) {
        return ds_error(DS_ERR_FORMAT, "camera focal lengths (%g, %g) must be positive", camera->fx,
                        camera->fy);
    }
    if (!isfinite(camera->cx) || !isfinite(camera->cy)) {
        return ds_error(DS_ERR_FORMAT, "camera principal point is not finite");
    }
    const double *r = camera->rotation;
    for (int i = 0; i < 9; i++) {
        if (!isfinite(r[i])) {
            return ds_error(DS_ERR_FORMAT, "camera rotation is not finite");
        }
    }
    for (int i = 0; i < 3; i++) {
        if (!isfinite(camera->translation[i])) {
            return ds_error(DS_ERR_FORMAT, "camera translation is not finite");
        }
    }
    /* R R^T = I and det R = +1: a rotation, not a reflection or a scaled matrix. */
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double dot =
                r[3 * i] * r[3 * j] + r[3 * i + 1] * r[3 * j + 1] + r[3 * i + 2] * r[3 * j + 2];
            if (fabs(dot - (i == j ? 1.0 : 0.0)) > 1e-4) {
                return ds_error(DS_ERR_FORMAT, "camera rotation is not orthonormal");
            }
        }
    }
    double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) +
                 r[2] * (r[3] * r[7] - r[4] * r[6]);
    if (det < 0.0) {
        return ds_error(DS_ERR_FORMAT, "camera rotation is a reflection (determinant -1)");
    }
    return ds_ok();
}

void ds_camera_center(const ds_camera *camera, double center[3]) {
    const double *r = camera->rotation, *t = camera->translation;
    for (int i = 0; i < 3; i++) {
        center[i] = -(r[i] * t[0] + r[3 + i] * t[1] + r[6 + i] * t[2]);
    }
}

void ds_camera_to_camera_space(const ds_camera *camera, const double world[3], double out[3]) {
    const double *r = camera->rotation, *t = camera->translation;
    for (int i = 0; i < 3; i++) {
        out[i] = r[3 * i] * world[0] + r[3 * i + 1] * world[1] + r[3 * i + 2] * world[2] + t[i];
    }
}

ds_camera ds_camera_resized(const ds_camera *camera, int width, int height) {
    ds_camera resized = *camera;
    double sx = (double)width / camera->width, sy = (double)height / camera->height;
    resized.width = width;
    resized.height = height;
    resized.fx *= sx;
    resized.cx *= sx;
    resized.fy *= sy;
    resized.cy *= sy;
    return resized;
}

ds_status ds_camera_from_opengl_camera_to_world(const double m[16], int width, int height,
                                                double fx, double fy, double cx, double cy,
                                                ds_camera *camera) {
    /* OpenGL camera axes (x right, y up, z back) become ours (x right, y down, z front) by
     * negating the y and z columns; the world-to-camera rotation is then the transpose. */
    double c2w[3][3];
    for (int i = 0; i < 3; i++) {
        c2w[i][0] = m[4 * i];
        c2w[i][1] = -m[4 * i + 1];
        c2w[i][2] = -m[4 * i + 2];
    }
    const double center[3] = {m[3], m[7], m[11]};
    *camera = (ds_camera){.width = width, .height = height, .fx = fx, .fy = fy, .cx = cx, .cy = cy};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            camera->rotation[3 * i + j] = c2w[j][i];
        }
    }
    for (int i = 0; i < 3; i++) {
        camera->translation[i] =
            -(camera->rotation[3 * i] * center[0] + camera->rotation[3 * i + 1] * center[1] +
              camera->rotation[3 * i + 2] * center[2]);
    }
    if (m[12] != 0.0 || m[13] != 0.0 || m[14] != 0.0 || m[15] != 1.0) {
        return ds_error(DS_ERR_FORMAT, "camera-to-world matrix's last row is not 0 0 0 1");
    }
    return ds_camera_validate(camera);
}
