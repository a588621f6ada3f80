#include "encoder_tests.h"
#include "test_support.h"

#include "encoder/adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* torch.optim.Adam's update for one float, in double: the expected values. */
typedef struct reference_adam {
    double m, v;
} reference_adam;

static void reference_step(reference_adam *state, double *value, double gradient, double lr,
                           int64_t step) {
    const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-15;
    state->m = beta1 * state->m + (1 - beta1) * gradient;
    state->v = beta2 * state->v + (1 - beta2) * gradient * gradient;
    double step_size = lr / (1 - pow(beta1, (double)step));
    double denominator = sqrt(state->v) / sqrt(1 - pow(beta2, (double)step)) + epsilon;
    *value -= step_size * state->m / denominator;
}

static ds_adam *adam_or_fail(void) {
    ds_adam *adam = NULL;
    assert_int_equal(ds_adam_create(NULL, &adam).code, DS_OK);
    return adam;
}

static size_t group_or_fail(ds_adam *adam, size_t entries, size_t width, double lr) {
    size_t group = 99;
    ds_status status = ds_adam_add_group(adam, entries, width, lr, &group);
    if (ds_failed(&status)) {
        fail_msg("adding a group failed: %s", status.message);
    }
    return group;
}

static void step_or_fail(ds_adam *adam, size_t group, float *values, const float *gradients,
                         size_t entries) {
    ds_status status = ds_adam_step(adam, group, values, gradients, entries);
    if (ds_failed(&status)) {
        fail_msg("the Adam step failed: %s", status.message);
    }
}

/* The first step of Adam moves every value by the learning rate against its gradient's sign
 * (the bias-corrected m / sqrt(v) is g / |g|). */
static void first_step_moves_by_the_learning_rate(void **state) {
    (void)state;
    ds_adam *adam = adam_or_fail();
    size_t group = group_or_fail(adam, 2, 2, 0.1);
    float values[4] = {1.0f, 1.0f, -3.0f, 0.5f};
    float gradients[4] = {2.0f, -0.001f, 1000.0f, 0.0f};
    step_or_fail(adam, group, values, gradients, 2);
    assert_true(fabs(values[0] - 0.9) < 1e-6);
    assert_true(fabs(values[1] - 1.1) < 1e-6);
    assert_true(fabs(values[2] - -3.1) < 1e-6);
    assert_true(values[3] == 0.5f); /* zero gradient, zero moments: no move */
    assert_int_equal(ds_adam_step_count(adam, group), 1);
    ds_adam_free(adam);
}

/* Minimises sum a_i (x_i - c_i)^2 / 2 for a few steps with a learning rate changed every step
 * and compares every value with the double-precision torch update. */
static void steps_on_a_quadratic_match_torch(void **state) {
    (void)state;
    enum { N = 6, STEPS = 25 };
    const double a[N] = {2.0, 0.5, 10.0, 1.0, 3.0, 0.01};
    const double c[N] = {0.0, 1.0, -0.5, 2.0, 0.25, 5.0};
    float values[N] = {1.0f, -1.0f, 0.3f, 2.0f, 0.25f, 0.0f};
    float gradients[N];
    double expected[N];
    reference_adam reference[N] = {{0}};
    for (int i = 0; i < N; i++) {
        expected[i] = values[i];
    }
    ds_adam *adam = adam_or_fail();
    size_t group = group_or_fail(adam, N, 1, 0.0);
    for (int t = 1; t <= STEPS; t++) {
        double lr = 0.05 * pow(0.9, t);
        assert_int_equal(ds_adam_set_learning_rate(adam, group, lr).code, DS_OK);
        assert_true(ds_adam_learning_rate(adam, group) == lr);
        for (int i = 0; i < N; i++) {
            gradients[i] = (float)(a[i] * (values[i] - c[i]));
            /* The reference follows its own trajectory, with the gradient of its own values. */
            reference_step(&reference[i], &expected[i], a[i] * (expected[i] - c[i]), lr, t);
        }
        step_or_fail(adam, group, values, gradients, N);
        for (int i = 0; i < N; i++) {
            if (!(fabs(values[i] - expected[i]) < 2e-6)) {
                fail_msg("step %d, value %d: %.9g, expected %.9g", t, i, values[i], expected[i]);
            }
        }
    }
    assert_int_equal(ds_adam_step_count(adam, group), STEPS);
    /* The moments are torch's too. */
    float *m = ds_adam_first_moments(adam, group);
    float *v = ds_adam_second_moments(adam, group);
    assert_non_null(m);
    assert_non_null(v);
    for (int i = 0; i < N; i++) {
        assert_true(fabs(m[i] - reference[i].m) < 1e-5 * (1 + fabs(reference[i].m)));
        assert_true(fabs(v[i] - reference[i].v) < 1e-5 * (1 + fabs(reference[i].v)));
    }
    ds_adam_free(adam);
}

