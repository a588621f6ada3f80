#include "silhouette_centroid.h"

#include <math.h>

/* A pixel is foreground when its colour is this far (sum of absolute channel differences) from
 * the background: well above compression noise, well below any subject's contrast. */
static const float FOREGROUND = 0.15f;

/* The foreground's centroid in pixels; false when there is none. */
static bool foreground_centroid(const ds_image *image, const float background[3], double *u,
                                double *v) {
    double sum_u = 0, sum_v = 0, count = 0;
    for (int y = 0; y < image->height; y++) {
        for (int x = 0; x < image->width; x++) {
            const float *p = image->pixels + ((size_t)y * (size_t)image->width + (size_t)x) * 3;
            float difference = fabsf(p[0] - background[0]) + fabsf(p[1] - background[1]) +
                               fabsf(p[2] - background[2]);
            if (difference > FOREGROUND) {
                sum_u += x + 0.5;
                sum_v += y + 0.5;
                count++;
            }
        }
    }
    if (count == 0) {
        return false;
    }
    *u = sum_u / count;
    *v = sum_v / count;
    return true;
}

/* Solves the symmetric 3x3 system a x = b by Cramer's rule; false when singular. */
static bool solve3(const double a[9], const double b[3], double x[3]) {
    double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
                 a[2] * (a[3] * a[7] - a[4] * a[6]);
    if (!(fabs(det) > 1e-12)) {
        return false;
    }
    for (int c = 0; c < 3; c++) {
        double m[9];
        for (int i = 0; i < 9; i++) {
            m[i] = a[i];
        }
        for (int r = 0; r < 3; r++) {
            m[r * 3 + c] = b[r];
        }
        x[c] = (m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                m[2] * (m[3] * m[7] - m[4] * m[6])) /
               det;
    }
    return true;
}

ds_status ds_silhouette_centroid(const ds_fit_views *views, const float background[3],
                                 double centroid[3]) {
    /* Sum over rays (c, d) of (I - d d^T) p = (I - d d^T) c. */
    double a[9] = {0}, b[3] = {0};
    size_t seen = 0;
    for (size_t i = 0; i < views->count; i++) {
        const ds_camera *camera = &views->cameras[i];
        double u, v;
        if (!foreground_centroid(&views->images[i], background, &u, &v)) {
            continue;
        }
        double local[3] = {(u - camera->cx) / camera->fx, (v - camera->cy) / camera->fy, 1.0};
        double d[3], c[3];
        for (int k = 0; k < 3; k++) {
            /* R^T local: the ray's direction in the world. */
            d[k] = camera->rotation[k] * local[0] + camera->rotation[3 + k] * local[1] +
                   camera->rotation[6 + k] * local[2];
        }
        double norm = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        for (int k = 0; k < 3; k++) {
            d[k] /= norm;
        }
        ds_camera_center(camera, c);
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 3; k++) {
                double projector = (r == k ? 1.0 : 0.0) - d[r] * d[k];
                a[r * 3 + k] += projector;
                b[r] += projector * c[k];
            }
        }
        seen++;
    }
    if (seen < 2 || !solve3(a, b, centroid)) {
        return ds_error(DS_ERR_ARGUMENT,
                        "the subject's silhouette is in %zu of %zu views: too few "
                        "to place it",
                        seen, views->count);
    }
    return ds_ok();
}
