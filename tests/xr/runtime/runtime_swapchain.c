/* Swapchains as OpenGL textures made on the application's context, the checks of submitted
 * composition layers, and the read-back of captured frames' projection views.
 *
 * GL rule (XR_KHR_opengl_enable): the functions here that touch GL (xrCreateSwapchain,
 * xrDestroySwapchain, xrEndFrame of a captured frame, xrDestroySession) run with the
 * application's context current on the calling thread; the runtime has no context of its own. */
#include "runtime_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct swapchain_format {
    int64_t format;
    const char *name;
    bool color;
} swapchain_format;

/* Preferred first (tests/xr/README.md). */
static const swapchain_format formats[] = {
    {GL_SRGB8_ALPHA8, "GL_SRGB8_ALPHA8", true},
    {GL_RGBA8, "GL_RGBA8", true},
    {GL_RGBA16F, "GL_RGBA16F", true},
    {GL_DEPTH_COMPONENT32F, "GL_DEPTH_COMPONENT32F", false},
    {GL_DEPTH_COMPONENT24, "GL_DEPTH_COMPONENT24", false},
};
enum { FORMAT_COUNT = sizeof formats / sizeof formats[0] };

static const swapchain_format *find_format(int64_t format) {
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        if (formats[i].format == format) {
            return &formats[i];
        }
    }
    return NULL;
}

const char *rt_format_name(int64_t format) {
    const swapchain_format *found = find_format(format);
    return found ? found->name : "unknown";
}

/* GLEW's pointers live in libGLEW, shared with the application, which has normally loaded them
 * already; glewInit is only called when they are still unset. */
static bool gl_functions_loaded(void) {
    if (!glCreateTextures) {
        glewExperimental = GL_TRUE;
        glewInit();   /* GLEW_ERROR_NO_GLX_DISPLAY still loads the core functions */
        glGetError(); /* GLEW's probing may leave an error behind */
    }
    return glCreateTextures && glTextureStorage2D && glGetTextureSubImage;
}

RT_API rt_xrEnumerateSwapchainFormats(XrSession handle, uint32_t capacity, uint32_t *count,
                                      int64_t *list) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateSwapchainFormats";
    XrResult result;
    if (!rt_session_checked(handle, function, &result)) {
        return result;
    }
    result = rt_enumerate(capacity, FORMAT_COUNT, count, list, function);
    if (result == XR_SUCCESS && capacity > 0) {
        for (size_t i = 0; i < FORMAT_COUNT; i++) {
            list[i] = formats[i].format;
        }
    }
    return result;
}

static bool check_create_info(const XrSwapchainCreateInfo *info, const rt_instance *instance,
                              const char *function, XrResult *result) {
    const XrSwapchainCreateFlags known_create =
        XR_SWAPCHAIN_CREATE_PROTECTED_CONTENT_BIT | XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT;
    const XrSwapchainUsageFlags known_usage = 0xFF; /* the core bits and MND's input attachment */
    uint32_t max_width = 2 * instance->script.view_width;
    uint32_t max_height = 2 * instance->script.view_height;
    *result = XR_SUCCESS;
    if (info->createFlags & ~known_create || info->usageFlags & ~known_usage) {
        *result = rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "unknown create or usage bits");
    } else if (info->createFlags & XR_SWAPCHAIN_CREATE_PROTECTED_CONTENT_BIT) {
        *result = rt_refuse(XR_ERROR_FEATURE_UNSUPPORTED, function, "no protected content");
    } else if (!find_format(info->format)) {
        *result = rt_refuse(XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED, function,
                            "format 0x%llx is not offered", (unsigned long long)info->format);
    } else if (info->sampleCount != 1) {
        *result = rt_refuse(info->sampleCount == 0 ? XR_ERROR_VALIDATION_FAILURE
                                                   : XR_ERROR_FEATURE_UNSUPPORTED,
                            function, "sampleCount %u (only 1)", info->sampleCount);
    } else if (info->faceCount != 1 || info->arraySize != 1) {
        *result =
            rt_refuse(info->faceCount == 0 || info->arraySize == 0 ? XR_ERROR_VALIDATION_FAILURE
                                                                   : XR_ERROR_FEATURE_UNSUPPORTED,
                      function, "faceCount %u, arraySize %u (only 2D textures: 1 and 1)",
                      info->faceCount, info->arraySize);
    } else if (info->width == 0 || info->height == 0 || info->width > max_width ||
               info->height > max_height) {
        *result =
            rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "size %ux%u outside 1x1 to %ux%u",
                      info->width, info->height, max_width, max_height);
    } else {
        uint32_t levels = 1;
        for (uint32_t side = info->width > info->height ? info->width : info->height; side > 1;
             side /= 2) {
            levels++;
        }
        if (info->mipCount == 0 || info->mipCount > levels) {
            *result = rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                                "mipCount %u outside 1 to %u", info->mipCount, levels);
        }
    }
    return *result == XR_SUCCESS;
}

