#define _POSIX_C_SOURCE 200809L
#include "stream_encoder.h"

#include "formats/dsv_container.h"
#include "formats/dsv_corrections.h"
#include "formats/dsv_reader.h"
#include "formats/dsv_writer.h"
#include "formats/spatial_order.h"
#include "render/skinning.h"
#include "render/stream_frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const ds_pack_preset_names = "low, default, high, lossless";

ds_status ds_pack_preset(const char *name, ds_pack_settings *s) {
    memset(s, 0, sizeof *s);
    s->segment_frames = 50;
    ds_motion_settings_default(&s->motion);
    ds_colour_settings_default(&s->colour);
    /* Rows in the skin's spatial order: as smooth as sorting by value on average, and free. */
    s->appearance = (ds_appearance_settings){8, 8, DS_ROWS_SPATIAL};
    s->opacity_map = (ds_map_settings){DS_MAP_CODEC_H264, 8, 80};
    s->scale_map = s->opacity_map;
    s->position_bound = 1e-3f;
    s->weight_bits = 8;
    if (strcmp(name, "default") == 0) {
        return ds_ok();
    }
    if (strcmp(name, "low") == 0) {
        s->motion.position_step = 5e-4f;
        s->motion.rotation_step = 3e-3f;
        s->colour.entries = 4096;
        s->colour.keep_tolerance = 2.0f;
        s->opacity_map.quality = s->scale_map.quality = 60;
        s->position_bound = 3e-3f;
        return ds_ok();
    }
    if (strcmp(name, "high") == 0) {
        s->motion.position_step = 5e-5f;
        s->motion.rotation_step = 2e-4f;
        s->colour.entries = 16384;
        s->colour.keep_tolerance = 0.5f;
        s->appearance.opacity_bits = s->appearance.scale_bits = 10;
        s->opacity_map = (ds_map_settings){DS_MAP_CODEC_H264, 10, 90};
        s->scale_map = s->opacity_map;
        s->position_bound = 3e-4f;
        return ds_ok();
    }
    if (strcmp(name, "lossless") == 0) {
        s->motion.position_step = 0.0f; /* 16 bits */
        s->motion.rotation_step = 0.0f;
        s->colour.entries = 16384;
        s->colour.keep_tolerance = 0.0f;
        s->appearance.opacity_bits = s->appearance.scale_bits = 16;
        s->opacity_map = (ds_map_settings){DS_MAP_CODEC_FFV1, 16, 0};
        s->scale_map = s->opacity_map;
        s->position_bound = 1e-5f;
        s->weight_bits = 16;
        return ds_ok();
    }
    return ds_error(DS_ERR_ARGUMENT, "unknown quality preset '%s' (choose %s)", name,
                    ds_pack_preset_names);
}

/* ---- one segment's frames ---- */

typedef struct segment_frames {
    uint32_t count;
    ds_sequence_frame *frames;
    const float **opacity, **scales, **sh; /* per frame, for the analyses */
} segment_frames;

static void segment_frames_free(segment_frames *f, uint32_t capacity) {
    for (uint32_t t = 0; t < capacity && f->frames; t++) {
        ds_joint_transforms_free(&f->frames[t].transforms);
        ds_gaussian_cloud_free(f->frames[t].skin);
    }
    free(f->frames);
    free(f->opacity);
    free(f->scales);
    free(f->sh);
    memset(f, 0, sizeof *f);
}

