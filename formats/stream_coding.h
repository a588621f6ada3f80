/* Small coding tools the .dsv layers share: LEB128 varints, zigzag, and length-prefixed zstd
 * blocks whose declared size is checked against a caller's bound before anything is allocated. */
#ifndef DS_FORMATS_STREAM_CODING_H
#define DS_FORMATS_STREAM_CODING_H

#include "byte_buffer.h"

#include <stdint.h>

static inline uint32_t ds_zigzag(int32_t v) {
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

static inline int32_t ds_unzigzag(uint32_t u) {
    return (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
}

void ds_varint_append(ds_byte_buffer *out, uint32_t value);
/* False on a truncated or over-long (> 5 bytes, > 32 bits) varint. */
bool ds_varint_read(ds_byte_reader *reader, uint32_t *value);

/* Appends u32 compressed size + one zstd frame of `data`. */
ds_status ds_zstd_block_append(ds_byte_buffer *out, const void *data, size_t size, int level);
/* Reads a block of ds_zstd_block_append whose content must be at most `max_content` bytes; the
 * content is returned in a new buffer (free with free()). */
ds_status ds_zstd_block_read(ds_byte_reader *reader, size_t max_content, uint8_t **content,
                             size_t *content_size);

#endif
