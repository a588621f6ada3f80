/* The groups of the player's test program; each runs one cmocka group. */
#ifndef DS_TESTS_PLAYER_TESTS_H
#define DS_TESTS_PLAYER_TESTS_H

int run_video_writer_tests(void);
int run_camera_controller_tests(void);
int run_overlay_font_tests(void);
int run_playback_clock_tests(void);
int run_xr_placement_tests(void);
int run_xr_resolution_tests(void);
int run_audio_mixer_tests(void);
int run_spatial_sound_tests(void);

#endif
