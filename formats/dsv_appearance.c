#include "dsv_appearance.h"

#include "gaussian_cloud.h"
#include "stream_coding.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ORDER_ZSTD_LEVEL = 9, SPATIAL_ORDER = 255 };

ds_status ds_appearance_layer_create(uint32_t gaussians, uint32_t frames,
                                     ds_appearance_layer *layer) {
    memset(layer, 0, sizeof *layer);
    if (gaussians == 0 || frames == 0) {
        return ds_error(DS_ERR_ARGUMENT, "empty appearance layer");
    }
    layer->gaussians = gaussians;
    layer->frames = frames;
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        layer->bits[c] = 8;
        layer->samples[c] = malloc((size_t)gaussians * frames * sizeof(uint16_t));
        if (!layer->samples[c]) {
            ds_appearance_layer_free(layer);
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the appearance of %u Gaussians",
                            gaussians);
        }
    }
    return ds_ok();
}

void ds_appearance_layer_free(ds_appearance_layer *layer) {
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        free(layer->samples[c]);
        free(layer->values[c]);
    }
    memset(layer, 0, sizeof *layer);
}

/* The distinct orders among the channels', and each channel's number in that list (0 for
 * Gaussian order, r for the r-th distinct order). */
static int distinct_orders(const uint32_t *const row_orders[DS_APPEARANCE_CHANNELS],
                           const uint32_t *spatial_order,
                           const uint32_t *orders[DS_APPEARANCE_CHANNELS],
                           uint8_t choice[DS_APPEARANCE_CHANNELS]) {
    int count = 0;
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        choice[c] = 0;
        if (!row_orders[c]) {
            continue;
        }
        if (row_orders[c] == spatial_order) {
            choice[c] = SPATIAL_ORDER;
            continue;
        }
        for (int r = 0; r < count && !choice[c]; r++) {
            if (orders[r] == row_orders[c]) {
                choice[c] = (uint8_t)(r + 1);
            }
        }
        if (!choice[c]) {
            orders[count++] = row_orders[c];
            choice[c] = (uint8_t)count;
        }
    }
    return count;
}

ds_status ds_appearance_layer_encode(const ds_appearance_layer *layer,
                                     const uint32_t *const row_orders[DS_APPEARANCE_CHANNELS],
                                     const uint32_t *spatial_order,
                                     const ds_map_settings coding[DS_APPEARANCE_CHANNELS],
                                     ds_byte_buffer *out) {
    size_t n = layer->gaussians, frames = layer->frames;
    const uint32_t *orders[DS_APPEARANCE_CHANNELS];
    uint8_t choice[DS_APPEARANCE_CHANNELS];
    int order_count = distinct_orders(row_orders, spatial_order, orders, choice);
    ds_byte_buffer_append_u32le(out, layer->gaussians);
    ds_byte_buffer_append_u32le(out, layer->frames);
    for (int c = 0; c < DS_APPEARANCE_CHANNELS; c++) {
        ds_byte_buffer_append_u8(out, (uint8_t)layer->bits[c]);
        ds_byte_buffer_append_u8(out, choice[c]);
        ds_byte_buffer_append(out, "\0\0", 2);
        ds_byte_buffer_append_f32le(out, layer->lo[c]);
        ds_byte_buffer_append_f32le(out, layer->hi[c]);
    }
    ds_byte_buffer_append_u8(out, (uint8_t)order_count);
    ds_status status = ds_ok();
    for (int r = 0; r < order_count && !ds_failed(&status); r++) {
        ds_byte_buffer order = {0};
        for (size_t i = 0; i < n; i++) {
            ds_byte_buffer_append_u32le(&order, orders[r][i]);
        }
        status = ds_byte_buffer_status(&order);
        if (!ds_failed(&status)) {
            status = ds_zstd_block_append(out, order.data, order.size, ORDER_ZSTD_LEVEL);
        }
        ds_byte_buffer_free(&order);
    }
    uint16_t *map = ds_failed(&status) ? NULL : malloc(n * frames * sizeof *map);
    if (!ds_failed(&status) && !map) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate an appearance map");
    }
    for (int c = 0; c < DS_APPEARANCE_CHANNELS && !ds_failed(&status); c++) {
        const uint32_t *row_order = row_orders[c];
        for (size_t r = 0; r < n; r++) {
            size_t g = row_order ? row_order[r] : r;
            for (size_t t = 0; t < frames; t++) {
                map[r * frames + t] = layer->samples[c][t * n + g];
            }
        }
        ds_map_settings settings = coding[c];
        settings.bit_depth = layer->bits[c];
        size_t size_at = out->size;
        ds_byte_buffer_append_u32le(out, 0);
        status = ds_byte_buffer_status(out);
        if (!ds_failed(&status)) {
            status = ds_map_encode(map, n, frames, &settings, out);
        }
        if (!ds_failed(&status)) {
            ds_store_u32le(out->data + size_at, (uint32_t)(out->size - size_at - 4));
        }
    }
    free(map);
    return ds_failed(&status) ? status : ds_byte_buffer_status(out);
}

