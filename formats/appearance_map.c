/* Opacity and scale maps of the .dsv stream, folded into pictures and coded by libavcodec
 * (format and folding: appearance_map.h). */
#include "appearance_map.h"

#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAP_VERSION = 1,
    MAP_HEADER_BYTES = 20,
    MAP_PICTURE_HEADER_BYTES = 28,
    /* The encoder keeps pictures to 4096 a side (every codec's level limits allow that). FFV1
     * gets small pictures: it allocates and zeroes a worst-case packet buffer of ~150 bytes per
     * 8-bit pixel for every picture, so a 180k x 50 map in one picture took 1.2 GB and 3.5 s
     * (at 384 a side the buffer stays below glibc's mmap threshold, is reused, and encoding
     * takes 0.3 s; it costs ~6 % in size). The decoder accepts up to 16384 so these can change
     * without a new version. */
    MAP_LARGE_SIDE = 4096,
    MAP_SMALL_SIDE = 384,
    MAP_DECODE_MAX_SIDE = 16384,
    /* Edge padding a valid payload never exceeds: bounds what a corrupt header can make the
     * decoder allocate, relative to the map the caller sized. */
    MAP_MAX_PADDING = 64,
    /* Added to each codec context's log level (see appearance_map.h): lifts even AV_LOG_FATAL
     * above AV_LOG_TRACE, yet keeps levels below 256 because the default callback keeps only
     * a level's low byte. */
    MAP_LOG_LEVEL_OFFSET = 128,
};

/* How a codec is reached through libavcodec. */
typedef struct map_codec_info {
    ds_map_codec codec;
    const char *name;
    const char *encoders[2]; /* preferred first */
    const char *decoders[2];
    bool lossy;
    int alignment; /* picture width and height are multiples of this */
    int min_side;
    int max_side;
} map_codec_info;

static const map_codec_info map_codecs[] = {
    {DS_MAP_CODEC_FFV1, "ffv1", {"ffv1", NULL}, {"ffv1", NULL}, false, 1, 1, MAP_SMALL_SIDE},
    {DS_MAP_CODEC_PNG, "png", {"png", NULL}, {"png", NULL}, false, 1, 1, MAP_LARGE_SIDE},
    /* 4:2:0 fallbacks need even sizes; the video encoders want a few blocks at least. */
    {DS_MAP_CODEC_H264, "h264", {"libx264", NULL}, {"h264", NULL}, true, 2, 16, MAP_LARGE_SIDE},
    {DS_MAP_CODEC_HEVC, "hevc", {"libx265", NULL}, {"hevc", NULL}, true, 2, 16, MAP_LARGE_SIDE},
    {DS_MAP_CODEC_AV1,
     "av1",
     {"libaom-av1", "libsvtav1"},
     {"libdav1d", "libaom-av1"},
     true,
     2,
     16,
     MAP_LARGE_SIDE},
};

static const map_codec_info *map_codec_find(int codec) {
    for (size_t i = 0; i < sizeof map_codecs / sizeof map_codecs[0]; i++) {
        if ((int)map_codecs[i].codec == codec) {
            return &map_codecs[i];
        }
    }
    return NULL;
}

const char *ds_map_codec_name(ds_map_codec codec) {
    const map_codec_info *info = map_codec_find((int)codec);
    return info ? info->name : NULL;
}

ds_status ds_map_codec_parse(const char *name, ds_map_codec *codec) {
    for (size_t i = 0; name && i < sizeof map_codecs / sizeof map_codecs[0]; i++) {
        if (strcmp(name, map_codecs[i].name) == 0) {
            *codec = map_codecs[i].codec;
            return ds_ok();
        }
    }
    return ds_error(DS_ERR_ARGUMENT, "unknown map codec '%s' (valid: ffv1, png, h264, hevc, av1)",
                    name ? name : "");
}

/* ---- pixel formats ---- */

/* The depth of the picture samples that carry a map of `bit_depth`: the next one the codec
 * family codes, or 0 if none. */
static int container_depth(const map_codec_info *info, int bit_depth) {
    if (bit_depth < 8 || bit_depth > 16) {
        return 0;
    }
    if (info->codec == DS_MAP_CODEC_PNG) {
        return bit_depth == 8 ? 8 : 16;
    }
    if (info->codec == DS_MAP_CODEC_FFV1) {
        return bit_depth <= 10 ? bit_depth : bit_depth <= 12 ? 12 : 16;
    }
    return bit_depth == 8 ? 8 : bit_depth <= 10 ? 10 : 0;
}

