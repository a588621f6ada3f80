#include "dualgs_files.h"

#include "file_io.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t BINDING_MAGIC[8] = {'D', 'S', 'B', 'I', 'N', 'D', 0, 0};
static const uint8_t FRAME_MAGIC[8] = {'D', 'S', 'F', 'R', 'A', 'M', 'E', 0};
enum { BINDING_VERSION = 1, FRAME_VERSION = 1 };
#define DUALGS_FILE_MAX_BYTES ((size_t)8 << 30)

static void append_floats(ds_byte_buffer *out, const float *values, size_t count) {
    for (size_t i = 0; i < count; i++) {
        ds_byte_buffer_append_f32le(out, values[i]);
    }
}

static void append_checksum(ds_byte_buffer *out) {
    ds_byte_buffer_append_u32le(out, (uint32_t)crc32_z(0, out->data, out->size));
}

/* Checks magic and checksum, and positions a reader after the magic. */
static ds_status open_reader(const uint8_t *data, size_t size, const uint8_t magic[8],
                             const char *what, ds_byte_reader *reader) {
    if (size < 8 + 4 + 4 || memcmp(data, magic, 8) != 0) {
        return ds_error(DS_ERR_FORMAT, "not a dualsplat %s file", what);
    }
    if (ds_load_u32le(data + size - 4) != (uint32_t)crc32_z(0, data, size - 4)) {
        return ds_error(DS_ERR_FORMAT, "%s file is damaged (checksum mismatch)", what);
    }
    *reader = ds_byte_reader_make(data + 8, size - 8 - 4);
    return ds_ok();
}

static bool read_floats(ds_byte_reader *reader, float *values, size_t count) {
    if (count > ds_byte_reader_remaining(reader) / 4) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        ds_byte_reader_f32le(reader, &values[i]);
    }
    return true;
}

ds_status ds_binding_encode(const ds_binding *b, ds_byte_buffer *out) {
    ds_byte_buffer_append(out, BINDING_MAGIC, sizeof BINDING_MAGIC);
    ds_byte_buffer_append_u32le(out, BINDING_VERSION);
    ds_byte_buffer_append_u64le(out, b->count);
    ds_byte_buffer_append_u64le(out, b->joint_count);
    ds_byte_buffer_append_u32le(out, (uint32_t)b->k);
    size_t entries = b->count * (size_t)b->k;
    for (size_t e = 0; e < entries; e++) {
        ds_byte_buffer_append_u32le(out, b->joints[e]);
    }
    append_floats(out, b->weights, entries);
    append_checksum(out);
    return ds_byte_buffer_status(out);
}

ds_status ds_binding_decode(const uint8_t *data, size_t size, ds_binding *b) {
    memset(b, 0, sizeof *b);
    ds_byte_reader reader;
    ds_status status = open_reader(data, size, BINDING_MAGIC, "binding", &reader);
    if (ds_failed(&status)) {
        return status;
    }
    uint32_t version, k;
    uint64_t count, joints;
    if (!ds_byte_reader_u32le(&reader, &version) || version != BINDING_VERSION ||
        !ds_byte_reader_u64le(&reader, &count) || !ds_byte_reader_u64le(&reader, &joints) ||
        !ds_byte_reader_u32le(&reader, &k)) {
        return ds_error(DS_ERR_FORMAT, "binding file header is malformed or from another version");
    }
    /* Joints can go unused by the skin, but never vastly more than the skin's entries: a
     * larger count is damage, and would size the joint index from a few bytes of input. */
    if (k != DS_BINDING_K || joints == 0 || count > DS_GAUSSIAN_CLOUD_MAX_COUNT ||
        joints > count * DS_BINDING_K + 65536 ||
        count * DS_BINDING_K * 8 != ds_byte_reader_remaining(&reader)) {
        return ds_error(DS_ERR_FORMAT, "binding file sizes do not match its contents");
    }
    status = ds_binding_create((size_t)count, (size_t)joints, b);
    if (ds_failed(&status)) {
        return status;
    }
    size_t entries = (size_t)count * DS_BINDING_K;
    for (size_t e = 0; e < entries; e++) {
        ds_byte_reader_u32le(&reader, &b->joints[e]);
    }
    read_floats(&reader, b->weights, entries);
    status = ds_binding_index(b); /* also checks every joint index */
    if (ds_failed(&status)) {
        ds_binding_free(b);
    }
    return status;
}

