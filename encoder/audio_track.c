#include "audio_track.h"

#include "formats/audio_decoder.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { FLAC_FRAME_SAMPLES = 4096 };

typedef struct track_encoder {
    const char *path;
    AVFormatContext *input;
    AVCodecContext *decoder, *encoder;
    int stream;
    SwrContext *resample;
    AVAudioFifo *fifo;
    AVFrame *decoded, *chunk;
    AVPacket *packet;
    int64_t skip;    /* resampled samples still to drop (a positive offset) */
    int64_t encoded; /* samples handed to the encoder: the next chunk's pts */
    ds_audio_track *track;
    uint32_t packet_capacity;
} track_encoder;

static ds_status av_failure(const track_encoder *e, const char *what, int code) {
    char reason[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(code, reason, sizeof reason);
    return ds_error(DS_ERR_FORMAT, "%s: %s (%s)", e->path, what, reason);
}

static const AVCodec *find_encoder(ds_audio_codec codec) {
    switch (codec) {
    case DS_AUDIO_AAC:
        return avcodec_find_encoder_by_name("aac");
    case DS_AUDIO_FLAC:
        return avcodec_find_encoder_by_name("flac");
    default:
        /* libopus: FFmpeg's own Opus encoder is experimental. */
        return avcodec_find_encoder_by_name("libopus");
    }
}

static ds_status open_input(track_encoder *e) {
    int result = avformat_open_input(&e->input, e->path, NULL, NULL);
    if (result < 0) {
        return av_failure(e, "cannot open the sound file", result);
    }
    result = avformat_find_stream_info(e->input, NULL);
    if (result < 0) {
        return av_failure(e, "cannot read the sound file", result);
    }
    const AVCodec *codec = NULL;
    e->stream = av_find_best_stream(e->input, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (e->stream < 0 || !codec) {
        return ds_error(DS_ERR_FORMAT, "%s: %s", e->path,
                        e->stream == AVERROR_DECODER_NOT_FOUND
                            ? "its sound is in a format this libavcodec cannot decode"
                            : "holds no sound");
    }
    e->decoder = avcodec_alloc_context3(codec);
    if (!e->decoder) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio decoder");
    }
    result = avcodec_parameters_to_context(e->decoder, e->input->streams[e->stream]->codecpar);
    if (result >= 0) {
        e->decoder->pkt_timebase = e->input->streams[e->stream]->time_base;
        result = avcodec_open2(e->decoder, codec, NULL);
    }
    return result < 0 ? av_failure(e, "cannot decode its sound", result) : ds_ok();
}

static enum AVSampleFormat pick_format(const AVCodec *codec) {
    enum AVSampleFormat chosen = AV_SAMPLE_FMT_NONE;
    for (const enum AVSampleFormat *f = codec->sample_fmts; f && *f != AV_SAMPLE_FMT_NONE; f++) {
        if (chosen == AV_SAMPLE_FMT_NONE || *f == AV_SAMPLE_FMT_FLT || *f == AV_SAMPLE_FMT_FLTP) {
            chosen = *f;
        }
    }
    return chosen == AV_SAMPLE_FMT_NONE ? AV_SAMPLE_FMT_FLT : chosen;
}

static ds_status open_encoder(track_encoder *e, const ds_audio_settings *s) {
    ds_audio_codec kind = s->codec == DS_AUDIO_NONE ? DS_AUDIO_OPUS : s->codec;
    const AVCodec *codec = find_encoder(kind);
    if (!codec) {
        return ds_error(DS_ERR_UNSUPPORTED, "this libavcodec has no %s encoder",
                        ds_audio_codec_name(kind));
    }
    e->encoder = avcodec_alloc_context3(codec);
    if (!e->encoder) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio encoder");
    }
    int channels = e->decoder->ch_layout.nb_channels >= 2 ? 2 : 1;
    av_channel_layout_default(&e->encoder->ch_layout, channels);
    e->encoder->sample_rate = DS_AUDIO_TRACK_RATE;
    e->encoder->sample_fmt = pick_format(codec);
    e->encoder->time_base = (AVRational){1, DS_AUDIO_TRACK_RATE};
    e->encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; /* the codec's setup goes in every layer */
    if (kind != DS_AUDIO_FLAC) {
        e->encoder->bit_rate =
            s->bitrate > 0 ? s->bitrate : (kind == DS_AUDIO_AAC ? 128000 : 96000);
    }
    int result = avcodec_open2(e->encoder, codec, NULL);
    if (result < 0) {
        return av_failure(e, "the sound encoder refuses its settings", result);
    }
    if (e->encoder->extradata_size > DS_AUDIO_MAX_EXTRADATA) {
        return ds_error(DS_ERR_UNSUPPORTED, "the %s encoder's setup is too large",
                        ds_audio_codec_name(kind));
    }
    ds_audio_track *t = e->track;
    t->codec = kind;
    t->channels = (uint32_t)channels;
    t->sample_rate = DS_AUDIO_TRACK_RATE;
    if (e->encoder->extradata_size > 0) {
        t->extradata = malloc((size_t)e->encoder->extradata_size);
        if (!t->extradata) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio setup");
        }
        memcpy(t->extradata, e->encoder->extradata, (size_t)e->encoder->extradata_size);
        t->extradata_size = (uint32_t)e->encoder->extradata_size;
    }
    result = swr_alloc_set_opts2(&e->resample, &e->encoder->ch_layout, e->encoder->sample_fmt,
                                 DS_AUDIO_TRACK_RATE, &e->decoder->ch_layout,
                                 e->decoder->sample_fmt, e->decoder->sample_rate, 0, NULL);
    if (result >= 0) {
        result = swr_init(e->resample);
    }
    if (result < 0) {
        return av_failure(e, "cannot resample its sound", result);
    }
    e->fifo = av_audio_fifo_alloc(e->encoder->sample_fmt, channels, 4096);
    e->decoded = av_frame_alloc();
    e->chunk = av_frame_alloc();
    e->packet = av_packet_alloc();
    if (!e->fifo || !e->decoded || !e->chunk || !e->packet) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
    }
    return ds_ok();
}

