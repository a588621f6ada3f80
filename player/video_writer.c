#define _POSIX_C_SOURCE 200809L
#include "video_writer.h"

#include "formats/file_io.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libavutil/rational.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum {
    /* Added to the encoder's log level: lifts even AV_LOG_FATAL above AV_LOG_TRACE (as in
     * formats/appearance_map.c), so libx264's banner and closing statistics stay off stderr;
     * failures reach the caller as a ds_status instead. */
    WRITER_LOG_LEVEL_OFFSET = 128,
    /* libavformat's write buffer; the muxer seeks back into it rarely (mp4 header sizes). */
    WRITER_IO_BUFFER_SIZE = 64 * 1024,
    /* AAC-LC at 192 kbit/s for stereo is near transparent for music, a performance's usual
     * sound, and small beside the video. */
    AUDIO_BIT_RATE = 192000,
    AUDIO_CHANNELS = 2,
    /* Sound is converted this many samples at a time, bounding the conversion buffer. */
    AUDIO_CHUNK = 4096,
};

typedef struct container_info {
    const char *extension, *muxer;
    bool index_first; /* ISO BMFF: the index moves before the samples */
} container_info;

struct ds_video_writer {
    const container_info *container;
    ds_atomic_file file;
    bool file_open, finished, failed;
    /* The first write or seek error of the output, which libavformat reduces to EIO. */
    ds_status io_status;

    AVFormatContext *format;
    AVIOContext *io;
    AVCodecContext *codec;
    AVStream *stream;
    AVFrame *frame;
    AVPacket *packet;
    struct SwsContext *scale;

    int width, height;             /* of the frames given */
    int coded_width, coded_height; /* padded to what the pixel format needs */
    uint8_t *padded;               /* coded_width x coded_height RGB, when padding is needed */
    int64_t frames;

    /* The sound track, when there is one (audio_codec not NULL): the samples given are converted
     * (and resampled, for a rate AAC lacks) by `resample` into the encoder's format, and wait in
     * `fifo` until they fill an AAC frame. */
    AVCodecContext *audio_codec;
    AVStream *audio_stream;
    AVFrame *audio_frame;
    struct SwrContext *resample;
    AVAudioFifo *fifo;
    uint8_t **converted; /* AUDIO_CHANNELS planes (or one interleaved) of converted_capacity */
    int converted_capacity;
    int64_t audio_pts;   /* encoder samples sent to the encoder */
    int64_t audio_given; /* samples given by the caller */
};

/* ---- containers and codecs ---- */

static const container_info containers[] = {
    {"mp4", "mp4", true},
    {"mov", "mov", true},
    {"mkv", "matroska", false},
};

static const container_info *find_container(const char *path) {
    char extension[16];
    ds_path_extension(path, extension, sizeof extension);
    for (size_t i = 0; i < sizeof containers / sizeof containers[0]; i++) {
        if (strcmp(extension, containers[i].extension) == 0) {
            return &containers[i];
        }
    }
    return NULL;
}

/* H.264 first (plays everywhere), then what builds without libx264 may have. */
static const char *const default_encoders[] = {"libx264", "libopenh264", "mpeg4"};

static const AVCodec *find_encoder(const char *name) {
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) {
        /* A codec name ("h264") rather than an encoder's: its default encoder. */
        const AVCodecDescriptor *descriptor = avcodec_descriptor_get_by_name(name);
        codec = descriptor ? avcodec_find_encoder(descriptor->id) : NULL;
    }
    return codec && codec->type == AVMEDIA_TYPE_VIDEO ? codec : NULL;
}

static ds_status choose_encoder(const char *name, const AVOutputFormat *muxer,
                                const AVCodec **chosen) {
    *chosen = NULL;
    if (name) {
        const AVCodec *codec = find_encoder(name);
        if (!codec) {
            return ds_error(DS_ERR_UNSUPPORTED, "this build's libavcodec has no video encoder '%s'",
                            name);
        }
        /* 0 is a definite no; a negative answer means the muxer does not say. */
        if (avformat_query_codec(muxer, codec->id, FF_COMPLIANCE_NORMAL) == 0) {
            return ds_error(DS_ERR_UNSUPPORTED, "a %s file cannot hold %s video", muxer->name,
                            codec->name);
        }
        *chosen = codec;
        return ds_ok();
    }
    for (size_t i = 0; i < sizeof default_encoders / sizeof default_encoders[0]; i++) {
        const AVCodec *codec = avcodec_find_encoder_by_name(default_encoders[i]);
        if (codec && avformat_query_codec(muxer, codec->id, FF_COMPLIANCE_NORMAL) != 0) {
            *chosen = codec;
            return ds_ok();
        }
    }
    return ds_error(DS_ERR_UNSUPPORTED,
                    "this build's libavcodec has none of the encoders libx264, libopenh264, mpeg4");
}

/* YUV 4:2:0 whenever the encoder takes it: what players decode in hardware. */
static enum AVPixelFormat choose_pixel_format(const AVCodec *codec) {
    const enum AVPixelFormat *formats = codec->pix_fmts;
    if (!formats) {
        return AV_PIX_FMT_YUV420P;
    }
    for (const enum AVPixelFormat *f = formats; *f != AV_PIX_FMT_NONE; f++) {
        if (*f == AV_PIX_FMT_YUV420P) {
            return *f;
        }
    }
    return avcodec_find_best_pix_fmt_of_list(formats, AV_PIX_FMT_RGB24, 0, NULL);
}

