#include "dsv_audio.h"

#include "stream_coding.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    HEADER_SIZE = 12,
    /* A segment's packets start at most this far before its sound (preroll) and end at most
     * this far after its start: bounds that keep a damaged table's numbers sane. */
    MAX_SPAN_SECONDS = 3600,
};

static const char *const codec_names[DS_AUDIO_CODECS] = {"none", "opus", "aac", "flac"};

const char *ds_audio_codec_name(ds_audio_codec codec) {
    return codec < DS_AUDIO_CODECS ? codec_names[codec] : "unknown";
}

bool ds_audio_codec_parse(const char *name, ds_audio_codec *codec) {
    for (int c = DS_AUDIO_OPUS; c < DS_AUDIO_CODECS; c++) {
        if (strcmp(name, codec_names[c]) == 0) {
            *codec = (ds_audio_codec)c;
            return true;
        }
    }
    return false;
}

uint32_t ds_audio_codec_preroll(ds_audio_codec codec, uint32_t sample_rate) {
    switch (codec) {
    case DS_AUDIO_OPUS:
        return sample_rate / 1000 * 80; /* RFC 7845 §4.6: 80 ms lets the decoder converge */
    case DS_AUDIO_AAC:
        return 2048; /* the overlapped transform needs the frame before */
    default:
        return 0;
    }
}

int64_t ds_audio_frame_start(uint32_t frame, uint32_t sample_rate, uint32_t fps_numerator,
                             uint32_t fps_denominator) {
    /* frame < 2^24, rate < 2^18: the product fits 64 bits before the denominator's factor, and
     * splitting the division keeps the whole computation exact. */
    uint64_t scaled = (uint64_t)frame * sample_rate;
    uint64_t whole = scaled / fps_numerator, rest = scaled % fps_numerator;
    return (int64_t)(whole * fps_denominator + rest * fps_denominator / fps_numerator);
}

static uint32_t crc(const uint8_t *data, size_t size) {
    return (uint32_t)crc32_z(0, data, size);
}

ds_status ds_audio_layer_encode(const ds_audio_layer *layer, int64_t span_start,
                                ds_byte_buffer *out) {
    if (layer->codec <= DS_AUDIO_NONE || layer->codec >= DS_AUDIO_CODECS || layer->channels == 0 ||
        layer->channels > DS_AUDIO_MAX_CHANNELS || layer->sample_rate < DS_AUDIO_MIN_RATE ||
        layer->sample_rate > DS_AUDIO_MAX_RATE || layer->extradata_size > DS_AUDIO_MAX_EXTRADATA) {
        return ds_error(DS_ERR_ARGUMENT, "invalid audio layer");
    }
    size_t start = out->size;
    ds_byte_buffer_append_u8(out, (uint8_t)layer->codec);
    ds_byte_buffer_append_u8(out, (uint8_t)layer->channels);
    ds_byte_buffer_append_u16le(out, (uint16_t)layer->extradata_size);
    ds_byte_buffer_append_u32le(out, layer->sample_rate);
    ds_byte_buffer_append_u32le(out, layer->packet_count);
    ds_byte_buffer_append(out, layer->extradata, layer->extradata_size);
    int64_t expected = span_start;
    for (uint32_t p = 0; p < layer->packet_count; p++) {
        const ds_audio_packet *packet = &layer->packets[p];
        int64_t gap = packet->pts - expected;
        if (gap < INT32_MIN || gap > INT32_MAX || packet->size > DS_AUDIO_MAX_PACKET) {
            return ds_error(DS_ERR_ARGUMENT, "audio packet %u is out of range", p);
        }
        ds_varint_append(out, ds_zigzag((int32_t)gap));
        ds_varint_append(out, packet->duration);
        ds_varint_append(out, packet->size);
        ds_byte_buffer_append_u32le(out, crc(packet->data, packet->size));
        expected = packet->pts + packet->duration;
    }
    if (out->failed) {
        return ds_byte_buffer_status(out);
    }
    ds_byte_buffer_append_u32le(out, crc(out->data + start, out->size - start));
    for (uint32_t p = 0; p < layer->packet_count; p++) {
        ds_byte_buffer_append(out, layer->packets[p].data, layer->packets[p].size);
    }
    return ds_byte_buffer_status(out);
}