static ds_status keep_packet(track_encoder *e, const AVPacket *packet) {
    ds_audio_track *t = e->track;
    if (packet->size == 0) {
        return ds_ok(); /* no sound: FLAC's closing packet only carries updated side data */
    }
    if (t->packet_count == e->packet_capacity) {
        uint32_t capacity = e->packet_capacity ? e->packet_capacity * 2 : 1024;
        ds_audio_packet *grown = realloc(t->packets, capacity * sizeof *grown);
        if (!grown) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot keep the coded sound");
        }
        t->packets = grown;
        e->packet_capacity = capacity;
    }
    uint8_t *data = malloc(packet->size ? (size_t)packet->size : 1);
    if (!data) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot keep the coded sound");
    }
    memcpy(data, packet->data, (size_t)packet->size);
    int64_t duration = packet->duration > 0 ? packet->duration : e->encoder->frame_size;
    t->packets[t->packet_count++] = (ds_audio_packet){.pts = packet->pts,
                                                      .duration = (uint32_t)duration,
                                                      .size = (uint32_t)packet->size,
                                                      .data = data,
                                                      .intact = true};
    return ds_ok();
}

/* Sends a chunk (NULL: the end) to the encoder and keeps what comes out. */
static ds_status encode(track_encoder *e, AVFrame *chunk) {
    int result = avcodec_send_frame(e->encoder, chunk);
    if (result < 0) {
        return av_failure(e, "the sound encoder failed", result);
    }
    for (;;) {
        result = avcodec_receive_packet(e->encoder, e->packet);
        if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) {
            return ds_ok();
        }
        if (result < 0) {
            return av_failure(e, "the sound encoder failed", result);
        }
        ds_status status = keep_packet(e, e->packet);
        av_packet_unref(e->packet);
        if (ds_failed(&status)) {
            return status;
        }
    }
}

static int chunk_samples(const track_encoder *e) {
    return e->encoder->frame_size > 0 ? e->encoder->frame_size : FLAC_FRAME_SAMPLES;
}

