#include "splat.h"

#include <math.h>

/* A zero or negative linear scale has no logarithm; treat it as vanishingly thin. */
static float log_of_scale(float scale) {
    const float smallest = 1e-12f;
    return logf(scale > smallest ? scale : smallest);
}

static uint8_t quantise_unit(float value) {
    float scaled = roundf(value * 255.0f);
    return (uint8_t)(scaled < 0.0f ? 0.0f : (scaled > 255.0f ? 255.0f : scaled));
}

static uint8_t quantise_rotation(float component) {
    float scaled = roundf(component * 128.0f + 128.0f);
    return (uint8_t)(scaled < 0.0f ? 0.0f : (scaled > 255.0f ? 255.0f : scaled));
}

ds_status ds_splat_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud) {
    *cloud = NULL;
    if (size % DS_SPLAT_RECORD_BYTES != 0) {
        return ds_error(DS_ERR_FORMAT,
                        ".splat size %zu is not a multiple of %d bytes (truncated or not a .splat)",
                        size, DS_SPLAT_RECORD_BYTES);
    }
    size_t count = size / DS_SPLAT_RECORD_BYTES;
    ds_gaussian_cloud *result;
    ds_status status = ds_gaussian_cloud_create(count, 0, &result);
    if (ds_failed(&status)) {
        return status;
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *record = data + i * DS_SPLAT_RECORD_BYTES;
        for (int k = 0; k < 3; k++) {
            result->positions[i * 3 + k] = ds_load_f32le(record + 4 * k);
            result->log_scales[i * 3 + k] = log_of_scale(ds_load_f32le(record + 12 + 4 * k));
        }
        const uint8_t *rgba = record + 24;
        for (int c = 0; c < 3; c++) {
            result->sh[i * 3 + c] = (rgba[c] / 255.0f - 0.5f) / DS_SH_C0;
        }
        result->opacity_logits[i] = ds_logit(rgba[3] / 255.0f);
        const uint8_t *rotation = record + 28;
        float q[4], norm = 0.0f;
        for (int k = 0; k < 4; k++) {
            q[k] = (rotation[k] - 128.0f) / 128.0f;
            norm += q[k] * q[k];
        }
        norm = sqrtf(norm);
        for (int k = 0; k < 4; k++) {
            /* All-128 bytes encode no rotation at all: read them as the identity. */
            result->rotations[i * 4 + k] = norm > 0.0f ? q[k] / norm : (k == 0 ? 1.0f : 0.0f);
        }
    }
    *cloud = result;
    return ds_ok();
}

ds_status ds_splat_encode(const ds_gaussian_cloud *cloud, ds_byte_buffer *out) {
    if (cloud->count > SIZE_MAX / DS_SPLAT_RECORD_BYTES ||
        !ds_byte_buffer_reserve(out, cloud->count * DS_SPLAT_RECORD_BYTES)) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the .splat output");
    }
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < cloud->count; i++) {
        uint8_t record[DS_SPLAT_RECORD_BYTES];
        for (int k = 0; k < 3; k++) {
            ds_store_f32le(record + 4 * k, cloud->positions[i * 3 + k]);
            ds_store_f32le(record + 12 + 4 * k, expf(cloud->log_scales[i * 3 + k]));
        }
        for (int c = 0; c < 3; c++) {
            record[24 + c] = quantise_unit(0.5f + DS_SH_C0 * cloud->sh[i * sh_stride + c]);
        }
        record[27] = quantise_unit(ds_sigmoid(cloud->opacity_logits[i]));
        const float *q = cloud->rotations + i * 4;
        float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int k = 0; k < 4; k++) {
            float unit = norm > 0.0f ? q[k] / norm : (k == 0 ? 1.0f : 0.0f);
            record[28 + k] = quantise_rotation(unit);
        }
        ds_byte_buffer_append(out, record, sizeof record);
    }
    return ds_byte_buffer_status(out);
}
