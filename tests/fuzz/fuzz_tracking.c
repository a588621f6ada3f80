/* libFuzzer target for the tracking files (binding and frame). Checksums are made to match
 * first, so the parsers behind them are reached. */
#include "formats/dualgs_files.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) {
        return 0;
    }
    /* The first byte picks the parser. */
    bool binding = data[0] & 1;
    data++;
    size--;
    uint8_t *copy = malloc(size);
    if (!copy) {
        return 0;
    }
    memcpy(copy, data, size);
    uint32_t crc = (uint32_t)crc32_z(0, copy, size - 4);
    for (int i = 0; i < 4; i++) {
        copy[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    }
    if (binding) {
        ds_binding b;
        ds_status status = ds_binding_decode(copy, size, &b);
        if (!ds_failed(&status)) {
            ds_binding_free(&b);
        }
    } else {
        uint32_t frame;
        ds_joint_transforms transforms;
        ds_gaussian_cloud *skin;
        ds_status status = ds_frame_decode(copy, size, &frame, &transforms, &skin);
        if (!ds_failed(&status)) {
            ds_joint_transforms_free(&transforms);
            ds_gaussian_cloud_free(skin);
        }
    }
    free(copy);
    return 0;
}
