/* A small ray tracer of the figure's analytic shapes, the independent image formation the
 * synthetic captures are made with (not the splat rasterizer that fitting uses).
 *
 * Each ray finds the nearest part it meets (exact intersections), whose colour is its texture
 * under matte shading: a fixed world light plus ambient, so a point looks the same from every
 * camera, as 3D Gaussians with low-order colour expect. Pixels average N x N rays on a regular
 * grid inside the pixel, which anti-aliases silhouettes and texture edges; rays that meet
 * nothing see the white background. */
#ifndef DS_SYNTH_RAYTRACE_H
#define DS_SYNTH_RAYTRACE_H

#include "figure.h"

#include "formats/camera.h"
#include "formats/image.h"

#include <stdbool.h>

/* Shading: colour = albedo * (AMBIENT + DIFFUSE * max(0, n . light)), with the light coming
 * from the direction DS_SYNTH_LIGHT (normalised; above, in front and to the figure's left). */
#define DS_SYNTH_AMBIENT 0.45
#define DS_SYNTH_DIFFUSE 0.55
#define DS_SYNTH_LIGHT                                                                             \
    { 0.35, 0.85, 0.45 }

typedef struct ds_synth_hit {
    int part;         /* index of the part met */
    double t;         /* the ray's parameter at the hit */
    double local[3];  /* the hit point in the part's frame */
    double normal[3]; /* unit outward normal in the world */
} ds_synth_hit;

/* The nearest part a world ray (any non-zero direction) meets in front of its origin. */
bool ds_synth_trace(const ds_synth_figure *figure, const ds_synth_pose *pose,
                    const double origin[3], const double direction[3], ds_synth_hit *hit);

/* The shaded colour of a hit. */
void ds_synth_shade(const ds_synth_figure *figure, const ds_synth_hit *hit, float rgb[3]);

/* The ray through image point (u, v) of a camera (pixel coordinates, docs/cameras.md): its
 * origin is the camera centre, its direction (not unit length) passes through the point. */
void ds_synth_camera_ray(const ds_camera *camera, double u, double v, double origin[3],
                         double direction[3]);

/* Renders the posed figure into `image`, which must have the camera's size, with
 * `samples` x `samples` rays per pixel (1-16). Rows run in parallel; every pixel is computed on
 * its own, so the result does not depend on the number of threads. */
ds_status ds_synth_render(const ds_synth_figure *figure, const ds_synth_pose *pose,
                          const ds_camera *camera, int samples, ds_image *image);

#endif
