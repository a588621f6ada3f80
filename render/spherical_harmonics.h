/* Real spherical harmonics up to degree 3, in the order and normalisation of the reference 3DGS
 * renderer, evaluated toward a viewing direction. */
#ifndef DS_RENDER_SPHERICAL_HARMONICS_H
#define DS_RENDER_SPHERICAL_HARMONICS_H

#include <stdbool.h>

enum { DS_SH_MAX_COEFFICIENTS = 16 };

/* The basis functions at unit direction (x, y, z) for coefficients 0 .. (degree + 1)^2 - 1. */
void ds_sh_basis(int degree, float x, float y, float z, float basis[DS_SH_MAX_COEFFICIENTS]);

/* Colour of one Gaussian seen along `direction` (unit, from camera to Gaussian): the SH sum plus
 * 0.5, clamped at 0 (as the reference). `sh` holds `stride` coefficients of 3 channels
 * (coefficient-major, the data model's layout); only degrees up to `degree` are used.
 * `clamped[c]` tells whether channel c was clamped (its gradient is then zero). */
void ds_sh_color(const float *sh, int degree, const float direction[3], float rgb[3],
                 bool clamped[3]);

/* d(basis_k)/d(direction) for each coefficient, for the backward pass: rows k, columns x, y, z. */
void ds_sh_basis_gradient(int degree, float x, float y, float z,
                          float gradient[DS_SH_MAX_COEFFICIENTS][3]);

#endif
