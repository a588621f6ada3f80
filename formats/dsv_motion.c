#include "dsv_motion.h"

#include "stream_coding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MOTION_ZSTD_LEVEL = 19 };

ds_status ds_motion_layer_create(uint32_t joints, uint32_t frames, int bits, int stages,
                                 const uint32_t *entries, ds_motion_layer *layer) {
    memset(layer, 0, sizeof *layer);
    if (joints == 0 || frames == 0 || bits < DS_MOTION_MIN_BITS || bits > DS_MOTION_MAX_BITS ||
        stages < 0 || stages > DS_MOTION_MAX_STAGES) {
        return ds_error(DS_ERR_ARGUMENT, "invalid motion layer shape");
    }
    layer->joints = joints;
    layer->frames = frames;
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        layer->bits[c] = bits;
    }
    layer->stages = stages;
    size_t values = (size_t)frames * joints * DS_MOTION_CHANNELS;
    layer->values = calloc(values, sizeof *layer->values);
    bool ok = layer->values != NULL;
    for (int s = 0; s < stages && ok; s++) {
        if (entries[s] == 0 || entries[s] > DS_MOTION_MAX_ENTRIES) {
            ds_motion_layer_free(layer);
            return ds_error(DS_ERR_ARGUMENT, "invalid motion codebook size");
        }
        layer->entries[s] = entries[s];
        layer->codebooks[s] = calloc((size_t)entries[s] * DS_MOTION_CHANNELS, sizeof(int16_t));
        layer->indices[s] = calloc((size_t)(frames - 1) * joints + 1, sizeof(uint16_t));
        ok = layer->codebooks[s] && layer->indices[s];
    }
    if (!ok) {
        ds_motion_layer_free(layer);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the motion of %u joints", joints);
    }
    return ds_ok();
}

void ds_motion_layer_free(ds_motion_layer *layer) {
    free(layer->values);
    for (int s = 0; s < DS_MOTION_MAX_STAGES; s++) {
        free(layer->codebooks[s]);
        free(layer->indices[s]);
    }
    memset(layer, 0, sizeof *layer);
}

/* Sum of the stages' codewords for channel c of residual number `at` ((t - 1) * joints + j). */
static int32_t quantised_residual(const ds_motion_layer *layer, size_t at, int c) {
    int32_t sum = 0;
    for (int s = 0; s < layer->stages; s++) {
        sum += layer->codebooks[s][(size_t)layer->indices[s][at] * DS_MOTION_CHANNELS + (size_t)c];
    }
    return sum;
}

ds_status ds_motion_layer_encode(const ds_motion_layer *layer, ds_byte_buffer *out) {
    ds_byte_buffer_append_u32le(out, layer->joints);
    ds_byte_buffer_append_u32le(out, layer->frames);
    ds_byte_buffer_append_u8(out, (uint8_t)layer->stages);
    ds_byte_buffer_append_u8(out, (uint8_t)layer->predictor);
    ds_byte_buffer_append(out, "\0\0", 2);
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        ds_byte_buffer_append_u8(out, (uint8_t)layer->bits[c]);
    }
    ds_byte_buffer_append_u8(out, 0);
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        ds_byte_buffer_append_f32le(out, layer->base_lo[c]);
        ds_byte_buffer_append_f32le(out, layer->base_hi[c]);
    }
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        ds_byte_buffer_append_f32le(out, layer->lo[c]);
        ds_byte_buffer_append_f32le(out, layer->hi[c]);
    }
    for (int s = 0; s < layer->stages; s++) {
        ds_byte_buffer_append_u16le(out, (uint16_t)layer->entries[s]);
        for (size_t e = 0; e < (size_t)layer->entries[s] * DS_MOTION_CHANNELS; e++) {
            ds_byte_buffer_append_u16le(out, (uint16_t)layer->codebooks[s][e]);
        }
    }
    ds_byte_buffer body = {0};
    size_t joints = layer->joints;
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        for (size_t j = 0; j < joints; j++) {
            ds_byte_buffer_append_u16le(&body, layer->values[j * DS_MOTION_CHANNELS + (size_t)c]);
        }
    }
    size_t residuals = (size_t)(layer->frames - 1) * joints;
    for (int s = 0; s < layer->stages; s++) {
        for (size_t r = 0; r < residuals; r++) {
            uint16_t index = layer->indices[s][r];
            ds_byte_buffer_append_u8(&body, (uint8_t)index);
            if (layer->entries[s] > 256) {
                ds_byte_buffer_append_u8(&body, (uint8_t)(index >> 8));
            }
        }
    }
    for (uint32_t t = 1; t < layer->frames; t++) {
        for (size_t j = 0; j < joints; j++) {
            for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
                int32_t value =
                    layer->values[((size_t)t * joints + j) * DS_MOTION_CHANNELS + (size_t)c];
                int32_t leftover = value - ds_motion_prediction(layer, t, j, c) -
                                   quantised_residual(layer, (t - 1) * joints + j, c);
                ds_varint_append(&body, ds_zigzag(leftover));
            }
        }
    }
    ds_status status = ds_byte_buffer_status(&body);
    if (!ds_failed(&status)) {
        status = ds_zstd_block_append(out, body.data, body.size, MOTION_ZSTD_LEVEL);
    }
    ds_byte_buffer_free(&body);
    return ds_failed(&status) ? status : ds_byte_buffer_status(out);
}

