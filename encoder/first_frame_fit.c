#include "first_frame_fit.h"

#include "encoder/fit_checkpoint.h"
#include "encoder/gaussian_trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ds_fit_settings ds_fit_default_settings(void) {
    return (ds_fit_settings){
        .joint_iterations = 3000,
        .skin_iterations = 9000,
        .joint_count = 15000,
        .background = {1.0f, 1.0f, 1.0f},
        .hull = ds_visual_hull_default_settings(),
        .seed = 1,
        .checkpoint_interval = 500,
    };
}

double ds_camera_extent(const ds_camera *cameras, size_t count) {
    double mean[3] = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        double center[3];
        ds_camera_center(&cameras[i], center);
        for (int k = 0; k < 3; k++) {
            mean[k] += center[k] / (double)count;
        }
    }
    double largest = 0;
    for (size_t i = 0; i < count; i++) {
        double center[3];
        ds_camera_center(&cameras[i], center);
        double d = sqrt((center[0] - mean[0]) * (center[0] - mean[0]) +
                        (center[1] - mean[1]) * (center[1] - mean[1]) +
                        (center[2] - mean[2]) * (center[2] - mean[2]));
        largest = d > largest ? d : largest;
    }
    return 1.1 * largest;
}

/* FNV-1a over the bytes that decide what a fit computes. */
static uint64_t hash_bytes(uint64_t hash, const void *bytes, size_t size) {
    const uint8_t *p = bytes;
    for (size_t i = 0; i < size; i++) {
        hash = (hash ^ p[i]) * 1099511628211ull;
    }
    return hash;
}

static uint64_t fingerprint(const ds_fit_views *joints, const ds_fit_views *skin,
                            const ds_fit_settings *s) {
    uint64_t hash = 14695981039346656037ull;
    const ds_fit_views *sets[2] = {joints, skin};
    for (int v = 0; v < 2; v++) {
        hash = hash_bytes(hash, &sets[v]->count, sizeof sets[v]->count);
        for (size_t i = 0; i < sets[v]->count; i++) {
            hash = hash_bytes(hash, &sets[v]->cameras[i], sizeof(ds_camera));
        }
    }
    const int64_t numbers[] = {s->joint_iterations, s->skin_iterations, (int64_t)s->joint_count,
                               (int64_t)s->seed, s->hull.resolution};
    hash = hash_bytes(hash, numbers, sizeof numbers);
    return hash_bytes(hash, &s->extent, sizeof s->extent);
}

/* Views in a fresh random order every epoch, reproducible from the seed and the step, so that
 * a resumed fit sees the same sequence as an uninterrupted one. */
static size_t view_for_step(int64_t step, size_t count, uint64_t seed, size_t *order) {
    int64_t epoch = (step - 1) / (int64_t)count;
    uint64_t state = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)epoch * 0xbf58476d1ce4e5b9ull;
    for (size_t i = 0; i < count; i++) {
        order[i] = i;
    }
    for (size_t i = count; i > 1; i--) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        size_t j = (size_t)((state * 2685821657736338717ull) >> 33) % i;
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    return order[(size_t)((step - 1) % (int64_t)count)];
}

static ds_trainer_settings stage_settings(int stage, double extent, int64_t iterations,
                                          const ds_fit_settings *fit) {
    ds_trainer_settings s = ds_trainer_default_settings(extent, iterations);
    memcpy(s.background, fit->background, sizeof s.background);
    s.seed = fit->seed + (uint64_t)stage;
    s.densify_until = iterations / 2;
    if (stage == DS_FIT_STAGE_JOINTS) {
        /* METHOD.md §2.2: round and even-sized Gaussians, opaque survivors; positions at 3DGS's
         * rate rather than DualGS's 3.2e-5 E, which suits 30,000 steps, not a few thousand. */
        s.position_lr_init = 1.6e-4 * extent;
        s.position_lr_final = 1.6e-6 * extent;
        s.isotropy_weight = 0.002;
        s.size_weight = 1.0;
        s.densify.min_opacity = 0.1f;
        s.opacity_reset_interval = 4000;
    } else {
        /* §2.3: plain 3DGS from the joints, SH degree 3 from the start. */
        s.sh_degree_interval = 0;
        s.densify.min_opacity = 0.015f;
    }
    return s;
}

