/* VR playback: a stream (or splat) played in an OpenXR headset, the performer standing life-size
 * on the floor in front of the user. Frames come from the same playback session as the desktop
 * player (decode threads, mapped slot ring, clock); each headset frame is drawn for both eyes with
 * one preprocess pass and one sort (render/gl_renderer.h), under the fill-rate guards, and
 * submitted as a projection layer (with depth when the runtime takes it). The clock follows the
 * runtime's predicted display times, or, for a stream with sound, the sound, which comes from
 * where the performer stands (player/spatial_sound.h). Controllers: player/xr_input.h. */
#ifndef DS_PLAYER_XR_PLAYER_H
#define DS_PLAYER_XR_PLAYER_H

#include "playback_session.h"
#include "xr_placement.h"

#include "formats/status.h"

typedef struct ds_xr_player_options {
    const char *path;
    ds_playback_options playback;
    float background[3];
    double distance; /* metres from the user to the performer (0: 1.5) */
    double scale;    /* performer scale, 1 = life-size (0: 1) */
    /* Degrees the performer is turned about the vertical from facing the user with the side the
     * desktop's start camera sees (which may be its back: no stream says where its front is). */
    double turn_degrees;
    double resolution_scale; /* of the eyes' images, fixed; 0: driven by GPU time */
    uint32_t splat_budget;   /* most splats drawn per frame; 0: no limit */
    /* A stream's sound plays from where the performer stands, binaural (HRTF) with the head's
     * pose (player/spatial_sound.h); this plays it as plain stereo instead. */
    bool stereo_sound;
    /* Splats nearer an eye than these (metres) are faded (start) and culled (end); both 0: the
     * defaults, 0.2 and 0.1. Negative: no fade. */
    double fade_start, fade_end;
    double max_radius_fraction; /* footprint radius cap, of the eye image's height (0: 0.25) */
    /* Scripted runs: start at this frame, paused; end the session after this many frames. */
    uint32_t start_frame;
    bool start_paused;
    uint64_t frame_limit;
    bool debug; /* GL debug output */
    void (*notice)(void *context, const char *message);
    /* Polled every frame: false asks the runtime to end the session (Ctrl-C), which then stops
     * cleanly. NULL: never. */
    bool (*keep_going)(void *context);
    void *context;
} ds_xr_player_options;

typedef struct ds_xr_player_report {
    ds_player_report playback;
    uint64_t frames_submitted, frames_drawn; /* to the runtime; with the eyes drawn */
    uint32_t last_frame;                     /* the stream frame on show at the end */
    char states[512];                        /* the session states, in order */
    char space[16];                          /* STAGE or LOCAL */
    bool depth;                              /* a depth layer was submitted */
    int eye_width, eye_height;               /* the swapchain images */
    double resolution_scale;                 /* at the end */
    double frame_ms;                         /* wall time per headset frame, mean */
    double gpu_ms;                           /* GPU time per frame (both eyes), recent */
    ds_xr_placement placement;               /* where the performer stood at the end */
    bool hrtf;                               /* the sound was placed with HRTF */
} ds_xr_player_report;

ds_status ds_xr_player_run(const ds_xr_player_options *options, ds_xr_player_report *report);

#endif
