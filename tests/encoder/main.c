/* test_encoder [GROUP]: runs every group of the encoder library's tests, or the one named. */
#include "encoder_tests.h"

#include "test_support.h"

static const test_group groups[] = {
    {"photometric_loss", run_photometric_loss_tests},
    {"image_metrics", run_image_metrics_tests},
    {"adam", run_adam_tests},
    {"learning_rate", run_learning_rate_tests},
    {"raster_backward", run_raster_backward_tests},
    {"fitting", run_fitting_tests},
    {"skinning", run_skinning_tests},
    {"silhouette_centroid", run_silhouette_centroid_tests},
    {"tracking", run_tracking_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_encoder", groups, sizeof groups / sizeof groups[0], argc, argv);
}
