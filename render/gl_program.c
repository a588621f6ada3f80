#include "gl_program.h"

#include <string.h>

static ds_status compile(const char *name, GLenum stage, const char *source, GLuint *shader) {
    *shader = glCreateShader(stage);
    glShaderSource(*shader, 1, &source, NULL);
    glCompileShader(*shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(*shader, GL_COMPILE_STATUS, &ok);
    if (ok) {
        return ds_ok();
    }
    char log[DS_STATUS_MESSAGE_SIZE];
    glGetShaderInfoLog(*shader, sizeof log, NULL, log);
    glDeleteShader(*shader);
    *shader = 0;
    /* The first line of the log names the line at fault; one line is what an error holds. */
    log[strcspn(log, "\n")] = '\0';
    return ds_error(DS_ERR_UNSUPPORTED, "shader %s does not compile: %s", name, log);
}

static ds_status link(const char *name, const GLuint *shaders, int count, GLuint *program) {
    *program = glCreateProgram();
    for (int i = 0; i < count; i++) {
        glAttachShader(*program, shaders[i]);
    }
    glLinkProgram(*program);
    for (int i = 0; i < count; i++) {
        glDeleteShader(shaders[i]);
    }
    GLint ok = GL_FALSE;
    glGetProgramiv(*program, GL_LINK_STATUS, &ok);
    if (ok) {
        return ds_ok();
    }
    char log[DS_STATUS_MESSAGE_SIZE];
    glGetProgramInfoLog(*program, sizeof log, NULL, log);
    glDeleteProgram(*program);
    *program = 0;
    log[strcspn(log, "\n")] = '\0';
    return ds_error(DS_ERR_UNSUPPORTED, "shader program %s does not link: %s", name, log);
}

ds_status ds_gl_compute_program(const char *name, const char *source, GLuint *program) {
    GLuint shader;
    ds_status status = compile(name, GL_COMPUTE_SHADER, source, &shader);
    if (ds_failed(&status)) {
        return status;
    }
    return link(name, &shader, 1, program);
}

ds_status ds_gl_render_program(const char *name, const char *vertex, const char *fragment,
                               GLuint *program) {
    GLuint shaders[2];
    ds_status status = compile(name, GL_VERTEX_SHADER, vertex, &shaders[0]);
    if (ds_failed(&status)) {
        return status;
    }
    status = compile(name, GL_FRAGMENT_SHADER, fragment, &shaders[1]);
    if (ds_failed(&status)) {
        glDeleteShader(shaders[0]);
        return status;
    }
    return link(name, shaders, 2, program);
}
