/* INRIA 3D Gaussian Splatting .ply files (the format the reference trainer writes).
 *
 * Reading accepts ASCII, binary little-endian and binary big-endian files, properties in any
 * order and of any numeric type, other elements (faces, PlayCanvas chunks...) and unknown
 * properties (normals, colours) which are skipped. The SH degree is inferred from the number of
 * f_rest_* properties (0, 9, 24 or 45). Writing produces what the reference trainer writes:
 * binary little-endian float32 "x y z nx ny nz f_dc_0..2 f_rest_* opacity scale_0..2 rot_0..3". */
#ifndef DS_FORMATS_PLY_H
#define DS_FORMATS_PLY_H

#include "byte_buffer.h"
#include "gaussian_cloud.h"

typedef enum ds_ply_encoding {
    DS_PLY_BINARY_LITTLE_ENDIAN, /* the default, what every viewer reads */
    DS_PLY_BINARY_BIG_ENDIAN,
    DS_PLY_ASCII,
} ds_ply_encoding;

ds_status ds_ply_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud);

/* Appends the cloud as a .ply file to `out`. */
ds_status ds_ply_encode(const ds_gaussian_cloud *cloud, ds_ply_encoding encoding,
                        ds_byte_buffer *out);

#endif
