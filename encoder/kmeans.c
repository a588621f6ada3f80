/* k-means training (bisecting initialisation + Lloyd) and the grouped exact nearest search. */
#include "encoder/kmeans.h"

#include "render/parallel.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Power iterations for a cluster's principal axis: the split only needs a rough axis, the
 * 2-means refinement that follows corrects it. */
enum { PRINCIPAL_AXIS_ITERATIONS = 6, SPLIT_REFINE_ITERATIONS = 3 };
/* The index keeps its group distances on the stack. */
enum { MAX_GROUPS = 1024 };

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double random_unit(uint64_t *state) {
    return (double)(splitmix64(state) >> 11) * 0x1p-53;
}

static double distance2_double(const float *a, const double *b, int dims) {
    double sum = 0.0;
    for (int k = 0; k < dims; k++) {
        double difference = (double)a[k] - b[k];
        sum += difference * difference;
    }
    return sum;
}

/* ---- bisecting initialisation ---- */

typedef struct row_range {
    size_t begin, end; /* positions in the permuted row list */
    double error;      /* sum of squared distances to the range's mean */
} row_range;

typedef struct bisector {
    const float *vectors;
    int dims;
    size_t *rows;  /* permutation of the rows being clustered */
    uint8_t *side; /* scratch, one per position */
    double *mean, *axis, *next_axis, *left, *right;
} bisector;

static const float *row_at(const bisector *b, size_t position) {
    return b->vectors + b->rows[position] * (size_t)b->dims;
}

static void range_mean(const bisector *b, size_t begin, size_t end, double *mean) {
    memset(mean, 0, sizeof *mean * (size_t)b->dims);
    for (size_t p = begin; p < end; p++) {
        const float *x = row_at(b, p);
        for (int k = 0; k < b->dims; k++) {
            mean[k] += x[k];
        }
    }
    for (int k = 0; k < b->dims; k++) {
        mean[k] /= (double)(end - begin);
    }
}

static double range_error(const bisector *b, size_t begin, size_t end) {
    range_mean(b, begin, end, b->mean);
    double error = 0.0;
    for (size_t p = begin; p < end; p++) {
        error += distance2_double(row_at(b, p), b->mean, b->dims);
    }
    return error;
}

/* Moves the positions marked side = 0 to the front; returns how many there are. */
static size_t partition_by_side(bisector *b, size_t begin, size_t end) {
    size_t low = begin, high = end;
    while (low < high) {
        if (b->side[low] == 0) {
            low++;
        } else {
            high--;
            size_t row = b->rows[low];
            b->rows[low] = b->rows[high];
            b->rows[high] = row;
            uint8_t side = b->side[low];
            b->side[low] = b->side[high];
            b->side[high] = side;
        }
    }
    return low - begin;
}

/* The principal axis of a range by power iteration, started from the row farthest from the
 * mean (deterministic, and never orthogonal to a dominant spread). False if the rows coincide. */
static bool principal_axis(bisector *b, size_t begin, size_t end) {
    int dims = b->dims;
    double farthest = 0.0;
    size_t farthest_position = begin;
    for (size_t p = begin; p < end; p++) {
        double d = distance2_double(row_at(b, p), b->mean, dims);
        if (d > farthest) {
            farthest = d;
            farthest_position = p;
        }
    }
    if (!(farthest > 0.0)) {
        return false;
    }
    const float *x = row_at(b, farthest_position);
    for (int k = 0; k < dims; k++) {
        b->axis[k] = x[k] - b->mean[k];
    }
    for (int iteration = 0; iteration < PRINCIPAL_AXIS_ITERATIONS; iteration++) {
        memset(b->next_axis, 0, sizeof *b->next_axis * (size_t)dims);
        for (size_t p = begin; p < end; p++) {
            const float *y = row_at(b, p);
            double projection = 0.0;
            for (int k = 0; k < dims; k++) {
                projection += (y[k] - b->mean[k]) * b->axis[k];
            }
            for (int k = 0; k < dims; k++) {
                b->next_axis[k] += projection * (y[k] - b->mean[k]);
            }
        }
        double length2 = 0.0;
        for (int k = 0; k < dims; k++) {
            length2 += b->next_axis[k] * b->next_axis[k];
        }
        if (!(length2 > 0.0)) {
            break; /* keep the last usable axis */
        }
        double scale = 1.0 / sqrt(length2);
        for (int k = 0; k < dims; k++) {
            b->axis[k] = b->next_axis[k] * scale;
        }
    }
    return true;
}

