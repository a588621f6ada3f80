#include "dsv_container.h"

#include <string.h>
#include <zlib.h>

const uint8_t ds_dsv_magic[8] = {0x89, 'D', 'S', 'V', '\r', '\n', 0x1a, '\n'};
static const uint8_t SEGMENT_MAGIC[4] = {'D', 'S', 'S', 'G'};
enum { SEGMENT_VERSION = 1 };

static uint32_t crc(const uint8_t *data, size_t size) {
    return (uint32_t)crc32_z(0, data, size);
}

static void store_u64(uint8_t *p, uint64_t v) {
    ds_store_u32le(p, (uint32_t)v);
    ds_store_u32le(p + 4, (uint32_t)(v >> 32));
}

static const char *const UP_AXIS_NAMES[DS_DSV_UP_AXES] = {"unspecified", "+x", "-x", "+y",
                                                          "-y",          "+z", "-z"};

void ds_dsv_up_vector(ds_dsv_up_axis axis, double up[3]) {
    up[0] = up[1] = up[2] = 0.0;
    if (axis <= DS_DSV_UP_UNSPECIFIED || axis >= DS_DSV_UP_AXES) {
        up[1] = -1.0;
        return;
    }
    int index = (axis - 1) / 2;
    up[index] = (axis - 1) % 2 == 0 ? 1.0 : -1.0;
}

const char *ds_dsv_up_axis_name(ds_dsv_up_axis axis) {
    return axis < DS_DSV_UP_AXES ? UP_AXIS_NAMES[axis] : "unknown";
}

bool ds_dsv_up_axis_parse(const char *name, ds_dsv_up_axis *axis) {
    for (int a = 0; a < DS_DSV_UP_AXES; a++) {
        if (strcmp(name, UP_AXIS_NAMES[a]) == 0) {
            *axis = (ds_dsv_up_axis)a;
            return true;
        }
    }
    return false;
}

void ds_dsv_header_encode(const ds_dsv_header *h, uint8_t out[DS_DSV_HEADER_SIZE]) {
    memset(out, 0, DS_DSV_HEADER_SIZE);
    memcpy(out, ds_dsv_magic, 8);
    ds_store_u16le(out + 8, h->version_major);
    ds_store_u16le(out + 10, h->version_minor);
    ds_store_u32le(out + 12, h->frame_count);
    ds_store_u32le(out + 16, h->fps_numerator);
    ds_store_u32le(out + 20, h->fps_denominator);
    ds_store_u32le(out + 24, h->segment_frames);
    ds_store_u32le(out + 28, h->segment_count);
    store_u64(out + 32, h->init_offset);
    ds_store_u32le(out + 40, h->init_size);
    ds_store_u32le(out + 44, h->init_crc);
    ds_store_u32le(out + 48, h->index_crc);
    out[52] = (uint8_t)h->up_axis;
    out[53] = (uint8_t)h->audio_codec;
    out[54] = (uint8_t)h->audio_channels;
    ds_store_u32le(out + 56, h->audio_sample_rate);
    ds_store_u32le(out + 60, crc(out, 60));
}