/* Grey first (one plane, nothing wasted), then 4:2:0 with neutral chroma. */
static enum AVPixelFormat pick_pixel_format(const AVCodec *encoder, int depth) {
    enum AVPixelFormat wanted[3] = {AV_PIX_FMT_NONE, AV_PIX_FMT_NONE, AV_PIX_FMT_NONE};
    switch (depth) {
    case 8:
        wanted[0] = AV_PIX_FMT_GRAY8;
        wanted[1] = AV_PIX_FMT_YUV420P;
        break;
    case 9:
        wanted[0] = AV_PIX_FMT_GRAY9LE;
        break;
    case 10:
        wanted[0] = AV_PIX_FMT_GRAY10LE;
        wanted[1] = AV_PIX_FMT_YUV420P10LE;
        break;
    case 12:
        wanted[0] = AV_PIX_FMT_GRAY12LE;
        break;
    case 16:
        wanted[0] = AV_PIX_FMT_GRAY16LE;
        wanted[1] = AV_PIX_FMT_GRAY16BE; /* PNG's */
        break;
    default:
        break;
    }
    for (int w = 0; w < 3 && wanted[w] != AV_PIX_FMT_NONE; w++) {
        for (const enum AVPixelFormat *f = encoder->pix_fmts; f && *f != AV_PIX_FMT_NONE; f++) {
            if (*f == wanted[w]) {
                return *f;
            }
        }
    }
    return AV_PIX_FMT_NONE;
}

/* ---- choosing the encoder and decoder ---- */

typedef struct map_encoder_choice {
    const AVCodec *encoder;
    enum AVPixelFormat format;
    int depth;
} map_encoder_choice;

static bool encoder_codes_losslessly(const AVCodec *encoder) {
    /* SVT-AV1 (1.4) has no lossless mode. */
    return strcmp(encoder->name, "libsvtav1") != 0;
}

static bool choose_encoder(const map_codec_info *info, const ds_map_settings *settings,
                           map_encoder_choice *choice) {
    int depth = container_depth(info, settings->bit_depth);
    if (depth == 0) {
        return false;
    }
    for (int e = 0; e < 2 && info->encoders[e]; e++) {
        const AVCodec *encoder = avcodec_find_encoder_by_name(info->encoders[e]);
        if (!encoder) {
            continue;
        }
        if (info->lossy && settings->quality == 0 && !encoder_codes_losslessly(encoder)) {
            continue;
        }
        enum AVPixelFormat format = pick_pixel_format(encoder, depth);
        if (format != AV_PIX_FMT_NONE) {
            choice->encoder = encoder;
            choice->format = format;
            choice->depth = depth;
            return true;
        }
    }
    return false;
}

static const AVCodec *choose_decoder(const map_codec_info *info) {
    for (int d = 0; d < 2 && info->decoders[d]; d++) {
        const AVCodec *decoder = avcodec_find_decoder_by_name(info->decoders[d]);
        if (decoder) {
            return decoder;
        }
    }
    return NULL;
}

static bool settings_in_range(const ds_map_settings *settings) {
    return settings->bit_depth >= 8 && settings->bit_depth <= 16 && settings->quality >= 0 &&
           settings->quality <= 100;
}

bool ds_map_codec_available(const ds_map_settings *settings) {
    const map_codec_info *info = settings ? map_codec_find((int)settings->codec) : NULL;
    map_encoder_choice choice;
    return info && settings_in_range(settings) && choose_encoder(info, settings, &choice) &&
           choose_decoder(info) != NULL;
}

/* ---- folding ---- */

typedef struct map_picture {
    size_t first_row;
    uint32_t rows, strips, strip_height, width, height;
} map_picture;

static int map_max_side(const map_codec_info *info, int depth) {
    /* FFV1's packet buffer grows with the sample depth; 256 x 256 keeps it small at 16 bits. */
    return info->codec == DS_MAP_CODEC_FFV1 && depth > 10 ? 256 : info->max_side;
}

