#include "dsv_reader.h"

#include "spatial_order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    MOTION_VERSION = 1,
    APPEARANCE_VERSION = 1,
    COLOUR_VERSION = 1,
    CORRECTIONS_VERSION = 1,
    AUDIO_VERSION = 1,
};

/* Every layer a segment may carry, by kind (formats/dsv_reader.h). */
static const uint32_t layer_types[DS_DSV_KINDS] = {DS_DSV_LAYER_MOTION, DS_DSV_LAYER_APPEARANCE,
                                                   DS_DSV_LAYER_COLOUR, DS_DSV_LAYER_CORRECTIONS,
                                                   DS_DSV_LAYER_AUDIO};

/* The init block may not exceed this: 2^28 Gaussians at well under 64 bytes each. */
#define INIT_MAX_BYTES ((uint32_t)3 << 30)

static ds_status read_bytes(ds_dsv *dsv, uint64_t offset, size_t size, uint8_t **out) {
    if (offset > dsv->source.size || size > dsv->source.size - offset) {
        return ds_error(DS_ERR_FORMAT, "the stream is truncated");
    }
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes", size);
    }
    ds_status status = dsv->source.read(dsv->source.context, offset, size, bytes);
    if (ds_failed(&status)) {
        free(bytes);
        return status;
    }
    *out = bytes;
    return ds_ok();
}

ds_status ds_dsv_open(ds_byte_source source, ds_dsv **out) {
    ds_dsv *dsv = calloc(1, sizeof *dsv);
    if (!dsv) {
        ds_byte_source_close(&source);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a stream");
    }
    dsv->source = source;
    uint8_t *bytes = NULL;
    ds_status status = read_bytes(dsv, 0, DS_DSV_HEADER_SIZE, &bytes);
    if (status.code == DS_ERR_FORMAT) {
        status = ds_error(DS_ERR_FORMAT, "not a .dsv stream (too short)");
    }
    if (!ds_failed(&status)) {
        status = ds_dsv_header_decode(bytes, DS_DSV_HEADER_SIZE, &dsv->header);
    }
    free(bytes);
    bytes = NULL;
    size_t index_size = (size_t)dsv->header.segment_count * DS_DSV_INDEX_ENTRY_SIZE;
    /* An index the file cannot hold is refused before anything is allocated for it. */
    if (!ds_failed(&status) && DS_DSV_HEADER_SIZE + (uint64_t)index_size > dsv->source.size) {
        status = ds_error(DS_ERR_FORMAT, "the stream is truncated (its index does not fit)");
    }
    if (!ds_failed(&status)) {
        dsv->segments = calloc(dsv->header.segment_count, sizeof *dsv->segments);
        status = dsv->segments ? read_bytes(dsv, DS_DSV_HEADER_SIZE, index_size, &bytes)
                               : ds_error(DS_ERR_NO_MEMORY, "cannot allocate the index");
    }
    if (!ds_failed(&status)) {
        status = ds_dsv_index_decode(bytes, index_size, &dsv->header, dsv->segments);
    }
    free(bytes);
    bytes = NULL;
    if (!ds_failed(&status) && dsv->header.init_size > INIT_MAX_BYTES) {
        status = ds_error(DS_ERR_FORMAT, "the stream's init block is too large");
    }
    if (!ds_failed(&status)) {
        status = read_bytes(dsv, dsv->header.init_offset, dsv->header.init_size, &bytes);
    }
    if (!ds_failed(&status) &&
        (uint32_t)crc32_z(0, bytes, dsv->header.init_size) != dsv->header.init_crc) {
        status = ds_error(DS_ERR_FORMAT, "the stream's init block is damaged (checksum mismatch)");
    }
    if (!ds_failed(&status)) {
        status = ds_dsv_canonical_decode(bytes, dsv->header.init_size, &dsv->canonical);
    }
    free(bytes);
    if (!ds_failed(&status)) {
        dsv->spatial_order = malloc(dsv->canonical.skin_count * sizeof *dsv->spatial_order);
        status = dsv->spatial_order
                     ? ds_spatial_order(dsv->canonical.skin_positions, dsv->canonical.skin_count,
                                        dsv->spatial_order)
                     : ds_error(DS_ERR_NO_MEMORY, "cannot allocate a spatial order");
    }
    if (ds_failed(&status)) {
        ds_dsv_close(dsv);
        return status;
    }
    *out = dsv;
    return ds_ok();
}

ds_status ds_dsv_open_file(const char *path, ds_dsv **dsv) {
    ds_byte_source source;
    ds_status status = ds_file_source_open(path, &source);
    return ds_failed(&status) ? status : ds_dsv_open(source, dsv);
}

