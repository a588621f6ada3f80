/* The instance and what it tells about the simulated headset: extensions, the system, its view
 * configuration and blend mode, the OpenGL requirements, events and enum names. */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <openxr/openxr_reflection.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const XrViewConfigurationType view_configuration = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;

typedef struct extension {
    const char *name;
    uint32_t version;
} extension;

static const extension opengl_enable = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME,
                                        XR_KHR_opengl_enable_SPEC_VERSION};
static const extension composition_layer_depth = {XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME,
                                                  XR_KHR_composition_layer_depth_SPEC_VERSION};

/* The extensions on offer: the depth extension unless the script turns it off. Scripts change
 * between instances of one process (each test its own), so this reads the script every time. */
static uint32_t offered_extensions(const extension **list) {
    rt_script script;
    char error[512];
    bool depth = true;
    if (rt_script_load(&script, error, sizeof error)) {
        depth = script.depth_extension;
        rt_script_free(&script);
    } /* else xrCreateInstance reports the script's error */
    list[0] = &opengl_enable;
    list[1] = &composition_layer_depth;
    return depth ? 2 : 1;
}

RT_API rt_xrEnumerateApiLayerProperties(uint32_t capacity, uint32_t *count,
                                        XrApiLayerProperties *properties) {
    RT_LOCKED_SCOPE;
    /* The loader answers this itself; a runtime has no layers of its own. */
    return rt_enumerate(capacity, 0, count, properties, "xrEnumerateApiLayerProperties");
}

RT_API rt_xrEnumerateInstanceExtensionProperties(const char *layer_name, uint32_t capacity,
                                                 uint32_t *count,
                                                 XrExtensionProperties *properties) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateInstanceExtensionProperties";
    if (layer_name) {
        return rt_refuse(XR_ERROR_API_LAYER_NOT_PRESENT, function, "no layer named '%s'",
                         layer_name);
    }
    const extension *list[2];
    uint32_t offered = offered_extensions(list);
    XrResult result = rt_enumerate(capacity, offered, count, properties, function);
    if (result != XR_SUCCESS || capacity == 0) {
        return result;
    }
    for (uint32_t i = 0; i < offered; i++) {
        if (!rt_check_struct(&properties[i], XR_TYPE_EXTENSION_PROPERTIES, function,
                             "properties[i]", &result)) {
            return result;
        }
        snprintf(properties[i].extensionName, sizeof properties[i].extensionName, "%s",
                 list[i]->name);
        properties[i].extensionVersion = list[i]->version;
    }
    return XR_SUCCESS;
}

RT_API rt_xrCreateInstance(const XrInstanceCreateInfo *info, XrInstance *instance) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateInstance";
    XrResult result;
    if (!rt_check_struct(info, XR_TYPE_INSTANCE_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!instance) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "instance output is NULL");
    }
    if (rt_current) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function,
                         "this runtime runs one instance at a time");
    }
    if (info->createFlags != 0) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "createFlags must be 0");
    }
    if (info->applicationInfo.applicationName[0] == '\0') {
        return rt_refuse(XR_ERROR_NAME_INVALID, function, "applicationName is empty");
    }
    XrVersion api = info->applicationInfo.apiVersion;
    if (XR_VERSION_MAJOR(api) != 1 || XR_VERSION_MINOR(api) != 0) {
        return rt_refuse(XR_ERROR_API_VERSION_UNSUPPORTED, function,
                         "API version %u.%u requested, this runtime implements 1.0",
                         (unsigned)XR_VERSION_MAJOR(api), (unsigned)XR_VERSION_MINOR(api));
    }
    rt_instance *created = calloc(1, sizeof *created);
    if (!created) {
        return XR_ERROR_OUT_OF_MEMORY;
    }
    char error[512];
    if (!rt_script_load(&created->script, error, sizeof error)) {
        free(created);
        fprintf(stderr, "ds_test_xr_runtime: %s\n", error);
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    const extension *offered[2];
    uint32_t offered_count = offered_extensions(offered);
    for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
        const char *name = info->enabledExtensionNames[i];
        bool found = false;
        for (uint32_t k = 0; k < offered_count; k++) {
            found = found || strcmp(name, offered[k]->name) == 0;
        }
        if (!found) {
            rt_script_free(&created->script);
            free(created);
            return rt_refuse(XR_ERROR_EXTENSION_NOT_PRESENT, function,
                             "extension %s is not offered", name);
        }
        created->opengl_enabled |= strcmp(name, opengl_enable.name) == 0;
        created->depth_enabled |= strcmp(name, composition_layer_depth.name) == 0;
    }
    const char *output = getenv("DS_XR_TEST_OUTPUT");
    snprintf(created->output_dir, sizeof created->output_dir, "%s", output ? output : "");
    created->epoch = rt_now();
    created->handle = rt_new_handle();
    rt_current = created;
    *instance = RT_HANDLE(XrInstance, created->handle);
    return XR_SUCCESS;
}

