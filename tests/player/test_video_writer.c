#define _POSIX_C_SOURCE 200809L /* mkdtemp, dup, dup2, fileno */
/* Tests of the offline video writer (player/video_writer.h): videos written in each container
 * are read back with libavformat and libavcodec and compared frame by frame with what was
 * written, their sound tracks decoded and timed against the pictures; failures and
 * interruptions leave no file behind. */
#include "player_tests.h"
#include "test_support.h"

#include "player/video_writer.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const double pi = 3.14159265358979323846;

enum { FRAMES = 24 };

/* ---- files ---- */

static int count_entries(const char *directory) {
    DIR *listing = opendir(directory);
    assert_non_null(listing);
    int count = 0;
    for (struct dirent *entry = readdir(listing); entry; entry = readdir(listing)) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            count++;
        }
    }
    closedir(listing);
    return count;
}

static bool file_exists(const char *path) {
    struct stat info;
    return stat(path, &info) == 0;
}

/* ---- frames ---- */

/* A frame of moving waves under a sliding grey blob: smooth like a render, so that 4:2:0 and
 * the default quality keep it well above 30 dB even at this small size, and shifted far enough
 * between frames that a frame out of order reads as a mismatch. */
static void make_frame(uint8_t *rgb, int width, int height, int k) {
    double blob_x = fmod(3.0 * k, width), blob_y = fmod(2.0 * k, height);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            double u = 2.0 * pi * (x + 2.0 * k) / 32.0;
            double v = 2.0 * pi * (y - 1.5 * k) / 40.0;
            double dx = x - blob_x, dy = y - blob_y;
            double blob = 60.0 * exp(-(dx * dx + dy * dy) / (2.0 * 4.0 * 4.0));
            uint8_t *pixel = rgb + ((size_t)y * (size_t)width + (size_t)x) * 3;
            pixel[0] = (uint8_t)lround(120.0 + 70.0 * sin(u) + blob);
            pixel[1] = (uint8_t)lround(120.0 + 70.0 * cos(v) + blob);
            pixel[2] = (uint8_t)lround(120.0 + 50.0 * sin(u + v) + blob);
        }
    }
}

/* The frame as the writer pads it: its last column and row repeated to the coded size. */
static void make_padded_frame(uint8_t *rgb, int width, int height, int coded_width,
                              int coded_height, int k) {
    uint8_t *frame = malloc((size_t)width * (size_t)height * 3);
    assert_non_null(frame);
    make_frame(frame, width, height, k);
    for (int y = 0; y < coded_height; y++) {
        for (int x = 0; x < coded_width; x++) {
            int sx = x < width ? x : width - 1, sy = y < height ? y : height - 1;
            memcpy(rgb + ((size_t)y * (size_t)coded_width + (size_t)x) * 3,
                   frame + ((size_t)sy * (size_t)width + (size_t)sx) * 3, 3);
        }
    }
    free(frame);
}

/* PSNR of the top-left width x height of two RGB pictures with the given row lengths. */
static double psnr(const uint8_t *a, int a_width, const uint8_t *b, int b_width, int width,
                   int height) {
    double sum = 0.0;
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width * 3; x++) {
            double d = (double)a[(size_t)y * (size_t)a_width * 3 + (size_t)x] -
                       (double)b[(size_t)y * (size_t)b_width * 3 + (size_t)x];
            sum += d * d;
        }
    }
    double mse = sum / ((double)width * height * 3);
    return mse == 0.0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

/* ---- writing ---- */

typedef struct video_case {
    const char *name; /* file name in the test's directory */
    const char *codec;
    int width, height, fps_num, fps_den;
    int quality;     /* 0: the writer's default */
    double min_psnr; /* every decoded frame against the one written, in dB */
} video_case;

typedef struct written_video {
    char path[512];
    char codec[32];
    int coded_width, coded_height;
} written_video;

