/* The .dsv container and its motion and corrections layers, and whole streams: pack a small
 * known sequence, decode it back (sequentially and by random access), and survive damage. */
#include "codec_tests.h"
#include "test_support.h"

#include "encoder/stream_encoder.h"
#include "formats/dsv_reader.h"
#include "formats/file_io.h"
#include "formats/spatial_order.h"
#include "render/projection.h"
#include "render/skinning.h"
#include "render/stream_frame.h"
#include "tools/sequence/av_sync.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a small articulated sequence: two rigid halves turning against each other ---- */

enum { SEQUENCE_GAUSSIANS = 600, SEQUENCE_JOINTS = 2, SEQUENCE_FRAMES = 7, SEQUENCE_SH = 1 };

typedef struct test_sequence {
    ds_dsv_canonical canonical;
    ds_gaussian_cloud *cloud; /* the canonical appearance */
    bool free_positions;      /* give positions (as a .ply sequence would) */
} test_sequence;

static void joint_transform(uint32_t frame, size_t joint, float q[4], float t[3]) {
    float angle = 0.15f * (float)frame * (joint ? -1.0f : 1.0f);
    q[0] = cosf(angle / 2), q[1] = 0, q[2] = sinf(angle / 2), q[3] = 0;
    t[0] = 0.02f * (float)frame, t[1] = joint ? 0.01f * (float)frame : 0.0f, t[2] = 0;
}

static ds_status load_test_frame(void *context, uint32_t f, ds_sequence_frame *frame) {
    test_sequence *s = context;
    for (size_t j = 0; j < SEQUENCE_JOINTS; j++) {
        joint_transform(f, j, frame->transforms.rotations + j * 4,
                        frame->transforms.translations + j * 3);
    }
    ds_gaussian_cloud *skin = frame->skin;
    size_t n = s->cloud->count;
    memcpy(skin->log_scales, s->cloud->log_scales, n * 3 * sizeof(float));
    memcpy(skin->sh, s->cloud->sh, n * ds_gaussian_cloud_sh_stride(skin) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        /* Opacity drifts over time, so the maps are not constant. */
        skin->opacity_logits[i] = s->cloud->opacity_logits[i] + 0.1f * (float)f;
    }
    frame->has_positions = s->free_positions;
    if (s->free_positions) {
        ds_status status =
            ds_stream_skin(&s->canonical, &frame->transforms, skin->positions, skin->rotations);
        /* Some Gaussians wander off what skinning predicts: they need corrections. */
        for (size_t i = 0; i < n; i += 37) {
            skin->positions[i * 3 + 1] += 0.05f * (float)f;
        }
        return status;
    }
    return ds_ok();
}

static void test_sequence_create(test_sequence *s, bool free_positions) {
    s->cloud = test_random_cloud(SEQUENCE_GAUSSIANS, SEQUENCE_SH, 7);
    s->free_positions = free_positions;
    /* Colours from a palette of 20, as real captures have few distinct colours per region:
     * the codebooks can then hold them exactly (to fp16). */
    size_t stride = ds_gaussian_cloud_sh_stride(s->cloud);
    for (size_t i = 0; i < SEQUENCE_GAUSSIANS; i++) {
        memcpy(s->cloud->sh + i * stride, s->cloud->sh + (i % 20) * stride, stride * sizeof(float));
    }
    assert_int_equal(
        ds_dsv_canonical_create(SEQUENCE_GAUSSIANS, SEQUENCE_JOINTS, SEQUENCE_SH, &s->canonical)
            .code,
        DS_OK);
    ds_dsv_canonical *c = &s->canonical;
    for (size_t i = 0; i < SEQUENCE_GAUSSIANS; i++) {
        memcpy(c->skin_positions + i * 3, s->cloud->positions + i * 3, 3 * sizeof(float));
        memcpy(c->skin_rotations + i * 4, s->cloud->rotations + i * 4, 4 * sizeof(float));
        ds_quaternion_normalize(c->skin_rotations + i * 4);
        /* Bound to the joint on its side of x = 0, blending near the middle. */
        float x = c->skin_positions[i * 3];
        float w = 1.0f / (1.0f + expf(-x * 8.0f));
        uint32_t *joints = c->binding.joints + i * DS_BINDING_K;
        float *weights = c->binding.weights + i * DS_BINDING_K;
        memset(joints, 0, DS_BINDING_K * sizeof *joints);
        memset(weights, 0, DS_BINDING_K * sizeof *weights);
        joints[0] = w >= 0.5f ? 1 : 0;
        joints[1] = 1 - joints[0];
        weights[0] = w >= 0.5f ? w : 1 - w;
        weights[1] = 1 - weights[0];
    }
    assert_int_equal(ds_binding_index(&c->binding).code, DS_OK);
    const float joint_positions[6] = {-0.5f, 0, 0, 0.5f, 0, 0};
    memcpy(c->joint_positions, joint_positions, sizeof joint_positions);
    for (size_t j = 0; j < SEQUENCE_JOINTS; j++) {
        const float identity[4] = {1, 0, 0, 0};
        memcpy(c->joint_rotations + j * 4, identity, sizeof identity);
    }
}

