/* GPU radix sort of 32-bit keys with 32-bit values (shaders/radix_*.comp): 8 passes of a 4-bit
 * digit, each a per-workgroup histogram, one scan, and a stable scatter. The number of keys is
 * read on the GPU from an indirect draw command's instance count, so sorting what a compute pass
 * just produced needs no read-back. Uses no subgroup operations. Needs a current GL 4.5 context. */
#ifndef DS_RENDER_GL_SORT_H
#define DS_RENDER_GL_SORT_H

#include "formats/status.h"

#include <GL/glew.h>
#include <stddef.h>

typedef struct ds_gl_sort {
    size_t capacity;
    GLuint histogram_program, scan_program, scatter_program;
    /* keys[0] and values[0] hold the input and, after ds_gl_sort_run, the sorted output;
     * [1] is the ping-pong scratch. */
    GLuint keys[2], values[2];
    GLuint histogram;
    GLint histogram_shift, scan_length, scatter_shift;
} ds_gl_sort;

ds_status ds_gl_sort_create(size_t capacity, ds_gl_sort *sort);
void ds_gl_sort_free(ds_gl_sort *sort);

/* Sorts the first `instance_count` keys and values ascending by key, stably, where
 * instance_count is the second uint of `draw_command` (a DrawArraysIndirectCommand buffer) and
 * at most the capacity. */
void ds_gl_sort_run(const ds_gl_sort *sort, GLuint draw_command);

#endif