static void write_video(const char *directory, const video_case *c, written_video *out) {
    snprintf(out->path, sizeof out->path, "%s/%s", directory, c->name);
    ds_video_writer_options options = {
        .width = c->width,
        .height = c->height,
        .fps_num = c->fps_num,
        .fps_den = c->fps_den,
        .codec = c->codec,
        .quality = c->quality,
    };
    ds_video_writer *writer = NULL;
    ds_status status = ds_video_writer_open(out->path, &options, &writer);
    if (ds_failed(&status)) {
        fail_msg("opening %s: %s", c->name, status.message);
    }
    snprintf(out->codec, sizeof out->codec, "%s", ds_video_writer_codec_name(writer));
    ds_video_writer_coded_size(writer, &out->coded_width, &out->coded_height);
    uint8_t *rgb = malloc((size_t)c->width * (size_t)c->height * 3);
    assert_non_null(rgb);
    for (int k = 0; k < FRAMES; k++) {
        make_frame(rgb, c->width, c->height, k);
        status = ds_video_writer_write_rgb(writer, rgb);
        if (ds_failed(&status)) {
            fail_msg("frame %d of %s: %s", k, c->name, status.message);
        }
    }
    free(rgb);
    assert_int_equal(ds_video_writer_frame_count(writer), FRAMES);

    char temporary[520];
    snprintf(temporary, sizeof temporary, "%s.tmp", out->path);
    assert_true(file_exists(temporary));
    assert_false(file_exists(out->path));
    status = ds_video_writer_finish(writer);
    if (ds_failed(&status)) {
        fail_msg("finishing %s: %s", c->name, status.message);
    }
    assert_true(file_exists(out->path));
    assert_false(file_exists(temporary));

    /* Nothing more goes into a finished video. */
    uint8_t pixel[3] = {0};
    status = ds_video_writer_write_rgb(writer, pixel);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    status = ds_video_writer_finish(writer);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    ds_video_writer_free(writer);
    assert_true(file_exists(out->path));
}

/* ---- reading back ---- */

/* Decodes every frame of the file's only stream and checks it against what was written;
 * returns the lowest PSNR of a frame. */
static double check_video(const video_case *c, const written_video *video) {
    AVFormatContext *format = NULL;
    assert_int_equal(avformat_open_input(&format, video->path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(format, NULL) >= 0);
    assert_int_equal(format->nb_streams, 1);
    AVStream *stream = format->streams[0];
    AVCodecParameters *parameters = stream->codecpar;
    assert_int_equal(parameters->codec_type, AVMEDIA_TYPE_VIDEO);
    const AVCodec *encoder = avcodec_find_encoder_by_name(video->codec);
    assert_non_null(encoder);
    assert_int_equal(parameters->codec_id, encoder->id);
    assert_int_equal(parameters->width, video->coded_width);
    assert_int_equal(parameters->height, video->coded_height);
    assert_true(video->coded_width >= c->width && video->coded_width <= c->width + 1);
    assert_true(video->coded_height >= c->height && video->coded_height <= c->height + 1);
    assert_int_equal(video->coded_width % 2, 0);
    assert_int_equal(video->coded_height % 2, 0);

    double frame_time = (double)c->fps_den / c->fps_num;
    test_assert_close(av_q2d(stream->avg_frame_rate), 1.0 / frame_time, 1e-3, "frame rate", 0);
    double duration = stream->duration != AV_NOPTS_VALUE
                          ? (double)stream->duration * av_q2d(stream->time_base)
                          : (double)format->duration / AV_TIME_BASE;
    test_assert_close(duration, FRAMES * frame_time, 0.5 * frame_time, "duration", 0);

    const AVCodec *decoder = avcodec_find_decoder(parameters->codec_id);
    assert_non_null(decoder);
    AVCodecContext *context = avcodec_alloc_context3(decoder);
    assert_non_null(context);
    assert_int_equal(avcodec_parameters_to_context(context, parameters), 0);
    context->log_level_offset = 128;
    assert_int_equal(avcodec_open2(context, decoder, NULL), 0);

    size_t coded_size = (size_t)video->coded_width * (size_t)video->coded_height * 3;
    uint8_t *decoded = malloc(coded_size), *expected = malloc(coded_size);
    uint8_t *other = malloc(coded_size);
    assert_true(decoded && expected && other);
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    assert_true(packet && frame);
    struct SwsContext *scale = NULL;
    int frames = 0;
    double lowest = 99.0;
    bool draining = false;
    while (!draining) {
        int error = av_read_frame(format, packet);
        if (error == AVERROR_EOF) {
            draining = true;
            assert_int_equal(avcodec_send_packet(context, NULL), 0);
        } else {
            assert_int_equal(error, 0);
            assert_int_equal(avcodec_send_packet(context, packet), 0);
            av_packet_unref(packet);
        }
        while ((error = avcodec_receive_frame(context, frame)) == 0) {
            int k = frames++;
            assert_true(k < FRAMES);
            assert_int_equal(frame->width, video->coded_width);
            assert_int_equal(frame->height, video->coded_height);
            double time = (double)frame->best_effort_timestamp * av_q2d(stream->time_base);
            test_assert_close(time, k * frame_time, 0.25 * frame_time, "frame time", (size_t)k);

            /* Back to RGB with the writer's matrix (BT.709, limited range). */
            scale = sws_getCachedContext(scale, frame->width, frame->height, frame->format,
                                         frame->width, frame->height, AV_PIX_FMT_RGB24,
                                         SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL,
                                         NULL, NULL);
            assert_non_null(scale);
            const int *matrix = sws_getCoefficients(SWS_CS_ITU709);
            sws_setColorspaceDetails(scale, matrix, 0, matrix, 1, 0, 1 << 16, 1 << 16);
            uint8_t *planes[1] = {decoded};
            int strides[1] = {video->coded_width * 3};
            sws_scale(scale, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height,
                      planes, strides);

            make_padded_frame(expected, c->width, c->height, video->coded_width,
                              video->coded_height, k);
            make_padded_frame(other, c->width, c->height, video->coded_width, video->coded_height,
                              (k + FRAMES / 2) % FRAMES);
            int w = video->coded_width;
            double inside = psnr(decoded, w, expected, w, c->width, c->height);
            double whole = psnr(decoded, w, expected, w, w, video->coded_height);
            double wrong = psnr(decoded, w, other, w, c->width, c->height);
            lowest = fmin(lowest, inside);
            if (inside < c->min_psnr || whole < c->min_psnr || wrong > inside - 10.0) {
                fail_msg("%s frame %d: PSNR %.1f dB (%.1f with padding), %.1f dB against frame "
                         "%d",
                         c->name, k, inside, whole, wrong, (k + FRAMES / 2) % FRAMES);
            }
            av_frame_unref(frame);
        }
        assert_true(error == AVERROR(EAGAIN) || error == AVERROR_EOF);
    }
    assert_int_equal(frames, FRAMES);

    sws_freeContext(scale);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&context);
    avformat_close_input(&format);
    free(decoded);
    free(expected);
    free(other);
    return lowest;
}

