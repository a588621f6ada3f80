#include "spz.h"
#include "spz_attributes_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define SPZ_MAGIC                       0x5053474eu /* "NGSP" */
#define SPZ_EXTENSION_COORDINATE_SYSTEM 0xadbe0003u
enum { SPZ_LEGACY_HEADER_BYTES = 16, SPZ_V4_HEADER_BYTES = 32, SPZ_TOC_ENTRY_BYTES = 16 };
enum { SPZ_FLAG_ANTIALIASED = 1, SPZ_FLAG_EXTENSIONS = 2 };
enum { SPZ_MAX_FRACTIONAL_BITS = 24 };
/* deflate cannot expand data more than 1032 times and no real splat compresses that well with
 * zstd either: a header that claims more Gaussians than the file could hold is corrupt, and
 * checking this before allocating keeps a small file from asking for gigabytes. */
enum { SPZ_MAX_EXPANSION = 1032 };
enum { SPZ_ZSTD_LEVEL = 12 }; /* the reference writer's level */

/* ---- header fields shared by every version ---- */

static ds_status parse_header_fields(const uint8_t *h, spz_layout *layout, uint8_t *flags) {
    if (ds_load_u32le(h) != SPZ_MAGIC) {
        return ds_error(DS_ERR_FORMAT, "not a .spz file (no NGSP signature)");
    }
    uint32_t version = ds_load_u32le(h + 4);
    if (version < 1 || version > 4) {
        return ds_error(DS_ERR_UNSUPPORTED, ".spz version %u (this build reads 1-4)", version);
    }
    *layout = (spz_layout){
        .version = version,
        .count = ds_load_u32le(h + 8),
        .sh_degree = h[12],
        .fractional_bits = h[13],
        .antialiased = (h[14] & SPZ_FLAG_ANTIALIASED) != 0,
        .axes = SPZ_AXES_RUB,
    };
    *flags = h[14];
    if (layout->sh_degree > SPZ_MAX_SH_DEGREE) {
        return ds_error(DS_ERR_FORMAT, ".spz SH degree %d is above the format's maximum of %d",
                        layout->sh_degree, SPZ_MAX_SH_DEGREE);
    }
    if (layout->fractional_bits > SPZ_MAX_FRACTIONAL_BITS) {
        return ds_error(DS_ERR_FORMAT, ".spz position precision of %d fractional bits is invalid",
                        layout->fractional_bits);
    }
    return ds_ok();
}

static size_t total_stream_bytes(const spz_layout *layout) {
    size_t total = 0;
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        total += spz_stream_size(layout, s);
    }
    return total;
}

static ds_status check_plausible_size(const spz_layout *layout, size_t file_size) {
    if (layout->count > DS_GAUSSIAN_CLOUD_MAX_COUNT ||
        total_stream_bytes(layout) / SPZ_MAX_EXPANSION > file_size) {
        return ds_error(DS_ERR_FORMAT,
                        ".spz header claims %u Gaussians, more than a %zu byte file "
                        "can hold (corrupt header)",
                        layout->count, file_size);
    }
    return ds_ok();
}

static void fill_info(const spz_layout *layout, bool zstd, ds_spz_info *info) {
    if (info) {
        *info = (ds_spz_info){
            .version = layout->version,
            .count = layout->count,
            .sh_degree = layout->sh_degree,
            .fractional_bits = layout->fractional_bits,
            .antialiased = layout->antialiased,
            .compressed_with_zstd = zstd,
        };
    }
}

static void point_streams(const spz_layout *layout, const uint8_t *base,
                          const uint8_t *streams[SPZ_STREAM_COUNT]) {
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        size_t bytes = spz_stream_size(layout, s);
        streams[s] = bytes ? base : NULL;
        base += bytes;
    }
}

/* ---- versions 1-3: one gzip stream holding a 16-byte header and the arrays ---- */

typedef struct gunzip {
    z_stream z;
    const uint8_t *data;
    size_t size;
    size_t fed;
} gunzip;

