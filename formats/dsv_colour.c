/* The colour (SH) layer's bitstream: codebooks, first-frame indices and change lists. */
#include "formats/dsv_colour.h"

#include "formats/half_float.h"
#include "formats/stream_coding.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* The indices are bit-packed and near-uniform, so a high level buys little there; it pays on
 * the codebooks and the change lists. */
enum { COLOUR_ZSTD_LEVEL = 12 };
enum { HEADER_FIXED_BYTES = 1 + 1 + 4 + 4 + 8, MAX_VARINT_BYTES = 5 };

static const int order_dims[4] = {3, 9, 15, 21};
static const int order_offsets[4] = {0, 3, 12, 27};

int ds_colour_order_dims(int order) {
    return order >= 0 && order < 4 ? order_dims[order] : 0;
}

int ds_colour_order_offset(int order) {
    return order >= 0 && order < 4 ? order_offsets[order] : 0;
}

/* Bits of one index into a codebook of `entries`: ceil(log2(entries)). */
static int index_bits(uint32_t entries) {
    int bits = 0;
    while (bits < 32 && ((uint64_t)1 << bits) < entries) {
        bits++;
    }
    return bits;
}

static size_t packed_bytes(uint64_t values, int bits) {
    return (size_t)((values * (uint64_t)bits + 7) / 8);
}

void ds_colour_layer_free(ds_colour_layer *layer) {
    for (int d = 0; d < 4; d++) {
        free(layer->codebooks[d]);
        free(layer->initial[d]);
        free(layer->change_starts[d]);
        free(layer->change_gaussians[d]);
        free(layer->change_indices[d]);
    }
    memset(layer, 0, sizeof *layer);
}

/* ---- bit packing (LSB first) and varints ---- */

typedef struct bit_writer {
    ds_byte_buffer *out;
    uint64_t pending;
    int pending_bits;
} bit_writer;

static void bits_put(bit_writer *writer, uint32_t value, int bits) {
    writer->pending |= (uint64_t)value << writer->pending_bits;
    writer->pending_bits += bits;
    while (writer->pending_bits >= 8) {
        ds_byte_buffer_append_u8(writer->out, (uint8_t)writer->pending);
        writer->pending >>= 8;
        writer->pending_bits -= 8;
    }
}

static void bits_flush(bit_writer *writer) {
    if (writer->pending_bits > 0) {
        ds_byte_buffer_append_u8(writer->out, (uint8_t)writer->pending);
    }
    writer->pending = 0;
    writer->pending_bits = 0;
}

/* Reads from a section whose size the caller has already checked holds every value. */
typedef struct bit_reader {
    const uint8_t *data;
    uint64_t position; /* in bits */
} bit_reader;

static uint32_t bits_get(bit_reader *reader, int bits) {
    uint32_t value = 0;
    for (int got = 0; got < bits;) {
        uint64_t byte = reader->position >> 3;
        int shift = (int)(reader->position & 7);
        int take = 8 - shift < bits - got ? 8 - shift : bits - got;
        uint32_t chunk = (uint32_t)(reader->data[byte] >> shift) & ((1u << take) - 1u);
        value |= chunk << got;
        got += take;
        reader->position += (uint64_t)take;
    }
    return value;
}

/* The bits after the last value up to the byte boundary must be zero (one encoding per layer). */
static bool bits_padding_clear(const bit_reader *reader, size_t section_bytes) {
    uint64_t used = reader->position;
    if (used == (uint64_t)section_bytes * 8) {
        return true;
    }
    uint8_t last = reader->data[section_bytes - 1];
    return (last >> (used & 7)) == 0;
}

/* ---- encoding ---- */