static const char *av_error_text(int error, char *text, size_t size) {
    av_strerror(error, text, size);
    return text;
}

/* An error from libavcodec or libavformat, or the I/O error behind it. */
static ds_status library_error(ds_video_writer *writer, const char *what, int error) {
    char text[AV_ERROR_MAX_STRING_SIZE];
    if (ds_failed(&writer->io_status)) {
        return writer->io_status;
    }
    if (error == AVERROR(ENOMEM)) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory while %s", what);
    }
    return ds_error(error == AVERROR(EIO) ? DS_ERR_IO : DS_ERR_UNSUPPORTED, "%s failed: %s", what,
                    av_error_text(error, text, sizeof text));
}

/* ---- output through the project's atomic file ---- */

#if LIBAVFORMAT_VERSION_MAJOR >= 61
static int write_output(void *opaque, const uint8_t *data, int size) {
#else
static int write_output(void *opaque, uint8_t *data, int size) {
#endif
    ds_video_writer *writer = opaque;
    ds_status status = ds_atomic_file_write(&writer->file, data, (size_t)size);
    if (ds_failed(&status)) {
        if (!ds_failed(&writer->io_status)) {
            writer->io_status = status;
        }
        return AVERROR(EIO);
    }
    return size;
}

static int64_t seek_output(void *opaque, int64_t offset, int whence) {
    ds_video_writer *writer = opaque;
    int fd = writer->file.fd;
    if (whence == AVSEEK_SIZE) {
        struct stat info;
        return fstat(fd, &info) == 0 ? (int64_t)info.st_size : AVERROR(errno);
    }
    off_t position = lseek(fd, (off_t)offset, whence & ~AVSEEK_FORCE);
    return position < 0 ? AVERROR(errno) : (int64_t)position;
}

/* ---- the index before the samples (ISO BMFF "fast start") ----
 *
 * libavformat's own +faststart does the same but announces it on stderr at AV_LOG_INFO
 * through a context whose log level cannot be lowered without changing global state. The
 * muxer writes [ftyp][free][mdat][moov]; the moov box moves to just after ftyp, the rest
 * shifts up by its size, and every chunk offset in it (stco, co64) grows by the same. */

enum {
    INDEX_MAX_SIZE = 256 * 1024 * 1024, /* far above the ~20 bytes a frame needs */
    INDEX_MAX_DEPTH = 8,
    INDEX_COPY_SIZE = 1024 * 1024,
};

static uint32_t read_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t read_be64(const uint8_t *p) {
    return (uint64_t)read_be32(p) << 32 | read_be32(p + 4);
}

static void write_be32(uint8_t *p, uint32_t value) {
    p[0] = (uint8_t)(value >> 24);
    p[1] = (uint8_t)(value >> 16);
    p[2] = (uint8_t)(value >> 8);
    p[3] = (uint8_t)value;
}

/* A box header at `data` within `size` bytes: its total size and header size, or false when it
 * does not fit. */
static bool parse_box(const uint8_t *data, uint64_t size, uint64_t *box_size,
                      uint64_t *header_size) {
    if (size < 8) {
        return false;
    }
    *box_size = read_be32(data);
    *header_size = 8;
    if (*box_size == 1) {
        if (size < 16) {
            return false;
        }
        *box_size = read_be64(data + 8);
        *header_size = 16;
    } else if (*box_size == 0) {
        *box_size = size;
    }
    return *box_size >= *header_size && *box_size <= size;
}

/* Adds `shift` to every chunk offset under the boxes in data[0..size). False when the index
 * is not as expected or an offset would no longer fit its field. */
static bool shift_chunk_offsets(uint8_t *data, uint64_t size, uint64_t shift, int depth) {
    static const char *const containers_with_offsets[] = {"trak", "mdia", "minf", "stbl"};
    if (depth > INDEX_MAX_DEPTH) {
        return false;
    }
    uint64_t offset = 0;
    while (offset < size) {
        uint64_t box_size, header_size;
        if (!parse_box(data + offset, size - offset, &box_size, &header_size)) {
            return false;
        }
        uint8_t *type = data + offset + 4;
        uint8_t *body = data + offset + header_size;
        uint64_t body_size = box_size - header_size;
        bool wide = memcmp(type, "co64", 4) == 0;
        if (wide || memcmp(type, "stco", 4) == 0) {
            uint64_t entry_size = wide ? 8 : 4;
            if (body_size < 8) {
                return false;
            }
            uint64_t count = read_be32(body + 4);
            if (count > (body_size - 8) / entry_size) {
                return false;
            }
            for (uint64_t i = 0; i < count; i++) {
                uint8_t *entry = body + 8 + i * entry_size;
                if (wide) {
                    uint64_t value = read_be64(entry);
                    if (value > UINT64_MAX - shift) {
                        return false;
                    }
                    write_be32(entry, (uint32_t)((value + shift) >> 32));
                    write_be32(entry + 4, (uint32_t)(value + shift));
                } else {
                    uint64_t value = (uint64_t)read_be32(entry) + shift;
                    if (value > UINT32_MAX) {
                        return false;
                    }
                    write_be32(entry, (uint32_t)value);
                }
            }
        } else {
            for (size_t i = 0; i < 4; i++) {
                if (memcmp(type, containers_with_offsets[i], 4) == 0 &&
                    !shift_chunk_offsets(body, body_size, shift, depth + 1)) {
                    return false;
                }
            }
        }
        offset += box_size;
    }
    return true;
}

static ds_status read_at(int fd, void *data, size_t size, uint64_t offset) {
    uint8_t *bytes = data;
    while (size > 0) {
        ssize_t got = pread(fd, bytes, size, (off_t)offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return ds_error(DS_ERR_IO, "cannot read back the video: %s",
                            got < 0 ? strerror(errno) : "it is shorter than written");
        }
        bytes += got;
        size -= (size_t)got;
        offset += (uint64_t)got;
    }
    return ds_ok();
}

static ds_status write_at(int fd, const void *data, size_t size, uint64_t offset) {
    const uint8_t *bytes = data;
    while (size > 0) {
        ssize_t wrote = pwrite(fd, bytes, size, (off_t)offset);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote < 0) {
            return ds_error(DS_ERR_IO, "write failed: %s", strerror(errno));
        }
        bytes += wrote;
        size -= (size_t)wrote;
        offset += (uint64_t)wrote;
    }
    return ds_ok();
}

