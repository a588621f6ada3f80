/* Exact ray intersections with the analytic shapes the synthetic figure is made of: capsules
 * (a segment swept by a sphere) and ellipsoids (axis-aligned in their own frame).
 *
 * Rays are origin + t * direction with any non-zero direction (not necessarily unit length: an
 * ellipsoid's frame is scaled, and t stays the parameter of the caller's ray). An intersection is
 * the smallest t > t_min where the ray crosses the surface, so a ray starting inside a shape
 * reports where it leaves it. A ray tangent to the surface counts as a hit. */
#ifndef DS_SYNTH_SHAPES_H
#define DS_SYNTH_SHAPES_H

#include <stdbool.h>

typedef enum ds_synth_shape_kind {
    DS_SYNTH_CAPSULE,
    DS_SYNTH_ELLIPSOID,
} ds_synth_shape_kind;

/* A shape in its part's local frame. */
typedef struct ds_synth_shape {
    ds_synth_shape_kind kind;
    double a[3], b[3]; /* capsule: the segment's ends */
    double radius;     /* capsule */
    double center[3];  /* ellipsoid */
    double radii[3];   /* ellipsoid: semi-axes along the local x, y, z */
} ds_synth_shape;

/* The capsule of the segment a-b and radius r: true with the hit's t when the ray meets it. */
bool ds_synth_intersect_capsule(const double a[3], const double b[3], double radius,
                                const double origin[3], const double direction[3], double t_min,
                                double *t);

/* The ellipsoid (x - c)^2 / rx^2 + ... = 1. */
bool ds_synth_intersect_ellipsoid(const double center[3], const double radii[3],
                                  const double origin[3], const double direction[3], double t_min,
                                  double *t);

/* Either kind. */
bool ds_synth_shape_intersect(const ds_synth_shape *shape, const double origin[3],
                              const double direction[3], double t_min, double *t);

/* The outward unit normal at a point on (or near) the surface. */
void ds_synth_shape_normal(const ds_synth_shape *shape, const double point[3], double normal[3]);

/* A sphere holding the whole shape, in the local frame. */
void ds_synth_shape_bounding_sphere(const ds_synth_shape *shape, double center[3], double *radius);

#endif
