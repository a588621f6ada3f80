/* Input: paths, action sets and actions, suggested bindings, and the action states that
 * xrSyncActions computes from the script's inputs. Input reaches an action only through the
 * application's suggested bindings for the script's interaction profile; the controllers have
 * no fixed list of inputs, so any binding path under /user/ is accepted. */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PATHS = 8192 };

static const char *const top_level_paths[] = {
    "/user/hand/left", "/user/hand/right", "/user/head", "/user/gamepad", "/user/treadmill",
};

/* ---- paths ---- */

/* Well-formed paths (spec 6.1): '/'-separated non-empty components of [a-z0-9-_.], none of
 * them only dots, no trailing '/'. */
static bool path_well_formed(const char *path) {
    size_t length = strnlen(path, XR_MAX_PATH_LENGTH);
    if (length == 0 || length >= XR_MAX_PATH_LENGTH || path[0] != '/' || path[length - 1] == '/') {
        return false;
    }
    bool only_dots = true;
    size_t component = 0;
    for (size_t i = 1; i <= length; i++) {
        char c = path[i];
        if (c == '/' || c == '\0') {
            if (component == 0 || only_dots) {
                return false;
            }
            component = 0;
            only_dots = true;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            return false;
        }
        only_dots = only_dots && c == '.';
        component++;
    }
    return true;
}

/* Action and action set names: one path component. */
static bool name_well_formed(const char *name, size_t size) {
    char path[XR_MAX_PATH_LENGTH];
    if (strnlen(name, size) == size || strchr(name, '/')) {
        return false;
    }
    snprintf(path, sizeof path, "/%s", name);
    return path_well_formed(path);
}

static XrPath find_path(const rt_instance *instance, const char *string) {
    for (size_t i = 0; i < instance->path_count; i++) {
        if (strcmp(instance->paths[i], string) == 0) {
            return (XrPath)(i + 1);
        }
    }
    return XR_NULL_PATH;
}

static XrPath intern_path(rt_instance *instance, const char *string) {
    XrPath found = find_path(instance, string);
    if (found != XR_NULL_PATH || instance->path_count == MAX_PATHS) {
        return found;
    }
    if (instance->path_count == instance->path_capacity) {
        size_t capacity = instance->path_capacity ? instance->path_capacity * 2 : 64;
        char **grown = realloc(instance->paths, capacity * sizeof *grown);
        if (!grown) {
            return XR_NULL_PATH;
        }
        instance->paths = grown;
        instance->path_capacity = capacity;
    }
    char *copy = strdup(string);
    if (!copy) {
        return XR_NULL_PATH;
    }
    instance->paths[instance->path_count++] = copy;
    return (XrPath)instance->path_count;
}

const char *rt_path_string(const rt_instance *instance, XrPath path) {
    return path >= 1 && path <= instance->path_count ? instance->paths[path - 1] : NULL;
}

void rt_paths_free(rt_instance *instance) {
    for (size_t i = 0; i < instance->path_count; i++) {
        free(instance->paths[i]);
    }
    free(instance->paths);
    instance->paths = NULL;
    instance->path_count = instance->path_capacity = 0;
}

static bool starts_with(const char *string, const char *prefix) {
    return strncmp(string, prefix, strlen(prefix)) == 0;
}

/* Whether `path` lies under the top-level path `user` ("/user/hand/left/input/..."). */
static bool path_under(const char *path, const char *user) {
    size_t length = strlen(user);
    return strncmp(path, user, length) == 0 && path[length] == '/';
}

static bool is_top_level_path(const char *path) {
    for (size_t i = 0; i < sizeof top_level_paths / sizeof top_level_paths[0]; i++) {
        if (strcmp(path, top_level_paths[i]) == 0) {
            return true;
        }
    }
    return false;
}

RT_API rt_xrStringToPath(XrInstance handle, const char *string, XrPath *path) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrStringToPath";
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!string || !path) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "NULL string or path output");
    }
    if (!path_well_formed(string)) {
        return rt_refuse(XR_ERROR_PATH_FORMAT_INVALID, function, "'%.*s' is not a well-formed path",
                         XR_MAX_PATH_LENGTH, string);
    }
    XrPath interned = intern_path(instance, string);
    if (interned == XR_NULL_PATH) {
        return rt_refuse(XR_ERROR_PATH_COUNT_EXCEEDED, function, "more than %d paths", MAX_PATHS);
    }
    *path = interned;
    return XR_SUCCESS;
}

