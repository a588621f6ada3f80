/* The OpenXR side of VR playback: an instance with XR_KHR_opengl_enable on the current GLX
 * context (Xlib), a head-mounted system with two views, a session in the stage space (local when
 * the runtime has no stage), one sRGB colour swapchain per eye and, when the runtime offers
 * XR_KHR_composition_layer_depth, a depth swapchain per eye. It follows the session's state
 * machine (begin when ready, end when stopping, leave when exiting or lost) and runs the frame
 * loop: wait, begin, locate the views, hand out the eyes' images, and end with a projection layer.
 * Every call is on the thread whose GL context the session was created on. */
#ifndef DS_PLAYER_XR_SESSION_H
#define DS_PLAYER_XR_SESSION_H

#include "xr_placement.h"

#include "formats/status.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_xr_session ds_xr_session;

/* Creates the session on the current GL context (which must be GLX on an X display). Fails with a
 * one-line message when there is no OpenXR runtime, no headset, or no GLX context. */
ds_status ds_xr_session_create(const char *application, ds_xr_session **session);
void ds_xr_session_free(ds_xr_session *session);

/* The OpenXR handles (XrInstance, XrSession), for the input actions. */
void *ds_xr_session_instance_handle(const ds_xr_session *session);
void *ds_xr_session_session_handle(const ds_xr_session *session);

typedef struct ds_xr_session_status {
    bool running;      /* frames are to be submitted */
    bool focused;      /* input reaches the application */
    bool exit;         /* the session is over: leave */
    const char *space; /* "STAGE" or "LOCAL" */
} ds_xr_session_status;

/* Handles the runtime's pending events. */
ds_status ds_xr_session_poll(ds_xr_session *session, ds_xr_session_status *status);
/* Asks the runtime to end the session (it will pass through stopping to exiting). */
void ds_xr_session_request_exit(ds_xr_session *session);

typedef struct ds_xr_frame {
    int64_t display_time, period; /* ns, the runtime's clock */
    bool render;                  /* draw the views (false: submit an empty frame) */
    ds_xr_pose views[2];          /* the eyes in the reference space */
    ds_xr_fov fovs[2];
    int width, height;           /* each eye's image */
    unsigned color[2], depth[2]; /* the images to draw this frame into (GL textures; depth 0:
                                    no depth layer) */
    bool srgb;                   /* the colour images encode to sRGB */
} ds_xr_frame;

/* Waits for the runtime's next frame, begins it and, when it is to be drawn, locates the eyes and
 * acquires their images. */
ds_status ds_xr_session_begin_frame(ds_xr_session *session, ds_xr_frame *frame);
/* Releases the images and submits the frame: the projection layer (with depth over
 * [near, far] metres when there are depth images) when it was drawn, else no layer. */
ds_status ds_xr_session_end_frame(ds_xr_session *session, const ds_xr_frame *frame, float near,
                                  float far);

/* The states the session went through, space-separated ("IDLE READY SYNCHRONIZED ..."). */
const char *ds_xr_session_states(const ds_xr_session *session);

#endif
