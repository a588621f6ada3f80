#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno, access */
/* Tests of the opacity/scale map codec (formats/appearance_map.h): exact lossless round trips
 * through FFV1, PNG and the video codecs' lossless modes, error bounds of the lossy modes,
 * folding into several pictures, and payloads that are wrong, truncated or damaged. */
#include "codec_tests.h"
#include "test_support.h"

#include "formats/appearance_map.h"
#include "formats/spz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TEST_LEAK_CHECKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_LEAK_CHECKS 1
#endif
#endif
#ifdef TEST_LEAK_CHECKS
#include <sanitizer/lsan_interface.h>
#endif

static const double pi = 3.14159265358979323846;

/* libx265 3.5 leaks about 2 KB every time an encoder is opened and closed, whatever the
 * parameters; LeakSanitizer is told to ignore what it allocates, and only that. */
static ds_status encode_map(const uint16_t *samples, size_t rows, size_t columns,
                            const ds_map_settings *settings, ds_byte_buffer *out) {
#ifdef TEST_LEAK_CHECKS
    bool ignore = settings->codec == DS_MAP_CODEC_HEVC;
    if (ignore) {
        __lsan_disable();
    }
#endif
    ds_status status = ds_map_encode(samples, rows, columns, settings, out);
#ifdef TEST_LEAK_CHECKS
    if (ignore) {
        __lsan_enable();
    }
#endif
    return status;
}

static uint32_t next_random(uint32_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static uint16_t *noise_map(size_t rows, size_t columns, int bit_depth, uint32_t seed) {
    uint16_t *samples = malloc(rows * columns * sizeof *samples + 1);
    assert_non_null(samples);
    uint32_t state = seed;
    for (size_t i = 0; i < rows * columns; i++) {
        samples[i] = (uint16_t)(next_random(&state) >> (32 - bit_depth));
    }
    return samples;
}

/* What the lead's sorted maps look like: each row's mean rises slowly down the map, and each
 * row drifts slowly and smoothly over the frames. */
static uint16_t *smooth_map(size_t rows, size_t columns, int bit_depth, uint32_t seed) {
    uint16_t *samples = malloc(rows * columns * sizeof *samples + 1);
    assert_non_null(samples);
    uint32_t state = seed;
    double top = (double)((1 << bit_depth) - 1);
    for (size_t r = 0; r < rows; r++) {
        double mean = 0.1 + 0.8 * (double)r / (double)(rows > 1 ? rows - 1 : 1);
        double amplitude = 0.01 * (double)(next_random(&state) % 1000) / 1000.0;
        double phase = (double)(next_random(&state) % 6283) / 1000.0;
        for (size_t t = 0; t < columns; t++) {
            double value = mean + amplitude * sin(2.0 * pi * (double)t / 50.0 + phase);
            samples[r * columns + t] = (uint16_t)lround(value * top);
        }
    }
    return samples;
}

static bool available(ds_map_codec codec, int bit_depth, int quality) {
    ds_map_settings settings = {codec, bit_depth, quality};
    return ds_map_codec_available(&settings);
}

static void encode_or_fail(const uint16_t *samples, size_t rows, size_t columns, ds_map_codec codec,
                           int bit_depth, int quality, ds_byte_buffer *out) {
    ds_map_settings settings = {codec, bit_depth, quality};
    ds_status status = encode_map(samples, rows, columns, &settings, out);
    if (ds_failed(&status)) {
        fail_msg("%s encode of %zu x %zu at %d bits: %s", ds_map_codec_name(codec), rows, columns,
                 bit_depth, status.message);
    }
}

static void assert_round_trip(const uint16_t *samples, size_t rows, size_t columns,
                              ds_map_codec codec, int bit_depth, int quality) {
    ds_byte_buffer out = {0};
    encode_or_fail(samples, rows, columns, codec, bit_depth, quality, &out);
    uint16_t *decoded = malloc(rows * columns * sizeof *decoded + 1);
    assert_non_null(decoded);
    ds_status status = ds_map_decode(out.data, out.size, rows, columns, decoded);
    if (ds_failed(&status)) {
        fail_msg("%s decode of %zu x %zu: %s", ds_map_codec_name(codec), rows, columns,
                 status.message);
    }
    for (size_t i = 0; i < rows * columns; i++) {
        if (decoded[i] != samples[i]) {
            fail_msg("%s %d-bit %zu x %zu: sample %zu (row %zu) is %u, expected %u",
                     ds_map_codec_name(codec), bit_depth, rows, columns, i, i / columns, decoded[i],
                     samples[i]);
        }
    }
    free(decoded);
    ds_byte_buffer_free(&out);
}

/* ---- names ---- */

static void test_codec_names(void **state) {
    (void)state;
    const ds_map_codec codecs[] = {DS_MAP_CODEC_FFV1, DS_MAP_CODEC_PNG, DS_MAP_CODEC_H264,
                                   DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    const char *names[] = {"ffv1", "png", "h264", "hevc", "av1"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(ds_map_codec_name(codecs[i]), names[i]);
        ds_map_codec parsed = 0;
        ds_status status = ds_map_codec_parse(names[i], &parsed);
        assert_false(ds_failed(&status));
        assert_int_equal(parsed, codecs[i]);
    }
    assert_null(ds_map_codec_name((ds_map_codec)0));
    assert_null(ds_map_codec_name((ds_map_codec)6));
    ds_map_codec parsed = DS_MAP_CODEC_PNG;
    ds_status status = ds_map_codec_parse("webp", &parsed);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "webp"));
    assert_non_null(strstr(status.message, "ffv1, png, h264, hevc, av1"));
    assert_int_equal(parsed, DS_MAP_CODEC_PNG);
}

