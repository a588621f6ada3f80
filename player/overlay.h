/* The desktop player's on-screen text (fps, frame number, decode and GPU times): a translucent dark
 * box in the top-left corner with the text on it, drawn with OpenGL over the rendered image.
 *
 * The text is rasterised on the CPU with the built-in font (overlay_font.h) at scale 1 into an R8
 * texture, again only when it changes, and magnified in the fragment shader, so changing the scale
 * costs nothing and every pixel stays sharp. Every call needs the OpenGL 4.5 context the overlay
 * was created in to be current. */
#ifndef DS_PLAYER_OVERLAY_H
#define DS_PLAYER_OVERLAY_H

#include "formats/status.h"

typedef struct ds_overlay ds_overlay;

/* Compiles the overlay's program and makes an empty overlay (nothing drawn until it has text). */
ds_status ds_overlay_create(ds_overlay **overlay);

/* Sets the text ('\n' between lines; characters outside printable ASCII show as boxes). Nothing is
 * done when the text is the one already shown, so calling it every frame is cheap. NULL clears it.
 * If memory runs out the overlay clears itself rather than keep showing stale numbers. Uploads
 * with the default pixel-unpack state (no unpack buffer bound, no row length). */
void ds_overlay_set_text(ds_overlay *overlay, const char *text);

/* Where the box lands at `scale`, in pixels from the framebuffer's top-left corner (y down);
 * 0 x 0 when there is no text. */
void ds_overlay_bounds(const ds_overlay *overlay, int scale, int *x, int *y, int *width,
                       int *height);

/* Draws the box and text, alpha blended, into the framebuffer bound for drawing (the window's 0,
 * or an offscreen one: the overlay does not bind any), of framebuffer_width x framebuffer_height
 * pixels, each font pixel a scale x scale block (scale < 1 counts as 1). Blending, depth, stencil,
 * culling, viewport, program and vertex array are restored as they were; texture unit 0 is left
 * with the overlay's atlas bound. */
void ds_overlay_draw(ds_overlay *overlay, int framebuffer_width, int framebuffer_height, int scale);

void ds_overlay_free(ds_overlay *overlay);

#endif
