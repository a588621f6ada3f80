/* The sound mixer and the clock it gives: samples come out as they were decoded, the playhead
 * waits where sound is missing and while held, wraps at the loop point or stops at the end,
 * keeps its pitch at 2x and is muted at 4x while still moving at the speed. */
#include "player_tests.h"
#include "test_support.h"

#include "player/audio_mixer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { RATE = 48000, FRAMES = 60, PER_FRAME = RATE / 30, SEGMENT = 15 * PER_FRAME };

static const double TONE_HZ = 440.0;

/* Segment s's sound: a tone whose left channel carries the sample's index, so where each
 * output sample came from can be read back (right channel). */
static void add_segment(ds_audio_mixer *m, int s) {
    ds_audio_pcm pcm;
    assert_int_equal(ds_audio_pcm_silence((int64_t)s * SEGMENT, SEGMENT, RATE, &pcm).code, DS_OK);
    for (uint32_t i = 0; i < pcm.length; i++) {
        int64_t at = pcm.start + i;
        pcm.samples[2 * i] = 0.5f * (float)sin(2 * 3.14159265358979 * TONE_HZ * (double)at / RATE);
        pcm.samples[2 * i + 1] = (float)at / (float)(FRAMES * PER_FRAME);
    }
    ds_audio_mixer_add(m, &pcm);
    assert_null(pcm.samples);
}

static ds_audio_mixer *make_mixer(void) {
    ds_audio_mixer *m;
    assert_int_equal(ds_audio_mixer_create(RATE, 30.0, FRAMES, &m).code, DS_OK);
    return m;
}

/* The timeline sample an output sample came from (its right channel). */
static int64_t source_of(const float *out, uint32_t i) {
    return llround(out[2 * i + 1] * (double)(FRAMES * PER_FRAME));
}

static void plays_what_was_decoded_and_waits_for_the_rest(void **state) {
    (void)state;
    ds_audio_mixer *m = make_mixer();
    float out[2 * 1024];
    /* Held at first: silence, the playhead stays. */
    add_segment(m, 0);
    ds_audio_mixer_render(m, out, 1024, 0.0);
    assert_true(out[0] == 0 && out[2047] == 0);
    assert_true(ds_audio_mixer_clock(m, 0.0, 0.0) == 0.0);
    ds_audio_mixer_hold(m, false);
    ds_audio_mixer_seek(m, 14.0); /* 1600 samples before segment 1 */
    ds_audio_mixer_render(m, out, 1024, 1.0);
    for (uint32_t i = 0; i < 1024; i++) {
        assert_int_equal(source_of(out, i), 14 * PER_FRAME + i);
    }
    /* Segment 1 is not there: the rest of the buffer is silent and the playhead waits at its
     * start. */
    ds_audio_mixer_render(m, out, 1024, 1.1);
    assert_int_equal(source_of(out, 575), 15 * PER_FRAME - 1);
    assert_true(out[2 * 576] == 0 && out[2 * 1023 + 1] == 0);
    assert_true(ds_audio_mixer_starved(m));
    assert_true(fabs(ds_audio_mixer_clock(m, 2.0, 0.0) - 15.0) < 1e-9);
    add_segment(m, 1);
    ds_audio_mixer_render(m, out, 1024, 2.0);
    assert_false(ds_audio_mixer_starved(m));
    assert_int_equal(source_of(out, 0), 15 * PER_FRAME);
    ds_audio_mixer_free(m);
}

static void the_clock_is_what_is_heard(void **state) {
    (void)state;
    ds_audio_mixer *m = make_mixer();
    add_segment(m, 0);
    ds_audio_mixer_hold(m, false);
    float out[2 * 1600];
    const double latency = 1600.0 / RATE; /* one frame's worth queued in the device */
    ds_audio_mixer_render(m, out, 1600, 10.0);
    ds_audio_mixer_render(m, out, 1600, 10.0 + latency);
    /* Right after the second render, frame 1 is being heard; half a buffer later, 1.5. */
    assert_true(fabs(ds_audio_mixer_clock(m, 10.0 + latency, latency) - 1.0) < 1e-9);
    assert_true(fabs(ds_audio_mixer_clock(m, 10.0 + 1.5 * latency, latency) - 1.5) < 1e-9);
    /* Never past what was rendered, and never back. */
    assert_true(fabs(ds_audio_mixer_clock(m, 20.0, latency) - 2.0) < 1e-9);
    assert_true(fabs(ds_audio_mixer_clock(m, 10.0 + latency, latency) - 2.0) < 1e-9);
    /* A seek moves it anywhere, also back. */
    ds_audio_mixer_seek(m, 0.5);
    assert_true(fabs(ds_audio_mixer_clock(m, 30.0, latency) - 0.5) < 1e-9);
    ds_audio_mixer_free(m);
}