/* Moves the moov box of a finished file to the front, reading through `fd` and writing through
 * `out` (the atomic file is open write-only). A layout other than the muxer's usual one is left
 * as it is: still a valid file, only slower to start streaming. */
static ds_status move_index_to_front(int fd, int out) {
    struct stat info;
    if (fstat(fd, &info) != 0) {
        return ds_error(DS_ERR_IO, "cannot read back the video: %s", strerror(errno));
    }
    uint64_t file_size = (uint64_t)info.st_size;
    uint64_t insert = 0, moov = 0, moov_size = 0, offset = 0;
    bool found = false;
    while (offset < file_size) {
        uint8_t header[16];
        size_t length = file_size - offset < 16 ? (size_t)(file_size - offset) : 16;
        ds_status status = read_at(fd, header, length, offset);
        if (ds_failed(&status)) {
            return status;
        }
        uint64_t box_size, header_size;
        /* parse_box reads the 64-bit size only when 16 bytes remain, all of them in header. */
        if (!parse_box(header, file_size - offset, &box_size, &header_size)) {
            return ds_ok();
        }
        if (offset == 0 && memcmp(header + 4, "ftyp", 4) == 0) {
            insert = box_size;
        }
        if (memcmp(header + 4, "moov", 4) == 0) {
            found = true;
            moov = offset;
            moov_size = box_size;
        }
        offset += box_size;
    }
    if (!found || moov + moov_size != file_size || moov <= insert || moov_size > INDEX_MAX_SIZE) {
        return ds_ok();
    }

    uint8_t *index = malloc((size_t)moov_size);
    uint8_t *buffer = malloc(INDEX_COPY_SIZE);
    ds_status status = ds_ok();
    if (!index || !buffer) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory moving the video's index");
        goto done;
    }
    status = read_at(fd, index, (size_t)moov_size, moov);
    if (ds_failed(&status)) {
        goto done;
    }
    uint64_t box_size, header_size;
    if (!parse_box(index, moov_size, &box_size, &header_size) ||
        !shift_chunk_offsets(index + header_size, moov_size - header_size, moov_size, 0)) {
        goto done;
    }
    /* From the end backwards, so that no byte is overwritten before it has been copied. */
    for (uint64_t end = moov; end > insert && !ds_failed(&status);) {
        size_t length = end - insert < INDEX_COPY_SIZE ? (size_t)(end - insert) : INDEX_COPY_SIZE;
        end -= length;
        status = read_at(fd, buffer, length, end);
        if (!ds_failed(&status)) {
            status = write_at(out, buffer, length, end + moov_size);
        }
    }
    if (!ds_failed(&status)) {
        status = write_at(out, index, (size_t)moov_size, insert);
    }
done:
    free(index);
    free(buffer);
    return status;
}

/* ---- opening ---- */

static ds_status check_options(const ds_video_writer_options *options) {
    if (options->width < 1 || options->height < 1 || options->width > DS_VIDEO_WRITER_MAX_SIZE ||
        options->height > DS_VIDEO_WRITER_MAX_SIZE) {
        return ds_error(DS_ERR_ARGUMENT, "video size %dx%d is outside 1..%d", options->width,
                        options->height, (int)DS_VIDEO_WRITER_MAX_SIZE);
    }
    if (options->fps_num < 1 || options->fps_den < 1) {
        return ds_error(DS_ERR_ARGUMENT, "frame rate %d/%d is not positive", options->fps_num,
                        options->fps_den);
    }
    if (options->quality < 0 || options->quality > 51) {
        return ds_error(DS_ERR_ARGUMENT, "video quality %d is outside 0..51", options->quality);
    }
    if (options->audio_sample_rate != 0 &&
        (options->audio_sample_rate < DS_VIDEO_WRITER_MIN_AUDIO_RATE ||
         options->audio_sample_rate > DS_VIDEO_WRITER_MAX_AUDIO_RATE)) {
        return ds_error(DS_ERR_ARGUMENT, "sound at %d Hz is outside %d..%d Hz",
                        options->audio_sample_rate, (int)DS_VIDEO_WRITER_MIN_AUDIO_RATE,
                        (int)DS_VIDEO_WRITER_MAX_AUDIO_RATE);
    }
    return ds_ok();
}

