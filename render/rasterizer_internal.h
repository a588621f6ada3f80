/* The stages of a forward pass, one file each; internal to render/. */
#ifndef DS_RENDER_RASTERIZER_INTERNAL_H
#define DS_RENDER_RASTERIZER_INTERNAL_H

#include "raster_frame.h"

/* Builds the per-tile lists, front to back, from the projected Gaussians. */
ds_status ds_bin_tiles(struct ds_rasterizer *frame);

/* Composites every tile into the image and records per-pixel transmittance and counts. */
ds_status ds_composite_tiles(struct ds_rasterizer *frame, ds_image *image);

/* Grows `*array` to hold `count` elements of `size` bytes (contents not kept). */
ds_status ds_reserve_array(void **array, size_t *capacity, size_t count, size_t size);

#endif
