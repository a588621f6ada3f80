/* libFuzzer target for the .dsv sound layer (AUDI) and its decoding. The input describes a layer
 * (codec, channels, rate, setup bytes, packets of arbitrary bytes) that is encoded, decoded and
 * compared, then damaged at the places the input's tail names and decoded again; every layer
 * that parses is then decoded to samples by libavcodec, which must fail cleanly on garbage. The
 * layer's checksums would stop blind mutation at the first byte; building it from the input lets
 * the fuzzer reach the table, the packets and the decoders. */
#include "formats/audio_decoder.h"
#include "formats/dsv_audio.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_PACKETS = 64, SPAN = 4800 };

static void decode_samples(const ds_audio_layer *layer, int64_t start) {
    ds_audio_pcm pcm;
    uint32_t rejected = 0;
    ds_status status = ds_audio_decode_span(layer, start, SPAN, &pcm, &rejected);
    if (!ds_failed(&status)) {
        if (pcm.length != SPAN || !pcm.samples) {
            abort();
        }
        ds_audio_pcm_free(&pcm);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint32_t rates[4] = {8000, 16000, 44100, 48000};
    if (size < 8) {
        return 0;
    }
    ds_audio_layer layer = {.codec = (ds_audio_codec)(data[0] % 3 + 1),
                            .channels = (uint32_t)(data[1] % 2 + 1),
                            .sample_rate = rates[data[2] % 4]};
    int64_t start = (int64_t)(int8_t)data[3] * 960;
    size_t at = 8;
    layer.extradata_size = data[4] % 48;
    if (layer.extradata_size > size - at) {
        layer.extradata_size = (uint32_t)(size - at);
    }
    layer.extradata = data + at;
    at += layer.extradata_size;
    /* data[5]: how many bytes of the tail are damage positions. */
    size_t damage = data[5] % 8;
    size_t body_end = size - (damage * 2 < size - at ? damage * 2 : 0);
    ds_audio_packet packets[MAX_PACKETS];
    int64_t pts = start - 3840;
    while (at < body_end && layer.packet_count < MAX_PACKETS) {
        uint32_t length = data[at++] % 160;
        if (length > body_end - at) {
            length = (uint32_t)(body_end - at);
        }
        packets[layer.packet_count++] = (ds_audio_packet){pts, 960, length, data + at, true};
        at += length;
        pts += 960 + (data[6] & 1 ? 120 : 0); /* sometimes a gap between packets */
    }
    layer.packets = packets;
    ds_byte_buffer bytes = {0};
    ds_status status = ds_audio_layer_encode(&layer, start, &bytes);
    if (ds_failed(&status)) {
        abort(); /* every layer built here is valid */
    }
    ds_audio_layer decoded;
    status = ds_audio_layer_decode(bytes.data, bytes.size, start, &decoded);
    if (ds_failed(&status) || decoded.packet_count != layer.packet_count ||
        decoded.damaged_packets != 0) {
        abort(); /* we could not read what we wrote */
    }
    for (uint32_t p = 0; p < layer.packet_count; p++) {
        if (decoded.packets[p].pts != packets[p].pts ||
            decoded.packets[p].size != packets[p].size ||
            memcmp(decoded.packets[p].data, packets[p].data, packets[p].size) != 0) {
            abort();
        }
    }
    decode_samples(&decoded, start);
    ds_audio_layer_free(&decoded);
    /* Damage where the tail says: decoding fails cleanly or keeps what is intact. */
    for (size_t d = 0; d < damage && body_end + 2 * d + 1 < size && bytes.size > 0; d++) {
        size_t where = (size_t)(data[body_end + 2 * d] | data[body_end + 2 * d + 1] << 8);
        bytes.data[where % bytes.size] ^= (uint8_t)(1u << (d % 8));
    }
    status = ds_audio_layer_decode(bytes.data, bytes.size, start, &decoded);
    if (!ds_failed(&status)) {
        decode_samples(&decoded, start);
        ds_audio_layer_free(&decoded);
    }
    ds_byte_buffer_free(&bytes);
    return 0;
}
