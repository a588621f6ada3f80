/* Image quality metrics for evaluating renders against held-out views, as 3DGS reports them. Both
 * clamp the images to 0..1 first, as renders are clamped when saved, and run over every pixel
 * and channel. */
#ifndef DS_ENCODER_IMAGE_METRICS_H
#define DS_ENCODER_IMAGE_METRICS_H

#include "formats/image.h"
#include "formats/status.h"

/* Peak signal-to-noise ratio in dB for data range 1: -10 log10(mean squared error); +infinity
 * for identical images. */
ds_status ds_image_psnr(const ds_image *a, const ds_image *b, double *psnr);

/* Mean SSIM with the definition of the training loss (photometric_loss.h: 11x11 Gaussian window,
 * sigma 1.5, zero padding, C1 = 0.01^2, C2 = 0.03^2). Allocates its working memory per call. */
ds_status ds_image_ssim(const ds_image *a, const ds_image *b, double *ssim);

#endif
