/* test_xr_runtime [runtime]: the headless OpenXR test runtime (tests/xr/README.md) driven as an
 * application drives it: through the real Khronos loader (XR_RUNTIME_JSON names the runtime's
 * manifest), with the core validation layer on, on an OpenGL context from player/gl_context.h.
 * Each test writes a script, runs a session, and checks what the application saw and what the
 * runtime wrote: report.json and the captured views. */
#define _POSIX_C_SOURCE 200809L
#include "player/gl_context.h"
#include "test_support.h"

#include <GL/glew.h>

#include <GL/glx.h>

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <cjson/cJSON.h>
#include <png.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef DS_TEST_XR_RUNTIME_JSON
#error "DS_TEST_XR_RUNTIME_JSON must name the test runtime's manifest"
#endif

enum { VIEW_WIDTH = 64, VIEW_HEIGHT = 48, MAX_FRAMES = 200 };
/* The projection views' sub-image: inside the swapchain image, so that the read-back must honour
 * the offset; its upper half (GL rows SUB_Y + SUB_HEIGHT / 2 and up) gets another colour, so that
 * the PNG's row order shows. */
enum { SUB_X = 8, SUB_Y = 4, SUB_WIDTH = 48, SUB_HEIGHT = 40 };
static const uint8_t LOWER_COLOURS[2][4] = {{200, 100, 50, 255}, {10, 220, 130, 255}};
static const uint8_t UPPER_COLOURS[2][4] = {{30, 60, 90, 255}, {250, 240, 5, 255}};
/* Submitted poses are the located ones moved this far along x, so that the capture's `pose`
 * (what was submitted) and `expected_pose` (the runtime's own) differ. */
static const float POSE_NUDGE = 0.01f;
static const float DEPTH_NEAR = 0.05f, DEPTH_FAR = 100.0f;

static ds_gl_context gl;
static char validation_log[512];

/* ---- one run of the runtime: instance, session, swapchains ---- */

typedef struct xr_run {
    char folder[512]; /* a temporary folder: script.json and output/ */
    char output[600];
    bool validation;
    XrInstance instance;
    XrSystemId system;
    XrSession session;
    XrSpace space; /* the layers' space */
    bool with_depth;
    XrSwapchain colour[2], depth[2];
    uint32_t colour_images[2][3];
    XrSessionState state;
    bool running, exiting;
    XrSessionState seen[64]; /* the state events the application received */
    size_t seen_count;
    XrFrameState frame_state;
    int64_t frame; /* index of the last xrWaitFrame */
} xr_run;

static void xr_check(XrResult result, const char *call) {
    if (XR_FAILED(result)) {
        fail_msg("%s failed: XrResult %d", call, (int)result);
    }
}
#define XR_OK(call) xr_check((call), #call)

static void write_file(const char *path, const char *text) {
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
}

static bool extension_offered(const char *name) {
    uint32_t count = 0;
    XR_OK(xrEnumerateInstanceExtensionProperties(NULL, 0, &count, NULL));
    XrExtensionProperties *properties = calloc(count, sizeof *properties);
    assert_non_null(properties);
    for (uint32_t i = 0; i < count; i++) {
        properties[i].type = XR_TYPE_EXTENSION_PROPERTIES;
    }
    XR_OK(xrEnumerateInstanceExtensionProperties(NULL, count, &count, properties));
    bool found = false;
    for (uint32_t i = 0; i < count; i++) {
        found = found || strcmp(properties[i].extensionName, name) == 0;
    }
    free(properties);
    return found;
}

/* The one run in progress. Static, so that after a failed assertion (cmocka jumps out of the
 * test) the test's teardown can still destroy its instance for the next test. */
static xr_run current_run;

/* Writes the script, points the runtime at it and at a fresh output folder, and creates the
 * instance (with the validation layer unless `validation` is false). */
