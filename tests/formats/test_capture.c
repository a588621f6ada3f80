#define _XOPEN_SOURCE 700
#include "formats_tests.h"
#include "test_support.h"

#include "formats/capture.h"
#include "formats/capture_internal.h"
#include "formats/file_io.h"
#include "formats/png.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- writing synthetic captures ---- */

static char *make_temporary_directory(void) {
    char *directory = strdup("/tmp/dualsplat-capture-XXXXXX");
    assert_non_null(directory);
    assert_non_null(mkdtemp(directory));
    return directory;
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *ftw) {
    (void)info;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void remove_directory(char *directory) {
    assert_int_equal(nftw(directory, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(directory);
}

/* Static storage, valid until the next call. */
static const char *join(const char *directory, const char *name) {
    static char path[4096];
    int length = snprintf(path, sizeof path, "%s/%s", directory, name);
    assert_true(length > 0 && (size_t)length < sizeof path);
    return path;
}

static void make_folder(const char *directory, const char *name) {
    assert_int_equal(mkdir(join(directory, name), 0755), 0);
}

static void write_file(const char *directory, const char *name, const void *data, size_t size) {
    ds_status status = ds_file_write_atomic(join(directory, name), data, size);
    if (ds_failed(&status)) {
        fail_msg("cannot write %s: %s", name, status.message);
    }
}

static void write_text(const char *directory, const char *name, const char *text) {
    write_file(directory, name, text, strlen(text));
}

typedef void (*pixel_function)(int x, int y, float rgb[3], const void *context);

static void constant_pixel(int x, int y, float rgb[3], const void *context) {
    (void)x;
    (void)y;
    const float *value = context;
    rgb[0] = value[0];
    rgb[1] = value[1];
    rgb[2] = value[2];
}

static void write_image(const char *directory, const char *name, int width, int height,
                        pixel_function pixel, const void *context) {
    ds_image image;
    assert_int_equal(ds_image_create(width, height, &image).code, DS_OK);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            pixel(x, y, ds_image_pixel(&image, x, y), context);
        }
    }
    ds_status status = ds_png_save(join(directory, name), &image);
    if (ds_failed(&status)) {
        fail_msg("cannot write %s: %s", name, status.message);
    }
    ds_image_free(&image);
}

static void write_gray_image(const char *directory, const char *name, int width, int height) {
    static const float gray[3] = {0.5f, 0.5f, 0.5f};
    write_image(directory, name, width, height, constant_pixel, gray);
}

/* A camera of a synthetic capture, placed at `center` and looking at `target` with `up` (world
 * +y when zero) up in the image, in OpenGL's axes as transforms.json stores it. */
typedef struct test_camera {
    const char *file;
    double center[3], target[3];
    int width, height;
    double fx, fy, cx, cy, k1;
    double up[3];
} test_camera;

static void normalise(double v[3]) {
    double length = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int i = 0; i < 3; i++) {
        v[i] /= length;
    }
}

