/* The eyes' resolution scale against GPU time: down at once to what fits the budget, never below
 * the minimum, back up gently once frames are well under it, and untouched when fixed. */
#include "player_tests.h"

#include "player/xr_resolution.h"
#include "test_support.h"

static void heavy_frames_lower_the_scale_to_what_fits(void **state) {
    (void)state;
    ds_xr_resolution r;
    ds_xr_resolution_init(&r, 12.5, 0.0); /* 80 Hz: a 10 ms budget */
    test_assert_close(r.budget_ms, 10.0, 1e-12, "budget", 0);
    /* 20 ms at full scale: half the pixels fit, a scale of 1/sqrt(2), in 1/32 steps below. */
    assert_true(ds_xr_resolution_update(&r, 20.0));
    assert_true(r.scale <= 0.7072 && r.scale > 0.7072 - 1.0 / 32);
    assert_int_equal(ds_xr_resolution_size(&r, 2000), (int)(2000 * r.scale + 0.5));
    /* Far over budget: the minimum, no lower. */
    assert_true(ds_xr_resolution_update(&r, 500.0));
    test_assert_close(r.scale, 0.5, 1e-12, "minimum", 0);
    assert_false(ds_xr_resolution_update(&r, 500.0));
}

static void light_frames_raise_it_gently_back_to_full(void **state) {
    (void)state;
    ds_xr_resolution r;
    ds_xr_resolution_init(&r, 12.5, 0.0);
    ds_xr_resolution_update(&r, 40.0);
    double low = r.scale;
    /* Within the budget but not well under it: holds. */
    for (int i = 0; i < 100; i++) {
        assert_false(ds_xr_resolution_update(&r, 8.0));
    }
    test_assert_close(r.scale, low, 1e-12, "held", 0);
    /* Well under: a step per 30 calm frames, up to 1 and no further. */
    int changes = 0;
    for (int i = 0; i < 1000; i++) {
        changes += ds_xr_resolution_update(&r, 2.0);
    }
    test_assert_close(r.scale, 1.0, 1e-12, "recovered", 0);
    assert_int_equal(changes, (int)((1.0 - low) * 32 + 0.5));
}

static void a_fixed_scale_never_moves(void **state) {
    (void)state;
    ds_xr_resolution r;
    ds_xr_resolution_init(&r, 12.5, 0.75);
    assert_false(ds_xr_resolution_update(&r, 100.0));
    assert_false(ds_xr_resolution_update(&r, 0.1));
    test_assert_close(r.scale, 0.75, 1e-12, "fixed", 0);
}

int run_xr_resolution_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heavy_frames_lower_the_scale_to_what_fits),
        cmocka_unit_test(light_frames_raise_it_gently_back_to_full),
        cmocka_unit_test(a_fixed_scale_never_moves),
    };
    return cmocka_run_group_tests_name("xr_resolution", tests, NULL, NULL);
}
