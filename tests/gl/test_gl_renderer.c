/* The GL renderer's images against the CPU reference rasterizer's for the same cloud and camera:
 * static splats (biker.spz, fruit_drops_minimal.ply) from several views, and the frames of a
 * .dsv stream (skinned on the GPU, with corrections) against the CPU's skinned frames. Also:
 * seeking to a frame renders what playing up to it renders, and no GL debug errors. */
#include "gl_tests.h"

#include "encoder/image_metrics.h"
#include "player/gl_context.h"
#include "render/gl_renderer.h"
#include "render/rasterizer.h"
#include "render/stream_frame.h"
#include "render/view.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH = 320, HEIGHT = 240 };
static const double MIN_PSNR = 35.0;
/* GL drawing splats with the reference's own profile: measured 57-67 dB before the players'
 * profile existed. */
static const double MIN_EXACT_PSNR = 50.0;
static const float BACKGROUND[3] = {1, 1, 1};

static ds_camera view_of(const ds_gaussian_cloud *cloud, int view) {
    /* Front, side and above: projections with very different covariances and orders. */
    const double directions[3][3] = {{0, 0, 1}, {-1, 0, 0.3}, {0.2, 1, 0.6}};
    ds_camera camera;
    assert_int_equal(ds_camera_frame_cloud(cloud, NULL, directions[view], ds_default_up, 50, WIDTH,
                                           HEIGHT, &camera)
                         .code,
                     DS_OK);
    return camera;
}

static ds_image cpu_image(const ds_gaussian_cloud *cloud, const ds_camera *camera) {
    ds_rasterizer *rasterizer;
    ds_image image;
    assert_int_equal(ds_rasterizer_create(&rasterizer).code, DS_OK);
    assert_int_equal(ds_image_create(camera->width, camera->height, &image).code, DS_OK);
    ds_raster_settings settings = {
        {BACKGROUND[0], BACKGROUND[1], BACKGROUND[2]}, -1, cloud->antialiased};
    assert_int_equal(ds_rasterize(rasterizer, cloud, camera, &settings, &image).code, DS_OK);
    ds_rasterizer_free(rasterizer);
    return image;
}

/* The GL image as the players draw it, or with the reference rasterizer's own splat profile
 * (`reference`: then GL and CPU differ only by arithmetic). */
static ds_image gl_image_of(ds_gl_renderer *renderer, int slot, const ds_gl_frame_info *info,
                            const ds_camera *camera, bool reference) {
    ds_gl_draw_options options = {.background = {BACKGROUND[0], BACKGROUND[1], BACKGROUND[2]},
                                  .reference_falloff = reference};
    ds_status status = ds_gl_renderer_draw(renderer, slot, info, camera, &options);
    if (ds_failed(&status)) {
        fail_msg("draw: %s", status.message);
    }
    ds_image image;
    assert_int_equal(ds_gl_renderer_read_image(renderer, &image).code, DS_OK);
    return image;
}

static ds_image gl_image(ds_gl_renderer *renderer, int slot, const ds_gl_frame_info *info,
                         const ds_camera *camera) {
    return gl_image_of(renderer, slot, info, camera, false);
}

static double psnr_of(const ds_image *a, const ds_image *b) {
    double psnr;
    assert_int_equal(ds_image_psnr(a, b, &psnr).code, DS_OK);
    return psnr;
}

/* An image that is only background would make any comparison pass. */
static void assert_not_blank(const ds_image *image, const char *what) {
    ds_image blank;
    assert_int_equal(ds_image_create(image->width, image->height, &blank).code, DS_OK);
    for (size_t i = 0; i < (size_t)image->width * (size_t)image->height * 3; i++) {
        blank.pixels[i] = BACKGROUND[i % 3];
    }
    double psnr = psnr_of(image, &blank);
    ds_image_free(&blank);
    if (psnr > 25.0) {
        fail_msg("%s is nearly blank (%.1f dB from the background)", what, psnr);
    }
}

static void check_cloud_matches_reference(const char *name) {
    ds_gaussian_cloud *cloud = test_load_cloud(name);
    ds_gl_scene scene = ds_gl_scene_of_cloud(cloud);
    ds_gl_renderer *renderer;
    ds_status status = ds_gl_renderer_create(&scene, 1, &renderer);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    ds_gl_frame_info info;
    ds_gl_frame_fill_cloud(ds_gl_renderer_layout(renderer), cloud, ds_gl_renderer_slot(renderer, 0),
                           &info);
    for (int view = 0; view < 3; view++) {
        ds_camera camera = view_of(cloud, view);
        ds_image expected = cpu_image(cloud, &camera),
                 actual = gl_image(renderer, 0, &info, &camera);
        assert_not_blank(&expected, name);
        double psnr = psnr_of(&expected, &actual);
        print_message("%s view %d: GL vs CPU %.2f dB, %u of %zu splats drawn\n", name, view, psnr,
                      ds_gl_renderer_visible_count(renderer), cloud->count);
        if (psnr < MIN_PSNR) {
            fail_msg("%s view %d: %.2f dB < %.0f dB", name, view, psnr, MIN_PSNR);
        }
        ds_image_free(&expected);
        ds_image_free(&actual);
    }
    if (ds_gl_debug_error_count() != 0) {
        fail_msg("GL debug error: %s", ds_gl_debug_last_message());
    }
    ds_gl_renderer_free(renderer);
    ds_gaussian_cloud_free(cloud);
}