static void test_sequence_free(test_sequence *s) {
    ds_dsv_canonical_free(&s->canonical);
    ds_gaussian_cloud_free(s->cloud);
}

static const char *stream_path(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/dualsplat_test_%d_%s.dsv", (int)getpid(), name);
    return path;
}

static void pack(test_sequence *s, const char *preset, const char *path, ds_pack_report *report) {
    ds_sequence sequence = {.canonical = &s->canonical,
                            .frame_count = SEQUENCE_FRAMES,
                            .fps_numerator = 30,
                            .fps_denominator = 1,
                            .load = load_test_frame,
                            .context = s,
                            .up_axis = DS_DSV_UP_POSITIVE_Z};
    ds_pack_settings settings;
    assert_int_equal(ds_pack_preset(preset, &settings).code, DS_OK);
    settings.segment_frames = 3;
    settings.opacity_map.codec = settings.scale_map.codec = DS_MAP_CODEC_FFV1;
    settings.opacity_map.quality = settings.scale_map.quality = 0;
    ds_status status = ds_pack_stream(&sequence, &settings, path, NULL, NULL, report);
    if (ds_failed(&status)) {
        fail_msg("pack: %s", status.message);
    }
}

/* Every frame decoded in order, as clouds. */
static ds_gaussian_cloud **decode_all(ds_dsv *dsv) {
    ds_gaussian_cloud **clouds = calloc(dsv->header.frame_count, sizeof *clouds);
    ds_dsv_frame frame;
    assert_int_equal(ds_dsv_frame_create(dsv, &frame).code, DS_OK);
    for (uint32_t s = 0; s < dsv->header.segment_count; s++) {
        ds_dsv_segment segment;
        ds_status status = ds_dsv_read_segment(dsv, s, &segment);
        if (ds_failed(&status)) {
            fail_msg("segment %u: %s", s, status.message);
        }
        for (uint32_t t = 0; t < segment.frames; t++) {
            assert_int_equal(ds_dsv_frame_decode(dsv, &segment, t, &frame).code, DS_OK);
            ds_gaussian_cloud **cloud = &clouds[segment.first_frame + t];
            assert_int_equal(ds_stream_cloud_create(dsv, cloud).code, DS_OK);
            assert_int_equal(ds_stream_frame_cloud(dsv, &segment, &frame, *cloud).code, DS_OK);
        }
        ds_dsv_segment_free(&segment);
    }
    ds_dsv_frame_free(&frame);
    return clouds;
}

static void free_clouds(ds_gaussian_cloud **clouds, uint32_t count) {
    for (uint32_t f = 0; f < count; f++) {
        ds_gaussian_cloud_free(clouds[f]);
    }
    free(clouds);
}

/* ---- tests ---- */

