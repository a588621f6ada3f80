#include "deform_sequence.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static const double pi = 3.14159265358979323846;

void ds_deform_settings_default(ds_deform_settings *s) {
    s->period = 2.0;
    s->bend = 0.35;
    s->twist = 0.4;
    s->parts = 3;
    s->part_size = 0.08;
    s->swing = 0.5;
    s->sway = 0.05;
    s->turn = 0.25;
    s->appearance = 0.0;
    s->seed = 1;
}

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state) {
    return (double)(splitmix64(state) >> 11) / 9007199254740992.0;
}

static void normalize(double v[3]) {
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    for (int a = 0; a < 3; a++) {
        v[a] = n > 0 ? v[a] / n : (a == 2);
    }
}

static void cross(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/* 3x3 row-major matrices: the deformation's Jacobian is tracked through every stage, and each
 * Gaussian turns by its rotational part. */
static void multiply(const double a[9], const double b[9], double out[9]) {
    double m[9];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            m[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
        }
    }
    memcpy(out, m, sizeof m);
}

/* The rotation matrix of `angle` about the unit `axis` (Rodrigues). */
static void rotation_matrix(const double axis[3], double angle, double m[9]) {
    double c = cos(angle), s = sin(angle), v = 1.0 - c, x = axis[0], y = axis[1], z = axis[2];
    double r[9] = {c + x * x * v,     x * y * v - z * s, x * z * v + y * s,
                   y * x * v + z * s, c + y * y * v,     y * z * v - x * s,
                   z * x * v - y * s, z * y * v + x * s, c + z * z * v};
    memcpy(m, r, sizeof r);
}

/* The rotation of a polar decomposition J = R S (S symmetric positive definite) by Newton's
 * iteration R <- (R + R^-T) / 2, which leaves the identity exactly the identity. Returns false
 * when J is (nearly) singular or reflecting, where no rotation is defined. */
static bool polar_rotation(const double j[9], double r[9]) {
    memcpy(r, j, 9 * sizeof *r);
    for (int iteration = 0; iteration < 30; iteration++) {
        double cof[9] = {
            r[4] * r[8] - r[5] * r[7], r[5] * r[6] - r[3] * r[8], r[3] * r[7] - r[4] * r[6],
            r[2] * r[7] - r[1] * r[8], r[0] * r[8] - r[2] * r[6], r[1] * r[6] - r[0] * r[7],
            r[1] * r[5] - r[2] * r[4], r[2] * r[3] - r[0] * r[5], r[0] * r[4] - r[1] * r[3],
        };
        double det = r[0] * cof[0] + r[1] * cof[1] + r[2] * cof[2];
        if (!(det > 1e-9) || !isfinite(det)) {
            return false;
        }
        double change = 0;
        for (int k = 0; k < 9; k++) {
            double next = 0.5 * (r[k] + cof[k] / det); /* R^-T = cofactor matrix / det */
            change += fabs(next - r[k]);
            r[k] = next;
        }
        if (change < 1e-13) {
            break;
        }
    }
    return true;
}

/* The unit quaternion (w, x, y, z) of a rotation matrix (Shepperd's method). */
static void matrix_to_quaternion(const double m[9], double q[4]) {
    double trace = m[0] + m[4] + m[8];
    if (trace >= m[0] && trace >= m[4] && trace >= m[8]) {
        double w = 0.5 * sqrt(fmax(1.0 + trace, 0.0));
        q[0] = w;
        q[1] = (m[7] - m[5]) / (4.0 * w);
        q[2] = (m[2] - m[6]) / (4.0 * w);
        q[3] = (m[3] - m[1]) / (4.0 * w);
    } else if (m[0] >= m[4] && m[0] >= m[8]) {
        double x = 0.5 * sqrt(fmax(1.0 + m[0] - m[4] - m[8], 0.0));
        q[0] = (m[7] - m[5]) / (4.0 * x);
        q[1] = x;
        q[2] = (m[1] + m[3]) / (4.0 * x);
        q[3] = (m[2] + m[6]) / (4.0 * x);
    } else if (m[4] >= m[8]) {
        double y = 0.5 * sqrt(fmax(1.0 - m[0] + m[4] - m[8], 0.0));
        q[0] = (m[2] - m[6]) / (4.0 * y);
        q[1] = (m[1] + m[3]) / (4.0 * y);
        q[2] = y;
        q[3] = (m[5] + m[7]) / (4.0 * y);
    } else {
        double z = 0.5 * sqrt(fmax(1.0 - m[0] - m[4] + m[8], 0.0));
        q[0] = (m[3] - m[1]) / (4.0 * z);
        q[1] = (m[2] + m[6]) / (4.0 * z);
        q[2] = (m[5] + m[7]) / (4.0 * z);
        q[3] = z;
    }
}