static uint32_t align_up(uint32_t value, uint32_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

/* At least one, however wide the strips. */
static uint32_t strips_per_picture(uint32_t strip_width, uint32_t side) {
    return strip_width < side ? side / strip_width : 1;
}

/* Folds `rows` map rows into a near-square picture of strips `strip_width` wide, at most
 * `side` tall and, unless one strip is wider, wide. */
static map_picture fold_rows(size_t first_row, uint32_t rows, uint32_t strip_width, uint32_t side,
                             const map_codec_info *info) {
    uint32_t max_strips = strips_per_picture(strip_width, side);
    /* Square when strips * strip_width == rows / strips. */
    double ideal = sqrt((double)rows / strip_width);
    uint32_t strips = ideal < 1.0 ? 1u : (uint32_t)lround(ideal);
    strips = strips > max_strips ? max_strips : strips;
    uint32_t strip_height = (rows + strips - 1) / strips;
    strips = (rows + strip_height - 1) / strip_height; /* no empty strip */
    map_picture picture = {first_row, rows, strips, strip_height, 0, 0};
    uint32_t alignment = (uint32_t)info->alignment;
    uint32_t min_side = (uint32_t)info->min_side;
    uint32_t width = strips * strip_width;
    picture.width = align_up(width < min_side ? min_side : width, alignment);
    picture.height = align_up(strip_height < min_side ? min_side : strip_height, alignment);
    return picture;
}

/* ---- samples in and out of picture planes ---- */

/* The luma plane's layout, for the formats pick_pixel_format() and the decoders give. */
typedef struct plane_layout {
    int bytes; /* per sample: 1 or 2 */
    bool big_endian;
    int depth;
} plane_layout;

static bool luma_layout(enum AVPixelFormat format, plane_layout *layout) {
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(format);
    if (!desc ||
        (desc->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL |
                        AV_PIX_FMT_FLAG_FLOAT)) ||
        desc->nb_components < 1) {
        return false;
    }
    const AVComponentDescriptor *luma = &desc->comp[0];
    int bytes = luma->depth > 8 ? 2 : 1;
    if (luma->plane != 0 || luma->shift != 0 || luma->offset != 0 || luma->step != bytes ||
        luma->depth > 16) {
        return false;
    }
    layout->bytes = bytes;
    layout->big_endian = (desc->flags & AV_PIX_FMT_FLAG_BE) != 0;
    layout->depth = luma->depth;
    return true;
}

static void store_samples(uint8_t *row, const plane_layout *layout, size_t x,
                          const uint16_t *samples, size_t count) {
    if (layout->bytes == 1) {
        for (size_t i = 0; i < count; i++) {
            row[x + i] = (uint8_t)samples[i];
        }
        return;
    }
    uint8_t *p = row + 2 * x;
    int high = layout->big_endian ? 0 : 1;
    for (size_t i = 0; i < count; i++) {
        p[2 * i + (size_t)high] = (uint8_t)(samples[i] >> 8);
        p[2 * i + (size_t)(1 - high)] = (uint8_t)samples[i];
    }
}

static void repeat_sample(uint8_t *row, const plane_layout *layout, size_t from, size_t to) {
    size_t bytes = (size_t)layout->bytes;
    for (size_t x = from; x < to; x++) {
        memcpy(row + x * bytes, row + (from - 1) * bytes, bytes);
    }
}

/* Writes the map rows of `picture` into the luma plane, repeating edges into the padding. */
static void fold_into_plane(const map_picture *picture, const uint16_t *samples, size_t columns,
                            uint32_t strip_width, const plane_layout *layout, uint8_t *plane,
                            size_t line_size) {
    for (uint32_t y = 0; y < picture->height; y++) {
        uint8_t *row = plane + y * line_size;
        uint32_t strip_row = y < picture->strip_height ? y : picture->strip_height - 1;
        for (uint32_t s = 0; s < picture->strips; s++) {
            size_t local = (size_t)s * picture->strip_height + strip_row;
            local = local < picture->rows ? local : picture->rows - 1;
            const uint16_t *source = samples + (picture->first_row + local) * columns;
            size_t x = (size_t)s * strip_width;
            store_samples(row, layout, x, source, columns);
            repeat_sample(row, layout, x + columns, x + strip_width);
        }
        repeat_sample(row, layout, (size_t)picture->strips * strip_width, picture->width);
    }
}

static void fill_chroma(AVFrame *frame, const plane_layout *layout) {
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(frame->format);
    int chroma_height = AV_CEIL_RSHIFT(frame->height, desc->log2_chroma_h);
    int chroma_width = AV_CEIL_RSHIFT(frame->width, desc->log2_chroma_w);
    uint16_t neutral = (uint16_t)(1u << (layout->depth - 1));
    for (int plane = 1; plane < 3 && frame->data[plane]; plane++) {
        for (int y = 0; y < chroma_height; y++) {
            uint8_t *row = frame->data[plane] + (size_t)y * (size_t)frame->linesize[plane];
            store_samples(row, layout, 0, &neutral, 1);
            repeat_sample(row, layout, 1, (size_t)chroma_width);
        }
    }
}

