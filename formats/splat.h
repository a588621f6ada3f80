/* antimatter15 .splat files: a headerless array of 32-byte records
 *   float32 x, y, z | float32 scale x, y, z (linear) | uint8 r, g, b, a | uint8 rotation w, x, y, z
 * little-endian, colour = 0.5 + SH_C0 * f_dc, alpha = sigmoid(opacity), rotation byte =
 * q / |q| * 128 + 128. Only SH degree 0 fits: higher coefficients are dropped on writing. */
#ifndef DS_FORMATS_SPLAT_H
#define DS_FORMATS_SPLAT_H

#include "byte_buffer.h"
#include "gaussian_cloud.h"

enum { DS_SPLAT_RECORD_BYTES = 32 };

ds_status ds_splat_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud);
ds_status ds_splat_encode(const ds_gaussian_cloud *cloud, ds_byte_buffer *out);

#endif
