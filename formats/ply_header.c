#include "ply_header_internal.h"

#include <stdlib.h>
#include <string.h>

/* Longer headers are not PLY files anyone writes; the bound keeps a garbage file from being
 * scanned to its end for a newline. */
enum { PLY_MAX_HEADER_BYTES = 1 << 20, PLY_MAX_LINE = 1024, PLY_MAX_WORDS = 8 };

static const struct {
    const char *name;
    ply_type type;
} type_names[] = {
    {"char", PLY_INT8},       {"int8", PLY_INT8},       {"uchar", PLY_UINT8},
    {"uint8", PLY_UINT8},     {"short", PLY_INT16},     {"int16", PLY_INT16},
    {"ushort", PLY_UINT16},   {"uint16", PLY_UINT16},   {"int", PLY_INT32},
    {"int32", PLY_INT32},     {"uint", PLY_UINT32},     {"uint32", PLY_UINT32},
    {"float", PLY_FLOAT32},   {"float32", PLY_FLOAT32}, {"double", PLY_FLOAT64},
    {"float64", PLY_FLOAT64},
};

size_t ply_type_size(ply_type type) {
    switch (type) {
    case PLY_INT8:
    case PLY_UINT8:
        return 1;
    case PLY_INT16:
    case PLY_UINT16:
        return 2;
    case PLY_INT32:
    case PLY_UINT32:
    case PLY_FLOAT32:
        return 4;
    case PLY_FLOAT64:
        return 8;
    }
    return 0;
}

static bool parse_type(const char *word, ply_type *type) {
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(word, type_names[i].name) == 0) {
            *type = type_names[i].type;
            return true;
        }
    }
    return false;
}

/* Splits a line in place into at most PLY_MAX_WORDS space-separated words. */
static size_t split_words(char *line, char *words[PLY_MAX_WORDS]) {
    size_t count = 0;
    char *cursor = line;
    while (*cursor) {
        while (*cursor == ' ' || *cursor == '\t') {
            *cursor++ = '\0';
        }
        if (!*cursor) {
            break;
        }
        if (count == PLY_MAX_WORDS) {
            return count + 1; /* more words than any header line has */
        }
        words[count++] = cursor;
        while (*cursor && *cursor != ' ' && *cursor != '\t') {
            cursor++;
        }
    }
    return count;
}

static ds_status parse_format(char **words, size_t count, ply_header *header) {
    if (count != 3) {
        return ds_error(DS_ERR_FORMAT, "malformed 'format' line in the .ply header");
    }
    if (strcmp(words[1], "ascii") == 0) {
        header->encoding = PLY_ASCII;
    } else if (strcmp(words[1], "binary_little_endian") == 0) {
        header->encoding = PLY_BINARY_LITTLE_ENDIAN;
    } else if (strcmp(words[1], "binary_big_endian") == 0) {
        header->encoding = PLY_BINARY_BIG_ENDIAN;
    } else {
        return ds_error(DS_ERR_FORMAT, "unknown .ply encoding '%.40s'", words[1]);
    }
    if (strcmp(words[2], "1.0") != 0) {
        return ds_error(DS_ERR_UNSUPPORTED, ".ply version '%.20s' (only 1.0 exists)", words[2]);
    }
    return ds_ok();
}

static ds_status copy_name(char destination[PLY_NAME_SIZE], const char *name) {
    size_t length = strlen(name);
    if (length >= PLY_NAME_SIZE) {
        return ds_error(DS_ERR_FORMAT, ".ply name '%.40s...' is longer than %d characters", name,
                        PLY_NAME_SIZE - 1);
    }
    memcpy(destination, name, length + 1);
    return ds_ok();
}

static ds_status parse_element(char **words, size_t count, ply_header *header) {
    if (count != 3) {
        return ds_error(DS_ERR_FORMAT, "malformed 'element' line in the .ply header");
    }
    if (header->element_count == PLY_MAX_ELEMENTS) {
        return ds_error(DS_ERR_UNSUPPORTED, ".ply header declares more than %d elements",
                        PLY_MAX_ELEMENTS);
    }
    char *end;
    const char *digits = words[2];
    if (*digits < '0' || *digits > '9') {
        return ds_error(DS_ERR_FORMAT, ".ply element count '%.20s' is not a number", digits);
    }
    unsigned long long value = strtoull(digits, &end, 10);
    if (*end != '\0') {
        return ds_error(DS_ERR_FORMAT, ".ply element count '%.20s' is not a number", digits);
    }
    ply_element *element = &header->elements[header->element_count];
    ds_status status = copy_name(element->name, words[1]);
    if (ds_failed(&status)) {
        return status;
    }
    element->count = value;
    header->element_count++;
    return ds_ok();
}

