/* Reading a .dsv stream (docs/dsv-format.md): open checks header, index and init block; each
 * segment then decodes on its own into its layers, and any frame of a decoded segment into the
 * joints' transforms and the skin's appearance (render/stream_frame.h skins it into a cloud).
 * Random access gives exactly what sequential decoding gives. */
#ifndef DS_FORMATS_DSV_READER_H
#define DS_FORMATS_DSV_READER_H

#include "byte_source.h"
#include "dsv_appearance.h"
#include "dsv_audio.h"
#include "dsv_colour.h"
#include "dsv_container.h"
#include "dsv_corrections.h"
#include "dsv_init.h"
#include "dsv_motion.h"

typedef struct ds_dsv {
    ds_byte_source source;
    ds_dsv_header header;
    ds_dsv_segment_entry *segments;
    ds_dsv_canonical canonical;
    uint32_t *spatial_order; /* of the canonical skin (formats/spatial_order.h) */
} ds_dsv;

/* Opens a stream, taking ownership of `source` (closed on failure too). */
ds_status ds_dsv_open(ds_byte_source source, ds_dsv **dsv);
ds_status ds_dsv_open_file(const char *path, ds_dsv **dsv);
/* Whether a file starts with the .dsv signature (whatever its name). */
bool ds_dsv_file_is_stream(const char *path);
void ds_dsv_close(ds_dsv *dsv);

/* The layers a segment stores, by kind, for size reports. */
enum {
    DS_DSV_MOTION,
    DS_DSV_APPEARANCE,
    DS_DSV_COLOUR,
    DS_DSV_CORRECTIONS,
    DS_DSV_AUDIO,
    DS_DSV_KINDS
};

typedef struct ds_dsv_segment {
    uint32_t index, first_frame, frames;
    ds_motion_layer motion;
    ds_appearance_layer appearance;
    ds_colour_layer colour;
    bool has_corrections;
    ds_corrections_layer corrections;
    /* The segment's sound (streams with a sound track: header.audio_codec). A damaged packet is
     * left out; damage to the audio layer's table costs the segment its sound, not its picture:
     * `audio_problem` then says what was lost ("" when nothing was). */
    bool has_audio;
    ds_audio_layer audio;
    char audio_problem[DS_STATUS_MESSAGE_SIZE + 32];
    uint32_t layer_bytes[DS_DSV_KINDS];
} ds_dsv_segment;

/* Reads and decodes segment s. A damaged or missing (truncated file) segment is an error that
 * names the segment; the stream stays usable for the others. Damage confined to the audio layer
 * is not an error (see ds_dsv_segment.audio_problem). */
ds_status ds_dsv_read_segment(ds_dsv *dsv, uint32_t s, ds_dsv_segment *segment);
/* Decodes the bytes of segment s already at hand (e.g. fetched over HTTP). */
ds_status ds_dsv_decode_segment(const ds_dsv *dsv, uint32_t s, const uint8_t *bytes, size_t size,
                                ds_dsv_segment *segment);
void ds_dsv_segment_free(ds_dsv_segment *segment);

/* The bytes of each kind of layer in segment s, from its layer table alone (no decoding, no
 * checksum): for size reports. Fails for a segment the file does not hold whole. */
ds_status ds_dsv_segment_layer_sizes(ds_dsv *dsv, uint32_t s, uint64_t sizes[DS_DSV_KINDS]);

/* The segment holding a frame. */
static inline uint32_t ds_dsv_segment_of(const ds_dsv *dsv, uint32_t frame) {
    return frame / dsv->header.segment_frames;
}

/* The audio timeline sample where frame `frame` starts (formats/dsv_audio.h), at the stream's
 * sample rate and frame rate. */
int64_t ds_dsv_audio_frame_start(const ds_dsv *dsv, uint32_t frame);
/* Segment s's stretch of sound: from its first frame's start to the start of the frame after its
 * last (`length` samples). */
void ds_dsv_segment_sound_stretch(const ds_dsv *dsv, uint32_t s, int64_t *start, uint32_t *length);

/* One frame's state. Colour indices are kept between calls so that the next frame of the same
 * segment applies only its changes; any other frame replays its segment's change lists. */
typedef struct ds_dsv_frame {
    uint32_t frame;
    ds_joint_transforms transforms;
    float *opacity_logits; /* skin x 1 */
    float *log_scales;     /* skin x 3 */
    float *sh;             /* skin x 3 (degree + 1)^2 */
    uint32_t *colour_indices[4];
    uint32_t colour_segment;
    int64_t colour_local; /* local frame the indices hold; -1 for none */
} ds_dsv_frame;

ds_status ds_dsv_frame_create(const ds_dsv *dsv, ds_dsv_frame *frame);
/* Decodes local frame `local` of a decoded segment. */
ds_status ds_dsv_frame_decode(const ds_dsv *dsv, const ds_dsv_segment *segment, uint32_t local,
                              ds_dsv_frame *frame);
void ds_dsv_frame_free(ds_dsv_frame *frame);

#endif
