/* Groups of test_gl: the OpenGL renderer on a real context (Mesa llvmpipe under Xvfb in CI, or
 * headless EGL), against the CPU reference. */
#ifndef DS_TESTS_GL_TESTS_H
#define DS_TESTS_GL_TESTS_H

#include <stddef.h>

int run_gl_sort_tests(void);
int run_gl_renderer_tests(void);
int run_gl_overlay_tests(void);
int run_gl_playback_tests(void);
int run_gl_stereo_tests(void);
int run_gl_av_sync_tests(void);

/* A small stream with corrections (12 frames in segments of 5) written to a temporary folder;
 * its path goes to `path`. Remove it with gl_test_stream_remove. */
enum { GL_TEST_STREAM_FRAMES = 12, GL_TEST_SEGMENT_FRAMES = 5 };
void gl_test_stream_pack(char *path, size_t size);
/* A stream with sound (same folder): 60 frames at 30 fps in segments of 15, the figure flashing
 * on frames 7, 14, 21, ... and a click in its Opus sound where each of those frames starts
 * (tools/sequence/av_sync.h). */
enum { GL_TEST_AV_FRAMES = 60, GL_TEST_AV_SEGMENT_FRAMES = 15, GL_TEST_AV_EVERY = 7 };
void gl_test_av_stream_pack(char *path, size_t size);
void gl_test_stream_remove(void);

/* Creates the hidden GL context the groups share (debug output on); fails the test if none. */
void gl_test_context_setup(void);
void gl_test_context_teardown(void);

#endif
