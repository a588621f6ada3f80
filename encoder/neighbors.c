#include "neighbors.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_K = 64 };

/* Points bucketed into cubic cells, stored cell by cell. */
typedef struct grid {
    float origin[3], cell;
    int size[3];
    uint32_t *starts; /* cells + 1 */
    uint32_t *order;  /* point indices by cell */
} grid;

static int cell_coordinate(const grid *g, float value, int axis) {
    int c = (int)floorf((value - g->origin[axis]) / g->cell);
    return c < 0 ? 0 : (c >= g->size[axis] ? g->size[axis] - 1 : c);
}

static size_t cell_index(const grid *g, int x, int y, int z) {
    return ((size_t)z * (size_t)g->size[1] + (size_t)y) * (size_t)g->size[0] + (size_t)x;
}

static ds_status build_grid(const float *points, size_t count, int k, grid *g) {
    float low[3] = {FLT_MAX, FLT_MAX, FLT_MAX}, high[3] = {-FLT_MAX, -FLT_MAX, -FLT_MAX};
    for (size_t i = 0; i < count; i++) {
        for (int a = 0; a < 3; a++) {
            low[a] = fminf(low[a], points[i * 3 + (size_t)a]);
            high[a] = fmaxf(high[a], points[i * 3 + (size_t)a]);
        }
    }
    /* About k points per cell on average, for points spread over a surface or a volume. */
    double volume = 1.0;
    for (int a = 0; a < 3; a++) {
        volume *= fmax((double)(high[a] - low[a]), 1e-6);
    }
    double cell = cbrt(volume * (double)k / (double)(count ? count : 1));
    size_t cells = 1;
    for (int a = 0; a < 3; a++) {
        g->origin[a] = low[a];
        double extent = fmax((double)(high[a] - low[a]), 1e-6);
        g->size[a] = (int)fmin(256.0, fmax(1.0, ceil(extent / cell)));
        cells *= (size_t)g->size[a];
    }
    g->cell = (float)fmax(cell, 1e-9);
    /* The largest axis decides the cell when the caps above bind. */
    for (int a = 0; a < 3; a++) {
        double extent = fmax((double)(high[a] - low[a]), 1e-6);
        g->cell = fmaxf(g->cell, (float)(extent / g->size[a]));
    }
    g->starts = calloc(cells + 1, sizeof *g->starts);
    g->order = malloc((count ? count : 1) * sizeof *g->order);
    if (!g->starts || !g->order) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a neighbour grid");
    }
    uint32_t *cell_of = malloc((count ? count : 1) * sizeof *cell_of);
    if (!cell_of) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a neighbour grid");
    }
    for (size_t i = 0; i < count; i++) {
        const float *p = points + i * 3;
        cell_of[i] = (uint32_t)cell_index(g, cell_coordinate(g, p[0], 0),
                                          cell_coordinate(g, p[1], 1), cell_coordinate(g, p[2], 2));
        g->starts[cell_of[i] + 1]++;
    }
    for (size_t c = 0; c < cells; c++) {
        g->starts[c + 1] += g->starts[c];
    }
    uint32_t *cursor = malloc((cells ? cells : 1) * sizeof *cursor);
    if (!cursor) {
        free(cell_of);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a neighbour grid");
    }
    memcpy(cursor, g->starts, cells * sizeof *cursor);
    for (size_t i = 0; i < count; i++) {
        g->order[cursor[cell_of[i]]++] = (uint32_t)i;
    }
    free(cursor);
    free(cell_of);
    return ds_ok();
}

/* Inserts a candidate into a sorted list of the best `k` so far. */
static void consider(uint32_t index, float distance, int k, int *found, uint32_t *best,
                     float *best_distance) {
    if (*found == k && distance >= best_distance[k - 1]) {
        return;
    }
    int slot = *found < k ? (*found)++ : k - 1;
    while (slot > 0 && best_distance[slot - 1] > distance) {
        best[slot] = best[slot - 1];
        best_distance[slot] = best_distance[slot - 1];
        slot--;
    }
    best[slot] = index;
    best_distance[slot] = distance;
}

ds_status ds_nearest_neighbors(const float *queries, size_t query_count, const float *points,
                               size_t point_count, int k, bool exclude_self, uint32_t *indices,
                               float *distances) {
    if (k < 1 || k > MAX_K) {
        return ds_error(DS_ERR_ARGUMENT, "k = %d neighbours is outside 1..%d", k, MAX_K);
    }
    grid g = {0};
    ds_status status = build_grid(points, point_count, k, &g);
    if (ds_failed(&status)) {
        free(g.starts);
        free(g.order);
        return status;
    }
#pragma omp parallel for schedule(dynamic, 256)
    for (size_t q = 0; q < query_count; q++) {
        const float *p = queries + q * 3;
        uint32_t best[MAX_K];
        float best_distance[MAX_K];
        int found = 0;
        int center[3] = {cell_coordinate(&g, p[0], 0), cell_coordinate(&g, p[1], 1),
                         cell_coordinate(&g, p[2], 2)};
        int largest = g.size[0] > g.size[1] ? g.size[0] : g.size[1];
        largest = largest > g.size[2] ? largest : g.size[2];
        /* Grow a shell of cells until the k-th best is closer than anything outside it. */
        for (int ring = 0; ring <= largest; ring++) {
            for (int z = center[2] - ring; z <= center[2] + ring; z++) {
                for (int y = center[1] - ring; y <= center[1] + ring; y++) {
                    for (int x = center[0] - ring; x <= center[0] + ring; x++) {
                        bool on_shell = abs(x - center[0]) == ring || abs(y - center[1]) == ring ||
                                        abs(z - center[2]) == ring;
                        if (!on_shell || x < 0 || y < 0 || z < 0 || x >= g.size[0] ||
                            y >= g.size[1] || z >= g.size[2]) {
                            continue;
                        }
                        size_t c = cell_index(&g, x, y, z);
                        for (uint32_t e = g.starts[c]; e < g.starts[c + 1]; e++) {
                            uint32_t i = g.order[e];
                            if (exclude_self && i == q) {
                                continue;
                            }
                            const float *o = points + (size_t)i * 3;
                            float dx = o[0] - p[0], dy = o[1] - p[1], dz = o[2] - p[2];
                            consider(i, dx * dx + dy * dy + dz * dz, k, &found, best,
                                     best_distance);
                        }
                    }
                }
            }
            /* Points outside this shell are at least `ring` cells away from the query's cell. */
            float reach = (float)ring * g.cell;
            if (found == k && best_distance[k - 1] <= reach * reach) {
                break;
            }
        }
        for (int j = 0; j < k; j++) {
            int from = found == 0 ? -1 : (j < found ? j : found - 1);
            indices[q * (size_t)k + (size_t)j] = from < 0 ? 0 : best[from];
            distances[q * (size_t)k + (size_t)j] = from < 0 ? INFINITY : best_distance[from];
        }
    }
    free(g.starts);
    free(g.order);
    return ds_ok();
}
