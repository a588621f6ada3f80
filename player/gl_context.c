#include "gl_context.h"

#include <GL/glew.h>
#include <SDL2/SDL.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ds_gl_display_available(void) {
    const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
    return (x11 && *x11) || (wayland && *wayland);
}

ds_status ds_gl_context_create(const ds_gl_context_options *options, ds_gl_context *context) {
    *context = (ds_gl_context){0};
    bool display = ds_gl_display_available();
    if (options->visible && !display) {
        return ds_error(DS_ERR_UNSUPPORTED, "no display to open a window on (DISPLAY is unset)");
    }
    if (!display) {
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
        context->headless = true;
    }
    if (!options->visible) {
        /* SDL turns SIGINT and SIGTERM into quit events, which only a window's event loop reads:
         * offline work keeps the default (or its own) handling so that it can be stopped. */
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        return ds_error(DS_ERR_UNSUPPORTED, "cannot start SDL video: %s", SDL_GetError());
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 4);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 5);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_FLAGS, options->debug ? SDL_GL_CONTEXT_DEBUG_FLAG : 0);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_GL_SetAttribute(SDL_GL_DEPTH_SIZE, 0);
    Uint32 flags = SDL_WINDOW_OPENGL | (options->visible ? SDL_WINDOW_SHOWN : SDL_WINDOW_HIDDEN);
    if (options->resizable) {
        flags |= SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    }
    context->window =
        SDL_CreateWindow(options->title ? options->title : "dualsplat", SDL_WINDOWPOS_CENTERED,
                         SDL_WINDOWPOS_CENTERED, options->width, options->height, flags);
    if (!context->window) {
        ds_status status =
            ds_error(DS_ERR_UNSUPPORTED, "cannot open an OpenGL window: %s", SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return status;
    }
    context->context = SDL_GL_CreateContext(context->window);
    if (!context->context) {
        ds_status status =
            ds_error(DS_ERR_UNSUPPORTED, "no OpenGL 4.5 core context: %s", SDL_GetError());
        ds_gl_context_destroy(context);
        return status;
    }
    glewExperimental = GL_TRUE;
    GLenum glew = glewInit();
    /* GLEW built for GLX reports "no GLX display" under EGL after loading every core function;
     * only the GLX extension queries are missing then, which we do not use. */
    if (glew != GLEW_OK && glew != GLEW_ERROR_NO_GLX_DISPLAY) {
        ds_gl_context_destroy(context);
        return ds_error(DS_ERR_UNSUPPORTED, "cannot load OpenGL functions: %s",
                        (const char *)glewGetErrorString(glew));
    }
    glGetError(); /* GLEW's probing may leave an error behind */
    GLint major = 0, minor = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    if (major * 10 + minor < 45) {
        ds_gl_context_destroy(context);
        return ds_error(DS_ERR_UNSUPPORTED, "OpenGL %d.%d, 4.5 is needed", major, minor);
    }
    SDL_GL_SetSwapInterval(options->vsync ? 1 : 0);
    if (options->debug) {
        ds_gl_debug_enable();
    }
    return ds_ok();
}

void ds_gl_context_destroy(ds_gl_context *context) {
    if (context->context) {
        SDL_GL_DeleteContext(context->context);
    }
    if (context->window) {
        SDL_DestroyWindow(context->window);
    }
    /* SDL's video subsystem (and with it the GL driver) stays loaded until the process ends: a
     * later context (a dropped file, the next test) needs it again, and unloading Mesa's driver
     * turns the allocations it keeps for the process's life into unreachable ones. */
    *context = (ds_gl_context){0};
}

/* The debug callback runs on the GL thread (synchronous output), one context per process. */
static unsigned debug_error_count;
static char debug_last_message[256];

static void GLAPIENTRY on_debug_message(GLenum source, GLenum type, GLuint id, GLenum severity,
                                        GLsizei length, const GLchar *message, const void *user) {
    (void)source, (void)id, (void)length, (void)user;
    if (severity == GL_DEBUG_SEVERITY_HIGH || severity == GL_DEBUG_SEVERITY_MEDIUM ||
        type == GL_DEBUG_TYPE_ERROR) {
        debug_error_count++;
        snprintf(debug_last_message, sizeof debug_last_message, "%s", message);
    }
}

void ds_gl_debug_enable(void) {
    debug_error_count = 0;
    debug_last_message[0] = '\0';
    glEnable(GL_DEBUG_OUTPUT);
    glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);
    glDebugMessageCallback(on_debug_message, NULL);
}

unsigned ds_gl_debug_error_count(void) {
    return debug_error_count;
}

const char *ds_gl_debug_last_message(void) {
    return debug_last_message;
}
