/* Tests of k-means training and the exact nearest-centroid index (encoder/kmeans.h). */
#include "codec_tests.h"
#include "encoder/kmeans.h"
#include "test_support.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Uniform in [-1, 1). */
static float uniform(uint32_t *state) {
    return (float)((double)next_random(state) / 2147483648.0 - 1.0);
}

/* Points around `clusters` centres spread over [-scale, scale]^dims, `noise` wide. */
static float *blobs(size_t clusters, size_t per_cluster, int dims, float scale, float noise,
                    uint32_t seed, float *centres) {
    uint32_t state = seed;
    float *points = malloc(sizeof *points * clusters * per_cluster * (size_t)dims);
    assert_non_null(points);
    for (size_t c = 0; c < clusters; c++) {
        for (int k = 0; k < dims; k++) {
            centres[c * (size_t)dims + (size_t)k] = scale * uniform(&state);
        }
    }
    for (size_t j = 0; j < clusters * per_cluster; j++) {
        size_t c = j % clusters;
        for (int k = 0; k < dims; k++) {
            points[j * (size_t)dims + (size_t)k] =
                centres[c * (size_t)dims + (size_t)k] + noise * uniform(&state);
        }
    }
    return points;
}

static uint32_t brute_force_nearest(const float *centroids, size_t clusters, int dims,
                                    const float *vector, float *distance2) {
    uint32_t best = 0;
    float best_distance = INFINITY;
    for (size_t c = 0; c < clusters; c++) {
        float d = ds_kmeans_distance2(vector, centroids + c * (size_t)dims, dims);
        if (d < best_distance) {
            best_distance = d;
            best = (uint32_t)c;
        }
    }
    *distance2 = best_distance;
    return best;
}

static void well_separated_clusters_are_recovered_exactly(void **state) {
    (void)state;
    enum { CLUSTERS = 24, PER_CLUSTER = 150, DIMS = 6 };
    float centres[CLUSTERS * DIMS];
    /* Centres 20 apart on average, points within 0.05: every blob must get its own centroid. */
    float *points = blobs(CLUSTERS, PER_CLUSTER, DIMS, 10.0f, 0.05f, 7, centres);
    for (size_t a = 0; a < CLUSTERS; a++) {
        for (size_t b = a + 1; b < CLUSTERS; b++) {
            assert_true(ds_kmeans_distance2(centres + a * DIMS, centres + b * DIMS, DIMS) > 1.0f);
        }
    }
    float centroids[CLUSTERS * DIMS];
    ds_kmeans_settings settings = {.clusters = CLUSTERS, .iterations = 10, .seed = 3};
    ds_status status = ds_kmeans_train(points, CLUSTERS * PER_CLUSTER, DIMS, &settings, centroids);
    assert_int_equal(status.code, DS_OK);

    ds_nearest_index *index = NULL;
    status = ds_nearest_index_create(centroids, CLUSTERS, DIMS, &index);
    assert_int_equal(status.code, DS_OK);
    uint32_t label_of_blob[CLUSTERS];
    bool used[CLUSTERS] = {false};
    for (size_t c = 0; c < CLUSTERS; c++) {
        /* The centroid of a blob is its mean: within the noise of the true centre. */
        float d2;
        label_of_blob[c] = ds_nearest_index_find(index, centres + c * DIMS, &d2);
        assert_true(d2 < 0.05f * 0.05f * DIMS);
        assert_false(used[label_of_blob[c]]);
        used[label_of_blob[c]] = true;
    }
    for (size_t j = 0; j < CLUSTERS * PER_CLUSTER; j++) {
        assert_int_equal(ds_nearest_index_find(index, points + j * DIMS, NULL),
                         label_of_blob[j % CLUSTERS]);
    }
    ds_nearest_index_free(index);
    free(points);
}

static void training_does_not_depend_on_the_thread_count(void **state) {
    (void)state;
    enum { COUNT = 40000, DIMS = 9, CLUSTERS = 300 };
    float centres[64 * DIMS];
    float *points = blobs(64, COUNT / 64, DIMS, 1.0f, 0.3f, 11, centres);
    size_t count = (size_t)(COUNT / 64) * 64;
    float *one = malloc(sizeof *one * CLUSTERS * DIMS);
    float *two = malloc(sizeof *two * CLUSTERS * DIMS);
    assert_non_null(one);
    assert_non_null(two);
    ds_kmeans_settings settings = {
        .clusters = CLUSTERS, .iterations = 6, .sample_limit = 30000, .seed = 5};
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    ds_status status = ds_kmeans_train(points, count, DIMS, &settings, one);
    assert_int_equal(status.code, DS_OK);
    omp_set_num_threads(2);
    status = ds_kmeans_train(points, count, DIMS, &settings, two);
    assert_int_equal(status.code, DS_OK);
    omp_set_num_threads(threads);
    assert_memory_equal(one, two, sizeof *one * CLUSTERS * DIMS);

    /* Another seed trains on another sample, so the result differs: the seed is used. */
    settings.seed = 6;
    status = ds_kmeans_train(points, count, DIMS, &settings, two);
    assert_int_equal(status.code, DS_OK);
    assert_true(memcmp(one, two, sizeof *one * CLUSTERS * DIMS) != 0);
    free(one);
    free(two);
    free(points);
}

