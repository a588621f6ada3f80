/* A sound device playing a mixer (player/audio_mixer.h) through SDL2's audio: SDL's thread asks
 * for buffers, the mixer fills them from the playhead. The device holds about one buffer ahead of
 * what is heard, which the clock takes off (ds_audio_output_latency). */
#ifndef DS_PLAYER_AUDIO_OUTPUT_H
#define DS_PLAYER_AUDIO_OUTPUT_H

#include "audio_mixer.h"

typedef struct ds_audio_output ds_audio_output;

/* Opens the system's default output device at the mixer's rate, stereo, and starts it. Fails
 * with one line when there is no device (then play without sound, or with the wall clock). */
ds_status ds_audio_output_open(ds_audio_mixer *mixer, ds_audio_output **output);
void ds_audio_output_close(ds_audio_output *output);

/* Seconds of sound between the mixer's playhead and the listener. */
double ds_audio_output_latency(const ds_audio_output *output);
/* Samples per buffer the device asks for. */
uint32_t ds_audio_output_buffer_samples(const ds_audio_output *output);

#endif
