#include "ply.h"
#include "ply_header_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- which Gaussian attribute a vertex property holds ---- */

typedef enum attribute_kind {
    ATTRIBUTE_IGNORED,
    ATTRIBUTE_POSITION,
    ATTRIBUTE_DC,
    ATTRIBUTE_REST,
    ATTRIBUTE_OPACITY,
    ATTRIBUTE_SCALE,
    ATTRIBUTE_ROTATION,
} attribute_kind;

typedef struct attribute_slot {
    attribute_kind kind;
    int index; /* component within the attribute, or the f_rest_<index> number */
} attribute_slot;

/* Required properties, one bit each, in the order of required_names. */
static const char *const required_names[] = {
    "x",       "y",       "z",       "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
    "scale_0", "scale_1", "scale_2", "rot_0",  "rot_1",  "rot_2",  "rot_3",
};
enum { REQUIRED_COUNT = sizeof required_names / sizeof required_names[0] };
enum { MAX_REST = 3 * 15 }; /* f_rest_* of SH degree 3 */

/* Parses the decimal index after a prefix ("f_rest_12" -> 12); -1 if it is not one. */
static int parse_suffix_index(const char *name, const char *prefix) {
    size_t prefix_length = strlen(prefix);
    if (strncmp(name, prefix, prefix_length) != 0) {
        return -1;
    }
    const char *digits = name + prefix_length;
    size_t length = strlen(digits);
    if (length == 0 || length > 3 || (length > 1 && digits[0] == '0')) {
        return -1;
    }
    int value = 0;
    for (size_t i = 0; i < length; i++) {
        if (digits[i] < '0' || digits[i] > '9') {
            return -1;
        }
        value = value * 10 + (digits[i] - '0');
    }
    return value;
}

static attribute_slot classify_property(const char *name) {
    static const struct {
        const char *prefix;
        attribute_kind kind;
        int components;
    } indexed[] = {
        {"f_dc_", ATTRIBUTE_DC, 3},
        {"scale_", ATTRIBUTE_SCALE, 3},
        {"rot_", ATTRIBUTE_ROTATION, 4},
        {"f_rest_", ATTRIBUTE_REST, 1000},
    };
    attribute_slot slot = {ATTRIBUTE_IGNORED, 0};
    if (name[0] >= 'x' && name[0] <= 'z' && name[1] == '\0') {
        slot.kind = ATTRIBUTE_POSITION;
        slot.index = name[0] - 'x';
    } else if (strcmp(name, "opacity") == 0) {
        slot.kind = ATTRIBUTE_OPACITY;
    } else {
        for (size_t i = 0; i < sizeof indexed / sizeof indexed[0]; i++) {
            int index = parse_suffix_index(name, indexed[i].prefix);
            if (index >= 0 && index < indexed[i].components) {
                slot.kind = indexed[i].kind;
                slot.index = index;
                break;
            }
        }
    }
    return slot;
}

/* Bit of a required property in the "seen" mask, or -1 for optional ones. */
static int required_bit(attribute_slot slot) {
    switch (slot.kind) {
    case ATTRIBUTE_POSITION:
        return slot.index;
    case ATTRIBUTE_DC:
        return 3 + slot.index;
    case ATTRIBUTE_OPACITY:
        return 6;
    case ATTRIBUTE_SCALE:
        return 7 + slot.index;
    case ATTRIBUTE_ROTATION:
        return 10 + slot.index;
    case ATTRIBUTE_IGNORED:
    case ATTRIBUTE_REST:
        break;
    }
    return -1;
}