/* Lloyd's iterations never increase the quantisation error; more of them must not be worse
 * than the initialisation alone. */
static double mean_error(const float *points, size_t count, int dims, const float *centroids,
                         size_t clusters) {
    double sum = 0.0;
    for (size_t j = 0; j < count; j++) {
        float d2;
        brute_force_nearest(centroids, clusters, dims, points + j * (size_t)dims, &d2);
        sum += d2;
    }
    return sum / (double)count;
}

static void iterations_lower_the_error(void **state) {
    (void)state;
    enum { COUNT = 6000, DIMS = 3, CLUSTERS = 64 };
    uint32_t random = 99;
    float *points = malloc(sizeof *points * COUNT * DIMS);
    assert_non_null(points);
    for (size_t j = 0; j < COUNT * DIMS; j++) {
        points[j] = uniform(&random);
    }
    float initial[CLUSTERS * DIMS], refined[CLUSTERS * DIMS];
    ds_kmeans_settings settings = {.clusters = CLUSTERS, .iterations = 0, .seed = 1};
    assert_int_equal(ds_kmeans_train(points, COUNT, DIMS, &settings, initial).code, DS_OK);
    settings.iterations = 20;
    assert_int_equal(ds_kmeans_train(points, COUNT, DIMS, &settings, refined).code, DS_OK);
    double before = mean_error(points, COUNT, DIMS, initial, CLUSTERS);
    double after = mean_error(points, COUNT, DIMS, refined, CLUSTERS);
    assert_true(after <= before);
    /* A uniform cube cut into 64 cells of side 0.5: each cell's error is 3 * 0.5^2 / 12. */
    assert_true(after < 1.3 * 3.0 * 0.25 / 12.0);
    free(points);
}

static void fewer_distinct_vectors_than_clusters(void **state) {
    (void)state;
    enum { DISTINCT = 5, COPIES = 40, DIMS = 4, CLUSTERS = 32 };
    float distinct[DISTINCT * DIMS];
    uint32_t random = 4;
    for (size_t j = 0; j < DISTINCT * DIMS; j++) {
        distinct[j] = uniform(&random);
    }
    float points[DISTINCT * COPIES * DIMS];
    for (size_t j = 0; j < DISTINCT * COPIES; j++) {
        memcpy(points + j * DIMS, distinct + (j % DISTINCT) * DIMS, sizeof(float) * DIMS);
    }
    float centroids[CLUSTERS * DIMS];
    ds_kmeans_settings settings = {.clusters = CLUSTERS, .iterations = 5, .seed = 2};
    assert_int_equal(ds_kmeans_train(points, DISTINCT * COPIES, DIMS, &settings, centroids).code,
                     DS_OK);
    ds_nearest_index *index = NULL;
    assert_int_equal(ds_nearest_index_create(centroids, CLUSTERS, DIMS, &index).code, DS_OK);
    for (size_t j = 0; j < DISTINCT; j++) {
        float d2;
        ds_nearest_index_find(index, distinct + j * DIMS, &d2);
        assert_true(d2 == 0.0f);
    }
    ds_nearest_index_free(index);

    /* A single vector and a single cluster. */
    settings.clusters = 1;
    assert_int_equal(ds_kmeans_train(distinct, 1, DIMS, &settings, centroids).code, DS_OK);
    assert_memory_equal(centroids, distinct, sizeof(float) * DIMS);
}

/* The index must give exactly the brute-force answer: same entry (lowest index on ties) and
 * the same float distance, from any guess. */
static void check_index_against_brute_force(const float *centroids, size_t clusters, int dims,
                                            const float *queries, size_t query_count) {
    ds_nearest_index *index = NULL;
    assert_int_equal(ds_nearest_index_create(centroids, clusters, dims, &index).code, DS_OK);
    uint32_t random = 17;
    for (size_t q = 0; q < query_count; q++) {
        const float *query = queries + q * (size_t)dims;
        float expected_distance;
        uint32_t expected =
            brute_force_nearest(centroids, clusters, dims, query, &expected_distance);
        float distance;
        assert_int_equal(ds_nearest_index_find(index, query, &distance), expected);
        assert_true(distance == expected_distance);
        uint32_t guess = next_random(&random) % (uint32_t)(clusters + 3); /* some out of range */
        assert_int_equal(ds_nearest_index_find_near(index, query, guess, &distance), expected);
        assert_true(distance == expected_distance);
        /* Bounded searches: below, at and above the nearest distance. */
        const float factors[3] = {0.5f, 1.0f, 2.0f};
        for (int f = 0; f < 3; f++) {
            float limit = expected_distance * factors[f];
            distance = -1.0f;
            uint32_t below = ds_nearest_index_find_below(index, query, limit, &distance);
            if (expected_distance < limit) {
                assert_int_equal(below, expected);
                assert_true(distance == expected_distance);
            } else {
                assert_int_equal(below, UINT32_MAX);
            }
        }
    }
    ds_nearest_index_free(index);
}

