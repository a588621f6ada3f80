#include "overlay.h"

#include "overlay_font.h"
#include "render/gl_program.h"
#include "shaders/shader_sources.h"

#include <GL/glew.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    /* In font pixels, so that the box keeps its proportions at every scale. */
    MARGIN = 2,
    PADDING = 3,
    /* Texture sizes grow in steps, so that a text that keeps changing length (a counter gaining
     * a digit) does not reallocate each time; a multiple of 8 also keeps every row of the upload
     * aligned under any GL_UNPACK_ALIGNMENT. */
    TEXTURE_STEP = 64,
};

/* The uniforms' explicit locations in overlay.frag. */
enum { U_BOX_ORIGIN = 0, U_BOX_SIZE = 1, U_TEXT_SIZE = 2, U_PADDING = 3, U_SCALE = 4 };

struct ds_overlay {
    GLuint program, vao, texture;
    int max_texture_size;
    int texture_width, texture_height; /* the atlas's storage, 0 x 0 before any text */
    uint8_t *pixels;                   /* texture_width x texture_height coverage */
    char *text;                        /* what the atlas holds; NULL when empty */
    int text_width, text_height;       /* the atlas's texels that hold text */
};

ds_status ds_overlay_create(ds_overlay **overlay) {
    *overlay = NULL;
    ds_overlay *o = calloc(1, sizeof *o);
    if (!o) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the overlay");
    }
    ds_status status = ds_gl_render_program("overlay", ds_shader_overlay_vert,
                                            ds_shader_overlay_frag, &o->program);
    if (ds_failed(&status)) {
        free(o);
        return status;
    }
    glCreateVertexArrays(1, &o->vao);
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &o->max_texture_size);
    *overlay = o;
    return ds_ok();
}

static void clear_text(ds_overlay *o) {
    free(o->text);
    o->text = NULL;
    o->text_width = o->text_height = 0;
}

static int round_up(int value, int step) {
    return value > INT_MAX - step ? INT_MAX / step * step : (value + step - 1) / step * step;
}

/* Makes the atlas at least width x height; false when memory runs out. */
static bool reserve(ds_overlay *o, int width, int height) {
    if (width <= o->texture_width && height <= o->texture_height) {
        return true;
    }
    int new_width = width > o->texture_width ? round_up(width, TEXTURE_STEP) : o->texture_width;
    int new_height =
        height > o->texture_height ? round_up(height, TEXTURE_STEP) : o->texture_height;
    new_width = new_width > o->max_texture_size ? o->max_texture_size : new_width;
    new_height = new_height > o->max_texture_size ? o->max_texture_size : new_height;
    uint8_t *pixels = malloc((size_t)new_width * (size_t)new_height);
    if (!pixels) {
        return false;
    }
    free(o->pixels);
    o->pixels = pixels;
    /* Immutable storage cannot be resized, so a larger atlas is a new texture. */
    if (o->texture) {
        glDeleteTextures(1, &o->texture);
    }
    glCreateTextures(GL_TEXTURE_2D, 1, &o->texture);
    glTextureStorage2D(o->texture, 1, GL_R8, new_width, new_height);
    o->texture_width = new_width;
    o->texture_height = new_height;
    return true;
}

void ds_overlay_set_text(ds_overlay *o, const char *text) {
    if (!o) {
        return;
    }
    if (!text || !*text) {
        clear_text(o);
        return;
    }
    if (o->text && strcmp(o->text, text) == 0) {
        return;
    }
    clear_text(o);
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (!copy) {
        return;
    }
    memcpy(copy, text, length + 1);
    int width, height;
    ds_overlay_font_measure(text, 1, &width, &height);
    /* Text past the largest texture is cut off, as it would be past the window's edge. */
    width = width > o->max_texture_size ? o->max_texture_size : width;
    height = height > o->max_texture_size ? o->max_texture_size : height;
    if (!reserve(o, width, height)) {
        free(copy);
        return;
    }
    /* Whole rows of the atlas, so that the upload needs no GL_UNPACK_ROW_LENGTH. */
    memset(o->pixels, 0, (size_t)o->texture_width * (size_t)height);
    ds_overlay_font_draw(o->pixels, o->texture_width, height, 0, 0, text, 1);
    glTextureSubImage2D(o->texture, 0, 0, 0, o->texture_width, height, GL_RED, GL_UNSIGNED_BYTE,
                        o->pixels);
    o->text = copy;
    o->text_width = width;
    o->text_height = height;
}

/* The box in top-down pixels as long long: a huge scale must clip, not overflow. */
static void box(const ds_overlay *o, int scale, long long *x, long long *y, long long *width,
                long long *height) {
    *x = *y = (long long)MARGIN * scale;
    if (!o || !o->text) {
        *width = *height = 0;
        return;
    }
    /* Cells end in a blank column and row, so the far sides need one pixel less to look even. */
    *width = ((long long)o->text_width + 2 * PADDING - 1) * scale;
    *height = ((long long)o->text_height + 2 * PADDING - 1) * scale;
}

