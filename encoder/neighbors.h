/* k nearest neighbours among 3D points, with a uniform grid: for the joint and skin graphs and the
 * skin-to-joint binding of DualGS (K = 8). */
#ifndef DS_ENCODER_NEIGHBORS_H
#define DS_ENCODER_NEIGHBORS_H

#include "formats/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* For each of `query_count` points (x, y, z), the `k` nearest of `point_count` points, nearest
 * first: `indices` and squared `distances` receive query_count x k entries. With `exclude_self`
 * the queries are the points themselves and a point is not its own neighbour. When fewer than k
 * candidates exist, the remaining slots repeat the farthest found (or index 0 when none). */
ds_status ds_nearest_neighbors(const float *queries, size_t query_count, const float *points,
                               size_t point_count, int k, bool exclude_self, uint32_t *indices,
                               float *distances);

#endif
