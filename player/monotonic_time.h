/* Seconds on the monotonic clock (an arbitrary origin, never going back): for measuring how long
 * decoding, transfers and frames take. Files that include this define _POSIX_C_SOURCE first. */
#ifndef DS_PLAYER_MONOTONIC_TIME_H
#define DS_PLAYER_MONOTONIC_TIME_H

#include <time.h>

static inline double ds_monotonic_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#endif
