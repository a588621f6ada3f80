/* An OpenGL 4.5 core context through SDL2: in a window the user sees, or hidden for offline
 * rendering and tests. With no display (no DISPLAY / WAYLAND_DISPLAY), SDL's offscreen driver
 * gives a headless EGL context, so `render -o out.mp4` works on a server without X. */
#ifndef DS_PLAYER_GL_CONTEXT_H
#define DS_PLAYER_GL_CONTEXT_H

#include "formats/status.h"

#include <stdbool.h>

typedef struct SDL_Window SDL_Window;

typedef struct ds_gl_context {
    SDL_Window *window;
    void *context; /* SDL_GLContext */
    bool headless; /* SDL's offscreen driver (no display) */
} ds_gl_context;

typedef struct ds_gl_context_options {
    const char *title;
    int width, height;
    bool visible; /* a window on the display; else hidden (offline work) */
    bool resizable;
    bool vsync;
    bool debug; /* a debug context: driver messages through GL_KHR_debug */
} ds_gl_context_options;

/* Whether a display is available to open windows on. */
bool ds_gl_display_available(void);

/* Creates the window and context, makes it current and loads the GL functions. A visible window
 * needs a display; a hidden one falls back to the offscreen driver when there is none. */
ds_status ds_gl_context_create(const ds_gl_context_options *options, ds_gl_context *context);
/* Destroys the window and context; SDL's video subsystem stays up for the next one. */
void ds_gl_context_destroy(ds_gl_context *context);

/* GL_KHR_debug messages of severity medium and high, counted and kept (the last one) so that
 * tests and scripted runs can assert a clean run. */
void ds_gl_debug_enable(void);
unsigned ds_gl_debug_error_count(void);
const char *ds_gl_debug_last_message(void);

#endif