static ds_status check_layer(const ds_colour_layer *layer) {
    if (layer->sh_degree < 0 || layer->sh_degree > 3 || layer->count == 0 ||
        layer->count > UINT32_MAX || layer->frames == 0) {
        return ds_error(DS_ERR_ARGUMENT,
                        "a colour layer needs SH degree 0..3, 1..2^32-1 Gaussians and a frame");
    }
    for (int d = 0; d <= layer->sh_degree; d++) {
        uint32_t entries = layer->entries[d];
        if (entries == 0 || entries > DS_COLOUR_MAX_ENTRIES) {
            return ds_error(DS_ERR_ARGUMENT, "SH order %d has %u codebook entries (1..%d allowed)",
                            d, entries, DS_COLOUR_MAX_ENTRIES);
        }
        if (!layer->codebooks[d] || !layer->initial[d] || !layer->change_starts[d] ||
            (layer->change_starts[d][layer->frames - 1] > 0 &&
             (!layer->change_gaussians[d] || !layer->change_indices[d]))) {
            return ds_error(DS_ERR_ARGUMENT, "SH order %d of the colour layer is missing arrays",
                            d);
        }
        size_t values = (size_t)entries * (size_t)order_dims[d];
        for (size_t v = 0; v < values; v++) {
            if (!(fabsf(layer->codebooks[d][v]) <= DS_HALF_MAX)) {
                return ds_error(DS_ERR_ARGUMENT,
                                "SH order %d's codebook holds a value a half float cannot store",
                                d);
            }
        }
        for (size_t i = 0; i < layer->count; i++) {
            if (layer->initial[d][i] >= entries) {
                return ds_error(DS_ERR_ARGUMENT, "Gaussian %zu's SH order %d index is out of range",
                                i, d);
            }
        }
        const uint32_t *starts = layer->change_starts[d];
        if (starts[0] != 0) {
            return ds_error(DS_ERR_ARGUMENT, "SH order %d's change list does not start at 0", d);
        }
        for (uint32_t f = 1; f < layer->frames; f++) {
            if (starts[f] < starts[f - 1] || starts[f] - starts[f - 1] > layer->count) {
                return ds_error(DS_ERR_ARGUMENT, "frame %u's SH order %d change count is invalid",
                                f, d);
            }
            for (uint32_t c = starts[f - 1]; c < starts[f]; c++) {
                if (layer->change_gaussians[d][c] >= layer->count ||
                    (c > starts[f - 1] &&
                     layer->change_gaussians[d][c] <= layer->change_gaussians[d][c - 1]) ||
                    layer->change_indices[d][c] >= entries) {
                    return ds_error(DS_ERR_ARGUMENT,
                                    "frame %u's SH order %d changes are out of range or unsorted",
                                    f, d);
                }
            }
        }
    }
    return ds_ok();
}

static void write_body(const ds_colour_layer *layer, ds_byte_buffer *body) {
    int orders = layer->sh_degree + 1;
    for (int d = 0; d < orders; d++) {
        const float *codebook = layer->codebooks[d];
        for (int k = 0; k < order_dims[d]; k++) {
            for (uint32_t e = 0; e < layer->entries[d]; e++) {
                uint16_t half =
                    ds_half_from_float(codebook[(size_t)e * (size_t)order_dims[d] + (size_t)k]);
                ds_byte_buffer_append_u8(body, (uint8_t)half);
                ds_byte_buffer_append_u8(body, (uint8_t)(half >> 8));
            }
        }
    }
    for (int d = 0; d < orders; d++) {
        bit_writer writer = {body, 0, 0};
        int bits = index_bits(layer->entries[d]);
        for (size_t i = 0; i < layer->count; i++) {
            bits_put(&writer, layer->initial[d][i], bits);
        }
        bits_flush(&writer);
    }
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            ds_varint_append(body, layer->change_starts[d][f] - layer->change_starts[d][f - 1]);
        }
    }
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            for (uint32_t c = layer->change_starts[d][f - 1]; c < layer->change_starts[d][f]; c++) {
                uint32_t id = layer->change_gaussians[d][c];
                ds_varint_append(body, c == layer->change_starts[d][f - 1]
                                           ? id
                                           : id - layer->change_gaussians[d][c - 1] - 1);
            }
        }
    }
    bit_writer writer = {body, 0, 0};
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            int bits = index_bits(layer->entries[d]);
            for (uint32_t c = layer->change_starts[d][f - 1]; c < layer->change_starts[d][f]; c++) {
                bits_put(&writer, layer->change_indices[d][c], bits);
            }
        }
    }
    bits_flush(&writer);
}

static ds_status compress_body(const ds_byte_buffer *body, ds_byte_buffer *out) {
    size_t bound = ZSTD_compressBound(body->size);
    if (!ds_byte_buffer_reserve(out, bound)) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for the colour layer");
    }
    ZSTD_CCtx *context = ZSTD_createCCtx();
    if (!context) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for zstd");
    }
    size_t written = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, COLOUR_ZSTD_LEVEL);
    if (!ZSTD_isError(written)) {
        written = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1);
    }
    if (!ZSTD_isError(written)) {
        written = ZSTD_compress2(context, out->data + out->size, bound, body->data, body->size);
    }
    ZSTD_freeCCtx(context);
    if (ZSTD_isError(written)) {
        return ds_error(DS_ERR_NO_MEMORY, "zstd compression failed (%s)",
                        ZSTD_getErrorName(written));
    }
    out->size += written;
    return ds_ok();
}

