/* libFuzzer target for the .ply reader. What decodes must also survive a write and read back
 * bit for bit. */
#include "formats/ply.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require_identical(const ds_gaussian_cloud *a, const ds_gaussian_cloud *b) {
    size_t n = a->count;
    if (b->count != n || b->sh_degree != a->sh_degree ||
        memcmp(a->positions, b->positions, n * 3 * sizeof(float)) != 0 ||
        memcmp(a->rotations, b->rotations, n * 4 * sizeof(float)) != 0 ||
        memcmp(a->log_scales, b->log_scales, n * 3 * sizeof(float)) != 0 ||
        memcmp(a->opacity_logits, b->opacity_logits, n * sizeof(float)) != 0 ||
        memcmp(a->sh, b->sh, n * ds_gaussian_cloud_sh_stride(a) * sizeof(float)) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_ply_decode(data, size, &cloud);
    if (ds_failed(&status)) {
        return 0;
    }
    ds_byte_buffer written = {0};
    status = ds_ply_encode(cloud, DS_PLY_BINARY_LITTLE_ENDIAN, &written);
    if (!ds_failed(&status)) {
        ds_gaussian_cloud *again = NULL;
        status = ds_ply_decode(written.data, written.size, &again);
        if (ds_failed(&status)) {
            abort(); /* we could not read what we wrote */
        }
        require_identical(cloud, again);
        ds_gaussian_cloud_free(again);
    }
    ds_byte_buffer_free(&written);
    ds_gaussian_cloud_free(cloud);
    return 0;
}
