/* One opened media being played, whatever shows it (the desktop window, a headset): the media,
 * the GL renderer and its ring of slots, the decode pipeline feeding them, the playback clock, and
 * the frame on show. Each frame the front end advances the clock, calls
 * ds_playback_session_update to take the frame for the clock's position, draws the shown slot, and
 * hands back slots the GPU has finished with (ds_playback_session_retire_idle). Needs the GL
 * context current. */
#ifndef DS_PLAYER_PLAYBACK_SESSION_H
#define DS_PLAYER_PLAYBACK_SESSION_H

#include "audio_mixer.h"
#include "frame_pipeline.h"
#include "media.h"
#include "playback_clock.h"

#include "render/gl_renderer.h"

#include <stdbool.h>
#include <stdint.h>

/* One on show, one the GPU may still read, two decoded ahead. */
enum { DS_PLAYBACK_SLOTS = 4 };

/* What a run of the player reports (scripted runs print it as JSON). */
typedef struct ds_player_report {
    uint64_t frames_shown;     /* stream frames put on screen */
    uint64_t redraws;          /* windows presented (frames submitted to a headset) */
    uint64_t dropped, skipped; /* frames decoded too late; frames lost to damage */
    uint64_t stalls;           /* times playback waited for the network (buffering) */
    uint64_t largest_step;     /* most positions between two frames shown in a row */
    uint64_t rendition_switches;
    double startup_seconds;          /* from opening to the first frame on screen */
    uint64_t network_bytes, retries; /* downloaded (HTTP), and transfers retried */
    char renditions[256];            /* segments read per rendition, "low:2 default:3" */
    double stall_seconds;
    double seconds;
    double decode_ms, upload_ms, segment_ms; /* per frame / per segment, recent averages */
    double preprocess_ms, sort_ms, draw_ms;  /* GPU, recent */
    unsigned gl_errors;                      /* GL debug messages of error severity */
    /* With sound leading: how far the sound was past the start of each frame as it came on
     * screen, in ms (0 .. one frame is in step). */
    bool sound;
    uint64_t av_frames;
    double av_offset_ms_sum, av_offset_ms_max;
    /* Where playback ended: the frame on show, the clock's, and the controls' state. */
    uint32_t last_frame, clock_frame;
    bool paused, looping, muted;
    double speed;
    int volume_percent;
    char last_gl_error[256];
} ds_player_report;

typedef struct ds_playback_options {
    bool loop;
    double speed; /* 0: 1 */
    /* Over HTTP: seconds of stream fetched ahead of the playhead, and the most bytes kept
     * (0: the defaults). */
    double buffer_seconds;
    size_t buffer_bytes;
    const char *rendition; /* with a renditions manifest: keep to this one (NULL: adapt) */
    bool silent;           /* leave a stream's sound out (no mixer is made) */
} ds_playback_options;

typedef struct ds_playback_session {
    ds_media *media;
    ds_gl_renderer *renderer;
    ds_frame_pipeline *pipeline;
    ds_playback_clock clock;
    /* the frame on show */
    bool have_shown;
    int shown_slot;
    uint64_t shown_position;
    ds_gl_frame_info shown_info;
    /* slots no longer shown, handed back once the GPU is done with them */
    int retiring[DS_PLAYBACK_SLOTS];
    int retiring_count;
    /* waiting for the network: the clock holds at the next frame until it comes */
    bool buffering;
    double buffering_since;
    uint64_t held_position; /* where the clock waits while buffering */
    /* the position the last seek went to, until a frame from there on is shown */
    uint64_t jump_target;
    bool jump_pending;
    /* A stream's sound (NULL: none, or left out). Once a front end plays it on a device
     * (ds_playback_session_follow_sound), the sound's clock is the master. */
    ds_audio_mixer *mixer;
    bool sound_master;
    double sound_latency; /* seconds the device holds */
} ds_playback_session;

ds_status ds_playback_session_open(const char *path, const ds_playback_options *options,
                                   ds_playback_session *session);
void ds_playback_session_close(ds_playback_session *session);

/* Takes the frame for the clock's position if it is ready (or waits for it when showing
 * `every_frame`), holding the clock while the network is behind. With sound followed, the
 * clock's position comes from the sound first (at time `now`, seconds). Counts frames shown,
 * stalls and steps into the report. Returns whether a new frame came. */
bool ds_playback_session_update(ds_playback_session *session, bool every_frame, double now,
                                ds_player_report *report);
/* The front end plays the session's mixer on a device that holds `latency` seconds of sound:
 * from now on the clock's position is where the listener is (player/audio_mixer.h), and the
 * clock's pause, seeks, speed and loop steer the sound. */
void ds_playback_session_follow_sound(ds_playback_session *session, double latency);

/* Hands back retiring slots the GPU has finished reading. */
void ds_playback_session_retire_idle(ds_playback_session *session);
/* Seeks to the start of the next (direction 1) or previous (-1) segment. */
void ds_playback_session_seek_segment(ds_playback_session *session, int direction);
/* The frame on show (0 before the first). */
uint32_t ds_playback_session_shown_frame(const ds_playback_session *session);

/* A message for the user through a front end's notice callback (NULL: none), printf-style. */
typedef void (*ds_player_notice)(void *context, const char *message);
void ds_player_notify(ds_player_notice notice, void *context, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Passes on the damage the decode pipeline met since the last call ("<media>: segment 1 ... is
 * damaged; its frames are skipped"), one message each. */
void ds_playback_session_report_errors(ds_playback_session *session, ds_player_notice notice,
                                       void *context);

/* Fills the report's decode, GPU, rendition and network figures (waits for the GPU's timers). */
void ds_playback_session_fill_report(ds_playback_session *session, ds_player_report *report);

#endif
