#include "spherical_harmonics.h"

/* The reference renderer's constants (sqrt((2l+1)/(4 pi)) times the associated Legendre
 * normalisation, with its sign convention). */
static const float SH_C0 = 0.28209479177387814f;
static const float SH_C1 = 0.4886025119029199f;
static const float SH_C2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f,
                               -1.0925484305920792f, 0.5462742152960396f};
static const float SH_C3[7] = {-0.5900435899266435f, 2.890611442640554f,   -0.4570457994644658f,
                               0.3731763325901154f,  -0.4570457994644658f, 1.445305721320277f,
                               -0.5900435899266435f};

void ds_sh_basis(int degree, float x, float y, float z, float basis[DS_SH_MAX_COEFFICIENTS]) {
    basis[0] = SH_C0;
    if (degree < 1) {
        return;
    }
    basis[1] = -SH_C1 * y;
    basis[2] = SH_C1 * z;
    basis[3] = -SH_C1 * x;
    if (degree < 2) {
        return;
    }
    float xx = x * x, yy = y * y, zz = z * z;
    float xy = x * y, yz = y * z, xz = x * z;
    basis[4] = SH_C2[0] * xy;
    basis[5] = SH_C2[1] * yz;
    basis[6] = SH_C2[2] * (2.0f * zz - xx - yy);
    basis[7] = SH_C2[3] * xz;
    basis[8] = SH_C2[4] * (xx - yy);
    if (degree < 3) {
        return;
    }
    basis[9] = SH_C3[0] * y * (3.0f * xx - yy);
    basis[10] = SH_C3[1] * xy * z;
    basis[11] = SH_C3[2] * y * (4.0f * zz - xx - yy);
    basis[12] = SH_C3[3] * z * (2.0f * zz - 3.0f * xx - 3.0f * yy);
    basis[13] = SH_C3[4] * x * (4.0f * zz - xx - yy);
    basis[14] = SH_C3[5] * z * (xx - yy);
    basis[15] = SH_C3[6] * x * (xx - 3.0f * yy);
}

void ds_sh_color(const float *sh, int degree, const float direction[3], float rgb[3],
                 bool clamped[3]) {
    float basis[DS_SH_MAX_COEFFICIENTS];
    ds_sh_basis(degree, direction[0], direction[1], direction[2], basis);
    int coefficients = (degree + 1) * (degree + 1);
    for (int c = 0; c < 3; c++) {
        float sum = 0.0f;
        for (int k = 0; k < coefficients; k++) {
            sum += basis[k] * sh[k * 3 + c];
        }
        sum += 0.5f;
        clamped[c] = sum < 0.0f;
        rgb[c] = clamped[c] ? 0.0f : sum;
    }
}

void ds_sh_basis_gradient(int degree, float x, float y, float z,
                          float g[DS_SH_MAX_COEFFICIENTS][3]) {
    for (int k = 0; k < DS_SH_MAX_COEFFICIENTS; k++) {
        g[k][0] = g[k][1] = g[k][2] = 0.0f;
    }
    if (degree < 1) {
        return;
    }
    g[1][1] = -SH_C1;
    g[2][2] = SH_C1;
    g[3][0] = -SH_C1;
    if (degree < 2) {
        return;
    }
    float xx = x * x, yy = y * y, zz = z * z;
    g[4][0] = SH_C2[0] * y;
    g[4][1] = SH_C2[0] * x;
    g[5][1] = SH_C2[1] * z;
    g[5][2] = SH_C2[1] * y;
    g[6][0] = SH_C2[2] * -2.0f * x;
    g[6][1] = SH_C2[2] * -2.0f * y;
    g[6][2] = SH_C2[2] * 4.0f * z;
    g[7][0] = SH_C2[3] * z;
    g[7][2] = SH_C2[3] * x;
    g[8][0] = SH_C2[4] * 2.0f * x;
    g[8][1] = SH_C2[4] * -2.0f * y;
    if (degree < 3) {
        return;
    }
    g[9][0] = SH_C3[0] * 6.0f * x * y;
    g[9][1] = SH_C3[0] * (3.0f * xx - 3.0f * yy);
    g[10][0] = SH_C3[1] * y * z;
    g[10][1] = SH_C3[1] * x * z;
    g[10][2] = SH_C3[1] * x * y;
    g[11][0] = SH_C3[2] * -2.0f * x * y;
    g[11][1] = SH_C3[2] * (4.0f * zz - xx - 3.0f * yy);
    g[11][2] = SH_C3[2] * 8.0f * y * z;
    g[12][0] = SH_C3[3] * -6.0f * x * z;
    g[12][1] = SH_C3[3] * -6.0f * y * z;
    g[12][2] = SH_C3[3] * (6.0f * zz - 3.0f * xx - 3.0f * yy);
    g[13][0] = SH_C3[4] * (4.0f * zz - 3.0f * xx - yy);
    g[13][1] = SH_C3[4] * -2.0f * x * y;
    g[13][2] = SH_C3[4] * 8.0f * x * z;
    g[14][0] = SH_C3[5] * 2.0f * x * z;
    g[14][1] = SH_C3[5] * -2.0f * y * z;
    g[14][2] = SH_C3[5] * (xx - yy);
    g[15][0] = SH_C3[6] * (3.0f * xx - 3.0f * yy);
    g[15][1] = SH_C3[6] * -6.0f * x * y;
}
