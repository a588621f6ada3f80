/* The player's clock: where playback is on the unwrapped timeline (player/frame_pipeline.h) at
 * a given wall time, at the stream's frame rate times a speed, paused or running, looping or
 * stopping at the last frame. Pure state: the front end feeds it the time and the keys. */
#ifndef DS_PLAYER_PLAYBACK_CLOCK_H
#define DS_PLAYER_PLAYBACK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_playback_clock {
    double fps;
    uint32_t frame_count;
    bool loop, paused;
    double speed;     /* 1/8 .. 8 */
    double position;  /* in frames on the unwrapped timeline */
    double last_time; /* seconds, of the last advance */
    bool started;
    /* Set by every jump (seek, step, reaching the end) so the front end re-aims the decoder;
     * cleared by ds_playback_clock_take_jump. */
    bool jumped;
} ds_playback_clock;

enum { DS_SPEED_STEPS = 7 }; /* 1/8 .. 8 in powers of two */

void ds_playback_clock_init(ds_playback_clock *clock, double fps, uint32_t frame_count, bool loop);
/* Moves the position on to wall time `now` (seconds). Without looping it stops at the last
 * frame. */
void ds_playback_clock_advance(ds_playback_clock *clock, double now);
/* The position as a whole timeline step, and the frame it shows. */
uint64_t ds_playback_clock_position(const ds_playback_clock *clock);
uint32_t ds_playback_clock_frame(const ds_playback_clock *clock);

void ds_playback_clock_toggle_pause(ds_playback_clock *clock);
/* Jumps to `frame` (clamped to the stream), keeping the current loop count out of it: the
 * timeline restarts at that frame. */
void ds_playback_clock_seek(ds_playback_clock *clock, int64_t frame);
/* Seeks by a number of frames from the current one (wrapping when looping). */
void ds_playback_clock_seek_by(ds_playback_clock *clock, int64_t frames);
/* One frame forward or back, pausing. */
void ds_playback_clock_step(ds_playback_clock *clock, int direction);
/* Doubles (direction > 0) or halves the speed within 1/8 .. 8. */
void ds_playback_clock_change_speed(ds_playback_clock *clock, int direction);
/* Turns looping on or off where playback is: the position is brought back into the stream's
 * frames first, so that a run past its first loop does not end at once. */
void ds_playback_clock_set_loop(ds_playback_clock *clock, bool loop);
/* Advances exactly one frame (scripted playback that shows every frame). */
void ds_playback_clock_next_frame(ds_playback_clock *clock);
/* Whether a jump happened since the last call. */
bool ds_playback_clock_take_jump(ds_playback_clock *clock);
/* Whether a non-looping playback has reached its last frame. */
bool ds_playback_clock_at_end(const ds_playback_clock *clock);

#endif