static void motion_layer_round_trip_is_exact(void **state) {
    (void)state;
    enum { JOINTS = 50, FRAMES = 9 };
    ds_joint_transforms transforms[FRAMES];
    float joints[JOINTS * 3];
    for (size_t j = 0; j < JOINTS; j++) {
        joints[j * 3] = (float)j * 0.01f, joints[j * 3 + 1] = 0.3f, joints[j * 3 + 2] = -0.2f;
    }
    for (uint32_t t = 0; t < FRAMES; t++) {
        assert_int_equal(ds_joint_transforms_create(JOINTS, &transforms[t]).code, DS_OK);
        for (size_t j = 0; j < JOINTS; j++) {
            /* A turn through a half-turn (w crosses 0) and a drift. */
            float angle = 0.4f * (float)t + 0.05f * (float)j;
            float *q = transforms[t].rotations + j * 4;
            q[0] = cosf(angle / 2), q[1] = 0.6f * sinf(angle / 2), q[2] = 0.8f * sinf(angle / 2),
            q[3] = 0;
            transforms[t].translations[j * 3] = 0.01f * (float)(t * t);
        }
    }
    ds_motion_settings settings;
    ds_motion_settings_default(&settings);
    settings.entries = 16;
    ds_motion_layer layer, decoded;
    assert_int_equal(ds_motion_analyse(transforms, FRAMES, joints, 1.0f, &settings, &layer).code,
                     DS_OK);
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_motion_layer_encode(&layer, &bytes).code, DS_OK);
    assert_int_equal(ds_motion_layer_decode(bytes.data, bytes.size, JOINTS, FRAMES, &decoded).code,
                     DS_OK);
    assert_memory_equal(layer.values, decoded.values,
                        (size_t)FRAMES * JOINTS * DS_MOTION_CHANNELS * sizeof(uint16_t));
    /* The decoded transforms move every joint's neighbourhood as the originals do. */
    ds_joint_transforms out;
    assert_int_equal(ds_joint_transforms_create(JOINTS, &out).code, DS_OK);
    for (uint32_t t = 0; t < FRAMES; t++) {
        ds_motion_layer_transforms(&decoded, t, joints, &out);
        for (size_t j = 0; j < JOINTS; j++) {
            float a[9], b[9];
            float qa[4], qb[4];
            memcpy(qa, transforms[t].rotations + j * 4, sizeof qa);
            memcpy(qb, out.rotations + j * 4, sizeof qb);
            ds_quaternion_normalize(qa);
            ds_quaternion_to_matrix(qa, a);
            ds_quaternion_to_matrix(qb, b);
            /* A point 0.1 away from the joint lands within a few quantisation steps. */
            const float offset[3] = {0.1f, 0.0f, 0.0f};
            for (int r = 0; r < 3; r++) {
                float pa = 0, pb = 0;
                for (int c = 0; c < 3; c++) {
                    float x = joints[j * 3 + (size_t)c] + offset[c];
                    pa += a[r * 3 + c] * x;
                    pb += b[r * 3 + c] * x;
                }
                pa += transforms[t].translations[j * 3 + (size_t)r];
                pb += out.translations[j * 3 + (size_t)r];
                test_assert_close(pb, pa, 3e-3, "skinned joint neighbour", j);
            }
        }
    }
    /* Damage: every truncation is an error, never a crash. */
    for (size_t cut = 0; cut < bytes.size; cut += 1 + cut / 8) {
        ds_motion_layer broken;
        assert_int_not_equal(ds_motion_layer_decode(bytes.data, cut, JOINTS, FRAMES, &broken).code,
                             DS_OK);
    }
    ds_motion_layer broken;
    assert_int_equal(
        ds_motion_layer_decode(bytes.data, bytes.size, JOINTS + 1, FRAMES, &broken).code,
        DS_ERR_FORMAT);
    ds_joint_transforms_free(&out);
    ds_byte_buffer_free(&bytes);
    ds_motion_layer_free(&layer);
    ds_motion_layer_free(&decoded);
    for (uint32_t t = 0; t < FRAMES; t++) {
        ds_joint_transforms_free(&transforms[t]);
    }
}

static void corrections_layer_round_trip(void **state) {
    (void)state;
    ds_corrections_layer layer, decoded;
    assert_int_equal(ds_corrections_layer_create(100, 4, 0.001f, &layer).code, DS_OK);
    const int32_t offset[3] = {5, -300000, 0};
    const int16_t rotation[3] = {100, -200, 32767};
    assert_int_equal(ds_corrections_layer_add(&layer, 1, 3, offset, rotation).code, DS_OK);
    assert_int_equal(ds_corrections_layer_add(&layer, 1, 99, offset, rotation).code, DS_OK);
    assert_int_equal(ds_corrections_layer_add(&layer, 1, 50, offset, rotation).code,
                     DS_ERR_ARGUMENT);
    assert_int_equal(ds_corrections_layer_add(&layer, 3, 0, offset, rotation).code, DS_OK);
    assert_int_equal(ds_corrections_layer_add(&layer, 2, 0, offset, rotation).code,
                     DS_ERR_ARGUMENT);
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_corrections_layer_encode(&layer, &bytes).code, DS_OK);
    assert_int_equal(ds_corrections_layer_decode(bytes.data, bytes.size, 100, 4, &decoded).code,
                     DS_OK);
    assert_memory_equal(layer.starts, decoded.starts, 5 * sizeof(uint32_t));
    assert_int_equal(decoded.starts[4], 3);
    assert_memory_equal(layer.ids, decoded.ids, 3 * sizeof(uint32_t));
    assert_memory_equal(layer.offsets, decoded.offsets, 9 * sizeof(int32_t));
    assert_memory_equal(layer.rotations, decoded.rotations, 9 * sizeof(int16_t));
    for (size_t cut = 0; cut < bytes.size; cut++) {
        ds_corrections_layer broken;
        assert_int_not_equal(ds_corrections_layer_decode(bytes.data, cut, 100, 4, &broken).code,
                             DS_OK);
    }
    ds_byte_buffer_free(&bytes);
    ds_corrections_layer_free(&layer);
    ds_corrections_layer_free(&decoded);
}