static ds_status read_header(ds_byte_reader *reader, uint32_t joints, uint32_t frames,
                             int bits[DS_MOTION_CHANNELS], int *stages, int *predictor,
                             uint32_t *entries) {
    uint32_t stored_joints, stored_frames;
    uint8_t s, p;
    const uint8_t *b;
    if (!ds_byte_reader_u32le(reader, &stored_joints) ||
        !ds_byte_reader_u32le(reader, &stored_frames) || !ds_byte_reader_u8(reader, &s) ||
        !ds_byte_reader_u8(reader, &p) || !ds_byte_reader_skip(reader, 2) ||
        !ds_byte_reader_bytes(reader, DS_MOTION_CHANNELS + 1, &b)) {
        return ds_error(DS_ERR_FORMAT, "motion layer is truncated");
    }
    if (stored_joints != joints || stored_frames != frames) {
        return ds_error(DS_ERR_FORMAT, "motion layer holds %u joints x %u frames, not %u x %u",
                        stored_joints, stored_frames, joints, frames);
    }
    if (s > DS_MOTION_MAX_STAGES || p > DS_MOTION_PREDICT_VELOCITY) {
        return ds_error(DS_ERR_FORMAT, "motion layer has invalid stages or predictor");
    }
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        if (b[c] < DS_MOTION_MIN_BITS || b[c] > DS_MOTION_MAX_BITS) {
            return ds_error(DS_ERR_FORMAT, "motion layer has invalid bits");
        }
        bits[c] = b[c];
    }
    *stages = s;
    *predictor = p;
    /* The codebook sizes come after the ranges; peek at them without consuming. */
    ds_byte_reader peek = *reader;
    if (!ds_byte_reader_skip(&peek, DS_MOTION_CHANNELS * 16)) {
        return ds_error(DS_ERR_FORMAT, "motion layer is truncated");
    }
    for (int stage = 0; stage < s; stage++) {
        const uint8_t *bytes;
        if (!ds_byte_reader_bytes(&peek, 2, &bytes)) {
            return ds_error(DS_ERR_FORMAT, "motion layer is truncated");
        }
        entries[stage] = ds_load_u16le(bytes);
        if (entries[stage] == 0 || entries[stage] > DS_MOTION_MAX_ENTRIES ||
            !ds_byte_reader_skip(&peek, (size_t)entries[stage] * DS_MOTION_CHANNELS * 2)) {
            return ds_error(DS_ERR_FORMAT, "motion layer has an invalid codebook");
        }
    }
    return ds_ok();
}