RT_API rt_xrPathToString(XrInstance handle, XrPath path, uint32_t capacity, uint32_t *count,
                         char *buffer) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrPathToString";
    const rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    const char *string = rt_path_string(instance, path);
    if (!string) {
        return rt_refuse(XR_ERROR_PATH_INVALID, function, "unknown path %llu",
                         (unsigned long long)path);
    }
    uint32_t needed = (uint32_t)strlen(string) + 1;
    XrResult result = rt_enumerate(capacity, needed, count, buffer, function);
    if (result == XR_SUCCESS && capacity > 0) {
        memcpy(buffer, string, needed);
    }
    return result;
}

/* ---- action sets and actions ---- */

RT_API rt_xrCreateActionSet(XrInstance handle, const XrActionSetCreateInfo *info,
                            XrActionSet *action_set) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateActionSet";
    XrResult result;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(info, XR_TYPE_ACTION_SET_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!action_set) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "actionSet output is NULL");
    }
    if (!name_well_formed(info->actionSetName, sizeof info->actionSetName)) {
        return rt_refuse(XR_ERROR_PATH_FORMAT_INVALID, function,
                         "actionSetName '%.*s' is not well formed", XR_MAX_ACTION_SET_NAME_SIZE,
                         info->actionSetName);
    }
    size_t localized_length =
        strnlen(info->localizedActionSetName, sizeof info->localizedActionSetName);
    if (localized_length == 0 || localized_length == sizeof info->localizedActionSetName) {
        return rt_refuse(XR_ERROR_LOCALIZED_NAME_INVALID, function,
                         "localizedActionSetName is empty or unterminated");
    }
    rt_action_set *free_slot = NULL;
    for (size_t i = 0; i < RT_MAX_ACTION_SETS; i++) {
        rt_action_set *set = &instance->action_sets[i];
        if (!set->handle) {
            free_slot = free_slot ? free_slot : set;
        } else if (strcmp(set->name, info->actionSetName) == 0) {
            return rt_refuse(XR_ERROR_NAME_DUPLICATED, function, "action set '%s' exists",
                             set->name);
        } else if (strcmp(set->localized_name, info->localizedActionSetName) == 0) {
            return rt_refuse(XR_ERROR_LOCALIZED_NAME_DUPLICATED, function,
                             "localized name '%s' is taken", set->localized_name);
        }
    }
    if (!free_slot) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function, "more than %d action sets",
                         RT_MAX_ACTION_SETS);
    }
    *free_slot = (rt_action_set){.handle = rt_new_handle()};
    snprintf(free_slot->name, sizeof free_slot->name, "%s", info->actionSetName);
    snprintf(free_slot->localized_name, sizeof free_slot->localized_name, "%s",
             info->localizedActionSetName);
    *action_set = RT_HANDLE(XrActionSet, free_slot->handle);
    return XR_SUCCESS;
}

RT_API rt_xrDestroyActionSet(XrActionSet handle) {
    RT_LOCKED_SCOPE;
    rt_action_set *set = rt_action_set_from(handle);
    if (!set) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, "xrDestroyActionSet", "unknown action set");
    }
    for (size_t i = 0; i < RT_MAX_ACTIONS; i++) {
        if (rt_current->actions[i].action_set == set->handle) {
            rt_current->actions[i] = (rt_action){0};
        }
    }
    *set = (rt_action_set){0};
    return XR_SUCCESS;
}

static bool action_type_valid(XrActionType type) {
    return type == XR_ACTION_TYPE_BOOLEAN_INPUT || type == XR_ACTION_TYPE_FLOAT_INPUT ||
           type == XR_ACTION_TYPE_VECTOR2F_INPUT || type == XR_ACTION_TYPE_POSE_INPUT ||
           type == XR_ACTION_TYPE_VIBRATION_OUTPUT;
}

static XrResult check_subaction_paths(const rt_instance *instance, const XrActionCreateInfo *info,
                                      const char *function) {
    if (info->countSubactionPaths > 0 && !info->subactionPaths) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "subactionPaths is NULL");
    }
    if (info->countSubactionPaths > RT_MAX_SUBACTION_PATHS) {
        return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function, "%u subaction paths, at most %d",
                         info->countSubactionPaths, RT_MAX_SUBACTION_PATHS);
    }
    for (uint32_t i = 0; i < info->countSubactionPaths; i++) {
        const char *path = rt_path_string(instance, info->subactionPaths[i]);
        if (!path) {
            return rt_refuse(XR_ERROR_PATH_INVALID, function, "subactionPaths[%u] is unknown", i);
        }
        if (!is_top_level_path(path)) {
            return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function,
                             "subaction path %s is not a top-level user path", path);
        }
        for (uint32_t k = 0; k < i; k++) {
            if (info->subactionPaths[k] == info->subactionPaths[i]) {
                return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function,
                                 "subaction path %s is listed twice", path);
            }
        }
    }
    return XR_SUCCESS;
}

