#include "skinning.h"
#include "parallel.h"

#include "projection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ds_quaternion_multiply(const float a[4], const float b[4], float out[4]) {
    float w = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
    float x = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
    float y = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
    float z = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
    out[0] = w;
    out[1] = x;
    out[2] = y;
    out[3] = z;
}

void ds_quaternion_normalize(float q[4]) {
    float norm = sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (norm > 0.0f) {
        for (int k = 0; k < 4; k++) {
            q[k] /= norm;
        }
    } else {
        q[0] = 1.0f;
        q[1] = q[2] = q[3] = 0.0f;
    }
}

ds_joint_frame *ds_joint_frames(const ds_joint_transforms *t) {
    ds_joint_frame *frames = malloc((t->count ? t->count : 1) * sizeof *frames);
    if (!frames) {
        return NULL;
    }
    for (size_t j = 0; j < t->count; j++) {
        memcpy(frames[j].q, t->rotations + j * 4, sizeof frames[j].q);
        ds_quaternion_normalize(frames[j].q);
        ds_quaternion_to_matrix(frames[j].q, frames[j].m);
    }
    return frames;
}

ds_status ds_skin_deform(const float *canonical_positions, const float *canonical_rotations,
                         const ds_binding *binding, const ds_joint_transforms *transforms,
                         float *positions, float *rotations) {
    if (binding->joint_count != transforms->count) {
        return ds_error(DS_ERR_ARGUMENT, "binding has %zu joints but there are %zu transforms",
                        binding->joint_count, transforms->count);
    }
    ds_joint_frame *frames = ds_joint_frames(transforms);
    if (!frames) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint frames");
    }
    int k = binding->k;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(binding->count))
    for (size_t i = 0; i < binding->count; i++) {
        const float *x0 = canonical_positions + i * 3;
        const uint32_t *joints = binding->joints + i * (size_t)k;
        const float *weights = binding->weights + i * (size_t)k;
        float x[3] = {0, 0, 0}, blend[4] = {0, 0, 0, 0};
        for (int s = 0; s < k; s++) {
            const ds_joint_frame *f = &frames[joints[s]];
            const float *t = transforms->translations + (size_t)joints[s] * 3;
            float w = weights[s], sign = ds_skinning_hemisphere(frames, joints, s);
            for (int r = 0; r < 3; r++) {
                x[r] += w * (f->m[r * 3] * x0[0] + f->m[r * 3 + 1] * x0[1] +
                             f->m[r * 3 + 2] * x0[2] + t[r]);
            }
            for (int c = 0; c < 4; c++) {
                blend[c] += w * sign * f->q[c];
            }
        }
        memcpy(positions + i * 3, x, sizeof x);
        ds_quaternion_multiply(blend, canonical_rotations + i * 4, rotations + i * 4);
    }
    free(frames);
    return ds_ok();
}
