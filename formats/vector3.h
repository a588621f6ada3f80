/* Small 3-vector and rotation helpers in double precision, shared by the cameras and the
 * viewers (render/view.c, render/camera_path.c, player/camera_controller.c,
 * player/xr_placement.c, formats/capture_colmap.c). */
#ifndef DS_FORMATS_VECTOR3_H
#define DS_FORMATS_VECTOR3_H

static inline double ds_vec3_dot(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static inline void ds_vec3_cross(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* The row-major rotation matrix of the unit quaternion w + xi + yj + zk. */
static inline void ds_unit_quaternion_matrix(double w, double x, double y, double z, double m[9]) {
    m[0] = 1 - 2 * (y * y + z * z);
    m[1] = 2 * (x * y - w * z);
    m[2] = 2 * (x * z + w * y);
    m[3] = 2 * (x * y + w * z);
    m[4] = 1 - 2 * (x * x + z * z);
    m[5] = 2 * (y * z - w * x);
    m[6] = 2 * (x * z - w * y);
    m[7] = 2 * (y * z + w * x);
    m[8] = 1 - 2 * (x * x + y * y);
}

#endif
