/* The joint-motion layer of a .dsv segment (MOTN, docs/dsv-format.md): each joint's position and
 * rotation per frame, quantised to B bits per channel, predicted from the previous frames, the
 * prediction residual approximated by a residual vector quantiser and the leftover coded
 * losslessly. The encoder (encoder/motion_codec.c) chooses ranges, codebooks and indices; this
 * file writes and reads the bytes. */
#ifndef DS_FORMATS_DSV_MOTION_H
#define DS_FORMATS_DSV_MOTION_H

#include "byte_buffer.h"
#include "dualgs_state.h"

#include <stdint.h>

enum {
    DS_MOTION_CHANNELS = 7, /* px py pz qw qx qy qz */
    DS_MOTION_MAX_STAGES = 4,
    DS_MOTION_MAX_ENTRIES = 4096,
    DS_MOTION_MIN_BITS = 1,
    DS_MOTION_MAX_BITS = 16,
};

enum {
    DS_MOTION_BASE_BITS = 16,
    DS_MOTION_PREDICT_PREVIOUS = 0, /* a joint stays where it was */
    DS_MOTION_PREDICT_VELOCITY = 1, /* a joint keeps its velocity */
};

/* Frame 0 of the segment holds each joint's absolute position and rotation at 16 bits
 * ("base"); frames t >= 1 hold its displacement p_t - p_0 and relative rotation
 * q_t (x) conj(q_0) at bits[c] per channel over the segment's (small) ranges of those. */
typedef struct ds_motion_layer {
    uint32_t joints, frames;
    int bits[DS_MOTION_CHANNELS];
    int predictor;
    float base_lo[DS_MOTION_CHANNELS], base_hi[DS_MOTION_CHANNELS];
    float lo[DS_MOTION_CHANNELS], hi[DS_MOTION_CHANNELS];
    int stages;
    uint32_t entries[DS_MOTION_MAX_STAGES];
    int16_t *codebooks[DS_MOTION_MAX_STAGES]; /* entries x channels */
    uint16_t *values;                         /* frames x joints x channels */
    uint16_t *indices[DS_MOTION_MAX_STAGES];  /* (frames - 1) x joints */
} ds_motion_layer;

/* Allocates values (and, for `stages` with `entries`, codebooks and indices), zeroed; every
 * channel's bits set to `bits`. */
ds_status ds_motion_layer_create(uint32_t joints, uint32_t frames, int bits, int stages,
                                 const uint32_t *entries, ds_motion_layer *layer);
void ds_motion_layer_free(ds_motion_layer *layer);

static inline uint32_t ds_motion_max_value(int bits) {
    return (1u << bits) - 1u;
}

/* The sample of "no motion since frame 0" in relative channel c: prediction starts from it. */
static inline int32_t ds_motion_rest_sample(const ds_motion_layer *layer, int c) {
    float rest = c == 3 ? 1.0f : 0.0f; /* identity quaternion's w; zero elsewhere */
    float range = layer->hi[c] - layer->lo[c];
    double unit = range > 0 ? ((double)rest - layer->lo[c]) / range : 0.0;
    double top = ds_motion_max_value(layer->bits[c]);
    double q = unit * top + 0.5;
    return q < 0 ? 0 : (q > top ? (int32_t)top : (int32_t)q);
}

/* The prediction of relative channel c of joint j at frame t >= 1 from the frames before it
 * (frame 0 counts as "no motion"). */
static inline int32_t ds_motion_prediction(const ds_motion_layer *layer, uint32_t t, size_t j,
                                           int c) {
    size_t stride = (size_t)layer->joints * DS_MOTION_CHANNELS;
    size_t at = j * DS_MOTION_CHANNELS + (size_t)c;
    int32_t rest = ds_motion_rest_sample(layer, c);
    int32_t previous = t >= 2 ? layer->values[(t - 1) * stride + at] : rest;
    if (layer->predictor == DS_MOTION_PREDICT_PREVIOUS || t < 2) {
        return previous;
    }
    int32_t older = t >= 3 ? layer->values[(t - 2) * stride + at] : rest;
    int32_t extrapolated = 2 * previous - older;
    int32_t top = (int32_t)ds_motion_max_value(layer->bits[c]);
    return extrapolated < 0 ? 0 : (extrapolated > top ? top : extrapolated);
}

ds_status ds_motion_layer_encode(const ds_motion_layer *layer, ds_byte_buffer *out);
/* Decodes a payload that must describe `joints` x `frames`. */
ds_status ds_motion_layer_decode(const uint8_t *data, size_t size, uint32_t joints, uint32_t frames,
                                 ds_motion_layer *layer);

/* A quantised sample's value over [lo, hi]. */
static inline float ds_motion_dequantise(uint16_t q, int bits, float lo, float hi) {
    return lo + (float)q / (float)ds_motion_max_value(bits) * (hi - lo);
}

/* Frame t's transforms: rotation q_t = normalise(relative) (x) q_0, position p_t = p_0 +
 * displacement, translation p_t - R(q_t) x0 with x0 the joints' canonical positions
 * (joints x 3). `transforms` has `joints` entries. All four quaternion components are stored:
 * deriving w from x, y, z loses precision near half-turns, which a turning performer reaches. */
void ds_motion_layer_transforms(const ds_motion_layer *layer, uint32_t t,
                                const float *canonical_joints, ds_joint_transforms *transforms);

#endif
