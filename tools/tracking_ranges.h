/* Tracking outputs of independent frame ranges (`track --frames A:B` into one folder per range,
 * as cluster jobs write them, docs/cluster.md) joined into one run of frames 0..N-1: each frame
 * taken from the one folder that holds it. Refuses, naming what is wrong, folders tracked from
 * different fits, frames held by two folders (overlapping ranges) and frames held by none
 * (a missing or unfinished range). */
#ifndef DS_TOOLS_TRACKING_RANGES_H
#define DS_TOOLS_TRACKING_RANGES_H

#include "formats/status.h"

#include <stdint.h>

typedef struct tracking_ranges {
    uint32_t frame_count;
    const char **frame_folders; /* per frame: the folder whose frames/NNNNNN.dsframe it is */
} tracking_ranges;

ds_status tracking_ranges_join(char *const *folders, int count, tracking_ranges *ranges);
void tracking_ranges_free(tracking_ranges *ranges);

#endif
