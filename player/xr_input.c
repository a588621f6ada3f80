#include "xr_input.h"

#include <openxr/openxr.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PLAY_PAUSE, RECENTRE, SEEK_BACK, SEEK_FORWARD, ADJUST, ACTIONS };

static const struct {
    const char *name, *localized;
    XrActionType type;
} ACTION_INFO[ACTIONS] = {
    {"play_pause", "Play / pause", XR_ACTION_TYPE_BOOLEAN_INPUT},
    {"recentre", "Recentre", XR_ACTION_TYPE_BOOLEAN_INPUT},
    {"seek_back", "Seek back", XR_ACTION_TYPE_BOOLEAN_INPUT},
    {"seek_forward", "Seek forward", XR_ACTION_TYPE_BOOLEAN_INPUT},
    {"adjust", "Seek and scale", XR_ACTION_TYPE_VECTOR2F_INPUT},
};

typedef struct binding {
    int action;
    const char *path;
} binding;

static const binding SIMPLE[] = {
    {PLAY_PAUSE, "/user/hand/right/input/select/click"},
    {RECENTRE, "/user/hand/right/input/menu/click"},
    {SEEK_BACK, "/user/hand/left/input/select/click"},
    {SEEK_FORWARD, "/user/hand/left/input/menu/click"},
};
static const binding TOUCH[] = {
    {PLAY_PAUSE, "/user/hand/right/input/a/click"}, {RECENTRE, "/user/hand/right/input/b/click"},
    {SEEK_BACK, "/user/hand/left/input/x/click"},   {SEEK_FORWARD, "/user/hand/left/input/y/click"},
    {ADJUST, "/user/hand/right/input/thumbstick"},
};
static const binding INDEX[] = {
    {PLAY_PAUSE, "/user/hand/right/input/a/click"}, {RECENTRE, "/user/hand/right/input/b/click"},
    {SEEK_BACK, "/user/hand/left/input/a/click"},   {SEEK_FORWARD, "/user/hand/left/input/b/click"},
    {ADJUST, "/user/hand/right/input/thumbstick"},
};

static const struct {
    const char *profile;
    const binding *bindings;
    size_t count;
} PROFILES[] = {
    {"/interaction_profiles/khr/simple_controller", SIMPLE, sizeof SIMPLE / sizeof *SIMPLE},
    {"/interaction_profiles/oculus/touch_controller", TOUCH, sizeof TOUCH / sizeof *TOUCH},
    {"/interaction_profiles/valve/index_controller", INDEX, sizeof INDEX / sizeof *INDEX},
};

/* A thumbstick past this far left or right is a flick: one seek step until it comes back. */
static const float FLICK = 0.7f, FLICK_RELEASE = 0.3f;

struct ds_xr_input {
    XrInstance instance;
    XrSession session;
    XrActionSet set;
    XrAction actions[ACTIONS];
    bool flicked;
};

static ds_status xr_failure(XrResult result, const char *what) {
    return ds_error(DS_ERR_IO, "OpenXR: %s failed (error %d)", what, (int)result);
}

static ds_status create_actions(ds_xr_input *input) {
    XrActionSetCreateInfo set = {.type = XR_TYPE_ACTION_SET_CREATE_INFO, .priority = 0};
    snprintf(set.actionSetName, sizeof set.actionSetName, "playback");
    snprintf(set.localizedActionSetName, sizeof set.localizedActionSetName, "Playback");
    XrResult result = xrCreateActionSet(input->instance, &set, &input->set);
    if (XR_FAILED(result)) {
        return xr_failure(result, "xrCreateActionSet");
    }
    for (int a = 0; a < ACTIONS; a++) {
        XrActionCreateInfo info = {.type = XR_TYPE_ACTION_CREATE_INFO,
                                   .actionType = ACTION_INFO[a].type};
        snprintf(info.actionName, sizeof info.actionName, "%s", ACTION_INFO[a].name);
        snprintf(info.localizedActionName, sizeof info.localizedActionName, "%s",
                 ACTION_INFO[a].localized);
        result = xrCreateAction(input->set, &info, &input->actions[a]);
        if (XR_FAILED(result)) {
            return xr_failure(result, "xrCreateAction");
        }
    }
    return ds_ok();
}

