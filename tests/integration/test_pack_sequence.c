/* End to end: a .ply sequence (a subsample of biker.spz, smoothly deformed) packed into a .dsv
 * stream at the default preset through the same path as `dualsplat pack` (skinning
 * decomposition, corrections), decoded back, and rendered against the source frames: the
 * stream must stay small and look the same (PSNR), and random access must equal sequential
 * decoding. */
#include "test_support.h"

#include "encoder/image_metrics.h"
#include "formats/dsv_reader.h"
#include "formats/splat_file.h"
#include "render/rasterizer.h"
#include "render/stream_frame.h"
#include "render/view.h"
#include "tools/pack_sources.h"
#include "tools/sequence/deform_sequence.h"
#include "tools/stream_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FRAMES = 24, SUBSAMPLE = 20, VIEWS = 3, SEGMENT_FRAMES = 10 };

static char folder[256], stream[300];

/* Writes the frames, returns them (for rendering the truth). */
static ds_gaussian_cloud **write_sequence(void) {
    ds_gaussian_cloud *biker = test_load_cloud("biker.spz");
    ds_gaussian_cloud *canonical = test_subsample(biker, SUBSAMPLE);
    ds_gaussian_cloud_free(biker);
    ds_deform_settings settings;
    ds_deform_settings_default(&settings);
    ds_gaussian_cloud **frames = calloc(FRAMES, sizeof *frames);
    for (int f = 0; f < FRAMES; f++) {
        assert_int_equal(ds_gaussian_cloud_clone(canonical, &frames[f]).code, DS_OK);
        assert_int_equal(ds_deform_cloud(canonical, f / 30.0, &settings, frames[f]).code, DS_OK);
        char path[400];
        snprintf(path, sizeof path, "%s/point_cloud_%d.ply", folder, f);
        assert_int_equal(ds_splat_file_save(path, frames[f], NULL).code, DS_OK);
    }
    ds_gaussian_cloud_free(canonical);
    return frames;
}

static double mean_psnr(ds_rasterizer *rasterizer, const ds_gaussian_cloud *truth,
                        const ds_gaussian_cloud *decoded, const ds_camera *cameras) {
    ds_image a, b;
    assert_int_equal(ds_image_create(cameras[0].width, cameras[0].height, &a).code, DS_OK);
    assert_int_equal(ds_image_create(cameras[0].width, cameras[0].height, &b).code, DS_OK);
    ds_raster_settings settings = {{1, 1, 1}, -1, truth->antialiased};
    double sum = 0;
    for (int v = 0; v < VIEWS; v++) {
        double psnr;
        assert_int_equal(ds_rasterize(rasterizer, truth, &cameras[v], &settings, &a).code, DS_OK);
        assert_int_equal(ds_rasterize(rasterizer, decoded, &cameras[v], &settings, &b).code, DS_OK);
        assert_int_equal(ds_image_psnr(&a, &b, &psnr).code, DS_OK);
        sum += fmin(psnr, 99.0);
    }
    ds_image_free(&a);
    ds_image_free(&b);
    return sum / VIEWS;
}