static void cross(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Row-major 4x4 camera-to-world, columns the OpenGL camera's right, up and back axes. */
static void opengl_camera_to_world(const test_camera *camera, double m[16]) {
    double back[3], right[3], up[3];
    double world_up[3] = {camera->up[0], camera->up[1], camera->up[2]};
    if (world_up[0] == 0 && world_up[1] == 0 && world_up[2] == 0) {
        world_up[1] = 1;
    }
    for (int i = 0; i < 3; i++) {
        back[i] = camera->center[i] - camera->target[i];
    }
    normalise(back);
    cross(world_up, back, right);
    normalise(right);
    cross(back, right, up);
    for (int i = 0; i < 3; i++) {
        m[4 * i + 0] = right[i];
        m[4 * i + 1] = up[i];
        m[4 * i + 2] = back[i];
        m[4 * i + 3] = camera->center[i];
    }
    m[12] = m[13] = m[14] = 0.0;
    m[15] = 1.0;
}

static void append_frame(ds_byte_buffer *json, const test_camera *camera, bool last) {
    double m[16];
    opengl_camera_to_world(camera, m);
    ds_byte_buffer_printf(
        json, "    {\"file_path\": \"./images/%s\",\n     \"transform_matrix\": [", camera->file);
    for (int i = 0; i < 4; i++) {
        ds_byte_buffer_printf(json, "[%.17g, %.17g, %.17g, %.17g]%s", m[4 * i], m[4 * i + 1],
                              m[4 * i + 2], m[4 * i + 3], i < 3 ? ", " : "],\n");
    }
    ds_byte_buffer_printf(json,
                          "     \"w\": %d, \"h\": %d, \"fl_x\": %.17g, \"fl_y\": %.17g, "
                          "\"cx\": %.17g, \"cy\": %.17g, \"k1\": %.17g, \"k2\": 0, \"p1\": 0, "
                          "\"p2\": 0, \"is_fisheye\": false}%s\n",
                          camera->width, camera->height, camera->fx, camera->fy, camera->cx,
                          camera->cy, camera->k1, last ? "" : ",");
}

static void write_transforms(const char *root, const test_camera *cameras, size_t count) {
    ds_byte_buffer json = {0};
    ds_byte_buffer_printf(&json, "{\n  \"aabb_scale\": 4,\n  \"frames\": [\n");
    for (size_t i = 0; i < count; i++) {
        append_frame(&json, &cameras[i], i + 1 == count);
    }
    ds_byte_buffer_printf(&json, "  ]\n}\n");
    assert_false(json.failed);
    write_file(root, "transforms.json", json.data, json.size);
    ds_byte_buffer_free(&json);
}

/* transforms.json and frame 0's gray images of every camera. */
static void write_capture(const char *root, const test_camera *cameras, size_t count) {
    write_transforms(root, cameras, count);
    make_folder(root, "0");
    char name[256];
    for (size_t i = 0; i < count; i++) {
        snprintf(name, sizeof name, "0/%s", cameras[i].file);
        write_gray_image(root, name, cameras[i].width, cameras[i].height);
    }
}

static ds_capture *open_or_fail(const char *path, const ds_capture_options *options) {
    ds_capture *capture = NULL;
    ds_status status = ds_capture_open(path, options, &capture);
    if (ds_failed(&status)) {
        fail_msg("cannot open %s: %s", path, status.message);
    }
    return capture;
}

static ds_status open_status(const char *path, const ds_capture_options *options) {
    ds_capture *capture = NULL;
    ds_status status = ds_capture_open(path, options, &capture);
    if (!ds_failed(&status)) {
        ds_capture_free(capture);
        fail_msg("%s opened but should not have", path);
    }
    assert_null(capture);
    return status;
}

static void assert_error(const ds_status *status, ds_status_code code, const char *words) {
    if (status->code != code || !strstr(status->message, words)) {
        fail_msg("expected a %s containing '%s', got %s: '%s'", ds_status_code_name(code), words,
                 ds_status_code_name(status->code), status->message);
    }
}

static void project(const ds_camera *camera, const double world[3], double *u, double *v) {
    double p[3];
    ds_camera_to_camera_space(camera, world, p);
    assert_true(p[2] > 0.0);
    *u = camera->fx * p[0] / p[2] + camera->cx;
    *v = camera->fy * p[1] / p[2] + camera->cy;
}

static const test_camera front = {.file = "2.png",
                                  .center = {0, 0, 4},
                                  .width = 80,
                                  .height = 60,
                                  .fx = 100,
                                  .fy = 110,
                                  .cx = 40.5,
                                  .cy = 30.25};
static const test_camera side = {.file = "10.png",
                                 .center = {4, 0, 0},
                                 .width = 80,
                                 .height = 60,
                                 .fx = 120,
                                 .fy = 120,
                                 .cx = 40,
                                 .cy = 30};
static const test_camera back = {.file = "1.png",
                                 .center = {0, 0, -4},
                                 .width = 80,
                                 .height = 60,
                                 .fx = 90,
                                 .fy = 90,
                                 .cx = 38,
                                 .cy = 31};

/* ---- transforms.json ---- */

static void transforms_cameras_match_hand_computed_values(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    const test_camera cameras[] = {front, side, back}; /* file order 2, 10, 1 */
    write_capture(root, cameras, 3);
    ds_capture *capture = open_or_fail(root, NULL);
    assert_int_equal(capture->source, DS_CAPTURE_TRANSFORMS_JSON);
    assert_int_equal(capture->frame_count, 1);
    assert_int_equal(capture->view_count, 3);
    /* String order of the file names. */
    assert_string_equal(capture->views[0].name, "1");
    assert_string_equal(capture->views[1].name, "10");
    assert_string_equal(capture->views[2].name, "2");
    assert_string_equal(capture->views[2].file_name, "2.png");

    /* At (0, 0, 4) looking at the origin with +y up: OpenGL's camera axes are the world's, so
     * ours are x right, y = -world y, z = -world z: R = diag(1, -1, -1), t = -R c = (0, 0, 4). */
    const ds_camera *camera = &capture->views[2].camera;
    const double expected_rotation[9] = {1, 0, 0, 0, -1, 0, 0, 0, -1};
    for (int i = 0; i < 9; i++) {
        test_assert_close(camera->rotation[i], expected_rotation[i], 1e-12, "rotation", (size_t)i);
    }
    test_assert_close(camera->translation[0], 0, 1e-12, "translation", 0);
    test_assert_close(camera->translation[1], 0, 1e-12, "translation", 1);
    test_assert_close(camera->translation[2], 4, 1e-12, "translation", 2);
    assert_int_equal(camera->width, 80);
    assert_int_equal(camera->height, 60);
    assert_true(camera->fx == 100 && camera->fy == 110 && camera->cx == 40.5 &&
                camera->cy == 30.25);
    double u, v;
    const double origin[3] = {0, 0, 0}, right[3] = {1, 0, 0}, up[3] = {0, 1, 0};
    project(camera, origin, &u, &v);
    test_assert_close(u, 40.5, 1e-12, "u of the origin", 0);
    test_assert_close(v, 30.25, 1e-12, "v of the origin", 0);
    /* World +x is to the right in the image, world +y (up) towards the top (smaller v). */
    project(camera, right, &u, &v);
    test_assert_close(u, 40.5 + 100.0 / 4, 1e-12, "u of +x", 0);
    test_assert_close(v, 30.25, 1e-12, "v of +x", 0);
    project(camera, up, &u, &v);
    test_assert_close(u, 40.5, 1e-12, "u of +y", 0);
    test_assert_close(v, 30.25 - 110.0 / 4, 1e-12, "v of +y", 0);

    /* At (4, 0, 0) looking at the origin: its right is world -z. */
    camera = &capture->views[1].camera;
    double center[3];
    ds_camera_center(camera, center);
    test_assert_close(center[0], 4, 1e-12, "center", 0);
    test_assert_close(center[1], 0, 1e-12, "center", 1);
    test_assert_close(center[2], 0, 1e-12, "center", 2);
    project(camera, origin, &u, &v);
    test_assert_close(u, 40, 1e-12, "u of the origin", 1);
    test_assert_close(v, 30, 1e-12, "v of the origin", 1);
    const double minus_z[3] = {0, 0, -1};
    project(camera, minus_z, &u, &v);
    test_assert_close(u, 40 + 120.0 / 4, 1e-12, "u of -z", 1);
    assert_int_equal(ds_camera_validate(camera).code, DS_OK);

    /* No distortion and scale 1: the source camera is the camera. */
    assert_true(ds_lens_distortion_is_zero(&capture->views[0].distortion));
    assert_memory_equal(&capture->views[0].camera, &capture->views[0].source_camera,
                        sizeof(ds_camera));

    char path[4096];
    assert_int_equal(ds_capture_image_path(capture, 2, 0, path, sizeof path).code, DS_OK);
    assert_string_equal(path, join(root, "0/2.png"));
    ds_image image;
    assert_int_equal(ds_capture_load_image(capture, 2, 0, &image).code, DS_OK);
    assert_int_equal(image.width, 80);
    assert_float_equal(ds_image_pixel(&image, 5, 7)[1], 128 / 255.0f, 1e-6f);
    ds_image_free(&image);
    ds_capture_free(capture);
    remove_directory(root);
}

static void every_path_form_opens_the_capture(void **state) {
    (void)state;
    char *parent = make_temporary_directory();
    make_folder(parent, "image_white");
    char root[4096];
    snprintf(root, sizeof root, "%s", join(parent, "image_white"));
    const test_camera cameras[] = {front, back};
    write_capture(root, cameras, 2);
    char transforms[4096], trailing_slash[4096];
    snprintf(transforms, sizeof transforms, "%s", join(root, "transforms.json"));
    snprintf(trailing_slash, sizeof trailing_slash, "%s", join(root, ""));
    const char *forms[4] = {parent, root, transforms, trailing_slash};
    for (int f = 0; f < 4; f++) {
        ds_capture *capture = open_or_fail(forms[f], NULL);
        assert_string_equal(capture->root, root);
        assert_string_equal(capture->image_root, root);
        assert_int_equal(capture->view_count, 2);
        assert_string_equal(capture->views[0].name, "1");
        ds_capture_free(capture);
    }
    remove_directory(parent);
}

static void intrinsics_fall_back_to_the_top_level_and_the_field_of_view(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    write_text(root, "transforms.json",
               "{\"w\": 80, \"h\": 60, \"fl_x\": 90, \"cx\": 41, \"cy\": 29, \"k1\": 0.01,\n"
               " \"frames\": [\n"
               "  {\"file_path\": \"a.png\", \"transform_matrix\": "
               "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]},\n"
               "  {\"file_path\": \"b.png\", \"fl_x\": 70, \"fl_y\": 75, \"k1\": 0, "
               "\"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,5],[0,0,0,1]]}]}");
    make_folder(root, "0");
    write_gray_image(root, "0/a.png", 80, 60);
    write_gray_image(root, "0/b.png", 80, 60);
    ds_capture *capture = open_or_fail(root, NULL);
    const ds_camera *a = &capture->views[0].camera, *b = &capture->views[1].camera;
    assert_true(a->fx == 90 && a->fy == 90 && a->cx == 41 && a->cy == 29);
    assert_true(capture->views[0].distortion.k1 == 0.01);
    assert_true(b->fx == 70 && b->fy == 75 && b->cx == 41 && b->cy == 29);
    assert_true(ds_lens_distortion_is_zero(&capture->views[1].distortion));
    ds_capture_free(capture);

    /* No size, focal length or principal point: the size from the image, the focal length from
     * camera_angle_x (2 atan(1/2): the focal length is the width), the centre. */
    write_text(root, "transforms.json",
               "{\"camera_angle_x\": 0.92729521800161219, \"frames\": [{\"file_path\": "
               "\"a.png\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}");
    capture = open_or_fail(root, NULL);
    a = &capture->views[0].camera;
    assert_int_equal(a->width, 80);
    assert_int_equal(a->height, 60);
    test_assert_close(a->fx, 80, 1e-9, "fx from camera_angle_x", 0);
    test_assert_close(a->fy, 80, 1e-9, "fy from camera_angle_x", 0);
    assert_true(a->cx == 40 && a->cy == 30);
    ds_capture_free(capture);
    remove_directory(root);
}

static void views_are_held_out_and_frames_counted(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    test_camera cameras[10];
    char names[10][16];
    for (int i = 0; i < 10; i++) {
        snprintf(names[i], sizeof names[i], "%d.png", 9 - i);
        cameras[i] = front;
        cameras[i].file = names[i];
        cameras[i].center[0] = 0.1 * i;
    }
    write_capture(root, cameras, 10);
    make_folder(root, "1");
    make_folder(root, "2");
    make_folder(root, "4"); /* not contiguous: frame 3 is missing, so 3 frames */
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "1/%.16s", names[i]);
        write_gray_image(root, name, 80, 60);
    }

    ds_capture *capture = open_or_fail(root, NULL);
    assert_int_equal(capture->frame_count, 3);
    for (size_t v = 0; v < 10; v++) {
        char expected[8];
        snprintf(expected, sizeof expected, "%zu", v);
        assert_string_equal(capture->views[v].name, expected);
        assert_int_equal(capture->views[v].held_out, v == 0 || v == 8);
    }
    ds_image image;
    assert_int_equal(ds_capture_load_image(capture, 3, 1, &image).code, DS_OK);
    ds_image_free(&image);
    ds_status status = ds_capture_load_image(capture, 3, 3, &image);
    assert_error(&status, DS_ERR_ARGUMENT, "frame 3 is out of range");
    status = ds_capture_load_image(capture, 10, 0, &image);
    assert_error(&status, DS_ERR_ARGUMENT, "view 10 is out of range");
    /* Frame 2's folder is empty. */
    status = ds_capture_load_image(capture, 0, 2, &image);
    assert_error(&status, DS_ERR_IO, "view 0 (0.png) frame 2");
    assert_null(image.pixels);
    ds_capture_free(capture);

    ds_capture_options options = ds_capture_default_options();
    options.holdout_every = 3;
    capture = open_or_fail(root, &options);
    for (size_t v = 0; v < 10; v++) {
        assert_int_equal(capture->views[v].held_out, v % 3 == 0);
    }
    ds_capture_free(capture);
    options.holdout_every = 0;
    capture = open_or_fail(root, &options);
    for (size_t v = 0; v < 10; v++) {
        assert_false(capture->views[v].held_out);
    }
    ds_capture_free(capture);
    remove_directory(root);
}

