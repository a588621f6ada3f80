/* libFuzzer target for the .spz reader (gzip versions 1-3 and the zstd version 4 container).
 * What decodes and fits SPZ's fixed point must encode and decode again. */
#include "formats/spz.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool positions_fit(const ds_gaussian_cloud *cloud) {
    for (size_t i = 0; i < cloud->count * 3; i++) {
        if (!(fabsf(cloud->positions[i]) < 1e6f)) {
            return false;
        }
    }
    return cloud->count > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_gaussian_cloud *cloud = NULL;
    ds_spz_info info;
    ds_status status = ds_spz_decode(data, size, &cloud, &info);
    if (ds_failed(&status)) {
        return 0;
    }
    if (cloud->count != info.count) {
        abort();
    }
    if (positions_fit(cloud)) {
        ds_byte_buffer written = {0};
        ds_spz_write_options options = {.version = info.version == 4 ? 4 : 3};
        status = ds_spz_encode(cloud, &options, &written);
        if (ds_failed(&status)) {
            abort(); /* a cloud we decoded, with positions that fit, must encode */
        }
        ds_gaussian_cloud *again = NULL;
        status = ds_spz_decode(written.data, written.size, &again, NULL);
        if (ds_failed(&status) || again->count != cloud->count) {
            abort(); /* we could not read what we wrote */
        }
        ds_gaussian_cloud_free(again);
        ds_byte_buffer_free(&written);
    }
    ds_gaussian_cloud_free(cloud);
    return 0;
}
