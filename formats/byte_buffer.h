/* A growable byte buffer that encoders append to, and a bounds-checked little-endian reader
 * that decoders read through, so no parser indexes raw memory by hand. */
#ifndef DS_FORMATS_BYTE_BUFFER_H
#define DS_FORMATS_BYTE_BUFFER_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ds_byte_buffer {
    uint8_t *data;
    size_t size;
    size_t capacity;
    bool failed; /* an allocation failed; later appends are ignored */
} ds_byte_buffer;

/* Make room for `extra` more bytes; false (and `failed` set) if memory ran out. */
bool ds_byte_buffer_reserve(ds_byte_buffer *buffer, size_t extra);
void ds_byte_buffer_append(ds_byte_buffer *buffer, const void *bytes, size_t count);
void ds_byte_buffer_append_u8(ds_byte_buffer *buffer, uint8_t value);
void ds_byte_buffer_append_u16le(ds_byte_buffer *buffer, uint16_t value);
void ds_byte_buffer_append_u32le(ds_byte_buffer *buffer, uint32_t value);
void ds_byte_buffer_append_u64le(ds_byte_buffer *buffer, uint64_t value);
void ds_byte_buffer_append_f32le(ds_byte_buffer *buffer, float value);
void ds_byte_buffer_append_string(ds_byte_buffer *buffer, const char *text);
/* Appends formatted text. */
void ds_byte_buffer_printf(ds_byte_buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* DS_ERR_NO_MEMORY if any append failed, else DS_OK. */
ds_status ds_byte_buffer_status(const ds_byte_buffer *buffer);
void ds_byte_buffer_free(ds_byte_buffer *buffer);

typedef struct ds_byte_reader {
    const uint8_t *data;
    size_t size;
    size_t position;
} ds_byte_reader;

static inline ds_byte_reader ds_byte_reader_make(const uint8_t *data, size_t size) {
    ds_byte_reader reader = {data, size, 0};
    return reader;
}

static inline size_t ds_byte_reader_remaining(const ds_byte_reader *reader) {
    return reader->size - reader->position;
}

/* Each returns false, consuming nothing, when fewer bytes remain than it needs. */
bool ds_byte_reader_skip(ds_byte_reader *reader, size_t count);
bool ds_byte_reader_bytes(ds_byte_reader *reader, size_t count, const uint8_t **bytes);
bool ds_byte_reader_u8(ds_byte_reader *reader, uint8_t *value);
bool ds_byte_reader_u32le(ds_byte_reader *reader, uint32_t *value);
bool ds_byte_reader_u64le(ds_byte_reader *reader, uint64_t *value);
bool ds_byte_reader_f32le(ds_byte_reader *reader, float *value);

/* Little-endian loads and stores on unaligned memory. */
static inline uint16_t ds_load_u16le(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline void ds_store_u16le(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline uint32_t ds_load_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ds_load_u64le(const uint8_t *p) {
    return (uint64_t)ds_load_u32le(p) | (uint64_t)ds_load_u32le(p + 4) << 32;
}
static inline void ds_store_u32le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
float ds_load_f32le(const uint8_t *p);
void ds_store_f32le(uint8_t *p, float value);

#endif