static void unfold_from_plane(const map_picture *picture, const uint8_t *plane, size_t line_size,
                              const plane_layout *layout, uint32_t strip_width, size_t columns,
                              uint16_t max_sample, uint16_t *samples) {
    int high = layout->big_endian ? 0 : 1;
    for (uint32_t local = 0; local < picture->rows; local++) {
        uint32_t s = local / picture->strip_height;
        uint32_t y = local % picture->strip_height;
        const uint8_t *p = plane + y * line_size + (size_t)s * strip_width * (size_t)layout->bytes;
        uint16_t *target = samples + (picture->first_row + local) * columns;
        if (layout->bytes == 1) {
            for (size_t i = 0; i < columns; i++) {
                target[i] = p[i] < max_sample ? p[i] : max_sample;
            }
            continue;
        }
        for (size_t i = 0; i < columns; i++) {
            uint16_t v = (uint16_t)(p[2 * i + (size_t)high] << 8 | p[2 * i + (size_t)(1 - high)]);
            target[i] = v < max_sample ? v : max_sample;
        }
    }
}

/* ---- libavcodec plumbing ---- */

static const char *av_error_text(int error, char *text, size_t size) {
    av_strerror(error, text, size);
    return text;
}

static int quantiser(int quality, int range) {
    return (int)lround((double)range * (100 - quality) / 99.0);
}

/* Sets the codec's private options for intra-only, single-threaded, constant-quantiser coding
 * without perceptual tuning. Returns a libavcodec error code. */
static int configure_encoder(AVCodecContext *context, const map_encoder_choice *choice,
                             const ds_map_settings *settings) {
    const char *name = choice->encoder->name;
    void *options = context->priv_data;
    char text[160];
    int quality = settings->quality;
    int error = 0;
    if (strcmp(name, "ffv1") == 0) {
        /* Version 1 codes a picture as one slice; version 3 insists on 4 or more, which cost
         * 5-10 % on small pictures. Its slice CRCs are not needed: the stream checksums each
         * layer. */
        context->level = 1;
        error = av_opt_set(options, "coder", "range_def", 0);
        error = error < 0 ? error : av_opt_set(options, "context", "1", 0);
    } else if (strcmp(name, "png") == 0) {
        context->compression_level = 6;
        error = av_opt_set(options, "pred", "paeth", 0);
    } else if (strcmp(name, "libx264") == 0) {
        /* Measured on a 150k x 50 map: veryfast is within 1 % of medium's size at half the
         * time; ultrafast costs 60 % more bytes. */
        error = av_opt_set(options, "preset", "veryfast", 0);
        /* x264's qp scale for deep samples starts 6 steps a bit lower (x265's and libaom's do
         * not): shifting it keeps the error relative to the sample range alike at 8 and 10. */
        int shift = 6 * (choice->depth - 8);
        snprintf(text, sizeof text, "%d", quality == 0 ? 0 : quantiser(quality, 51) + shift);
        error = error < 0 ? error : av_opt_set(options, "qp", text, 0);
        error = error < 0
                    ? error
                    : av_opt_set(options, "x264-params", "keyint=1:aq-mode=0:psy=0:weightp=0", 0);
    } else if (strcmp(name, "libx265") == 0) {
        /* Every slower preset took 2.5-4 s on a 150k x 50 map for about the same size. */
        error = av_opt_set(options, "preset", "ultrafast", 0);
        snprintf(text, sizeof text,
                 "log-level=none:pools=none:frame-threads=1:keyint=1:aq-mode=0:psy-rd=0:"
                 "psy-rdoq=0%s",
                 quality == 0 ? ":lossless=1" : "");
        error = error < 0 ? error : av_opt_set(options, "x265-params", text, 0);
        if (quality != 0) {
            snprintf(text, sizeof text, "%d", quantiser(quality, 51));
            error = error < 0 ? error : av_opt_set(options, "qp", text, 0);
        }
    } else if (strcmp(name, "libaom-av1") == 0) {
        /* All-intra usage at the fastest speed: 0.1-0.5 s for a 150k x 50 map. */
        error = av_opt_set(options, "usage", "allintra", 0);
        error = error < 0 ? error : av_opt_set(options, "cpu-used", "8", 0);
        error = error < 0 ? error : av_opt_set(options, "aq-mode", "none", 0);
        error = error < 0 ? error : av_opt_set(options, "tune", "psnr", 0);
        error = error < 0 ? error : av_opt_set(options, "row-mt", "0", 0);
        snprintf(text, sizeof text, "%d", quality == 0 ? 0 : quantiser(quality, 63));
        error = error < 0 ? error : av_opt_set(options, "crf", text, 0);
        if (quality == 0) {
            error = error < 0 ? error : av_opt_set(options, "aom-params", "lossless=1", 0);
        }
        context->bit_rate = 0;
        context->gop_size = 0; /* all-intra usage insists */
    } else if (strcmp(name, "libsvtav1") == 0) {
        error = av_opt_set(options, "preset", "10", 0);
        snprintf(text, sizeof text, "%d", quantiser(quality, 63));
        error = error < 0 ? error : av_opt_set(options, "crf", text, 0);
        error = error < 0 ? error : av_opt_set(options, "svtav1-params", "lp=1", 0);
    }
    return error;
}