static ds_status segment_frames_create(const ds_dsv_canonical *c, uint32_t capacity,
                                       segment_frames *f) {
    memset(f, 0, sizeof *f);
    f->frames = calloc(capacity, sizeof *f->frames);
    f->opacity = calloc(capacity, sizeof *f->opacity);
    f->scales = calloc(capacity, sizeof *f->scales);
    f->sh = calloc(capacity, sizeof *f->sh);
    if (!f->frames || !f->opacity || !f->scales || !f->sh) {
        segment_frames_free(f, capacity);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a segment");
    }
    for (uint32_t t = 0; t < capacity; t++) {
        ds_status status = ds_joint_transforms_create(c->joint_count, &f->frames[t].transforms);
        if (!ds_failed(&status)) {
            status = ds_gaussian_cloud_create(c->skin_count, c->sh_degree, &f->frames[t].skin);
        }
        if (ds_failed(&status)) {
            segment_frames_free(f, capacity);
            return status.code == DS_ERR_NO_MEMORY
                       ? ds_error(DS_ERR_NO_MEMORY,
                                  "not enough memory for a segment of %u frames of %zu "
                                  "Gaussians (try a smaller --segment-frames)",
                                  capacity, c->skin_count)
                       : status;
        }
        f->opacity[t] = f->frames[t].skin->opacity_logits;
        f->scales[t] = f->frames[t].skin->log_scales;
        f->sh[t] = f->frames[t].skin->sh;
    }
    return ds_ok();
}

/* ---- corrections ---- */

static float bounding_diagonal(const ds_dsv_canonical *c) {
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < c->skin_count; i++) {
        for (int a = 0; a < 3; a++) {
            lo[a] = fminf(lo[a], c->skin_positions[i * 3 + (size_t)a]);
            hi[a] = fmaxf(hi[a], c->skin_positions[i * 3 + (size_t)a]);
        }
    }
    float d2 = 0;
    for (int a = 0; a < 3; a++) {
        d2 += (hi[a] - lo[a]) * (hi[a] - lo[a]);
    }
    return d2 > 0 ? sqrtf(d2) : 1.0f;
}

/* Compares the skinning of the decoded motion with where the source put each Gaussian, and
 * corrects those off by more than the bounds. */
static ds_status find_corrections(const ds_dsv_canonical *c, const ds_motion_layer *motion,
                                  const segment_frames *f, float step, ds_corrections_layer *layer,
                                  uint64_t *corrected) {
    size_t n = c->skin_count;
    ds_status status = ds_corrections_layer_create((uint32_t)n, f->count, step, layer);
    ds_joint_transforms decoded = {0};
    if (!ds_failed(&status)) {
        status = ds_joint_transforms_create(c->joint_count, &decoded);
    }
    float *positions = malloc(n * 3 * sizeof *positions),
          *rotations = malloc(n * 4 * sizeof *rotations);
    if (!ds_failed(&status) && (!positions || !rotations)) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate skinned positions");
    }
    for (uint32_t t = 0; t < f->count && !ds_failed(&status); t++) {
        const ds_gaussian_cloud *skin = f->frames[t].skin;
        ds_motion_layer_transforms(motion, t, c->joint_positions, &decoded);
        status = ds_stream_skin(c, &decoded, positions, rotations);
        for (size_t i = 0; i < n && !ds_failed(&status); i++) {
            const float *x = skin->positions + i * 3, *y = positions + i * 3;
            int32_t offset[3];
            bool needed = false;
            for (int a = 0; a < 3; a++) {
                float q = roundf((x[a] - y[a]) / step);
                q = !isfinite(q) ? 0.0f : (q > 1e9f ? 1e9f : (q < -1e9f ? -1e9f : q));
                offset[a] = (int32_t)q;
                needed |= fabsf(x[a] - y[a]) > step * 0.5f;
            }
            float truth[4], inverse[4], correction[4];
            memcpy(truth, skin->rotations + i * 4, sizeof truth);
            ds_quaternion_normalize(truth);
            const float *q = rotations + i * 4;
            inverse[0] = q[0], inverse[1] = -q[1], inverse[2] = -q[2], inverse[3] = -q[3];
            ds_quaternion_multiply(truth, inverse, correction);
            if (correction[0] < 0) {
                for (int k = 0; k < 4; k++) {
                    correction[k] = -correction[k];
                }
            }
            /* A wrong rotation shows as far as it moves the ellipsoid's outline: the turn's
             * chord times the spread of its axes at two standard deviations. Round Gaussians
             * need no rotation. */
            const float *log_scale = skin->log_scales + i * 3;
            float largest = fmaxf(log_scale[0], fmaxf(log_scale[1], log_scale[2]));
            float smallest = fminf(log_scale[0], fminf(log_scale[1], log_scale[2]));
            float chord = 2.0f * sqrtf(fmaxf(0.0f, 1.0f - correction[0] * correction[0]));
            bool turn = chord * 2.0f * (expf(largest) - expf(smallest)) > step * 0.5f;
            if (!needed && !turn) {
                continue;
            }
            int16_t stored[3] = {0, 0, 0};
            if (turn) {
                for (int k = 0; k < 3; k++) {
                    stored[k] = (int16_t)lroundf(correction[k + 1] * 32767.0f);
                }
            }
            status = ds_corrections_layer_add(layer, t, (uint32_t)i, offset, stored);
            (*corrected)++;
        }
    }
    free(positions);
    free(rotations);
    ds_joint_transforms_free(&decoded);
    if (ds_failed(&status)) {
        ds_corrections_layer_free(layer);
    }
    return status;
}