void rt_instance_free(rt_instance *instance) {
    rt_script_free(&instance->script);
    rt_paths_free(instance);
    free(instance->states);
    for (size_t i = 0; i < instance->error_count; i++) {
        free(instance->errors[i]);
    }
    free(instance);
}

RT_API rt_xrDestroyInstance(XrInstance handle) {
    RT_LOCKED_SCOPE;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, "xrDestroyInstance", "unknown instance");
    }
    if (instance->session.handle) {
        rt_session_teardown(instance, false);
    }
    rt_report_write(instance);
    rt_current = NULL;
    rt_instance_free(instance);
    return XR_SUCCESS;
}

RT_API rt_xrGetInstanceProperties(XrInstance handle, XrInstanceProperties *properties) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetInstanceProperties";
    XrResult result;
    if (!rt_instance_from(handle)) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(properties, XR_TYPE_INSTANCE_PROPERTIES, function, "instanceProperties",
                         &result)) {
        return result;
    }
    properties->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
    snprintf(properties->runtimeName, sizeof properties->runtimeName, "%s",
             "dualsplat headless test runtime");
    return XR_SUCCESS;
}

RT_API rt_xrPollEvent(XrInstance handle, XrEventDataBuffer *event) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrPollEvent";
    XrResult result;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(event, XR_TYPE_EVENT_DATA_BUFFER, function, "eventData", &result)) {
        return result;
    }
    if (instance->event_count == 0) {
        return XR_EVENT_UNAVAILABLE;
    }
    *event = instance->events[instance->event_first];
    instance->event_first = (instance->event_first + 1) % RT_MAX_EVENTS;
    instance->event_count--;
    return XR_SUCCESS;
}

RT_API rt_xrResultToString(XrInstance handle, XrResult value,
                           char buffer[XR_MAX_RESULT_STRING_SIZE]) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrResultToString";
    if (!rt_instance_from(handle)) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!buffer) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "buffer is NULL");
    }
    const char *name = rt_result_name(value);
    if (name) {
        snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "%s", name);
    } else {
        snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "XR_UNKNOWN_%s_%d",
                 value >= 0 ? "SUCCESS" : "FAILURE", (int)value);
    }
    return XR_SUCCESS;
}

RT_API rt_xrStructureTypeToString(XrInstance handle, XrStructureType value,
                                  char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrStructureTypeToString";
    if (!rt_instance_from(handle)) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!buffer) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "buffer is NULL");
    }
    const char *name = NULL;
    switch (value) {
#define RT_STRUCTURE_CASE(enumerant, number)                                                       \
    case enumerant:                                                                                \
        name = #enumerant;                                                                         \
        break;
        XR_LIST_ENUM_XrStructureType(RT_STRUCTURE_CASE)
#undef RT_STRUCTURE_CASE
            default : break;
    }
    if (name) {
        snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "%s", name);
    } else {
        snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "XR_UNKNOWN_STRUCTURE_TYPE_%d", (int)value);
    }
    return XR_SUCCESS;
}

/* ---- the system ---- */

static rt_instance *instance_with_system(XrInstance handle, XrSystemId system, const char *function,
                                         XrResult *result) {
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        *result = rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
        return NULL;
    }
    if (system != RT_SYSTEM_ID || instance->script.no_headset) {
        *result = rt_refuse(XR_ERROR_SYSTEM_INVALID, function, "unknown system %llu",
                            (unsigned long long)system);
        return NULL;
    }
    *result = XR_SUCCESS;
    return instance;
}

static bool check_view_configuration(XrViewConfigurationType type, const char *function,
                                     XrResult *result) {
    if (type != view_configuration) {
        *result = rt_refuse(XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED, function,
                            "view configuration %d (only PRIMARY_STEREO)", (int)type);
        return false;
    }
    return true;
}

RT_API rt_xrGetSystem(XrInstance handle, const XrSystemGetInfo *info, XrSystemId *system) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetSystem";
    XrResult result;
    rt_instance *instance = rt_instance_from(handle);
    if (!instance) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown instance");
    }
    if (!rt_check_struct(info, XR_TYPE_SYSTEM_GET_INFO, function, "getInfo", &result)) {
        return result;
    }
    if (!system) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "systemId output is NULL");
    }
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY) {
        if (info->formFactor != XR_FORM_FACTOR_HANDHELD_DISPLAY) {
            return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "form factor %d is invalid",
                             (int)info->formFactor);
        }
        return rt_refuse(XR_ERROR_FORM_FACTOR_UNSUPPORTED, function, "only head-mounted displays");
    }
    if (instance->script.no_headset) {
        /* Not misuse: the simulated headset is unplugged (no_headset), and the application is
         * expected to cope, so this is not recorded as an error. */
        return XR_ERROR_FORM_FACTOR_UNAVAILABLE;
    }
    *system = RT_SYSTEM_ID;
    return XR_SUCCESS;
}