static xr_run *start_run(const char *script, bool validation) {
    xr_run *run = &current_run;
    *run = (xr_run){.frame = -1, .validation = validation};
    const char *temporary = getenv("TMPDIR");
    snprintf(run->folder, sizeof run->folder, "%s/ds_xr_test_XXXXXX",
             temporary && *temporary ? temporary : "/tmp");
    assert_non_null(mkdtemp(run->folder));
    assert_true(snprintf(run->output, sizeof run->output, "%s/output", run->folder) <
                (int)sizeof run->output);
    assert_int_equal(mkdir(run->output, 0700), 0);
    char script_path[700];
    assert_true(snprintf(script_path, sizeof script_path, "%s/script.json", run->folder) <
                (int)sizeof script_path);
    write_file(script_path, script);
    setenv("DS_XR_TEST_SCRIPT", script_path, 1);
    setenv("DS_XR_TEST_OUTPUT", run->output, 1);
    if (validation) {
        setenv("XR_ENABLE_API_LAYERS", "XR_APILAYER_LUNARG_core_validation", 1);
        setenv("XR_CORE_VALIDATION_EXPORT_TYPE", "text", 1);
        setenv("XR_CORE_VALIDATION_FILE_NAME", validation_log, 1);
        remove(validation_log);
    } else {
        unsetenv("XR_ENABLE_API_LAYERS");
    }

    assert_true(extension_offered(XR_KHR_OPENGL_ENABLE_EXTENSION_NAME));
    const char *extensions[2] = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                                 XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
    bool depth = extension_offered(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    XrInstanceCreateInfo info = {
        .type = XR_TYPE_INSTANCE_CREATE_INFO,
        .applicationInfo = {.applicationName = "test_xr_runtime",
                            .applicationVersion = 1,
                            .engineName = "dualsplat",
                            .apiVersion = XR_CURRENT_API_VERSION},
        .enabledExtensionCount = depth ? 2 : 1,
        .enabledExtensionNames = extensions,
    };
    XR_OK(xrCreateInstance(&info, &run->instance));
    run->with_depth = depth;
    return run;
}

static XrPath path_of(const xr_run *run, const char *string) {
    XrPath path;
    XR_OK(xrStringToPath(run->instance, string, &path));
    return path;
}

/* The Xlib binding of the current GLX context (SDL's, under Xvfb). */
static XrGraphicsBindingOpenGLXlibKHR current_glx_binding(void) {
    XrGraphicsBindingOpenGLXlibKHR binding = {.type = XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR};
    binding.xDisplay = glXGetCurrentDisplay();
    binding.glxContext = glXGetCurrentContext();
    binding.glxDrawable = glXGetCurrentDrawable();
    if (!binding.xDisplay || !binding.glxContext) {
        fail_msg("the test's OpenGL context is not a GLX context (run under Xvfb)");
    }
    int config_id = 0, screen = 0;
    glXQueryContext(binding.xDisplay, binding.glxContext, GLX_FBCONFIG_ID, &config_id);
    glXQueryContext(binding.xDisplay, binding.glxContext, GLX_SCREEN, &screen);
    const int attributes[] = {GLX_FBCONFIG_ID, config_id, None};
    int count = 0;
    GLXFBConfig *configs = glXChooseFBConfig(binding.xDisplay, screen, attributes, &count);
    assert_true(configs && count > 0);
    binding.glxFBConfig = configs[0];
    XVisualInfo *visual = glXGetVisualFromFBConfig(binding.xDisplay, configs[0]);
    assert_non_null(visual);
    binding.visualid = (uint32_t)visual->visualid;
    XFree(visual);
    XFree(configs);
    return binding;
}

static void get_system(xr_run *run) {
    XrSystemGetInfo info = {.type = XR_TYPE_SYSTEM_GET_INFO,
                            .formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY};
    XR_OK(xrGetSystem(run->instance, &info, &run->system));
}

static void create_session(xr_run *run, XrReferenceSpaceType space_type) {
    get_system(run);
    PFN_xrGetOpenGLGraphicsRequirementsKHR get_requirements = NULL;
    XR_OK(xrGetInstanceProcAddr(run->instance, "xrGetOpenGLGraphicsRequirementsKHR",
                                (PFN_xrVoidFunction *)&get_requirements));
    XrGraphicsRequirementsOpenGLKHR requirements = {.type =
                                                        XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
    XR_OK(get_requirements(run->instance, run->system, &requirements));
    assert_true(requirements.minApiVersionSupported <= XR_MAKE_VERSION(4, 5, 0));

    XrGraphicsBindingOpenGLXlibKHR binding = current_glx_binding();
    XrSessionCreateInfo info = {
        .type = XR_TYPE_SESSION_CREATE_INFO, .next = &binding, .systemId = run->system};
    XR_OK(xrCreateSession(run->instance, &info, &run->session));
    XrReferenceSpaceCreateInfo space_info = {
        .type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO,
        .referenceSpaceType = space_type,
        .poseInReferenceSpace = {.orientation = {0, 0, 0, 1}},
    };
    XR_OK(xrCreateReferenceSpace(run->session, &space_info, &run->space));
}

static XrSwapchain create_swapchain(const xr_run *run, int64_t format, XrSwapchainUsageFlags usage,
                                    uint32_t *images) {
    XrSwapchainCreateInfo info = {
        .type = XR_TYPE_SWAPCHAIN_CREATE_INFO,
        .usageFlags = usage,
        .format = format,
        .sampleCount = 1,
        .width = VIEW_WIDTH,
        .height = VIEW_HEIGHT,
        .faceCount = 1,
        .arraySize = 1,
        .mipCount = 1,
    };
    XrSwapchain swapchain;
    XR_OK(xrCreateSwapchain(run->session, &info, &swapchain));
    uint32_t count = 0;
    XR_OK(xrEnumerateSwapchainImages(swapchain, 0, &count, NULL));
    assert_int_equal(count, 3);
    XrSwapchainImageOpenGLKHR gl_images[3];
    for (uint32_t i = 0; i < 3; i++) {
        gl_images[i] = (XrSwapchainImageOpenGLKHR){.type = XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR};
    }
    XR_OK(
        xrEnumerateSwapchainImages(swapchain, 3, &count, (XrSwapchainImageBaseHeader *)gl_images));
    for (uint32_t i = 0; i < 3; i++) {
        assert_true(glIsTexture(gl_images[i].image));
        if (images) {
            images[i] = gl_images[i].image;
        }
    }
    return swapchain;
}

static void create_swapchains(xr_run *run) {
    for (int eye = 0; eye < 2; eye++) {
        run->colour[eye] = create_swapchain(run, GL_SRGB8_ALPHA8,
                                            XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT |
                                                XR_SWAPCHAIN_USAGE_TRANSFER_DST_BIT,
                                            run->colour_images[eye]);
        if (run->with_depth) {
            run->depth[eye] = create_swapchain(
                run, GL_DEPTH_COMPONENT32F, XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT, NULL);
        }
    }
}

/* Polls every event, beginning the session on READY and ending it on STOPPING. */
static void pump_events(xr_run *run) {
    XrEventDataBuffer event = {.type = XR_TYPE_EVENT_DATA_BUFFER};
    while (xrPollEvent(run->instance, &event) == XR_SUCCESS) {
        if (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
            const XrEventDataSessionStateChanged *changed =
                (const XrEventDataSessionStateChanged *)&event;
            assert_true(changed->session == run->session);
            run->state = changed->state;
            assert_true(run->seen_count < sizeof run->seen / sizeof run->seen[0]);
            run->seen[run->seen_count++] = changed->state;
            if (changed->state == XR_SESSION_STATE_READY) {
                XrSessionBeginInfo begin = {.type = XR_TYPE_SESSION_BEGIN_INFO,
                                            .primaryViewConfigurationType =
                                                XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO};
                XR_OK(xrBeginSession(run->session, &begin));
                run->running = true;
            } else if (changed->state == XR_SESSION_STATE_STOPPING) {
                XR_OK(xrEndSession(run->session));
                run->running = false;
            } else if (changed->state == XR_SESSION_STATE_EXITING) {
                run->exiting = true;
            }
        }
        event = (XrEventDataBuffer){.type = XR_TYPE_EVENT_DATA_BUFFER};
    }
}

static void wait_frame(xr_run *run) {
    run->frame_state = (XrFrameState){.type = XR_TYPE_FRAME_STATE};
    XR_OK(xrWaitFrame(run->session, NULL, &run->frame_state));
    run->frame++;
    assert_int_equal(run->frame_state.predictedDisplayPeriod, 13888889);
}

static void locate_views(const xr_run *run, XrSpace space, XrTime time, XrView views[2]) {
    XrViewLocateInfo info = {.type = XR_TYPE_VIEW_LOCATE_INFO,
                             .viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                             .displayTime = time,
                             .space = space};
    XrViewState state = {.type = XR_TYPE_VIEW_STATE};
    views[0] = views[1] = (XrView){.type = XR_TYPE_VIEW};
    uint32_t count = 0;
    XR_OK(xrLocateViews(run->session, &info, &state, 2, &count, views));
    assert_int_equal(count, 2);
    assert_true(state.viewStateFlags & XR_VIEW_STATE_POSITION_VALID_BIT);
    assert_true(state.viewStateFlags & XR_VIEW_STATE_ORIENTATION_VALID_BIT);
}

static uint32_t acquire_image(XrSwapchain swapchain) {
    uint32_t index = 0;
    XR_OK(xrAcquireSwapchainImage(swapchain, NULL, &index));
    XrSwapchainImageWaitInfo wait = {.type = XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO,
                                     .timeout = XR_INFINITE_DURATION};
    XR_OK(xrWaitSwapchainImage(swapchain, &wait));
    return index;
}

static void release_image(XrSwapchain swapchain) {
    XR_OK(xrReleaseSwapchainImage(swapchain, NULL));
}

/* Clears each eye's next image (the colours above, sRGB bytes stored as given) and releases
 * every image, so that the frame can be submitted. */
static void render_eyes(const xr_run *run) {
    for (int eye = 0; eye < 2; eye++) {
        GLuint texture = run->colour_images[eye][acquire_image(run->colour[eye])];
        glClearTexImage(texture, 0, GL_RGBA, GL_UNSIGNED_BYTE, LOWER_COLOURS[eye]);
        glClearTexSubImage(texture, 0, SUB_X, SUB_Y + SUB_HEIGHT / 2, 0, SUB_WIDTH, SUB_HEIGHT / 2,
                           1, GL_RGBA, GL_UNSIGNED_BYTE, UPPER_COLOURS[eye]);
        release_image(run->colour[eye]);
        if (run->with_depth) {
            acquire_image(run->depth[eye]);
            release_image(run->depth[eye]);
        }
    }
}

static XrSwapchainSubImage sub_image_of(XrSwapchain swapchain) {
    return (XrSwapchainSubImage){
        .swapchain = swapchain,
        .imageRect = {.offset = {SUB_X, SUB_Y}, .extent = {SUB_WIDTH, SUB_HEIGHT}},
    };
}

/* Ends the frame: a projection layer of both eyes (with depth when enabled) if the runtime
 * wants the frame rendered, else no layers. Returns xrEndFrame's result. */
static XrResult end_frame(xr_run *run, bool render) {
    XrCompositionLayerProjectionView views[2];
    XrCompositionLayerDepthInfoKHR depth[2];
    XrCompositionLayerProjection layer = {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION,
                                          .space = run->space,
                                          .viewCount = 2,
                                          .views = views};
    const XrCompositionLayerBaseHeader *layers[] = {(const XrCompositionLayerBaseHeader *)&layer};
    if (render) {
        XrView located[2];
        locate_views(run, run->space, run->frame_state.predictedDisplayTime, located);
        render_eyes(run);
        for (int eye = 0; eye < 2; eye++) {
            depth[eye] = (XrCompositionLayerDepthInfoKHR){
                .type = XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR,
                .subImage = sub_image_of(run->depth[eye]),
                .minDepth = 0.0f,
                .maxDepth = 1.0f,
                .nearZ = DEPTH_NEAR,
                .farZ = DEPTH_FAR,
            };
            views[eye] = (XrCompositionLayerProjectionView){
                .type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW,
                .next = run->with_depth ? &depth[eye] : NULL,
                .pose = located[eye].pose,
                .fov = located[eye].fov,
                .subImage = sub_image_of(run->colour[eye]),
            };
            views[eye].pose.position.x += POSE_NUDGE;
        }
    }
    XrFrameEndInfo info = {.type = XR_TYPE_FRAME_END_INFO,
                           .displayTime = run->frame_state.predictedDisplayTime,
                           .environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE,
                           .layerCount = render ? 1 : 0,
                           .layers = layers};
    return xrEndFrame(run->session, &info);
}

/* One frame as a player runs it. */
static void run_frame(xr_run *run) {
    wait_frame(run);
    XR_OK(xrBeginFrame(run->session, NULL));
    XR_OK(end_frame(run, run->frame_state.shouldRender));
}

/* Runs frames until the runtime says EXITING (or fails after MAX_FRAMES). */
static void run_until_exiting(xr_run *run) {
    for (;;) {
        pump_events(run);
        if (run->exiting) {
            return;
        }
        if (run->running) {
            run_frame(run);
        }
        if (run->frame >= MAX_FRAMES) {
            fail_msg("the session did not exit after %d frames", MAX_FRAMES);
        }
    }
}

/* The validation layer's file must hold no message: the runtime's answers and this test's calls
 * are valid OpenXR. */
static void assert_validation_clean(void) {
    FILE *file = fopen(validation_log, "r");
    if (!file) {
        return; /* the layer writes its file only when it has something to say */
    }
    char text[4096];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    if (strstr(text, "VUID") || strstr(text, "Error") || strstr(text, "Warning")) {
        fail_msg("the core validation layer reported:\n%s", text);
    }
}

/* Destroys what the run made (the instance last: it writes report.json) and reads the report. */
static cJSON *finish_run(xr_run *run) {
    for (int eye = 0; eye < 2; eye++) {
        if (run->colour[eye]) {
            XR_OK(xrDestroySwapchain(run->colour[eye]));
        }
        if (run->depth[eye]) {
            XR_OK(xrDestroySwapchain(run->depth[eye]));
        }
    }
    if (run->space) {
        XR_OK(xrDestroySpace(run->space));
    }
    if (run->session) {
        XR_OK(xrDestroySession(run->session));
    }
    XrInstance instance = run->instance;
    run->instance = XR_NULL_HANDLE;
    XR_OK(xrDestroyInstance(instance));
    char path[700];
    snprintf(path, sizeof path, "%s/report.json", run->output);
    size_t size;
    char *text = (char *)test_read_file(path, &size);
    cJSON *report = cJSON_ParseWithLength(text, size);
    free(text);
    if (!cJSON_IsObject(report)) {
        fail_msg("%s is not a JSON object", path);
    }
    if (run->validation) {
        assert_validation_clean();
    }
    return report;
}

static void remove_folder(const char *folder) {
    DIR *directory = opendir(folder);
    if (!directory) {
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(directory))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        struct stat status;
        if (lstat(path, &status) == 0 && S_ISDIR(status.st_mode)) {
            remove_folder(path);
        } else {
            remove(path);
        }
    }
    closedir(directory);
    rmdir(folder);
}

static void clean_up(xr_run *run, cJSON *report) {
    cJSON_Delete(report);
    remove_folder(run->folder);
    run->folder[0] = '\0';
}

/* After each test, passed or failed: what a failed test left behind goes. */
static int end_test(void **state) {
    (void)state;
    if (current_run.instance) {
        xrDestroyInstance(current_run.instance); /* also destroys its session */
        current_run.instance = XR_NULL_HANDLE;
    }
    if (current_run.folder[0]) {
        remove_folder(current_run.folder);
        current_run.folder[0] = '\0';
    }
    return 0;
}

/* ---- reading the report ---- */

static double report_number(const cJSON *report, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(report, key);
    if (!cJSON_IsNumber(item)) {
        fail_msg("report.json has no number '%s'", key);
    }
    return item->valuedouble;
}

static bool report_flag(const cJSON *report, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(report, key);
    if (!cJSON_IsBool(item)) {
        fail_msg("report.json has no boolean '%s'", key);
    }
    return cJSON_IsTrue(item);
}

static int report_error_count(const cJSON *report) {
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(report, "errors");
    assert_true(cJSON_IsArray(errors));
    return cJSON_GetArraySize(errors);
}

static bool report_error_mentions(const cJSON *report, const char *text) {
    const cJSON *error;
    cJSON_ArrayForEach(error, cJSON_GetObjectItemCaseSensitive(report, "errors")) {
        if (cJSON_IsString(error) && strstr(error->valuestring, text)) {
            return true;
        }
    }
    return false;
}

static void assert_no_errors(const cJSON *report) {
    if (report_error_count(report) != 0) {
        char *text = cJSON_Print(cJSON_GetObjectItemCaseSensitive(report, "errors"));
        fail_msg("the runtime refused calls: %s", text);
    }
}

static const char *state_name(XrSessionState state) {
    static const char *const names[] = {"UNKNOWN",      "IDLE",         "READY",
                                        "SYNCHRONIZED", "VISIBLE",      "FOCUSED",
                                        "STOPPING",     "LOSS_PENDING", "EXITING"};
    return state >= 0 && state <= XR_SESSION_STATE_EXITING ? names[state] : "?";
}

/* The report's `states`, and the events the application received, are both `expected`. */
static void assert_states(const xr_run *run, const cJSON *report, const char *const *expected,
                          size_t count) {
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(report, "states");
    assert_true(cJSON_IsArray(states));
    char got[512] = "";
    const cJSON *state;
    cJSON_ArrayForEach(state, states) {
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s ", state->valuestring);
    }
    bool same = (size_t)cJSON_GetArraySize(states) == count && run->seen_count == count;
    for (size_t i = 0; same && i < count; i++) {
        same = strcmp(cJSON_GetArrayItem(states, (int)i)->valuestring, expected[i]) == 0 &&
               strcmp(state_name(run->seen[i]), expected[i]) == 0;
    }
    if (!same) {
        char want[512] = "", seen[512] = "";
        for (size_t i = 0; i < count; i++) {
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s ", expected[i]);
        }
        for (size_t i = 0; i < run->seen_count; i++) {
            snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s ",
                     state_name(run->seen[i]));
        }
        fail_msg("states: report [%s], events [%s], expected [%s]", got, seen, want);
    }
}

