/* What loading a capture image does after decoding the PNG: undistortion and resizing. */
#include "capture_internal.h"

#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>

void ds_lens_distort(const ds_lens_distortion *d, double x, double y, double *xd, double *yd) {
    double r2 = x * x + y * y;
    double radial = 1.0 + r2 * (d->k1 + r2 * d->k2);
    *xd = x * radial + 2.0 * d->p1 * x * y + d->p2 * (r2 + 2.0 * x * x);
    *yd = y * radial + d->p1 * (r2 + 2.0 * y * y) + 2.0 * d->p2 * x * y;
}

/* Bilinear sample at continuous pixel coordinates (u, v), pixel (i, j) centred at (i + 0.5,
 * j + 0.5). Positions on the image (0 <= u <= width) use the nearest pixels, clamped at the
 * border; positions off the image take the background. */
static void sample_bilinear(const ds_image *image, double u, double v, const float background[3],
                            float out[3]) {
    if (!(u >= 0.0 && v >= 0.0 && u <= image->width && v <= image->height)) {
        out[0] = background[0];
        out[1] = background[1];
        out[2] = background[2];
        return;
    }
    double x = u - 0.5, y = v - 0.5;
    double x0 = floor(x), y0 = floor(y);
    float fx = (float)(x - x0), fy = (float)(y - y0);
    int left = (int)x0, top = (int)y0;
    int right = left + 1, bottom = top + 1;
    left = left < 0 ? 0 : left;
    top = top < 0 ? 0 : top;
    right = right >= image->width ? image->width - 1 : right;
    bottom = bottom >= image->height ? image->height - 1 : bottom;
    const float *a = ds_image_pixel(image, left, top), *b = ds_image_pixel(image, right, top);
    const float *c = ds_image_pixel(image, left, bottom), *d = ds_image_pixel(image, right, bottom);
    for (int k = 0; k < 3; k++) {
        float upper = a[k] + fx * (b[k] - a[k]);
        float lower = c[k] + fx * (d[k] - c[k]);
        out[k] = upper + fy * (lower - upper);
    }
}

ds_status ds_capture_undistort(const ds_image *source, const ds_camera *camera,
                               const ds_lens_distortion *distortion, const float background[3],
                               ds_image *out) {
    if (source->width != camera->width || source->height != camera->height) {
        return ds_error(DS_ERR_ARGUMENT, "image is %dx%d but its camera is %dx%d", source->width,
                        source->height, camera->width, camera->height);
    }
    ds_status status = ds_image_create(source->width, source->height, out);
    if (ds_failed(&status)) {
        return status;
    }
    for (int j = 0; j < out->height; j++) {
        double y = (j + 0.5 - camera->cy) / camera->fy;
        for (int i = 0; i < out->width; i++) {
            double x = (i + 0.5 - camera->cx) / camera->fx;
            double xd, yd;
            ds_lens_distort(distortion, x, y, &xd, &yd);
            sample_bilinear(source, camera->fx * xd + camera->cx, camera->fy * yd + camera->cy,
                            background, ds_image_pixel(out, i, j));
        }
    }
    return ds_ok();
}

/* Each channel is resized as its own gray float plane: swscale converts multi-channel RGB
 * through an internal YUV form whose rounding leaks about 2^-12 between channels, while a
 * single gray plane keeps about 2^-17. */
static ds_status resize_plane(struct SwsContext *context, const float *source, int source_width,
                              int source_height, float *out, int width) {
    const uint8_t *source_data[4] = {(const uint8_t *)source, NULL, NULL, NULL};
    uint8_t *out_data[4] = {(uint8_t *)out, NULL, NULL, NULL};
    /* Strides in bytes; sides are at most 65536, so they fit an int. */
    const int source_strides[4] = {source_width * 4, 0, 0, 0};
    const int out_strides[4] = {width * 4, 0, 0, 0};
    int rows =
        sws_scale(context, source_data, source_strides, 0, source_height, out_data, out_strides);
    return rows > 0 ? ds_ok() : ds_error(DS_ERR_UNSUPPORTED, "libswscale could not resize");
}

ds_status ds_capture_resize(const ds_image *source, int width, int height, ds_image *out) {
    ds_status status = ds_image_create(width, height, out);
    if (ds_failed(&status)) {
        return status;
    }
    size_t source_count = (size_t)source->width * (size_t)source->height;
    size_t out_count = (size_t)width * (size_t)height;
    float *source_plane = malloc(source_count * sizeof(float));
    float *out_plane = malloc(out_count * sizeof(float));
    struct SwsContext *context = sws_getContext(
        source->width, source->height, AV_PIX_FMT_GRAYF32, width, height, AV_PIX_FMT_GRAYF32,
        SWS_AREA | SWS_ACCURATE_RND | SWS_BITEXACT, NULL, NULL, NULL);
    if (!source_plane || !out_plane) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate planes to resize a %dx%d image",
                          source->width, source->height);
    } else if (!context) {
        status = ds_error(DS_ERR_UNSUPPORTED, "libswscale cannot resize a %dx%d image to %dx%d",
                          source->width, source->height, width, height);
    }
    for (int c = 0; c < 3 && !ds_failed(&status); c++) {
        for (size_t i = 0; i < source_count; i++) {
            source_plane[i] = source->pixels[3 * i + (size_t)c];
        }
        status =
            resize_plane(context, source_plane, source->width, source->height, out_plane, width);
        for (size_t i = 0; i < out_count && !ds_failed(&status); i++) {
            out->pixels[3 * i + (size_t)c] = out_plane[i];
        }
    }
    sws_freeContext(context);
    free(source_plane);
    free(out_plane);
    if (ds_failed(&status)) {
        ds_image_free(out);
    }
    return status;
}