/* ---- lossless ---- */

static void test_lossless_shapes(void **state) {
    (void)state;
    const size_t shapes[][2] = {{1, 1}, {1, 50}, {50, 1}, {2, 3}, {777, 50}, {4321, 37}};
    const struct {
        ds_map_codec codec;
        int bit_depth;
    } modes[] = {{DS_MAP_CODEC_FFV1, 8},  {DS_MAP_CODEC_FFV1, 9},  {DS_MAP_CODEC_FFV1, 10},
                 {DS_MAP_CODEC_FFV1, 12}, {DS_MAP_CODEC_FFV1, 14}, {DS_MAP_CODEC_FFV1, 16},
                 {DS_MAP_CODEC_PNG, 8},   {DS_MAP_CODEC_PNG, 11},  {DS_MAP_CODEC_PNG, 16}};
    int tested = 0;
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        if (!available(modes[m].codec, modes[m].bit_depth, 0)) {
            continue;
        }
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            size_t rows = shapes[s][0], columns = shapes[s][1];
            uint16_t *noise = noise_map(rows, columns, modes[m].bit_depth, (uint32_t)(s + 7));
            uint16_t *smooth = smooth_map(rows, columns, modes[m].bit_depth, (uint32_t)(s + 9));
            assert_round_trip(noise, rows, columns, modes[m].codec, modes[m].bit_depth, 0);
            assert_round_trip(smooth, rows, columns, modes[m].codec, modes[m].bit_depth, 0);
            free(noise);
            free(smooth);
            tested++;
        }
    }
    if (!tested) {
        skip();
    }
}

/* A full-size segment map, and one that folds into many pictures (FFV1 keeps 16-bit pictures
 * to 256 a side: 20011 rows of 50 take 16), both exact. */