ds_status ds_motion_layer_decode(const uint8_t *data, size_t size, uint32_t joints, uint32_t frames,
                                 ds_motion_layer *layer) {
    memset(layer, 0, sizeof *layer);
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    int bits[DS_MOTION_CHANNELS] = {0}, stages = 0, predictor = 0;
    uint32_t entries[DS_MOTION_MAX_STAGES] = {0};
    ds_status status = read_header(&reader, joints, frames, bits, &stages, &predictor, entries);
    if (ds_failed(&status)) {
        return status;
    }
    if (joints == 0 || frames == 0 || (size_t)joints * frames > ((size_t)1 << 32)) {
        return ds_error(DS_ERR_FORMAT, "motion layer is too large");
    }
    status = ds_motion_layer_create(joints, frames, DS_MOTION_MAX_BITS, stages, entries, layer);
    if (ds_failed(&status)) {
        return status;
    }
    memcpy(layer->bits, bits, sizeof layer->bits);
    layer->predictor = predictor;
    for (int c = 0; c < DS_MOTION_CHANNELS * 2; c++) {
        float *lo =
            c < DS_MOTION_CHANNELS ? &layer->base_lo[c] : &layer->lo[c - DS_MOTION_CHANNELS];
        float *hi =
            c < DS_MOTION_CHANNELS ? &layer->base_hi[c] : &layer->hi[c - DS_MOTION_CHANNELS];
        ds_byte_reader_f32le(&reader, lo);
        ds_byte_reader_f32le(&reader, hi);
        if (!isfinite(*lo) || !isfinite(*hi)) {
            ds_motion_layer_free(layer);
            return ds_error(DS_ERR_FORMAT, "motion layer has a non-finite range");
        }
    }
    for (int s = 0; s < stages; s++) {
        const uint8_t *bytes;
        ds_byte_reader_skip(&reader, 2);
        ds_byte_reader_bytes(&reader, (size_t)entries[s] * DS_MOTION_CHANNELS * 2, &bytes);
        for (size_t e = 0; e < (size_t)entries[s] * DS_MOTION_CHANNELS; e++) {
            layer->codebooks[s][e] = (int16_t)ds_load_u16le(bytes + e * 2);
        }
    }
    size_t residuals = (size_t)(frames - 1) * joints;
    size_t index_bytes = 0;
    for (int s = 0; s < stages; s++) {
        index_bytes += residuals * (entries[s] > 256 ? 2 : 1);
    }
    /* Frame 0, the indices, and at most 3 bytes per leftover (|e| < 2^16 fits 3 varint bytes). */
    size_t max_content =
        (size_t)joints * DS_MOTION_CHANNELS * 2 + index_bytes + residuals * DS_MOTION_CHANNELS * 3;
    uint8_t *body;
    size_t body_size;
    status = ds_zstd_block_read(&reader, max_content, &body, &body_size);
    if (ds_failed(&status)) {
        ds_motion_layer_free(layer);
        return status;
    }
    ds_byte_reader values = ds_byte_reader_make(body, body_size);
    const uint8_t *bytes;
    if (!ds_byte_reader_bytes(&values, (size_t)joints * DS_MOTION_CHANNELS * 2, &bytes)) {
        status = ds_error(DS_ERR_FORMAT, "motion layer's first frame is truncated");
    }
    for (int c = 0; c < DS_MOTION_CHANNELS && !ds_failed(&status); c++) {
        for (size_t j = 0; j < joints; j++) {
            layer->values[j * DS_MOTION_CHANNELS + (size_t)c] =
                ds_load_u16le(bytes + ((size_t)c * joints + j) * 2);
        }
    }
    for (int s = 0; s < stages && !ds_failed(&status); s++) {
        size_t width = entries[s] > 256 ? 2 : 1;
        if (!ds_byte_reader_bytes(&values, residuals * width, &bytes)) {
            status = ds_error(DS_ERR_FORMAT, "motion layer's indices are truncated");
            break;
        }
        for (size_t r = 0; r < residuals; r++) {
            uint16_t index = width == 2 ? ds_load_u16le(bytes + r * 2) : bytes[r];
            if (index >= entries[s]) {
                status = ds_error(DS_ERR_FORMAT, "motion codebook index out of range");
                break;
            }
            layer->indices[s][r] = index;
        }
    }
    for (uint32_t t = 1; t < frames && !ds_failed(&status); t++) {
        for (size_t j = 0; j < joints && !ds_failed(&status); j++) {
            for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
                uint32_t coded;
                if (!ds_varint_read(&values, &coded)) {
                    status = ds_error(DS_ERR_FORMAT, "motion layer's residuals are truncated");
                    break;
                }
                int64_t value = (int64_t)ds_motion_prediction(layer, t, j, c) +
                                quantised_residual(layer, (t - 1) * joints + j, c) +
                                ds_unzigzag(coded);
                if (value < 0 || value > (int64_t)ds_motion_max_value(bits[c])) {
                    status = ds_error(DS_ERR_FORMAT, "motion value out of range");
                    break;
                }
                layer->values[((size_t)t * joints + j) * DS_MOTION_CHANNELS + (size_t)c] =
                    (uint16_t)value;
            }
        }
    }
    if (!ds_failed(&status) && ds_byte_reader_remaining(&values) != 0) {
        status = ds_error(DS_ERR_FORMAT, "motion layer has trailing bytes");
    }
    free(body);
    if (ds_failed(&status)) {
        ds_motion_layer_free(layer);
    }
    return status;
}

