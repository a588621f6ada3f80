/* The GPU radix sort against a stable CPU sort of the same keys: random keys, many equal keys
 * (stability shows in the values), counts that are not a multiple of the tile, an empty sort, and
 * a count below the capacity (keys past it must stay where they are). */
#include "gl_tests.h"

#include "player/gl_context.h"
#include "render/gl_sort.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

typedef struct pair {
    uint32_t key, value;
} pair;

static int by_key_then_value(const void *a, const void *b) {
    const pair *p = a, *q = b;
    if (p->key != q->key) {
        return p->key < q->key ? -1 : 1;
    }
    return p->value < q->value ? -1 : (p->value > q->value);
}

static uint32_t next_random(uint64_t *state) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 32);
}

/* Sorts `count` of `capacity` keys drawn with `key_mask` on the GPU and checks the result. */
static void check_sort(size_t capacity, size_t count, uint32_t key_mask, uint64_t seed) {
    ds_gl_sort sort;
    ds_status status = ds_gl_sort_create(capacity, &sort);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    uint32_t *keys = malloc(capacity * sizeof *keys), *values = malloc(capacity * sizeof *values);
    pair *expected = malloc(capacity * sizeof *expected);
    for (size_t i = 0; i < capacity; i++) {
        keys[i] = next_random(&seed) & key_mask;
        values[i] = (uint32_t)i;
        expected[i] = (pair){keys[i], values[i]};
    }
    /* Values are the input positions, so ordering equal keys by value is the stable order. */
    qsort(expected, count, sizeof *expected, by_key_then_value);
    glNamedBufferSubData(sort.keys[0], 0, (GLsizeiptr)(capacity * 4), keys);
    glNamedBufferSubData(sort.values[0], 0, (GLsizeiptr)(capacity * 4), values);
    GLuint command_buffer;
    const GLuint command[4] = {4, (GLuint)count, 0, 0};
    glCreateBuffers(1, &command_buffer);
    glNamedBufferStorage(command_buffer, sizeof command, command, 0);

    ds_gl_sort_run(&sort, command_buffer);
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    uint32_t *sorted_keys = malloc(capacity * 4), *sorted_values = malloc(capacity * 4);
    glGetNamedBufferSubData(sort.keys[0], 0, (GLsizeiptr)(capacity * 4), sorted_keys);
    glGetNamedBufferSubData(sort.values[0], 0, (GLsizeiptr)(capacity * 4), sorted_values);
    for (size_t i = 0; i < count; i++) {
        if (sorted_keys[i] != expected[i].key || sorted_values[i] != expected[i].value) {
            fail_msg("capacity %zu count %zu: entry %zu is (%u, %u), expected (%u, %u)", capacity,
                     count, i, sorted_keys[i], sorted_values[i], expected[i].key,
                     expected[i].value);
        }
    }
    for (size_t i = count; i < capacity; i++) {
        if (sorted_keys[i] != keys[i] || sorted_values[i] != values[i]) {
            fail_msg("entry %zu past the count %zu changed", i, count);
        }
    }
    assert_int_equal(ds_gl_debug_error_count(), 0);
    glDeleteBuffers(1, &command_buffer);
    ds_gl_sort_free(&sort);
    free(keys);
    free(values);
    free(expected);
    free(sorted_keys);
    free(sorted_values);
}

static void sorts_random_keys(void **state) {
    (void)state;
    check_sort(100000, 100000, 0xFFFFFFFFu, 1);
}

static void sorts_stably_with_many_equal_keys(void **state) {
    (void)state;
    check_sort(50000, 50000, 0x000F00F0u, 2);
}

static void sorts_counts_off_the_tile(void **state) {
    (void)state;
    const size_t counts[] = {1, 2, 127, 128, 129, 2047, 2048, 2049, 5000};
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        check_sort(counts[i], counts[i], 0xFFFFFFFFu, 10 + i);
    }
}

static void sorts_only_the_counted_prefix(void **state) {
    (void)state;
    check_sort(9000, 6001, 0xFFFFFFFFu, 3);
    check_sort(4096, 0, 0xFFFFFFFFu, 4);
}

static int setup(void **state) {
    (void)state;
    gl_test_context_setup();
    return 0;
}

int run_gl_sort_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sorts_random_keys),
        cmocka_unit_test(sorts_stably_with_many_equal_keys),
        cmocka_unit_test(sorts_counts_off_the_tile),
        cmocka_unit_test(sorts_only_the_counted_prefix),
    };
    return cmocka_run_group_tests_name("gl_sort", tests, setup, NULL);
}