static void test_lossless_large(void **state) {
    (void)state;
    if (!available(DS_MAP_CODEC_FFV1, 8, 0) || !available(DS_MAP_CODEC_PNG, 8, 0)) {
        skip();
    }
    size_t rows = 200000, columns = 50;
    uint16_t *smooth = smooth_map(rows, columns, 8, 3);
    assert_round_trip(smooth, rows, columns, DS_MAP_CODEC_FFV1, 8, 0);
    assert_round_trip(smooth, rows / 4, columns, DS_MAP_CODEC_PNG, 8, 0);
    free(smooth);
    uint16_t *noise = noise_map(20011, columns, 16, 5);
    ds_byte_buffer out = {0};
    encode_or_fail(noise, 20011, columns, DS_MAP_CODEC_FFV1, 16, 0, &out);
    assert_int_equal(ds_load_u32le(out.data + 16), 16); /* the picture count */
    ds_byte_buffer_free(&out);
    assert_round_trip(noise, 20011, columns, DS_MAP_CODEC_FFV1, 16, 0);
    free(noise);
}

static void test_lossless_video_modes(void **state) {
    (void)state;
    const ds_map_codec codecs[] = {DS_MAP_CODEC_H264, DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    int tested = 0;
    for (size_t c = 0; c < 3; c++) {
        for (int bit_depth = 8; bit_depth <= 10; bit_depth += 2) {
            if (!available(codecs[c], bit_depth, 0)) {
                continue;
            }
            uint16_t *smooth = smooth_map(3001, 50, bit_depth, 11);
            uint16_t *noise = noise_map(1, 7, bit_depth, 13);
            assert_round_trip(smooth, 3001, 50, codecs[c], bit_depth, 0);
            assert_round_trip(noise, 1, 7, codecs[c], bit_depth, 0);
            free(smooth);
            free(noise);
            tested++;
        }
    }
    if (!tested) {
        skip();
    }
}

static void test_empty_map(void **state) {
    (void)state;
    ds_map_settings settings = {DS_MAP_CODEC_FFV1, 8, 0};
    ds_byte_buffer out = {0};
    ds_status status = encode_map(NULL, 0, 50, &settings, &out);
    assert_false(ds_failed(&status));
    assert_int_equal(out.size, 20);
    status = ds_map_decode(out.data, out.size, 0, 50, NULL);
    assert_false(ds_failed(&status));
    status = ds_map_decode(out.data, out.size, 1, 50, NULL);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    ds_byte_buffer_free(&out);
}

/* ---- lossy ---- */

typedef struct map_error {
    int max;
    double mean;
    size_t bytes;
} map_error;

static map_error lossy_error(const uint16_t *samples, size_t rows, size_t columns,
                             ds_map_codec codec, int bit_depth, int quality) {
    ds_byte_buffer out = {0};
    encode_or_fail(samples, rows, columns, codec, bit_depth, quality, &out);
    uint16_t *decoded = malloc(rows * columns * sizeof *decoded);
    assert_non_null(decoded);
    ds_status status = ds_map_decode(out.data, out.size, rows, columns, decoded);
    assert_false(ds_failed(&status));
    map_error error = {0, 0.0, out.size};
    for (size_t i = 0; i < rows * columns; i++) {
        int difference = abs((int)decoded[i] - (int)samples[i]);
        assert_true(decoded[i] < (1u << bit_depth));
        error.max = difference > error.max ? difference : error.max;
        error.mean += difference;
    }
    error.mean /= (double)(rows * columns);
    free(decoded);
    ds_byte_buffer_free(&out);
    return error;
}

/* Bounds: 1.5 times what the Debian 12 encoders (x264 164, x265 3.5, libaom 3.6) reach, so
 * a change of settings that loses precision fails here. At 10 bits the errors are about 4
 * times the 8-bit ones: the quality scale is relative to the sample range. */
static void test_lossy_error_bounds(void **state) {
    (void)state;
    const struct {
        ds_map_codec codec;
        int quality;
        int max_error[2]; /* at 8 and 10 bits */
        double mean_error[2];
    } cases[] = {
        {DS_MAP_CODEC_H264, 50, {12, 36}, {1.2, 4.8}},
        {DS_MAP_CODEC_H264, 85, {3, 10}, {0.2, 1.1}},
        {DS_MAP_CODEC_HEVC, 50, {10, 32}, {1.1, 4.4}},
        {DS_MAP_CODEC_HEVC, 85, {3, 12}, {0.15, 0.9}},
        {DS_MAP_CODEC_AV1, 50, {14, 48}, {1.6, 6.3}},
        {DS_MAP_CODEC_AV1, 85, {7, 32}, {0.9, 3.1}},
    };
    size_t rows = 8009, columns = 50;
    int tested = 0;
    for (int bit_depth = 8; bit_depth <= 10; bit_depth += 2) {
        uint16_t *smooth = smooth_map(rows, columns, bit_depth, 17);
        int d = bit_depth == 8 ? 0 : 1;
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            if (!available(cases[c].codec, bit_depth, cases[c].quality)) {
                continue;
            }
            map_error error =
                lossy_error(smooth, rows, columns, cases[c].codec, bit_depth, cases[c].quality);
            if (error.max > cases[c].max_error[d] || error.mean > cases[c].mean_error[d]) {
                fail_msg("%s %d-bit quality %d: max error %d, mean %.3f (bounds %d, %.2f)",
                         ds_map_codec_name(cases[c].codec), bit_depth, cases[c].quality, error.max,
                         error.mean, cases[c].max_error[d], cases[c].mean_error[d]);
            }
            /* Lossy, yet far smaller than the 1-2 bytes a raw sample takes. */
            assert_true(error.bytes < rows * columns / 2);
            tested++;
        }
        free(smooth);
    }
    if (!tested) {
        skip();
    }
}