/* Each 2x2 block holds four different values whose mean is known. */
static void block_pixel(int x, int y, float rgb[3], const void *context) {
    (void)context;
    int block = (x / 2) + 7 * (y / 2);
    float base = (float)(block % 5) * 0.2f;
    float offsets[4] = {0.0f, 0.2f, 0.1f, 0.05f};
    float value = base * 0.6f + offsets[(x % 2) + 2 * (y % 2)];
    rgb[0] = value;
    rgb[1] = 1.0f - value;
    rgb[2] = 0.5f;
}

static void scaling_resizes_cameras_and_images_together(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    const test_camera cameras[] = {front};
    write_capture(root, cameras, 1);
    write_image(root, "0/2.png", 80, 60, block_pixel, NULL);

    ds_capture_options options = ds_capture_default_options();
    options.scale = 0.5;
    ds_capture *capture = open_or_fail(root, &options);
    const ds_camera *camera = &capture->views[0].camera;
    assert_int_equal(camera->width, 40);
    assert_int_equal(camera->height, 30);
    assert_true(camera->fx == 50 && camera->fy == 55 && camera->cx == 20.25 &&
                camera->cy == 15.125);
    assert_int_equal(capture->views[0].source_camera.width, 80);
    ds_image image;
    assert_int_equal(ds_capture_load_image(capture, 0, 0, &image).code, DS_OK);
    assert_int_equal(image.width, 40);
    assert_int_equal(image.height, 30);
    /* Area filtering of an exact halving: each pixel is its 2x2 block's mean (of the 8-bit
     * values the PNG holds). */
    for (int y = 0; y < 30; y++) {
        for (int x = 0; x < 40; x++) {
            float mean = 0.0f;
            for (int k = 0; k < 4; k++) {
                float rgb[3];
                block_pixel(2 * x + k % 2, 2 * y + k / 2, rgb, NULL);
                mean += roundf(rgb[0] * 255.0f) / 255.0f / 4.0f;
            }
            test_assert_close(ds_image_pixel(&image, x, y)[0], mean, 2e-5, "box mean",
                              (size_t)(y * 40 + x));
        }
    }
    ds_image_free(&image);
    ds_capture_free(capture);

    /* A maximum width shrinks further, keeping the aspect ratio. */
    options.scale = 1.0;
    options.max_width = 20;
    capture = open_or_fail(root, &options);
    camera = &capture->views[0].camera;
    assert_int_equal(camera->width, 20);
    assert_int_equal(camera->height, 15);
    assert_true(camera->fx == 25 && camera->cx == 10.125);
    assert_int_equal(ds_capture_load_image(capture, 0, 0, &image).code, DS_OK);
    assert_int_equal(image.width, 20);
    assert_int_equal(image.height, 15);
    ds_image_free(&image);
    ds_capture_free(capture);

    /* Uneven ratios: a constant image stays constant. */
    write_gray_image(root, "0/2.png", 80, 60);
    options.scale = 0.37;
    options.max_width = 0;
    capture = open_or_fail(root, &options);
    camera = &capture->views[0].camera;
    assert_int_equal(camera->width, 30); /* round(29.6) */
    assert_int_equal(camera->height, 22);
    test_assert_close(camera->fx, 100.0 * 30 / 80, 1e-12, "scaled fx", 0);
    test_assert_close(camera->fy, 110.0 * 22 / 60, 1e-12, "scaled fy", 0);
    assert_int_equal(ds_capture_load_image(capture, 0, 0, &image).code, DS_OK);
    for (size_t i = 0; i < (size_t)image.width * (size_t)image.height * 3; i++) {
        test_assert_close(image.pixels[i], 128 / 255.0f, 2e-4, "constant image", i);
    }
    ds_image_free(&image);
    ds_capture_free(capture);
    remove_directory(root);
}

/* ---- undistortion ---- */

/* A smooth pattern over normalised image coordinates. */
static void pattern(double x, double y, float rgb[3]) {
    rgb[0] = (float)(0.5 + 0.4 * sin(6.0 * x) * cos(5.0 * y));
    rgb[1] = (float)(0.5 + 0.4 * cos(7.0 * x + 2.0 * y));
    rgb[2] = (float)(0.5 + 0.3 * x - 0.2 * y);
}

