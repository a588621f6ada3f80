#include "stream_coding.h"

#include <stdlib.h>
#include <zstd.h>

void ds_varint_append(ds_byte_buffer *out, uint32_t value) {
    while (value >= 0x80) {
        ds_byte_buffer_append_u8(out, (uint8_t)(value | 0x80));
        value >>= 7;
    }
    ds_byte_buffer_append_u8(out, (uint8_t)value);
}

bool ds_varint_read(ds_byte_reader *reader, uint32_t *value) {
    uint32_t result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        uint8_t byte;
        if (!ds_byte_reader_u8(reader, &byte)) {
            return false;
        }
        if (shift == 28 && byte > 0x0f) {
            return false; /* bits beyond 32 */
        }
        result |= (uint32_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *value = result;
            return true;
        }
    }
    return false;
}

ds_status ds_zstd_block_append(ds_byte_buffer *out, const void *data, size_t size, int level) {
    size_t bound = ZSTD_compressBound(size);
    if (bound > UINT32_MAX || !ds_byte_buffer_reserve(out, 4 + bound)) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot compress %zu bytes", size);
    }
    size_t written = ZSTD_compress(out->data + out->size + 4, bound, data, size, level);
    if (ZSTD_isError(written)) {
        return ds_error(DS_ERR_NO_MEMORY, "zstd: %s", ZSTD_getErrorName(written));
    }
    ds_store_u32le(out->data + out->size, (uint32_t)written);
    out->size += 4 + written;
    return ds_ok();
}

ds_status ds_zstd_block_read(ds_byte_reader *reader, size_t max_content, uint8_t **content,
                             size_t *content_size) {
    uint32_t size;
    const uint8_t *bytes;
    if (!ds_byte_reader_u32le(reader, &size) || !ds_byte_reader_bytes(reader, size, &bytes)) {
        return ds_error(DS_ERR_FORMAT, "compressed block runs past its layer");
    }
    unsigned long long declared = ZSTD_getFrameContentSize(bytes, size);
    if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN ||
        declared > max_content) {
        return ds_error(DS_ERR_FORMAT, "compressed block has an invalid size");
    }
    /* One spare byte so an empty block still gets a pointer. */
    uint8_t *buffer = malloc((size_t)declared + 1);
    if (!buffer) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %llu bytes", declared);
    }
    size_t got = ZSTD_decompress(buffer, (size_t)declared, bytes, size);
    if (ZSTD_isError(got) || got != declared) {
        free(buffer);
        return ds_error(DS_ERR_FORMAT, "compressed block is damaged");
    }
    *content = buffer;
    *content_size = got;
    return ds_ok();
}
