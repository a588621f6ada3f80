/* The corrections layer of a .dsv segment (CORR, docs/dsv-format.md): per frame, the skin
 * Gaussians whose skinned position or rotation misses the source by more than the encoder's
 * error bound, with a quantised position offset and a small corrective rotation. Streams packed
 * from tracking have none: tracking only ever produces skinned positions. */
#ifndef DS_FORMATS_DSV_CORRECTIONS_H
#define DS_FORMATS_DSV_CORRECTIONS_H

#include "byte_buffer.h"

#include <stdint.h>

typedef struct ds_corrections_layer {
    uint32_t gaussians, frames;
    float position_step;
    /* Frame t's corrections are entries starts[t] .. starts[t + 1], increasing Gaussian ids. */
    uint32_t *starts;   /* frames + 1 */
    uint32_t *ids;      /* entries */
    int32_t *offsets;   /* entries x 3, in units of position_step */
    int16_t *rotations; /* entries x 3: x, y, z of the corrective quaternion times 32767 */
    size_t capacity;
} ds_corrections_layer;

ds_status ds_corrections_layer_create(uint32_t gaussians, uint32_t frames, float position_step,
                                      ds_corrections_layer *layer);
/* Appends a correction to the frame being built (frames are built in order; ids increasing). */
ds_status ds_corrections_layer_add(ds_corrections_layer *layer, uint32_t frame, uint32_t id,
                                   const int32_t offset[3], const int16_t rotation[3]);
void ds_corrections_layer_free(ds_corrections_layer *layer);

ds_status ds_corrections_layer_encode(const ds_corrections_layer *layer, ds_byte_buffer *out);
ds_status ds_corrections_layer_decode(const uint8_t *data, size_t size, uint32_t gaussians,
                                      uint32_t frames, ds_corrections_layer *layer);

/* Applies frame t's corrections to skinned positions (x 3) and unit rotations (x 4). */
void ds_corrections_layer_apply(const ds_corrections_layer *layer, uint32_t t, float *positions,
                                float *rotations);

/* The corrective quaternion (w, x, y, z) of an entry's stored x, y, z. */
void ds_corrections_rotation(const int16_t stored[3], float q[4]);

#endif
