#define _POSIX_C_SOURCE 200809L
/* VR playback against the headless test runtime (tests/xr/README.md), loaded by the real Khronos
 * loader with the core validation layer on: the session runs through its states to a clean exit
 * (the runtime's and the application's requests), a frame is submitted for every frame the
 * runtime gives, each eye's image equals a desktop render from that eye's pose and projection,
 * controller input moves playback only while focused, the stage falls back to local, the depth
 * layer follows the runtime's offer, and no headset is a clear error. */
#include "encoder/image_metrics.h"
#include "formats/png.h"
#include "player/gl_context.h"
#include "player/media.h"
#include "player/xr_player.h"
#include "render/gl_renderer.h"
#include "test_support.h"
#include "tools/sequence/av_sync.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef DS_TEST_XR_RUNTIME_JSON
#error "DS_TEST_XR_RUNTIME_JSON must name the test runtime's manifest"
#endif
#ifndef DS_SAMPLE
#error "DS_SAMPLE must name assets/sample.dsv"
#endif
#ifndef DS_DUALSPLAT
#error "DS_DUALSPLAT must name the dualsplat program"
#endif

static const double MIN_PSNR = 35.0;
static const uint32_t START_FRAME = 30;

typedef struct xr_test {
    char folder[256];
    char validation[300];
} xr_test;

/* A fresh output folder and script for one run, with the validation layer writing to a file. */
static void prepare(xr_test *t, const char *script) {
    snprintf(t->folder, sizeof t->folder, "/tmp/ds_xr_test_XXXXXX");
    assert_non_null(mkdtemp(t->folder));
    char path[320];
    snprintf(path, sizeof path, "%s/script.json", t->folder);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(script, file);
    fclose(file);
    snprintf(t->validation, sizeof t->validation, "%s/validation.txt", t->folder);
    setenv("XR_RUNTIME_JSON", DS_TEST_XR_RUNTIME_JSON, 1);
    setenv("XR_ENABLE_API_LAYERS", "XR_APILAYER_LUNARG_core_validation", 1);
    setenv("XR_CORE_VALIDATION_EXPORT_TYPE", "text", 1);
    setenv("XR_CORE_VALIDATION_FILE_NAME", t->validation, 1);
    setenv("DS_XR_TEST_SCRIPT", path, 1);
    setenv("DS_XR_TEST_OUTPUT", t->folder, 1);
}

static void clean(xr_test *t) {
    char command[320];
    snprintf(command, sizeof command, "rm -rf '%s'", t->folder);
    assert_int_equal(system(command), 0);
}

static cJSON *load_json(const char *folder, const char *name) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    size_t size;
    uint8_t *text = test_read_file(path, &size);
    cJSON *json = cJSON_ParseWithLength((const char *)text, size);
    free(text);
    if (!json) {
        fail_msg("%s is not JSON", path);
    }
    return json;
}

/* The validation layer reports misuse as lines naming a VUID or an error. */
static void assert_no_validation_errors(const xr_test *t) {
    FILE *file = fopen(t->validation, "r");
    if (!file) {
        return; /* nothing to report: the layer writes only when it has something */
    }
    char line[1024];
    int errors = 0;
    while (fgets(line, sizeof line, file)) {
        if (strstr(line, "VUID") || strstr(line, "Error") || strstr(line, "ERROR")) {
            print_message("validation: %s", line);
            errors++;
        }
    }
    fclose(file);
    assert_int_equal(errors, 0);
}

static ds_xr_player_options player_options(void) {
    return (ds_xr_player_options){.path = DS_SAMPLE,
                                  .playback = {.loop = true},
                                  .background = {1, 1, 1},
                                  .resolution_scale = 1.0,
                                  .start_frame = START_FRAME,
                                  .start_paused = true,
                                  .debug = true};
}

static void run_player(const ds_xr_player_options *options, ds_xr_player_report *report) {
    ds_status status = ds_xr_player_run(options, report);
    if (ds_failed(&status)) {
        fail_msg("play --xr: %s", status.message);
    }
    assert_int_equal(report->playback.gl_errors, 0);
}

