#define _POSIX_C_SOURCE 200809L /* clock_gettime */
/* Tests of the colour (SH) layer: half floats, the bitstream (formats/dsv_colour.h) and its
 * analysis (encoder/colour_codebook.h). */
#include "codec_tests.h"
#include "encoder/colour_codebook.h"
#include "formats/dsv_colour.h"
#include "formats/half_float.h"
#include "formats/splat_file.h"
#include "test_support.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static float uniform(uint32_t *state) {
    return (float)((double)next_random(state) / 2147483648.0 - 1.0);
}

static float float_from_bits(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* ---- half floats ---- */

static void every_half_survives_a_round_trip(void **state) {
    (void)state;
    for (uint32_t bits = 0; bits < 65536; bits++) {
        float value = ds_half_to_float((uint16_t)bits);
        uint16_t again = ds_half_from_float(value);
        if (isnan(value)) {
            assert_true((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0);
            assert_true(isnan(ds_half_to_float(again)));
            assert_int_equal(again & 0x8000, bits & 0x8000);
        } else {
            assert_int_equal(again, bits);
        }
    }
    /* Known values. */
    assert_true(ds_half_to_float(0x3c00) == 1.0f);
    assert_true(ds_half_to_float(0xc000) == -2.0f);
    assert_true(ds_half_to_float(0x7bff) == 65504.0f);
    assert_true(ds_half_to_float(0x0001) == 0x1p-24f);
    assert_true(ds_half_to_float(0x0400) == 0x1p-14f);
    assert_true(isinf(ds_half_to_float(0x7c00)) && ds_half_to_float(0xfc00) < 0.0f);
}

static void rounding_is_to_nearest_even(void **state) {
    (void)state;
    assert_int_equal(ds_half_from_float(1.0f + 0x1p-11f), 0x3c00);     /* tie -> even */
    assert_int_equal(ds_half_from_float(1.0f + 3 * 0x1p-11f), 0x3c02); /* tie -> even */
    assert_int_equal(ds_half_from_float(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
    assert_int_equal(ds_half_from_float(65519.0f), 0x7bff);
    assert_int_equal(ds_half_from_float(65520.0f), 0x7c00); /* overflows to infinity */
    assert_int_equal(ds_half_from_float(-1e9f), 0xfc00);
    assert_int_equal(ds_half_from_float(0x1p-25f), 0x0000); /* tie -> even (zero) */
    assert_int_equal(ds_half_from_float(0x1.8p-25f), 0x0001);
    assert_int_equal(ds_half_from_float(3 * 0x1p-25f), 0x0002);        /* tie -> even */
    assert_int_equal(ds_half_from_float(0x1p-14f - 0x1p-26f), 0x0400); /* rounds up to normal */
    assert_int_equal(ds_half_from_float(-0.0f), 0x8000);
    assert_int_equal(ds_half_from_float(1e-30f), 0x0000);
    assert_true(isnan(ds_half_to_float(ds_half_from_float(NAN))));
    /* NaNs with payload only in the low float bits stay NaN (never become infinity). */
    assert_true(isnan(ds_half_to_float(ds_half_from_float(float_from_bits(0x7f800001u)))));

    /* Random floats: the result is the nearest half, ties to the even one. */
    uint32_t random = 5;
    for (int n = 0; n < 200000; n++) {
        uint32_t bits = next_random(&random);
        /* Exponents around the half range: 2^-27 .. 2^16. */
        bits = (bits & 0x807fffffu) | ((100u + (bits >> 23) % 44u) << 23);
        float value = float_from_bits(bits);
        uint16_t half = ds_half_from_float(value);
        double exact = value;
        double error = fabs(exact - (double)ds_half_to_float(half));
        if ((half & 0x7c00) == 0x7c00) {
            assert_true(fabs(exact) >= 65520.0);
            continue;
        }
        for (int step = -1; step <= 1; step += 2) {
            uint16_t neighbour = (uint16_t)(half + step);
            if ((half & 0x7fff) == 0 && step < 0) {
                neighbour = (uint16_t)((half ^ 0x8000) + 1);
            }
            double other = fabs(exact - (double)ds_half_to_float(neighbour));
            assert_true(error < other || (error == other && (half & 1) == 0));
        }
    }
}

/* ---- the bitstream ---- */

/* A layer with random codebooks and random changes; `truth[f][d][i]` records every frame's
 * indices for the tests to compare with. */
typedef struct test_layer {
    ds_colour_layer layer;
    uint32_t *truth; /* frames x 4 x count */
} test_layer;

static uint32_t *truth_at(const test_layer *t, uint32_t frame, int order) {
    return t->truth + ((size_t)frame * 4 + (size_t)order) * t->layer.count;
}

static test_layer make_layer(size_t count, int sh_degree, uint32_t frames,
                             const uint32_t entries[4], uint32_t seed) {
    test_layer t = {.layer = {.sh_degree = sh_degree, .count = count, .frames = frames}};
    ds_colour_layer *layer = &t.layer;
    t.truth = calloc((size_t)frames * 4 * count, sizeof *t.truth);
    assert_non_null(t.truth);
    uint32_t random = seed;
    for (int d = 0; d <= sh_degree; d++) {
        int dims = ds_colour_order_dims(d);
        layer->entries[d] = entries[d];
        layer->codebooks[d] = malloc(sizeof(float) * entries[d] * (size_t)dims);
        layer->initial[d] = malloc(sizeof(uint32_t) * count);
        layer->change_starts[d] = malloc(sizeof(uint32_t) * frames);
        layer->change_gaussians[d] = malloc(sizeof(uint32_t) * (count * frames + 1));
        layer->change_indices[d] = malloc(sizeof(uint32_t) * (count * frames + 1));
        assert_non_null(layer->codebooks[d]);
        assert_non_null(layer->change_indices[d]);
        for (size_t v = 0; v < (size_t)entries[d] * (size_t)dims; v++) {
            layer->codebooks[d][v] = ds_half_round(uniform(&random) * (d == 0 ? 2.0f : 0.3f));
        }
        for (size_t i = 0; i < count; i++) {
            layer->initial[d][i] = next_random(&random) % entries[d];
            truth_at(&t, 0, d)[i] = layer->initial[d][i];
        }
        layer->change_starts[d][0] = 0;
        uint32_t changes = 0;
        for (uint32_t f = 1; f < frames; f++) {
            memcpy(truth_at(&t, f, d), truth_at(&t, f - 1, d), sizeof(uint32_t) * count);
            /* Frame 2 changes nothing; frame 3 changes everything; others about 5 %. */
            for (size_t i = 0; i < count; i++) {
                bool change = f == 3 || (f != 2 && next_random(&random) % 20 == 0);
                if (change) {
                    uint32_t index = next_random(&random) % entries[d];
                    layer->change_gaussians[d][changes] = (uint32_t)i;
                    layer->change_indices[d][changes] = index;
                    truth_at(&t, f, d)[i] = index;
                    changes++;
                }
            }
            layer->change_starts[d][f] = changes;
        }
    }
    return t;
}

static void free_test_layer(test_layer *t) {
    ds_colour_layer_free(&t->layer);
    free(t->truth);
}

static void assert_layers_equal(const ds_colour_layer *a, const ds_colour_layer *b) {
    assert_int_equal(a->sh_degree, b->sh_degree);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->frames, b->frames);
    for (int d = 0; d <= a->sh_degree; d++) {
        assert_int_equal(a->entries[d], b->entries[d]);
        assert_memory_equal(a->codebooks[d], b->codebooks[d],
                            sizeof(float) * a->entries[d] * (size_t)ds_colour_order_dims(d));
        assert_memory_equal(a->initial[d], b->initial[d], sizeof(uint32_t) * a->count);
        assert_memory_equal(a->change_starts[d], b->change_starts[d], sizeof(uint32_t) * a->frames);
        uint32_t changes = a->change_starts[d][a->frames - 1];
        if (changes) {
            assert_memory_equal(a->change_gaussians[d], b->change_gaussians[d],
                                sizeof(uint32_t) * changes);
            assert_memory_equal(a->change_indices[d], b->change_indices[d],
                                sizeof(uint32_t) * changes);
        }
    }
}

static const uint32_t mixed_entries[4] = {1, 5, 300, 70};

static void the_layer_round_trips_exactly(void **state) {
    (void)state;
    test_layer t = make_layer(257, 3, 7, mixed_entries, 3);
    ds_byte_buffer payload = {0};
    ds_status status = ds_colour_layer_encode(&t.layer, &payload);
    assert_int_equal(status.code, DS_OK);
    ds_colour_layer decoded;
    status = ds_colour_layer_decode(payload.data, payload.size, 257, 3, 7, &decoded);
    assert_int_equal(status.code, DS_OK);
    assert_layers_equal(&t.layer, &decoded);

    /* Seeking and sequential playback both give every frame's true indices. */
    uint32_t *seek[4], *play[4];
    for (int d = 0; d < 4; d++) {
        seek[d] = malloc(sizeof(uint32_t) * 257);
        play[d] = malloc(sizeof(uint32_t) * 257);
    }
    assert_int_equal(ds_colour_layer_indices_at(&decoded, 0, play).code, DS_OK);
    for (uint32_t f = 0; f < 7; f++) {
        if (f > 0) {
            ds_colour_layer_apply_changes(&decoded, f, play);
        }
        assert_int_equal(ds_colour_layer_indices_at(&decoded, f, seek).code, DS_OK);
        for (int d = 0; d < 4; d++) {
            assert_memory_equal(seek[d], truth_at(&t, f, d), sizeof(uint32_t) * 257);
            assert_memory_equal(play[d], truth_at(&t, f, d), sizeof(uint32_t) * 257);
        }
    }
    assert_int_equal(ds_colour_layer_indices_at(&decoded, 7, seek).code, DS_ERR_ARGUMENT);

    /* Expansion puts each order's entry at its place in the cloud's SH layout. */
    float *sh = malloc(sizeof(float) * 257 * 48);
    assert_non_null(sh);
    ds_colour_layer_expand(&decoded, seek, sh);
    for (size_t i = 0; i < 257; i++) {
        for (int d = 0; d < 4; d++) {
            int dims = ds_colour_order_dims(d);
            assert_memory_equal(sh + i * 48 + ds_colour_order_offset(d),
                                decoded.codebooks[d] + (size_t)seek[d][i] * (size_t)dims,
                                sizeof(float) * (size_t)dims);
        }
    }
    free(sh);
    for (int d = 0; d < 4; d++) {
        free(seek[d]);
        free(play[d]);
    }
    ds_colour_layer_free(&decoded);
    for (int d = 0; d < 4; d++) {
        assert_null(decoded.codebooks[d]);
    }
    ds_byte_buffer_free(&payload);
    free_test_layer(&t);
}

static void one_frame_and_degree_zero(void **state) {
    (void)state;
    const uint32_t entries[4] = {65536, 0, 0, 0};
    test_layer t = make_layer(3000, 0, 1, entries, 8);
    ds_byte_buffer payload = {0};
    assert_int_equal(ds_colour_layer_encode(&t.layer, &payload).code, DS_OK);
    ds_colour_layer decoded;
    assert_int_equal(ds_colour_layer_decode(payload.data, payload.size, 3000, 0, 1, &decoded).code,
                     DS_OK);
    assert_layers_equal(&t.layer, &decoded);
    ds_colour_layer_free(&decoded);
    ds_byte_buffer_free(&payload);
    free_test_layer(&t);
}

static void assert_decode_fails(const uint8_t *data, size_t size, ds_status_code code) {
    ds_colour_layer decoded;
    ds_status status = ds_colour_layer_decode(data, size, 257, 3, 7, &decoded);
    assert_int_equal(status.code, code);
    assert_null(decoded.codebooks[0]);
    assert_null(decoded.initial[0]);
}

static void damaged_payloads_are_rejected(void **state) {
    (void)state;
    test_layer t = make_layer(257, 3, 7, mixed_entries, 4);
    ds_byte_buffer payload = {0};
    assert_int_equal(ds_colour_layer_encode(&t.layer, &payload).code, DS_OK);

    for (size_t size = 0; size < payload.size; size++) {
        assert_decode_fails(payload.data, size, DS_ERR_FORMAT);
    }
    uint8_t *longer = malloc(payload.size + 1);
    assert_non_null(longer);
    memcpy(longer, payload.data, payload.size);
    longer[payload.size] = 0;
    assert_decode_fails(longer, payload.size + 1, DS_ERR_FORMAT);
    free(longer);

    /* Every byte flipped, and single bits in the header: either rejected, or (where zstd's
     * frame header tolerates it) decoded to the very same layer. */
    uint8_t *damaged = malloc(payload.size);
    assert_non_null(damaged);
    size_t rejected = 0, flips = 0;
    for (size_t position = 0; position < payload.size; position++) {
        for (int bit = -1; bit < (position < 40 ? 8 : 0); bit++) {
            memcpy(damaged, payload.data, payload.size);
            damaged[position] ^= bit < 0 ? 0xff : (uint8_t)(1u << bit);
            ds_colour_layer decoded;
            ds_status status = ds_colour_layer_decode(damaged, payload.size, 257, 3, 7, &decoded);
            flips++;
            if (ds_failed(&status)) {
                assert_int_equal(status.code, position == 0 ? DS_ERR_UNSUPPORTED : DS_ERR_FORMAT);
                rejected++;
            } else {
                assert_layers_equal(&t.layer, &decoded);
                ds_colour_layer_free(&decoded);
            }
        }
    }
    assert_true(rejected > flips * 99 / 100);

    /* A degree beyond 3, even when the caller expects it (found by fuzzing: it overran the
     * per-order arrays). */
    memcpy(damaged, payload.data, payload.size);
    damaged[1] = 30;
    ds_colour_layer odd;
    assert_int_equal(ds_colour_layer_decode(damaged, payload.size, 257, 30, 7, &odd).code,
                     DS_ERR_FORMAT);
    assert_null(odd.codebooks[0]);

    /* A valid payload for another stream. */
    ds_colour_layer decoded;
    assert_int_equal(ds_colour_layer_decode(payload.data, payload.size, 256, 3, 7, &decoded).code,
                     DS_ERR_FORMAT);
    assert_int_equal(ds_colour_layer_decode(payload.data, payload.size, 257, 2, 7, &decoded).code,
                     DS_ERR_FORMAT);
    assert_int_equal(ds_colour_layer_decode(payload.data, payload.size, 257, 3, 8, &decoded).code,
                     DS_ERR_FORMAT);
    free(damaged);
    ds_byte_buffer_free(&payload);
    free_test_layer(&t);
}

/* A hand-made payload around a hand-made body: 2 Gaussians, SH 0, 2 frames, 3 entries. */
static ds_byte_buffer handmade_payload(const uint8_t *body, size_t size, bool checksum) {
    ds_byte_buffer payload = {0};
    ds_byte_buffer_append_u8(&payload, 1);
    ds_byte_buffer_append_u8(&payload, 0);
    ds_byte_buffer_append_u32le(&payload, 2);
    ds_byte_buffer_append_u32le(&payload, 2);
    ds_byte_buffer_append_u32le(&payload, 3);
    ds_byte_buffer_append_u64le(&payload, size);
    size_t bound = ZSTD_compressBound(size);
    assert_true(ds_byte_buffer_reserve(&payload, bound));
    ZSTD_CCtx *context = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    size_t written = ZSTD_compress2(context, payload.data + payload.size, bound, body, size);
    ZSTD_freeCCtx(context);
    assert_false(ZSTD_isError(written));
    payload.size += written;
    return payload;
}

static ds_status decode_handmade(const uint8_t *body, size_t size, bool checksum) {
    ds_byte_buffer payload = handmade_payload(body, size, checksum);
    ds_colour_layer decoded;
    ds_status status = ds_colour_layer_decode(payload.data, payload.size, 2, 0, 2, &decoded);
    if (!ds_failed(&status)) {
        /* Gaussian 1 takes entry 2 in frame 1. */
        assert_int_equal(decoded.initial[0][0], 1);
        assert_int_equal(decoded.initial[0][1], 2);
        assert_int_equal(decoded.change_starts[0][1], 1);
        assert_int_equal(decoded.change_gaussians[0][0], 1);
        assert_int_equal(decoded.change_indices[0][0], 0);
        assert_true(decoded.codebooks[0][1 * 3 + 2] == 0.5f);
    }
    ds_colour_layer_free(&decoded);
    ds_byte_buffer_free(&payload);
    return status;
}

static void inconsistent_bodies_are_rejected(void **state) {
    (void)state;
    enum { INITIAL = 18, COUNTS = 19, GAPS = 20, INDICES = 21, SIZE = 22 };
    uint8_t good[SIZE] = {0};
    /* Codebook: 3 dims x 3 entries of halves, dimension-major; entry 1, channel 2 = 0.5. */
    good[(2 * 3 + 1) * 2 + 1] = 0x38;
    good[INITIAL] = 1 | 2 << 2; /* Gaussian 0 -> 1, Gaussian 1 -> 2, 2 bits each */
    good[COUNTS] = 1;           /* one change in frame 1 */
    good[GAPS] = 1;             /* Gaussian 1 */
    good[INDICES] = 0;          /* new entry 0 */
    assert_int_equal(decode_handmade(good, SIZE, true).code, DS_OK);
    assert_int_equal(decode_handmade(good, SIZE, false).code, DS_ERR_FORMAT);

    uint8_t bad[SIZE + 1];
    memcpy(bad, good, SIZE);
    bad[INITIAL] = 3; /* entry 3 of 3 */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[INITIAL] |= 0x10; /* padding bit */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[INDICES] = 3; /* new entry 3 of 3 */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[GAPS] = 2; /* Gaussian 2 of 2 */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[COUNTS] = 3; /* more changes than Gaussians */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[GAPS] = 0x80; /* unterminated varint runs into the indices */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[1] = 0x7e; /* a NaN in the codebook */
    assert_int_equal(decode_handmade(bad, SIZE, true).code, DS_ERR_FORMAT);
    memcpy(bad, good, SIZE);
    bad[SIZE] = 0; /* trailing byte */
    assert_int_equal(decode_handmade(bad, SIZE + 1, true).code, DS_ERR_FORMAT);
    assert_int_equal(decode_handmade(good, SIZE - 1, true).code, DS_ERR_FORMAT);
}

static void encoding_rejects_inconsistent_layers(void **state) {
    (void)state;
    test_layer t = make_layer(40, 1, 4, mixed_entries, 6);
    ds_byte_buffer payload = {0};
    ds_colour_layer *layer = &t.layer;

    layer->initial[1][5] = 5;
    assert_int_equal(ds_colour_layer_encode(layer, &payload).code, DS_ERR_ARGUMENT);
    layer->initial[1][5] = 4;
    uint32_t *g = layer->change_gaussians[1];
    uint32_t first = layer->change_starts[1][0];
    assert_true(layer->change_starts[1][1] - first >= 2);
    uint32_t saved = g[first + 1];
    g[first + 1] = g[first]; /* not strictly increasing */
    assert_int_equal(ds_colour_layer_encode(layer, &payload).code, DS_ERR_ARGUMENT);
    g[first + 1] = saved;
    layer->codebooks[0][0] = 1e6f; /* beyond half range */
    assert_int_equal(ds_colour_layer_encode(layer, &payload).code, DS_ERR_ARGUMENT);
    layer->codebooks[0][0] = 0.0f;
    layer->entries[1] = 0;
    assert_int_equal(ds_colour_layer_encode(layer, &payload).code, DS_ERR_ARGUMENT);
    layer->entries[1] = 5;
    assert_int_equal(payload.size, 0);
    assert_int_equal(ds_colour_layer_encode(layer, &payload).code, DS_OK);
    ds_byte_buffer_free(&payload);
    free_test_layer(&t);
}

/* ---- analysis ---- */

static const char *shared_splat(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/../../../shared/data/splats/%s", DS_TEST_DATA_DIR, name);
    struct stat info;
    return stat(path, &info) == 0 ? path : NULL;
}

/* Frames of a cloud's SH with a smooth per-Gaussian drift: frame f adds f * amplitude *
 * sin(phase) to every coefficient, phases varying slowly over Gaussians and coefficients. */
static float **drifting_frames(const float *sh, size_t count, size_t stride, uint32_t frames,
                               float amplitude) {
    float **out = malloc(sizeof *out * frames);
    assert_non_null(out);
    for (uint32_t f = 0; f < frames; f++) {
        out[f] = malloc(sizeof(float) * count * stride);
        assert_non_null(out[f]);
        for (size_t i = 0; i < count; i++) {
            for (size_t k = 0; k < stride; k++) {
                float scale = k < 3 ? 1.0f : 0.3f;
                out[f][i * stride + k] =
                    sh[i * stride + k] +
                    scale * amplitude * (float)f * sinf(0.001f * (float)i + 0.7f * (float)k);
            }
        }
    }
    return out;
}

static void free_frames(float **frames, uint32_t count) {
    for (uint32_t f = 0; f < count; f++) {
        free(frames[f]);
    }
    free(frames);
}

typedef struct analysis_quality {
    double dc_psnr;      /* displayed DC colour, peak 1 */
    double sh_rmse;      /* every coefficient */
    double change_share; /* changed indices / all indices of frames 1.. */
} analysis_quality;

static analysis_quality measure(const ds_colour_layer *layer, float *const *frames, size_t stride) {
    analysis_quality q = {0};
    uint32_t *indices[4];
    for (int d = 0; d < 4; d++) {
        indices[d] = malloc(sizeof(uint32_t) * layer->count);
    }
    float *sh = malloc(sizeof(float) * layer->count * stride);
    double dc_error = 0.0, sh_error = 0.0;
    for (uint32_t f = 0; f < layer->frames; f++) {
        assert_int_equal(ds_colour_layer_indices_at(layer, f, indices).code, DS_OK);
        ds_colour_layer_expand(layer, indices, sh);
        for (size_t i = 0; i < layer->count; i++) {
            for (size_t k = 0; k < stride; k++) {
                double e = sh[i * stride + k] - frames[f][i * stride + k];
                sh_error += e * e;
                if (k < 3) {
                    dc_error += (DS_SH_C0 * e) * (DS_SH_C0 * e);
                }
            }
        }
    }
    double changes = 0.0;
    for (int d = 0; d <= layer->sh_degree; d++) {
        changes += layer->change_starts[d][layer->frames - 1];
    }
    double values = (double)layer->count * layer->frames;
    q.dc_psnr = 10.0 * log10(1.0 / (dc_error / (values * 3)));
    q.sh_rmse = sqrt(sh_error / (values * (double)stride));
    q.change_share =
        layer->frames > 1
            ? changes / ((double)layer->count * (layer->frames - 1) * (layer->sh_degree + 1))
            : 0.0;
    free(sh);
    for (int d = 0; d < 4; d++) {
        free(indices[d]);
    }
    return q;
}

static ds_gaussian_cloud *load_shared(const char *name) {
    const char *path = shared_splat(name);
    if (!path) {
        return NULL;
    }
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_splat_file_load(path, &cloud, NULL);
    assert_int_equal(status.code, DS_OK);
    return cloud;
}

static void real_colours_drifting_over_frames(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = load_shared("fruit_drops_minimal.ply");
    if (!cloud) {
        skip();
    }
    assert_int_equal(cloud->sh_degree, 3);
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    enum { FRAMES = 6 };
    float **frames = drifting_frames(cloud->sh, cloud->count, stride, FRAMES, 0.004f);
    ds_colour_settings settings;
    ds_colour_settings_default(&settings);
    settings.entries = 1024;
    ds_colour_layer layer;
    ds_status status =
        ds_colour_analyse((const float *const *)frames, cloud->count, 3, FRAMES, &settings, &layer);
    assert_int_equal(status.code, DS_OK);
    /* Clamped to one entry per 16 Gaussians: 4721 / 16. */
    assert_int_equal(layer.entries[3], 295);
    analysis_quality stable = measure(&layer, frames, stride);

    /* The stream gives back exactly what the analysis chose. */
    ds_byte_buffer payload = {0};
    assert_int_equal(ds_colour_layer_encode(&layer, &payload).code, DS_OK);
    ds_colour_layer decoded;
    assert_int_equal(
        ds_colour_layer_decode(payload.data, payload.size, cloud->count, 3, FRAMES, &decoded).code,
        DS_OK);
    assert_layers_equal(&layer, &decoded);
    ds_colour_layer_free(&decoded);

    /* Without hysteresis every Gaussian takes the nearest entry: a little less error, many
     * more changes. */
    settings.keep_tolerance = 0.0f;
    ds_colour_layer nearest;
    assert_int_equal(ds_colour_analyse((const float *const *)frames, cloud->count, 3, FRAMES,
                                       &settings, &nearest)
                         .code,
                     DS_OK);
    analysis_quality greedy = measure(&nearest, frames, stride);
    if (getenv("DS_COLOUR_REPORT")) {
        printf("fruit_drops x %d frames, 1024 entries: %zu bytes (%.2f bytes per Gaussian-frame)\n"
               "  tolerance 1: DC PSNR %.2f dB, SH RMSE %.4f, changes %.2f %%\n"
               "  tolerance 0: DC PSNR %.2f dB, SH RMSE %.4f, changes %.2f %%\n",
               FRAMES, payload.size, (double)payload.size / ((double)cloud->count * FRAMES),
               stable.dc_psnr, stable.sh_rmse, 100 * stable.change_share, greedy.dc_psnr,
               greedy.sh_rmse, 100 * greedy.change_share);
    }
    assert_true(stable.dc_psnr > 35.0);
    assert_true(stable.change_share < 0.10);
    assert_true(greedy.change_share > 2 * stable.change_share);
    assert_true(greedy.sh_rmse <= stable.sh_rmse);
    assert_true(stable.sh_rmse < 1.3 * greedy.sh_rmse);
    ds_colour_layer_free(&nearest);
    ds_colour_layer_free(&layer);
    ds_byte_buffer_free(&payload);
    free_frames(frames, FRAMES);
    ds_gaussian_cloud_free(cloud);
}

static void an_unchanging_sequence_has_no_changes(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = load_shared("fruit_drops_minimal.ply");
    if (!cloud) {
        cloud = test_random_cloud(3000, 3, 9); /* the property does not need real data */
    }
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    enum { FRAMES = 4 };
    float **frames = drifting_frames(cloud->sh, cloud->count, stride, FRAMES, 0.0f);
    ds_colour_settings settings;
    ds_colour_settings_default(&settings);
    settings.entries = 512;
    settings.keep_tolerance = 0.0f; /* even without hysteresis */
    ds_colour_layer layer;
    assert_int_equal(ds_colour_analyse((const float *const *)frames, cloud->count, cloud->sh_degree,
                                       FRAMES, &settings, &layer)
                         .code,
                     DS_OK);
    for (int d = 0; d <= cloud->sh_degree; d++) {
        for (uint32_t f = 0; f < FRAMES; f++) {
            assert_int_equal(layer.change_starts[d][f], 0);
        }
    }
    ds_colour_layer_free(&layer);
    free_frames(frames, FRAMES);
    ds_gaussian_cloud_free(cloud);
}

static void analysis_does_not_depend_on_the_thread_count(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(20000, 1, 12);
    float **frames = drifting_frames(cloud->sh, cloud->count, 12, 3, 0.1f);
    ds_colour_settings settings;
    ds_colour_settings_default(&settings);
    settings.entries = 256;
    ds_colour_layer one, two;
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    assert_int_equal(
        ds_colour_analyse((const float *const *)frames, cloud->count, 1, 3, &settings, &one).code,
        DS_OK);
    omp_set_num_threads(2);
    assert_int_equal(
        ds_colour_analyse((const float *const *)frames, cloud->count, 1, 3, &settings, &two).code,
        DS_OK);
    omp_set_num_threads(threads);
    assert_layers_equal(&one, &two);
    assert_true(one.change_starts[0][2] + one.change_starts[1][2] >
                0); /* the drift did change something */
    ds_colour_layer_free(&one);
    ds_colour_layer_free(&two);
    free_frames(frames, 3);
    ds_gaussian_cloud_free(cloud);
}

static void analysis_rejects_bad_requests(void **state) {
    (void)state;
    float sh[2 * 3] = {0, 0, 0, 1, NAN, 1};
    const float *frames[1] = {sh};
    ds_colour_settings settings;
    ds_colour_settings_default(&settings);
    ds_colour_layer layer;
    assert_int_equal(ds_colour_analyse(frames, 2, 0, 1, &settings, &layer).code, DS_ERR_ARGUMENT);
    sh[4] = 1;
    settings.keep_tolerance = -1.0f;
    assert_int_equal(ds_colour_analyse(frames, 2, 0, 1, &settings, &layer).code, DS_ERR_ARGUMENT);
    ds_colour_settings_default(&settings);
    assert_int_equal(ds_colour_analyse(frames, 2, 4, 1, &settings, &layer).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_colour_analyse(frames, 0, 0, 1, &settings, &layer).code, DS_ERR_ARGUMENT);
    /* Two vectors: the codebook shrinks to one entry (count * frames / 8, at least 1). */
    assert_int_equal(ds_colour_analyse(frames, 2, 0, 1, &settings, &layer).code, DS_OK);
    assert_int_equal(layer.entries[0], 1);
    assert_true(layer.codebooks[0][0] == 0.5f && layer.codebooks[0][1] == 0.5f);
    ds_colour_layer_free(&layer);
}

/* ---- timing, on request (DS_COLOUR_BENCH=1): a full-size segment ---- */

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

static void bench_segment(const float *sh, size_t count, int sh_degree, const char *what) {
    const char *frames_text = getenv("DS_COLOUR_BENCH_FRAMES");
    const uint32_t FRAMES = frames_text ? (uint32_t)atoi(frames_text) : 50;
    assert_true(FRAMES >= 2);
    size_t stride = (size_t)3 * (size_t)ds_sh_coeff_count(sh_degree);
    float **frames = drifting_frames(sh, count, stride, FRAMES, 0.002f);
    ds_colour_settings settings;
    ds_colour_settings_default(&settings);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ds_colour_layer layer;
    assert_int_equal(
        ds_colour_analyse((const float *const *)frames, count, sh_degree, FRAMES, &settings, &layer)
            .code,
        DS_OK);
    double analyse = seconds_since(&start);
    clock_gettime(CLOCK_MONOTONIC, &start);
    ds_byte_buffer payload = {0};
    assert_int_equal(ds_colour_layer_encode(&layer, &payload).code, DS_OK);
    double encode = seconds_since(&start);
    ds_colour_layer decoded;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(
        ds_colour_layer_decode(payload.data, payload.size, count, sh_degree, FRAMES, &decoded).code,
        DS_OK);
    double decode = seconds_since(&start);
    uint32_t *indices[4];
    for (int d = 0; d < 4; d++) {
        indices[d] = malloc(sizeof(uint32_t) * count);
    }
    float *out = malloc(sizeof(float) * count * stride);
    assert_int_equal(ds_colour_layer_indices_at(&decoded, 0, indices).code, DS_OK);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (uint32_t f = 1; f < FRAMES; f++) {
        ds_colour_layer_apply_changes(&decoded, f, indices);
        ds_colour_layer_expand(&decoded, indices, out);
    }
    double play = seconds_since(&start) / (FRAMES - 1);
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(ds_colour_layer_indices_at(&decoded, FRAMES - 1, indices).code, DS_OK);
    double seek = seconds_since(&start);
    analysis_quality q = measure(&decoded, frames, stride);
    printf("%s: %zu Gaussians x %u frames, SH %d, %u entries, %d threads\n"
           "  analyse %.2f s, encode %.2f s, decode %.3f s, apply+expand %.2f ms/frame, "
           "seek to last %.2f ms\n"
           "  %zu bytes = %.0f bytes/frame = %.3f bytes (%.2f bits) per Gaussian-frame\n"
           "  DC PSNR %.2f dB, SH RMSE %.4f, changes %.3f %%\n",
           what, count, FRAMES, sh_degree, layer.entries[0], omp_get_max_threads(), analyse, encode,
           decode, 1e3 * play, 1e3 * seek, payload.size, (double)payload.size / FRAMES,
           (double)payload.size / ((double)count * FRAMES),
           8.0 * (double)payload.size / ((double)count * FRAMES), q.dc_psnr, q.sh_rmse,
           100 * q.change_share);
    free(out);
    for (int d = 0; d < 4; d++) {
        free(indices[d]);
    }
    ds_colour_layer_free(&decoded);
    ds_colour_layer_free(&layer);
    ds_byte_buffer_free(&payload);
    free_frames(frames, FRAMES);
}

static void benchmark_full_segments(void **state) {
    (void)state;
    if (!getenv("DS_COLOUR_BENCH")) {
        skip();
    }
    ds_gaussian_cloud *biker = load_shared("biker.spz");
    if (biker) {
        bench_segment(biker->sh, biker->count, 0, "biker.spz");
        fflush(stdout);
        /* SH 3 synthesised: biker's DC, and fruit_drops' higher orders (cycled, with a little
         * noise so the copies differ) - real SH statistics at biker's size. */
        ds_gaussian_cloud *fruit = load_shared("fruit_drops_minimal.ply");
        if (fruit) {
            float *sh = malloc(sizeof(float) * biker->count * 48);
            assert_non_null(sh);
            uint32_t random = 77;
            for (size_t i = 0; i < biker->count; i++) {
                memcpy(sh + i * 48, biker->sh + i * 3, sizeof(float) * 3);
                const float *source = fruit->sh + (i % fruit->count) * 48;
                for (size_t k = 3; k < 48; k++) {
                    sh[i * 48 + k] = source[k] + 0.01f * uniform(&random);
                }
            }
            bench_segment(sh, biker->count, 3, "biker DC + fruit_drops SH 1-3");
            free(sh);
            ds_gaussian_cloud_free(fruit);
        }
        ds_gaussian_cloud_free(biker);
    }
}

int run_colour_layer_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_half_survives_a_round_trip),
        cmocka_unit_test(rounding_is_to_nearest_even),
        cmocka_unit_test(the_layer_round_trips_exactly),
        cmocka_unit_test(one_frame_and_degree_zero),
        cmocka_unit_test(damaged_payloads_are_rejected),
        cmocka_unit_test(inconsistent_bodies_are_rejected),
        cmocka_unit_test(encoding_rejects_inconsistent_layers),
        cmocka_unit_test(real_colours_drifting_over_frames),
        cmocka_unit_test(an_unchanging_sequence_has_no_changes),
        cmocka_unit_test(analysis_does_not_depend_on_the_thread_count),
        cmocka_unit_test(analysis_rejects_bad_requests),
        cmocka_unit_test(benchmark_full_segments),
    };
    return cmocka_run_group_tests_name("colour_layer", tests, NULL, NULL);
}
