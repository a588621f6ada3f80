#include "xr_resolution.h"

#include <math.h>

/* Scales move in steps of 1/32, so that jitter in the timings does not resize the render targets
 * every frame. */
static const double STEP = 1.0 / 32.0;
/* Frames well under budget (below CALM of it) before the scale climbs a step. */
static const double CALM = 0.6;
enum { CALM_FRAMES = 30 };

/* The GPU may take this much of each display period: the rest is the compositor's. */
static const double BUDGET = 0.8;

void ds_xr_resolution_set_period(ds_xr_resolution *r, double period_ms) {
    r->budget_ms = BUDGET * period_ms;
}

void ds_xr_resolution_init(ds_xr_resolution *r, double period_ms, double fixed_scale) {
    *r = (ds_xr_resolution){.scale = 1.0, .minimum = 0.5};
    ds_xr_resolution_set_period(r, period_ms);
    if (fixed_scale > 0.0) {
        r->scale = fixed_scale > 1.0 ? 1.0 : fixed_scale;
        r->fixed = true;
    }
}

bool ds_xr_resolution_update(ds_xr_resolution *r, double gpu_ms) {
    if (r->fixed || !(gpu_ms > 0.0) || !(r->budget_ms > 0.0)) {
        return false;
    }
    double before = r->scale;
    if (gpu_ms > r->budget_ms) {
        /* Time goes with the pixels, the square of the scale. */
        double fit = r->scale * sqrt(r->budget_ms / gpu_ms);
        fit = floor(fit / STEP) * STEP;
        r->scale = fit < r->minimum ? r->minimum : fit;
        r->calm_frames = 0;
    } else if (gpu_ms < CALM * r->budget_ms) {
        if (++r->calm_frames >= CALM_FRAMES) {
            r->calm_frames = 0;
            r->scale = r->scale + STEP > 1.0 ? 1.0 : r->scale + STEP;
        }
    } else {
        r->calm_frames = 0;
    }
    return r->scale != before;
}

int ds_xr_resolution_size(const ds_xr_resolution *r, int full) {
    int size = (int)lround(full * r->scale);
    return size < 16 ? 16 : size;
}