RT_API rt_xrCreateAction(XrActionSet set_handle, const XrActionCreateInfo *info,
                         XrAction *action_handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateAction";
    XrResult result;
    const rt_action_set *set = rt_action_set_from(set_handle);
    if (!set) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown action set");
    }
    if (!rt_check_struct(info, XR_TYPE_ACTION_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!action_handle) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "action output is NULL");
    }
    if (set->attached) {
        return rt_refuse(XR_ERROR_ACTIONSETS_ALREADY_ATTACHED, function,
                         "action set '%s' is attached: no new actions", set->name);
    }
    if (!name_well_formed(info->actionName, sizeof info->actionName)) {
        return rt_refuse(XR_ERROR_PATH_FORMAT_INVALID, function,
                         "actionName '%.*s' is not well formed", XR_MAX_ACTION_NAME_SIZE,
                         info->actionName);
    }
    size_t localized_length = strnlen(info->localizedActionName, sizeof info->localizedActionName);
    if (localized_length == 0 || localized_length == sizeof info->localizedActionName) {
        return rt_refuse(XR_ERROR_LOCALIZED_NAME_INVALID, function,
                         "localizedActionName is empty or unterminated");
    }
    if (!action_type_valid(info->actionType)) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "actionType %d is invalid",
                         (int)info->actionType);
    }
    result = check_subaction_paths(rt_current, info, function);
    if (result != XR_SUCCESS) {
        return result;
    }
    rt_action *free_slot = NULL;
    for (size_t i = 0; i < RT_MAX_ACTIONS; i++) {
        rt_action *action = &rt_current->actions[i];
        if (!action->handle) {
            free_slot = free_slot ? free_slot : action;
        } else if (action->action_set != set->handle) {
            continue;
        } else if (strcmp(action->name, info->actionName) == 0) {
            return rt_refuse(XR_ERROR_NAME_DUPLICATED, function, "action '%s' exists in '%s'",
                             action->name, set->name);
        } else if (strcmp(action->localized_name, info->localizedActionName) == 0) {
            return rt_refuse(XR_ERROR_LOCALIZED_NAME_DUPLICATED, function,
                             "localized name '%s' is taken in '%s'", action->localized_name,
                             set->name);
        }
    }
    if (!free_slot) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function, "more than %d actions", RT_MAX_ACTIONS);
    }
    *free_slot = (rt_action){
        .handle = rt_new_handle(),
        .action_set = set->handle,
        .type = info->actionType,
        .subaction_count = info->countSubactionPaths,
    };
    snprintf(free_slot->name, sizeof free_slot->name, "%s", info->actionName);
    snprintf(free_slot->localized_name, sizeof free_slot->localized_name, "%s",
             info->localizedActionName);
    for (uint32_t i = 0; i < info->countSubactionPaths; i++) {
        free_slot->subaction_paths[i] = info->subactionPaths[i];
    }
    *action_handle = RT_HANDLE(XrAction, free_slot->handle);
    return XR_SUCCESS;
}

RT_API rt_xrDestroyAction(XrAction handle) {
    RT_LOCKED_SCOPE;
    rt_action *action = rt_action_from(handle);
    if (!action) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, "xrDestroyAction", "unknown action");
    }
    *action = (rt_action){0};
    return XR_SUCCESS;
}

/* ---- bindings ---- */

static XrResult check_suggestion(const rt_instance *instance,
                                 const XrInteractionProfileSuggestedBinding *suggested,
                                 const char *function) {
    const char *profile = rt_path_string(instance, suggested->interactionProfile);
    if (!profile) {
        return rt_refuse(XR_ERROR_PATH_INVALID, function, "unknown interactionProfile path");
    }
    if (!starts_with(profile, "/interaction_profiles/")) {
        return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function, "%s is not an interaction profile",
                         profile);
    }
    if (suggested->countSuggestedBindings == 0 || !suggested->suggestedBindings) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "no suggested bindings");
    }
    for (uint32_t i = 0; i < suggested->countSuggestedBindings; i++) {
        const XrActionSuggestedBinding *binding = &suggested->suggestedBindings[i];
        const rt_action *action = rt_action_from(binding->action);
        if (!action) {
            return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "binding %u: unknown action", i);
        }
        const rt_action_set *set = rt_action_set_from(RT_HANDLE(XrActionSet, action->action_set));
        if (set && set->attached) {
            return rt_refuse(XR_ERROR_ACTIONSETS_ALREADY_ATTACHED, function,
                             "binding %u: action '%s''s set is attached", i, action->name);
        }
        const char *path = rt_path_string(instance, binding->binding);
        if (!path) {
            return rt_refuse(XR_ERROR_PATH_INVALID, function, "binding %u: unknown path", i);
        }
        if (!starts_with(path, "/user/")) {
            return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function,
                             "binding %u: %s is not an input path of %s", i, path, profile);
        }
    }
    return XR_SUCCESS;
}