/* What a lens with this k1 records: each recorded (distorted) pixel shows the pattern at the
 * undistorted position, found by fixed-point iteration of the forward model. */
static void distorted_pattern(int i, int j, float rgb[3], const void *context) {
    const test_camera *camera = context;
    double xd = (i + 0.5 - camera->cx) / camera->fx, yd = (j + 0.5 - camera->cy) / camera->fy;
    double x = xd, y = yd;
    for (int k = 0; k < 50; k++) {
        double r2 = x * x + y * y;
        x = xd / (1.0 + camera->k1 * r2);
        y = yd / (1.0 + camera->k1 * r2);
    }
    pattern(x, y, rgb);
}

static void undistortion_recovers_the_pinhole_image(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    test_camera camera = {.file = "0.png",
                          .center = {0, 0, 4},
                          .width = 160,
                          .height = 120,
                          .fx = 120,
                          .fy = 120,
                          .cx = 80,
                          .cy = 60,
                          .k1 = -0.2};
    write_capture(root, &camera, 1);
    write_image(root, "0/0.png", 160, 120, distorted_pattern, &camera);
    ds_capture *capture = open_or_fail(root, NULL);
    assert_true(capture->views[0].distortion.k1 == -0.2);
    ds_image image;
    assert_int_equal(ds_capture_load_image(capture, 0, 0, &image).code, DS_OK);
    ds_image distorted;
    assert_int_equal(ds_png_load(join(root, "0/0.png"), NULL, &distorted).code, DS_OK);

    /* In the interior (away from where bilinear sampling meets the border), the undistorted
     * image is the pattern at each pixel's pinhole position, to 8-bit quantisation and
     * interpolation; the recorded image is far from it. */
    double worst = 0.0, worst_distorted = 0.0;
    for (int j = 10; j < 110; j++) {
        for (int i = 10; i < 150; i++) {
            float expected[3];
            pattern((i + 0.5 - 80) / 120, (j + 0.5 - 60) / 120, expected);
            for (int c = 0; c < 3; c++) {
                worst = fmax(worst, fabs(ds_image_pixel(&image, i, j)[c] - expected[c]));
                worst_distorted =
                    fmax(worst_distorted, fabs(ds_image_pixel(&distorted, i, j)[c] - expected[c]));
            }
        }
    }
    if (worst > 0.006 || worst_distorted < 0.05) {
        fail_msg("undistorted differs by %g from the pattern (the recorded image by %g)", worst,
                 worst_distorted);
    }
    ds_image_free(&distorted);
    ds_image_free(&image);
    ds_capture_free(capture);

    /* Pincushion distortion pulls the corners from outside the recorded image: background. */
    camera.k1 = 0.3;
    write_transforms(root, &camera, 1);
    ds_capture_options options = ds_capture_default_options();
    options.background[0] = 0.0f;
    options.background[1] = 0.0f;
    options.background[2] = 1.0f;
    capture = open_or_fail(root, &options);
    assert_int_equal(ds_capture_load_image(capture, 0, 0, &image).code, DS_OK);
    const float *corner = ds_image_pixel(&image, 0, 0);
    assert_true(corner[0] == 0.0f && corner[1] == 0.0f && corner[2] == 1.0f);
    const float *centre = ds_image_pixel(&image, 80, 60);
    assert_true(centre[2] < 0.9f);
    ds_image_free(&image);
    ds_capture_free(capture);
    remove_directory(root);
}

static void the_distortion_model_is_opencv(void **state) {
    (void)state;
    ds_lens_distortion d = {.k1 = 0.1, .k2 = 0.01, .p1 = 0.002, .p2 = -0.003};
    double xd, yd, x = 0.3, y = -0.2, r2 = 0.13;
    ds_lens_distort(&d, x, y, &xd, &yd);
    double radial = 1 + 0.1 * r2 + 0.01 * r2 * r2;
    test_assert_close(xd, x * radial + 2 * 0.002 * x * y - 0.003 * (r2 + 2 * x * x), 1e-15, "xd",
                      0);
    test_assert_close(yd, y * radial + 0.002 * (r2 + 2 * y * y) + 2 * -0.003 * x * y, 1e-15, "yd",
                      0);
}

/* ---- COLMAP ---- */

typedef struct test_colmap_camera {
    uint32_t id;
    int model_id;
    const char *model;
    int width, height;
    int parameter_count;
    double parameters[8];
} test_colmap_camera;

typedef struct test_colmap_image {
    uint32_t id;
    double q[4], t[3];
    uint32_t camera_id;
    const char *name;
} test_colmap_image;

static const test_colmap_camera colmap_cameras[] = {
    {7, 1, "PINHOLE", 80, 60, 4, {100, 110, 40.5, 30.25}},
    {2, 2, "SIMPLE_RADIAL", 80, 60, 4, {90, 40, 30, -0.1}},
    {3, 4, "OPENCV", 80, 60, 8, {95, 96, 39, 31, -0.05, 0.01, 0.001, -0.002}},
    {4, 0, "SIMPLE_PINHOLE", 80, 60, 3, {85, 40, 30}},
    {5, 3, "RADIAL", 80, 60, 5, {88, 40, 30, 0.02, -0.003}},
};
enum { COLMAP_CAMERAS = sizeof colmap_cameras / sizeof colmap_cameras[0] };

/* sin 45 degrees: a quarter turn about y. */
#define HALF_SQRT2 0.70710678118654757
static const test_colmap_image colmap_images[] = {
    {1, {1, 0, 0, 0}, {0, 0, 4}, 7, "b.png"},
    {2, {HALF_SQRT2, 0, HALF_SQRT2, 0}, {0, 0, 4}, 4, "a.png"},
    {3, {0.9, 0.1, -0.3, 0.2}, {0.5, -0.25, 3.5}, 3, "c.png"},
    {4, {0.5, 0.5, 0.5, 0.5}, {0, 0.1, 4.2}, 2, "e.png"},
    {5, {0, 0, 0, 1}, {0.2, 0, 3.9}, 5, "d.png"},
};
enum { COLMAP_IMAGES = sizeof colmap_images / sizeof colmap_images[0] };

static void colmap_text(ds_byte_buffer *cameras, ds_byte_buffer *images) {
    ds_byte_buffer_printf(cameras, "# Camera list with one line of data per camera:\n"
                                   "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n");
    for (size_t c = 0; c < COLMAP_CAMERAS; c++) {
        const test_colmap_camera *camera = &colmap_cameras[c];
        ds_byte_buffer_printf(cameras, "%u %s %d %d", camera->id, camera->model, camera->width,
                              camera->height);
        for (int p = 0; p < camera->parameter_count; p++) {
            ds_byte_buffer_printf(cameras, " %.17g", camera->parameters[p]);
        }
        ds_byte_buffer_printf(cameras, "\r\n");
    }
    ds_byte_buffer_printf(images, "# Image list with two lines of data per image:\n"
                                  "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
                                  "#   POINTS2D[] as (X, Y, POINT3D_ID)\n");
    for (size_t i = 0; i < COLMAP_IMAGES; i++) {
        const test_colmap_image *image = &colmap_images[i];
        ds_byte_buffer_printf(images, "%u %.17g %.17g %.17g %.17g %.17g %.17g %.17g %u %s\n",
                              image->id, image->q[0], image->q[1], image->q[2], image->q[3],
                              image->t[0], image->t[1], image->t[2], image->camera_id, image->name);
        /* Points lines: some empty, some not. */
        ds_byte_buffer_printf(images, i % 2 ? "\n" : "12.5 7.25 -1 3.5 4.5 17\n");
    }
}