/* Encoder settings for a CRF-like quality; encoders without CRF get a fixed quantiser of about
 * the same step size. */
static int configure_encoder(AVCodecContext *codec, int quality, AVDictionary **settings) {
    const char *name = codec->codec->name;
    char text[16];
    snprintf(text, sizeof text, "%d", quality);
    if (strcmp(name, "libx264") == 0 || strcmp(name, "libx265") == 0) {
        /* veryfast is within a few percent of medium's size for rendered content, at a
         * fraction of the time. */
        int error = av_dict_set(settings, "preset", "veryfast", 0);
        error = error < 0 ? error : av_dict_set(settings, "crf", text, 0);
        if (strcmp(name, "libx265") == 0) {
            /* x265 prints to stderr itself, past libavcodec's logging. */
            error = error < 0 ? error : av_dict_set(settings, "x265-params", "log-level=none", 0);
        }
        return error;
    }
    if (strcmp(name, "libopenh264") == 0) {
        /* Without rate control, openh264 holds its quantiser between qmin and qmax. */
        codec->qmin = codec->qmax = quality;
        return av_dict_set(settings, "rc_mode", "off", 0);
    }
    /* MPEG-4 part 2 and its kin: an H.264 QP's step is 2^((qp - 4) / 6), MPEG-4's is twice
     * its qscale (1..31). */
    double qscale = pow(2.0, (quality - 4) / 6.0) / 2.0;
    codec->flags |= AV_CODEC_FLAG_QSCALE;
    codec->global_quality = FF_QP2LAMBDA * (int)fmin(31.0, fmax(1.0, round(qscale)));
    return 0;
}

static ds_status open_encoder(ds_video_writer *writer, const AVCodec *encoder,
                              const ds_video_writer_options *options) {
    AVCodecContext *codec = writer->codec = avcodec_alloc_context3(encoder);
    if (!codec) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", encoder->name);
    }
    codec->log_level_offset = WRITER_LOG_LEVEL_OFFSET;
    codec->pix_fmt = choose_pixel_format(encoder);
    const AVPixFmtDescriptor *layout = av_pix_fmt_desc_get(codec->pix_fmt);
    if (!layout) {
        return ds_error(DS_ERR_UNSUPPORTED, "%s offers no pixel format this writer can fill",
                        encoder->name);
    }
    int align_x = 1 << layout->log2_chroma_w, align_y = 1 << layout->log2_chroma_h;
    writer->coded_width = (options->width + align_x - 1) / align_x * align_x;
    writer->coded_height = (options->height + align_y - 1) / align_y * align_y;
    codec->width = writer->coded_width;
    codec->height = writer->coded_height;
    codec->sample_aspect_ratio = (AVRational){1, 1};
    /* In lowest terms: MPEG-4 part 2 caps the time base's denominator at 65535, which a rate
     * like 120000/1000 would pass for no reason. */
    int rate_num, rate_den;
    av_reduce(&rate_num, &rate_den, options->fps_num, options->fps_den, INT_MAX);
    codec->time_base = (AVRational){rate_den, rate_num};
    codec->framerate = (AVRational){rate_num, rate_den};
    /* A key frame every ~2 s keeps seeking in players quick at little cost in size. */
    double fps = (double)options->fps_num / options->fps_den;
    codec->gop_size = (int)fmax(1.0, fmin(300.0, round(2.0 * fps)));
    /* Rendered pixels are sRGB; the conversion below uses BT.709's matrix, limited range. */
    codec->color_primaries = AVCOL_PRI_BT709;
    codec->color_trc = AVCOL_TRC_IEC61966_2_1;
    codec->colorspace = AVCOL_SPC_BT709;
    codec->color_range = AVCOL_RANGE_MPEG;
    if (writer->format->oformat->flags & AVFMT_GLOBALHEADER) {
        codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }

    AVDictionary *settings = NULL;
    int quality = options->quality ? options->quality : DS_VIDEO_WRITER_DEFAULT_QUALITY;
    int error = configure_encoder(codec, quality, &settings);
    if (error >= 0) {
        error = avcodec_open2(codec, encoder, &settings);
    }
    av_dict_free(&settings);
    if (error < 0) {
        char what[64];
        snprintf(what, sizeof what, "opening the %s encoder", encoder->name);
        return library_error(writer, what, error);
    }

    writer->frame = av_frame_alloc();
    writer->packet = av_packet_alloc();
    if (!writer->frame || !writer->packet) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", encoder->name);
    }
    writer->frame->format = codec->pix_fmt;
    writer->frame->width = codec->width;
    writer->frame->height = codec->height;
    writer->frame->color_primaries = codec->color_primaries;
    writer->frame->color_trc = codec->color_trc;
    writer->frame->colorspace = codec->colorspace;
    writer->frame->color_range = codec->color_range;
    error = av_frame_get_buffer(writer->frame, 0);
    if (error < 0) {
        return library_error(writer, "allocating a video frame", error);
    }

    writer->scale = sws_getContext(
        codec->width, codec->height, AV_PIX_FMT_RGB24, codec->width, codec->height, codec->pix_fmt,
        SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, NULL, NULL, NULL);
    if (!writer->scale) {
        return ds_error(DS_ERR_UNSUPPORTED, "libswscale cannot convert RGB to %s",
                        av_get_pix_fmt_name(codec->pix_fmt));
    }
    const int *matrix = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(writer->scale, matrix, 1, matrix, 0, 0, 1 << 16, 1 << 16);

    if (writer->coded_width != writer->width || writer->coded_height != writer->height) {
        writer->padded = malloc((size_t)writer->coded_width * (size_t)writer->coded_height * 3);
        if (!writer->padded) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory for a %dx%d frame",
                            writer->coded_width, writer->coded_height);
        }
    }
    return ds_ok();
}

