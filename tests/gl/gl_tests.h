/* Groups of test_gl: the OpenGL renderer on a real context (Mesa llvmpipe under Xvfb in CI, or
 * headless EGL), against the CPU reference. */
#ifndef DS_TESTS_GL_TESTS_H
#define DS_TESTS_GL_TESTS_H

int run_gl_sort_tests(void);
int run_gl_renderer_tests(void);
int run_gl_overlay_tests(void);

/* Creates the hidden GL context the groups share (debug output on); fails the test if none. */
void gl_test_context_setup(void);
void gl_test_context_teardown(void);

#endif
