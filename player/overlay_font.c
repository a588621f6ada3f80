/* The glyphs are drawn as a sheet, twelve to a band, so that they can be read and edited as
 * pictures: '#' is ink, '.' is not. Code c (32..126) is glyph c - 32; the 96th is the box that
 * stands for every character outside the font. Row 7 is the descender row (g j p q y , _ |). */
#include "overlay_font.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum {
    FIRST_CODE = 32,
    LAST_CODE = 126,
    GLYPHS_PER_BAND = 12,
    BOX_GLYPH = LAST_CODE - FIRST_CODE + 1,
    /* Each glyph's five columns plus the space that separates it from the next. */
    SHEET_STRIDE = DS_OVERLAY_FONT_GLYPH_WIDTH + 1,
};

/* clang-format off */
static const char *const sheet[] = {
    /* sp    !     "     #     $     %     &     '     (     )     *     + */
    "..... ..#.. .#.#. .#.#. ..#.. ##... .##.. ..#.. ...#. .#... ..... .....",
    "..... ..#.. .#.#. .#.#. .#### ##..# #..#. ..#.. ..#.. ..#.. ..#.. ..#..",
    "..... ..#.. .#.#. ##### #.#.. ...#. #.#.. .#... .#... ...#. #.#.# ..#..",
    "..... ..#.. ..... .#.#. .###. ..#.. .#... ..... .#... ...#. .###. #####",
    "..... ..#.. ..... ##### ..#.# .#... #.#.# ..... .#... ...#. #.#.# ..#..",
    "..... ..... ..... .#.#. ####. #..## #..#. ..... ..#.. ..#.. ..#.. ..#..",
    "..... ..#.. ..... .#.#. ..#.. ...## .##.# ..... ...#. .#... ..... .....",
    "..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....",
    /* ,     -     .     /     0     1     2     3     4     5     6     7 */
    "..... ..... ..... ..... .###. ..#.. .###. ##### ...#. ##### ..##. #####",
    "..... ..... ..... ....# #...# .##.. #...# ...#. ..##. #.... .#... ....#",
    "..... ..... ..... ...#. #..## ..#.. ....# ..#.. .#.#. ####. #.... ...#.",
    "..... ##### ..... ..#.. #.#.# ..#.. ...#. ...#. #..#. ....# ####. ..#..",
    "..... ..... ..... .#... ##..# ..#.. ..#.. ....# ##### ....# #...# .#...",
    ".##.. ..... .##.. #.... #...# ..#.. .#... #...# ...#. #...# #...# .#...",
    "..#.. ..... .##.. ..... .###. .###. ##### .###. ...#. .###. .###. .#...",
    ".#... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....",
    /* 8     9     :     ;     <     =     >     ?     @     A     B     C */
    ".###. .###. ..... ..... ...#. ..... .#... .###. .###. .###. ####. .###.",
    "#...# #...# .##.. .##.. ..#.. ..... ..#.. #...# #...# #...# #...# #...#",
    "#...# #...# .##.. .##.. .#... ##### ...#. ....# #.### #...# #...# #....",
    ".###. .#### ..... ..... #.... ..... ....# ...#. #.#.# ##### ####. #....",
    "#...# ....# .##.. .##.. .#... ##### ...#. ..#.. #.### #...# #...# #....",
    "#...# ...#. .##.. ..#.. ..#.. ..... ..#.. ..... #.... #...# #...# #...#",
    ".###. .##.. ..... .#... ...#. ..... .#... ..#.. .#### #...# ####. .###.",
    "..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....",
    /* D     E     F     G     H     I     J     K     L     M     N     O */
    "###.. ##### ##### .###. #...# .###. ..### #...# #.... #...# #...# .###.",
    "#..#. #.... #.... #...# #...# ..#.. ...#. #..#. #.... ##.## #...# #...#",
    "#...# #.... #.... #.... #...# ..#.. ...#. #.#.. #.... #.#.# ##..# #...#",
    "#...# ####. ####. #.### ##### ..#.. ...#. ##... #.... #.#.# #.#.# #...#",
    "#...# #.... #.... #...# #...# ..#.. ...#. #.#.. #.... #...# #..## #...#",
    "#..#. #.... #.... #...# #...# ..#.. #..#. #..#. #.... #...# #...# #...#",
    "###.. ##### #.... .#### #...# .###. .##.. #...# ##### #...# #...# .###.",
    "..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....",
    /* P     Q     R     S     T     U     V     W     X     Y     Z     [ */
    "####. .###. ####. .#### ##### #...# #...# #...# #...# #...# ##### .###.",
    "#...# #...# #...# #.... ..#.. #...# #...# #...# #...# #...# ....# .#...",
    "#...# #...# #...# #.... ..#.. #...# #...# #...# .#.#. .#.#. ...#. .#...",
    "####. #...# ####. .###. ..#.. #...# #...# #.#.# ..#.. ..#.. ..#.. .#...",
    "#.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.# .#.#. ..#.. .#... .#...",
    "#.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.# #...# ..#.. #.... .#...",
    "#.... .##.# #...# ####. ..#.. .###. ..#.. .#.#. #...# ..#.. ##### .###.",
    "..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....",
    /* \     ]     ^     _     `     a     b     c     d     e     f     g */
    "..... .###. ..#.. ..... .#... ..... #.... ..... ....# ..... ..##. .....",
    "#.... ...#. .#.#. ..... ..#.. ..... #.... ..... ....# ..... .#..# .....",
    ".#... ...#. #...# ..... ...#. .###. #.##. .###. .##.# .###. .#... .####",
    "..#.. ...#. ..... ..... ..... ....# ##..# #.... #..## #...# ###.. #...#",
    "...#. ...#. ..... ..... ..... .#### #...# #.... #...# ##### .#... #...#",
    "....# ...#. ..... ..... ..... #...# #...# #...# #...# #.... .#... .####",
    "..... .###. ..... ..... ..... .#### ####. .###. .#### .###. .#... ....#",
    "..... ..... ..... ##### ..... ..... ..... ..... ..... ..... ..... .###.",
    /* h     i     j     k     l     m     n     o     p     q     r     s */
    "#.... ..#.. ...#. #.... .##.. ..... ..... ..... ..... ..... ..... .....",
    "#.... ..... ..... #.... ..#.. ..... ..... ..... ..... ..... ..... .....",
    "#.##. .##.. ..##. #..#. ..#.. ##.#. #.##. .###. ####. .#### #.##. .####",
    "##..# ..#.. ...#. #.#.. ..#.. #.#.# ##..# #...# #...# #...# ##..# #....",
    "#...# ..#.. ...#. ##... ..#.. #.#.# #...# #...# #...# #...# #.... .###.",
    "#...# ..#.. ...#. #.#.. ..#.. #...# #...# #...# ####. .#### #.... ....#",
    "#...# .###. #..#. #..#. .###. #...# #...# .###. #.... ....# #.... ####.",
    "..... ..... .##.. ..... ..... ..... ..... ..... #.... ....# ..... .....",
    /* t     u     v     w     x     y     z     {     |     }     ~     box */
    ".#... ..... ..... ..... ..... ..... ..... ...## ..#.. ##... ..... #####",
    ".#... ..... ..... ..... ..... ..... ..... ..#.. ..#.. ..#.. ..... #...#",
    "###.. #...# #...# #...# #...# #...# ##### ..#.. ..#.. ..#.. .#... #...#",
    ".#... #...# #...# #...# .#.#. #...# ...#. .#... ..#.. ...#. #.#.# #...#",
    ".#... #...# #...# #.#.# ..#.. #...# ..#.. ..#.. ..#.. ..#.. ...#. #...#",
    ".#..# #..## .#.#. #.#.# .#.#. .#### .#... ..#.. ..#.. ..#.. ..... #...#",
    "..##. .##.# ..#.. .#.#. #...# ....# ##### ...## ..#.. ##... ..... #####",
    "..... ..... ..... ..... ..... .###. ..... ..... ..#.. ..... ..... .....",
};
/* clang-format on */

