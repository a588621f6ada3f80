/* test_formats [GROUP]: runs every group of the formats library's tests, or the one named. */
#include "formats_tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"gaussian_cloud", run_gaussian_cloud_tests},
    {"reference_decodes", run_reference_decode_tests},
    {"ply", run_ply_tests},
    {"spz", run_spz_tests},
    {"splat", run_splat_tests},
    {"splat_file", run_splat_file_tests},
    {"corruption", run_corruption_tests},
    {"cloud_stats", run_cloud_stats_tests},
    {"png", run_png_tests},
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
        fprintf(stderr, "test_formats: no test group named '%s'\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
