/* Whole synthetic captures: the capture reader opens them, their images agree with their
 * calibration to the last bit, a part's projected centre lands where the ray tracer shows that
 * part, bones.json holds the poses, the same settings give the same bytes (with any number of
 * threads), and reruns and interruptions never leave a capture that lies. */
#define _XOPEN_SOURCE 700
#include "synth_tests.h"
#include "test_support.h"

#include "tools/synth/raytrace.h"
#include "tools/synth/synth.h"

#include "formats/capture.h"
#include "formats/file_io.h"

#include <cjson/cJSON.h>
#include <ftw.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- folders and files ---- */

static char *make_temporary_directory(void) {
    char *directory = strdup("/tmp/dualsplat-synth-XXXXXX");
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

/* "<directory>/<relative>" in `path`. */
static const char *join_into(char *path, size_t capacity, const char *directory,
                             const char *relative) {
    int length = snprintf(path, capacity, "%s/%s", directory, relative);
    assert_true(length > 0 && (size_t)length < capacity);
    return path;
}

/* The joined path in a buffer that lives until the end of the enclosing block. */
#define join(directory, relative) join_into((char[4096]){0}, 4096, directory, relative)

static bool exists(const char *path) {
    struct stat info;
    return stat(path, &info) == 0;
}

static cJSON *read_json(const char *path) {
    size_t size;
    char *text = (char *)test_read_file(path, &size);
    cJSON *root = cJSON_ParseWithLength(text, size);
    free(text);
    if (!root) {
        fail_msg("%s is not valid JSON", path);
    }
    return root;
}

/* ---- generating ---- */

/* Small enough for the sanitizer build, large enough for thin parts to cover pixels. */
static ds_synth_settings small_settings(void) {
    ds_synth_settings s;
    assert_int_equal(ds_synth_preset("test", &s).code, DS_OK);
    s.views = 12;
    s.frames = 3;
    s.samples = 2;
    return s;
}

static void generate(const char *directory, const ds_synth_settings *settings) {
    ds_status status = ds_synth_generate(directory, settings, NULL, NULL);
    if (ds_failed(&status)) {
        fail_msg("cannot generate a capture in %s: %s", directory, status.message);
    }
}

typedef struct capture_fixture {
    char *root;
    const char *directory;
    ds_synth_settings settings;
    ds_synth_figure figure;
} capture_fixture;

static int make_capture(void **state) {
    capture_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->root = make_temporary_directory();
    f->directory = strdup(join(f->root, "capture"));
    f->settings = small_settings();
    ds_synth_figure_init(&f->figure, f->settings.seed);
    generate(f->directory, &f->settings);
    *state = f;
    return 0;
}

static int remove_capture(void **state) {
    capture_fixture *f = *state;
    remove_directory(f->root);
    free((char *)f->directory);
    free(f);
    return 0;
}

/* ---- the capture as the reader sees it ---- */

static void reader_opens_the_capture(void **state) {
    capture_fixture *f = *state;
    const char *paths[3] = {f->directory, join(f->directory, "image_white"),
                            join(f->directory, "image_white/transforms.json")};
    for (int i = 0; i < 3; i++) {
        ds_capture *capture;
        ds_status status = ds_capture_open(paths[i], NULL, &capture);
        if (ds_failed(&status)) {
            fail_msg("cannot open %s: %s", paths[i], status.message);
        }
        assert_int_equal(capture->source, DS_CAPTURE_TRANSFORMS_JSON);
        assert_int_equal(capture->view_count, (size_t)f->settings.views);
        assert_int_equal(capture->frame_count, f->settings.frames);
        bool seen[12] = {false};
        for (size_t v = 0; v < capture->view_count; v++) {
            const ds_capture_view *view = &capture->views[v];
            assert_int_equal(view->camera.width, 160);
            assert_int_equal(view->camera.height, 120);
            assert_true(ds_lens_distortion_is_zero(&view->distortion));
            int index = atoi(view->name);
            assert_true(index >= 0 && index < 12 && !seen[index]);
            seen[index] = true;
        }
        ds_capture_free(capture);
    }
    /* Listed in string order, as the HiFi4G and DualGS files are, with k1 = 0. */
    cJSON *root = read_json(join(f->directory, "image_white/transforms.json"));
    const char *expected[] = {"0", "1", "10", "11", "2", "3", "4", "5", "6", "7", "8", "9"};
    const cJSON *frames = cJSON_GetObjectItem(root, "frames");
    assert_int_equal(cJSON_GetArraySize(frames), 12);
    for (int i = 0; i < 12; i++) {
        const cJSON *frame = cJSON_GetArrayItem(frames, i);
        char file_path[32];
        snprintf(file_path, sizeof file_path, "./images/%s.png", expected[i]);
        assert_string_equal(cJSON_GetObjectItem(frame, "file_path")->valuestring, file_path);
        assert_true(cJSON_GetObjectItem(frame, "k1")->valuedouble == 0.0);
    }
    cJSON_Delete(root);
}

static float quantised(float value) {
    value = value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
    return (float)(int)(value * 255.0f + 0.5f) / 255.0f;
}

/* Rendering again with the cameras the reader rebuilt from transforms.json gives the images the
 * reader loads, to the last bit: the calibration is exactly what the images were made with. */
static void images_match_the_calibration(void **state) {
    capture_fixture *f = *state;
    ds_capture *capture;
    assert_int_equal(ds_capture_open(f->directory, NULL, &capture).code, DS_OK);
    for (int frame = 0; frame < f->settings.frames; frame += f->settings.frames - 1) {
        ds_synth_pose pose;
        ds_synth_motion_pose(&f->figure, f->settings.motion, frame / (double)DS_SYNTH_FPS, &pose);
        for (size_t v = 0; v < capture->view_count; v++) {
            ds_image loaded, rendered;
            assert_int_equal(ds_capture_load_image(capture, v, frame, &loaded).code, DS_OK);
            assert_int_equal(ds_image_create(160, 120, &rendered).code, DS_OK);
            assert_int_equal(ds_synth_render(&f->figure, &pose, &capture->views[v].camera,
                                             f->settings.samples, &rendered)
                                 .code,
                             DS_OK);
            size_t count = (size_t)160 * 120 * 3, figure_pixels = 0;
            for (size_t i = 0; i < count; i++) {
                if (fabsf(loaded.pixels[i] - quantised(rendered.pixels[i])) > 1e-6f) {
                    fail_msg("view %s frame %d: value %zu is %g, rendered %g",
                             capture->views[v].name, frame, i, loaded.pixels[i],
                             rendered.pixels[i]);
                }
                figure_pixels += loaded.pixels[i] < 0.9f;
            }
            /* The figure is in the picture, and it does not fill it. */
            assert_true(figure_pixels > count / 50 && figure_pixels < count / 2);
            ds_image_free(&loaded);
            ds_image_free(&rendered);
        }
    }
    ds_capture_free(capture);
}

/* A part's centre, projected with the reader's camera (u = fx x / z + cx), falls on a pixel whose
 * centre's ray the ray tracer sees hitting that part, and the image shows the figure there. */
static void projected_parts_land_on_their_pixels(void **state) {
    capture_fixture *f = *state;
    ds_capture *capture;
    assert_int_equal(ds_capture_open(f->directory, NULL, &capture).code, DS_OK);
    int frame = 1, visible = 0, agree = 0, total = 0;
    ds_synth_pose pose;
    ds_synth_motion_pose(&f->figure, f->settings.motion, frame / (double)DS_SYNTH_FPS, &pose);
    for (size_t v = 0; v < capture->view_count; v++) {
        const ds_camera *camera = &capture->views[v].camera;
        ds_image image;
        assert_int_equal(ds_capture_load_image(capture, v, frame, &image).code, DS_OK);
        double eye[3];
        ds_camera_center(camera, eye);
        for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
            const ds_synth_shape *shape = &f->figure.parts[p].shape;
            double local[3], center[3];
            for (int k = 0; k < 3; k++) {
                local[k] = shape->kind == DS_SYNTH_CAPSULE ? 0.5 * (shape->a[k] + shape->b[k])
                                                           : shape->center[k];
            }
            ds_synth_transform_point(&pose.world_from_part[p], local, center);
            total++;
            /* Seen from this camera, or hidden behind another part? */
            double towards[3] = {center[0] - eye[0], center[1] - eye[1], center[2] - eye[2]};
            ds_synth_hit hit;
            if (!ds_synth_trace(&f->figure, &pose, eye, towards, &hit) || hit.part != p) {
                continue;
            }
            visible++;
            double in_camera[3];
            ds_camera_to_camera_space(camera, center, in_camera);
            double u = camera->fx * in_camera[0] / in_camera[2] + camera->cx;
            double v_ = camera->fy * in_camera[1] / in_camera[2] + camera->cy;
            int x = (int)floor(u), y = (int)floor(v_);
            assert_true(x >= 0 && x < camera->width && y >= 0 && y < camera->height);
            double origin[3], direction[3];
            ds_synth_camera_ray(camera, x + 0.5, y + 0.5, origin, direction);
            const float *pixel = ds_image_pixel(&image, x, y);
            if (ds_synth_trace(&f->figure, &pose, origin, direction, &hit) && hit.part == p &&
                pixel[0] + pixel[1] + pixel[2] < 2.9f) {
                agree++;
            }
        }
        ds_image_free(&image);
    }
    printf("  %d of %d part centres visible, %d on a pixel of their part\n", visible, total, agree);
    assert_true(visible > total / 2);
    assert_true(agree >= visible * 95 / 100);
    ds_capture_free(capture);
}