/* In an ISO BMFF file (mp4, mov) the index box sits before the samples: players can start
 * before the whole file has arrived. */
static void check_index_first(const char *path) {
    size_t size = 0;
    uint8_t *data = test_read_file(path, &size);
    long moov = -1, mdat = -1;
    size_t offset = 0;
    for (int box = 0; offset + 8 <= size; box++) {
        uint64_t length = (uint64_t)data[offset] << 24 | (uint64_t)data[offset + 1] << 16 |
                          (uint64_t)data[offset + 2] << 8 | data[offset + 3];
        if (length == 1 && offset + 16 <= size) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = length << 8 | data[offset + 8 + (size_t)i];
            }
        } else if (length == 0) {
            length = size - offset;
        }
        if (memcmp(data + offset + 4, "moov", 4) == 0) {
            moov = box;
        } else if (memcmp(data + offset + 4, "mdat", 4) == 0) {
            mdat = box;
        }
        assert_true(length >= 8 && length <= size - offset);
        offset += (size_t)length;
    }
    free(data);
    assert_int_equal(offset, size);
    assert_true(moov >= 0 && mdat >= 0);
    assert_true(moov < mdat);
}

/* Writes, reads back and checks a video, then removes it; returns its lowest PSNR and its size
 * in bytes. */
static double round_trip(const char *directory, const video_case *c, size_t *bytes) {
    written_video video;
    write_video(directory, c, &video);
    assert_int_equal(count_entries(directory), 1);
    double lowest = check_video(c, &video);
    struct stat info;
    assert_int_equal(stat(video.path, &info), 0);
    if (bytes) {
        *bytes = (size_t)info.st_size;
    }
    const char *extension = strrchr(c->name, '.');
    if (strcmp(extension, ".mp4") == 0 || strcmp(extension, ".MOV") == 0) {
        check_index_first(video.path);
    }
    assert_int_equal(unlink(video.path), 0);
    return lowest;
}

/* ---- tests; each gets a fresh directory as its state ---- */

static int make_directory(void **state) {
    char *directory = strdup("/tmp/dualsplat-video-XXXXXX");
    if (!directory || !mkdtemp(directory)) {
        free(directory);
        return -1;
    }
    *state = directory;
    return 0;
}

