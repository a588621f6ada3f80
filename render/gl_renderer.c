#include "gl_renderer.h"
#include "gl_program.h"
#include "gl_sort.h"
#include "gl_view_target.h"
#include "projection.h"

#include "shaders/shader_sources.h"

#include <GL/glew.h>
#include <stdio.h>
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
    BIND_DRAW_RANGE = 9,
};
/* Per splat and view. */
enum { SPLAT_RECORD_BYTES = 32, PREPROCESS_GROUP = 256 };
/* Timer query sets in flight: results are read a few frames late so that asking never stalls. */
enum { TIMER_SETS = 4, TIMESTAMPS = 4 };

struct ds_gl_renderer {
    ds_gl_scene scene; /* counts only: the arrays are on the GPU */
    ds_gl_frame_layout layout;
    int slot_count;
    GLuint preprocess, draw_range_program, splat_program, present_program;
    GLuint canonical_positions, canonical_rotations, binding_joints, binding_weights;
    GLuint ring;
    float *ring_memory;
    GLsync *fences; /* per slot: the last draw that read it */
    GLuint splats, draw_command, draw_range;
    int splat_views; /* views the splat records have room for */
    ds_gl_sort sort;
    GLuint empty_vao;
    ds_gl_view_target views[DS_GL_MAX_VIEWS];
    int view_count; /* of the last frame drawn */
    GLuint compose_framebuffer;
    GLuint timer_queries[TIMER_SETS][TIMESTAMPS];
    int timer_next; /* the set the next frame uses */
    bool timer_used[TIMER_SETS];
    ds_gl_timings timings;
    struct {
        GLint count, joints_per_skin, sh_degree, antialiased, radial_keys, key_center;
        GLint joint_rotations, joint_translations, opacity, scales, sh;
        GLint correction_count, correction_ids, correction_offsets, correction_rotations;
        GLint view_count, near_plane, fade_start, fade_end, max_radius, depth_near, depth_far;
        GLint extent_limit;
        struct {
            GLint rotation, translation, camera_center, intrinsics, size, jacobian_limits;
        } views[DS_GL_MAX_VIEWS];
    } u;
    GLint splat_size, splat_view, splat_view_count, range_budget, present_decode_srgb;
    GLint splat_extent_limit, splat_falloff_edge;
};

/* The splat's profile (shaders/splat.frag): the quad's edge at sqrt(8) standard deviations, where
 * the falloff, normalised, reaches 0; or the reference rasterizer's, unbounded and unnormalised. */
static const float EXTENT_LIMIT = 8.0f, REFERENCE_EXTENT_LIMIT = 1e30f;
static const float FALLOFF_EDGE = 0.018315639f; /* exp(-8 / 2) */

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
        status =
            ds_gl_compute_program("draw_range", ds_shader_draw_range_comp, &r->draw_range_program);
    }
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
    UNIFORM(key_center, "u_key_center");
    UNIFORM(joint_rotations, "u_joint_rotations");
    UNIFORM(joint_translations, "u_joint_translations");
    UNIFORM(opacity, "u_opacity");
    UNIFORM(scales, "u_scales");
    UNIFORM(sh, "u_sh");
    UNIFORM(correction_count, "u_correction_count");
    UNIFORM(correction_ids, "u_correction_ids");
    UNIFORM(correction_offsets, "u_correction_offsets");
    UNIFORM(correction_rotations, "u_correction_rotations");
    UNIFORM(view_count, "u_view_count");
    UNIFORM(near_plane, "u_near_plane");
    UNIFORM(fade_start, "u_fade_start");
    UNIFORM(fade_end, "u_fade_end");
    UNIFORM(max_radius, "u_max_radius");
    UNIFORM(depth_near, "u_depth_near");
    UNIFORM(depth_far, "u_depth_far");
    UNIFORM(extent_limit, "u_extent_limit");
