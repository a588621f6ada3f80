/* The session: its creation on the application's OpenGL context, the state machine and its
 * events, and the frame loop's timing (xrWaitFrame, xrBeginFrame, xrEndFrame). */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static rt_session *running_session(XrSession handle, const char *function, XrResult *result) {
    rt_session *session = rt_session_checked(handle, function, result);
    if (session && !session->running) {
        *result = rt_refuse(XR_ERROR_SESSION_NOT_RUNNING, function, "the session is not running");
        return NULL;
    }
    return session;
}

static const XrGraphicsBindingOpenGLXlibKHR *find_xlib_binding(const void *chain) {
    for (const XrBaseInStructure *link = chain; link; link = link->next) {
        if (link->type == XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR) {
            return (const XrGraphicsBindingOpenGLXlibKHR *)link;
        }
    }
    return NULL;
}

RT_API rt_xrCreateSession(XrInstance handle, const XrSessionCreateInfo *info,
                          XrSession *session_handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateSession";
    XrResult result;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(info, XR_TYPE_SESSION_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!session_handle) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "session output is NULL");
    }
    if (info->createFlags != 0) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "createFlags must be 0");
    }
    if (info->systemId != RT_SYSTEM_ID || instance->script.no_headset) {
        return rt_refuse(XR_ERROR_SYSTEM_INVALID, function, "unknown system %llu",
                         (unsigned long long)info->systemId);
    }
    if (!instance->graphics_requirements_queried) {
        return rt_refuse(XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING, function,
                         "xrGetOpenGLGraphicsRequirementsKHR was not called first");
    }
    const XrGraphicsBindingOpenGLXlibKHR *binding = find_xlib_binding(info->next);
    if (!binding) {
        return rt_refuse(XR_ERROR_GRAPHICS_DEVICE_INVALID, function,
                         "no XrGraphicsBindingOpenGLXlibKHR in the next chain");
    }
    if (!binding->xDisplay || !binding->glxContext) {
        return rt_refuse(XR_ERROR_GRAPHICS_DEVICE_INVALID, function,
                         "the Xlib binding has no display or no GLX context");
    }
    if (glXGetCurrentContext() == binding->glxContext) {
        GLint major = 0, minor = 0;
        glGetIntegerv(GL_MAJOR_VERSION, &major);
        glGetIntegerv(GL_MINOR_VERSION, &minor);
        if (major * 10 + minor < 45) {
            return rt_refuse(XR_ERROR_GRAPHICS_DEVICE_INVALID, function,
                             "OpenGL %d.%d context, 4.5 is required", major, minor);
        }
    }
    if (instance->session.handle) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function,
                         "this runtime runs one session at a time");
    }
    rt_session *session = &instance->session;
    /* The binding needs no keeping: GL work happens on whatever context the application has
     * current when it calls (XR_KHR_opengl_enable's rule), which is the binding's. */
    *session = (rt_session){
        .handle = rt_new_handle(),
        .waited_frame = -1,
        .begun_frame = -1,
        .input_frame = -1,
    };
    rt_queue_state(instance, XR_SESSION_STATE_IDLE);
    rt_queue_state(instance, XR_SESSION_STATE_READY);
    *session_handle = RT_HANDLE(XrSession, session->handle);
    return XR_SUCCESS;
}

void rt_session_teardown(rt_instance *instance, bool explicit_destroy) {
    rt_session *session = &instance->session;
    for (size_t i = 0; i < RT_MAX_SWAPCHAINS; i++) {
        if (session->swapchains[i].handle) {
            rt_swapchain_release_gl(&session->swapchains[i]);
        }
    }
    rt_drop_session_events(instance, RT_HANDLE(XrSession, session->handle));
    rt_input_deactivate(instance);
    instance->session_destroyed |= explicit_destroy;
    *session = (rt_session){0};
}

RT_API rt_xrDestroySession(XrSession handle) {
    RT_LOCKED_SCOPE;
    XrResult result;
    if (!rt_session_checked(handle, "xrDestroySession", &result)) {
        return result;
    }
    rt_session_teardown(rt_current, true);
    return XR_SUCCESS;
}

