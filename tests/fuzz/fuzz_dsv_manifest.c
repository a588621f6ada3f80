/* libFuzzer target for the renditions manifest (formats/dsv_manifest.h): a parse either fails
 * leaving nothing to free, or gives 1..16 renditions with names, URIs and positive rates sorted
 * lowest first, which save and parse back to the same. */
#include "formats/dsv_manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_dsv_manifest manifest;
    ds_status status = ds_dsv_manifest_parse((const char *)data, size, &manifest);
    if (ds_failed(&status)) {
        if (manifest.renditions || manifest.count) {
            abort(); /* a failed parse leaves nothing to free */
        }
        return 0;
    }
    if (manifest.count < 1 || manifest.count > DS_DSV_MANIFEST_MAX_RENDITIONS ||
        manifest.frames == 0 || manifest.segment_frames == 0 || !(manifest.fps > 0)) {
        abort();
    }
    for (size_t i = 0; i < manifest.count; i++) {
        const ds_dsv_rendition *r = &manifest.renditions[i];
        if (!r->name || !r->uri || !r->uri[0] || !(r->bits_per_second > 0) ||
            (i > 0 && r->bits_per_second < manifest.renditions[i - 1].bits_per_second)) {
            abort();
        }
    }
    /* What was accepted saves and reads back (rates are saved rounded). */
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_dsv_manifest_%d.json", (int)getpid());
    if (strlen(manifest.renditions[0].name) < 1000) {
        status = ds_dsv_manifest_save(path, &manifest);
        if (!ds_failed(&status)) {
            FILE *file = fopen(path, "rb");
            char text[DS_DSV_MANIFEST_MAX_BYTES * 2];
            size_t length = file ? fread(text, 1, sizeof text, file) : 0;
            if (file) {
                fclose(file);
            }
            ds_dsv_manifest again;
            status = length < sizeof text ? ds_dsv_manifest_parse(text, length, &again)
                                          : ds_error(DS_ERR_FORMAT, "too long");
            if (!ds_failed(&status)) {
                if (again.count != manifest.count || again.frames != manifest.frames) {
                    abort();
                }
                ds_dsv_manifest_free(&again);
            }
            remove(path);
        }
    }
    ds_dsv_manifest_free(&manifest);
    return 0;
}
