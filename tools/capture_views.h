/* What fit, track and eval share about captures: opening one at a working resolution, loading
 * one frame's training or held-out views, and scoring a cloud on views. */
#ifndef DS_TOOLS_CAPTURE_VIEWS_H
#define DS_TOOLS_CAPTURE_VIEWS_H

#include "encoder/first_frame_fit.h"
#include "formats/capture.h"

/* The resolution and evaluation choices every capture command offers. */
typedef struct cli_capture_choice {
    double scale;      /* --scale */
    int max_width;     /* --max-width */
    int holdout_every; /* --holdout-every */
} cli_capture_choice;

/* Opens the capture at `max_width` (overriding the choice's when positive). */
ds_status cli_capture_open(const char *path, const cli_capture_choice *choice, int max_width,
                           ds_capture **capture);

/* One frame's views: the training ones (held_out false) or the held-out ones. */
typedef struct cli_views {
    size_t count;
    ds_camera *cameras;
    ds_image *images;
} cli_views;

ds_status cli_views_load(const ds_capture *capture, int frame, bool held_out, cli_views *views);
void cli_views_free(cli_views *views);

static inline ds_fit_views cli_views_for_fitting(const cli_views *views) {
    ds_fit_views fit = {views->count, views->cameras, views->images};
    return fit;
}

/* Mean PSNR of the cloud rendered from the views over `background`; NAN without views. */
ds_status cli_mean_psnr(const ds_gaussian_cloud *cloud, const cli_views *views,
                        const float background[3], double *psnr);

#endif