static ds_status parse_property(char **words, size_t count, ply_header *header) {
    if (header->element_count == 0) {
        return ds_error(DS_ERR_FORMAT, ".ply property declared before any element");
    }
    ply_element *element = &header->elements[header->element_count - 1];
    if (element->property_count == PLY_MAX_PROPERTIES) {
        return ds_error(DS_ERR_UNSUPPORTED, ".ply element '%s' has more than %d properties",
                        element->name, PLY_MAX_PROPERTIES);
    }
    ply_property property = {0};
    const char *name;
    if (count == 5 && strcmp(words[1], "list") == 0) {
        property.is_list = true;
        if (!parse_type(words[2], &property.count_type) || !parse_type(words[3], &property.type)) {
            return ds_error(DS_ERR_FORMAT, "unknown type in .ply list property '%.40s'", words[4]);
        }
        if (property.count_type == PLY_FLOAT32 || property.count_type == PLY_FLOAT64) {
            return ds_error(DS_ERR_FORMAT, ".ply list property '%.40s' has a non-integer count",
                            words[4]);
        }
        name = words[4];
    } else if (count == 3) {
        if (!parse_type(words[1], &property.type)) {
            return ds_error(DS_ERR_FORMAT, "unknown type '%.20s' of .ply property '%.40s'",
                            words[1], words[2]);
        }
        name = words[2];
    } else {
        return ds_error(DS_ERR_FORMAT, "malformed 'property' line in the .ply header");
    }
    ds_status status = copy_name(property.name, name);
    if (ds_failed(&status)) {
        return status;
    }
    for (size_t i = 0; i < element->property_count; i++) {
        if (strcmp(element->properties[i].name, property.name) == 0) {
            return ds_error(DS_ERR_FORMAT, ".ply element '%s' declares property '%s' twice",
                            element->name, property.name);
        }
    }
    if (element->property_count % 16 == 0) {
        ply_property *grown = realloc(element->properties,
                                      (element->property_count + 16) * sizeof *element->properties);
        if (!grown) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate .ply property descriptions");
        }
        element->properties = grown;
    }
    element->properties[element->property_count++] = property;
    return ds_ok();
}

/* Handles one header line; sets *done at end_header. */
static ds_status parse_line(char *line, bool *seen_format, bool *done, ply_header *header) {
    char *words[PLY_MAX_WORDS];
    size_t count = split_words(line, words);
    if (count == 0) {
        return ds_ok(); /* blank lines are tolerated */
    }
    if (strcmp(words[0], "comment") == 0 || strcmp(words[0], "obj_info") == 0) {
        return ds_ok();
    }
    if (count > PLY_MAX_WORDS) {
        return ds_error(DS_ERR_FORMAT, "malformed .ply header line starting '%.20s'", words[0]);
    }
    if (strcmp(words[0], "format") == 0) {
        if (*seen_format) {
            return ds_error(DS_ERR_FORMAT, ".ply header has two 'format' lines");
        }
        *seen_format = true;
        return parse_format(words, count, header);
    }
    if (!*seen_format) {
        return ds_error(DS_ERR_FORMAT, ".ply header has no 'format' line after 'ply'");
    }
    if (strcmp(words[0], "element") == 0) {
        return parse_element(words, count, header);
    }
    if (strcmp(words[0], "property") == 0) {
        return parse_property(words, count, header);
    }
    if (strcmp(words[0], "end_header") == 0 && count == 1) {
        *done = true;
        return ds_ok();
    }
    return ds_error(DS_ERR_FORMAT, "unexpected .ply header keyword '%.20s'", words[0]);
}

ds_status ply_header_parse(const uint8_t *data, size_t size, ply_header *header) {
    memset(header, 0, sizeof *header);
    if (size < 4 || memcmp(data, "ply", 3) != 0 || (data[3] != '\n' && data[3] != '\r')) {
        return ds_error(DS_ERR_FORMAT, "not a .ply file (it does not start with 'ply')");
    }
    size_t limit = size < PLY_MAX_HEADER_BYTES ? size : PLY_MAX_HEADER_BYTES;
    size_t position = 0;
    bool seen_format = false, done = false;
    bool first_line = true;
    ds_status status = ds_ok();
    while (!done) {
        size_t start = position;
        while (position < limit && data[position] != '\n') {
            position++;
        }
        if (position == limit) {
            status = ds_error(DS_ERR_FORMAT, ".ply header has no 'end_header' line");
            break;
        }
        size_t length = position - start;
        position++; /* past the newline */
        if (length > 0 && data[start + length - 1] == '\r') {
            length--;
        }
        if (length >= PLY_MAX_LINE) {
            status = ds_error(DS_ERR_FORMAT, ".ply header line of %zu bytes is too long", length);
            break;
        }
        if (first_line) {
            first_line = false;
            continue; /* "ply", checked above */
        }
        char line[PLY_MAX_LINE];
        memcpy(line, data + start, length);
        line[length] = '\0';
        if (memchr(line, '\0', length)) {
            status = ds_error(DS_ERR_FORMAT, ".ply header contains a NUL byte");
            break;
        }
        status = parse_line(line, &seen_format, &done, header);
        if (ds_failed(&status)) {
            break;
        }
    }
    if (ds_failed(&status)) {
        ply_header_free(header);
        return status;
    }
    header->data_offset = position;
    return ds_ok();
}

void ply_header_free(ply_header *header) {
    for (size_t i = 0; i < header->element_count; i++) {
        free(header->elements[i].properties);
        header->elements[i].properties = NULL;
    }
    header->element_count = 0;
}
