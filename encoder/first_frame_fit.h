/* First-frame fitting of DualGS (METHOD.md §2.2-2.3): the joint Gaussians, trained from a visual
 * hull with the isotropy and size regularisers and thinned to the joint count, then the skin
 * Gaussians, initialised from the joints and trained as plain 3DGS. */
#ifndef DS_ENCODER_FIRST_FRAME_FIT_H
#define DS_ENCODER_FIRST_FRAME_FIT_H

#include "encoder/visual_hull.h"
#include "formats/camera.h"
#include "formats/gaussian_cloud.h"
#include "formats/image.h"

#include <stdbool.h>
#include <stdint.h>

/* Training views: cameras and their images (same sizes). */
typedef struct ds_fit_views {
    size_t count;
    const ds_camera *cameras;
    const ds_image *images;
} ds_fit_views;

typedef struct ds_fit_settings {
    int64_t joint_iterations;
    int64_t skin_iterations;
    size_t joint_count; /* joints kept when thinning (DualGS: 15,000) */
    double extent;      /* the scene's spatial scale E; 0: from the cameras */
    float background[3];
    ds_visual_hull_settings hull;
    uint64_t seed;
    /* Where to keep a checkpoint, and how often (iterations); NULL: none. */
    const char *checkpoint_path;
    int64_t checkpoint_interval;
} ds_fit_settings;

/* Defaults that fit a HiFi4G frame at 960x540 within half an hour on two cores. */
ds_fit_settings ds_fit_default_settings(void);

enum { DS_FIT_STAGE_JOINTS = 0, DS_FIT_STAGE_SKIN = 1, DS_FIT_STAGES = 2 };

typedef struct ds_fit_progress {
    int stage; /* DS_FIT_STAGE_* */
    int64_t iteration, iterations;
    double loss, psnr; /* of the last step's view (smoothed) */
    size_t gaussians;
    bool resumed; /* this stage continued from a checkpoint */
} ds_fit_progress;

/* Called after every step; returning false stops fitting (with a checkpoint written). */
typedef bool (*ds_fit_callback)(void *context, const ds_fit_progress *progress);

/* 1.1 times the largest distance of a camera centre from their mean (3DGS's cameras_extent). */
double ds_camera_extent(const ds_camera *cameras, size_t count);

/* Fits the first frame. `joint_views` may be a lower-resolution copy of `skin_views` (the joint
 * stage needs less detail). On success the caller owns `*joints` and `*skin`. When
 * `settings->checkpoint_path` names an existing checkpoint of the same views, fitting resumes
 * from it. */
ds_status ds_fit_first_frame(const ds_fit_views *joint_views, const ds_fit_views *skin_views,
                             const ds_fit_settings *settings, ds_fit_callback callback,
                             void *context, ds_gaussian_cloud **joints, ds_gaussian_cloud **skin);

#endif
