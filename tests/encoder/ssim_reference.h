/* A direct double-precision evaluation of the 3DGS photometric loss, written independently of
 * the library (straight 2D convolutions, no separable filtering) to check it against. */
#ifndef DS_TESTS_SSIM_REFERENCE_H
#define DS_TESTS_SSIM_REFERENCE_H

#include "formats/image.h"

#include <stddef.h>
#include <stdint.h>

/* A double copy of an image, channels interleaved like ds_image. */
typedef struct reference_image {
    int width, height;
    double *values; /* width * height * 3 */
} reference_image;

reference_image reference_image_from(const ds_image *image);
void reference_image_free(reference_image *image);

/* Mean SSIM of the 11x11 Gaussian window (sigma 1.5), zero padding 5, C1 = 0.01^2,
 * C2 = 0.03^2, over every pixel and channel. */
double reference_ssim(const reference_image *x, const reference_image *y);

/* Mean |x - y|. */
double reference_l1(const reference_image *x, const reference_image *y);

/* (1 - lambda) L1 + lambda (1 - SSIM). */
double reference_loss(const reference_image *x, const reference_image *y, double lambda);

/* Central finite difference of reference_loss with respect to x->values[index] (restored). */
double reference_loss_derivative(reference_image *x, const reference_image *y, double lambda,
                                 size_t index, double step);

/* Deterministic pseudo-random numbers in [0, 1) (xorshift32; the state must not be 0). */
double test_uniform(uint32_t *state);

#endif
