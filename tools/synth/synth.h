/* dualsplat synth: a synthetic multi-view capture of an animated figure with known truth.
 *
 * The figure (figure.h) performs a motion (motion.h) in front of a ring or dome of cameras
 * (rig.h); every frame of every camera is ray traced (raytrace.h) and written in the HiFi4G /
 * DualGS layout, so ds_capture_open reads it like a real capture:
 *   DIR/image_white/transforms.json      the cameras (instant-NGP form)
 *   DIR/image_white/<frame>/<view>.png   frames 0..N-1, views 0..V-1
 *   DIR/bones.json                       the figure, and per frame every part's transform and
 *                                        every joint's position (docs/synth.md)
 * The two JSON files are written last, so an interrupted run never leaves a capture that claims
 * frames it does not have. The same settings give the same bytes, whatever the thread count. */
#ifndef DS_SYNTH_SYNTH_H
#define DS_SYNTH_SYNTH_H

#include "motion.h"
#include "rig.h"

#include "formats/status.h"

#include <stdbool.h>
#include <stdint.h>

#define DS_SYNTH_FPS 30

typedef struct ds_synth_settings {
    int views, frames;
    int width, height;
    ds_synth_rig_kind rig;
    ds_synth_motion motion;
    uint64_t seed;
    int samples;    /* rays per pixel side (samples^2 per pixel), 1-16 */
    bool overwrite; /* replace a capture already in the folder */
} ds_synth_settings;

/* "test": 24 views on a ring, 160x120, 12 frames (seconds to make); "bench": 48 views on a
 * dome, 480x360, 120 frames. Both: the dance motion, seed 1, 3x3 rays per pixel.
 * DS_ERR_ARGUMENT for any other name. */
ds_status ds_synth_preset(const char *name, ds_synth_settings *settings);

/* Checks the settings' ranges. */
ds_status ds_synth_settings_check(const ds_synth_settings *settings);

/* Called after each image with the number written so far; returning false stops the run
 * (DS_ERR_INTERRUPTED). */
typedef bool (*ds_synth_progress_fn)(void *context, int done, int total);

/* Writes the capture into `directory` (created if missing; its parent must exist). Refuses a
 * folder that already holds a capture (ds_synth_output_has_capture) unless settings->overwrite.
 * `progress` may be NULL. */
ds_status ds_synth_generate(const char *directory, const ds_synth_settings *settings,
                            ds_synth_progress_fn progress, void *context);

/* Whether the folder holds a capture: image_white/transforms.json or bones.json. */
bool ds_synth_output_has_capture(const char *directory);

#endif
