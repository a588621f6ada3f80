#include "raytrace.h"

#include "synth_math.h"
#include "texture.h"

#include <stdint.h>

/* Rays start at the camera, outside every part; this only keeps a hit at the origin out. */
static const double t_min = 1e-9;

/* A shape's hit in its part's frame: the ray's origin and direction taken into that frame. */
static bool hit_part(const ds_synth_part *part, const ds_synth_transform *transform,
                     const double local_origin[3], const double direction[3], double *t,
                     double local_direction[3]) {
    ds_synth_rotate_inverse(transform->rotation, direction, local_direction);
    return ds_synth_shape_intersect(&part->shape, local_origin, local_direction, t_min, t);
}

static void to_local(const ds_synth_transform *transform, const double world[3], double local[3]) {
    double relative[3] = {world[0] - transform->translation[0],
                          world[1] - transform->translation[1],
                          world[2] - transform->translation[2]};
    ds_synth_rotate_inverse(transform->rotation, relative, local);
}

/* Fills in the hit's point and normal from the nearest part's local ray. */
static void complete_hit(const ds_synth_figure *figure, const ds_synth_pose *pose, int part,
                         double t, const double local_origin[3], const double local_direction[3],
                         ds_synth_hit *hit) {
    hit->part = part;
    hit->t = t;
    for (int k = 0; k < 3; k++) {
        hit->local[k] = local_origin[k] + t * local_direction[k];
    }
    double normal[3];
    ds_synth_shape_normal(&figure->parts[part].shape, hit->local, normal);
    ds_synth_rotate(pose->world_from_part[part].rotation, normal, hit->normal);
}

bool ds_synth_trace(const ds_synth_figure *figure, const ds_synth_pose *pose,
                    const double origin[3], const double direction[3], ds_synth_hit *hit) {
    int nearest = -1;
    double best = 0.0, best_origin[3] = {0}, best_direction[3] = {0};
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        double local_origin[3], local_direction[3], t;
        to_local(&pose->world_from_part[p], origin, local_origin);
        if (hit_part(&figure->parts[p], &pose->world_from_part[p], local_origin, direction, &t,
                     local_direction) &&
            (nearest < 0 || t < best)) {
            nearest = p;
            best = t;
            for (int k = 0; k < 3; k++) {
                best_origin[k] = local_origin[k];
                best_direction[k] = local_direction[k];
            }
        }
    }
    if (nearest < 0) {
        return false;
    }
    complete_hit(figure, pose, nearest, best, best_origin, best_direction, hit);
    return true;
}

void ds_synth_shade(const ds_synth_figure *figure, const ds_synth_hit *hit, float rgb[3]) {
    double light[3] = DS_SYNTH_LIGHT;
    ds_synth_normalise(light);
    double lit = DS_SYNTH_AMBIENT + DS_SYNTH_DIFFUSE * fmax(0.0, ds_synth_dot(hit->normal, light));
    float albedo[3];
    ds_synth_texture_albedo(&figure->parts[hit->part], hit->local, albedo);
    for (int c = 0; c < 3; c++) {
        rgb[c] = (float)(albedo[c] * lit);
    }
}

/* The world direction of the ray through image point (u, v). */
static void camera_direction(const ds_camera *camera, double u, double v, double direction[3]) {
    double in_camera[3] = {(u - camera->cx) / camera->fx, (v - camera->cy) / camera->fy, 1.0};
    ds_synth_rotate_inverse(camera->rotation, in_camera, direction);
}

void ds_synth_camera_ray(const ds_camera *camera, double u, double v, double origin[3],
                         double direction[3]) {
    ds_camera_center(camera, origin);
    camera_direction(camera, u, v, direction);
}

/* Per image: the camera centre in each part's frame, and the image box each part can cover. */
typedef struct prepared_view {
    double eye[3]; /* the camera centre in the world */
    double local_origin[DS_SYNTH_PART_COUNT][3];
    double box[DS_SYNTH_PART_COUNT][4]; /* u0, v0, u1, v1 */
} prepared_view;

/* The range of x/z (or y/z) over a sphere, from the two planes through the camera's axis that
 * touch it: exact, and infinite when the sphere reaches behind the camera's side planes. */
static void tangent_range(double lateral, double depth, double radius, double *low, double *high) {
    double distance = sqrt(lateral * lateral + depth * depth);
    *low = -INFINITY;
    *high = INFINITY;
    if (distance <= radius) {
        return;
    }
    double angle = atan2(lateral, depth), half = asin(radius / distance);
    const double limit = 0.5 * DS_SYNTH_PI - 1e-6;
    if (angle - half > -limit && angle - half < limit) {
        *low = tan(angle - half);
    }
    if (angle + half > -limit && angle + half < limit) {
        *high = tan(angle + half);
    }
    if (angle - half >= limit) { /* wholly beside the image: an empty range */
        *low = INFINITY;
    }
    if (angle + half <= -limit) {
        *high = -INFINITY;
    }
}

