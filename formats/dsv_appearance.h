/* The opacity-and-scale layer of a .dsv segment (OPSC, docs/dsv-format.md): four channels
 * (opacity, and the three log-scales) of every skin Gaussian at every frame, quantised to
 * samples and coded as tall maps (rows = Gaussians in a row order that makes neighbouring rows
 * alike, columns = frames) through formats/appearance_map.h. */
#ifndef DS_FORMATS_DSV_APPEARANCE_H
#define DS_FORMATS_DSV_APPEARANCE_H

#include "appearance_map.h"
#include "byte_buffer.h"

#include <stdint.h>

enum { DS_APPEARANCE_CHANNELS = 4 }; /* opacity, log-scale x, y, z */

typedef struct ds_appearance_layer {
    uint32_t gaussians, frames;
    int bits[DS_APPEARANCE_CHANNELS];
    float lo[DS_APPEARANCE_CHANNELS], hi[DS_APPEARANCE_CHANNELS];
    /* frames x gaussians per channel, frame-major, in Gaussian order */
    uint16_t *samples[DS_APPEARANCE_CHANNELS];
    /* Decoded layers: each channel's 2^bits sample values in the cloud's domain (opacity
     * logits, log-scales), so a frame is table look-ups. */
    float *values[DS_APPEARANCE_CHANNELS];
} ds_appearance_layer;

/* Allocates the samples, contents unset. */
ds_status ds_appearance_layer_create(uint32_t gaussians, uint32_t frames,
                                     ds_appearance_layer *layer);
void ds_appearance_layer_free(ds_appearance_layer *layer);

/* Writes the layer with channel c's map rows in row_orders[c] (gaussians entries, a
 * permutation; NULL keeps Gaussian order; channels may share one order, which is then stored
 * once; `spatial_order` itself, formats/spatial_order.h of the decoded canonical skin, is not
 * stored: the decoder derives it), each channel coded with its settings. */
ds_status ds_appearance_layer_encode(const ds_appearance_layer *layer,
                                     const uint32_t *const row_orders[DS_APPEARANCE_CHANNELS],
                                     const uint32_t *spatial_order,
                                     const ds_map_settings coding[DS_APPEARANCE_CHANNELS],
                                     ds_byte_buffer *out);
ds_status ds_appearance_layer_decode(const uint8_t *data, size_t size, uint32_t gaussians,
                                     uint32_t frames, const uint32_t *spatial_order,
                                     ds_appearance_layer *layer);

/* The value a sample stands for in channel c: an opacity (0..1) or a log-scale. */
static inline float ds_appearance_value(const ds_appearance_layer *layer, int c, uint32_t sample) {
    uint32_t top = (1u << layer->bits[c]) - 1u;
    return layer->lo[c] + (float)sample / (float)top * (layer->hi[c] - layer->lo[c]);
}

/* Local frame t's opacity logits (gaussians) and log-scales (gaussians x 3), of a decoded layer. */
void ds_appearance_layer_frame(const ds_appearance_layer *layer, uint32_t t, float *opacity_logits,
                               float *log_scales);

#endif
