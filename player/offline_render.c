#define _POSIX_C_SOURCE 200809L
#include "offline_render.h"
#include "audio_mixer.h"
#include "frame_pipeline.h"
#include "monotonic_time.h"
#include "video_writer.h"

#include "formats/png.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    SLOTS = 4,
    SOUND_BLOCK = 1024, /* stereo samples written at a time */
};

bool ds_offline_output_is_png_sequence(const char *output) {
    const char *dot = strrchr(output, '.');
    return dot && strcmp(dot, ".png") == 0 && strchr(output, '%');
}

/* A PNG pattern holds exactly one integer conversion (%d, %05d, ...) and nothing else. */
static ds_status check_pattern(const char *pattern) {
    int conversions = 0;
    for (const char *c = pattern; *c; c++) {
        if (*c != '%') {
            continue;
        }
        if (c[1] == '%') {
            c++;
            continue;
        }
        c++;
        while (*c >= '0' && *c <= '9') {
            c++;
        }
        if (*c != 'd') {
            return ds_error(DS_ERR_ARGUMENT, "a PNG sequence pattern takes one %%d, as in %s",
                            "frames/%04d.png");
        }
        conversions++;
    }
    if (conversions != 1) {
        return ds_error(DS_ERR_ARGUMENT, "a PNG sequence pattern takes one %%d, as in %s",
                        "frames/%04d.png");
    }
    return ds_ok();
}

/* The PNG pattern's folder, made if it is not there yet (one level, like `mkdir`). */
static ds_status make_pattern_folder(const char *pattern) {
    const char *slash = strrchr(pattern, '/');
    if (!slash || slash == pattern) {
        return ds_ok();
    }
    char folder[4096];
    size_t length = (size_t)(slash - pattern);
    if (length >= sizeof folder) {
        return ds_error(DS_ERR_ARGUMENT, "the PNG path is too long");
    }
    memcpy(folder, pattern, length);
    folder[length] = '\0';
    if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
        return ds_error(DS_ERR_IO, "cannot make the folder %s: %s", folder, strerror(errno));
    }
    return ds_ok();
}

