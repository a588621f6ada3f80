#define _POSIX_C_SOURCE 200809L
/* Playback through the decode pipeline on a real GL context: seeking to a frame renders exactly
 * what playing up to it renders (colour change lists replayed from the segment start), playing
 * in order shows every frame once, and a damaged segment is reported and skipped while playback
 * goes on. */
#include "gl_tests.h"

#include "player/frame_pipeline.h"
#include "player/gl_context.h"
#include "player/media.h"
#include "player/monotonic_time.h"
#include "player/playback_session.h"
#include "render/gl_renderer.h"
#include "render/view.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SLOTS = 4, WIDTH = 200, HEIGHT = 160 };

typedef struct player_under_test {
    ds_media *media;
    ds_gl_renderer *renderer;
    ds_frame_pipeline *pipeline;
    ds_camera camera;
} player_under_test;

static void open_player(const char *path, player_under_test *p) {
    ds_status status = ds_media_open(path, &p->media);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    ds_gl_scene scene = ds_media_scene(p->media);
    assert_int_equal(ds_gl_renderer_create(&scene, SLOTS, &p->renderer).code, DS_OK);
    float *slots[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        slots[i] = ds_gl_renderer_slot(p->renderer, i);
    }
    assert_int_equal(ds_frame_pipeline_create(p->media, ds_gl_renderer_layout(p->renderer), slots,
                                              SLOTS, &p->pipeline)
                         .code,
                     DS_OK);
    ds_gaussian_cloud *first;
    assert_int_equal(ds_media_frame_cloud(p->media, 0, &first).code, DS_OK);
    assert_int_equal(
        ds_camera_frame_cloud(first, NULL, NULL, ds_default_up, 50, WIDTH, HEIGHT, &p->camera).code,
        DS_OK);
    ds_gaussian_cloud_free(first);
}

static void close_player(player_under_test *p) {
    ds_frame_pipeline_free(p->pipeline);
    ds_gl_renderer_free(p->renderer);
    ds_media_free(p->media);
}

/* Takes position t (waiting for it), renders it and hands the slot back; returns the image as
 * 8-bit RGB, or NULL when t never comes (damage). */
static uint8_t *show(player_under_test *p, uint64_t t) {
    int slot;
    uint64_t shown;
    ds_gl_frame_info info;
    if (!ds_frame_pipeline_take(p->pipeline, t, true, &slot, &shown, &info)) {
        return NULL;
    }
    assert_int_equal(shown, t);
    ds_gl_draw_options options = {.background = {0, 0, 0}};
    assert_int_equal(ds_gl_renderer_draw(p->renderer, slot, &info, &p->camera, &options).code,
                     DS_OK);
    uint8_t *rgb = malloc(WIDTH * HEIGHT * 3);
    assert_int_equal(ds_gl_renderer_read_rgb(p->renderer, rgb).code, DS_OK);
    ds_gl_renderer_slot_idle(p->renderer, slot, true);
    ds_frame_pipeline_release(p->pipeline, slot);
    return rgb;
}

static void seeking_renders_what_playing_renders(void **state) {
    (void)state;
    char path[300];
    gl_test_stream_pack(path, sizeof path);
    player_under_test played, sought;
    open_player(path, &played);
    open_player(path, &sought);
    uint8_t *frames[GL_TEST_STREAM_FRAMES];
    ds_frame_pipeline_seek(played.pipeline, 0, false);
    for (uint64_t t = 0; t < GL_TEST_STREAM_FRAMES; t++) {
        frames[t] = show(&played, t);
        assert_non_null(frames[t]);
    }
    ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(played.pipeline);
    assert_int_equal(stats.dropped, 0);
    assert_int_equal(stats.decoded, GL_TEST_STREAM_FRAMES);
    /* Consecutive frames differ (the stream moves), so equality below means something. */
    assert_true(memcmp(frames[2], frames[3], WIDTH * HEIGHT * 3) != 0);

    /* Frames inside segments (colour state replayed), at their starts, backwards, repeated. */
    const uint64_t targets[] = {8, 3, 11, 5, 0, 9, 9, 4};
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        ds_frame_pipeline_seek(sought.pipeline, targets[i], false);
        uint8_t *image = show(&sought, targets[i]);
        assert_non_null(image);
        if (memcmp(image, frames[targets[i]], WIDTH * HEIGHT * 3) != 0) {
            fail_msg("frame %llu after a seek differs from the same frame played",
                     (unsigned long long)targets[i]);
        }
        free(image);
    }
    if (ds_gl_debug_error_count() != 0) {
        fail_msg("GL debug error: %s", ds_gl_debug_last_message());
    }
    for (int t = 0; t < GL_TEST_STREAM_FRAMES; t++) {
        free(frames[t]);
    }
    close_player(&played);
    close_player(&sought);
    gl_test_stream_remove();
}

/* Flips a byte in the middle of segment s's bytes, keeping the file's length. */
static void damage_segment(const char *path, uint32_t s) {
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(path, &dsv).code, DS_OK);
    uint64_t offset = dsv->segments[s].offset + dsv->segments[s].size / 2;
    ds_dsv_close(dsv);
    FILE *file = fopen(path, "r+b");
    assert_non_null(file);
    assert_int_equal(fseek(file, (long)offset, SEEK_SET), 0);
    int byte = fgetc(file);
    assert_int_equal(fseek(file, (long)offset, SEEK_SET), 0);
    fputc(byte ^ 0x5A, file);
    fclose(file);
}

