#include "stream_frame.h"

#include "skinning.h"

#include <string.h>

ds_status ds_stream_cloud_create(const ds_dsv *dsv, ds_gaussian_cloud **cloud) {
    ds_status status =
        ds_gaussian_cloud_create(dsv->canonical.skin_count, dsv->canonical.sh_degree, cloud);
    if (!ds_failed(&status)) {
        (*cloud)->antialiased = dsv->canonical.antialiased;
    }
    return status;
}

ds_status ds_stream_skin(const ds_dsv_canonical *c, const ds_joint_transforms *transforms,
                         float *positions, float *rotations) {
    ds_status status = ds_skin_deform(c->skin_positions, c->skin_rotations, &c->binding, transforms,
                                      positions, rotations);
    if (ds_failed(&status)) {
        return status;
    }
    /* Corrections compose with a unit rotation (docs/dsv-format.md). */
    for (size_t i = 0; i < c->skin_count; i++) {
        ds_quaternion_normalize(rotations + i * 4);
    }
    return ds_ok();
}

ds_status ds_stream_frame_cloud(const ds_dsv *dsv, const ds_dsv_segment *segment,
                                const ds_dsv_frame *frame, ds_gaussian_cloud *cloud) {
    const ds_dsv_canonical *c = &dsv->canonical;
    if (cloud->count != c->skin_count || cloud->sh_degree != c->sh_degree) {
        return ds_error(DS_ERR_ARGUMENT, "cloud does not match the stream");
    }
    ds_status status = ds_stream_skin(c, &frame->transforms, cloud->positions, cloud->rotations);
    if (ds_failed(&status)) {
        return status;
    }
    if (segment->has_corrections) {
        ds_corrections_layer_apply(&segment->corrections, frame->frame - segment->first_frame,
                                   cloud->positions, cloud->rotations);
    }
    size_t n = c->skin_count;
    memcpy(cloud->opacity_logits, frame->opacity_logits, n * sizeof(float));
    memcpy(cloud->log_scales, frame->log_scales, n * 3 * sizeof(float));
    memcpy(cloud->sh, frame->sh, n * ds_gaussian_cloud_sh_stride(cloud) * sizeof(float));
    return ds_ok();
}

ds_status ds_stream_read_frame(ds_dsv *dsv, uint32_t frame, ds_gaussian_cloud *cloud) {
    if (frame >= dsv->header.frame_count) {
        return ds_error(DS_ERR_ARGUMENT, "frame %u is past the stream's %u frames", frame,
                        dsv->header.frame_count);
    }
    ds_dsv_segment segment;
    ds_status status = ds_dsv_read_segment(dsv, ds_dsv_segment_of(dsv, frame), &segment);
    if (ds_failed(&status)) {
        return status;
    }
    ds_dsv_frame decoded;
    status = ds_dsv_frame_create(dsv, &decoded);
    if (!ds_failed(&status)) {
        status = ds_dsv_frame_decode(dsv, &segment, frame - segment.first_frame, &decoded);
    }
    if (!ds_failed(&status)) {
        status = ds_stream_frame_cloud(dsv, &segment, &decoded, cloud);
    }
    ds_dsv_frame_free(&decoded);
    ds_dsv_segment_free(&segment);
    return status;
}
