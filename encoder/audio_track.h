/* A volumetric video's sound, made ready for the stream: any file libavformat reads (WAV, FLAC,
 * MP3, a capture's own video with sound) is decoded, resampled by libswresample to 48 kHz (mono
 * stays mono, more channels are mixed down to stereo), shifted so that its sample 0 is frame 0,
 * and coded by libavcodec (Opus by default; AAC or FLAC). Each segment then takes the packets
 * that cover its stretch of time, plus those a decoder needs first (formats/dsv_audio.h). */
#ifndef DS_ENCODER_AUDIO_TRACK_H
#define DS_ENCODER_AUDIO_TRACK_H

#include "formats/byte_buffer.h"
#include "formats/dsv_audio.h"

enum { DS_AUDIO_TRACK_RATE = 48000 };

typedef struct ds_audio_settings {
    ds_audio_codec codec; /* DS_AUDIO_NONE: Opus */
    int bitrate;          /* bits per second, 0: the codec's default (Opus 96k per channel
                             pair, AAC 128k); FLAC is lossless and ignores it */
    /* Where frame 0 is in the file, in seconds: 2.5 starts the sound 2.5 s into the file; -1
     * plays a second of silence before the file starts. */
    double offset_seconds;
} ds_audio_settings;

typedef struct ds_audio_track {
    ds_audio_codec codec;
    uint32_t channels, sample_rate;
    uint8_t *extradata;
    uint32_t extradata_size;
    uint32_t packet_count;
    ds_audio_packet *packets; /* in pts order; each packet's data is its own allocation */
    int64_t samples;          /* the sound's length on the timeline */
} ds_audio_track;

/* Reads and codes the sound of `path`. Errors name the file and say what failed in one line. */
ds_status ds_audio_track_encode_file(const char *path, const ds_audio_settings *settings,
                                     ds_audio_track *track);
void ds_audio_track_free(ds_audio_track *track);

/* The AUDI layer of a segment whose stretch is [start, end) of the timeline. */
ds_status ds_audio_track_segment_layer(const ds_audio_track *track, int64_t start, int64_t end,
                                       ds_byte_buffer *out);

#endif