/* ---- the sound track ---- */

/* The encoder's planar float when it takes it (AAC's own format), else its first. */
static enum AVSampleFormat choose_sample_format(const AVCodec *codec) {
    const enum AVSampleFormat *formats = codec->sample_fmts;
    if (!formats) {
        return AV_SAMPLE_FMT_FLTP;
    }
    for (const enum AVSampleFormat *f = formats; *f != AV_SAMPLE_FMT_NONE; f++) {
        if (*f == AV_SAMPLE_FMT_FLTP) {
            return *f;
        }
    }
    return formats[0];
}

/* The rate the sound is coded at: its own when the encoder takes it, else the lowest above it
 * (so nothing audible is lost), else the encoder's highest. */
static int choose_sample_rate(const AVCodec *codec, int rate) {
    const int *rates = codec->supported_samplerates;
    if (!rates) {
        return rate;
    }
    int above = 0, highest = 0;
    for (const int *r = rates; *r; r++) {
        if (*r == rate) {
            return rate;
        }
        if (*r > rate && (above == 0 || *r < above)) {
            above = *r;
        }
        highest = *r > highest ? *r : highest;
    }
    return above ? above : highest;
}

static ds_status open_audio_encoder(ds_video_writer *writer, int rate) {
    /* FFmpeg's own AAC encoder is in every build; another (libfdk_aac) only if it is not. */
    const AVCodec *encoder = avcodec_find_encoder_by_name("aac");
    if (!encoder) {
        encoder = avcodec_find_encoder(AV_CODEC_ID_AAC);
    }
    if (!encoder) {
        return ds_error(DS_ERR_UNSUPPORTED, "this build's libavcodec has no AAC encoder");
    }
    if (avformat_query_codec(writer->format->oformat, encoder->id, FF_COMPLIANCE_NORMAL) == 0) {
        return ds_error(DS_ERR_UNSUPPORTED, "a %s file cannot hold AAC sound",
                        writer->format->oformat->name);
    }
    AVCodecContext *codec = writer->audio_codec = avcodec_alloc_context3(encoder);
    if (!codec) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", encoder->name);
    }
    codec->log_level_offset = WRITER_LOG_LEVEL_OFFSET;
    codec->sample_fmt = choose_sample_format(encoder);
    codec->sample_rate = choose_sample_rate(encoder, rate);
    av_channel_layout_default(&codec->ch_layout, AUDIO_CHANNELS);
    codec->bit_rate = AUDIO_BIT_RATE;
    /* Timestamps count samples. */
    codec->time_base = (AVRational){1, codec->sample_rate};
    if (writer->format->oformat->flags & AVFMT_GLOBALHEADER) {
        codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    }
    int error = avcodec_open2(codec, encoder, NULL);
    if (error < 0) {
        char what[64];
        snprintf(what, sizeof what, "opening the %s encoder", encoder->name);
        return library_error(writer, what, error);
    }

    AVFrame *frame = writer->audio_frame = av_frame_alloc();
    if (!frame) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", encoder->name);
    }
    frame->format = codec->sample_fmt;
    frame->sample_rate = codec->sample_rate;
    /* Encoders that take any length get AAC's usual 1024. */
    frame->nb_samples = codec->frame_size > 0 ? codec->frame_size : 1024;
    error = av_channel_layout_copy(&frame->ch_layout, &codec->ch_layout);
    error = error < 0 ? error : av_frame_get_buffer(frame, 0);
    if (error < 0) {
        return library_error(writer, "allocating a sound frame", error);
    }
    writer->fifo = av_audio_fifo_alloc(codec->sample_fmt, AUDIO_CHANNELS, 2 * frame->nb_samples);
    if (!writer->fifo) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening %s", encoder->name);
    }

    AVChannelLayout stereo;
    av_channel_layout_default(&stereo, AUDIO_CHANNELS);
    error = swr_alloc_set_opts2(&writer->resample, &codec->ch_layout, codec->sample_fmt,
                                codec->sample_rate, &stereo, AV_SAMPLE_FMT_FLT, rate, 0, NULL);
    error = error < 0 ? error : swr_init(writer->resample);
    if (error < 0) {
        return library_error(writer, "setting up the sound conversion", error);
    }
    return ds_ok();
}