static void stream_decodes_what_was_packed(void **state) {
    (void)state;
    test_sequence s;
    test_sequence_create(&s, false);
    const char *path = stream_path("exact");
    ds_pack_report report;
    pack(&s, "lossless", path, &report);
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(path, &dsv).code, DS_OK);
    assert_int_equal(dsv->header.frame_count, SEQUENCE_FRAMES);
    assert_int_equal(dsv->header.segment_count, 3);
    assert_int_equal(dsv->header.up_axis, DS_DSV_UP_POSITIVE_Z);
    double up[3];
    ds_dsv_up_vector(dsv->header.up_axis, up);
    assert_true(up[0] == 0 && up[1] == 0 && up[2] == 1);
    assert_int_equal(dsv->canonical.skin_count, SEQUENCE_GAUSSIANS);
    ds_gaussian_cloud **clouds = decode_all(dsv);
    /* Against skinning the original canonical skin with the original transforms. */
    ds_sequence_frame truth = {0};
    assert_int_equal(ds_joint_transforms_create(SEQUENCE_JOINTS, &truth.transforms).code, DS_OK);
    assert_int_equal(ds_gaussian_cloud_create(SEQUENCE_GAUSSIANS, SEQUENCE_SH, &truth.skin).code,
                     DS_OK);
    for (uint32_t f = 0; f < SEQUENCE_FRAMES; f++) {
        assert_int_equal(load_test_frame(&s, f, &truth).code, DS_OK);
        assert_int_equal(ds_stream_skin(&s.canonical, &truth.transforms, truth.skin->positions,
                                        truth.skin->rotations)
                             .code,
                         DS_OK);
        for (size_t i = 0; i < SEQUENCE_GAUSSIANS; i++) {
            for (int a = 0; a < 3; a++) {
                test_assert_close(clouds[f]->positions[i * 3 + (size_t)a],
                                  truth.skin->positions[i * 3 + (size_t)a], 1e-3, "position", i);
                test_assert_close(clouds[f]->log_scales[i * 3 + (size_t)a],
                                  truth.skin->log_scales[i * 3 + (size_t)a], 1e-3, "log scale", i);
            }
            test_assert_close(ds_sigmoid(clouds[f]->opacity_logits[i]),
                              ds_sigmoid(truth.skin->opacity_logits[i]), 1e-4, "opacity", i);
        }
        /* Colour goes through codebooks of fp16 entries. */
        double error = 0;
        for (size_t v = 0; v < SEQUENCE_GAUSSIANS * 12; v++) {
            error += fabs(clouds[f]->sh[v] - truth.skin->sh[v]);
        }
        assert_true(error / (SEQUENCE_GAUSSIANS * 12) < 2e-3);
    }
    /* Random access gives exactly what sequential decoding gave. */
    const uint32_t order[] = {5, 2, 6, 0, 4, 4, 1, 3};
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_stream_cloud_create(dsv, &cloud).code, DS_OK);
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        assert_int_equal(ds_stream_read_frame(dsv, order[k], cloud).code, DS_OK);
        test_assert_clouds_identical(cloud, clouds[order[k]]);
    }
    assert_int_equal(ds_stream_read_frame(dsv, SEQUENCE_FRAMES, cloud).code, DS_ERR_ARGUMENT);
    ds_gaussian_cloud_free(cloud);
    ds_joint_transforms_free(&truth.transforms);
    ds_gaussian_cloud_free(truth.skin);
    free_clouds(clouds, SEQUENCE_FRAMES);
    ds_dsv_close(dsv);
    unlink(path);
    test_sequence_free(&s);
}