static void the_index_agrees_with_brute_force(void **state) {
    (void)state;
    enum { CLUSTERS = 2000, DIMS = 21, QUERIES = 3000 };
    /* Clustered centroids (like a trained codebook) and queries around and between them. */
    float *centres = malloc(sizeof *centres * 50 * DIMS);
    assert_non_null(centres);
    float *centroids = blobs(50, CLUSTERS / 50, DIMS, 1.0f, 0.2f, 21, centres);
    /* Exact duplicates: the index must still return the lowest index. */
    memcpy(centroids + 7 * DIMS, centroids + 1500 * DIMS, sizeof(float) * DIMS);
    memcpy(centroids + 900 * DIMS, centroids + 1500 * DIMS, sizeof(float) * DIMS);
    float *queries = blobs(50, QUERIES / 50, DIMS, 1.0f, 0.4f, 21, centres);
    /* Queries equal to centroids, including the duplicated one. */
    memcpy(queries, centroids + 1500 * DIMS, sizeof(float) * DIMS);
    memcpy(queries + DIMS, centroids + 3 * DIMS, sizeof(float) * DIMS);
    check_index_against_brute_force(centroids, CLUSTERS, DIMS, queries, QUERIES);

    /* Far-away queries and low dimensions on a lattice: many exact ties. */
    float lattice[64 * 2], grid_queries[200 * 2];
    for (size_t j = 0; j < 64; j++) {
        lattice[j * 2] = (float)(j % 8);
        lattice[j * 2 + 1] = (float)(j / 8);
    }
    for (size_t q = 0; q < 200; q++) {
        grid_queries[q * 2] = (float)(q % 20) * 0.5f - 1.0f;
        grid_queries[q * 2 + 1] = (float)(q / 20) * 0.5f + (q % 3 == 0 ? 100.0f : 0.0f);
    }
    check_index_against_brute_force(lattice, 64, 2, grid_queries, 200);
    /* One centroid. */
    check_index_against_brute_force(lattice, 1, 2, grid_queries, 200);
    free(centres);
    free(centroids);
    free(queries);
}

static void bad_arguments_are_rejected(void **state) {
    (void)state;
    float points[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    float centroids[8];
    ds_kmeans_settings settings = {.clusters = 2, .iterations = 2};
    assert_int_equal(ds_kmeans_train(points, 0, 2, &settings, centroids).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_kmeans_train(points, 4, 0, &settings, centroids).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_kmeans_train(points, 4, DS_KMEANS_MAX_DIMS + 1, &settings, centroids).code,
                     DS_ERR_ARGUMENT);
    settings.clusters = 0;
    assert_int_equal(ds_kmeans_train(points, 4, 2, &settings, centroids).code, DS_ERR_ARGUMENT);
    settings.clusters = 2;
    points[5] = NAN;
    assert_int_equal(ds_kmeans_train(points, 4, 2, &settings, centroids).code, DS_ERR_ARGUMENT);
    ds_nearest_index *index = (ds_nearest_index *)points; /* must be reset to NULL */
    assert_int_equal(ds_nearest_index_create(centroids, 0, 2, &index).code, DS_ERR_ARGUMENT);
    assert_null(index);
}

static void sampling_picks_distinct_sorted_rows(void **state) {
    (void)state;
    size_t rows[500];
    ds_kmeans_sample_rows(10000, 500, 3, rows);
    for (size_t j = 1; j < 500; j++) {
        assert_true(rows[j] > rows[j - 1]);
    }
    assert_true(rows[499] < 10000);
    /* Roughly uniform: the median row is near the middle. */
    assert_in_range(rows[250], 4000, 6000);
    ds_kmeans_sample_rows(500, 500, 3, rows);
    for (size_t j = 0; j < 500; j++) {
        assert_int_equal(rows[j], j);
    }
}

int run_kmeans_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_separated_clusters_are_recovered_exactly),
        cmocka_unit_test(training_does_not_depend_on_the_thread_count),
        cmocka_unit_test(iterations_lower_the_error),
        cmocka_unit_test(fewer_distinct_vectors_than_clusters),
        cmocka_unit_test(the_index_agrees_with_brute_force),
        cmocka_unit_test(bad_arguments_are_rejected),
        cmocka_unit_test(sampling_picks_distinct_sorted_rows),
    };
    return cmocka_run_group_tests_name("kmeans", tests, NULL, NULL);
}
