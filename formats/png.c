#include "png.h"

#include "file_io.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PNG_SIGNATURE_BYTES = 8 };
/* Signature, IHDR length and type, width, height, bit depth, colour type. */
enum { PNG_HEADER_BYTES = 26 };
/* ds_image's own limit on each side. */
enum { PNG_MAX_SIDE = 65536 };
/* deflate cannot expand data more than 1032 times: a header that claims more pixels than the
 * file's compressed bytes could hold is corrupt, and checking this before libpng allocates keeps
 * a small file from asking for gigabytes. */
enum { PNG_MAX_EXPANSION = 1032 };

static const uint8_t png_signature[PNG_SIGNATURE_BYTES] = {0x89, 'P',  'N',  'G',
                                                           '\r', '\n', 0x1a, '\n'};

static uint32_t load_u32be(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

typedef struct png_header {
    uint32_t width, height;
    int bit_depth, colour_type;
} png_header;

static ds_status parse_header(const uint8_t *data, size_t size, png_header *header) {
    if (size < PNG_SIGNATURE_BYTES || memcmp(data, png_signature, PNG_SIGNATURE_BYTES) != 0) {
        return ds_error(DS_ERR_FORMAT, "not a PNG file (no PNG signature)");
    }
    if (size < PNG_HEADER_BYTES) {
        return ds_error(DS_ERR_FORMAT, "PNG file is truncated inside its header");
    }
    if (load_u32be(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
        return ds_error(DS_ERR_FORMAT, "PNG file does not start with an IHDR chunk");
    }
    *header = (png_header){
        .width = load_u32be(data + 16),
        .height = load_u32be(data + 20),
        .bit_depth = data[24],
        .colour_type = data[25],
    };
    /* The PNG specification limits each side to 2^31 - 1. */
    if (header->width == 0 || header->height == 0 || header->width > 0x7fffffffu ||
        header->height > 0x7fffffffu) {
        return ds_error(DS_ERR_FORMAT, "PNG image size %ux%u is invalid", header->width,
                        header->height);
    }
    return ds_ok();
}

ds_status ds_png_decode_size(const uint8_t *data, size_t size, int *width, int *height) {
    *width = *height = 0;
    png_header header = {0};
    ds_status status = parse_header(data, size, &header);
    if (ds_failed(&status)) {
        return status;
    }
    if (header.width > PNG_MAX_SIDE || header.height > PNG_MAX_SIDE) {
        return ds_error(DS_ERR_UNSUPPORTED, "PNG image of %ux%u pixels is above the %d limit",
                        header.width, header.height, PNG_MAX_SIDE);
    }
    *width = (int)header.width;
    *height = (int)header.height;
    return ds_ok();
}

ds_status ds_png_read_size(const char *path, int *width, int *height) {
    *width = *height = 0;
    FILE *file = fopen(path, "rb");
    if (!file) {
        return ds_error(DS_ERR_IO, "%s", strerror(errno));
    }
    uint8_t header[PNG_HEADER_BYTES];
    size_t got = fread(header, 1, sizeof header, file);
    bool failed = ferror(file) != 0;
    fclose(file);
    if (failed) {
        return ds_error(DS_ERR_IO, "cannot read the PNG header");
    }
    return ds_png_decode_size(header, got, width, height);
}

/* ---- libpng plumbing shared by reading and writing ----
 *
 * libpng reports errors by calling our handler, which must not return: it longjmps back to the
 * setjmp in the function that drives libpng. Every value that must survive the jump (buffers to
 * free, the message) lives in a context struct owned by the caller of that function, never in
 * its own local variables, whose values a longjmp leaves indeterminate. */

typedef struct png_error_state {
    char message[160];
} png_error_state;

static void on_png_error(png_structp png, png_const_charp message) {
    png_error_state *state = png_get_error_ptr(png);
    snprintf(state->message, sizeof state->message, "%s", message ? message : "libpng error");
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    (void)png; /* warnings (unknown chunks, bad ancillary CRCs) do not change the pixels */
    (void)message;
}

/* ---- reading ---- */

typedef struct png_decoder {
    png_error_state error; /* first: libpng's error pointer */
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size, position;
    uint8_t *samples; /* the decoded rows, after libpng's transformations */
    png_bytep *rows;
    int channels, bit_depth; /* after the transformations: 3 or 4, 8 or 16 */
    uint32_t width, height;
    size_t row_bytes;
    ds_status status; /* a failure of ours (not libpng's) while decoding */
} png_decoder;

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    png_decoder *decoder = png_get_io_ptr(png);
    if (count > decoder->size - decoder->position) {
        png_error(png, "file is truncated");
    }
    memcpy(out, decoder->data + decoder->position, count);
    decoder->position += count;
}

/* Runs libpng up to decoded rows in decoder->samples; false when libpng or we failed. */
static bool run_decoder(png_decoder *decoder) {
    if (setjmp(png_jmpbuf(decoder->png))) {
        return false;
    }
    png_set_read_fn(decoder->png, decoder, read_from_memory);
    png_set_user_limits(decoder->png, PNG_MAX_SIDE, PNG_MAX_SIDE);
    png_read_info(decoder->png, decoder->info);

    int colour_type = png_get_color_type(decoder->png, decoder->info);
    /* Palette to RGB, gray below 8 bits to 8 bits, tRNS to an alpha channel. */
    png_set_expand(decoder->png);
    if (colour_type == PNG_COLOR_TYPE_GRAY || colour_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(decoder->png);
    }
    png_set_interlace_handling(decoder->png);
    png_read_update_info(decoder->png, decoder->info);

    decoder->width = png_get_image_width(decoder->png, decoder->info);
    decoder->height = png_get_image_height(decoder->png, decoder->info);
    decoder->channels = png_get_channels(decoder->png, decoder->info);
    decoder->bit_depth = png_get_bit_depth(decoder->png, decoder->info);
    decoder->row_bytes = png_get_rowbytes(decoder->png, decoder->info);
    if ((decoder->channels != 3 && decoder->channels != 4) ||
        (decoder->bit_depth != 8 && decoder->bit_depth != 16) ||
        decoder->row_bytes !=
            (size_t)decoder->width * (size_t)decoder->channels * (size_t)decoder->bit_depth / 8) {
        decoder->status =
            ds_error(DS_ERR_UNSUPPORTED, "PNG layout of %d channels at %d bits is not handled",
                     decoder->channels, decoder->bit_depth);
        return false;
    }
    /* Both sides are at most PNG_MAX_SIDE, so this product fits in size_t. */
    decoder->samples = malloc(decoder->row_bytes * decoder->height);
    decoder->rows = malloc(sizeof(png_bytep) * decoder->height);
    if (!decoder->samples || !decoder->rows) {
        decoder->status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate a %ux%u PNG image",
                                   decoder->width, decoder->height);
        return false;
    }
    for (uint32_t y = 0; y < decoder->height; y++) {
        decoder->rows[y] = decoder->samples + (size_t)y * decoder->row_bytes;
    }
    png_read_image(decoder->png, decoder->rows);
    png_read_end(decoder->png, NULL); /* checks the chunks after the image data too */
    return true;
}