static void corrections_bring_free_gaussians_back(void **state) {
    (void)state;
    test_sequence s;
    test_sequence_create(&s, true);
    const char *path = stream_path("corrected");
    ds_pack_report report;
    pack(&s, "default", path, &report);
    assert_true(report.corrections > 0);
    assert_true(report.layer_bytes[DS_DSV_CORRECTIONS] > 0);
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(path, &dsv).code, DS_OK);
    ds_gaussian_cloud **clouds = decode_all(dsv);
    ds_sequence_frame truth = {0};
    assert_int_equal(ds_joint_transforms_create(SEQUENCE_JOINTS, &truth.transforms).code, DS_OK);
    assert_int_equal(ds_gaussian_cloud_create(SEQUENCE_GAUSSIANS, SEQUENCE_SH, &truth.skin).code,
                     DS_OK);
    /* The bound is a fraction of the skin's bounding-box diagonal. */
    ds_pack_settings settings;
    ds_pack_preset("default", &settings);
    double diagonal = 0;
    for (int a = 0; a < 3; a++) {
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < SEQUENCE_GAUSSIANS; i++) {
            lo = fminf(lo, s.canonical.skin_positions[i * 3 + (size_t)a]);
            hi = fmaxf(hi, s.canonical.skin_positions[i * 3 + (size_t)a]);
        }
        diagonal += (double)(hi - lo) * (hi - lo);
    }
    double bound = settings.position_bound * sqrt(diagonal) * 1.01 + 1e-6;
    for (uint32_t f = 0; f < SEQUENCE_FRAMES; f++) {
        assert_int_equal(load_test_frame(&s, f, &truth).code, DS_OK);
        for (size_t i = 0; i < SEQUENCE_GAUSSIANS * 3; i++) {
            test_assert_close(clouds[f]->positions[i], truth.skin->positions[i], bound,
                              "corrected position", i / 3);
        }
    }
    ds_joint_transforms_free(&truth.transforms);
    ds_gaussian_cloud_free(truth.skin);
    free_clouds(clouds, SEQUENCE_FRAMES);
    ds_dsv_close(dsv);
    unlink(path);
    test_sequence_free(&s);
}

/* Writes `size` bytes of `data` to path. */
static void write_bytes(const char *path, const uint8_t *data, size_t size) {
    assert_int_equal(ds_file_write_atomic(path, data, size).code, DS_OK);
}

static void damage_is_reported_and_contained(void **state) {
    (void)state;
    test_sequence s;
    test_sequence_create(&s, false);
    const char *path = stream_path("damage"), *broken = stream_path("broken");
    ds_pack_report report;
    pack(&s, "default", path, &report);
    size_t size;
    uint8_t *bytes = test_read_file(path, &size);
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(path, &dsv).code, DS_OK);
    ds_dsv_segment_entry middle = dsv->segments[1], last = dsv->segments[2];
    ds_dsv_close(dsv);

    /* A flipped byte inside segment 1: segments 0 and 2 still decode. */
    uint8_t *copy = malloc(size);
    memcpy(copy, bytes, size);
    copy[middle.offset + middle.size / 2] ^= 0x40;
    write_bytes(broken, copy, size);
    assert_int_equal(ds_dsv_open_file(broken, &dsv).code, DS_OK);
    ds_dsv_segment segment;
    assert_int_equal(ds_dsv_read_segment(dsv, 0, &segment).code, DS_OK);
    ds_dsv_segment_free(&segment);
    ds_status status = ds_dsv_read_segment(dsv, 1, &segment);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "segment 1"));
    assert_int_equal(ds_dsv_read_segment(dsv, 2, &segment).code, DS_OK);
    ds_dsv_segment_free(&segment);
    ds_dsv_close(dsv);

    /* Truncated inside the last segment: the others decode, the last is reported missing. */
    write_bytes(broken, bytes, last.offset + last.size / 2);
    assert_int_equal(ds_dsv_open_file(broken, &dsv).code, DS_OK);
    assert_int_equal(ds_dsv_read_segment(dsv, 1, &segment).code, DS_OK);
    ds_dsv_segment_free(&segment);
    status = ds_dsv_read_segment(dsv, 2, &segment);
    assert_int_not_equal(status.code, DS_OK);
    assert_non_null(strstr(status.message, "missing"));
    ds_dsv_close(dsv);

    /* Header or init block damage: the stream cannot be opened, with a reason. */
    memcpy(copy, bytes, size);
    copy[20] ^= 1;
    write_bytes(broken, copy, size);
    status = ds_dsv_open_file(broken, &dsv);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "header"));

    /* Many cuts and flips: never a crash, never a segment that decodes with a wrong checksum. */
    for (size_t cut = 0; cut < size; cut += 1 + cut / 6) {
        write_bytes(broken, bytes, cut);
        if ((ds_dsv_open_file(broken, &dsv)).code != DS_OK) {
            continue;
        }
        for (uint32_t k = 0; k < dsv->header.segment_count; k++) {
            if (ds_dsv_read_segment(dsv, k, &segment).code == DS_OK) {
                assert_true(dsv->segments[k].offset + dsv->segments[k].size <= cut);
                ds_dsv_segment_free(&segment);
            }
        }
        ds_dsv_close(dsv);
    }
    for (size_t at = 0; at < size; at += 1 + at / 10) {
        memcpy(copy, bytes, size);
        copy[at] ^= (uint8_t)(1u << (at % 8));
        write_bytes(broken, copy, size);
        if ((ds_dsv_open_file(broken, &dsv)).code != DS_OK) {
            continue;
        }
        for (uint32_t k = 0; k < dsv->header.segment_count; k++) {
            if (ds_dsv_read_segment(dsv, k, &segment).code == DS_OK) {
                ds_dsv_segment_free(&segment);
            }
        }
        ds_dsv_close(dsv);
    }
    free(copy);
    free(bytes);
    unlink(path);
    unlink(broken);
    test_sequence_free(&s);
}