static void test_quality_orders_error_and_size(void **state) {
    (void)state;
    const ds_map_codec codecs[] = {DS_MAP_CODEC_H264, DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    const int qualities[] = {30, 60, 90};
    uint16_t *smooth = smooth_map(5003, 50, 8, 19);
    int tested = 0;
    for (size_t c = 0; c < 3; c++) {
        if (!available(codecs[c], 8, 30)) {
            continue;
        }
        map_error previous = {0, 0.0, 0};
        for (size_t q = 0; q < 3; q++) {
            map_error error = lossy_error(smooth, 5003, 50, codecs[c], 8, qualities[q]);
            if (q > 0 && !(error.mean < previous.mean && error.bytes > previous.bytes)) {
                fail_msg("%s quality %d: mean error %.3f and %zu bytes, against %.3f and %zu "
                         "at quality %d",
                         ds_map_codec_name(codecs[c]), qualities[q], error.mean, error.bytes,
                         previous.mean, previous.bytes, qualities[q - 1]);
            }
            previous = error;
        }
        tested++;
    }
    free(smooth);
    if (!tested) {
        skip();
    }
}

static void test_deterministic(void **state) {
    (void)state;
    const ds_map_codec codecs[] = {DS_MAP_CODEC_FFV1, DS_MAP_CODEC_PNG, DS_MAP_CODEC_H264,
                                   DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    uint16_t *smooth = smooth_map(4001, 50, 8, 23);
    for (size_t c = 0; c < 5; c++) {
        if (!available(codecs[c], 8, 70)) {
            continue;
        }
        ds_byte_buffer first = {0}, second = {0};
        encode_or_fail(smooth, 4001, 50, codecs[c], 8, 70, &first);
        encode_or_fail(smooth, 4001, 50, codecs[c], 8, 70, &second);
        assert_int_equal(first.size, second.size);
        assert_memory_equal(first.data, second.data, first.size);
        ds_byte_buffer_free(&first);
        ds_byte_buffer_free(&second);
    }
    free(smooth);
}

/* Real opacities (biker.spz), quantised to 8 bits and sorted as the lead sorts them. */
static int compare_samples(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void test_real_opacities(void **state) {
    (void)state;
    const char *path = "/work/shared/data/splats/biker.spz";
    if (access(path, R_OK) != 0 || !available(DS_MAP_CODEC_FFV1, 8, 0)) {
        skip();
    }
    size_t size = 0;
    uint8_t *bytes = test_read_file(path, &size);
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_spz_decode(bytes, size, &cloud, NULL);
    assert_false(ds_failed(&status));
    size_t rows = cloud->count, columns = 50;
    uint16_t *base = malloc(rows * sizeof *base);
    uint16_t *samples = malloc(rows * columns * sizeof *samples);
    assert_non_null(base);
    assert_non_null(samples);
    for (size_t i = 0; i < rows; i++) {
        base[i] = (uint16_t)lroundf(255.0f * ds_sigmoid(cloud->opacity_logits[i]));
    }
    qsort(base, rows, sizeof *base, compare_samples);
    for (size_t i = 0; i < rows; i++) {
        for (size_t t = 0; t < columns; t++) {
            int drift = (int)lround(2.0 * sin(0.1 * (double)t + 1e-3 * (double)i));
            int value = base[i] + drift;
            samples[i * columns + t] = (uint16_t)(value < 0 ? 0 : value > 255 ? 255 : value);
        }
    }
    assert_round_trip(samples, rows, columns, DS_MAP_CODEC_FFV1, 8, 0);
    if (available(DS_MAP_CODEC_H264, 8, 80)) {
        map_error error = lossy_error(samples, rows, columns, DS_MAP_CODEC_H264, 8, 80);
        assert_true(error.max <= 3);
        assert_true(error.mean < 0.3);
        /* Under one bit a sample; lossless FFV1 takes about one. */
        assert_true(error.bytes * 8 < rows * columns);
    }
    free(samples);
    free(base);
    ds_gaussian_cloud_free(cloud);
    free(bytes);
}

/* ---- errors ---- */

static void test_argument_errors(void **state) {
    (void)state;
    uint16_t samples[6] = {0, 1, 2, 3, 4, 255};
    ds_byte_buffer out = {0};
    ds_map_settings settings = {DS_MAP_CODEC_FFV1, 8, 0};
    samples[5] = 256;
    ds_status status = encode_map(samples, 2, 3, &settings, &out);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "8 bits"));
    samples[5] = 255;
    settings.bit_depth = 7;
    status = encode_map(samples, 2, 3, &settings, &out);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    settings.bit_depth = 8;
    settings.quality = 101;
    status = encode_map(samples, 2, 3, &settings, &out);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    settings.quality = 0;
    settings.codec = (ds_map_codec)9;
    status = encode_map(samples, 2, 3, &settings, &out);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_false(ds_map_codec_available(&settings));
    assert_int_equal(out.size, 0);
}

/* The video codecs take 8- to 10-bit samples only. */
static void test_unsupported_settings(void **state) {
    (void)state;
    uint16_t samples[4] = {0, 1, 2, 3};
    ds_map_settings settings = {DS_MAP_CODEC_H264, 16, 50};
    assert_false(ds_map_codec_available(&settings));
    ds_byte_buffer out = {0};
    ds_status status = encode_map(samples, 2, 2, &settings, &out);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(status.message, "h264"));
    assert_non_null(strstr(status.message, "16 bits"));
    assert_int_equal(out.size, 0);
}