#undef UNIFORM
    for (int v = 0; v < DS_GL_MAX_VIEWS; v++) {
        char name[64];
#define VIEW_UNIFORM(field, uniform)                                                               \
    snprintf(name, sizeof name, "%s[%d]", uniform, v);                                             \
    r->u.views[v].field = glGetUniformLocation(p, name)
        VIEW_UNIFORM(rotation, "u_rotation");
        VIEW_UNIFORM(translation, "u_translation");
        VIEW_UNIFORM(camera_center, "u_camera_center");
        VIEW_UNIFORM(intrinsics, "u_intrinsics");
        VIEW_UNIFORM(size, "u_size");
        VIEW_UNIFORM(jacobian_limits, "u_jacobian_limits");
#undef VIEW_UNIFORM
    }
    r->splat_size = glGetUniformLocation(r->splat_program, "u_size");
    r->splat_view = glGetUniformLocation(r->splat_program, "u_view");
    r->splat_view_count = glGetUniformLocation(r->splat_program, "u_view_count");
    r->splat_extent_limit = glGetUniformLocation(r->splat_program, "u_extent_limit");
    r->splat_falloff_edge = glGetUniformLocation(r->splat_program, "u_falloff_edge");
    r->range_budget = glGetUniformLocation(r->draw_range_program, "u_budget");
    r->present_decode_srgb = glGetUniformLocation(r->present_program, "u_decode_srgb");
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
    r->splat_views = 1;
    glCreateBuffers(1, &r->draw_command);
    glNamedBufferStorage(r->draw_command, 4 * sizeof(GLuint), NULL, GL_DYNAMIC_STORAGE_BIT);
    glCreateBuffers(1, &r->draw_range);
    glNamedBufferStorage(r->draw_range, 2 * sizeof(GLuint), NULL, 0);
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
                        r->draw_command,
                        r->draw_range};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++) {
        if (buffers[i]) {
            glDeleteBuffers(1, &buffers[i]);
        }
    }
    GLuint programs[] = {r->preprocess, r->draw_range_program, r->splat_program,
                         r->present_program};
    for (size_t i = 0; i < sizeof programs / sizeof *programs; i++) {
        if (programs[i]) {
            glDeleteProgram(programs[i]);
        }
    }
    ds_gl_sort_free(&r->sort);
    if (r->empty_vao) {
        glDeleteVertexArrays(1, &r->empty_vao);
        glDeleteQueries(TIMER_SETS * TIMESTAMPS, &r->timer_queries[0][0]);
    }
    for (int v = 0; v < DS_GL_MAX_VIEWS; v++) {
        ds_gl_view_target_free(&r->views[v]);
    }
    if (r->compose_framebuffer) {
        glDeleteFramebuffers(1, &r->compose_framebuffer);
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

/* Room in the splat records for `views` views per splat. */
static ds_status ensure_splat_views(ds_gl_renderer *r, int views) {
    if (views <= r->splat_views) {
        return ds_ok();
    }
    GLuint buffer;
    glCreateBuffers(1, &buffer);
    glNamedBufferStorage(buffer, (GLsizeiptr)(r->scene.count * SPLAT_RECORD_BYTES * (size_t)views),
                         NULL, 0);
    if (glGetError() == GL_OUT_OF_MEMORY) {
        glDeleteBuffers(1, &buffer);
        return ds_error(DS_ERR_NO_MEMORY, "not enough GPU memory for %d views", views);
    }
    glDeleteBuffers(1, &r->splats);
    r->splats = buffer;
    r->splat_views = views;
    return ds_ok();
}

static void set_view(ds_gl_renderer *r, int v, const ds_camera *camera) {
    ds_projection_camera c = ds_projection_camera_make(camera);
    GLuint p = r->preprocess;
    glProgramUniformMatrix3fv(p, r->u.views[v].rotation, 1, GL_TRUE, c.rotation);
    glProgramUniform3fv(p, r->u.views[v].translation, 1, c.translation);
    glProgramUniform3fv(p, r->u.views[v].camera_center, 1, c.center);
    glProgramUniform4f(p, r->u.views[v].intrinsics, c.fx, c.fy, c.cx, c.cy);
    glProgramUniform2f(p, r->u.views[v].size, (float)c.width, (float)c.height);
    glProgramUniform4f(p, r->u.views[v].jacobian_limits, c.limit_x_low, c.limit_x_high,
                       c.limit_y_low, c.limit_y_high);
}

/* The views, the key centre (the camera, or the eyes' midpoint) and the guards. */
static void set_views(ds_gl_renderer *r, const ds_camera *cameras, int view_count,
                      const ds_gl_draw_options *o) {
    GLuint p = r->preprocess;
    double key_center[3] = {0, 0, 0};
    for (int v = 0; v < view_count; v++) {
        set_view(r, v, &cameras[v]);
        double center[3];
        ds_camera_center(&cameras[v], center);
        for (int k = 0; k < 3; k++) {
            key_center[k] += center[k] / view_count;
        }
    }
    glProgramUniform1i(p, r->u.view_count, view_count);
    glProgramUniform3f(p, r->u.key_center, (float)key_center[0], (float)key_center[1],
                       (float)key_center[2]);
    glProgramUniform1i(p, r->u.radial_keys, o->radial_keys || view_count > 1);
    glProgramUniform1f(p, r->u.near_plane, o->near_plane > 0.0f ? o->near_plane : DS_NEAR_PLANE);
    glProgramUniform1f(p, r->u.fade_start, o->guards.fade_start);
    glProgramUniform1f(p, r->u.fade_end, o->guards.fade_end);
    glProgramUniform1f(p, r->u.max_radius, o->guards.max_radius);
    bool depth = o->depth && o->depth_far > o->depth_near && o->depth_near > 0.0f;
    glProgramUniform1f(p, r->u.depth_near, depth ? o->depth_near : 1.0f);
    glProgramUniform1f(p, r->u.depth_far, depth ? o->depth_far : 2.0f);
    glProgramUniform1ui(r->draw_range_program, r->range_budget,
                        o->guards.splat_budget ? o->guards.splat_budget : UINT32_MAX);
    glProgramUniform1i(r->splat_program, r->splat_view_count, view_count);
    float limit = o->reference_falloff ? REFERENCE_EXTENT_LIMIT : EXTENT_LIMIT;
    glProgramUniform1f(p, r->u.extent_limit, limit);
    glProgramUniform1f(r->splat_program, r->splat_extent_limit, limit);
    glProgramUniform1f(r->splat_program, r->splat_falloff_edge,
                       o->reference_falloff ? 0.0f : FALLOFF_EDGE);
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
    return ds_gl_renderer_draw_views(r, slot, info, camera, 1, options);
}

/* Blends the sorted splats' records for view v into its image. */
static void draw_view(ds_gl_renderer *r, int v, const ds_gl_draw_options *options) {
    ds_gl_view_target *target = &r->views[v];
    glBindFramebuffer(GL_FRAMEBUFFER, target->framebuffer);
    glViewport(0, 0, target->width, target->height);
    glClearColor(options->background[0], options->background[1], options->background[2], 1.0f);
    if (target->depth) {
        /* Back to front, the last splat written at a pixel is the nearest: its depth stays. */
        glEnable(GL_DEPTH_TEST);
        glDepthFunc(GL_ALWAYS);
        glDepthMask(GL_TRUE);
        glClearDepth(1.0);
        glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    } else {
        glDisable(GL_DEPTH_TEST);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glProgramUniform2f(r->splat_program, r->splat_size, (float)target->width,
                       (float)target->height);
    glProgramUniform1i(r->splat_program, r->splat_view, v);
    glDrawArraysIndirect(GL_TRIANGLE_STRIP, NULL);
    glDisable(GL_DEPTH_TEST);
}

ds_status ds_gl_renderer_draw_views(ds_gl_renderer *r, int slot, const ds_gl_frame_info *info,
                                    const ds_camera *cameras, int view_count,
                                    const ds_gl_draw_options *options) {
    if (slot < 0 || slot >= r->slot_count) {
        return ds_error(DS_ERR_ARGUMENT, "no slot %d", slot);
    }
    if (view_count < 1 || view_count > DS_GL_MAX_VIEWS) {
        return ds_error(DS_ERR_ARGUMENT, "%d views (1 or 2 can be drawn)", view_count);
    }
    if (info->correction_count > r->layout.correction_capacity) {
        return ds_error(DS_ERR_ARGUMENT, "%u corrections, the slot holds %zu",
                        info->correction_count, r->layout.correction_capacity);
    }
    ds_status status = ensure_splat_views(r, view_count);
    for (int v = 0; v < view_count && !ds_failed(&status); v++) {
        status = ds_gl_view_target_ensure(&r->views[v], cameras[v].width, cameras[v].height,
                                          options->depth);
    }
    if (ds_failed(&status)) {
        return status;
    }
    r->view_count = view_count;
    /* The oldest timer set is reused: read it first if the GPU has finished it. */
    int set = r->timer_next;
    collect_timings(r, set, true);
    r->timer_next = (set + 1) % TIMER_SETS;
    for (int s = 0; s < TIMER_SETS; s++) {
        collect_timings(r, s, false);
    }
    GLuint *timer = r->timer_queries[set];

    set_views(r, cameras, view_count, options);
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
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DRAW_COMMAND, r->draw_command);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DRAW_RANGE, r->draw_range);
    glUseProgram(r->draw_range_program);
    glDispatchCompute(1, 1, 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_COMMAND_BARRIER_BIT);

    glQueryCounter(timer[2], GL_TIMESTAMP);
    glDisable(GL_CULL_FACE);
    glEnable(GL_BLEND);
    glBlendFunc(GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glUseProgram(r->splat_program);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_SPLATS, r->splats);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_VALUES, r->sort.values[0]);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DRAW_RANGE, r->draw_range);
    glBindVertexArray(r->empty_vao);
    glBindBuffer(GL_DRAW_INDIRECT_BUFFER, r->draw_command);
    for (int v = 0; v < view_count; v++) {
        draw_view(r, v, options);
    }
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
    return ds_gl_view_target_read_rgb(&r->views[0], rgb);
}

