/* Two views drawn from one preprocess pass and one sort (a headset's eyes): each eye's image
 * against a single-view render from that eye; the fill-rate guards (splat budget, near-eye fade,
 * footprint radius cap) doing what they say and nothing when off; composing a view into an sRGB
 * texture (an XR swapchain image) keeps the blended gamma-space values, and its depth. */
#include "gl_tests.h"

#include "encoder/image_metrics.h"
#include "player/gl_context.h"
#include "render/gl_renderer.h"
#include "render/view.h"
#include "test_support.h"

#include <GL/glew.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { WIDTH = 240, HEIGHT = 200 };
static const float BACKGROUND[3] = {1, 1, 1};

typedef struct stereo_scene {
    ds_gaussian_cloud *cloud;
    ds_gl_renderer *renderer;
    ds_gl_frame_info info;
    ds_camera eyes[2];
} stereo_scene;

static int setup(void **state) {
    gl_test_context_setup();
    stereo_scene *s = calloc(1, sizeof *s);
    s->cloud = test_load_cloud("biker.spz");
    ds_gl_scene scene = ds_gl_scene_of_cloud(s->cloud);
    ds_status status = ds_gl_renderer_create(&scene, 1, &s->renderer);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    ds_gl_frame_fill_cloud(ds_gl_renderer_layout(s->renderer), s->cloud,
                           ds_gl_renderer_slot(s->renderer, 0), &s->info);
    const double front[3] = {0.3, 0.2, 1};
    ds_camera camera;
    assert_int_equal(
        ds_camera_frame_cloud(s->cloud, NULL, front, ds_default_up, 60, WIDTH, HEIGHT, &camera)
            .code,
        DS_OK);
    /* Eyes a tenth of the distance to the subject apart, along the camera's x axis: the two
     * images differ clearly, and a shared order is still right for both. */
    double center[3];
    ds_camera_center(&camera, center);
    double distance = 0;
    for (int k = 0; k < 3; k++) {
        distance += center[k] * center[k];
    }
    double separation = 0.1 * sqrt(distance);
    for (int e = 0; e < 2; e++) {
        s->eyes[e] = camera;
        s->eyes[e].translation[0] -= (e == 0 ? -0.5 : 0.5) * separation;
    }
    *state = s;
    return 0;
}

static int teardown(void **state) {
    stereo_scene *s = *state;
    ds_gl_renderer_free(s->renderer);
    ds_gaussian_cloud_free(s->cloud);
    free(s);
    gl_test_context_teardown();
    return 0;
}

static ds_image image_of_rgb(const uint8_t *rgb, int width, int height) {
    ds_image image;
    assert_int_equal(ds_image_create(width, height, &image).code, DS_OK);
    for (size_t i = 0; i < (size_t)width * (size_t)height * 3; i++) {
        image.pixels[i] = rgb[i] / 255.0f;
    }
    return image;
}

/* Draws the views and returns view `view`'s image. */
static ds_image draw(stereo_scene *s, const ds_camera *cameras, int count, int view,
                     const ds_gl_draw_options *options) {
    ds_status status = ds_gl_renderer_draw_views(s->renderer, 0, &s->info, cameras, count, options);
    if (ds_failed(&status)) {
        fail_msg("draw: %s", status.message);
    }
    uint8_t *rgb = malloc((size_t)cameras[view].width * (size_t)cameras[view].height * 3);
    assert_int_equal(ds_gl_renderer_read_view_rgb(s->renderer, view, rgb).code, DS_OK);
    ds_image image = image_of_rgb(rgb, cameras[view].width, cameras[view].height);
    free(rgb);
    return image;
}

static double psnr_of(const ds_image *a, const ds_image *b) {
    double psnr;
    assert_int_equal(ds_image_psnr(a, b, &psnr).code, DS_OK);
    return psnr;
}

static ds_gl_draw_options plain_options(void) {
    return (ds_gl_draw_options){.background = {BACKGROUND[0], BACKGROUND[1], BACKGROUND[2]}};
}

static void assert_no_gl_errors(void) {
    if (ds_gl_debug_error_count() != 0) {
        fail_msg("GL debug error: %s", ds_gl_debug_last_message());
    }
}

