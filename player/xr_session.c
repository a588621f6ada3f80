#define _POSIX_C_SOURCE 200809L
#include "xr_session.h"

#include <GL/glew.h>
/* GLEW first: it defines the GL types GLX and OpenXR's platform header use. */
#include <GL/glx.h>
#include <X11/Xlib.h>

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EYES = 2, MAX_IMAGES = 8 };

typedef struct swapchain {
    XrSwapchain handle;
    uint32_t image_count;
    GLuint images[MAX_IMAGES];
    uint32_t acquired; /* index of the image held this frame */
    bool held;
} swapchain;

struct ds_xr_session {
    XrInstance instance;
    XrSystemId system;
    XrSession session;
    XrSpace space;
    const char *space_name;
    XrSessionState state;
    bool running, exit;
    bool depth_supported;
    int width, height;
    bool srgb;
    swapchain color[EYES], depth[EYES];
    char states[512];
};

static ds_status xr_error(const ds_xr_session *s, XrResult result, const char *what) {
    char name[XR_MAX_RESULT_STRING_SIZE] = "";
    if (!s || !s->instance || XR_FAILED(xrResultToString(s->instance, result, name))) {
        snprintf(name, sizeof name, "error %d", (int)result);
    }
    return ds_error(DS_ERR_IO, "OpenXR: %s failed (%s)", what, name);
}

#define XR_CHECK(call, what)                                                                       \
    do {                                                                                           \
        XrResult result_ = (call);                                                                 \
        if (XR_FAILED(result_)) {                                                                  \
            return xr_error(s, result_, what);                                                     \
        }                                                                                          \
    } while (0)

static bool extension_offered(const char *name) {
    uint32_t count = 0;
    if (XR_FAILED(xrEnumerateInstanceExtensionProperties(NULL, 0, &count, NULL)) || count == 0) {
        return false;
    }
    XrExtensionProperties *properties = calloc(count, sizeof *properties);
    if (!properties) {
        return false;
    }
    for (uint32_t i = 0; i < count; i++) {
        properties[i].type = XR_TYPE_EXTENSION_PROPERTIES;
    }
    bool found = false;
    if (XR_SUCCEEDED(xrEnumerateInstanceExtensionProperties(NULL, count, &count, properties))) {
        for (uint32_t i = 0; i < count && !found; i++) {
            found = strcmp(properties[i].extensionName, name) == 0;
        }
    }
    free(properties);
    return found;
}

static ds_status create_instance(ds_xr_session *s, const char *application) {
    uint32_t count = 0;
    XrResult result = xrEnumerateInstanceExtensionProperties(NULL, 0, &count, NULL);
    if (XR_FAILED(result)) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "no OpenXR runtime is installed or active (start your headset's runtime, "
                        "e.g. SteamVR or Monado, or set XR_RUNTIME_JSON)");
    }
    if (!extension_offered(XR_KHR_OPENGL_ENABLE_EXTENSION_NAME)) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "the OpenXR runtime does not support OpenGL (XR_KHR_opengl_enable)");
    }
    s->depth_supported = extension_offered(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    const char *extensions[2] = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                                 XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
    XrInstanceCreateInfo info = {.type = XR_TYPE_INSTANCE_CREATE_INFO,
                                 .enabledExtensionCount = s->depth_supported ? 2 : 1,
                                 .enabledExtensionNames = extensions};
    snprintf(info.applicationInfo.applicationName, XR_MAX_APPLICATION_NAME_SIZE, "%s", application);
    snprintf(info.applicationInfo.engineName, XR_MAX_ENGINE_NAME_SIZE, "dualsplat");
    info.applicationInfo.applicationVersion = 1;
    info.applicationInfo.engineVersion = 1;
    info.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 0);
    result = xrCreateInstance(&info, &s->instance);
    if (XR_FAILED(result)) {
        return ds_error(DS_ERR_UNSUPPORTED, "OpenXR: cannot create an instance (error %d)",
                        (int)result);
    }
    XrSystemGetInfo system = {.type = XR_TYPE_SYSTEM_GET_INFO,
                              .formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY};
    result = xrGetSystem(s->instance, &system, &s->system);
    if (result == XR_ERROR_FORM_FACTOR_UNAVAILABLE || result == XR_ERROR_FORM_FACTOR_UNSUPPORTED) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "no VR headset is connected (the OpenXR runtime has no head-mounted "
                        "display); connect one, or play on the desktop without --xr");
    }
    XR_CHECK(result, "xrGetSystem");
    return ds_ok();
}

