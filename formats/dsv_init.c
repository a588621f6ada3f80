#include "dsv_init.h"

#include "gaussian_cloud.h"
#include "stream_coding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t INIT_MAGIC[4] = {'D', 'S', 'I', 'N'};
enum { INIT_VERSION = 1, INIT_HEADER_SIZE = 24, INIT_ZSTD_LEVEL = 19 };

ds_status ds_dsv_canonical_create(size_t skin_count, size_t joint_count, int sh_degree,
                                  ds_dsv_canonical *c) {
    memset(c, 0, sizeof *c);
    c->skin_count = skin_count;
    c->joint_count = joint_count;
    c->sh_degree = sh_degree;
    ds_status status = ds_binding_create(skin_count, joint_count, &c->binding);
    if (ds_failed(&status)) {
        return status;
    }
    c->skin_positions = malloc(skin_count * 3 * sizeof(float));
    c->skin_rotations = malloc(skin_count * 4 * sizeof(float));
    c->joint_positions = malloc(joint_count * 3 * sizeof(float));
    c->joint_rotations = malloc(joint_count * 4 * sizeof(float));
    if (!c->skin_positions || !c->skin_rotations || !c->joint_positions || !c->joint_rotations) {
        ds_dsv_canonical_free(c);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu skin Gaussians", skin_count);
    }
    return ds_ok();
}

void ds_dsv_canonical_free(ds_dsv_canonical *c) {
    free(c->skin_positions);
    free(c->skin_rotations);
    ds_binding_free(&c->binding);
    free(c->joint_positions);
    free(c->joint_rotations);
    memset(c, 0, sizeof *c);
}

static long clamp_round(double v, long lo, long hi) {
    long r = lround(v);
    return r < lo ? lo : (r > hi ? hi : r);
}

ds_status ds_dsv_canonical_encode(const ds_dsv_canonical *c, int weight_bits, ds_byte_buffer *out) {
    if (weight_bits != 8 && weight_bits != 16) {
        return ds_error(DS_ERR_ARGUMENT, "binding weights have 8 or 16 bits");
    }
    double weight_top = weight_bits == 8 ? 255.0 : 65535.0;
    size_t weight_bytes = weight_bits / 8;
    size_t n = c->skin_count, joints = c->joint_count;
    int k = c->binding.k;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        for (int a = 0; a < 3; a++) {
            float v = c->skin_positions[i * 3 + (size_t)a];
            lo[a] = fminf(lo[a], v);
            hi[a] = fmaxf(hi[a], v);
        }
    }
    ds_byte_buffer payload = {0};
    for (int a = 0; a < 3; a++) {
        ds_byte_buffer_append_f32le(&payload, lo[a]);
    }
    for (int a = 0; a < 3; a++) {
        ds_byte_buffer_append_f32le(&payload, hi[a]);
    }
    for (int a = 0; a < 3; a++) {
        double extent = hi[a] > lo[a] ? (double)hi[a] - lo[a] : 1.0;
        for (size_t i = 0; i < n; i++) {
            double unit = ((double)c->skin_positions[i * 3 + (size_t)a] - lo[a]) / extent;
            ds_byte_buffer_append_u16le(&payload, (uint16_t)clamp_round(unit * 65535.0, 0, 65535));
        }
    }
    for (int comp = 0; comp < 4; comp++) {
        for (size_t i = 0; i < n; i++) {
            const float *q = c->skin_rotations + i * 4;
            double norm = sqrt((double)q[0] * q[0] + (double)q[1] * q[1] + (double)q[2] * q[2] +
                               (double)q[3] * q[3]);
            double sign = q[0] < 0 ? -1.0 : 1.0;
            double v = norm > 0 ? sign * q[comp] / norm : (comp == 0 ? 1.0 : 0.0);
            ds_byte_buffer_append_u16le(&payload,
                                        (uint16_t)(int16_t)clamp_round(v * 32767.0, -32767, 32767));
        }
    }
    /* Weights to 8 bits; slots whose weight rounds to 0 are left out (tracking's softmax
     * weights fade fast with distance). */
    uint16_t *quantised = malloc(n * (size_t)k * sizeof *quantised);
    uint8_t *used = malloc(n);
    if (!quantised || !used) {
        free(quantised);
        free(used);
        ds_byte_buffer_free(&payload);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the binding");
    }
    for (size_t i = 0; i < n; i++) {
        used[i] = 0;
        for (int slot = 0; slot < k; slot++) {
            float w = c->binding.weights[i * (size_t)k + (size_t)slot];
            uint16_t q = (uint16_t)clamp_round((double)w * weight_top, 0, (long)weight_top);
            if (q > 0 || slot == 0) {
                quantised[i * (size_t)k + used[i]] = q;
                used[i]++;
            }
        }
    }
    ds_byte_buffer_append(&payload, used, n);
    bool wide = joints > 65536;
    for (int slot = 0; slot < k; slot++) {
        for (size_t i = 0; i < n; i++) {
            if (slot >= used[i]) {
                continue;
            }
            /* The slot-th kept joint of Gaussian i. */
            int kept = -1, source = 0;
            for (; source < k; source++) {
                float w = c->binding.weights[i * (size_t)k + (size_t)source];
                if (clamp_round((double)w * weight_top, 0, (long)weight_top) > 0 || source == 0) {
                    if (++kept == slot) {
                        break;
                    }
                }
            }
            uint32_t joint = c->binding.joints[i * (size_t)k + (size_t)source];
            if (wide) {
                ds_byte_buffer_append_u32le(&payload, joint);
            } else {
                ds_byte_buffer_append_u16le(&payload, (uint16_t)joint);
            }
        }
    }
    for (int slot = 0; slot < k; slot++) {
        for (size_t i = 0; i < n; i++) {
            if (slot < used[i]) {
                uint16_t q = quantised[i * (size_t)k + (size_t)slot];
                ds_byte_buffer_append(&payload, (uint8_t[2]){(uint8_t)q, (uint8_t)(q >> 8)},
                                      weight_bytes);
            }
        }
    }
    free(quantised);
    free(used);
    for (size_t j = 0; j < joints * 3; j++) {
        ds_byte_buffer_append_f32le(&payload, c->joint_positions[j]);
    }
    for (size_t j = 0; j < joints * 4; j++) {
        ds_byte_buffer_append_f32le(&payload, c->joint_rotations[j]);
    }
    uint8_t header[INIT_HEADER_SIZE] = {0};
    memcpy(header, INIT_MAGIC, 4);
    header[4] = INIT_VERSION;
    header[6] = (c->antialiased ? 1 : 0) | (weight_bits == 16 ? 2 : 0);
    ds_store_u32le(header + 8, (uint32_t)n);
    ds_store_u32le(header + 12, (uint32_t)joints);
    header[16] = (uint8_t)c->sh_degree;
    header[17] = (uint8_t)k;
    ds_store_u32le(header + 20, (uint32_t)payload.size);
    ds_status status = ds_byte_buffer_status(&payload);
    if (!ds_failed(&status)) {
        /* The zstd frame follows the header directly; its length is the rest of the block. */
        ds_byte_buffer_append(out, header, sizeof header);
        ds_byte_buffer block = {0};
        status = ds_zstd_block_append(&block, payload.data, payload.size, INIT_ZSTD_LEVEL);
        if (!ds_failed(&status)) {
            ds_byte_buffer_append(out, block.data + 4, block.size - 4);
        }
        ds_byte_buffer_free(&block);
    }
    ds_byte_buffer_free(&payload);
    return ds_failed(&status) ? status : ds_byte_buffer_status(out);
}