/* Splits [begin, end) in two across its principal axis, refined by a few 2-means steps.
 * Returns the size of the first part; 0 when the rows cannot be split (all equal). */
static size_t split_range(bisector *b, size_t begin, size_t end) {
    int dims = b->dims;
    range_mean(b, begin, end, b->mean);
    if (end - begin < 2 || !principal_axis(b, begin, end)) {
        return 0;
    }
    size_t left_count = 0;
    for (size_t p = begin; p < end; p++) {
        const float *x = row_at(b, p);
        double projection = 0.0;
        for (int k = 0; k < dims; k++) {
            projection += (x[k] - b->mean[k]) * b->axis[k];
        }
        b->side[p] = projection > 0.0;
        left_count += projection <= 0.0;
    }
    if (left_count == 0 || left_count == end - begin) {
        return 0;
    }
    size_t split = partition_by_side(b, begin, end);
    for (int iteration = 0; iteration < SPLIT_REFINE_ITERATIONS; iteration++) {
        range_mean(b, begin, begin + split, b->left);
        range_mean(b, begin + split, end, b->right);
        size_t moved = 0, left = 0;
        for (size_t p = begin; p < end; p++) {
            const float *x = row_at(b, p);
            uint8_t side = distance2_double(x, b->right, dims) < distance2_double(x, b->left, dims);
            moved += side != (p >= begin + split);
            b->side[p] = side;
            left += !side;
        }
        if (moved == 0 || left == 0 || left == end - begin) {
            break; /* stable, or 2-means would empty a side: keep the current split */
        }
        split = partition_by_side(b, begin, end);
    }
    return split;
}

/* How bisect chooses the next range to split. */
typedef enum split_priority {
    SPLIT_LARGEST_ERROR, /* k-means initialisation: spend centroids where the error is */
    SPLIT_MOST_ROWS,     /* search groups: keep every group small */
} split_priority;

/* Partitions rows[0..n) into at most `wanted` ranges, always splitting the range first in
 * `priority`. Returns the number of ranges (fewer when the rows run out of distinct values). */
static ds_status bisect(const float *vectors, size_t *rows, size_t n, int dims, size_t wanted,
                        split_priority priority, row_range *ranges, size_t *range_count) {
    bisector b = {.vectors = vectors, .dims = dims, .rows = rows};
    b.side = malloc(n);
    double *scratch = malloc(sizeof *scratch * (size_t)dims * 5);
    if (!b.side || !scratch) {
        free(b.side);
        free(scratch);
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for k-means initialisation");
    }
    b.mean = scratch;
    b.axis = scratch + dims;
    b.next_axis = scratch + 2 * dims;
    b.left = scratch + 3 * dims;
    b.right = scratch + 4 * dims;

    size_t count = 1;
    ranges[0] = (row_range){0, n, range_error(&b, 0, n)};
    while (count < wanted) {
        size_t worst = count;
        double worst_key = 0.0;
        for (size_t r = 0; r < count; r++) {
            double key = priority == SPLIT_LARGEST_ERROR
                             ? ranges[r].error
                             : (double)(ranges[r].end - ranges[r].begin);
            if (ranges[r].error > 0.0 && (worst == count || key > worst_key)) {
                worst = r;
                worst_key = key;
            }
        }
        if (worst == count) {
            break; /* every range holds identical rows */
        }
        size_t begin = ranges[worst].begin, end = ranges[worst].end;
        size_t split = split_range(&b, begin, end);
        if (split == 0) {
            ranges[worst].error = 0.0; /* numerically inseparable: stop trying it */
            continue;
        }
        ranges[worst] = (row_range){begin, begin + split, range_error(&b, begin, begin + split)};
        ranges[count++] = (row_range){begin + split, end, range_error(&b, begin + split, end)};
    }
    free(b.side);
    free(scratch);
    *range_count = count;
    return ds_ok();
}

/* ---- nearest index ---- */