RT_API
rt_xrSuggestInteractionProfileBindings(XrInstance handle,
                                       const XrInteractionProfileSuggestedBinding *suggested) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrSuggestInteractionProfileBindings";
    XrResult result;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(suggested, XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING, function,
                         "suggestedBindings", &result)) {
        return result;
    }
    result = check_suggestion(instance, suggested, function);
    if (result != XR_SUCCESS) {
        return result;
    }
    /* A new suggestion for a profile replaces the previous one. */
    size_t kept = 0;
    for (size_t i = 0; i < instance->binding_count; i++) {
        if (instance->bindings[i].profile != suggested->interactionProfile) {
            instance->bindings[kept++] = instance->bindings[i];
        }
    }
    instance->binding_count = kept;
    if (kept + suggested->countSuggestedBindings > RT_MAX_BINDINGS) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function, "more than %d bindings in all",
                         RT_MAX_BINDINGS);
    }
    for (uint32_t i = 0; i < suggested->countSuggestedBindings; i++) {
        instance->bindings[instance->binding_count++] = (rt_binding){
            .profile = suggested->interactionProfile,
            .action = RT_HANDLE_VALUE(suggested->suggestedBindings[i].action),
            .path = suggested->suggestedBindings[i].binding,
        };
    }
    bool known = false;
    for (size_t i = 0; i < instance->suggested_profile_count; i++) {
        known = known || instance->suggested_profiles[i] == suggested->interactionProfile;
    }
    if (!known && instance->suggested_profile_count < RT_MAX_PROFILES) {
        instance->suggested_profiles[instance->suggested_profile_count++] =
            suggested->interactionProfile;
    }
    return XR_SUCCESS;
}

/* The bindings of the script's profile count; the others are suggestions for controllers this
 * headset does not have. */
static XrPath script_profile(const rt_instance *instance) {
    return find_path(instance, instance->script.profile);
}

static bool profile_suggested(const rt_instance *instance) {
    XrPath profile = script_profile(instance);
    for (size_t i = 0; profile && i < instance->binding_count; i++) {
        if (instance->bindings[i].profile == profile) {
            return true;
        }
    }
    return false;
}

/* Does a binding of `action` through the script's profile apply to this subaction path and
 * action set filter? */
static bool binding_applies(const rt_instance *instance, const rt_binding *binding,
                            const rt_action *action, XrPath subaction, XrPath filter) {
    if (binding->action != action->handle || binding->profile != script_profile(instance)) {
        return false;
    }
    const char *path = rt_path_string(instance, binding->path);
    const char *subaction_string = rt_path_string(instance, subaction);
    const char *filter_string = rt_path_string(instance, filter);
    return path && (!subaction_string || path_under(path, subaction_string)) &&
           (!filter_string || path_under(path, filter_string));
}

int rt_action_hand(const rt_instance *instance, const rt_action *action, XrPath subaction) {
    for (size_t i = 0; i < instance->binding_count; i++) {
        const rt_binding *binding = &instance->bindings[i];
        if (binding_applies(instance, binding, action, subaction, XR_NULL_PATH)) {
            const char *path = rt_path_string(instance, binding->path);
            if (path_under(path, "/user/hand/left")) {
                return 0;
            }
            if (path_under(path, "/user/hand/right")) {
                return 1;
            }
        }
    }
    return -1;
}

/* The scripted value a binding path reads: the path itself, an x or y component of a 2D input,
 * or the identifier's click or value component when the binding names only the identifier. */