/* Segment s's picture, frame by frame: opacities, as the decoder gives them. */
static float *segment_opacities(ds_dsv *dsv, const ds_dsv_segment *segment) {
    size_t n = dsv->canonical.skin_count;
    float *opacities = malloc(segment->frames * n * sizeof(float));
    ds_dsv_frame frame;
    assert_int_equal(ds_dsv_frame_create(dsv, &frame).code, DS_OK);
    for (uint32_t t = 0; t < segment->frames; t++) {
        assert_int_equal(ds_dsv_frame_decode(dsv, segment, t, &frame).code, DS_OK);
        memcpy(opacities + t * n, frame.opacity_logits, n * sizeof(float));
    }
    ds_dsv_frame_free(&frame);
    return opacities;
}

static void sound_damage_costs_the_sound_not_the_picture(void **state) {
    (void)state;
    test_sequence s;
    test_sequence_create(&s, false);
    const char *path = stream_path("sound"), *broken = stream_path("sound_broken");
    char wav[256];
    snprintf(wav, sizeof wav, "/tmp/dualsplat_test_%d_sound.wav", (int)getpid());
    assert_int_equal(ds_av_sync_write_click_wav(wav, SEQUENCE_FRAMES, 30, 2, 48000).code, DS_OK);
    ds_audio_settings audio_settings = {.codec = DS_AUDIO_OPUS};
    ds_audio_track track;
    assert_int_equal(ds_audio_track_encode_file(wav, &audio_settings, &track).code, DS_OK);
    ds_sequence sequence = {.canonical = &s.canonical,
                            .frame_count = SEQUENCE_FRAMES,
                            .fps_numerator = 30,
                            .fps_denominator = 1,
                            .load = load_test_frame,
                            .context = &s,
                            .audio = &track};
    ds_pack_settings settings;
    assert_int_equal(ds_pack_preset("default", &settings).code, DS_OK);
    settings.segment_frames = 3;
    ds_pack_report report;
    assert_int_equal(ds_pack_stream(&sequence, &settings, path, NULL, NULL, &report).code, DS_OK);
    ds_audio_track_free(&track);
    assert_true(report.layer_bytes[DS_DSV_AUDIO] > 0);

    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(path, &dsv).code, DS_OK);
    assert_int_equal(dsv->header.version_minor, 2);
    assert_int_equal(dsv->header.audio_codec, DS_AUDIO_OPUS);
    assert_int_equal(dsv->header.audio_channels, 2);
    assert_int_equal(dsv->header.audio_sample_rate, 48000);
    ds_dsv_segment intact;
    assert_int_equal(ds_dsv_read_segment(dsv, 1, &intact).code, DS_OK);
    assert_true(intact.has_audio);
    assert_string_equal(intact.audio_problem, "");
    assert_int_equal(intact.audio.damaged_packets, 0);
    float *want = segment_opacities(dsv, &intact);
    ds_dsv_segment_entry entry = dsv->segments[1];
    ds_dsv_segment_free(&intact);
    ds_dsv_close(dsv);

    size_t size, audio_offset = 0, audio_size = 0;
    uint8_t *bytes = test_read_file(path, &size);
    test_dsv_find_layer(bytes, &entry, DS_DSV_LAYER_AUDIO, &audio_offset, &audio_size);
    uint8_t *copy = malloc(size);
    size_t n = s.canonical.skin_count;

    /* A flipped byte in the last audio packet: one packet lost, the picture as it was. */
    memcpy(copy, bytes, size);
    copy[audio_offset + audio_size - 1] ^= 0x08;
    write_bytes(broken, copy, size);
    assert_int_equal(ds_dsv_open_file(broken, &dsv).code, DS_OK);
    ds_dsv_segment segment;
    assert_int_equal(ds_dsv_read_segment(dsv, 1, &segment).code, DS_OK);
    assert_true(segment.has_audio);
    assert_int_equal(segment.audio.damaged_packets, 1);
    assert_non_null(strstr(segment.audio_problem, "1 damaged audio packet skipped"));
    float *got = segment_opacities(dsv, &segment);
    assert_memory_equal(got, want, segment.frames * n * sizeof(float));
    free(got);
    ds_dsv_segment_free(&segment);
    ds_dsv_close(dsv);

    /* A flipped byte in the layer's header: the segment's sound is lost, its picture is not. */
    memcpy(copy, bytes, size);
    copy[audio_offset + 5] ^= 0x01;
    write_bytes(broken, copy, size);
    assert_int_equal(ds_dsv_open_file(broken, &dsv).code, DS_OK);
    assert_int_equal(ds_dsv_read_segment(dsv, 1, &segment).code, DS_OK);
    assert_false(segment.has_audio);
    assert_non_null(strstr(segment.audio_problem, "sound is lost"));
    got = segment_opacities(dsv, &segment);
    assert_memory_equal(got, want, segment.frames * n * sizeof(float));
    free(got);
    ds_dsv_segment_free(&segment);

    /* Damage outside the sound still loses the segment: a byte of the motion layer, the first
     * payload after the table of four layers (motion, maps, colour, sound). */
    ds_dsv_close(dsv);
    memcpy(copy, bytes, size);
    copy[entry.offset + DS_DSV_SEGMENT_HEADER_SIZE + 4 * DS_DSV_LAYER_ENTRY_SIZE + 3] ^= 0x01;
    write_bytes(broken, copy, size);
    assert_int_equal(ds_dsv_open_file(broken, &dsv).code, DS_OK);
    assert_int_equal(ds_dsv_read_segment(dsv, 1, &segment).code, DS_ERR_FORMAT);
    ds_dsv_close(dsv);

    free(want);
    free(copy);
    free(bytes);
    unlink(path);
    unlink(broken);
    unlink(wav);
    test_sequence_free(&s);
}