/* Also after a failed test, whatever it left. */
static int remove_directory(void **state) {
    char *directory = *state;
    DIR *listing = opendir(directory);
    if (listing) {
        char path[512];
        for (struct dirent *entry = readdir(listing); entry; entry = readdir(listing)) {
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
                snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
                unlink(path);
            }
        }
        closedir(listing);
    }
    int result = rmdir(directory) == 0 ? 0 : -1;
    free(directory);
    return result;
}

static void mp4_with_the_default_codec(void **state) {
    const char *directory = *state;
    const video_case c = {"out.mp4", NULL, 64, 48, 24, 1, 0, 30.0};
    if (avcodec_find_encoder_by_name("libx264")) {
        /* The default is H.264 whenever this build has libx264. */
        written_video video;
        write_video(directory, &c, &video);
        assert_string_equal(video.codec, "libx264");
        assert_int_equal(unlink(video.path), 0);
    }
    round_trip(directory, &c, NULL);
}

static void mkv_of_odd_size_is_padded(void **state) {
    const video_case c = {"odd.mkv", NULL, 63, 47, 24, 1, 0, 30.0};
    round_trip(*state, &c, NULL);
}

static void mov_at_a_fractional_frame_rate(void **state) {
    const video_case c = {"clip.MOV", NULL, 64, 48, 30000, 1001, 0, 30.0};
    round_trip(*state, &c, NULL);
}

/* Also a rate given in thousandths: MPEG-4 part 2 refuses a time base of 1/120000. */
static void mpeg4_when_asked_for(void **state) {
    if (!avcodec_find_encoder_by_name("mpeg4")) {
        skip();
    }
    const video_case c = {"part2.mp4", "mpeg4", 65, 33, 120000, 1000, 0, 30.0};
    round_trip(*state, &c, NULL);
}

/* A lower quality number keeps more detail in more bytes. */
static void quality_trades_size_for_fidelity(void **state) {
    const video_case fine = {"fine.mkv", NULL, 64, 48, 24, 1, 10, 30.0};
    const video_case coarse = {"coarse.mkv", NULL, 64, 48, 24, 1, 40, 15.0};
    size_t fine_bytes = 0, coarse_bytes = 0;
    double fine_psnr = round_trip(*state, &fine, &fine_bytes);
    double coarse_psnr = round_trip(*state, &coarse, &coarse_bytes);
    assert_true(fine_bytes > 2 * coarse_bytes);
    assert_true(fine_psnr > coarse_psnr + 5.0);
}

