#include "gl_renderer.h"
#include "gl_program.h"
#include "gl_sort.h"
#include "projection.h"

#include "shaders/shader_sources.h"

#include <GL/glew.h>
#include <stdlib.h>
#include <string.h>

/* Binding points shared with shaders/preprocess.comp and splat.vert. */
enum {
    BIND_CANONICAL_POSITIONS = 0,
    BIND_CANONICAL_ROTATIONS = 1,
    BIND_BINDING_JOINTS = 2,
    BIND_BINDING_WEIGHTS = 3,
    BIND_FRAME = 4,
    BIND_SPLATS = 5,
    BIND_KEYS = 6,
    BIND_VALUES = 7,
    BIND_DRAW_COMMAND = 8,
};
enum { SPLAT_RECORD_BYTES = 32, PREPROCESS_GROUP = 256 };
/* Timer query sets in flight: results are read a few frames late so that asking never stalls. */
enum { TIMER_SETS = 4, TIMESTAMPS = 4 };

struct ds_gl_renderer {
    ds_gl_scene scene; /* counts only: the arrays are on the GPU */
    ds_gl_frame_layout layout;
    int slot_count;
    GLuint preprocess, splat_program, present_program;
    GLuint canonical_positions, canonical_rotations, binding_joints, binding_weights;
    GLuint ring;
    float *ring_memory;
    GLsync *fences; /* per slot: the last draw that read it */
    GLuint splats, draw_command;
    ds_gl_sort sort;
    GLuint empty_vao;
    GLuint framebuffer, image;
    int width, height;
    GLuint timer_queries[TIMER_SETS][TIMESTAMPS];
    int timer_next; /* the set the next frame uses */
    bool timer_used[TIMER_SETS];
    ds_gl_timings timings;
    struct {
        GLint count, joints_per_skin, sh_degree, antialiased, radial_keys;
        GLint joint_rotations, joint_translations, opacity, scales, sh;
        GLint correction_count, correction_ids, correction_offsets, correction_rotations;
        GLint rotation, translation, camera_center, intrinsics, size, jacobian_limits;
    } u;
    GLint splat_size;
};

ds_gl_scene ds_gl_scene_of_cloud(const ds_gaussian_cloud *cloud) {
    return (ds_gl_scene){.count = cloud->count,
                         .sh_degree = cloud->sh_degree,
                         .antialiased = cloud->antialiased,
                         .positions = cloud->positions,
                         .rotations = cloud->rotations};
}

ds_gl_scene ds_gl_scene_of_stream(const ds_dsv *dsv) {
    const ds_dsv_canonical *c = &dsv->canonical;
    return (ds_gl_scene){.count = c->skin_count,
                         .sh_degree = c->sh_degree,
                         .antialiased = c->antialiased,
                         .positions = c->skin_positions,
                         .rotations = c->skin_rotations,
                         .joints_per_skin = c->binding.k,
                         .joints = c->binding.joints,
                         .weights = c->binding.weights,
                         .joint_count = c->joint_count,
                         .correction_capacity = ds_gl_stream_correction_capacity(dsv)};
}

static GLuint static_buffer(const void *data, size_t bytes) {
    GLuint buffer;
    glCreateBuffers(1, &buffer);
    /* A zero-sized store cannot be bound; static clouds have no binding. */
    glNamedBufferStorage(buffer, (GLsizeiptr)(bytes ? bytes : 16), bytes ? data : NULL, 0);
    return buffer;
}

static ds_status create_programs(ds_gl_renderer *r) {
    ds_status status =
        ds_gl_compute_program("preprocess", ds_shader_preprocess_comp, &r->preprocess);
    if (!ds_failed(&status)) {
        status = ds_gl_render_program("splat", ds_shader_splat_vert, ds_shader_splat_frag,
                                      &r->splat_program);
    }
    if (!ds_failed(&status)) {
        status = ds_gl_render_program("present", ds_shader_present_vert, ds_shader_present_frag,
                                      &r->present_program);
    }
    if (ds_failed(&status)) {
        return status;
    }
    GLuint p = r->preprocess;
#define UNIFORM(field, name) r->u.field = glGetUniformLocation(p, name)
    UNIFORM(count, "u_count");
    UNIFORM(joints_per_skin, "u_joints_per_skin");
    UNIFORM(sh_degree, "u_sh_degree");
    UNIFORM(antialiased, "u_antialiased");
    UNIFORM(radial_keys, "u_radial_keys");
    UNIFORM(joint_rotations, "u_joint_rotations");
    UNIFORM(joint_translations, "u_joint_translations");
    UNIFORM(opacity, "u_opacity");
    UNIFORM(scales, "u_scales");
    UNIFORM(sh, "u_sh");
    UNIFORM(correction_count, "u_correction_count");
    UNIFORM(correction_ids, "u_correction_ids");
    UNIFORM(correction_offsets, "u_correction_offsets");
    UNIFORM(correction_rotations, "u_correction_rotations");
    UNIFORM(rotation, "u_rotation");
    UNIFORM(translation, "u_translation");
    UNIFORM(camera_center, "u_camera_center");
    UNIFORM(intrinsics, "u_intrinsics");
    UNIFORM(size, "u_size");
    UNIFORM(jacobian_limits, "u_jacobian_limits");
#undef UNIFORM
    r->splat_size = glGetUniformLocation(r->splat_program, "u_size");
    return ds_ok();
}

