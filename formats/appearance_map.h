/* The opacity and scale maps of a .dsv segment, coded as pictures by libavcodec.
 *
 * A map has one row per skin Gaussian and one column per frame of the segment; its samples are
 * already quantised unsigned integers. A map is far taller than any codec allows (180k x 50),
 * so it is folded: the rows are cut into strips of equal height placed side by side in a
 * near-square picture, and the padding repeats the nearest real sample so that it costs almost
 * no bits. Pictures are at most 4096 a side (FFV1: 384, 256 above 10 bits, to bound its
 * buffers), so a large map takes several pictures of consecutive rows. Neighbouring rows
 * stay neighbours, so a map sorted by the caller stays smooth in both directions.
 *
 * Payload (little-endian): u8 version (1), u8 codec, u8 bit depth, u8 zero, u32 rows,
 * u32 columns, u32 strip width (columns plus edge padding), u32 picture count, then per picture
 * u32 rows, strips, strip height, width, height, extradata size, packet size; then per picture
 * its codec extradata and packet. Pictures hold consecutive runs of rows.
 *
 * libavcodec logs through a process-wide callback; this code never changes it. Each codec
 * context it opens gets a large log_level_offset instead, which pushes that context's messages
 * below every sensible log level, so the default callback prints nothing of ours while other
 * users of libavcodec in the process keep their own settings. (x265 prints by itself and is
 * told log-level=none.) */
#ifndef DS_FORMATS_APPEARANCE_MAP_H
#define DS_FORMATS_APPEARANCE_MAP_H

#include "byte_buffer.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ds_map_codec {
    /* The values are stored in the stream: never renumber. */
    DS_MAP_CODEC_FFV1 = 1, /* lossless */
    DS_MAP_CODEC_PNG = 2,  /* lossless */
    DS_MAP_CODEC_H264 = 3, /* libx264: lossy, or lossless at quality 0 */
    DS_MAP_CODEC_HEVC = 4, /* libx265: lossy, or lossless at quality 0 */
    /* libaom-av1 (else libsvtav1, lossy only) to encode; libdav1d or libaom to decode */
    DS_MAP_CODEC_AV1 = 5,
} ds_map_codec;

typedef struct ds_map_settings {
    ds_map_codec codec;
    /* 8..16: samples are < 2^bit_depth. FFV1 and PNG take any of them (coded in the next
     * pixel format up); the lossy codecs take 8, 9 or 10 (an 8- or 10-bit picture, grey where
     * the encoder has it, else 4:2:0 with neutral chroma). */
    int bit_depth;
    /* 0 = lossless (ignored by FFV1 and PNG, which always are). Otherwise 1..100, higher is
     * better, mapped linearly onto each codec's quantiser with intra-only, constant-quantiser
     * coding and no perceptual tuning (the maps are data, not pictures):
     *   H.264 and HEVC: qp = round(51 * (100 - quality) / 99)   (quality 100 -> qp 0;
     *                   x264 adds 12 at 10 bits, where its scale starts lower)
     *   AV1 (libaom):   crf = round(63 * (100 - quality) / 99)  (quality 100 -> crf 0)
     * so equal quality gives roughly, not exactly, equal error across codecs. */
    int quality;
} ds_map_settings;

/* "ffv1", "png", "h264", "hevc", "av1"; NULL for a value that is not a codec. */
const char *ds_map_codec_name(ds_map_codec codec);

/* The codec of a name above; DS_ERR_ARGUMENT listing the valid names otherwise. */
ds_status ds_map_codec_parse(const char *name, ds_map_codec *codec);

/* Whether this build's libavcodec can encode and decode maps with those settings (codec,
 * bit depth and lossless or lossy all considered). */
bool ds_map_codec_available(const ds_map_settings *settings);

/* Codes a rows x columns map of row-major samples and appends the payload to `out`.
 * Deterministic: the same input and settings give the same bytes (encoders run on one thread).
 * DS_ERR_ARGUMENT for a sample >= 2^bit_depth or settings out of range, DS_ERR_UNSUPPORTED
 * when ds_map_codec_available() says no. A map with no rows or no columns codes to a header
 * alone. */
ds_status ds_map_encode(const uint16_t *samples, size_t rows, size_t columns,
                        const ds_map_settings *settings, ds_byte_buffer *out);

/* Decodes a payload of ds_map_encode into `samples` (rows x columns, which the caller knows:
 * a payload of other dimensions is a format error). Never crashes on corrupt input; libavcodec
 * errors become DS_ERR_FORMAT. Corrupt codec data that still decodes gives some samples, each
 * still < 2^bit_depth. Decoders run on one thread. */
ds_status ds_map_decode(const uint8_t *data, size_t size, size_t rows, size_t columns,
                        uint16_t *samples);

#endif
