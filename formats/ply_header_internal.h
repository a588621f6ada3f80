/* The header of a PLY file, parsed into element and property descriptions. Internal to the
 * .ply reader; split out because the header grammar is independent of what 3DGS stores. */
#ifndef DS_FORMATS_PLY_HEADER_INTERNAL_H
#define DS_FORMATS_PLY_HEADER_INTERNAL_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { PLY_NAME_SIZE = 64, PLY_MAX_ELEMENTS = 32, PLY_MAX_PROPERTIES = 512 };

typedef enum ply_encoding {
    PLY_ASCII,
    PLY_BINARY_LITTLE_ENDIAN,
    PLY_BINARY_BIG_ENDIAN,
} ply_encoding;

typedef enum ply_type {
    PLY_INT8,
    PLY_UINT8,
    PLY_INT16,
    PLY_UINT16,
    PLY_INT32,
    PLY_UINT32,
    PLY_FLOAT32,
    PLY_FLOAT64,
} ply_type;

typedef struct ply_property {
    char name[PLY_NAME_SIZE];
    ply_type type;       /* the value type; the item type for lists */
    bool is_list;        /* a count followed by that many items */
    ply_type count_type; /* the count's type, for lists */
} ply_property;

typedef struct ply_element {
    char name[PLY_NAME_SIZE];
    uint64_t count;
    size_t property_count;
    ply_property *properties;
} ply_element;

typedef struct ply_header {
    ply_encoding encoding;
    size_t element_count;
    ply_element elements[PLY_MAX_ELEMENTS];
    size_t data_offset; /* first byte after "end_header\n" */
} ply_header;

/* Parses the header at the start of `data`. On success the caller owns the header and frees
 * it with ply_header_free. */
ds_status ply_header_parse(const uint8_t *data, size_t size, ply_header *header);
void ply_header_free(ply_header *header);

/* Bytes a value of the type occupies in binary encodings. */
size_t ply_type_size(ply_type type);

#endif