/* The layout and everything that stays fixed in the preprocess program. */
static void set_fixed_uniforms(ds_gl_renderer *r) {
    GLuint p = r->preprocess;
    const ds_gl_frame_layout *l = &r->layout;
    glProgramUniform1ui(p, r->u.count, (GLuint)r->scene.count);
    glProgramUniform1i(p, r->u.joints_per_skin, r->scene.joints_per_skin);
    glProgramUniform1i(p, r->u.sh_degree, r->scene.sh_degree);
    glProgramUniform1i(p, r->u.antialiased, r->scene.antialiased);
    glProgramUniform1ui(p, r->u.joint_rotations, (GLuint)l->joint_rotations);
    glProgramUniform1ui(p, r->u.joint_translations, (GLuint)l->joint_translations);
    glProgramUniform1ui(p, r->u.opacity, (GLuint)l->opacity);
    glProgramUniform1ui(p, r->u.scales, (GLuint)l->scales);
    glProgramUniform1ui(p, r->u.sh, (GLuint)l->sh);
    glProgramUniform1ui(p, r->u.correction_ids, (GLuint)l->correction_ids);
    glProgramUniform1ui(p, r->u.correction_offsets, (GLuint)l->correction_offsets);
    glProgramUniform1ui(p, r->u.correction_rotations, (GLuint)l->correction_rotations);
}

static ds_status check_limits(const ds_gl_renderer *r) {
    GLint64 block = 0;
    glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &block);
    size_t largest = r->layout.floats * sizeof(float);
    size_t canonical = r->scene.count * 4 * sizeof(float);
    if (canonical > largest) {
        largest = canonical;
    }
    if ((GLint64)largest > block) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "%zu Gaussians need %zu MB buffers; this GPU allows %lld MB",
                        r->scene.count, largest >> 20, (long long)(block >> 20));
    }
    if (r->scene.count > UINT32_MAX / 8) {
        return ds_error(DS_ERR_UNSUPPORTED, "%zu Gaussians are too many to draw", r->scene.count);
    }
    return ds_ok();
}

ds_status ds_gl_renderer_create(const ds_gl_scene *scene, int slots, ds_gl_renderer **out) {
    *out = NULL;
    if (slots < 1 || scene->count == 0 || scene->sh_degree < 0 || scene->sh_degree > 3) {
        return ds_error(DS_ERR_ARGUMENT, "nothing to render (%zu Gaussians, %d slots)",
                        scene->count, slots);
    }
    ds_gl_renderer *r = calloc(1, sizeof *r);
    if (!r) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the renderer");
    }
    r->scene = *scene;
    r->scene.positions = r->scene.rotations = r->scene.weights = NULL;
    r->scene.joints = NULL;
    r->slot_count = slots;
    GLint alignment = 16;
    glGetIntegerv(GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, &alignment);
    size_t alignment_floats = (size_t)(alignment < 16 ? 16 : alignment) / sizeof(float);
    r->layout = ds_gl_frame_layout_make(scene->count, scene->sh_degree, scene->joint_count,
                                        scene->correction_capacity, alignment_floats);
    ds_status status = check_limits(r);
    if (!ds_failed(&status)) {
        status = create_programs(r);
    }
    if (!ds_failed(&status)) {
        status = ds_gl_sort_create(scene->count, &r->sort);
    }
    if (ds_failed(&status)) {
        ds_gl_renderer_free(r);
        return status;
    }
    size_t n = scene->count, k = (size_t)scene->joints_per_skin;
    r->canonical_positions = static_buffer(scene->positions, n * 3 * sizeof(float));
    r->canonical_rotations = static_buffer(scene->rotations, n * 4 * sizeof(float));
    r->binding_joints = static_buffer(scene->joints, n * k * sizeof(uint32_t));
    r->binding_weights = static_buffer(scene->weights, n * k * sizeof(float));

    GLbitfield mapping = GL_MAP_WRITE_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
    GLsizeiptr ring_bytes = (GLsizeiptr)(r->layout.floats * sizeof(float) * (size_t)slots);
    glCreateBuffers(1, &r->ring);
    glNamedBufferStorage(r->ring, ring_bytes, NULL, mapping);
    r->ring_memory = glMapNamedBufferRange(r->ring, 0, ring_bytes, mapping);
    r->fences = calloc((size_t)slots, sizeof *r->fences);

    glCreateBuffers(1, &r->splats);
    glNamedBufferStorage(r->splats, (GLsizeiptr)(n * SPLAT_RECORD_BYTES), NULL, 0);
    glCreateBuffers(1, &r->draw_command);
    glNamedBufferStorage(r->draw_command, 4 * sizeof(GLuint), NULL, GL_DYNAMIC_STORAGE_BIT);
    glCreateVertexArrays(1, &r->empty_vao);
    glCreateQueries(GL_TIMESTAMP, TIMER_SETS * TIMESTAMPS, &r->timer_queries[0][0]);
    set_fixed_uniforms(r);
    if (!r->ring_memory || !r->fences || glGetError() == GL_OUT_OF_MEMORY) {
        ds_gl_renderer_free(r);
        return ds_error(DS_ERR_NO_MEMORY, "not enough GPU memory for %zu Gaussians", n);
    }
    *out = r;
    return ds_ok();
}

