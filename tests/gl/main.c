/* test_gl [GROUP]: the OpenGL renderer's tests, every group or the one named. */
#include "gl_tests.h"

#include "player/gl_context.h"
#include "test_support.h"

static ds_gl_context context;

void gl_test_context_setup(void) {
    if (context.window) {
        return;
    }
    ds_gl_context_options options = {.title = "test_gl", .width = 64, .height = 64, .debug = true};
    ds_status status = ds_gl_context_create(&options, &context);
    if (ds_failed(&status)) {
        fail_msg("no OpenGL 4.5 context: %s", status.message);
    }
}

void gl_test_context_teardown(void) {
    ds_gl_context_destroy(&context);
}

static const test_group groups[] = {
    {"sort", run_gl_sort_tests},       {"renderer", run_gl_renderer_tests},
    {"overlay", run_gl_overlay_tests}, {"playback", run_gl_playback_tests},
    {"stereo", run_gl_stereo_tests},   {"av_sync", run_gl_av_sync_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_gl", groups, sizeof groups / sizeof groups[0], argc, argv);
}