static ds_status codec_error(const char *what, const char *codec, int error) {
    char text[AV_ERROR_MAX_STRING_SIZE];
    if (error == AVERROR(ENOMEM)) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory while %s %s", what, codec);
    }
    return ds_error(DS_ERR_UNSUPPORTED, "%s could not %s a map picture (%s)", codec, what,
                    av_error_text(error, text, sizeof text));
}

/* An encoder context stays open across pictures of one size when the codec holds no frames
 * back (FFV1, PNG): FFV1 zeroes a worst-case packet buffer of ~150 bytes per pixel when it
 * opens, which dominated its encoding time when done per picture. */
typedef struct map_encoder {
    const map_encoder_choice *choice;
    const ds_map_settings *settings;
    AVCodecContext *context;
    AVFrame *frame;
    AVPacket *packet;
    plane_layout layout;
} map_encoder;

static void map_encoder_close(map_encoder *encoder) {
    av_packet_free(&encoder->packet);
    av_frame_free(&encoder->frame);
    avcodec_free_context(&encoder->context);
}

static ds_status map_encoder_open(map_encoder *encoder, uint32_t width, uint32_t height) {
    const map_encoder_choice *choice = encoder->choice;
    const char *name = choice->encoder->name;
    map_encoder_close(encoder);
    AVCodecContext *context = encoder->context = avcodec_alloc_context3(choice->encoder);
    AVFrame *frame = encoder->frame = av_frame_alloc();
    encoder->packet = av_packet_alloc();
    if (!context || !frame || !encoder->packet) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", name);
    }
    context->log_level_offset = MAP_LOG_LEVEL_OFFSET;
    context->width = (int)width;
    context->height = (int)height;
    context->pix_fmt = choice->format;
    context->time_base = (AVRational){1, 25};
    context->framerate = (AVRational){25, 1};
    context->gop_size = 1;
    context->max_b_frames = 0;
    context->thread_count = 1;
    context->bits_per_raw_sample = choice->depth;
    int error = configure_encoder(context, choice, encoder->settings);
    if (error < 0) {
        return codec_error("configure", name, error);
    }
    error = avcodec_open2(context, choice->encoder, NULL);
    if (error < 0) {
        return codec_error("open", name, error);
    }
    frame->format = choice->format;
    frame->width = context->width;
    frame->height = context->height;
    if (!luma_layout(choice->format, &encoder->layout)) {
        return ds_error(DS_ERR_UNSUPPORTED, "%s pixel format is unexpected", name);
    }
    error = av_frame_get_buffer(frame, 0);
    return error < 0 ? codec_error("allocate", name, error) : ds_ok();
}

/* Encodes one picture; appends its extradata and packet to `packets` and records their sizes. */
static ds_status encode_picture(map_encoder *encoder, const map_picture *picture,
                                const uint16_t *samples, size_t columns, uint32_t strip_width,
                                ds_byte_buffer *packets, uint32_t sizes[2]) {
    const char *name = encoder->choice->encoder->name;
    bool holds_frames = (encoder->choice->encoder->capabilities & AV_CODEC_CAP_DELAY) != 0;
    AVCodecContext *context = encoder->context;
    if (!context || holds_frames || context->width != (int)picture->width ||
        context->height != (int)picture->height) {
        ds_status status = map_encoder_open(encoder, picture->width, picture->height);
        if (ds_failed(&status)) {
            return status;
        }
        context = encoder->context;
    }
    AVFrame *frame = encoder->frame;
    int error = av_frame_make_writable(frame);
    if (error < 0) {
        return codec_error("allocate", name, error);
    }
    fold_into_plane(picture, samples, columns, strip_width, &encoder->layout, frame->data[0],
                    (size_t)frame->linesize[0]);
    fill_chroma(frame, &encoder->layout);
    frame->pict_type = AV_PICTURE_TYPE_I;
    frame->pts = context->frame_number;

    sizes[0] = (uint32_t)context->extradata_size;
    ds_byte_buffer_append(packets, context->extradata, (size_t)context->extradata_size);
    sizes[1] = 0;
    error = avcodec_send_frame(context, frame);
    if (error >= 0 && holds_frames) {
        error = avcodec_send_frame(context, NULL);
    }
    while (error >= 0) {
        error = avcodec_receive_packet(context, encoder->packet);
        if (error >= 0) {
            ds_byte_buffer_append(packets, encoder->packet->data, (size_t)encoder->packet->size);
            sizes[1] += (uint32_t)encoder->packet->size;
            av_packet_unref(encoder->packet);
        }
    }
    if (error != AVERROR_EOF && error != AVERROR(EAGAIN)) {
        return codec_error("encode", name, error);
    }
    if (sizes[1] == 0) {
        return ds_error(DS_ERR_UNSUPPORTED, "%s produced no data for a map picture", name);
    }
    return ds_ok();
}

