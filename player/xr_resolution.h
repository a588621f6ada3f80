/* The eyes' render resolution driven by GPU time (PLAYER.md's fill-rate guard): a headset drops
 * to a stutter when a frame misses its display period, and splat rendering costs about in
 * proportion to the pixels. When the GPU time of a frame goes over the budget (80% of the display
 * period) the scale drops at once to what would fit; when it stays well under for a while, it
 * climbs back gently. Images are rendered at the scale and stretched onto the swapchain. */
#ifndef DS_PLAYER_XR_RESOLUTION_H
#define DS_PLAYER_XR_RESOLUTION_H

#include <stdbool.h>

typedef struct ds_xr_resolution {
    double scale;     /* of each side, minimum .. 1 */
    double minimum;   /* the lowest scale (0.5: a quarter of the pixels) */
    double budget_ms; /* GPU time a frame may take */
    bool fixed;       /* the user chose a scale */
    int calm_frames;  /* frames in a row well under the budget */
} ds_xr_resolution;

/* `fixed_scale` in (0, 1] keeps that scale; 0 adapts to a display period of `period_ms`. */
void ds_xr_resolution_init(ds_xr_resolution *resolution, double period_ms, double fixed_scale);
/* The runtime's display period, once known. */
void ds_xr_resolution_set_period(ds_xr_resolution *resolution, double period_ms);
/* Feeds one frame's GPU time; returns whether the scale changed. */
bool ds_xr_resolution_update(ds_xr_resolution *resolution, double gpu_ms);
/* A side of `full` pixels at the current scale. */
int ds_xr_resolution_size(const ds_xr_resolution *resolution, int full);

#endif
