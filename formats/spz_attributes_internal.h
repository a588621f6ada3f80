/* The attribute arrays inside a .spz file and their conversion to and from the data model:
 * fixed-point positions, byte-quantised alpha, colour, scale, rotation and SH, and the axis
 * change between SPZ's stored axes and ours. Containers (gzip, zstd) live in spz.c. */
#ifndef DS_FORMATS_SPZ_ATTRIBUTES_INTERNAL_H
#define DS_FORMATS_SPZ_ATTRIBUTES_INTERNAL_H

#include "byte_buffer.h"
#include "gaussian_cloud.h"

#include <stdbool.h>

enum {
    SPZ_STREAM_POSITIONS,
    SPZ_STREAM_ALPHAS,
    SPZ_STREAM_COLORS,
    SPZ_STREAM_SCALES,
    SPZ_STREAM_ROTATIONS,
    SPZ_STREAM_SH,
    SPZ_STREAM_COUNT
};

enum { SPZ_MAX_SH_DEGREE = 4 };

/* SPZ's axis systems (the reference library's numbering): bit 0 set = x right, bit 1 set = y up,
 * bit 2 set = z front, on the value minus one. Only these eight, which differ by sign flips,
 * are supported; the others need rotations. */
enum { SPZ_AXES_RUB = 4, SPZ_AXES_RDF = 6 };

typedef struct spz_layout {
    uint32_t version; /* selects position and rotation encodings */
    uint32_t count;
    int sh_degree; /* 0..SPZ_MAX_SH_DEGREE */
    int fractional_bits;
    bool antialiased;
    int axes; /* the stored axis system, SPZ_AXES_* numbering, 1..8 */
} spz_layout;

/* Bytes of one attribute array; 0 for SH at degree 0. */
size_t spz_stream_size(const spz_layout *layout, int stream);

/* Fills a cloud from the attribute arrays, converting to .ply axes. */
ds_status spz_unpack(const spz_layout *layout, const uint8_t *const streams[SPZ_STREAM_COUNT],
                     ds_gaussian_cloud **cloud);

typedef struct spz_pack_options {
    uint32_t version;
    int sh1_bits;
    int sh_rest_bits;
} spz_pack_options;

/* Chooses the fixed-point precision (12 fractional bits unless the cloud is too large for it)
 * and quantises the cloud into one buffer per attribute, in SPZ_AXES_RUB axes. */
ds_status spz_pack(const ds_gaussian_cloud *cloud, const spz_pack_options *options,
                   spz_layout *layout, ds_byte_buffer streams[SPZ_STREAM_COUNT]);

#endif