/* Keeps every k-th Gaussian (k = floor(count / target)), as DualGS thins its joints. */
static ds_status thin(ds_trainer *trainer, size_t target) {
    ds_gaussian_cloud *cloud = ds_trainer_cloud(trainer);
    size_t step = target ? cloud->count / target : 0;
    if (step <= 1) {
        return ds_ok();
    }
    bool *remove = malloc(cloud->count * sizeof *remove);
    if (!remove) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate thinning flags");
    }
    for (size_t i = 0; i < cloud->count; i++) {
        remove[i] = i % step != 0;
    }
    ds_status status =
        ds_prune(cloud, ds_trainer_optimizer(trainer), ds_trainer_statistics(trainer), remove);
    free(remove);
    return status;
}

typedef struct fit_run {
    const ds_fit_settings *settings;
    uint64_t fingerprint;
    double extent;
    size_t *order;
    ds_fit_callback callback;
    void *context;
} fit_run;

/* Trains one stage to its end (or until the callback asks to stop). */
static ds_status run_stage(fit_run *run, int stage, const ds_fit_views *views, ds_trainer *trainer,
                           int64_t iterations, const ds_gaussian_cloud *joints, bool resumed) {
    const ds_fit_settings *s = run->settings;
    double smoothed_loss = NAN, smoothed_psnr = NAN;
    while (ds_trainer_iteration(trainer) < iterations) {
        int64_t step = ds_trainer_iteration(trainer) + 1;
        size_t view = view_for_step(step, views->count, s->seed + (uint64_t)stage, run->order);
        ds_trainer_report report;
        ds_status status =
            ds_trainer_step(trainer, &views->cameras[view], &views->images[view], &report);
        if (ds_failed(&status)) {
            return status;
        }
        if (stage == DS_FIT_STAGE_JOINTS && step == iterations / 2) {
            status = thin(trainer, s->joint_count);
            if (ds_failed(&status)) {
                return status;
            }
        }
        smoothed_loss =
            isnan(smoothed_loss) ? report.loss : 0.9 * smoothed_loss + 0.1 * report.loss;
        double psnr = isfinite(report.psnr) ? report.psnr : 99.0;
        smoothed_psnr = isnan(smoothed_psnr) ? psnr : 0.9 * smoothed_psnr + 0.1 * psnr;
        ds_fit_progress progress = {
            .stage = stage,
            .iteration = step,
            .iterations = iterations,
            .loss = smoothed_loss,
            .psnr = smoothed_psnr,
            .gaussians = ds_trainer_cloud(trainer)->count,
            .resumed = resumed,
        };
        bool keep_going = run->callback ? run->callback(run->context, &progress) : true;
        bool checkpoint_due = s->checkpoint_interval > 0 && step % s->checkpoint_interval == 0;
        if (s->checkpoint_path && (checkpoint_due || !keep_going)) {
            status = ds_fit_checkpoint_save(s->checkpoint_path, run->fingerprint, stage, trainer,
                                            joints);
            if (ds_failed(&status)) {
                return status;
            }
        }
        if (!keep_going) {
            return ds_error(DS_ERR_INTERRUPTED,
                            "stopped at step %lld of stage %d; run again to "
                            "continue",
                            (long long)step, stage + 1);
        }
    }
    return ds_ok();
}

/* A trainer for `stage` on `cloud` (owned by it afterwards), restored from a checkpoint when one
 * is given. */
static ds_status make_trainer(fit_run *run, int stage, int64_t iterations, ds_gaussian_cloud *cloud,
                              const ds_fit_checkpoint *checkpoint, ds_trainer **trainer) {
    ds_trainer_settings settings = stage_settings(stage, run->extent, iterations, run->settings);
    ds_status status = ds_trainer_create(cloud, &settings, trainer);
    if (!ds_failed(&status) && checkpoint) {
        status = ds_fit_checkpoint_restore(checkpoint, *trainer);
    }
    return status;
}