static void spatial_order_follows_the_morton_curve(void **state) {
    (void)state;
    /* Corners of a cube, listed out of order, plus a duplicate: Morton order visits x first,
     * then y, then z; equal codes keep index order. */
    const float positions[] = {1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0};
    uint32_t order[7];
    assert_int_equal(ds_spatial_order(positions, 7, order).code, DS_OK);
    const uint32_t expected[7] = {1, 6, 2, 3, 5, 4, 0};
    assert_memory_equal(order, expected, sizeof expected);
}

static void appearance_layer_round_trips_with_every_row_order(void **state) {
    (void)state;
    enum { N = 300, T = 5 };
    ds_appearance_layer layer, decoded;
    assert_int_equal(ds_appearance_layer_create(N, T, &layer).code, DS_OK);
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        layer.bits[c] = c == 0 ? 8 : 10;
        layer.lo[c] = c == 0 ? 0.1f : -1.0f - (float)c; /* opacities stay within 0..1 */
        layer.hi[c] = c == 0 ? 0.9f : 2.0f;
        for (size_t i = 0; i < (size_t)N * T; i++) {
            layer.samples[c][i] =
                (uint16_t)((i * 7919u + (unsigned)c * 13u) % (1u << layer.bits[c]));
        }
    }
    uint32_t reversed[N], spatial[N], shuffled[N];
    for (uint32_t i = 0; i < N; i++) {
        reversed[i] = N - 1 - i;
        spatial[i] = (i * 7u) % N; /* 7 and 300 are coprime: a permutation */
        shuffled[i] = (i * 11u) % N;
    }
    const uint32_t *orders[DS_APPEARANCE_CHANNELS] = {reversed, spatial, NULL, shuffled};
    const ds_map_settings lossless = {DS_MAP_CODEC_FFV1, 8, 0};
    const ds_map_settings coding[DS_APPEARANCE_CHANNELS] = {lossless, lossless, lossless, lossless};
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_appearance_layer_encode(&layer, orders, spatial, coding, &bytes).code,
                     DS_OK);
    assert_int_equal(
        ds_appearance_layer_decode(bytes.data, bytes.size, N, T, spatial, &decoded).code, DS_OK);
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        assert_memory_equal(layer.samples[c], decoded.samples[c], (size_t)N * T * sizeof(uint16_t));
    }
    /* Frames come out as values: opacity as a logit, scales as they are. */
    float logits[N], scales[N * 3];
    ds_appearance_layer_frame(&decoded, 2, logits, scales);
    test_assert_close(ds_sigmoid(logits[7]),
                      ds_appearance_value(&layer, 0, layer.samples[0][2 * N + 7]), 1e-5, "opacity",
                      7);
    test_assert_close(scales[7 * 3 + 2],
                      ds_appearance_value(&layer, 3, layer.samples[3][2 * N + 7]), 1e-6,
                      "log scale", 7);
    /* Without the spatial order the decoder cannot place channel 1's rows. */
    ds_appearance_layer broken;
    assert_int_equal(ds_appearance_layer_decode(bytes.data, bytes.size, N, T, NULL, &broken).code,
                     DS_ERR_FORMAT);
    for (size_t cut = 0; cut < bytes.size; cut += 1 + cut / 5) {
        assert_int_not_equal(
            ds_appearance_layer_decode(bytes.data, cut, N, T, spatial, &broken).code, DS_OK);
    }
    ds_byte_buffer_free(&bytes);
    ds_appearance_layer_free(&layer);
    ds_appearance_layer_free(&decoded);
}