static bool resolve_input(const rt_instance *instance, const char *path, rt_input_value *value) {
    const rt_script *script = &instance->script;
    int64_t frame = instance->session.input_frame;
    if (frame < 0) {
        return false;
    }
    if (rt_script_input(script, frame, path, value)) {
        return true;
    }
    char parent[XR_MAX_PATH_LENGTH];
    size_t length = strlen(path);
    if (length > 2 &&
        (strcmp(path + length - 2, "/x") == 0 || strcmp(path + length - 2, "/y") == 0)) {
        snprintf(parent, sizeof parent, "%.*s", (int)(length - 2), path);
        rt_input_value pair;
        if (rt_script_input(script, frame, parent, &pair) && pair.dimensions == 2) {
            *value = (rt_input_value){1, path[length - 1] == 'x' ? pair.x : pair.y, 0.0f};
            return true;
        }
    }
    static const char *const default_components[] = {"/click", "/value"};
    for (size_t i = 0; i < 2; i++) {
        char component[XR_MAX_PATH_LENGTH + 8];
        snprintf(component, sizeof component, "%s%s", path, default_components[i]);
        if (rt_script_input(script, frame, component, value)) {
            return true;
        }
    }
    return false;
}

/* Folds one bound source into an action's value: booleans OR, floats and 2D values keep the
 * largest magnitude (the spec leaves combining to the runtime). */
static void combine(XrActionType type, const rt_input_value *source, rt_input_value *value) {
    if (type == XR_ACTION_TYPE_VECTOR2F_INPUT) {
        if (source->dimensions == 2 && hypotf(source->x, source->y) > hypotf(value->x, value->y)) {
            *value = *source;
        }
    } else if (source->dimensions == 1) {
        float x =
            type == XR_ACTION_TYPE_BOOLEAN_INPUT ? (source->x > 0.5f ? 1.0f : 0.0f) : source->x;
        if (fabsf(x) > fabsf(value->x)) {
            value->x = x;
        }
    }
}

void rt_input_deactivate(rt_instance *instance) {
    for (size_t i = 0; i < RT_MAX_ACTIONS; i++) {
        for (size_t s = 0; s <= RT_MAX_SUBACTION_PATHS; s++) {
            instance->actions[i].states[s] = (rt_action_state){0};
        }
    }
}

/* ---- session input ---- */

RT_API rt_xrAttachSessionActionSets(XrSession handle, const XrSessionActionSetsAttachInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrAttachSessionActionSets";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session || !rt_check_struct(info, XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO, function,
                                     "attachInfo", &result)) {
        return result;
    }
    if (session->action_sets_attached) {
        return rt_refuse(XR_ERROR_ACTIONSETS_ALREADY_ATTACHED, function,
                         "action sets are attached already");
    }
    if (info->countActionSets == 0 || !info->actionSets) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "no action sets");
    }
    for (uint32_t i = 0; i < info->countActionSets; i++) {
        if (!rt_action_set_from(info->actionSets[i])) {
            return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "actionSets[%u] is unknown", i);
        }
    }
    for (uint32_t i = 0; i < info->countActionSets; i++) {
        rt_action_set_from(info->actionSets[i])->attached = true;
    }
    session->action_sets_attached = true;
    rt_current->action_sets_attached = true;
    if (profile_suggested(rt_current)) {
        /* The simulated controllers now have a current interaction profile. */
        XrEventDataBuffer event = {.type = XR_TYPE_EVENT_DATA_BUFFER};
        XrEventDataInteractionProfileChanged *changed =
            (XrEventDataInteractionProfileChanged *)&event;
        changed->type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
        changed->next = NULL;
        changed->session = handle;
        rt_queue_event(rt_current, &event);
    }
    return XR_SUCCESS;
}

RT_API rt_xrGetCurrentInteractionProfile(XrSession handle, XrPath top_level_path,
                                         XrInteractionProfileState *profile) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetCurrentInteractionProfile";
    XrResult result;
    const rt_session *session = rt_session_checked(handle, function, &result);
    if (!session || !rt_check_struct(profile, XR_TYPE_INTERACTION_PROFILE_STATE, function,
                                     "interactionProfile", &result)) {
        return result;
    }
    if (!session->action_sets_attached) {
        return rt_refuse(XR_ERROR_ACTIONSET_NOT_ATTACHED, function,
                         "no action sets are attached to the session");
    }
    const char *path = rt_path_string(rt_current, top_level_path);
    if (!path) {
        return rt_refuse(XR_ERROR_PATH_INVALID, function, "unknown topLevelUserPath");
    }
    if (!is_top_level_path(path)) {
        return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function, "%s is not a top-level user path",
                         path);
    }
    bool hand = strcmp(path, "/user/hand/left") == 0 || strcmp(path, "/user/hand/right") == 0;
    profile->interactionProfile =
        hand && profile_suggested(rt_current) ? script_profile(rt_current) : XR_NULL_PATH;
    return XR_SUCCESS;
}

