#include "xr_placement.h"

#include "render/view.h"

#include "formats/vector3.h"

#include <math.h>
#include <stdlib.h>

static void normalize(double v[3]) {
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int k = 0; k < 3; k++) {
        v[k] /= n;
    }
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

ds_status ds_xr_placement_init(const ds_gaussian_cloud *performance, const double up[3],
                               const double front[3], ds_xr_placement *p) {
    double center[3];
    ds_status status = ds_camera_framing_target(performance, center);
    if (ds_failed(&status)) {
        return status;
    }
    double y[3] = {up[0], up[1], up[2]}, z[3] = {front[0], front[1], front[2]}, x[3];
    normalize(y);
    /* The front, levelled: only its horizontal part says which way the performer faces. */
    double along = ds_vec3_dot(z, y);
    for (int k = 0; k < 3; k++) {
        z[k] -= along * y[k];
    }
    if (!(sqrt(ds_vec3_dot(z, z)) > 1e-6)) {
        /* Seen from straight above or below: any horizontal direction will do. */
        double other[3] = {fabs(y[0]) < 0.9 ? 1.0 : 0.0, fabs(y[0]) < 0.9 ? 0.0 : 1.0, 0.0};
        ds_vec3_cross(other, y, z);
    }
    normalize(z);
    ds_vec3_cross(y, z, x);
    for (int k = 0; k < 3; k++) {
        p->upright[k] = x[k];
        p->upright[3 + k] = y[k];
        p->upright[6 + k] = z[k];
    }

    /* The floor: the lowest of the central 99% along up, so a stray splat below the feet does not
     * lift the performer into the air. */
    double *heights = malloc(performance->count * sizeof *heights);
    if (!heights) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu heights", performance->count);
    }
    for (size_t i = 0; i < performance->count; i++) {
        const float *x0 = &performance->positions[i * 3];
        heights[i] = x0[0] * y[0] + x0[1] * y[1] + x0[2] * y[2];
    }
    qsort(heights, performance->count, sizeof *heights, compare_doubles);
    double floor_height = heights[(size_t)(0.005 * (double)(performance->count - 1))];
    free(heights);
    double lift = floor_height - ds_vec3_dot(center, y);
    for (int k = 0; k < 3; k++) {
        p->anchor[k] = center[k] + lift * y[k];
        p->position[k] = 0.0;
    }
    p->yaw = 0.0;
    p->scale = 1.0;
    return ds_ok();
}

/* Rotation matrix (row-major) of a unit quaternion stored (x, y, z, w), as OpenXR does. */
static void quaternion_matrix(const double q[4], double m[9]) {
    ds_unit_quaternion_matrix(q[3], q[0], q[1], q[2], m);
}

void ds_xr_placement_face(ds_xr_placement *p, const ds_xr_pose *head, double distance) {
    double m[9];
    quaternion_matrix(head->orientation, m);
    /* The gaze is the view's -z: the third column, negated, levelled. */
    double gaze_x = -m[2], gaze_z = -m[8];
    double length = sqrt(gaze_x * gaze_x + gaze_z * gaze_z);
    if (!(length > 1e-6)) {
        gaze_x = 0.0; /* looking straight up or down: keep the stage's forward */
        gaze_z = -1.0;
        length = 1.0;
    }
    gaze_x /= length;
    gaze_z /= length;
    p->position[0] = head->position[0] + distance * gaze_x;
    p->position[1] = 0.0;
    p->position[2] = head->position[2] + distance * gaze_z;
    /* Facing the user: the performer's front (+z after uprighting) turned to point back along the
     * gaze. Ry(yaw) takes +z to (sin yaw, 0, cos yaw). */
    p->yaw = atan2(-gaze_x, -gaze_z);
}

/* The full rotation world -> stage: Ry(yaw) Q. */
static void world_rotation(const ds_xr_placement *p, double m[9]) {
    double c = cos(p->yaw), s = sin(p->yaw);
    const double yaw[9] = {c, 0, s, 0, 1, 0, -s, 0, c};
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            m[3 * i + j] = yaw[3 * i] * p->upright[j] + yaw[3 * i + 1] * p->upright[3 + j] +
                           yaw[3 * i + 2] * p->upright[6 + j];
        }
    }
}

void ds_xr_placement_to_stage(const ds_xr_placement *p, const double world[3], double stage[3]) {
    double m[9], d[3];
    world_rotation(p, m);
    for (int k = 0; k < 3; k++) {
        d[k] = world[k] - p->anchor[k];
    }
    for (int i = 0; i < 3; i++) {
        stage[i] = p->scale * ds_vec3_dot(&m[3 * i], d) + p->position[i];
    }
}

ds_camera ds_xr_eye_camera(const ds_xr_placement *p, const ds_xr_pose *eye, const ds_xr_fov *fov,
                           int width, int height) {
    /* Camera space in world units is view space over the scale, with y and z flipped (our
     * cameras look down +z with y down the image; OpenXR's views down -z with y up):
     * R = C Rq^T M, t = C Rq^T (position - eye) / scale - R anchor. */
    double m[9], rq[9];
    world_rotation(p, m);
    quaternion_matrix(eye->orientation, rq);
    const double flip[3] = {1.0, -1.0, -1.0};
    ds_camera camera = {.width = width, .height = height};
    double offset[3];
    for (int k = 0; k < 3; k++) {
        offset[k] = (p->position[k] - eye->position[k]) / p->scale;
    }
    for (int i = 0; i < 3; i++) {
        /* Row i of C Rq^T: column i of Rq, signed. */
        double row[3] = {flip[i] * rq[i], flip[i] * rq[3 + i], flip[i] * rq[6 + i]};
        for (int j = 0; j < 3; j++) {
            camera.rotation[3 * i + j] = row[0] * m[j] + row[1] * m[3 + j] + row[2] * m[6 + j];
        }
        camera.translation[i] = ds_vec3_dot(row, offset);
    }
    for (int i = 0; i < 3; i++) {
        camera.translation[i] -= ds_vec3_dot(&camera.rotation[3 * i], p->anchor);
    }
    /* The image spans tan(left)..tan(right) across and tan(up)..tan(down) down. */
    double tan_left = tan(fov->left), tan_right = tan(fov->right);
    double tan_up = tan(fov->up), tan_down = tan(fov->down);
    camera.fx = width / (tan_right - tan_left);
    camera.cx = -tan_left * camera.fx;
    camera.fy = height / (tan_up - tan_down);
    camera.cy = tan_up * camera.fy;
    return camera;
}