static float sample_value(const uint8_t *samples, size_t index, int bit_depth) {
    if (bit_depth == 16) {
        /* PNG stores 16-bit samples big-endian. */
        const uint8_t *p = samples + 2 * index;
        return (float)((unsigned)p[0] << 8 | p[1]) / 65535.0f;
    }
    return (float)samples[index] / 255.0f;
}

static void composite_rows(const png_decoder *decoder, const float background[3], ds_image *image) {
    int channels = decoder->channels;
    for (uint32_t y = 0; y < decoder->height; y++) {
        const uint8_t *row = decoder->rows[y];
        float *out = ds_image_pixel(image, 0, (int)y);
        for (uint32_t x = 0; x < decoder->width; x++) {
            size_t first = (size_t)x * (size_t)channels;
            float alpha = channels == 4 ? sample_value(row, first + 3, decoder->bit_depth) : 1.0f;
            for (int c = 0; c < 3; c++) {
                float value = sample_value(row, first + (size_t)c, decoder->bit_depth);
                out[3 * (size_t)x + (size_t)c] =
                    channels == 4 ? alpha * value + (1.0f - alpha) * background[c] : value;
            }
        }
    }
}

static ds_status check_plausible_size(const png_header *header, size_t file_size) {
    static const int channels_of_type[7] = {1, 0, 3, 1, 2, 0, 4};
    int channels = header->colour_type < 7 ? channels_of_type[header->colour_type] : 0;
    if (channels == 0 || header->bit_depth == 0 || header->bit_depth > 16) {
        return ds_error(DS_ERR_FORMAT, "PNG colour type %d at bit depth %d is invalid",
                        header->colour_type, header->bit_depth);
    }
    if (header->width > PNG_MAX_SIDE || header->height > PNG_MAX_SIDE) {
        return ds_error(DS_ERR_UNSUPPORTED, "PNG image of %ux%u pixels is above the %d limit",
                        header->width, header->height, PNG_MAX_SIDE);
    }
    /* Filtered rows: one filter byte and the packed samples each (fits: sides <= 2^16). */
    uint64_t row_bits = (uint64_t)header->width * (uint64_t)channels * (uint64_t)header->bit_depth;
    uint64_t raw_bytes = (uint64_t)header->height * (1 + (row_bits + 7) / 8);
    if (raw_bytes / PNG_MAX_EXPANSION > file_size) {
        return ds_error(DS_ERR_FORMAT,
                        "PNG header claims %ux%u pixels, more than a %zu byte file can hold "
                        "(corrupt header)",
                        header->width, header->height, file_size);
    }
    return ds_ok();
}

