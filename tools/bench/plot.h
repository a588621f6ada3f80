/* A small line chart drawn into an image, for benchmark reports: two series over frames, one
 * against the left axis and one against the right, with tick labels in a 5x7 bitmap font. */
#ifndef DS_TOOLS_PLOT_H
#define DS_TOOLS_PLOT_H

#include "formats/image.h"

typedef struct plot_series {
    const char *label; /* drawn in the series' colour above the chart */
    const double *x, *y;
    int count;
    float colour[3];
    double low, high; /* the axis range */
} plot_series;

/* Draws `left` against the left axis and `right` (may be NULL) against the right. */
ds_status plot_draw(const plot_series *left, const plot_series *right, int width, int height,
                    ds_image *image);

#endif
