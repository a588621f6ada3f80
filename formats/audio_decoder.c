#include "audio_decoder.h"

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <stdlib.h>
#include <string.h>

int ds_audio_codec_av_id(ds_audio_codec codec) {
    switch (codec) {
    case DS_AUDIO_OPUS:
        return AV_CODEC_ID_OPUS;
    case DS_AUDIO_AAC:
        return AV_CODEC_ID_AAC;
    case DS_AUDIO_FLAC:
        return AV_CODEC_ID_FLAC;
    default:
        return AV_CODEC_ID_NONE;
    }
}

ds_status ds_audio_pcm_silence(int64_t start, uint32_t length, uint32_t sample_rate,
                               ds_audio_pcm *pcm) {
    *pcm = (ds_audio_pcm){start, length, sample_rate, NULL};
    pcm->samples = calloc((size_t)(length ? length : 1) * DS_AUDIO_OUTPUT_CHANNELS, sizeof(float));
    return pcm->samples ? ds_ok() : ds_error(DS_ERR_NO_MEMORY, "cannot allocate sound samples");
}

void ds_audio_pcm_free(ds_audio_pcm *pcm) {
    free(pcm->samples);
    memset(pcm, 0, sizeof *pcm);
}

typedef struct decoder {
    AVCodecContext *codec;
    SwrContext *convert;
    AVFrame *frame;
    AVPacket *packet;
    float *converted;
    int converted_capacity;
} decoder;

static void decoder_free(decoder *d) {
    avcodec_free_context(&d->codec);
    swr_free(&d->convert);
    av_frame_free(&d->frame);
    av_packet_free(&d->packet);
    free(d->converted);
}

static ds_status decoder_open(const ds_audio_layer *layer, decoder *d) {
    const AVCodec *codec = avcodec_find_decoder(ds_audio_codec_av_id(layer->codec));
    if (!codec) {
        return ds_error(DS_ERR_UNSUPPORTED, "this libavcodec cannot decode %s sound",
                        ds_audio_codec_name(layer->codec));
    }
    d->codec = avcodec_alloc_context3(codec);
    d->frame = av_frame_alloc();
    d->packet = av_packet_alloc();
    if (!d->codec || !d->frame || !d->packet) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio decoder");
    }
    d->codec->sample_rate = (int)layer->sample_rate;
    av_channel_layout_default(&d->codec->ch_layout, (int)layer->channels);
    d->codec->pkt_timebase = (AVRational){1, (int)layer->sample_rate};
    /* Our timestamps already place every sample: the decoder must not drop its own padding. */
    d->codec->flags2 |= AV_CODEC_FLAG2_SKIP_MANUAL;
    if (layer->extradata_size) {
        d->codec->extradata =
            av_mallocz((size_t)layer->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!d->codec->extradata) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio decoder");
        }
        memcpy(d->codec->extradata, layer->extradata, layer->extradata_size);
        d->codec->extradata_size = (int)layer->extradata_size;
    }
    if (avcodec_open2(d->codec, codec, NULL) < 0) {
        return ds_error(DS_ERR_FORMAT, "the %s decoder refuses the stream's sound settings",
                        ds_audio_codec_name(layer->codec));
    }
    return ds_ok();
}

/* The frame's samples as stereo float interleaved, in d->converted. */
static ds_status convert(decoder *d, AVFrame *frame) {
    if (!d->convert) {
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        if (swr_alloc_set_opts2(&d->convert, &stereo, AV_SAMPLE_FMT_FLT, frame->sample_rate,
                                &frame->ch_layout, (enum AVSampleFormat)frame->format,
                                frame->sample_rate, 0, NULL) < 0 ||
            swr_init(d->convert) < 0) {
            return ds_error(DS_ERR_UNSUPPORTED, "cannot convert the decoded sound");
        }
    }
    if (frame->nb_samples > d->converted_capacity) {
        float *grown = realloc(d->converted, (size_t)frame->nb_samples * 2 * sizeof(float));
        if (!grown) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate sound samples");
        }
        d->converted = grown;
        d->converted_capacity = frame->nb_samples;
    }
    uint8_t *out[1] = {(uint8_t *)d->converted};
    int done = swr_convert(d->convert, out, frame->nb_samples,
                           (const uint8_t **)frame->extended_data, frame->nb_samples);
    return done == frame->nb_samples ? ds_ok()
                                     : ds_error(DS_ERR_FORMAT, "cannot convert the decoded sound");
}

/* Puts the frames the decoder has ready where their timestamps say; a packet it fails on is
 * counted in `rejected` and stays silent. */
static ds_status drain(decoder *d, ds_audio_pcm *pcm, uint32_t *rejected) {
    for (;;) {
        int result = avcodec_receive_frame(d->codec, d->frame);
        if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) {
            return ds_ok();
        }
        if (result < 0) {
            ++*rejected;
            return ds_ok();
        }
        /* A frame without a timestamp, or one far from the stretch (a damaged layer's), has no
         * place in it. Packets' timestamps lie within an hour of it (formats/dsv_audio.c). */
        int64_t pts = d->frame->pts;
        bool placed = pts != AV_NOPTS_VALUE && pts > pcm->start - DS_AUDIO_MAX_RATE * 7200ll &&
                      pts < pcm->start + DS_AUDIO_MAX_RATE * 7200ll;
        ds_status status = placed ? convert(d, d->frame) : ds_ok();
        for (int i = 0; placed && !ds_failed(&status) && i < d->frame->nb_samples; i++) {
            int64_t at = pts + i - pcm->start;
            if (at >= 0 && at < pcm->length) {
                pcm->samples[2 * at] = d->converted[2 * i];
                pcm->samples[2 * at + 1] = d->converted[2 * i + 1];
            }
        }
        av_frame_unref(d->frame);
        if (ds_failed(&status)) {
            return status;
        }
    }
}

ds_status ds_audio_decode_span(const ds_audio_layer *layer, int64_t start, uint32_t length,
                               ds_audio_pcm *pcm, uint32_t *rejected) {
    uint32_t unused;
    rejected = rejected ? rejected : &unused;
    *rejected = 0;
    ds_status status = ds_audio_pcm_silence(start, length, layer->sample_rate, pcm);
    if (ds_failed(&status)) {
        return status;
    }
    decoder d = {0};
    status = decoder_open(layer, &d);
    for (uint32_t p = 0; p < layer->packet_count && !ds_failed(&status); p++) {
        const ds_audio_packet *packet = &layer->packets[p];
        if (!packet->intact) {
            continue;
        }
        if (av_new_packet(d.packet, (int)packet->size) < 0) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio packet");
            break;
        }
        memcpy(d.packet->data, packet->data, packet->size);
        d.packet->pts = packet->pts;
        d.packet->duration = packet->duration;
        int sent = avcodec_send_packet(d.codec, d.packet);
        av_packet_unref(d.packet);
        if (sent < 0 && sent != AVERROR(EAGAIN)) {
            ++*rejected;
        }
        status = drain(&d, pcm, rejected);
    }
    if (!ds_failed(&status) && avcodec_send_packet(d.codec, NULL) >= 0) {
        status = drain(&d, pcm, rejected);
    }
    decoder_free(&d);
    if (ds_failed(&status)) {
        ds_audio_pcm_free(pcm);
    }
    return status;
}