struct ds_nearest_index {
    int dims;
    size_t clusters, groups;
    float *centres;        /* groups x dims */
    double *radius;        /* groups: largest member distance to the centre */
    size_t *group_start;   /* groups + 1: members of group g are [start[g], start[g + 1]) */
    float *members;        /* clusters x dims, grouped, each group sorted by centre distance */
    double *member_radius; /* clusters: distance to the group centre, ascending per group */
    uint32_t *member_id;   /* clusters: the centroid's index */
    uint32_t *position_of; /* clusters: where a centroid sits among the members */
};

typedef struct member_order {
    double radius;
    uint32_t id;
} member_order;

static int compare_member_order(const void *a, const void *b) {
    const member_order *x = a, *y = b;
    if (x->radius != y->radius) {
        return x->radius < y->radius ? -1 : 1;
    }
    return (x->id > y->id) - (x->id < y->id);
}

void ds_nearest_index_free(ds_nearest_index *index) {
    if (!index) {
        return;
    }
    free(index->centres);
    free(index->radius);
    free(index->group_start);
    free(index->members);
    free(index->member_radius);
    free(index->member_id);
    free(index->position_of);
    free(index);
}

ds_status ds_nearest_index_create(const float *centroids, size_t clusters, int dims,
                                  ds_nearest_index **out) {
    *out = NULL;
    if (clusters == 0 || clusters > DS_KMEANS_MAX_CLUSTERS || dims < 1 ||
        dims > DS_KMEANS_MAX_DIMS) {
        return ds_error(DS_ERR_ARGUMENT, "cannot index %zu centroids of %d dimensions", clusters,
                        dims);
    }
    size_t wanted_groups = (size_t)lround(sqrt((double)clusters));
    wanted_groups =
        wanted_groups < 1 ? 1 : (wanted_groups > MAX_GROUPS ? MAX_GROUPS : wanted_groups);

    ds_nearest_index *index = calloc(1, sizeof *index);
    size_t *rows = malloc(sizeof *rows * clusters);
    row_range *ranges = malloc(sizeof *ranges * wanted_groups);
    member_order *order = malloc(sizeof *order * clusters);
    double *mean = malloc(sizeof *mean * (size_t)dims);
    if (index) {
        index->centres = malloc(sizeof *index->centres * wanted_groups * (size_t)dims);
        index->radius = malloc(sizeof *index->radius * wanted_groups);
        index->group_start = malloc(sizeof *index->group_start * (wanted_groups + 1));
        index->members = malloc(sizeof *index->members * clusters * (size_t)dims);
        index->member_radius = malloc(sizeof *index->member_radius * clusters);
        index->member_id = malloc(sizeof *index->member_id * clusters);
        index->position_of = malloc(sizeof *index->position_of * clusters);
    }
    ds_status status = ds_ok();
    if (!index || !rows || !ranges || !order || !mean || !index->centres || !index->radius ||
        !index->group_start || !index->members || !index->member_radius || !index->member_id ||
        !index->position_of) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory for a nearest-centroid index");
        goto done;
    }
    index->dims = dims;
    index->clusters = clusters;
    for (size_t c = 0; c < clusters; c++) {
        rows[c] = c;
    }
    size_t groups = 0;
    status =
        bisect(centroids, rows, clusters, dims, wanted_groups, SPLIT_MOST_ROWS, ranges, &groups);
    if (ds_failed(&status)) {
        goto done;
    }
    index->groups = groups;
    size_t position = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t begin = ranges[g].begin, end = ranges[g].end;
        memset(mean, 0, sizeof *mean * (size_t)dims);
        for (size_t p = begin; p < end; p++) {
            for (int k = 0; k < dims; k++) {
                mean[k] += centroids[rows[p] * (size_t)dims + (size_t)k];
            }
        }
        float *centre = index->centres + g * (size_t)dims;
        for (int k = 0; k < dims; k++) {
            centre[k] = (float)(mean[k] / (double)(end - begin));
            mean[k] = centre[k]; /* radii are measured from the float centre queries use */
        }
        double radius = 0.0;
        size_t members = end - begin;
        for (size_t p = begin; p < end; p++) {
            const float *c = centroids + rows[p] * (size_t)dims;
            order[p - begin].radius = sqrt(distance2_double(c, mean, dims));
            order[p - begin].id = (uint32_t)rows[p];
        }
        qsort(order, members, sizeof *order, compare_member_order);
        index->group_start[g] = position;
        for (size_t m = 0; m < members; m++, position++) {
            uint32_t id = order[m].id;
            memcpy(index->members + position * (size_t)dims, centroids + (size_t)id * (size_t)dims,
                   sizeof(float) * (size_t)dims);
            index->member_radius[position] = order[m].radius;
            index->member_id[position] = id;
            index->position_of[id] = (uint32_t)position;
            if (order[m].radius > radius) {
                radius = order[m].radius;
            }
        }
        index->radius[g] = radius;
    }
    index->group_start[groups] = position;