static void append_f64(ds_byte_buffer *out, double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    ds_byte_buffer_append_u64le(out, bits);
}

static void colmap_binary(ds_byte_buffer *cameras, ds_byte_buffer *images) {
    ds_byte_buffer_append_u64le(cameras, COLMAP_CAMERAS);
    for (size_t c = 0; c < COLMAP_CAMERAS; c++) {
        const test_colmap_camera *camera = &colmap_cameras[c];
        ds_byte_buffer_append_u32le(cameras, camera->id);
        ds_byte_buffer_append_u32le(cameras, (uint32_t)camera->model_id);
        ds_byte_buffer_append_u64le(cameras, (uint64_t)camera->width);
        ds_byte_buffer_append_u64le(cameras, (uint64_t)camera->height);
        for (int p = 0; p < camera->parameter_count; p++) {
            append_f64(cameras, camera->parameters[p]);
        }
    }
    ds_byte_buffer_append_u64le(images, COLMAP_IMAGES);
    for (size_t i = 0; i < COLMAP_IMAGES; i++) {
        const test_colmap_image *image = &colmap_images[i];
        ds_byte_buffer_append_u32le(images, image->id);
        for (int k = 0; k < 4; k++) {
            append_f64(images, image->q[k]);
        }
        for (int k = 0; k < 3; k++) {
            append_f64(images, image->t[k]);
        }
        ds_byte_buffer_append_u32le(images, image->camera_id);
        ds_byte_buffer_append(images, image->name, strlen(image->name) + 1);
        uint64_t points = i % 2 ? 0 : 2;
        ds_byte_buffer_append_u64le(images, points);
        for (uint64_t p = 0; p < points; p++) {
            append_f64(images, 12.5);
            append_f64(images, 7.25);
            ds_byte_buffer_append_u64le(images, p ? 17 : UINT64_MAX); /* -1: no 3D point */
        }
    }
}

/* A COLMAP dataset: <root>/<model>/cameras.<ext>, images.<ext>, and the images. */
static void write_colmap_dataset(const char *root, bool binary, bool undistortion_layout) {
    ds_byte_buffer cameras = {0}, images = {0};
    if (binary) {
        colmap_binary(&cameras, &images);
    } else {
        colmap_text(&cameras, &images);
    }
    const char *model = undistortion_layout ? "colmap/sparse/0" : "sparse/0";
    if (undistortion_layout) {
        make_folder(root, "colmap");
        make_folder(root, "colmap/sparse");
        make_folder(root, "0");
    } else {
        make_folder(root, "sparse");
        make_folder(root, "images");
    }
    make_folder(root, model);
    char path[256];
    snprintf(path, sizeof path, "%s/cameras.%s", model, binary ? "bin" : "txt");
    write_file(root, path, cameras.data, cameras.size);
    snprintf(path, sizeof path, "%s/images.%s", model, binary ? "bin" : "txt");
    write_file(root, path, images.data, images.size);
    for (size_t i = 0; i < COLMAP_IMAGES; i++) {
        snprintf(path, sizeof path, "%s/%s", undistortion_layout ? "0" : "images",
                 colmap_images[i].name);
        write_gray_image(root, path, 80, 60);
    }
    ds_byte_buffer_free(&cameras);
    ds_byte_buffer_free(&images);
}

static void colmap_text_and_binary_models_give_identical_cameras(void **state) {
    (void)state;
    char *text_root = make_temporary_directory(), *binary_root = make_temporary_directory();
    write_colmap_dataset(text_root, false, false);
    write_colmap_dataset(binary_root, true, false);
    ds_capture *text = open_or_fail(text_root, NULL);
    ds_capture *binary = open_or_fail(binary_root, NULL);
    assert_int_equal(text->source, DS_CAPTURE_COLMAP);
    assert_int_equal(text->frame_count, 1);
    assert_int_equal(text->view_count, COLMAP_IMAGES);
    assert_int_equal(binary->view_count, COLMAP_IMAGES);
    const char *sorted[COLMAP_IMAGES] = {"a", "b", "c", "d", "e"};
    for (size_t v = 0; v < COLMAP_IMAGES; v++) {
        assert_string_equal(text->views[v].name, sorted[v]);
        assert_string_equal(binary->views[v].name, sorted[v]);
        assert_memory_equal(&text->views[v].camera, &binary->views[v].camera, sizeof(ds_camera));
        assert_memory_equal(&text->views[v].distortion, &binary->views[v].distortion,
                            sizeof(ds_lens_distortion));
        assert_int_equal(ds_camera_validate(&text->views[v].camera).code, DS_OK);
    }
    char path[4096];
    assert_int_equal(ds_capture_image_path(text, 0, 0, path, sizeof path).code, DS_OK);
    assert_string_equal(path, join(text_root, "images/a.png"));

    /* a.png: a quarter turn about y, R = [[0 0 1] [0 1 0] [-1 0 0]], SIMPLE_PINHOLE f 85. */
    const ds_camera *a = &binary->views[0].camera;
    const double quarter_turn[9] = {0, 0, 1, 0, 1, 0, -1, 0, 0};
    for (int i = 0; i < 9; i++) {
        test_assert_close(a->rotation[i], quarter_turn[i], 1e-15, "rotation of a", (size_t)i);
    }
    assert_true(a->fx == 85 && a->fy == 85 && a->cx == 40 && a->cy == 30);
    /* b.png: identity, t = (0, 0, 4), PINHOLE; the origin projects to the principal point. */
    const ds_camera *b = &binary->views[1].camera;
    assert_true(b->rotation[0] == 1 && b->rotation[4] == 1 && b->rotation[8] == 1);
    assert_true(b->translation[2] == 4);
    assert_true(b->fx == 100 && b->fy == 110 && b->cx == 40.5 && b->cy == 30.25);
    double u, v;
    const double origin[3] = {0, 0, 0};
    project(b, origin, &u, &v);
    assert_true(u == 40.5 && v == 30.25);
    /* Distortion of each model. */
    const ds_lens_distortion *c = &binary->views[2].distortion;
    assert_true(c->k1 == -0.05 && c->k2 == 0.01 && c->p1 == 0.001 && c->p2 == -0.002);
    assert_true(binary->views[3].distortion.k1 == 0.02 && binary->views[3].distortion.k2 == -0.003);
    assert_true(binary->views[4].distortion.k1 == -0.1 && binary->views[4].distortion.k2 == 0);
    assert_true(ds_lens_distortion_is_zero(&binary->views[0].distortion));

    /* The same cameras written as transforms.json (OpenGL camera-to-world) read back the same. */
    char *json_root = make_temporary_directory();
    test_camera as_json[2];
    for (int k = 0; k < 2; k++) {
        const ds_camera *camera = &binary->views[k].camera;
        double center[3];
        ds_camera_center(camera, center);
        /* Looking along the camera's +z, with its -y up. */
        as_json[k] = (test_camera){
            .file = k ? "b.png" : "a.png",
            .width = 80,
            .height = 60,
            .fx = camera->fx,
            .fy = camera->fy,
            .cx = camera->cx,
            .cy = camera->cy,
        };
        for (int i = 0; i < 3; i++) {
            as_json[k].center[i] = center[i];
            as_json[k].target[i] = center[i] + camera->rotation[6 + i];
            as_json[k].up[i] = -camera->rotation[3 + i];
        }
    }
    write_capture(json_root, as_json, 2);
    ds_capture *json = open_or_fail(json_root, NULL);
    for (size_t k = 0; k < 2; k++) {
        for (int i = 0; i < 9; i++) {
            test_assert_close(json->views[k].camera.rotation[i],
                              binary->views[k].camera.rotation[i], 1e-12, "rotation", (size_t)i);
        }
        for (int i = 0; i < 3; i++) {
            test_assert_close(json->views[k].camera.translation[i],
                              binary->views[k].camera.translation[i], 1e-12, "translation",
                              (size_t)i);
        }
    }
    ds_capture_free(json);
    remove_directory(json_root);
    ds_capture_free(text);
    ds_capture_free(binary);
    remove_directory(text_root);
    remove_directory(binary_root);
}