/* A point on its way through the stages: its position, the Jacobian of the map so far and the
 * product of the stages' rotations (the fallback where the Jacobian has no rotation). */
typedef struct tracked {
    double x[3], jacobian[9], rotation[9];
} tracked;

/* x' = pivot + R(angle(x)) (x - pivot) about the unit `axis`, with `gradient` the gradient of
 * the angle at x: the Jacobian is R + (axis x (x' - pivot)) gradient^T. Written as a
 * displacement, so that a zero angle leaves the point bit for bit. */
static void apply_turn(tracked *p, const double axis[3], const double pivot[3], double angle,
                       const double gradient[3]) {
    if (angle == 0.0 && gradient[0] == 0.0 && gradient[1] == 0.0 && gradient[2] == 0.0) {
        return;
    }
    double v[3] = {p->x[0] - pivot[0], p->x[1] - pivot[1], p->x[2] - pivot[2]}, kv[3], kkv[3];
    cross(axis, v, kv);
    cross(axis, kv, kkv);
    double s = sin(angle), c = 1.0 - cos(angle), moved[3], u[3];
    for (int a = 0; a < 3; a++) {
        p->x[a] += s * kv[a] + c * kkv[a];
        moved[a] = p->x[a] - pivot[a];
    }
    cross(axis, moved, u);
    double r[9], j[9];
    rotation_matrix(axis, angle, r);
    for (int row = 0; row < 3; row++) {
        for (int col = 0; col < 3; col++) {
            j[row * 3 + col] = r[row * 3 + col] + u[row] * gradient[col];
        }
    }
    multiply(j, p->jacobian, p->jacobian);
    multiply(r, p->rotation, p->rotation);
}

/* A smooth odd ramp of the long-axis coordinate: linear near the object, saturating for far
 * outliers so that they are not flung around; and its derivative. */
static double soft(double u) {
    return 2.0 * tanh(0.5 * u);
}

static double soft_slope(double u) {
    double t = tanh(0.5 * u);
    return 1.0 - t * t;
}

/* 1 inside the core, 0 beyond three times its radius, smooth (C1) in between; and its
 * derivative. A wide shell keeps the strain of the blend moderate, as in a limb's skin. */
static double falloff(double distance, double radius, double *slope) {
    double u = (distance - radius) / (2.0 * radius);
    *slope = 0.0;
    if (u <= 0) {
        return 1.0;
    }
    if (u >= 1) {
        return 0.0;
    }
    *slope = -6.0 * u * (1.0 - u) / (2.0 * radius);
    return 1.0 - u * u * (3.0 - 2.0 * u);
}

typedef struct part {
    double centre[3], pivot[3], axis[3], radius, frequency;
} part;

/* What every frame shares: the object's frame and the seeded choices. */
typedef struct deformation {
    double centre[3], axis[3], across[3];
    double length; /* half-length along the long axis */
    double size;   /* overall radius */
    int parts;
    part part[DS_DEFORM_MAX_PARTS];
} deformation;

static void describe_object(const ds_gaussian_cloud *cloud, const ds_deform_settings *s,
                            deformation *d) {
    double mean[3] = {0, 0, 0}, variance[3] = {0, 0, 0};
    size_t n = cloud->count;
    for (size_t i = 0; i < n; i++) {
        for (int a = 0; a < 3; a++) {
            mean[a] += cloud->positions[i * 3 + (size_t)a];
        }
    }
    for (int a = 0; a < 3; a++) {
        mean[a] /= n ? (double)n : 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        for (int a = 0; a < 3; a++) {
            double e = cloud->positions[i * 3 + (size_t)a] - mean[a];
            variance[a] += e * e;
        }
    }
    int longest = 0;
    for (int a = 0; a < 3; a++) {
        variance[a] /= n ? (double)n : 1.0;
        longest = variance[a] > variance[longest] ? a : longest;
        d->centre[a] = mean[a];
    }
    double length = 2.0 * sqrt(variance[longest]);
    double size = 2.0 * sqrt(variance[0] + variance[1] + variance[2]);
    d->length = length > 0 && isfinite(length) ? length : 1.0;
    d->size = size > 0 && isfinite(size) ? size : 1.0;
    uint64_t state = s->seed;
    int first = (longest + 1) % 3, second = (longest + 2) % 3;
    double beta = 2.0 * pi * uniform(&state);
    for (int a = 0; a < 3; a++) {
        d->axis[a] = a == longest;
        d->across[a] = (a == first) * cos(beta) + (a == second) * sin(beta);
    }
    d->parts = n ? s->parts : 0;
    for (int k = 0; k < d->parts; k++) {
        part *p = &d->part[k];
        size_t pick = (size_t)(splitmix64(&state) % (uint64_t)n);
        double inward[3];
        for (int a = 0; a < 3; a++) {
            p->centre[a] = cloud->positions[pick * 3 + (size_t)a];
            p->axis[a] = uniform(&state) * 2.0 - 1.0;
            inward[a] = d->centre[a] - p->centre[a];
        }
        normalize(p->axis);
        double reach = sqrt(inward[0] * inward[0] + inward[1] * inward[1] + inward[2] * inward[2]);
        p->radius = s->part_size * d->size;
        /* Hinged at the border of its core on the side of the body, like a limb. */
        double along = reach > 0 ? fmin(p->radius, reach) / reach : 0.0;
        for (int a = 0; a < 3; a++) {
            p->pivot[a] = p->centre[a] + along * inward[a];
        }
        p->frequency = 2.0 * pi / s->period * (0.75 + 0.5 * uniform(&state));
    }
}