ds_status ds_png_decode(const uint8_t *data, size_t size, const float background[3],
                        ds_image *image) {
    image->width = image->height = 0;
    image->pixels = NULL;
    static const float white[3] = {1.0f, 1.0f, 1.0f};
    if (!background) {
        background = white;
    }
    png_header header = {0};
    ds_status status = parse_header(data, size, &header);
    if (!ds_failed(&status)) {
        status = check_plausible_size(&header, size);
    }
    if (ds_failed(&status)) {
        return status;
    }

    png_decoder decoder = {.data = data, .size = size, .status = ds_ok()};
    decoder.png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &decoder.error, on_png_error, on_png_warning);
    decoder.info = decoder.png ? png_create_info_struct(decoder.png) : NULL;
    if (!decoder.png || !decoder.info) {
        png_destroy_read_struct(decoder.png ? &decoder.png : NULL, NULL, NULL);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start a PNG decoder");
    }
    if (run_decoder(&decoder)) {
        status = ds_image_create((int)decoder.width, (int)decoder.height, image);
        if (!ds_failed(&status)) {
            composite_rows(&decoder, background, image);
        }
    } else if (ds_failed(&decoder.status)) {
        status = decoder.status;
    } else {
        status = ds_error(DS_ERR_FORMAT, "PNG file is corrupt: %s", decoder.error.message);
    }
    png_destroy_read_struct(&decoder.png, &decoder.info, NULL);
    free(decoder.rows);
    free(decoder.samples);
    return status;
}

ds_status ds_png_load(const char *path, const float background[3], ds_image *image) {
    image->width = image->height = 0;
    image->pixels = NULL;
    uint8_t *data;
    size_t size;
    ds_status status = ds_file_read_all(path, DS_PNG_MAX_FILE_BYTES, &data, &size);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_png_decode(data, size, background, image);
    free(data);
    return status;
}

/* ---- writing ---- */

typedef struct png_encoder {
    png_error_state error; /* first: libpng's error pointer */
    png_structp png;
    png_infop info;
    ds_byte_buffer *out;
    uint8_t *row; /* one row of 8-bit RGB */
} png_encoder;

static void write_to_buffer(png_structp png, png_bytep bytes, size_t count) {
    png_encoder *encoder = png_get_io_ptr(png);
    ds_byte_buffer_append(encoder->out, bytes, count);
    if (encoder->out->failed) {
        png_error(png, "out of memory");
    }
}

static void flush_nothing(png_structp png) {
    (void)png; /* the bytes are in memory; the file is written and synced in one go */
}

static uint8_t quantise(float value) {
    if (!(value > 0.0f)) { /* also NaN */
        return 0;
    }
    if (value >= 1.0f) {
        return 255;
    }
    return (uint8_t)(value * 255.0f + 0.5f);
}

static bool run_encoder(png_encoder *encoder, const ds_image *image) {
    if (setjmp(png_jmpbuf(encoder->png))) {
        return false;
    }
    png_set_write_fn(encoder->png, encoder, write_to_buffer, flush_nothing);
    png_set_IHDR(encoder->png, encoder->info, (png_uint_32)image->width, (png_uint_32)image->height,
                 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(encoder->png, encoder->info);
    for (int y = 0; y < image->height; y++) {
        const float *pixels = ds_image_pixel(image, 0, y);
        for (size_t i = 0; i < (size_t)image->width * 3; i++) {
            encoder->row[i] = quantise(pixels[i]);
        }
        png_write_row(encoder->png, encoder->row);
    }
    png_write_end(encoder->png, NULL);
    return true;
}

ds_status ds_png_encode(const ds_image *image, ds_byte_buffer *out) {
    if (!image->pixels || image->width <= 0 || image->height <= 0 || image->width > PNG_MAX_SIDE ||
        image->height > PNG_MAX_SIDE) {
        return ds_error(DS_ERR_ARGUMENT, "cannot write a %dx%d image as PNG", image->width,
                        image->height);
    }
    png_encoder encoder = {.out = out};
    encoder.row = malloc((size_t)image->width * 3);
    if (!encoder.row) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a PNG row");
    }
    encoder.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &encoder.error, on_png_error,
                                          on_png_warning);
    encoder.info = encoder.png ? png_create_info_struct(encoder.png) : NULL;
    if (!encoder.png || !encoder.info) {
        png_destroy_write_struct(encoder.png ? &encoder.png : NULL, NULL);
        free(encoder.row);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start a PNG encoder");
    }
    size_t size_before = out->size;
    ds_status status = ds_ok();
    if (!run_encoder(&encoder, image)) {
        status = out->failed
                     ? ds_error(DS_ERR_NO_MEMORY, "out of memory while encoding a PNG")
                     : ds_error(DS_ERR_FORMAT, "cannot encode a PNG: %s", encoder.error.message);
        if (!out->failed) {
            out->size = size_before; /* leave no half-written image behind */
        }
    }
    png_destroy_write_struct(&encoder.png, &encoder.info);
    free(encoder.row);
    return status;
}

ds_status ds_png_save(const char *path, const ds_image *image) {
    ds_byte_buffer encoded = {0};
    ds_status status = ds_png_encode(image, &encoded);
    if (!ds_failed(&status)) {
        status = ds_file_write_atomic(path, encoded.data, encoded.size);
    }
    ds_byte_buffer_free(&encoded);
    return status;
}