/* Encodes whole chunks from the FIFO; at the end (`last`) the rest too, padded with silence. */
static ds_status encode_fifo(track_encoder *e, bool last) {
    int size = chunk_samples(e);
    while (av_audio_fifo_size(e->fifo) >= size || (last && av_audio_fifo_size(e->fifo) > 0)) {
        av_frame_unref(e->chunk);
        e->chunk->nb_samples = size;
        e->chunk->format = e->encoder->sample_fmt;
        e->chunk->sample_rate = e->encoder->sample_rate;
        if (av_channel_layout_copy(&e->chunk->ch_layout, &e->encoder->ch_layout) < 0 ||
            av_frame_get_buffer(e->chunk, 0) < 0) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
        }
        int got = av_audio_fifo_read(e->fifo, (void **)e->chunk->data, size);
        if (got < size) {
            av_samples_set_silence(e->chunk->data, got, size - got, e->chunk->ch_layout.nb_channels,
                                   e->encoder->sample_fmt);
        }
        e->chunk->pts = e->encoded;
        e->encoded += size;
        ds_status status = encode(e, e->chunk);
        if (ds_failed(&status)) {
            return status;
        }
    }
    return last ? encode(e, NULL) : ds_ok();
}

/* Resamples a decoded frame (NULL: what the resampler still holds) into the FIFO, dropping the
 * samples before frame 0. */
static ds_status resample(track_encoder *e, const AVFrame *frame) {
    int in = frame ? frame->nb_samples : 0;
    int capacity = swr_get_out_samples(e->resample, in);
    if (capacity <= 0) {
        return ds_ok();
    }
    uint8_t **out = NULL;
    int channels = e->encoder->ch_layout.nb_channels;
    if (av_samples_alloc_array_and_samples(&out, NULL, channels, capacity, e->encoder->sample_fmt,
                                           0) < 0) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
    }
    int made = swr_convert(e->resample, out, capacity,
                           frame ? (const uint8_t **)frame->extended_data : NULL, in);
    ds_status status = made < 0 ? av_failure(e, "cannot resample its sound", made) : ds_ok();
    int from = 0;
    if (made > 0 && e->skip > 0) {
        from = e->skip < made ? (int)e->skip : made;
        e->skip -= from;
    }
    if (made > from) {
        uint8_t *shifted[2];
        int bytes = av_get_bytes_per_sample(e->encoder->sample_fmt);
        bool planar = av_sample_fmt_is_planar(e->encoder->sample_fmt);
        for (int c = 0; c < (planar ? channels : 1); c++) {
            shifted[c] = out[c] + (size_t)from * bytes * (planar ? 1 : channels);
        }
        if (av_audio_fifo_write(e->fifo, (void **)shifted, made - from) < made - from) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
        }
        e->track->samples += made - from;
    }
    av_freep(&out[0]);
    av_freep(&out);
    return status;
}