ds_status ds_fit_first_frame(const ds_fit_views *joint_views, const ds_fit_views *skin_views,
                             const ds_fit_settings *settings, ds_fit_callback callback,
                             void *context, ds_gaussian_cloud **joints_out,
                             ds_gaussian_cloud **skin_out) {
    *joints_out = *skin_out = NULL;
    if (joint_views->count < 2 || skin_views->count < 2) {
        return ds_error(DS_ERR_ARGUMENT, "fitting needs at least two training views");
    }
    size_t most_views =
        joint_views->count > skin_views->count ? joint_views->count : skin_views->count;
    fit_run run = {
        .settings = settings,
        .fingerprint = fingerprint(joint_views, skin_views, settings),
        .extent = settings->extent > 0 ? settings->extent
                                       : ds_camera_extent(skin_views->cameras, skin_views->count),
        .order = malloc(most_views * sizeof(size_t)),
        .callback = callback,
        .context = context,
    };
    if (!run.order) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the view order");
    }
    ds_fit_checkpoint checkpoint = {0};
    bool resumed = false;
    if (settings->checkpoint_path) {
        ds_status status = ds_fit_checkpoint_load(settings->checkpoint_path, &checkpoint);
        resumed = !ds_failed(&status) && checkpoint.fingerprint == run.fingerprint;
        if (!resumed) {
            ds_fit_checkpoint_free(&checkpoint); /* missing, damaged or another fit's */
        }
    }

    ds_status status = ds_ok();
    ds_gaussian_cloud *joints = NULL;
    ds_trainer *trainer = NULL;
    int first_stage = resumed ? checkpoint.stage : DS_FIT_STAGE_JOINTS;
    if (first_stage == DS_FIT_STAGE_JOINTS) {
        ds_gaussian_cloud *initial = NULL;
        if (resumed) {
            initial = checkpoint.cloud;
            checkpoint.cloud = NULL;
        } else {
            ds_visual_hull_report hull;
            status = ds_visual_hull(joint_views->cameras, joint_views->images, joint_views->count,
                                    settings->background, &settings->hull, &initial, &hull);
        }
        if (!ds_failed(&status)) {
            status = make_trainer(&run, DS_FIT_STAGE_JOINTS, settings->joint_iterations, initial,
                                  resumed ? &checkpoint : NULL, &trainer);
        }
        if (!ds_failed(&status)) {
            status = run_stage(&run, DS_FIT_STAGE_JOINTS, joint_views, trainer,
                               settings->joint_iterations, NULL, resumed);
        }
        if (!ds_failed(&status)) {
            status = ds_gaussian_cloud_clone(ds_trainer_cloud(trainer), &joints);
        }
        ds_trainer_free(trainer);
        trainer = NULL;
        resumed = false;
    } else {
        joints = checkpoint.joints;
        checkpoint.joints = NULL;
    }
    if (!ds_failed(&status)) {
        /* The skin starts as a copy of the joints (METHOD.md §2.3). */
        ds_gaussian_cloud *skin = NULL;
        if (resumed) {
            skin = checkpoint.cloud;
            checkpoint.cloud = NULL;
        } else {
            status = ds_gaussian_cloud_clone(joints, &skin);
        }
        if (!ds_failed(&status)) {
            status = make_trainer(&run, DS_FIT_STAGE_SKIN, settings->skin_iterations, skin,
                                  resumed ? &checkpoint : NULL, &trainer);
        }
        if (!ds_failed(&status)) {
            status = run_stage(&run, DS_FIT_STAGE_SKIN, skin_views, trainer,
                               settings->skin_iterations, joints, resumed);
        }
        if (!ds_failed(&status)) {
            status = ds_gaussian_cloud_clone(ds_trainer_cloud(trainer), skin_out);
        }
        ds_trainer_free(trainer);
    }
    ds_fit_checkpoint_free(&checkpoint);
    free(run.order);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(joints);
        ds_gaussian_cloud_free(*skin_out);
        *skin_out = NULL;
        return status;
    }
    *joints_out = joints;
    return ds_ok();
}