ds_status ds_colour_layer_encode(const ds_colour_layer *layer, ds_byte_buffer *out) {
    ds_status status = check_layer(layer);
    if (ds_failed(&status)) {
        return status;
    }
    ds_byte_buffer body = {0};
    write_body(layer, &body);
    status = ds_byte_buffer_status(&body);
    if (!ds_failed(&status)) {
        ds_byte_buffer_append_u8(out, DS_COLOUR_LAYER_VERSION);
        ds_byte_buffer_append_u8(out, (uint8_t)layer->sh_degree);
        ds_byte_buffer_append_u32le(out, (uint32_t)layer->count);
        ds_byte_buffer_append_u32le(out, layer->frames);
        for (int d = 0; d <= layer->sh_degree; d++) {
            ds_byte_buffer_append_u32le(out, layer->entries[d]);
        }
        ds_byte_buffer_append_u64le(out, body.size);
        status = ds_byte_buffer_status(out);
    }
    if (!ds_failed(&status)) {
        status = compress_body(&body, out);
    }
    ds_byte_buffer_free(&body);
    return status;
}

/* ---- decoding ---- */

static ds_status corrupt(const char *what) {
    return ds_error(DS_ERR_FORMAT, "colour layer %s", what);
}

/* Reads one section of bit-packed values, checking its size and padding. */
static ds_status read_packed(ds_byte_reader *reader, uint64_t values_bits, bit_reader *bits,
                             size_t *section_bytes) {
    *section_bytes = (size_t)((values_bits + 7) / 8);
    if (!ds_byte_reader_bytes(reader, *section_bytes, &bits->data)) {
        return corrupt("indices are truncated");
    }
    bits->position = 0;
    return ds_ok();
}

static ds_status parse_body(const uint8_t *data, size_t size, ds_colour_layer *layer) {
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    int orders = layer->sh_degree + 1;
    for (int d = 0; d < orders; d++) {
        size_t dims = (size_t)order_dims[d], entries = layer->entries[d];
        const uint8_t *halves;
        if (!ds_byte_reader_bytes(&reader, entries * dims * 2, &halves)) {
            return corrupt("codebook is truncated");
        }
        layer->codebooks[d] = malloc(sizeof(float) * entries * dims);
        if (!layer->codebooks[d]) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory for a colour codebook");
        }
        for (size_t k = 0; k < dims; k++) {
            for (size_t e = 0; e < entries; e++) {
                const uint8_t *p = halves + (k * entries + e) * 2;
                float value = ds_half_to_float((uint16_t)(p[0] | p[1] << 8));
                if (!isfinite(value)) {
                    return corrupt("codebook holds a non-finite value");
                }
                layer->codebooks[d][e * dims + k] = value;
            }
        }
    }
    for (int d = 0; d < orders; d++) {
        int bits = index_bits(layer->entries[d]);
        bit_reader packed;
        size_t section_bytes;
        ds_status status =
            read_packed(&reader, (uint64_t)layer->count * (uint64_t)bits, &packed, &section_bytes);
        if (ds_failed(&status)) {
            return status;
        }
        layer->initial[d] = malloc(sizeof(uint32_t) * layer->count);
        if (!layer->initial[d]) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory for colour indices");
        }
        for (size_t i = 0; i < layer->count; i++) {
            uint32_t index = bits_get(&packed, bits);
            if (index >= layer->entries[d]) {
                return corrupt("index is out of range");
            }
            layer->initial[d][i] = index;
        }
        if (!bits_padding_clear(&packed, section_bytes)) {
            return corrupt("index padding is not zero");
        }
    }

    uint64_t total_changes = 0;
    for (int d = 0; d < orders; d++) {
        layer->change_starts[d] = malloc(sizeof(uint32_t) * layer->frames);
        if (!layer->change_starts[d]) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory for colour change lists");
        }
        layer->change_starts[d][0] = 0;
    }
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            uint32_t changes;
            if (!ds_varint_read(&reader, &changes)) {
                return corrupt("change counts are truncated or malformed");
            }
            uint64_t end = (uint64_t)layer->change_starts[d][f - 1] + changes;
            if (changes > layer->count || end > UINT32_MAX) {
                return corrupt("change count is too large");
            }
            layer->change_starts[d][f] = (uint32_t)end;
            total_changes += changes;
        }
    }
    /* Each change takes at least one byte of id gap: bound the allocations by the data. */
    if (total_changes > ds_byte_reader_remaining(&reader)) {
        return corrupt("change lists are truncated");
    }
    uint64_t index_bits_total = 0;
    for (int d = 0; d < orders; d++) {
        size_t changes = layer->change_starts[d][layer->frames - 1];
        index_bits_total += (uint64_t)changes * (uint64_t)index_bits(layer->entries[d]);
        /* One element at least, so a layer without changes still has non-NULL arrays. */
        layer->change_gaussians[d] = malloc(sizeof(uint32_t) * (changes ? changes : 1));
        layer->change_indices[d] = malloc(sizeof(uint32_t) * (changes ? changes : 1));
        if (!layer->change_gaussians[d] || !layer->change_indices[d]) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory for colour change lists");
        }
    }
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            uint64_t next_id = 0;
            for (uint32_t c = layer->change_starts[d][f - 1]; c < layer->change_starts[d][f]; c++) {
                uint32_t gap;
                if (!ds_varint_read(&reader, &gap)) {
                    return corrupt("changed Gaussians are truncated or malformed");
                }
                uint64_t id = next_id + gap;
                if (id >= layer->count) {
                    return corrupt("changes a Gaussian that does not exist");
                }
                layer->change_gaussians[d][c] = (uint32_t)id;
                next_id = id + 1;
            }
        }
    }
    bit_reader packed;
    size_t section_bytes;
    ds_status status = read_packed(&reader, index_bits_total, &packed, &section_bytes);
    if (ds_failed(&status)) {
        return status;
    }
    for (uint32_t f = 1; f < layer->frames; f++) {
        for (int d = 0; d < orders; d++) {
            int bits = index_bits(layer->entries[d]);
            for (uint32_t c = layer->change_starts[d][f - 1]; c < layer->change_starts[d][f]; c++) {
                uint32_t index = bits_get(&packed, bits);
                if (index >= layer->entries[d]) {
                    return corrupt("changed index is out of range");
                }
                layer->change_indices[d][c] = index;
            }
        }
    }
    if (!bits_padding_clear(&packed, section_bytes)) {
        return corrupt("index padding is not zero");
    }
    if (ds_byte_reader_remaining(&reader) != 0) {
        return corrupt("has trailing bytes");
    }
    return ds_ok();
}

