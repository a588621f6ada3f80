#include "motion_codec.h"

#include "kmeans.h"
#include "render/projection.h"
#include "render/skinning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TRAINING_ROWS = 1 << 16, TRAINING_ITERATIONS = 12 };

void ds_motion_settings_default(ds_motion_settings *s) {
    s->position_step = 2e-4f;
    s->rotation_step = 1e-3f;
    s->stages = 2;
    s->entries = 256;
    s->seed = 1;
}

/* Joint positions and hemisphere-continuous unit quaternions: frames x joints x channels. */
static float *joint_channels(const ds_joint_transforms *transforms, uint32_t frames,
                             const float *x0) {
    size_t joints = transforms[0].count;
    float *channels = malloc((size_t)frames * joints * DS_MOTION_CHANNELS * sizeof *channels);
    if (!channels) {
        return NULL;
    }
    for (uint32_t t = 0; t < frames; t++) {
        for (size_t j = 0; j < joints; j++) {
            float *out = channels + ((size_t)t * joints + j) * DS_MOTION_CHANNELS;
            float q[4], m[9];
            memcpy(q, transforms[t].rotations + j * 4, sizeof q);
            float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
            if (!(norm > 0)) {
                q[0] = 1, q[1] = q[2] = q[3] = 0, norm = 1;
            }
            const float *previous = t ? out - joints * DS_MOTION_CHANNELS + 3 : NULL;
            float dot = previous ? previous[0] * q[0] + previous[1] * q[1] + previous[2] * q[2] +
                                       previous[3] * q[3]
                                 : q[0];
            float sign = dot < 0 ? -1.0f : 1.0f;
            for (int c = 0; c < 4; c++) {
                q[c] *= sign / norm;
            }
            ds_quaternion_to_matrix(q, m);
            const float *x = x0 + j * 3, *translation = transforms[t].translations + j * 3;
            for (int r = 0; r < 3; r++) {
                out[r] =
                    m[r * 3] * x[0] + m[r * 3 + 1] * x[1] + m[r * 3 + 2] * x[2] + translation[r];
            }
            memcpy(out + 3, q, sizeof q);
        }
    }
    return channels;
}

/* The bits that cover `range` in steps of `step`. */
static int bits_for(float range, float step) {
    double levels = step > 0 ? (double)range / step + 1.0 : 65536.0;
    int bits = DS_MOTION_MIN_BITS;
    while (bits < DS_MOTION_MAX_BITS && (double)(1u << bits) < levels) {
        bits++;
    }
    return bits;
}

static uint16_t quantise_value(float v, int bits, float lo, float hi) {
    double top = ds_motion_max_value(bits), range = (double)hi - lo;
    double unit = range > 0 ? ((double)v - lo) / range : 0.0;
    long q = lround(unit * top);
    return (uint16_t)(q < 0 ? 0 : (q > (long)top ? (long)top : q));
}

static void channel_ranges(const float *channels, size_t first, size_t end, bool with_rest,
                           float *lo, float *hi) {
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        float rest = c == 3 ? 1.0f : 0.0f;
        lo[c] = with_rest ? rest : INFINITY;
        hi[c] = with_rest ? rest : -INFINITY;
        for (size_t v = first * DS_MOTION_CHANNELS + (size_t)c; v < end * DS_MOTION_CHANNELS;
             v += DS_MOTION_CHANNELS) {
            lo[c] = fminf(lo[c], channels[v]);
            hi[c] = fmaxf(hi[c], channels[v]);
        }
    }
}

/* Frame 0 absolute at 16 bits; later frames relative to frame 0 as the decoder will have it,
 * each channel at the bits its range needs at its step. */
static void quantise(float *channels, uint32_t frames, size_t joints, const float steps[2],
                     ds_motion_layer *layer) {
    channel_ranges(channels, 0, joints, false, layer->base_lo, layer->base_hi);
    for (size_t j = 0; j < joints; j++) {
        float *base = channels + j * DS_MOTION_CHANNELS;
        for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
            uint16_t q =
                quantise_value(base[c], DS_MOTION_BASE_BITS, layer->base_lo[c], layer->base_hi[c]);
            layer->values[j * DS_MOTION_CHANNELS + (size_t)c] = q;
            base[c] =
                ds_motion_dequantise(q, DS_MOTION_BASE_BITS, layer->base_lo[c], layer->base_hi[c]);
        }
        ds_quaternion_normalize(base + 3);
        for (uint32_t t = 1; t < frames; t++) {
            float *v = channels + ((size_t)t * joints + j) * DS_MOTION_CHANNELS;
            for (int c = 0; c < 3; c++) {
                v[c] -= base[c];
            }
            const float *q0 = base + 3;
            float inverse[4] = {q0[0], -q0[1], -q0[2], -q0[3]}, relative[4];
            ds_quaternion_multiply(v + 3, inverse, relative);
            float sign = relative[0] < 0 ? -1.0f : 1.0f;
            for (int c = 0; c < 4; c++) {
                v[3 + c] = sign * relative[c];
            }
        }
    }
    if (frames < 2) {
        return;
    }
    channel_ranges(channels, joints, (size_t)frames * joints, true, layer->lo, layer->hi);
    for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
        layer->bits[c] = bits_for(layer->hi[c] - layer->lo[c], steps[c < 3 ? 0 : 1]);
    }
    for (size_t v = joints * DS_MOTION_CHANNELS; v < (size_t)frames * joints * DS_MOTION_CHANNELS;
         v++) {
        int c = (int)(v % DS_MOTION_CHANNELS);
        layer->values[v] = quantise_value(channels[v], layer->bits[c], layer->lo[c], layer->hi[c]);
    }
}