ds_status ds_gl_renderer_read_view_rgb(ds_gl_renderer *r, int view, uint8_t *rgb) {
    if (view < 0 || view >= r->view_count) {
        return ds_error(DS_ERR_ARGUMENT, "no view %d in the last frame", view);
    }
    return ds_gl_view_target_read_rgb(&r->views[view], rgb);
}

ds_status ds_gl_renderer_read_image(ds_gl_renderer *r, ds_image *image) {
    return ds_gl_view_target_read_image(&r->views[0], image);
}

/* Draws a view's image over the current framebuffer's viewport. */
static void draw_image(ds_gl_renderer *r, int view, bool decode_srgb) {
    glProgramUniform1i(r->present_program, r->present_decode_srgb, decode_srgb);
    glUseProgram(r->present_program);
    glBindTextureUnit(0, r->views[view].image);
    glBindVertexArray(r->empty_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(0);
    glUseProgram(0);
}

void ds_gl_renderer_present(ds_gl_renderer *r, int framebuffer_width, int framebuffer_height) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, framebuffer_width, framebuffer_height);
    glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    const ds_gl_view_target *t = &r->views[0];
    if (!t->framebuffer || t->width <= 0 || t->height <= 0) {
        return;
    }
    /* Letterbox: the largest viewport of the image's aspect that fits. */
    double scale_x = (double)framebuffer_width / t->width,
           scale_y = (double)framebuffer_height / t->height;
    double scale = scale_x < scale_y ? scale_x : scale_y;
    int w = (int)(t->width * scale + 0.5), h = (int)(t->height * scale + 0.5);
    glViewport((framebuffer_width - w) / 2, (framebuffer_height - h) / 2, w, h);
    draw_image(r, 0, false);
}

