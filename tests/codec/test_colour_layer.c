/* Tests of the colour_layer part of the stream codec (being written). */
#include "codec_tests.h"

int run_colour_layer_tests(void) {
    return 0;
}
