#include "gl_sort.h"
#include "gl_program.h"

#include "shaders/shader_sources.h"

/* Must match TILE_ROUNDS * local_size_x of the histogram and scatter shaders. */
enum { SORT_TILE = 128 * 16, RADIX_BITS = 4, RADIX = 1 << RADIX_BITS };

/* Binding points shared with the shaders. */
enum {
    BIND_DRAW_COMMAND = 8,
    BIND_KEYS_IN = 9,
    BIND_VALUES_IN = 10,
    BIND_KEYS_OUT = 11,
    BIND_VALUES_OUT = 12,
    BIND_HISTOGRAM = 13
};

static GLuint groups_for(size_t capacity) {
    return (GLuint)((capacity + SORT_TILE - 1) / SORT_TILE);
}

ds_status ds_gl_sort_create(size_t capacity, ds_gl_sort *sort) {
    *sort = (ds_gl_sort){.capacity = capacity ? capacity : 1};
    ds_status status = ds_gl_compute_program("radix_histogram", ds_shader_radix_histogram_comp,
                                             &sort->histogram_program);
    if (!ds_failed(&status)) {
        status =
            ds_gl_compute_program("radix_scan", ds_shader_radix_scan_comp, &sort->scan_program);
    }
    if (!ds_failed(&status)) {
        status = ds_gl_compute_program("radix_scatter", ds_shader_radix_scatter_comp,
                                       &sort->scatter_program);
    }
    if (ds_failed(&status)) {
        ds_gl_sort_free(sort);
        return status;
    }
    sort->histogram_shift = glGetUniformLocation(sort->histogram_program, "u_shift");
    sort->scan_length = glGetUniformLocation(sort->scan_program, "u_length");
    sort->scatter_shift = glGetUniformLocation(sort->scatter_program, "u_shift");

    GLsizeiptr bytes = (GLsizeiptr)(sort->capacity * sizeof(GLuint));
    glCreateBuffers(2, sort->keys);
    glCreateBuffers(2, sort->values);
    glCreateBuffers(1, &sort->histogram);
    for (int i = 0; i < 2; i++) {
        glNamedBufferStorage(sort->keys[i], bytes, NULL, GL_DYNAMIC_STORAGE_BIT);
        glNamedBufferStorage(sort->values[i], bytes, NULL, GL_DYNAMIC_STORAGE_BIT);
    }
    glNamedBufferStorage(sort->histogram,
                         (GLsizeiptr)groups_for(sort->capacity) * RADIX * sizeof(GLuint), NULL, 0);
    if (glGetError() == GL_OUT_OF_MEMORY) {
        ds_gl_sort_free(sort);
        return ds_error(DS_ERR_NO_MEMORY, "not enough GPU memory to sort %zu keys", capacity);
    }
    return ds_ok();
}

void ds_gl_sort_free(ds_gl_sort *sort) {
    GLuint programs[] = {sort->histogram_program, sort->scan_program, sort->scatter_program};
    for (int i = 0; i < 3; i++) {
        if (programs[i]) {
            glDeleteProgram(programs[i]);
        }
    }
    if (sort->keys[0]) {
        glDeleteBuffers(2, sort->keys);
        glDeleteBuffers(2, sort->values);
        glDeleteBuffers(1, &sort->histogram);
    }
    *sort = (ds_gl_sort){0};
}

void ds_gl_sort_run(const ds_gl_sort *sort, GLuint draw_command) {
    GLuint groups = groups_for(sort->capacity);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DRAW_COMMAND, draw_command);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_HISTOGRAM, sort->histogram);
    glProgramUniform1ui(sort->scan_program, sort->scan_length, groups * RADIX);
    for (int pass = 0; pass < 32 / RADIX_BITS; pass++) {
        int from = pass & 1, to = from ^ 1;
        GLuint shift = (GLuint)(pass * RADIX_BITS);
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_KEYS_IN, sort->keys[from]);
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_VALUES_IN, sort->values[from]);
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_KEYS_OUT, sort->keys[to]);
        glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_VALUES_OUT, sort->values[to]);

        glUseProgram(sort->histogram_program);
        glProgramUniform1ui(sort->histogram_program, sort->histogram_shift, shift);
        glDispatchCompute(groups, 1, 1);
        glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);

        glUseProgram(sort->scan_program);
        glDispatchCompute(1, 1, 1);
        glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);

        glUseProgram(sort->scatter_program);
        glProgramUniform1ui(sort->scatter_program, sort->scatter_shift, shift);
        glDispatchCompute(groups, 1, 1);
        glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    }
    /* An even number of passes leaves the result in keys[0] and values[0]. */
    glUseProgram(0);
}
