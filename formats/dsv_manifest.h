/* A manifest of renditions of one stream (docs/dsv-format.md, "Renditions"): the same frames at
 * several qualities, in .dsv files that share their segment boundaries and init block, so a
 * player can take each segment from whichever suits its bandwidth. JSON:
 *
 *   {"dualsplat_renditions": 1, "frames": 90, "fps": 30, "segment_frames": 30,
 *    "renditions": [{"name": "low", "uri": "show-low.dsv", "bits_per_second": 1.2e6}, ...]}
 *
 * URIs are relative to the manifest (or absolute URLs). */
#ifndef DS_FORMATS_DSV_MANIFEST_H
#define DS_FORMATS_DSV_MANIFEST_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { DS_DSV_MANIFEST_MAX_RENDITIONS = 16, DS_DSV_MANIFEST_MAX_BYTES = 1 << 16 };

typedef struct ds_dsv_rendition {
    char *name, *uri;
    double bits_per_second;
} ds_dsv_rendition;

typedef struct ds_dsv_manifest {
    uint32_t frames, segment_frames;
    double fps;
    size_t count;
    ds_dsv_rendition *renditions; /* by bits per second, lowest first */
} ds_dsv_manifest;

/* Whether bytes at the start of a file look like a manifest (JSON naming itself one). */
bool ds_dsv_manifest_recognise(const uint8_t *start, size_t size);

ds_status ds_dsv_manifest_parse(const char *text, size_t length, ds_dsv_manifest *manifest);
ds_status ds_dsv_manifest_save(const char *path, const ds_dsv_manifest *manifest);
void ds_dsv_manifest_free(ds_dsv_manifest *manifest);

#endif