static ds_status check_settings(const ds_deform_settings *s) {
    const double values[] = {s->period, s->bend, s->twist, s->part_size,
                             s->swing,  s->sway, s->turn,  s->appearance};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        if (!isfinite(values[v])) {
            return ds_error(DS_ERR_ARGUMENT, "deformation settings must be finite");
        }
    }
    if (!(s->period > 0) || s->parts < 0 || s->parts > DS_DEFORM_MAX_PARTS || !(s->part_size > 0)) {
        return ds_error(DS_ERR_ARGUMENT,
                        "deformation needs a positive period and part size and 0..%d parts",
                        DS_DEFORM_MAX_PARTS);
    }
    return ds_ok();
}

/* Barr's bend: the long axis curves into an arc of curvature k in the plane of the long axis
 * and `across`, the centre fixed. In the frame (a, b) of those axes, with s and y a point's
 * coordinates and th = k s:  a' = (1/k - y) sin th,  b' = (1/k) - (1/k - y) cos th, written as
 * displacements that vanish with k. Its Jacobian R(th) (I - k y a a^T) has the rotation R(th)
 * about a x b: no shear, unlike a rotation by a varying angle. */
static void apply_bend(tracked *p, const deformation *d, double k) {
    if (k == 0.0) {
        return;
    }
    double s = 0, y = 0, normal[3];
    for (int a = 0; a < 3; a++) {
        s += (p->x[a] - d->centre[a]) * d->axis[a];
        y += (p->x[a] - d->centre[a]) * d->across[a];
    }
    cross(d->axis, d->across, normal);
    double th = k * s, sinc_less_one, versine_over, cos_less_one;
    if (fabs(th) < 1e-4) {
        sinc_less_one = -th * th / 6.0;
        versine_over = 0.5 * th;
        cos_less_one = -0.5 * th * th;
    } else {
        sinc_less_one = sin(th) / th - 1.0;
        versine_over = (1.0 - cos(th)) / th;
        cos_less_one = cos(th) - 1.0;
    }
    double along = s * sinc_less_one - y * sin(th), side = s * versine_over + y * cos_less_one;
    for (int a = 0; a < 3; a++) {
        p->x[a] += along * d->axis[a] + side * d->across[a];
    }
    double r[9], stretch[9];
    rotation_matrix(normal, th, r);
    for (int row = 0; row < 3; row++) {
        for (int col = 0; col < 3; col++) {
            stretch[row * 3 + col] = (row == col) - k * y * d->axis[row] * d->axis[col];
        }
    }
    multiply(r, stretch, stretch);
    multiply(stretch, p->jacobian, p->jacobian);
    multiply(r, p->rotation, p->rotation);
}

