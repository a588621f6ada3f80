/* A performance made to check that sound and picture stay together: a click track whose clicks
 * fall on every Nth frame (a WAV the encoder reads like any capture's sound), a figure that
 * flashes on the same frames, and the detectors that find both again after encoding, decoding
 * and playback. Flash and click frames are N, 2N, 3N, ... (frame 0 is left plain: a codec's
 * start-up would blur a click at the very first sample). */
#ifndef DS_TOOLS_SEQUENCE_AV_SYNC_H
#define DS_TOOLS_SEQUENCE_AV_SYNC_H

#include "formats/gaussian_cloud.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether frame f is one of the flash/click frames of period `every`. */
static inline bool ds_av_sync_marked(uint32_t frame, uint32_t every) {
    return every > 0 && frame > 0 && frame % every == 0;
}

/* Writes a 16-bit stereo WAV at `rate` lasting `frames` frames at `fps`: a quiet 440 Hz tone
 * with a 4 ms full-scale click starting exactly where each marked frame starts. */
ds_status ds_av_sync_write_click_wav(const char *path, uint32_t frames, double fps, uint32_t every,
                                     uint32_t rate);

/* Brightens a frame for a flash: the colour's DC term of every Gaussian is raised so the figure
 * renders close to white. */
void ds_av_sync_flash(ds_gaussian_cloud *cloud);

/* Whether a frame flashes, from its decoded DC colour: the mean DC term is above `threshold`
 * (flashes lift it by 2, plain frames of the test splats stay well under 1). */
bool ds_av_sync_is_flash(const float *sh, size_t count, int sh_degree);

/* Finds clicks in stereo float samples (interleaved, `count` sample frames): a click starts at a
 * sample above 0.5 with none for 20 ms before it (the tone stays at 0.05; a lossy codec's
 * pre-echo stays under 0.5). Writes up to `max` positions (sample indices into the buffer) and
 * returns how many were found. */
size_t ds_av_sync_find_clicks(const float *stereo, size_t count, uint32_t rate, int64_t *onsets,
                              size_t max);

#endif