/* Many floats take the threaded path; each must still follow the scalar update. */
static void large_groups_update_every_float(void **state) {
    (void)state;
    size_t entries = 50000, width = 3, n = entries * width;
    float *values = malloc(n * sizeof(float));
    float *gradients = malloc(n * sizeof(float));
    double *expected = malloc(n * sizeof(double));
    reference_adam *reference = calloc(n, sizeof *reference);
    assert_non_null(values);
    assert_non_null(gradients);
    assert_non_null(expected);
    assert_non_null(reference);
    for (size_t i = 0; i < n; i++) {
        values[i] = (float)(0.001 * (double)(i % 1000));
        expected[i] = values[i];
    }
    ds_adam *adam = adam_or_fail();
    size_t group = group_or_fail(adam, entries, width, 0.01);
    for (int t = 1; t <= 3; t++) {
        for (size_t i = 0; i < n; i++) {
            gradients[i] = (float)sin((double)i + t);
            reference_step(&reference[i], &expected[i], gradients[i], 0.01, t);
        }
        step_or_fail(adam, group, values, gradients, entries);
    }
    for (size_t i = 0; i < n; i++) {
        if (!(fabs(values[i] - expected[i]) < 1e-6)) {
            fail_msg("float %zu: %.9g, expected %.9g", i, values[i], expected[i]);
        }
    }
    ds_adam_free(adam);
    free(values);
    free(gradients);
    free(expected);
    free(reference);
}

/* Densification: new entries start from zero moments while the old ones keep theirs and the
 * group keeps its step count; masked keeps carry the survivors' moments in order; resets zero
 * the chosen entries only. */
