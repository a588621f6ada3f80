/* PNG images, through libpng.
 *
 * Reading accepts every PNG colour type (gray, gray + alpha, RGB, RGBA, palette, with or
 * without a tRNS chunk) at every bit depth and interlaced or not; 16-bit samples keep their
 * precision. Values stay in the file's encoding (sRGB-encoded 0..1: gAMA and iCCP are not
 * applied), and any alpha is composited over a background colour in those encoded values,
 *     colour = alpha * pixel + (1 - alpha) * background,
 * as 3DGS loaders do: captures are masked on white, so the background defaults to white.
 * Writing produces an 8-bit RGB PNG, each value clamped to 0..1 and rounded to the nearest of
 * the 256 levels. */
#ifndef DS_FORMATS_PNG_H
#define DS_FORMATS_PNG_H

#include "byte_buffer.h"
#include "image.h"

/* Largest PNG file the loaders read into memory. */
#define DS_PNG_MAX_FILE_BYTES ((size_t)1 << 30)

/* Decodes a PNG held in memory. `background` is an RGB colour in 0..1, or NULL for white. */
ds_status ds_png_decode(const uint8_t *data, size_t size, const float background[3],
                        ds_image *image);

/* Reads a PNG file (see ds_png_decode). */
ds_status ds_png_load(const char *path, const float background[3], ds_image *image);

/* The image size from a PNG's header (its first 24 bytes), without decoding it. */
ds_status ds_png_decode_size(const uint8_t *data, size_t size, int *width, int *height);

/* The image size of a PNG file, reading only its header: cheap enough to check every view of a
 * capture when it is opened. */
ds_status ds_png_read_size(const char *path, int *width, int *height);

/* Appends the image as an 8-bit RGB PNG to `out`. */
ds_status ds_png_encode(const ds_image *image, ds_byte_buffer *out);

/* Writes the image as an 8-bit RGB PNG file, atomically. */
ds_status ds_png_save(const char *path, const ds_image *image);

#endif