static void eyes_match_single_view_renders(void **state) {
    stereo_scene *s = *state;
    ds_gl_draw_options options = plain_options();
    ds_image stereo[2], single[2];
    for (int e = 0; e < 2; e++) {
        stereo[e] = draw(s, s->eyes, 2, e, &options);
    }
    uint32_t stereo_visible = ds_gl_renderer_visible_count(s->renderer);
    for (int e = 0; e < 2; e++) {
        single[e] = draw(s, &s->eyes[e], 1, 0, &options);
        double psnr = psnr_of(&stereo[e], &single[e]);
        print_message("eye %d: stereo vs single view %.2f dB\n", e, psnr);
        /* Not identical: both eyes share the order sorted from their midpoint, and SH is
         * evaluated once from there. */
        if (psnr < 38.0) {
            fail_msg("eye %d drawn with the other eye differs from its own render: %.2f dB", e,
                     psnr);
        }
    }
    /* The eyes see different images: a test drawing one view twice could not pass. */
    double between = psnr_of(&stereo[0], &stereo[1]);
    print_message("left vs right: %.2f dB, %u splats visible to either eye\n", between,
                  stereo_visible);
    assert_true(between < 30.0);
    for (int e = 0; e < 2; e++) {
        ds_image_free(&stereo[e]);
        ds_image_free(&single[e]);
    }
    assert_no_gl_errors();
}

static void splat_budget_draws_only_the_nearest(void **state) {
    stereo_scene *s = *state;
    ds_gl_draw_options options = plain_options();
    ds_image full = draw(s, s->eyes, 2, 0, &options);
    uint32_t visible = ds_gl_renderer_visible_count(s->renderer);
    assert_true(visible > 1000);
    assert_int_equal(ds_gl_renderer_drawn_count(s->renderer), visible);

    options.guards.splat_budget = visible / 4;
    ds_image budgeted = draw(s, s->eyes, 2, 0, &options);
    assert_int_equal(ds_gl_renderer_visible_count(s->renderer), visible);
    assert_int_equal(ds_gl_renderer_drawn_count(s->renderer), visible / 4);
    double psnr = psnr_of(&full, &budgeted);
    print_message("budget of a quarter: %.2f dB from the full image\n", psnr);
    assert_true(psnr < 40.0);

    /* A budget the frame fits in changes nothing. */
    options.guards.splat_budget = visible;
    ds_image fits = draw(s, s->eyes, 2, 0, &options);
    assert_true(psnr_of(&full, &fits) > 90.0);
    ds_image_free(&full);
    ds_image_free(&budgeted);
    ds_image_free(&fits);
    assert_no_gl_errors();
}

static void near_fade_culls_and_fades_close_splats(void **state) {
    stereo_scene *s = *state;
    ds_gl_draw_options options = plain_options();
    ds_image full = draw(s, s->eyes, 2, 0, &options);
    uint32_t visible = ds_gl_renderer_visible_count(s->renderer);
    double eye[3], centroid[3] = {0, 0, 0}, distance = 0;
    ds_camera_center(&s->eyes[0], eye);
    for (size_t i = 0; i < s->cloud->count; i++) {
        for (int k = 0; k < 3; k++) {
            centroid[k] += s->cloud->positions[i * 3 + (size_t)k] / (double)s->cloud->count;
        }
    }
    for (int k = 0; k < 3; k++) {
        distance += (eye[k] - centroid[k]) * (eye[k] - centroid[k]);
    }
    distance = sqrt(distance);

    /* Everything nearer than the subject's centre culled: about the near half is gone. */
    options.guards.fade_end = (float)distance;
    options.guards.fade_start = (float)distance * 1.05f;
    ds_image faded = draw(s, s->eyes, 2, 0, &options);
    uint32_t left = ds_gl_renderer_visible_count(s->renderer);
    print_message("fade at the subject's centre: %u of %u splats left\n", left, visible);
    assert_true(left > visible / 10 && left < visible * 9 / 10);
    assert_true(psnr_of(&full, &faded) < 35.0);

    /* Beyond every splat: nothing is left. */
    options.guards.fade_end = (float)distance * 100.0f;
    options.guards.fade_start = (float)distance * 101.0f;
    ds_image_free(&faded);
    faded = draw(s, s->eyes, 2, 0, &options);
    assert_int_equal(ds_gl_renderer_visible_count(s->renderer), 0);
    ds_image_free(&full);
    ds_image_free(&faded);
    assert_no_gl_errors();
}