done:
    free(rows);
    free(ranges);
    free(order);
    free(mean);
    if (ds_failed(&status)) {
        ds_nearest_index_free(index);
        return status;
    }
    *out = index;
    return status;
}

/* ds_kmeans_distance2, abandoned (returning something larger than `limit`) once the partial
 * sum exceeds `limit`. The partial sums only grow, and the full sum is the same arithmetic as
 * ds_kmeans_distance2, so results compare exactly with a brute-force scan. */
static float distance2_below(const float *a, const float *b, int dims, float limit) {
    float sum = 0.0f;
    int k = 0;
    for (; k + 4 <= dims; k += 4) {
        for (int j = k; j < k + 4; j++) {
            float difference = a[j] - b[j];
            sum += difference * difference;
        }
        if (sum > limit) {
            return sum;
        }
    }
    for (; k < dims; k++) {
        float difference = a[k] - b[k];
        sum += difference * difference;
    }
    return sum;
}

typedef struct search_state {
    float best;
    uint32_t best_id;
    double bound; /* a distance beyond which no member can beat `best`, with rounding slack */
} search_state;

/* Float distances carry relative rounding of about dims * 2^-24; the slack keeps the
 * triangle-inequality pruning from skipping a member whose float distance ties or beats the
 * best. */
static double pruning_bound(float best) {
    return sqrt((double)best) * (1.0 + 1e-5) + 1e-18;
}

static void search_group(const ds_nearest_index *index, const float *vector, size_t group,
                         double centre_distance, search_state *state) {
    if (centre_distance - index->radius[group] > state->bound) {
        return;
    }
    int dims = index->dims;
    size_t begin = index->group_start[group], end = index->group_start[group + 1];
    /* Members with |centre_distance - radius| > bound cannot be nearer than the best:
     * binary search for the first one inside the window. */
    double low = centre_distance - state->bound;
    size_t first = begin, last = end;
    while (first < last) {
        size_t middle = first + (last - first) / 2;
        if (index->member_radius[middle] < low) {
            first = middle + 1;
        } else {
            last = middle;
        }
    }
    for (size_t m = first; m < end && index->member_radius[m] <= centre_distance + state->bound;
         m++) {
        float d = distance2_below(vector, index->members + m * (size_t)dims, dims, state->best);
        uint32_t id = index->member_id[m];
        /* best_id is UINT32_MAX while `best` is only a caller's limit: equal is not below. */
        if (d < state->best ||
            (d == state->best && state->best_id != UINT32_MAX && id < state->best_id)) {
            state->best = d;
            state->best_id = id;
            state->bound = pruning_bound(d);
        }
    }
}

static void search(const ds_nearest_index *index, const float *vector, search_state *state) {
    int dims = index->dims;
    double centre_distance[MAX_GROUPS];
    size_t nearest_group = 0;
    double nearest_distance = INFINITY;
    for (size_t g = 0; g < index->groups; g++) {
        const float *centre = index->centres + g * (size_t)dims;
        double sum = 0.0;
        for (int k = 0; k < dims; k++) {
            double difference = (double)vector[k] - centre[k];
            sum += difference * difference;
        }
        centre_distance[g] = sqrt(sum);
        if (centre_distance[g] < nearest_distance) {
            nearest_distance = centre_distance[g];
            nearest_group = g;
        }
    }
    /* The nearest group first: its best member makes the bound tight for the others. */
    search_group(index, vector, nearest_group, nearest_distance, state);
    for (size_t g = 0; g < index->groups; g++) {
        if (g != nearest_group) {
            search_group(index, vector, g, centre_distance[g], state);
        }
    }
}

