#include "capture_views.h"

#include "encoder/image_metrics.h"
#include "render/rasterizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ds_status cli_capture_open(const char *path, const cli_capture_choice *choice, int max_width,
                           ds_capture **capture) {
    ds_capture_options options = ds_capture_default_options();
    options.scale = choice->scale;
    options.max_width = max_width > 0 ? max_width : choice->max_width;
    options.holdout_every = choice->holdout_every;
    return ds_capture_open(path, &options, capture);
}

void cli_views_free(cli_views *views) {
    for (size_t i = 0; i < views->count; i++) {
        ds_image_free(&views->images[i]);
    }
    free(views->cameras);
    free(views->images);
    memset(views, 0, sizeof *views);
}

ds_status cli_views_load(const ds_capture *capture, int frame, bool held_out, cli_views *views) {
    memset(views, 0, sizeof *views);
    size_t n = capture->view_count;
    views->cameras = calloc(n ? n : 1, sizeof *views->cameras);
    views->images = calloc(n ? n : 1, sizeof *views->images);
    if (!views->cameras || !views->images) {
        cli_views_free(views);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate views");
    }
    for (size_t v = 0; v < n; v++) {
        if (capture->views[v].held_out != held_out) {
            continue;
        }
        ds_status status = ds_capture_load_image(capture, v, frame, &views->images[views->count]);
        if (ds_failed(&status)) {
            cli_views_free(views);
            return status;
        }
        views->cameras[views->count++] = capture->views[v].camera;
    }
    return ds_ok();
}

ds_status cli_mean_psnr(const ds_gaussian_cloud *cloud, const cli_views *views,
                        const float background[3], double *psnr) {
    *psnr = NAN;
    if (views->count == 0) {
        return ds_ok();
    }
    ds_rasterizer *rasterizer;
    ds_status status = ds_rasterizer_create(&rasterizer);
    double sum = 0;
    for (size_t i = 0; i < views->count && !ds_failed(&status); i++) {
        ds_image render;
        status = ds_image_create(views->cameras[i].width, views->cameras[i].height, &render);
        ds_raster_settings settings = {.sh_degree = -1};
        memcpy(settings.background, background, sizeof settings.background);
        double value = 0;
        if (!ds_failed(&status)) {
            status = ds_rasterize(rasterizer, cloud, &views->cameras[i], &settings, &render);
        }
        if (!ds_failed(&status)) {
            status = ds_image_psnr(&render, &views->images[i], &value);
        }
        sum += value;
        ds_image_free(&render);
    }
    ds_rasterizer_free(rasterizer);
    if (!ds_failed(&status)) {
        *psnr = sum / (double)views->count;
    }
    return status;
}