static void test_dimension_mismatch(void **state) {
    (void)state;
    uint16_t *samples = noise_map(300, 20, 8, 29);
    ds_byte_buffer out = {0};
    encode_or_fail(samples, 300, 20, DS_MAP_CODEC_FFV1, 8, 0, &out);
    uint16_t *decoded = malloc(301 * 21 * sizeof *decoded);
    ds_status status = ds_map_decode(out.data, out.size, 301, 20, decoded);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "300 x 20"));
    status = ds_map_decode(out.data, out.size, 300, 21, decoded);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    status = ds_map_decode(out.data, out.size, 300, 20, decoded);
    assert_false(ds_failed(&status));
    assert_memory_equal(decoded, samples, 300 * 20 * sizeof *samples);
    free(decoded);
    free(samples);
    ds_byte_buffer_free(&out);
}

static void test_header_errors(void **state) {
    (void)state;
    uint16_t *samples = noise_map(100, 10, 8, 31);
    uint16_t decoded[1000];
    ds_byte_buffer out = {0};
    encode_or_fail(samples, 100, 10, DS_MAP_CODEC_PNG, 8, 0, &out);
    struct {
        size_t offset;
        uint8_t value;
        ds_status_code code;
    } edits[] = {
        {0, 2, DS_ERR_UNSUPPORTED},                        /* version */
        {1, 0, DS_ERR_FORMAT},                             /* codec */
        {1, 77, DS_ERR_FORMAT},     {2, 7, DS_ERR_FORMAT}, /* bit depth */
        {3, 1, DS_ERR_FORMAT},                             /* reserved */
        {12, 9, DS_ERR_FORMAT},                            /* strip width below the columns */
        {16, 2, DS_ERR_FORMAT},                            /* picture count */
        {20, 99, DS_ERR_FORMAT},                           /* picture rows */
        {24, 0, DS_ERR_FORMAT},                            /* strips */
        {28, 0, DS_ERR_FORMAT},                            /* strip height */
        {33, 0x40, DS_ERR_FORMAT},                         /* width */
        {37, 0x40, DS_ERR_FORMAT},                         /* height */
        {44, 1, DS_ERR_FORMAT},                            /* packet size */
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        uint8_t original = out.data[edits[e].offset];
        out.data[edits[e].offset] = edits[e].value;
        ds_status status = ds_map_decode(out.data, out.size, 100, 10, decoded);
        if (status.code != edits[e].code) {
            fail_msg("byte %zu set to %u: got '%s'", edits[e].offset, edits[e].value,
                     status.message);
        }
        out.data[edits[e].offset] = original;
    }
    ds_status status = ds_map_decode(out.data, out.size, 100, 10, decoded);
    assert_false(ds_failed(&status));
    assert_memory_equal(decoded, samples, sizeof decoded);
    free(samples);
    ds_byte_buffer_free(&out);
}

