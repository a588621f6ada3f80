/* Spaces and poses: the scripted head (keys interpolated by frame), the eyes either side of it,
 * the reference spaces VIEW, LOCAL and STAGE, the controllers' action spaces, and xrLocateSpace
 * and xrLocateViews. Everything is computed in STAGE, where the script's poses are. */
#include "runtime_private.h"

#include <math.h>
#include <string.h>

/* Controllers are not scripted: each hand rests at a fixed pose in STAGE, in front of the
 * default head, so that pose actions and action spaces have something to report. */
static const XrPosef controller_poses[2] = {
    {{0.0f, 0.0f, 0.0f, 1.0f}, {-0.2f, 1.1f, -0.35f}},
    {{0.0f, 0.0f, 0.0f, 1.0f}, {0.2f, 1.1f, -0.35f}},
};

/* ---- quaternion and pose arithmetic, in double precision ---- */

typedef struct quaternion {
    double x, y, z, w;
} quaternion;

typedef struct vector3 {
    double x, y, z;
} vector3;

static quaternion quaternion_of(XrQuaternionf q) {
    return (quaternion){q.x, q.y, q.z, q.w};
}

static vector3 vector_of(XrVector3f v) {
    return (vector3){v.x, v.y, v.z};
}

static quaternion normalized(quaternion q) {
    double norm = sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    if (norm == 0.0) {
        return (quaternion){0, 0, 0, 1};
    }
    return (quaternion){q.x / norm, q.y / norm, q.z / norm, q.w / norm};
}

static quaternion multiply(quaternion a, quaternion b) {
    return (quaternion){
        a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
        a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
        a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
        a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    };
}

static quaternion conjugate(quaternion q) {
    return (quaternion){-q.x, -q.y, -q.z, q.w};
}

static vector3 rotate(quaternion q, vector3 v) {
    quaternion rotated = multiply(multiply(q, (quaternion){v.x, v.y, v.z, 0.0}), conjugate(q));
    return (vector3){rotated.x, rotated.y, rotated.z};
}

static quaternion slerp(quaternion a, quaternion b, double t) {
    double dot = a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
    if (dot < 0.0) { /* the shorter way round */
        b = (quaternion){-b.x, -b.y, -b.z, -b.w};
        dot = -dot;
    }
    double wa = 1.0 - t, wb = t;
    if (dot < 0.9999) {
        double angle = acos(dot), sine = sin(angle);
        wa = sin((1.0 - t) * angle) / sine;
        wb = sin(t * angle) / sine;
    }
    return normalized((quaternion){wa * a.x + wb * b.x, wa * a.y + wb * b.y, wa * a.z + wb * b.z,
                                   wa * a.w + wb * b.w});
}

static XrPosef pose_of(quaternion q, vector3 p) {
    q = normalized(q);
    return (XrPosef){{(float)q.x, (float)q.y, (float)q.z, (float)q.w},
                     {(float)p.x, (float)p.y, (float)p.z}};
}

XrPosef rt_pose_identity(void) {
    return (XrPosef){{0.0f, 0.0f, 0.0f, 1.0f}, {0.0f, 0.0f, 0.0f}};
}

bool rt_pose_valid(const XrPosef *pose) {
    quaternion q = quaternion_of(pose->orientation);
    double norm = sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    return fabs(norm - 1.0) <= 1e-3 && isfinite(pose->position.x) && isfinite(pose->position.y) &&
           isfinite(pose->position.z);
}

XrPosef rt_pose_compose(XrPosef a, XrPosef b) {
    quaternion qa = quaternion_of(a.orientation);
    vector3 offset = rotate(qa, vector_of(b.position));
    vector3 position = {a.position.x + offset.x, a.position.y + offset.y, a.position.z + offset.z};
    return pose_of(multiply(qa, quaternion_of(b.orientation)), position);
}

XrPosef rt_pose_relative(XrPosef base, XrPosef target) {
    quaternion inverse = conjugate(quaternion_of(base.orientation));
    vector3 difference = {target.position.x - base.position.x, target.position.y - base.position.y,
                          target.position.z - base.position.z};
    return pose_of(multiply(inverse, quaternion_of(target.orientation)),
                   rotate(inverse, difference));
}

/* ---- the scripted head ---- */