_Static_assert(sizeof sheet / sizeof sheet[0] ==
                   (BOX_GLYPH / GLYPHS_PER_BAND + 1) * DS_OVERLAY_FONT_GLYPH_HEIGHT,
               "the sheet holds every glyph and the box");

static int glyph_index(unsigned char c) {
    return c >= FIRST_CODE && c <= LAST_CODE ? c - FIRST_CODE : BOX_GLYPH;
}

static bool glyph_ink(int glyph, int column, int row) {
    const char *band_row = sheet[(glyph / GLYPHS_PER_BAND) * DS_OVERLAY_FONT_GLYPH_HEIGHT + row];
    return band_row[(glyph % GLYPHS_PER_BAND) * SHEET_STRIDE + column] == '#';
}

static int saturate(long long value) {
    return value > INT_MAX ? INT_MAX : (int)value;
}

void ds_overlay_font_measure(const char *text, int scale, int *width, int *height) {
    if (scale < 1) {
        scale = 1;
    }
    long long lines = 0, longest = 0, current = 0;
    if (text && *text) {
        lines = 1;
        for (const char *p = text; *p; p++) {
            if (*p == '\n') {
                lines++;
                current = 0;
            } else if (++current > longest) {
                longest = current;
            }
        }
    }
    *width = saturate(longest * DS_OVERLAY_FONT_CELL_WIDTH * scale);
    *height = saturate(lines * DS_OVERLAY_FONT_CELL_HEIGHT * scale);
}

