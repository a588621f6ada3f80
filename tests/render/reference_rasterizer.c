#include "reference_rasterizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TILE = 16 };

typedef struct projected {
    double u, v, conic[3], opacity, color[3], depth;
    int radius;
} projected;

typedef struct key {
    long tile;
    double depth;
    size_t index;
} key;

static int compare_keys(const void *left, const void *right) {
    const key *a = left, *b = right;
    if (a->tile != b->tile) {
        return a->tile < b->tile ? -1 : 1;
    }
    if (a->depth != b->depth) {
        return a->depth < b->depth ? -1 : 1;
    }
    return (a->index > b->index) - (a->index < b->index);
}

static void sh_color(const double *sh, int degree, const double d[3], double rgb[3]) {
    const double c0 = 0.28209479177387814, c1 = 0.4886025119029199;
    const double c2[5] = {1.0925484305920792, -1.0925484305920792, 0.31539156525252005,
                          -1.0925484305920792, 0.5462742152960396};
    const double c3[7] = {-0.5900435899266435, 2.890611442640554,   -0.4570457994644658,
                          0.3731763325901154,  -0.4570457994644658, 1.445305721320277,
                          -0.5900435899266435};
    double x = d[0], y = d[1], z = d[2], xx = x * x, yy = y * y, zz = z * z;
    double basis[16] = {c0,
                        -c1 * y,
                        c1 * z,
                        -c1 * x,
                        c2[0] * x * y,
                        c2[1] * y * z,
                        c2[2] * (2 * zz - xx - yy),
                        c2[3] * x * z,
                        c2[4] * (xx - yy),
                        c3[0] * y * (3 * xx - yy),
                        c3[1] * x * y * z,
                        c3[2] * y * (4 * zz - xx - yy),
                        c3[3] * z * (2 * zz - 3 * xx - 3 * yy),
                        c3[4] * x * (4 * zz - xx - yy),
                        c3[5] * z * (xx - yy),
                        c3[6] * x * (xx - 3 * yy)};
    int n = (degree + 1) * (degree + 1);
    for (int c = 0; c < 3; c++) {
        double sum = 0.5;
        for (int k = 0; k < n; k++) {
            sum += basis[k] * sh[k * 3 + c];
        }
        rgb[c] = sum < 0 ? 0 : sum;
    }
}

static projected project(const reference_cloud *cloud, size_t i, const ds_camera *cam, int degree) {
    projected p = {0};
    const double *x = cloud->positions + i * 3;
    const double *R = cam->rotation;
    double t[3];
    for (int k = 0; k < 3; k++) {
        t[k] = R[3 * k] * x[0] + R[3 * k + 1] * x[1] + R[3 * k + 2] * x[2] + cam->translation[k];
    }
    if (t[2] <= 0.2) {
        return p;
    }
    const double *q = cloud->rotations + i * 4;
    double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    double w = q[0] / n, qx = q[1] / n, qy = q[2] / n, qz = q[3] / n;
    double Rq[3][3] = {
        {1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - w * qz), 2 * (qx * qz + w * qy)},
        {2 * (qx * qy + w * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - w * qx)},
        {2 * (qx * qz - w * qy), 2 * (qy * qz + w * qx), 1 - 2 * (qx * qx + qy * qy)}};
    double s[3];
    for (int k = 0; k < 3; k++) {
        s[k] = exp(cloud->log_scales[i * 3 + k]);
    }
    double sigma[3][3];
    for (int a = 0; a < 3; a++) {
        for (int b = 0; b < 3; b++) {
            sigma[a][b] = 0;
            for (int k = 0; k < 3; k++) {
                sigma[a][b] += Rq[a][k] * s[k] * s[k] * Rq[b][k];
            }
        }
    }
    /* Clamp limits: 1.3 half-widths around the principal point's edges. */
    double lx0 = (-cam->cx - 0.15 * cam->width) / cam->fx;
    double lx1 = (cam->width - cam->cx + 0.15 * cam->width) / cam->fx;
    double ly0 = (-cam->cy - 0.15 * cam->height) / cam->fy;
    double ly1 = (cam->height - cam->cy + 0.15 * cam->height) / cam->fy;
    double txz = fmin(lx1, fmax(lx0, t[0] / t[2])) * t[2];
    double tyz = fmin(ly1, fmax(ly0, t[1] / t[2])) * t[2];
    double J[2][3] = {{cam->fx / t[2], 0, -cam->fx * txz / (t[2] * t[2])},
                      {0, cam->fy / t[2], -cam->fy * tyz / (t[2] * t[2])}};
    double M[2][3];
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 3; b++) {
            M[a][b] = J[a][0] * R[b] + J[a][1] * R[3 + b] + J[a][2] * R[6 + b];
        }
    }
    double cov[2][2];
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++) {
            cov[a][b] = 0;
            for (int k = 0; k < 3; k++) {
                for (int l = 0; l < 3; l++) {
                    cov[a][b] += M[a][k] * sigma[k][l] * M[b][l];
                }
            }
        }
    }
    cov[0][0] += 0.3;
    cov[1][1] += 0.3;
    double det = cov[0][0] * cov[1][1] - cov[0][1] * cov[0][1];
    if (det == 0) {
        return p;
    }
    double mid = 0.5 * (cov[0][0] + cov[1][1]);
    double lambda = mid + sqrt(fmax(0.1, mid * mid - det));
    p.radius = (int)ceil(3 * sqrt(lambda));
    p.conic[0] = cov[1][1] / det;
    p.conic[1] = -cov[0][1] / det;
    p.conic[2] = cov[0][0] / det;
    p.u = cam->fx * t[0] / t[2] + cam->cx + cloud->screen_offsets[i * 2];
    p.v = cam->fy * t[1] / t[2] + cam->cy + cloud->screen_offsets[i * 2 + 1];
    p.depth = t[2];
    p.opacity = 1 / (1 + exp(-cloud->opacity_logits[i]));
    double center[3];
    ds_camera_center(cam, center);
    double d[3] = {x[0] - center[0], x[1] - center[1], x[2] - center[2]};
    double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    for (int k = 0; k < 3; k++) {
        d[k] /= len;
    }
    sh_color(cloud->sh + i * (size_t)((cloud->sh_degree + 1) * (cloud->sh_degree + 1) * 3), degree,
             d, p.color);
    return p;
}