static void feed_input(gunzip *g) {
    if (g->z.avail_in == 0 && g->fed < g->size) {
        size_t chunk = g->size - g->fed;
        if (chunk > (size_t)1 << 30) {
            chunk = (size_t)1 << 30;
        }
        g->z.next_in = (Bytef *)(uintptr_t)(g->data + g->fed);
        g->z.avail_in = (uInt)chunk;
        g->fed += chunk;
    }
}

/* Inflates exactly `count` bytes; `ended` tells whether the gzip stream finished with them. */
static ds_status inflate_exactly(gunzip *g, uint8_t *out, size_t count, bool *ended) {
    *ended = false;
    while (count > 0) {
        feed_input(g);
        size_t chunk = count < (size_t)1 << 30 ? count : (size_t)1 << 30;
        g->z.next_out = out;
        g->z.avail_out = (uInt)chunk;
        int result = inflate(&g->z, Z_NO_FLUSH);
        size_t produced = chunk - g->z.avail_out;
        out += produced;
        count -= produced;
        if (result == Z_STREAM_END) {
            *ended = true;
            if (count > 0) {
                return ds_error(DS_ERR_FORMAT, ".spz data ends %zu bytes early (truncated)", count);
            }
            return ds_ok();
        }
        if (result == Z_BUF_ERROR && g->z.avail_in == 0 && g->fed == g->size) {
            return ds_error(DS_ERR_FORMAT, ".spz file is truncated (gzip stream is incomplete)");
        }
        if (result != Z_OK && result != Z_BUF_ERROR) {
            return ds_error(DS_ERR_FORMAT, ".spz gzip data is corrupt (%s)",
                            g->z.msg ? g->z.msg : "inflate failed");
        }
    }
    return ds_ok();
}

/* Reads past anything after the arrays to the end of the gzip stream, where zlib checks the
 * CRC, so corruption anywhere in the file is reported. */
static ds_status inflate_to_end(gunzip *g, size_t limit) {
    uint8_t scratch[4096];
    size_t extra = 0;
    for (;;) {
        feed_input(g);
        g->z.next_out = scratch;
        g->z.avail_out = sizeof scratch;
        int result = inflate(&g->z, Z_NO_FLUSH);
        extra += sizeof scratch - g->z.avail_out;
        if (result == Z_STREAM_END) {
            break;
        }
        if (extra > limit) {
            return ds_error(DS_ERR_FORMAT, ".spz holds far more data than its header describes");
        }
        if (result == Z_BUF_ERROR && g->z.avail_in == 0 && g->fed == g->size) {
            return ds_error(DS_ERR_FORMAT, ".spz file is truncated (gzip stream is incomplete)");
        }
        if (result != Z_OK && result != Z_BUF_ERROR) {
            return ds_error(DS_ERR_FORMAT, ".spz gzip data is corrupt (%s)",
                            g->z.msg ? g->z.msg : "inflate failed");
        }
    }
    return ds_ok();
}

static ds_status decode_gzip(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud,
                             ds_spz_info *info) {
    gunzip g = {.data = data, .size = size};
    if (inflateInit2(&g.z, 16 + MAX_WBITS) != Z_OK) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot start a gzip decoder");
    }
    uint8_t *payload = NULL;
    uint8_t header[SPZ_LEGACY_HEADER_BYTES];
    bool ended = false;
    spz_layout layout;
    uint8_t flags;
    ds_status status = inflate_exactly(&g, header, sizeof header, &ended);
    if (!ds_failed(&status)) {
        status = parse_header_fields(header, &layout, &flags);
    }
    if (!ds_failed(&status)) {
        status = check_plausible_size(&layout, size);
    }
    size_t payload_size = 0;
    if (!ds_failed(&status)) {
        payload_size = total_stream_bytes(&layout);
        payload = malloc(payload_size ? payload_size : 1);
        if (!payload) {
            status =
                ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes for .spz data", payload_size);
        }
    }
    if (!ds_failed(&status) && payload_size > 0) {
        if (ended) {
            status = ds_error(DS_ERR_FORMAT, ".spz data ends after its header (truncated)");
        } else {
            status = inflate_exactly(&g, payload, payload_size, &ended);
        }
    }
    if (!ds_failed(&status) && !ended) {
        status = inflate_to_end(&g, size * SPZ_MAX_EXPANSION);
    }
    if (!ds_failed(&status) && (g.z.avail_in > 0 || g.fed < g.size)) {
        status = ds_error(DS_ERR_FORMAT, ".spz has unexpected bytes after its gzip stream");
    }
    if (!ds_failed(&status)) {
        const uint8_t *streams[SPZ_STREAM_COUNT];
        point_streams(&layout, payload, streams);
        status = spz_unpack(&layout, streams, cloud);
        fill_info(&layout, false, info);
    }
    inflateEnd(&g.z);
    free(payload);
    return status;
}

