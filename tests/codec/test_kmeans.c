/* Tests of the kmeans part of the stream codec (being written). */
#include "codec_tests.h"

int run_kmeans_tests(void) {
    return 0;
}
