#include "fit_checkpoint.h"

#include "encoder/first_frame_fit.h"

#include "formats/byte_buffer.h"
#include "formats/file_io.h"
#include "formats/ply.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t MAGIC[8] = {'D', 'S', 'F', 'I', 'T', 'C', 'K', 0};
enum { CHECKPOINT_VERSION = 1 };
#define CHECKPOINT_MAX_BYTES ((size_t)16 << 30)

static void append_cloud(ds_byte_buffer *out, const ds_gaussian_cloud *cloud) {
    ds_byte_buffer ply = {0};
    ds_status status = ds_ply_encode(cloud, DS_PLY_BINARY_LITTLE_ENDIAN, &ply);
    if (ds_failed(&status)) {
        out->failed = true;
    }
    ds_byte_buffer_append_u64le(out, ply.size);
    ds_byte_buffer_append(out, ply.data, ply.size);
    ds_byte_buffer_free(&ply);
}

static void append_floats(ds_byte_buffer *out, const float *values, size_t count) {
    ds_byte_buffer_append_u64le(out, count);
    for (size_t i = 0; i < count; i++) {
        ds_byte_buffer_append_f32le(out, values ? values[i] : 0.0f);
    }
}

ds_status ds_fit_checkpoint_save(const char *path, uint64_t fingerprint, int stage,
                                 ds_trainer *trainer, const ds_gaussian_cloud *joints) {
    ds_byte_buffer out = {0};
    ds_byte_buffer_append(&out, MAGIC, sizeof MAGIC);
    ds_byte_buffer_append_u32le(&out, CHECKPOINT_VERSION);
    ds_byte_buffer_append_u64le(&out, fingerprint);
    ds_byte_buffer_append_u32le(&out, (uint32_t)stage);
    ds_byte_buffer_append_u64le(&out, (uint64_t)ds_trainer_iteration(trainer));
    ds_byte_buffer_append_u64le(&out, ds_trainer_random_state(trainer));
    ds_byte_buffer_append_u8(&out, joints != NULL);
    if (joints) {
        append_cloud(&out, joints);
    }
    ds_gaussian_cloud *cloud = ds_trainer_cloud(trainer);
    append_cloud(&out, cloud);
    ds_adam *adam = ds_trainer_optimizer(trainer);
    for (size_t g = 0; g < DS_PARAMETER_GROUPS; g++) {
        size_t floats = ds_adam_entries(adam, g) * ds_parameter_width(cloud, (int)g);
        ds_byte_buffer_append_u64le(&out, (uint64_t)ds_adam_step_count(adam, g));
        append_floats(&out, ds_adam_first_moments(adam, g), floats);
        append_floats(&out, ds_adam_second_moments(adam, g), floats);
    }
    const ds_densify_statistics *statistics = ds_trainer_statistics(trainer);
    append_floats(&out, statistics->gradient_sum, statistics->count);
    append_floats(&out, statistics->max_radius, statistics->count);
    ds_byte_buffer_append_u64le(&out, statistics->count);
    for (size_t i = 0; i < statistics->count; i++) {
        ds_byte_buffer_append_u32le(&out, statistics->views[i]);
    }
    ds_byte_buffer_append_u32le(&out, (uint32_t)crc32_z(0, out.data, out.size));
    ds_status status = ds_byte_buffer_status(&out);
    if (!ds_failed(&status)) {
        status = ds_file_write_atomic(path, out.data, out.size);
    }
    ds_byte_buffer_free(&out);
    return status;
}

static bool read_cloud(ds_byte_reader *reader, ds_gaussian_cloud **cloud, ds_status *status) {
    uint64_t size;
    const uint8_t *bytes;
    if (!ds_byte_reader_u64le(reader, &size) || size > ds_byte_reader_remaining(reader) ||
        !ds_byte_reader_bytes(reader, (size_t)size, &bytes)) {
        return false;
    }
    *status = ds_ply_decode(bytes, (size_t)size, cloud);
    return !ds_failed(status);
}

/* Reads `expected` floats (a count that must equal it, then the values) into a new array. */
static bool read_floats(ds_byte_reader *reader, size_t expected, float **values) {
    uint64_t count;
    if (!ds_byte_reader_u64le(reader, &count) || count != expected ||
        count > ds_byte_reader_remaining(reader) / 4) {
        return false;
    }
    *values = malloc((expected ? expected : 1) * sizeof **values);
    if (!*values) {
        return false;
    }
    for (size_t i = 0; i < expected; i++) {
        ds_byte_reader_f32le(reader, &(*values)[i]);
    }
    return true;
}

ds_status ds_fit_checkpoint_load(const char *path, ds_fit_checkpoint *c) {
    memset(c, 0, sizeof *c);
    uint8_t *data;
    size_t size;
    ds_status status = ds_file_read_all(path, CHECKPOINT_MAX_BYTES, &data, &size);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_fit_checkpoint_decode(data, size, c);
    free(data);
    return status;
}