static void colmap_undistortion_layout_has_frame_folders(void **state) {
    (void)state;
    char *parent = make_temporary_directory();
    make_folder(parent, "image_white_undistortion");
    char root[4096];
    snprintf(root, sizeof root, "%s", join(parent, "image_white_undistortion"));
    write_colmap_dataset(root, true, true);
    make_folder(root, "1");
    for (int form = 0; form < 2; form++) {
        ds_capture *capture = open_or_fail(form ? parent : root, NULL);
        assert_int_equal(capture->source, DS_CAPTURE_COLMAP);
        assert_int_equal(capture->frame_count, 2);
        assert_true(capture->frame_folders);
        char path[4096];
        assert_int_equal(ds_capture_image_path(capture, 1, 1, path, sizeof path).code, DS_OK);
        assert_string_equal(path, join(root, "1/b.png"));
        ds_capture_free(capture);
    }
    remove_directory(parent);
}

/* ---- errors ---- */

static void missing_calibrations_are_reported(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    ds_status status = open_status(root, NULL);
    assert_error(&status, DS_ERR_IO, "no transforms.json or COLMAP sparse model");
    status = open_status(join(root, "nothing-here"), NULL);
    assert_error(&status, DS_ERR_IO, "does not exist");
    write_text(root, "notes.txt", "hello");
    status = open_status(join(root, "notes.txt"), NULL);
    assert_error(&status, DS_ERR_ARGUMENT, "transforms.json");
    /* A sparse folder without images.bin is no model. */
    make_folder(root, "sparse");
    make_folder(root, "sparse/0");
    write_text(root, "sparse/0/cameras.txt", "1 PINHOLE 80 60 1 1 40 30\n");
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_IO, "COLMAP sparse model");
    /* transforms.json without frame folders. */
    const test_camera cameras[] = {front};
    write_transforms(root, cameras, 1);
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_IO, "no frame folder 0");

    ds_capture_options options = ds_capture_default_options();
    options.scale = 0.0;
    status = open_status(root, &options);
    assert_error(&status, DS_ERR_ARGUMENT, "scale");
    options.scale = 1.5;
    status = open_status(root, &options);
    assert_error(&status, DS_ERR_ARGUMENT, "scale");
    options = ds_capture_default_options();
    options.holdout_every = -1;
    status = open_status(root, &options);
    assert_error(&status, DS_ERR_ARGUMENT, "holdout_every");
    remove_directory(root);
}

static ds_status parse_transforms(const char *text) {
    ds_capture_calibrations calibrations;
    ds_status status = ds_transforms_parse(text, strlen(text), &calibrations);
    if (!ds_failed(&status)) {
        ds_capture_calibrations_free(&calibrations);
        fail_msg("malformed transforms.json parsed: %s", text);
    }
    assert_null(calibrations.items);
    return status;
}

#define IDENTITY_AT_4 "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]"

static void malformed_transforms_are_located(void **state) {
    (void)state;
    static const struct {
        const char *text;
        ds_status_code code;
        const char *words;
    } cases[] = {
        {"", DS_ERR_FORMAT, "transforms.json is empty"},
        {"{\n\"frames\": [\n{\"file_path\": \"a.png\",\n\"w\": }", DS_ERR_FORMAT,
         "not valid JSON (error at line 4)"},
        {"[1, 2]", DS_ERR_FORMAT, "not a JSON object"},
        {"{\"aabb_scale\": 4}", DS_ERR_FORMAT, "no frames[] array"},
        {"{\"frames\": {}}", DS_ERR_FORMAT, "frames is not an array"},
        {"{\"frames\": []}", DS_ERR_FORMAT, "no views"},
        {"{\"frames\": [7]}", DS_ERR_FORMAT, "frames[0] is not an object"},
        {"{\"frames\": [{\"transform_matrix\": " IDENTITY_AT_4 "}]}", DS_ERR_FORMAT,
         "frames[0].file_path is missing"},
        {"{\"frames\": [{\"file_path\": 5, \"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "frames[0].file_path is not a string"},
        {"{\"frames\": [{\"file_path\": \"images/\", \"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "does not name a file"},
        {"{\"frames\": [{\"file_path\": \"a.png\"}]}", DS_ERR_FORMAT,
         "frames[0].transform_matrix is missing"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": " IDENTITY_AT_4 "},\n"
         "{\"file_path\": \"b.png\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,4]]}]}",
         DS_ERR_FORMAT, "frames[1].transform_matrix is not a 4x4 matrix"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
         "[[1,0,0,0],[0,1,0,0],[0,0,1],[0,0,0,1]]}]}",
         DS_ERR_FORMAT, "frames[0].transform_matrix is not a 4x4 matrix"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
         "[[1,0,0,0],[0,1,\"x\",0],[0,0,1,4],[0,0,0,1]]}]}",
         DS_ERR_FORMAT, "frames[0].transform_matrix[1][2] is not a number"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
         "[[2,0,0,0],[0,2,0,0],[0,0,2,4],[0,0,0,1]]}]}",
         DS_ERR_FORMAT, "frames[0].transform_matrix: camera rotation is not orthonormal"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
         "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,1,1]]}]}",
         DS_ERR_FORMAT, "last row is not 0 0 0 1"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"fl_x\": \"big\", "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "frames[0].fl_x is not a number"},
        {"{\"w\": \"wide\", \"frames\": [{\"file_path\": \"a.png\", "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "w is not a number"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"w\": 12.5, \"h\": 10, "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "frames[0].w = 12.5 is not an image size"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"w\": 12, \"transform_matrix\": " IDENTITY_AT_4
         "}]}",
         DS_ERR_FORMAT, "only one of w and h"},
        {"{\"is_fisheye\": true, \"frames\": [{\"file_path\": \"a.png\", "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_UNSUPPORTED, "frames[0] is a fisheye camera"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"k3\": 0.1, "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_UNSUPPORTED, "k3/k4"},
        {"{\"frames\": [{\"file_path\": \"a.png\", \"is_fisheye\": 1, "
         "\"transform_matrix\": " IDENTITY_AT_4 "}]}",
         DS_ERR_FORMAT, "is_fisheye is not true or false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ds_status status = parse_transforms(cases[i].text);
        if (status.code != cases[i].code || !strstr(status.message, cases[i].words)) {
            fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].words, status.message);
        }
    }
}

static void bad_cameras_and_images_are_reported_when_opening(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    test_camera camera = front;
    camera.file = "37.png";
    camera.fx = 0;
    write_capture(root, &camera, 1);
    ds_status status = open_status(root, NULL);
    assert_error(&status, DS_ERR_FORMAT, "camera 37 has zero focal length");
    camera.fx = 100;
    camera.fy = -5;
    write_transforms(root, &camera, 1);
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_FORMAT, "camera 37 has a negative focal length");

    /* Frame 0's image of the second view is missing. */
    camera.fy = 100;
    test_camera cameras[2] = {camera, camera};
    cameras[0].file = "12.png";
    write_transforms(root, cameras, 2);
    write_gray_image(root, "0/12.png", 80, 60);
    assert_int_equal(unlink(join(root, "0/37.png")), 0);
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_IO, "view 1 (37.png): frame 0 image");
    assert_error(&status, DS_ERR_IO, "0/37.png is missing");

    /* Or it is not a PNG. */
    write_text(root, "0/37.png", "GIF89a");
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_FORMAT, "0/37.png: not a PNG file");

    /* The image's size differs from the calibration's. */
    write_gray_image(root, "0/37.png", 40, 30);
    status = open_status(root, NULL);
    assert_string_equal(status.message,
                        "view 1 (37.png): image is 40x30 but transforms.json says 80x60");
    assert_int_equal(status.code, DS_ERR_FORMAT);

    /* Two cameras with the same image. */
    cameras[0].file = "37.png";
    write_gray_image(root, "0/37.png", 80, 60);
    write_transforms(root, cameras, 2);
    status = open_status(root, NULL);
    assert_error(&status, DS_ERR_FORMAT, "two cameras use the image 37.png");

    /* A later frame with a wrong size opens, but does not load. */
    write_transforms(root, &camera, 1);
    make_folder(root, "1");
    write_gray_image(root, "1/37.png", 81, 60);
    ds_capture *capture = open_or_fail(root, NULL);
    ds_image image;
    status = ds_capture_load_image(capture, 0, 1, &image);
    assert_error(&status, DS_ERR_FORMAT, "view 0 (37.png): image is 81x60 but transforms.json");
    write_text(root, "1/37.png", "not a png");
    status = ds_capture_load_image(capture, 0, 1, &image);
    assert_error(&status, DS_ERR_FORMAT, "view 0 (37.png) frame 1: not a PNG");
    ds_capture_free(capture);
    remove_directory(root);
}

