#include "byte_buffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ds_byte_buffer_reserve(ds_byte_buffer *buffer, size_t extra) {
    if (buffer->failed) {
        return false;
    }
    if (extra <= buffer->capacity - buffer->size) {
        return true;
    }
    if (extra > SIZE_MAX / 2 - buffer->size) {
        buffer->failed = true;
        return false;
    }
    size_t capacity = buffer->capacity ? buffer->capacity : 256;
    while (capacity - buffer->size < extra) {
        capacity *= 2;
    }
    uint8_t *grown = realloc(buffer->data, capacity);
    if (!grown) {
        buffer->failed = true;
        return false;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
    return true;
}

void ds_byte_buffer_append(ds_byte_buffer *buffer, const void *bytes, size_t count) {
    if (count == 0 || !ds_byte_buffer_reserve(buffer, count)) {
        return;
    }
    memcpy(buffer->data + buffer->size, bytes, count);
    buffer->size += count;
}

void ds_byte_buffer_append_u8(ds_byte_buffer *buffer, uint8_t value) {
    ds_byte_buffer_append(buffer, &value, 1);
}

void ds_byte_buffer_append_u16le(ds_byte_buffer *buffer, uint16_t value) {
    uint8_t bytes[2];
    ds_store_u16le(bytes, value);
    ds_byte_buffer_append(buffer, bytes, sizeof bytes);
}

void ds_byte_buffer_append_u32le(ds_byte_buffer *buffer, uint32_t value) {
    uint8_t bytes[4];
    ds_store_u32le(bytes, value);
    ds_byte_buffer_append(buffer, bytes, sizeof bytes);
}

void ds_byte_buffer_append_u64le(ds_byte_buffer *buffer, uint64_t value) {
    ds_byte_buffer_append_u32le(buffer, (uint32_t)value);
    ds_byte_buffer_append_u32le(buffer, (uint32_t)(value >> 32));
}

void ds_byte_buffer_append_f32le(ds_byte_buffer *buffer, float value) {
    uint8_t bytes[4];
    ds_store_f32le(bytes, value);
    ds_byte_buffer_append(buffer, bytes, sizeof bytes);
}

void ds_byte_buffer_append_string(ds_byte_buffer *buffer, const char *text) {
    ds_byte_buffer_append(buffer, text, strlen(text));
}

void ds_byte_buffer_printf(ds_byte_buffer *buffer, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (length < 0 || !ds_byte_buffer_reserve(buffer, (size_t)length + 1)) {
        buffer->failed = true;
        return;
    }
    va_start(args, format);
    vsnprintf((char *)buffer->data + buffer->size, (size_t)length + 1, format, args);
    va_end(args);
    buffer->size += (size_t)length;
}

ds_status ds_byte_buffer_status(const ds_byte_buffer *buffer) {
    if (buffer->failed) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot grow an output buffer past %zu bytes",
                        buffer->size);
    }
    return ds_ok();
}

void ds_byte_buffer_free(ds_byte_buffer *buffer) {
    free(buffer->data);
    memset(buffer, 0, sizeof *buffer);
}

bool ds_byte_reader_skip(ds_byte_reader *reader, size_t count) {
    if (count > ds_byte_reader_remaining(reader)) {
        return false;
    }
    reader->position += count;
    return true;
}

bool ds_byte_reader_bytes(ds_byte_reader *reader, size_t count, const uint8_t **bytes) {
    if (count > ds_byte_reader_remaining(reader)) {
        return false;
    }
    *bytes = reader->data + reader->position;
    reader->position += count;
    return true;
}

bool ds_byte_reader_u8(ds_byte_reader *reader, uint8_t *value) {
    const uint8_t *bytes;
    if (!ds_byte_reader_bytes(reader, 1, &bytes)) {
        return false;
    }
    *value = bytes[0];
    return true;
}

bool ds_byte_reader_u32le(ds_byte_reader *reader, uint32_t *value) {
    const uint8_t *bytes;
    if (!ds_byte_reader_bytes(reader, 4, &bytes)) {
        return false;
    }
    *value = ds_load_u32le(bytes);
    return true;
}

bool ds_byte_reader_u64le(ds_byte_reader *reader, uint64_t *value) {
    const uint8_t *bytes;
    if (!ds_byte_reader_bytes(reader, 8, &bytes)) {
        return false;
    }
    *value = ds_load_u64le(bytes);
    return true;
}

bool ds_byte_reader_f32le(ds_byte_reader *reader, float *value) {
    const uint8_t *bytes;
    if (!ds_byte_reader_bytes(reader, 4, &bytes)) {
        return false;
    }
    *value = ds_load_f32le(bytes);
    return true;
}

float ds_load_f32le(const uint8_t *p) {
    uint32_t bits = ds_load_u32le(p);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

void ds_store_f32le(uint8_t *p, float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    ds_store_u32le(p, bits);
}
