#include "gl_view_target.h"

#include <stdlib.h>
#include <string.h>

void ds_gl_view_target_free(ds_gl_view_target *t) {
    if (t->framebuffer) {
        glDeleteFramebuffers(1, &t->framebuffer);
        glDeleteTextures(1, &t->image);
    }
    if (t->depth) {
        glDeleteTextures(1, &t->depth);
    }
    *t = (ds_gl_view_target){0};
}

ds_status ds_gl_view_target_ensure(ds_gl_view_target *t, int width, int height, bool depth) {
    if (t->framebuffer && t->width == width && t->height == height && (t->depth != 0) == depth) {
        return ds_ok();
    }
    ds_gl_view_target_free(t);
    glCreateTextures(GL_TEXTURE_2D, 1, &t->image);
    glTextureStorage2D(t->image, 1, GL_RGBA16F, width, height);
    glTextureParameteri(t->image, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTextureParameteri(t->image, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTextureParameteri(t->image, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTextureParameteri(t->image, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glCreateFramebuffers(1, &t->framebuffer);
    glNamedFramebufferTexture(t->framebuffer, GL_COLOR_ATTACHMENT0, t->image, 0);
    if (depth) {
        glCreateTextures(GL_TEXTURE_2D, 1, &t->depth);
        glTextureStorage2D(t->depth, 1, GL_DEPTH_COMPONENT32F, width, height);
        glNamedFramebufferTexture(t->framebuffer, GL_DEPTH_ATTACHMENT, t->depth, 0);
    }
    if (glCheckNamedFramebufferStatus(t->framebuffer, GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
        ds_gl_view_target_free(t);
        return ds_error(DS_ERR_UNSUPPORTED, "cannot render into a %dx%d fp16 image", width, height);
    }
    t->width = width;
    t->height = height;
    return ds_ok();
}

ds_status ds_gl_view_target_read_rgb(const ds_gl_view_target *t, uint8_t *rgb) {
    if (!t->framebuffer) {
        return ds_error(DS_ERR_ARGUMENT, "nothing rendered yet");
    }
    size_t row = (size_t)t->width * 3;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, t->framebuffer);
    glReadPixels(0, 0, t->width, t->height, GL_RGB, GL_UNSIGNED_BYTE, rgb);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    /* GL's rows run bottom to top. */
    uint8_t *swap = malloc(row);
    if (!swap) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a row");
    }
    for (int y = 0; y < t->height / 2; y++) {
        uint8_t *a = rgb + (size_t)y * row, *b = rgb + (size_t)(t->height - 1 - y) * row;
        memcpy(swap, a, row);
        memcpy(a, b, row);
        memcpy(b, swap, row);
    }
    free(swap);
    return ds_ok();
}

ds_status ds_gl_view_target_read_image(const ds_gl_view_target *t, ds_image *image) {
    if (!t->framebuffer) {
        return ds_error(DS_ERR_ARGUMENT, "nothing rendered yet");
    }
    ds_status status = ds_image_create(t->width, t->height, image);
    if (ds_failed(&status)) {
        return status;
    }
    float *rows = malloc((size_t)t->width * (size_t)t->height * 3 * sizeof(float));
    if (!rows) {
        ds_image_free(image);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the image");
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, t->framebuffer);
    glReadPixels(0, 0, t->width, t->height, GL_RGB, GL_FLOAT, rows);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    size_t row = (size_t)t->width * 3;
    for (int y = 0; y < t->height; y++) {
        const float *from = rows + (size_t)(t->height - 1 - y) * row;
        float *to = image->pixels + (size_t)y * row;
        for (size_t i = 0; i < row; i++) {
            to[i] = from[i] < 0.0f ? 0.0f : (from[i] > 1.0f ? 1.0f : from[i]);
        }
    }
    free(rows);
    return ds_ok();
}
