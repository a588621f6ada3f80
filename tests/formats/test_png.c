#define _POSIX_C_SOURCE 200809L
#include "formats_tests.h"
#include "test_support.h"

#include "formats/png.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- PNG files built by hand (zlib and CRCs, no libpng), independently of the decoder ---- */

enum { GRAY = 0, RGB = 2, PALETTE = 3, GRAY_ALPHA = 4, RGBA = 6 };

static void append_u32be(ds_byte_buffer *out, uint32_t value) {
    uint8_t bytes[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8),
                        (uint8_t)value};
    ds_byte_buffer_append(out, bytes, 4);
}

static void append_chunk(ds_byte_buffer *out, const char *type, const uint8_t *data, size_t size) {
    append_u32be(out, (uint32_t)size);
    size_t start = out->size;
    ds_byte_buffer_append(out, type, 4);
    ds_byte_buffer_append(out, data, size);
    append_u32be(out, (uint32_t)crc32(0, out->data + start, (uInt)(size + 4)));
}

typedef struct png_spec {
    uint32_t width, height;
    int bit_depth, colour_type, interlaced;
    const uint8_t *palette; /* RGB triples */
    size_t palette_entries;
    const uint8_t *transparency; /* tRNS chunk contents */
    size_t transparency_size;
} png_spec;

/* `filtered` is the image data as the PNG holds it before compression: every row (of every
 * interlace pass) starts with its filter byte (0 here). */
static void build_png(const png_spec *spec, const uint8_t *filtered, size_t filtered_size,
                      ds_byte_buffer *out) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ds_byte_buffer_append(out, signature, 8);
    uint8_t header[13] = {0};
    for (int i = 0; i < 4; i++) {
        header[i] = (uint8_t)(spec->width >> (24 - 8 * i));
        header[4 + i] = (uint8_t)(spec->height >> (24 - 8 * i));
    }
    header[8] = (uint8_t)spec->bit_depth;
    header[9] = (uint8_t)spec->colour_type;
    header[12] = (uint8_t)spec->interlaced;
    append_chunk(out, "IHDR", header, sizeof header);
    if (spec->palette) {
        append_chunk(out, "PLTE", spec->palette, spec->palette_entries * 3);
    }
    if (spec->transparency) {
        append_chunk(out, "tRNS", spec->transparency, spec->transparency_size);
    }
    uLongf compressed_size = compressBound((uLong)filtered_size);
    uint8_t *compressed = malloc(compressed_size);
    assert_non_null(compressed);
    assert_int_equal(compress(compressed, &compressed_size, filtered, (uLong)filtered_size), Z_OK);
    append_chunk(out, "IDAT", compressed, compressed_size);
    free(compressed);
    append_chunk(out, "IEND", NULL, 0);
    assert_false(out->failed);
}

static ds_image decode_or_fail(const ds_byte_buffer *file, const float background[3]) {
    ds_image image;
    ds_status status = ds_png_decode(file->data, file->size, background, &image);
    if (ds_failed(&status)) {
        fail_msg("decode failed: %s", status.message);
    }
    return image;
}

static void assert_pixel(const ds_image *image, int x, int y, float r, float g, float b,
                         float tolerance) {
    const float *p = ds_image_pixel(image, x, y);
    const float expected[3] = {r, g, b};
    for (int c = 0; c < 3; c++) {
        if (fabsf(p[c] - expected[c]) > tolerance) {
            fail_msg("pixel (%d, %d) channel %d is %.7f, expected %.7f", x, y, c, p[c],
                     expected[c]);
        }
    }
}

static char *make_temporary_directory(void) {
    char *directory = strdup("/tmp/dualsplat-png-XXXXXX");
    assert_non_null(directory);
    assert_non_null(mkdtemp(directory));
    return directory;
}

/* ---- writing and reading back ---- */

