/* DualGS tracking of the frames after the first (METHOD.md §2.4-2.5):
 *
 *   coarse: the joint Gaussians alone, their appearance frozen, move from the previous frame's
 *           pose (plus its velocity) to fit the new frame: positions and rotations under
 *           L1 + 0.05 E_rigid over the joint graph;
 *   fine:   per-joint rigid transforms (quaternion + translation: exactly what the stream stores),
 *           started from the coarse result, skin the skin Gaussians, whose opacity, scale and
 *           colour are optimised with them under L_rgb + 0.01 E_rigid over the skin graph and
 *           small temporal terms that keep the appearance close to the previous frame's.
 *
 * Both E_rigid hold the local shape to the first frame's by default, where the reference holds
 * it to the previous frame's (ds_rigidity_reference).
 *
 * The skin count never changes after the first frame; no densification happens here. */
#ifndef DS_ENCODER_TRACKING_H
#define DS_ENCODER_TRACKING_H

#include "encoder/first_frame_fit.h"
#include "encoder/skinning.h"
#include "formats/gaussian_cloud.h"

#include <stdbool.h>
#include <stdint.h>

/* What the rigidity terms hold each frame's local shape to. */
typedef enum ds_rigidity_reference {
    /* The first frame's: errors of one frame are pulled back in the next, so they do not add
     * up over a sequence (our default; measured in docs/tracking.md). */
    DS_RIGIDITY_TO_FIRST,
    /* The previous frame's, as the reference implementation: each frame's local distortion
     * becomes the next one's rest shape. */
    DS_RIGIDITY_TO_PREVIOUS,
} ds_rigidity_reference;

typedef struct ds_track_settings {
    int64_t coarse_iterations, fine_iterations;
    double extent; /* scene scale E; 0: from the cameras */
    float background[3];
    float binding_length;   /* l of the weights exp(-d^2 / l^2); 0: 0.02 m on HiFi4G's scale */
    double coarse_rigidity; /* 0.05 */
    double fine_rigidity;   /* 0.01 */
    ds_rigidity_reference rigidity_reference;
    double color_temporal; /* weight of ||f_dc - f_dc'|| + ||f_rest - f_rest'|| (1e-5) */
    double shape_temporal; /* weight of ||opacity - opacity'|| + ||scale - scale'|| (3e-8) */
    double coarse_position_lr, coarse_rotation_lr; /* positions times E */
    double fine_translation_lr, fine_rotation_lr;  /* initial, times E for translations; both
                                                       decay 100x over the fine stage */
    double color_lr; /* f_dc's rate in the fine stage (f_rest at half of it): 1e-3 */
    uint64_t seed;
} ds_track_settings;

ds_track_settings ds_track_default_settings(void);

/* What stays fixed for a sequence: the canonical joints and skin (the first frame's fit), the
 * binding and the two neighbour graphs. */
typedef struct ds_track_model {
    ds_gaussian_cloud *joints;
    ds_gaussian_cloud *skin; /* rotations normalised */
    ds_binding binding;
    ds_neighbor_graph joint_graph, skin_graph;
    float binding_length;
} ds_track_model;

/* Takes ownership of the clouds. `length` as in the settings (0: default for `extent`). */
ds_status ds_track_model_create(ds_gaussian_cloud *joints, ds_gaussian_cloud *skin, float length,
                                double extent, ds_track_model **model);
void ds_track_model_free(ds_track_model *model);

/* The state of one frame: joint transforms from the canonical frame, and the skin with this
 * frame's skinned positions and rotations and its own appearance. */
typedef struct ds_track_frame {
    ds_joint_transforms transforms;
    ds_gaussian_cloud *skin;
} ds_track_frame;

/* The first frame: identity transforms, the canonical skin. */
ds_status ds_track_frame_first(const ds_track_model *model, ds_track_frame *frame);
void ds_track_frame_free(ds_track_frame *frame);

/* The joints' positions and rotations (count x 3, count x 4) under a frame's transforms. */
void ds_track_joint_state(const ds_track_model *model, const ds_joint_transforms *transforms,
                          float *positions, float *rotations);

enum { DS_TRACK_COARSE = 0, DS_TRACK_FINE = 1 };

typedef struct ds_track_progress {
    int stage; /* DS_TRACK_COARSE or DS_TRACK_FINE */
    int64_t iteration, iterations;
    double loss, psnr;
} ds_track_progress;

/* Called after every step; returning false stops (the frame is then not produced). */
typedef bool (*ds_track_callback)(void *context, const ds_track_progress *progress);

/* Tracks the next frame from the previous one (and the one before, for the velocity; NULL when
 * there is none). `coarse_views` may be a lower resolution of `fine_views`. */
ds_status ds_track_next(const ds_track_model *model, const ds_track_frame *previous,
                        const ds_track_frame *before_previous, const ds_fit_views *coarse_views,
                        const ds_fit_views *fine_views, const ds_track_settings *settings,
                        ds_track_callback callback, void *context, ds_track_frame *next);

#endif