static void append_keep_and_reset_carry_the_right_state(void **state) {
    (void)state;
    enum { ENTRIES = 4, WIDTH = 2 };
    ds_adam *adam = adam_or_fail();
    size_t other = group_or_fail(adam, 3, 1, 0.01);
    size_t group = group_or_fail(adam, ENTRIES, WIDTH, 0.05);
    assert_int_equal(ds_adam_group_count(adam), 2);
    float values[(ENTRIES + 2) * WIDTH];
    float gradients[(ENTRIES + 2) * WIDTH];
    for (int i = 0; i < ENTRIES * WIDTH; i++) {
        values[i] = 0.1f * (float)i;
    }
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < ENTRIES * WIDTH; i++) {
            gradients[i] = (float)(i + 1) * (t % 2 ? -0.5f : 1.0f);
        }
        step_or_fail(adam, group, values, gradients, ENTRIES);
    }
    assert_int_equal(ds_adam_step_count(adam, group), 3);
    assert_int_equal(ds_adam_step_count(adam, other), 0); /* groups step separately */
    float m_before[ENTRIES * WIDTH], v_before[ENTRIES * WIDTH];
    memcpy(m_before, ds_adam_first_moments(adam, group), sizeof m_before);
    memcpy(v_before, ds_adam_second_moments(adam, group), sizeof v_before);

    /* Append two entries. */
    assert_int_equal(ds_adam_append(adam, group, 2).code, DS_OK);
    assert_int_equal(ds_adam_entries(adam, group), ENTRIES + 2);
    assert_int_equal(ds_adam_step_count(adam, group), 3);
    float *m = ds_adam_first_moments(adam, group);
    float *v = ds_adam_second_moments(adam, group);
    assert_memory_equal(m, m_before, sizeof m_before);
    assert_memory_equal(v, v_before, sizeof v_before);
    for (int i = ENTRIES * WIDTH; i < (ENTRIES + 2) * WIDTH; i++) {
        assert_true(m[i] == 0.0f && v[i] == 0.0f);
    }
    /* The next step of a new entry is a fresh Adam step corrected for step 4. */
    for (int i = 0; i < (ENTRIES + 2) * WIDTH; i++) {
        gradients[i] = 0.25f;
    }
    values[ENTRIES * WIDTH] = 1.0f;
    step_or_fail(adam, group, values, gradients, ENTRIES + 2);
    reference_adam fresh = {0};
    double expected = 1.0;
    reference_step(&fresh, &expected, 0.25, 0.05, 4);
    assert_true(fabs(values[ENTRIES * WIDTH] - expected) < 1e-6);
    assert_true(fabs(expected - 1.0) > 1e-3); /* and it did move */

    /* Keep entries 0, 2, 3, 5. */
    float m_all[(ENTRIES + 2) * WIDTH], v_all[(ENTRIES + 2) * WIDTH];
    memcpy(m_all, ds_adam_first_moments(adam, group), sizeof m_all);
    memcpy(v_all, ds_adam_second_moments(adam, group), sizeof v_all);
    const bool keep[ENTRIES + 2] = {true, false, true, true, false, true};
    assert_int_equal(ds_adam_keep(adam, group, keep, ENTRIES + 2).code, DS_OK);
    assert_int_equal(ds_adam_entries(adam, group), 4);
    assert_int_equal(ds_adam_step_count(adam, group), 4);
    const int kept[4] = {0, 2, 3, 5};
    m = ds_adam_first_moments(adam, group);
    v = ds_adam_second_moments(adam, group);
    for (int e = 0; e < 4; e++) {
        assert_memory_equal(m + e * WIDTH, m_all + kept[e] * WIDTH, WIDTH * sizeof(float));
        assert_memory_equal(v + e * WIDTH, v_all + kept[e] * WIDTH, WIDTH * sizeof(float));
    }

    /* Reset entry 1 (the old entry 2) only. */
    const bool reset[4] = {false, true, false, false};
    assert_int_equal(ds_adam_reset(adam, group, reset, 4).code, DS_OK);
    for (int e = 0; e < 4; e++) {
        for (int k = 0; k < WIDTH; k++) {
            float mv = m[e * WIDTH + k], vv = v[e * WIDTH + k];
            if (e == 1) {
                assert_true(mv == 0.0f && vv == 0.0f);
            } else {
                assert_true(mv == m_all[kept[e] * WIDTH + k] && vv == v_all[kept[e] * WIDTH + k]);
            }
        }
    }
    /* Reset everything. */
    assert_int_equal(ds_adam_reset(adam, group, NULL, 4).code, DS_OK);
    for (int i = 0; i < 4 * WIDTH; i++) {
        assert_true(m[i] == 0.0f && v[i] == 0.0f);
    }
    assert_int_equal(ds_adam_step_count(adam, group), 4);

    /* Keeping nothing empties the group; appending refills it with zero state. */
    const bool none[4] = {false, false, false, false};
    assert_int_equal(ds_adam_keep(adam, group, none, 4).code, DS_OK);
    assert_int_equal(ds_adam_entries(adam, group), 0);
    assert_null(ds_adam_first_moments(adam, group));
    assert_int_equal(ds_adam_append(adam, group, 1000).code, DS_OK);
    m = ds_adam_first_moments(adam, group);
    for (int i = 0; i < 1000 * WIDTH; i++) {
        assert_true(m[i] == 0.0f);
    }
    ds_adam_free(adam);
}

/* Per-column rates: each column follows torch's update with its own learning rate, as if it
 * were a parameter group of its own; removing the scales restores the group's rate. */
