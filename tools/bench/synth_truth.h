/* The truth of a synthetic capture (bones.json, docs/synth.md), for measuring tracking: every
 * part's shape and its transform in every frame. A tracked point is anchored to the part whose
 * surface it lies on at frame 0; its true position later is that part's motion applied to it. */
#ifndef DS_TOOLS_SYNTH_TRUTH_H
#define DS_TOOLS_SYNTH_TRUTH_H

#include "formats/status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ds_truth_part {
    char name[64];
    bool capsule;               /* else an ellipsoid */
    double a[3], b[3], radius;  /* capsule: segment a-b in the part's frame, radius */
    double center[3], radii[3]; /* ellipsoid, axis-aligned in the part's frame */
} ds_truth_part;

typedef struct ds_truth {
    int part_count, frame_count;
    ds_truth_part *parts;
    double *world_from_part; /* frame_count x part_count x 16, row-major */
} ds_truth;

ds_status ds_truth_load(const char *path, ds_truth *truth);
void ds_truth_free(ds_truth *truth);

/* Points fixed to parts at frame 0. */
typedef struct ds_truth_anchors {
    size_t count, anchored;
    int *part;     /* -1: farther than the limit from every part, not measured */
    double *local; /* count x 3, in the part's frame */
} ds_truth_anchors;

/* Anchors each point (count x 3, frame-0 world positions) to the part whose surface is nearest,
 * when that surface is within `max_distance`. */
ds_status ds_truth_anchor(const ds_truth *truth, const float *positions, size_t count,
                          double max_distance, ds_truth_anchors *anchors);
void ds_truth_anchors_free(ds_truth_anchors *anchors);

typedef struct ds_truth_error {
    double mean, max;   /* distance between tracked and true positions */
    double mean_motion; /* how far the true positions moved since frame 0 */
} ds_truth_error;

/* Compares positions tracked at `frame` (count x 3, same points as anchored) with the truth. */
ds_truth_error ds_truth_compare(const ds_truth *truth, const ds_truth_anchors *anchors, int frame,
                                const float *positions);

/* The size of the figure: the diagonal of its frame-0 bounding box (parts' extremes). */
double ds_truth_figure_size(const ds_truth *truth);

#endif