/* Checks that the vertex element holds a 3DGS splat and infers its SH degree. */
static ds_status validate_vertex_properties(const ply_element *vertex, attribute_slot *slots,
                                            int *sh_degree) {
    unsigned seen = 0;
    int rest_count = 0, rest_max = -1;
    for (size_t i = 0; i < vertex->property_count; i++) {
        const ply_property *property = &vertex->properties[i];
        slots[i] = classify_property(property->name);
        if (slots[i].kind == ATTRIBUTE_IGNORED) {
            continue;
        }
        if (property->is_list) {
            return ds_error(DS_ERR_FORMAT, ".ply property '%s' is a list, not a number",
                            property->name);
        }
        if (slots[i].kind == ATTRIBUTE_REST) {
            rest_count++;
            rest_max = slots[i].index > rest_max ? slots[i].index : rest_max;
            continue;
        }
        seen |= 1u << required_bit(slots[i]);
    }
    for (int bit = 0; bit < REQUIRED_COUNT; bit++) {
        if (!(seen & (1u << bit))) {
            return ds_error(DS_ERR_FORMAT,
                            "not a 3D Gaussian splat .ply: the vertex element has no '%s' property",
                            required_names[bit]);
        }
    }
    if (rest_count != rest_max + 1) {
        return ds_error(DS_ERR_FORMAT,
                        ".ply f_rest_* properties are not numbered 0..%d without gaps",
                        rest_count - 1);
    }
    for (int degree = 0; degree <= DS_SH_MAX_DEGREE; degree++) {
        if (rest_count == 3 * (ds_sh_coeff_count(degree) - 1)) {
            *sh_degree = degree;
            return ds_ok();
        }
    }
    if (rest_count > MAX_REST) {
        return ds_error(DS_ERR_UNSUPPORTED, ".ply has %d f_rest_* properties: SH degree above %d",
                        rest_count, DS_SH_MAX_DEGREE);
    }
    return ds_error(DS_ERR_FORMAT,
                    ".ply has %d f_rest_* properties; SH degrees 0-3 need 0, 9, 24 or 45",
                    rest_count);
}

/* Where in the cloud a property's value goes: base[vertex * stride]; NULL when ignored. */
typedef struct destination {
    float *base;
    size_t stride;
} destination;

static destination destination_of(ds_gaussian_cloud *cloud, attribute_slot slot) {
    size_t sh_stride = ds_gaussian_cloud_sh_stride(cloud);
    size_t rest_per_channel = (size_t)ds_sh_coeff_count(cloud->sh_degree) - 1;
    destination d = {NULL, 0};
    switch (slot.kind) {
    case ATTRIBUTE_IGNORED:
        break;
    case ATTRIBUTE_POSITION:
        d = (destination){cloud->positions + slot.index, 3};
        break;
    case ATTRIBUTE_DC:
        d = (destination){cloud->sh + slot.index, sh_stride};
        break;
    case ATTRIBUTE_REST: {
        /* f_rest is channel-major in the file; our layout is coefficient-major. */
        size_t channel = (size_t)slot.index / rest_per_channel;
        size_t coefficient = 1 + (size_t)slot.index % rest_per_channel;
        d = (destination){cloud->sh + coefficient * 3 + channel, sh_stride};
        break;
    }
    case ATTRIBUTE_OPACITY:
        d = (destination){cloud->opacity_logits, 1};
        break;
    case ATTRIBUTE_SCALE:
        d = (destination){cloud->log_scales + slot.index, 3};
        break;
    case ATTRIBUTE_ROTATION:
        d = (destination){cloud->rotations + slot.index, 4};
        break;
    }
    return d;
}

/* ---- reading values ---- */

static double load_binary(const uint8_t *p, ply_type type, bool big_endian) {
    uint8_t b[8];
    size_t size = ply_type_size(type);
    for (size_t i = 0; i < size; i++) {
        b[i] = big_endian ? p[size - 1 - i] : p[i];
    }
    switch (type) {
    case PLY_INT8:
        return (int8_t)b[0];
    case PLY_UINT8:
        return b[0];
    case PLY_INT16:
        return (int16_t)(uint16_t)(b[0] | b[1] << 8);
    case PLY_UINT16:
        return (uint16_t)(b[0] | b[1] << 8);
    case PLY_INT32:
        return (int32_t)ds_load_u32le(b);
    case PLY_UINT32:
        return ds_load_u32le(b);
    case PLY_FLOAT32:
        return ds_load_f32le(b);
    case PLY_FLOAT64: {
        uint64_t bits = ds_load_u64le(b);
        double value;
        memcpy(&value, &bits, sizeof value);
        return value;
    }
    }
    return 0.0;
}

/* Sequential reader of values in any encoding. */
typedef struct value_stream {
    ds_byte_reader bytes;
    ply_encoding encoding;
} value_stream;