/* The current GLX context, as OpenXR's Xlib binding describes it. */
static ds_status glx_binding(XrGraphicsBindingOpenGLXlibKHR *binding) {
    Display *display = glXGetCurrentDisplay();
    GLXContext context = glXGetCurrentContext();
    if (!display || !context) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "VR playback needs an X11 display with GLX (OpenXR's OpenGL binding on "
                        "Linux); this context is not a GLX one");
    }
    int id = 0, screen = 0;
    glXQueryContext(display, context, GLX_FBCONFIG_ID, &id);
    glXQueryContext(display, context, GLX_SCREEN, &screen);
    const int attributes[] = {GLX_FBCONFIG_ID, id, None};
    int count = 0;
    GLXFBConfig *configs = glXChooseFBConfig(display, screen, attributes, &count);
    if (!configs || count < 1) {
        return ds_error(DS_ERR_UNSUPPORTED, "cannot find the GLX context's framebuffer config");
    }
    XVisualInfo *visual = glXGetVisualFromFBConfig(display, configs[0]);
    *binding = (XrGraphicsBindingOpenGLXlibKHR){.type = XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR,
                                                .xDisplay = display,
                                                .visualid = visual ? (uint32_t)visual->visualid : 0,
                                                .glxFBConfig = configs[0],
                                                .glxDrawable = glXGetCurrentDrawable(),
                                                .glxContext = context};
    if (visual) {
        XFree(visual);
    }
    XFree(configs);
    return ds_ok();
}

static ds_status check_graphics_requirements(ds_xr_session *s) {
    PFN_xrGetOpenGLGraphicsRequirementsKHR get_requirements = NULL;
    XR_CHECK(xrGetInstanceProcAddr(s->instance, "xrGetOpenGLGraphicsRequirementsKHR",
                                   (PFN_xrVoidFunction *)&get_requirements),
             "xrGetInstanceProcAddr(xrGetOpenGLGraphicsRequirementsKHR)");
    XrGraphicsRequirementsOpenGLKHR requirements = {.type =
                                                        XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR};
    XR_CHECK(get_requirements(s->instance, s->system, &requirements),
             "xrGetOpenGLGraphicsRequirementsKHR");
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    XrVersion have = XR_MAKE_VERSION(major, minor, 0);
    if (have < requirements.minApiVersionSupported) {
        return ds_error(DS_ERR_UNSUPPORTED, "the OpenXR runtime needs OpenGL %u.%u; this is %d.%d",
                        XR_VERSION_MAJOR(requirements.minApiVersionSupported),
                        XR_VERSION_MINOR(requirements.minApiVersionSupported), major, minor);
    }
    return ds_ok();
}

static ds_status create_space(ds_xr_session *s) {
    uint32_t count = 0;
    XR_CHECK(xrEnumerateReferenceSpaces(s->session, 0, &count, NULL), "xrEnumerateReferenceSpaces");
    XrReferenceSpaceType types[16];
    if (count > 16) {
        count = 16;
    }
    XR_CHECK(xrEnumerateReferenceSpaces(s->session, count, &count, types),
             "xrEnumerateReferenceSpaces");
    XrReferenceSpaceType chosen = XR_REFERENCE_SPACE_TYPE_LOCAL;
    s->space_name = "LOCAL";
    for (uint32_t i = 0; i < count; i++) {
        if (types[i] == XR_REFERENCE_SPACE_TYPE_STAGE) {
            chosen = XR_REFERENCE_SPACE_TYPE_STAGE;
            s->space_name = "STAGE";
        }
    }
    XrReferenceSpaceCreateInfo info = {.type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO,
                                       .referenceSpaceType = chosen,
                                       .poseInReferenceSpace = {.orientation = {0, 0, 0, 1}}};
    XR_CHECK(xrCreateReferenceSpace(s->session, &info, &s->space), "xrCreateReferenceSpace");
    return ds_ok();
}