uint32_t ds_nearest_index_find_near(const ds_nearest_index *index, const float *vector,
                                    uint32_t guess, float *distance2) {
    search_state state = {INFINITY, UINT32_MAX, INFINITY};
    if (guess < index->clusters) {
        state.best = ds_kmeans_distance2(
            vector, index->members + (size_t)index->position_of[guess] * (size_t)index->dims,
            index->dims);
        state.best_id = guess;
        state.bound = pruning_bound(state.best);
    }
    search(index, vector, &state);
    if (state.best_id == UINT32_MAX) { /* a non-finite query: nothing compares */
        state.best_id = 0;
    }
    if (distance2) {
        *distance2 = state.best;
    }
    return state.best_id;
}

uint32_t ds_nearest_index_find_below(const ds_nearest_index *index, const float *vector,
                                     float limit, float *distance2) {
    search_state state = {limit, UINT32_MAX, pruning_bound(limit)};
    if (!(limit > 0.0f)) {
        return UINT32_MAX; /* no squared distance is below zero (or NaN) */
    }
    search(index, vector, &state);
    if (distance2 && state.best_id != UINT32_MAX) {
        *distance2 = state.best;
    }
    return state.best_id;
}

uint32_t ds_nearest_index_find(const ds_nearest_index *index, const float *vector,
                               float *distance2) {
    return ds_nearest_index_find_near(index, vector, UINT32_MAX, distance2);
}

/* ---- training ---- */

/* Knuth's selection sampling (algorithm S). */
void ds_kmeans_sample_rows(size_t count, size_t wanted, uint64_t seed, size_t *rows) {
    uint64_t state = seed;
    size_t chosen = 0;
    for (size_t row = 0; row < count && chosen < wanted; row++) {
        if ((double)(count - row) * random_unit(&state) < (double)(wanted - chosen)) {
            rows[chosen++] = row;
        }
    }
}

typedef struct error_order {
    float error;
    uint32_t row;
} error_order;

static int compare_error_descending(const void *a, const void *b) {
    const error_order *x = a, *y = b;
    if (x->error != y->error) {
        return x->error > y->error ? -1 : 1;
    }
    return (x->row > y->row) - (x->row < y->row);
}

/* Moves each empty cluster's centroid onto one of the rows worst represented by the current
 * centroids (largest error first). Returns false on allocation failure. */
static bool reseed_empty_clusters(const float *data, size_t n, int dims, const float *errors,
                                  const size_t *members, size_t clusters, float *centroids) {
    size_t empty = 0;
    for (size_t c = 0; c < clusters; c++) {
        empty += members[c] == 0;
    }
    if (empty == 0) {
        return true;
    }
    error_order *candidates = malloc(sizeof *candidates * n);
    if (!candidates) {
        return false;
    }
    size_t candidate_count = 0;
    for (size_t j = 0; j < n; j++) {
        if (errors[j] > 0.0f) {
            candidates[candidate_count++] = (error_order){errors[j], (uint32_t)j};
        }
    }
    qsort(candidates, candidate_count, sizeof *candidates, compare_error_descending);
    size_t next = 0;
    for (size_t c = 0; c < clusters && next < candidate_count; c++) {
        if (members[c] == 0) {
            memcpy(centroids + c * (size_t)dims,
                   data + (size_t)candidates[next++].row * (size_t)dims,
                   sizeof(float) * (size_t)dims);
        }
    }
    free(candidates);
    return true;
}