RT_API rt_xrBeginSession(XrSession handle, const XrSessionBeginInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrBeginSession";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_SESSION_BEGIN_INFO, function, "beginInfo", &result)) {
        return result;
    }
    if (session->running) {
        return rt_refuse(XR_ERROR_SESSION_RUNNING, function, "the session is already running");
    }
    if (session->state != XR_SESSION_STATE_READY) {
        return rt_refuse(XR_ERROR_SESSION_NOT_READY, function, "the session is %s, not READY",
                         rt_state_name(session->state));
    }
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
        return rt_refuse(XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED, function,
                         "view configuration %d (only PRIMARY_STEREO)",
                         (int)info->primaryViewConfigurationType);
    }
    session->running = true;
    session->wait_pending = session->frame_begun = false;
    /* T0 is the first session's start, so that realtime frames are paced from there. */
    if (!rt_current->epoch_fixed) {
        rt_current->epoch = rt_now();
        rt_current->epoch_fixed = true;
    }
    return XR_SUCCESS;
}

/* Steps down to STOPPING through the states in between, as the spec's session lifecycle
 * requires (FOCUSED -> VISIBLE -> SYNCHRONIZED -> STOPPING; READY -> SYNCHRONIZED ->
 * STOPPING). */
static void queue_stopping(rt_instance *instance) {
    rt_session *session = &instance->session;
    if (session->stop_queued) {
        return;
    }
    session->stop_queued = true;
    if (session->state == XR_SESSION_STATE_FOCUSED) {
        rt_queue_state(instance, XR_SESSION_STATE_VISIBLE);
        rt_input_deactivate(instance);
    }
    if (session->state == XR_SESSION_STATE_VISIBLE || session->state == XR_SESSION_STATE_READY) {
        rt_queue_state(instance, XR_SESSION_STATE_SYNCHRONIZED);
    }
    rt_queue_state(instance, XR_SESSION_STATE_STOPPING);
}

RT_API rt_xrEndSession(XrSession handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEndSession";
    XrResult result;
    rt_session *session = running_session(handle, function, &result);
    if (!session) {
        return result;
    }
    if (session->state != XR_SESSION_STATE_STOPPING) {
        return rt_refuse(XR_ERROR_SESSION_NOT_STOPPING, function, "the session is %s, not STOPPING",
                         rt_state_name(session->state));
    }
    session->running = false;
    session->wait_pending = session->frame_begun = false;
    rt_input_deactivate(rt_current);
    rt_queue_state(rt_current, XR_SESSION_STATE_IDLE);
    rt_queue_state(rt_current, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
}

RT_API rt_xrRequestExitSession(XrSession handle) {
    RT_LOCKED_SCOPE;
    XrResult result;
    rt_session *session = running_session(handle, "xrRequestExitSession", &result);
    if (!session) {
        return result;
    }
    queue_stopping(rt_current);
    return XR_SUCCESS;
}

/* FOCUSED and VISIBLE follow the script's focus_loss intervals once the session shows frames. */
static void follow_focus_script(rt_instance *instance, int64_t frame) {
    rt_session *session = &instance->session;
    if (!session->synchronized || session->stop_queued) {
        return;
    }
    bool focused = !rt_script_focus_lost(&instance->script, frame);
    if (session->state == XR_SESSION_STATE_FOCUSED && !focused) {
        rt_queue_state(instance, XR_SESSION_STATE_VISIBLE);
        rt_input_deactivate(instance);
    } else if (session->state == XR_SESSION_STATE_VISIBLE && focused) {
        rt_queue_state(instance, XR_SESSION_STATE_FOCUSED);
    }
}

static XrResult wait_frame(XrSession handle, const XrFrameWaitInfo *info, XrFrameState *state,
                           XrTime *wake_at) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrWaitFrame";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session) {
        return result;
    }
    if (info &&
        !rt_check_struct(info, XR_TYPE_FRAME_WAIT_INFO, function, "frameWaitInfo", &result)) {
        return result;
    }
    if (!rt_check_struct(state, XR_TYPE_FRAME_STATE, function, "frameState", &result)) {
        return result;
    }
    if (!session->running) {
        return rt_refuse(XR_ERROR_SESSION_NOT_RUNNING, function, "the session is not running");
    }
    rt_instance *instance = rt_current;
    int64_t frame = (int64_t)instance->frames_waited++;
    session->wait_pending = true;
    session->waited_frame = frame;
    session->input_frame = frame;
    follow_focus_script(instance, frame);
    state->predictedDisplayTime = rt_frame_display_time(instance, frame);
    state->predictedDisplayPeriod = RT_FRAME_PERIOD_NS;
    state->shouldRender =
        session->state == XR_SESSION_STATE_VISIBLE || session->state == XR_SESSION_STATE_FOCUSED;
    if (instance->script.realtime) {
        *wake_at = state->predictedDisplayTime - RT_FRAME_PERIOD_NS;
    }
    return XR_SUCCESS;
}

