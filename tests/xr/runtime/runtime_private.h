/* State shared by the test runtime's files: the script, the one instance with its one session,
 * and the objects they own. Every entry point takes the runtime's lock (RT_LOCKED_SCOPE) before
 * touching any of it, so an application may call from several threads (xrWaitFrame on its own
 * thread, as the spec allows). */
#ifndef DS_TEST_XR_RUNTIME_PRIVATE_H
#define DS_TEST_XR_RUNTIME_PRIVATE_H

/* GLEW must come before any other GL header; GLX gives the Xlib binding's types. */
#include <GL/glew.h>

#include <GL/glx.h>

#define XR_USE_PLATFORM_XLIB
#define XR_USE_GRAPHICS_API_OPENGL
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every entry point is reached through xrGetInstanceProcAddr only. */
#define RT_API XRAPI_ATTR XrResult XRAPI_CALL

/* ---- limits of the simulated headset and of this runtime's tables ---- */
enum {
    RT_VIEW_COUNT = 2,
    RT_MAX_LAYERS = 16,
    RT_SWAPCHAIN_IMAGES = 3,
    RT_MAX_SPACES = 128,
    RT_MAX_SWAPCHAINS = 32,
    RT_MAX_ACTION_SETS = 32,
    RT_MAX_ACTIONS = 256,
    RT_MAX_SUBACTION_PATHS = 8,
    RT_MAX_BINDINGS = 2048,
    RT_MAX_PROFILES = 32,
    RT_MAX_EVENTS = 64,
    RT_MAX_ERRORS = 256,
};

/* 72 Hz, rounded to whole nanoseconds so that display times are exact multiples. */
#define RT_FRAME_PERIOD_NS ((XrDuration)13888889)
#define RT_SYSTEM_ID       ((XrSystemId)1)

/* ---- the script (DS_XR_TEST_SCRIPT) ---- */
typedef struct rt_head_key {
    int64_t frame;
    double position[3];
    double orientation[4]; /* x, y, z, w; normalised when parsed */
} rt_head_key;

/* A scripted input value: a number (dimensions 1) or an [x, y] pair (dimensions 2). */
typedef struct rt_input_value {
    int dimensions;
    float x, y;
} rt_input_value;

typedef struct rt_input_event {
    int64_t frame;
    char path[XR_MAX_PATH_LENGTH];
    rt_input_value value;
} rt_input_event;

typedef struct rt_frame_interval {
    int64_t first, end; /* [first, end) */
} rt_frame_interval;

typedef struct rt_script {
    uint32_t view_width, view_height;
    double fov[4]; /* left eye: angleLeft, angleRight, angleUp, angleDown */
    double ipd;
    int64_t frames; /* 0: never stop */
    bool stage, depth_extension, realtime, no_headset;
    rt_head_key *head; /* sorted by frame, at least one */
    size_t head_count;
    rt_frame_interval *focus_loss;
    size_t focus_loss_count;
    char profile[XR_MAX_PATH_LENGTH];
    rt_input_event *inputs; /* sorted by frame, in file order within a frame */
    size_t input_count;
    int64_t *capture;
    size_t capture_count;
} rt_script;

/* Reads DS_XR_TEST_SCRIPT (defaults when unset). On failure writes a message and returns false;
 * the script is then empty and needs no freeing. */
bool rt_script_load(rt_script *script, char *error, size_t error_size);
void rt_script_free(rt_script *script);
bool rt_script_captures(const rt_script *script, int64_t frame);
bool rt_script_focus_lost(const rt_script *script, int64_t frame);
/* The value `path` has after the inputs of frames up to `frame`; false when never set. */
bool rt_script_input(const rt_script *script, int64_t frame, const char *path,
                     rt_input_value *value);

/* ---- objects ---- */
typedef enum rt_space_kind { RT_SPACE_REFERENCE, RT_SPACE_ACTION } rt_space_kind;

typedef struct rt_space {
    uint64_t handle; /* 0: a free slot */
    rt_space_kind kind;
    XrReferenceSpaceType reference_type;
    uint64_t action; /* action spaces: the pose action's handle */
    XrPath subaction_path;
    XrPosef pose_in_space;
} rt_space;

