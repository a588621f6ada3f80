/* The .dsv container (docs/dsv-format.md): the fixed file header, the segment index at the
 * front, and the framing of a segment into versioned, checksummed layers. The layers' contents
 * live in dsv_motion.h, dsv_appearance.h, dsv_colour.h and dsv_corrections.h; the init block's in
 * dsv_init.h. */
#ifndef DS_FORMATS_DSV_CONTAINER_H
#define DS_FORMATS_DSV_CONTAINER_H

#include "byte_buffer.h"
#include "dsv_audio.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    DS_DSV_HEADER_SIZE = 64,
    DS_DSV_INDEX_ENTRY_SIZE = 32,
    DS_DSV_VERSION_MAJOR = 1,
    DS_DSV_VERSION_MINOR = 2, /* 1.1: the world's up axis in the header; 1.2: sound */
    DS_DSV_SEGMENT_HEADER_SIZE = 16,
    DS_DSV_LAYER_ENTRY_SIZE = 16,
    DS_DSV_MAX_LAYERS = 16,
};

/* Largest values a reader accepts, so that sizes computed from them cannot overflow. */
#define DS_DSV_MAX_FRAMES        (1u << 24)
#define DS_DSV_MAX_SEGMENT_BYTES ((uint32_t)3 << 30)

extern const uint8_t ds_dsv_magic[8];

/* Which world axis points up in the picture (header byte 52, since version 1.1). Unspecified
 * (0, and every 1.0 stream) means -y, the axes of COLMAP-trained splats (docs/data-model.md). */
typedef enum ds_dsv_up_axis {
    DS_DSV_UP_UNSPECIFIED = 0,
    DS_DSV_UP_POSITIVE_X,
    DS_DSV_UP_NEGATIVE_X,
    DS_DSV_UP_POSITIVE_Y,
    DS_DSV_UP_NEGATIVE_Y,
    DS_DSV_UP_POSITIVE_Z,
    DS_DSV_UP_NEGATIVE_Z,
    DS_DSV_UP_AXES,
} ds_dsv_up_axis;

/* The up axis as a unit vector (unspecified gives -y). */
void ds_dsv_up_vector(ds_dsv_up_axis axis, double up[3]);
/* "+y", "-z", ... ("unspecified" for 0); and back (false for an unknown name). */
const char *ds_dsv_up_axis_name(ds_dsv_up_axis axis);
bool ds_dsv_up_axis_parse(const char *name, ds_dsv_up_axis *axis);

typedef struct ds_dsv_header {
    uint16_t version_major, version_minor;
    uint32_t frame_count;
    uint32_t fps_numerator, fps_denominator;
    uint32_t segment_frames, segment_count;
    uint64_t init_offset;
    uint32_t init_size, init_crc;
    uint32_t index_crc;
    ds_dsv_up_axis up_axis;
    /* The sound every segment carries an AUDI layer of (since 1.2; DS_AUDIO_NONE: silent). */
    ds_audio_codec audio_codec;
    uint32_t audio_channels, audio_sample_rate;
} ds_dsv_header;

typedef struct ds_dsv_segment_entry {
    uint32_t first_frame, frame_count;
    uint64_t offset;
    uint32_t size, crc;
} ds_dsv_segment_entry;

static inline uint32_t ds_dsv_segment_count(uint32_t frame_count, uint32_t segment_frames) {
    return (uint32_t)(((uint64_t)frame_count + segment_frames - 1) / segment_frames);
}

/* Where the init block starts: right after the header and the index. */
static inline uint64_t ds_dsv_init_offset(uint32_t segment_count) {
    return DS_DSV_HEADER_SIZE + (uint64_t)segment_count * DS_DSV_INDEX_ENTRY_SIZE;
}

void ds_dsv_header_encode(const ds_dsv_header *header, uint8_t out[DS_DSV_HEADER_SIZE]);
/* Checks magic, version, checksum and that the fields are consistent. */
ds_status ds_dsv_header_decode(const uint8_t *data, size_t size, ds_dsv_header *header);

/* The index bytes of `entries` (header->segment_count of them) into `out`. */
void ds_dsv_index_encode(const ds_dsv_segment_entry *entries, uint32_t count, uint8_t *out);
/* Checks the index's checksum and that segments are in order, contiguous in frames and lie
 * after the init block; a segment that runs past `file_size` is kept (a truncated file): the
 * reader reports it when asked for it. */
ds_status ds_dsv_index_decode(const uint8_t *data, size_t size, const ds_dsv_header *header,
                              ds_dsv_segment_entry *entries);

/* Layer types: four characters, stored in file order. */
#define DS_DSV_FOURCC(a, b, c, d)                                                                  \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define DS_DSV_LAYER_MOTION      DS_DSV_FOURCC('M', 'O', 'T', 'N')
#define DS_DSV_LAYER_APPEARANCE  DS_DSV_FOURCC('O', 'P', 'S', 'C')
#define DS_DSV_LAYER_COLOUR      DS_DSV_FOURCC('C', 'O', 'L', 'R')
#define DS_DSV_LAYER_CORRECTIONS DS_DSV_FOURCC('C', 'O', 'R', 'R')
#define DS_DSV_LAYER_AUDIO       DS_DSV_FOURCC('A', 'U', 'D', 'I')

typedef struct ds_dsv_layer {
    uint32_t type;
    uint16_t version;
    const uint8_t *data;
    uint32_t size;
    bool damaged; /* parsing: its checksum failed (only the audio layer is let through so) */
} ds_dsv_layer;

/* Appends a segment: header, layer table (with checksums), payloads. */
ds_status ds_dsv_segment_encode(uint32_t first_frame, uint32_t frames, const ds_dsv_layer *layers,
                                int count, ds_byte_buffer *out);
/* Splits a segment's bytes into its layers (pointing into `data`), checking the header against
 * the index entry and every layer's checksum. A damaged audio layer is passed on marked damaged
 * (its packets have their own checksums, so the picture and the rest of the sound survive); any
 * other damaged layer fails the segment. */
ds_status ds_dsv_segment_parse(const uint8_t *data, size_t size, const ds_dsv_segment_entry *entry,
                               ds_dsv_layer layers[DS_DSV_MAX_LAYERS], int *count);

#endif
