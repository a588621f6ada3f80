/* k-means vector quantisation: codebook training and fast exact nearest-entry search.
 *
 * Used for the colour (SH) codebooks of the .dsv stream: up to 8192 entries of up to 21
 * dimensions, queried millions of times per segment. */
#ifndef DS_ENCODER_KMEANS_H
#define DS_ENCODER_KMEANS_H

#include "formats/status.h"

#include <stddef.h>
#include <stdint.h>

/* Most dimensions and centroids the trainer and the index accept. */
enum { DS_KMEANS_MAX_DIMS = 64 };
#define DS_KMEANS_MAX_CLUSTERS ((size_t)1 << 24)

typedef struct ds_kmeans_settings {
    size_t clusters;     /* centroids to train, >= 1 */
    int iterations;      /* Lloyd iterations after initialisation (stops early once stable) */
    size_t sample_limit; /* train on at most this many random rows; 0 = all rows */
    uint64_t seed;       /* chooses the sample */
} ds_kmeans_settings;

/* Trains `clusters` centroids (written to centroids, clusters x dims) of `dims`-vectors
 * (count x dims, row-major; all finite).
 *
 * Initialisation is bisecting: the cluster with the largest squared error is split across
 * its principal axis (then refined by 2-means) until there are `clusters` of them, which
 * spreads centroids over all the data and separates well-separated groups exactly. Lloyd
 * iterations follow; a cluster left empty is re-seeded at the worst-represented row. With
 * fewer distinct vectors than clusters, the surplus centroids duplicate others (the index
 * never returns a duplicate: ties go to the lowest index).
 *
 * Deterministic for a seed whatever the thread count (sums are accumulated in row order). */
ds_status ds_kmeans_train(const float *vectors, size_t count, int dims,
                          const ds_kmeans_settings *settings, float *centroids);

/* Chooses `wanted` (<= count) of the row numbers 0..count-1 uniformly at random, written in
 * increasing order; O(count) time, no extra memory. Training uses it for its sample; callers
 * whose rows are not contiguous use it to gather theirs. */
void ds_kmeans_sample_rows(size_t count, size_t wanted, uint64_t seed, size_t *rows);

/* Squared Euclidean distance, summed in dimension order: the search below and callers that
 * compare against its results use this exact arithmetic. */
static inline float ds_kmeans_distance2(const float *a, const float *b, int dims) {
    float sum = 0.0f;
    for (int k = 0; k < dims; k++) {
        float difference = a[k] - b[k];
        sum += difference * difference;
    }
    return sum;
}

/* Exact nearest-centroid search: returns what a brute-force scan with ds_kmeans_distance2
 * would (the lowest index among equally near centroids), but visits few centroids. Centroids
 * are grouped into about sqrt(clusters) groups; a query skips groups and members that the
 * triangle inequality proves farther than the best so far, and stops summing a distance once
 * it exceeds the best. Safe to query from many threads at once. */
typedef struct ds_nearest_index ds_nearest_index;

ds_status ds_nearest_index_create(const float *centroids, size_t clusters, int dims,
                                  ds_nearest_index **index);
/* The nearest centroid to `vector`; its squared distance goes to *distance2 (may be NULL). */
uint32_t ds_nearest_index_find(const ds_nearest_index *index, const float *vector,
                               float *distance2);
/* The same answer, found faster when `guess` (e.g. the previous frame's or iteration's
 * answer) is near: it bounds the search from the start. A guess out of range is ignored. */
uint32_t ds_nearest_index_find_near(const ds_nearest_index *index, const float *vector,
                                    uint32_t guess, float *distance2);
/* The nearest centroid if its squared distance is below `limit` (then *distance2, if not
 * NULL, gets it), else UINT32_MAX. Much faster than a full search when few centroids are that
 * near: "is any entry better than this by a margin?" */
uint32_t ds_nearest_index_find_below(const ds_nearest_index *index, const float *vector,
                                     float limit, float *distance2);
void ds_nearest_index_free(ds_nearest_index *index);

#endif