void reference_rasterize(const reference_cloud *cloud, const ds_camera *cam, int degree,
                         const double background[3], double *rgb, double *transmittance) {
    int W = cam->width, H = cam->height;
    int tx = (W + TILE - 1) / TILE, ty = (H + TILE - 1) / TILE;
    projected *ps = calloc(cloud->count, sizeof *ps);
    size_t key_count = 0, key_capacity = 1024;
    key *keys = malloc(key_capacity * sizeof *keys);
    for (size_t i = 0; i < cloud->count; i++) {
        ps[i] = project(cloud, i, cam, degree);
        if (ps[i].radius == 0) {
            continue;
        }
        /* Reference pixel coordinates have centres at integers. */
        double px = ps[i].u - 0.5, py = ps[i].v - 0.5, r = ps[i].radius;
        int x0 = (int)((px - r) / TILE), y0 = (int)((py - r) / TILE);
        int x1 = (int)((px + r + TILE - 1) / TILE), y1 = (int)((py + r + TILE - 1) / TILE);
        x0 = x0 < 0 ? 0 : (x0 > tx ? tx : x0);
        x1 = x1 < 0 ? 0 : (x1 > tx ? tx : x1);
        y0 = y0 < 0 ? 0 : (y0 > ty ? ty : y0);
        y1 = y1 < 0 ? 0 : (y1 > ty ? ty : y1);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if (key_count == key_capacity) {
                    key_capacity *= 2;
                    keys = realloc(keys, key_capacity * sizeof *keys);
                }
                keys[key_count++] = (key){(long)y * tx + x, ps[i].depth, i};
            }
        }
    }
    qsort(keys, key_count, sizeof *keys, compare_keys);
    size_t start = 0;
    for (long tile = 0; tile < (long)tx * ty; tile++) {
        size_t end = start;
        while (end < key_count && keys[end].tile == tile) {
            end++;
        }
        int X0 = (int)(tile % tx) * TILE, Y0 = (int)(tile / tx) * TILE;
        for (int y = Y0; y < Y0 + TILE && y < H; y++) {
            for (int x = X0; x < X0 + TILE && x < W; x++) {
                double T = 1, C[3] = {0, 0, 0};
                for (size_t k = start; k < end; k++) {
                    const projected *g = &ps[keys[k].index];
                    double dx = g->u - (x + 0.5), dy = g->v - (y + 0.5);
                    double power = -0.5 * (g->conic[0] * dx * dx + g->conic[2] * dy * dy) -
                                   g->conic[1] * dx * dy;
                    if (power > 0) {
                        continue;
                    }
                    double alpha = fmin(0.99, g->opacity * exp(power));
                    if (alpha < 1.0 / 255) {
                        continue;
                    }
                    double next = T * (1 - alpha);
                    if (next < 1e-4) {
                        break;
                    }
                    for (int c = 0; c < 3; c++) {
                        C[c] += g->color[c] * alpha * T;
                    }
                    T = next;
                }
                size_t pixel = (size_t)y * W + x;
                for (int c = 0; c < 3; c++) {
                    rgb[pixel * 3 + c] = C[c] + T * background[c];
                }
                if (transmittance) {
                    transmittance[pixel] = T;
                }
            }
        }
        start = end;
    }
    free(keys);
    free(ps);
}

static double *copy_floats(const float *values, size_t count) {
    double *out = malloc((count ? count : 1) * sizeof *out);
    for (size_t i = 0; i < count; i++) {
        out[i] = values[i];
    }
    return out;
}

reference_cloud *reference_cloud_from(const ds_gaussian_cloud *cloud) {
    reference_cloud *r = calloc(1, sizeof *r);
    size_t n = cloud->count;
    r->count = n;
    r->sh_degree = cloud->sh_degree;
    r->positions = copy_floats(cloud->positions, n * 3);
    r->rotations = copy_floats(cloud->rotations, n * 4);
    r->log_scales = copy_floats(cloud->log_scales, n * 3);
    r->opacity_logits = copy_floats(cloud->opacity_logits, n);
    r->sh = copy_floats(cloud->sh, n * ds_gaussian_cloud_sh_stride(cloud));
    r->screen_offsets = calloc(n * 2 + 1, sizeof *r->screen_offsets);
    return r;
}

void reference_cloud_free(reference_cloud *r) {
    free(r->positions);
    free(r->rotations);
    free(r->log_scales);
    free(r->opacity_logits);
    free(r->sh);
    free(r->screen_offsets);
    free(r);
}
