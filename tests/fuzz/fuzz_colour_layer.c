/* libFuzzer target for the .dsv colour layer decoder. The expected count, degree and frames
 * are taken from the input's own header (so the fuzzer reaches the body); what decodes must
 * replay, expand and encode to a payload that decodes to the same indices. */
#include "formats/dsv_colour.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps the fuzzer's memory small: real segments are far larger, but nothing new happens. */
enum { MAX_FUZZ_GAUSSIANS = 1 << 12, MAX_FUZZ_FRAMES = 64 };

static void replay_and_reencode(const ds_colour_layer *layer) {
    uint32_t *seek[4] = {0}, *play[4] = {0};
    size_t stride = (size_t)3 * (size_t)((layer->sh_degree + 1) * (layer->sh_degree + 1));
    float *sh = malloc(sizeof(float) * layer->count * stride);
    for (int d = 0; d <= layer->sh_degree; d++) {
        seek[d] = malloc(sizeof(uint32_t) * layer->count);
        play[d] = malloc(sizeof(uint32_t) * layer->count);
        if (!seek[d] || !play[d]) {
            abort();
        }
    }
    ds_status status = ds_colour_layer_indices_at(layer, 0, play);
    if (!sh || ds_failed(&status)) {
        abort();
    }
    for (uint32_t f = 0; f < layer->frames; f++) {
        ds_colour_layer_apply_changes(layer, f, play);
        status = ds_colour_layer_indices_at(layer, f, seek);
        if (ds_failed(&status)) {
            abort();
        }
        for (int d = 0; d <= layer->sh_degree; d++) {
            if (memcmp(seek[d], play[d], sizeof(uint32_t) * layer->count) != 0) {
                abort(); /* seeking and playback disagree */
            }
        }
        ds_colour_layer_expand(layer, seek, sh);
    }
    ds_byte_buffer written = {0};
    status = ds_colour_layer_encode(layer, &written);
    if (ds_failed(&status)) {
        abort(); /* a decoded layer is valid, so it must encode */
    }
    ds_colour_layer again;
    status = ds_colour_layer_decode(written.data, written.size, layer->count, layer->sh_degree,
                                    layer->frames, &again);
    if (ds_failed(&status)) {
        abort(); /* we could not read what we wrote */
    }
    for (int d = 0; d <= layer->sh_degree; d++) {
        if (memcmp(again.initial[d], layer->initial[d], sizeof(uint32_t) * layer->count) != 0) {
            abort();
        }
    }
    ds_colour_layer_free(&again);
    ds_byte_buffer_free(&written);
    for (int d = 0; d < 4; d++) {
        free(seek[d]);
        free(play[d]);
    }
    free(sh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 10) {
        return 0;
    }
    int sh_degree = data[1];
    uint32_t count = ds_load_u32le(data + 2);
    uint32_t frames = ds_load_u32le(data + 6);
    if (count > MAX_FUZZ_GAUSSIANS || frames > MAX_FUZZ_FRAMES) {
        return 0;
    }
    ds_colour_layer layer;
    ds_status status = ds_colour_layer_decode(data, size, count, sh_degree, frames, &layer);
    if (ds_failed(&status)) {
        return 0;
    }
    replay_and_reencode(&layer);
    ds_colour_layer_free(&layer);
    return 0;
}