/* Reads one stored row order, checking it is a permutation. */
static ds_status read_row_order(ds_byte_reader *reader, size_t n, uint32_t **order) {
    uint8_t *content;
    size_t content_size;
    ds_status status = ds_zstd_block_read(reader, n * 4, &content, &content_size);
    if (ds_failed(&status)) {
        return status;
    }
    uint32_t *rows = malloc(n * sizeof *rows);
    bool *seen = calloc(n, sizeof *seen);
    if (!rows || !seen) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate a row order");
    } else if (content_size != n * 4) {
        status = ds_error(DS_ERR_FORMAT, "appearance layer's row order has the wrong size");
    }
    for (size_t r = 0; r < n && !ds_failed(&status); r++) {
        rows[r] = ds_load_u32le(content + r * 4);
        if (rows[r] >= n || seen[rows[r]]) {
            status = ds_error(DS_ERR_FORMAT, "appearance layer's row order is not a permutation");
        } else {
            seen[rows[r]] = true;
        }
    }
    free(content);
    free(seen);
    if (ds_failed(&status)) {
        free(rows);
        return status;
    }
    *order = rows;
    return ds_ok();
}

/* The 2^bits values channel c's samples stand for, in the cloud's domain. */
static ds_status value_table(ds_appearance_layer *layer, int c) {
    size_t entries = (size_t)1 << layer->bits[c];
    layer->values[c] = malloc(entries * sizeof(float));
    if (!layer->values[c]) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a value table");
    }
    for (size_t s = 0; s < entries; s++) {
        float value = ds_appearance_value(layer, c, (uint32_t)s);
        layer->values[c][s] = c == 0 ? ds_logit(value) : value;
    }
    return ds_ok();
}