/* A codec name reaches its encoder, and players learn how to turn the pixels back into RGB. */
static void h264_tags_its_colours(void **state) {
    if (!avcodec_find_encoder_by_name("libx264")) {
        skip();
    }
    const video_case c = {"tagged.mp4", "h264", 32, 32, 24, 1, 0, 0.0};
    written_video video;
    write_video(*state, &c, &video);
    assert_string_equal(video.codec, "libx264");
    AVFormatContext *format = NULL;
    assert_int_equal(avformat_open_input(&format, video.path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(format, NULL) >= 0);
    const AVCodecParameters *parameters = format->streams[0]->codecpar;
    assert_int_equal(parameters->codec_id, AV_CODEC_ID_H264);
    assert_int_equal(parameters->color_space, AVCOL_SPC_BT709);
    assert_int_equal(parameters->color_range, AVCOL_RANGE_MPEG);
    assert_int_equal(parameters->color_primaries, AVCOL_PRI_BT709);
    avformat_close_input(&format);
}

static void missing_directory_leaves_nothing(void **state) {
    const char *directory = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/missing/out.mp4", directory);
    ds_video_writer_options options = {.width = 64, .height = 48, .fps_num = 24, .fps_den = 1};
    /* Anything but NULL, to see that a failed open clears it. */
    static char sentinel;
    ds_video_writer *writer = (ds_video_writer *)&sentinel;
    ds_status status = ds_video_writer_open(path, &options, &writer);
    assert_int_equal(status.code, DS_ERR_IO);
    assert_null(writer);
    assert_non_null(strstr(status.message, "No such file or directory"));
    assert_int_equal(count_entries(directory), 0);
}

static void unknown_extensions_are_refused(void **state) {
    const char *directory = *state;
    ds_video_writer_options options = {.width = 64, .height = 48, .fps_num = 24, .fps_den = 1};
    const char *names[] = {"out.avi", "out.png", "out", "out.mp4.part"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        ds_video_writer *writer = NULL;
        ds_status status = ds_video_writer_open(path, &options, &writer);
        assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
        assert_null(writer);
        assert_non_null(strstr(status.message, ".mp4, .mkv or .mov"));
    }
    assert_int_equal(count_entries(directory), 0);
}

static void bad_options_are_refused(void **state) {
    const char *directory = *state;
    char path[512];
    snprintf(path, sizeof path, "%s/out.mkv", directory);
    const ds_video_writer_options good = {.width = 64, .height = 48, .fps_num = 24, .fps_den = 1};
    ds_video_writer_options bad[7];
    for (size_t i = 0; i < 7; i++) {
        bad[i] = good;
    }
    bad[0].width = 0;
    bad[1].height = -2;
    bad[2].width = DS_VIDEO_WRITER_MAX_SIZE + 1;
    bad[3].fps_num = 0;
    bad[4].fps_den = 0;
    bad[5].quality = 52;
    bad[6].quality = -1;
    for (size_t i = 0; i < 7; i++) {
        ds_video_writer *writer = NULL;
        ds_status status = ds_video_writer_open(path, &bad[i], &writer);
        assert_int_equal(status.code, DS_ERR_ARGUMENT);
        assert_null(writer);
    }
    ds_video_writer_options unknown = good;
    unknown.codec = "no-such-codec";
    ds_video_writer *writer = NULL;
    ds_status status = ds_video_writer_open(path, &unknown, &writer);
    assert_int_equal(status.code, DS_ERR_UNSUPPORTED);
    assert_non_null(strstr(status.message, "no-such-codec"));
    assert_null(writer);
    assert_int_equal(count_entries(directory), 0);
    ds_video_writer_free(NULL);
}

/* ---- sound ---- */

enum { TONE_FRAMES = 24, TONE_FPS = 24, AAC_FRAME = 1024 };

/* Silence for the first half of the video, then a 440 Hz tone at half scale, in the left channel
 * and (phase-shifted) in the right one: where the tone starts tells whether the sound keeps time
 * with the pictures. */
static void make_tone(float *stereo, int64_t first, uint32_t count, int rate, int64_t onset) {
    for (uint32_t i = 0; i < count; i++) {
        int64_t n = first + (int64_t)i;
        double phase = 2.0 * pi * 440.0 * (double)n / rate;
        bool on = n >= onset;
        stereo[2 * i] = on ? (float)(0.5 * sin(phase)) : 0.0f;
        stereo[2 * i + 1] = on ? (float)(0.5 * cos(phase)) : 0.0f;
    }
}

/* Power of `samples` at `frequency` (Goertzel), per sample. */
static double tone_power(const float *samples, size_t count, double frequency, int rate) {
    double coefficient = 2.0 * cos(2.0 * pi * frequency / rate), s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < count; i++) {
        double s0 = samples[i] + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / ((double)count * count);
}

typedef struct sound_case {
    const char *name;
    int rate;       /* given */
    int coded_rate; /* in the file */
} sound_case;

/* Writes TONE_FRAMES frames, each followed by its sound (the tone from the middle frame on);
 * returns the samples given and where the tone starts. */
static int64_t write_tone_video(const char *path, int rate, int64_t *onset) {
    ds_video_writer_options options = {
        .width = 64, .height = 48, .fps_num = TONE_FPS, .fps_den = 1, .audio_sample_rate = rate};
    ds_video_writer *writer = NULL;
    ds_status status = ds_video_writer_open(path, &options, &writer);
    if (ds_failed(&status)) {
        fail_msg("opening %s: %s", path, status.message);
    }
    uint8_t rgb[64 * 48 * 3];
    uint32_t per_frame = (uint32_t)(rate / TONE_FPS);
    float *stereo = malloc((size_t)per_frame * 2 * sizeof *stereo);
    assert_non_null(stereo);
    int64_t given = 0;
    *onset = (int64_t)per_frame * TONE_FRAMES / 2;
    for (int k = 0; k < TONE_FRAMES; k++) {
        make_frame(rgb, 64, 48, k);
        status = ds_video_writer_write_rgb(writer, rgb);
        assert_false(ds_failed(&status));
        make_tone(stereo, given, per_frame, rate, *onset);
        status = ds_video_writer_write_audio(writer, stereo, per_frame);
        if (ds_failed(&status)) {
            fail_msg("sound of frame %d of %s: %s", k, path, status.message);
        }
        given += per_frame;
    }
    free(stereo);
    assert_int_equal(ds_video_writer_audio_sample_count(writer), given);
    status = ds_video_writer_finish(writer);
    if (ds_failed(&status)) {
        fail_msg("finishing %s: %s", path, status.message);
    }
    ds_video_writer_free(writer);
    return given;
}

/* Checks what a player gets from a tone video: an AAC stereo track at the coded rate, as long
 * as the pictures to within an AAC frame, holding the tone from the frame it starts with. */
static void check_sound(const char *directory, const sound_case *c) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", directory, c->name);
    int64_t onset = 0;
    int64_t given = write_tone_video(path, c->rate, &onset);

    AVFormatContext *format = NULL;
    assert_int_equal(avformat_open_input(&format, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(format, NULL) >= 0);
    assert_int_equal(format->nb_streams, 2);
    int video = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    int audio = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    assert_true(video >= 0 && audio >= 0);
    const AVCodecParameters *parameters = format->streams[audio]->codecpar;
    assert_int_equal(parameters->codec_id, AV_CODEC_ID_AAC);
    assert_int_equal(parameters->sample_rate, c->coded_rate);
    assert_int_equal(parameters->ch_layout.nb_channels, 2);
    double aac_frame = (double)AAC_FRAME / c->coded_rate;
    /* Where the index gives each stream's duration (mp4, mov: what players show), they agree. */
    const AVStream *video_stream = format->streams[video], *audio_stream = format->streams[audio];
    if (video_stream->duration != AV_NOPTS_VALUE && audio_stream->duration != AV_NOPTS_VALUE) {
        double video_seconds = (double)video_stream->duration * av_q2d(video_stream->time_base);
        double audio_seconds = (double)audio_stream->duration * av_q2d(audio_stream->time_base);
        print_message("%s: indexed durations: video %.6f s, sound %.6f s (%+.1f samples)\n",
                      c->name, video_seconds, audio_seconds,
                      (audio_seconds - video_seconds) * c->coded_rate);
        test_assert_close(audio_seconds, video_seconds, aac_frame, "indexed sound duration", 0);
    }

    /* Decoded: the left channel on the stream's timeline. */
    const AVCodec *decoder = avcodec_find_decoder(parameters->codec_id);
    assert_non_null(decoder);
    AVCodecContext *context = avcodec_alloc_context3(decoder);
    assert_non_null(context);
    assert_int_equal(avcodec_parameters_to_context(context, parameters), 0);
    context->log_level_offset = 128;
    assert_int_equal(avcodec_open2(context, decoder, NULL), 0);
    size_t capacity = (size_t)c->coded_rate * 4, decoded = 0;
    float *left = calloc(capacity, sizeof *left);
    assert_non_null(left);
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    assert_true(packet && frame);
    double time_base = av_q2d(audio_stream->time_base);
    double video_start = INFINITY, video_end = -INFINITY, sound_end = -INFINITY;
    int64_t first = INT64_MIN;
    bool draining = false;
    while (!draining) {
        int error = av_read_frame(format, packet);
        if (error == AVERROR_EOF) {
            draining = true;
            assert_int_equal(avcodec_send_packet(context, NULL), 0);
        } else {
            assert_int_equal(error, 0);
            const AVStream *stream = format->streams[packet->stream_index];
            double start = (double)packet->pts * av_q2d(stream->time_base);
            double end = (double)(packet->pts + packet->duration) * av_q2d(stream->time_base);
            if (packet->stream_index != audio) {
                video_start = fmin(video_start, start);
                video_end = fmax(video_end, end);
                av_packet_unref(packet);
                continue;
            }
            sound_end = fmax(sound_end, end);
            assert_int_equal(avcodec_send_packet(context, packet), 0);
            av_packet_unref(packet);
        }
        while ((error = avcodec_receive_frame(context, frame)) == 0) {
            assert_int_equal(frame->format, AV_SAMPLE_FMT_FLTP);
            if (first == INT64_MIN) {
                /* Where the first sample a player hears sits on the timeline. */
                first = llround((double)frame->best_effort_timestamp * time_base * c->coded_rate);
            }
            size_t take = (size_t)frame->nb_samples;
            assert_true(decoded + take <= capacity);
            memcpy(left + decoded, frame->data[0], take * sizeof *left);
            decoded += take;
            av_frame_unref(frame);
        }
        assert_true(error == AVERROR(EAGAIN) || error == AVERROR_EOF);
    }
    /* Timed from the first picture: a container without negative timestamps (Matroska) shifts
     * both streams by the encoder's priming. */
    double video_length = video_end - video_start, sound_length = sound_end - video_start;
    print_message("%s: from the first picture: video %.6f s, sound %.6f s (%+.1f samples)\n",
                  c->name, video_length, sound_length,
                  (sound_length - video_length) * c->coded_rate);
    test_assert_close(video_length, (double)TONE_FRAMES / TONE_FPS, 0.5 / TONE_FPS,
                      "video duration", 0);
    test_assert_close(sound_length, video_length, aac_frame, "sound duration", 0);
    print_message("%s: %zu samples decoded from %lld, %lld given (coded at %d Hz)\n", c->name,
                  decoded, (long long)first, (long long)given, c->coded_rate);
    double scale = (double)c->coded_rate / c->rate;
    /* All of it, plus at most the last frame's padding and (where the container cannot say to
     * skip it) the encoder's priming. */
    assert_true((double)decoded >= (double)given * scale - 1.0);
    assert_true((double)decoded <= (double)given * scale + 2 * AAC_FRAME);

    /* The tone starts with its frame, to within a millisecond, and sounds at 440 Hz. */
    size_t onset_at = decoded;
    for (size_t i = 0; i < decoded && onset_at == decoded; i++) {
        if (fabsf(left[i]) > 0.25f) {
            onset_at = i;
        }
    }
    assert_true(onset_at < decoded);
    double heard = ((double)first + (double)onset_at) / c->coded_rate - video_start;
    double expected = (double)onset / c->rate;
    print_message("%s: tone heard at %.4f s, starts at %.4f s\n", c->name, heard, expected);
    test_assert_close(heard, expected, 1e-3, "tone onset", 0);
    size_t quiet = (size_t)(0.4 * c->coded_rate), loud = (size_t)(0.3 * c->coded_rate);
    size_t loud_from = (size_t)(expected * c->coded_rate) + (size_t)(0.1 * c->coded_rate);
    double silent_power = tone_power(left, quiet, 440.0, c->coded_rate);
    double tone = tone_power(left + loud_from, loud, 440.0, c->coded_rate);
    double other = tone_power(left + loud_from, loud, 1000.0, c->coded_rate);
    /* A sine of amplitude a has power a^2 / 4 at its frequency. */
    test_assert_close(tone, 0.25 * 0.25, 0.25 * 0.25 * 0.2, "tone power", 0);
    assert_true(other < tone * 1e-3);
    assert_true(silent_power < tone * 1e-4);

    free(left);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&context);
    avformat_close_input(&format);
    if (strstr(c->name, ".mp4")) {
        check_index_first(path);
    }
    assert_int_equal(unlink(path), 0);
}