typedef struct rt_swapchain {
    uint64_t handle;
    XrSwapchainCreateFlags create_flags;
    int64_t format;
    uint32_t width, height;
    uint32_t image_count;
    GLuint textures[RT_SWAPCHAIN_IMAGES];
    uint32_t acquired[RT_SWAPCHAIN_IMAGES]; /* acquired, not yet released, oldest first */
    uint32_t acquired_count;
    uint32_t waited_count; /* how many of the oldest acquired images have been waited on */
    uint32_t next_image;   /* the next to hand out (round robin) */
    int32_t last_released; /* -1 until an image is released */
    bool ever_acquired;    /* static swapchains hand out their one image once */
} rt_swapchain;

typedef struct rt_action_set {
    uint64_t handle;
    char name[XR_MAX_ACTION_SET_NAME_SIZE];
    char localized_name[XR_MAX_LOCALIZED_ACTION_SET_NAME_SIZE];
    bool attached;
} rt_action_set;

/* An action's state as of the last xrSyncActions, for one subaction path (or for all). */
typedef struct rt_action_state {
    bool active;
    bool changed;
    rt_input_value value; /* booleans: x is 0 or 1 */
    XrTime last_change_time;
} rt_action_state;

typedef struct rt_action {
    uint64_t handle;
    uint64_t action_set;
    XrActionType type;
    char name[XR_MAX_ACTION_NAME_SIZE];
    char localized_name[XR_MAX_LOCALIZED_ACTION_NAME_SIZE];
    XrPath subaction_paths[RT_MAX_SUBACTION_PATHS];
    uint32_t subaction_count;
    rt_action_state states[1 + RT_MAX_SUBACTION_PATHS]; /* [0]: XR_NULL_PATH, [1 + i]: path i */
} rt_action;

typedef struct rt_binding {
    XrPath profile;
    uint64_t action;
    XrPath path;
} rt_binding;

typedef struct rt_session {
    uint64_t handle;      /* 0: no session */
    XrSessionState state; /* the last state queued */
    bool running;
    bool stop_queued;  /* STOPPING has been queued (frames reached or exit requested) */
    bool synchronized; /* the first frame has ended: SYNCHRONIZED and up were queued */
    bool wait_pending; /* an xrWaitFrame not yet followed by xrBeginFrame */
    int64_t waited_frame;
    bool frame_begun;
    int64_t begun_frame;
    int64_t input_frame; /* inputs up to this frame are visible to xrSyncActions (-1: none) */
    bool action_sets_attached;
    rt_space spaces[RT_MAX_SPACES];
    rt_swapchain swapchains[RT_MAX_SWAPCHAINS];
} rt_session;

typedef struct rt_instance {
    uint64_t handle;
    rt_script script;
    char output_dir[4096]; /* DS_XR_TEST_OUTPUT, "" when unset */
    bool opengl_enabled, depth_enabled;
    bool graphics_requirements_queried;
    XrTime epoch; /* T0: frame n is displayed at epoch + (n + 1) * period */
    bool epoch_fixed;
    rt_session session;

    rt_action_set action_sets[RT_MAX_ACTION_SETS];
    rt_action actions[RT_MAX_ACTIONS];
    rt_binding bindings[RT_MAX_BINDINGS];
    size_t binding_count;
    XrPath suggested_profiles[RT_MAX_PROFILES]; /* in the order first suggested */
    size_t suggested_profile_count;

    char **paths; /* XrPath p names paths[p - 1] */
    size_t path_count, path_capacity;

    XrEventDataBuffer events[RT_MAX_EVENTS]; /* a ring */
    size_t event_first, event_count;

    /* what report.json tells */
    XrSessionState *states;
    size_t state_count, state_capacity;
    uint64_t frames_waited, frames_begun, frames_ended;
    uint64_t frames_with_projection, frames_with_depth;
    bool session_destroyed, action_sets_attached;
    const char *reference_space; /* of the last projection layer submitted, NULL before */
    char *errors[RT_MAX_ERRORS];
    size_t error_count, errors_dropped;
} rt_instance;

/* ---- runtime_state.c: the lock, handles, refusals, events ---- */
int rt_lock(void);
void rt_unlock_scope(int *unused);
/* Holds the runtime's lock until the enclosing block ends (released on every return path). */
#define RT_LOCKED_SCOPE                                                                            \
    __attribute__((cleanup(rt_unlock_scope))) int rt_scope_lock_ = rt_lock();                      \
    (void)rt_scope_lock_

