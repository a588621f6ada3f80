/* Analysis of the opacity-and-scale layer (formats/dsv_appearance.h): each channel's range over
 * the segment, its quantisation to samples, and the row order of the maps — Gaussians sorted by
 * their mean values over the segment (METHOD.md §3.4), so that neighbouring rows are alike and
 * the picture codec sees smooth images. */
#ifndef DS_ENCODER_APPEARANCE_CODEC_H
#define DS_ENCODER_APPEARANCE_CODEC_H

#include "formats/dsv_appearance.h"

typedef enum ds_row_orders {
    DS_ROWS_GAUSSIAN,    /* maps in Gaussian order: no order stored */
    DS_ROWS_SHARED,      /* one order for all channels: by mean opacity, then mean scale */
    DS_ROWS_PER_CHANNEL, /* each channel sorted by its own mean: smoothest maps, 4 orders */
    DS_ROWS_SPATIAL,     /* the canonical skin's spatial order, which the decoder derives */
} ds_row_orders;

typedef struct ds_appearance_settings {
    int opacity_bits, scale_bits; /* sample depth of the maps */
    ds_row_orders rows;
} ds_appearance_settings;

/* opacity_logits[t]: n logits of frame t; log_scales[t]: n x 3; spatial_order: the canonical
 * skin's (formats/spatial_order.h). Creates `layer` and each channel's row order (NULL for
 * Gaussian order; channels may share one; spatial_order itself for DS_ROWS_SPATIAL): free them
 * with ds_appearance_row_orders_free. */
ds_status ds_appearance_analyse(const float *const *opacity_logits, const float *const *log_scales,
                                uint32_t frames, size_t n, const ds_appearance_settings *settings,
                                const uint32_t *spatial_order, ds_appearance_layer *layer,
                                uint32_t *row_orders[DS_APPEARANCE_CHANNELS]);
void ds_appearance_row_orders_free(uint32_t *row_orders[DS_APPEARANCE_CHANNELS],
                                   const uint32_t *spatial_order);

#endif