static bool samples_fit(const uint16_t *samples, size_t count, int bit_depth) {
    uint32_t any = 0;
    for (size_t i = 0; i < count; i++) {
        any |= samples[i];
    }
    return (any >> bit_depth) == 0;
}

ds_status ds_map_encode(const uint16_t *samples, size_t rows, size_t columns,
                        const ds_map_settings *settings, ds_byte_buffer *out) {
    const map_codec_info *info = settings ? map_codec_find((int)settings->codec) : NULL;
    if (!info) {
        return ds_error(DS_ERR_ARGUMENT, "unknown map codec %d",
                        settings ? (int)settings->codec : -1);
    }
    if (!settings_in_range(settings)) {
        return ds_error(DS_ERR_ARGUMENT,
                        "map bit depth %d or quality %d out of range (8..16, 0..100)",
                        settings->bit_depth, settings->quality);
    }
    map_encoder_choice choice;
    if (!choose_encoder(info, settings, &choice) || !choose_decoder(info)) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "this build's libavcodec cannot code %s maps of %d bits %s", info->name,
                        settings->bit_depth,
                        info->lossy && settings->quality == 0 ? "losslessly" : "");
    }
    if (rows > UINT32_MAX || columns > MAP_LARGE_SIDE - MAP_MAX_PADDING) {
        return ds_error(DS_ERR_UNSUPPORTED, "a map of %zu rows and %zu columns is too large", rows,
                        columns);
    }
    size_t count = rows * columns;
    if (count > 0 && !samples_fit(samples, count, settings->bit_depth)) {
        return ds_error(DS_ERR_ARGUMENT, "a map sample does not fit in %d bits",
                        settings->bit_depth);
    }

    uint32_t strip_width = (uint32_t)columns;
    uint32_t side = (uint32_t)map_max_side(info, choice.depth);
    uint32_t picture_count = 0;
    size_t rows_per_picture = 0;
    if (count > 0) {
        size_t capacity = (size_t)strips_per_picture(strip_width, side) * side;
        picture_count = (uint32_t)((rows + capacity - 1) / capacity);
        rows_per_picture = (rows + picture_count - 1) / picture_count;
    }

    ds_byte_buffer header = {0};
    ds_byte_buffer packets = {0};
    map_encoder encoder = {.choice = &choice, .settings = settings};
    ds_status status = ds_ok();
    ds_byte_buffer_append_u8(&header, MAP_VERSION);
    ds_byte_buffer_append_u8(&header, (uint8_t)info->codec);
    ds_byte_buffer_append_u8(&header, (uint8_t)settings->bit_depth);
    ds_byte_buffer_append_u8(&header, 0);
    ds_byte_buffer_append_u32le(&header, (uint32_t)rows);
    ds_byte_buffer_append_u32le(&header, (uint32_t)columns);
    ds_byte_buffer_append_u32le(&header, strip_width);
    ds_byte_buffer_append_u32le(&header, picture_count);
    for (uint32_t p = 0; p < picture_count && !ds_failed(&status); p++) {
        size_t first_row = p * rows_per_picture;
        size_t left = rows - first_row;
        uint32_t picture_rows = (uint32_t)(left < rows_per_picture ? left : rows_per_picture);
        map_picture picture = fold_rows(first_row, picture_rows, strip_width, side, info);
        uint32_t sizes[2] = {0, 0};
        status = encode_picture(&encoder, &picture, samples, columns, strip_width, &packets, sizes);
        uint32_t fields[7] = {picture.rows,  picture.strips, picture.strip_height,
                              picture.width, picture.height, sizes[0],
                              sizes[1]};
        for (int f = 0; f < 7 && !ds_failed(&status); f++) {
            ds_byte_buffer_append_u32le(&header, fields[f]);
        }
    }
    if (!ds_failed(&status)) {
        status = ds_byte_buffer_status(&header);
    }
    if (!ds_failed(&status)) {
        status = ds_byte_buffer_status(&packets);
    }
    if (!ds_failed(&status)) {
        ds_byte_buffer_append(out, header.data, header.size);
        ds_byte_buffer_append(out, packets.data, packets.size);
        status = ds_byte_buffer_status(out);
    }
    map_encoder_close(&encoder);
    ds_byte_buffer_free(&header);
    ds_byte_buffer_free(&packets);
    return status;
}