/* The prediction residuals (frames - 1) x joints x channels under the layer's predictor, and
 * their sum of magnitudes. */
static double residuals_of(const ds_motion_layer *layer, float *residuals) {
    size_t joints = layer->joints;
    double magnitude = 0;
    for (uint32_t t = 1; t < layer->frames; t++) {
        for (size_t j = 0; j < joints; j++) {
            for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
                size_t at = ((size_t)t * joints + j) * DS_MOTION_CHANNELS + (size_t)c;
                float r =
                    (float)((int32_t)layer->values[at] - ds_motion_prediction(layer, t, j, c));
                residuals[at - joints * DS_MOTION_CHANNELS] = r;
                magnitude += fabsf(r);
            }
        }
    }
    return magnitude;
}

/* Trains each stage on what the stages before it left of the prediction residuals and picks
 * each residual's codeword; `remaining` (residuals x channels) holds the residuals on entry. */
static ds_status train_stages(ds_motion_layer *layer, float *remaining, size_t residuals,
                              const ds_motion_settings *s) {
    float *centroids = malloc((size_t)s->entries * DS_MOTION_CHANNELS * sizeof *centroids);
    if (!centroids) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate motion codebooks");
    }
    ds_status status = ds_ok();
    for (int stage = 0; stage < layer->stages && !ds_failed(&status); stage++) {
        ds_kmeans_settings k = {layer->entries[stage], TRAINING_ITERATIONS, TRAINING_ROWS,
                                s->seed + (uint64_t)stage};
        status = ds_kmeans_train(remaining, residuals, DS_MOTION_CHANNELS, &k, centroids);
        if (ds_failed(&status)) {
            break;
        }
        /* Codewords are integers, so the layer stays exact in integer arithmetic. */
        for (size_t e = 0; e < (size_t)layer->entries[stage] * DS_MOTION_CHANNELS; e++) {
            float v = roundf(centroids[e]);
            v = v < -32767.0f ? -32767.0f : (v > 32767.0f ? 32767.0f : v);
            layer->codebooks[stage][e] = (int16_t)v;
            centroids[e] = v;
        }
        ds_nearest_index *index;
        status =
            ds_nearest_index_create(centroids, layer->entries[stage], DS_MOTION_CHANNELS, &index);
        if (ds_failed(&status)) {
            break;
        }
#pragma omp parallel for schedule(static)
        for (size_t r = 0; r < residuals; r++) {
            float *residual = remaining + r * DS_MOTION_CHANNELS;
            uint32_t nearest = ds_nearest_index_find(index, residual, NULL);
            layer->indices[stage][r] = (uint16_t)nearest;
            for (int c = 0; c < DS_MOTION_CHANNELS; c++) {
                residual[c] -= centroids[(size_t)nearest * DS_MOTION_CHANNELS + (size_t)c];
            }
        }
        ds_nearest_index_free(index);
    }
    free(centroids);
    return status;
}

ds_status ds_motion_analyse(const ds_joint_transforms *transforms, uint32_t frames,
                            const float *canonical_joints, float extent,
                            const ds_motion_settings *s, ds_motion_layer *layer) {
    if (frames == 0 || transforms[0].count == 0 || transforms[0].count > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT, "no joint motion to code");
    }
    size_t joints = transforms[0].count;
    uint32_t entries[DS_MOTION_MAX_STAGES];
    for (int stage = 0; stage < DS_MOTION_MAX_STAGES; stage++) {
        entries[stage] = s->entries;
    }
    int stages = frames > 1 ? s->stages : 0;
    ds_status status = ds_motion_layer_create((uint32_t)joints, frames, DS_MOTION_MAX_BITS, stages,
                                              entries, layer);
    if (ds_failed(&status)) {
        return status;
    }
    float *channels = joint_channels(transforms, frames, canonical_joints);
    if (!channels) {
        ds_motion_layer_free(layer);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint motion");
    }
    const float steps[2] = {s->position_step * extent, s->rotation_step};
    quantise(channels, frames, joints, steps, layer);
    free(channels);
    if (frames > 1) {
        size_t residuals = (size_t)(frames - 1) * joints;
        float *remaining = malloc(residuals * DS_MOTION_CHANNELS * sizeof *remaining);
        if (!remaining) {
            ds_motion_layer_free(layer);
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate motion residuals");
        }
        /* Noisy motion (tracking) predicts better from the last frame, smooth motion from
         * the last velocity: keep whichever leaves less. */
        layer->predictor = DS_MOTION_PREDICT_PREVIOUS;
        double still = residuals_of(layer, remaining);
        layer->predictor = DS_MOTION_PREDICT_VELOCITY;
        double moving = residuals_of(layer, remaining);
        if (still < moving) {
            layer->predictor = DS_MOTION_PREDICT_PREVIOUS;
            residuals_of(layer, remaining);
        }
        if (stages > 0) {
            status = train_stages(layer, remaining, residuals, s);
        }
        free(remaining);
    }
    if (ds_failed(&status)) {
        ds_motion_layer_free(layer);
    }
    return status;
}