RT_API rt_xrCreateSwapchain(XrSession handle, const XrSwapchainCreateInfo *info,
                            XrSwapchain *swapchain_handle) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrCreateSwapchain";
    XrResult result;
    rt_session *session = rt_session_checked(handle, function, &result);
    if (!session ||
        !rt_check_struct(info, XR_TYPE_SWAPCHAIN_CREATE_INFO, function, "createInfo", &result)) {
        return result;
    }
    if (!swapchain_handle) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "swapchain output is NULL");
    }
    if (!check_create_info(info, rt_current, function, &result)) {
        return result;
    }
    rt_swapchain *swapchain = NULL;
    for (size_t i = 0; i < RT_MAX_SWAPCHAINS && !swapchain; i++) {
        swapchain = session->swapchains[i].handle ? NULL : &session->swapchains[i];
    }
    if (!swapchain) {
        return rt_refuse(XR_ERROR_LIMIT_REACHED, function, "more than %d swapchains",
                         RT_MAX_SWAPCHAINS);
    }
    if (!glXGetCurrentContext()) {
        return rt_refuse(XR_ERROR_RUNTIME_FAILURE, function,
                         "no OpenGL context is current on this thread (the application's "
                         "context must be)");
    }
    if (!gl_functions_loaded()) {
        return rt_refuse(XR_ERROR_RUNTIME_FAILURE, function,
                         "the current context lacks OpenGL 4.5 direct state access");
    }
    *swapchain = (rt_swapchain){
        .handle = rt_new_handle(),
        .create_flags = info->createFlags,
        .format = info->format,
        .width = info->width,
        .height = info->height,
        .image_count =
            info->createFlags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT ? 1 : RT_SWAPCHAIN_IMAGES,
        .last_released = -1,
    };
    glCreateTextures(GL_TEXTURE_2D, (GLsizei)swapchain->image_count, swapchain->textures);
    for (uint32_t i = 0; i < swapchain->image_count; i++) {
        glTextureStorage2D(swapchain->textures[i], (GLsizei)info->mipCount, (GLenum)info->format,
                           (GLsizei)info->width, (GLsizei)info->height);
    }
    *swapchain_handle = RT_HANDLE(XrSwapchain, swapchain->handle);
    return XR_SUCCESS;
}

void rt_swapchain_release_gl(rt_swapchain *swapchain) {
    /* Without a current context the textures die with the application's context instead. */
    if (glXGetCurrentContext() && swapchain->image_count) {
        glDeleteTextures((GLsizei)swapchain->image_count, swapchain->textures);
    }
    *swapchain = (rt_swapchain){0};
}

RT_API rt_xrDestroySwapchain(XrSwapchain handle) {
    RT_LOCKED_SCOPE;
    rt_swapchain *swapchain = rt_swapchain_from(handle);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, "xrDestroySwapchain", "unknown swapchain");
    }
    rt_swapchain_release_gl(swapchain);
    return XR_SUCCESS;
}

RT_API rt_xrEnumerateSwapchainImages(XrSwapchain handle, uint32_t capacity, uint32_t *count,
                                     XrSwapchainImageBaseHeader *images) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrEnumerateSwapchainImages";
    XrResult result;
    const rt_swapchain *swapchain = rt_swapchain_from(handle);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown swapchain");
    }
    result = rt_enumerate(capacity, swapchain->image_count, count, images, function);
    if (result != XR_SUCCESS || capacity == 0) {
        return result;
    }
    XrSwapchainImageOpenGLKHR *gl_images = (XrSwapchainImageOpenGLKHR *)images;
    for (uint32_t i = 0; i < swapchain->image_count; i++) {
        if (!rt_check_struct(&gl_images[i], XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR, function,
                             "images[i]", &result)) {
            return result;
        }
        gl_images[i].image = swapchain->textures[i];
    }
    return XR_SUCCESS;
}