/* Whether an action set is active in this sync, and the top-level path its entries limit it to
 * (XR_NULL_PATH: none; an entry without a path makes the whole set active). */
static bool active_set_filter(const XrActionsSyncInfo *info, uint64_t set, XrPath *filter) {
    bool active = false, unfiltered = false;
    *filter = XR_NULL_PATH;
    for (uint32_t i = 0; i < info->countActiveActionSets; i++) {
        if (RT_HANDLE_VALUE(info->activeActionSets[i].actionSet) != set) {
            continue;
        }
        XrPath path = info->activeActionSets[i].subactionPath;
        unfiltered = unfiltered || path == XR_NULL_PATH;
        if (!active) {
            *filter = path;
        }
        active = true;
    }
    if (unfiltered) {
        *filter = XR_NULL_PATH;
    }
    return active;
}

static void sync_action(rt_instance *instance, rt_action *action, bool set_active, XrPath filter,
                        bool focused) {
    XrTime now = instance->session.input_frame >= 0
                     ? rt_frame_display_time(instance, instance->session.input_frame)
                     : rt_now();
    for (uint32_t slot = 0; slot <= action->subaction_count; slot++) {
        XrPath subaction = slot == 0 ? XR_NULL_PATH : action->subaction_paths[slot - 1];
        bool bound = false;
        rt_input_value value = {action->type == XR_ACTION_TYPE_VECTOR2F_INPUT ? 2 : 1, 0, 0};
        for (size_t i = 0; i < instance->binding_count; i++) {
            const rt_binding *binding = &instance->bindings[i];
            if (!binding_applies(instance, binding, action, subaction, filter)) {
                continue;
            }
            bound = true;
            rt_input_value source;
            if (resolve_input(instance, rt_path_string(instance, binding->path), &source)) {
                combine(action->type, &source, &value);
            }
        }
        rt_action_state *state = &action->states[slot];
        bool active = focused && set_active && bound;
        if (!active) {
            *state = (rt_action_state){0};
            continue;
        }
        bool changed = state->active && (value.x != state->value.x || value.y != state->value.y);
        if (changed || !state->active) {
            state->last_change_time = now;
        }
        state->changed = changed;
        state->active = true;
        state->value = value;
    }
}

RT_API rt_xrSyncActions(XrSession handle, const XrActionsSyncInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrSyncActions";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_ACTIONS_SYNC_INFO, function, "syncInfo", &result)) {
        return result;
    }
    if (info->countActiveActionSets > 0 && !info->activeActionSets) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "activeActionSets is NULL");
    }
    for (uint32_t i = 0; i < info->countActiveActionSets; i++) {
        const rt_action_set *set = rt_action_set_from(info->activeActionSets[i].actionSet);
        if (!set) {
            return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "activeActionSets[%u] is unknown",
                             i);
        }
        if (!set->attached || !session->action_sets_attached) {
            return rt_refuse(XR_ERROR_ACTIONSET_NOT_ATTACHED, function,
                             "action set '%s' is not attached", set->name);
        }
        XrPath filter = info->activeActionSets[i].subactionPath;
        const char *filter_path = rt_path_string(rt_current, filter);
        if (filter != XR_NULL_PATH && (!filter_path || !is_top_level_path(filter_path))) {
            return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function,
                             "activeActionSets[%u].subactionPath is not a top-level user path", i);
        }
    }
    bool focused = session->state == XR_SESSION_STATE_FOCUSED;
    for (size_t i = 0; i < RT_MAX_ACTIONS; i++) {
        rt_action *action = &rt_current->actions[i];
        if (!action->handle) {
            continue;
        }
        XrPath filter;
        bool set_active = active_set_filter(info, action->action_set, &filter);
        sync_action(rt_current, action, set_active, filter, focused);
    }
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

/* The action a state query names, checked against the expected type; NULL after refusing. */
XrResult rt_check_action_attached(const rt_action *action, const char *function) {
    const rt_action_set *set = rt_action_set_from(RT_HANDLE(XrActionSet, action->action_set));
    if (!set || !set->attached || !rt_current->session.action_sets_attached) {
        return rt_refuse(XR_ERROR_ACTIONSET_NOT_ATTACHED, function,
                         "action '%s''s set is not attached", action->name);
    }
    return XR_SUCCESS;
}