/* ---- progress ---- */

typedef struct pack_reporter {
    ds_pack_progress progress;
    void *context;
    uint32_t first, count, total; /* the segment being packed */
} pack_reporter;

/* Reports that `fraction` of the current segment is done. */
static ds_status report_progress(const pack_reporter *r, const char *phase, double fraction) {
    if (r->progress && !r->progress(r->context, phase, r->first + fraction * r->count, r->total)) {
        return ds_error(DS_ERR_INTERRUPTED, "stopped; no stream was written");
    }
    return ds_ok();
}

/* Shares of a segment's packing time, roughly, for the progress bar. */
#define SHARE_READ   0.2
#define SHARE_MOTION 0.3
#define SHARE_MAPS   0.5

/* ---- a segment ---- */

typedef struct layer_bytes {
    ds_byte_buffer kinds[DS_DSV_KINDS];
} layer_bytes;

static ds_status encode_segment(const ds_dsv_canonical *c, const uint32_t *spatial_order,
                                const segment_frames *f, const ds_pack_settings *s, float extent,
                                const pack_reporter *reporter, layer_bytes *bytes,
                                uint64_t *corrected) {
    ds_status status = ds_ok();
    ds_joint_transforms *transforms = malloc(f->count * sizeof *transforms);
    if (!transforms) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate transforms");
    }
    for (uint32_t t = 0; t < f->count; t++) {
        transforms[t] = f->frames[t].transforms;
    }
    /* The residual quantiser pays for its codebooks and indices only when the motion is
     * regular; noisy motion (tracking) codes smaller without it: keep the smaller. */
    ds_motion_layer motion;
    status =
        ds_motion_analyse(transforms, f->count, c->joint_positions, extent, &s->motion, &motion);
    if (!ds_failed(&status)) {
        status = ds_motion_layer_encode(&motion, &bytes->kinds[DS_DSV_MOTION]);
    }
    if (!ds_failed(&status) && motion.stages > 0) {
        ds_motion_settings plain = s->motion;
        plain.stages = 0;
        ds_motion_layer without;
        ds_byte_buffer smaller = {0};
        status =
            ds_motion_analyse(transforms, f->count, c->joint_positions, extent, &plain, &without);
        if (!ds_failed(&status)) {
            status = ds_motion_layer_encode(&without, &smaller);
        }
        if (!ds_failed(&status) && smaller.size < bytes->kinds[DS_DSV_MOTION].size) {
            ds_byte_buffer_free(&bytes->kinds[DS_DSV_MOTION]);
            bytes->kinds[DS_DSV_MOTION] = smaller;
            smaller = (ds_byte_buffer){0};
            ds_motion_layer_free(&motion);
            motion = without;
        } else if (!ds_failed(&status)) {
            ds_motion_layer_free(&without);
        }
        ds_byte_buffer_free(&smaller);
    }
    free(transforms);
    if (ds_failed(&status)) {
        ds_motion_layer_free(&motion);
        return status;
    }
    if (!ds_failed(&status) && f->frames[0].has_positions) {
        ds_corrections_layer corrections;
        float position_step = s->position_bound * extent * 2.0f;
        status = find_corrections(c, &motion, f, position_step, &corrections, corrected);
        if (!ds_failed(&status)) {
            status = ds_corrections_layer_encode(&corrections, &bytes->kinds[DS_DSV_CORRECTIONS]);
            ds_corrections_layer_free(&corrections);
        }
    }
    ds_motion_layer_free(&motion);
    if (!ds_failed(&status)) {
        status = report_progress(reporter, "opacity/scale maps", SHARE_MOTION);
    }
    if (ds_failed(&status)) {
        return status;
    }
    ds_appearance_layer appearance;
    uint32_t *row_orders[DS_APPEARANCE_CHANNELS];
    status = ds_appearance_analyse(f->opacity, f->scales, f->count, c->skin_count, &s->appearance,
                                   spatial_order, &appearance, row_orders);
    if (!ds_failed(&status)) {
        ds_map_settings coding[DS_APPEARANCE_CHANNELS] = {s->opacity_map, s->scale_map,
                                                          s->scale_map, s->scale_map};
        status =
            ds_appearance_layer_encode(&appearance, (const uint32_t *const *)row_orders,
                                       spatial_order, coding, &bytes->kinds[DS_DSV_APPEARANCE]);
        ds_appearance_layer_free(&appearance);
        ds_appearance_row_orders_free(row_orders, spatial_order);
    }
    if (!ds_failed(&status)) {
        status = report_progress(reporter, "colour codebooks", SHARE_MAPS);
    }
    if (ds_failed(&status)) {
        return status;
    }
    ds_colour_layer colour;
    status = ds_colour_analyse(f->sh, c->skin_count, c->sh_degree, f->count, &s->colour, &colour);
    if (!ds_failed(&status)) {
        status = ds_colour_layer_encode(&colour, &bytes->kinds[DS_DSV_COLOUR]);
        ds_colour_layer_free(&colour);
    }
    return status;
}

