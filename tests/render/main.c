/* test_render [GROUP]: the render library's tests. */
#include "render_tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"rasterizer", run_rasterizer_tests},
    {"view", run_view_tests},
};

int main(int argc, char **argv) {
    int failures = 0, matched = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0) {
            continue;
        }
        matched++;
        failures += groups[g].run();
    }
    if (!matched) {
        fprintf(stderr, "test_render: no test group named '%s'\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