static void sound_keeps_time_with_the_pictures(void **state) {
    const sound_case cases[] = {
        {"tone.mp4", 48000, 48000},
        {"tone.mkv", 48000, 48000},
        {"tone.mov", 44100, 44100},
        /* AAC stops at 96 kHz: higher rates are resampled. */
        {"high.mp4", 192000, 96000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_sound(*state, &cases[i]);
    }
}

/* Sound goes only into a video opened for it, at a rate AAC can be made to take. */
static void sound_needs_a_sound_track(void **state) {
    char path[512];
    snprintf(path, sizeof path, "%s/mute.mp4", (const char *)*state);
    ds_video_writer_options options = {.width = 16, .height = 16, .fps_num = 24, .fps_den = 1};
    ds_video_writer *writer = NULL;
    ds_status status = ds_video_writer_open(path, &options, &writer);
    assert_false(ds_failed(&status));
    float stereo[2] = {0};
    status = ds_video_writer_write_audio(writer, stereo, 1);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "without sound"));
    ds_video_writer_free(writer);
    const int rates[] = {7999, 192001, -48000};
    for (size_t i = 0; i < 3; i++) {
        options.audio_sample_rate = rates[i];
        writer = NULL;
        status = ds_video_writer_open(path, &options, &writer);
        assert_int_equal(status.code, DS_ERR_ARGUMENT);
        assert_null(writer);
    }
    assert_int_equal(count_entries(*state), 0);
}