static ds_status parse_colmap_text(const char *cameras_text, const char *images_text) {
    ds_colmap_cameras cameras;
    ds_status status = ds_colmap_parse_cameras_txt(cameras_text, strlen(cameras_text), &cameras);
    if (ds_failed(&status) || !images_text) {
        ds_colmap_cameras_free(&cameras);
        return status;
    }
    ds_capture_calibrations calibrations;
    status = ds_colmap_parse_images_txt(images_text, strlen(images_text), &cameras, &calibrations);
    ds_capture_calibrations_free(&calibrations);
    ds_colmap_cameras_free(&cameras);
    return status;
}

static void malformed_colmap_models_are_reported(void **state) {
    (void)state;
    static const char *const good_image = "1 1 0 0 0 0 0 4 1 a.png\n\n";
    static const struct {
        const char *cameras, *images;
        ds_status_code code;
        const char *words;
    } cases[] = {
        {"1 OPENCV_FISHEYE 80 60 1 1 40 30 0 0 0 0\n", NULL, DS_ERR_UNSUPPORTED,
         "camera 1 uses COLMAP's OPENCV_FISHEYE model, which is not supported"},
        {"1 FOO 80 60 1 1 40 30\n", NULL, DS_ERR_UNSUPPORTED, "unknown camera model 'FOO'"},
        {"# only comments\n\n", NULL, DS_ERR_FORMAT, "lists no cameras"},
        {"1 PINHOLE 80 60 1 1 40\n", NULL, DS_ERR_FORMAT, "needs 4 numeric parameters"},
        {"1 PINHOLE 80 60 1 1 40 30 5\n", NULL, DS_ERR_FORMAT, "needs 4 numeric parameters"},
        {"1 PINHOLE 80 60 1 1 40 nan\n", NULL, DS_ERR_FORMAT, "needs 4 numeric parameters"},
        {"1 PINHOLE 0 60 1 1 40 30\n", NULL, DS_ERR_FORMAT, "image size of 0x60"},
        {"x PINHOLE 80 60 1 1 40 30\n", NULL, DS_ERR_FORMAT, "line 1 does not start"},
        {"1 PINHOLE 80 60 1 1 40 30\n1 PINHOLE 80 60 1 1 40 30\n", NULL, DS_ERR_FORMAT,
         "lists camera 1 twice"},
        {"1 PINHOLE 80 60 1 1 40 30\n", "# nothing\n", DS_ERR_FORMAT, "no images (no views)"},
        {"1 PINHOLE 80 60 1 1 40 30\n", "1 1 0 0 0 0 0 4 9 a.png\n\n", DS_ERR_FORMAT,
         "refers to camera 9"},
        {"1 PINHOLE 80 60 1 1 40 30\n", "1 0 0 0 0 0 0 4 1 a.png\n\n", DS_ERR_FORMAT,
         "zero rotation quaternion"},
        {"1 PINHOLE 80 60 1 1 40 30\n", "1 1 0 0 0 0 0 4 1 ../a.png\n\n", DS_ERR_FORMAT,
         "invalid name"},
        {"1 PINHOLE 80 60 1 1 40 30\n", "1 1 0 0 0 0 0 1\n\n", DS_ERR_FORMAT,
         "line 1 is not 'IMAGE_ID"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ds_status status = parse_colmap_text(cases[i].cameras, cases[i].images);
        if (status.code != cases[i].code || !strstr(status.message, cases[i].words)) {
            fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].words, status.message);
        }
    }
    assert_int_equal(parse_colmap_text("1 PINHOLE 80 60 1 1 40 30\n", good_image).code, DS_OK);
}

