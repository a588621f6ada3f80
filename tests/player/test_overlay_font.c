/* Tests of the overlay's built-in font (player/overlay_font.h): sizes of single and multi-line
 * text, that every printable character has a glyph of its own, that scale magnifies exactly, and
 * that drawing clips at every edge of the buffer without touching a byte outside it. */
#include "player_tests.h"
#include "test_support.h"

#include "player/overlay_font.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CELL_W = DS_OVERLAY_FONT_CELL_WIDTH, CELL_H = DS_OVERLAY_FONT_CELL_HEIGHT };

typedef struct cell {
    uint8_t pixels[CELL_H][CELL_W];
} cell;

static cell draw_cell(const char *text) {
    cell c;
    memset(&c, 0, sizeof c);
    ds_overlay_font_draw(&c.pixels[0][0], CELL_W, CELL_H, 0, 0, text, 1);
    return c;
}

static int ink_count(const cell *c) {
    int count = 0;
    for (int y = 0; y < CELL_H; y++) {
        for (int x = 0; x < CELL_W; x++) {
            count += c->pixels[y][x] != 0;
        }
    }
    return count;
}

static void assert_size(const char *text, int scale, int width, int height) {
    int w = -1, h = -1;
    ds_overlay_font_measure(text, scale, &w, &h);
    if (w != width || h != height) {
        fail_msg("\"%s\" at scale %d measures %d x %d, expected %d x %d", text ? text : "(null)",
                 scale, w, h, width, height);
    }
}

static void measures_lines_and_scale(void **state) {
    (void)state;
    assert_size("", 1, 0, 0);
    assert_size(NULL, 1, 0, 0);
    assert_size("fps", 1, 3 * CELL_W, CELL_H);
    assert_size("fps", 3, 9 * CELL_W, 3 * CELL_H);
    assert_size("fps 60.0\nframe 1234\ngpu", 1, 10 * CELL_W, 3 * CELL_H);
    assert_size("fps 60.0\nframe 1234\ngpu", 2, 20 * CELL_W, 6 * CELL_H);
    /* A trailing newline opens an empty line; empty lines count. */
    assert_size("x\n", 1, CELL_W, 2 * CELL_H);
    assert_size("\n\n", 1, 0, 3 * CELL_H);
    assert_size("ab\n\ncdef", 1, 4 * CELL_W, 3 * CELL_H);
    /* A scale below 1 is 1. */
    assert_size("ab", 0, 2 * CELL_W, CELL_H);
    assert_size("ab", -5, 2 * CELL_W, CELL_H);
    /* Unknown characters take a cell like any other. */
    assert_size("\t\x01\xc3\xa9", 1, 4 * CELL_W, CELL_H);
    /* Far too large saturates instead of wrapping. */
    assert_size("ab\nc", INT_MAX, INT_MAX, INT_MAX);
}

static void one_differs_from_seven(void **state) {
    (void)state;
    cell one = draw_cell("1"), seven = draw_cell("7");
    assert_true(ink_count(&one) > 0);
    assert_true(ink_count(&seven) > 0);
    assert_memory_not_equal(&one, &seven, sizeof one);
}

static void every_character_has_a_glyph(void **state) {
    (void)state;
    cell space = draw_cell(" ");
    assert_int_equal(ink_count(&space), 0);
    for (int c = 33; c <= 126; c++) {
        char text[2] = {(char)c, 0};
        cell glyph = draw_cell(text);
        if (ink_count(&glyph) == 0) {
            fail_msg("'%c' (%d) is blank", c, c);
        }
        /* The cell's last column and row separate glyphs and lines. */
        for (int y = 0; y < CELL_H; y++) {
            if (glyph.pixels[y][CELL_W - 1]) {
                fail_msg("'%c' inks the spacing column", c);
            }
        }
        for (int x = 0; x < CELL_W; x++) {
            if (glyph.pixels[CELL_H - 1][x]) {
                fail_msg("'%c' inks the spacing row", c);
            }
        }
    }
}

static void letters_and_digits_are_distinct(void **state) {
    (void)state;
    const char *set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t count = strlen(set);
    cell *glyphs = malloc(count * sizeof *glyphs);
    assert_non_null(glyphs);
    for (size_t i = 0; i < count; i++) {
        char text[2] = {set[i], 0};
        glyphs[i] = draw_cell(text);
    }
    for (size_t i = 0; i < count; i++) {
        for (size_t j = i + 1; j < count; j++) {
            if (memcmp(&glyphs[i], &glyphs[j], sizeof(cell)) == 0) {
                fail_msg("'%c' and '%c' are drawn the same", set[i], set[j]);
            }
        }
    }
    free(glyphs);
}

