/* The Gaussian cloud: dualsplat's in-memory data model for a set of 3D Gaussians.
 *
 * Stored as a structure of arrays, in the "raw" (pre-activation) domain that 3DGS trainers
 * optimise and INRIA .ply files hold, so that a .ply round trip is exact:
 *
 *   positions       count x 3  (x, y, z), world units
 *   rotations       count x 4  (w, x, y, z); not necessarily unit length (normalise on use)
 *   log_scales      count x 3  natural log of the standard deviations along the local axes
 *   opacity_logits  count      opacity = sigmoid(logit)
 *   sh              count x ds_sh_coeff_count(sh_degree) x 3
 *
 * SH channel layout: per Gaussian, coefficient-major with the colour channel innermost:
 *   sh[(i * coeffs + k) * 3 + c]   for coefficient k (0 = DC, 1..3 = degree 1, 4..8 = degree 2,
 *                                   9..15 = degree 3, in the order of the 3DGS reference
 *                                   evaluation) and channel c (0 = R, 1 = G, 2 = B).
 * The displayed colour of the DC term alone is 0.5 + DS_SH_C0 * sh[k = 0] (see docs/data-model.md).
 * INRIA .ply stores the rest coefficients channel-major instead (f_rest_0..14 = R, ...); the
 * readers and writers convert. */
#ifndef DS_FORMATS_GAUSSIAN_CLOUD_H
#define DS_FORMATS_GAUSSIAN_CLOUD_H

#include "status.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

enum { DS_SH_MAX_DEGREE = 3 };

/* Zeroth-order real spherical harmonic, 1 / (2 sqrt(pi)). */
#define DS_SH_C0 0.28209479177387814f

/* Largest cloud any reader will allocate; real captures are below 10 million. */
#define DS_GAUSSIAN_CLOUD_MAX_COUNT ((size_t)1 << 28)

typedef struct ds_gaussian_cloud {
    size_t count;
    size_t capacity; /* Gaussians the arrays can hold without reallocating */
    int sh_degree;   /* 0..DS_SH_MAX_DEGREE */
    /* Trained with Mip-Splatting's 2D filter (SPZ's antialiased flag): a renderer scales opacity
     * by sqrt(det(cov2d) / det(cov2d + 0.3 I)). Formats without the flag drop it. */
    bool antialiased;
    float *positions;
    float *rotations;
    float *log_scales;
    float *opacity_logits;
    float *sh;
} ds_gaussian_cloud;

/* Number of SH coefficients per colour channel for a degree: 1, 4, 9, 16. */
static inline int ds_sh_coeff_count(int degree) {
    return (degree + 1) * (degree + 1);
}

/* Floats of SH per Gaussian (all coefficients, three channels). */
static inline size_t ds_gaussian_cloud_sh_stride(const ds_gaussian_cloud *cloud) {
    return (size_t)ds_sh_coeff_count(cloud->sh_degree) * 3;
}

static inline float ds_sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/* Inverse of ds_sigmoid; p is clamped away from 0 and 1 so the result is finite. */
static inline float ds_logit(float p) {
    const float eps = 1e-6f;
    p = p < eps ? eps : (p > 1.0f - eps ? 1.0f - eps : p);
    return logf(p / (1.0f - p));
}

/* A cloud of `count` Gaussians with every attribute zeroed (rotations set to identity). */
ds_status ds_gaussian_cloud_create(size_t count, int sh_degree, ds_gaussian_cloud **out);

/* Change the count, keeping the first min(old, new) Gaussians; new ones are zeroed with
 * identity rotations. */
ds_status ds_gaussian_cloud_resize(ds_gaussian_cloud *cloud, size_t count);

/* Change the SH degree, keeping the coefficients both degrees share and zeroing new ones. */
ds_status ds_gaussian_cloud_set_sh_degree(ds_gaussian_cloud *cloud, int sh_degree);

/* A new cloud with the same Gaussians. */
ds_status ds_gaussian_cloud_clone(const ds_gaussian_cloud *cloud, ds_gaussian_cloud **copy);

/* Keeps the Gaussians whose flag is set, in order, and drops the others. */
void ds_gaussian_cloud_keep(ds_gaussian_cloud *cloud, const bool *keep);

/* Copies Gaussian `from` of `source` over Gaussian `to` of `destination` (same SH degree). */
void ds_gaussian_cloud_copy_one(ds_gaussian_cloud *destination, size_t to,
                                const ds_gaussian_cloud *source, size_t from);

void ds_gaussian_cloud_free(ds_gaussian_cloud *cloud);

#endif
