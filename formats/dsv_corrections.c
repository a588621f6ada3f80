#include "dsv_corrections.h"

#include "stream_coding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CORRECTIONS_ZSTD_LEVEL = 15 };

ds_status ds_corrections_layer_create(uint32_t gaussians, uint32_t frames, float position_step,
                                      ds_corrections_layer *layer) {
    memset(layer, 0, sizeof *layer);
    if (gaussians == 0 || frames == 0 || !(position_step > 0) || !isfinite(position_step)) {
        return ds_error(DS_ERR_ARGUMENT, "invalid corrections layer");
    }
    layer->gaussians = gaussians;
    layer->frames = frames;
    layer->position_step = position_step;
    layer->starts = calloc((size_t)frames + 1, sizeof *layer->starts);
    if (!layer->starts) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate corrections");
    }
    return ds_ok();
}

static bool reserve(ds_corrections_layer *layer, size_t entries) {
    if (entries <= layer->capacity) {
        return true;
    }
    size_t capacity = layer->capacity ? layer->capacity * 2 : 1024;
    while (capacity < entries) {
        capacity *= 2;
    }
    uint32_t *ids = realloc(layer->ids, capacity * sizeof *ids);
    if (ids) {
        layer->ids = ids;
    }
    int32_t *offsets = realloc(layer->offsets, capacity * 3 * sizeof *offsets);
    if (offsets) {
        layer->offsets = offsets;
    }
    int16_t *rotations = realloc(layer->rotations, capacity * 3 * sizeof *rotations);
    if (rotations) {
        layer->rotations = rotations;
    }
    if (!ids || !offsets || !rotations) {
        return false;
    }
    layer->capacity = capacity;
    return true;
}

ds_status ds_corrections_layer_add(ds_corrections_layer *layer, uint32_t frame, uint32_t id,
                                   const int32_t offset[3], const int16_t rotation[3]) {
    size_t entries = layer->starts[layer->frames];
    if (frame >= layer->frames || id >= layer->gaussians) {
        return ds_error(DS_ERR_ARGUMENT, "correction out of range");
    }
    /* Later frames' starts follow the last entry; an id must exceed the frame's previous one. */
    if (entries > layer->starts[frame] && layer->ids[entries - 1] >= id) {
        return ds_error(DS_ERR_ARGUMENT, "corrections must be added in increasing order");
    }
    for (uint32_t t = frame + 1; t <= layer->frames; t++) {
        if (layer->starts[t] != entries) {
            return ds_error(DS_ERR_ARGUMENT, "corrections must be added frame by frame");
        }
    }
    if (!reserve(layer, entries + 1)) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate corrections");
    }
    layer->ids[entries] = id;
    memcpy(layer->offsets + entries * 3, offset, 3 * sizeof *offset);
    memcpy(layer->rotations + entries * 3, rotation, 3 * sizeof *rotation);
    for (uint32_t t = frame + 1; t <= layer->frames; t++) {
        layer->starts[t] = (uint32_t)entries + 1;
    }
    return ds_ok();
}

void ds_corrections_layer_free(ds_corrections_layer *layer) {
    free(layer->starts);
    free(layer->ids);
    free(layer->offsets);
    free(layer->rotations);
    memset(layer, 0, sizeof *layer);
}

ds_status ds_corrections_layer_encode(const ds_corrections_layer *layer, ds_byte_buffer *out) {
    ds_byte_buffer_append_u32le(out, layer->gaussians);
    ds_byte_buffer_append_u32le(out, layer->frames);
    ds_byte_buffer_append_f32le(out, layer->position_step);
    ds_byte_buffer body = {0};
    for (uint32_t t = 0; t < layer->frames; t++) {
        uint32_t first = layer->starts[t], end = layer->starts[t + 1];
        ds_varint_append(&body, end - first);
        for (uint32_t e = first; e < end; e++) {
            ds_varint_append(&body,
                             e == first ? layer->ids[e] : layer->ids[e] - layer->ids[e - 1] - 1);
        }
        for (uint32_t e = first; e < end; e++) {
            for (int c = 0; c < 3; c++) {
                ds_varint_append(&body, ds_zigzag(layer->offsets[(size_t)e * 3 + (size_t)c]));
            }
        }
        for (uint32_t e = first; e < end; e++) {
            for (int c = 0; c < 3; c++) {
                ds_byte_buffer_append_u16le(&body,
                                            (uint16_t)layer->rotations[(size_t)e * 3 + (size_t)c]);
            }
        }
    }
    ds_status status = ds_byte_buffer_status(&body);
    if (!ds_failed(&status)) {
        status = ds_zstd_block_append(out, body.data, body.size, CORRECTIONS_ZSTD_LEVEL);
    }
    ds_byte_buffer_free(&body);
    return ds_failed(&status) ? status : ds_byte_buffer_status(out);
}

