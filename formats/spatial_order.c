#include "spatial_order.h"

#include <math.h>
#include <stdlib.h>

/* Spreads the low 10 bits of v to every third bit. */
static uint32_t spread_bits(uint32_t v) {
    v &= 0x3ff;
    v = (v | v << 16) & 0x030000ff;
    v = (v | v << 8) & 0x0300f00f;
    v = (v | v << 4) & 0x030c30c3;
    v = (v | v << 2) & 0x09249249;
    return v;
}

static int compare_keys(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y);
}

ds_status ds_spatial_order(const float *positions, size_t count, uint32_t *order) {
    if (count > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT, "too many points to order");
    }
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < count; i++) {
        for (int a = 0; a < 3; a++) {
            float v = positions[i * 3 + (size_t)a];
            if (isfinite(v)) {
                lo[a] = fminf(lo[a], v);
                hi[a] = fmaxf(hi[a], v);
            }
        }
    }
    /* Morton code in the high 32 bits, index in the low: one sort gives ties by index. */
    uint64_t *keys = malloc((count ? count : 1) * sizeof *keys);
    if (!keys) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a spatial order");
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t code = 0;
        for (int a = 0; a < 3; a++) {
            float v = positions[i * 3 + (size_t)a], range = hi[a] - lo[a];
            float unit = range > 0 && isfinite(v) ? (v - lo[a]) / range : 0.0f;
            uint32_t cell = (uint32_t)fminf(fmaxf(unit * 1023.0f + 0.5f, 0.0f), 1023.0f);
            code |= spread_bits(cell) << a;
        }
        keys[i] = (uint64_t)code << 32 | (uint64_t)i;
    }
    qsort(keys, count, sizeof *keys, compare_keys);
    for (size_t r = 0; r < count; r++) {
        order[r] = (uint32_t)keys[r];
    }
    free(keys);
    return ds_ok();
}
