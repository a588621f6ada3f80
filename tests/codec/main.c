/* test_codec [GROUP]: runs every group of the stream codec's tests (the .dsv bitstream in
 * formats/, its analysis in encoder/), or the one named. */
#include "codec_tests.h"

#include "test_support.h"

static const test_group groups[] = {
    {"appearance_map", run_appearance_map_tests},
    {"kmeans", run_kmeans_tests},
    {"colour_layer", run_colour_layer_tests},
    {"skinning_decomposition", run_skinning_decomposition_tests},
    {"dsv_stream", run_dsv_stream_tests},
    {"audio", run_audio_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_codec", groups, sizeof groups / sizeof groups[0], argc, argv);
}
