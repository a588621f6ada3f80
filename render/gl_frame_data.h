/* What the GPU renderer reads per frame, laid out in one block of floats (a slot of the upload
 * ring): the joints' transforms, the skin's opacity logits, log scales and SH, and the frame's
 * corrections. Filling it is plain CPU work, done by the player's decode threads straight into
 * mapped GPU memory; the layout is shared with shaders/preprocess.comp through uniforms. */
#ifndef DS_RENDER_GL_FRAME_DATA_H
#define DS_RENDER_GL_FRAME_DATA_H

#include "formats/dsv_reader.h"
#include "formats/gaussian_cloud.h"

#include <stddef.h>
#include <stdint.h>

/* Offsets in floats from the slot's start; each array starts on `alignment` floats. */
typedef struct ds_gl_frame_layout {
    size_t skin_count, joint_count, correction_capacity;
    int sh_degree;
    size_t joint_rotations, joint_translations;      /* x 4, x 3 per joint */
    size_t opacity, scales, sh;                      /* x 1, x 3, x 3 (degree + 1)^2 per Gaussian */
    size_t correction_ids;                           /* uint32 bit patterns, increasing */
    size_t correction_offsets, correction_rotations; /* x 3 (world units), x 4 (unit, w first) */
    size_t floats;                                   /* the slot's size */
} ds_gl_frame_layout;

ds_gl_frame_layout ds_gl_frame_layout_make(size_t skin_count, int sh_degree, size_t joint_count,
                                           size_t correction_capacity, size_t alignment);

/* What a filled slot holds beside its arrays. */
typedef struct ds_gl_frame_info {
    uint32_t frame;
    uint32_t correction_count;
} ds_gl_frame_info;

/* A static cloud's appearance (its positions and rotations are the scene's). */
void ds_gl_frame_fill_cloud(const ds_gl_frame_layout *layout, const ds_gaussian_cloud *cloud,
                            float *slot, ds_gl_frame_info *info);

/* A decoded stream frame and its segment's corrections. Fails when the frame has more
 * corrections than the layout holds. */
ds_status ds_gl_frame_fill_stream(const ds_gl_frame_layout *layout, const ds_dsv_segment *segment,
                                  const ds_dsv_frame *frame, float *slot, ds_gl_frame_info *info);

/* The most corrections any frame of the stream may carry: its skin count (a frame corrects each
 * Gaussian at most once). */
size_t ds_gl_stream_correction_capacity(const ds_dsv *dsv);

#endif