ds_status ds_corrections_layer_decode(const uint8_t *data, size_t size, uint32_t gaussians,
                                      uint32_t frames, ds_corrections_layer *layer) {
    memset(layer, 0, sizeof *layer);
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    uint32_t stored_gaussians, stored_frames;
    float step;
    if (!ds_byte_reader_u32le(&reader, &stored_gaussians) ||
        !ds_byte_reader_u32le(&reader, &stored_frames) || !ds_byte_reader_f32le(&reader, &step)) {
        return ds_error(DS_ERR_FORMAT, "corrections layer is truncated");
    }
    if (stored_gaussians != gaussians || stored_frames != frames) {
        return ds_error(DS_ERR_FORMAT, "corrections layer does not match its segment");
    }
    ds_status status = ds_corrections_layer_create(gaussians, frames, step, layer);
    if (ds_failed(&status)) {
        return status.code == DS_ERR_ARGUMENT
                   ? ds_error(DS_ERR_FORMAT, "corrections layer has an invalid step")
                   : status;
    }
    /* Each correction takes at least 1 + 3 + 6 bytes, each frame at least 1. */
    size_t max_content = (size_t)frames * 5 + (size_t)gaussians * frames * (5 + 15 + 6);
    uint8_t *body;
    size_t body_size;
    status = ds_zstd_block_read(&reader, max_content, &body, &body_size);
    if (ds_failed(&status)) {
        ds_corrections_layer_free(layer);
        return status;
    }
    ds_byte_reader values = ds_byte_reader_make(body, body_size);
    size_t entries = 0;
    for (uint32_t t = 0; t < frames && !ds_failed(&status); t++) {
        uint32_t count;
        if (!ds_varint_read(&values, &count) || count > gaussians ||
            count > ds_byte_reader_remaining(&values) / 10 + 1) {
            status = ds_error(DS_ERR_FORMAT, "corrections of frame %u are invalid", t);
            break;
        }
        if (!reserve(layer, entries + count)) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate corrections");
            break;
        }
        uint64_t id = 0;
        for (uint32_t e = 0; e < count; e++) {
            uint32_t delta;
            if (!ds_varint_read(&values, &delta)) {
                status = ds_error(DS_ERR_FORMAT, "corrections of frame %u are truncated", t);
                break;
            }
            id = e == 0 ? delta : id + delta + 1;
            if (id >= gaussians) {
                status = ds_error(DS_ERR_FORMAT, "correction of a Gaussian that does not exist");
                break;
            }
            layer->ids[entries + e] = (uint32_t)id;
        }
        for (uint32_t e = 0; e < count * 3 && !ds_failed(&status); e++) {
            uint32_t coded;
            if (!ds_varint_read(&values, &coded)) {
                status = ds_error(DS_ERR_FORMAT, "corrections of frame %u are truncated", t);
                break;
            }
            layer->offsets[entries * 3 + e] = ds_unzigzag(coded);
        }
        const uint8_t *bytes;
        if (!ds_failed(&status) && !ds_byte_reader_bytes(&values, (size_t)count * 6, &bytes)) {
            status = ds_error(DS_ERR_FORMAT, "corrections of frame %u are truncated", t);
        }
        for (uint32_t e = 0; e < count * 3 && !ds_failed(&status); e++) {
            layer->rotations[entries * 3 + e] = (int16_t)ds_load_u16le(bytes + e * 2);
        }
        entries += count;
        layer->starts[t + 1] = (uint32_t)entries;
    }
    if (!ds_failed(&status) && ds_byte_reader_remaining(&values) != 0) {
        status = ds_error(DS_ERR_FORMAT, "corrections layer has trailing bytes");
    }
    free(body);
    if (ds_failed(&status)) {
        ds_corrections_layer_free(layer);
    }
    return status;
}

void ds_corrections_rotation(const int16_t stored[3], float q[4]) {
    for (int c = 0; c < 3; c++) {
        q[c + 1] = (float)stored[c] / 32767.0f;
    }
    float w2 = 1.0f - q[1] * q[1] - q[2] * q[2] - q[3] * q[3];
    q[0] = w2 > 0 ? sqrtf(w2) : 0.0f;
    float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (int c = 0; c < 4; c++) {
        q[c] /= norm;
    }
}

void ds_corrections_layer_apply(const ds_corrections_layer *layer, uint32_t t, float *positions,
                                float *rotations) {
    for (uint32_t e = layer->starts[t]; e < layer->starts[t + 1]; e++) {
        size_t g = layer->ids[e];
        for (int c = 0; c < 3; c++) {
            positions[g * 3 + (size_t)c] +=
                (float)layer->offsets[(size_t)e * 3 + (size_t)c] * layer->position_step;
        }
        float c[4], *q = rotations + g * 4, r[4];
        ds_corrections_rotation(layer->rotations + (size_t)e * 3, c);
        r[0] = c[0] * q[0] - c[1] * q[1] - c[2] * q[2] - c[3] * q[3];
        r[1] = c[0] * q[1] + c[1] * q[0] + c[2] * q[3] - c[3] * q[2];
        r[2] = c[0] * q[2] - c[1] * q[3] + c[2] * q[0] + c[3] * q[1];
        r[3] = c[0] * q[3] + c[1] * q[2] - c[2] * q[1] + c[3] * q[0];
        memcpy(q, r, sizeof r);
    }
}