void ds_gl_renderer_free(ds_gl_renderer *r) {
    if (!r) {
        return;
    }
    if (r->fences) {
        for (int s = 0; s < r->slot_count; s++) {
            if (r->fences[s]) {
                glDeleteSync(r->fences[s]);
            }
        }
        free(r->fences);
    }
    if (r->ring_memory) {
        glUnmapNamedBuffer(r->ring);
    }
    GLuint buffers[] = {r->canonical_positions,
                        r->canonical_rotations,
                        r->binding_joints,
                        r->binding_weights,
                        r->ring,
                        r->splats,
                        r->draw_command};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++) {
        if (buffers[i]) {
            glDeleteBuffers(1, &buffers[i]);
        }
    }
    GLuint programs[] = {r->preprocess, r->splat_program, r->present_program};
    for (int i = 0; i < 3; i++) {
        if (programs[i]) {
            glDeleteProgram(programs[i]);
        }
    }
    ds_gl_sort_free(&r->sort);
    if (r->empty_vao) {
        glDeleteVertexArrays(1, &r->empty_vao);
        glDeleteQueries(TIMER_SETS * TIMESTAMPS, &r->timer_queries[0][0]);
    }
    if (r->framebuffer) {
        glDeleteFramebuffers(1, &r->framebuffer);
        glDeleteTextures(1, &r->image);
    }
    free(r);
}

const ds_gl_frame_layout *ds_gl_renderer_layout(const ds_gl_renderer *r) {
    return &r->layout;
}

int ds_gl_renderer_slot_count(const ds_gl_renderer *r) {
    return r->slot_count;
}

float *ds_gl_renderer_slot(const ds_gl_renderer *r, int slot) {
    return r->ring_memory + (size_t)slot * r->layout.floats;
}

bool ds_gl_renderer_slot_idle(ds_gl_renderer *r, int slot, bool wait) {
    GLsync fence = r->fences[slot];
    if (!fence) {
        return true;
    }
    GLenum result = glClientWaitSync(fence, GL_SYNC_FLUSH_COMMANDS_BIT, 0);
    while (wait && result == GL_TIMEOUT_EXPIRED) {
        result = glClientWaitSync(fence, GL_SYNC_FLUSH_COMMANDS_BIT, 100000000);
    }
    if (result == GL_TIMEOUT_EXPIRED) {
        return false;
    }
    glDeleteSync(fence);
    r->fences[slot] = NULL;
    return true;
}