static ds_status open_output(ds_video_writer *writer, const char *path) {
    ds_status status = ds_atomic_file_open(path, &writer->file);
    if (ds_failed(&status)) {
        return status;
    }
    writer->file_open = true;

    uint8_t *buffer = av_malloc(WRITER_IO_BUFFER_SIZE);
    if (!buffer) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for an output buffer");
    }
    writer->io = avio_alloc_context(buffer, WRITER_IO_BUFFER_SIZE, 1, writer, NULL, write_output,
                                    seek_output);
    if (!writer->io) {
        av_free(buffer);
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for an output buffer");
    }
    writer->format->pb = writer->io;
    writer->format->flags |= AVFMT_FLAG_CUSTOM_IO;
    return ds_ok();
}

static ds_status write_header(ds_video_writer *writer) {
    AVStream *stream = writer->stream = avformat_new_stream(writer->format, NULL);
    if (!stream) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory adding a video stream");
    }
    int error = avcodec_parameters_from_context(stream->codecpar, writer->codec);
    if (error < 0) {
        return library_error(writer, "describing the video stream", error);
    }
    stream->time_base = writer->codec->time_base;
    stream->avg_frame_rate = writer->codec->framerate;
    stream->r_frame_rate = writer->codec->framerate;

    if (writer->audio_codec) {
        AVStream *audio = writer->audio_stream = avformat_new_stream(writer->format, NULL);
        if (!audio) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory adding a sound stream");
        }
        error = avcodec_parameters_from_context(audio->codecpar, writer->audio_codec);
        if (error < 0) {
            return library_error(writer, "describing the sound stream", error);
        }
        audio->time_base = writer->audio_codec->time_base;
    }

    error = avformat_write_header(writer->format, NULL);
    if (error < 0) {
        return library_error(writer, "writing the container header", error);
    }
    return ds_ok();
}

ds_status ds_video_writer_open(const char *path, const ds_video_writer_options *options,
                               ds_video_writer **result) {
    *result = NULL;
    ds_status status = check_options(options);
    if (ds_failed(&status)) {
        return status;
    }
    const container_info *container = find_container(path);
    if (!container) {
        char extension[16];
        ds_path_extension(path, extension, sizeof extension);
        if (!extension[0]) {
            return ds_error(DS_ERR_UNSUPPORTED,
                            "the video file needs an extension: .mp4, .mkv or .mov");
        }
        return ds_error(DS_ERR_UNSUPPORTED,
                        "cannot write video to a .%s file (use .mp4, .mkv or .mov)", extension);
    }
    const AVOutputFormat *muxer = av_guess_format(container->muxer, NULL, NULL);
    if (!muxer) {
        return ds_error(DS_ERR_UNSUPPORTED, "this build's libavformat cannot write .%s files",
                        container->extension);
    }
    const AVCodec *encoder = NULL;
    status = choose_encoder(options->codec, muxer, &encoder);
    if (ds_failed(&status)) {
        return status;
    }

    ds_video_writer *writer = calloc(1, sizeof *writer);
    if (!writer) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory opening a video writer");
    }
    writer->file.fd = -1;
    writer->io_status = ds_ok();
    writer->width = options->width;
    writer->height = options->height;

    writer->container = container;
    int error = avformat_alloc_output_context2(&writer->format, muxer, NULL, path);
    if (error < 0) {
        status = library_error(writer, "setting up the container", error);
    }
    if (!ds_failed(&status)) {
        status = open_encoder(writer, encoder, options);
    }
    if (!ds_failed(&status) && options->audio_sample_rate > 0) {
        status = open_audio_encoder(writer, options->audio_sample_rate);
    }
    if (!ds_failed(&status)) {
        status = open_output(writer, path);
    }
    if (!ds_failed(&status)) {
        status = write_header(writer);
    }
    if (ds_failed(&status)) {
        ds_video_writer_free(writer);
        return status;
    }
    *result = writer;
    return ds_ok();
}

/* ---- frames and sound ---- */

/* Moves every packet an encoder (the video's or the sound's) has ready into the file; the
 * muxer interleaves the two streams by time. */
static ds_status drain_packets(ds_video_writer *writer, AVCodecContext *codec, AVStream *stream) {
    bool video = codec == writer->codec;
    for (;;) {
        int error = avcodec_receive_packet(codec, writer->packet);
        if (error == AVERROR(EAGAIN) || error == AVERROR_EOF) {
            return ds_ok();
        }
        if (error < 0) {
            return library_error(writer, video ? "encoding video" : "encoding the sound", error);
        }
        /* Every frame lasts one tick of the codec's time base; not every encoder says so, and
         * the muxer needs it for the last frame's duration. */
        if (video && writer->packet->duration == 0) {
            writer->packet->duration = 1;
        }
        av_packet_rescale_ts(writer->packet, codec->time_base, stream->time_base);
        writer->packet->stream_index = stream->index;
        /* Takes the packet's reference and leaves it blank for the next one. */
        error = av_interleaved_write_frame(writer->format, writer->packet);
        if (error < 0) {
            return library_error(writer, video ? "writing video" : "writing the sound", error);
        }
    }
}

