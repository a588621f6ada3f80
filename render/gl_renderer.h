/* The OpenGL 4.5 renderer of skinned Gaussian splats (docs/player.md, PLAYER.md): per frame one
 * compute pass (skinning, corrections, culling, EWA projection, SH) that appends compact splat
 * records and depth keys and fills an indirect draw, a GPU radix sort of the keys, and one
 * instanced draw of quads blended back to front into an fp16 image. Frames come from a ring of
 * persistently mapped slots that other threads may fill (render/gl_frame_data.h) while the GPU
 * reads another. Needs a current context; every call is on that context's thread except writing
 * into a slot's memory. */
#ifndef DS_RENDER_GL_RENDERER_H
#define DS_RENDER_GL_RENDERER_H

#include "gl_frame_data.h"

#include "formats/camera.h"
#include "formats/dualgs_state.h"
#include "formats/image.h"
#include "formats/status.h"

#include <stdbool.h>

/* What stays fixed while playing: the canonical skin and its binding, or a static cloud
 * (joints_per_skin 0: positions and rotations are used as they are). */
typedef struct ds_gl_scene {
    size_t count;
    int sh_degree;
    bool antialiased;
    const float *positions, *rotations; /* count x 3, count x 4 */
    int joints_per_skin;
    const uint32_t *joints; /* count x joints_per_skin */
    const float *weights;
    size_t joint_count;
    size_t correction_capacity; /* most corrections one frame may carry */
} ds_gl_scene;

ds_gl_scene ds_gl_scene_of_cloud(const ds_gaussian_cloud *cloud);
ds_gl_scene ds_gl_scene_of_stream(const ds_dsv *dsv);

/* GPU time of each stage of the last frame whose timer queries have completed, in ms. */
typedef struct ds_gl_timings {
    double preprocess_ms, sort_ms, draw_ms;
    bool valid;
} ds_gl_timings;

typedef struct ds_gl_renderer ds_gl_renderer;

/* `slots` frames can be in flight (filled, drawn, waited for) at once. */
ds_status ds_gl_renderer_create(const ds_gl_scene *scene, int slots, ds_gl_renderer **renderer);
void ds_gl_renderer_free(ds_gl_renderer *renderer);

const ds_gl_frame_layout *ds_gl_renderer_layout(const ds_gl_renderer *renderer);
int ds_gl_renderer_slot_count(const ds_gl_renderer *renderer);
/* The slot's mapped memory (layout->floats floats). Write it only after
 * ds_gl_renderer_slot_wait, when the GPU no longer reads it. */
float *ds_gl_renderer_slot(const ds_gl_renderer *renderer, int slot);
/* Whether the GPU has finished every draw that read the slot; `wait` blocks until it has. */
bool ds_gl_renderer_slot_idle(ds_gl_renderer *renderer, int slot, bool wait);

/* Fill-rate guards for views inside or next to the splats (VR, PLAYER.md); zero fields guard
 * nothing. */
typedef struct ds_gl_fill_guards {
    /* World units from the eye: splats nearer than fade_end are culled, and faded in up to
     * fade_start. */
    float fade_start, fade_end;
    float max_radius;      /* pixels: a footprint's longest semi-axis is capped at this */
    uint32_t splat_budget; /* at most this many splats are drawn: the nearest */
} ds_gl_fill_guards;

typedef struct ds_gl_draw_options {
    float background[3];
    /* Sort by distance from the camera centre (stable under rotation) instead of depth. Two
     * views always sort by distance from their centres' midpoint. */
    bool radial_keys;
    float near_plane; /* camera depth (world units) nearer which splats are culled; 0: 0.2 */
    ds_gl_fill_guards guards;
    /* Also keep each view's depth (of the nearest splat at each pixel) over this range (world
     * units), for a compositor's depth layer. */
    bool depth;
    float depth_near, depth_far;
    /* Draw each splat with the reference rasterizer's profile (render/rasterizer.h, INRIA's):
     * out to where its alpha falls to 1/255, cut there. Otherwise (players) the quad stops at
     * sqrt(8) standard deviations, where a normalised falloff reaches 0: fewer fragments, no
     * visible edge, within 2% of the reference's opacity. For tests that compare exactly. */
    bool reference_falloff;
} ds_gl_draw_options;

enum { DS_GL_MAX_VIEWS = 2 };

/* Renders the frame in `slot` from the camera into the renderer's image (camera-sized). */
ds_status ds_gl_renderer_draw(ds_gl_renderer *renderer, int slot, const ds_gl_frame_info *info,
                              const ds_camera *camera, const ds_gl_draw_options *options);
/* The same for 1 or 2 views (a headset's eyes) into one image each: one preprocess pass and one
 * sort for all views, then a draw per view in that shared order. */
ds_status ds_gl_renderer_draw_views(ds_gl_renderer *renderer, int slot,
                                    const ds_gl_frame_info *info, const ds_camera *cameras,
                                    int view_count, const ds_gl_draw_options *options);

/* The last image (view 0) as 8-bit RGB, top row first (width x height x 3). Waits for the GPU. */
ds_status ds_gl_renderer_read_rgb(ds_gl_renderer *renderer, uint8_t *rgb);
/* The same for a view of the last ds_gl_renderer_draw_views. */
ds_status ds_gl_renderer_read_view_rgb(ds_gl_renderer *renderer, int view, uint8_t *rgb);
/* The last image in float, clamped to 0..1, into an image of the camera's size. */
ds_status ds_gl_renderer_read_image(ds_gl_renderer *renderer, ds_image *image);

/* Shows the last image in the current default framebuffer of the given size, letterboxed. */
void ds_gl_renderer_present(ds_gl_renderer *renderer, int framebuffer_width,
                            int framebuffer_height);

/* Writes a view's last image, scaled to width x height, into a colour texture (and its depth,
 * when drawn with options.depth, into `depth_texture` unless 0; both GL_TEXTURE_2D of that size).
 * With `encode_srgb` the texture is sRGB and stores the blended gamma-space colours as they are
 * (an XR swapchain image). */
ds_status ds_gl_renderer_compose_view(ds_gl_renderer *renderer, int view, unsigned color_texture,
                                      unsigned depth_texture, int width, int height,
                                      bool encode_srgb);

/* Splats that survived culling in the last frame, and how many of them the budget let be drawn:
 * reads back (for tests and reports only). */
uint32_t ds_gl_renderer_visible_count(ds_gl_renderer *renderer);
uint32_t ds_gl_renderer_drawn_count(ds_gl_renderer *renderer);

ds_gl_timings ds_gl_renderer_timings(const ds_gl_renderer *renderer);
/* Waits for the last frame's timer queries, so ds_gl_renderer_timings describes it (benches). */
void ds_gl_renderer_finish_timings(ds_gl_renderer *renderer);

#endif
