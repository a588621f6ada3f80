/* Tests of the skinning_decomposition part of the stream codec (being written). */
#include "codec_tests.h"

int run_skinning_decomposition_tests(void) {
    return 0;
}
