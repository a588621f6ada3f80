/* libFuzzer target for the .dsv reader: the container, the init block and every layer.
 *
 * Checksums would stop almost every mutation at the door, so the target first makes them right
 * (layer table, index and header), then opens the stream, decodes every segment it can and
 * every frame of those, skinned. The first byte chooses between that and feeding the rest to
 * one layer decoder directly. */
#include "formats/dsv_reader.h"
#include "render/stream_frame.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc(const uint8_t *data, size_t size) {
    return (uint32_t)crc32_z(0, data, size);
}

/* Rewrites every checksum the bytes have room for. */
static void fix_checksums(uint8_t *bytes, size_t size) {
    if (size < DS_DSV_HEADER_SIZE) {
        return;
    }
    uint32_t segments = ds_load_u32le(bytes + 28);
    uint64_t init_offset = ds_load_u64le(bytes + 32);
    uint32_t init_size = ds_load_u32le(bytes + 40);
    if (init_offset <= size && init_size <= size - init_offset) {
        ds_store_u32le(bytes + 44, crc(bytes + init_offset, init_size));
    }
    size_t index_bytes = (size_t)segments * DS_DSV_INDEX_ENTRY_SIZE;
    if (segments <= 4096 && index_bytes <= size - DS_DSV_HEADER_SIZE) {
        for (uint32_t s = 0; s < segments; s++) {
            uint8_t *entry = bytes + DS_DSV_HEADER_SIZE + (size_t)s * DS_DSV_INDEX_ENTRY_SIZE;
            uint64_t offset = ds_load_u64le(entry + 8);
            uint32_t length = ds_load_u32le(entry + 16);
            if (offset > size || length > size - offset || length < DS_DSV_SEGMENT_HEADER_SIZE) {
                continue;
            }
            uint8_t *segment = bytes + offset;
            uint32_t layers = (uint32_t)(segment[6] | segment[7] << 8);
            size_t at = DS_DSV_SEGMENT_HEADER_SIZE + (size_t)layers * DS_DSV_LAYER_ENTRY_SIZE;
            for (uint32_t l = 0; l < layers && at <= length; l++) {
                uint8_t *table = segment + DS_DSV_SEGMENT_HEADER_SIZE + l * DS_DSV_LAYER_ENTRY_SIZE;
                if ((size_t)(table - segment) + DS_DSV_LAYER_ENTRY_SIZE > length) {
                    break;
                }
                uint32_t layer_size = ds_load_u32le(table + 8);
                if (layer_size > length - at) {
                    break;
                }
                ds_store_u32le(table + 12, crc(segment + at, layer_size));
                at += layer_size;
            }
            ds_store_u32le(entry + 20, crc(segment, length));
        }
        ds_store_u32le(bytes + 48, crc(bytes + DS_DSV_HEADER_SIZE, index_bytes));
    }
    ds_store_u32le(bytes + 60, crc(bytes, 60));
}

static void decode_stream(const uint8_t *data, size_t size) {
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes) {
        return;
    }
    memcpy(bytes, data, size);
    fix_checksums(bytes, size);
    ds_byte_source source;
    ds_memory_source_open(bytes, size, &source);
    ds_dsv *dsv;
    if (ds_dsv_open(source, &dsv).code == DS_OK) {
        ds_gaussian_cloud *cloud = NULL;
        ds_dsv_frame frame = {0};
        /* Streams too large for a fuzzer's memory are left at the header. */
        bool small = dsv->canonical.skin_count <= 4096 && dsv->canonical.joint_count <= 4096;
        if (small && ds_stream_cloud_create(dsv, &cloud).code == DS_OK &&
            ds_dsv_frame_create(dsv, &frame).code == DS_OK) {
            for (uint32_t s = 0; s < dsv->header.segment_count && s < 8; s++) {
                ds_dsv_segment segment;
                if (ds_dsv_read_segment(dsv, s, &segment).code != DS_OK) {
                    continue;
                }
                for (uint32_t t = 0; t < segment.frames; t++) {
                    if (ds_dsv_frame_decode(dsv, &segment, t, &frame).code == DS_OK) {
                        ds_stream_frame_cloud(dsv, &segment, &frame, cloud);
                    }
                }
                ds_dsv_segment_free(&segment);
            }
        }
        ds_dsv_frame_free(&frame);
        ds_gaussian_cloud_free(cloud);
        ds_dsv_close(dsv);
    }
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const uint8_t *rest = data + 1;
    size_t length = size - 1;
    switch (data[0] % 4) {
    case 0:
        decode_stream(rest, length);
        break;
    case 1: {
        ds_motion_layer motion;
        if (ds_motion_layer_decode(rest, length, 3, 5, &motion).code == DS_OK) {
            ds_motion_layer_free(&motion);
        }
        break;
    }
    case 2: {
        ds_corrections_layer corrections;
        if (ds_corrections_layer_decode(rest, length, 16, 4, &corrections).code == DS_OK) {
            ds_corrections_layer_free(&corrections);
        }
        break;
    }
    default: {
        ds_dsv_canonical canonical;
        if (ds_dsv_canonical_decode(rest, length, &canonical).code == DS_OK) {
            ds_dsv_canonical_free(&canonical);
        }
        break;
    }
    }
    return 0;
}
