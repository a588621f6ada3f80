/* Niantic .spz files (versions 1-3: one gzip stream; version 4: zstd-compressed streams behind a
 * table of contents). See docs/formats.md for the byte layout.
 *
 * SPZ stores Gaussians in "right, up, back" axes (OpenGL); dualsplat's data model uses the
 * INRIA .ply axes "right, down, front" (OpenCV). Decoding and encoding convert positions,
 * rotations and SH signs between the two, as the reference library does, so a .ply converted to
 * .spz and viewed in any SPZ viewer looks the same. */
#ifndef DS_FORMATS_SPZ_H
#define DS_FORMATS_SPZ_H

#include "byte_buffer.h"
#include "gaussian_cloud.h"

#include <stdbool.h>

typedef struct ds_spz_info {
    uint32_t version;
    uint32_t count;
    int sh_degree; /* as stored: 0..4; degree 4 is read up to degree 3 */
    int fractional_bits;
    bool antialiased;
    bool compressed_with_zstd; /* version 4 container rather than gzip */
} ds_spz_info;

typedef struct ds_spz_write_options {
    int version;      /* 2, 3 or 4; 0 means 3, which every SPZ reader understands */
    int sh1_bits;     /* bits kept of degree-1 SH bytes, 1..8; 0 means 5 (the reference) */
    int sh_rest_bits; /* bits kept of degree-2 and 3 SH bytes, 1..8; 0 means 4 */
} ds_spz_write_options;

/* Decodes a .spz file; `info` may be NULL. */
ds_status ds_spz_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud,
                        ds_spz_info *info);

/* Encodes the cloud; `options` may be NULL for the defaults. */
ds_status ds_spz_encode(const ds_gaussian_cloud *cloud, const ds_spz_write_options *options,
                        ds_byte_buffer *out);

#endif