bool ds_dsv_file_is_stream(const char *path) {
    ds_byte_source source;
    ds_status status = ds_file_source_open(path, &source);
    if (ds_failed(&status)) {
        return false;
    }
    uint8_t magic[sizeof ds_dsv_magic];
    bool match = source.size >= sizeof magic &&
                 source.read(source.context, 0, sizeof magic, magic).code == DS_OK &&
                 memcmp(magic, ds_dsv_magic, sizeof magic) == 0;
    ds_byte_source_close(&source);
    return match;
}

void ds_dsv_close(ds_dsv *dsv) {
    if (!dsv) {
        return;
    }
    ds_byte_source_close(&dsv->source);
    free(dsv->segments);
    free(dsv->spatial_order);
    ds_dsv_canonical_free(&dsv->canonical);
    free(dsv);
}

int64_t ds_dsv_audio_frame_start(const ds_dsv *dsv, uint32_t frame) {
    const ds_dsv_header *h = &dsv->header;
    return ds_audio_frame_start(frame, h->audio_sample_rate, h->fps_numerator, h->fps_denominator);
}

void ds_dsv_segment_sound_stretch(const ds_dsv *dsv, uint32_t s, int64_t *start, uint32_t *length) {
    const ds_dsv_segment_entry *entry = &dsv->segments[s];
    *start = ds_dsv_audio_frame_start(dsv, entry->first_frame);
    *length =
        (uint32_t)(ds_dsv_audio_frame_start(dsv, entry->first_frame + entry->frame_count) - *start);
}

/* The segment's sound, or what kept it from being had: damage here never fails the segment. */
static void decode_audio(const ds_dsv *dsv, const ds_dsv_layer *layer, ds_dsv_segment *segment) {
    if (!layer) {
        snprintf(segment->audio_problem, sizeof segment->audio_problem, "its sound is missing");
        return;
    }
    ds_status status =
        ds_audio_layer_decode(layer->data, layer->size,
                              ds_dsv_audio_frame_start(dsv, segment->first_frame), &segment->audio);
    if (!ds_failed(&status) && (segment->audio.codec != dsv->header.audio_codec ||
                                segment->audio.channels != dsv->header.audio_channels ||
                                segment->audio.sample_rate != dsv->header.audio_sample_rate)) {
        ds_audio_layer_free(&segment->audio);
        status = ds_error(DS_ERR_FORMAT, "its sound disagrees with the stream's header");
    }
    if (ds_failed(&status)) {
        snprintf(segment->audio_problem, sizeof segment->audio_problem, "its sound is lost (%s)",
                 status.message);
        return;
    }
    segment->has_audio = true;
    if (segment->audio.damaged_packets) {
        snprintf(segment->audio_problem, sizeof segment->audio_problem,
                 "%u damaged audio packet%s skipped", segment->audio.damaged_packets,
                 segment->audio.damaged_packets == 1 ? "" : "s");
    }
}

static ds_status decode_layers(const ds_dsv *dsv, const ds_dsv_layer *layers, int count,
                               ds_dsv_segment *segment) {
    const ds_dsv_canonical *c = &dsv->canonical;
    uint32_t n = (uint32_t)c->skin_count, frames = segment->frames;
    static const uint16_t versions[DS_DSV_KINDS] = {
        MOTION_VERSION, APPEARANCE_VERSION, COLOUR_VERSION, CORRECTIONS_VERSION, AUDIO_VERSION};
    static const char *names[DS_DSV_KINDS] = {"motion", "opacity/scale", "colour", "corrections",
                                              "audio"};
    const ds_dsv_layer *found[DS_DSV_KINDS] = {0};
    for (int l = 0; l < count; l++) {
        for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
            if (layers[l].type != layer_types[kind]) {
                continue;
            }
            if (found[kind]) {
                return ds_error(DS_ERR_FORMAT, "two %s layers", names[kind]);
            }
            if (layers[l].version != versions[kind]) {
                return ds_error(DS_ERR_UNSUPPORTED, "%s layer version %u is not supported",
                                names[kind], layers[l].version);
            }
            found[kind] = &layers[l];
            segment->layer_bytes[kind] = layers[l].size;
        }
    }
    for (int kind = 0; kind < DS_DSV_CORRECTIONS; kind++) {
        if (!found[kind]) {
            return ds_error(DS_ERR_FORMAT, "no %s layer", names[kind]);
        }
    }
    ds_status status =
        ds_motion_layer_decode(found[DS_DSV_MOTION]->data, found[DS_DSV_MOTION]->size,
                               (uint32_t)c->joint_count, frames, &segment->motion);
    if (!ds_failed(&status)) {
        status = ds_appearance_layer_decode(found[DS_DSV_APPEARANCE]->data,
                                            found[DS_DSV_APPEARANCE]->size, n, frames,
                                            dsv->spatial_order, &segment->appearance);
    }
    if (!ds_failed(&status)) {
        status = ds_colour_layer_decode(found[DS_DSV_COLOUR]->data, found[DS_DSV_COLOUR]->size, n,
                                        c->sh_degree, frames, &segment->colour);
    }
    if (!ds_failed(&status) && found[DS_DSV_CORRECTIONS]) {
        status = ds_corrections_layer_decode(found[DS_DSV_CORRECTIONS]->data,
                                             found[DS_DSV_CORRECTIONS]->size, n, frames,
                                             &segment->corrections);
        segment->has_corrections = !ds_failed(&status);
    }
    if (!ds_failed(&status) && dsv->header.audio_codec != DS_AUDIO_NONE) {
        decode_audio(dsv, found[DS_DSV_AUDIO], segment);
    }
    return status;
}

