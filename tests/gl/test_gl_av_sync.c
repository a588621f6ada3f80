/* Sound and picture together: a stream whose figure flashes on every 7th frame and whose sound
 * clicks where those frames start (gl_test_av_stream_pack). After pack and decode the clicks and
 * the flashes coincide; played by the player with the sound leading, through 20 random seeks,
 * a pause and the loop point, each click is heard within one audio buffer of its flash coming on
 * screen. The sound device is simulated (a buffer every 1024 samples on a virtual clock) so the
 * test measures the player's logic, not the machine's load. */
#define _POSIX_C_SOURCE 200809L
#include "gl_tests.h"

#include "formats/audio_decoder.h"
#include "formats/dsv_reader.h"
#include "formats/file_io.h"
#include "player/monotonic_time.h"
#include "player/playback_session.h"
#include "test_support.h"
#include "tools/sequence/av_sync.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RATE = 48000, BUFFER = 1024, SAMPLES_PER_FRAME = RATE / 30, SEEKS = 20 };

static char stream[512];

static int setup(void **state) {
    (void)state;
    gl_test_context_setup();
    gl_test_av_stream_pack(stream, sizeof stream);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    gl_test_stream_remove();
    return 0;
}

static void packed_flashes_and_clicks_coincide(void **state) {
    (void)state;
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(stream, &dsv).code, DS_OK);
    assert_int_equal(dsv->header.audio_codec, DS_AUDIO_OPUS);
    ds_dsv_frame frame;
    assert_int_equal(ds_dsv_frame_create(dsv, &frame).code, DS_OK);
    uint32_t clicks = 0;
    for (uint32_t s = 0; s < dsv->header.segment_count; s++) {
        ds_dsv_segment segment;
        assert_int_equal(ds_dsv_read_segment(dsv, s, &segment).code, DS_OK);
        for (uint32_t t = 0; t < segment.frames; t++) {
            assert_int_equal(ds_dsv_frame_decode(dsv, &segment, t, &frame).code, DS_OK);
            uint32_t f = segment.first_frame + t;
            bool flash =
                ds_av_sync_is_flash(frame.sh, dsv->canonical.skin_count, dsv->canonical.sh_degree);
            if (flash != ds_av_sync_marked(f, GL_TEST_AV_EVERY)) {
                fail_msg("frame %u %s", f, flash ? "flashes but should not" : "does not flash");
            }
        }
        int64_t start;
        uint32_t length;
        ds_dsv_segment_sound_stretch(dsv, s, &start, &length);
        ds_audio_pcm pcm;
        assert_true(segment.has_audio);
        assert_int_equal(ds_audio_decode_span(&segment.audio, start, length, &pcm, NULL).code,
                         DS_OK);
        int64_t onsets[8];
        size_t found = ds_av_sync_find_clicks(pcm.samples, pcm.length, RATE, onsets, 8);
        for (size_t c = 0; c < found && c < 8; c++) {
            int64_t at = start + onsets[c];
            uint32_t f = (uint32_t)((at + BUFFER) / SAMPLES_PER_FRAME);
            /* Within one buffer of where a flash frame starts. */
            if (!ds_av_sync_marked(f, GL_TEST_AV_EVERY) ||
                llabs(at - (int64_t)f * SAMPLES_PER_FRAME) > BUFFER) {
                fail_msg("a click at sample %lld is not at a flash frame's start", (long long)at);
            }
            clicks++;
        }
        ds_audio_pcm_free(&pcm);
        ds_dsv_segment_free(&segment);
    }
    assert_int_equal(clicks, (GL_TEST_AV_FRAMES - 1) / GL_TEST_AV_EVERY);
    ds_dsv_frame_free(&frame);
    ds_dsv_close(dsv);
}

/* What the virtual run saw: the frame on show from each time on, and when clicks were heard. */
typedef struct shown {
    double time;
    uint32_t frame;
} shown;

typedef struct run {
    shown shows[8192];
    size_t show_count;
    double clicks[512];
    size_t click_count;
    double seeks[SEEKS + 1];
    size_t seek_count;
} run;

static uint32_t shown_at(const run *r, double time) {
    uint32_t frame = UINT32_MAX;
    for (size_t i = 0; i < r->show_count && r->shows[i].time <= time + 1e-9; i++) {
        frame = r->shows[i].frame;
    }
    return frame;
}

/* One turn of the player's loop at virtual time `now`, then, as a fast machine would, the frame
 * the clock asks for once the decoder has it (waiting in real time, not virtual). */
