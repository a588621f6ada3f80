/* The scale regularisers of DualGS's joint Gaussians (METHOD.md §2.2), which keep them round and
 * of similar size so that they make good anchors for the skin:
 *
 *   E_iso  = mean_i max(smax_i / (smin_i + 1e-8), 4) - 4        (axis ratio above 4)
 *   E_size = sum_i ReLU(smax_i - 5 s_mean) + ReLU(0.2 s_mean - smax_i)
 *
 * with smax / smin the largest / smallest activated scale of Gaussian i and s_mean the mean of
 * all activated scales (a constant for the gradient, as the reference detaches it). */
#ifndef DS_ENCODER_SCALE_REGULARIZERS_H
#define DS_ENCODER_SCALE_REGULARIZERS_H

#include "formats/gaussian_cloud.h"

typedef struct ds_scale_regularizer_terms {
    double isotropy; /* E_iso */
    double size;     /* E_size */
} ds_scale_regularizer_terms;

/* Evaluates both terms and adds iso_weight * dE_iso + size_weight * dE_size (with respect to
 * the log-scales) to `log_scale_gradient` (count x 3), when it is not NULL. */
ds_scale_regularizer_terms ds_scale_regularizers(const ds_gaussian_cloud *cloud, double iso_weight,
                                                 double size_weight, float *log_scale_gradient);

#endif