static ds_status write_segment(ds_dsv_writer *writer, uint32_t first, uint32_t frames,
                               layer_bytes *bytes, ds_pack_report *report) {
    static const uint32_t types[DS_DSV_KINDS] = {DS_DSV_LAYER_MOTION, DS_DSV_LAYER_APPEARANCE,
                                                 DS_DSV_LAYER_COLOUR, DS_DSV_LAYER_CORRECTIONS,
                                                 DS_DSV_LAYER_AUDIO};
    ds_dsv_layer layers[DS_DSV_KINDS];
    int count = 0;
    for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
        if ((kind == DS_DSV_CORRECTIONS || kind == DS_DSV_AUDIO) && bytes->kinds[kind].size == 0) {
            continue;
        }
        if (bytes->kinds[kind].size > UINT32_MAX) {
            return ds_error(DS_ERR_UNSUPPORTED,
                            "a layer exceeds 4 GiB: use fewer frames per segment");
        }
        layers[count++] = (ds_dsv_layer){types[kind], 1, bytes->kinds[kind].data,
                                         (uint32_t)bytes->kinds[kind].size, false};
        report->layer_bytes[kind] += bytes->kinds[kind].size;
    }
    ds_byte_buffer segment = {0};
    ds_status status = ds_dsv_segment_encode(first, frames, layers, count, &segment);
    if (!ds_failed(&status)) {
        status = ds_dsv_writer_add_segment(writer, segment.data, segment.size);
    }
    ds_byte_buffer_free(&segment);
    return status;
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