static void wraps_when_looping_and_stops_at_the_end_otherwise(void **state) {
    (void)state;
    ds_audio_mixer *m = make_mixer();
    for (int s = 0; s < 4; s++) {
        add_segment(m, s);
    }
    ds_audio_mixer_hold(m, false);
    float out[2 * 1024];
    ds_audio_mixer_seek(m, 59.5); /* 800 samples before the end */
    ds_audio_mixer_render(m, out, 1024, 0.0);
    assert_int_equal(source_of(out, 799), FRAMES * PER_FRAME - 1);
    assert_int_equal(source_of(out, 800), 0);
    assert_int_equal(source_of(out, 1023), 223);
    assert_true(fabs(ds_audio_mixer_clock(m, 1.0, 0.0) - (FRAMES + 224.0 / PER_FRAME)) < 1e-9);

    ds_audio_mixer_set_loop(m, false);
    ds_audio_mixer_seek(m, 59.5);
    ds_audio_mixer_render(m, out, 1024, 2.0);
    assert_int_equal(source_of(out, 799), FRAMES * PER_FRAME - 1);
    assert_true(out[2 * 800] == 0 && out[2 * 800 + 1] == 0);
    assert_false(ds_audio_mixer_starved(m)); /* the end, not missing sound */
    assert_true(fabs(ds_audio_mixer_clock(m, 3.0, 0.0) - FRAMES) < 1e-9);
    ds_audio_mixer_free(m);
}

/* Zero crossings per second of the left channel: the tone's pitch, twice its frequency. */
static double crossings_per_second(const float *out, uint32_t count) {
    uint32_t crossings = 0;
    for (uint32_t i = 1; i < count; i++) {
        crossings += (out[2 * (i - 1)] < 0) != (out[2 * i] < 0);
    }
    return crossings * (double)RATE / count;
}

static void double_speed_keeps_the_pitch_and_fast_speeds_are_muted(void **state) {
    (void)state;
    ds_audio_mixer *m = make_mixer();
    for (int s = 0; s < 4; s++) {
        add_segment(m, s);
    }
    ds_audio_mixer_hold(m, false);
    ds_audio_mixer_set_speed(m, 2.0);
    enum { COUNT = 24000 };
    float *out = malloc(2 * COUNT * sizeof(float));
    ds_audio_mixer_render(m, out, 1024, 0.0); /* atempo's start-up */
    ds_audio_mixer_render(m, out, COUNT, 0.0);
    double rate = crossings_per_second(out, COUNT);
    if (fabs(rate - 2 * TONE_HZ) > 0.05 * 2 * TONE_HZ) {
        fail_msg("at 2x the tone crosses zero %.0f times a second, not %.0f", rate, 2 * TONE_HZ);
    }
    /* Half a second out, a second of the stream played. */
    double frames = ds_audio_mixer_clock(m, 1.0, 0.0);
    assert_true(fabs(frames - 2.0 * (COUNT + 1024) / PER_FRAME) < 0.5);

    ds_audio_mixer_set_speed(m, 4.0);
    ds_audio_mixer_render(m, out, 1200, 2.0);
    for (uint32_t i = 0; i < 2 * 1200; i++) {
        assert_true(out[i] == 0);
    }
    assert_true(fabs(ds_audio_mixer_clock(m, 3.0, 0.0) - (frames + 4.0 * 1200 / PER_FRAME)) < 0.5);
    free(out);
    ds_audio_mixer_free(m);
}

static void volume_and_mute(void **state) {
    (void)state;
    ds_audio_mixer *m = make_mixer();
    add_segment(m, 0);
    ds_audio_mixer_hold(m, false);
    float full[2 * 256], quiet[2 * 256];
    ds_audio_mixer_render(m, full, 256, 0.0);
    ds_audio_mixer_seek(m, 0.0);
    ds_audio_mixer_set_volume(m, 0.25f, false);
    ds_audio_mixer_render(m, quiet, 256, 0.0);
    for (int i = 0; i < 256; i++) {
        assert_true(fabsf(quiet[2 * i] - 0.25f * full[2 * i]) < 1e-6f);
    }
    ds_audio_mixer_set_volume(m, 0.25f, true);
    ds_audio_mixer_render(m, quiet, 256, 0.0);
    for (int i = 0; i < 2 * 256; i++) {
        assert_true(quiet[i] == 0);
    }
    /* Muted, the playhead still moves. */
    assert_true(fabs(ds_audio_mixer_clock(m, 1.0, 0.0) - 512.0 / PER_FRAME) < 1e-9);
    ds_audio_mixer_free(m);
}

int run_audio_mixer_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plays_what_was_decoded_and_waits_for_the_rest),
        cmocka_unit_test(the_clock_is_what_is_heard),
        cmocka_unit_test(wraps_when_looping_and_stops_at_the_end_otherwise),
        cmocka_unit_test(double_speed_keeps_the_pitch_and_fast_speeds_are_muted),
        cmocka_unit_test(volume_and_mute),
    };
    return cmocka_run_group_tests_name("audio_mixer", tests, NULL, NULL);
}