ds_status ds_dsv_header_decode(const uint8_t *data, size_t size, ds_dsv_header *h) {
    if (size < DS_DSV_HEADER_SIZE || memcmp(data, ds_dsv_magic, 8) != 0) {
        return ds_error(DS_ERR_FORMAT, "not a .dsv stream");
    }
    memset(h, 0, sizeof *h);
    h->version_major = ds_load_u16le(data + 8);
    h->version_minor = ds_load_u16le(data + 10);
    if (h->version_major != DS_DSV_VERSION_MAJOR) {
        return ds_error(DS_ERR_UNSUPPORTED, ".dsv version %u.%u is not supported (this reads %d.x)",
                        h->version_major, h->version_minor, DS_DSV_VERSION_MAJOR);
    }
    if (ds_load_u32le(data + 60) != crc(data, 60)) {
        return ds_error(DS_ERR_FORMAT, "the stream's header is damaged (checksum mismatch)");
    }
    h->frame_count = ds_load_u32le(data + 12);
    h->fps_numerator = ds_load_u32le(data + 16);
    h->fps_denominator = ds_load_u32le(data + 20);
    h->segment_frames = ds_load_u32le(data + 24);
    h->segment_count = ds_load_u32le(data + 28);
    h->init_offset = ds_load_u64le(data + 32);
    h->init_size = ds_load_u32le(data + 40);
    h->init_crc = ds_load_u32le(data + 44);
    h->index_crc = ds_load_u32le(data + 48);
    if (data[52] >= DS_DSV_UP_AXES) {
        return ds_error(DS_ERR_FORMAT, "the stream's header names an unknown up axis (%u)",
                        data[52]);
    }
    h->up_axis = (ds_dsv_up_axis)data[52];
    h->audio_codec = data[53] < DS_AUDIO_CODECS ? (ds_audio_codec)data[53] : DS_AUDIO_NONE;
    h->audio_channels = data[54];
    h->audio_sample_rate = ds_load_u32le(data + 56);
    if (data[53] >= DS_AUDIO_CODECS ||
        (h->audio_codec != DS_AUDIO_NONE &&
         (h->audio_channels == 0 || h->audio_channels > DS_AUDIO_MAX_CHANNELS ||
          h->audio_sample_rate < DS_AUDIO_MIN_RATE || h->audio_sample_rate > DS_AUDIO_MAX_RATE))) {
        return ds_error(DS_ERR_FORMAT, "the stream's header describes its sound wrongly");
    }
    if (h->frame_count == 0 || h->frame_count > DS_DSV_MAX_FRAMES || h->segment_frames == 0 ||
        h->fps_numerator == 0 || h->fps_denominator == 0) {
        return ds_error(DS_ERR_FORMAT, "the stream's header has invalid frame counts or rate");
    }
    if (h->segment_count != ds_dsv_segment_count(h->frame_count, h->segment_frames)) {
        return ds_error(DS_ERR_FORMAT, "the stream's header has an inconsistent segment count");
    }
    if (h->init_offset != ds_dsv_init_offset(h->segment_count) || h->init_size == 0) {
        return ds_error(DS_ERR_FORMAT, "the stream's header places the init block wrongly");
    }
    return ds_ok();
}

void ds_dsv_index_encode(const ds_dsv_segment_entry *entries, uint32_t count, uint8_t *out) {
    for (uint32_t s = 0; s < count; s++) {
        uint8_t *p = out + (size_t)s * DS_DSV_INDEX_ENTRY_SIZE;
        memset(p, 0, DS_DSV_INDEX_ENTRY_SIZE);
        ds_store_u32le(p, entries[s].first_frame);
        ds_store_u32le(p + 4, entries[s].frame_count);
        store_u64(p + 8, entries[s].offset);
        ds_store_u32le(p + 16, entries[s].size);
        ds_store_u32le(p + 20, entries[s].crc);
    }
}

ds_status ds_dsv_index_decode(const uint8_t *data, size_t size, const ds_dsv_header *h,
                              ds_dsv_segment_entry *entries) {
    size_t bytes = (size_t)h->segment_count * DS_DSV_INDEX_ENTRY_SIZE;
    if (size < bytes) {
        return ds_error(DS_ERR_FORMAT, "the stream's index is truncated");
    }
    if (crc(data, bytes) != h->index_crc) {
        return ds_error(DS_ERR_FORMAT, "the stream's index is damaged (checksum mismatch)");
    }
    uint64_t next_offset = h->init_offset + h->init_size;
    for (uint32_t s = 0; s < h->segment_count; s++) {
        const uint8_t *p = data + (size_t)s * DS_DSV_INDEX_ENTRY_SIZE;
        ds_dsv_segment_entry *e = &entries[s];
        e->first_frame = ds_load_u32le(p);
        e->frame_count = ds_load_u32le(p + 4);
        e->offset = ds_load_u64le(p + 8);
        e->size = ds_load_u32le(p + 16);
        e->crc = ds_load_u32le(p + 20);
        uint32_t expected_first = s * h->segment_frames;
        uint32_t expected_frames = h->frame_count - expected_first < h->segment_frames
                                       ? h->frame_count - expected_first
                                       : h->segment_frames;
        if (e->first_frame != expected_first || e->frame_count != expected_frames) {
            return ds_error(DS_ERR_FORMAT, "the stream's index lists segment %u with wrong frames",
                            s);
        }
        if (e->offset != next_offset || e->size < DS_DSV_SEGMENT_HEADER_SIZE ||
            e->size > DS_DSV_MAX_SEGMENT_BYTES) {
            return ds_error(DS_ERR_FORMAT, "the stream's index places segment %u wrongly", s);
        }
        next_offset = e->offset + e->size;
    }
    return ds_ok();
}

