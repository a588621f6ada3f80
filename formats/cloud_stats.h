/* Summary statistics of a Gaussian cloud, for `dualsplat probe` and for framing a view. */
#ifndef DS_FORMATS_CLOUD_STATS_H
#define DS_FORMATS_CLOUD_STATS_H

#include "gaussian_cloud.h"

typedef struct ds_value_stats {
    double min, max, mean; /* over finite values; all zero when there are none */
    size_t non_finite;     /* NaN or infinite values, excluded from the above */
} ds_value_stats;

typedef struct ds_cloud_stats {
    ds_value_stats position[3];
    ds_value_stats log_scale[3];
    ds_value_stats opacity_logit;
    ds_value_stats opacity;     /* sigmoid of the logit */
    ds_value_stats rotation[4]; /* raw w, x, y, z */
    ds_value_stats rotation_norm;
    ds_value_stats sh_dc[3];
    ds_value_stats sh_rest; /* every higher-order coefficient together */
    /* Per axis, the range holding the central 99% of the centres: the extent of the object
     * without the far floaters that trained splats often have. */
    double core_min[3], core_max[3];
} ds_cloud_stats;

ds_status ds_cloud_stats_compute(const ds_gaussian_cloud *cloud, ds_cloud_stats *stats);

#endif