static ds_status suggest_bindings(ds_xr_input *input) {
    for (size_t p = 0; p < sizeof PROFILES / sizeof *PROFILES; p++) {
        XrActionSuggestedBinding suggested[ACTIONS];
        XrPath profile;
        XrResult result = xrStringToPath(input->instance, PROFILES[p].profile, &profile);
        for (size_t b = 0; b < PROFILES[p].count && XR_SUCCEEDED(result); b++) {
            suggested[b].action = input->actions[PROFILES[p].bindings[b].action];
            result = xrStringToPath(input->instance, PROFILES[p].bindings[b].path,
                                    &suggested[b].binding);
        }
        if (XR_FAILED(result)) {
            return xr_failure(result, "xrStringToPath");
        }
        XrInteractionProfileSuggestedBinding info = {
            .type = XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING,
            .interactionProfile = profile,
            .countSuggestedBindings = (uint32_t)PROFILES[p].count,
            .suggestedBindings = suggested};
        result = xrSuggestInteractionProfileBindings(input->instance, &info);
        if (XR_FAILED(result)) {
            return xr_failure(result, "xrSuggestInteractionProfileBindings");
        }
    }
    return ds_ok();
}

ds_status ds_xr_input_create(ds_xr_session *session, ds_xr_input **out) {
    *out = NULL;
    ds_xr_input *input = calloc(1, sizeof *input);
    if (!input) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the input");
    }
    input->instance = (XrInstance)ds_xr_session_instance_handle(session);
    input->session = (XrSession)ds_xr_session_session_handle(session);
    ds_status status = create_actions(input);
    if (!ds_failed(&status)) {
        status = suggest_bindings(input);
    }
    if (!ds_failed(&status)) {
        XrSessionActionSetsAttachInfo attach = {.type = XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO,
                                                .countActionSets = 1,
                                                .actionSets = &input->set};
        XrResult result = xrAttachSessionActionSets(input->session, &attach);
        if (XR_FAILED(result)) {
            status = xr_failure(result, "xrAttachSessionActionSets");
        }
    }
    if (ds_failed(&status)) {
        ds_xr_input_free(input);
        return status;
    }
    *out = input;
    return ds_ok();
}

void ds_xr_input_free(ds_xr_input *input) {
    if (!input) {
        return;
    }
    /* Destroying the set destroys its actions. */
    if (input->set) {
        xrDestroyActionSet(input->set);
    }
    free(input);
}

/* Whether a boolean action went down since the last sync. */
static bool pressed(ds_xr_input *input, int action) {
    XrActionStateGetInfo info = {.type = XR_TYPE_ACTION_STATE_GET_INFO,
                                 .action = input->actions[action]};
    XrActionStateBoolean state = {.type = XR_TYPE_ACTION_STATE_BOOLEAN};
    return XR_SUCCEEDED(xrGetActionStateBoolean(input->session, &info, &state)) && state.isActive &&
           state.changedSinceLastSync && state.currentState;
}

ds_status ds_xr_input_sync(ds_xr_input *input, bool focused, ds_xr_commands *commands) {
    *commands = (ds_xr_commands){0};
    if (!focused) {
        return ds_ok();
    }
    XrActiveActionSet active = {.actionSet = input->set};
    XrActionsSyncInfo sync = {
        .type = XR_TYPE_ACTIONS_SYNC_INFO, .countActiveActionSets = 1, .activeActionSets = &active};
    XrResult result = xrSyncActions(input->session, &sync);
    if (XR_FAILED(result)) {
        return xr_failure(result, "xrSyncActions");
    }
    if (result == XR_SESSION_NOT_FOCUSED) {
        return ds_ok();
    }
    commands->toggle_pause = pressed(input, PLAY_PAUSE);
    commands->recentre = pressed(input, RECENTRE);
    commands->seek_seconds = pressed(input, SEEK_FORWARD) - pressed(input, SEEK_BACK);
    XrActionStateGetInfo info = {.type = XR_TYPE_ACTION_STATE_GET_INFO,
                                 .action = input->actions[ADJUST]};
    XrActionStateVector2f stick = {.type = XR_TYPE_ACTION_STATE_VECTOR2F};
    if (XR_SUCCEEDED(xrGetActionStateVector2f(input->session, &info, &stick)) && stick.isActive) {
        float x = stick.currentState.x, y = stick.currentState.y;
        if (!input->flicked && fabsf(x) > FLICK) {
            input->flicked = true;
            commands->seek_seconds += x > 0 ? 1 : -1;
        } else if (input->flicked && fabsf(x) < FLICK_RELEASE) {
            input->flicked = false;
        }
        /* A dead zone, so a resting thumb does not slowly resize the performer. */
        commands->scale_rate = fabsf(y) > 0.2f ? y : 0.0;
    }
    return ds_ok();
}