static ds_status write_png(const char *pattern, uint64_t index, ds_gl_renderer *renderer) {
    char path[4096];
    /* The pattern was checked to hold one integer conversion. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int length = snprintf(path, sizeof path, pattern, (int)index);
#pragma GCC diagnostic pop
    if (length < 0 || (size_t)length >= sizeof path) {
        return ds_error(DS_ERR_ARGUMENT, "the PNG path is too long");
    }
    ds_image image;
    ds_status status = ds_gl_renderer_read_image(renderer, &image);
    if (!ds_failed(&status)) {
        status = ds_png_save(path, &image);
        ds_image_free(&image);
    }
    return status;
}

/* ---- the stream's sound ----
 *
 * The video's sound is the stream's from where its first frame rendered starts, played at speed
 * 1 by a mixer (player/audio_mixer.h) as the players play it: wrapping where the picture loops,
 * silent where the last frame holds. The segments' sound comes from the pipeline, which decodes
 * it with each segment (its sound sink), so the stream is read once; a segment whose frames the
 * pipeline never decoded (a frame rate far below the stream's), or whose sound the mixer let go
 * before a loop came back to it, is read here. The sound is written up to the start of the frame
 * just rendered, so the segment it needs has been decoded already. */

typedef struct sound_feed {
    ds_media *media;
    ds_audio_mixer *mixer;
    uint32_t frame_count, segment_frames;
    /* Per segment: its sound's damage was reported (by the pipeline, which reports what it
     * decodes, or here), so that a loop does not report it again. */
    bool *told;
    pthread_mutex_t lock; /* of `told`: the pipeline's segment thread marks it */
} sound_feed;

/* The pipeline's sound sink: a segment it has just decoded (and reported). */
static void take_sound(void *context, uint32_t segment, ds_audio_pcm *pcm) {
    sound_feed *feed = context;
    pthread_mutex_lock(&feed->lock);
    feed->told[segment] = true;
    pthread_mutex_unlock(&feed->lock);
    ds_audio_mixer_add(feed->mixer, pcm);
}

/* Reads segment s for its sound (silence where it is damaged or lost, said once). */
static ds_status read_sound(sound_feed *feed, const ds_offline_render_options *o, uint32_t s) {
    ds_dsv_segment segment;
    ds_status read = ds_media_read_segment(feed->media, s, &segment);
    if (ds_failed(&read) && read.code != DS_ERR_FORMAT) {
        return read; /* the source failing, not damage: the render stops */
    }
    ds_audio_pcm pcm;
    char problem[DS_STATUS_MESSAGE_SIZE + 128];
    ds_status status = ds_media_segment_sound(feed->media, s, ds_failed(&read) ? NULL : &segment,
                                              &pcm, problem, sizeof problem);
    if (ds_failed(&read)) {
        /* The reader's message names the segment and its frames. */
        snprintf(problem, sizeof problem, "%s; its sound is silent", read.message);
    } else {
        ds_dsv_segment_free(&segment);
    }
    if (ds_failed(&status)) {
        return status;
    }
    ds_audio_mixer_add(feed->mixer, &pcm);
    pthread_mutex_lock(&feed->lock);
    bool tell = problem[0] && !feed->told[s];
    feed->told[s] = true;
    pthread_mutex_unlock(&feed->lock);
    if (tell && o->warning) {
        o->warning(o->context, problem);
    }
    return ds_ok();
}

/* Writes the video's sound up to output sample `target` (`written` so far). */
static ds_status feed_sound(sound_feed *feed, const ds_offline_render_options *o,
                            ds_video_writer *writer, int64_t target) {
    float samples[2 * SOUND_BLOCK];
    bool read_here = false;
    for (int64_t written = ds_video_writer_audio_sample_count(writer); written < target;) {
        uint32_t count =
            target - written < SOUND_BLOCK ? (uint32_t)(target - written) : SOUND_BLOCK;
        uint32_t played = ds_audio_mixer_render(feed->mixer, samples, count, 0.0);
        bool missing = ds_audio_mixer_starved(feed->mixer);
        /* Past the end of a run that does not loop the rest is silence, as rendered. */
        uint32_t kept = missing ? played : count;
        ds_status status = ds_video_writer_write_audio(writer, samples, kept);
        if (ds_failed(&status)) {
            return status;
        }
        written += kept;
        if (!missing) {
            read_here = false;
            continue;
        }
        uint32_t frame = (uint32_t)fmod(floor(ds_audio_mixer_clock(feed->mixer, 0.0, 0.0) + 1e-9),
                                        feed->frame_count);
        uint32_t segment = frame / feed->segment_frames;
        if (read_here && played == 0) {
            return ds_error(DS_ERR_FORMAT, "the sound of segment %u does not reach its frames",
                            segment);
        }
        status = read_sound(feed, o, segment);
        if (ds_failed(&status)) {
            return status;
        }
        read_here = true;
    }
    return ds_ok();
}

static ds_status sound_feed_init(sound_feed *feed, ds_media *media,
                                 const ds_offline_render_options *o) {
    const ds_dsv *dsv = ds_media_stream(media);
    *feed = (sound_feed){.media = media,
                         .frame_count = ds_media_frame_count(media),
                         .segment_frames = ds_media_segment_frames(media)};
    ds_status status = ds_audio_mixer_create(dsv->header.audio_sample_rate, ds_media_fps(media),
                                             feed->frame_count, &feed->mixer);
    if (ds_failed(&status)) {
        return status;
    }
    feed->told = calloc(ds_media_segment_count(media), sizeof *feed->told);
    if (!feed->told) {
        ds_audio_mixer_free(feed->mixer);
        feed->mixer = NULL;
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for the sound");
    }
    ds_audio_mixer_set_loop(feed->mixer, o->loop);
    ds_audio_mixer_seek(feed->mixer, o->first_frame);
    ds_audio_mixer_hold(feed->mixer, false);
    pthread_mutex_init(&feed->lock, NULL);
    return ds_ok();
}

/* After the pipeline, which may still hand over sound until it is freed. */
static void sound_feed_free(sound_feed *feed) {
    if (!feed->told) {
        return;
    }
    ds_audio_mixer_free(feed->mixer);
    pthread_mutex_destroy(&feed->lock);
    free(feed->told);
    feed->told = NULL;
}

/* The video's frame rate as a fraction: the stream's own when the output keeps it, so that
 * frames and sound count time alike; else in thousandths. */
static void video_rate(ds_media *media, const ds_offline_render_options *o, double fps,
                       int *numerator, int *denominator) {
    const ds_dsv *dsv = ds_media_stream(media);
    /* MPEG-4 part 2 takes time bases up to 1/65535; every common rate fits. */
    if (o->fps <= 0 && dsv && dsv->header.fps_numerator <= 65535 &&
        dsv->header.fps_denominator <= 65535) {
        *numerator = (int)dsv->header.fps_numerator;
        *denominator = (int)dsv->header.fps_denominator;
        return;
    }
    *numerator = (int)llround(fps * 1000);
    *denominator = 1000;
}

/* The stream position (unwrapped) on screen at output frame k. */
static uint64_t position_at(uint32_t first_frame, uint64_t k, double fps, double media_fps) {
    double time = (double)k / fps;
    return first_frame + (uint64_t)floor(time * media_fps + 1e-9);
}

ds_status ds_offline_render(ds_media *media, const ds_offline_render_options *o,
                            ds_offline_render_report *report) {
    *report = (ds_offline_render_report){0};
    bool png = ds_offline_output_is_png_sequence(o->output);
    if (!o->path && !o->camera) {
        return ds_error(DS_ERR_ARGUMENT, "no camera to render from");
    }
    if (o->first_frame >= ds_media_frame_count(media)) {
        return ds_error(DS_ERR_ARGUMENT, "frame %u is past the stream's %u frames", o->first_frame,
                        ds_media_frame_count(media));
    }
    ds_status status = png ? check_pattern(o->output) : ds_ok();
    if (!ds_failed(&status) && png) {
        status = make_pattern_folder(o->output);
    }
    if (ds_failed(&status)) {
        return status;
    }
    double media_fps = ds_media_fps(media);
    uint32_t frame_count = ds_media_frame_count(media);
    double fps = o->fps > 0 ? o->fps : media_fps;
    double duration = o->duration;
    if (duration <= 0) {
        duration = frame_count > 1 ? (frame_count - o->first_frame) / media_fps
                   : o->path       ? ds_camera_path_end_time(o->path)
                                   : 0.0;
        if (duration <= 0) {
            duration = 4.0;
        }
    }
    uint64_t total = (uint64_t)llround(duration * fps);
    if (total == 0) {
        total = 1;
    }
    ds_gl_scene scene = ds_media_scene(media);
    ds_gl_renderer *renderer;
    status = ds_gl_renderer_create(&scene, SLOTS, &renderer);
    if (ds_failed(&status)) {
        return status;
    }
    float *slots[SLOTS];
    for (int s = 0; s < SLOTS; s++) {
        slots[s] = ds_gl_renderer_slot(renderer, s);
    }
    ds_frame_pipeline *pipeline = NULL;
    ds_video_writer *writer = NULL;
    uint8_t *rgb = NULL;
    const ds_dsv *dsv = ds_media_stream(media);
    bool sound = !png && !o->silent && dsv && dsv->header.audio_codec != DS_AUDIO_NONE;
    sound_feed feed = {0};
    int rate_num, rate_den;
    video_rate(media, o, fps, &rate_num, &rate_den);
    status =
        ds_frame_pipeline_create(media, ds_gl_renderer_layout(renderer), slots, SLOTS, &pipeline);
    if (!ds_failed(&status) && sound) {
        status = sound_feed_init(&feed, media, o);
        if (!ds_failed(&status)) {
            ds_frame_pipeline_set_sound_sink(pipeline, take_sound, &feed);
        }
    }
    if (!ds_failed(&status) && !png) {
        ds_video_writer_options video = {.width = o->width,
                                         .height = o->height,
                                         .fps_num = rate_num,
                                         .fps_den = rate_den,
                                         .codec = o->codec,
                                         .quality = o->quality,
                                         .audio_sample_rate =
                                             sound ? (int)dsv->header.audio_sample_rate : 0};
        status = ds_video_writer_open(o->output, &video, &writer);
        if (!ds_failed(&status)) {
            report->sound = sound;
            snprintf(report->codec, sizeof report->codec, "%s", ds_video_writer_codec_name(writer));
            rgb = malloc((size_t)o->width * (size_t)o->height * 3);
            if (!rgb) {
                status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate a frame");
            }
        }
    }
    double start = ds_monotonic_seconds();
    /* The pipeline decodes past the end only for a video that gets there: decoding ahead for a
     * loop that never comes would read (and report the damage of) its first segments again. */
    bool wraps = o->loop && position_at(o->first_frame, total - 1, fps, media_fps) >= frame_count;
    if (!ds_failed(&status)) {
        ds_frame_pipeline_seek(pipeline, o->first_frame, wraps);
    }
    ds_gl_draw_options draw = {
        .background = {o->background[0], o->background[1], o->background[2]}};
    int held = -1; /* the slot on screen */
    uint64_t held_position = 0;
    ds_gl_frame_info held_info = {0};
    for (uint64_t k = 0; k < total && !ds_failed(&status); k++) {
        double time = (double)k / fps;
        /* The stream frame on screen at this output time; without looping the last one holds. */
        uint64_t position = position_at(o->first_frame, k, fps, media_fps);
        if (!o->loop && position >= frame_count) {
            position = frame_count - 1;
        }
        if (ds_frame_pipeline_failed(pipeline, &status)) {
            break;
        }
        /* Frames repeat when the output's rate is above the stream's: keep the shown one held
         * until the position moves on. */
        if (held < 0 || position != held_position) {
            int slot;
            uint64_t shown;
            ds_gl_frame_info info;
            if (ds_frame_pipeline_take(pipeline, position, true, &slot, &shown, &info)) {
                if (held >= 0) {
                    ds_frame_pipeline_release(pipeline, held);
                }
                held = slot;
                held_info = info;
            } else if (held < 0) {
                status = ds_error(DS_ERR_FORMAT, "frame %u could not be decoded",
                                  ds_frame_pipeline_frame_of(pipeline, position));
                break;
            }
            /* Else a damaged segment: the last good frame stays on screen. */
            held_position = position;
            char message[DS_STATUS_MESSAGE_SIZE + 64];
            while (ds_frame_pipeline_take_error(pipeline, message, sizeof message)) {
                if (o->warning) {
                    o->warning(o->context, message);
                }
            }
        }
        ds_camera camera = o->path ? (ds_camera){0} : *o->camera;
        if (o->path) {
            status = ds_camera_path_evaluate(o->path, time, o->width, o->height, &camera);
        }
        if (!ds_failed(&status)) {
            status = ds_gl_renderer_draw(renderer, held, &held_info, &camera, &draw);
        }
        if (!ds_failed(&status)) {
            status =
                png ? write_png(o->output, k, renderer) : ds_gl_renderer_read_rgb(renderer, rgb);
        }
        if (!ds_failed(&status) && writer) {
            status = ds_video_writer_write_rgb(writer, rgb);
        }
        if (!ds_failed(&status) && sound) {
            /* The sound up to this frame's start: what it needs was decoded with it. */
            status = feed_sound(&feed, o, writer,
                                ds_audio_frame_start((uint32_t)k, dsv->header.audio_sample_rate,
                                                     (uint32_t)rate_num, (uint32_t)rate_den));
        }
        report->frames = k + 1;
        if (o->progress && !o->progress(o->context, k + 1, total)) {
            status = ds_error(DS_ERR_INTERRUPTED, "stopped after %llu of %llu frames",
                              (unsigned long long)(k + 1), (unsigned long long)total);
        }
    }
    if (!ds_failed(&status) && sound) {
        /* The last frame's sound, so that the sound lasts as long as the pictures. */
        status = feed_sound(&feed, o, writer,
                            ds_audio_frame_start((uint32_t)total, dsv->header.audio_sample_rate,
                                                 (uint32_t)rate_num, (uint32_t)rate_den));
    }
    if (!ds_failed(&status) && writer) {
        status = ds_video_writer_finish(writer);
    }
    report->seconds = ds_monotonic_seconds() - start;
    if (pipeline) {
        ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(pipeline);
        report->decode_ms = stats.frame_decode_ms;
        report->skipped = stats.failed;
        report->upload_ms = stats.upload_ms;
    }
    ds_gl_renderer_finish_timings(renderer);
    ds_gl_timings timings = ds_gl_renderer_timings(renderer);
    report->preprocess_ms = timings.preprocess_ms;
    report->sort_ms = timings.sort_ms;
    report->draw_ms = timings.draw_ms;
    ds_video_writer_free(writer);
    free(rgb);
    ds_media_interrupt(media); /* the decoder may be downloading ahead: do not wait for it */
    ds_frame_pipeline_free(pipeline);
    sound_feed_free(&feed);
    ds_gl_renderer_free(renderer);
    return status;
}
