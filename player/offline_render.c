#define _POSIX_C_SOURCE 200809L
#include "offline_render.h"
#include "frame_pipeline.h"
#include "monotonic_time.h"
#include "video_writer.h"

#include "formats/png.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { SLOTS = 4 };

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
    status =
        ds_frame_pipeline_create(media, ds_gl_renderer_layout(renderer), slots, SLOTS, &pipeline);
    if (!ds_failed(&status) && !png) {
        ds_video_writer_options video = {.width = o->width,
                                         .height = o->height,
                                         .fps_num = (int)llround(fps * 1000),
                                         .fps_den = 1000,
                                         .codec = o->codec,
                                         .quality = o->quality};
        status = ds_video_writer_open(o->output, &video, &writer);
        if (!ds_failed(&status)) {
            snprintf(report->codec, sizeof report->codec, "%s", ds_video_writer_codec_name(writer));
            rgb = malloc((size_t)o->width * (size_t)o->height * 3);
            if (!rgb) {
                status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate a frame");
            }
        }
    }
    double start = ds_monotonic_seconds();
    if (!ds_failed(&status)) {
        ds_frame_pipeline_seek(pipeline, o->first_frame, o->loop);
    }
    ds_gl_draw_options draw = {
        .background = {o->background[0], o->background[1], o->background[2]}};
    int held = -1; /* the slot on screen */
    uint64_t held_position = 0;
    ds_gl_frame_info held_info = {0};
    for (uint64_t k = 0; k < total && !ds_failed(&status); k++) {
        double time = (double)k / fps;
        /* The stream frame on screen at this output time; without looping the last one holds. */
        uint64_t position = o->first_frame + (uint64_t)floor(time * media_fps + 1e-9);
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
        report->frames = k + 1;
        if (o->progress && !o->progress(o->context, k + 1, total)) {
            status = ds_error(DS_ERR_INTERRUPTED, "stopped after %llu of %llu frames",
                              (unsigned long long)(k + 1), (unsigned long long)total);
        }
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
    ds_gl_renderer_free(renderer);
    return status;
}
