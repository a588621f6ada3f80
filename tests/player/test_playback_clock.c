/* The playback clock: real-time advance at fps x speed, pause, seeking and stepping (clamped or
 * wrapped), loop and end behaviour, speed limits, and the jump flag that re-aims the decoder. */
#include "player_tests.h"
#include "test_support.h"

#include "player/playback_clock.h"

static ds_playback_clock started(uint32_t frames, bool loop) {
    ds_playback_clock clock;
    ds_playback_clock_init(&clock, 30.0, frames, loop);
    assert_true(ds_playback_clock_take_jump(&clock)); /* a new clock aims the decoder at 0 */
    assert_false(ds_playback_clock_take_jump(&clock));
    ds_playback_clock_advance(&clock, 100.0); /* the first advance only starts the clock */
    assert_int_equal(ds_playback_clock_position(&clock), 0);
    return clock;
}

static void advances_at_the_frame_rate_and_speed(void **state) {
    (void)state;
    ds_playback_clock clock = started(900, true);
    ds_playback_clock_advance(&clock, 101.0);
    assert_int_equal(ds_playback_clock_position(&clock), 30);
    ds_playback_clock_change_speed(&clock, 1);
    ds_playback_clock_advance(&clock, 101.5);
    assert_int_equal(ds_playback_clock_position(&clock), 60); /* 0.5 s at 2x */
    ds_playback_clock_change_speed(&clock, -1);
    ds_playback_clock_change_speed(&clock, -1);
    ds_playback_clock_advance(&clock, 102.5);
    assert_int_equal(ds_playback_clock_position(&clock), 75); /* 1 s at 0.5x */
    /* Time going backwards (a clock glitch) never moves playback back. */
    ds_playback_clock_advance(&clock, 102.0);
    assert_int_equal(ds_playback_clock_position(&clock), 75);
}

static void pause_holds_the_position(void **state) {
    (void)state;
    ds_playback_clock clock = started(900, true);
    ds_playback_clock_advance(&clock, 100.5);
    ds_playback_clock_toggle_pause(&clock);
    ds_playback_clock_advance(&clock, 110.0);
    assert_int_equal(ds_playback_clock_position(&clock), 15);
    ds_playback_clock_toggle_pause(&clock);
    ds_playback_clock_advance(&clock, 110.1);
    assert_int_equal(ds_playback_clock_position(&clock), 18);
}

static void loops_on_an_unwrapped_timeline(void **state) {
    (void)state;
    ds_playback_clock clock = started(40, true);
    ds_playback_clock_advance(&clock, 102.0); /* 60 frames */
    assert_int_equal(ds_playback_clock_position(&clock), 60);
    assert_int_equal(ds_playback_clock_frame(&clock), 20);
    assert_false(ds_playback_clock_at_end(&clock));
    assert_false(ds_playback_clock_take_jump(&clock)); /* looping is not a jump */
}

static void turning_the_loop_off_keeps_the_frame(void **state) {
    (void)state;
    ds_playback_clock clock = started(40, true);
    ds_playback_clock_advance(&clock, 102.0); /* 60 frames: frame 20 of the second run */
    ds_playback_clock_set_loop(&clock, false);
    assert_int_equal(ds_playback_clock_position(&clock), 20);
    assert_false(ds_playback_clock_at_end(&clock));
    assert_true(ds_playback_clock_take_jump(&clock)); /* the decoder's end changes */
    ds_playback_clock_advance(&clock, 102.5);
    assert_int_equal(ds_playback_clock_position(&clock), 35);
    ds_playback_clock_set_loop(&clock, true);
    assert_int_equal(ds_playback_clock_position(&clock), 35);
}

static void stops_at_the_last_frame_without_loop(void **state) {
    (void)state;
    ds_playback_clock clock = started(40, false);
    ds_playback_clock_advance(&clock, 105.0);
    assert_int_equal(ds_playback_clock_position(&clock), 39);
    assert_true(ds_playback_clock_at_end(&clock));
    /* Play at the end starts over. */
    ds_playback_clock_toggle_pause(&clock);
    ds_playback_clock_toggle_pause(&clock);
    assert_int_equal(ds_playback_clock_position(&clock), 0);
    assert_true(ds_playback_clock_take_jump(&clock));
}

static void seeks_clamp_or_wrap_and_flag_a_jump(void **state) {
    (void)state;
    ds_playback_clock clock = started(100, false);
    ds_playback_clock_seek(&clock, 250);
    assert_int_equal(ds_playback_clock_position(&clock), 99);
    assert_true(ds_playback_clock_take_jump(&clock));
    ds_playback_clock_seek_by(&clock, -130);
    assert_int_equal(ds_playback_clock_position(&clock), 0);

    clock.loop = true;
    ds_playback_clock_seek(&clock, 10);
    ds_playback_clock_seek_by(&clock, -30);
    assert_int_equal(ds_playback_clock_position(&clock), 80);
    ds_playback_clock_seek_by(&clock, 30);
    assert_int_equal(ds_playback_clock_position(&clock), 10);
}

static void steps_pause_and_move_one_frame(void **state) {
    (void)state;
    ds_playback_clock clock = started(100, true);
    ds_playback_clock_seek(&clock, 50);
    ds_playback_clock_step(&clock, 1);
    assert_true(clock.paused);
    assert_int_equal(ds_playback_clock_position(&clock), 51);
    ds_playback_clock_step(&clock, -1);
    ds_playback_clock_step(&clock, -1);
    assert_int_equal(ds_playback_clock_position(&clock), 49);
    ds_playback_clock_advance(&clock, 200.0);
    assert_int_equal(ds_playback_clock_position(&clock), 49);
}

static void speed_stays_within_an_eighth_and_eight(void **state) {
    (void)state;
    ds_playback_clock clock = started(100, true);
    for (int i = 0; i < 10; i++) {
        ds_playback_clock_change_speed(&clock, 1);
    }
    assert_true(clock.speed == 8.0);
    for (int i = 0; i < 20; i++) {
        ds_playback_clock_change_speed(&clock, -1);
    }
    assert_true(clock.speed == 0.125);
}

static void next_frame_shows_every_frame(void **state) {
    (void)state;
    ds_playback_clock clock = started(3, false);
    ds_playback_clock_next_frame(&clock);
    ds_playback_clock_next_frame(&clock);
    assert_int_equal(ds_playback_clock_position(&clock), 2);
    ds_playback_clock_next_frame(&clock);
    assert_int_equal(ds_playback_clock_position(&clock), 2);
    assert_true(ds_playback_clock_at_end(&clock));
}

int run_playback_clock_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(advances_at_the_frame_rate_and_speed),
        cmocka_unit_test(pause_holds_the_position),
        cmocka_unit_test(loops_on_an_unwrapped_timeline),
        cmocka_unit_test(turning_the_loop_off_keeps_the_frame),
        cmocka_unit_test(stops_at_the_last_frame_without_loop),
        cmocka_unit_test(seeks_clamp_or_wrap_and_flag_a_jump),
        cmocka_unit_test(steps_pause_and_move_one_frame),
        cmocka_unit_test(speed_stays_within_an_eighth_and_eight),
        cmocka_unit_test(next_frame_shows_every_frame),
    };
    return cmocka_run_group_tests_name("playback_clock", tests, NULL, NULL);
}
