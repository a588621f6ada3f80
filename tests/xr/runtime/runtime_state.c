/* The runtime's shared state: its lock, handle values and lookups, the record of refused calls,
 * the event queue and the clock. */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <openxr/openxr_reflection.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t runtime_mutex = PTHREAD_MUTEX_INITIALIZER;

rt_instance *rt_current;

int rt_lock(void) {
    pthread_mutex_lock(&runtime_mutex);
    return 0;
}

void rt_unlock_scope(int *unused) {
    (void)unused;
    pthread_mutex_unlock(&runtime_mutex);
}

/* Handles are serial numbers, never addresses: a stale or made-up handle is simply not found.
 * The loader unloads the runtime with its last instance, which resets this counter, so it starts
 * from the clock: numbers are not reused even by the instances of a later load. */
uint64_t rt_new_handle(void) {
    static uint64_t next_handle;
    if (!next_handle) {
        next_handle = (uint64_t)rt_now() << 4;
    }
    return next_handle++;
}

rt_instance *rt_instance_from(XrInstance instance) {
    uint64_t value = RT_HANDLE_VALUE(instance);
    return rt_current && value && rt_current->handle == value ? rt_current : NULL;
}

rt_session *rt_session_from(XrSession session) {
    uint64_t value = RT_HANDLE_VALUE(session);
    if (!rt_current || !value || rt_current->session.handle != value) {
        return NULL;
    }
    return &rt_current->session;
}

rt_session *rt_session_checked(XrSession handle, const char *function, XrResult *result) {
    rt_session *session = rt_session_from(handle);
    *result =
        session ? XR_SUCCESS : rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown session");
    return session;
}

rt_space *rt_space_from(XrSpace space) {
    uint64_t value = RT_HANDLE_VALUE(space);
    if (!rt_current || !value || !rt_current->session.handle) {
        return NULL;
    }
    for (size_t i = 0; i < RT_MAX_SPACES; i++) {
        if (rt_current->session.spaces[i].handle == value) {
            return &rt_current->session.spaces[i];
        }
    }
    return NULL;
}

rt_swapchain *rt_swapchain_from(XrSwapchain swapchain) {
    uint64_t value = RT_HANDLE_VALUE(swapchain);
    if (!rt_current || !value || !rt_current->session.handle) {
        return NULL;
    }
    for (size_t i = 0; i < RT_MAX_SWAPCHAINS; i++) {
        if (rt_current->session.swapchains[i].handle == value) {
            return &rt_current->session.swapchains[i];
        }
    }
    return NULL;
}

rt_action_set *rt_action_set_from(XrActionSet action_set) {
    uint64_t value = RT_HANDLE_VALUE(action_set);
    if (!rt_current || !value) {
        return NULL;
    }
    for (size_t i = 0; i < RT_MAX_ACTION_SETS; i++) {
        if (rt_current->action_sets[i].handle == value) {
            return &rt_current->action_sets[i];
        }
    }
    return NULL;
}

rt_action *rt_action_from(XrAction action) {
    uint64_t value = RT_HANDLE_VALUE(action);
    if (!rt_current || !value) {
        return NULL;
    }
    for (size_t i = 0; i < RT_MAX_ACTIONS; i++) {
        if (rt_current->actions[i].handle == value) {
            return &rt_current->actions[i];
        }
    }
    return NULL;
}

XrResult rt_refuse(XrResult result, const char *function, const char *format, ...) {
    char message[512];
    int length = snprintf(message, sizeof message, "%s: ", function);
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message + length, sizeof message - (size_t)length, format, arguments);
    va_end(arguments);
    size_t used = strlen(message);
    const char *result_name = rt_result_name(result);
    snprintf(message + used, sizeof message - used, " (%s)", result_name ? result_name : "?");
    fprintf(stderr, "ds_test_xr_runtime: %s\n", message);
    if (rt_current) {
        if (rt_current->error_count < RT_MAX_ERRORS) {
            rt_current->errors[rt_current->error_count] = strdup(message);
            rt_current->error_count += rt_current->errors[rt_current->error_count] != NULL;
        } else {
            rt_current->errors_dropped++;
        }
    }
    return result;
}

