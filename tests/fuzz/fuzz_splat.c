/* libFuzzer target for the .splat reader, and for format detection across all readers. */
#include "formats/splat.h"
#include "formats/splat_file.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_gaussian_cloud *cloud = NULL;
    ds_status status = ds_splat_decode(data, size, &cloud);
    if (!ds_failed(&status)) {
        if (cloud->count != size / DS_SPLAT_RECORD_BYTES) {
            abort();
        }
        ds_byte_buffer written = {0};
        status = ds_splat_encode(cloud, &written);
        if (ds_failed(&status) || written.size != cloud->count * DS_SPLAT_RECORD_BYTES) {
            abort();
        }
        ds_byte_buffer_free(&written);
        ds_gaussian_cloud_free(cloud);
    }
    /* The dispatcher sniffs content first: any input may reach any reader. */
    ds_splat_file_info info;
    status = ds_splat_file_decode(data, size, DS_SPLAT_FORMAT_SPLAT, &cloud, &info);
    ds_gaussian_cloud_free(cloud);
    return 0;
}