ds_status ds_frame_encode(uint32_t frame, const ds_joint_transforms *t,
                          const ds_gaussian_cloud *skin, ds_byte_buffer *out) {
    ds_byte_buffer_append(out, FRAME_MAGIC, sizeof FRAME_MAGIC);
    ds_byte_buffer_append_u32le(out, FRAME_VERSION);
    ds_byte_buffer_append_u32le(out, frame);
    ds_byte_buffer_append_u64le(out, t->count);
    ds_byte_buffer_append_u64le(out, skin->count);
    ds_byte_buffer_append_u32le(out, (uint32_t)skin->sh_degree);
    append_floats(out, t->rotations, t->count * 4);
    append_floats(out, t->translations, t->count * 3);
    append_floats(out, skin->opacity_logits, skin->count);
    append_floats(out, skin->log_scales, skin->count * 3);
    append_floats(out, skin->sh, skin->count * ds_gaussian_cloud_sh_stride(skin));
    append_checksum(out);
    return ds_byte_buffer_status(out);
}

ds_status ds_frame_decode(const uint8_t *data, size_t size, uint32_t *frame, ds_joint_transforms *t,
                          ds_gaussian_cloud **skin) {
    *skin = NULL;
    memset(t, 0, sizeof *t);
    ds_byte_reader reader;
    ds_status status = open_reader(data, size, FRAME_MAGIC, "frame", &reader);
    if (ds_failed(&status)) {
        return status;
    }
    uint32_t version, degree;
    uint64_t joints, count;
    if (!ds_byte_reader_u32le(&reader, &version) || version != FRAME_VERSION ||
        !ds_byte_reader_u32le(&reader, frame) || !ds_byte_reader_u64le(&reader, &joints) ||
        !ds_byte_reader_u64le(&reader, &count) || !ds_byte_reader_u32le(&reader, &degree)) {
        return ds_error(DS_ERR_FORMAT, "frame file header is malformed or from another version");
    }
    if (degree > DS_SH_MAX_DEGREE || joints > DS_GAUSSIAN_CLOUD_MAX_COUNT ||
        count > DS_GAUSSIAN_CLOUD_MAX_COUNT) {
        return ds_error(DS_ERR_FORMAT, "frame file header is malformed");
    }
    size_t stride = (size_t)ds_sh_coeff_count((int)degree) * 3;
    if ((joints * 7 + count * (1 + 3 + stride)) * 4 != ds_byte_reader_remaining(&reader)) {
        return ds_error(DS_ERR_FORMAT, "frame file sizes do not match its contents");
    }
    status = ds_joint_transforms_create((size_t)joints, t);
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create((size_t)count, (int)degree, skin);
    }
    if (ds_failed(&status)) {
        ds_joint_transforms_free(t);
        return status;
    }
    read_floats(&reader, t->rotations, t->count * 4);
    read_floats(&reader, t->translations, t->count * 3);
    read_floats(&reader, (*skin)->opacity_logits, (size_t)count);
    read_floats(&reader, (*skin)->log_scales, (size_t)count * 3);
    read_floats(&reader, (*skin)->sh, (size_t)count * stride);
    return ds_ok();
}

static ds_status save(const char *path, ds_status (*encode)(const void *, ds_byte_buffer *),
                      const void *what) {
    ds_byte_buffer bytes = {0};
    ds_status status = encode(what, &bytes);
    if (!ds_failed(&status)) {
        status = ds_file_write_atomic(path, bytes.data, bytes.size);
    }
    ds_byte_buffer_free(&bytes);
    return status;
}

static ds_status encode_binding(const void *what, ds_byte_buffer *out) {
    return ds_binding_encode(what, out);
}

ds_status ds_binding_save(const char *path, const ds_binding *binding) {
    return save(path, encode_binding, binding);
}

typedef struct frame_parts {
    uint32_t frame;
    const ds_joint_transforms *transforms;
    const ds_gaussian_cloud *skin;
} frame_parts;

static ds_status encode_frame(const void *what, ds_byte_buffer *out) {
    const frame_parts *parts = what;
    return ds_frame_encode(parts->frame, parts->transforms, parts->skin, out);
}

ds_status ds_frame_save(const char *path, uint32_t frame, const ds_joint_transforms *transforms,
                        const ds_gaussian_cloud *skin) {
    frame_parts parts = {frame, transforms, skin};
    return save(path, encode_frame, &parts);
}

ds_status ds_binding_load(const char *path, ds_binding *binding) {
    uint8_t *data;
    size_t size;
    memset(binding, 0, sizeof *binding);
    ds_status status = ds_file_read_all(path, DUALGS_FILE_MAX_BYTES, &data, &size);
    if (!ds_failed(&status)) {
        status = ds_binding_decode(data, size, binding);
        free(data);
    }
    return status;
}

ds_status ds_frame_load(const char *path, uint32_t *frame, ds_joint_transforms *transforms,
                        ds_gaussian_cloud **skin) {
    uint8_t *data;
    size_t size;
    *skin = NULL;
    memset(transforms, 0, sizeof *transforms);
    ds_status status = ds_file_read_all(path, DUALGS_FILE_MAX_BYTES, &data, &size);
    if (!ds_failed(&status)) {
        status = ds_frame_decode(data, size, frame, transforms, skin);
        free(data);
    }
    return status;
}
