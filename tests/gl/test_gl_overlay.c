/* The player's overlay (player/overlay.h) drawn into an offscreen framebuffer on a real context
 * and read back: inside its box every pixel is the darkened image or text-white, exactly where the
 * CPU font puts ink; outside the box nothing changes; the GL state it touches is put back. */
#include "gl_tests.h"

#include "player/gl_context.h"
#include "player/overlay.h"
#include "player/overlay_font.h"
#include "test_support.h"

#include <GL/glew.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Small enough that the longer text's box runs off the right edge at scale 2 and off the bottom
 * too at scale 3, so clipping is checked as well. */
enum { WIDTH = 256, HEIGHT = 100 };

/* The image under the overlay, as 8-bit values. */
static const uint8_t background[3] = {51, 153, 102};

typedef struct target {
    GLuint framebuffer, colour;
} target;

static target make_target(void) {
    target t;
    glCreateTextures(GL_TEXTURE_2D, 1, &t.colour);
    glTextureStorage2D(t.colour, 1, GL_RGBA8, WIDTH, HEIGHT);
    glCreateFramebuffers(1, &t.framebuffer);
    glNamedFramebufferTexture(t.framebuffer, GL_COLOR_ATTACHMENT0, t.colour, 0);
    assert_int_equal(glCheckNamedFramebufferStatus(t.framebuffer, GL_FRAMEBUFFER),
                     GL_FRAMEBUFFER_COMPLETE);
    return t;
}

static void clear_target(const target *t) {
    const GLfloat colour[4] = {background[0] / 255.0f, background[1] / 255.0f,
                               background[2] / 255.0f, 1.0f};
    glClearNamedFramebufferfv(t->framebuffer, GL_COLOR, 0, colour);
}

static void free_target(target *t) {
    glDeleteFramebuffers(1, &t->framebuffer);
    glDeleteTextures(1, &t->colour);
}

/* The framebuffer as RGBA rows from the top. */
static uint8_t *read_target(const target *t) {
    uint8_t *rows = malloc((size_t)WIDTH * HEIGHT * 4),
            *flipped = malloc((size_t)WIDTH * HEIGHT * 4);
    assert_non_null(rows);
    assert_non_null(flipped);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, t->framebuffer);
    glReadPixels(0, 0, WIDTH, HEIGHT, GL_RGBA, GL_UNSIGNED_BYTE, rows);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    for (int y = 0; y < HEIGHT; y++) {
        memcpy(flipped + (size_t)y * WIDTH * 4, rows + (size_t)(HEIGHT - 1 - y) * WIDTH * 4,
               (size_t)WIDTH * 4);
    }
    free(rows);
    return flipped;
}

static int near(int value, int expected) {
    return abs(value - expected) <= 2;
}

/* Checks the image after drawing `text` at `scale`: the box from ds_overlay_bounds (as far as it
 * lies in the image) is the darkened background where the font has no ink and white where it has,
 * and every pixel outside it is the background. */
static void check_image(const ds_overlay *overlay, const uint8_t *image, const char *text,
                        int scale) {
    int bx, by, bw, bh;
    ds_overlay_bounds(overlay, scale, &bx, &by, &bw, &bh);
    assert_true(bw > 0 && bh > 0);
    /* Where the font puts ink within the box, at the padding the overlay leaves: the first ink
     * sits at the same offset from the box's corner on both axes. */
    uint8_t *ink = calloc((size_t)bw * (size_t)bh, 1);
    assert_non_null(ink);
    int text_width, text_height;
    ds_overlay_font_measure(text, scale, &text_width, &text_height);
    int padding_x = (bw - text_width + scale) / 2, padding_y = (bh - text_height + scale) / 2;
    assert_int_equal(padding_x, padding_y);
    ds_overlay_font_draw(ink, bw, bh, padding_x, padding_y, text, scale);

    int light = 0, dark = 0;
    for (int y = 0; y < HEIGHT; y++) {
        for (int x = 0; x < WIDTH; x++) {
            const uint8_t *p = image + ((size_t)y * WIDTH + (size_t)x) * 4;
            bool inside = x >= bx && x < bx + bw && y >= by && y < by + bh;
            if (!inside) {
                if (p[0] != background[0] || p[1] != background[1] || p[2] != background[2]) {
                    fail_msg("pixel (%d, %d) outside the box changed to %d %d %d", x, y, p[0], p[1],
                             p[2]);
                }
                continue;
            }
            if (ink[(size_t)(y - by) * (size_t)bw + (size_t)(x - bx)]) {
                if (p[0] < 250 || p[1] < 250 || p[2] < 250) {
                    fail_msg("text pixel (%d, %d) is %d %d %d, not white", x, y, p[0], p[1], p[2]);
                }
                light++;
            } else {
                /* The box is black at 60% over the image. */
                for (int c = 0; c < 3; c++) {
                    if (!near(p[c], (background[c] * 2 + 2) / 5)) {
                        fail_msg("box pixel (%d, %d) channel %d is %d, expected %d", x, y, c, p[c],
                                 (background[c] * 2 + 2) / 5);
                    }
                }
                dark++;
            }
        }
    }
    assert_true(light > 0);
    assert_true(dark > light);
    free(ink);
}