/* Encodes the whole AAC frames waiting in the fifo; with `last`, also what remains, as a
 * shorter frame that libavcodec pads with silence (the packet's duration stays the true one, so
 * the track ends where the sound given does). */
static ds_status encode_audio(ds_video_writer *writer, bool last) {
    AVFrame *frame = writer->audio_frame;
    int frame_size = writer->audio_codec->frame_size > 0 ? writer->audio_codec->frame_size : 1024;
    for (;;) {
        int waiting = av_audio_fifo_size(writer->fifo);
        if (waiting == 0 || (waiting < frame_size && !last)) {
            return ds_ok();
        }
        /* The encoder may still hold the previous frame's buffer. */
        frame->nb_samples = frame_size;
        int error = av_frame_make_writable(frame);
        if (error < 0) {
            return library_error(writer, "allocating a sound frame", error);
        }
        int take = waiting < frame_size ? waiting : frame_size;
        if (av_audio_fifo_read(writer->fifo, (void **)frame->data, take) < take) {
            return ds_error(DS_ERR_NO_MEMORY, "out of memory while encoding the sound");
        }
        frame->nb_samples = take;
        frame->pts = writer->audio_pts;
        writer->audio_pts += take;
        error = avcodec_send_frame(writer->audio_codec, frame);
        ds_status status = error < 0
                               ? library_error(writer, "encoding the sound", error)
                               : drain_packets(writer, writer->audio_codec, writer->audio_stream);
        if (ds_failed(&status)) {
            return status;
        }
    }
}

/* Room for `samples` converted samples. */
static ds_status reserve_converted(ds_video_writer *writer, int samples) {
    if (samples <= writer->converted_capacity) {
        return ds_ok();
    }
    if (writer->converted) {
        av_freep(&writer->converted[0]);
    }
    av_freep(&writer->converted);
    writer->converted_capacity = 0;
    int error = av_samples_alloc_array_and_samples(&writer->converted, NULL, AUDIO_CHANNELS,
                                                   samples, writer->audio_codec->sample_fmt, 0);
    if (error < 0) {
        return library_error(writer, "allocating sound", error);
    }
    writer->converted_capacity = samples;
    return ds_ok();
}

/* Converts `count` interleaved stereo samples (none, with `input` NULL: what the resampler still
 * holds) into the fifo, and encodes the AAC frames they complete. */
static ds_status convert_audio(ds_video_writer *writer, const float *input, int count) {
    int room = swr_get_out_samples(writer->resample, count);
    ds_status status = room < 0 ? library_error(writer, "converting the sound", room)
                                : reserve_converted(writer, room > 0 ? room : 1);
    if (ds_failed(&status)) {
        return status;
    }
    const uint8_t *planes[1] = {(const uint8_t *)input};
    int got = swr_convert(writer->resample, writer->converted, room, input ? planes : NULL, count);
    if (got < 0) {
        return library_error(writer, "converting the sound", got);
    }
    if (got > 0 && av_audio_fifo_write(writer->fifo, (void **)writer->converted, got) < got) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory while encoding the sound");
    }
    return encode_audio(writer, false);
}

/* Copies a frame into the coded size, repeating the last column and row into the padding. */
static const uint8_t *pad_frame(ds_video_writer *writer, const uint8_t *rgb) {
    size_t row_bytes = (size_t)writer->width * 3;
    size_t coded_row_bytes = (size_t)writer->coded_width * 3;
    for (int y = 0; y < writer->coded_height; y++) {
        int source_y = y < writer->height ? y : writer->height - 1;
        const uint8_t *source = rgb + (size_t)source_y * row_bytes;
        uint8_t *row = writer->padded + (size_t)y * coded_row_bytes;
        memcpy(row, source, row_bytes);
        for (int x = writer->width; x < writer->coded_width; x++) {
            memcpy(row + (size_t)x * 3, source + row_bytes - 3, 3);
        }
    }
    return writer->padded;
}

ds_status ds_video_writer_write_rgb(ds_video_writer *writer, const uint8_t *rgb) {
    if (writer->finished) {
        return ds_error(DS_ERR_ARGUMENT, "the video is already finished");
    }
    if (writer->failed) {
        return ds_error(DS_ERR_ARGUMENT, "an earlier frame of the video failed");
    }
    /* The encoder may still hold the previous frame's buffer. */
    int error = av_frame_make_writable(writer->frame);
    if (error < 0) {
        writer->failed = true;
        return library_error(writer, "allocating a video frame", error);
    }
    const uint8_t *source = writer->padded ? pad_frame(writer, rgb) : rgb;
    const uint8_t *planes[1] = {source};
    const int strides[1] = {writer->coded_width * 3};
    sws_scale(writer->scale, planes, strides, 0, writer->coded_height, writer->frame->data,
              writer->frame->linesize);
    writer->frame->pts = writer->frames;
    /* Fixed-quantiser encoders (mpeg4) take their quantiser from each frame. */
    writer->frame->quality = writer->codec->global_quality;

    error = avcodec_send_frame(writer->codec, writer->frame);
    ds_status status = error < 0 ? library_error(writer, "encoding video", error)
                                 : drain_packets(writer, writer->codec, writer->stream);
    if (ds_failed(&status)) {
        writer->failed = true;
        return status;
    }
    writer->frames++;
    return ds_ok();
}