static void update(ds_playback_session *s, double now, run *r) {
    ds_player_report report = {0};
    double deadline = ds_monotonic_seconds() + 5.0;
    for (;;) {
        ds_playback_session_update(s, false, now, &report);
        ds_playback_session_retire_idle(s);
        if ((s->have_shown && s->shown_position == ds_playback_clock_position(&s->clock)) ||
            ds_monotonic_seconds() > deadline) {
            break;
        }
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    assert_true(s->have_shown);
    if (ds_monotonic_seconds() > deadline) {
        fail_msg("at %.4f s the clock's frame %.3f never came (%llu on show)", now,
                 s->clock.position, (unsigned long long)s->shown_position);
    }
    uint32_t frame = ds_playback_session_shown_frame(s);
    if (r->show_count == 0 || r->shows[r->show_count - 1].frame != frame) {
        assert_true(r->show_count < sizeof r->shows / sizeof *r->shows);
        r->shows[r->show_count++] = (shown){now, frame};
    }
}

/* The device asks for a buffer at `now`; it is heard from `now` on (the latency the session was
 * told: one buffer). Clicks in it are heard at their sample's time. */
static void device_buffer(ds_playback_session *s, double now, run *r) {
    float samples[2 * BUFFER];
    ds_audio_mixer_render(s->mixer, samples, BUFFER, now);
    int64_t onsets[4];
    size_t found = ds_av_sync_find_clicks(samples, BUFFER, RATE, onsets, 4);
    for (size_t c = 0; c < found && c < 4 && r->click_count < 512; c++) {
        r->clicks[r->click_count++] = now + (double)onsets[c] / RATE;
    }
}

static void sound_leads_the_picture_through_seeks(void **state) {
    (void)state;
    ds_playback_options options = {.loop = true};
    ds_playback_session s;
    assert_int_equal(ds_playback_session_open(stream, &options, &s).code, DS_OK);
    assert_non_null(s.mixer);
    const double buffer = (double)BUFFER / RATE;
    ds_playback_session_follow_sound(&s, buffer);
    run *r = calloc(1, sizeof *r);
    uint64_t random = 12345;
    double now = 0;
    for (int seek = 0; seek <= SEEKS; seek++) {
        if (seek > 0) {
            random = random * 6364136223846793005ull + 1442695040888963407ull;
            ds_playback_clock_seek(&s.clock, (int64_t)((random >> 33) % GL_TEST_AV_FRAMES));
            r->seeks[r->seek_count++] = now;
        }
        for (int step = 0; step < 20; step++) {
            if (seek == 10 && (step == 5 || step == 10)) {
                ds_playback_clock_toggle_pause(&s.clock); /* a pause of 5 buffers */
            }
            /* The display loop runs twice per audio buffer. */
            update(&s, now, r);
            device_buffer(&s, now, r);
            update(&s, now + buffer / 2, r);
            now += buffer;
        }
    }
    assert_true(r->click_count >= SEEKS);
    for (size_t c = 0; c < r->click_count; c++) {
        double heard = r->clicks[c];
        uint32_t after = shown_at(r, heard + buffer);
        bool seek_just_after = false;
        for (size_t k = 0; k < r->seek_count; k++) {
            seek_just_after |= r->seeks[k] > heard && r->seeks[k] - heard <= buffer;
        }
        if (!seek_just_after && !ds_av_sync_marked(after, GL_TEST_AV_EVERY)) {
            fail_msg("click %zu heard at %.4f s: frame %u on screen a buffer later, not a flash", c,
                     heard, after);
        }
        bool seek_just_before = false;
        for (size_t k = 0; k < r->seek_count; k++) {
            seek_just_before |= r->seeks[k] <= heard && heard - r->seeks[k] < 2 * buffer;
        }
        uint32_t before = shown_at(r, heard - buffer);
        if (!seek_just_before && before == after) {
            fail_msg("click %zu heard at %.4f s: its flash (frame %u) was on screen a buffer "
                     "earlier",
                     c, heard, after);
        }
    }
    free(r);
    ds_playback_session_close(&s);
}

/* A damaged sound packet: the player warns once, naming the segment, and plays every frame. */
static void a_damaged_sound_packet_is_skipped_with_a_warning(void **state) {
    (void)state;
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(stream, &dsv).code, DS_OK);
    ds_dsv_segment_entry entry = dsv->segments[1];
    ds_dsv_close(dsv);
    size_t size, offset, length;
    uint8_t *bytes = test_read_file(stream, &size);
    test_dsv_find_layer(bytes, &entry, DS_DSV_LAYER_AUDIO, &offset, &length);
    bytes[offset + length - 1] ^= 0x20; /* the last packet's last byte */
    char broken[600];
    snprintf(broken, sizeof broken, "%s.broken.dsv", stream);
    assert_int_equal(ds_file_write_atomic(broken, bytes, size).code, DS_OK);
    free(bytes);

    ds_playback_options options = {.loop = false};
    ds_playback_session s;
    assert_int_equal(ds_playback_session_open(broken, &options, &s).code, DS_OK);
    ds_player_report report = {0};
    double deadline = ds_monotonic_seconds() + 60;
    while (!ds_playback_clock_at_end(&s.clock) || s.shown_position + 1 < GL_TEST_AV_FRAMES) {
        if (ds_playback_session_update(&s, true, ds_monotonic_seconds(), &report)) {
            ds_playback_clock_next_frame(&s.clock);
        }
        ds_playback_session_retire_idle(&s);
        assert_true(ds_monotonic_seconds() < deadline);
    }
    assert_int_equal(report.frames_shown, GL_TEST_AV_FRAMES);
    char message[DS_STATUS_MESSAGE_SIZE + 128];
    assert_true(ds_frame_pipeline_take_error(s.pipeline, message, sizeof message));
    print_message("warned: %s\n", message);
    assert_non_null(strstr(message, "segment 1 (frames 15-29)"));
    assert_non_null(strstr(message, "1 damaged audio packet skipped"));
    ds_playback_session_close(&s);
    unlink(broken);
}

int run_gl_av_sync_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(packed_flashes_and_clicks_coincide),
        cmocka_unit_test(sound_leads_the_picture_through_seeks),
        cmocka_unit_test(a_damaged_sound_packet_is_skipped_with_a_warning),
    };
    return cmocka_run_group_tests_name("gl.av_sync", tests, setup, teardown);
}
