/* libFuzzer target for the PNG reader (through libpng, every colour type and depth). What decodes
 * must have the size its header states, values in 0..1, and survive an 8-bit round trip.
 *
 * Every chunk's CRC is recomputed before decoding: otherwise almost every mutation dies at
 * libpng's CRC check and the fuzzer never reaches the chunk contents. */
#include "formats/png.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_chunk_crcs(uint8_t *data, size_t size) {
    size_t position = 8; /* after the signature */
    while (size >= position && size - position >= 12) {
        uint32_t length = (uint32_t)data[position] << 24 | (uint32_t)data[position + 1] << 16 |
                          (uint32_t)data[position + 2] << 8 | data[position + 3];
        if (length > size - position - 12) {
            return;
        }
        uint8_t *typed = data + position + 4;
        uint32_t crc = (uint32_t)crc32(0, typed, (uInt)length + 4);
        for (int i = 0; i < 4; i++) {
            typed[length + 4 + (size_t)i] = (uint8_t)(crc >> (24 - 8 * i));
        }
        position += (size_t)length + 12;
    }
}

static void check_decode(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        return 0;
    }
    memcpy(copy, data, size);
    fix_chunk_crcs(copy, size);
    check_decode(copy, size);
    free(copy);
    return 0;
}

static void check_decode(const uint8_t *data, size_t size) {
    const float background[3] = {0.25f, 0.5f, 1.0f};
    ds_image image;
    ds_status status = ds_png_decode(data, size, size % 2 ? background : NULL, &image);
    if (ds_failed(&status)) {
        if (image.pixels) {
            abort(); /* a failed decode leaves no image */
        }
        return;
    }
    int width, height;
    status = ds_png_decode_size(data, size, &width, &height);
    if (ds_failed(&status) || width != image.width || height != image.height) {
        abort(); /* the header reader disagrees with the decoder */
    }
    size_t count = (size_t)image.width * (size_t)image.height * 3;
    for (size_t i = 0; i < count; i++) {
        if (!(image.pixels[i] >= 0.0f && image.pixels[i] <= 1.0f)) {
            abort();
        }
    }
    ds_byte_buffer written = {0};
    status = ds_png_encode(&image, &written);
    if (ds_failed(&status)) {
        abort(); /* an image we decoded must encode */
    }
    ds_image again;
    status = ds_png_decode(written.data, written.size, NULL, &again);
    if (ds_failed(&status) || again.width != image.width || again.height != image.height) {
        abort(); /* we could not read what we wrote */
    }
    for (size_t i = 0; i < count; i++) {
        if (fabsf(again.pixels[i] - image.pixels[i]) > 0.5f / 255.0f + 1e-6f) {
            abort(); /* more than half an 8-bit step lost */
        }
    }
    ds_image_free(&again);
    ds_byte_buffer_free(&written);
    ds_image_free(&image);
}