ds_status ds_appearance_layer_decode(const uint8_t *data, size_t size, uint32_t gaussians,
                                     uint32_t frames, const uint32_t *spatial_order,
                                     ds_appearance_layer *layer) {
    memset(layer, 0, sizeof *layer);
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    uint32_t stored_gaussians, stored_frames;
    if (!ds_byte_reader_u32le(&reader, &stored_gaussians) ||
        !ds_byte_reader_u32le(&reader, &stored_frames)) {
        return ds_error(DS_ERR_FORMAT, "appearance layer is truncated");
    }
    if (stored_gaussians != gaussians || stored_frames != frames) {
        return ds_error(DS_ERR_FORMAT,
                        "appearance layer holds %u Gaussians x %u frames, not %u x %u",
                        stored_gaussians, stored_frames, gaussians, frames);
    }
    ds_status status = ds_appearance_layer_create(gaussians, frames, layer);
    if (ds_failed(&status)) {
        return status;
    }
    ds_status allocation = ds_ok();
    uint8_t choice[DS_APPEARANCE_CHANNELS] = {0};
    for (int c = 0; c < DS_APPEARANCE_CHANNELS && !ds_failed(&status); c++) {
        uint8_t bits;
        if (!ds_byte_reader_u8(&reader, &bits) || !ds_byte_reader_u8(&reader, &choice[c]) ||
            !ds_byte_reader_skip(&reader, 2) || !ds_byte_reader_f32le(&reader, &layer->lo[c]) ||
            !ds_byte_reader_f32le(&reader, &layer->hi[c])) {
            status = ds_error(DS_ERR_FORMAT, "appearance layer is truncated");
        } else if (bits < 1 || bits > 16 || !isfinite(layer->lo[c]) || !isfinite(layer->hi[c])) {
            status = ds_error(DS_ERR_FORMAT, "appearance channel %d has an invalid range", c);
        }
        layer->bits[c] = bits;
        if (!ds_failed(&status)) {
            allocation = value_table(layer, c);
            status = ds_failed(&allocation) ? allocation : status;
        }
    }
    size_t n = gaussians;
    uint8_t order_count = 0;
    uint32_t *orders[DS_APPEARANCE_CHANNELS] = {0};
    if (!ds_failed(&status) &&
        (!ds_byte_reader_u8(&reader, &order_count) || order_count > DS_APPEARANCE_CHANNELS)) {
        status = ds_error(DS_ERR_FORMAT, "appearance layer has an invalid row order count");
    }
    for (int c = 0; c < DS_APPEARANCE_CHANNELS && !ds_failed(&status); c++) {
        if (choice[c] == SPATIAL_ORDER ? !spatial_order : choice[c] > order_count) {
            status = ds_error(DS_ERR_FORMAT, "appearance channel %d names a missing row order", c);
        }
    }
    for (int r = 0; r < order_count && !ds_failed(&status); r++) {
        status = read_row_order(&reader, n, &orders[r]);
    }
    uint16_t *map = ds_failed(&status) ? NULL : malloc(n * frames * sizeof *map);
    if (!ds_failed(&status) && !map) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate an appearance map");
    }
    for (int c = 0; c < DS_APPEARANCE_CHANNELS && !ds_failed(&status); c++) {
        uint32_t map_size;
        const uint8_t *bytes;
        if (!ds_byte_reader_u32le(&reader, &map_size) ||
            !ds_byte_reader_bytes(&reader, map_size, &bytes)) {
            status = ds_error(DS_ERR_FORMAT, "appearance map %d is truncated", c);
            break;
        }
        status = ds_map_decode(bytes, map_size, n, frames, map);
        const uint32_t *order = choice[c] == SPATIAL_ORDER ? spatial_order
                                : choice[c]                ? orders[choice[c] - 1]
                                                           : NULL;
        uint16_t top = (uint16_t)((1u << layer->bits[c]) - 1u);
        /* Rows to frame-major in blocks of rows, so the writes of a frame stay together. */
        enum { BLOCK = 256 };
        for (size_t first = 0; first < n && !ds_failed(&status); first += BLOCK) {
            size_t end = first + BLOCK < n ? first + BLOCK : n;
            for (size_t t = 0; t < frames; t++) {
                uint16_t *out = layer->samples[c] + t * n;
                for (size_t r = first; r < end; r++) {
                    uint16_t sample = map[r * frames + t];
                    out[order ? order[r] : r] = sample > top ? top : sample;
                }
            }
        }
    }
    if (!ds_failed(&status) && ds_byte_reader_remaining(&reader) != 0) {
        status = ds_error(DS_ERR_FORMAT, "appearance layer has trailing bytes");
    }
    free(map);
    for (int r = 0; r < DS_APPEARANCE_CHANNELS; r++) {
        free(orders[r]);
    }
    if (ds_failed(&status)) {
        ds_appearance_layer_free(layer);
    }
    return status;
}

void ds_appearance_layer_frame(const ds_appearance_layer *layer, uint32_t t, float *opacity_logits,
                               float *log_scales) {
    size_t n = layer->gaussians;
    const uint16_t *opacity = layer->samples[0] + (size_t)t * n;
    const float *logits = layer->values[0];
    for (size_t i = 0; i < n; i++) {
        opacity_logits[i] = logits[opacity[i]];
    }
    for (int axis = 0; axis < 3; axis++) {
        const uint16_t *scale = layer->samples[1 + axis] + (size_t)t * n;
        const float *values = layer->values[1 + axis];
        for (size_t i = 0; i < n; i++) {
            log_scales[i * 3 + (size_t)axis] = values[scale[i]];
        }
    }
}