ds_status ds_dsv_canonical_decode(const uint8_t *data, size_t size, ds_dsv_canonical *c) {
    memset(c, 0, sizeof *c);
    if (size < INIT_HEADER_SIZE || memcmp(data, INIT_MAGIC, 4) != 0) {
        return ds_error(DS_ERR_FORMAT, "the stream's init block is not one");
    }
    if (ds_load_u16le(data + 4) != INIT_VERSION) {
        return ds_error(DS_ERR_UNSUPPORTED, "init block version %u is not supported",
                        ds_load_u16le(data + 4));
    }
    uint32_t n = ds_load_u32le(data + 8), joints = ds_load_u32le(data + 12);
    int sh_degree = data[16], k = data[17];
    uint32_t payload_size = ds_load_u32le(data + 20);
    if (n == 0 || joints == 0 || n > DS_GAUSSIAN_CLOUD_MAX_COUNT ||
        joints > DS_GAUSSIAN_CLOUD_MAX_COUNT || sh_degree > DS_SH_MAX_DEGREE || k < 1 ||
        k > DS_BINDING_K) {
        return ds_error(DS_ERR_FORMAT, "the stream's init block has invalid counts");
    }
    bool wide = joints > 65536;
    /* The payload's size depends on the slots in use: bound it, then check as it is read. */
    size_t weight_bytes = (data[6] & 2) ? 2 : 1;
    size_t largest = 24 + (size_t)n * (6 + 8 + 1 + (size_t)k * ((wide ? 4 : 2) + weight_bytes)) +
                     (size_t)joints * 28;
    if (payload_size > largest) {
        return ds_error(DS_ERR_FORMAT, "the stream's init block has the wrong size");
    }
    size_t expected = payload_size;
    /* Rebuild the length prefix ds_zstd_block_read expects around the frame that follows. */
    size_t frame_size = size - INIT_HEADER_SIZE;
    if (frame_size > UINT32_MAX) {
        return ds_error(DS_ERR_FORMAT, "the stream's init block is too large");
    }
    uint8_t *framed = malloc(frame_size + 4);
    if (!framed) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the init block");
    }
    ds_store_u32le(framed, (uint32_t)frame_size);
    memcpy(framed + 4, data + INIT_HEADER_SIZE, frame_size);
    ds_byte_reader block = ds_byte_reader_make(framed, frame_size + 4);
    uint8_t *payload;
    size_t got;
    ds_status status = ds_zstd_block_read(&block, expected, &payload, &got);
    free(framed);
    if (ds_failed(&status)) {
        return status;
    }
    /* Every Gaussian uses at least one slot: the smallest payload these counts allow. */
    size_t smallest = 24 + (size_t)n * (15 + (wide ? 4 : 2) + weight_bytes) + (size_t)joints * 28;
    if (got != expected || got < smallest) {
        free(payload);
        return ds_error(DS_ERR_FORMAT, "the stream's init block has the wrong size");
    }
    status = ds_dsv_canonical_create(n, joints, sh_degree, c);
    if (ds_failed(&status)) {
        free(payload);
        return status;
    }
    c->antialiased = (data[6] & 1) != 0;
    c->binding.k = k;
    const uint8_t *p = payload;
    float lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = ds_load_f32le(p + a * 4);
        hi[a] = ds_load_f32le(p + 12 + a * 4);
        if (!isfinite(lo[a]) || !isfinite(hi[a]) || hi[a] < lo[a]) {
            status = ds_error(DS_ERR_FORMAT, "the stream's init block has invalid bounds");
        }
    }
    p += 24;
    for (int a = 0; a < 3; a++, p += (size_t)n * 2) {
        double extent = hi[a] > lo[a] ? (double)hi[a] - lo[a] : 1.0;
        for (size_t i = 0; i < n; i++) {
            c->skin_positions[i * 3 + (size_t)a] =
                (float)(lo[a] + ds_load_u16le(p + i * 2) / 65535.0 * extent);
        }
    }
    for (int comp = 0; comp < 4; comp++, p += (size_t)n * 2) {
        for (size_t i = 0; i < n; i++) {
            c->skin_rotations[i * 4 + (size_t)comp] =
                (float)(int16_t)ds_load_u16le(p + i * 2) / 32767.0f;
        }
    }
    for (size_t i = 0; i < n; i++) {
        float *q = c->skin_rotations + i * 4;
        float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        if (!(norm > 0)) {
            q[0] = 1, q[1] = q[2] = q[3] = 0, norm = 1;
        }
        for (int comp = 0; comp < 4; comp++) {
            q[comp] /= norm;
        }
    }
    const uint8_t *used = p;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (used[i] < 1 || used[i] > k) {
            status = ds_error(DS_ERR_FORMAT, "the binding has an invalid slot count");
            break;
        }
        kept += used[i];
    }
    p += n;
    size_t joint_bytes = wide ? 4 : 2;
    if (!ds_failed(&status) && expected != 24 + (size_t)n * 15 +
                                               kept * (joint_bytes + weight_bytes) +
                                               (size_t)joints * 28) {
        status = ds_error(DS_ERR_FORMAT, "the stream's init block has the wrong size");
    }
    if (!ds_failed(&status)) {
        memset(c->binding.joints, 0, n * (size_t)k * sizeof(uint32_t));
        memset(c->binding.weights, 0, n * (size_t)k * sizeof(float));
    }
    for (int slot = 0; slot < k && !ds_failed(&status); slot++) {
        for (size_t i = 0; i < n; i++) {
            if (slot >= used[i]) {
                continue;
            }
            uint32_t joint = wide ? ds_load_u32le(p) : ds_load_u16le(p);
            p += joint_bytes;
            if (joint >= joints) {
                status = ds_error(DS_ERR_FORMAT, "the binding names a joint that does not exist");
                break;
            }
            c->binding.joints[i * (size_t)k + (size_t)slot] = joint;
        }
    }
    for (int slot = 0; slot < k && !ds_failed(&status); slot++) {
        for (size_t i = 0; i < n; i++) {
            if (slot < used[i]) {
                c->binding.weights[i * (size_t)k + (size_t)slot] =
                    weight_bytes == 2 ? ds_load_u16le(p) : *p;
                p += weight_bytes;
            }
        }
    }
    for (size_t i = 0; i < n && !ds_failed(&status); i++) {
        float *w = c->binding.weights + i * (size_t)k, sum = 0;
        for (int slot = 0; slot < k; slot++) {
            sum += w[slot];
        }
        for (int slot = 0; slot < k; slot++) {
            w[slot] = sum > 0 ? w[slot] / sum : (slot == 0 ? 1.0f : 0.0f);
        }
    }
    for (size_t j = 0; j < (size_t)joints * 3 && !ds_failed(&status); j++) {
        c->joint_positions[j] = ds_load_f32le(p + j * 4);
    }
    p += (size_t)joints * 12;
    for (size_t j = 0; j < (size_t)joints * 4 && !ds_failed(&status); j++) {
        c->joint_rotations[j] = ds_load_f32le(p + j * 4);
    }
    free(payload);
    if (!ds_failed(&status)) {
        status = ds_binding_index(&c->binding);
    }
    if (ds_failed(&status)) {
        ds_dsv_canonical_free(c);
    }
    return status;
}