static ds_status decode_ready(track_encoder *e) {
    for (;;) {
        int result = avcodec_receive_frame(e->decoder, e->decoded);
        if (result == AVERROR(EAGAIN) || result == AVERROR_EOF) {
            return ds_ok();
        }
        if (result < 0) {
            return av_failure(e, "its sound does not decode", result);
        }
        ds_status status = resample(e, e->decoded);
        av_frame_unref(e->decoded);
        if (!ds_failed(&status)) {
            status = encode_fifo(e, false);
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
}

static ds_status transcode(track_encoder *e) {
    ds_status status = ds_ok();
    while (!ds_failed(&status)) {
        int result = av_read_frame(e->input, e->packet);
        if (result == AVERROR_EOF) {
            break;
        }
        if (result < 0) {
            return av_failure(e, "cannot read the sound file", result);
        }
        if (e->packet->stream_index == e->stream) {
            result = avcodec_send_packet(e->decoder, e->packet);
            /* A damaged packet in the source is its own loss, not the whole sound's. */
            if (result >= 0 || result == AVERROR_INVALIDDATA) {
                status = decode_ready(e);
            }
        }
        av_packet_unref(e->packet);
    }
    if (!ds_failed(&status) && avcodec_send_packet(e->decoder, NULL) >= 0) {
        status = decode_ready(e);
    }
    if (!ds_failed(&status)) {
        status = resample(e, NULL);
    }
    if (!ds_failed(&status)) {
        status = encode_fifo(e, true);
    }
    return status;
}

/* Silence before the file's first sample (a negative offset), a second at a time. */
static ds_status write_silence(track_encoder *e, int64_t samples) {
    int channels = e->encoder->ch_layout.nb_channels;
    uint8_t **silence = NULL;
    if (av_samples_alloc_array_and_samples(&silence, NULL, channels, DS_AUDIO_TRACK_RATE,
                                           e->encoder->sample_fmt, 0) < 0) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
    }
    av_samples_set_silence(silence, 0, DS_AUDIO_TRACK_RATE, channels, e->encoder->sample_fmt);
    ds_status status = ds_ok();
    while (samples > 0 && !ds_failed(&status)) {
        int now = samples < DS_AUDIO_TRACK_RATE ? (int)samples : DS_AUDIO_TRACK_RATE;
        if (av_audio_fifo_write(e->fifo, (void **)silence, now) < now) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate audio buffers");
        }
        e->track->samples += now;
        samples -= now;
        if (!ds_failed(&status)) {
            status = encode_fifo(e, false);
        }
    }
    av_freep(&silence[0]);
    av_freep(&silence);
    return status;
}

void ds_audio_track_free(ds_audio_track *t) {
    for (uint32_t p = 0; p < t->packet_count; p++) {
        free((void *)t->packets[p].data);
    }
    free(t->packets);
    free(t->extradata);
    memset(t, 0, sizeof *t);
}

ds_status ds_audio_track_encode_file(const char *path, const ds_audio_settings *s,
                                     ds_audio_track *track) {
    memset(track, 0, sizeof *track);
    if (!isfinite(s->offset_seconds) || fabs(s->offset_seconds) > 86400.0) {
        return ds_error(DS_ERR_ARGUMENT, "the sound's offset must be a number of seconds");
    }
    track_encoder e = {.path = path, .track = track};
    av_log_set_level(AV_LOG_ERROR);
    ds_status status = open_input(&e);
    if (!ds_failed(&status)) {
        status = open_encoder(&e, s);
    }
    int64_t offset = llround(s->offset_seconds * DS_AUDIO_TRACK_RATE);
    if (!ds_failed(&status) && offset < 0) {
        status = write_silence(&e, -offset);
    }
    e.skip = offset > 0 ? offset : 0;
    if (!ds_failed(&status)) {
        status = transcode(&e);
    }
    if (!ds_failed(&status) && track->samples == 0) {
        status = ds_error(DS_ERR_FORMAT, "%s: no sound is left after the offset", path);
    }
    avformat_close_input(&e.input);
    avcodec_free_context(&e.decoder);
    avcodec_free_context(&e.encoder);
    swr_free(&e.resample);
    if (e.fifo) {
        av_audio_fifo_free(e.fifo);
    }
    av_frame_free(&e.decoded);
    av_frame_free(&e.chunk);
    av_packet_free(&e.packet);
    if (ds_failed(&status)) {
        ds_audio_track_free(track);
    }
    return status;
}

ds_status ds_audio_track_segment_layer(const ds_audio_track *t, int64_t start, int64_t end,
                                       ds_byte_buffer *out) {
    int64_t from = start - ds_audio_codec_preroll(t->codec, t->sample_rate);
    uint32_t first = 0;
    while (first < t->packet_count && t->packets[first].pts + t->packets[first].duration <= from) {
        first++;
    }
    uint32_t last = first;
    while (last < t->packet_count && t->packets[last].pts < end) {
        last++;
    }
    ds_audio_layer layer = {.codec = t->codec,
                            .channels = t->channels,
                            .sample_rate = t->sample_rate,
                            .extradata_size = t->extradata_size,
                            .extradata = t->extradata,
                            .packet_count = last - first,
                            .packets = t->packets + first};
    return ds_audio_layer_encode(&layer, start, out);
}