static void biker_matches_reference(void **state) {
    (void)state;
    check_cloud_matches_reference("biker.spz");
}

static void fruit_drops_match_reference(void **state) {
    (void)state;
    check_cloud_matches_reference("fruit_drops_minimal.ply");
}

/* ---- a stream ---- */

/* Decodes frame f of the open stream into the slot, through the segment (and frame state) given,
 * which the caller keeps between calls to play sequentially. */
static ds_gl_frame_info fill_stream_frame(ds_dsv *dsv, ds_gl_renderer *renderer, int slot,
                                          ds_dsv_segment *segment, bool *have_segment,
                                          ds_dsv_frame *frame, uint32_t f) {
    uint32_t s = ds_dsv_segment_of(dsv, f);
    if (!*have_segment || segment->index != s) {
        if (*have_segment) {
            ds_dsv_segment_free(segment);
        }
        assert_int_equal(ds_dsv_read_segment(dsv, s, segment).code, DS_OK);
        *have_segment = true;
    }
    assert_int_equal(ds_dsv_frame_decode(dsv, segment, f - segment->first_frame, frame).code,
                     DS_OK);
    ds_gl_frame_info info;
    ds_status status = ds_gl_frame_fill_stream(ds_gl_renderer_layout(renderer), segment, frame,
                                               ds_gl_renderer_slot(renderer, slot), &info);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    return info;
}

static void stream_frames_match_reference(void **state) {
    (void)state;
    char stream_path[300];
    gl_test_stream_pack(stream_path, sizeof stream_path);
    ds_dsv *dsv;
    assert_int_equal(ds_dsv_open_file(stream_path, &dsv).code, DS_OK);
    ds_gl_scene scene = ds_gl_scene_of_stream(dsv);
    ds_gl_renderer *renderer;
    assert_int_equal(ds_gl_renderer_create(&scene, 2, &renderer).code, DS_OK);
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_stream_cloud_create(dsv, &cloud).code, DS_OK);
    ds_dsv_segment segment;
    ds_dsv_frame frame;
    bool have_segment = false;
    assert_int_equal(ds_dsv_frame_create(dsv, &frame).code, DS_OK);
    uint32_t corrected_frames = 0;
    for (uint32_t f = 0; f < GL_TEST_STREAM_FRAMES; f++) {
        int slot = (int)(f % 2);
        ds_gl_renderer_slot_idle(renderer, slot, true);
        ds_gl_frame_info info =
            fill_stream_frame(dsv, renderer, slot, &segment, &have_segment, &frame, f);
        corrected_frames += info.correction_count > 0;
        assert_int_equal(ds_stream_read_frame(dsv, f, cloud).code, DS_OK);
        ds_camera camera = view_of(cloud, (int)(f % 3));
        ds_image expected = cpu_image(cloud, &camera);
        ds_image actual = gl_image(renderer, slot, &info, &camera);
        assert_not_blank(&expected, "stream frame");
        double psnr = psnr_of(&expected, &actual);
        /* With the reference's splat profile, GL and CPU differ only by arithmetic: skinning,
         * corrections, projection and blending are the same. */
        ds_image exact = gl_image_of(renderer, slot, &info, &camera, true);
        double psnr_exact = psnr_of(&expected, &exact);
        ds_image_free(&exact);
        if (psnr_exact < MIN_EXACT_PSNR) {
            fail_msg("stream frame %u: GL (reference profile) vs CPU %.2f dB < %.0f dB", f,
                     psnr_exact, MIN_EXACT_PSNR);
        }
        if (info.correction_count > 0) {
            /* The corrections must matter: without them the GPU strays from the reference. */
            ds_gl_frame_info uncorrected = info;
            uncorrected.correction_count = 0;
            ds_image without = gl_image_of(renderer, slot, &uncorrected, &camera, true);
            double psnr_without = psnr_of(&expected, &without);
            ds_image_free(&without);
            if (!(psnr_without < psnr_exact - 1.0)) {
                fail_msg("frame %u: corrections change nothing (%.2f vs %.2f dB)", f, psnr_exact,
                         psnr_without);
            }
        }
        if (psnr < MIN_PSNR) {
            fail_msg("stream frame %u: GL vs CPU %.2f dB < %.0f dB", f, psnr, MIN_PSNR);
        }
        if (f % 4 == 0) {
            print_message("stream frame %u (%u corrections): GL vs CPU %.2f dB (reference "
                          "profile %.2f dB)\n",
                          f, info.correction_count, psnr, psnr_exact);
        }
        ds_image_free(&expected);
        ds_image_free(&actual);
    }
    /* The GPU's corrections path must have been exercised. */
    assert_true(corrected_frames > 0);
    if (ds_gl_debug_error_count() != 0) {
        fail_msg("GL debug error: %s", ds_gl_debug_last_message());
    }
    ds_dsv_frame_free(&frame);
    ds_dsv_segment_free(&segment);
    ds_gaussian_cloud_free(cloud);
    ds_gl_renderer_free(renderer);
    ds_dsv_close(dsv);
    gl_test_stream_remove();
}

static int setup(void **state) {
    (void)state;
    gl_test_context_setup();
    return 0;
}

int run_gl_renderer_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(biker_matches_reference),
        cmocka_unit_test(fruit_drops_match_reference),
        cmocka_unit_test(stream_frames_match_reference),
    };
    return cmocka_run_group_tests_name("gl_renderer", tests, setup, NULL);
}
