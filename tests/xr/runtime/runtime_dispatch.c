/* The loader's way in: interface negotiation, and xrGetInstanceProcAddr's table of every entry
 * point this runtime implements. Only xrNegotiateLoaderRuntimeInterface leaves the library. */
#include "loader_negotiation.h"
#include "runtime_private.h"

#include <string.h>

/* What a function needs before xrGetInstanceProcAddr hands it out. */
typedef enum rt_requirement {
    RT_GLOBAL,        /* callable without an instance */
    RT_CORE,          /* core OpenXR 1.0 */
    RT_OPENGL_ENABLE, /* XR_KHR_opengl_enable enabled in the instance */
} rt_requirement;

typedef struct rt_entry_point {
    const char *name;
    PFN_xrVoidFunction function;
    rt_requirement requirement;
} rt_entry_point;

#define RT_ENTRY(name, requirement)                                                                \
    { #name, (PFN_xrVoidFunction)rt_##name, requirement }

static const rt_entry_point entry_points[] = {
    RT_ENTRY(xrGetInstanceProcAddr, RT_CORE),
    RT_ENTRY(xrEnumerateApiLayerProperties, RT_GLOBAL),
    RT_ENTRY(xrEnumerateInstanceExtensionProperties, RT_GLOBAL),
    RT_ENTRY(xrCreateInstance, RT_GLOBAL),
    RT_ENTRY(xrDestroyInstance, RT_CORE),
    RT_ENTRY(xrGetInstanceProperties, RT_CORE),
    RT_ENTRY(xrPollEvent, RT_CORE),
    RT_ENTRY(xrResultToString, RT_CORE),
    RT_ENTRY(xrStructureTypeToString, RT_CORE),
    RT_ENTRY(xrGetSystem, RT_CORE),
    RT_ENTRY(xrGetSystemProperties, RT_CORE),
    RT_ENTRY(xrEnumerateViewConfigurations, RT_CORE),
    RT_ENTRY(xrGetViewConfigurationProperties, RT_CORE),
    RT_ENTRY(xrEnumerateViewConfigurationViews, RT_CORE),
    RT_ENTRY(xrEnumerateEnvironmentBlendModes, RT_CORE),
    RT_ENTRY(xrGetOpenGLGraphicsRequirementsKHR, RT_OPENGL_ENABLE),
    RT_ENTRY(xrCreateSession, RT_CORE),
    RT_ENTRY(xrDestroySession, RT_CORE),
    RT_ENTRY(xrBeginSession, RT_CORE),
    RT_ENTRY(xrEndSession, RT_CORE),
    RT_ENTRY(xrRequestExitSession, RT_CORE),
    RT_ENTRY(xrWaitFrame, RT_CORE),
    RT_ENTRY(xrBeginFrame, RT_CORE),
    RT_ENTRY(xrEndFrame, RT_CORE),
    RT_ENTRY(xrEnumerateReferenceSpaces, RT_CORE),
    RT_ENTRY(xrCreateReferenceSpace, RT_CORE),
    RT_ENTRY(xrGetReferenceSpaceBoundsRect, RT_CORE),
    RT_ENTRY(xrCreateActionSpace, RT_CORE),
    RT_ENTRY(xrDestroySpace, RT_CORE),
    RT_ENTRY(xrLocateSpace, RT_CORE),
    RT_ENTRY(xrLocateViews, RT_CORE),
    RT_ENTRY(xrEnumerateSwapchainFormats, RT_CORE),
    RT_ENTRY(xrCreateSwapchain, RT_CORE),
    RT_ENTRY(xrDestroySwapchain, RT_CORE),
    RT_ENTRY(xrEnumerateSwapchainImages, RT_CORE),
    RT_ENTRY(xrAcquireSwapchainImage, RT_CORE),
    RT_ENTRY(xrWaitSwapchainImage, RT_CORE),
    RT_ENTRY(xrReleaseSwapchainImage, RT_CORE),
    RT_ENTRY(xrStringToPath, RT_CORE),
    RT_ENTRY(xrPathToString, RT_CORE),
    RT_ENTRY(xrCreateActionSet, RT_CORE),
    RT_ENTRY(xrDestroyActionSet, RT_CORE),
    RT_ENTRY(xrCreateAction, RT_CORE),
    RT_ENTRY(xrDestroyAction, RT_CORE),
    RT_ENTRY(xrSuggestInteractionProfileBindings, RT_CORE),
    RT_ENTRY(xrAttachSessionActionSets, RT_CORE),
    RT_ENTRY(xrGetCurrentInteractionProfile, RT_CORE),
    RT_ENTRY(xrSyncActions, RT_CORE),
    RT_ENTRY(xrGetActionStateBoolean, RT_CORE),
    RT_ENTRY(xrGetActionStateFloat, RT_CORE),
    RT_ENTRY(xrGetActionStateVector2f, RT_CORE),
    RT_ENTRY(xrGetActionStatePose, RT_CORE),
    RT_ENTRY(xrEnumerateBoundSourcesForAction, RT_CORE),
    RT_ENTRY(xrGetInputSourceLocalizedName, RT_CORE),
    RT_ENTRY(xrApplyHapticFeedback, RT_CORE),
    RT_ENTRY(xrStopHapticFeedback, RT_CORE),
};

/* The loader and API layers probe for many functions this runtime lacks: those answers are not
 * misuse, so nothing here is recorded in the report's errors. */
RT_API rt_xrGetInstanceProcAddr(XrInstance instance, const char *name,
                                PFN_xrVoidFunction *function) {
    RT_LOCKED_SCOPE;
    if (!function) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    *function = NULL;
    if (!name) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    const rt_instance *owner = rt_instance_from(instance);
    if (instance != XR_NULL_HANDLE && !owner) {
        return XR_ERROR_HANDLE_INVALID;
    }
    for (size_t i = 0; i < sizeof entry_points / sizeof entry_points[0]; i++) {
        const rt_entry_point *entry = &entry_points[i];
        if (strcmp(entry->name, name) != 0) {
            continue;
        }
        if (!owner && entry->requirement != RT_GLOBAL) {
            return XR_ERROR_HANDLE_INVALID;
        }
        if (entry->requirement == RT_OPENGL_ENABLE && !owner->opengl_enabled) {
            return XR_ERROR_FUNCTION_UNSUPPORTED;
        }
        *function = entry->function;
        return XR_SUCCESS;
    }
    return XR_ERROR_FUNCTION_UNSUPPORTED;
}

__attribute__((visibility("default"))) XRAPI_ATTR XrResult XRAPI_CALL
xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo *loader_info,
                                  XrNegotiateRuntimeRequest *runtime_request);