/* The most bytes a body with these parameters can take: codebooks and first-frame indices,
 * then at most `count` changes per frame and order of at most 5 + 2 bytes, plus the counts. */
static double largest_body(const ds_colour_layer *layer) {
    int orders = layer->sh_degree + 1;
    double bytes = 0.0;
    for (int d = 0; d < orders; d++) {
        bytes += (double)layer->entries[d] * order_dims[d] * 2.0;
        bytes += (double)packed_bytes(layer->count, index_bits(layer->entries[d]));
    }
    double lists = (double)(layer->frames - 1) * orders;
    return bytes + lists * MAX_VARINT_BYTES + lists * (double)layer->count * (MAX_VARINT_BYTES + 2);
}

static ds_status decompress_body(const uint8_t *compressed, size_t size, uint64_t body_size,
                                 uint8_t **body) {
    *body = NULL;
    /* RFC 8878: magic number, then the frame header descriptor whose bit 2 says the frame ends
     * with a checksum of its content; we require one so damage cannot decode silently. */
    const uint32_t zstd_magic = 0xfd2fb528u;
    if (size < 5 || ds_load_u32le(compressed) != zstd_magic || !(compressed[4] & 0x04) ||
        ZSTD_getFrameContentSize(compressed, size) != body_size ||
        ZSTD_findFrameCompressedSize(compressed, size) != size) {
        return corrupt("data is not one checksummed zstd frame of the declared size");
    }
    *body = malloc(body_size ? (size_t)body_size : 1);
    if (!*body) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for the colour layer");
    }
    size_t produced = ZSTD_decompress(*body, (size_t)body_size, compressed, size);
    if (ZSTD_isError(produced) || produced != body_size) {
        return ds_error(DS_ERR_FORMAT, "colour layer data is corrupt (%s)",
                        ZSTD_isError(produced) ? ZSTD_getErrorName(produced) : "short");
    }
    return ds_ok();
}

