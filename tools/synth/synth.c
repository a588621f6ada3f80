#include "synth.h"

#include "raytrace.h"
#include "synth_writer.h"

#include "formats/png.h"

#include <omp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_status ds_synth_preset(const char *name, ds_synth_settings *settings) {
    ds_synth_settings preset = {
        .motion = DS_SYNTH_DANCE,
        .seed = 1,
        .samples = 3,
    };
    if (strcmp(name, "test") == 0) {
        preset.views = 24;
        preset.frames = 12;
        preset.width = 160;
        preset.height = 120;
        preset.rig = DS_SYNTH_RING;
    } else if (strcmp(name, "bench") == 0) {
        preset.views = 48;
        preset.frames = 120;
        preset.width = 480;
        preset.height = 360;
        preset.rig = DS_SYNTH_DOME;
    } else {
        return ds_error(DS_ERR_ARGUMENT, "unknown preset '%s' (test or bench)", name);
    }
    *settings = preset;
    return ds_ok();
}

ds_status ds_synth_settings_check(const ds_synth_settings *s) {
    if (s->views < 1 || s->views > 10000) {
        return ds_error(DS_ERR_ARGUMENT, "%d views is not in 1-10000", s->views);
    }
    if (s->frames < 1 || s->frames > 100000) {
        return ds_error(DS_ERR_ARGUMENT, "%d frames is not in 1-100000", s->frames);
    }
    if (s->width < 1 || s->height < 1 || s->width > 16384 || s->height > 16384) {
        return ds_error(DS_ERR_ARGUMENT, "an image of %dx%d pixels is not in 1x1-16384x16384",
                        s->width, s->height);
    }
    if (s->samples < 1 || s->samples > 16) {
        return ds_error(DS_ERR_ARGUMENT, "%d samples per pixel side is not in 1-16", s->samples);
    }
    if (s->rig < 0 || s->rig >= DS_SYNTH_RIG_COUNT || s->motion < 0 ||
        s->motion >= DS_SYNTH_MOTION_COUNT) {
        return ds_error(DS_ERR_ARGUMENT, "unknown rig or motion");
    }
    return ds_ok();
}

/* Writes one rendered view of a frame. */
static ds_status save_view(const char *folder, int frame, int view, const ds_image *image) {
    char path[4096], name[32];
    snprintf(name, sizeof name, "%d.png", view);
    ds_status status = ds_synth_path(path, sizeof path, folder, name);
    if (!ds_failed(&status)) {
        status = ds_png_save(path, image);
    }
    if (ds_failed(&status)) {
        status = ds_error(status.code, "cannot write image_white/%d/%s: %s", frame, name,
                          status.message);
    }
    return status;
}

/* The frames of every view, written frame by frame. Views are rendered a batch at a time (each
 * image's rows in parallel) and the batch's PNGs then compressed and written in parallel, so the
 * serial PNG encoder does not leave the other cores idle. */
static ds_status render_frames(const char *directory, const ds_synth_settings *s,
                               const ds_synth_figure *figure, const ds_synth_pose *poses,
                               const ds_camera *cameras, ds_synth_progress_fn progress,
                               void *context) {
    int batch = omp_get_max_threads();
    batch = batch < 1 ? 1 : (batch > s->views ? s->views : batch);
    ds_image *images = calloc((size_t)batch, sizeof *images);
    ds_status *statuses = calloc((size_t)batch, sizeof *statuses);
    ds_status status = ds_ok();
    if (!images || !statuses) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate %d images", batch);
    }
    for (int i = 0; i < batch && !ds_failed(&status); i++) {
        status = ds_image_create(s->width, s->height, &images[i]);
    }
    int total = s->frames * s->views;
    for (int f = 0; f < s->frames && !ds_failed(&status); f++) {
        char folder[4096];
        status = ds_synth_frame_folder(directory, f, folder, sizeof folder);
        for (int first = 0; first < s->views && !ds_failed(&status); first += batch) {
            int count = s->views - first < batch ? s->views - first : batch;
            for (int i = 0; i < count && !ds_failed(&status); i++) {
                status =
                    ds_synth_render(figure, &poses[f], &cameras[first + i], s->samples, &images[i]);
            }
            if (ds_failed(&status)) {
                break;
            }
#pragma omp parallel for schedule(dynamic, 1)
            for (int i = 0; i < count; i++) {
                statuses[i] = save_view(folder, f, first + i, &images[i]);
            }
            for (int i = 0; i < count && !ds_failed(&status); i++) {
                status = statuses[i];
            }
            if (!ds_failed(&status) && progress &&
                !progress(context, f * s->views + first + count, total)) {
                status = ds_error(DS_ERR_INTERRUPTED,
                                  "stopped after %d of %d frames; the folder holds no capture yet",
                                  f, s->frames);
            }
        }
    }
    for (int i = 0; images && i < batch; i++) {
        ds_image_free(&images[i]);
    }
    free(images);
    free(statuses);
    return status;
}

ds_status ds_synth_generate(const char *directory, const ds_synth_settings *settings,
                            ds_synth_progress_fn progress, void *context) {
    ds_status status = ds_synth_settings_check(settings);
    if (ds_failed(&status)) {
        return status;
    }
    ds_synth_figure figure;
    ds_synth_figure_init(&figure, settings->seed);
    size_t views = (size_t)settings->views, frames = (size_t)settings->frames;
    ds_synth_rig_camera *rig = calloc(views, sizeof *rig);
    ds_camera *cameras = calloc(views, sizeof *cameras);
    ds_synth_pose *poses = calloc(frames, sizeof *poses);
    double(*framing)[3] = calloc(DS_SYNTH_FRAMING_POINT_COUNT, sizeof *framing);
    if (!rig || !cameras || !poses || !framing) {
        status =
            ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu cameras and %zu poses", views, frames);
    }
    if (!ds_failed(&status)) {
        double target[3];
        ds_synth_motion_framing(&figure, settings->motion, framing, target);
        status = ds_synth_rig_create(
            settings->rig, settings->views, settings->width, settings->height, settings->seed,
            target, (const double(*)[3])framing, DS_SYNTH_FRAMING_POINT_COUNT, rig);
    }
    /* Rendering with the cameras as a reader rebuilds them from transforms.json makes the images
     * and the calibration agree to the last bit. */
    for (size_t v = 0; v < views && !ds_failed(&status); v++) {
        status = ds_synth_rig_camera_to_camera(&rig[v], &cameras[v]);
    }
    for (size_t f = 0; f < frames && !ds_failed(&status); f++) {
        ds_synth_motion_pose(&figure, settings->motion, (double)f / DS_SYNTH_FPS, &poses[f]);
    }
    if (!ds_failed(&status)) {
        status = ds_synth_prepare_output(directory, settings->overwrite);
    }
    if (!ds_failed(&status)) {
        status = render_frames(directory, settings, &figure, poses, cameras, progress, context);
    }
    if (!ds_failed(&status)) {
        status = ds_synth_remove_stale(directory, settings->frames, settings->views);
    }
    /* Last: from here on the folder is a capture. */
    if (!ds_failed(&status)) {
        status = ds_synth_write_bones(directory, &figure, settings, poses);
    }
    if (!ds_failed(&status)) {
        status = ds_synth_write_transforms(directory, rig, settings->views);
    }
    free(framing);
    free(rig);
    free(cameras);
    free(poses);
    return status;
}