static const cJSON *item(const cJSON *object, const char *key) {
    const cJSON *found = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!found) {
        fail_msg("bones.json lacks '%s'", key);
    }
    return found;
}

static void bones_json_holds_the_truth(void **state) {
    capture_fixture *f = *state;
    cJSON *root = read_json(join(f->directory, "bones.json"));
    assert_string_equal(item(root, "motion")->valuestring, "dance");
    assert_int_equal(item(root, "fps")->valueint, 30);
    assert_int_equal(item(root, "seed")->valueint, 1);
    assert_int_equal(item(root, "frame_count")->valueint, f->settings.frames);
    const cJSON *parts = item(root, "parts");
    assert_int_equal(cJSON_GetArraySize(parts), DS_SYNTH_PART_COUNT);
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const cJSON *part = cJSON_GetArrayItem(parts, p);
        const ds_synth_part *truth = &f->figure.parts[p];
        assert_string_equal(item(part, "name")->valuestring, truth->name);
        assert_string_equal(item(part, "shape")->valuestring,
                            truth->shape.kind == DS_SYNTH_CAPSULE ? "capsule" : "ellipsoid");
        const cJSON *parent = item(part, "parent");
        if (truth->parent < 0) {
            assert_true(cJSON_IsNull(parent));
        } else {
            assert_string_equal(parent->valuestring, f->figure.parts[truth->parent].name);
        }
        assert_int_equal(cJSON_GetArraySize(item(part, "colour")), 3);
    }
    const cJSON *frames = item(root, "frames");
    assert_int_equal(cJSON_GetArraySize(frames), f->settings.frames);
    for (int frame = 0; frame < f->settings.frames; frame++) {
        const cJSON *entry = cJSON_GetArrayItem(frames, frame);
        ds_synth_pose pose;
        ds_synth_motion_pose(&f->figure, f->settings.motion, frame / 30.0, &pose);
        const cJSON *transforms = item(entry, "world_from_part");
        for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
            const cJSON *rows = item(transforms, f->figure.parts[p].name);
            const ds_synth_transform *t = &pose.world_from_part[p];
            for (int i = 0; i < 4; i++) {
                const cJSON *row = cJSON_GetArrayItem(rows, i);
                for (int j = 0; j < 4; j++) {
                    double expected = i == 3
                                          ? (j == 3 ? 1.0 : 0.0)
                                          : (j == 3 ? t->translation[i] : t->rotation[3 * i + j]);
                    test_assert_close(cJSON_GetArrayItem(row, j)->valuedouble, expected, 1e-8,
                                      f->figure.parts[p].name, (size_t)(4 * i + j));
                }
            }
        }
        double joints[DS_SYNTH_JOINT_COUNT][3];
        ds_synth_pose_joints(&pose, joints);
        const cJSON *positions = item(entry, "joints");
        for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
            const cJSON *position = item(positions, ds_synth_joints()[j].name);
            for (int k = 0; k < 3; k++) {
                test_assert_close(cJSON_GetArrayItem(position, k)->valuedouble, joints[j][k], 1e-8,
                                  ds_synth_joints()[j].name, (size_t)k);
            }
        }
        if (frame == 0) {
            /* The head is well above the pelvis: row 1, column 3 is the height. */
            double head =
                cJSON_GetArrayItem(cJSON_GetArrayItem(item(transforms, "head"), 1), 3)->valuedouble;
            double pelvis = cJSON_GetArrayItem(cJSON_GetArrayItem(item(transforms, "pelvis"), 1), 3)
                                ->valuedouble;
            assert_true(head > pelvis + 0.4);
        }
    }
    cJSON_Delete(root);
}

