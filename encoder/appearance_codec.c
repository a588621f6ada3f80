#include "appearance_codec.h"

#include "formats/gaussian_cloud.h"

#include <math.h>
#include <stdlib.h>

static float channel_value(const float *const *opacity_logits, const float *const *log_scales,
                           int c, uint32_t t, size_t i) {
    return c == 0 ? ds_sigmoid(opacity_logits[t][i]) : log_scales[t][i * 3 + (size_t)(c - 1)];
}

typedef struct row_key {
    uint32_t primary, secondary, gaussian;
} row_key;

static int compare_keys(const void *a, const void *b) {
    const row_key *x = a, *y = b;
    if (x->primary != y->primary) {
        return x->primary < y->primary ? -1 : 1;
    }
    if (x->secondary != y->secondary) {
        return x->secondary < y->secondary ? -1 : 1;
    }
    return x->gaussian < y->gaussian ? -1 : (x->gaussian > y->gaussian);
}

/* Rows sorted by the mean sample of `primary` over the segment, then by the mean of the
 * channels in `secondary` (a bit mask). */
static ds_status sort_rows(const ds_appearance_layer *layer, int primary, unsigned secondary,
                           uint32_t **row_order) {
    size_t n = layer->gaussians, frames = layer->frames;
    row_key *keys = malloc(n * sizeof *keys);
    uint32_t *order = malloc(n * sizeof *order);
    if (!keys || !order) {
        free(keys);
        free(order);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a row order");
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t first = 0, second = 0, count = 0;
        for (size_t t = 0; t < frames; t++) {
            first += layer->samples[primary][t * n + i];
            for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
                if (secondary & (1u << c)) {
                    second += layer->samples[c][t * n + i];
                    count++;
                }
            }
        }
        keys[i].primary = (uint32_t)((first + frames / 2) / frames);
        keys[i].secondary = count ? (uint32_t)((second + count / 2) / count) : 0;
        keys[i].gaussian = (uint32_t)i;
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    for (size_t r = 0; r < n; r++) {
        order[r] = keys[r].gaussian;
    }
    free(keys);
    *row_order = order;
    return ds_ok();
}

void ds_appearance_row_orders_free(uint32_t *row_orders[DS_APPEARANCE_CHANNELS],
                                   const uint32_t *spatial_order) {
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        bool shared = row_orders[c] == spatial_order;
        for (int before = 0; before < c; before++) {
            shared |= row_orders[before] == row_orders[c];
        }
        if (!shared) {
            free(row_orders[c]);
        }
    }
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        row_orders[c] = NULL;
    }
}

ds_status ds_appearance_analyse(const float *const *opacity_logits, const float *const *log_scales,
                                uint32_t frames, size_t n, const ds_appearance_settings *s,
                                const uint32_t *spatial_order, ds_appearance_layer *layer,
                                uint32_t *row_orders[DS_APPEARANCE_CHANNELS]) {
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        row_orders[c] = NULL;
    }
    if (n > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT, "too many Gaussians for one segment");
    }
    ds_status status = ds_appearance_layer_create((uint32_t)n, frames, layer);
    if (ds_failed(&status)) {
        return status;
    }
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        layer->bits[c] = c == 0 ? s->opacity_bits : s->scale_bits;
        float lo = INFINITY, hi = -INFINITY;
        for (uint32_t t = 0; t < frames; t++) {
            for (size_t i = 0; i < n; i++) {
                float v = channel_value(opacity_logits, log_scales, c, t, i);
                if (isfinite(v)) {
                    lo = fminf(lo, v);
                    hi = fmaxf(hi, v);
                }
            }
        }
        if (!(lo <= hi)) {
            lo = hi = 0.0f;
        }
        layer->lo[c] = lo;
        layer->hi[c] = hi;
        double top = (double)((1u << layer->bits[c]) - 1u), range = (double)hi - lo;
        for (uint32_t t = 0; t < frames; t++) {
            uint16_t *samples = layer->samples[c] + (size_t)t * n;
            for (size_t i = 0; i < n; i++) {
                float v = channel_value(opacity_logits, log_scales, c, t, i);
                double unit = range > 0 && isfinite(v) ? ((double)v - lo) / range : 0.0;
                long q = lround(unit * top);
                samples[i] = (uint16_t)(q < 0 ? 0 : (q > (long)top ? (long)top : q));
            }
        }
    }
    if (s->rows == DS_ROWS_SHARED) {
        status = sort_rows(layer, 0, 0xe, &row_orders[0]);
        for (int c = 1; c < DS_APPEARANCE_CHANNELS; c++) {
            row_orders[c] = row_orders[0];
        }
    } else if (s->rows == DS_ROWS_SPATIAL) {
        for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
            row_orders[c] = (uint32_t *)spatial_order;
        }
    } else if (s->rows == DS_ROWS_PER_CHANNEL) {
        for (int c = 0; c < DS_APPEARANCE_CHANNELS && !ds_failed(&status); c++) {
            status = sort_rows(layer, c, 0, &row_orders[c]);
        }
    }
    if (ds_failed(&status)) {
        ds_appearance_row_orders_free(row_orders, spatial_order);
        ds_appearance_layer_free(layer);
    }
    return status;
}