RT_API rt_xrWaitFrame(XrSession handle, const XrFrameWaitInfo *info, XrFrameState *state) {
    XrTime wake_at = 0;
    XrResult result = wait_frame(handle, info, state, &wake_at);
    /* Sleeping without the lock, so that another thread can go on with its frame meanwhile. */
    XrTime now = rt_now();
    if (result == XR_SUCCESS && wake_at > now) {
        struct timespec pause = {(time_t)((wake_at - now) / 1000000000),
                                 (long)((wake_at - now) % 1000000000)};
        while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
        }
    }
    return result;
}

RT_API rt_xrBeginFrame(XrSession handle, const XrFrameBeginInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrBeginFrame";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session) {
        return result;
    }
    if (info &&
        !rt_check_struct(info, XR_TYPE_FRAME_BEGIN_INFO, function, "frameBeginInfo", &result)) {
        return result;
    }
    if (!session->running) {
        return rt_refuse(XR_ERROR_SESSION_NOT_RUNNING, function, "the session is not running");
    }
    if (!session->wait_pending) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function,
                         "no xrWaitFrame since the last xrBeginFrame");
    }
    bool discarded = session->frame_begun;
    session->wait_pending = false;
    session->frame_begun = true;
    session->begun_frame = session->waited_frame;
    rt_current->frames_begun++;
    return discarded ? XR_FRAME_DISCARDED : XR_SUCCESS;
}

RT_API rt_xrEndFrame(XrSession handle, const XrFrameEndInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEndFrame";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_FRAME_END_INFO, function, "frameEndInfo", &result)) {
        return result;
    }
    if (!session->running) {
        return rt_refuse(XR_ERROR_SESSION_NOT_RUNNING, function, "the session is not running");
    }
    if (!session->frame_begun) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function, "no xrBeginFrame for this frame");
    }
    if (info->displayTime <= 0) {
        return rt_refuse(XR_ERROR_TIME_INVALID, function, "displayTime %lld",
                         (long long)info->displayTime);
    }
    if (info->environmentBlendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) {
        return rt_refuse(XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED, function,
                         "blend mode %d (only OPAQUE)", (int)info->environmentBlendMode);
    }
    rt_instance *instance = rt_current;
    rt_frame_summary summary;
    result = rt_check_layers(instance, info, &summary);
    if (result != XR_SUCCESS) {
        return result;
    }
    int64_t frame = session->begun_frame;
    session->frame_begun = false;
    instance->frames_ended++;
    instance->frames_with_projection += summary.projection != NULL;
    instance->frames_with_depth += summary.has_depth;
    if (summary.projection && rt_script_captures(&instance->script, frame)) {
        rt_capture_frame(instance, frame, info->displayTime, summary.projection);
    }
    if (!session->synchronized && !session->stop_queued) {
        session->synchronized = true;
        rt_queue_state(instance, XR_SESSION_STATE_SYNCHRONIZED);
        rt_queue_state(instance, XR_SESSION_STATE_VISIBLE);
        if (!rt_script_focus_lost(&instance->script, session->waited_frame)) {
            rt_queue_state(instance, XR_SESSION_STATE_FOCUSED);
        }
    }
    if (instance->script.frames > 0 &&
        instance->frames_ended >= (uint64_t)instance->script.frames) {
        queue_stopping(instance);
    }
    return XR_SUCCESS;
}