/* ---- the test preset's motion ---- */

static void test_preset_hands_move(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    ds_synth_settings s;
    assert_int_equal(ds_synth_preset("test", &s).code, DS_OK);
    s.views = 2; /* the frames and the motion are the preset's; fewer images keep it quick */
    generate(root, &s);
    cJSON *bones = read_json(join(root, "bones.json"));
    const cJSON *frames = item(bones, "frames");
    assert_int_equal(cJSON_GetArraySize(frames), 12);
    double moved = 0.0;
    const char *hands[2] = {"l_wrist", "r_wrist"};
    for (int h = 0; h < 2; h++) {
        const cJSON *first = item(item(cJSON_GetArrayItem(frames, 0), "joints"), hands[h]);
        for (int frame = 1; frame < 12; frame++) {
            const cJSON *now = item(item(cJSON_GetArrayItem(frames, frame), "joints"), hands[h]);
            double d2 = 0.0;
            for (int k = 0; k < 3; k++) {
                double d = cJSON_GetArrayItem(now, k)->valuedouble -
                           cJSON_GetArrayItem(first, k)->valuedouble;
                d2 += d * d;
            }
            moved = fmax(moved, sqrt(d2));
        }
    }
    printf("  a hand moves %.2f m over the test preset\n", moved);
    assert_true(moved > 0.10);
    cJSON_Delete(bones);
    remove_directory(root);
}