static const char *string_of(const cJSON *json, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static double number_of(const cJSON *json, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
    if (cJSON_IsBool(item)) {
        return cJSON_IsTrue(item);
    }
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void states_of(const cJSON *report, char *out, size_t size) {
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(report, "states");
    assert_true(cJSON_IsArray(states));
    size_t used = 0;
    out[0] = '\0';
    const cJSON *state;
    cJSON_ArrayForEach(state, states) {
        used +=
            (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", state->valuestring);
    }
}

/* ---- the session's life ---- */

static void session_runs_through_its_states_to_exit(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"frames\": 24}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    run_player(&options, &report);
    cJSON *runtime = load_json(t.folder, "report.json");
    char states[512];
    states_of(runtime, states, sizeof states);
    print_message("states: %s; %llu frames submitted, %llu drawn; space %s\n", states,
                  (unsigned long long)report.frames_submitted,
                  (unsigned long long)report.frames_drawn, report.space);
    assert_string_equal(
        states,
        "IDLE READY SYNCHRONIZED VISIBLE FOCUSED VISIBLE SYNCHRONIZED STOPPING IDLE EXITING");
    assert_string_equal(report.states, states);
    /* Every frame the runtime gave was begun and ended; all but those before the first decoded
     * frame carry the eyes. */
    assert_int_equal(number_of(runtime, "frames_waited"), 24);
    assert_int_equal(number_of(runtime, "frames_begun"), 24);
    assert_int_equal(number_of(runtime, "frames_ended"), 24);
    assert_int_equal(report.frames_submitted, 24);
    assert_int_equal(number_of(runtime, "frames_with_projection"), report.frames_drawn);
    assert_true(report.frames_drawn >= 20);
    assert_true(number_of(runtime, "session_destroyed"));
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(runtime, "errors")) == 0);
    assert_string_equal(string_of(runtime, "reference_space"), "STAGE");
    assert_true(report.depth);
    assert_int_equal(number_of(runtime, "frames_with_depth"), report.frames_drawn);
    cJSON_Delete(runtime);
    assert_no_validation_errors(&t);
    clean(&t);
}

static void application_exit_request_ends_the_session(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"frames\": 0}");
    ds_xr_player_options options = player_options();
    options.frame_limit = 12;
    ds_xr_player_report report;
    run_player(&options, &report);
    cJSON *runtime = load_json(t.folder, "report.json");
    char states[512];
    states_of(runtime, states, sizeof states);
    assert_string_equal(
        states,
        "IDLE READY SYNCHRONIZED VISIBLE FOCUSED VISIBLE SYNCHRONIZED STOPPING IDLE EXITING");
    /* The runtime may hand out a frame or two between the request and stopping. */
    assert_true(report.frames_submitted >= 12 && report.frames_submitted <= 14);
    assert_int_equal(number_of(runtime, "frames_ended"), report.frames_submitted);
    cJSON_Delete(runtime);
    assert_no_validation_errors(&t);
    clean(&t);
}

/* ---- what the eyes see ---- */

static ds_xr_pose pose_of(const cJSON *json) {
    ds_xr_pose pose;
    const cJSON *position = cJSON_GetObjectItemCaseSensitive(json, "position"),
                *orientation = cJSON_GetObjectItemCaseSensitive(json, "orientation");
    for (int k = 0; k < 3; k++) {
        pose.position[k] = cJSON_GetArrayItem(position, k)->valuedouble;
    }
    for (int k = 0; k < 4; k++) {
        pose.orientation[k] = cJSON_GetArrayItem(orientation, k)->valuedouble;
    }
    return pose;
}

static ds_xr_fov fov_of(const cJSON *json) {
    return (ds_xr_fov){
        cJSON_GetArrayItem(json, 0)->valuedouble, cJSON_GetArrayItem(json, 1)->valuedouble,
        cJSON_GetArrayItem(json, 2)->valuedouble, cJSON_GetArrayItem(json, 3)->valuedouble};
}

/* The desktop renderer's image of the frame's Gaussians from `camera`, with the guards the
 * headset path uses at life-size (player/xr_player.c). */
