#include "image.h"

#include <stdlib.h>

ds_status ds_image_create(int width, int height, ds_image *image) {
    image->width = image->height = 0;
    image->pixels = NULL;
    if (width <= 0 || height <= 0 || width > 65536 || height > 65536) {
        return ds_error(DS_ERR_ARGUMENT, "image size %dx%d is out of range", width, height);
    }
    image->pixels = calloc((size_t)width * (size_t)height * 3, sizeof(float));
    if (!image->pixels) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a %dx%d image", width, height);
    }
    image->width = width;
    image->height = height;
    return ds_ok();
}

void ds_image_free(ds_image *image) {
    free(image->pixels);
    image->pixels = NULL;
    image->width = image->height = 0;
}
