#include "shapes.h"

#include <math.h>

static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The roots of a t^2 + 2 h t + c = 0 in increasing order (a > 0); false when there are none.
 * The half-coefficient form and the product of the roots avoid the cancellation of the
 * textbook formula when one root is near zero. A zero discriminant (a tangent ray) gives a
 * double root. */
static bool solve_quadratic(double a, double h, double c, double roots[2]) {
    double discriminant = h * h - a * c;
    if (discriminant < 0.0 || !(a > 0.0)) {
        return false;
    }
    double q = -(h + copysign(sqrt(discriminant), h));
    if (q == 0.0) { /* h = 0 and c = 0: both roots are zero */
        roots[0] = roots[1] = 0.0;
        return true;
    }
    double t1 = q / a, t2 = c / q;
    roots[0] = fmin(t1, t2);
    roots[1] = fmax(t1, t2);
    return true;
}

/* Keeps the smaller of a candidate and the best so far. */
static void keep_nearest(double candidate, double t_min, bool *found, double *best) {
    if (candidate > t_min && (!*found || candidate < *best)) {
        *best = candidate;
        *found = true;
    }
}

/* Crossings of a sphere whose ray point satisfies `side` * (axis position - limit) >= 0, the
 * half of the sphere that is a capsule's end cap. */
static void sphere_cap(const double center[3], double radius, const double origin[3],
                       const double direction[3], const double axis[3], double limit, double side,
                       const double segment_start[3], double t_min, bool *found, double *best) {
    double oc[3] = {origin[0] - center[0], origin[1] - center[1], origin[2] - center[2]};
    double roots[2];
    if (!solve_quadratic(dot3(direction, direction), dot3(oc, direction),
                         dot3(oc, oc) - radius * radius, roots)) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        double p[3];
        for (int k = 0; k < 3; k++) {
            p[k] = origin[k] + roots[i] * direction[k] - segment_start[k];
        }
        if (side * (dot3(p, axis) - limit) >= 0.0) {
            keep_nearest(roots[i], t_min, found, best);
        }
    }
}

bool ds_synth_intersect_capsule(const double a[3], const double b[3], double radius,
                                const double origin[3], const double direction[3], double t_min,
                                double *t) {
    /* The capsule's surface is the cylinder around the segment between the two end planes and
     * the two spheres beyond them; as the shape is convex, the nearest crossing of these pieces
     * (each restricted to its part) is where the ray meets it. */
    double axis[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    double length = sqrt(dot3(axis, axis));
    bool found = false;
    double best = 0.0;
    if (length < 1e-12) {
        sphere_cap(a, radius, origin, direction, (const double[3]){0, 0, 1}, 0.0, 0.0, a, t_min,
                   &found, &best);
        *t = best;
        return found;
    }
    for (int k = 0; k < 3; k++) {
        axis[k] /= length;
    }
    double oa[3] = {origin[0] - a[0], origin[1] - a[1], origin[2] - a[2]};
    double d_axis = dot3(direction, axis), o_axis = dot3(oa, axis);
    /* Components perpendicular to the axis. */
    double d_perp[3], o_perp[3];
    for (int k = 0; k < 3; k++) {
        d_perp[k] = direction[k] - d_axis * axis[k];
        o_perp[k] = oa[k] - o_axis * axis[k];
    }
    double roots[2];
    double a_coefficient = dot3(d_perp, d_perp);
    /* A ray along the axis never crosses the cylinder's side: the caps see it. */
    if (a_coefficient > 1e-18 * dot3(direction, direction) &&
        solve_quadratic(a_coefficient, dot3(o_perp, d_perp), dot3(o_perp, o_perp) - radius * radius,
                        roots)) {
        for (int i = 0; i < 2; i++) {
            double along = o_axis + roots[i] * d_axis;
            if (along >= 0.0 && along <= length) {
                keep_nearest(roots[i], t_min, &found, &best);
            }
        }
    }
    sphere_cap(a, radius, origin, direction, axis, 0.0, -1.0, a, t_min, &found, &best);
    sphere_cap(b, radius, origin, direction, axis, length, 1.0, a, t_min, &found, &best);
    *t = best;
    return found;
}

bool ds_synth_intersect_ellipsoid(const double center[3], const double radii[3],
                                  const double origin[3], const double direction[3], double t_min,
                                  double *t) {
    /* Scaling each axis by its radius makes the ellipsoid the unit sphere and keeps t. */
    double o[3], d[3];
    for (int k = 0; k < 3; k++) {
        o[k] = (origin[k] - center[k]) / radii[k];
        d[k] = direction[k] / radii[k];
    }
    double roots[2];
    if (!solve_quadratic(dot3(d, d), dot3(o, d), dot3(o, o) - 1.0, roots)) {
        return false;
    }
    bool found = false;
    double best = 0.0;
    keep_nearest(roots[0], t_min, &found, &best);
    keep_nearest(roots[1], t_min, &found, &best);
    *t = best;
    return found;
}

bool ds_synth_shape_intersect(const ds_synth_shape *shape, const double origin[3],
                              const double direction[3], double t_min, double *t) {
    if (shape->kind == DS_SYNTH_CAPSULE) {
        return ds_synth_intersect_capsule(shape->a, shape->b, shape->radius, origin, direction,
                                          t_min, t);
    }
    return ds_synth_intersect_ellipsoid(shape->center, shape->radii, origin, direction, t_min, t);
}

static void normalise(double v[3]) {
    double length = sqrt(dot3(v, v));
    if (length > 0.0) {
        for (int k = 0; k < 3; k++) {
            v[k] /= length;
        }
    } else {
        v[0] = 0.0, v[1] = 1.0, v[2] = 0.0;
    }
}

void ds_synth_shape_normal(const ds_synth_shape *shape, const double point[3], double normal[3]) {
    if (shape->kind == DS_SYNTH_CAPSULE) {
        /* Away from the nearest point of the segment. */
        double axis[3] = {shape->b[0] - shape->a[0], shape->b[1] - shape->a[1],
                          shape->b[2] - shape->a[2]};
        double pa[3] = {point[0] - shape->a[0], point[1] - shape->a[1], point[2] - shape->a[2]};
        double length2 = dot3(axis, axis);
        double s = length2 > 0.0 ? dot3(pa, axis) / length2 : 0.0;
        s = s < 0.0 ? 0.0 : (s > 1.0 ? 1.0 : s);
        for (int k = 0; k < 3; k++) {
            normal[k] = pa[k] - s * axis[k];
        }
    } else {
        /* The gradient of the implicit function. */
        for (int k = 0; k < 3; k++) {
            normal[k] = (point[k] - shape->center[k]) / (shape->radii[k] * shape->radii[k]);
        }
    }
    normalise(normal);
}

void ds_synth_shape_bounding_sphere(const ds_synth_shape *shape, double center[3], double *radius) {
    if (shape->kind == DS_SYNTH_CAPSULE) {
        double half2 = 0.0;
        for (int k = 0; k < 3; k++) {
            center[k] = 0.5 * (shape->a[k] + shape->b[k]);
            double half = 0.5 * (shape->b[k] - shape->a[k]);
            half2 += half * half;
        }
        *radius = sqrt(half2) + shape->radius;
    } else {
        for (int k = 0; k < 3; k++) {
            center[k] = shape->center[k];
        }
        *radius = fmax(shape->radii[0], fmax(shape->radii[1], shape->radii[2]));
    }
}
