/* Small 3D helpers shared by the synthetic capture's files: 3-vectors and row-major 3x3
 * rotations in double precision. */
#ifndef DS_SYNTH_MATH_H
#define DS_SYNTH_MATH_H

#include <math.h>

#define DS_SYNTH_PI      3.14159265358979323846
#define DS_SYNTH_DEGREES (DS_SYNTH_PI / 180.0)

static inline double ds_synth_dot(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static inline void ds_synth_cross(const double a[3], const double b[3], double out[3]) {
    double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2],
           z = a[0] * b[1] - a[1] * b[0];
    out[0] = x, out[1] = y, out[2] = z;
}

static inline void ds_synth_normalise(double v[3]) {
    double length = sqrt(ds_synth_dot(v, v));
    if (length > 0.0) {
        v[0] /= length, v[1] /= length, v[2] /= length;
    }
}

/* out = m * v */
static inline void ds_synth_rotate(const double m[9], const double v[3], double out[3]) {
    double x = m[0] * v[0] + m[1] * v[1] + m[2] * v[2];
    double y = m[3] * v[0] + m[4] * v[1] + m[5] * v[2];
    double z = m[6] * v[0] + m[7] * v[1] + m[8] * v[2];
    out[0] = x, out[1] = y, out[2] = z;
}

/* out = m^T * v (the inverse rotation) */
static inline void ds_synth_rotate_inverse(const double m[9], const double v[3], double out[3]) {
    double x = m[0] * v[0] + m[3] * v[1] + m[6] * v[2];
    double y = m[1] * v[0] + m[4] * v[1] + m[7] * v[2];
    double z = m[2] * v[0] + m[5] * v[1] + m[8] * v[2];
    out[0] = x, out[1] = y, out[2] = z;
}

/* out = a * b (out may alias neither) */
static inline void ds_synth_multiply(const double a[9], const double b[9], double out[9]) {
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
        }
    }
}

static inline void ds_synth_identity(double m[9]) {
    for (int i = 0; i < 9; i++) {
        m[i] = i % 4 == 0 ? 1.0 : 0.0;
    }
}

/* Right-handed rotations by `angle` radians about the x, y and z axes. */
static inline void ds_synth_rotation_x(double angle, double m[9]) {
    double c = cos(angle), s = sin(angle);
    double r[9] = {1, 0, 0, 0, c, -s, 0, s, c};
    for (int i = 0; i < 9; i++) {
        m[i] = r[i];
    }
}

static inline void ds_synth_rotation_y(double angle, double m[9]) {
    double c = cos(angle), s = sin(angle);
    double r[9] = {c, 0, s, 0, 1, 0, -s, 0, c};
    for (int i = 0; i < 9; i++) {
        m[i] = r[i];
    }
}

static inline void ds_synth_rotation_z(double angle, double m[9]) {
    double c = cos(angle), s = sin(angle);
    double r[9] = {c, -s, 0, s, c, 0, 0, 0, 1};
    for (int i = 0; i < 9; i++) {
        m[i] = r[i];
    }
}

#endif