extern rt_instance *rt_current;
uint64_t rt_new_handle(void);
#define RT_HANDLE(type, value)  ((type)(uintptr_t)(value))
#define RT_HANDLE_VALUE(handle) ((uint64_t)(uintptr_t)(handle))

rt_instance *rt_instance_from(XrInstance instance);
rt_session *rt_session_from(XrSession session);
rt_space *rt_space_from(XrSpace space);
rt_swapchain *rt_swapchain_from(XrSwapchain swapchain);
rt_action_set *rt_action_set_from(XrActionSet action_set);
rt_action *rt_action_from(XrAction action);
/* Refuses (and returns the error for) an action whose set is not attached to the session; else
 * XR_SUCCESS. */
XrResult rt_check_action_attached(const rt_action *action, const char *function);
/* Refuses a subaction path the action did not declare (XR_NULL_PATH is always fine); else the
 * index of its state: 0 for XR_NULL_PATH, 1 + i for the i-th declared path. */
XrResult rt_check_subaction(const rt_action *action, XrPath path, const char *function,
                            uint32_t *state_index);
/* The session a handle names, or NULL after refusing it with XR_ERROR_HANDLE_INVALID. */
rt_session *rt_session_checked(XrSession session, const char *function, XrResult *result);

/* Records a refused misuse in report.json's `errors` (and on stderr) and returns `result`. */
XrResult rt_refuse(XrResult result, const char *function, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks a struct's `type`; refuses with XR_ERROR_VALIDATION_FAILURE when NULL or wrong. */
bool rt_check_struct(const void *structure, XrStructureType expected, const char *function,
                     const char *what, XrResult *result);

/* The two-call idiom: stores `needed` in *count; refuses NULL count, a NULL array with a capacity,
 * and a capacity too small. The caller fills `needed` items when this succeeds with capacity > 0.
 */
XrResult rt_enumerate(uint32_t capacity, uint32_t needed, uint32_t *count, const void *array,
                      const char *function);

/* Queues a session state change event and records it for the report. */
void rt_queue_state(rt_instance *instance, XrSessionState state);
void rt_queue_event(rt_instance *instance, const XrEventDataBuffer *event);
void rt_drop_session_events(rt_instance *instance, XrSession session);

XrTime rt_now(void);
XrTime rt_frame_display_time(const rt_instance *instance, int64_t frame);
const char *rt_result_name(XrResult result);
const char *rt_state_name(XrSessionState state);

/* ---- runtime_instance.c ---- */
void rt_instance_free(rt_instance *instance);

/* ---- runtime_session.c ---- */
/* Destroys the session's swapchains and spaces (GL objects only when a context is current). */
void rt_session_teardown(rt_instance *instance, bool explicit_destroy);

/* ---- runtime_spaces.c: poses ---- */
XrPosef rt_pose_identity(void);
bool rt_pose_valid(const XrPosef *pose);
XrPosef rt_pose_compose(XrPosef a, XrPosef b);
XrPosef rt_pose_relative(XrPosef base, XrPosef target);         /* target in base's frame */
XrPosef rt_head_pose(const rt_instance *instance, XrTime time); /* in STAGE */
XrPosef rt_eye_pose(const rt_instance *instance, XrTime time, uint32_t eye);
XrFovf rt_eye_fov(const rt_instance *instance, uint32_t eye);
/* A space's pose in STAGE at `time`; false when it cannot be located now. */
bool rt_space_pose(const rt_instance *instance, const rt_space *space, XrTime time, XrPosef *pose);
const char *rt_space_name(const rt_space *space);

/* ---- runtime_swapchain.c: composition layers ---- */
typedef struct rt_frame_summary {
    const XrCompositionLayerProjection *projection; /* the first projection layer, or NULL */
    bool has_depth; /* a projection view had XrCompositionLayerDepthInfoKHR chained */
} rt_frame_summary;
/* Checks every submitted layer; refuses (recording why) with the spec's error. */
XrResult rt_check_layers(rt_instance *instance, const XrFrameEndInfo *info,
                         rt_frame_summary *summary);
/* Reads back a captured frame's projection views and writes their files. */
void rt_capture_frame(rt_instance *instance, int64_t frame, XrTime display_time,
                      const XrCompositionLayerProjection *projection);
/* Deletes the swapchain's textures (when a GL context is current) and frees its slot. */
void rt_swapchain_release_gl(rt_swapchain *swapchain);
const char *rt_format_name(int64_t format);

/* ---- runtime_input.c ---- */
const char *rt_path_string(const rt_instance *instance, XrPath path);
void rt_paths_free(rt_instance *instance);
/* Makes every action inactive (the session stopped being focused or ended). */
void rt_input_deactivate(rt_instance *instance);

/* ---- runtime_report.c ---- */
typedef struct rt_view_capture {
    uint32_t eye;
    XrPosef pose, expected_pose;
    XrFovf fov, expected_fov;
    const char *space;
    int32_t width, height;
    const char *format;
    bool depth;
    float near_z, far_z;
    const uint8_t *rgb; /* width * height * 3 bytes, top row first; NULL: no image */
} rt_view_capture;
void rt_report_write_view(const rt_instance *instance, int64_t frame,
                          const rt_view_capture *capture);
void rt_report_write(const rt_instance *instance);

/* ---- the entry points (runtime_dispatch.c hands them out by name) ---- */
RT_API rt_xrGetInstanceProcAddr(XrInstance instance, const char *name,
                                PFN_xrVoidFunction *function);
RT_API rt_xrEnumerateApiLayerProperties(uint32_t capacity, uint32_t *count,
                                        XrApiLayerProperties *properties);
RT_API rt_xrEnumerateInstanceExtensionProperties(const char *layer_name, uint32_t capacity,
                                                 uint32_t *count,
                                                 XrExtensionProperties *properties);
RT_API rt_xrCreateInstance(const XrInstanceCreateInfo *info, XrInstance *instance);
RT_API rt_xrDestroyInstance(XrInstance instance);
RT_API rt_xrGetInstanceProperties(XrInstance instance, XrInstanceProperties *properties);
RT_API rt_xrPollEvent(XrInstance instance, XrEventDataBuffer *event);
RT_API rt_xrResultToString(XrInstance instance, XrResult value,
                           char buffer[XR_MAX_RESULT_STRING_SIZE]);
RT_API rt_xrStructureTypeToString(XrInstance instance, XrStructureType value,
                                  char buffer[XR_MAX_STRUCTURE_NAME_SIZE]);
RT_API rt_xrGetSystem(XrInstance instance, const XrSystemGetInfo *info, XrSystemId *system);
RT_API rt_xrGetSystemProperties(XrInstance instance, XrSystemId system,
                                XrSystemProperties *properties);
RT_API rt_xrEnumerateViewConfigurations(XrInstance instance, XrSystemId system, uint32_t capacity,
                                        uint32_t *count, XrViewConfigurationType *types);
RT_API rt_xrGetViewConfigurationProperties(XrInstance instance, XrSystemId system,
                                           XrViewConfigurationType type,
                                           XrViewConfigurationProperties *properties);
RT_API rt_xrEnumerateViewConfigurationViews(XrInstance instance, XrSystemId system,
                                            XrViewConfigurationType type, uint32_t capacity,
                                            uint32_t *count, XrViewConfigurationView *views);
RT_API rt_xrEnumerateEnvironmentBlendModes(XrInstance instance, XrSystemId system,
                                           XrViewConfigurationType type, uint32_t capacity,
                                           uint32_t *count, XrEnvironmentBlendMode *modes);
RT_API rt_xrGetOpenGLGraphicsRequirementsKHR(XrInstance instance, XrSystemId system,
                                             XrGraphicsRequirementsOpenGLKHR *requirements);

RT_API rt_xrCreateSession(XrInstance instance, const XrSessionCreateInfo *info, XrSession *session);
RT_API rt_xrDestroySession(XrSession session);
RT_API rt_xrBeginSession(XrSession session, const XrSessionBeginInfo *info);
RT_API rt_xrEndSession(XrSession session);
RT_API rt_xrRequestExitSession(XrSession session);
RT_API rt_xrWaitFrame(XrSession session, const XrFrameWaitInfo *info, XrFrameState *state);
RT_API rt_xrBeginFrame(XrSession session, const XrFrameBeginInfo *info);
RT_API rt_xrEndFrame(XrSession session, const XrFrameEndInfo *info);

RT_API rt_xrEnumerateReferenceSpaces(XrSession session, uint32_t capacity, uint32_t *count,
                                     XrReferenceSpaceType *types);
RT_API rt_xrCreateReferenceSpace(XrSession session, const XrReferenceSpaceCreateInfo *info,
                                 XrSpace *space);
RT_API rt_xrGetReferenceSpaceBoundsRect(XrSession session, XrReferenceSpaceType type,
                                        XrExtent2Df *bounds);
RT_API rt_xrCreateActionSpace(XrSession session, const XrActionSpaceCreateInfo *info,
                              XrSpace *space);
RT_API rt_xrDestroySpace(XrSpace space);
RT_API rt_xrLocateSpace(XrSpace space, XrSpace base, XrTime time, XrSpaceLocation *location);
RT_API rt_xrLocateViews(XrSession session, const XrViewLocateInfo *info, XrViewState *state,
                        uint32_t capacity, uint32_t *count, XrView *views);

RT_API rt_xrEnumerateSwapchainFormats(XrSession session, uint32_t capacity, uint32_t *count,
                                      int64_t *formats);
RT_API rt_xrCreateSwapchain(XrSession session, const XrSwapchainCreateInfo *info,
                            XrSwapchain *swapchain);
RT_API rt_xrDestroySwapchain(XrSwapchain swapchain);
RT_API rt_xrEnumerateSwapchainImages(XrSwapchain swapchain, uint32_t capacity, uint32_t *count,
                                     XrSwapchainImageBaseHeader *images);
RT_API rt_xrAcquireSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageAcquireInfo *info,
                                  uint32_t *index);
