/* The CPU reference rasterizer: the semantics of the original 3DGS CUDA rasterizer (see
 * docs/rendering.md), on the CPU with OpenMP over 16x16 tiles and 8-wide SIMD over pixels. The
 * image does not depend on the number of threads.
 *
 * A rasterizer object owns every buffer a frame needs, so rendering the same scene again (as the
 * fitting loop does thousands of times) allocates nothing; it also keeps what the forward pass
 * computed for the backward pass in encoder/. */
#ifndef DS_RENDER_RASTERIZER_H
#define DS_RENDER_RASTERIZER_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"
#include "formats/image.h"

#include <stdbool.h>

enum { DS_TILE_SIZE = 16 };

typedef struct ds_raster_settings {
    float background[3];
    int sh_degree;    /* SH degree to evaluate; -1 for the cloud's own */
    bool antialiased; /* apply Mip-Splatting's opacity compensation (for such clouds) */
} ds_raster_settings;

typedef struct ds_rasterizer ds_rasterizer;

ds_status ds_rasterizer_create(ds_rasterizer **rasterizer);
void ds_rasterizer_free(ds_rasterizer *rasterizer);

/* Renders the cloud into `image`, which must already have the camera's size. The cloud must stay
 * unchanged until the backward pass of this frame has run. */
ds_status ds_rasterize(ds_rasterizer *rasterizer, const ds_gaussian_cloud *cloud,
                       const ds_camera *camera, const ds_raster_settings *settings,
                       ds_image *image);

/* Statistics of the last frame. */
typedef struct ds_raster_statistics {
    size_t visible;        /* Gaussians in front of the near plane that touch a tile */
    size_t tile_entries;   /* (tile, Gaussian) pairs after culling to the actual footprint */
    size_t square_entries; /* pairs the reference's bounding squares would have made */
} ds_raster_statistics;

ds_raster_statistics ds_rasterizer_statistics(const ds_rasterizer *rasterizer);

#endif