ds_status ds_kmeans_train(const float *vectors, size_t count, int dims,
                          const ds_kmeans_settings *settings, float *centroids) {
    size_t clusters = settings->clusters;
    if (count == 0 || dims < 1 || dims > DS_KMEANS_MAX_DIMS || clusters == 0 ||
        clusters > DS_KMEANS_MAX_CLUSTERS || settings->iterations < 0 || count > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT,
                        "cannot train %zu centroids of %d dimensions on %zu vectors", clusters,
                        dims, count);
    }
    size_t n =
        settings->sample_limit && settings->sample_limit < count ? settings->sample_limit : count;
    size_t *rows = malloc(sizeof *rows * n);
    float *sample = n < count ? malloc(sizeof *sample * n * (size_t)dims) : NULL;
    row_range *ranges = malloc(sizeof *ranges * clusters);
    uint32_t *assignment = malloc(sizeof *assignment * n);
    float *errors = malloc(sizeof *errors * n);
    size_t *members = malloc(sizeof *members * clusters);
    double *sums = malloc(sizeof *sums * clusters * (size_t)dims);
    ds_status status = ds_ok();
    if (!rows || (n < count && !sample) || !ranges || !assignment || !errors || !members || !sums) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory for k-means training");
        goto done;
    }
    const float *data = vectors;
    if (n < count) {
        ds_kmeans_sample_rows(count, n, settings->seed, rows);
        for (size_t j = 0; j < n; j++) {
            memcpy(sample + j * (size_t)dims, vectors + rows[j] * (size_t)dims,
                   sizeof(float) * (size_t)dims);
        }
        data = sample;
    }
    for (size_t j = 0; j < n * (size_t)dims; j++) {
        if (!isfinite(data[j])) {
            status = ds_error(DS_ERR_ARGUMENT, "k-means input holds a non-finite value");
            goto done;
        }
    }

    for (size_t j = 0; j < n; j++) {
        rows[j] = j;
    }
    size_t range_count = 0;
    status = bisect(data, rows, n, dims, clusters, SPLIT_LARGEST_ERROR, ranges, &range_count);
    if (ds_failed(&status)) {
        goto done;
    }
    memset(sums, 0, sizeof *sums * clusters * (size_t)dims);
    for (size_t r = 0; r < range_count; r++) {
        for (size_t p = ranges[r].begin; p < ranges[r].end; p++) {
            assignment[rows[p]] = (uint32_t)r;
            for (int k = 0; k < dims; k++) {
                sums[r * (size_t)dims + (size_t)k] += data[rows[p] * (size_t)dims + (size_t)k];
            }
        }
        for (int k = 0; k < dims; k++) {
            centroids[r * (size_t)dims + (size_t)k] =
                (float)(sums[r * (size_t)dims + (size_t)k] /
                        (double)(ranges[r].end - ranges[r].begin));
        }
    }
    /* Surplus centroids (too few distinct rows) duplicate the first: never nearest by ties. */
    for (size_t c = range_count; c < clusters; c++) {
        memcpy(centroids + c * (size_t)dims, centroids, sizeof(float) * (size_t)dims);
    }

    for (int iteration = 0; iteration < settings->iterations; iteration++) {
        ds_nearest_index *index = NULL;
        status = ds_nearest_index_create(centroids, clusters, dims, &index);
        if (ds_failed(&status)) {
            goto done;
        }
        size_t changed = 0;
        ptrdiff_t rows_signed = (ptrdiff_t)n;
#pragma omp parallel for schedule(dynamic, 1024) reduction(+ : changed) if (DS_PARALLEL(n))
        for (ptrdiff_t j = 0; j < rows_signed; j++) {
            uint32_t nearest = ds_nearest_index_find_near(index, data + (size_t)j * (size_t)dims,
                                                          assignment[j], &errors[j]);
            changed += nearest != assignment[j];
            assignment[j] = nearest;
        }
        ds_nearest_index_free(index);
        if (changed == 0) {
            break; /* the centroids are already the means of this assignment */
        }
        memset(sums, 0, sizeof *sums * clusters * (size_t)dims);
        memset(members, 0, sizeof *members * clusters);
        for (size_t j = 0; j < n; j++) {
            size_t c = assignment[j];
            members[c]++;
            for (int k = 0; k < dims; k++) {
                sums[c * (size_t)dims + (size_t)k] += data[j * (size_t)dims + (size_t)k];
            }
        }
        for (size_t c = 0; c < clusters; c++) {
            if (members[c] > 0) {
                for (int k = 0; k < dims; k++) {
                    centroids[c * (size_t)dims + (size_t)k] =
                        (float)(sums[c * (size_t)dims + (size_t)k] / (double)members[c]);
                }
            }
        }
        if (!reseed_empty_clusters(data, n, dims, errors, members, clusters, centroids)) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory for k-means training");
            goto done;
        }
    }

done:
    free(rows);
    free(sample);
    free(ranges);
    free(assignment);
    free(errors);
    free(members);
    free(sums);
    return status;
}