/* The first of `preferred` the runtime offers, or 0. */
static int64_t choose_format(const int64_t *offered, uint32_t offered_count,
                             const int64_t *preferred, int preferred_count) {
    for (int p = 0; p < preferred_count; p++) {
        for (uint32_t i = 0; i < offered_count; i++) {
            if (offered[i] == preferred[p]) {
                return preferred[p];
            }
        }
    }
    return 0;
}

static ds_status create_swapchain(ds_xr_session *s, int64_t format, XrSwapchainUsageFlags usage,
                                  swapchain *chain) {
    XrSwapchainCreateInfo info = {.type = XR_TYPE_SWAPCHAIN_CREATE_INFO,
                                  .usageFlags = usage,
                                  .format = format,
                                  .sampleCount = 1,
                                  .width = (uint32_t)s->width,
                                  .height = (uint32_t)s->height,
                                  .faceCount = 1,
                                  .arraySize = 1,
                                  .mipCount = 1};
    XR_CHECK(xrCreateSwapchain(s->session, &info, &chain->handle), "xrCreateSwapchain");
    uint32_t count = 0;
    XR_CHECK(xrEnumerateSwapchainImages(chain->handle, 0, &count, NULL),
             "xrEnumerateSwapchainImages");
    if (count == 0 || count > MAX_IMAGES) {
        return ds_error(DS_ERR_UNSUPPORTED, "OpenXR: a swapchain of %u images", count);
    }
    XrSwapchainImageOpenGLKHR images[MAX_IMAGES];
    for (uint32_t i = 0; i < count; i++) {
        images[i] = (XrSwapchainImageOpenGLKHR){.type = XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR};
    }
    XR_CHECK(xrEnumerateSwapchainImages(chain->handle, count, &count,
                                        (XrSwapchainImageBaseHeader *)images),
             "xrEnumerateSwapchainImages");
    chain->image_count = count;
    for (uint32_t i = 0; i < count; i++) {
        chain->images[i] = images[i].image;
    }
    return ds_ok();
}

