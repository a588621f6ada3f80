/* test_formats [GROUP]: runs every group of the formats library's tests, or the one named. */
#include "formats_tests.h"

#include "test_support.h"

static const test_group groups[] = {
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
    return test_run_groups("test_formats", groups, sizeof groups / sizeof groups[0], argc, argv);
}
