/* The audio layer of a .dsv segment (AUDI, docs/dsv-format.md): the coded packets (Opus, AAC or
 * FLAC) that cover the segment's stretch of time, plus enough before it for a fresh decoder to
 * settle, so each segment plays its sound on its own (seeking, streaming). Every packet carries
 * its own checksum: a damaged packet is skipped and the rest of the segment still sounds. */
#ifndef DS_FORMATS_DSV_AUDIO_H
#define DS_FORMATS_DSV_AUDIO_H

#include "byte_buffer.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum ds_audio_codec {
    DS_AUDIO_NONE = 0,
    DS_AUDIO_OPUS = 1,
    DS_AUDIO_AAC = 2,
    DS_AUDIO_FLAC = 3,
    DS_AUDIO_CODECS,
} ds_audio_codec;

enum {
    DS_AUDIO_MAX_CHANNELS = 2,
    DS_AUDIO_MAX_EXTRADATA = 1024,
    DS_AUDIO_MIN_RATE = 8000,
    DS_AUDIO_MAX_RATE = 192000,
    DS_AUDIO_MAX_PACKET = 1 << 20,
};

/* "opus", "aac", "flac" ("none" for 0); and back (false for an unknown name). */
const char *ds_audio_codec_name(ds_audio_codec codec);
bool ds_audio_codec_parse(const char *name, ds_audio_codec *codec);

/* Samples a decoder needs before the first one it must get right: Opus 80 ms, AAC two frames,
 * FLAC none (its frames stand alone). */
uint32_t ds_audio_codec_preroll(ds_audio_codec codec, uint32_t sample_rate);

/* The sample of the audio timeline (0 = frame 0) where frame `frame` starts:
 * floor(frame x rate x fps_denominator / fps_numerator). A segment's sound is the samples from
 * its first frame's start to the start of the frame after its last. */
int64_t ds_audio_frame_start(uint32_t frame, uint32_t sample_rate, uint32_t fps_numerator,
                             uint32_t fps_denominator);

typedef struct ds_audio_packet {
    int64_t pts;       /* timeline sample of the packet's first decoded sample */
    uint32_t duration; /* samples it decodes to */
    uint32_t size;
    const uint8_t *data;
    bool intact; /* its checksum matched (decoded layers only) */
} ds_audio_packet;

typedef struct ds_audio_layer {
    ds_audio_codec codec;
    uint32_t channels, sample_rate;
    uint32_t extradata_size;
    const uint8_t *extradata;
    uint32_t packet_count;
    ds_audio_packet *packets;
    uint32_t damaged_packets;
    uint8_t *bytes; /* a decoded layer's own copy of its payload, which the pointers refer to */
} ds_audio_layer;

/* The layer's bytes for packets in pts order (all of them must lie between `span_start` and a
 * few seconds on; pointers to the caller's data). */
ds_status ds_audio_layer_encode(const ds_audio_layer *layer, int64_t span_start,
                                ds_byte_buffer *out);
/* Parses a layer of a segment whose sound starts at `span_start`. A packet whose checksum fails
 * is kept with intact = false and counted in damaged_packets; a damaged header or packet table is
 * an error (the segment's sound is lost, not its picture). */
ds_status ds_audio_layer_decode(const uint8_t *data, size_t size, int64_t span_start,
                                ds_audio_layer *layer);
void ds_audio_layer_free(ds_audio_layer *layer);

#endif
