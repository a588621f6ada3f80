/* The backward pass of the CPU rasterizer: given dL/d(image) for the frame the rasterizer last
 * rendered, the gradient of L with respect to every Gaussian parameter, and the screen-space
 * gradient of the centres that 3DGS densification thresholds. */
#ifndef DS_ENCODER_RASTER_BACKWARD_H
#define DS_ENCODER_RASTER_BACKWARD_H

#include "formats/gaussian_cloud.h"
#include "formats/image.h"
#include "render/rasterizer.h"

typedef struct ds_raster_backward ds_raster_backward;

ds_status ds_raster_backward_create(ds_raster_backward **backward);
void ds_raster_backward_free(ds_raster_backward *backward);

/* Writes the gradient into `gradient`, a cloud of the same count and SH degree as the rendered
 * one whose arrays receive dL/d(position, rotation, log-scale, opacity logit, SH) — rotation
 * through the quaternion's normalisation, SH only up to the rendered degree (higher ones get 0).
 * `screen_gradient` (count x 2, may be NULL) receives dL/d(centre) in normalised device
 * coordinates (pixels times half the image size), as the reference's densification uses.
 * Gaussians that were not visible get zero gradients. The rendered frame must not have used
 * Mip-Splatting's antialiasing compensation. */
ds_status ds_rasterize_backward(ds_raster_backward *backward, const ds_rasterizer *rasterizer,
                                const ds_image *image_gradient, ds_gaussian_cloud *gradient,
                                float *screen_gradient);

#endif