static void unit_quaternion(float q[4]) {
    float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(norm > 0)) {
        q[0] = 1, q[1] = q[2] = q[3] = 0, norm = 1;
    }
    for (int c = 0; c < 4; c++) {
        q[c] /= norm;
    }
}

void ds_motion_layer_transforms(const ds_motion_layer *layer, uint32_t t,
                                const float *canonical_joints, ds_joint_transforms *transforms) {
    size_t stride = (size_t)layer->joints * DS_MOTION_CHANNELS;
    for (size_t j = 0; j < layer->joints; j++) {
        const uint16_t *base = layer->values + j * DS_MOTION_CHANNELS;
        float p[3], q[4];
        for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
            float v = ds_motion_dequantise(base[c], DS_MOTION_BASE_BITS, layer->base_lo[c],
                                           layer->base_hi[c]);
            *(c < 3 ? &p[c] : &q[c - 3]) = v;
        }
        unit_quaternion(q);
        if (t > 0) {
            const uint16_t *v = layer->values + (size_t)t * stride + j * DS_MOTION_CHANNELS;
            float r[4];
            for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
                float value =
                    ds_motion_dequantise(v[c], layer->bits[c], layer->lo[c], layer->hi[c]);
                if (c < 3) {
                    p[c] += value;
                } else {
                    r[c - 3] = value;
                }
            }
            unit_quaternion(r);
            float b[4] = {q[0], q[1], q[2], q[3]};
            q[0] = r[0] * b[0] - r[1] * b[1] - r[2] * b[2] - r[3] * b[3];
            q[1] = r[0] * b[1] + r[1] * b[0] + r[2] * b[3] - r[3] * b[2];
            q[2] = r[0] * b[2] - r[1] * b[3] + r[2] * b[0] + r[3] * b[1];
            q[3] = r[0] * b[3] + r[1] * b[2] - r[2] * b[1] + r[3] * b[0];
        }
        memcpy(transforms->rotations + j * 4, q, sizeof q);
        /* R x0 with R from q (w, x, y, z). */
        float w = q[0], x = q[1], y = q[2], z = q[3];
        float m[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                      2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                      2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
        const float *x0 = canonical_joints + j * 3;
        for (int r = 0; r < 3; r++) {
            transforms->translations[j * 3 + (size_t)r] =
                p[r] - (m[r * 3] * x0[0] + m[r * 3 + 1] * x0[1] + m[r * 3 + 2] * x0[2]);
        }
    }
}