XrResult rt_check_subaction(const rt_action *action, XrPath path, const char *function,
                            uint32_t *state_index) {
    if (path == XR_NULL_PATH) {
        *state_index = 0;
        return XR_SUCCESS;
    }
    for (uint32_t i = 0; i < action->subaction_count; i++) {
        if (action->subaction_paths[i] == path) {
            *state_index = 1 + i;
            return XR_SUCCESS;
        }
    }
    return rt_refuse(XR_ERROR_PATH_UNSUPPORTED, function,
                     "subactionPath was not declared for action '%s'", action->name);
}

static rt_action_state *queried_state(XrSession handle, const XrActionStateGetInfo *info,
                                      XrActionType type, const char *function, XrResult *result) {
    if (!rt_session_checked(handle, function, result) ||
        !rt_check_struct(info, XR_TYPE_ACTION_STATE_GET_INFO, function, "getInfo", result)) {
        return NULL;
    }
    rt_action *action = rt_action_from(info->action);
    if (!action) {
        *result = rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown action");
        return NULL;
    }
    if (action->type != type) {
        *result =
            rt_refuse(XR_ERROR_ACTION_TYPE_MISMATCH, function, "action '%s' has type %d, not %d",
                      action->name, (int)action->type, (int)type);
        return NULL;
    }
    uint32_t index = 0;
    *result = rt_check_action_attached(action, function);
    if (*result == XR_SUCCESS) {
        *result = rt_check_subaction(action, info->subactionPath, function, &index);
    }
    return *result == XR_SUCCESS ? &action->states[index] : NULL;
}

RT_API rt_xrGetActionStateBoolean(XrSession session, const XrActionStateGetInfo *info,
                                  XrActionStateBoolean *state) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetActionStateBoolean";
    XrResult result;
    const rt_action_state *current =
        queried_state(session, info, XR_ACTION_TYPE_BOOLEAN_INPUT, function, &result);
    if (!current ||
        !rt_check_struct(state, XR_TYPE_ACTION_STATE_BOOLEAN, function, "state", &result)) {
        return result;
    }
    state->currentState = current->value.x > 0.5f ? XR_TRUE : XR_FALSE;
    state->changedSinceLastSync = current->changed;
    state->lastChangeTime = current->last_change_time;
    state->isActive = current->active;
    return XR_SUCCESS;
}

RT_API rt_xrGetActionStateFloat(XrSession session, const XrActionStateGetInfo *info,
                                XrActionStateFloat *state) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetActionStateFloat";
    XrResult result;
    const rt_action_state *current =
        queried_state(session, info, XR_ACTION_TYPE_FLOAT_INPUT, function, &result);
    if (!current ||
        !rt_check_struct(state, XR_TYPE_ACTION_STATE_FLOAT, function, "state", &result)) {
        return result;
    }
    state->currentState = current->value.x;
    state->changedSinceLastSync = current->changed;
    state->lastChangeTime = current->last_change_time;
    state->isActive = current->active;
    return XR_SUCCESS;
}

RT_API rt_xrGetActionStateVector2f(XrSession session, const XrActionStateGetInfo *info,
                                   XrActionStateVector2f *state) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetActionStateVector2f";
    XrResult result;
    const rt_action_state *current =
        queried_state(session, info, XR_ACTION_TYPE_VECTOR2F_INPUT, function, &result);
    if (!current ||
        !rt_check_struct(state, XR_TYPE_ACTION_STATE_VECTOR2F, function, "state", &result)) {
        return result;
    }
    state->currentState = (XrVector2f){current->value.x, current->value.y};
    state->changedSinceLastSync = current->changed;
    state->lastChangeTime = current->last_change_time;
    state->isActive = current->active;
    return XR_SUCCESS;
}

RT_API rt_xrGetActionStatePose(XrSession session, const XrActionStateGetInfo *info,
                               XrActionStatePose *state) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetActionStatePose";
    XrResult result;
    const rt_action_state *current =
        queried_state(session, info, XR_ACTION_TYPE_POSE_INPUT, function, &result);
    if (!current ||
        !rt_check_struct(state, XR_TYPE_ACTION_STATE_POSE, function, "state", &result)) {
        return result;
    }
    state->isActive = current->active;
    return XR_SUCCESS;
}

