/* The loader <-> runtime negotiation interface (OpenXR loader design document, "Runtime
 * Interface Negotiation", interface version 1). Debian 12's OpenXR 1.0.20 headers do not ship
 * these declarations (newer SDKs have openxr_loader_negotiation.h), so they are declared here
 * from the documented layout; the loader passes these structures by pointer, so field order and
 * types must match it exactly. */
#ifndef DS_TEST_XR_LOADER_NEGOTIATION_H
#define DS_TEST_XR_LOADER_NEGOTIATION_H

#include <openxr/openxr.h>

#include <stddef.h>
#include <stdint.h>

/* Tags of the negotiation structures (their `structType`). */
typedef enum XrLoaderInterfaceStructs {
    XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
    XR_LOADER_INTERFACE_STRUCT_LOADER_INFO = 1,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST = 2,
    XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST = 3,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_CREATE_INFO = 4,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_NEXT_INFO = 5,
    XR_LOADER_INTERFACE_STRUCTS_MAX_ENUM = 0x7FFFFFFF
} XrLoaderInterfaceStructs;

/* The one loader <-> runtime interface version this runtime speaks, and the version of both
 * negotiation structures it understands. */
#define DS_XR_LOADER_RUNTIME_INTERFACE_VERSION 1
#define DS_XR_LOADER_INFO_STRUCT_VERSION       1
#define DS_XR_RUNTIME_REQUEST_STRUCT_VERSION   1

/* What the loader offers: the interface and API version ranges it accepts. */
typedef struct XrNegotiateLoaderInfo {
    XrLoaderInterfaceStructs structType; /* XR_LOADER_INTERFACE_STRUCT_LOADER_INFO */
    uint32_t structVersion;
    size_t structSize;
    uint32_t minInterfaceVersion;
    uint32_t maxInterfaceVersion;
    XrVersion minApiVersion;
    XrVersion maxApiVersion;
} XrNegotiateLoaderInfo;

/* What the runtime answers: the versions it settled on and its xrGetInstanceProcAddr. */
typedef struct XrNegotiateRuntimeRequest {
    XrLoaderInterfaceStructs structType; /* XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST */
    uint32_t structVersion;
    size_t structSize;
    uint32_t runtimeInterfaceVersion;
    XrVersion runtimeApiVersion;
    PFN_xrGetInstanceProcAddr getInstanceProcAddr;
} XrNegotiateRuntimeRequest;

/* The runtime library's one exported entry point, found by name with dlsym. */
typedef XrResult(XRAPI_PTR *PFN_xrNegotiateLoaderRuntimeInterface)(
    const XrNegotiateLoaderInfo *loaderInfo, XrNegotiateRuntimeRequest *runtimeRequest);

#endif