static bool is_ascii_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool read_ascii_value(ds_byte_reader *bytes, double *value) {
    enum { MAX_TOKEN = 64 };
    while (ds_byte_reader_remaining(bytes) && is_ascii_space(bytes->data[bytes->position])) {
        bytes->position++;
    }
    size_t start = bytes->position;
    while (ds_byte_reader_remaining(bytes) && !is_ascii_space(bytes->data[bytes->position])) {
        bytes->position++;
    }
    size_t length = bytes->position - start;
    if (length == 0 || length >= MAX_TOKEN) {
        return false;
    }
    char token[MAX_TOKEN];
    memcpy(token, bytes->data + start, length);
    token[length] = '\0';
    char *end;
    *value = strtod(token, &end);
    return end == token + length;
}

static bool stream_read(value_stream *stream, ply_type type, double *value) {
    if (stream->encoding == PLY_ASCII) {
        return read_ascii_value(&stream->bytes, value);
    }
    const uint8_t *p;
    if (!ds_byte_reader_bytes(&stream->bytes, ply_type_size(type), &p)) {
        return false;
    }
    *value = load_binary(p, type, stream->encoding == PLY_BINARY_BIG_ENDIAN);
    return true;
}

/* Reads one property of one item; list items are read and dropped. */
static bool stream_read_property(value_stream *stream, const ply_property *property,
                                 double *value) {
    if (!property->is_list) {
        return stream_read(stream, property->type, value);
    }
    double count;
    if (!stream_read(stream, property->count_type, &count) || count < 0 || count > 1e9 ||
        count != (double)(uint32_t)count) {
        return false;
    }
    for (uint32_t i = 0; i < (uint32_t)count; i++) {
        double ignored;
        if (!stream_read(stream, property->type, &ignored)) {
            return false;
        }
    }
    *value = 0.0;
    return true;
}

/* Bytes per item when the element is binary and has no lists; 0 otherwise. */
static size_t fixed_stride(const ply_element *element, ply_encoding encoding) {
    if (encoding == PLY_ASCII) {
        return 0;
    }
    size_t stride = 0;
    for (size_t i = 0; i < element->property_count; i++) {
        if (element->properties[i].is_list) {
            return 0;
        }
        stride += ply_type_size(element->properties[i].type);
    }
    return stride;
}

static ds_status skip_element(value_stream *stream, const ply_element *element) {
    if (element->property_count == 0) {
        return ds_ok();
    }
    size_t stride = fixed_stride(element, stream->encoding);
    if (stride > 0) {
        if (element->count > ds_byte_reader_remaining(&stream->bytes) / stride) {
            return ds_error(DS_ERR_FORMAT, ".ply data ends inside element '%s'", element->name);
        }
        ds_byte_reader_skip(&stream->bytes, (size_t)element->count * stride);
        return ds_ok();
    }
    /* Every item consumes at least one byte, so this loop is bounded by the data size. */
    for (uint64_t item = 0; item < element->count; item++) {
        for (size_t p = 0; p < element->property_count; p++) {
            double ignored;
            if (!stream_read_property(stream, &element->properties[p], &ignored)) {
                return ds_error(DS_ERR_FORMAT,
                                ".ply data is truncated or malformed in element '%s'",
                                element->name);
            }
        }
    }
    return ds_ok();
}

static ds_status read_vertices_fixed(value_stream *stream, const ply_element *vertex,
                                     const destination *destinations, size_t stride,
                                     ds_gaussian_cloud *cloud) {
    bool big_endian = stream->encoding == PLY_BINARY_BIG_ENDIAN;
    size_t offsets[PLY_MAX_PROPERTIES];
    size_t offset = 0;
    for (size_t p = 0; p < vertex->property_count; p++) {
        offsets[p] = offset;
        offset += ply_type_size(vertex->properties[p].type);
    }
    const uint8_t *rows;
    if (!ds_byte_reader_bytes(&stream->bytes, cloud->count * stride, &rows)) {
        return ds_error(DS_ERR_FORMAT, ".ply data ends before its %zu vertices", cloud->count);
    }
    for (size_t i = 0; i < cloud->count; i++) {
        const uint8_t *row = rows + i * stride;
        for (size_t p = 0; p < vertex->property_count; p++) {
            if (destinations[p].base) {
                double value =
                    load_binary(row + offsets[p], vertex->properties[p].type, big_endian);
                destinations[p].base[i * destinations[p].stride] = (float)value;
            }
        }
    }
    return ds_ok();
}

