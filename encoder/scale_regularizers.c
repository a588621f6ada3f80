#include "scale_regularizers.h"
#include "render/parallel.h"

#include <math.h>

enum { ISOTROPY_RATIO = 4 };
#define SIZE_UPPER 5.0
#define SIZE_LOWER 0.2

ds_scale_regularizer_terms ds_scale_regularizers(const ds_gaussian_cloud *cloud, double iso_weight,
                                                 double size_weight, float *log_scale_gradient) {
    ds_scale_regularizer_terms terms = {0, 0};
    size_t n = cloud->count;
    if (n == 0) {
        return terms;
    }
    double scale_sum = 0;
#pragma omp parallel for reduction(+ : scale_sum) schedule(static) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n * 3; i++) {
        scale_sum += exp(cloud->log_scales[i]);
    }
    double mean_scale = scale_sum / (double)(n * 3);
    double isotropy = 0, size = 0;
#pragma omp parallel for reduction(+ : isotropy, size) schedule(static) if (DS_PARALLEL(n))
    for (size_t i = 0; i < n; i++) {
        const float *log_scale = cloud->log_scales + i * 3;
        double s[3];
        int largest = 0, smallest = 0;
        for (int k = 0; k < 3; k++) {
            s[k] = exp(log_scale[k]);
        }
        for (int k = 1; k < 3; k++) {
            largest = s[k] > s[largest] ? k : largest;
            smallest = s[k] < s[smallest] ? k : smallest;
        }
        double ratio = s[largest] / (s[smallest] + 1e-8);
        double d_largest = 0, d_smallest = 0; /* dE/ds, weighted */
        if (ratio > ISOTROPY_RATIO) {
            isotropy += ratio - ISOTROPY_RATIO;
            d_largest += iso_weight / (double)n / (s[smallest] + 1e-8);
            d_smallest -=
                iso_weight / (double)n * s[largest] / ((s[smallest] + 1e-8) * (s[smallest] + 1e-8));
        }
        if (s[largest] > SIZE_UPPER * mean_scale) {
            size += s[largest] - SIZE_UPPER * mean_scale;
            d_largest += size_weight;
        } else if (s[largest] < SIZE_LOWER * mean_scale) {
            size += SIZE_LOWER * mean_scale - s[largest];
            d_largest -= size_weight;
        }
        if (log_scale_gradient) {
            /* d/d(log s) = s d/ds; with one axis both largest and smallest (a sphere), the
             * ratio is 1 and only the size term remains. */
            log_scale_gradient[i * 3 + (size_t)largest] += (float)(d_largest * s[largest]);
            log_scale_gradient[i * 3 + (size_t)smallest] += (float)(d_smallest * s[smallest]);
        }
    }
    terms.isotropy = isotropy / (double)n;
    terms.size = size;
    return terms;
}
