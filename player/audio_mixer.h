/* The player's sound, and the clock the picture follows when a stream has sound. Decoded
 * segments' sound (formats/audio_decoder.h) is kept by where it lies in the stream; the output
 * device pulls samples from the playhead on the unwrapped timeline (player/frame_pipeline.h),
 * which advances only as sound is played. So the playhead is where the listener is: the picture
 * shows, holds or drops frames to match it (player/playback_session.h).
 *
 * When the sound for the playhead has not been decoded yet (a slow network, a seek), the mixer
 * plays silence without advancing: the playhead waits with the picture. Paused, it plays
 * silence and holds. At speeds other than 1 the sound is tempo-changed at the same pitch
 * (libavfilter's atempo) up to 2x; faster than 2x, or slower than 1/2x, it is muted while the
 * playhead keeps moving at the speed. Thread-safe: the device's thread renders while others add
 * sound and steer. */
#ifndef DS_PLAYER_AUDIO_MIXER_H
#define DS_PLAYER_AUDIO_MIXER_H

#include "formats/audio_decoder.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_audio_mixer ds_audio_mixer;

/* A mixer for a stream of `frame_count` frames at `fps` whose sound is at `sample_rate`. It
 * starts held (silent, not advancing) at position 0. */
ds_status ds_audio_mixer_create(uint32_t sample_rate, double fps, uint32_t frame_count,
                                ds_audio_mixer **mixer);
void ds_audio_mixer_free(ds_audio_mixer *mixer);

uint32_t ds_audio_mixer_sample_rate(const ds_audio_mixer *mixer);

/* A decoded segment's sound, taking its samples (pcm is emptied). A stretch already kept is
 * replaced. */
void ds_audio_mixer_add(ds_audio_mixer *mixer, ds_audio_pcm *pcm);

/* Moves the playhead to a position (in frames, on the unwrapped timeline). */
void ds_audio_mixer_seek(ds_audio_mixer *mixer, double frames);
/* Holds the playhead (paused, buffering, before the first frame is shown) or lets it run. */
void ds_audio_mixer_hold(ds_audio_mixer *mixer, bool held);
void ds_audio_mixer_set_speed(ds_audio_mixer *mixer, double speed);
void ds_audio_mixer_set_loop(ds_audio_mixer *mixer, bool loop);
/* Volume 0..1, and muting (which keeps the volume). */
void ds_audio_mixer_set_volume(ds_audio_mixer *mixer, float volume, bool muted);

/* Fills `count` stereo float sample frames (interleaved) for the device, advancing the playhead
 * as far as they play; `now` (seconds) is when they were asked for. Returns how many came from
 * the stream at speed 1 (the rest is silence: held, missing sound, or the end of a run that
 * does not loop); at other speeds, count. */
uint32_t ds_audio_mixer_render(ds_audio_mixer *mixer, float *out, uint32_t count, double now);

/* Where the listener is at time `now`, in frames on the unwrapped timeline: the playhead less
 * what the device still has queued (`latency` seconds of sound), moved on by the time since the
 * last render while playing. Readings never go back, except to a seek's position. */
double ds_audio_mixer_clock(ds_audio_mixer *mixer, double now, double latency);

/* Whether the last render wanted sound that was not there (the playhead waits for it). */
bool ds_audio_mixer_starved(ds_audio_mixer *mixer);

#endif