/* An error or Ctrl-C between frames: freeing without finishing removes the partial file. */
static void free_without_finish_removes_the_partial_file(void **state) {
    const char *directory = *state;
    const char *names[] = {"partial.mp4", "partial.mkv"};
    for (size_t i = 0; i < 2; i++) {
        char path[512], temporary[520];
        snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        snprintf(temporary, sizeof temporary, "%s.tmp", path);
        ds_video_writer_options options = {.width = 64, .height = 48, .fps_num = 24, .fps_den = 1};
        ds_video_writer *writer = NULL;
        ds_status status = ds_video_writer_open(path, &options, &writer);
        assert_false(ds_failed(&status));
        uint8_t rgb[64 * 48 * 3];
        for (int k = 0; k < 10; k++) {
            make_frame(rgb, 64, 48, k);
            status = ds_video_writer_write_rgb(writer, rgb);
            assert_false(ds_failed(&status));
        }
        assert_true(file_exists(temporary));
        ds_video_writer_free(writer);
        assert_false(file_exists(temporary));
        assert_false(file_exists(path));
    }
    /* Also right after opening, before any frame. */
    char path[512];
    snprintf(path, sizeof path, "%s/empty.mov", directory);
    ds_video_writer_options options = {.width = 16, .height = 16, .fps_num = 24, .fps_den = 1};
    ds_video_writer *writer = NULL;
    ds_status status = ds_video_writer_open(path, &options, &writer);
    assert_false(ds_failed(&status));
    status = ds_video_writer_finish(writer);
    assert_int_equal(status.code, DS_ERR_ARGUMENT);
    assert_non_null(strstr(status.message, "no frames"));
    ds_video_writer_free(writer);
    assert_int_equal(count_entries(directory), 0);
}