/* ---- decoding ---- */

/* Reads and checks one picture's header against the map the caller expects. */
static ds_status read_picture_header(ds_byte_reader *reader, size_t first_row, size_t rows_left,
                                     uint32_t strip_width, map_picture *picture,
                                     uint32_t sizes[2]) {
    uint32_t fields[7];
    for (int f = 0; f < 7; f++) {
        if (!ds_byte_reader_u32le(reader, &fields[f])) {
            return ds_error(DS_ERR_FORMAT, "map picture header is truncated");
        }
    }
    *picture = (map_picture){first_row, fields[0], fields[1], fields[2], fields[3], fields[4]};
    sizes[0] = fields[5];
    sizes[1] = fields[6];
    uint64_t strips = picture->strips;
    uint64_t strip_height = picture->strip_height;
    uint64_t content_width = strips * strip_width;
    if (picture->rows == 0 || picture->rows > rows_left || strips == 0 || strip_height == 0 ||
        strips * strip_height < picture->rows || (strips - 1) * strip_height >= picture->rows) {
        return ds_error(DS_ERR_FORMAT, "map picture folds its rows inconsistently");
    }
    if (picture->width < content_width || picture->width - content_width > MAP_MAX_PADDING ||
        picture->height < strip_height || picture->height - strip_height > MAP_MAX_PADDING ||
        picture->width > MAP_DECODE_MAX_SIDE || picture->height > MAP_DECODE_MAX_SIDE) {
        return ds_error(DS_ERR_FORMAT, "map picture size %" PRIu32 " x %" PRIu32 " is invalid",
                        picture->width, picture->height);
    }
    return ds_ok();
}

static ds_status decode_error(const char *codec, int error) {
    char text[AV_ERROR_MAX_STRING_SIZE];
    if (error == AVERROR(ENOMEM)) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory decoding a %s map picture", codec);
    }
    return ds_error(DS_ERR_FORMAT, "%s map picture does not decode (%s)", codec,
                    av_error_text(error, text, sizeof text));
}

static ds_status decode_picture(const AVCodec *decoder, const map_codec_info *info,
                                const map_picture *picture, const uint8_t *extradata,
                                uint32_t extradata_size, const uint8_t *data, uint32_t size,
                                int bit_depth, uint32_t strip_width, size_t columns,
                                uint16_t *samples) {
    ds_status status = ds_ok();
    AVCodecContext *context = avcodec_alloc_context3(decoder);
    AVFrame *frame = av_frame_alloc();
    AVPacket *packet = av_packet_alloc();
    int error = 0;
    if (!context || !frame || !packet || av_new_packet(packet, (int)size) < 0) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory decoding a %s map", info->name);
        goto done;
    }
    memcpy(packet->data, data, size);
    packet->flags |= AV_PKT_FLAG_KEY;
    context->log_level_offset = MAP_LOG_LEVEL_OFFSET;
    context->thread_count = 1;
    /* FFV1 leaves the picture size to the container. */
    context->width = (int)picture->width;
    context->height = (int)picture->height;
    /* Whatever the packet claims, libavcodec allocates no larger picture than the header's
     * (plus the block alignment decoders add). */
    context->max_pixels = (int64_t)(picture->width + 128) * (picture->height + 128);
    if (extradata_size > 0) {
        context->extradata = av_mallocz((size_t)extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!context->extradata) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory decoding a %s map", info->name);
            goto done;
        }
        memcpy(context->extradata, extradata, extradata_size);
        context->extradata_size = (int)extradata_size;
    }
    error = avcodec_open2(context, decoder, NULL);
    if (error < 0) {
        status = decode_error(info->name, error);
        goto done;
    }
    error = avcodec_send_packet(context, packet);
    error = error < 0 ? error : avcodec_send_packet(context, NULL);
    error = error < 0 ? error : avcodec_receive_frame(context, frame);
    if (error < 0) {
        status = decode_error(info->name, error);
        goto done;
    }
    plane_layout layout;
    if (frame->width != (int)picture->width || frame->height != (int)picture->height) {
        status =
            ds_error(DS_ERR_FORMAT, "%s map picture decodes to %d x %d, not %" PRIu32 " x %" PRIu32,
                     info->name, frame->width, frame->height, picture->width, picture->height);
    } else if (!luma_layout(frame->format, &layout) ||
               layout.depth != container_depth(info, bit_depth) || !frame->data[0] ||
               frame->linesize[0] < (int)picture->width * layout.bytes) {
        status = ds_error(DS_ERR_FORMAT, "%s map picture decodes to an unexpected pixel format",
                          info->name);
    } else {
        uint16_t max_sample = (uint16_t)((1u << bit_depth) - 1);
        unfold_from_plane(picture, frame->data[0], (size_t)frame->linesize[0], &layout, strip_width,
                          columns, max_sample, samples);
    }
