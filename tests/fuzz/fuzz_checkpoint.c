/* libFuzzer target for fit checkpoints. The checksum is made to match first, as a stale or
 * damaged file would otherwise stop at the checksum and never reach the parser. */
#include "encoder/fit_checkpoint.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) {
        return 0;
    }
    uint8_t *copy = malloc(size);
    if (!copy) {
        return 0;
    }
    memcpy(copy, data, size);
    uint32_t crc = (uint32_t)crc32_z(0, copy, size - 4);
    for (int i = 0; i < 4; i++) {
        copy[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    }
    ds_fit_checkpoint checkpoint;
    ds_status status = ds_fit_checkpoint_decode(copy, size, &checkpoint);
    if (!ds_failed(&status)) {
        ds_fit_checkpoint_free(&checkpoint);
    }
    free(copy);
    return 0;
}