static void round_trip_quantises_to_the_nearest_8_bit_level(void **state) {
    (void)state;
    ds_image image;
    assert_int_equal(ds_image_create(7, 5, &image).code, DS_OK);
    size_t count = (size_t)image.width * (size_t)image.height * 3;
    for (size_t i = 0; i < count; i++) {
        image.pixels[i] = (float)((i * 37) % 101) / 100.0f; /* 0 .. 1 in uneven steps */
    }
    /* Out of range and exact half steps. */
    image.pixels[0] = -0.25f;
    image.pixels[1] = 1.5f;
    image.pixels[2] = NAN;
    image.pixels[3] = 0.5f / 255.0f + 1e-4f;
    image.pixels[4] = 254.6f / 255.0f;

    ds_byte_buffer file = {0};
    assert_int_equal(ds_png_encode(&image, &file).code, DS_OK);
    ds_image decoded = decode_or_fail(&file, NULL);
    assert_int_equal(decoded.width, 7);
    assert_int_equal(decoded.height, 5);
    assert_float_equal(decoded.pixels[0], 0.0f, 0.0f);
    assert_float_equal(decoded.pixels[1], 1.0f, 0.0f);
    assert_float_equal(decoded.pixels[2], 0.0f, 0.0f);
    assert_float_equal(decoded.pixels[3], 1.0f / 255.0f, 1e-7f);
    assert_float_equal(decoded.pixels[4], 1.0f, 0.0f);
    for (size_t i = 5; i < count; i++) {
        float level = roundf(image.pixels[i] * 255.0f);
        /* Exactly the level, and within half a quantisation step of what was written. */
        assert_float_equal(decoded.pixels[i], level / 255.0f, 1e-7f);
        assert_true(fabsf(decoded.pixels[i] - image.pixels[i]) <= 0.5f / 255.0f + 1e-6f);
    }

    /* What is written is an 8-bit RGB PNG. */
    assert_true(file.size > 26);
    assert_int_equal(file.data[24], 8);
    assert_int_equal(file.data[25], RGB);
    int width, height;
    assert_int_equal(ds_png_decode_size(file.data, file.size, &width, &height).code, DS_OK);
    assert_int_equal(width, 7);
    assert_int_equal(height, 5);

    ds_image_free(&decoded);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

static void saving_is_atomic_and_the_size_is_read_from_the_header(void **state) {
    (void)state;
    char *directory = make_temporary_directory();
    char path[512], temporary[520];
    snprintf(path, sizeof path, "%s/out.png", directory);
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    ds_image image;
    assert_int_equal(ds_image_create(33, 17, &image).code, DS_OK);
    ds_image_pixel(&image, 32, 16)[1] = 1.0f;
    assert_int_equal(ds_png_save(path, &image).code, DS_OK);
    struct stat info;
    assert_int_equal(stat(temporary, &info), -1);

    int width, height;
    assert_int_equal(ds_png_read_size(path, &width, &height).code, DS_OK);
    assert_int_equal(width, 33);
    assert_int_equal(height, 17);
    ds_image loaded;
    assert_int_equal(ds_png_load(path, NULL, &loaded).code, DS_OK);
    assert_pixel(&loaded, 32, 16, 0.0f, 1.0f, 0.0f, 0.0f);
    assert_pixel(&loaded, 0, 0, 0.0f, 0.0f, 0.0f, 0.0f);
    ds_image_free(&loaded);

    char missing[512];
    snprintf(missing, sizeof missing, "%s/no/such/dir/out.png", directory);
    ds_status status = ds_png_save(missing, &image);
    assert_int_equal(status.code, DS_ERR_IO);
    status = ds_png_read_size(missing, &width, &height);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_non_null(strstr(status.message, "No such file"));
    status = ds_png_load(missing, NULL, &loaded);
    assert_int_equal(status.code, DS_ERR_IO);

    ds_image empty = {0};
    status = ds_png_save(path, &empty);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);

    unlink(path);
    rmdir(directory);
    free(directory);
    ds_image_free(&image);
}

/* ---- every colour type and bit depth ---- */

