/* The desktop player: a window (SDL2) showing a stream or a splat with the GL renderer, played
 * by a clock at the stream's rate from frames decoded ahead on worker threads, with keyboard and
 * mouse control, an overlay of timings, screenshots and drag-and-drop. A stream with sound plays
 * it through SDL2's audio, and its clock leads: frames are shown, held or dropped to follow it.
 * Also runs scripted (a frame count, every frame, a camera path) for tests and benchmarks. */
#ifndef DS_PLAYER_DESKTOP_PLAYER_H
#define DS_PLAYER_DESKTOP_PLAYER_H

#include "playback_session.h"

#include "formats/status.h"
#include "render/camera_path.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_player_options {
    const char *path;
    int width, height;                 /* window size */
    bool loop;                         /* start over at the end */
    bool exit_at_end;                  /* quit after the last frame (without loop) */
    bool every_frame;                  /* show every frame in order, never drop (scripted runs) */
    uint64_t frame_limit;              /* quit after showing this many frames; 0: no limit */
    const ds_camera_path *camera_path; /* scripted camera (NULL: interactive) */
    bool overlay, vsync, fullscreen, debug;
    double speed;
    bool silent;        /* leave the stream's sound out */
    int volume_percent; /* 1..100 (0: 100) */
    float background[3];
    /* Over HTTP: seconds of stream fetched ahead of the playhead, and the most bytes kept. */
    double buffer_seconds;
    size_t buffer_bytes;
    const char *rendition;         /* with a renditions manifest: keep to this one (NULL: adapt) */
    const char *screenshot_folder; /* F12 writes here (NULL: the current folder) */
    uint64_t screenshot_after;     /* scripted: a screenshot once this many frames are shown */
    uint32_t random_seeks;    /* scripted: seek to this many random frames, every half second, then
                                 quit (0: none) */
    const char *input_script; /* scripted keys and drops (player/input_script.h); NULL: none */
    /* Messages for the user (a damaged segment, a screenshot written); never NULL. */
    void (*notice)(void *context, const char *message);
    void *context;
} ds_player_options;

ds_status ds_player_run(const ds_player_options *options, ds_player_report *report);

#endif
