/* Analysis for the colour (SH) layer of a .dsv segment: trains one codebook per SH order over
 * all frames of the segment and assigns every skin Gaussian an entry per order and frame,
 * keeping entries stable over time so the per-frame change lists stay short. */
#ifndef DS_ENCODER_COLOUR_CODEBOOK_H
#define DS_ENCODER_COLOUR_CODEBOOK_H

#include "formats/dsv_colour.h"

typedef struct ds_colour_settings {
    /* Codebook entries per order (default 8192, at most DS_COLOUR_MAX_ENTRIES). Clamped to
     * count * frames / 8 (at least 1) and to max(256, count / 16): an entry standing for
     * fewer vectors or Gaussians than that costs more in the codebook than it saves in
     * error (DualGS uses 8192 for ~180k Gaussians). */
    uint32_t entries;
    /* Hysteresis, >= 0 (default 1). A Gaussian keeps its previous frame's entry unless the
     * nearest entry's squared error is lower by more than keep_tolerance times the order's
     * mean squared quantisation error (measured on the segment's first frame). 0 always
     * takes the nearest entry; larger values trade colour error for shorter change lists —
     * a rate-distortion threshold on each change. */
    float keep_tolerance;
    /* Lloyd iterations after the bisecting initialisation (default 2: it already gets within
     * a few per cent of the converged error; each iteration costs as much as a frame). */
    int iterations;
    /* Rows (Gaussian-frames) each order's k-means trains on; 0 (default) = 16 per entry. */
    size_t training_rows;
    uint64_t seed; /* chooses the training rows */
} ds_colour_settings;

void ds_colour_settings_default(ds_colour_settings *settings);

/* sh_frames[f] = the SH of all `count` Gaussians at local frame f (cloud layout, degree
 * sh_degree, all finite). Fills `layer` (free with ds_colour_layer_free); the codebooks hold
 * half-rounded values and every assignment is made against them. An unchanging sequence gives
 * no changes at all. Deterministic whatever the thread count. */
ds_status ds_colour_analyse(const float *const *sh_frames, size_t count, int sh_degree,
                            uint32_t frames, const ds_colour_settings *settings,
                            ds_colour_layer *layer);

#endif