static ds_status read_vertices_sequential(value_stream *stream, const ply_element *vertex,
                                          const destination *destinations,
                                          ds_gaussian_cloud *cloud) {
    for (size_t i = 0; i < cloud->count; i++) {
        for (size_t p = 0; p < vertex->property_count; p++) {
            double value;
            if (!stream_read_property(stream, &vertex->properties[p], &value)) {
                return ds_error(DS_ERR_FORMAT,
                                ".ply data is truncated or malformed at vertex %zu, property '%s'",
                                i, vertex->properties[p].name);
            }
            if (destinations[p].base) {
                destinations[p].base[i * destinations[p].stride] = (float)value;
            }
        }
    }
    return ds_ok();
}

static ds_status read_vertex_element(value_stream *stream, const ply_element *vertex,
                                     ds_gaussian_cloud **out) {
    attribute_slot slots[PLY_MAX_PROPERTIES];
    int sh_degree = 0;
    ds_status status = validate_vertex_properties(vertex, slots, &sh_degree);
    if (ds_failed(&status)) {
        return status;
    }
    /* Bound the count by the bytes left before allocating anything for it. */
    size_t stride = fixed_stride(vertex, stream->encoding);
    size_t remaining = ds_byte_reader_remaining(&stream->bytes);
    size_t min_bytes_per_vertex =
        stride
            ? stride
            : (stream->encoding == PLY_ASCII ? 2 * vertex->property_count : vertex->property_count);
    if (vertex->count > (remaining + 1) / min_bytes_per_vertex) {
        return ds_error(DS_ERR_FORMAT, ".ply declares %llu vertices but holds data for fewer",
                        (unsigned long long)vertex->count);
    }
    ds_gaussian_cloud *cloud;
    status = ds_gaussian_cloud_create((size_t)vertex->count, sh_degree, &cloud);
    if (ds_failed(&status)) {
        return status;
    }
    destination destinations[PLY_MAX_PROPERTIES];
    for (size_t p = 0; p < vertex->property_count; p++) {
        destinations[p] = destination_of(cloud, slots[p]);
    }
    status = stride ? read_vertices_fixed(stream, vertex, destinations, stride, cloud)
                    : read_vertices_sequential(stream, vertex, destinations, cloud);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(cloud);
        return status;
    }
    *out = cloud;
    return ds_ok();
}

static bool is_playcanvas_compressed(const ply_header *header) {
    for (size_t e = 0; e < header->element_count; e++) {
        if (strcmp(header->elements[e].name, "chunk") == 0) {
            return true;
        }
    }
    return false;
}

ds_status ds_ply_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud) {
    *cloud = NULL;
    ply_header header;
    ds_status status = ply_header_parse(data, size, &header);
    if (ds_failed(&status)) {
        return status;
    }
    value_stream stream = {
        .bytes = ds_byte_reader_make(data + header.data_offset, size - header.data_offset),
        .encoding = header.encoding,
    };
    const ply_element *vertex = NULL;
    for (size_t e = 0; e < header.element_count && !vertex; e++) {
        if (strcmp(header.elements[e].name, "vertex") == 0) {
            vertex = &header.elements[e];
        } else {
            status = skip_element(&stream, &header.elements[e]);
            if (ds_failed(&status)) {
                break;
            }
        }
    }
    if (!ds_failed(&status)) {
        if (!vertex) {
            status = ds_error(DS_ERR_FORMAT, ".ply file has no 'vertex' element");
        } else if (is_playcanvas_compressed(&header)) {
            status = ds_error(DS_ERR_UNSUPPORTED,
                              "PlayCanvas compressed .ply (chunk element); decompress it first");
        } else {
            status = read_vertex_element(&stream, vertex, cloud);
        }
    }
    ply_header_free(&header);
    return status;
}

/* ---- writing ---- */

/* Floats per written vertex: position, normals, DC, rest, opacity, scale, rotation. */
static size_t written_floats(int sh_degree) {
    return 3 + 3 + 3 + 3 * (size_t)(ds_sh_coeff_count(sh_degree) - 1) + 1 + 3 + 4;
}