static void draws_text_over_a_dark_box(void **state) {
    (void)state;
    gl_test_context_setup();
    target t = make_target();
    ds_overlay *overlay;
    ds_status status = ds_overlay_create(&overlay);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    const char *texts[] = {"fps 60.0\nframe 1234", "fps 59.9\nframe 1235\ndecode 3.2 ms\n"
                                                   "gpu sort 0.41 | draw 1.07 [ms]"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        for (int scale = 1; scale <= 3; scale++) {
            clear_target(&t);
            ds_overlay_set_text(overlay, texts[i]);
            glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t.framebuffer);
            ds_overlay_draw(overlay, WIDTH, HEIGHT, scale);
            glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
            uint8_t *image = read_target(&t);
            check_image(overlay, image, texts[i], scale);
            free(image);
        }
    }
    /* The same text again is a no-op, and a shorter one after a longer one leaves nothing of
     * the longer one behind. */
    ds_overlay_set_text(overlay, texts[1]);
    ds_overlay_set_text(overlay, "ok");
    clear_target(&t);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t.framebuffer);
    ds_overlay_draw(overlay, WIDTH, HEIGHT, 3);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    uint8_t *image = read_target(&t);
    check_image(overlay, image, "ok", 3);
    free(image);

    assert_int_equal(glGetError(), GL_NO_ERROR);
    assert_int_equal(ds_gl_debug_error_count(), 0);
    ds_overlay_free(overlay);
    free_target(&t);
}

static void no_text_draws_nothing(void **state) {
    (void)state;
    gl_test_context_setup();
    target t = make_target();
    ds_overlay *overlay;
    ds_status status = ds_overlay_create(&overlay);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    int x, y, width, height;
    ds_overlay_bounds(overlay, 1, &x, &y, &width, &height);
    assert_int_equal(width, 0);
    assert_int_equal(height, 0);
    ds_overlay_set_text(overlay, "soon gone");
    ds_overlay_set_text(overlay, "");
    clear_target(&t);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t.framebuffer);
    ds_overlay_draw(overlay, WIDTH, HEIGHT, 1);
    ds_overlay_set_text(overlay, NULL);
    ds_overlay_draw(overlay, WIDTH, HEIGHT, 1);
    /* Text, but a framebuffer too small to hold any of the box. */
    ds_overlay_set_text(overlay, "x");
    ds_overlay_draw(overlay, 1, 1, 1);
    ds_overlay_draw(overlay, WIDTH, HEIGHT, 1 << 30);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    uint8_t *image = read_target(&t);
    for (size_t i = 0; i < (size_t)WIDTH * HEIGHT; i++) {
        if (image[i * 4] != background[0] || image[i * 4 + 1] != background[1] ||
            image[i * 4 + 2] != background[2]) {
            fail_msg("pixel %zu changed", i);
        }
    }
    free(image);
    assert_int_equal(ds_gl_debug_error_count(), 0);
    ds_overlay_free(overlay);
    ds_overlay_free(NULL);
    free_target(&t);
}

static void restores_the_state_it_changes(void **state) {
    (void)state;
    gl_test_context_setup();
    target t = make_target();
    ds_overlay *overlay;
    ds_status status = ds_overlay_create(&overlay);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    ds_overlay_set_text(overlay, "state");
    clear_target(&t);
    GLuint vao;
    glCreateVertexArrays(1, &vao);
    glBindVertexArray(vao);
    glViewport(3, 5, 17, 19);
    glBlendFuncSeparate(GL_ONE, GL_ZERO, GL_DST_ALPHA, GL_SRC_COLOR);
    glBlendEquationSeparate(GL_MAX, GL_FUNC_SUBTRACT);
    glDisable(GL_BLEND);
    glEnable(GL_CULL_FACE);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t.framebuffer);
    ds_overlay_draw(overlay, WIDTH, HEIGHT, 1);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);

    GLint viewport[4], value;
    glGetIntegerv(GL_VIEWPORT, viewport);
    assert_int_equal(viewport[0], 3);
    assert_int_equal(viewport[1], 5);
    assert_int_equal(viewport[2], 17);
    assert_int_equal(viewport[3], 19);
    const struct {
        GLenum name;
        GLint expected;
    } values[] = {
        {GL_BLEND_SRC_RGB, GL_ONE},
        {GL_BLEND_DST_RGB, GL_ZERO},
        {GL_BLEND_SRC_ALPHA, GL_DST_ALPHA},
        {GL_BLEND_DST_ALPHA, GL_SRC_COLOR},
        {GL_BLEND_EQUATION_RGB, GL_MAX},
        {GL_BLEND_EQUATION_ALPHA, GL_FUNC_SUBTRACT},
        {GL_VERTEX_ARRAY_BINDING, (GLint)vao},
        {GL_CURRENT_PROGRAM, 0},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        glGetIntegerv(values[i].name, &value);
        assert_int_equal(value, values[i].expected);
    }
    assert_false(glIsEnabled(GL_BLEND));
    assert_true(glIsEnabled(GL_CULL_FACE));
    assert_false(glIsEnabled(GL_DEPTH_TEST));

    /* The overlay drew despite culling and the caller's blend state. */
    uint8_t *image = read_target(&t);
    int changed = 0;
    for (size_t i = 0; i < (size_t)WIDTH * HEIGHT; i++) {
        changed += image[i * 4] != background[0];
    }
    assert_true(changed > 0);
    free(image);

    glBindVertexArray(0);
    glDeleteVertexArrays(1, &vao);
    glBlendFuncSeparate(GL_ONE, GL_ZERO, GL_ONE, GL_ZERO);
    glBlendEquation(GL_FUNC_ADD);
    glDisable(GL_CULL_FACE);
    glViewport(0, 0, 64, 64);
    assert_int_equal(ds_gl_debug_error_count(), 0);
    ds_overlay_free(overlay);
    free_target(&t);
}

int run_gl_overlay_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draws_text_over_a_dark_box),
        cmocka_unit_test(no_text_draws_nothing),
        cmocka_unit_test(restores_the_state_it_changes),
    };
    return cmocka_run_group_tests_name("overlay", tests, NULL, NULL);
}