static void truncated_and_unsupported_binary_models_are_reported(void **state) {
    (void)state;
    ds_byte_buffer cameras_bin = {0}, images_bin = {0};
    colmap_binary(&cameras_bin, &images_bin);
    ds_colmap_cameras cameras;
    ds_capture_calibrations calibrations;
    assert_int_equal(ds_colmap_parse_cameras_bin(cameras_bin.data, cameras_bin.size, &cameras).code,
                     DS_OK);
    assert_int_equal(cameras.count, COLMAP_CAMERAS);
    assert_int_equal(
        ds_colmap_parse_images_bin(images_bin.data, images_bin.size, &cameras, &calibrations).code,
        DS_OK);
    assert_int_equal(calibrations.count, COLMAP_IMAGES);
    ds_capture_calibrations_free(&calibrations);

    /* Every truncation is an error that says so. */
    for (size_t size = 0; size < cameras_bin.size; size++) {
        ds_colmap_cameras cut;
        ds_status status = ds_colmap_parse_cameras_bin(cameras_bin.data, size, &cut);
        assert_error(&status, DS_ERR_FORMAT, "truncated");
        assert_null(cut.items);
    }
    for (size_t size = 0; size < images_bin.size; size++) {
        ds_status status =
            ds_colmap_parse_images_bin(images_bin.data, size, &cameras, &calibrations);
        assert_error(&status, DS_ERR_FORMAT, "truncated");
        assert_null(calibrations.items);
    }
    /* Extra bytes after the records. */
    ds_byte_buffer_append_u8(&cameras_bin, 0);
    ds_colmap_cameras extra;
    ds_status status = ds_colmap_parse_cameras_bin(cameras_bin.data, cameras_bin.size, &extra);
    assert_error(&status, DS_ERR_FORMAT, "unexpected bytes");

    /* Models we do not undistort, named; model ids COLMAP does not have. */
    cameras_bin.data[8 + 4] = 6;
    status = ds_colmap_parse_cameras_bin(cameras_bin.data, cameras_bin.size, &extra);
    assert_error(&status, DS_ERR_UNSUPPORTED, "camera 7 uses COLMAP's FULL_OPENCV model");
    cameras_bin.data[8 + 4] = 99;
    status = ds_colmap_parse_cameras_bin(cameras_bin.data, cameras_bin.size, &extra);
    assert_error(&status, DS_ERR_UNSUPPORTED, "unknown COLMAP model id 99");

    /* A count far beyond the file's size is refused before allocating. */
    images_bin.data[7] = 0x10;
    status = ds_colmap_parse_images_bin(images_bin.data, images_bin.size, &cameras, &calibrations);
    assert_error(&status, DS_ERR_FORMAT, "truncated or corrupt");
    /* No images. */
    uint8_t zero_count[8] = {0};
    status = ds_colmap_parse_images_bin(zero_count, 8, &cameras, &calibrations);
    assert_error(&status, DS_ERR_FORMAT, "no views");

    ds_colmap_cameras_free(&cameras);
    ds_byte_buffer_free(&cameras_bin);
    ds_byte_buffer_free(&images_bin);
}

/* ---- the real capture (tests/../../shared/data), skipped when absent ---- */

static const char *real_capture_path(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/../../../shared/data/hifi4g-actor1-greeting", DS_TEST_DATA_DIR);
    return path;
}

static void the_hifi4g_capture_opens(void **state) {
    (void)state;
    struct stat info;
    if (stat(real_capture_path(), &info) != 0) {
        skip();
    }
    ds_capture_options options = ds_capture_default_options();
    options.scale = 0.5;
    ds_capture *capture = open_or_fail(real_capture_path(), &options);
    assert_int_equal(capture->source, DS_CAPTURE_TRANSFORMS_JSON);
    assert_int_equal(capture->view_count, 81);
    assert_int_equal(capture->frame_count, 1);
    assert_string_equal(capture->views[0].name, "0");
    assert_string_equal(capture->views[1].name, "1");
    assert_string_equal(capture->views[2].name, "10");
    assert_string_equal(capture->views[80].name, "9");

    double centroid[3] = {0, 0, 0};
    for (size_t v = 0; v < capture->view_count; v++) {
        double center[3];
        ds_camera_center(&capture->views[v].camera, center);
        for (int i = 0; i < 3; i++) {
            centroid[i] += center[i] / (double)capture->view_count;
        }
    }
    size_t held_out = 0;
    for (size_t v = 0; v < capture->view_count; v++) {
        const ds_capture_view *view = &capture->views[v];
        assert_int_equal(view->source_camera.width, 960);
        assert_int_equal(view->source_camera.height, 540);
        assert_int_equal(view->camera.width, 480);
        assert_int_equal(view->camera.height, 270);
        assert_true(view->camera.fx > 0 && view->camera.fy > 0);
        assert_true(view->distortion.k1 != 0.0);
        held_out += view->held_out;
        /* Every camera looks at the performer: the origin or the centroid of the camera
         * centres projects into the image or just beside it (within a tenth of its size: the
         * origin is 8 pixels above view 38's top edge at full size). */
        const double origin[3] = {0, 0, 0};
        const double *targets[2] = {origin, centroid};
        bool sees = false;
        for (int t = 0; t < 2; t++) {
            double p[3];
            ds_camera_to_camera_space(&view->camera, targets[t], p);
            double u = view->camera.fx * p[0] / p[2] + view->camera.cx;
            double w = view->camera.fy * p[1] / p[2] + view->camera.cy;
            double margin_u = 0.1 * view->camera.width, margin_v = 0.1 * view->camera.height;
            sees = sees || (p[2] > 0 && u >= -margin_u && u <= view->camera.width + margin_u &&
                            w >= -margin_v && w <= view->camera.height + margin_v);
        }
        if (!sees) {
            fail_msg("view %zu (%s) looks away from the origin and the cameras' centroid", v,
                     view->name);
        }
    }
    assert_int_equal(held_out, 11); /* 0, 8, ..., 80 */

    /* Two images: undistorted and halved; masked on white, so the corners are white. */
    for (size_t v = 0; v < 2; v++) {
        ds_image image;
        ds_status status = ds_capture_load_image(capture, v * 40, 0, &image);
        if (ds_failed(&status)) {
            fail_msg("%s", status.message);
        }
        assert_int_equal(image.width, 480);
        assert_int_equal(image.height, 270);
        double sum = 0.0;
        for (size_t i = 0; i < (size_t)image.width * (size_t)image.height * 3; i++) {
            assert_true(image.pixels[i] >= -1e-3f && image.pixels[i] <= 1.001f);
            sum += image.pixels[i];
        }
        assert_true(ds_image_pixel(&image, 1, 1)[0] > 0.9f);
        /* Not all white: the performer is in view. */
        assert_true(sum / ((double)image.width * image.height * 3) < 0.999);
        ds_image_free(&image);
    }
    ds_capture_free(capture);
}

int run_capture_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transforms_cameras_match_hand_computed_values),
        cmocka_unit_test(every_path_form_opens_the_capture),
        cmocka_unit_test(intrinsics_fall_back_to_the_top_level_and_the_field_of_view),
        cmocka_unit_test(views_are_held_out_and_frames_counted),
        cmocka_unit_test(scaling_resizes_cameras_and_images_together),
        cmocka_unit_test(undistortion_recovers_the_pinhole_image),
        cmocka_unit_test(the_distortion_model_is_opencv),
        cmocka_unit_test(colmap_text_and_binary_models_give_identical_cameras),
        cmocka_unit_test(colmap_undistortion_layout_has_frame_folders),
        cmocka_unit_test(missing_calibrations_are_reported),
        cmocka_unit_test(malformed_transforms_are_located),
        cmocka_unit_test(bad_cameras_and_images_are_reported_when_opening),
        cmocka_unit_test(malformed_colmap_models_are_reported),
        cmocka_unit_test(truncated_and_unsupported_binary_models_are_reported),
        cmocka_unit_test(the_hifi4g_capture_opens),
    };
    return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