ds_status ds_pack_stream(const ds_sequence *sequence, const ds_pack_settings *s, const char *path,
                         ds_pack_progress progress, void *context, ds_pack_report *report) {
    memset(report, 0, sizeof *report);
    double start = seconds_now();
    if (sequence->frame_count == 0 || s->segment_frames == 0) {
        return ds_error(DS_ERR_ARGUMENT, "nothing to pack");
    }
    /* Work from the canonical state as a player will decode it. */
    ds_byte_buffer init = {0};
    ds_status status = ds_dsv_canonical_encode(sequence->canonical, s->weight_bits, &init);
    ds_dsv_canonical canonical = {0};
    if (!ds_failed(&status)) {
        status = ds_dsv_canonical_decode(init.data, init.size, &canonical);
    }
    ds_dsv_writer writer;
    if (!ds_failed(&status)) {
        status = ds_dsv_writer_open(path, sequence->frame_count, s->segment_frames,
                                    sequence->fps_numerator, sequence->fps_denominator, init.data,
                                    init.size, &writer);
        if (ds_failed(&status)) {
            ds_dsv_canonical_free(&canonical);
        } else {
            writer.header.up_axis = sequence->up_axis;
            if (sequence->audio) {
                writer.header.audio_codec = sequence->audio->codec;
                writer.header.audio_channels = sequence->audio->channels;
                writer.header.audio_sample_rate = sequence->audio->sample_rate;
            }
        }
    }
    report->init_bytes = init.size;
    ds_byte_buffer_free(&init);
    if (ds_failed(&status)) {
        return status;
    }
    float extent = bounding_diagonal(&canonical);
    segment_frames frames;
    uint32_t capacity =
        s->segment_frames < sequence->frame_count ? s->segment_frames : sequence->frame_count;
    status = segment_frames_create(&canonical, capacity, &frames);
    uint32_t *spatial_order = ds_failed(&status) ? NULL : malloc(canonical.skin_count * 4);
    if (!ds_failed(&status)) {
        status = spatial_order ? ds_spatial_order(canonical.skin_positions, canonical.skin_count,
                                                  spatial_order)
                               : ds_error(DS_ERR_NO_MEMORY, "cannot allocate a spatial order");
    }
    uint32_t segments = ds_dsv_segment_count(sequence->frame_count, s->segment_frames);
    for (uint32_t segment = 0; segment < segments && !ds_failed(&status); segment++) {
        uint32_t first = segment * s->segment_frames;
        frames.count = sequence->frame_count - first < s->segment_frames
                           ? sequence->frame_count - first
                           : s->segment_frames;
        pack_reporter reporter = {progress, context, first, frames.count, sequence->frame_count};
        for (uint32_t t = 0; t < frames.count && !ds_failed(&status); t++) {
            status = sequence->load(sequence->context, first + t, &frames.frames[t]);
            if (!ds_failed(&status)) {
                status = report_progress(&reporter, "reading frames",
                                         SHARE_READ * (t + 1) / frames.count);
            }
        }
        layer_bytes bytes = {0};
        if (!ds_failed(&status)) {
            status = encode_segment(&canonical, spatial_order, &frames, s, extent, &reporter,
                                    &bytes, &report->corrections);
        }
        if (!ds_failed(&status) && sequence->audio) {
            const ds_dsv_header *h = &writer.header;
            status = ds_audio_track_segment_layer(
                sequence->audio,
                ds_audio_frame_start(first, h->audio_sample_rate, h->fps_numerator,
                                     h->fps_denominator),
                ds_audio_frame_start(first + frames.count, h->audio_sample_rate, h->fps_numerator,
                                     h->fps_denominator),
                &bytes.kinds[DS_DSV_AUDIO]);
        }
        if (!ds_failed(&status)) {
            status = write_segment(&writer, first, frames.count, &bytes, report);
        }
        for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
            ds_byte_buffer_free(&bytes.kinds[kind]);
        }
        if (!ds_failed(&status)) {
            status = report_progress(&reporter, "written", 1.0);
        }
    }
    segment_frames_free(&frames, capacity);
    free(spatial_order);
    ds_dsv_canonical_free(&canonical);
    if (!ds_failed(&status)) {
        report->file_bytes = writer.offset;
        status = ds_dsv_writer_finish(&writer);
    } else {
        ds_dsv_writer_abort(&writer);
    }
    report->seconds = seconds_now() - start;
    return status;
}
