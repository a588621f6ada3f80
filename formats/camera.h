/* A calibrated pinhole camera, the data model's one description of a view.
 *
 * Conventions (docs/cameras.md):
 *   world and camera axes follow the data model's "right, down, front": camera space has x to
 *   the right of the image, y down the image, z forward along the optical axis (OpenCV, COLMAP);
 *   a point X in world space is at  R * X + t  in camera space;
 *   image coordinates (u, v) are in pixels, u right and v down, with pixel (i, j) covering
 *   [i, i + 1) x [j, j + 1): its centre is (i + 0.5, j + 0.5), and u = fx * x / z + cx.
 * Lens distortion is not part of the camera: captures undistort their images on load. */
#ifndef DS_FORMATS_CAMERA_H
#define DS_FORMATS_CAMERA_H

#include "status.h"

typedef struct ds_camera {
    int width, height;     /* pixels */
    double fx, fy;         /* focal lengths, pixels */
    double cx, cy;         /* principal point, pixels (not necessarily the image centre) */
    double rotation[9];    /* world-to-camera rotation R, row-major */
    double translation[3]; /* world-to-camera translation t */
} ds_camera;

/* Checks that the camera can form an image: positive size and focal lengths, finite values, a
 * proper rotation (orthonormal, determinant +1, to 1e-4). */
ds_status ds_camera_validate(const ds_camera *camera);

/* The camera centre in world space, -R^T t. */
void ds_camera_center(const ds_camera *camera, double center[3]);

/* World point to camera space. */
void ds_camera_to_camera_space(const ds_camera *camera, const double world[3], double out[3]);

/* The same view at another image size: focal lengths and principal point scale with the size
 * (width' / width horizontally, height' / height vertically). */
ds_camera ds_camera_resized(const ds_camera *camera, int width, int height);

/* Builds a camera from a camera-to-world matrix in OpenGL / NeRF axes (x right, y up, looking
 * down -z), as instant-NGP's transforms.json stores it (row-major 4x4). */
ds_status ds_camera_from_opengl_camera_to_world(const double matrix[16], int width, int height,
                                                double fx, double fy, double cx, double cy,
                                                ds_camera *camera);

#endif