/* ---- determinism ---- */

static void assert_same_file(const char *a, const char *b) {
    size_t size_a, size_b;
    uint8_t *data_a = test_read_file(a, &size_a), *data_b = test_read_file(b, &size_b);
    if (size_a != size_b || memcmp(data_a, data_b, size_a) != 0) {
        fail_msg("%s and %s differ", a, b);
    }
    free(data_a);
    free(data_b);
}

/* Compares every file two captures of the same settings should hold. */
static void assert_same_capture(const char *a, const char *b, const ds_synth_settings *s) {
    assert_same_file(join(a, "bones.json"), join(b, "bones.json"));
    assert_same_file(join(a, "image_white/transforms.json"),
                     join(b, "image_white/transforms.json"));
    for (int frame = 0; frame < s->frames; frame++) {
        for (int view = 0; view < s->views; view++) {
            char name[64];
            snprintf(name, sizeof name, "image_white/%d/%d.png", frame, view);
            assert_same_file(join(a, name), join(b, name));
        }
    }
}

static void same_bytes_every_time(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    ds_synth_settings s = small_settings();
    s.views = 5;
    s.frames = 2;
    s.width = 96;
    s.height = 72;
    int threads = omp_get_max_threads();
    generate(join(root, "a"), &s);
    generate(join(root, "b"), &s);
    assert_same_capture(join(root, "a"), join(root, "b"), &s);
    omp_set_num_threads(1);
    generate(join(root, "one"), &s);
    omp_set_num_threads(2);
    generate(join(root, "two"), &s);
    omp_set_num_threads(3);
    generate(join(root, "three"), &s);
    omp_set_num_threads(threads);
    assert_same_capture(join(root, "a"), join(root, "one"), &s);
    assert_same_capture(join(root, "one"), join(root, "two"), &s);
    assert_same_capture(join(root, "one"), join(root, "three"), &s);
    /* Another seed: other textures and intrinsics. */
    s.seed = 2;
    generate(join(root, "seed2"), &s);
    size_t size_a, size_b;
    uint8_t *a = test_read_file(join(root, "a/image_white/0/0.png"), &size_a);
    uint8_t *b = test_read_file(join(root, "seed2/image_white/0/0.png"), &size_b);
    assert_true(size_a != size_b || memcmp(a, b, size_a) != 0);
    free(a);
    free(b);
    remove_directory(root);
}

/* ---- reruns and interruptions ---- */