static void append_header(const ds_gaussian_cloud *cloud, ds_ply_encoding encoding,
                          ds_byte_buffer *out) {
    static const char *const encodings[] = {
        [DS_PLY_BINARY_LITTLE_ENDIAN] = "binary_little_endian",
        [DS_PLY_BINARY_BIG_ENDIAN] = "binary_big_endian",
        [DS_PLY_ASCII] = "ascii",
    };
    ds_byte_buffer_printf(out, "ply\nformat %s 1.0\nelement vertex %zu\n", encodings[encoding],
                          cloud->count);
    static const char *const leading[] = {"x",  "y",      "z",      "nx",    "ny",
                                          "nz", "f_dc_0", "f_dc_1", "f_dc_2"};
    for (size_t i = 0; i < sizeof leading / sizeof leading[0]; i++) {
        ds_byte_buffer_printf(out, "property float %s\n", leading[i]);
    }
    int rest = 3 * (ds_sh_coeff_count(cloud->sh_degree) - 1);
    for (int i = 0; i < rest; i++) {
        ds_byte_buffer_printf(out, "property float f_rest_%d\n", i);
    }
    static const char *const trailing[] = {"opacity", "scale_0", "scale_1", "scale_2",
                                           "rot_0",   "rot_1",   "rot_2",   "rot_3"};
    for (size_t i = 0; i < sizeof trailing / sizeof trailing[0]; i++) {
        ds_byte_buffer_printf(out, "property float %s\n", trailing[i]);
    }
    ds_byte_buffer_append_string(out, "end_header\n");
}

/* One vertex's values in the written property order. */
static void gather_row(const ds_gaussian_cloud *cloud, size_t i, float *row) {
    size_t coeffs = (size_t)ds_sh_coeff_count(cloud->sh_degree);
    const float *sh = cloud->sh + i * coeffs * 3;
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
        row[n++] = cloud->positions[i * 3 + k];
    }
    for (int k = 0; k < 3; k++) {
        row[n++] = 0.0f; /* normals: unused by 3DGS, written because viewers expect them */
    }
    for (int c = 0; c < 3; c++) {
        row[n++] = sh[c];
    }
    for (int c = 0; c < 3; c++) {
        for (size_t k = 1; k < coeffs; k++) {
            row[n++] = sh[k * 3 + c];
        }
    }
    row[n++] = cloud->opacity_logits[i];
    for (int k = 0; k < 3; k++) {
        row[n++] = cloud->log_scales[i * 3 + k];
    }
    for (int k = 0; k < 4; k++) {
        row[n++] = cloud->rotations[i * 4 + k];
    }
}

ds_status ds_ply_encode(const ds_gaussian_cloud *cloud, ds_ply_encoding encoding,
                        ds_byte_buffer *out) {
    if (encoding != DS_PLY_BINARY_LITTLE_ENDIAN && encoding != DS_PLY_BINARY_BIG_ENDIAN &&
        encoding != DS_PLY_ASCII) {
        return ds_error(DS_ERR_ARGUMENT, "unknown .ply encoding %d", (int)encoding);
    }
    append_header(cloud, encoding, out);
    size_t floats = written_floats(cloud->sh_degree);
    float row[3 + 3 + 3 + MAX_REST + 1 + 3 + 4];
    if (encoding != DS_PLY_ASCII && (cloud->count > SIZE_MAX / (floats * 4) ||
                                     !ds_byte_buffer_reserve(out, cloud->count * floats * 4))) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the .ply output");
    }
    for (size_t i = 0; i < cloud->count && !out->failed; i++) {
        gather_row(cloud, i, row);
        if (encoding == DS_PLY_ASCII) {
            for (size_t k = 0; k < floats; k++) {
                /* %.9g round-trips every float32 exactly. */
                ds_byte_buffer_printf(out, k + 1 < floats ? "%.9g " : "%.9g\n", (double)row[k]);
            }
            continue;
        }
        uint8_t bytes[sizeof row];
        for (size_t k = 0; k < floats; k++) {
            ds_store_f32le(bytes + 4 * k, row[k]);
            if (encoding == DS_PLY_BINARY_BIG_ENDIAN) {
                uint8_t *b = bytes + 4 * k, t0 = b[0], t1 = b[1];
                b[0] = b[3];
                b[1] = b[2];
                b[2] = t1;
                b[3] = t0;
            }
        }
        ds_byte_buffer_append(out, bytes, floats * 4);
    }
    return ds_byte_buffer_status(out);
}
