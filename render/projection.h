/* Per-Gaussian preprocessing of the reference 3DGS rasterizer: transform to camera space, cull
 * behind the near plane, project the 3D covariance R S S^T R^T to the image with the clamped
 * affine (EWA) Jacobian, dilate by 0.3 px^2, bound it, and evaluate its colour. */
#ifndef DS_RENDER_PROJECTION_H
#define DS_RENDER_PROJECTION_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"

#include <stdbool.h>
#include <stdint.h>

/* Gaussians at or closer than this camera depth are culled (the reference value). */
#define DS_NEAR_PLANE 0.2f
/* Added to the projected covariance's diagonal: a pixel-sized low-pass filter. */
#define DS_COVARIANCE_DILATION 0.3f
/* The affine Jacobian is evaluated no further out than this factor times the half-image. */
#define DS_FRUSTUM_CLAMP 1.3f

/* One projected Gaussian, in the layout the per-pixel loop reads. */
typedef struct ds_projected_gaussian {
    float u, v;     /* centre in pixels (pixel i's centre is at i + 0.5) */
    float conic[3]; /* inverse 2D covariance a, b, c: q = a dx^2 + 2 b dx dy + c dy^2 */
    float opacity;  /* sigmoid of the logit, times the antialiasing compensation */
    float color[3]; /* SH colour toward the camera, + 0.5, clamped at 0 */
    float depth;    /* camera-space z */
    int32_t radius; /* bounding radius in pixels; 0 when culled */
    /* Pixels whose centres can receive alpha >= 1/255 lie within columns [x0, x1] and rows
     * [y0, y1] (the bounding box of the footprint ellipse; empty when x0 > x1). */
    int32_t x0, x1, y0, y1;
    uint8_t clamped; /* bit c: colour channel c was clamped at 0 */
    uint8_t padding[11];
} ds_projected_gaussian;

/* q(d) <= this is where a Gaussian of the given opacity reaches alpha >= 1/255, with a little
 * slack so that float rounding in the per-pixel alpha never makes a culled pixel matter;
 * negative when it reaches nowhere. */
float ds_footprint_threshold(float opacity);

/* The camera as the projection needs it, in float. */
typedef struct ds_projection_camera {
    float rotation[9]; /* world to camera, row-major */
    float translation[3];
    float center[3]; /* camera centre in world space */
    float fx, fy, cx, cy;
    int width, height;
    /* Limits of x/z and y/z where the Jacobian is evaluated (DS_FRUSTUM_CLAMP beyond the
     * image edges, measured from the principal point). */
    float limit_x_low, limit_x_high, limit_y_low, limit_y_high;
} ds_projection_camera;

ds_projection_camera ds_projection_camera_make(const ds_camera *camera);

/* Projects Gaussian i of the cloud, using SH up to `sh_degree`. Culled Gaussians get radius 0.
 * With `antialiased`, opacity is scaled by sqrt(det cov2D / det(cov2D + dilation)) (Mip-Splatting
 * clouds). */
void ds_project_gaussian(const ds_gaussian_cloud *cloud, size_t i, const ds_projection_camera *cam,
                         int sh_degree, bool antialiased, ds_projected_gaussian *out);

/* The 3D covariance of Gaussian i (upper triangle: xx, xy, xz, yy, yz, zz). */
void ds_gaussian_covariance(const float log_scale[3], const float rotation[4], float cov[6]);

/* Rotation matrix (row-major) of a quaternion (w, x, y, z), normalised first. */
void ds_quaternion_to_matrix(const float q[4], float m[9]);

/* The backward of ds_quaternion_to_matrix: dL/dq (through the normalisation) from dL/dm. */
void ds_quaternion_to_matrix_backward(const float q[4], const float dm[9], float dq[4]);

#endif