bool rt_check_struct(const void *structure, XrStructureType expected, const char *function,
                     const char *what, XrResult *result) {
    if (!structure) {
        *result = rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "%s is NULL", what);
        return false;
    }
    XrStructureType type = ((const XrBaseInStructure *)structure)->type;
    if (type != expected) {
        *result = rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "%s has type %d, expected %d",
                            what, (int)type, (int)expected);
        return false;
    }
    *result = XR_SUCCESS;
    return true;
}

XrResult rt_enumerate(uint32_t capacity, uint32_t needed, uint32_t *count, const void *array,
                      const char *function) {
    if (!count) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "the count output is NULL");
    }
    if (capacity > 0 && !array) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                         "capacity %u given with a NULL array", capacity);
    }
    *count = needed;
    if (capacity > 0 && capacity < needed) {
        return rt_refuse(XR_ERROR_SIZE_INSUFFICIENT, function, "capacity %u, %u needed", capacity,
                         needed);
    }
    return XR_SUCCESS;
}

void rt_queue_event(rt_instance *instance, const XrEventDataBuffer *event) {
    if (instance->event_count == RT_MAX_EVENTS) {
        /* The application is not polling; the oldest event is lost, as on a real runtime
         * (which would then queue XrEventDataEventsLost; none of our tests get here). */
        instance->event_first = (instance->event_first + 1) % RT_MAX_EVENTS;
        instance->event_count--;
    }
    size_t slot = (instance->event_first + instance->event_count) % RT_MAX_EVENTS;
    instance->events[slot] = *event;
    instance->event_count++;
}

void rt_queue_state(rt_instance *instance, XrSessionState state) {
    XrEventDataBuffer buffer = {.type = XR_TYPE_EVENT_DATA_BUFFER};
    XrEventDataSessionStateChanged *changed = (XrEventDataSessionStateChanged *)&buffer;
    changed->type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
    changed->next = NULL;
    changed->session = RT_HANDLE(XrSession, instance->session.handle);
    changed->state = state;
    changed->time = rt_now();
    rt_queue_event(instance, &buffer);
    instance->session.state = state;

    if (instance->state_count == instance->state_capacity) {
        size_t capacity = instance->state_capacity ? instance->state_capacity * 2 : 16;
        XrSessionState *states = realloc(instance->states, capacity * sizeof *states);
        if (!states) {
            return; /* the event still goes out; only the report misses it */
        }
        instance->states = states;
        instance->state_capacity = capacity;
    }
    instance->states[instance->state_count++] = state;
}

void rt_drop_session_events(rt_instance *instance, XrSession session) {
    size_t kept = 0;
    for (size_t i = 0; i < instance->event_count; i++) {
        XrEventDataBuffer event = instance->events[(instance->event_first + i) % RT_MAX_EVENTS];
        bool for_session = (event.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED &&
                            ((XrEventDataSessionStateChanged *)&event)->session == session) ||
                           (event.type == XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED &&
                            ((XrEventDataInteractionProfileChanged *)&event)->session == session);
        if (!for_session) {
            instance->events[(instance->event_first + kept) % RT_MAX_EVENTS] = event;
            kept++;
        }
    }
    instance->event_count = kept;
}

XrTime rt_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (XrTime)now.tv_sec * 1000000000 + now.tv_nsec;
}

XrTime rt_frame_display_time(const rt_instance *instance, int64_t frame) {
    return instance->epoch + (frame + 1) * RT_FRAME_PERIOD_NS;
}

const char *rt_result_name(XrResult result) {
    switch (result) {
#define RT_RESULT_CASE(name, value)                                                                \
    case name:                                                                                     \
        return #name;
        XR_LIST_ENUM_XrResult(RT_RESULT_CASE)
#undef RT_RESULT_CASE
            default : return NULL;
    }
}

const char *rt_state_name(XrSessionState state) {
    static const char prefix[] = "XR_SESSION_STATE_";
    switch (state) {
#define RT_STATE_CASE(name, value)                                                                 \
    case name:                                                                                     \
        return &#name[sizeof prefix - 1];
        XR_LIST_ENUM_XrSessionState(RT_STATE_CASE)
#undef RT_STATE_CASE
            default : return "UNKNOWN";
    }
}
