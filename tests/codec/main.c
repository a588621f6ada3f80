/* test_codec [GROUP]: runs every group of the stream codec's tests (the .dsv bitstream in
 * formats/, its analysis in encoder/), or the one named. */
#include "codec_tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"appearance_map", run_appearance_map_tests},
    {"kmeans", run_kmeans_tests},
    {"colour_layer", run_colour_layer_tests},
    {"skinning_decomposition", run_skinning_decomposition_tests},
    {"dsv_stream", run_dsv_stream_tests},
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
        fprintf(stderr, "test_codec: no test group named '%s'\n", argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
