/* The sound track of a .dsv stream: the audio layer's bitstream (round trip, damage), the
 * timeline's arithmetic, and coding a click track with each codec so that every click comes back
 * where its frame starts, segment by segment, with the seams between segments inaudible. */
#define _POSIX_C_SOURCE 200809L
#include "codec_tests.h"
#include "test_support.h"

#include "encoder/audio_track.h"
#include "formats/audio_decoder.h"
#include "tools/sequence/av_sync.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Clicks every 7 frames never fall on a segment's first frame, where a click could not be told
 * from the segment's start. */
enum { FRAMES = 90, EVERY = 7, SEGMENT_FRAMES = 30, RATE = 48000 };

static const char *wav_path(void) {
    static char path[256];
    snprintf(path, sizeof path, "/tmp/dualsplat_test_%d_clicks.wav", (int)getpid());
    return path;
}

static void frame_start_is_exact(void **state) {
    (void)state;
    assert_int_equal(ds_audio_frame_start(0, 48000, 30, 1), 0);
    assert_int_equal(ds_audio_frame_start(1, 48000, 30, 1), 1600);
    /* NTSC: frame 30000 at 30000/1001 fps starts at exactly 1001 s. */
    assert_int_equal(ds_audio_frame_start(30000, 48000, 30000, 1001), 48048000);
    assert_int_equal(ds_audio_frame_start(1, 44100, 30000, 1001), 1471); /* 1471.47 floored */
    assert_int_equal(ds_audio_frame_start((1u << 24) - 1, 192000, 1, 1),
                     (int64_t)((1u << 24) - 1) * 192000);
}

static void layer_round_trip_and_damage(void **state) {
    (void)state;
    uint8_t a[5] = {1, 2, 3, 4, 5}, b[3] = {9, 8, 7}, c[1] = {42}, setup[4] = {'O', 'p', 'u', 's'};
    ds_audio_packet packets[3] = {
        {-312, 960, 5, a, true}, {648, 960, 3, b, true}, {2000, 480, 1, c, true}};
    ds_audio_layer layer = {.codec = DS_AUDIO_OPUS,
                            .channels = 2,
                            .sample_rate = 48000,
                            .extradata_size = 4,
                            .extradata = setup,
                            .packet_count = 3,
                            .packets = packets};
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_audio_layer_encode(&layer, 1600, &bytes).code, DS_OK);
    ds_audio_layer decoded;
    assert_int_equal(ds_audio_layer_decode(bytes.data, bytes.size, 1600, &decoded).code, DS_OK);
    assert_int_equal(decoded.codec, DS_AUDIO_OPUS);
    assert_int_equal(decoded.channels, 2);
    assert_int_equal(decoded.sample_rate, 48000);
    assert_memory_equal(decoded.extradata, setup, 4);
    assert_int_equal(decoded.packet_count, 3);
    assert_int_equal(decoded.damaged_packets, 0);
    for (int p = 0; p < 3; p++) {
        assert_int_equal(decoded.packets[p].pts, packets[p].pts);
        assert_int_equal(decoded.packets[p].duration, packets[p].duration);
        assert_int_equal(decoded.packets[p].size, packets[p].size);
        assert_memory_equal(decoded.packets[p].data, packets[p].data, packets[p].size);
        assert_true(decoded.packets[p].intact);
    }
    ds_audio_layer_free(&decoded);

    /* A flipped byte in the second packet loses that packet only. */
    bytes.data[bytes.size - 2] ^= 0x40;
    assert_int_equal(ds_audio_layer_decode(bytes.data, bytes.size, 1600, &decoded).code, DS_OK);
    assert_int_equal(decoded.damaged_packets, 1);
    assert_true(decoded.packets[0].intact);
    assert_false(decoded.packets[1].intact);
    assert_true(decoded.packets[2].intact);
    ds_audio_layer_free(&decoded);
    bytes.data[bytes.size - 2] ^= 0x40;

    /* A flipped byte in the header or the packet table loses the layer, with a message. */
    for (size_t at = 0; at < 12 + 4 + 3 * 7; at++) {
        bytes.data[at] ^= 0x10;
        ds_status status = ds_audio_layer_decode(bytes.data, bytes.size, 1600, &decoded);
        assert_int_not_equal(status.code, DS_OK);
        assert_non_null(strstr(status.message, "audio layer"));
        bytes.data[at] ^= 0x10;
    }
    /* Every truncation fails cleanly. */
    for (size_t size = 0; size < bytes.size; size++) {
        assert_int_not_equal(ds_audio_layer_decode(bytes.data, size, 1600, &decoded).code, DS_OK);
    }
    ds_byte_buffer_free(&bytes);
}

/* Decodes segment `s`'s stretch of the track as a player would: its own layer, a fresh decoder. */
static void decode_segment(const ds_audio_track *track, uint32_t s, ds_audio_pcm *pcm) {
    int64_t start = ds_audio_frame_start(s * SEGMENT_FRAMES, RATE, 30, 1);
    int64_t end = ds_audio_frame_start((s + 1) * SEGMENT_FRAMES, RATE, 30, 1);
    ds_byte_buffer bytes = {0};
    assert_int_equal(ds_audio_track_segment_layer(track, start, end, &bytes).code, DS_OK);
    ds_audio_layer layer;
    assert_int_equal(ds_audio_layer_decode(bytes.data, bytes.size, start, &layer).code, DS_OK);
    uint32_t rejected = 0;
    ds_status status = ds_audio_decode_span(&layer, start, (uint32_t)(end - start), pcm, &rejected);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(rejected, 0);
    ds_audio_layer_free(&layer);
    ds_byte_buffer_free(&bytes);
}

