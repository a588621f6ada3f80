#include "projection.h"
#include "spherical_harmonics.h"

#include <math.h>

ds_projection_camera ds_projection_camera_make(const ds_camera *camera) {
    ds_projection_camera c = {0};
    for (int i = 0; i < 9; i++) {
        c.rotation[i] = (float)camera->rotation[i];
    }
    double center[3];
    ds_camera_center(camera, center);
    for (int i = 0; i < 3; i++) {
        c.translation[i] = (float)camera->translation[i];
        c.center[i] = (float)center[i];
    }
    c.fx = (float)camera->fx;
    c.fy = (float)camera->fy;
    c.cx = (float)camera->cx;
    c.cy = (float)camera->cy;
    c.width = camera->width;
    c.height = camera->height;
    /* The reference clamps x/z to +-1.3 tan(fov/2) around a centred principal point; with the
     * principal point anywhere, extend each image edge by the same 0.3 half-widths. */
    float margin_x = (DS_FRUSTUM_CLAMP - 1.0f) * 0.5f * (float)camera->width;
    float margin_y = (DS_FRUSTUM_CLAMP - 1.0f) * 0.5f * (float)camera->height;
    c.limit_x_low = (float)((-camera->cx - margin_x) / camera->fx);
    c.limit_x_high = (float)((camera->width - camera->cx + margin_x) / camera->fx);
    c.limit_y_low = (float)((-camera->cy - margin_y) / camera->fy);
    c.limit_y_high = (float)((camera->height - camera->cy + margin_y) / camera->fy);
    return c;
}

void ds_quaternion_to_matrix(const float q[4], float m[9]) {
    float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    float w = 1.0f, x = 0.0f, y = 0.0f, z = 0.0f;
    if (norm > 0.0f) {
        w = q[0] / norm;
        x = q[1] / norm;
        y = q[2] / norm;
        z = q[3] / norm;
    }
    m[0] = 1.0f - 2.0f * (y * y + z * z);
    m[1] = 2.0f * (x * y - w * z);
    m[2] = 2.0f * (x * z + w * y);
    m[3] = 2.0f * (x * y + w * z);
    m[4] = 1.0f - 2.0f * (x * x + z * z);
    m[5] = 2.0f * (y * z - w * x);
    m[6] = 2.0f * (x * z - w * y);
    m[7] = 2.0f * (y * z + w * x);
    m[8] = 1.0f - 2.0f * (x * x + y * y);
}

void ds_quaternion_to_matrix_backward(const float q[4], const float dm[9], float out[4]) {
    float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(norm > 0.0f)) {
        out[0] = out[1] = out[2] = out[3] = 0.0f;
        return;
    }
    float w = q[0] / norm, x = q[1] / norm, y = q[2] / norm, z = q[3] / norm;
    /* dm/dw, dm/dx, dm/dy, dm/dz of the rotation matrix of a unit quaternion. */
    const float d[4][9] = {
        {0, -2 * z, 2 * y, 2 * z, 0, -2 * x, -2 * y, 2 * x, 0},
        {0, 2 * y, 2 * z, 2 * y, -4 * x, -2 * w, 2 * z, 2 * w, -4 * x},
        {-4 * y, 2 * x, 2 * w, 2 * x, 0, 2 * z, -2 * w, 2 * z, -4 * y},
        {-4 * z, -2 * w, 2 * x, 2 * w, -4 * z, 2 * y, 2 * x, 2 * y, 0},
    };
    float unit_gradient[4], dot = 0.0f;
    const float unit[4] = {w, x, y, z};
    for (int c = 0; c < 4; c++) {
        float sum = 0.0f;
        for (int i = 0; i < 9; i++) {
            sum += d[c][i] * dm[i];
        }
        unit_gradient[c] = sum;
        dot += sum * unit[c];
    }
    /* Through q / |q|: only the part orthogonal to q changes the rotation. */
    for (int c = 0; c < 4; c++) {
        out[c] = (unit_gradient[c] - unit[c] * dot) / norm;
    }
}

void ds_gaussian_covariance(const float log_scale[3], const float rotation[4], float cov[6]) {
    float r[9];
    ds_quaternion_to_matrix(rotation, r);
    /* M = R S; cov = M M^T. */
    float m[9];
    for (int row = 0; row < 3; row++) {
        for (int col = 0; col < 3; col++) {
            m[row * 3 + col] = r[row * 3 + col] * expf(log_scale[col]);
        }
    }
    const int pairs[6][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}};
    for (int p = 0; p < 6; p++) {
        const float *a = m + pairs[p][0] * 3, *b = m + pairs[p][1] * 3;
        cov[p] = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }
}

float ds_footprint_threshold(float opacity) {
    if (!(opacity * 255.0f >= 1.0f)) {
        return -1.0f;
    }
    return 2.0f * logf(255.0f * opacity) + 1e-3f;
}

static float clampf(float value, float low, float high) {
    return value < low ? low : (value > high ? high : value);
}

