/* The image one view of the GL renderer is drawn into: an fp16 colour texture (hundreds of splats
 * blend into each pixel; 8 bits per step would band) and, when a compositor wants it, a float
 * depth texture, behind one framebuffer. Needs a current GL 4.5 context. */
#ifndef DS_RENDER_GL_VIEW_TARGET_H
#define DS_RENDER_GL_VIEW_TARGET_H

#include "formats/image.h"
#include "formats/status.h"

#include <GL/glew.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ds_gl_view_target {
    GLuint framebuffer, image, depth; /* depth 0: none */
    int width, height;
} ds_gl_view_target;

/* (Re)creates the target at this size, with or without depth; nothing when it already is. */
ds_status ds_gl_view_target_ensure(ds_gl_view_target *target, int width, int height, bool depth);
void ds_gl_view_target_free(ds_gl_view_target *target);

/* The image as 8-bit RGB, top row first (width x height x 3). Waits for the GPU. */
ds_status ds_gl_view_target_read_rgb(const ds_gl_view_target *target, uint8_t *rgb);
/* The image in float, clamped to 0..1, top row first. */
ds_status ds_gl_view_target_read_image(const ds_gl_view_target *target, ds_image *image);

#endif
