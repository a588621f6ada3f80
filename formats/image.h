/* An RGB image in memory: float32, channels interleaved, rows top to bottom, values in the
 * encoding of the file (sRGB-encoded 0..1, as 3DGS trains and renders them). */
#ifndef DS_FORMATS_IMAGE_H
#define DS_FORMATS_IMAGE_H

#include "status.h"

#include <stddef.h>

typedef struct ds_image {
    int width, height;
    float *pixels; /* width * height * 3 */
} ds_image;

/* A zeroed image; free with ds_image_free. */
ds_status ds_image_create(int width, int height, ds_image *image);
void ds_image_free(ds_image *image);

static inline float *ds_image_pixel(const ds_image *image, int x, int y) {
    return image->pixels + ((size_t)y * (size_t)image->width + (size_t)x) * 3;
}

#endif
