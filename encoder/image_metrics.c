#include "image_metrics.h"

#include "photometric_loss.h"

#include <math.h>
#include <stdlib.h>

static ds_status check_pair(const ds_image *a, const ds_image *b) {
    if (!a || !b || !a->pixels || !b->pixels || a->width <= 0 || a->height <= 0) {
        return ds_error(DS_ERR_ARGUMENT, "image metrics need two non-empty images");
    }
    if (a->width != b->width || a->height != b->height) {
        return ds_error(DS_ERR_ARGUMENT, "cannot compare a %dx%d image with a %dx%d one", a->width,
                        a->height, b->width, b->height);
    }
    return ds_ok();
}

static float clamp01(float value) {
    /* NaN stays NaN, as with torch.clamp, so a broken render shows in its metrics. */
    return value < 0.0f ? 0.0f : value > 1.0f ? 1.0f : value;
}

ds_status ds_image_psnr(const ds_image *a, const ds_image *b, double *psnr) {
    ds_status status = check_pair(a, b);
    if (ds_failed(&status)) {
        return status;
    }
    size_t count = (size_t)a->width * (size_t)a->height * 3;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)clamp01(a->pixels[i]) - (double)clamp01(b->pixels[i]);
        sum += d * d;
    }
    double mse = sum / (double)count;
    *psnr = mse > 0.0 ? -10.0 * log10(mse) : INFINITY;
    return ds_ok();
}

ds_status ds_image_ssim(const ds_image *a, const ds_image *b, double *ssim) {
    ds_status status = check_pair(a, b);
    if (ds_failed(&status)) {
        return status;
    }
    ds_image clamped[2] = {{0}, {0}};
    ds_photometric_loss *loss = NULL;
    for (int k = 0; k < 2 && !ds_failed(&status); k++) {
        status = ds_image_create(a->width, a->height, &clamped[k]);
    }
    if (!ds_failed(&status)) {
        size_t count = (size_t)a->width * (size_t)a->height * 3;
        for (size_t i = 0; i < count; i++) {
            clamped[0].pixels[i] = clamp01(a->pixels[i]);
            clamped[1].pixels[i] = clamp01(b->pixels[i]);
        }
        status = ds_photometric_loss_create(&loss);
    }
    if (!ds_failed(&status)) {
        /* Weight 1 on D-SSIM so that SSIM is computed; without a gradient only the values are. */
        ds_photometric_terms terms;
        status = ds_photometric_loss_evaluate(loss, &clamped[0], &clamped[1], 1.0f, &terms, NULL);
        if (!ds_failed(&status)) {
            *ssim = terms.ssim;
        }
    }
    ds_photometric_loss_free(loss);
    ds_image_free(&clamped[0]);
    ds_image_free(&clamped[1]);
    return status;
}