static void unknown_characters_are_a_box(void **state) {
    (void)state;
    cell tab = draw_cell("\t"), control = draw_cell("\x7f"), utf8 = draw_cell("\xc3");
    assert_true(ink_count(&tab) > 0);
    assert_memory_equal(&tab, &control, sizeof tab);
    assert_memory_equal(&tab, &utf8, sizeof tab);
    for (int c = 32; c <= 126; c++) {
        char text[2] = {(char)c, 0};
        cell glyph = draw_cell(text);
        if (memcmp(&glyph, &tab, sizeof tab) == 0) {
            fail_msg("'%c' looks like the unknown-character box", c);
        }
    }
}

static void scale_magnifies_each_pixel(void **state) {
    (void)state;
    const char *text = "Ag:9";
    enum { SCALE = 3 };
    int w1, h1, w3, h3;
    ds_overlay_font_measure(text, 1, &w1, &h1);
    ds_overlay_font_measure(text, SCALE, &w3, &h3);
    uint8_t *small = calloc((size_t)(w1 * h1), 1), *large = calloc((size_t)(w3 * h3), 1);
    assert_non_null(small);
    assert_non_null(large);
    ds_overlay_font_draw(small, w1, h1, 0, 0, text, 1);
    ds_overlay_font_draw(large, w3, h3, 0, 0, text, SCALE);
    for (int y = 0; y < h3; y++) {
        for (int x = 0; x < w3; x++) {
            if (large[y * w3 + x] != small[(y / SCALE) * w1 + x / SCALE]) {
                fail_msg("pixel (%d, %d) at scale %d is not its scale-1 pixel", x, y, SCALE);
            }
        }
    }
    free(small);
    free(large);
}

static void lines_start_one_cell_down(void **state) {
    (void)state;
    enum { W = 4 * CELL_W, H = 3 * CELL_H };
    uint8_t together[H][W] = {{0}}, apart[H][W] = {{0}};
    ds_overlay_font_draw(&together[0][0], W, H, 0, 0, "ab\n\nXy", 1);
    ds_overlay_font_draw(&apart[0][0], W, H, 0, 0, "ab", 1);
    ds_overlay_font_draw(&apart[0][0], W, H, 0, 2 * CELL_H, "X", 1);
    ds_overlay_font_draw(&apart[0][0], W, H, CELL_W, 2 * CELL_H, "y", 1);
    assert_memory_equal(together, apart, sizeof together);
}

static void ink_leaves_the_background(void **state) {
    (void)state;
    uint8_t pixels[CELL_H][CELL_W];
    memset(pixels, 7, sizeof pixels);
    ds_overlay_font_draw(&pixels[0][0], CELL_W, CELL_H, 0, 0, "8", 1);
    cell reference = draw_cell("8");
    for (int y = 0; y < CELL_H; y++) {
        for (int x = 0; x < CELL_W; x++) {
            assert_int_equal(pixels[y][x], reference.pixels[y][x] ? 255 : 7);
        }
    }
}

/* Draws into a width x height buffer fenced by canaries, at (x, y), and checks it against the same
 * text drawn unclipped into a larger buffer and cropped: rows must not spill into their
 * neighbours, and no byte outside may change. */
enum { CANARY = 0xa5, FENCE = 64, BORDER = 40 };