/* One glyph with its top-left corner at (x, y); positions are long long because a long line at a
 * large scale may run past INT_MAX even though only its clipped part is ever written. */
static void draw_glyph(uint8_t *pixels, int width, int height, long long x, long long y, int glyph,
                       int scale) {
    for (int row = 0; row < DS_OVERLAY_FONT_GLYPH_HEIGHT; row++) {
        long long y0 = y + (long long)row * scale, y1 = y0 + scale;
        if (y1 <= 0 || y0 >= height) {
            continue;
        }
        y0 = y0 < 0 ? 0 : y0;
        y1 = y1 > height ? height : y1;
        for (int column = 0; column < DS_OVERLAY_FONT_GLYPH_WIDTH; column++) {
            long long x0 = x + (long long)column * scale, x1 = x0 + scale;
            if (x1 <= 0 || x0 >= width || !glyph_ink(glyph, column, row)) {
                continue;
            }
            x0 = x0 < 0 ? 0 : x0;
            x1 = x1 > width ? width : x1;
            for (long long py = y0; py < y1; py++) {
                uint8_t *line = pixels + (size_t)py * (size_t)width;
                for (long long px = x0; px < x1; px++) {
                    line[px] = 255;
                }
            }
        }
    }
}

void ds_overlay_font_draw(uint8_t *pixels, int width, int height, int x, int y, const char *text,
                          int scale) {
    if (!pixels || !text || width <= 0 || height <= 0) {
        return;
    }
    if (scale < 1) {
        scale = 1;
    }
    const long long advance = (long long)DS_OVERLAY_FONT_CELL_WIDTH * scale,
                    line_height = (long long)DS_OVERLAY_FONT_CELL_HEIGHT * scale;
    long long pen_x = x, pen_y = y;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            pen_x = x;
            pen_y += line_height;
            continue;
        }
        /* The pen only moves down, so once it is below the buffer nothing more can show. */
        if (pen_y >= height) {
            break;
        }
        if (pen_x < width && pen_x + advance > 0 && pen_y + line_height > 0) {
            draw_glyph(pixels, width, height, pen_x, pen_y, glyph_index(*p), scale);
        }
        pen_x += advance;
    }
}