/* The image box of a world-space sphere: [u0, v0, u1, v1]. */
static void sphere_box(const ds_camera *camera, const double center[3], double radius,
                       double box[4]) {
    double c[3], x0, x1, y0, y1;
    ds_camera_to_camera_space(camera, center, c);
    radius *= 1.001; /* rounding must never cut a silhouette */
    tangent_range(c[0], c[2], radius, &x0, &x1);
    tangent_range(c[1], c[2], radius, &y0, &y1);
    box[0] = camera->fx * x0 + camera->cx;
    box[1] = camera->fy * y0 + camera->cy;
    box[2] = camera->fx * x1 + camera->cx;
    box[3] = camera->fy * y1 + camera->cy;
}

static void prepare_view(const ds_synth_figure *figure, const ds_synth_pose *pose,
                         const ds_camera *camera, prepared_view *view) {
    ds_camera_center(camera, view->eye);
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const ds_synth_transform *transform = &pose->world_from_part[p];
        const ds_synth_shape *shape = &figure->parts[p].shape;
        to_local(transform, view->eye, view->local_origin[p]);
        double *box = view->box[p];
        if (shape->kind == DS_SYNTH_CAPSULE) {
            /* A capsule is the hull of its end spheres, so its image lies in their boxes' union,
             * much tighter than a sphere round the whole limb. */
            double a[3], b[3], box_b[4];
            ds_synth_transform_point(transform, shape->a, a);
            ds_synth_transform_point(transform, shape->b, b);
            sphere_box(camera, a, shape->radius, box);
            sphere_box(camera, b, shape->radius, box_b);
            box[0] = fmin(box[0], box_b[0]);
            box[1] = fmin(box[1], box_b[1]);
            box[2] = fmax(box[2], box_b[2]);
            box[3] = fmax(box[3], box_b[3]);
        } else {
            double local_center[3], radius, center[3];
            ds_synth_shape_bounding_sphere(shape, local_center, &radius);
            ds_synth_transform_point(transform, local_center, center);
            sphere_box(camera, center, radius, box);
        }
    }
}

/* Parts whose box touches pixel (x, y), as a bit set. */
static uint32_t pixel_candidates(const prepared_view *view, int x, int y) {
    uint32_t candidates = 0;
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const double *box = view->box[p];
        if (box[0] <= x + 1 && box[2] >= x && box[1] <= y + 1 && box[3] >= y) {
            candidates |= 1u << p;
        }
    }
    return candidates;
}

static void render_pixel(const ds_synth_figure *figure, const ds_synth_pose *pose,
                         const ds_camera *camera, const prepared_view *view, int samples, int x,
                         int y, float *pixel) {
    uint32_t candidates = pixel_candidates(view, x, y);
    if (!candidates) {
        pixel[0] = pixel[1] = pixel[2] = 1.0f;
        return;
    }
    double sum[3] = {0, 0, 0};
    for (int sy = 0; sy < samples; sy++) {
        for (int sx = 0; sx < samples; sx++) {
            double direction[3];
            camera_direction(camera, x + (sx + 0.5) / samples, y + (sy + 0.5) / samples, direction);
            int nearest = -1;
            double best = 0.0, best_direction[3] = {0};
            for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
                double t, local_direction[3];
                if ((candidates >> p & 1u) &&
                    hit_part(&figure->parts[p], &pose->world_from_part[p], view->local_origin[p],
                             direction, &t, local_direction) &&
                    (nearest < 0 || t < best)) {
                    nearest = p;
                    best = t;
                    for (int k = 0; k < 3; k++) {
                        best_direction[k] = local_direction[k];
                    }
                }
            }
            float rgb[3] = {1.0f, 1.0f, 1.0f};
            if (nearest >= 0) {
                ds_synth_hit hit;
                complete_hit(figure, pose, nearest, best, view->local_origin[nearest],
                             best_direction, &hit);
                ds_synth_shade(figure, &hit, rgb);
            }
            for (int c = 0; c < 3; c++) {
                sum[c] += rgb[c];
            }
        }
    }
    for (int c = 0; c < 3; c++) {
        pixel[c] = (float)(sum[c] / (samples * samples));
    }
}

ds_status ds_synth_render(const ds_synth_figure *figure, const ds_synth_pose *pose,
                          const ds_camera *camera, int samples, ds_image *image) {
    if (!image->pixels || image->width != camera->width || image->height != camera->height) {
        return ds_error(DS_ERR_ARGUMENT, "the image is %dx%d but the camera's is %dx%d",
                        image->width, image->height, camera->width, camera->height);
    }
    if (samples < 1 || samples > 16) {
        return ds_error(DS_ERR_ARGUMENT, "%d samples per pixel side is not in 1-16", samples);
    }
    prepared_view view;
    prepare_view(figure, pose, camera, &view);
#pragma omp parallel for schedule(dynamic, 2)
    for (int y = 0; y < image->height; y++) {
        for (int x = 0; x < image->width; x++) {
            render_pixel(figure, pose, camera, &view, samples, x, y, ds_image_pixel(image, x, y));
        }
    }
    return ds_ok();
}