RT_API rt_xrWaitSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageWaitInfo *info);
RT_API rt_xrReleaseSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageReleaseInfo *info);

RT_API rt_xrStringToPath(XrInstance instance, const char *string, XrPath *path);
RT_API rt_xrPathToString(XrInstance instance, XrPath path, uint32_t capacity, uint32_t *count,
                         char *buffer);
RT_API rt_xrCreateActionSet(XrInstance instance, const XrActionSetCreateInfo *info,
                            XrActionSet *action_set);
RT_API rt_xrDestroyActionSet(XrActionSet action_set);
RT_API rt_xrCreateAction(XrActionSet action_set, const XrActionCreateInfo *info, XrAction *action);
RT_API rt_xrDestroyAction(XrAction action);
RT_API
rt_xrSuggestInteractionProfileBindings(XrInstance instance,
                                       const XrInteractionProfileSuggestedBinding *suggested);
RT_API rt_xrAttachSessionActionSets(XrSession session, const XrSessionActionSetsAttachInfo *info);
RT_API rt_xrGetCurrentInteractionProfile(XrSession session, XrPath top_level_path,
                                         XrInteractionProfileState *profile);
RT_API rt_xrSyncActions(XrSession session, const XrActionsSyncInfo *info);
RT_API rt_xrGetActionStateBoolean(XrSession session, const XrActionStateGetInfo *info,
                                  XrActionStateBoolean *state);
