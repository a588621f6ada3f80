/* Adaptive streaming over renditions (formats/dsv_manifest.h): the same stream at several
 * qualities with the same segments and init block. Each segment is read from the rendition the
 * measured throughput affords, so quality changes only at segment boundaries, without a
 * glitch: the canonical skin and the frames' layout are the same in all. */
#ifndef DS_PLAYER_RENDITIONS_H
#define DS_PLAYER_RENDITIONS_H

#include "http_source.h"

#include "formats/dsv_manifest.h"
#include "formats/dsv_reader.h"

typedef struct ds_renditions ds_renditions;

/* Whether a path or URL names a renditions manifest: a URL ending in .json, or a local .json file
 * that names itself one. */
bool ds_renditions_path(const char *path);

/* Opens the manifest and every rendition it lists (URIs relative to it), checking they agree.
 * `pinned` names the rendition to use throughout (NULL: adapt). */
ds_status ds_renditions_open(const char *path, const ds_http_options *http, const char *pinned,
                             ds_renditions **renditions);
void ds_renditions_free(ds_renditions *renditions);

size_t ds_renditions_count(const ds_renditions *renditions);
const char *ds_renditions_name(const ds_renditions *renditions, size_t index);
/* Rendition `index`'s stream (0, the lowest, holds the canonical skin all share). */
ds_dsv *ds_renditions_stream(ds_renditions *renditions, size_t index);

/* Reads and decodes segment s from the rendition the throughput affords now, and measures the
 * throughput from it. `used` (may be NULL) receives the rendition read. Thread-safe. */
ds_status ds_renditions_read_segment(ds_renditions *renditions, uint32_t s, ds_dsv_segment *segment,
                                     size_t *used);

typedef struct ds_renditions_stats {
    size_t current;        /* the rendition the next segment comes from */
    uint64_t switches;     /* changes of rendition between consecutive segment reads */
    double throughput_bps; /* measured, bits per second (0 before the first, or local) */
    uint64_t segments[DS_DSV_MANIFEST_MAX_RENDITIONS]; /* segments read from each */
} ds_renditions_stats;
ds_renditions_stats ds_renditions_stats_get(ds_renditions *renditions);

/* Makes downloads in progress fail at once (closing). */
void ds_renditions_interrupt(ds_renditions *renditions);

/* The rendition to read next: the best whose rate fits in a share of the throughput, stepping
 * up one rendition at a time and only with room to spare, down at once. Pure, for tests. */
size_t ds_renditions_choose(const ds_dsv_rendition *renditions, size_t count, double throughput_bps,
                            size_t current);

#endif