ds_status ds_gl_renderer_compose_view(ds_gl_renderer *r, int view, unsigned color_texture,
                                      unsigned depth_texture, int width, int height,
                                      bool encode_srgb) {
    if (view < 0 || view >= r->view_count) {
        return ds_error(DS_ERR_ARGUMENT, "no view %d in the last frame", view);
    }
    const ds_gl_view_target *t = &r->views[view];
    if (!r->compose_framebuffer) {
        glCreateFramebuffers(1, &r->compose_framebuffer);
    }
    GLuint fb = r->compose_framebuffer;
    glNamedFramebufferTexture(fb, GL_COLOR_ATTACHMENT0, color_texture, 0);
    glNamedFramebufferTexture(fb, GL_DEPTH_ATTACHMENT,
                              depth_texture && t->depth ? depth_texture : 0, 0);
    if (glCheckNamedFramebufferStatus(fb, GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
        return ds_error(DS_ERR_UNSUPPORTED, "cannot draw into the %dx%d target texture", width,
                        height);
    }
    glBindFramebuffer(GL_FRAMEBUFFER, fb);
    glViewport(0, 0, width, height);
    if (encode_srgb) {
        glEnable(GL_FRAMEBUFFER_SRGB);
    }
    draw_image(r, view, encode_srgb);
    glDisable(GL_FRAMEBUFFER_SRGB);
    if (depth_texture && t->depth) {
        /* Nearest: depths must not be averaged across an edge. */
        glBlitNamedFramebuffer(t->framebuffer, fb, 0, 0, t->width, t->height, 0, 0, width, height,
                               GL_DEPTH_BUFFER_BIT, GL_NEAREST);
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    /* Detached, so that the textures (a runtime's) never stay bound to our framebuffer. */
    glNamedFramebufferTexture(fb, GL_COLOR_ATTACHMENT0, 0, 0);
    glNamedFramebufferTexture(fb, GL_DEPTH_ATTACHMENT, 0, 0);
    return ds_ok();
}

uint32_t ds_gl_renderer_visible_count(ds_gl_renderer *r) {
    GLuint range[2] = {0};
    glGetNamedBufferSubData(r->draw_range, 0, sizeof range, range);
    return range[0];
}

uint32_t ds_gl_renderer_drawn_count(ds_gl_renderer *r) {
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
