/* Random-access bytes a stream is read from: a local file here, an HTTP server in the player
 * (player/), behind one interface so readers never care where the bytes come from. */
#ifndef DS_FORMATS_BYTE_SOURCE_H
#define DS_FORMATS_BYTE_SOURCE_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ds_byte_source {
    void *context;
    uint64_t size; /* total bytes available */
    /* Reads exactly `size` bytes at `offset` (within the source's size) or fails. */
    ds_status (*read)(void *context, uint64_t offset, size_t size, uint8_t *out);
    void (*close)(void *context);
    const char *name; /* for messages: the path or URL */
} ds_byte_source;

ds_status ds_file_source_open(const char *path, ds_byte_source *source);
/* Bytes already in memory (not copied: they must outlive the source). */
void ds_memory_source_open(const uint8_t *data, size_t size, ds_byte_source *source);
void ds_byte_source_close(ds_byte_source *source);

#endif