void ds_project_gaussian(const ds_gaussian_cloud *cloud, size_t i, const ds_projection_camera *cam,
                         int sh_degree, bool antialiased, ds_projected_gaussian *out) {
    *out = (ds_projected_gaussian){0};
    const float *p = cloud->positions + i * 3;
    const float *r = cam->rotation;
    float t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = r[3 * k] * p[0] + r[3 * k + 1] * p[1] + r[3 * k + 2] * p[2] + cam->translation[k];
    }
    if (!(t[2] > DS_NEAR_PLANE)) {
        return;
    }
    float cov3[6];
    ds_gaussian_covariance(cloud->log_scales + i * 3, cloud->rotations + i * 4, cov3);

    /* EWA: J is the Jacobian of the perspective projection at the (clamped) centre. */
    float inv_z = 1.0f / t[2];
    float tx = clampf(t[0] * inv_z, cam->limit_x_low, cam->limit_x_high) * t[2];
    float ty = clampf(t[1] * inv_z, cam->limit_y_low, cam->limit_y_high) * t[2];
    float j00 = cam->fx * inv_z, j02 = -cam->fx * tx * inv_z * inv_z;
    float j11 = cam->fy * inv_z, j12 = -cam->fy * ty * inv_z * inv_z;
    /* M = J R (2x3): rows of R combined. */
    float m0[3], m1[3];
    for (int k = 0; k < 3; k++) {
        m0[k] = j00 * r[k] + j02 * r[6 + k];
        m1[k] = j11 * r[3 + k] + j12 * r[6 + k];
    }
    /* cov2D = M cov3 M^T */
    float s[9] = {cov3[0], cov3[1], cov3[2], cov3[1], cov3[3], cov3[4], cov3[2], cov3[4], cov3[5]};
    float sm0[3], sm1[3];
    for (int k = 0; k < 3; k++) {
        sm0[k] = s[3 * k] * m0[0] + s[3 * k + 1] * m0[1] + s[3 * k + 2] * m0[2];
        sm1[k] = s[3 * k] * m1[0] + s[3 * k + 1] * m1[1] + s[3 * k + 2] * m1[2];
    }
    float a = m0[0] * sm0[0] + m0[1] * sm0[1] + m0[2] * sm0[2];
    float b = m0[0] * sm1[0] + m0[1] * sm1[1] + m0[2] * sm1[2];
    float c = m1[0] * sm1[0] + m1[1] * sm1[1] + m1[2] * sm1[2];
    float det_before = a * c - b * b;
    a += DS_COVARIANCE_DILATION;
    c += DS_COVARIANCE_DILATION;
    float det = a * c - b * b;
    if (det == 0.0f) {
        return;
    }
    float inv_det = 1.0f / det;
    float mid = 0.5f * (a + c);
    float spread = sqrtf(fmaxf(0.1f, mid * mid - det));
    float lambda = fmaxf(mid + spread, mid - spread);
    int radius = (int)ceilf(3.0f * sqrtf(lambda));

    float u = cam->fx * t[0] * inv_z + cam->cx;
    float v = cam->fy * t[1] * inv_z + cam->cy;

    out->u = u;
    out->v = v;
    out->conic[0] = c * inv_det;
    out->conic[1] = -b * inv_det;
    out->conic[2] = a * inv_det;
    out->depth = t[2];
    out->radius = radius;
    float opacity = ds_sigmoid(cloud->opacity_logits[i]);
    if (antialiased) {
        opacity *= sqrtf(fmaxf(det_before, 0.0f) * inv_det);
    }
    out->opacity = opacity;
    /* The footprint ellipse d^T conic d <= t spans +-sqrt(t cov_xx) by +-sqrt(t cov_yy), and
     * pixel i's centre is at i + 0.5. */
    float threshold = ds_footprint_threshold(opacity);
    if (det < 0.0f) {
        /* Not positive definite (degenerate input): no ellipse to bound, keep every pixel the
         * tiles give it, as the reference would. */
        out->x0 = out->y0 = -1;
        out->x1 = cam->width;
        out->y1 = cam->height;
    } else if (threshold >= 0.0f) {
        float half_x = sqrtf(threshold * a), half_y = sqrtf(threshold * c);
        out->x0 = (int32_t)fmaxf(-1.0f, ceilf(u - half_x - 0.5f));
        out->x1 = (int32_t)fminf((float)cam->width, floorf(u + half_x - 0.5f));
        out->y0 = (int32_t)fmaxf(-1.0f, ceilf(v - half_y - 0.5f));
        out->y1 = (int32_t)fminf((float)cam->height, floorf(v + half_y - 0.5f));
    } else {
        out->x0 = out->y0 = 1;
        out->x1 = out->y1 = 0;
    }

    float direction[3] = {p[0] - cam->center[0], p[1] - cam->center[1], p[2] - cam->center[2]};
    float length = sqrtf(direction[0] * direction[0] + direction[1] * direction[1] +
                         direction[2] * direction[2]);
    for (int k = 0; k < 3; k++) {
        direction[k] /= length;
    }
    bool clamped[3];
    ds_sh_color(cloud->sh + i * ds_gaussian_cloud_sh_stride(cloud), sh_degree, direction,
                out->color, clamped);
    out->clamped = (uint8_t)(clamped[0] | clamped[1] << 1 | clamped[2] << 2);
}
