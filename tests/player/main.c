/* test_player [GROUP]: runs every group of the player library's tests, or the one named. */
#include "player_tests.h"

#include "test_support.h"

static const test_group groups[] = {
    {"video_writer", run_video_writer_tests}, {"camera_controller", run_camera_controller_tests},
    {"overlay_font", run_overlay_font_tests}, {"playback_clock", run_playback_clock_tests},
    {"xr_placement", run_xr_placement_tests}, {"xr_resolution", run_xr_resolution_tests},
    {"audio_mixer", run_audio_mixer_tests},   {"spatial_sound", run_spatial_sound_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_player", groups, sizeof groups / sizeof groups[0], argc, argv);
}