static ds_image desktop_render(const ds_gaussian_cloud *cloud, const ds_camera *camera) {
    ds_gl_scene scene = ds_gl_scene_of_cloud(cloud);
    ds_gl_renderer *renderer;
    assert_int_equal(ds_gl_renderer_create(&scene, 1, &renderer).code, DS_OK);
    ds_gl_frame_info info;
    ds_gl_frame_fill_cloud(ds_gl_renderer_layout(renderer), cloud, ds_gl_renderer_slot(renderer, 0),
                           &info);
    ds_gl_draw_options options = {
        .background = {1, 1, 1},
        .near_plane = 0.05f,
        .guards = {.fade_start = 0.2f, .fade_end = 0.1f, .max_radius = 0.25f * camera->height}};
    assert_int_equal(ds_gl_renderer_draw(renderer, 0, &info, camera, &options).code, DS_OK);
    ds_image image;
    assert_int_equal(ds_gl_renderer_read_image(renderer, &image).code, DS_OK);
    ds_gl_renderer_free(renderer);
    return image;
}

static void eyes_match_desktop_renders_from_their_poses(void **state) {
    (void)state;
    xr_test t;
    /* The head moves and turns between keys; frame 9 is between them. */
    prepare(&t, "{\"frames\": 12, \"view_size\": [320, 256], \"capture\": [9],"
                " \"head\": [{\"frame\": 0, \"position\": [0, 1.6, 0], \"orientation\": [0, 0, 0, "
                "1]}, {\"frame\": 12, \"position\": [0.25, 1.4, -0.2], \"orientation\": [0, "
                "0.1305, 0, 0.9914]}]}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    run_player(&options, &report);

    ds_gl_context context;
    ds_gl_context_options context_options = {.title = "reference", .width = 64, .height = 64};
    assert_int_equal(ds_gl_context_create(&context_options, &context).code, DS_OK);
    ds_media *media;
    assert_int_equal(ds_media_open(DS_SAMPLE, &media).code, DS_OK);
    ds_gaussian_cloud *cloud;
    assert_int_equal(ds_media_frame_cloud(media, START_FRAME, &cloud).code, DS_OK);
    ds_image eyes[2];
    for (int e = 0; e < 2; e++) {
        char name[64];
        snprintf(name, sizeof name, "frame9_eye%d.json", e);
        cJSON *submitted = load_json(t.folder, name);
        ds_xr_pose pose = pose_of(cJSON_GetObjectItemCaseSensitive(submitted, "pose")),
                   expected = pose_of(cJSON_GetObjectItemCaseSensitive(submitted, "expected_pose"));
        for (int k = 0; k < 3; k++) {
            test_assert_close(pose.position[k], expected.position[k], 1e-5, "eye position", 0);
        }
        ds_xr_fov fov = fov_of(cJSON_GetObjectItemCaseSensitive(submitted, "fov"));
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(submitted, "size");
        int width = cJSON_GetArrayItem(size, 0)->valueint,
            height = cJSON_GetArrayItem(size, 1)->valueint;
        assert_int_equal(width, 320);
        assert_int_equal(height, 256);
        assert_string_equal(string_of(submitted, "format"), "GL_SRGB8_ALPHA8");
        assert_true(number_of(submitted, "depth"));
        cJSON_Delete(submitted);

        ds_camera camera = ds_xr_eye_camera(&report.placement, &pose, &fov, width, height);
        ds_image expected_image = desktop_render(cloud, &camera);
        char png[400];
        snprintf(png, sizeof png, "%s/frame9_eye%d.png", t.folder, e);
        const float background[3] = {1, 1, 1};
        assert_int_equal(ds_png_load(png, background, &eyes[e]).code, DS_OK);
        double psnr;
        assert_int_equal(ds_image_psnr(&expected_image, &eyes[e], &psnr).code, DS_OK);
        /* Not a blank image on both sides. */
        double blank_psnr;
        ds_image blank;
        assert_int_equal(ds_image_create(width, height, &blank).code, DS_OK);
        for (size_t i = 0; i < (size_t)width * (size_t)height * 3; i++) {
            blank.pixels[i] = 1.0f;
        }
        assert_int_equal(ds_image_psnr(&expected_image, &blank, &blank_psnr).code, DS_OK);
        print_message("eye %d: headset vs desktop render %.2f dB (%.1f dB from blank)\n", e, psnr,
                      blank_psnr);
        assert_true(blank_psnr < 25.0);
        if (psnr < MIN_PSNR) {
            fail_msg("eye %d: %.2f dB < %.0f dB", e, psnr, MIN_PSNR);
        }
        ds_image_free(&blank);
        ds_image_free(&expected_image);
    }
    /* The eyes differ: each has its own pose. */
    double between;
    assert_int_equal(ds_image_psnr(&eyes[0], &eyes[1], &between).code, DS_OK);
    assert_true(between < 40.0);
    ds_image_free(&eyes[0]);
    ds_image_free(&eyes[1]);
    ds_gaussian_cloud_free(cloud);
    ds_media_free(media);
    ds_gl_context_destroy(&context);
    assert_no_validation_errors(&t);
    clean(&t);
}

/* ---- input, spaces, no headset ---- */

static void thumbstick_scales_the_performer_only_while_focused(void **state) {
    (void)state;
    xr_test t;
    /* Held up for frames 2-9 (focused), then again for 12-19, while focus is lost. */
    prepare(&t,
            "{\"frames\": 24, \"profile\": \"/interaction_profiles/oculus/touch_controller\","
            " \"focus_loss\": [[11, 22]],"
            " \"inputs\": [{\"frame\": 2, \"path\": \"/user/hand/right/input/thumbstick\","
            " \"value\": [0, 1]}, {\"frame\": 10, \"path\": "
            "\"/user/hand/right/input/thumbstick\", \"value\": [0, 0]},"
            " {\"frame\": 12, \"path\": \"/user/hand/right/input/thumbstick\", \"value\": [0, "
            "1]}, {\"frame\": 3, \"path\": \"/user/hand/right/input/a/click\", \"value\": 1}]}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    run_player(&options, &report);
    /* 8 frames at 72 Hz held fully up: 2^(0.5 * 8 / 72). */
    double expected = pow(2.0, 0.5 * 8.0 / 72.0);
    print_message("scale %.4f (expected %.4f); %llu frames shown\n", report.placement.scale,
                  expected, (unsigned long long)report.playback.frames_shown);
    test_assert_close(report.placement.scale, expected, 0.01, "performer scale", 0);
    /* A pressed: playing from frame 3 on (paused, one frame would be shown). */
    assert_true(report.playback.frames_shown > 1);
    cJSON *runtime = load_json(t.folder, "report.json");
    char states[512];
    states_of(runtime, states, sizeof states);
    assert_string_equal(states, "IDLE READY SYNCHRONIZED VISIBLE FOCUSED VISIBLE FOCUSED VISIBLE "
                                "SYNCHRONIZED STOPPING "
                                "IDLE EXITING");
    cJSON_Delete(runtime);
    assert_no_validation_errors(&t);
    clean(&t);
}

static void index_buttons_seek_and_simple_menu_recentres(void **state) {
    (void)state;
    xr_test t;
    /* Valve Index: left B seeks a second forward, left A a second back: forward, back,
     * forward while paused at START_FRAME. */
    prepare(
        &t,
        "{\"frames\": 16, \"profile\": \"/interaction_profiles/valve/index_controller\","
        " \"inputs\": [{\"frame\": 4, \"path\": \"/user/hand/left/input/b/click\", \"value\": 1},"
        " {\"frame\": 5, \"path\": \"/user/hand/left/input/b/click\", \"value\": 0},"
        " {\"frame\": 7, \"path\": \"/user/hand/left/input/a/click\", \"value\": 1},"
        " {\"frame\": 10, \"path\": \"/user/hand/left/input/b/click\", \"value\": 1}]}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    run_player(&options, &report);
    ds_media *media;
    assert_int_equal(ds_media_open(DS_SAMPLE, &media).code, DS_OK);
    uint32_t second = (uint32_t)lround(ds_media_fps(media));
    ds_media_free(media);
    print_message("paused at %u, seeks of +1, -1, +1 s: frame %u\n", START_FRAME,
                  report.last_frame);
    assert_int_equal(report.last_frame, START_FRAME + second);
    assert_no_validation_errors(&t);
    clean(&t);

    /* Simple controller: the head turns to look along +x, then the right menu button recentres:
     * the performer moves in front of the new gaze. */
    prepare(&t,
            "{\"frames\": 16, \"profile\": \"/interaction_profiles/khr/simple_controller\","
            " \"head\": [{\"frame\": 0, \"position\": [0, 1.6, 0], \"orientation\": [0, 0, 0, 1]},"
            " {\"frame\": 4, \"position\": [0, 1.6, 0], \"orientation\": [0, -0.7071068, 0, "
            "0.7071068]}],"
            " \"inputs\": [{\"frame\": 8, \"path\": \"/user/hand/right/input/menu/click\", "
            "\"value\": 1}]}");
    options.distance = 2.0;
    run_player(&options, &report);
    print_message("recentred at (%.3f, %.3f, %.3f)\n", report.placement.position[0],
                  report.placement.position[1], report.placement.position[2]);
    test_assert_close(report.placement.position[0], 2.0, 1e-3, "recentred x", 0);
    test_assert_close(report.placement.position[1], 0.0, 1e-9, "on the floor", 0);
    test_assert_close(report.placement.position[2], 0.0, 1e-3, "recentred z", 0);
    assert_no_validation_errors(&t);
    clean(&t);
}

static void without_a_stage_plays_in_local_space_and_without_depth(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"frames\": 6, \"stage\": false, \"depth_extension\": false}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    run_player(&options, &report);
    assert_string_equal(report.space, "LOCAL");
    assert_false(report.depth);
    cJSON *runtime = load_json(t.folder, "report.json");
    assert_string_equal(string_of(runtime, "reference_space"), "LOCAL");
    assert_int_equal(number_of(runtime, "frames_with_depth"), 0);
    cJSON_Delete(runtime);
    assert_no_validation_errors(&t);
    clean(&t);
}

static void no_headset_is_a_clear_error(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"no_headset\": true}");
    ds_xr_player_options options = player_options();
    ds_xr_player_report report;
    ds_status status = ds_xr_player_run(&options, &report);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(status.message, "no VR headset"));
    clean(&t);
}

/* ---- the command ---- */

static void play_xr_command_runs_and_falls_back(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"frames\": 8}");
    char command[1024];
    snprintf(command, sizeof command, "'%s' play --xr --json '%s' 2>&1", DS_DUALSPLAT, DS_SAMPLE);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    char output[4096] = "";
    size_t used = fread(output, 1, sizeof output - 1, pipe);
    output[used] = '\0';
    assert_int_equal(pclose(pipe), 0);
    print_message("%s", output);
    assert_non_null(strstr(output, "\"frames_submitted\": 8"));
    assert_non_null(strstr(output, "EXITING"));
    clean(&t);

    /* Ctrl-C ends the session through the runtime: a clean exit, not a killed client. */
    prepare(&t, "{\"frames\": 0}");
    snprintf(command, sizeof command,
             "timeout --preserve-status -s INT 5 '%s' play --xr --json '%s' 2>&1", DS_DUALSPLAT,
             DS_SAMPLE);
    pipe = popen(command, "r");
    used = fread(output, 1, sizeof output - 1, pipe);
    output[used] = '\0';
    assert_int_equal(pclose(pipe), 0);
    assert_non_null(strstr(output, "STOPPING IDLE EXITING"));
    cJSON *runtime = load_json(t.folder, "report.json");
    assert_true(number_of(runtime, "session_destroyed"));
    cJSON_Delete(runtime);
    clean(&t);

    prepare(&t, "{\"no_headset\": true}");
    snprintf(command, sizeof command, "'%s' play --xr '%s' 2>&1", DS_DUALSPLAT, DS_SAMPLE);
    pipe = popen(command, "r");
    used = fread(output, 1, sizeof output - 1, pipe);
    output[used] = '\0';
    assert_int_not_equal(pclose(pipe), 0);
    assert_non_null(strstr(output, "dualsplat: play --xr: no VR headset is connected"));
    snprintf(command, sizeof command,
             "'%s' play --xr --xr-fallback --frames 2 --no-overlay '%s' 2>&1", DS_DUALSPLAT,
             DS_SAMPLE);
    pipe = popen(command, "r");
    used = fread(output, 1, sizeof output - 1, pipe);
    output[used] = '\0';
    assert_int_equal(pclose(pipe), 0);
    assert_non_null(strstr(output, "playing on the desktop instead (--xr-fallback)"));
    clean(&t);
}