static void refuses_then_replaces(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    const char *directory = join(root, "capture");
    ds_synth_settings s = small_settings();
    s.views = 5;
    s.width = 64;
    s.height = 48;
    s.samples = 1;
    generate(directory, &s);
    assert_true(ds_synth_output_has_capture(directory));
    /* A file of the user's, which a rerun must leave alone. */
    assert_int_equal(ds_file_write_atomic(join(directory, "notes.txt"), "mine", 4).code, DS_OK);

    ds_status status = ds_synth_generate(directory, &s, NULL, NULL);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "holds a capture already"));

    /* Replaced by a smaller capture: the frames and views it lacks are gone. */
    s.overwrite = true;
    s.frames = 2;
    s.views = 3;
    generate(directory, &s);
    assert_false(exists(join(directory, "image_white/2")));
    assert_false(exists(join(directory, "image_white/0/3.png")));
    assert_false(exists(join(directory, "image_white/1/4.png")));
    assert_true(exists(join(directory, "image_white/1/2.png")));
    assert_true(exists(join(directory, "notes.txt")));
    ds_capture *capture;
    assert_int_equal(ds_capture_open(directory, NULL, &capture).code, DS_OK);
    assert_int_equal(capture->frame_count, 2);
    assert_int_equal(capture->view_count, 3);
    ds_capture_free(capture);
    remove_directory(root);
}

static bool stop_at_once(void *context, int done, int total) {
    (void)done;
    (void)total;
    (*(int *)context)++;
    return false;
}

static bool keep_going(void *context, int done, int total) {
    int *last = context;
    assert_true(done > *last && done <= total);
    *last = done;
    return true;
}

static void interrupted_run_leaves_no_capture(void **state) {
    (void)state;
    char *root = make_temporary_directory();
    const char *directory = join(root, "capture");
    ds_synth_settings s = small_settings();
    s.views = 4;
    s.width = 64;
    s.height = 48;
    s.samples = 1;
    generate(directory, &s);
    /* A forced rerun stopped early: the old calibration is gone, no new one written yet. */
    s.overwrite = true;
    int calls = 0;
    ds_status status = ds_synth_generate(directory, &s, stop_at_once, &calls);
    assert_int_equal(status.code, DS_ERR_INTERRUPTED);
    assert_int_equal(calls, 1);
    assert_false(exists(join(directory, "image_white/transforms.json")));
    assert_false(exists(join(directory, "bones.json")));
    assert_false(ds_synth_output_has_capture(directory));
    ds_capture *capture;
    assert_int_not_equal(ds_capture_open(directory, NULL, &capture).code, DS_OK);
    /* What is there is no capture, so a plain rerun may complete it. */
    s.overwrite = false;
    int last = 0;
    status = ds_synth_generate(directory, &s, keep_going, &last);
    assert_int_equal(status.code, DS_OK);
    assert_int_equal(last, s.frames * s.views);
    assert_int_equal(ds_capture_open(directory, NULL, &capture).code, DS_OK);
    ds_capture_free(capture);
    remove_directory(root);
}

static void bad_settings(void **state) {
    (void)state;
    ds_synth_settings s;
    ds_status status = ds_synth_preset("huge", &s);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    s = small_settings();
    s.views = 0;
    assert_int_equal(ds_synth_settings_check(&s).code, DS_ERR_ARGUMENT);
    s = small_settings();
    s.samples = 17;
    assert_int_equal(ds_synth_settings_check(&s).code, DS_ERR_ARGUMENT);
    s = small_settings();
    status = ds_synth_generate("/nonexistent-dualsplat/deeper/capture", &s, NULL, NULL);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_non_null(strstr(status.message, "cannot create the output folder"));
}

int run_capture_tests(void) {
    /* One capture serves the tests that only read it. */
    const struct CMUnitTest readers[] = {
        cmocka_unit_test(reader_opens_the_capture),
        cmocka_unit_test(images_match_the_calibration),
        cmocka_unit_test(projected_parts_land_on_their_pixels),
        cmocka_unit_test(bones_json_holds_the_truth),
    };
    const struct CMUnitTest writers[] = {
        cmocka_unit_test(test_preset_hands_move),
        cmocka_unit_test(same_bytes_every_time),
        cmocka_unit_test(refuses_then_replaces),
        cmocka_unit_test(interrupted_run_leaves_no_capture),
        cmocka_unit_test(bad_settings),
    };
    return cmocka_run_group_tests_name("synth capture", readers, make_capture, remove_capture) +
           cmocka_run_group_tests_name("synth capture writing", writers, NULL, NULL);
}
