/* The photometric loss of 3DGS training and its exact gradient with respect to the rendered
 * image:
 *
 *   L = (1 - lambda) * L1 + lambda * (1 - SSIM)
 *
 * L1 is the mean of |rendered - target| over every pixel and channel. SSIM is the reference
 * 3DGS `ssim()`: each channel is filtered with the normalised 11x11 Gaussian window (sigma 1.5)
 * as a 2D convolution with zero padding of 5 pixels, the SSIM map uses C1 = 0.01^2 and
 * C2 = 0.03^2, and SSIM is the mean of the map over every pixel and channel. The subgradient of
 * |d| at d = 0 is 0, as in torch.
 *
 * The workspace holds the intermediate rows and planes; create it once and reuse it every
 * iteration, so that evaluations allocate nothing (it grows only when a larger image, or more
 * OpenMP threads, than before arrive). One workspace serves one evaluation at a time.
 *
 * Rows are shared among OpenMP threads; the results are bit-identical for any thread count, and
 * between the AVX2 and the baseline x86-64 code paths. */
#ifndef DS_ENCODER_PHOTOMETRIC_LOSS_H
#define DS_ENCODER_PHOTOMETRIC_LOSS_H

#include "formats/image.h"
#include "formats/status.h"

/* The weight of the D-SSIM term in 3DGS ("lambda_dssim"). */
#define DS_PHOTOMETRIC_LAMBDA_DSSIM 0.2f

typedef struct ds_photometric_loss ds_photometric_loss;

typedef struct ds_photometric_terms {
    double loss; /* (1 - lambda) * l1 + lambda * (1 - ssim) */
    double l1;   /* mean absolute difference */
    double ssim; /* mean SSIM; NaN when lambda is 0, which skips SSIM entirely */
} ds_photometric_terms;

/* An empty workspace; free with ds_photometric_loss_free. */
ds_status ds_photometric_loss_create(ds_photometric_loss **loss);
void ds_photometric_loss_free(ds_photometric_loss *loss);

/* Evaluates the loss of `rendered` against `target` (same size) with D-SSIM weight
 * `lambda_dssim` in [0, 1] (DS_PHOTOMETRIC_LAMBDA_DSSIM in 3DGS; 0 for L1 alone). When
 * `gradient` is not NULL it must have the same size, be neither input, and receives
 * dL/d(rendered), overwritten; with NULL only the values are computed. `terms` may be NULL. */
ds_status ds_photometric_loss_evaluate(ds_photometric_loss *loss, const ds_image *rendered,
                                       const ds_image *target, float lambda_dssim,
                                       ds_photometric_terms *terms, ds_image *gradient);

#endif