void ds_audio_layer_free(ds_audio_layer *layer) {
    free(layer->packets);
    free(layer->bytes);
    memset(layer, 0, sizeof *layer);
}

static ds_status damaged(ds_audio_layer *layer, const char *what) {
    ds_audio_layer_free(layer);
    return ds_error(DS_ERR_FORMAT, "audio layer: %s", what);
}

ds_status ds_audio_layer_decode(const uint8_t *data, size_t size, int64_t span_start,
                                ds_audio_layer *layer) {
    memset(layer, 0, sizeof *layer);
    if (size < HEADER_SIZE) {
        return damaged(layer, "truncated header");
    }
    layer->bytes = malloc(size);
    if (!layer->bytes) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio layer");
    }
    memcpy(layer->bytes, data, size);
    ds_byte_reader reader = ds_byte_reader_make(layer->bytes, size);
    uint8_t codec = 0, channels = 0;
    uint32_t rate = 0, packets = 0;
    ds_byte_reader_u8(&reader, &codec);
    ds_byte_reader_u8(&reader, &channels);
    layer->extradata_size = ds_load_u16le(layer->bytes + 2);
    ds_byte_reader_skip(&reader, 2);
    ds_byte_reader_u32le(&reader, &rate);
    ds_byte_reader_u32le(&reader, &packets);
    /* A packet takes at least 7 table bytes: the count cannot exceed what the layer holds. */
    if (packets > size / 7 ||
        !ds_byte_reader_bytes(&reader, layer->extradata_size, &layer->extradata)) {
        return damaged(layer, "invalid header");
    }
    layer->packets = calloc(packets ? packets : 1, sizeof *layer->packets);
    if (!layer->packets) {
        ds_audio_layer_free(layer);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio packet table");
    }
    uint32_t *checksums = calloc(packets ? packets : 1, sizeof *checksums);
    if (!checksums) {
        ds_audio_layer_free(layer);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an audio packet table");
    }
    int64_t expected = span_start;
    bool table_read = true;
    for (uint32_t p = 0; p < packets && table_read; p++) {
        uint32_t gap = 0, duration = 0, bytes = 0;
        table_read = ds_varint_read(&reader, &gap) && ds_varint_read(&reader, &duration) &&
                     ds_varint_read(&reader, &bytes) &&
                     ds_byte_reader_u32le(&reader, &checksums[p]);
        ds_audio_packet *packet = &layer->packets[p];
        packet->pts = expected + ds_unzigzag(gap);
        packet->duration = duration;
        packet->size = bytes;
        expected = packet->pts + duration;
    }
    uint32_t table_crc = 0;
    size_t table_size = reader.position;
    if (!table_read || !ds_byte_reader_u32le(&reader, &table_crc) ||
        crc(layer->bytes, table_size) != table_crc) {
        free(checksums);
        return damaged(layer, "the header or packet table is damaged (checksum mismatch)");
    }
    layer->codec = (ds_audio_codec)codec;
    layer->channels = channels;
    layer->sample_rate = rate;
    layer->packet_count = packets;
    if (codec == DS_AUDIO_NONE || codec >= DS_AUDIO_CODECS || channels == 0 ||
        channels > DS_AUDIO_MAX_CHANNELS || rate < DS_AUDIO_MIN_RATE || rate > DS_AUDIO_MAX_RATE) {
        free(checksums);
        return damaged(layer, "unsupported codec, channels or sample rate");
    }
    int64_t limit = (int64_t)rate * MAX_SPAN_SECONDS;
    for (uint32_t p = 0; p < packets; p++) {
        ds_audio_packet *packet = &layer->packets[p];
        if (packet->size > DS_AUDIO_MAX_PACKET || packet->duration > (uint32_t)rate ||
            packet->pts < span_start - limit || packet->pts > span_start + limit ||
            !ds_byte_reader_bytes(&reader, packet->size, &packet->data)) {
            free(checksums);
            return damaged(layer, "a packet runs past the layer or out of its time");
        }
        packet->intact = crc(packet->data, packet->size) == checksums[p];
        layer->damaged_packets += !packet->intact;
    }
    free(checksums);
    return ds_ok();
}
