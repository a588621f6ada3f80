/* The small .dsv stream the GL tests render: a .ply sequence of a deformed biker subsample,
 * packed as `dualsplat pack` would (skinning decomposition, so with corrections). */
#include "gl_tests.h"

#include "encoder/stream_encoder.h"
#include "formats/splat_file.h"
#include "test_support.h"
#include "tools/pack_sources.h"
#include "tools/sequence/deform_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SUBSAMPLE = 25 };
static char stream_folder[256];

void gl_test_stream_pack(char *path, size_t size) {
    snprintf(stream_folder, sizeof stream_folder, "/tmp/ds_test_gl_%d", (int)getpid());
    gl_test_stream_remove(); /* left over by a test that failed before removing it */
    assert_int_equal(mkdir(stream_folder, 0755), 0);
    ds_gaussian_cloud *biker = test_load_cloud("biker.spz");
    ds_gaussian_cloud *canonical = test_subsample(biker, SUBSAMPLE);
    ds_deform_settings deform;
    ds_deform_settings_default(&deform);
    ds_gaussian_cloud *frame;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &frame).code, DS_OK);
    for (int f = 0; f < GL_TEST_STREAM_FRAMES; f++) {
        assert_int_equal(ds_deform_cloud(canonical, f / 10.0, &deform, frame).code, DS_OK);
        char ply[400];
        snprintf(ply, sizeof ply, "%s/point_cloud_%d.ply", stream_folder, f);
        assert_int_equal(ds_splat_file_save(ply, frame, NULL).code, DS_OK);
    }
    pack_source *source;
    assert_int_equal(pack_source_open(stream_folder, NULL, NULL, NULL, &source).code, DS_OK);
    ds_pack_settings settings;
    assert_int_equal(ds_pack_preset("default", &settings).code, DS_OK);
    settings.segment_frames = GL_TEST_SEGMENT_FRAMES;
    snprintf(path, size, "%s/stream.dsv", stream_folder);
    ds_pack_report report;
    ds_status status =
        ds_pack_stream(pack_source_sequence(source), &settings, path, NULL, NULL, &report);
    if (ds_failed(&status)) {
        fail_msg("pack: %s", status.message);
    }
    pack_source_free(source);
    ds_gaussian_cloud_free(frame);
    ds_gaussian_cloud_free(canonical);
    ds_gaussian_cloud_free(biker);
}

void gl_test_stream_remove(void) {
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", stream_folder);
    assert_int_equal(system(command), 0);
}