ds_status ds_fit_checkpoint_decode(const uint8_t *data, size_t size, ds_fit_checkpoint *c) {
    memset(c, 0, sizeof *c);
    ds_status status;
    if (size < sizeof MAGIC + 4 || memcmp(data, MAGIC, sizeof MAGIC) != 0) {
        return ds_error(DS_ERR_FORMAT, "not a dualsplat fit checkpoint");
    }
    if (ds_load_u32le(data + size - 4) != (uint32_t)crc32_z(0, data, size - 4)) {
        return ds_error(DS_ERR_FORMAT, "checkpoint is damaged (checksum mismatch)");
    }
    ds_byte_reader reader = ds_byte_reader_make(data + sizeof MAGIC, size - sizeof MAGIC - 4);
    uint32_t version = 0, stage = 0;
    uint64_t iteration = 0;
    uint8_t has_joints = 0;
    bool ok = ds_byte_reader_u32le(&reader, &version) && version == CHECKPOINT_VERSION &&
              ds_byte_reader_u64le(&reader, &c->fingerprint) &&
              ds_byte_reader_u32le(&reader, &stage) && ds_byte_reader_u64le(&reader, &iteration) &&
              ds_byte_reader_u64le(&reader, &c->random_state) &&
              ds_byte_reader_u8(&reader, &has_joints) && stage < DS_FIT_STAGES &&
              iteration <= INT64_MAX && has_joints == (stage > 0);
    c->stage = (int)stage;
    c->iteration = (int64_t)iteration;
    status = ds_ok();
    if (ok && has_joints) {
        ok = read_cloud(&reader, &c->joints, &status);
    }
    ok = ok && read_cloud(&reader, &c->cloud, &status);
    for (int g = 0; ok && g < DS_PARAMETER_GROUPS; g++) {
        uint64_t steps;
        size_t floats = c->cloud->count * ds_parameter_width(c->cloud, g);
        ok = ds_byte_reader_u64le(&reader, &steps) &&
             read_floats(&reader, floats, &c->first_moments[g]) &&
             read_floats(&reader, floats, &c->second_moments[g]);
        c->steps[g] = (int64_t)steps;
    }
    uint64_t count = 0;
    if (ok) {
        ok = read_floats(&reader, c->cloud->count, &c->gradient_sum) &&
             read_floats(&reader, c->cloud->count, &c->max_radius) &&
             ds_byte_reader_u64le(&reader, &count) && count == c->cloud->count &&
             count <= ds_byte_reader_remaining(&reader) / 4;
    }
    if (ok) {
        c->views = malloc(((size_t)count ? (size_t)count : 1) * sizeof *c->views);
        ok = c->views != NULL;
        for (size_t i = 0; ok && i < count; i++) {
            ds_byte_reader_u32le(&reader, &c->views[i]);
        }
    }
    if (!ok || ds_failed(&status)) {
        ds_fit_checkpoint_free(c);
        return ds_failed(&status) ? status
                                  : ds_error(DS_ERR_FORMAT, "checkpoint is malformed or from "
                                                            "another version");
    }
    return ds_ok();
}

ds_status ds_fit_checkpoint_restore(const ds_fit_checkpoint *c, ds_trainer *trainer) {
    ds_adam *adam = ds_trainer_optimizer(trainer);
    ds_gaussian_cloud *cloud = ds_trainer_cloud(trainer);
    for (size_t g = 0; g < DS_PARAMETER_GROUPS; g++) {
        size_t floats = ds_adam_entries(adam, g) * ds_parameter_width(cloud, (int)g);
        if (ds_adam_entries(adam, g) != cloud->count) {
            return ds_error(DS_ERR_ARGUMENT, "trainer does not match the checkpoint");
        }
        if (floats > 0) {
            memcpy(ds_adam_first_moments(adam, g), c->first_moments[g], floats * sizeof(float));
            memcpy(ds_adam_second_moments(adam, g), c->second_moments[g], floats * sizeof(float));
        }
        ds_status status = ds_adam_set_step_count(adam, g, c->steps[g]);
        if (ds_failed(&status)) {
            return status;
        }
    }
    ds_densify_statistics *statistics = ds_trainer_statistics(trainer);
    ds_status status = ds_densify_statistics_reset(statistics, cloud->count);
    if (ds_failed(&status)) {
        return status;
    }
    memcpy(statistics->gradient_sum, c->gradient_sum, cloud->count * sizeof(float));
    memcpy(statistics->max_radius, c->max_radius, cloud->count * sizeof(float));
    memcpy(statistics->views, c->views, cloud->count * sizeof(uint32_t));
    ds_trainer_set_iteration(trainer, c->iteration, c->random_state);
    return ds_ok();
}

void ds_fit_checkpoint_free(ds_fit_checkpoint *c) {
    ds_gaussian_cloud_free(c->joints);
    ds_gaussian_cloud_free(c->cloud);
    for (int g = 0; g < DS_PARAMETER_GROUPS; g++) {
        free(c->first_moments[g]);
        free(c->second_moments[g]);
    }
    free(c->gradient_sum);
    free(c->max_radius);
    free(c->views);
    memset(c, 0, sizeof *c);
}