/* Every prefix of a payload, and every payload with bytes appended, is an error. */
static void test_truncated_payloads(void **state) {
    (void)state;
    const ds_map_codec codecs[] = {DS_MAP_CODEC_FFV1, DS_MAP_CODEC_PNG, DS_MAP_CODEC_H264,
                                   DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    uint16_t *samples = smooth_map(2000, 50, 8, 37);
    uint16_t *decoded = malloc(2000 * 50 * sizeof *decoded);
    for (size_t c = 0; c < 5; c++) {
        if (!available(codecs[c], 8, 60)) {
            continue;
        }
        ds_byte_buffer out = {0};
        encode_or_fail(samples, 2000, 50, codecs[c], 8, 60, &out);
        size_t step = out.size / 97 + 1;
        for (size_t length = 0; length < out.size; length += length < 64 ? 1 : step) {
            ds_status status = ds_map_decode(out.data, length, 2000, 50, decoded);
            if (!ds_failed(&status)) {
                fail_msg("%s: a payload cut to %zu of %zu bytes decoded",
                         ds_map_codec_name(codecs[c]), length, out.size);
            }
        }
        ds_byte_buffer_append_u8(&out, 0);
        ds_status status = ds_map_decode(out.data, out.size, 2000, 50, decoded);
        assert_int_equal(status.code, DS_ERR_FORMAT);
        ds_byte_buffer_free(&out);
    }
    free(decoded);
    free(samples);
}

/* Flipped bits in the codec data give an error or some samples, never a crash (the sanitizer
 * build watches), and samples stay within the bit depth. */
static void test_flipped_bits(void **state) {
    (void)state;
    const struct {
        ds_map_codec codec;
        int bit_depth;
    } modes[] = {{DS_MAP_CODEC_FFV1, 8}, {DS_MAP_CODEC_FFV1, 12}, {DS_MAP_CODEC_PNG, 8},
                 {DS_MAP_CODEC_PNG, 12}, {DS_MAP_CODEC_H264, 8},  {DS_MAP_CODEC_HEVC, 10},
                 {DS_MAP_CODEC_AV1, 8}};
    size_t rows = 1500, columns = 30;
    uint16_t *decoded = malloc(rows * columns * sizeof *decoded);
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        int bit_depth = modes[m].bit_depth;
        if (!available(modes[m].codec, bit_depth, 60)) {
            continue;
        }
        uint16_t *samples = smooth_map(rows, columns, bit_depth, 41);
        ds_byte_buffer out = {0};
        encode_or_fail(samples, rows, columns, modes[m].codec, bit_depth, 60, &out);
        uint32_t random = 43;
        for (int trial = 0; trial < 40; trial++) {
            size_t position = next_random(&random) % out.size;
            uint8_t mask = (uint8_t)(1u << (next_random(&random) % 8));
            out.data[position] ^= mask;
            ds_status status = ds_map_decode(out.data, out.size, rows, columns, decoded);
            for (size_t i = 0; !ds_failed(&status) && i < rows * columns; i++) {
                if (decoded[i] >> bit_depth) {
                    fail_msg("%s: damaged payload decoded sample %u",
                             ds_map_codec_name(modes[m].codec), decoded[i]);
                }
            }
            out.data[position] ^= mask;
        }
        ds_status status = ds_map_decode(out.data, out.size, rows, columns, decoded);
        assert_false(ds_failed(&status));
        free(samples);
        ds_byte_buffer_free(&out);
    }
    free(decoded);
}