#define STATE_COUNT(list) (sizeof(list) / sizeof(list)[0])

/* ---- tests ---- */

static const char *const FULL_RUN_STATES[] = {
    "IDLE",    "READY",        "SYNCHRONIZED", "VISIBLE", "FOCUSED",
    "VISIBLE", "SYNCHRONIZED", "STOPPING",     "IDLE",    "EXITING",
};

/* `frames` ends the session by itself: the states go up on the first frame and down to
 * STOPPING after the last, and every frame the runtime asked for was rendered. */
static void session_runs_to_exiting_after_scripted_frames(void **state) {
    (void)state;
    xr_run *run = start_run("{\"frames\": 6, \"view_size\": [64, 48]}", true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    run_until_exiting(run);
    cJSON *report = finish_run(run);
    assert_states(run, report, FULL_RUN_STATES, STATE_COUNT(FULL_RUN_STATES));
    assert_int_equal(report_number(report, "frames_waited"), 6);
    assert_int_equal(report_number(report, "frames_begun"), 6);
    assert_int_equal(report_number(report, "frames_ended"), 6);
    /* frame 0 is waited on while READY (shouldRender false), the other five are rendered */
    assert_int_equal(report_number(report, "frames_with_projection"), 5);
    assert_int_equal(report_number(report, "frames_with_depth"), 5);
    assert_true(report_flag(report, "session_destroyed"));
    assert_false(report_flag(report, "action_sets_attached"));
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(report, "reference_space");
    assert_true(cJSON_IsString(space));
    assert_string_equal(space->valuestring, "STAGE");
    assert_no_errors(report);
    clean_up(run, report);
}

static void request_exit_session_stops_the_session(void **state) {
    (void)state;
    xr_run *run = start_run("{}", true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_LOCAL);
    create_swapchains(run);
    while (run->frame < 3) {
        pump_events(run);
        if (run->running) {
            run_frame(run);
        }
    }
    XR_OK(xrRequestExitSession(run->session));
    run_until_exiting(run);
    cJSON *report = finish_run(run);
    assert_states(run, report, FULL_RUN_STATES, STATE_COUNT(FULL_RUN_STATES));
    assert_int_equal(report_number(report, "frames_ended"), 4);
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(report, "reference_space");
    assert_string_equal(space->valuestring, "LOCAL");
    assert_no_errors(report);
    clean_up(run, report);
}

/* The input tests' action set: a boolean (A, right hand), a 2D stick and its x axis bound for the
 * Touch controller, and a boolean bound only for the simple controller. */
typedef struct input_actions {
    XrActionSet set;
    XrAction click, stick, stick_x, other_profile;
    XrPath right_hand;
} input_actions;

static XrAction create_action(XrActionSet set, const char *name, XrActionType type,
                              const XrPath *subaction) {
    XrActionCreateInfo info = {.type = XR_TYPE_ACTION_CREATE_INFO,
                               .actionType = type,
                               .countSubactionPaths = subaction ? 1 : 0,
                               .subactionPaths = subaction};
    snprintf(info.actionName, sizeof info.actionName, "%s", name);
    snprintf(info.localizedActionName, sizeof info.localizedActionName, "%s", name);
    XrAction action;
    XR_OK(xrCreateAction(set, &info, &action));
    return action;
}

static void suggest(const xr_run *run, const char *profile, const XrActionSuggestedBinding *list,
                    uint32_t count) {
    XrInteractionProfileSuggestedBinding suggested = {
        .type = XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING,
        .interactionProfile = path_of(run, profile),
        .countSuggestedBindings = count,
        .suggestedBindings = list};
    XR_OK(xrSuggestInteractionProfileBindings(run->instance, &suggested));
}

static input_actions create_input_actions(const xr_run *run) {
    input_actions actions = {.right_hand = path_of(run, "/user/hand/right")};
    XrActionSetCreateInfo set_info = {.type = XR_TYPE_ACTION_SET_CREATE_INFO,
                                      .actionSetName = "player",
                                      .localizedActionSetName = "Player"};
    XR_OK(xrCreateActionSet(run->instance, &set_info, &actions.set));
    actions.click =
        create_action(actions.set, "toggle", XR_ACTION_TYPE_BOOLEAN_INPUT, &actions.right_hand);
    actions.stick = create_action(actions.set, "move", XR_ACTION_TYPE_VECTOR2F_INPUT, NULL);
    actions.stick_x = create_action(actions.set, "turn", XR_ACTION_TYPE_FLOAT_INPUT, NULL);
    actions.other_profile =
        create_action(actions.set, "select", XR_ACTION_TYPE_BOOLEAN_INPUT, NULL);
    const XrActionSuggestedBinding touch[] = {
        {actions.click, path_of(run, "/user/hand/right/input/a/click")},
        {actions.stick, path_of(run, "/user/hand/right/input/thumbstick")},
        {actions.stick_x, path_of(run, "/user/hand/right/input/thumbstick/x")},
    };
    suggest(run, "/interaction_profiles/oculus/touch_controller", touch, 3);
    /* The script's select/click is pressed, but the simulated controllers are Touch
     * controllers: this suggestion for the simple controller must not deliver it. */
    const XrActionSuggestedBinding simple[] = {
        {actions.other_profile, path_of(run, "/user/hand/right/input/select/click")},
    };
    suggest(run, "/interaction_profiles/khr/simple_controller", simple, 1);
    XrSessionActionSetsAttachInfo attach = {.type = XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO,
                                            .countActionSets = 1,
                                            .actionSets = &actions.set};
    XR_OK(xrAttachSessionActionSets(run->session, &attach));
    return actions;
}

static XrResult sync(const xr_run *run, const input_actions *actions) {
    XrActiveActionSet active = {actions->set, XR_NULL_PATH};
    XrActionsSyncInfo info = {
        .type = XR_TYPE_ACTIONS_SYNC_INFO, .countActiveActionSets = 1, .activeActionSets = &active};
    XrResult result = xrSyncActions(run->session, &info);
    xr_check(result, "xrSyncActions");
    return result;
}

static XrActionStateBoolean boolean_state(const xr_run *run, XrAction action, XrPath subaction) {
    XrActionStateGetInfo info = {
        .type = XR_TYPE_ACTION_STATE_GET_INFO, .action = action, .subactionPath = subaction};
    XrActionStateBoolean state = {.type = XR_TYPE_ACTION_STATE_BOOLEAN};
    XR_OK(xrGetActionStateBoolean(run->session, &info, &state));
    return state;
}

static XrActionStateVector2f vector_state(const xr_run *run, XrAction action) {
    XrActionStateGetInfo info = {.type = XR_TYPE_ACTION_STATE_GET_INFO, .action = action};
    XrActionStateVector2f state = {.type = XR_TYPE_ACTION_STATE_VECTOR2F};
    XR_OK(xrGetActionStateVector2f(run->session, &info, &state));
    return state;
}

static XrActionStateFloat float_state(const xr_run *run, XrAction action) {
    XrActionStateGetInfo info = {.type = XR_TYPE_ACTION_STATE_GET_INFO, .action = action};
    XrActionStateFloat state = {.type = XR_TYPE_ACTION_STATE_FLOAT};
    XR_OK(xrGetActionStateFloat(run->session, &info, &state));
    return state;
}

static void focus_loss_makes_the_session_visible_and_input_inactive(void **state) {
    (void)state;
    xr_run *run =
        start_run("{\"frames\": 8, \"focus_loss\": [[3, 5]], \"inputs\": [{\"frame\": 0, \"path\": "
                  "\"/user/hand/right/input/a/click\", \"value\": 1}]}",
                  true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    input_actions actions = create_input_actions(run);
    bool active[8] = {0}, pressed[8] = {0};
    while (!run->exiting) {
        pump_events(run);
        if (!run->running) {
            continue;
        }
        wait_frame(run);
        XrResult synced = sync(run, &actions);
        XrActionStateBoolean click = boolean_state(run, actions.click, XR_NULL_PATH);
        assert_true(run->frame < 8);
        active[run->frame] = click.isActive;
        pressed[run->frame] = click.currentState;
        /* the application hears of the change at the same frame */
        pump_events(run);
        assert_int_equal(synced == XR_SESSION_NOT_FOCUSED, run->state != XR_SESSION_STATE_FOCUSED);
        XR_OK(xrBeginFrame(run->session, NULL));
        XR_OK(end_frame(run, run->frame_state.shouldRender));
    }
    /* frame 0: still READY; 3 and 4: focus lost */
    const bool expected[8] = {false, true, true, false, false, true, true, true};
    for (int frame = 0; frame < 8; frame++) {
        if (active[frame] != expected[frame] || pressed[frame] != expected[frame]) {
            fail_msg("frame %d: isActive %d, currentState %d; expected %d", frame, active[frame],
                     pressed[frame], expected[frame]);
        }
    }
    cJSON *report = finish_run(run);
    static const char *const states[] = {
        "IDLE",    "READY",   "SYNCHRONIZED", "VISIBLE",  "FOCUSED", "VISIBLE",
        "FOCUSED", "VISIBLE", "SYNCHRONIZED", "STOPPING", "IDLE",    "EXITING",
    };
    assert_states(run, report, states, STATE_COUNT(states));
    assert_no_errors(report);
    clean_up(run, report);
}

static void scripted_input_reaches_actions_through_the_scripts_profile(void **state) {
    (void)state;
    xr_run *run =
        start_run("{\"frames\": 7, \"profile\": \"/interaction_profiles/oculus/touch_controller\","
                  " \"inputs\": ["
                  "{\"frame\": 2, \"path\": \"/user/hand/right/input/a/click\", \"value\": 1},"
                  "{\"frame\": 2, \"path\": \"/user/hand/right/input/select/click\", \"value\": 1},"
                  "{\"frame\": 3, \"path\": \"/user/hand/right/input/thumbstick\", "
                  "\"value\": [0.9, -0.25]},"
                  "{\"frame\": 4, \"path\": \"/user/hand/right/input/a/click\", \"value\": 0}]}",
                  true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    input_actions actions = create_input_actions(run);
    XrInteractionProfileState profile = {.type = XR_TYPE_INTERACTION_PROFILE_STATE};
    XR_OK(xrGetCurrentInteractionProfile(run->session, actions.right_hand, &profile));
    assert_true(profile.interactionProfile ==
                path_of(run, "/interaction_profiles/oculus/touch_controller"));
    while (!run->exiting) {
        pump_events(run);
        if (!run->running) {
            continue;
        }
        wait_frame(run);
        sync(run, &actions);
        int64_t frame = run->frame;
        XrActionStateBoolean click = boolean_state(run, actions.click, XR_NULL_PATH);
        XrActionStateBoolean right_click = boolean_state(run, actions.click, actions.right_hand);
        XrActionStateVector2f stick = vector_state(run, actions.stick);
        XrActionStateFloat stick_x = float_state(run, actions.stick_x);
        XrActionStateBoolean other = boolean_state(run, actions.other_profile, XR_NULL_PATH);
        if (frame >= 1) { /* focused from frame 1 on */
            bool down = frame == 2 || frame == 3;
            assert_true(click.isActive && right_click.isActive);
            assert_int_equal(click.currentState, down);
            assert_int_equal(right_click.currentState, down);
            assert_int_equal(click.changedSinceLastSync, frame == 2 || frame == 4);
            assert_true(stick.isActive && stick_x.isActive);
            float x = frame >= 3 ? 0.9f : 0.0f, y = frame >= 3 ? -0.25f : 0.0f;
            assert_float_equal(stick.currentState.x, x, 1e-6);
            assert_float_equal(stick.currentState.y, y, 1e-6);
            assert_float_equal(stick_x.currentState, x, 1e-6);
            if (frame == 2) {
                assert_true(click.lastChangeTime == run->frame_state.predictedDisplayTime);
            }
        }
        assert_false(other.isActive);
        assert_false(other.currentState);
        XR_OK(xrBeginFrame(run->session, NULL));
        XR_OK(end_frame(run, run->frame_state.shouldRender));
    }
    cJSON *report = finish_run(run);
    assert_true(report_flag(report, "action_sets_attached"));
    const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(report, "suggested_profiles");
    assert_int_equal(cJSON_GetArraySize(profiles), 2);
    assert_string_equal(cJSON_GetArrayItem(profiles, 0)->valuestring,
                        "/interaction_profiles/oculus/touch_controller");
    assert_string_equal(cJSON_GetArrayItem(profiles, 1)->valuestring,
                        "/interaction_profiles/khr/simple_controller");
    assert_no_errors(report);
    clean_up(run, report);
}

static void no_headset_answers_form_factor_unavailable(void **state) {
    (void)state;
    xr_run *run = start_run("{\"no_headset\": true}", true);
    XrSystemGetInfo info = {.type = XR_TYPE_SYSTEM_GET_INFO,
                            .formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY};
    XrSystemId system = XR_NULL_SYSTEM_ID;
    assert_int_equal(xrGetSystem(run->instance, &info, &system), XR_ERROR_FORM_FACTOR_UNAVAILABLE);
    cJSON *report = finish_run(run);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(report, "states")), 0);
    assert_no_errors(report); /* an unplugged headset is not the application's fault */
    clean_up(run, report);
}

static void stage_turned_off_is_not_offered(void **state) {
    (void)state;
    xr_run *run = start_run("{\"stage\": false}", true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_LOCAL);
    uint32_t count = 0;
    XrReferenceSpaceType types[3];
    XR_OK(xrEnumerateReferenceSpaces(run->session, 0, &count, NULL));
    assert_int_equal(count, 2);
    XR_OK(xrEnumerateReferenceSpaces(run->session, 3, &count, types));
    for (uint32_t i = 0; i < count; i++) {
        assert_true(types[i] != XR_REFERENCE_SPACE_TYPE_STAGE);
    }
    XrReferenceSpaceCreateInfo stage = {.type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO,
                                        .referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE,
                                        .poseInReferenceSpace = {.orientation = {0, 0, 0, 1}}};
    XrSpace space = XR_NULL_HANDLE;
    assert_int_equal(xrCreateReferenceSpace(run->session, &stage, &space),
                     XR_ERROR_REFERENCE_SPACE_UNSUPPORTED);
    cJSON *report = finish_run(run);
    assert_int_equal(report_error_count(report), 1);
    assert_true(report_error_mentions(report, "xrCreateReferenceSpace"));
    clean_up(run, report);
}

static void assert_vector(XrVector3f actual, double x, double y, double z, const char *what) {
    if (fabs(actual.x - x) > 1e-4 || fabs(actual.y - y) > 1e-4 || fabs(actual.z - z) > 1e-4) {
        fail_msg("%s: (%.6f, %.6f, %.6f), expected (%.6f, %.6f, %.6f)", what, actual.x, actual.y,
                 actual.z, x, y, z);
    }
}

static void assert_quaternion(XrQuaternionf actual, double x, double y, double z, double w,
                              const char *what) {
    double same = fmax(fmax(fabs(actual.x - x), fabs(actual.y - y)),
                       fmax(fabs(actual.z - z), fabs(actual.w - w)));
    double opposite = fmax(fmax(fabs(actual.x + x), fabs(actual.y + y)),
                           fmax(fabs(actual.z + z), fabs(actual.w + w)));
    if (fmin(same, opposite) > 1e-4) {
        fail_msg("%s: (%.6f, %.6f, %.6f, %.6f), expected (%.6f, %.6f, %.6f, %.6f)", what, actual.x,
                 actual.y, actual.z, actual.w, x, y, z, w);
    }
}

static void assert_fov(XrFovf fov, double left, double right, double up, double down) {
    assert_float_equal(fov.angleLeft, left, 1e-6);
    assert_float_equal(fov.angleRight, right, 1e-6);
    assert_float_equal(fov.angleUp, up, 1e-6);
    assert_float_equal(fov.angleDown, down, 1e-6);
}

/* Keys at frames 0 and 20: at frame 10's display time the head is halfway, turned half the
 * key's yaw, and the eyes sit ipd / 2 either side along its turned x axis. */
static void views_follow_the_scripted_head(void **state) {
    (void)state;
    xr_run *run =
        start_run("{\"ipd\": 0.064, \"fov\": [-0.8, 0.7, 0.75, -0.75], \"head\": ["
                  "{\"frame\": 0, \"position\": [0, 1.6, 0], \"orientation\": [0, 0, 0, 1]},"
                  "{\"frame\": 20, \"position\": [0.3, 1.6, -0.2], "
                  "\"orientation\": [0, 0.2588, 0, 0.9659]}]}",
                  true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    while (run->frame < 10) {
        pump_events(run);
        if (run->running) {
            run_frame(run);
        }
    }
    XrTime time = run->frame_state.predictedDisplayTime; /* frame 10's */
    XrView views[2];
    locate_views(run, run->space, time, views);
    double yaw = 2.0 * atan2(0.2588, 0.9659) / 2.0; /* half the key's turn about +y */
    double half_ipd = 0.032;
    double head[3] = {0.15, 1.6, -0.1};
    for (int eye = 0; eye < 2; eye++) {
        double side = eye == 0 ? -half_ipd : half_ipd;
        /* R_y(yaw) (side, 0, 0) = (side cos yaw, 0, -side sin yaw) */
        assert_vector(views[eye].pose.position, head[0] + side * cos(yaw), head[1],
                      head[2] - side * sin(yaw), eye == 0 ? "left eye" : "right eye");
        assert_quaternion(views[eye].pose.orientation, 0, sin(yaw / 2), 0, cos(yaw / 2),
                          "eye orientation");
    }
    assert_fov(views[0].fov, -0.8, 0.7, 0.75, -0.75);
    assert_fov(views[1].fov, -0.7, 0.8, 0.75, -0.75);

    /* In VIEW the eyes are fixed either side of the origin; the head in STAGE is the key's. */
    XrReferenceSpaceCreateInfo view_info = {.type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO,
                                            .referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW,
                                            .poseInReferenceSpace = {.orientation = {0, 0, 0, 1}}};
    XrSpace view_space;
    XR_OK(xrCreateReferenceSpace(run->session, &view_info, &view_space));
    locate_views(run, view_space, time, views);
    assert_vector(views[0].pose.position, -half_ipd, 0, 0, "left eye in VIEW");
    assert_vector(views[1].pose.position, half_ipd, 0, 0, "right eye in VIEW");
    XrSpaceLocation location = {.type = XR_TYPE_SPACE_LOCATION};
    XR_OK(xrLocateSpace(view_space, run->space, time, &location));
    assert_vector(location.pose.position, head[0], head[1], head[2], "head in STAGE");
    assert_quaternion(location.pose.orientation, 0, sin(yaw / 2), 0, cos(yaw / 2),
                      "head orientation");
    /* LOCAL starts at the frame-0 head: (0, 1.6, 0), not turned */
    XrReferenceSpaceCreateInfo local_info = view_info;
    local_info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
    XrSpace local_space;
    XR_OK(xrCreateReferenceSpace(run->session, &local_info, &local_space));
    XR_OK(xrLocateSpace(view_space, local_space, time, &location));
    assert_vector(location.pose.position, head[0], 0, head[2], "head in LOCAL");
    XR_OK(xrDestroySpace(view_space));
    XR_OK(xrDestroySpace(local_space));

    XR_OK(xrRequestExitSession(run->session));
    run_until_exiting(run);
    cJSON *report = finish_run(run);
    assert_no_errors(report);
    clean_up(run, report);
}

static const cJSON *json_item(const cJSON *json, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
    if (!item) {
        fail_msg("the capture's JSON has no '%s'", key);
    }
    return item;
}

static double json_element(const cJSON *json, const char *key, int index) {
    const cJSON *item = cJSON_GetArrayItem(json_item(json, key), index);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void check_captured_png(const xr_run *run, int eye) {
    char path[700];
    snprintf(path, sizeof path, "%s/frame2_eye%d.png", run->output, eye);
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&image, path)) {
        fail_msg("cannot read %s: %s", path, image.message);
    }
    assert_int_equal(image.format, PNG_FORMAT_RGB); /* 8-bit RGB in the file */
    assert_int_equal(image.width, SUB_WIDTH);
    assert_int_equal(image.height, SUB_HEIGHT);
    uint8_t *pixels = malloc(PNG_IMAGE_SIZE(image));
    assert_non_null(pixels);
    assert_true(png_image_finish_read(&image, NULL, pixels, 0, NULL));
    for (int row = 0; row < SUB_HEIGHT; row++) {
        /* the upper half of the sub-image (GL's higher rows) comes first */
        const uint8_t *colour = row < SUB_HEIGHT / 2 ? UPPER_COLOURS[eye] : LOWER_COLOURS[eye];
        for (int x = 0; x < SUB_WIDTH; x++) {
            const uint8_t *pixel = pixels + (row * SUB_WIDTH + x) * 3;
            if (memcmp(pixel, colour, 3) != 0) {
                fail_msg("eye %d pixel (%d, %d): %u %u %u, expected %u %u %u", eye, x, row,
                         pixel[0], pixel[1], pixel[2], colour[0], colour[1], colour[2]);
            }
        }
    }
    free(pixels);
}

static void check_captured_json(const xr_run *run, int eye, const XrView *located) {
    char path[700];
    snprintf(path, sizeof path, "%s/frame2_eye%d.json", run->output, eye);
    size_t size;
    char *text = (char *)test_read_file(path, &size);
    cJSON *json = cJSON_ParseWithLength(text, size);
    free(text);
    assert_true(cJSON_IsObject(json));
    const cJSON *pose = json_item(json, "pose"), *expected = json_item(json, "expected_pose");
    const float submitted[3] = {located->pose.position.x + POSE_NUDGE, located->pose.position.y,
                                located->pose.position.z};
    const float truth[3] = {located->pose.position.x, located->pose.position.y,
                            located->pose.position.z};
    for (int k = 0; k < 3; k++) {
        assert_float_equal(json_element(pose, "position", k), submitted[k], 1e-6);
        assert_float_equal(json_element(expected, "position", k), truth[k], 1e-6);
    }
    const float orientation[4] = {located->pose.orientation.x, located->pose.orientation.y,
                                  located->pose.orientation.z, located->pose.orientation.w};
    for (int k = 0; k < 4; k++) {
        assert_float_equal(json_element(pose, "orientation", k), orientation[k], 1e-6);
        assert_float_equal(json_element(expected, "orientation", k), orientation[k], 1e-6);
    }
    const float fov[4] = {located->fov.angleLeft, located->fov.angleRight, located->fov.angleUp,
                          located->fov.angleDown};
    for (int k = 0; k < 4; k++) {
        assert_float_equal(json_element(json, "fov", k), fov[k], 1e-6);
        assert_float_equal(json_element(json, "expected_fov", k), fov[k], 1e-6);
    }
    assert_string_equal(json_item(json, "space")->valuestring, "STAGE");
    assert_int_equal(json_element(json, "size", 0), SUB_WIDTH);
    assert_int_equal(json_element(json, "size", 1), SUB_HEIGHT);
    assert_string_equal(json_item(json, "format")->valuestring, "GL_SRGB8_ALPHA8");
    assert_true(cJSON_IsTrue(json_item(json, "depth")));
    assert_float_equal(json_item(json, "near")->valuedouble, DEPTH_NEAR, 1e-6);
    assert_float_equal(json_item(json, "far")->valuedouble, DEPTH_FAR, 1e-6);
    cJSON_Delete(json);
}

static void captured_frames_hold_the_submitted_images_and_poses(void **state) {
    (void)state;
    xr_run *run = start_run("{\"frames\": 4, \"capture\": [2], \"view_size\": [64, 48]}", true);
    assert_true(run->with_depth);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    XrView located_at_capture[2];
    while (!run->exiting) {
        pump_events(run);
        if (!run->running) {
            continue;
        }
        wait_frame(run);
        if (run->frame == 2) {
            locate_views(run, run->space, run->frame_state.predictedDisplayTime,
                         located_at_capture);
        }
        XR_OK(xrBeginFrame(run->session, NULL));
        XR_OK(end_frame(run, run->frame_state.shouldRender));
    }
    cJSON *report = finish_run(run);
    assert_int_equal(report_number(report, "frames_with_projection"), 3);
    assert_int_equal(report_number(report, "frames_with_depth"), 3);
    assert_no_errors(report);
    for (int eye = 0; eye < 2; eye++) {
        check_captured_png(run, eye);
        check_captured_json(run, eye, &located_at_capture[eye]);
    }
    char other[700];
    snprintf(other, sizeof other, "%s/frame1_eye0.png", run->output);
    assert_int_equal(access(other, F_OK), -1); /* only the scripted frames are captured */
    assert_int_equal(ds_gl_debug_error_count(), 0);
    clean_up(run, report);
}

/* Misuse is refused with the spec's error and listed in the report. The core validation layer
 * stays on: it checks parameters, not call order or swapchain state, so these calls reach the
 * runtime and the layer's file stays clean. */
static void misuse_is_refused_and_reported(void **state) {
    (void)state;
    xr_run *run = start_run("{}", true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    pump_events(run); /* IDLE, READY: the session begins */
    assert_true(run->running);
    assert_int_equal(xrBeginFrame(run->session, NULL), XR_ERROR_CALL_ORDER_INVALID);
    assert_int_equal(xrEndSession(run->session), XR_ERROR_SESSION_NOT_STOPPING);

    run_frame(run); /* frame 0: SYNCHRONIZED, VISIBLE, FOCUSED follow */
    pump_events(run);
    wait_frame(run);
    XR_OK(xrBeginFrame(run->session, NULL));
    /* an image acquired and not released when the frame ends */
    acquire_image(run->colour[0]);
    assert_int_equal(end_frame(run, false), XR_SUCCESS); /* no layer uses it: fine */
    wait_frame(run);
    XR_OK(xrBeginFrame(run->session, NULL));
    XrCompositionLayerProjectionView views[2] = {
        {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW,
         .pose = {.orientation = {0, 0, 0, 1}},
         .subImage = sub_image_of(run->colour[0])},
        {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW,
         .pose = {.orientation = {0, 0, 0, 1}},
         .subImage = sub_image_of(run->colour[1])},
    };
    XrCompositionLayerProjection layer = {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION,
                                          .space = run->space,
                                          .viewCount = 2,
                                          .views = views};
    const XrCompositionLayerBaseHeader *layers[] = {(const XrCompositionLayerBaseHeader *)&layer};
    XrFrameEndInfo info = {.type = XR_TYPE_FRAME_END_INFO,
                           .displayTime = run->frame_state.predictedDisplayTime,
                           .environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE,
                           .layerCount = 1,
                           .layers = layers};
    assert_int_equal(xrEndFrame(run->session, &info), XR_ERROR_LAYER_INVALID);
    release_image(run->colour[0]);
    acquire_image(run->colour[1]);
    release_image(run->colour[1]);
    views[1].subImage.imageRect.extent.width = VIEW_WIDTH; /* from x = 8: past the right edge */
    assert_int_equal(xrEndFrame(run->session, &info), XR_ERROR_SWAPCHAIN_RECT_INVALID);
    views[1].subImage.imageRect.extent.width = SUB_WIDTH;
    XR_OK(xrEndFrame(run->session, &info));

    XR_OK(xrRequestExitSession(run->session));
    run_until_exiting(run);
    cJSON *report = finish_run(run);
    assert_int_equal(report_error_count(report), 4);
    assert_true(report_error_mentions(report, "xrBeginFrame"));
    assert_true(report_error_mentions(report, "XR_ERROR_CALL_ORDER_INVALID"));
    assert_true(report_error_mentions(report, "XR_ERROR_SESSION_NOT_STOPPING"));
    assert_true(report_error_mentions(report, "still acquired"));
    assert_true(report_error_mentions(report, "XR_ERROR_SWAPCHAIN_RECT_INVALID"));
    clean_up(run, report);
}

/* `realtime` paces xrWaitFrame: frame n is not handed out before T0 + n periods, T0 being the
 * session's start. */
static void realtime_frames_are_paced_at_72_hz(void **state) {
    (void)state;
    xr_run *run = start_run("{\"realtime\": true, \"frames\": 6}", true);
    create_session(run, XR_REFERENCE_SPACE_TYPE_STAGE);
    create_swapchains(run);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    run_until_exiting(run);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double elapsed = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) * 1e-9;
    if (elapsed < 5.0 / 72.0) {
        fail_msg("6 realtime frames took %.4f s, less than 5 periods", elapsed);
    }
    cJSON *report = finish_run(run);
    assert_no_errors(report);
    clean_up(run, report);
}

/* A script the runtime cannot follow fails instance creation instead of running with defaults. */
static void a_bad_script_fails_instance_creation(void **state) {
    (void)state;
    xr_run *run = start_run("{}", true);
    XR_OK(xrDestroyInstance(run->instance));
    run->instance = XR_NULL_HANDLE;
    char path[700];
    snprintf(path, sizeof path, "%s/script.json", run->folder);
    write_file(path, "{\"focus_lost\": [[1, 2]]}"); /* misspelt */
    XrInstanceCreateInfo info = {
        .type = XR_TYPE_INSTANCE_CREATE_INFO,
        .applicationInfo = {.applicationName = "test_xr_runtime",
                            .apiVersion = XR_CURRENT_API_VERSION},
    };
    XrInstance instance = XR_NULL_HANDLE;
    assert_int_equal(xrCreateInstance(&info, &instance), XR_ERROR_INITIALIZATION_FAILED);
    assert_true(instance == XR_NULL_HANDLE);
    assert_validation_clean();
    remove_folder(run->folder);
    run->folder[0] = '\0';
}

/* The checks above mean something only if the layer is really there: a call with a wrong
 * structure type is caught by the layer (its file says so) before it reaches the runtime. */
static void validation_layer_is_on(void **state) {
    (void)state;
    xr_run *run = start_run("{}", true);
    XrSystemGetInfo wrong = {.type = XR_TYPE_SESSION_BEGIN_INFO,
                             .formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY};
    XrSystemId system;
    assert_int_equal(xrGetSystem(run->instance, &wrong, &system), XR_ERROR_VALIDATION_FAILURE);
    run->validation = false; /* the layer's file is expected to hold that message */
    cJSON *report = finish_run(run);
    size_t size;
    char *log = (char *)test_read_file(validation_log, &size);
    log = realloc(log, size + 1);
    assert_non_null(log);
    log[size] = '\0';
    if (!strstr(log, "VUID-XrSystemGetInfo-type-type")) {
        fail_msg("the core validation layer did not report the wrong type:\n%s", log);
    }
    free(log);
    remove(validation_log);
    assert_no_errors(report); /* the layer refused it; the runtime never saw it */
    clean_up(run, report);
}

static int setup(void **state) {
    (void)state;
    ds_gl_context_options options = {
        .title = "test_xr_runtime", .width = 64, .height = 64, .debug = true};
    ds_status status = ds_gl_context_create(&options, &gl);
    if (ds_failed(&status)) {
        fprintf(stderr, "no OpenGL 4.5 context: %s\n", status.message);
        return -1;
    }
    const char *temporary = getenv("TMPDIR");
    snprintf(validation_log, sizeof validation_log, "%s/ds_xr_validation_%ld.txt",
             temporary && *temporary ? temporary : "/tmp", (long)getpid());
    /* ctest sets XR_RUNTIME_JSON; a run by hand finds the manifest of this build */
    setenv("XR_RUNTIME_JSON", DS_TEST_XR_RUNTIME_JSON, 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    remove(validation_log);
    ds_gl_context_destroy(&gl);
    return 0;
}

static int run_runtime_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(validation_layer_is_on, end_test),
        cmocka_unit_test_teardown(session_runs_to_exiting_after_scripted_frames, end_test),
        cmocka_unit_test_teardown(request_exit_session_stops_the_session, end_test),
        cmocka_unit_test_teardown(focus_loss_makes_the_session_visible_and_input_inactive,
                                  end_test),
        cmocka_unit_test_teardown(scripted_input_reaches_actions_through_the_scripts_profile,
                                  end_test),
        cmocka_unit_test_teardown(no_headset_answers_form_factor_unavailable, end_test),
        cmocka_unit_test_teardown(stage_turned_off_is_not_offered, end_test),
        cmocka_unit_test_teardown(views_follow_the_scripted_head, end_test),
        cmocka_unit_test_teardown(captured_frames_hold_the_submitted_images_and_poses, end_test),
        cmocka_unit_test_teardown(misuse_is_refused_and_reported, end_test),
        cmocka_unit_test_teardown(realtime_frames_are_paced_at_72_hz, end_test),
        cmocka_unit_test_teardown(a_bad_script_fails_instance_creation, end_test),
    };
    return cmocka_run_group_tests_name("xr_runtime", tests, setup, teardown);
}

static const test_group groups[] = {
    {"runtime", run_runtime_tests},
};

int main(int argc, char **argv) {
    return test_run_groups("test_xr_runtime", groups, sizeof groups / sizeof groups[0], argc, argv);
}