static bool has_damaged_layer(const ds_dsv_layer *layers, int count) {
    for (int l = 0; l < count; l++) {
        if (layers[l].damaged) {
            return true;
        }
    }
    return false;
}

ds_status ds_dsv_decode_segment(const ds_dsv *dsv, uint32_t s, const uint8_t *bytes, size_t size,
                                ds_dsv_segment *segment) {
    memset(segment, 0, sizeof *segment);
    if (s >= dsv->header.segment_count) {
        return ds_error(DS_ERR_ARGUMENT, "segment %u does not exist", s);
    }
    const ds_dsv_segment_entry *entry = &dsv->segments[s];
    segment->index = s;
    segment->first_frame = entry->first_frame;
    segment->frames = entry->frame_count;
    if (size != entry->size) {
        return ds_error(DS_ERR_FORMAT, "segment %u (frames %u-%u) is damaged (checksum mismatch)",
                        s, entry->first_frame, entry->first_frame + entry->frame_count - 1);
    }
    /* The segment's checksum settles it when it matches; when it does not, the layers' own
     * checksums say whether the damage is confined to the sound, which can lose packets and
     * keep the picture. */
    bool intact = (uint32_t)crc32_z(0, bytes, size) == entry->crc;
    ds_dsv_layer layers[DS_DSV_MAX_LAYERS];
    int count = 0;
    ds_status status = ds_dsv_segment_parse(bytes, size, entry, layers, &count);
    if (!intact && (ds_failed(&status) || !has_damaged_layer(layers, count))) {
        return ds_error(DS_ERR_FORMAT, "segment %u (frames %u-%u) is damaged (checksum mismatch)",
                        s, entry->first_frame, entry->first_frame + entry->frame_count - 1);
    }
    if (!ds_failed(&status)) {
        status = decode_layers(dsv, layers, count, segment);
    }
    if (ds_failed(&status)) {
        ds_dsv_segment_free(segment);
        return ds_error(status.code, "segment %u (frames %u-%u): %s", s, entry->first_frame,
                        entry->first_frame + entry->frame_count - 1, status.message);
    }
    return ds_ok();
}

ds_status ds_dsv_read_segment(ds_dsv *dsv, uint32_t s, ds_dsv_segment *segment) {
    memset(segment, 0, sizeof *segment);
    if (s >= dsv->header.segment_count) {
        return ds_error(DS_ERR_ARGUMENT, "segment %u does not exist", s);
    }
    const ds_dsv_segment_entry *entry = &dsv->segments[s];
    uint8_t *bytes;
    ds_status status = read_bytes(dsv, entry->offset, entry->size, &bytes);
    if (ds_failed(&status)) {
        return ds_error(status.code, "segment %u (frames %u-%u) is missing: %s", s,
                        entry->first_frame, entry->first_frame + entry->frame_count - 1,
                        status.code == DS_ERR_FORMAT ? "the file ends before it" : status.message);
    }
    status = ds_dsv_decode_segment(dsv, s, bytes, entry->size, segment);
    free(bytes);
    return status;
}