/* ---- version 4: 32-byte header, extension records, table of contents, zstd streams ---- */

static ds_status parse_extensions(const uint8_t *data, size_t begin, size_t end,
                                  spz_layout *layout) {
    ds_byte_reader reader = ds_byte_reader_make(data + begin, end - begin);
    while (ds_byte_reader_remaining(&reader) > 0) {
        uint32_t type, length;
        const uint8_t *payload;
        if (!ds_byte_reader_u32le(&reader, &type) || !ds_byte_reader_u32le(&reader, &length) ||
            !ds_byte_reader_bytes(&reader, length, &payload)) {
            return ds_error(DS_ERR_FORMAT, ".spz extension records overrun their area");
        }
        if (type != SPZ_EXTENSION_COORDINATE_SYSTEM) {
            continue; /* unknown extensions only add information; skip them */
        }
        uint32_t axes = length >= 4 ? ds_load_u32le(payload) : 0;
        if (axes == 0) {
            continue; /* "unspecified": the default axes */
        }
        if (axes > 8) {
            return ds_error(DS_ERR_UNSUPPORTED,
                            ".spz coordinate system %u needs a rotation, which is not supported",
                            axes);
        }
        layout->axes = (int)axes;
    }
    return ds_ok();
}

static ds_status decode_v4(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud,
                           ds_spz_info *info) {
    if (size < SPZ_V4_HEADER_BYTES) {
        return ds_error(DS_ERR_FORMAT, ".spz file is truncated inside its header");
    }
    spz_layout layout;
    uint8_t flags;
    ds_status status = parse_header_fields(data, &layout, &flags);
    if (ds_failed(&status)) {
        return status;
    }
    if (layout.version != 4) {
        return ds_error(DS_ERR_FORMAT, "uncompressed .spz of version %u is not a valid file",
                        layout.version);
    }
    if (layout.count == 0) {
        return ds_error(DS_ERR_FORMAT, ".spz file holds no Gaussians");
    }
    status = check_plausible_size(&layout, size);
    if (ds_failed(&status)) {
        return status;
    }
    size_t stream_count = data[15];
    size_t toc_offset = ds_load_u32le(data + 16);
    size_t expected_streams = 0;
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        expected_streams += spz_stream_size(&layout, s) > 0;
    }
    if (stream_count != expected_streams) {
        return ds_error(DS_ERR_FORMAT, ".spz lists %zu streams where SH degree %d needs %zu",
                        stream_count, layout.sh_degree, expected_streams);
    }
    if (toc_offset < SPZ_V4_HEADER_BYTES || toc_offset > size ||
        stream_count * SPZ_TOC_ENTRY_BYTES > size - toc_offset) {
        return ds_error(DS_ERR_FORMAT, ".spz table of contents lies outside the file");
    }
    if (flags & SPZ_FLAG_EXTENSIONS) {
        status = parse_extensions(data, SPZ_V4_HEADER_BYTES, toc_offset, &layout);
        if (ds_failed(&status)) {
            return status;
        }
    }
    size_t payload_size = total_stream_bytes(&layout);
    uint8_t *payload = malloc(payload_size);
    if (!payload) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes for .spz data", payload_size);
    }
    const uint8_t *toc = data + toc_offset;
    size_t offset = toc_offset + stream_count * SPZ_TOC_ENTRY_BYTES;
    uint8_t *out = payload;
    for (int s = 0, entry = 0; s < SPZ_STREAM_COUNT && !ds_failed(&status); s++) {
        size_t expected = spz_stream_size(&layout, s);
        if (expected == 0) {
            continue; /* empty streams have no table entry */
        }
        uint64_t compressed = ds_load_u64le(toc + entry * SPZ_TOC_ENTRY_BYTES);
        uint64_t uncompressed = ds_load_u64le(toc + entry * SPZ_TOC_ENTRY_BYTES + 8);
        entry++;
        if (uncompressed != expected) {
            status = ds_error(DS_ERR_FORMAT, ".spz stream %d holds %llu bytes where %zu belong", s,
                              (unsigned long long)uncompressed, expected);
        } else if (compressed > size - offset) {
            status = ds_error(DS_ERR_FORMAT, ".spz file is truncated (stream %d is incomplete)", s);
        } else {
            size_t produced = ZSTD_decompress(out, expected, data + offset, (size_t)compressed);
            if (ZSTD_isError(produced)) {
                status = ds_error(DS_ERR_FORMAT, ".spz stream %d is corrupt (%s)", s,
                                  ZSTD_getErrorName(produced));
            } else if (produced != expected) {
                status =
                    ds_error(DS_ERR_FORMAT, ".spz stream %d decompresses to %zu bytes, not %zu", s,
                             produced, expected);
            }
            offset += (size_t)compressed;
            out += expected;
        }
    }
    if (!ds_failed(&status) && offset != size) {
        status = ds_error(DS_ERR_FORMAT, ".spz has %zu unexpected bytes after its last stream",
                          size - offset);
    }
    if (!ds_failed(&status)) {
        const uint8_t *streams[SPZ_STREAM_COUNT];
        point_streams(&layout, payload, streams);
        status = spz_unpack(&layout, streams, cloud);
        fill_info(&layout, true, info);
    }
    free(payload);
    return status;
}