ds_status ds_colour_layer_decode(const uint8_t *data, size_t size, size_t expected_count,
                                 int expected_sh_degree, uint32_t expected_frames,
                                 ds_colour_layer *layer) {
    memset(layer, 0, sizeof *layer);
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    uint8_t version, degree;
    uint32_t count, frames;
    if (!ds_byte_reader_u8(&reader, &version) || !ds_byte_reader_u8(&reader, &degree) ||
        !ds_byte_reader_u32le(&reader, &count) || !ds_byte_reader_u32le(&reader, &frames)) {
        return corrupt("header is truncated");
    }
    if (version != DS_COLOUR_LAYER_VERSION) {
        return ds_error(DS_ERR_UNSUPPORTED, "colour layer version %u is not supported", version);
    }
    if (degree > 3) {
        return corrupt("has an SH degree above 3");
    }
    if (degree != expected_sh_degree || count != expected_count || frames != expected_frames ||
        count == 0 || frames == 0) {
        return ds_error(DS_ERR_FORMAT,
                        "colour layer is for %u Gaussians, SH degree %u, %u frames; the stream "
                        "has %zu, %d, %u",
                        count, degree, frames, expected_count, expected_sh_degree, expected_frames);
    }
    layer->sh_degree = degree;
    layer->count = count;
    layer->frames = frames;
    for (int d = 0; d <= layer->sh_degree; d++) {
        if (!ds_byte_reader_u32le(&reader, &layer->entries[d])) {
            memset(layer, 0, sizeof *layer);
            return corrupt("header is truncated");
        }
        if (layer->entries[d] == 0 || layer->entries[d] > DS_COLOUR_MAX_ENTRIES) {
            memset(layer, 0, sizeof *layer);
            return corrupt("codebook size is out of range");
        }
    }
    uint64_t body_size;
    if (!ds_byte_reader_u64le(&reader, &body_size)) {
        memset(layer, 0, sizeof *layer);
        return corrupt("header is truncated");
    }
    if ((double)body_size > largest_body(layer) || body_size > SIZE_MAX / 2 ||
        body_size >= ZSTD_CONTENTSIZE_ERROR) {
        memset(layer, 0, sizeof *layer);
        return corrupt("declares more data than its parameters allow");
    }
    uint8_t *body = NULL;
    ds_status status = decompress_body(data + reader.position, ds_byte_reader_remaining(&reader),
                                       body_size, &body);
    if (!ds_failed(&status)) {
        status = parse_body(body, (size_t)body_size, layer);
    }
    free(body);
    if (ds_failed(&status)) {
        ds_colour_layer_free(layer);
    }
    return status;
}

/* ---- playback ---- */

void ds_colour_layer_apply_changes(const ds_colour_layer *layer, uint32_t frame,
                                   uint32_t *indices[4]) {
    if (frame == 0 || frame >= layer->frames) {
        return;
    }
    for (int d = 0; d <= layer->sh_degree; d++) {
        const uint32_t *starts = layer->change_starts[d];
        for (uint32_t c = starts[frame - 1]; c < starts[frame]; c++) {
            indices[d][layer->change_gaussians[d][c]] = layer->change_indices[d][c];
        }
    }
}

ds_status ds_colour_layer_indices_at(const ds_colour_layer *layer, uint32_t frame,
                                     uint32_t *indices[4]) {
    if (frame >= layer->frames) {
        return ds_error(DS_ERR_ARGUMENT, "frame %u is past the segment's %u frames", frame,
                        layer->frames);
    }
    for (int d = 0; d <= layer->sh_degree; d++) {
        memcpy(indices[d], layer->initial[d], sizeof(uint32_t) * layer->count);
    }
    for (uint32_t f = 1; f <= frame; f++) {
        ds_colour_layer_apply_changes(layer, f, indices);
    }
    return ds_ok();
}

void ds_colour_layer_expand(const ds_colour_layer *layer, uint32_t *const indices[4], float *sh) {
    size_t stride = (size_t)3 * (size_t)((layer->sh_degree + 1) * (layer->sh_degree + 1));
    for (int d = 0; d <= layer->sh_degree; d++) {
        size_t dims = (size_t)order_dims[d];
        const float *codebook = layer->codebooks[d];
        const uint32_t *order_indices = indices[d];
        float *target = sh + order_offsets[d];
        for (size_t i = 0; i < layer->count; i++) {
            memcpy(target + i * stride, codebook + (size_t)order_indices[i] * dims,
                   sizeof(float) * dims);
        }
    }
}