static XrPosef head_at_frame(const rt_script *script, double frame) {
    const rt_head_key *keys = script->head;
    size_t last = script->head_count - 1;
    const rt_head_key *a = &keys[0], *b = &keys[0];
    double t = 0.0;
    if (frame >= (double)keys[last].frame) {
        a = b = &keys[last];
    } else if (frame > (double)keys[0].frame) {
        size_t next = 1;
        while ((double)keys[next].frame <= frame) {
            next++;
        }
        a = &keys[next - 1];
        b = &keys[next];
        t = (frame - (double)a->frame) / (double)(b->frame - a->frame);
    }
    vector3 position = {a->position[0] + t * (b->position[0] - a->position[0]),
                        a->position[1] + t * (b->position[1] - a->position[1]),
                        a->position[2] + t * (b->position[2] - a->position[2])};
    quaternion qa = {a->orientation[0], a->orientation[1], a->orientation[2], a->orientation[3]};
    quaternion qb = {b->orientation[0], b->orientation[1], b->orientation[2], b->orientation[3]};
    return pose_of(slerp(qa, qb, t), position);
}

/* Frame n is displayed at epoch + (n + 1) * period; times between frames interpolate. */
static double frame_at_time(const rt_instance *instance, XrTime time) {
    return (double)(time - instance->epoch) / (double)RT_FRAME_PERIOD_NS - 1.0;
}

XrPosef rt_head_pose(const rt_instance *instance, XrTime time) {
    return head_at_frame(&instance->script, frame_at_time(instance, time));
}

XrPosef rt_eye_pose(const rt_instance *instance, XrTime time, uint32_t eye) {
    XrPosef head = rt_head_pose(instance, time);
    double half_ipd = instance->script.ipd / 2.0;
    XrPosef offset = rt_pose_identity();
    offset.position.x = (float)(eye == 0 ? -half_ipd : half_ipd);
    return rt_pose_compose(head, offset);
}

XrFovf rt_eye_fov(const rt_instance *instance, uint32_t eye) {
    const double *fov = instance->script.fov;
    if (eye == 0) {
        return (XrFovf){(float)fov[0], (float)fov[1], (float)fov[2], (float)fov[3]};
    }
    return (XrFovf){(float)-fov[1], (float)-fov[0], (float)fov[2], (float)fov[3]};
}

/* LOCAL: at the frame-0 head position, turned only by its yaw (gravity aligned). */
static XrPosef local_origin(const rt_instance *instance) {
    XrPosef head = head_at_frame(&instance->script, 0.0);
    vector3 forward = rotate(quaternion_of(head.orientation), (vector3){0.0, 0.0, -1.0});
    double yaw = atan2(-forward.x, -forward.z);
    quaternion turn = {0.0, sin(yaw / 2.0), 0.0, cos(yaw / 2.0)};
    return pose_of(turn, vector_of(head.position));
}

static bool reference_space_supported(const rt_instance *instance, XrReferenceSpaceType type) {
    return type == XR_REFERENCE_SPACE_TYPE_VIEW || type == XR_REFERENCE_SPACE_TYPE_LOCAL ||
           (type == XR_REFERENCE_SPACE_TYPE_STAGE && instance->script.stage);
}

bool rt_space_pose(const rt_instance *instance, const rt_space *space, XrTime time, XrPosef *pose) {
    XrPosef origin = rt_pose_identity();
    if (space->kind == RT_SPACE_ACTION) {
        const rt_action *action = rt_action_from(RT_HANDLE(XrAction, space->action));
        int hand = action ? rt_action_hand(instance, action, space->subaction_path) : -1;
        if (hand < 0 || instance->session.state != XR_SESSION_STATE_FOCUSED) {
            return false; /* a controller only tracks while its action is bound and focused */
        }
        origin = controller_poses[hand];
    } else if (space->reference_type == XR_REFERENCE_SPACE_TYPE_VIEW) {
        origin = rt_head_pose(instance, time);
    } else if (space->reference_type == XR_REFERENCE_SPACE_TYPE_LOCAL) {
        origin = local_origin(instance);
    }
    *pose = rt_pose_compose(origin, space->pose_in_space);
    return true;
}

const char *rt_space_name(const rt_space *space) {
    if (space->kind == RT_SPACE_ACTION) {
        return "ACTION";
    }
    switch (space->reference_type) {
    case XR_REFERENCE_SPACE_TYPE_VIEW:
        return "VIEW";
    case XR_REFERENCE_SPACE_TYPE_LOCAL:
        return "LOCAL";
    case XR_REFERENCE_SPACE_TYPE_STAGE:
        return "STAGE";
    default:
        return "UNKNOWN";
    }
}

/* ---- entry points ---- */