static ds_status create_swapchains(ds_xr_session *s) {
    XrViewConfigurationView views[EYES] = {{.type = XR_TYPE_VIEW_CONFIGURATION_VIEW},
                                           {.type = XR_TYPE_VIEW_CONFIGURATION_VIEW}};
    uint32_t count = 0;
    XR_CHECK(xrEnumerateViewConfigurationViews(s->instance, s->system,
                                               XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, EYES,
                                               &count, views),
             "xrEnumerateViewConfigurationViews");
    if (count != EYES) {
        return ds_error(DS_ERR_UNSUPPORTED, "OpenXR: a stereo headset has 2 views, not %u", count);
    }
    s->width = (int)views[0].recommendedImageRectWidth;
    s->height = (int)views[0].recommendedImageRectHeight;
    XR_CHECK(xrEnumerateSwapchainFormats(s->session, 0, &count, NULL),
             "xrEnumerateSwapchainFormats");
    int64_t *formats = calloc(count ? count : 1, sizeof *formats);
    if (!formats) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %u formats", count);
    }
    XrResult result = xrEnumerateSwapchainFormats(s->session, count, &count, formats);
    /* sRGB first: the compositor must know the images hold sRGB-encoded colours (PLAYER.md). */
    const int64_t colors[] = {GL_SRGB8_ALPHA8, GL_RGBA8};
    const int64_t depths[] = {GL_DEPTH_COMPONENT32F};
    int64_t color = XR_SUCCEEDED(result) ? choose_format(formats, count, colors, 2) : 0;
    int64_t depth = XR_SUCCEEDED(result) ? choose_format(formats, count, depths, 1) : 0;
    free(formats);
    XR_CHECK(result, "xrEnumerateSwapchainFormats");
    if (!color) {
        return ds_error(DS_ERR_UNSUPPORTED, "OpenXR: the runtime offers no 8-bit RGBA swapchain");
    }
    s->srgb = color == GL_SRGB8_ALPHA8;
    /* The renderer's depth is 32-bit float; copying it into any other format would convert. */
    s->depth_supported = s->depth_supported && depth != 0;
    for (int e = 0; e < EYES; e++) {
        ds_status status = create_swapchain(
            s, color, XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_SAMPLED_BIT,
            &s->color[e]);
        if (!ds_failed(&status) && s->depth_supported) {
            status = create_swapchain(s, depth, XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                                      &s->depth[e]);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}

ds_status ds_xr_session_create(const char *application, ds_xr_session **out) {
    *out = NULL;
    ds_xr_session *s = calloc(1, sizeof *s);
    if (!s) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the OpenXR session");
    }
    XrGraphicsBindingOpenGLXlibKHR binding;
    ds_status status = glx_binding(&binding);
    if (!ds_failed(&status)) {
        status = create_instance(s, application);
    }
    if (!ds_failed(&status)) {
        status = check_graphics_requirements(s);
    }
    if (!ds_failed(&status)) {
        XrSessionCreateInfo info = {
            .type = XR_TYPE_SESSION_CREATE_INFO, .next = &binding, .systemId = s->system};
        XrResult result = xrCreateSession(s->instance, &info, &s->session);
        if (XR_FAILED(result)) {
            status = xr_error(s, result, "xrCreateSession");
        }
    }
    if (!ds_failed(&status)) {
        status = create_space(s);
    }
    if (!ds_failed(&status)) {
        status = create_swapchains(s);
    }
    if (ds_failed(&status)) {
        ds_xr_session_free(s);
        return status;
    }
    *out = s;
    return ds_ok();
}

void ds_xr_session_free(ds_xr_session *s) {
    if (!s) {
        return;
    }
    for (int e = 0; e < EYES; e++) {
        if (s->color[e].handle) {
            xrDestroySwapchain(s->color[e].handle);
        }
        if (s->depth[e].handle) {
            xrDestroySwapchain(s->depth[e].handle);
        }
    }
    if (s->space) {
        xrDestroySpace(s->space);
    }
    if (s->session) {
        xrDestroySession(s->session);
    }
    if (s->instance) {
        xrDestroyInstance(s->instance);
    }
    free(s);
}

void *ds_xr_session_instance_handle(const ds_xr_session *s) {
    return (void *)s->instance;
}

void *ds_xr_session_session_handle(const ds_xr_session *s) {
    return (void *)s->session;
}

static const char *state_name(XrSessionState state) {
    switch (state) {
    case XR_SESSION_STATE_IDLE:
        return "IDLE";
    case XR_SESSION_STATE_READY:
        return "READY";
    case XR_SESSION_STATE_SYNCHRONIZED:
        return "SYNCHRONIZED";
    case XR_SESSION_STATE_VISIBLE:
        return "VISIBLE";
    case XR_SESSION_STATE_FOCUSED:
        return "FOCUSED";
    case XR_SESSION_STATE_STOPPING:
        return "STOPPING";
    case XR_SESSION_STATE_LOSS_PENDING:
        return "LOSS_PENDING";
    case XR_SESSION_STATE_EXITING:
        return "EXITING";
    default:
        return "UNKNOWN";
    }
}

