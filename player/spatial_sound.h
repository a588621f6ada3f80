/* The headset's sound: the mixer's sound (player/audio_mixer.h) played through OpenAL Soft from
 * where the performer stands, heard from the head's pose, with HRTF (binaural rendering for
 * headphones) when the device allows it. Plain stereo plays the mix as it is, not placed.
 *
 * A thread of ours keeps a few short buffers queued on an OpenAL streaming source, rendering
 * the mixer into each one as it is played, so the mixer's playhead stays the clock (as on the
 * desktop). Positions are in the stage (player/xr_placement.h), which shares OpenAL's axes: x
 * right, y up, -z ahead. */
#ifndef DS_PLAYER_SPATIAL_SOUND_H
#define DS_PLAYER_SPATIAL_SOUND_H

#include "audio_mixer.h"
#include "xr_placement.h"

#include <stdbool.h>

typedef struct ds_spatial_sound ds_spatial_sound;

/* Opens the default OpenAL device and starts playing the mixer: placed and with HRTF, or as
 * plain stereo (`stereo`). Fails with one line when there is no device. */
ds_status ds_spatial_sound_open(ds_audio_mixer *mixer, bool stereo, ds_spatial_sound **sound);
void ds_spatial_sound_close(ds_spatial_sound *sound);

/* Where the sound comes from and where the listener's head is, for what plays next. */
void ds_spatial_sound_place(ds_spatial_sound *sound, const double source[3],
                            const ds_xr_pose *head);

/* Seconds of sound queued ahead of the listener (the clock takes it off). */
double ds_spatial_sound_latency(const ds_spatial_sound *sound);
/* Whether HRTF is on (the device said so), and the renderer's name for the report. */
bool ds_spatial_sound_hrtf(const ds_spatial_sound *sound);

#endif
