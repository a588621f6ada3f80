/* Tests of the appearance_map part of the stream codec (being written). */
#include "codec_tests.h"

int run_appearance_map_tests(void) {
    return 0;
}