static void radius_cap_shrinks_large_footprints(void **state) {
    stereo_scene *s = *state;
    ds_gl_draw_options options = plain_options();
    ds_image full = draw(s, s->eyes, 2, 0, &options);
    options.guards.max_radius = 1.5f;
    ds_image capped = draw(s, s->eyes, 2, 0, &options);
    double psnr = psnr_of(&full, &capped);
    print_message("footprints capped at 1.5 px: %.2f dB from the full image\n", psnr);
    assert_true(psnr < 35.0);
    options.guards.max_radius = 1e6f;
    ds_image uncapped = draw(s, s->eyes, 2, 0, &options);
    assert_true(psnr_of(&full, &uncapped) > 90.0);
    ds_image_free(&full);
    ds_image_free(&capped);
    ds_image_free(&uncapped);
    assert_no_gl_errors();
}

static void composed_srgb_texture_keeps_gamma_values_and_depth(void **state) {
    stereo_scene *s = *state;
    ds_gl_draw_options options = plain_options();
    options.depth = true;
    options.depth_near = 0.05f;
    options.depth_far = 100.0f;
    ds_status status = ds_gl_renderer_draw_views(s->renderer, 0, &s->info, s->eyes, 2, &options);
    assert_int_equal(status.code, DS_OK);
    size_t pixels = (size_t)WIDTH * HEIGHT;
    uint8_t *rgb = malloc(pixels * 3), *stored = malloc(pixels * 4);
    float *depth = malloc(pixels * sizeof *depth);
    assert_int_equal(ds_gl_renderer_read_view_rgb(s->renderer, 1, rgb).code, DS_OK);

    GLuint textures[2];
    glCreateTextures(GL_TEXTURE_2D, 2, textures);
    glTextureStorage2D(textures[0], 1, GL_SRGB8_ALPHA8, WIDTH, HEIGHT);
    glTextureStorage2D(textures[1], 1, GL_DEPTH_COMPONENT32F, WIDTH, HEIGHT);
    status =
        ds_gl_renderer_compose_view(s->renderer, 1, textures[0], textures[1], WIDTH, HEIGHT, true);
    assert_int_equal(status.code, DS_OK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glGetTextureImage(textures[0], 0, GL_RGBA, GL_UNSIGNED_BYTE, (GLsizei)(pixels * 4), stored);
    glGetTextureImage(textures[1], 0, GL_DEPTH_COMPONENT, GL_FLOAT,
                      (GLsizei)(pixels * sizeof *depth), depth);
    glDeleteTextures(2, textures);

    int largest_difference = 0, covered = 0, uncovered = 0, uncovered_background = 0;
    for (int y = 0; y < HEIGHT; y++) {
        for (int x = 0; x < WIDTH; x++) {
            /* The texture's rows run bottom to top, the read-back's top to bottom. */
            size_t texel = (size_t)(HEIGHT - 1 - y) * WIDTH + (size_t)x;
            size_t pixel = (size_t)y * WIDTH + (size_t)x;
            bool is_background = true;
            for (int c = 0; c < 3; c++) {
                int difference =
                    abs((int)stored[texel * 4 + (size_t)c] - rgb[pixel * 3 + (size_t)c]);
                largest_difference =
                    difference > largest_difference ? difference : largest_difference;
                is_background = is_background && rgb[pixel * 3 + (size_t)c] == 255;
            }
            covered += depth[texel] < 1.0f;
            uncovered += depth[texel] == 1.0f;
            uncovered_background += is_background && depth[texel] == 1.0f;
        }
    }
    print_message("sRGB composition: largest difference %d of 255; depth on %d pixels\n",
                  largest_difference, covered);
    assert_true(largest_difference <= 1);
    assert_true(covered > (int)pixels / 20);
    /* Where no splat was drawn, the depth stays at the far end and the colour is background. */
    assert_true(uncovered > 0);
    assert_int_equal(uncovered_background, uncovered);
    free(rgb);
    free(stored);
    free(depth);
    assert_no_gl_errors();
}

int run_gl_stereo_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eyes_match_single_view_renders),
        cmocka_unit_test(splat_budget_draws_only_the_nearest),
        cmocka_unit_test(near_fade_culls_and_fades_close_splats),
        cmocka_unit_test(radius_cap_shrinks_large_footprints),
        cmocka_unit_test(composed_srgb_texture_keeps_gamma_values_and_depth),
    };
    return cmocka_run_group_tests_name("gl_stereo", tests, setup, teardown);
}