/* A render's progress bar owns the terminal: encoding and muxing print nothing, including the
 * move of an mp4's index to the front. */
static void writing_prints_nothing(void **state) {
    FILE *capture = tmpfile();
    assert_non_null(capture);
    fflush(stderr);
    fflush(stdout);
    int saved_stderr = dup(2), saved_stdout = dup(1);
    dup2(fileno(capture), 2);
    dup2(fileno(capture), 1);
    const char *names[] = {"quiet.mp4", "quiet.mkv", "quiet.mov"};
    for (size_t i = 0; i < 3; i++) {
        const video_case c = {names[i], NULL, 63, 48, 24, 1, 0, 0.0};
        written_video video;
        write_video(*state, &c, &video);
        /* And with sound, resampled or not. */
        char path[512];
        snprintf(path, sizeof path, "%s/sound-%s", (const char *)*state, names[i]);
        int64_t onset;
        write_tone_video(path, i == 2 ? 192000 : 48000, &onset);
    }
    fflush(stderr);
    fflush(stdout);
    dup2(saved_stderr, 2);
    dup2(saved_stdout, 1);
    close(saved_stderr);
    close(saved_stdout);
    fseek(capture, 0, SEEK_END);
    long printed = ftell(capture);
    char text[256] = {0};
    rewind(capture);
    size_t got = fread(text, 1, sizeof text - 1, capture);
    text[got] = 0;
    fclose(capture);
    if (printed > 0) {
        fail_msg("writing a video printed %ld bytes: %s", printed, text);
    }
}

int run_video_writer_tests(void) {
#define TEST(name) cmocka_unit_test_setup_teardown(name, make_directory, remove_directory)
    const struct CMUnitTest tests[] = {
        TEST(mp4_with_the_default_codec),       TEST(mkv_of_odd_size_is_padded),
        TEST(mov_at_a_fractional_frame_rate),   TEST(mpeg4_when_asked_for),
        TEST(quality_trades_size_for_fidelity), TEST(h264_tags_its_colours),
        TEST(missing_directory_leaves_nothing), TEST(unknown_extensions_are_refused),
        TEST(bad_options_are_refused),          TEST(free_without_finish_removes_the_partial_file),
        TEST(writing_prints_nothing),           TEST(sound_keeps_time_with_the_pictures),
        TEST(sound_needs_a_sound_track),
    };
#undef TEST
    return cmocka_run_group_tests_name("video_writer", tests, NULL, NULL);
}
