#include "range_start.h"

#include "encoder/silhouette_centroid.h"
#include "render/projection.h"
#include "render/rasterizer.h"
#include "render/skinning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Turns tried about the up axis, in degrees: a performer turns this much in a range's reach. */
static const double TURNS[] = {-60, -45, -30, -15, 0, 15, 30, 45, 60};
enum { TURN_COUNT = sizeof TURNS / sizeof TURNS[0] };

/* The body moved by `shift` and turned by `degrees` about `up` through `pivot`:
 * x' = R (x + shift - pivot) + pivot, for every joint (the first frame's transforms are the
 * identity). */
static ds_status place(const ds_track_model *model, const double shift[3], const double up[3],
                       const double pivot[3], double degrees, ds_track_frame *state) {
    double half = 0.5 * degrees * 3.14159265358979323846 / 180.0;
    float q[4] = {(float)cos(half), (float)(sin(half) * up[0]), (float)(sin(half) * up[1]),
                  (float)(sin(half) * up[2])};
    float m[9];
    ds_quaternion_to_matrix(q, m);
    float offset[3], turned[3];
    for (int k = 0; k < 3; k++) {
        offset[k] = (float)(shift[k] - pivot[k]);
    }
    for (int r = 0; r < 3; r++) {
        turned[r] = m[r * 3] * offset[0] + m[r * 3 + 1] * offset[1] + m[r * 3 + 2] * offset[2] +
                    (float)pivot[r];
    }
    for (size_t j = 0; j < state->transforms.count; j++) {
        memcpy(state->transforms.rotations + j * 4, q, sizeof q);
        memcpy(state->transforms.translations + j * 3, turned, sizeof turned);
    }
    return ds_skin_deform(model->skin->positions, model->skin->rotations, &model->binding,
                          &state->transforms, state->skin->positions, state->skin->rotations);
}

/* Mean absolute difference of the state's renders from the views. */
static ds_status mismatch(ds_rasterizer *rasterizer, const ds_track_frame *state,
                          const ds_fit_views *views, const float background[3], double *error) {
    ds_raster_settings settings = {{background[0], background[1], background[2]}, -1, false};
    double sum = 0;
    size_t samples = 0;
    for (size_t v = 0; v < views->count; v++) {
        const ds_image *target = &views->images[v];
        ds_image render;
        ds_status status = ds_image_create(target->width, target->height, &render);
        if (!ds_failed(&status)) {
            status = ds_rasterize(rasterizer, state->skin, &views->cameras[v], &settings, &render);
        }
        if (ds_failed(&status)) {
            ds_image_free(&render);
            return status;
        }
        size_t values = (size_t)target->width * (size_t)target->height * 3;
        for (size_t i = 0; i < values; i++) {
            sum += fabsf(render.pixels[i] - target->pixels[i]);
        }
        samples += values;
        ds_image_free(&render);
    }
    *error = samples ? sum / (double)samples : 0.0;
    return ds_ok();
}

ds_status ds_track_range_start(const ds_track_model *model, const ds_fit_views *first_views,
                               const ds_fit_views *views, const float background[3],
                               const double up[3], ds_track_frame *state) {
    double before[3], after[3], shift[3];
    ds_status status = ds_silhouette_centroid(first_views, background, before);
    if (!ds_failed(&status)) {
        status = ds_silhouette_centroid(views, background, after);
    }
    if (ds_failed(&status)) {
        return status;
    }
    for (int k = 0; k < 3; k++) {
        shift[k] = after[k] - before[k];
    }
    ds_rasterizer *rasterizer;
    status = ds_rasterizer_create(&rasterizer);
    if (ds_failed(&status)) {
        return status;
    }
    double best = INFINITY, best_turn = 0;
    for (int t = 0; t < TURN_COUNT && !ds_failed(&status); t++) {
        double error = 0;
        status = place(model, shift, up, after, TURNS[t], state);
        if (!ds_failed(&status)) {
            status = mismatch(rasterizer, state, views, background, &error);
        }
        if (!ds_failed(&status) && error < best) {
            best = error;
            best_turn = TURNS[t];
        }
    }
    ds_rasterizer_free(rasterizer);
    return ds_failed(&status) ? status : place(model, shift, up, after, best_turn, state);
}