/* Moves one Gaussian through the stages; `local` receives the rotation it turns by. */
static void deform_point(const deformation *d, const ds_deform_settings *s, double t, tracked *p,
                         double local[4]) {
    static const double identity[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    memcpy(p->jacobian, identity, sizeof identity);
    memcpy(p->rotation, identity, sizeof identity);
    for (int k = 0; k < d->parts; k++) {
        const part *moving = &d->part[k];
        double e[3] = {p->x[0] - moving->centre[0], p->x[1] - moving->centre[1],
                       p->x[2] - moving->centre[2]};
        double distance = sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]), slope;
        double weight = falloff(distance, moving->radius, &slope);
        double amplitude = s->swing * sin(moving->frequency * t), gradient[3];
        for (int a = 0; a < 3; a++) {
            gradient[a] = distance > 0 ? amplitude * slope * e[a] / distance : 0.0;
        }
        apply_turn(p, moving->axis, moving->pivot, weight * amplitude, gradient);
    }
    double omega = 2.0 * pi / s->period, along = 0, gradient[3];
    for (int a = 0; a < 3; a++) {
        along += (p->x[a] - d->centre[a]) * d->axis[a];
    }
    double twist = s->twist * sin(0.8 * omega * t);
    for (int a = 0; a < 3; a++) {
        gradient[a] = twist * soft_slope(along / d->length) / d->length * d->axis[a];
    }
    apply_turn(p, d->axis, d->centre, twist * soft(along / d->length), gradient);
    apply_bend(p, d, s->bend * sin(omega * t) / d->length);
    const double still[3] = {0, 0, 0};
    apply_turn(p, d->axis, d->centre, s->turn * t, still);
    const double sway[3] = {s->sway * d->size * sin(omega * t),
                            0.5 * s->sway * d->size * sin(0.7 * omega * t),
                            0.3 * s->sway * d->size * sin(1.3 * omega * t)};
    for (int a = 0; a < 3; a++) {
        p->x[a] += sway[a];
    }
    double r[9];
    matrix_to_quaternion(polar_rotation(p->jacobian, r) ? r : p->rotation, local);
}

ds_status ds_deform_cloud(const ds_gaussian_cloud *canonical, double t, const ds_deform_settings *s,
                          ds_gaussian_cloud *out) {
    if (!canonical || !s || !out || out == canonical) {
        return ds_error(DS_ERR_ARGUMENT, "deformation needs a canonical cloud and another for "
                                         "the output");
    }
    if (out->count != canonical->count || out->sh_degree != canonical->sh_degree) {
        return ds_error(DS_ERR_ARGUMENT,
                        "deformed cloud has %zu Gaussians of SH degree %d, not %zu of degree %d",
                        out->count, out->sh_degree, canonical->count, canonical->sh_degree);
    }
    if (!isfinite(t)) {
        return ds_error(DS_ERR_ARGUMENT, "deformation time is not finite");
    }
    ds_status status = check_settings(s);
    if (ds_failed(&status)) {
        return status;
    }
    deformation d;
    describe_object(canonical, s, &d);
    double omega = 2.0 * pi / s->period;
    size_t coeffs = (size_t)ds_sh_coeff_count(canonical->sh_degree);
    for (size_t i = 0; i < canonical->count; i++) {
        tracked p;
        for (int a = 0; a < 3; a++) {
            p.x[a] = canonical->positions[i * 3 + (size_t)a];
        }
        double r[4];
        deform_point(&d, s, t, &p, r);
        const float *q = canonical->rotations + i * 4;
        double turned[4] = {
            r[0] * q[0] - r[1] * q[1] - r[2] * q[2] - r[3] * q[3],
            r[0] * q[1] + r[1] * q[0] + r[2] * q[3] - r[3] * q[2],
            r[0] * q[2] - r[1] * q[3] + r[2] * q[0] + r[3] * q[1],
            r[0] * q[3] + r[1] * q[2] - r[2] * q[1] + r[3] * q[0],
        };
        for (int a = 0; a < 3; a++) {
            out->positions[i * 3 + (size_t)a] = (float)p.x[a];
        }
        for (int c = 0; c < 4; c++) {
            out->rotations[i * 4 + (size_t)c] = (float)turned[c];
        }
        memcpy(out->log_scales + i * 3, canonical->log_scales + i * 3, 3 * sizeof(float));
        memcpy(out->sh + i * coeffs * 3, canonical->sh + i * coeffs * 3,
               coeffs * 3 * sizeof(float));
        out->opacity_logits[i] = canonical->opacity_logits[i];
        if (s->appearance != 0) {
            /* Waves travelling across the object; zero at t = 0 by construction. */
            double phase = 3.0 *
                           (canonical->positions[i * 3] + canonical->positions[i * 3 + 1] +
                            canonical->positions[i * 3 + 2]) /
                           d.size;
            double change = sin(1.3 * omega * t + phase) - sin(phase);
            out->opacity_logits[i] += (float)(s->appearance * change);
            for (int c = 0; c < 3; c++) {
                double shifted = phase + 2.1 * c;
                out->sh[i * coeffs * 3 + (size_t)c] +=
                    (float)(0.5 * s->appearance * (sin(0.9 * omega * t + shifted) - sin(shifted)));
            }
        }
    }
    out->antialiased = canonical->antialiased;
    return ds_ok();
}