ds_status ds_video_writer_write_audio(ds_video_writer *writer, const float *stereo,
                                      uint32_t count) {
    if (writer->finished) {
        return ds_error(DS_ERR_ARGUMENT, "the video is already finished");
    }
    if (writer->failed) {
        return ds_error(DS_ERR_ARGUMENT, "an earlier frame of the video failed");
    }
    if (!writer->audio_codec) {
        return ds_error(DS_ERR_ARGUMENT, "the video was opened without sound");
    }
    ds_status status = ds_ok();
    while (count > 0 && !ds_failed(&status)) {
        int chunk = count < AUDIO_CHUNK ? (int)count : AUDIO_CHUNK;
        status = convert_audio(writer, stereo, chunk);
        stereo += (size_t)chunk * AUDIO_CHANNELS;
        count -= (uint32_t)chunk;
        writer->audio_given += chunk;
    }
    if (ds_failed(&status)) {
        writer->failed = true;
    }
    return status;
}

/* The sound's end: what the resampler holds, the last partial frame, the encoder's delay. */
static ds_status finish_audio(ds_video_writer *writer) {
    ds_status status = convert_audio(writer, NULL, 0);
    if (!ds_failed(&status)) {
        status = encode_audio(writer, true);
    }
    if (ds_failed(&status)) {
        return status;
    }
    int error = avcodec_send_frame(writer->audio_codec, NULL);
    return error < 0 ? library_error(writer, "finishing the sound", error)
                     : drain_packets(writer, writer->audio_codec, writer->audio_stream);
}

ds_status ds_video_writer_finish(ds_video_writer *writer) {
    if (writer->finished) {
        return ds_error(DS_ERR_ARGUMENT, "the video is already finished");
    }
    if (writer->failed) {
        return ds_error(DS_ERR_ARGUMENT, "an earlier frame of the video failed");
    }
    if (writer->frames == 0) {
        return ds_error(DS_ERR_ARGUMENT, "no frames were written to the video");
    }
    /* Whatever happens next, this writer writes no more. */
    writer->failed = true;
    int error = avcodec_send_frame(writer->codec, NULL);
    ds_status status = error < 0 ? library_error(writer, "finishing the video", error)
                                 : drain_packets(writer, writer->codec, writer->stream);
    if (!ds_failed(&status) && writer->audio_codec) {
        status = finish_audio(writer);
    }
    if (ds_failed(&status)) {
        return status;
    }
    error = av_write_trailer(writer->format);
    if (error < 0) {
        return library_error(writer, "writing the container trailer", error);
    }
    avio_flush(writer->io);
    if (ds_failed(&writer->io_status)) {
        return writer->io_status;
    }
    if (writer->container->index_first) {
        int fd = open(writer->file.temporary, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return ds_error(DS_ERR_IO, "cannot read back the video: %s", strerror(errno));
        }
        status = move_index_to_front(fd, writer->file.fd);
        close(fd);
        if (ds_failed(&status)) {
            return status;
        }
    }
    /* The commit removes the temporary file itself when it fails. */
    writer->file_open = false;
    status = ds_atomic_file_commit(&writer->file);
    if (ds_failed(&status)) {
        return status;
    }
    writer->finished = true;
    writer->failed = false;
    return ds_ok();
}

void ds_video_writer_free(ds_video_writer *writer) {
    if (!writer) {
        return;
    }
    /* A custom output is the caller's to free, after the muxer that may still refer to it. */
    avformat_free_context(writer->format);
    if (writer->io) {
        av_freep(&writer->io->buffer);
        avio_context_free(&writer->io);
    }
    if (writer->file_open) {
        ds_atomic_file_abort(&writer->file);
    }
    avcodec_free_context(&writer->codec);
    av_frame_free(&writer->frame);
    av_packet_free(&writer->packet);
    sws_freeContext(writer->scale);
    free(writer->padded);
    avcodec_free_context(&writer->audio_codec);
    av_frame_free(&writer->audio_frame);
    swr_free(&writer->resample);
    if (writer->fifo) {
        av_audio_fifo_free(writer->fifo);
    }
    if (writer->converted) {
        av_freep(&writer->converted[0]);
    }
    av_freep(&writer->converted);
    free(writer);
}

const char *ds_video_writer_codec_name(const ds_video_writer *writer) {
    return writer->codec->codec->name;
}

void ds_video_writer_coded_size(const ds_video_writer *writer, int *width, int *height) {
    *width = writer->coded_width;
    *height = writer->coded_height;
}

int64_t ds_video_writer_frame_count(const ds_video_writer *writer) {
    return writer->frames;
}

int64_t ds_video_writer_audio_sample_count(const ds_video_writer *writer) {
    return writer->audio_given;
}