static ds_status ensure_target(ds_gl_renderer *r, int width, int height) {
    if (r->framebuffer && r->width == width && r->height == height) {
        return ds_ok();
    }
    if (r->framebuffer) {
        glDeleteFramebuffers(1, &r->framebuffer);
        glDeleteTextures(1, &r->image);
    }
    /* fp16: hundreds of splats blend into each pixel; 8 bits per step would band. */
    glCreateTextures(GL_TEXTURE_2D, 1, &r->image);
    glTextureStorage2D(r->image, 1, GL_RGBA16F, width, height);
    glTextureParameteri(r->image, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTextureParameteri(r->image, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glCreateFramebuffers(1, &r->framebuffer);
    glNamedFramebufferTexture(r->framebuffer, GL_COLOR_ATTACHMENT0, r->image, 0);
    if (glCheckNamedFramebufferStatus(r->framebuffer, GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
        return ds_error(DS_ERR_UNSUPPORTED, "cannot render into a %dx%d fp16 image", width, height);
    }
    r->width = width;
    r->height = height;
    return ds_ok();
}

static void set_camera(ds_gl_renderer *r, const ds_camera *camera, bool radial_keys) {
    ds_projection_camera c = ds_projection_camera_make(camera);
    GLuint p = r->preprocess;
    glProgramUniformMatrix3fv(p, r->u.rotation, 1, GL_TRUE, c.rotation);
    glProgramUniform3fv(p, r->u.translation, 1, c.translation);
    glProgramUniform3fv(p, r->u.camera_center, 1, c.center);
    glProgramUniform4f(p, r->u.intrinsics, c.fx, c.fy, c.cx, c.cy);
    glProgramUniform2f(p, r->u.size, (float)c.width, (float)c.height);
    glProgramUniform4f(p, r->u.jacobian_limits, c.limit_x_low, c.limit_x_high, c.limit_y_low,
                       c.limit_y_high);
    glProgramUniform1i(p, r->u.radial_keys, radial_keys);
    glProgramUniform2f(r->splat_program, r->splat_size, (float)c.width, (float)c.height);
}

static void collect_timings(ds_gl_renderer *r, int set, bool wait) {
    if (!r->timer_used[set]) {
        return;
    }
    GLuint *q = r->timer_queries[set];
    GLint available = 0;
    glGetQueryObjectiv(q[TIMESTAMPS - 1], GL_QUERY_RESULT_AVAILABLE, &available);
    if (!available && !wait) {
        return;
    }
    GLuint64 t[TIMESTAMPS];
    for (int i = 0; i < TIMESTAMPS; i++) {
        glGetQueryObjectui64v(q[i], GL_QUERY_RESULT, &t[i]);
    }
    r->timings = (ds_gl_timings){.preprocess_ms = (double)(t[1] - t[0]) * 1e-6,
                                 .sort_ms = (double)(t[2] - t[1]) * 1e-6,
                                 .draw_ms = (double)(t[3] - t[2]) * 1e-6,
                                 .valid = true};
    r->timer_used[set] = false;
}

ds_status ds_gl_renderer_draw(ds_gl_renderer *r, int slot, const ds_gl_frame_info *info,
                              const ds_camera *camera, const ds_gl_draw_options *options) {
    if (slot < 0 || slot >= r->slot_count) {
        return ds_error(DS_ERR_ARGUMENT, "no slot %d", slot);
    }
    if (info->correction_count > r->layout.correction_capacity) {
        return ds_error(DS_ERR_ARGUMENT, "%u corrections, the slot holds %zu",
                        info->correction_count, r->layout.correction_capacity);
    }
    ds_status status = ensure_target(r, camera->width, camera->height);
    if (ds_failed(&status)) {
        return status;
    }
    /* The oldest timer set is reused: read it first if the GPU has finished it. */
    int set = r->timer_next;
    collect_timings(r, set, true);
    r->timer_next = (set + 1) % TIMER_SETS;
    for (int s = 0; s < TIMER_SETS; s++) {
        collect_timings(r, s, false);
    }
    GLuint *timer = r->timer_queries[set];

    set_camera(r, camera, options->radial_keys);
    glProgramUniform1ui(r->preprocess, r->u.correction_count, info->correction_count);
    const GLuint reset[4] = {4, 0, 0, 0}; /* a triangle strip quad, no instances yet */
    glNamedBufferSubData(r->draw_command, 0, sizeof reset, reset);

    glQueryCounter(timer[0], GL_TIMESTAMP);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_CANONICAL_POSITIONS, r->canonical_positions);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_CANONICAL_ROTATIONS, r->canonical_rotations);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_BINDING_JOINTS, r->binding_joints);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_BINDING_WEIGHTS, r->binding_weights);
    GLsizeiptr slot_bytes = (GLsizeiptr)(r->layout.floats * sizeof(float));
    glBindBufferRange(GL_SHADER_STORAGE_BUFFER, BIND_FRAME, r->ring, slot_bytes * slot, slot_bytes);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_SPLATS, r->splats);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_KEYS, r->sort.keys[0]);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_VALUES, r->sort.values[0]);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DRAW_COMMAND, r->draw_command);
    glUseProgram(r->preprocess);
    glDispatchCompute((GLuint)((r->scene.count + PREPROCESS_GROUP - 1) / PREPROCESS_GROUP), 1, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    if (r->fences[slot]) {
        glDeleteSync(r->fences[slot]);
    }
    /* The slot is read only by the pass above. */
    r->fences[slot] = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);

    glQueryCounter(timer[1], GL_TIMESTAMP);
    ds_gl_sort_run(&r->sort, r->draw_command);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_COMMAND_BARRIER_BIT);

    glQueryCounter(timer[2], GL_TIMESTAMP);
    glBindFramebuffer(GL_FRAMEBUFFER, r->framebuffer);
    glViewport(0, 0, r->width, r->height);
    glClearColor(options->background[0], options->background[1], options->background[2], 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(r->splat_program);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_SPLATS, r->splats);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_VALUES, r->sort.values[0]);
    glBindVertexArray(r->empty_vao);
    glBindBuffer(GL_DRAW_INDIRECT_BUFFER, r->draw_command);
    glDrawArraysIndirect(GL_TRIANGLE_STRIP, NULL);
    glBindBuffer(GL_DRAW_INDIRECT_BUFFER, 0);
    glBindVertexArray(0);
    glDisable(GL_BLEND);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glUseProgram(0);
    glQueryCounter(timer[3], GL_TIMESTAMP);
    r->timer_used[set] = true;
    return ds_ok();
}