ds_status ds_spz_decode(const uint8_t *data, size_t size, ds_gaussian_cloud **cloud,
                        ds_spz_info *info) {
    *cloud = NULL;
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        return decode_gzip(data, size, cloud, info);
    }
    if (size >= 4 && ds_load_u32le(data) == SPZ_MAGIC) {
        return decode_v4(data, size, cloud, info);
    }
    return ds_error(DS_ERR_FORMAT, "not a .spz file (neither gzip nor NGSP signature)");
}

/* ---- encoding ---- */

static void append_legacy_header(const spz_layout *layout, ds_byte_buffer *out) {
    ds_byte_buffer_append_u32le(out, SPZ_MAGIC);
    ds_byte_buffer_append_u32le(out, layout->version);
    ds_byte_buffer_append_u32le(out, layout->count);
    ds_byte_buffer_append_u8(out, (uint8_t)layout->sh_degree);
    ds_byte_buffer_append_u8(out, (uint8_t)layout->fractional_bits);
    ds_byte_buffer_append_u8(out, layout->antialiased ? SPZ_FLAG_ANTIALIASED : 0);
    ds_byte_buffer_append_u8(out, 0);
}

static ds_status gzip_into(const ds_byte_buffer *raw, ds_byte_buffer *out) {
    z_stream z = {0};
    /* 16 + window bits asks zlib for a gzip wrapper, as the reference writer does. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot start a gzip encoder");
    }
    if (raw->size > UINT_MAX) {
        deflateEnd(&z);
        return ds_error(DS_ERR_UNSUPPORTED, "SPZ payload over 4 GiB; use --spz-version 4");
    }
    size_t bound = deflateBound(&z, (uLong)raw->size);
    if (bound > UINT_MAX || !ds_byte_buffer_reserve(out, bound)) {
        deflateEnd(&z);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the .spz output");
    }
    z.next_in = raw->data;
    z.avail_in = (uInt)raw->size;
    z.next_out = out->data + out->size;
    z.avail_out = (uInt)bound;
    int result = deflate(&z, Z_FINISH);
    size_t written = bound - z.avail_out;
    deflateEnd(&z);
    if (result != Z_STREAM_END) {
        return ds_error(DS_ERR_NO_MEMORY, "gzip compression failed");
    }
    out->size += written;
    return ds_ok();
}

static ds_status encode_legacy(const spz_layout *layout, ds_byte_buffer streams[SPZ_STREAM_COUNT],
                               ds_byte_buffer *out) {
    ds_byte_buffer raw = {0};
    append_legacy_header(layout, &raw);
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        ds_byte_buffer_append(&raw, streams[s].data, streams[s].size);
    }
    ds_status status = ds_byte_buffer_status(&raw);
    if (!ds_failed(&status)) {
        status = gzip_into(&raw, out);
    }
    ds_byte_buffer_free(&raw);
    return status;
}

static ds_status encode_v4(const spz_layout *layout, ds_byte_buffer streams[SPZ_STREAM_COUNT],
                           ds_byte_buffer *out) {
    ds_byte_buffer compressed[SPZ_STREAM_COUNT] = {0};
    size_t stream_count = 0;
    ds_status status = ds_ok();
    for (int s = 0; s < SPZ_STREAM_COUNT && !ds_failed(&status); s++) {
        if (streams[s].size == 0) {
            continue;
        }
        stream_count++;
        size_t bound = ZSTD_compressBound(streams[s].size);
        if (!ds_byte_buffer_reserve(&compressed[s], bound)) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate the .spz output");
            break;
        }
        size_t written = ZSTD_compress(compressed[s].data, bound, streams[s].data, streams[s].size,
                                       SPZ_ZSTD_LEVEL);
        if (ZSTD_isError(written)) {
            status = ds_error(DS_ERR_NO_MEMORY, "zstd compression failed (%s)",
                              ZSTD_getErrorName(written));
        } else {
            compressed[s].size = written;
        }
    }
    if (!ds_failed(&status)) {
        ds_byte_buffer_append_u32le(out, SPZ_MAGIC);
        ds_byte_buffer_append_u32le(out, 4);
        ds_byte_buffer_append_u32le(out, layout->count);
        ds_byte_buffer_append_u8(out, (uint8_t)layout->sh_degree);
        ds_byte_buffer_append_u8(out, (uint8_t)layout->fractional_bits);
        ds_byte_buffer_append_u8(out, layout->antialiased ? SPZ_FLAG_ANTIALIASED : 0);
        ds_byte_buffer_append_u8(out, (uint8_t)stream_count);
        ds_byte_buffer_append_u32le(out, SPZ_V4_HEADER_BYTES); /* no extensions */
        static const uint8_t reserved[12] = {0};
        ds_byte_buffer_append(out, reserved, sizeof reserved);
        for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
            if (streams[s].size > 0) {
                ds_byte_buffer_append_u64le(out, compressed[s].size);
                ds_byte_buffer_append_u64le(out, streams[s].size);
            }
        }
        for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
            ds_byte_buffer_append(out, compressed[s].data, compressed[s].size);
        }
        status = ds_byte_buffer_status(out);
    }
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        ds_byte_buffer_free(&compressed[s]);
    }
    return status;
}

