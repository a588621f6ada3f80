/* test_synth [GROUP]: runs every group of the synthetic capture generator's tests, or the one
 * named. */
#include "synth_tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"shapes", run_shapes_tests},
    {"figure", run_figure_tests},
    {"rig", run_rig_tests},
    {"capture", run_capture_tests},
};

int main(int argc, char **argv) {
    int failures = 0;
    int matched = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0) {
            continue;
        }
        matched++;
        failures += groups[g].run();
    }
    if (!matched) {
        fprintf(stderr, "test_synth: no test group named '%s'\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
