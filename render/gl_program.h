/* Compiling and linking the embedded GLSL (shaders/) into programs, with the driver's log in the
 * error when one fails. Needs a current OpenGL 4.5 context. */
#ifndef DS_RENDER_GL_PROGRAM_H
#define DS_RENDER_GL_PROGRAM_H

#include "formats/status.h"

#include <GL/glew.h>

ds_status ds_gl_compute_program(const char *name, const char *source, GLuint *program);
ds_status ds_gl_render_program(const char *name, const char *vertex, const char *fragment,
                               GLuint *program);

#endif
