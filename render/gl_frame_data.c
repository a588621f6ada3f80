#include "gl_frame_data.h"

#include <string.h>

static size_t place(size_t *cursor, size_t floats, size_t alignment) {
    size_t offset = (*cursor + alignment - 1) / alignment * alignment;
    *cursor = offset + floats;
    return offset;
}

ds_gl_frame_layout ds_gl_frame_layout_make(size_t skin_count, int sh_degree, size_t joint_count,
                                           size_t correction_capacity, size_t alignment) {
    ds_gl_frame_layout l = {.skin_count = skin_count,
                            .joint_count = joint_count,
                            .correction_capacity = correction_capacity,
                            .sh_degree = sh_degree};
    size_t a = alignment ? alignment : 1, cursor = 0;
    size_t coefficients = (size_t)(sh_degree + 1) * (size_t)(sh_degree + 1);
    l.joint_rotations = place(&cursor, joint_count * 4, a);
    l.joint_translations = place(&cursor, joint_count * 3, a);
    l.opacity = place(&cursor, skin_count, a);
    l.scales = place(&cursor, skin_count * 3, a);
    l.sh = place(&cursor, skin_count * 3 * coefficients, a);
    l.correction_ids = place(&cursor, correction_capacity, a);
    l.correction_offsets = place(&cursor, correction_capacity * 3, a);
    l.correction_rotations = place(&cursor, correction_capacity * 4, a);
    l.floats = place(&cursor, 0, a);
    return l;
}

static size_t sh_floats(const ds_gl_frame_layout *l) {
    return l->skin_count * 3 * (size_t)(l->sh_degree + 1) * (size_t)(l->sh_degree + 1);
}

void ds_gl_frame_fill_cloud(const ds_gl_frame_layout *l, const ds_gaussian_cloud *cloud,
                            float *slot, ds_gl_frame_info *info) {
    memcpy(slot + l->opacity, cloud->opacity_logits, l->skin_count * sizeof(float));
    memcpy(slot + l->scales, cloud->log_scales, l->skin_count * 3 * sizeof(float));
    /* The layout's degree may be below the cloud's (a lower --sh-degree): keep the first
     * coefficients of each Gaussian. */
    size_t keep = 3 * (size_t)(l->sh_degree + 1) * (size_t)(l->sh_degree + 1);
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    if (keep == stride) {
        memcpy(slot + l->sh, cloud->sh, sh_floats(l) * sizeof(float));
    } else {
        for (size_t i = 0; i < l->skin_count; i++) {
            memcpy(slot + l->sh + i * keep, cloud->sh + i * stride, keep * sizeof(float));
        }
    }
    *info = (ds_gl_frame_info){.frame = 0, .correction_count = 0};
}

ds_status ds_gl_frame_fill_stream(const ds_gl_frame_layout *l, const ds_dsv_segment *segment,
                                  const ds_dsv_frame *frame, float *slot, ds_gl_frame_info *info) {
    const ds_joint_transforms *t = &frame->transforms;
    if (t->count != l->joint_count) {
        return ds_error(DS_ERR_ARGUMENT, "frame has %zu joints, the renderer %zu", t->count,
                        l->joint_count);
    }
    memcpy(slot + l->joint_rotations, t->rotations, t->count * 4 * sizeof(float));
    memcpy(slot + l->joint_translations, t->translations, t->count * 3 * sizeof(float));
    memcpy(slot + l->opacity, frame->opacity_logits, l->skin_count * sizeof(float));
    memcpy(slot + l->scales, frame->log_scales, l->skin_count * 3 * sizeof(float));
    memcpy(slot + l->sh, frame->sh, sh_floats(l) * sizeof(float));
    *info = (ds_gl_frame_info){.frame = frame->frame, .correction_count = 0};
    if (!segment->has_corrections) {
        return ds_ok();
    }
    const ds_corrections_layer *c = &segment->corrections;
    uint32_t local = frame->frame - segment->first_frame;
    uint32_t first = c->starts[local], count = c->starts[local + 1] - first;
    if (count > l->correction_capacity) {
        return ds_error(DS_ERR_FORMAT, "frame %u has %u corrections, more than its %zu Gaussians",
                        frame->frame, count, l->correction_capacity);
    }
    for (uint32_t e = 0; e < count; e++) {
        uint32_t entry = first + e;
        memcpy(slot + l->correction_ids + e, &c->ids[entry], sizeof(uint32_t));
        for (int k = 0; k < 3; k++) {
            slot[l->correction_offsets + e * 3 + (size_t)k] =
                (float)c->offsets[(size_t)entry * 3 + (size_t)k] * c->position_step;
        }
        ds_corrections_rotation(c->rotations + (size_t)entry * 3,
                                slot + l->correction_rotations + (size_t)e * 4);
    }
    info->correction_count = count;
    return ds_ok();
}

size_t ds_gl_stream_correction_capacity(const ds_dsv *dsv) {
    return dsv->canonical.skin_count;
}