ds_status ds_dsv_segment_layer_sizes(ds_dsv *dsv, uint32_t s, uint64_t sizes[DS_DSV_KINDS]) {
    const ds_dsv_segment_entry *entry = &dsv->segments[s];
    if (entry->offset > dsv->source.size || entry->size > dsv->source.size - entry->offset) {
        return ds_error(DS_ERR_FORMAT, "segment %u is missing: the file ends before it", s);
    }
    uint8_t header[DS_DSV_SEGMENT_HEADER_SIZE];
    ds_status status = dsv->source.read(dsv->source.context, entry->offset, sizeof header, header);
    if (ds_failed(&status)) {
        return status;
    }
    uint32_t layers = (uint32_t)(header[6] | header[7] << 8);
    if (layers > DS_DSV_MAX_LAYERS ||
        DS_DSV_SEGMENT_HEADER_SIZE + (uint64_t)layers * DS_DSV_LAYER_ENTRY_SIZE > entry->size) {
        return ds_error(DS_ERR_FORMAT, "segment %u has an invalid layer table", s);
    }
    uint8_t table[DS_DSV_MAX_LAYERS * DS_DSV_LAYER_ENTRY_SIZE];
    status = dsv->source.read(dsv->source.context, entry->offset + DS_DSV_SEGMENT_HEADER_SIZE,
                              layers * DS_DSV_LAYER_ENTRY_SIZE, table);
    if (ds_failed(&status)) {
        return status;
    }
    for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
        sizes[kind] = 0;
    }
    for (uint32_t l = 0; l < layers; l++) {
        const uint8_t *p = table + l * DS_DSV_LAYER_ENTRY_SIZE;
        for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
            if (ds_load_u32le(p) == layer_types[kind]) {
                sizes[kind] += ds_load_u32le(p + 8);
            }
        }
    }
    return ds_ok();
}

void ds_dsv_segment_free(ds_dsv_segment *segment) {
    ds_motion_layer_free(&segment->motion);
    ds_appearance_layer_free(&segment->appearance);
    ds_colour_layer_free(&segment->colour);
    ds_corrections_layer_free(&segment->corrections);
    ds_audio_layer_free(&segment->audio);
    memset(segment, 0, sizeof *segment);
}

ds_status ds_dsv_frame_create(const ds_dsv *dsv, ds_dsv_frame *frame) {
    memset(frame, 0, sizeof *frame);
    const ds_dsv_canonical *c = &dsv->canonical;
    size_t n = c->skin_count;
    frame->colour_local = -1;
    ds_status status = ds_joint_transforms_create(c->joint_count, &frame->transforms);
    if (ds_failed(&status)) {
        return status;
    }
    frame->opacity_logits = malloc(n * sizeof(float));
    frame->log_scales = malloc(n * 3 * sizeof(float));
    frame->sh = malloc(n * 3 * (size_t)((c->sh_degree + 1) * (c->sh_degree + 1)) * sizeof(float));
    bool ok = frame->opacity_logits && frame->log_scales && frame->sh;
    for (int d = 0; d <= c->sh_degree && ok; d++) {
        frame->colour_indices[d] = malloc(n * sizeof(uint32_t));
        ok = frame->colour_indices[d] != NULL;
    }
    if (!ok) {
        ds_dsv_frame_free(frame);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a frame of %zu Gaussians", n);
    }
    return ds_ok();
}

ds_status ds_dsv_frame_decode(const ds_dsv *dsv, const ds_dsv_segment *segment, uint32_t local,
                              ds_dsv_frame *frame) {
    if (local >= segment->frames) {
        return ds_error(DS_ERR_ARGUMENT, "frame %u is not in segment %u", local, segment->index);
    }
    frame->frame = segment->first_frame + local;
    ds_motion_layer_transforms(&segment->motion, local, dsv->canonical.joint_positions,
                               &frame->transforms);
    ds_appearance_layer_frame(&segment->appearance, local, frame->opacity_logits,
                              frame->log_scales);
    if (frame->colour_segment == segment->index && frame->colour_local >= 0 &&
        frame->colour_local + 1 == (int64_t)local) {
        ds_colour_layer_apply_changes(&segment->colour, local, frame->colour_indices);
    } else if (!(frame->colour_segment == segment->index && frame->colour_local == local)) {
        ds_status status =
            ds_colour_layer_indices_at(&segment->colour, local, frame->colour_indices);
        if (ds_failed(&status)) {
            frame->colour_local = -1;
            return status;
        }
    }
    frame->colour_segment = segment->index;
    frame->colour_local = local;
    ds_colour_layer_expand(&segment->colour, frame->colour_indices, frame->sh);
    return ds_ok();
}

void ds_dsv_frame_free(ds_dsv_frame *frame) {
    ds_joint_transforms_free(&frame->transforms);
    free(frame->opacity_logits);
    free(frame->log_scales);
    free(frame->sh);
    for (int d = 0; d < 4; d++) {
        free(frame->colour_indices[d]);
    }
    memset(frame, 0, sizeof *frame);
}
