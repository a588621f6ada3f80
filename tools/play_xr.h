/* dualsplat play --xr: the headset front end of the play command. */
#ifndef DS_TOOLS_PLAY_XR_H
#define DS_TOOLS_PLAY_XR_H

#include "player/desktop_player.h"

#include <stdbool.h>

typedef struct play_xr_settings {
    bool enabled;         /* --xr */
    bool fallback;        /* --xr-fallback: the desktop window when no headset is there */
    double distance;      /* --xr-distance, metres */
    double scale;         /* --xr-scale */
    double turn;          /* --xr-turn, degrees */
    double resolution;    /* --xr-resolution, 0: driven by GPU time */
    unsigned long budget; /* --xr-budget, splats */
    bool stereo_sound;    /* --xr-stereo-sound: the sound as plain stereo, not placed */
} play_xr_settings;

/* Plays `player->path` in the headset; the desktop settings give the playback ones (loop, speed,
 * buffering, rendition, frame limit, debug). Returns the command's exit code; sets *fall_back
 * (and returns CLI_EXIT_OK) when there is no headset and --xr-fallback asks for the desktop. */
int play_xr(const ds_player_options *player, const play_xr_settings *xr, bool json, bool quiet,
            bool *fall_back);

#endif
