/* test_encoder [GROUP]: runs every group of the encoder library's tests, or the one named. */
#include "encoder_tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"photometric_loss", run_photometric_loss_tests},
    {"image_metrics", run_image_metrics_tests},
    {"adam", run_adam_tests},
    {"learning_rate", run_learning_rate_tests},
    {"raster_backward", run_raster_backward_tests},
    {"fitting", run_fitting_tests},
    {"skinning", run_skinning_tests},
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
        fprintf(stderr, "test_encoder: no test group named '%s'\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
