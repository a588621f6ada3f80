/* Controller input for VR playback through OpenXR actions, with suggested bindings for the simple
 * controller, Oculus Touch and Valve Index:
 *
 *   action        simple_controller       touch_controller      index_controller
 *   play/pause    right select            right A               right A
 *   recentre      right menu              right B               right B
 *   seek -1 s     left select             left X                left A
 *   seek +1 s     left menu               left Y                left B
 *   seek, scale   -                       right thumbstick      right thumbstick
 *
 * (the thumbstick: a flick left or right seeks a second; held up or down, the performer grows or
 * shrinks). */
#ifndef DS_PLAYER_XR_INPUT_H
#define DS_PLAYER_XR_INPUT_H

#include "xr_session.h"

typedef struct ds_xr_input ds_xr_input;

/* What the user asked for since the last sync. */
typedef struct ds_xr_commands {
    bool toggle_pause, recentre;
    int seek_seconds;  /* steps of a second, signed */
    double scale_rate; /* -1..1: the performer grows (+) or shrinks at this fraction of the rate */
} ds_xr_commands;

/* Creates the actions, suggests their bindings and attaches them to the session. */
ds_status ds_xr_input_create(ds_xr_session *session, ds_xr_input **input);
void ds_xr_input_free(ds_xr_input *input);

/* Syncs the actions (call once per frame while the session runs); nothing is asked for while the
 * session is not focused. */
ds_status ds_xr_input_sync(ds_xr_input *input, bool focused, ds_xr_commands *commands);

#endif