/* The up axis (header byte 52, version 1.1) round trips; an unknown value is refused; a 1.0
 * header (zero there) reads as unspecified, which players take as -y. */
static void header_round_trips_the_up_axis(void **state) {
    (void)state;
    ds_dsv_header header = {.version_major = 1,
                            .version_minor = 1,
                            .frame_count = 10,
                            .fps_numerator = 30,
                            .fps_denominator = 1,
                            .segment_frames = 5,
                            .segment_count = 2,
                            .init_offset = ds_dsv_init_offset(2),
                            .init_size = 100};
    uint8_t bytes[DS_DSV_HEADER_SIZE];
    for (int axis = 0; axis < DS_DSV_UP_AXES; axis++) {
        header.up_axis = (ds_dsv_up_axis)axis;
        ds_dsv_header_encode(&header, bytes);
        ds_dsv_header decoded;
        assert_int_equal(ds_dsv_header_decode(bytes, sizeof bytes, &decoded).code, DS_OK);
        assert_int_equal(decoded.up_axis, axis);
        ds_dsv_up_axis parsed;
        assert_true(ds_dsv_up_axis_parse(ds_dsv_up_axis_name(decoded.up_axis), &parsed));
        assert_int_equal(parsed, axis);
    }
    double up[3];
    ds_dsv_up_vector(DS_DSV_UP_UNSPECIFIED, up);
    assert_true(up[0] == 0 && up[1] == -1 && up[2] == 0);
    ds_dsv_up_vector(DS_DSV_UP_NEGATIVE_X, up);
    assert_true(up[0] == -1 && up[1] == 0 && up[2] == 0);
    header.up_axis = (ds_dsv_up_axis)DS_DSV_UP_AXES;
    ds_dsv_header_encode(&header, bytes);
    ds_dsv_header decoded;
    ds_status status = ds_dsv_header_decode(bytes, sizeof bytes, &decoded);
    assert_int_equal(status.code, DS_ERR_FORMAT);
    assert_non_null(strstr(status.message, "up axis"));
}

int run_dsv_stream_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_round_trips_the_up_axis),
        cmocka_unit_test(motion_layer_round_trip_is_exact),
        cmocka_unit_test(corrections_layer_round_trip),
        cmocka_unit_test(spatial_order_follows_the_morton_curve),
        cmocka_unit_test(appearance_layer_round_trips_with_every_row_order),
        cmocka_unit_test(stream_decodes_what_was_packed),
        cmocka_unit_test(corrections_bring_free_gaussians_back),
        cmocka_unit_test(damage_is_reported_and_contained),
        cmocka_unit_test(sound_damage_costs_the_sound_not_the_picture),
    };
    return cmocka_run_group_tests_name("dsv_stream", tests, NULL, NULL);
}
