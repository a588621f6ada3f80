/* The colour (SH) layer of one .dsv segment (METHOD.md §3.5): per SH order a codebook of
 * half-float vectors, every skin Gaussian's entry per order at the segment's first frame, and
 * for each later frame only the Gaussians whose entry changed.
 *
 * Payload (little-endian):
 *   u8  version (1)
 *   u8  sh_degree (0..3; orders 0..sh_degree are present)
 *   u32 count, u32 frames, u32 entries[sh_degree + 1]
 *   u64 body size, then the body as one zstd frame (with content checksum) to the end.
 * Body:
 *   codebooks: per order, dims x entries fp16 (dimension-major: similar values sit together)
 *   first-frame indices: per order, count indices of bits(entries) bits, LSB first, byte-padded
 *   change counts: for frame 1..frames-1, for order 0..sh_degree, a LEB128 varint
 *   changed Gaussians: in the same (frame, order) order, ids as LEB128 gaps (first id, then
 *                      id - previous - 1)
 *   new indices: in the same order, bits(entries) bits each, LSB first, byte-padded
 * where bits(n) = ceil(log2(n)) (0 for a one-entry codebook). */
#ifndef DS_FORMATS_DSV_COLOUR_H
#define DS_FORMATS_DSV_COLOUR_H

#include "byte_buffer.h"

#include <stddef.h>
#include <stdint.h>

enum {
    DS_COLOUR_LAYER_VERSION = 1,
    DS_COLOUR_MAX_ENTRIES = 65536, /* indices fit 16 bits */
};

typedef struct ds_colour_layer {
    int sh_degree;        /* 0..3: orders 0..sh_degree present */
    size_t count;         /* skin Gaussians, 1..UINT32_MAX */
    uint32_t frames;      /* frames in the segment, >= 1 */
    uint32_t entries[4];  /* codebook entries per order, 1..DS_COLOUR_MAX_ENTRIES */
    float *codebooks[4];  /* entries x dims(order), values as stored (fp16-rounded) */
    uint32_t *initial[4]; /* count indices of the segment's first frame */
    /* Changes of frames 1..frames-1: for order d and frame f they are
     * change_starts[d][f - 1] .. change_starts[d][f] (change_starts[d] has `frames` elements,
     * the first 0) of change_gaussians[d] (strictly increasing within a frame) and
     * change_indices[d] (the new entries). */
    uint32_t *change_starts[4], *change_gaussians[4], *change_indices[4];
} ds_colour_layer;

/* Floats of one SH order's vector: 3, 9, 15, 21. */
int ds_colour_order_dims(int order);
/* First float of the order in a Gaussian's SH (cloud layout): 0, 3, 12, 27. */
int ds_colour_order_offset(int order);

/* Appends the payload. DS_ERR_ARGUMENT if the layer is inconsistent (the same checks as
 * decoding) or a codebook value does not fit a half float; values are rounded to half. */
ds_status ds_colour_layer_encode(const ds_colour_layer *layer, ds_byte_buffer *out);

/* Decodes and validates everything (indices < entries, Gaussian ids < count and increasing,
 * finite codebooks, count, degree and frames equal to the expected ones, no trailing bytes).
 * DS_ERR_FORMAT for any damage, DS_ERR_UNSUPPORTED for another version. On failure the layer
 * is left zeroed. Free with ds_colour_layer_free. */
ds_status ds_colour_layer_decode(const uint8_t *data, size_t size, size_t expected_count,
                                 int expected_sh_degree, uint32_t expected_frames,
                                 ds_colour_layer *layer);

/* The indices of local frame `frame` (indices[d] holds count entries, d <= sh_degree): the
 * first frame's, with the change lists replayed up to `frame`, so seeking gives exactly what
 * sequential playback gives. DS_ERR_ARGUMENT if frame >= frames. */
ds_status ds_colour_layer_indices_at(const ds_colour_layer *layer, uint32_t frame,
                                     uint32_t *indices[4]);

/* Turns the indices of frame - 1 into those of `frame` (sequential playback, O(changes)).
 * Frame 0 and frames past the segment change nothing. */
void ds_colour_layer_apply_changes(const ds_colour_layer *layer, uint32_t frame,
                                   uint32_t *indices[4]);

/* Writes every Gaussian's SH (count x 3 (sh_degree + 1)^2 floats, cloud layout) from the
 * codebooks. The indices must be valid (as decoding and the two functions above make them). */
void ds_colour_layer_expand(const ds_colour_layer *layer, uint32_t *const indices[4], float *sh);

/* Frees the arrays and zeroes the layer. */
void ds_colour_layer_free(ds_colour_layer *layer);

#endif
