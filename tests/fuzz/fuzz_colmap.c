/* libFuzzer target for the COLMAP sparse model readers (cameras and images, binary and text).
 *
 * Input: one mode byte (even: .bin, odd: .txt), the length of the cameras file as two bytes
 * (little-endian), the cameras file, then the images file. */
#include "formats/capture_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) {
        return 0;
    }
    bool text = data[0] & 1;
    size_t cameras_size = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (cameras_size > size) {
        cameras_size = size;
    }
    ds_colmap_cameras cameras;
    ds_status status = text
                           ? ds_colmap_parse_cameras_txt((const char *)data, cameras_size, &cameras)
                           : ds_colmap_parse_cameras_bin(data, cameras_size, &cameras);
    if (ds_failed(&status)) {
        if (cameras.items || cameras.count) {
            abort(); /* a failed parse leaves nothing to free */
        }
        return 0;
    }
    for (size_t i = 1; i < cameras.count; i++) {
        if (cameras.items[i - 1].id >= cameras.items[i].id) {
            abort(); /* cameras are sorted by id, each once */
        }
    }
    const uint8_t *images = data + cameras_size;
    size_t images_size = size - cameras_size;
    ds_capture_calibrations calibrations;
    status = text ? ds_colmap_parse_images_txt((const char *)images, images_size, &cameras,
                                               &calibrations)
                  : ds_colmap_parse_images_bin(images, images_size, &cameras, &calibrations);
    if (!ds_failed(&status)) {
        if (calibrations.count == 0) {
            abort();
        }
        for (size_t i = 0; i < calibrations.count; i++) {
            ds_capture_calibration *calibration = &calibrations.items[i];
            if (!calibration->file_name || calibration->file_name[0] == '/') {
                abort(); /* names stay inside the images folder */
            }
            status = ds_capture_calibration_complete(calibration, 64, 48, "fuzz");
            if (!ds_failed(&status)) {
                status = ds_camera_validate(&calibration->camera);
                if (ds_failed(&status)) {
                    abort(); /* completion accepted a camera that cannot form an image */
                }
            }
        }
        ds_capture_calibrations_free(&calibrations);
    } else if (calibrations.items || calibrations.count) {
        abort();
    }
    ds_colmap_cameras_free(&cameras);
    return 0;
}