static void check_clipped(int width, int height, int x, int y, const char *text, int scale) {
    size_t size = (size_t)width * (size_t)height;
    uint8_t *block = malloc(size + 2 * FENCE);
    assert_non_null(block);
    memset(block, CANARY, size + 2 * FENCE);
    uint8_t *pixels = block + FENCE;
    memset(pixels, 0, size);
    ds_overlay_font_draw(pixels, width, height, x, y, text, scale);
    for (size_t i = 0; i < FENCE; i++) {
        if (block[i] != CANARY || pixels[size + i] != CANARY) {
            fail_msg("drawing \"%s\" at (%d, %d) wrote outside the %d x %d buffer", text, x, y,
                     width, height);
        }
    }
    int text_width, text_height;
    ds_overlay_font_measure(text, scale, &text_width, &text_height);
    /* The reference covers the buffer and the whole text wherever it lies. */
    int ref_width = width + 2 * BORDER, ref_height = height + 2 * BORDER;
    assert_true(x >= -BORDER && x + text_width <= width + BORDER);
    assert_true(y >= -BORDER && y + text_height <= height + BORDER);
    uint8_t *reference = calloc((size_t)ref_width * (size_t)ref_height, 1);
    assert_non_null(reference);
    ds_overlay_font_draw(reference, ref_width, ref_height, x + BORDER, y + BORDER, text, scale);
    int inked = 0;
    for (int py = 0; py < height; py++) {
        for (int px = 0; px < width; px++) {
            uint8_t expected = reference[(size_t)(py + BORDER) * (size_t)ref_width + px + BORDER];
            if (pixels[(size_t)py * (size_t)width + px] != expected) {
                fail_msg("\"%s\" at (%d, %d): pixel (%d, %d) is %d, expected %d", text, x, y, px,
                         py, pixels[(size_t)py * (size_t)width + px], expected);
            }
            inked += expected != 0;
        }
    }
    /* Every placement used here leaves part of the text in view. */
    assert_true(inked > 0);
    free(reference);
    free(block);
}

static void clips_at_every_edge(void **state) {
    (void)state;
    const char *text = "WM#@\n0123";
    /* Across the left, right, top and bottom edges and every corner, at two scales. */
    const int places[][2] = {{-7, 5}, {-3, -4}, {20, -6}, {25, 8},  {27, 14},
                             {6, 15}, {-8, 13}, {2, 3},   {-13, -9}};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        check_clipped(33, 21, places[i][0], places[i][1], text, 1);
    }
    check_clipped(33, 21, -14, -10, "Hi", 2);
    check_clipped(33, 21, 20, 10, "Hi", 2);
    check_clipped(33, 21, 25, -8, "W", 3);
    /* A buffer narrower than one glyph. */
    check_clipped(3, 21, -1, 2, "M", 1);
}

static void text_entirely_outside_writes_nothing(void **state) {
    (void)state;
    enum { W = 16, H = 12 };
    uint8_t block[W * H + 2 * FENCE];
    memset(block, CANARY, sizeof block);
    uint8_t *pixels = block + FENCE;
    memset(pixels, 0, W * H);
    const int places[][2] = {{W, 0},
                             {0, H},
                             {-9 * CELL_W, 0},
                             {0, -2 * CELL_H},
                             {INT_MAX, 0},
                             {0, INT_MAX},
                             {INT_MIN, 0},
                             {0, INT_MIN},
                             {INT_MIN, INT_MIN},
                             {INT_MAX - 3, INT_MAX - 3}};
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        ds_overlay_font_draw(pixels, W, H, places[i][0], places[i][1], "Wide text\nline two", 1);
    }
    /* Huge glyphs whose positions overflow an int unless computed wider. */
    const int far[][2] = {{W, 0}, {0, H}, {INT_MIN, 0}, {0, INT_MIN}, {INT_MAX - 3, INT_MAX - 3}};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        ds_overlay_font_draw(pixels, W, H, far[i][0], far[i][1], "Big\nBig", 1 << 20);
    }
    for (size_t i = 0; i < sizeof block; i++) {
        uint8_t expected = i < FENCE || i >= FENCE + W * H ? CANARY : 0;
        if (block[i] != expected) {
            fail_msg("byte %zu changed", i);
        }
    }
    /* Nothing to draw into, or nothing to draw. */
    ds_overlay_font_draw(NULL, W, H, 0, 0, "x", 1);
    ds_overlay_font_draw(pixels, 0, H, 0, 0, "x", 1);
    ds_overlay_font_draw(pixels, W, -1, 0, 0, "x", 1);
    ds_overlay_font_draw(pixels, W, H, 0, 0, NULL, 1);
    for (size_t i = 0; i < W * H; i++) {
        assert_int_equal(pixels[i], 0);
    }
}

int run_overlay_font_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(measures_lines_and_scale),
        cmocka_unit_test(one_differs_from_seven),
        cmocka_unit_test(every_character_has_a_glyph),
        cmocka_unit_test(letters_and_digits_are_distinct),
        cmocka_unit_test(unknown_characters_are_a_box),
        cmocka_unit_test(scale_magnifies_each_pixel),
        cmocka_unit_test(lines_start_one_cell_down),
        cmocka_unit_test(ink_leaves_the_background),
        cmocka_unit_test(clips_at_every_edge),
        cmocka_unit_test(text_entirely_outside_writes_nothing),
    };
    return cmocka_run_group_tests_name("overlay_font", tests, NULL, NULL);
}