/* A stream with sound: one frame shown for a second at 1 fps, with a second of clicks. Played in
 * the headset, the sound goes through OpenAL Soft (its "wave" backend writing what the listener
 * hears) placed where the performer stands, with HRTF; plain stereo on request. */
static void sound_plays_from_the_performer(void **state) {
    (void)state;
    xr_test t;
    prepare(&t, "{\"frames\": 30}");
    char wav[400], stream[400], heard[400], config[400], command[2048];
    snprintf(wav, sizeof wav, "%s/clicks.wav", t.folder);
    snprintf(stream, sizeof stream, "%s/voice.dsv", t.folder);
    snprintf(heard, sizeof heard, "/tmp/ds_xr_heard_%d.wav", (int)getpid());
    snprintf(config, sizeof config, "/tmp/ds_xr_heard_%d.conf", (int)getpid());
    assert_int_equal(ds_av_sync_write_click_wav(wav, 1, 1.0, 1, 48000).code, DS_OK);
    snprintf(command, sizeof command, "'%s' pack '%s' -o '%s' --fps 1 --audio '%s' -q",
             DS_DUALSPLAT, test_data_path("fruit_drops_minimal.ply"), stream, wav);
    assert_int_equal(system(command), 0);
    /* OpenAL Soft reads its configuration at its first call, which is this test's. */
    FILE *file = fopen(config, "w");
    assert_non_null(file);
    fprintf(file, "[general]\ndrivers = wave\n[wave]\nfile = %s\n", heard);
    fclose(file);
    setenv("ALSOFT_CONF", config, 1);
    setenv("ALSOFT_LOGLEVEL", "0", 1);
    for (int stereo = 0; stereo < 2; stereo++) {
        ds_xr_player_options options = player_options();
        options.path = stream;
        options.start_frame = 0;
        options.start_paused = false;
        options.stereo_sound = stereo;
        ds_xr_player_report report;
        unlink(heard);
        run_player(&options, &report);
        assert_true(report.playback.sound);
        assert_int_equal(report.hrtf, !stereo);
        size_t size;
        uint8_t *bytes = test_read_file(heard, &size);
        assert_true(size > 1000);
        free(bytes);
    }
    unlink(heard);
    unlink(config);
    clean(&t);
}

static int setup(void **state) {
    (void)state;
    /* The loader's own messages would only repeat our errors. */
    setenv("XR_LOADER_DEBUG", "none", 1);
    return 0;
}

static int run_xr_player_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_runs_through_its_states_to_exit),
        cmocka_unit_test(application_exit_request_ends_the_session),
        cmocka_unit_test(eyes_match_desktop_renders_from_their_poses),
        cmocka_unit_test(thumbstick_scales_the_performer_only_while_focused),
        cmocka_unit_test(index_buttons_seek_and_simple_menu_recentres),
        cmocka_unit_test(without_a_stage_plays_in_local_space_and_without_depth),
        cmocka_unit_test(no_headset_is_a_clear_error),
        cmocka_unit_test(play_xr_command_runs_and_falls_back),
        cmocka_unit_test(sound_plays_from_the_performer),
    };
    return cmocka_run_group_tests_name("xr_player", tests, setup, NULL);
}

int main(int argc, char **argv) {
    const test_group groups[] = {{"player", run_xr_player_tests}};
    return test_run_groups("test_xr_player", groups, 1, argc, argv);
}