static ds_status change_state(ds_xr_session *s, XrSessionState state) {
    s->state = state;
    size_t used = strlen(s->states);
    snprintf(s->states + used, sizeof s->states - used, "%s%s", used ? " " : "", state_name(state));
    switch (state) {
    case XR_SESSION_STATE_READY: {
        XrSessionBeginInfo begin = {.type = XR_TYPE_SESSION_BEGIN_INFO,
                                    .primaryViewConfigurationType =
                                        XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO};
        XR_CHECK(xrBeginSession(s->session, &begin), "xrBeginSession");
        s->running = true;
        break;
    }
    case XR_SESSION_STATE_STOPPING:
        s->running = false;
        XR_CHECK(xrEndSession(s->session), "xrEndSession");
        break;
    case XR_SESSION_STATE_EXITING:
    case XR_SESSION_STATE_LOSS_PENDING:
        s->running = false;
        s->exit = true;
        break;
    default:
        break;
    }
    return ds_ok();
}

ds_status ds_xr_session_poll(ds_xr_session *s, ds_xr_session_status *out) {
    for (;;) {
        XrEventDataBuffer event = {.type = XR_TYPE_EVENT_DATA_BUFFER};
        XrResult result = xrPollEvent(s->instance, &event);
        if (result == XR_EVENT_UNAVAILABLE) {
            break;
        }
        XR_CHECK(result, "xrPollEvent");
        if (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
            const XrEventDataSessionStateChanged *changed =
                (const XrEventDataSessionStateChanged *)&event;
            ds_status status = change_state(s, changed->state);
            if (ds_failed(&status)) {
                return status;
            }
        } else if (event.type == XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING) {
            s->running = false;
            s->exit = true;
        }
        /* Reference space changes and interaction profile changes need nothing: poses are
         * located every frame, and input goes through actions. */
    }
    *out = (ds_xr_session_status){.running = s->running,
                                  .focused = s->state == XR_SESSION_STATE_FOCUSED,
                                  .exit = s->exit,
                                  .space = s->space_name};
    return ds_ok();
}

void ds_xr_session_request_exit(ds_xr_session *s) {
    if (s->running) {
        xrRequestExitSession(s->session);
    } else if (s->state == XR_SESSION_STATE_IDLE || s->state == XR_SESSION_STATE_UNKNOWN) {
        s->exit = true; /* never began: nothing to end */
    }
}

static ds_status acquire(ds_xr_session *s, swapchain *chain, unsigned *texture) {
    XrSwapchainImageAcquireInfo acquire_info = {.type = XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO};
    XR_CHECK(xrAcquireSwapchainImage(chain->handle, &acquire_info, &chain->acquired),
             "xrAcquireSwapchainImage");
    chain->held = true;
    XrSwapchainImageWaitInfo wait = {.type = XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO,
                                     .timeout = XR_INFINITE_DURATION};
    XR_CHECK(xrWaitSwapchainImage(chain->handle, &wait), "xrWaitSwapchainImage");
    *texture = chain->images[chain->acquired];
    return ds_ok();
}