RT_API rt_xrGetActionStateFloat(XrSession session, const XrActionStateGetInfo *info,
                                XrActionStateFloat *state);
RT_API rt_xrGetActionStateVector2f(XrSession session, const XrActionStateGetInfo *info,
                                   XrActionStateVector2f *state);
RT_API rt_xrGetActionStatePose(XrSession session, const XrActionStateGetInfo *info,
                               XrActionStatePose *state);
RT_API rt_xrEnumerateBoundSourcesForAction(XrSession session,
                                           const XrBoundSourcesForActionEnumerateInfo *info,
                                           uint32_t capacity, uint32_t *count, XrPath *sources);
RT_API rt_xrGetInputSourceLocalizedName(XrSession session,
                                        const XrInputSourceLocalizedNameGetInfo *info,
                                        uint32_t capacity, uint32_t *count, char *buffer);
RT_API rt_xrApplyHapticFeedback(XrSession session, const XrHapticActionInfo *info,
                                const XrHapticBaseHeader *feedback);
RT_API rt_xrStopHapticFeedback(XrSession session, const XrHapticActionInfo *info);

/* Which hand (0 left, 1 right) a pose action follows for a subaction path; -1 when none. */
int rt_action_hand(const rt_instance *instance, const rt_action *action, XrPath subaction);

#endif
