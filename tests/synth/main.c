/* test_synth [GROUP]: runs every group of the synthetic capture generator's tests, or the one
 * named. */
#include "synth_tests.h"

#include "test_support.h"

static const test_group groups[] = {
    {"shapes", run_shapes_tests},
    {"figure", run_figure_tests},
    {"rig", run_rig_tests},
    {"capture", run_capture_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_synth", groups, sizeof groups / sizeof groups[0], argc, argv);
}