XRAPI_ATTR XrResult XRAPI_CALL xrNegotiateLoaderRuntimeInterface(
    const XrNegotiateLoaderInfo *loader_info, XrNegotiateRuntimeRequest *runtime_request) {
    if (!loader_info || !runtime_request ||
        loader_info->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO ||
        loader_info->structVersion != DS_XR_LOADER_INFO_STRUCT_VERSION ||
        loader_info->structSize != sizeof *loader_info ||
        runtime_request->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST ||
        runtime_request->structVersion != DS_XR_RUNTIME_REQUEST_STRUCT_VERSION ||
        runtime_request->structSize != sizeof *runtime_request) {
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    if (loader_info->minInterfaceVersion > DS_XR_LOADER_RUNTIME_INTERFACE_VERSION ||
        loader_info->maxInterfaceVersion < DS_XR_LOADER_RUNTIME_INTERFACE_VERSION) {
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    /* This runtime implements OpenXR 1.0 (any patch level the loader accepts). */
    XrVersion supported = XR_MAKE_VERSION(1, 0, XR_VERSION_PATCH(XR_CURRENT_API_VERSION));
    if (XR_VERSION_MAJOR(loader_info->minApiVersion) > 1 ||
        XR_VERSION_MAJOR(loader_info->maxApiVersion) < 1) {
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    runtime_request->runtimeInterfaceVersion = DS_XR_LOADER_RUNTIME_INTERFACE_VERSION;
    runtime_request->runtimeApiVersion = supported;
    runtime_request->getInstanceProcAddr = rt_xrGetInstanceProcAddr;
    return XR_SUCCESS;
}