ds_status ds_gl_renderer_read_rgb(ds_gl_renderer *r, uint8_t *rgb) {
    if (!r->framebuffer) {
        return ds_error(DS_ERR_ARGUMENT, "nothing rendered yet");
    }
    size_t row = (size_t)r->width * 3;
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->framebuffer);
    glReadPixels(0, 0, r->width, r->height, GL_RGB, GL_UNSIGNED_BYTE, rgb);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    /* GL's rows run bottom to top. */
    uint8_t *swap = malloc(row);
    if (!swap) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a row");
    }
    for (int y = 0; y < r->height / 2; y++) {
        uint8_t *a = rgb + (size_t)y * row, *b = rgb + (size_t)(r->height - 1 - y) * row;
        memcpy(swap, a, row);
        memcpy(a, b, row);
        memcpy(b, swap, row);
    }
    free(swap);
    return ds_ok();
}

ds_status ds_gl_renderer_read_image(ds_gl_renderer *r, ds_image *image) {
    if (!r->framebuffer) {
        return ds_error(DS_ERR_ARGUMENT, "nothing rendered yet");
    }
    ds_status status = ds_image_create(r->width, r->height, image);
    if (ds_failed(&status)) {
        return status;
    }
    float *rows = malloc((size_t)r->width * (size_t)r->height * 3 * sizeof(float));
    if (!rows) {
        ds_image_free(image);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the image");
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->framebuffer);
    glReadPixels(0, 0, r->width, r->height, GL_RGB, GL_FLOAT, rows);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    size_t row = (size_t)r->width * 3;
    for (int y = 0; y < r->height; y++) {
        const float *from = rows + (size_t)(r->height - 1 - y) * row;
        float *to = image->pixels + (size_t)y * row;
        for (size_t i = 0; i < row; i++) {
            to[i] = from[i] < 0.0f ? 0.0f : (from[i] > 1.0f ? 1.0f : from[i]);
        }
    }
    free(rows);
    return ds_ok();
}

void ds_gl_renderer_present(ds_gl_renderer *r, int framebuffer_width, int framebuffer_height) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!r->framebuffer || r->width <= 0 || r->height <= 0) {
        return;
    }
    /* Letterbox: the largest viewport of the image's aspect that fits. */
    double scale_x = (double)framebuffer_width / r->width,
           scale_y = (double)framebuffer_height / r->height;
    double scale = scale_x < scale_y ? scale_x : scale_y;
    int w = (int)(r->width * scale + 0.5), h = (int)(r->height * scale + 0.5);
    glViewport((framebuffer_width - w) / 2, (framebuffer_height - h) / 2, w, h);
    glUseProgram(r->present_program);
    glBindTextureUnit(0, r->image);
    glBindVertexArray(r->empty_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(0);
    glUseProgram(0);
}

uint32_t ds_gl_renderer_visible_count(ds_gl_renderer *r) {
    GLuint command[4] = {0};
    glGetNamedBufferSubData(r->draw_command, 0, sizeof command, command);
    return command[1];
}

ds_gl_timings ds_gl_renderer_timings(const ds_gl_renderer *r) {
    return r->timings;
}

void ds_gl_renderer_finish_timings(ds_gl_renderer *r) {
    int last = (r->timer_next + TIMER_SETS - 1) % TIMER_SETS;
    collect_timings(r, last, true);
}