/* libavcodec and the encoders print nothing while maps are coded, even on damaged input. */
static void test_silent(void **state) {
    (void)state;
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    fflush(stdout);
    int saved_stderr = dup(2), saved_stdout = dup(1);
    dup2(fileno(capture), 2);
    dup2(fileno(capture), 1);
    const ds_map_codec codecs[] = {DS_MAP_CODEC_FFV1, DS_MAP_CODEC_PNG, DS_MAP_CODEC_H264,
                                   DS_MAP_CODEC_HEVC, DS_MAP_CODEC_AV1};
    uint16_t *samples = smooth_map(500, 50, 8, 47);
    uint16_t *decoded = malloc(500 * 50 * sizeof *decoded);
    for (size_t c = 0; c < 5; c++) {
        if (!available(codecs[c], 8, 60)) {
            continue;
        }
        ds_byte_buffer out = {0};
        ds_map_settings settings = {codecs[c], 8, 60};
        ds_status status = encode_map(samples, 500, 50, &settings, &out);
        if (!ds_failed(&status)) {
            for (size_t i = 20 + 28; i < out.size; i += 7) {
                out.data[i] ^= 0x5a;
            }
            (void)ds_map_decode(out.data, out.size, 500, 50, decoded);
        }
        ds_byte_buffer_free(&out);
    }
    fflush(stderr);
    fflush(stdout);
    dup2(saved_stderr, 2);
    dup2(saved_stdout, 1);
    close(saved_stderr);
    close(saved_stdout);
    fseek(capture, 0, SEEK_END);
    long printed = ftell(capture);
    if (printed > 0) {
        char text[256] = {0};
        rewind(capture);
        size_t got = fread(text, 1, sizeof text - 1, capture);
        text[got] = 0;
        fclose(capture);
        fail_msg("coding maps printed %ld bytes: %s", printed, text);
    }
    fclose(capture);
    free(decoded);
    free(samples);
}

int run_appearance_map_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_names),
        cmocka_unit_test(test_lossless_shapes),
        cmocka_unit_test(test_lossless_large),
        cmocka_unit_test(test_lossless_video_modes),
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_lossy_error_bounds),
        cmocka_unit_test(test_quality_orders_error_and_size),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_real_opacities),
        cmocka_unit_test(test_argument_errors),
        cmocka_unit_test(test_unsupported_settings),
        cmocka_unit_test(test_dimension_mismatch),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_truncated_payloads),
        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_silent),
    };
    return cmocka_run_group_tests_name("appearance_map", tests, NULL, NULL);
}
