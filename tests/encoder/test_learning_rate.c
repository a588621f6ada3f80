#include "encoder_tests.h"
#include "test_support.h"

#include "encoder/learning_rate.h"

#include <math.h>

static void close_relative(double actual, double expected, const char *what) {
    if (!(fabs(actual - expected) <= 1e-12 * fabs(expected))) {
        fail_msg("%s: %.17g, expected %.17g", what, actual, expected);
    }
}

/* Stage 2a's position rate of METHOD.md with E = 4.4: 1.6e-4 E down to 1.6e-6 E in 30,000. */
static void schedule_has_its_endpoints_and_geometric_midpoint(void **state) {
    (void)state;
    const double e = 4.4;
    ds_lr_schedule schedule = {.lr_init = 1.6e-4 * e, .lr_final = 1.6e-6 * e, .max_steps = 30000};
    close_relative(ds_lr_schedule_at(&schedule, 0), 1.6e-4 * e, "start");
    close_relative(ds_lr_schedule_at(&schedule, 30000), 1.6e-6 * e, "end");
    close_relative(ds_lr_schedule_at(&schedule, 15000), 1.6e-5 * e, "midpoint");
    close_relative(ds_lr_schedule_at(&schedule, 15000), sqrt(schedule.lr_init * schedule.lr_final),
                   "midpoint as geometric mean");
    /* A quarter of the way: three quarters of the way in log space from the end. */
    close_relative(ds_lr_schedule_at(&schedule, 7500),
                   pow(schedule.lr_init, 0.75) * pow(schedule.lr_final, 0.25), "quarter");
    /* Monotone decay. */
    double previous = INFINITY;
    for (int64_t t = 0; t <= 30000; t += 1000) {
        double lr = ds_lr_schedule_at(&schedule, t);
        assert_true(lr < previous);
        previous = lr;
    }
}

static void schedule_clamps_outside_its_range(void **state) {
    (void)state;
    ds_lr_schedule schedule = {.lr_init = 0.01, .lr_final = 0.0001, .max_steps = 1000};
    close_relative(ds_lr_schedule_at(&schedule, 1001), 0.0001, "just past the end");
    close_relative(ds_lr_schedule_at(&schedule, 1000000), 0.0001, "far past the end");
    /* As the reference: a negative step, or both rates zero, gives zero. */
    assert_true(ds_lr_schedule_at(&schedule, -1) == 0.0);
    ds_lr_schedule zero = {.lr_init = 0.0, .lr_final = 0.0, .max_steps = 1000};
    assert_true(ds_lr_schedule_at(&zero, 10) == 0.0);
    /* A schedule without steps has already ended. */
    ds_lr_schedule ended = {.lr_init = 0.01, .lr_final = 0.0001, .max_steps = 0};
    close_relative(ds_lr_schedule_at(&ended, 0), 0.0001, "no steps");
    /* Equal rates: constant. */
    ds_lr_schedule flat = {.lr_init = 0.0025, .lr_final = 0.0025, .max_steps = 100};
    close_relative(ds_lr_schedule_at(&flat, 37), 0.0025, "constant");
}

int run_learning_rate_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schedule_has_its_endpoints_and_geometric_midpoint),
        cmocka_unit_test(schedule_clamps_outside_its_range),
    };
    return cmocka_run_group_tests_name("learning_rate", tests, NULL, NULL);
}