static rt_space *new_space(rt_session *session, const char *function, XrResult *result) {
    for (size_t i = 0; i < RT_MAX_SPACES; i++) {
        if (!session->spaces[i].handle) {
            session->spaces[i] = (rt_space){.handle = rt_new_handle()};
            return &session->spaces[i];
        }
    }
    *result = rt_refuse(XR_ERROR_LIMIT_REACHED, function, "more than %d spaces", RT_MAX_SPACES);
    return NULL;
}

RT_API rt_xrEnumerateReferenceSpaces(XrSession handle, uint32_t capacity, uint32_t *count,
                                     XrReferenceSpaceType *types) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateReferenceSpaces";
    XrResult result;
    if (!rt_session_checked(handle, function, &result)) {
        return result;
    }
    static const XrReferenceSpaceType all[] = {
        XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL, XR_REFERENCE_SPACE_TYPE_STAGE};
    uint32_t offered = rt_current->script.stage ? 3 : 2;
    result = rt_enumerate(capacity, offered, count, types, function);
    if (result == XR_SUCCESS && capacity > 0) {
        memcpy(types, all, offered * sizeof *types);
    }
    return result;
}

RT_API rt_xrCreateReferenceSpace(XrSession handle, const XrReferenceSpaceCreateInfo *info,
                                 XrSpace *space_handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateReferenceSpace";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session || !rt_check_struct(info, XR_TYPE_REFERENCE_SPACE_CREATE_INFO, function,
                                     "createInfo", &result)) {
        return result;
    }
    if (!space_handle) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "space output is NULL");
    }
    if (!reference_space_supported(rt_current, info->referenceSpaceType)) {
        return rt_refuse(XR_ERROR_REFERENCE_SPACE_UNSUPPORTED, function,
                         "reference space type %d is not offered", (int)info->referenceSpaceType);
    }
    if (!rt_pose_valid(&info->poseInReferenceSpace)) {
        return rt_refuse(XR_ERROR_POSE_INVALID, function,
                         "poseInReferenceSpace's orientation is not a unit quaternion");
    }
    rt_space *space = new_space(session, function, &result);
    if (!space) {
        return result;
    }
    space->kind = RT_SPACE_REFERENCE;
    space->reference_type = info->referenceSpaceType;
    space->pose_in_space = info->poseInReferenceSpace;
    *space_handle = RT_HANDLE(XrSpace, space->handle);
    return XR_SUCCESS;
}

RT_API rt_xrGetReferenceSpaceBoundsRect(XrSession handle, XrReferenceSpaceType type,
                                        XrExtent2Df *bounds) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetReferenceSpaceBoundsRect";
    XrResult result;
    if (!rt_session_checked(handle, function, &result)) {
        return result;
    }
    if (!bounds) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "bounds output is NULL");
    }
    if (!reference_space_supported(rt_current, type)) {
        return rt_refuse(XR_ERROR_REFERENCE_SPACE_UNSUPPORTED, function,
                         "reference space type %d is not offered", (int)type);
    }
    if (type != XR_REFERENCE_SPACE_TYPE_STAGE) {
        *bounds = (XrExtent2Df){0.0f, 0.0f};
        return XR_SPACE_BOUNDS_UNAVAILABLE;
    }
    *bounds = (XrExtent2Df){3.0f, 3.0f}; /* a 3 m x 3 m play area around the STAGE origin */
    return XR_SUCCESS;
}

RT_API rt_xrCreateActionSpace(XrSession handle, const XrActionSpaceCreateInfo *info,
                              XrSpace *space_handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateActionSpace";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_ACTION_SPACE_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!space_handle) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "space output is NULL");
    }
    const rt_action *action = rt_action_from(info->action);
    if (!action) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown action");
    }
    if (action->type != XR_ACTION_TYPE_POSE_INPUT) {
        return rt_refuse(XR_ERROR_ACTION_TYPE_MISMATCH, function, "action '%s' is not a pose",
                         action->name);
    }
    uint32_t index;
    result = rt_check_action_attached(action, function);
    if (result == XR_SUCCESS) {
        result = rt_check_subaction(action, info->subactionPath, function, &index);
    }
    if (result != XR_SUCCESS) {
        return result;
    }
    if (!rt_pose_valid(&info->poseInActionSpace)) {
        return rt_refuse(XR_ERROR_POSE_INVALID, function,
                         "poseInActionSpace's orientation is not a unit quaternion");
    }
    rt_space *space = new_space(session, function, &result);
    if (!space) {
        return result;
    }
    space->kind = RT_SPACE_ACTION;
    space->action = action->handle;
    space->subaction_path = info->subactionPath;
    space->pose_in_space = info->poseInActionSpace;
    *space_handle = RT_HANDLE(XrSpace, space->handle);
    return XR_SUCCESS;
}

