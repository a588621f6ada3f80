/* The small .dsv streams the GL tests play: a .ply sequence of a deformed biker subsample,
 * packed as `dualsplat pack` would (skinning decomposition, so with corrections); one of them
 * flashes in time with a click track that is its sound. */
#include "gl_tests.h"

#include "encoder/stream_encoder.h"
#include "formats/splat_file.h"
#include "test_support.h"
#include "tools/pack_sources.h"
#include "tools/sequence/av_sync.h"
#include "tools/sequence/deform_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SUBSAMPLE = 25 };
static char stream_folder[256];

/* A .ply sequence of the deformed biker subsample packed into folder/stream.dsv; with `every`
 * > 0 the figure flashes on every every-th frame and a click track goes in as its sound. */
static void pack_sequence(uint32_t frames, uint32_t segment_frames, uint32_t every, char *path,
                          size_t size) {
    snprintf(stream_folder, sizeof stream_folder, "/tmp/ds_test_gl_%d", (int)getpid());
    gl_test_stream_remove(); /* left over by a test that failed before removing it */
    assert_int_equal(mkdir(stream_folder, 0755), 0);
    ds_gaussian_cloud *biker = test_load_cloud("biker.spz");
    ds_gaussian_cloud *canonical = test_subsample(biker, SUBSAMPLE);
    ds_deform_settings deform;
    ds_deform_settings_default(&deform);
    ds_gaussian_cloud *frame;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &frame).code, DS_OK);
    for (uint32_t f = 0; f < frames; f++) {
        assert_int_equal(ds_deform_cloud(canonical, f / 10.0, &deform, frame).code, DS_OK);
        if (ds_av_sync_marked(f, every)) {
            ds_av_sync_flash(frame);
        }
        char ply[400];
        snprintf(ply, sizeof ply, "%s/point_cloud_%u.ply", stream_folder, f);
        assert_int_equal(ds_splat_file_save(ply, frame, NULL).code, DS_OK);
    }
    pack_source *source;
    assert_int_equal(pack_source_open(stream_folder, NULL, NULL, NULL, &source).code, DS_OK);
    ds_pack_settings settings;
    assert_int_equal(ds_pack_preset("default", &settings).code, DS_OK);
    settings.segment_frames = segment_frames;
    ds_audio_track sound = {0};
    ds_sequence *sequence = pack_source_sequence(source);
    if (every > 0) {
        char wav[400];
        snprintf(wav, sizeof wav, "%s/clicks.wav", stream_folder);
        assert_int_equal(ds_av_sync_write_click_wav(wav, frames, 30.0, every, 48000).code, DS_OK);
        ds_audio_settings audio = {.codec = DS_AUDIO_OPUS};
        assert_int_equal(ds_audio_track_encode_file(wav, &audio, &sound).code, DS_OK);
        sequence->audio = &sound;
    }
    snprintf(path, size, "%s/stream.dsv", stream_folder);
    ds_pack_report report;
    ds_status status = ds_pack_stream(sequence, &settings, path, NULL, NULL, &report);
    if (ds_failed(&status)) {
        fail_msg("pack: %s", status.message);
    }
    sequence->audio = NULL;
    ds_audio_track_free(&sound);
    pack_source_free(source);
    ds_gaussian_cloud_free(frame);
    ds_gaussian_cloud_free(canonical);
    ds_gaussian_cloud_free(biker);
}

void gl_test_stream_pack(char *path, size_t size) {
    pack_sequence(GL_TEST_STREAM_FRAMES, GL_TEST_SEGMENT_FRAMES, 0, path, size);
}

void gl_test_av_stream_pack(char *path, size_t size) {
    pack_sequence(GL_TEST_AV_FRAMES, GL_TEST_AV_SEGMENT_FRAMES, GL_TEST_AV_EVERY, path, size);
}

void gl_test_stream_remove(void) {
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", stream_folder);
    assert_int_equal(system(command), 0);
}