/* The tone of the click track (ds_av_sync_write_click_wav) at timeline sample i. */
static double tone(int64_t i) {
    return 0.05 * sin(2 * 3.14159265358979323846 * 440.0 * (double)i / RATE);
}

/* Codes the click track with `codec` and checks each segment on its own: every click within
 * `tolerance` samples of its frame's start, and the tone right after each seam as clean as in
 * the middle of a segment (the preroll settled the decoder). */
static void check_codec(ds_audio_codec codec, double offset, int64_t tolerance) {
    ds_audio_settings settings = {.codec = codec, .offset_seconds = offset};
    ds_audio_track track;
    ds_status status = ds_audio_track_encode_file(wav_path(), &settings, &track);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(track.codec, codec);
    assert_int_equal(track.channels, 2);
    int64_t shift = llround(offset * RATE);
    assert_true(llabs(track.samples - ((int64_t)FRAMES * 1600 - shift)) < 1024);
    uint32_t clicks_found = 0;
    for (uint32_t s = 0; s < FRAMES / SEGMENT_FRAMES; s++) {
        ds_audio_pcm pcm;
        decode_segment(&track, s, &pcm);
        int64_t onsets[16];
        size_t count = ds_av_sync_find_clicks(pcm.samples, pcm.length, RATE, onsets, 16);
        /* The clicks this segment should hold: frames whose start, shifted by the offset, falls
         * in it. */
        size_t expected = 0;
        for (uint32_t f = 1; f < FRAMES; f++) {
            int64_t at = ds_audio_frame_start(f, RATE, 30, 1) - shift;
            if (!ds_av_sync_marked(f, EVERY) || at < pcm.start || at >= pcm.start + pcm.length) {
                continue;
            }
            assert_true(expected < count);
            int64_t found = pcm.start + onsets[expected];
            if (llabs(found - at) > tolerance) {
                fail_msg("%s: click of frame %u at sample %lld, expected %lld (+-%lld)",
                         ds_audio_codec_name(codec), f, (long long)found, (long long)at,
                         (long long)tolerance);
            }
            expected++;
        }
        assert_int_equal(count, expected);
        clicks_found += (uint32_t)count;
        if (s > 0 && shift == 0) {
            /* The 10 ms after the seam's click, against the source tone: lossy, but not
             * garbage. */
            double error = 0, signal = 0;
            for (int i = 480; i < 960; i++) {
                double want = tone(pcm.start + i);
                double got = pcm.samples[2 * i];
                error += (got - want) * (got - want);
                signal += want * want;
            }
            double snr = 10 * log10(signal / (error + 1e-12));
            if (snr < (codec == DS_AUDIO_FLAC ? 60 : 10)) {
                fail_msg("%s: the start of segment %u is %.1f dB from the source",
                         ds_audio_codec_name(codec), s, snr);
            }
        }
        ds_audio_pcm_free(&pcm);
    }
    assert_true(clicks_found >= FRAMES / EVERY - 2);
    ds_audio_track_free(&track);
}

static int write_clicks(void **state) {
    (void)state;
    return ds_av_sync_write_click_wav(wav_path(), FRAMES, 30.0, EVERY, RATE).code == DS_OK ? 0 : 1;
}

static int remove_clicks(void **state) {
    (void)state;
    unlink(wav_path());
    return 0;
}

static void opus_keeps_clicks_on_their_frames(void **state) {
    (void)state;
    check_codec(DS_AUDIO_OPUS, 0, 48);
}

static void aac_keeps_clicks_on_their_frames(void **state) {
    (void)state;
    /* AAC's 2048-sample transform smears a click's start ahead by up to a few milliseconds. */
    check_codec(DS_AUDIO_AAC, 0, 256);
}

static void flac_keeps_clicks_on_their_frames(void **state) {
    (void)state;
    check_codec(DS_AUDIO_FLAC, 0, 0);
}

static void offset_moves_the_sound(void **state) {
    (void)state;
    /* 0.25 s into the file is frame 0: every click comes 12000 samples earlier. */
    check_codec(DS_AUDIO_OPUS, 0.25, 48);
    /* Half a second of silence first: every click comes 24000 samples later. */
    check_codec(DS_AUDIO_FLAC, -0.5, 0);
}

static void unreadable_sound_files_are_named(void **state) {
    (void)state;
    ds_audio_settings settings = {0};
    ds_audio_track track;
    ds_status status = ds_audio_track_encode_file("/nonexistent/sound.wav", &settings, &track);
    assert_int_not_equal(status.code, DS_OK);
    assert_non_null(strstr(status.message, "/nonexistent/sound.wav"));
    /* A file with no sound in it. */
    status = ds_audio_track_encode_file(test_data_path("biker.spz"), &settings, &track);
    assert_int_not_equal(status.code, DS_OK);
    assert_non_null(strstr(status.message, "biker.spz"));
    /* An offset past the end leaves nothing. */
    settings.offset_seconds = 10;
    status = ds_audio_track_encode_file(wav_path(), &settings, &track);
    assert_int_not_equal(status.code, DS_OK);
    assert_non_null(strstr(status.message, "no sound"));
}

int run_audio_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_start_is_exact),
        cmocka_unit_test(layer_round_trip_and_damage),
        cmocka_unit_test(opus_keeps_clicks_on_their_frames),
        cmocka_unit_test(aac_keeps_clicks_on_their_frames),
        cmocka_unit_test(flac_keeps_clicks_on_their_frames),
        cmocka_unit_test(offset_moves_the_sound),
        cmocka_unit_test(unreadable_sound_files_are_named),
    };
    return cmocka_run_group_tests_name("audio", tests, write_clicks, remove_clicks);
}