static int clamp_int(long long value) {
    return value > INT_MAX ? INT_MAX : (value < INT_MIN ? INT_MIN : (int)value);
}

void ds_overlay_bounds(const ds_overlay *o, int scale, int *x, int *y, int *width, int *height) {
    scale = scale < 1 ? 1 : scale;
    long long bx, by, bw, bh;
    box(o, scale, &bx, &by, &bw, &bh);
    *x = clamp_int(bx);
    *y = clamp_int(by);
    *width = clamp_int(bw);
    *height = clamp_int(bh);
}

static void set_enabled(GLenum capability, GLboolean enabled) {
    if (enabled) {
        glEnable(capability);
    } else {
        glDisable(capability);
    }
}

void ds_overlay_draw(ds_overlay *o, int framebuffer_width, int framebuffer_height, int scale) {
    if (!o || !o->text || framebuffer_width <= 0 || framebuffer_height <= 0) {
        return;
    }
    /* At a scale as large as the framebuffer the margin alone pushes the box out of it, so a
     * larger one changes nothing but could overflow the shader's int arithmetic. */
    int largest = framebuffer_width > framebuffer_height ? framebuffer_width : framebuffer_height;
    scale = scale < 1 ? 1 : (scale > largest ? largest : scale);
    long long x, y, width, height;
    box(o, scale, &x, &y, &width, &height);
    /* GL's window rows run bottom to top. */
    long long bottom = framebuffer_height - (y + height);
    /* The viewport covers only the visible part of the box, so a box larger than the window
     * never asks for a viewport past GL's limits; the shader still places texels by the whole
     * box. */
    long long left = x, right = x + width < framebuffer_width ? x + width : framebuffer_width;
    long long low = bottom < 0 ? 0 : bottom, high = framebuffer_height - y;
    if (right <= left || high <= low) {
        return;
    }

    GLint viewport[4], program, vao, src_rgb, dst_rgb, src_alpha, dst_alpha, equation_rgb,
        equation_alpha;
    glGetIntegerv(GL_VIEWPORT, viewport);
    glGetIntegerv(GL_CURRENT_PROGRAM, &program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vao);
    glGetIntegerv(GL_BLEND_SRC_RGB, &src_rgb);
    glGetIntegerv(GL_BLEND_DST_RGB, &dst_rgb);
    glGetIntegerv(GL_BLEND_SRC_ALPHA, &src_alpha);
    glGetIntegerv(GL_BLEND_DST_ALPHA, &dst_alpha);
    glGetIntegerv(GL_BLEND_EQUATION_RGB, &equation_rgb);
    glGetIntegerv(GL_BLEND_EQUATION_ALPHA, &equation_alpha);
    GLboolean blend = glIsEnabled(GL_BLEND), depth = glIsEnabled(GL_DEPTH_TEST),
              stencil = glIsEnabled(GL_STENCIL_TEST), cull = glIsEnabled(GL_CULL_FACE);

    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    /* Destination alpha keeps "covered" meaning, should the image be composited further. */
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_CULL_FACE);
    glViewport((GLint)left, (GLint)low, (GLsizei)(right - left), (GLsizei)(high - low));
    glUseProgram(o->program);
    glProgramUniform2i(o->program, U_BOX_ORIGIN, clamp_int(x), clamp_int(bottom));
    glProgramUniform2i(o->program, U_BOX_SIZE, clamp_int(width), clamp_int(height));
    glProgramUniform2i(o->program, U_TEXT_SIZE, o->text_width, o->text_height);
    glProgramUniform1i(o->program, U_PADDING, clamp_int((long long)PADDING * scale));
    glProgramUniform1i(o->program, U_SCALE, scale);
    glBindTextureUnit(0, o->texture);
    /* Core profile draws nothing without a vertex array, even one with no attributes. */
    glBindVertexArray(o->vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);

    glBindVertexArray((GLuint)vao);
    glUseProgram((GLuint)program);
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
    glBlendEquationSeparate((GLenum)equation_rgb, (GLenum)equation_alpha);
    glBlendFuncSeparate((GLenum)src_rgb, (GLenum)dst_rgb, (GLenum)src_alpha, (GLenum)dst_alpha);
    set_enabled(GL_BLEND, blend);
    set_enabled(GL_DEPTH_TEST, depth);
    set_enabled(GL_STENCIL_TEST, stencil);
    set_enabled(GL_CULL_FACE, cull);
}

void ds_overlay_free(ds_overlay *o) {
    if (!o) {
        return;
    }
    glDeleteTextures(1, &o->texture);
    glDeleteVertexArrays(1, &o->vao);
    glDeleteProgram(o->program);
    free(o->pixels);
    free(o->text);
    free(o);
}
