/* libFuzzer target for the transforms.json reader: the bytes are the file's text, parsed by the
 * function ds_capture_open uses. Cameras that parse and complete must be valid cameras. */
#include "formats/capture_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_capture_calibrations calibrations;
    ds_status status = ds_transforms_parse((const char *)data, size, &calibrations);
    if (ds_failed(&status)) {
        if (calibrations.items || calibrations.count) {
            abort(); /* a failed parse leaves nothing to free */
        }
        return 0;
    }
    if (calibrations.count == 0) {
        abort(); /* a capture without views is an error */
    }
    for (size_t i = 0; i < calibrations.count; i++) {
        ds_capture_calibration *calibration = &calibrations.items[i];
        if (!calibration->file_name || !calibration->file_name[0]) {
            abort();
        }
        /* As ds_capture_open does when the file leaves the size out: the image's size. */
        status = ds_capture_calibration_complete(calibration, 64, 48, "fuzz");
        if (!ds_failed(&status)) {
            status = ds_camera_validate(&calibration->camera);
            if (ds_failed(&status)) {
                abort(); /* completion accepted a camera that cannot form an image */
            }
        }
    }
    ds_capture_calibrations_free(&calibrations);
    return 0;
}