static void column_scales_give_each_column_its_rate(void **state) {
    (void)state;
    enum { ENTRIES = 5, WIDTH = 3, N = ENTRIES * WIDTH };
    ds_adam *adam = adam_or_fail();
    size_t group = group_or_fail(adam, ENTRIES, WIDTH, 0.01);
    const float scales[WIDTH] = {1.0f, 0.05f, 0.5f};
    assert_int_equal(ds_adam_set_column_scales(adam, group, scales, WIDTH).code, DS_OK);
    float values[N], gradients[N];
    double expected[N];
    reference_adam reference[N] = {{0}};
    for (int i = 0; i < N; i++) {
        values[i] = (float)(0.1 * i);
        expected[i] = values[i];
    }
    for (int t = 1; t <= 5; t++) {
        for (int i = 0; i < N; i++) {
            gradients[i] = (float)cos(0.7 * i + t);
            double lr = t < 5 ? 0.01 * (double)scales[i % WIDTH] : 0.01;
            reference_step(&reference[i], &expected[i], gradients[i], lr, t);
        }
        if (t == 5) {
            assert_int_equal(ds_adam_set_column_scales(adam, group, NULL, 0).code, DS_OK);
        }
        step_or_fail(adam, group, values, gradients, ENTRIES);
        for (int i = 0; i < N; i++) {
            if (!(fabs(values[i] - expected[i]) < 1e-6)) {
                fail_msg("step %d, float %d: %.9g, expected %.9g", t, i, values[i], expected[i]);
            }
        }
    }
    const float wrong[2] = {1.0f, 1.0f};
    assert_int_equal(ds_adam_set_column_scales(adam, group, wrong, 2).code, DS_ERR_ARGUMENT);
    const float not_finite[WIDTH] = {1.0f, NAN, 1.0f};
    assert_int_equal(ds_adam_set_column_scales(adam, group, not_finite, WIDTH).code,
                     DS_ERR_ARGUMENT);
    ds_adam_free(adam);
}

static void misuse_is_refused(void **state) {
    (void)state;
    ds_adam *adam = NULL;
    ds_adam_options options = ds_adam_default_options();
    assert_true(options.beta1 == 0.9 && options.beta2 == 0.999 && options.epsilon == 1e-15);
    options.beta1 = 1.0;
    assert_int_equal(ds_adam_create(&options, &adam).code, DS_ERR_ARGUMENT);
    assert_null(adam);
    options = ds_adam_default_options();
    options.epsilon = -1.0;
    assert_int_equal(ds_adam_create(&options, &adam).code, DS_ERR_ARGUMENT);

    adam = adam_or_fail();
    size_t group = group_or_fail(adam, 3, 2, 0.1);
    float values[6] = {0}, gradients[6] = {1, 1, 1, 1, 1, 1};
    /* A cloud resized without its optimiser state. */
    ds_status status = ds_adam_step(adam, group, values, gradients, 4);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_step_count(adam, group), 0);
    assert_true(values[0] == 0.0f);
    assert_int_equal(ds_adam_step(adam, 7, values, gradients, 3).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_set_learning_rate(adam, 7, 0.1).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_set_learning_rate(adam, group, NAN).code, DS_ERR_ARGUMENT);
    bool mask[2] = {true, true};
    assert_int_equal(ds_adam_keep(adam, group, mask, 2).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_reset(adam, group, mask, 2).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_append(adam, 3, 1).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_add_group(adam, 3, 0, 0.1, NULL).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_adam_set_step_count(adam, group, -1).code, DS_ERR_ARGUMENT);
    /* Restoring a checkpoint's step count changes the bias correction of the next step. */
    assert_int_equal(ds_adam_set_step_count(adam, group, 1000000).code, DS_OK);
    step_or_fail(adam, group, values, gradients, 3);
    /* At a large step the corrections vanish: the move is lr * m / sqrt(v) = 0.1 * 0.1 /
     * sqrt(0.001). */
    assert_true(fabs(values[0] - -0.1 * 0.1 / sqrt(0.001)) < 1e-5);
    ds_adam_free(adam);
}

int run_adam_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_step_moves_by_the_learning_rate),
        cmocka_unit_test(steps_on_a_quadratic_match_torch),
        cmocka_unit_test(large_groups_update_every_float),
        cmocka_unit_test(append_keep_and_reset_carry_the_right_state),
        cmocka_unit_test(column_scales_give_each_column_its_rate),
        cmocka_unit_test(misuse_is_refused),
    };
    return cmocka_run_group_tests_name("adam", tests, NULL, NULL);
}