static void ply_sequence_packs_small_and_decodes_faithfully(void **state) {
    (void)state;
    ds_gaussian_cloud **truth = write_sequence();
    pack_source *source;
    ds_status status = pack_source_open(folder, NULL, NULL, NULL, &source);
    if (ds_failed(&status)) {
        fail_msg("open: %s", status.message);
    }
    assert_int_equal(pack_source_kind_of(source), PACK_SOURCE_PLY_SEQUENCE);
    ds_pack_settings settings;
    assert_int_equal(ds_pack_preset("default", &settings).code, DS_OK);
    settings.segment_frames = SEGMENT_FRAMES;
    ds_pack_report report;
    status = ds_pack_stream(pack_source_sequence(source), &settings, stream, NULL, NULL, &report);
    if (ds_failed(&status)) {
        fail_msg("pack: %s", status.message);
    }
    size_t n = truth[0]->count;
    double bits = (double)report.file_bytes * 8.0 / ((double)n * FRAMES);
    printf("%zu Gaussians x %d frames: %.2f bits per Gaussian per frame (raw .ply: %.0f)\n", n,
           FRAMES, bits, stream_report_ply_bytes(n, truth[0]->sh_degree) * 8.0 / (double)n);
    /* A short sequence pays its init block over few frames: still far below raw .ply. */
    assert_true(bits < 40.0);

    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(stream, &dsv).code, DS_OK);
    ds_rasterizer *rasterizer;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    ds_camera cameras[VIEWS];
    for (int v = 0; v < VIEWS; v++) {
        double angle = 2.0 * 3.14159265 * v / VIEWS, direction[3] = {sin(angle), 0, cos(angle)};
        assert_int_equal(ds_camera_frame_cloud(truth[0], NULL, direction, ds_default_up, 40, 160,
                                               120, &cameras[v])
                             .code,
                         DS_OK);
    }
    ds_gaussian_cloud **decoded = calloc(FRAMES, sizeof *decoded);
    ds_dsv_frame frame;
    assert_int_equal(ds_dsv_frame_create(dsv, &frame).code, DS_OK);
    double worst = INFINITY;
    for (uint32_t s = 0; s < dsv->header.segment_count; s++) {
        ds_dsv_segment segment;
        assert_int_equal(ds_dsv_read_segment(dsv, s, &segment).code, DS_OK);
        for (uint32_t t = 0; t < segment.frames; t++) {
            uint32_t f = segment.first_frame + t;
            assert_int_equal(ds_dsv_frame_decode(dsv, &segment, t, &frame).code, DS_OK);
            assert_int_equal(ds_stream_cloud_create(dsv, &decoded[f]).code, DS_OK);
            assert_int_equal(ds_stream_frame_cloud(dsv, &segment, &frame, decoded[f]).code, DS_OK);
            if (f % 4 == 0 || f == FRAMES - 1) {
                worst = fmin(worst, mean_psnr(rasterizer, truth[f], decoded[f], cameras));
            }
        }
        ds_dsv_segment_free(&segment);
    }
    printf("worst render PSNR of the decoded stream: %.2f dB\n", worst);
    assert_true(worst >= 40.0);
    /* Seeking anywhere gives exactly the frame sequential decoding gave. */
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_stream_cloud_create(dsv, &cloud).code, DS_OK);
    const uint32_t seeks[] = {17, 3, 23, 10, 9, 0};
    for (size_t k = 0; k < sizeof seeks / sizeof seeks[0]; k++) {
        assert_int_equal(ds_stream_read_frame(dsv, seeks[k], cloud).code, DS_OK);
        test_assert_clouds_identical(cloud, decoded[seeks[k]]);
    }
    ds_gaussian_cloud_free(cloud);
    for (int f = 0; f < FRAMES; f++) {
        ds_gaussian_cloud_free(truth[f]);
        ds_gaussian_cloud_free(decoded[f]);
    }
    free(truth);
    free(decoded);
    ds_dsv_frame_free(&frame);
    ds_rasterizer_free(rasterizer);
    ds_dsv_close(dsv);
    pack_source_free(source);
}

int main(void) {
    snprintf(folder, sizeof folder, "/tmp/dualsplat_pack_sequence_%d", (int)getpid());
    snprintf(stream, sizeof stream, "%s.dsv", folder);
    mkdir(folder, 0755);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ply_sequence_packs_small_and_decodes_faithfully),
    };
    int failures = cmocka_run_group_tests_name("pack_sequence", tests, NULL, NULL);
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s' '%s'", folder, stream);
    if (system(command) != 0) {
        fprintf(stderr, "could not remove %s\n", folder);
    }
    return failures ? 1 : 0;
}
