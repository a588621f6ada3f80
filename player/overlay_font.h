/* The player overlay's built-in bitmap font: 5x8 glyphs (7 rows above the baseline, one descender
 * row) for printable ASCII 32..126, drawn on the CPU into a one-byte-per-pixel coverage buffer. No
 * font library, no files: the glyphs are data in overlay_font.c, so the overlay works wherever the
 * player does and its tests need no GL.
 *
 * Every character takes a cell of DS_OVERLAY_FONT_CELL_WIDTH x DS_OVERLAY_FONT_CELL_HEIGHT pixels
 * at scale 1 (the glyph plus one column and one row of spacing), each pixel growing to a
 * scale x scale block. '\n' starts a new line; any other byte outside 32..126 (tabs, control
 * characters, UTF-8 bytes) is drawn as a box, so a bad character shows instead of vanishing. A
 * scale below 1 counts as 1. */
#ifndef DS_PLAYER_OVERLAY_FONT_H
#define DS_PLAYER_OVERLAY_FONT_H

#include <stdint.h>

enum {
    DS_OVERLAY_FONT_GLYPH_WIDTH = 5,
    DS_OVERLAY_FONT_GLYPH_HEIGHT = 8,
    DS_OVERLAY_FONT_CELL_WIDTH = 6,
    DS_OVERLAY_FONT_CELL_HEIGHT = 9,
};

/* The size of the text's block of cells: the longest line's characters x cell width by the number
 * of lines x cell height, times scale. A line is what '\n' ends, so "a\n" has two lines and ""
 * none (0 x 0). Sizes too large for an int saturate at INT_MAX. */
void ds_overlay_font_measure(const char *text, int scale, int *width, int *height);

/* Sets the text's ink to 255 in `pixels` (width x height bytes, rows top to bottom, no padding)
 * with its top-left cell corner at (x, y), which may lie outside the buffer: what falls outside is
 * clipped. Pixels without ink are left as they are, so the caller chooses the background. */
void ds_overlay_font_draw(uint8_t *pixels, int width, int height, int x, int y, const char *text,
                          int scale);

#endif