RT_API rt_xrAcquireSwapchainImage(XrSwapchain handle, const XrSwapchainImageAcquireInfo *info,
                                  uint32_t *index) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrAcquireSwapchainImage";
    XrResult result;
    rt_swapchain *swapchain = rt_swapchain_from(handle);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown swapchain");
    }
    if (info && !rt_check_struct(info, XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO, function,
                                 "acquireInfo", &result)) {
        return result;
    }
    if (!index) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "index output is NULL");
    }
    if (swapchain->create_flags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT &&
        swapchain->ever_acquired) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function,
                         "a static swapchain's image is acquired once only");
    }
    if (swapchain->acquired_count == swapchain->image_count) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function, "every image is acquired");
    }
    /* Images are released in the order acquired, so the next in turn is never still held. */
    *index = swapchain->next_image;
    swapchain->acquired[swapchain->acquired_count++] = swapchain->next_image;
    swapchain->next_image = (swapchain->next_image + 1) % swapchain->image_count;
    swapchain->ever_acquired = true;
    return XR_SUCCESS;
}

RT_API rt_xrWaitSwapchainImage(XrSwapchain handle, const XrSwapchainImageWaitInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrWaitSwapchainImage";
    XrResult result;
    rt_swapchain *swapchain = rt_swapchain_from(handle);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown swapchain");
    }
    if (!rt_check_struct(info, XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO, function, "waitInfo", &result)) {
        return result;
    }
    if (swapchain->waited_count == swapchain->acquired_count) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function,
                         "no acquired image left to wait on");
    }
    swapchain->waited_count++; /* the image is ready at once: nothing else renders to it */
    return XR_SUCCESS;
}

RT_API rt_xrReleaseSwapchainImage(XrSwapchain handle, const XrSwapchainImageReleaseInfo *info) {
    RT_LOCKED_SCOPE;
    static const char function[] = "xrReleaseSwapchainImage";
    XrResult result;
    rt_swapchain *swapchain = rt_swapchain_from(handle);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "unknown swapchain");
    }
    if (info && !rt_check_struct(info, XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO, function,
                                 "releaseInfo", &result)) {
        return result;
    }
    if (swapchain->waited_count == 0) {
        return rt_refuse(XR_ERROR_CALL_ORDER_INVALID, function, "no image has been waited on");
    }
    swapchain->last_released = (int32_t)swapchain->acquired[0];
    memmove(swapchain->acquired, swapchain->acquired + 1,
            (swapchain->acquired_count - 1) * sizeof swapchain->acquired[0]);
    swapchain->acquired_count--;
    swapchain->waited_count--;
    return XR_SUCCESS;
}

/* ---- composition layers ---- */

static XrResult check_sub_image(const XrSwapchainSubImage *sub_image, const char *what) {
    static const char function[] = "xrEndFrame";
    const rt_swapchain *swapchain = rt_swapchain_from(sub_image->swapchain);
    if (!swapchain) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "%s: unknown swapchain", what);
    }
    if (swapchain->acquired_count > 0) {
        return rt_refuse(XR_ERROR_LAYER_INVALID, function,
                         "%s: its swapchain image is still acquired (not released)", what);
    }
    if (swapchain->last_released < 0) {
        return rt_refuse(XR_ERROR_LAYER_INVALID, function,
                         "%s: no image of its swapchain has been released", what);
    }
    if (sub_image->imageArrayIndex != 0) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                         "%s: imageArrayIndex %u of a 1-layer swapchain", what,
                         sub_image->imageArrayIndex);
    }
    const XrRect2Di *rect = &sub_image->imageRect;
    if (rect->offset.x < 0 || rect->offset.y < 0 || rect->extent.width <= 0 ||
        rect->extent.height <= 0 ||
        (int64_t)rect->offset.x + rect->extent.width > (int64_t)swapchain->width ||
        (int64_t)rect->offset.y + rect->extent.height > (int64_t)swapchain->height) {
        return rt_refuse(XR_ERROR_SWAPCHAIN_RECT_INVALID, function,
                         "%s: subImage (%d, %d) %dx%d outside its %ux%u swapchain", what,
                         rect->offset.x, rect->offset.y, rect->extent.width, rect->extent.height,
                         swapchain->width, swapchain->height);
    }
    return XR_SUCCESS;
}

static const XrCompositionLayerDepthInfoKHR *find_depth_info(const void *chain) {
    for (const XrBaseInStructure *link = chain; link; link = link->next) {
        if (link->type == XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR) {
            return (const XrCompositionLayerDepthInfoKHR *)link;
        }
    }
    return NULL;
}