static ds_status release(ds_xr_session *s, swapchain *chain) {
    if (!chain->held) {
        return ds_ok();
    }
    chain->held = false;
    XrSwapchainImageReleaseInfo info = {.type = XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
    XR_CHECK(xrReleaseSwapchainImage(chain->handle, &info), "xrReleaseSwapchainImage");
    return ds_ok();
}

static void pose_of(const XrPosef *pose, ds_xr_pose *out) {
    *out = (ds_xr_pose){
        {pose->position.x, pose->position.y, pose->position.z},
        {pose->orientation.x, pose->orientation.y, pose->orientation.z, pose->orientation.w}};
}

ds_status ds_xr_session_begin_frame(ds_xr_session *s, ds_xr_frame *frame) {
    *frame = (ds_xr_frame){.width = s->width, .height = s->height, .srgb = s->srgb};
    XrFrameWaitInfo wait = {.type = XR_TYPE_FRAME_WAIT_INFO};
    XrFrameState state = {.type = XR_TYPE_FRAME_STATE};
    XR_CHECK(xrWaitFrame(s->session, &wait, &state), "xrWaitFrame");
    XrFrameBeginInfo begin = {.type = XR_TYPE_FRAME_BEGIN_INFO};
    XR_CHECK(xrBeginFrame(s->session, &begin), "xrBeginFrame");
    frame->display_time = state.predictedDisplayTime;
    frame->period = state.predictedDisplayPeriod;
    if (!state.shouldRender) {
        return ds_ok();
    }
    XrViewLocateInfo locate = {.type = XR_TYPE_VIEW_LOCATE_INFO,
                               .viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO,
                               .displayTime = state.predictedDisplayTime,
                               .space = s->space};
    XrViewState view_state = {.type = XR_TYPE_VIEW_STATE};
    XrView views[EYES] = {{.type = XR_TYPE_VIEW}, {.type = XR_TYPE_VIEW}};
    uint32_t count = 0;
    XR_CHECK(xrLocateViews(s->session, &locate, &view_state, EYES, &count, views), "xrLocateViews");
    const XrViewStateFlags tracked =
        XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT;
    if (count != EYES || (view_state.viewStateFlags & tracked) != tracked) {
        return ds_ok(); /* tracking lost: an empty frame rather than a wrong picture */
    }
    for (int e = 0; e < EYES; e++) {
        pose_of(&views[e].pose, &frame->views[e]);
        frame->fovs[e] = (ds_xr_fov){views[e].fov.angleLeft, views[e].fov.angleRight,
                                     views[e].fov.angleUp, views[e].fov.angleDown};
        ds_status status = acquire(s, &s->color[e], &frame->color[e]);
        if (!ds_failed(&status) && s->depth_supported) {
            status = acquire(s, &s->depth[e], &frame->depth[e]);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    frame->render = true;
    return ds_ok();
}

static XrPosef xr_pose(const ds_xr_pose *pose) {
    return (XrPosef){
        .orientation = {(float)pose->orientation[0], (float)pose->orientation[1],
                        (float)pose->orientation[2], (float)pose->orientation[3]},
        .position = {(float)pose->position[0], (float)pose->position[1], (float)pose->position[2]}};
}

ds_status ds_xr_session_end_frame(ds_xr_session *s, const ds_xr_frame *frame, float near,
                                  float far) {
    for (int e = 0; e < EYES; e++) {
        ds_status status = release(s, &s->color[e]);
        if (!ds_failed(&status)) {
            status = release(s, &s->depth[e]);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    XrCompositionLayerProjectionView views[EYES];
    XrCompositionLayerDepthInfoKHR depths[EYES];
    const XrRect2Di rect = {{0, 0}, {s->width, s->height}};
    for (int e = 0; e < EYES; e++) {
        depths[e] = (XrCompositionLayerDepthInfoKHR){
            .type = XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR,
            .subImage = {.swapchain = s->depth[e].handle, .imageRect = rect},
            .minDepth = 0.0f,
            .maxDepth = 1.0f,
            .nearZ = near,
            .farZ = far};
        views[e] = (XrCompositionLayerProjectionView){
            .type = XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW,
            .next = frame->depth[e] ? &depths[e] : NULL,
            .pose = xr_pose(&frame->views[e]),
            .fov = {(float)frame->fovs[e].left, (float)frame->fovs[e].right,
                    (float)frame->fovs[e].up, (float)frame->fovs[e].down},
            .subImage = {.swapchain = s->color[e].handle, .imageRect = rect}};
    }
    XrCompositionLayerProjection projection = {.type = XR_TYPE_COMPOSITION_LAYER_PROJECTION,
                                               .space = s->space,
                                               .viewCount = EYES,
                                               .views = views};
    const XrCompositionLayerBaseHeader *layers[] = {
        (const XrCompositionLayerBaseHeader *)&projection};
    XrFrameEndInfo end = {.type = XR_TYPE_FRAME_END_INFO,
                          .displayTime = frame->display_time,
                          .environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE,
                          .layerCount = frame->render ? 1 : 0,
                          .layers = layers};
    XR_CHECK(xrEndFrame(s->session, &end), "xrEndFrame");
    return ds_ok();
}

const char *ds_xr_session_states(const ds_xr_session *s) {
    return s->states;
}
