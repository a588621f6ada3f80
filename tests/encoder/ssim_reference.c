#include "ssim_reference.h"

#include "test_support.h"

#include <math.h>
#include <stdlib.h>

enum { RADIUS = 5, TAPS = 11 };

reference_image reference_image_from(const ds_image *image) {
    size_t count = (size_t)image->width * (size_t)image->height * 3;
    reference_image out = {image->width, image->height, malloc(count * sizeof(double))};
    assert_non_null(out.values);
    for (size_t i = 0; i < count; i++) {
        out.values[i] = image->pixels[i];
    }
    return out;
}

void reference_image_free(reference_image *image) {
    free(image->values);
    image->values = NULL;
}

/* The 2D window of the reference: the outer product of the normalised 1D Gaussian. */
static void window_2d(double window[TAPS][TAPS]) {
    double g[TAPS], total = 0.0;
    for (int k = 0; k < TAPS; k++) {
        g[k] = exp(-(double)((k - RADIUS) * (k - RADIUS)) / (2.0 * 1.5 * 1.5));
        total += g[k];
    }
    for (int a = 0; a < TAPS; a++) {
        for (int b = 0; b < TAPS; b++) {
            window[a][b] = g[a] / total * (g[b] / total);
        }
    }
}

double reference_ssim(const reference_image *x, const reference_image *y) {
    double window[TAPS][TAPS];
    window_2d(window);
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
    int w = x->width, h = x->height;
    double sum = 0.0;
    for (int py = 0; py < h; py++) {
        for (int px = 0; px < w; px++) {
            for (int c = 0; c < 3; c++) {
                double mx = 0, my = 0, exx = 0, eyy = 0, exy = 0;
                for (int dy = -RADIUS; dy <= RADIUS; dy++) {
                    for (int dx = -RADIUS; dx <= RADIUS; dx++) {
                        int qx = px + dx, qy = py + dy;
                        if (qx < 0 || qx >= w || qy < 0 || qy >= h) {
                            continue; /* zero padding */
                        }
                        size_t i = ((size_t)qy * (size_t)w + (size_t)qx) * 3 + (size_t)c;
                        double k = window[dy + RADIUS][dx + RADIUS];
                        double a = x->values[i], b = y->values[i];
                        mx += k * a;
                        my += k * b;
                        exx += k * a * a;
                        eyy += k * b * b;
                        exy += k * a * b;
                    }
                }
                double vx = exx - mx * mx, vy = eyy - my * my, cxy = exy - mx * my;
                sum += ((2 * mx * my + c1) * (2 * cxy + c2)) /
                       ((mx * mx + my * my + c1) * (vx + vy + c2));
            }
        }
    }
    return sum / ((double)w * h * 3);
}

double reference_l1(const reference_image *x, const reference_image *y) {
    size_t count = (size_t)x->width * (size_t)x->height * 3;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        sum += fabs(x->values[i] - y->values[i]);
    }
    return sum / (double)count;
}

double reference_loss(const reference_image *x, const reference_image *y, double lambda) {
    double loss = (1.0 - lambda) * reference_l1(x, y);
    if (lambda > 0.0) {
        loss += lambda * (1.0 - reference_ssim(x, y));
    }
    return loss;
}

double reference_loss_derivative(reference_image *x, const reference_image *y, double lambda,
                                 size_t index, double step) {
    double saved = x->values[index];
    x->values[index] = saved + step;
    double plus = reference_loss(x, y, lambda);
    x->values[index] = saved - step;
    double minus = reference_loss(x, y, lambda);
    x->values[index] = saved;
    return (plus - minus) / (2.0 * step);
}

double test_uniform(uint32_t *state) {
    uint32_t s = *state;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *state = s;
    return (double)(s >> 8) / 16777216.0;
}