static void sixteen_bit_samples_keep_their_precision(void **state) {
    (void)state;
    /* 2x1 RGB, 16-bit big-endian samples. */
    const uint8_t filtered[] = {0,    0x12, 0x34, 0x00, 0x01, 0xff, 0xff,
                                0x80, 0x00, 0x7f, 0xff, 0xab, 0xcd};
    png_spec spec = {.width = 2, .height = 1, .bit_depth = 16, .colour_type = RGB};
    ds_byte_buffer file = {0};
    build_png(&spec, filtered, sizeof filtered, &file);
    ds_image image = decode_or_fail(&file, NULL);
    assert_pixel(&image, 0, 0, 0x1234 / 65535.0f, 1 / 65535.0f, 1.0f, 1e-7f);
    assert_pixel(&image, 1, 0, 0x8000 / 65535.0f, 0x7fff / 65535.0f, 0xabcd / 65535.0f, 1e-7f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

static void alpha_is_composited_over_the_background(void **state) {
    (void)state;
    /* 8-bit RGBA: opaque red, half-transparent black, fully transparent green. */
    const uint8_t rgba8[] = {0, 255, 0, 0, 255, 0, 0, 0, 128, 0, 255, 0, 0};
    png_spec spec = {.width = 3, .height = 1, .bit_depth = 8, .colour_type = RGBA};
    ds_byte_buffer file = {0};
    build_png(&spec, rgba8, sizeof rgba8, &file);
    ds_image image = decode_or_fail(&file, NULL); /* white */
    float a = 128.0f / 255.0f;
    assert_pixel(&image, 0, 0, 1.0f, 0.0f, 0.0f, 1e-7f);
    assert_pixel(&image, 1, 0, 1.0f - a, 1.0f - a, 1.0f - a, 1e-6f);
    assert_pixel(&image, 2, 0, 1.0f, 1.0f, 1.0f, 0.0f);
    ds_image_free(&image);
    const float background[3] = {0.2f, 0.4f, 0.6f};
    image = decode_or_fail(&file, background);
    assert_pixel(&image, 1, 0, 0.2f * (1 - a), 0.4f * (1 - a), 0.6f * (1 - a), 1e-6f);
    assert_pixel(&image, 2, 0, 0.2f, 0.4f, 0.6f, 1e-7f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);

    /* 16-bit RGBA over white: alpha 0x4000 of a colour (0.5, 0, 1) in 16-bit. */
    const uint8_t rgba16[] = {0, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0x40, 0x00};
    spec = (png_spec){.width = 1, .height = 1, .bit_depth = 16, .colour_type = RGBA};
    file = (ds_byte_buffer){0};
    build_png(&spec, rgba16, sizeof rgba16, &file);
    image = decode_or_fail(&file, NULL);
    float alpha = 0x4000 / 65535.0f, red = 0x8000 / 65535.0f;
    assert_pixel(&image, 0, 0, alpha * red + (1 - alpha), 1 - alpha, 1.0f, 1e-6f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

static void gray_images_become_rgb(void **state) {
    (void)state;
    /* 8-bit gray, 2x2. */
    const uint8_t gray8[] = {0, 0, 51, 0, 204, 255};
    png_spec spec = {.width = 2, .height = 2, .bit_depth = 8, .colour_type = GRAY};
    ds_byte_buffer file = {0};
    build_png(&spec, gray8, sizeof gray8, &file);
    ds_image image = decode_or_fail(&file, NULL);
    assert_pixel(&image, 1, 0, 0.2f, 0.2f, 0.2f, 1e-7f);
    assert_pixel(&image, 0, 1, 0.8f, 0.8f, 0.8f, 1e-7f);
    assert_pixel(&image, 1, 1, 1.0f, 1.0f, 1.0f, 0.0f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);

    /* 1-bit gray: 10 pixels in two bytes, 1 0 1 1 0 0 0 1 | 1 0. */
    const uint8_t gray1[] = {0, 0xb1, 0x80};
    spec = (png_spec){.width = 10, .height = 1, .bit_depth = 1, .colour_type = GRAY};
    file = (ds_byte_buffer){0};
    build_png(&spec, gray1, sizeof gray1, &file);
    image = decode_or_fail(&file, NULL);
    const int bits[10] = {1, 0, 1, 1, 0, 0, 0, 1, 1, 0};
    for (int x = 0; x < 10; x++) {
        assert_pixel(&image, x, 0, (float)bits[x], (float)bits[x], (float)bits[x], 0.0f);
    }
    ds_image_free(&image);
    ds_byte_buffer_free(&file);

    /* 16-bit gray + alpha over black: 0.25 gray at alpha 0.5 -> 0.125. */
    const uint8_t gray_alpha16[] = {0, 0x40, 0x00, 0x80, 0x00};
    spec = (png_spec){.width = 1, .height = 1, .bit_depth = 16, .colour_type = GRAY_ALPHA};
    file = (ds_byte_buffer){0};
    build_png(&spec, gray_alpha16, sizeof gray_alpha16, &file);
    const float black[3] = {0, 0, 0};
    image = decode_or_fail(&file, black);
    float expected = (0x4000 / 65535.0f) * (0x8000 / 65535.0f);
    assert_pixel(&image, 0, 0, expected, expected, expected, 1e-7f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

static void palette_images_use_their_palette_and_transparency(void **state) {
    (void)state;
    const uint8_t palette[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    const uint8_t transparency[] = {255, 0}; /* entry 1 transparent, 2 and 3 opaque */
    /* 4-bit indices: 4 pixels 0 1 2 3 in two bytes. */
    const uint8_t indices[] = {0, 0x01, 0x23};
    png_spec spec = {.width = 4,
                     .height = 1,
                     .bit_depth = 4,
                     .colour_type = PALETTE,
                     .palette = palette,
                     .palette_entries = 4,
                     .transparency = transparency,
                     .transparency_size = sizeof transparency};
    ds_byte_buffer file = {0};
    build_png(&spec, indices, sizeof indices, &file);
    ds_image image = decode_or_fail(&file, NULL);
    assert_pixel(&image, 0, 0, 1.0f, 0.0f, 0.0f, 0.0f);
    assert_pixel(&image, 1, 0, 1.0f, 1.0f, 1.0f, 0.0f); /* transparent over white */
    assert_pixel(&image, 2, 0, 0.0f, 0.0f, 1.0f, 0.0f);
    assert_pixel(&image, 3, 0, 10 / 255.0f, 20 / 255.0f, 30 / 255.0f, 1e-7f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

static void interlaced_images_are_deinterlaced(void **state) {
    (void)state;
    /* Adam7 on 2x2: pass 1 holds (0,0), pass 6 holds (1,0), pass 7 holds row 1. */
    const uint8_t passes[] = {0, 10, 11, 12, 0, 20, 21, 22, 0, 30, 31, 32, 40, 41, 42};
    png_spec spec = {.width = 2, .height = 2, .bit_depth = 8, .colour_type = RGB, .interlaced = 1};
    ds_byte_buffer file = {0};
    build_png(&spec, passes, sizeof passes, &file);
    ds_image image = decode_or_fail(&file, NULL);
    assert_pixel(&image, 0, 0, 10 / 255.0f, 11 / 255.0f, 12 / 255.0f, 1e-7f);
    assert_pixel(&image, 1, 0, 20 / 255.0f, 21 / 255.0f, 22 / 255.0f, 1e-7f);
    assert_pixel(&image, 0, 1, 30 / 255.0f, 31 / 255.0f, 32 / 255.0f, 1e-7f);
    assert_pixel(&image, 1, 1, 40 / 255.0f, 41 / 255.0f, 42 / 255.0f, 1e-7f);
    ds_image_free(&image);
    ds_byte_buffer_free(&file);
}

/* ---- malformed files ---- */

static ds_status decode_status(const uint8_t *data, size_t size) {
    ds_image image;
    ds_status status = ds_png_decode(data, size, NULL, &image);
    assert_null(image.pixels);
    if (!ds_failed(&status)) {
        fail_msg("a malformed PNG decoded");
    }
    return status;
}

static void malformed_files_are_refused(void **state) {
    (void)state;
    ds_status status = decode_status((const uint8_t *)"GIF89a not a png", 16);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "not a PNG"));

    const uint8_t filtered[] = {0, 1, 2, 3, 0, 4, 5, 6};
    png_spec spec = {.width = 1, .height = 2, .bit_depth = 8, .colour_type = RGB};
    ds_byte_buffer file = {0};
    build_png(&spec, filtered, sizeof filtered, &file);

    /* Every truncation fails cleanly (ASan checks that nothing leaks or overruns). */
    for (size_t size = 0; size < file.size; size++) {
        status = decode_status(file.data, size);
        assert_int_equal(status.code, DS_ERR_FORMAT);
    }
    /* A corrupt IDAT: its CRC no longer matches. */
    uint8_t *copy = malloc(file.size);
    assert_non_null(copy);
    memcpy(copy, file.data, file.size);
    copy[8 + 25 + 8 + 2] ^= 0xff;
    status = decode_status(copy, file.size);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "corrupt"));

    /* A header claiming 60000x60000 pixels in a tiny file: refused before allocating. */
    memcpy(copy, file.data, file.size);
    for (int i = 0; i < 2; i++) {
        copy[16 + 4 * i] = 0;
        copy[17 + 4 * i] = 0;
        copy[18 + 4 * i] = 0xea;
        copy[19 + 4 * i] = 0x60;
    }
    status = decode_status(copy, file.size);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "corrupt header"));
    int width, height;
    assert_int_equal(ds_png_decode_size(copy, file.size, &width, &height).code, DS_OK);
    assert_int_equal(width, 60000);

    /* Sides above 65536 are refused even by the size reader. */
    copy[17] = 0x02;
    status = ds_png_decode_size(copy, file.size, &width, &height);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);

    /* A bad colour type. */
    memcpy(copy, file.data, file.size);
    copy[25] = 5;
    status = decode_status(copy, file.size);
    assert_int_equal(status.code, DS_ERR_FORMAT);

    status = ds_png_decode_size(file.data, 20, &width, &height);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "truncated"));
    free(copy);
    ds_byte_buffer_free(&file);
}

int run_png_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_quantises_to_the_nearest_8_bit_level),
        cmocka_unit_test(saving_is_atomic_and_the_size_is_read_from_the_header),
        cmocka_unit_test(sixteen_bit_samples_keep_their_precision),
        cmocka_unit_test(alpha_is_composited_over_the_background),
        cmocka_unit_test(gray_images_become_rgb),
        cmocka_unit_test(palette_images_use_their_palette_and_transparency),
        cmocka_unit_test(interlaced_images_are_deinterlaced),
        cmocka_unit_test(malformed_files_are_refused),
    };
    return cmocka_run_group_tests_name("png", tests, NULL, NULL);
}
