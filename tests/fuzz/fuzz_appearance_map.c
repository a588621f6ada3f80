/* libFuzzer target for the opacity/scale map decoder. The first three bytes choose the map
 * size the caller expects (up to 2048 x 64, so one input cannot ask for much memory); the
 * rest is the payload. Whatever decodes must respect the payload's bit depth. */
#include "formats/appearance_map.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) {
        return 0;
    }
    size_t rows = (size_t)(data[0] | (data[1] & 0x07) << 8) + 1;
    size_t columns = (size_t)(data[2] & 0x3f) + 1;
    const uint8_t *payload = data + 3;
    size_t payload_size = size - 3;
    uint16_t *samples = malloc(rows * columns * sizeof *samples);
    if (!samples) {
        return 0;
    }
    ds_status status = ds_map_decode(payload, payload_size, rows, columns, samples);
    if (!ds_failed(&status)) {
        int bit_depth = payload[2]; /* checked by the decoder to be 8..16 */
        for (size_t i = 0; i < rows * columns; i++) {
            if (samples[i] >> bit_depth) {
                abort();
            }
        }
    }
    free(samples);
    return 0;
}