static void a_damaged_segment_is_skipped_and_named(void **state) {
    (void)state;
    char path[300];
    gl_test_stream_pack(path, sizeof path);
    damage_segment(path, 1); /* frames 5-9 */
    player_under_test p;
    open_player(path, &p);
    ds_frame_pipeline_seek(p.pipeline, 0, false);
    for (uint64_t t = 0; t < GL_TEST_STREAM_FRAMES; t++) {
        uint8_t *image = show(&p, t);
        bool damaged = t >= GL_TEST_SEGMENT_FRAMES && t < 2 * GL_TEST_SEGMENT_FRAMES;
        if (damaged != (image == NULL)) {
            fail_msg("frame %llu: %s", (unsigned long long)t,
                     damaged ? "shown from a damaged segment" : "lost though intact");
        }
        free(image);
    }
    char message[512];
    assert_true(ds_frame_pipeline_take_error(p.pipeline, message, sizeof message));
    print_message("reported: %s\n", message);
    assert_non_null(strstr(message, "frames 5-9"));
    assert_false(ds_frame_pipeline_take_error(p.pipeline, message, sizeof message));
    close_player(&p);
    gl_test_stream_remove();
}

/* Real-time playback (not every frame) through the playback session: a seek into a segment not
 * yet decoded waits for it, holding the clock at the seek's target, and never goes back to the
 * frame after the one on show from before the seek. */
static void a_seek_is_kept_while_its_segment_decodes(void **state) {
    (void)state;
    char path[256];
    gl_test_stream_pack(path, sizeof path);
    ds_playback_session session;
    ds_playback_options options = {.loop = true};
    assert_int_equal(ds_playback_session_open(path, &options, &session).code, DS_OK);
    ds_player_report report = {0};
    ds_playback_clock *clock = &session.clock;
    clock->paused = true;
    /* Back and forth between the first and last segments, each seek landing in a segment the
     * pipeline has not decoded just before. */
    const uint32_t targets[] = {11, 1, 10, 2, 11, 0};
    ds_playback_clock_seek(clock, 6);
    for (size_t i = 0; i <= sizeof targets / sizeof *targets; i++) {
        uint32_t target = i ? targets[i - 1] : 6;
        if (i) {
            ds_playback_clock_seek(clock, target);
        }
        double start = ds_monotonic_seconds();
        while (ds_playback_session_shown_frame(&session) != target || !session.have_shown) {
            ds_playback_session_update(&session, false, ds_monotonic_seconds(), &report);
            ds_playback_session_retire_idle(&session);
            assert_int_equal(ds_playback_clock_frame(clock), target);
            assert_true(ds_monotonic_seconds() - start < 30.0);
        }
    }
    ds_playback_session_close(&session);
    gl_test_stream_remove();
}

/* A clock that runs ahead of the decoder (a machine too slow for the stream) is followed by
 * skipping: once the playhead is at frame 9, the decoder goes there instead of decoding frames 4
 * to 8 first, which would only be dropped. */
static void a_late_decoder_skips_to_the_clock(void **state) {
    (void)state;
    char path[256];
    gl_test_stream_pack(path, sizeof path);
    ds_playback_session session;
    ds_playback_options options = {.loop = false};
    assert_int_equal(ds_playback_session_open(path, &options, &session).code, DS_OK);
    ds_player_report report = {0};
    ds_playback_clock *clock = &session.clock;
    clock->paused = true;
    double start = ds_monotonic_seconds();
    while (!session.have_shown) {
        ds_playback_session_update(&session, false, ds_monotonic_seconds(), &report);
        assert_true(ds_monotonic_seconds() - start < 30.0);
    }
    /* Let the ring fill (frames 1-3 decode ahead into the free slots) and segment 1 (frames
     * 5-9) decode: the decoder is late, not waiting for data. */
    start = ds_monotonic_seconds();
    while (ds_frame_pipeline_stats_get(session.pipeline).decoded < 4 ||
           ds_frame_pipeline_stats_get(session.pipeline).segments < 2) {
        assert_true(ds_monotonic_seconds() - start < 30.0);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    clock->position = 9.0; /* the wall clock moved on past what was decoded */
    start = ds_monotonic_seconds();
    while (ds_playback_session_shown_frame(&session) != 9) {
        ds_playback_session_update(&session, false, ds_monotonic_seconds(), &report);
        ds_playback_session_retire_idle(&session);
        assert_true(ds_monotonic_seconds() - start < 30.0);
    }
    ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(session.pipeline);
    print_message("decoded %llu frames, dropped %llu, to show frame 9\n",
                  (unsigned long long)stats.decoded, (unsigned long long)stats.dropped);
    /* Frames 0-3 and 9 (and whatever the ring decodes past 9 meanwhile); never 4-8. */
    assert_true(stats.dropped >= 5);
    assert_true(stats.decoded <= 4 + 1 + 3);
    ds_playback_session_close(&session);
    gl_test_stream_remove();
}

static int setup(void **state) {
    (void)state;
    gl_test_context_setup();
    return 0;
}

int run_gl_playback_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seeking_renders_what_playing_renders),
        cmocka_unit_test(a_damaged_segment_is_skipped_and_named),
        cmocka_unit_test(a_seek_is_kept_while_its_segment_decodes),
        cmocka_unit_test(a_late_decoder_skips_to_the_clock),
    };
    return cmocka_run_group_tests_name("gl_playback", tests, setup, NULL);
}
