/* An independent, deliberately plain implementation of the reference 3DGS rasterizer in double
 * precision (bounding-square binning, a global sort of (tile, depth) keys, per-pixel compositing
 * with libm's exp), for the render tests to compare against. */
#ifndef DS_TESTS_REFERENCE_RASTERIZER_H
#define DS_TESTS_REFERENCE_RASTERIZER_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"

/* Renders into `rgb` (width x height x 3 doubles); also per-pixel final transmittance. */
void reference_rasterize(const ds_gaussian_cloud *cloud, const ds_camera *camera, int sh_degree,
                         const double background[3], double *rgb, double *transmittance);

#endif