static XrResult check_depth_info(const rt_instance *instance,
                                 const XrCompositionLayerDepthInfoKHR *depth) {
    static const char function[] = "xrEndFrame";
    if (!instance->depth_enabled) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                         "XrCompositionLayerDepthInfoKHR chained without enabling %s",
                         XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
    }
    if (!(depth->minDepth >= 0.0f && depth->minDepth <= depth->maxDepth &&
          depth->maxDepth <= 1.0f) ||
        !(depth->nearZ != depth->farZ && depth->nearZ >= 0.0f && depth->farZ >= 0.0f)) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                         "depth info: depth range [%g, %g], nearZ %g, farZ %g",
                         (double)depth->minDepth, (double)depth->maxDepth, (double)depth->nearZ,
                         (double)depth->farZ);
    }
    return check_sub_image(&depth->subImage, "depth info");
}

static XrResult check_projection(const rt_instance *instance,
                                 const XrCompositionLayerProjection *layer, bool *has_depth) {
    static const char function[] = "xrEndFrame";
    if (!rt_space_from(layer->space)) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "projection layer: unknown space");
    }
    if (layer->viewCount != RT_VIEW_COUNT || !layer->views) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function,
                         "projection layer: %u views, PRIMARY_STEREO has %d", layer->viewCount,
                         RT_VIEW_COUNT);
    }
    for (uint32_t eye = 0; eye < RT_VIEW_COUNT; eye++) {
        const XrCompositionLayerProjectionView *view = &layer->views[eye];
        XrResult result;
        if (!rt_check_struct(view, XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW, function,
                             "projection view", &result)) {
            return result;
        }
        if (!rt_pose_valid(&view->pose)) {
            return rt_refuse(XR_ERROR_POSE_INVALID, function,
                             "projection view %u: orientation is not a unit quaternion", eye);
        }
        result = check_sub_image(&view->subImage, eye == 0 ? "left view" : "right view");
        if (result != XR_SUCCESS) {
            return result;
        }
        const XrCompositionLayerDepthInfoKHR *depth = find_depth_info(view->next);
        if (depth) {
            result = check_depth_info(instance, depth);
            if (result != XR_SUCCESS) {
                return result;
            }
            *has_depth = true;
        }
    }
    return XR_SUCCESS;
}

static XrResult check_quad(const XrCompositionLayerQuad *layer) {
    static const char function[] = "xrEndFrame";
    if (!rt_space_from(layer->space)) {
        return rt_refuse(XR_ERROR_HANDLE_INVALID, function, "quad layer: unknown space");
    }
    if (!rt_pose_valid(&layer->pose)) {
        return rt_refuse(XR_ERROR_POSE_INVALID, function,
                         "quad layer: orientation is not a unit quaternion");
    }
    return check_sub_image(&layer->subImage, "quad layer");
}

XrResult rt_check_layers(rt_instance *instance, const XrFrameEndInfo *info,
                         rt_frame_summary *summary) {
    static const char function[] = "xrEndFrame";
    *summary = (rt_frame_summary){0};
    if (info->layerCount > RT_MAX_LAYERS) {
        return rt_refuse(XR_ERROR_LAYER_LIMIT_EXCEEDED, function, "%u layers, at most %d",
                         info->layerCount, RT_MAX_LAYERS);
    }
    if (info->layerCount > 0 && !info->layers) {
        return rt_refuse(XR_ERROR_VALIDATION_FAILURE, function, "layers is NULL");
    }
    for (uint32_t i = 0; i < info->layerCount; i++) {
        const XrCompositionLayerBaseHeader *layer = info->layers[i];
        XrResult result;
        if (!layer) {
            return rt_refuse(XR_ERROR_LAYER_INVALID, function, "layer %u is NULL", i);
        }
        if (layer->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
            const XrCompositionLayerProjection *projection =
                (const XrCompositionLayerProjection *)layer;
            result = check_projection(instance, projection, &summary->has_depth);
            if (!summary->projection) {
                summary->projection = projection;
            }
        } else if (layer->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
            result = check_quad((const XrCompositionLayerQuad *)layer);
        } else {
            result = rt_refuse(XR_ERROR_LAYER_INVALID, function,
                               "layer %u has type %d (projection and quad layers only)", i,
                               (int)layer->type);
        }
        if (result != XR_SUCCESS) {
            return result;
        }
    }
    if (summary->projection) {
        instance->reference_space = rt_space_name(rt_space_from(summary->projection->space));
    }
    return XR_SUCCESS;
}

