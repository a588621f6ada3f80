#include "formats_tests.h"
#include "test_support.h"

#include "formats/cloud_stats.h"

#include <math.h>

static void statistics_of_a_known_cloud(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(1000, 1, &cloud).code, DS_OK);
    for (size_t i = 0; i < 1000; i++) {
        cloud->positions[i * 3 + 0] = (float)i / 999.0f; /* 0..1 */
        cloud->positions[i * 3 + 1] = -(float)i;         /* -999..0 */
        cloud->positions[i * 3 + 2] = 2.0f;
        cloud->opacity_logits[i] = i % 2 ? 100.0f : -100.0f;
        cloud->sh[i * 12 + 11] = 1.0f; /* the last degree-1 blue coefficient */
    }
    cloud->positions[500 * 3 + 2] = 1e6f; /* a far floater */
    cloud->positions[10 * 3 + 0] = NAN;
    ds_cloud_stats stats;
    assert_int_equal(ds_cloud_stats_compute(cloud, &stats).code, DS_OK);
    assert_true(stats.position[0].non_finite == 1);
    assert_true(stats.position[0].min == 0.0 && stats.position[0].max == 1.0);
    assert_true(stats.position[1].min == -999.0 && stats.position[1].max == 0.0);
    assert_true(fabs(stats.position[1].mean + 499.5) < 1e-9);
    assert_true(stats.position[2].max == 1e6);
    /* The central 99% leaves the floater out. */
    assert_true(stats.core_max[2] == 2.0);
    assert_true(stats.core_min[1] <= -990.0 && stats.core_min[1] >= -999.0);
    assert_true(fabs(stats.opacity.mean - 0.5) < 1e-9);
    assert_true(stats.rotation_norm.min == 1.0 && stats.rotation_norm.max == 1.0);
    /* 9 rest values per Gaussian, one of them 1. */
    assert_true(fabs(stats.sh_rest.mean - 1.0 / 9.0) < 1e-9);
    assert_true(stats.sh_rest.max == 1.0 && stats.sh_rest.min == 0.0);
    ds_gaussian_cloud_free(cloud);
}

static void empty_cloud_has_zero_statistics(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_gaussian_cloud_create(0, 0, &cloud).code, DS_OK);
    ds_cloud_stats stats;
    assert_int_equal(ds_cloud_stats_compute(cloud, &stats).code, DS_OK);
    assert_true(stats.position[0].min == 0.0 && stats.position[0].mean == 0.0);
    assert_true(stats.core_max[2] == 0.0);
    ds_gaussian_cloud_free(cloud);
}

int run_cloud_stats_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(statistics_of_a_known_cloud),
        cmocka_unit_test(empty_cloud_has_zero_statistics),
    };
    return cmocka_run_group_tests_name("cloud_stats", tests, NULL, NULL);
}
