/* test_render [GROUP]: the render library's tests. */
#include "render_tests.h"

#include "test_support.h"

static const test_group groups[] = {
    {"rasterizer", run_rasterizer_tests},
    {"view", run_view_tests},
    {"camera_path", run_camera_path_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_render", groups, sizeof groups / sizeof groups[0], argc, argv);
}