ds_status ds_spz_encode(const ds_gaussian_cloud *cloud, const ds_spz_write_options *options,
                        ds_byte_buffer *out) {
    ds_spz_write_options defaults = {0};
    if (!options) {
        options = &defaults;
    }
    spz_pack_options pack = {
        .version = options->version ? (uint32_t)options->version : 3,
        .sh1_bits = options->sh1_bits ? options->sh1_bits : 5,
        .sh_rest_bits = options->sh_rest_bits ? options->sh_rest_bits : 4,
    };
    if (pack.version < 2 || pack.version > 4) {
        return ds_error(DS_ERR_ARGUMENT, "cannot write .spz version %u (choose 2, 3 or 4)",
                        pack.version);
    }
    if (pack.sh1_bits < 1 || pack.sh1_bits > 8 || pack.sh_rest_bits < 1 || pack.sh_rest_bits > 8) {
        return ds_error(DS_ERR_ARGUMENT, "SPZ SH bits must be between 1 and 8");
    }
    ds_byte_buffer streams[SPZ_STREAM_COUNT] = {0};
    spz_layout layout;
    ds_status status = spz_pack(cloud, &pack, &layout, streams);
    if (!ds_failed(&status)) {
        status = pack.version == 4 ? encode_v4(&layout, streams, out)
                                   : encode_legacy(&layout, streams, out);
    }
    for (int s = 0; s < SPZ_STREAM_COUNT; s++) {
        ds_byte_buffer_free(&streams[s]);
    }
    return status;
}