/* ---- read-back ---- */

/* The application's pixel-pack state, which the read-back must neither depend on nor change. */
static const GLenum pack_parameters[] = {
    GL_PACK_SWAP_BYTES, GL_PACK_LSB_FIRST,   GL_PACK_ROW_LENGTH,  GL_PACK_IMAGE_HEIGHT,
    GL_PACK_SKIP_ROWS,  GL_PACK_SKIP_PIXELS, GL_PACK_SKIP_IMAGES, GL_PACK_ALIGNMENT,
};
enum { PACK_PARAMETER_COUNT = sizeof pack_parameters / sizeof pack_parameters[0] };

/* The sub-image as RGB bytes, top row first (GL's rows go bottom up); NULL on failure. */
static uint8_t *read_sub_image(const rt_swapchain *swapchain, const XrRect2Di *rect) {
    size_t width = (size_t)rect->extent.width, height = (size_t)rect->extent.height;
    uint8_t *rgba = malloc(width * height * 4);
    uint8_t *rgb = malloc(width * height * 3);
    if (!rgba || !rgb) {
        free(rgba);
        free(rgb);
        return NULL;
    }
    GLint saved[PACK_PARAMETER_COUNT], saved_buffer = 0;
    for (size_t i = 0; i < PACK_PARAMETER_COUNT; i++) {
        glGetIntegerv(pack_parameters[i], &saved[i]);
        glPixelStorei(pack_parameters[i], pack_parameters[i] == GL_PACK_ALIGNMENT ? 4 : 0);
    }
    glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &saved_buffer);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    /* An sRGB texture's bytes come back as stored (no decoding to linear). */
    glGetTextureSubImage(swapchain->textures[swapchain->last_released], 0, rect->offset.x,
                         rect->offset.y, 0, rect->extent.width, rect->extent.height, 1, GL_RGBA,
                         GL_UNSIGNED_BYTE, (GLsizei)(width * height * 4), rgba);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, (GLuint)saved_buffer);
    for (size_t i = 0; i < PACK_PARAMETER_COUNT; i++) {
        glPixelStorei(pack_parameters[i], saved[i]);
    }
    for (size_t row = 0; row < height; row++) {
        const uint8_t *source = rgba + (height - 1 - row) * width * 4;
        uint8_t *target = rgb + row * width * 3;
        for (size_t x = 0; x < width; x++) {
            memcpy(target + x * 3, source + x * 4, 3);
        }
    }
    free(rgba);
    return rgb;
}

void rt_capture_frame(rt_instance *instance, int64_t frame, XrTime display_time,
                      const XrCompositionLayerProjection *projection) {
    if (!instance->output_dir[0]) {
        return;
    }
    const rt_space *space = rt_space_from(projection->space);
    XrPosef space_pose;
    bool located = rt_space_pose(instance, space, display_time, &space_pose);
    bool can_read = glXGetCurrentContext() && gl_functions_loaded();
    if (!can_read) {
        fprintf(stderr,
                "ds_test_xr_runtime: xrEndFrame: frame %lld is captured, but no OpenGL context "
                "is current to read it back: no images written\n",
                (long long)frame);
    }
    for (uint32_t eye = 0; eye < RT_VIEW_COUNT; eye++) {
        const XrCompositionLayerProjectionView *view = &projection->views[eye];
        const rt_swapchain *swapchain = rt_swapchain_from(view->subImage.swapchain);
        const XrCompositionLayerDepthInfoKHR *depth = find_depth_info(view->next);
        XrPosef eye_pose = rt_eye_pose(instance, display_time, eye);
        rt_view_capture capture = {
            .eye = eye,
            .pose = view->pose,
            .expected_pose = located ? rt_pose_relative(space_pose, eye_pose) : rt_pose_identity(),
            .fov = view->fov,
            .expected_fov = rt_eye_fov(instance, eye),
            .space = rt_space_name(space),
            .width = view->subImage.imageRect.extent.width,
            .height = view->subImage.imageRect.extent.height,
            .format = rt_format_name(swapchain->format),
            .depth = depth != NULL,
            .near_z = depth ? depth->nearZ : 0.0f,
            .far_z = depth ? depth->farZ : 0.0f,
        };
        uint8_t *rgb = NULL;
        if (can_read && find_format(swapchain->format)->color) {
            rgb = read_sub_image(swapchain, &view->subImage.imageRect);
        }
        capture.rgb = rgb;
        rt_report_write_view(instance, frame, &capture);
        free(rgb);
    }
}