done:
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&context);
    return status;
}

ds_status ds_map_decode(const uint8_t *data, size_t size, size_t rows, size_t columns,
                        uint16_t *samples) {
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    uint8_t version, codec, bit_depth, reserved;
    uint32_t stored_rows, stored_columns, strip_width, picture_count;
    if (!ds_byte_reader_u8(&reader, &version) || !ds_byte_reader_u8(&reader, &codec) ||
        !ds_byte_reader_u8(&reader, &bit_depth) || !ds_byte_reader_u8(&reader, &reserved) ||
        !ds_byte_reader_u32le(&reader, &stored_rows) ||
        !ds_byte_reader_u32le(&reader, &stored_columns) ||
        !ds_byte_reader_u32le(&reader, &strip_width) ||
        !ds_byte_reader_u32le(&reader, &picture_count)) {
        return ds_error(DS_ERR_FORMAT, "map header is truncated");
    }
    if (version != MAP_VERSION) {
        return ds_error(DS_ERR_UNSUPPORTED, "map version %u is not supported", version);
    }
    const map_codec_info *info = map_codec_find(codec);
    if (!info) {
        return ds_error(DS_ERR_FORMAT, "map codec %u is unknown", codec);
    }
    if (bit_depth < 8 || bit_depth > 16 || reserved != 0) {
        return ds_error(DS_ERR_FORMAT, "map header is invalid (bit depth %u)", bit_depth);
    }
    if (stored_rows != rows || stored_columns != columns) {
        return ds_error(DS_ERR_FORMAT, "map is %" PRIu32 " x %" PRIu32 ", expected %zu x %zu",
                        stored_rows, stored_columns, rows, columns);
    }
    bool empty = rows == 0 || columns == 0;
    if ((empty && picture_count != 0) || (!empty && picture_count == 0) || picture_count > rows ||
        strip_width < columns || strip_width - columns > MAP_MAX_PADDING) {
        return ds_error(DS_ERR_FORMAT, "map header is invalid (%" PRIu32 " pictures)",
                        picture_count);
    }
    if ((size_t)picture_count * MAP_PICTURE_HEADER_BYTES > ds_byte_reader_remaining(&reader)) {
        return ds_error(DS_ERR_FORMAT, "map picture headers are truncated");
    }
    const AVCodec *decoder = empty ? NULL : choose_decoder(info);
    if (!empty && !decoder) {
        return ds_error(DS_ERR_UNSUPPORTED, "this build's libavcodec cannot decode %s maps",
                        info->name);
    }

    /* Picture headers come first, then the data: read both through two readers. */
    size_t data_start = reader.position + (size_t)picture_count * MAP_PICTURE_HEADER_BYTES;
    ds_byte_reader payload = ds_byte_reader_make(data, size);
    ds_byte_reader_skip(&payload, data_start);
    size_t first_row = 0;
    for (uint32_t p = 0; p < picture_count; p++) {
        map_picture picture = {0};
        uint32_t sizes[2] = {0, 0};
        ds_status status =
            read_picture_header(&reader, first_row, rows - first_row, strip_width, &picture, sizes);
        if (ds_failed(&status)) {
            return status;
        }
        const uint8_t *extradata = NULL;
        const uint8_t *packet = NULL;
        if (!ds_byte_reader_bytes(&payload, sizes[0], &extradata) ||
            !ds_byte_reader_bytes(&payload, sizes[1], &packet) || sizes[1] == 0 ||
            sizes[1] > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE ||
            sizes[0] > INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE) {
            return ds_error(DS_ERR_FORMAT, "map picture data is truncated");
        }
        status = decode_picture(decoder, info, &picture, extradata, sizes[0], packet, sizes[1],
                                bit_depth, strip_width, columns, samples);
        if (ds_failed(&status)) {
            return status;
        }
        first_row += picture.rows;
    }
    if (first_row != rows) {
        return ds_error(DS_ERR_FORMAT, "map pictures hold %zu rows, expected %zu", first_row, rows);
    }
    if (ds_byte_reader_remaining(&payload) != 0) {
        return ds_error(DS_ERR_FORMAT, "map has %zu bytes after its pictures",
                        ds_byte_reader_remaining(&payload));
    }
    return ds_ok();
}