RT_API rt_xrGetSystemProperties(XrInstance handle, XrSystemId system,
                                XrSystemProperties *properties) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetSystemProperties";
    XrResult result;
    rt_instance *instance = instance_with_system(handle, system, function, &result);
    if (!instance ||
        !rt_check_struct(properties, XR_TYPE_SYSTEM_PROPERTIES, function, "properties", &result)) {
        return result;
    }
    properties->systemId = RT_SYSTEM_ID;
    properties->vendorId = 0;
    snprintf(properties->systemName, sizeof properties->systemName, "%s",
             "dualsplat simulated headset");
    properties->graphicsProperties.maxSwapchainImageWidth = 2 * instance->script.view_width;
    properties->graphicsProperties.maxSwapchainImageHeight = 2 * instance->script.view_height;
    properties->graphicsProperties.maxLayerCount = RT_MAX_LAYERS;
    properties->trackingProperties.orientationTracking = XR_TRUE;
    properties->trackingProperties.positionTracking = XR_TRUE;
    return XR_SUCCESS;
}

RT_API rt_xrEnumerateViewConfigurations(XrInstance handle, XrSystemId system, uint32_t capacity,
                                        uint32_t *count, XrViewConfigurationType *types) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateViewConfigurations";
    XrResult result;
    if (!instance_with_system(handle, system, function, &result)) {
        return result;
    }
    result = rt_enumerate(capacity, 1, count, types, function);
    if (result == XR_SUCCESS && capacity > 0) {
        types[0] = view_configuration;
    }
    return result;
}

RT_API rt_xrGetViewConfigurationProperties(XrInstance handle, XrSystemId system,
                                           XrViewConfigurationType type,
                                           XrViewConfigurationProperties *properties) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetViewConfigurationProperties";
    XrResult result;
    if (!instance_with_system(handle, system, function, &result) ||
        !check_view_configuration(type, function, &result) ||
        !rt_check_struct(properties, XR_TYPE_VIEW_CONFIGURATION_PROPERTIES, function,
                         "configurationProperties", &result)) {
        return result;
    }
    properties->viewConfigurationType = type;
    properties->fovMutable = XR_TRUE;
    return XR_SUCCESS;
}

RT_API rt_xrEnumerateViewConfigurationViews(XrInstance handle, XrSystemId system,
                                            XrViewConfigurationType type, uint32_t capacity,
                                            uint32_t *count, XrViewConfigurationView *views) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateViewConfigurationViews";
    XrResult result;
    rt_instance *instance = instance_with_system(handle, system, function, &result);
    if (!instance || !check_view_configuration(type, function, &result)) {
        return result;
    }
    result = rt_enumerate(capacity, RT_VIEW_COUNT, count, views, function);
    if (result != XR_SUCCESS || capacity == 0) {
        return result;
    }
    for (uint32_t i = 0; i < RT_VIEW_COUNT; i++) {
        if (!rt_check_struct(&views[i], XR_TYPE_VIEW_CONFIGURATION_VIEW, function, "views[i]",
                             &result)) {
            return result;
        }
        views[i].recommendedImageRectWidth = instance->script.view_width;
        views[i].recommendedImageRectHeight = instance->script.view_height;
        views[i].maxImageRectWidth = 2 * instance->script.view_width;
        views[i].maxImageRectHeight = 2 * instance->script.view_height;
        views[i].recommendedSwapchainSampleCount = 1;
        views[i].maxSwapchainSampleCount = 1;
    }
    return XR_SUCCESS;
}

RT_API rt_xrEnumerateEnvironmentBlendModes(XrInstance handle, XrSystemId system,
                                           XrViewConfigurationType type, uint32_t capacity,
                                           uint32_t *count, XrEnvironmentBlendMode *modes) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateEnvironmentBlendModes";
    XrResult result;
    if (!instance_with_system(handle, system, function, &result) ||
        !check_view_configuration(type, function, &result)) {
        return result;
    }
    result = rt_enumerate(capacity, 1, count, modes, function);
    if (result == XR_SUCCESS && capacity > 0) {
        modes[0] = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    }
    return result;
}

RT_API rt_xrGetOpenGLGraphicsRequirementsKHR(XrInstance handle, XrSystemId system,
                                             XrGraphicsRequirementsOpenGLKHR *requirements) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrGetOpenGLGraphicsRequirementsKHR";
    XrResult result;
    rt_instance *instance = instance_with_system(handle, system, function, &result);
    if (!instance || !rt_check_struct(requirements, XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR,
                                      function, "graphicsRequirements", &result)) {
        return result;
    }
    /* Swapchain images are made and read back with OpenGL 4.5's direct state access. */
    requirements->minApiVersionSupported = XR_MAKE_VERSION(4, 5, 0);
    requirements->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
    instance->graphics_requirements_queried = true;
    return XR_SUCCESS;
}