ds_status ds_dsv_segment_encode(uint32_t first_frame, uint32_t frames, const ds_dsv_layer *layers,
                                int count, ds_byte_buffer *out) {
    if (count < 0 || count > DS_DSV_MAX_LAYERS) {
        return ds_error(DS_ERR_ARGUMENT, "too many layers in a segment");
    }
    uint8_t header[DS_DSV_SEGMENT_HEADER_SIZE];
    memcpy(header, SEGMENT_MAGIC, 4);
    ds_store_u16le(header + 4, SEGMENT_VERSION);
    ds_store_u16le(header + 6, (uint16_t)count);
    ds_store_u32le(header + 8, first_frame);
    ds_store_u32le(header + 12, frames);
    ds_byte_buffer_append(out, header, sizeof header);
    for (int l = 0; l < count; l++) {
        uint8_t entry[DS_DSV_LAYER_ENTRY_SIZE];
        ds_store_u32le(entry, layers[l].type);
        ds_store_u16le(entry + 4, layers[l].version);
        ds_store_u16le(entry + 6, 0);
        ds_store_u32le(entry + 8, layers[l].size);
        ds_store_u32le(entry + 12, crc(layers[l].data, layers[l].size));
        ds_byte_buffer_append(out, entry, sizeof entry);
    }
    for (int l = 0; l < count; l++) {
        ds_byte_buffer_append(out, layers[l].data, layers[l].size);
    }
    return ds_byte_buffer_status(out);
}

static void layer_name(uint32_t type, char name[5]) {
    for (int i = 0; i < 4; i++) {
        char c = (char)(type >> (8 * i));
        name[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    name[4] = 0;
}

ds_status ds_dsv_segment_parse(const uint8_t *data, size_t size, const ds_dsv_segment_entry *entry,
                               ds_dsv_layer layers[DS_DSV_MAX_LAYERS], int *count) {
    if (size < DS_DSV_SEGMENT_HEADER_SIZE || memcmp(data, SEGMENT_MAGIC, 4) != 0) {
        return ds_error(DS_ERR_FORMAT, "not a segment");
    }
    if (ds_load_u16le(data + 4) != SEGMENT_VERSION) {
        return ds_error(DS_ERR_UNSUPPORTED, "segment version %u is not supported",
                        ds_load_u16le(data + 4));
    }
    int layer_count = ds_load_u16le(data + 6);
    if (ds_load_u32le(data + 8) != entry->first_frame ||
        ds_load_u32le(data + 12) != entry->frame_count) {
        return ds_error(DS_ERR_FORMAT, "segment's frames disagree with the index");
    }
    if (layer_count > DS_DSV_MAX_LAYERS ||
        (size - DS_DSV_SEGMENT_HEADER_SIZE) / DS_DSV_LAYER_ENTRY_SIZE < (size_t)layer_count) {
        return ds_error(DS_ERR_FORMAT, "segment's layer table is invalid");
    }
    size_t offset = DS_DSV_SEGMENT_HEADER_SIZE + (size_t)layer_count * DS_DSV_LAYER_ENTRY_SIZE;
    for (int l = 0; l < layer_count; l++) {
        const uint8_t *p = data + DS_DSV_SEGMENT_HEADER_SIZE + (size_t)l * DS_DSV_LAYER_ENTRY_SIZE;
        ds_dsv_layer *layer = &layers[l];
        layer->type = ds_load_u32le(p);
        layer->version = ds_load_u16le(p + 4);
        layer->size = ds_load_u32le(p + 8);
        char name[5];
        layer_name(layer->type, name);
        if (layer->size > size - offset) {
            return ds_error(DS_ERR_FORMAT, "segment's %s layer runs past the segment", name);
        }
        layer->data = data + offset;
        layer->damaged = crc(layer->data, layer->size) != ds_load_u32le(p + 12);
        if (layer->damaged && layer->type != DS_DSV_LAYER_AUDIO) {
            return ds_error(DS_ERR_FORMAT, "segment's %s layer is damaged (checksum mismatch)",
                            name);
        }
        offset += layer->size;
    }
    *count = layer_count;
    return ds_ok();
}
