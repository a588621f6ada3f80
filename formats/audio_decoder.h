/* A segment's sound as samples: its audio layer's packets decoded by libavcodec from a fresh
 * decoder (the layer carries the packets a decoder needs to settle before the segment's first
 * sample), placed on the timeline by their timestamps and cut to the segment's stretch. So a
 * segment sounds the same whether it is reached by playing on or by seeking to it. */
#ifndef DS_FORMATS_AUDIO_DECODER_H
#define DS_FORMATS_AUDIO_DECODER_H

#include "dsv_audio.h"

enum { DS_AUDIO_OUTPUT_CHANNELS = 2 };

/* Samples `start` .. start + length of the timeline, stereo float interleaved (mono is doubled)
 * at the layer's sample rate. What no intact packet covers is silence. */
typedef struct ds_audio_pcm {
    int64_t start;
    uint32_t length, sample_rate;
    float *samples; /* length x 2 */
} ds_audio_pcm;

/* Decodes `layer` into pcm for its segment's stretch [start, start + length). Packets the decoder
 * rejects are counted in `rejected` (may be NULL) and left silent, like damaged ones. */
ds_status ds_audio_decode_span(const ds_audio_layer *layer, int64_t start, uint32_t length,
                               ds_audio_pcm *pcm, uint32_t *rejected);
/* A silent stretch (a segment whose sound was lost). */
ds_status ds_audio_pcm_silence(int64_t start, uint32_t length, uint32_t sample_rate,
                               ds_audio_pcm *pcm);
void ds_audio_pcm_free(ds_audio_pcm *pcm);

/* libavcodec's id of a codec. */
int ds_audio_codec_av_id(ds_audio_codec codec);

#endif