RT_API rt_xrDestroySpace(XrSpace handle) {
    RT_LOCKED_SCOPE;
    rt_space *space = rt_space_from(handle);
    if (!space) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, "xrDestroySpace", "unknown space");
    }
    *space = (rt_space){0};
    return XR_SUCCESS;
}

RT_API rt_xrLocateSpace(XrSpace space_handle, XrSpace base_handle, XrTime time,
                        XrSpaceLocation *location) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrLocateSpace";
    XrResult result;
    const rt_space *space = rt_space_from(space_handle);
    const rt_space *base = rt_space_from(base_handle);
    if (!space || !base) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown %s",
                         space ? "baseSpace" : "space");
    }
    if (!rt_check_struct(location, XR_TYPE_SPACE_LOCATION, function, "location", &result)) {
        return result;
    }
    if (time <= 0) {
        return rt_refuse(XR_ERROR_TIME_INVALID, function, "time %lld", (long long)time);
    }
    XrPosef space_pose, base_pose;
    if (rt_space_pose(rt_current, space, time, &space_pose) &&
        rt_space_pose(rt_current, base, time, &base_pose)) {
        location->pose = rt_pose_relative(base_pose, space_pose);
        location->locationFlags =
            XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |
            XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    } else {
        location->pose = rt_pose_identity();
        location->locationFlags = 0;
    }
    /* Velocities are not simulated: a chained XrSpaceVelocity says so with no flags. */
    for (XrBaseOutStructure *link = location->next; link; link = link->next) {
        if (link->type == XR_TYPE_SPACE_VELOCITY) {
            XrSpaceVelocity *velocity = (XrSpaceVelocity *)link;
            velocity->velocityFlags = 0;
            velocity->linearVelocity = (XrVector3f){0.0f, 0.0f, 0.0f};
            velocity->angularVelocity = (XrVector3f){0.0f, 0.0f, 0.0f};
        }
    }
    return XR_SUCCESS;
}

RT_API rt_xrLocateViews(XrSession handle, const XrViewLocateInfo *info, XrViewState *state,
                        uint32_t capacity, uint32_t *count, XrView *views) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrLocateViews";
    XrResult result;
    if (!rt_session_checked(handle, function, &result) ||
        !rt_check_struct(info, XR_TYPE_VIEW_LOCATE_INFO, function, "viewLocateInfo", &result) ||
        !rt_check_struct(state, XR_TYPE_VIEW_STATE, function, "viewState", &result)) {
        return result;
    }
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) {
        return rt_refuse(XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED, function,
                         "view configuration %d (only PRIMARY_STEREO)",
                         (int)info->viewConfigurationType);
    }
    if (info->displayTime <= 0) {
        return rt_refuse(XR_ERROR_TIME_INVALID, function, "displayTime %lld",
                         (long long)info->displayTime);
    }
    const rt_space *space = rt_space_from(info->space);
    if (!space) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown space");
    }
    result = rt_enumerate(capacity, RT_VIEW_COUNT, count, views, function);
    if (result != XR_SUCCESS || capacity == 0) {
        return result;
    }
    for (uint32_t eye = 0; eye < RT_VIEW_COUNT; eye++) {
        if (!rt_check_struct(&views[eye], XR_TYPE_VIEW, function, "views[i]", &result)) {
            return result;
        }
    }
    XrPosef space_pose;
    bool located = rt_space_pose(rt_current, space, info->displayTime, &space_pose);
    state->viewStateFlags =
        located ? XR_VIEW_STATE_ORIENTATION_VALID_BIT | XR_VIEW_STATE_POSITION_VALID_BIT |
                      XR_VIEW_STATE_ORIENTATION_TRACKED_BIT | XR_VIEW_STATE_POSITION_TRACKED_BIT
                : 0;
    for (uint32_t eye = 0; eye < RT_VIEW_COUNT; eye++) {
        views[eye].pose =
            located ? rt_pose_relative(space_pose, rt_eye_pose(rt_current, info->displayTime, eye))
                    : rt_pose_identity();
        views[eye].fov = rt_eye_fov(rt_current, eye);
    }
    return XR_SUCCESS;
}