RT_API rt_xrEnumerateBoundSourcesForAction(XrSession session,
                                           const XrBoundSourcesForActionEnumerateInfo *info,
                                           uint32_t capacity, uint32_t *count, XrPath *sources) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateBoundSourcesForAction";
    XrResult result;
    if (!rt_session_checked(session, function, &result) ||
        !rt_check_struct(info, XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO, function,
                         "enumerateInfo", &result)) {
        return result;
    }
    const rt_action *action = rt_action_from(info->action);
    if (!action) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown action");
    }
    result = rt_check_action_attached(action, function);
    if (result != XR_SUCCESS) {
        return result;
    }
    XrPath bound[RT_MAX_BINDINGS];
    uint32_t bound_count = 0;
    for (size_t i = 0; i < rt_current->binding_count; i++) {
        const rt_binding *binding = &rt_current->bindings[i];
        if (binding_applies(rt_current, binding, action, XR_NULL_PATH, XR_NULL_PATH)) {
            bool listed = false;
            for (uint32_t k = 0; k < bound_count; k++) {
                listed = listed || bound[k] == binding->path;
            }
            if (!listed) {
                bound[bound_count++] = binding->path;
            }
        }
    }
    result = rt_enumerate(capacity, bound_count, count, sources, function);
    if (result == XR_SUCCESS && capacity > 0) {
        memcpy(sources, bound, bound_count * sizeof *sources);
    }
    return result;
}

RT_API rt_xrGetInputSourceLocalizedName(XrSession session,
                                        const XrInputSourceLocalizedNameGetInfo *info,
                                        uint32_t capacity, uint32_t *count, char *buffer) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetInputSourceLocalizedName";
    XrResult result;
    if (!rt_session_checked(session, function, &result) ||
        !rt_check_struct(info, XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO, function, "getInfo",
                         &result)) {
        return result;
    }
    const char *path = rt_path_string(rt_current, info->sourcePath);
    if (!path) {
        return rt_refuse(XR_ERROR_PATH_INVALID, function, "unknown sourcePath");
    }
    const XrInputSourceLocalizedNameFlags known =
        XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT |
        XR_INPUT_SOURCE_LOCALIZED_NAME_INTERACTION_PROFILE_BIT |
        XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT;
    if (info->whichComponents == 0 || info->whichComponents & ~known) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "whichComponents is invalid");
    }
    /* Names are the paths' own pieces: enough for a test double. */
    char name[3 * XR_MAX_PATH_LENGTH] = "";
    const char *component = strstr(path, "/input/");
    int user_length = component ? (int)(component - path) : (int)strlen(path);
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT) {
        snprintf(name + strlen(name), sizeof name - strlen(name), "%.*s", user_length, path);
    }
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_INTERACTION_PROFILE_BIT) {
        snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", name[0] ? " " : "",
                 rt_current->script.profile);
    }
    if (info->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT && component) {
        snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", name[0] ? " " : "",
                 component + strlen("/input/"));
    }
    uint32_t needed = (uint32_t)strlen(name) + 1;
    result = rt_enumerate(capacity, needed, count, buffer, function);
    if (result == XR_SUCCESS && capacity > 0) {
        memcpy(buffer, name, needed);
    }
    return result;
}

static XrResult check_haptic(XrSession handle, const XrHapticActionInfo *info,
                             const char *function) {
    XrResult result;
    const rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_HAPTIC_ACTION_INFO, function, "hapticActionInfo", &result)) {
        return result;
    }
    const rt_action *action = rt_action_from(info->action);
    if (!action) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown action");
    }
    if (action->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) {
        return rt_refuse(XR_ERROR_ACTION_TYPE_MISMATCH, function,
                         "action '%s' is not a vibration output", action->name);
    }
    uint32_t index;
    result = rt_check_action_attached(action, function);
    if (result == XR_SUCCESS) {
        result = rt_check_subaction(action, info->subactionPath, function, &index);
    }
    if (result != XR_SUCCESS) {
        return result;
    }
    return session->state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

RT_API rt_xrApplyHapticFeedback(XrSession session, const XrHapticActionInfo *info,
                                const XrHapticBaseHeader *feedback) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrApplyHapticFeedback";
    XrResult result = check_haptic(session, info, function);
    if (XR_FAILED(result)) {
        return result;
    }
    XrResult checked;
    if (!rt_check_struct(feedback, XR_TYPE_HAPTIC_VIBRATION, function, "hapticFeedback",
                         &checked)) {
        return checked;
    }
    return result; /* accepted, and felt by nobody */
}

RT_API rt_xrStopHapticFeedback(XrSession session, const XrHapticActionInfo *info) {
    RT_LOCKED_SCOPE;
    return check_haptic(session, info, "xrStopHapticFeedback");
}
