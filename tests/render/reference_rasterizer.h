/* An independent, deliberately plain implementation of the reference 3DGS rasterizer in double
 * precision (bounding-square binning, a global sort of (tile, depth) keys, per-pixel compositing
 * with libm's exp), for the tests to compare against and to take finite differences of. */
#ifndef DS_TESTS_REFERENCE_RASTERIZER_H
#define DS_TESTS_REFERENCE_RASTERIZER_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"

#include <stddef.h>

/* A Gaussian cloud in double precision, same layout as ds_gaussian_cloud. */
typedef struct reference_cloud {
    size_t count;
    int sh_degree;
    double *positions, *rotations, *log_scales, *opacity_logits, *sh;
    double *screen_offsets; /* count x 2, added to each projected centre (pixels) */
} reference_cloud;

reference_cloud *reference_cloud_from(const ds_gaussian_cloud *cloud);
void reference_cloud_free(reference_cloud *cloud);

/* Renders into `rgb` (width x height x 3 doubles); also per-pixel final transmittance (may be
 * NULL). */
void reference_rasterize(const reference_cloud *cloud, const ds_camera *camera, int sh_degree,
                         const double background[3], double *rgb, double *transmittance);

#endif
