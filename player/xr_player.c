#define _POSIX_C_SOURCE 200809L
#include "xr_player.h"
#include "gl_context.h"
#include "monotonic_time.h"
#include "spatial_sound.h"
#include "xr_input.h"
#include "xr_resolution.h"
#include "xr_session.h"

#include "render/gl_renderer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The nearest and farthest depths (metres) of the depth layer, and the nearest splats drawn. */
static const float NEAR_METRES = 0.05f, FAR_METRES = 100.0f;
/* How fast a held thumbstick resizes the performer: a factor of 2 in two seconds. */
static const double SCALE_RATE = 0.5;

typedef struct xr_player {
    const ds_xr_player_options *options;
    ds_xr_player_report *report;
    ds_gl_context context;
    ds_xr_session *xr;
    ds_xr_input *input;
    ds_playback_session playback;
    ds_xr_placement placement;
    bool placed;
    ds_xr_resolution resolution;
    bool exit_requested;
    ds_spatial_sound *sound; /* NULL: no sound (none in the stream, left out, or no device) */
} xr_player;

/* Where the performer's voice comes from: above the floor point it stands on, at chest height
 * of a life-size person (scaled with it). */
static const double VOICE_HEIGHT_METRES = 1.3;

/* Uprights the performance and turns its front (the side the framing camera sees) to the user. */
static ds_status init_placement(xr_player *p) {
    ds_media *media = p->playback.media;
    ds_camera framing;
    double target[3], eye[3], up[3], front[3];
    ds_status status = ds_media_framing(media, 50.0, 640, 480, &framing, target);
    if (ds_failed(&status)) {
        return status;
    }
    ds_camera_center(&framing, eye);
    for (int k = 0; k < 3; k++) {
        front[k] = eye[k] - target[k];
    }
    ds_media_up(media, up);
    ds_gaussian_cloud *performance;
    status = ds_media_performance_cloud(media, &performance);
    if (!ds_failed(&status)) {
        status = ds_xr_placement_init(performance, up, front, &p->placement);
        ds_gaussian_cloud_free(performance);
    }
    p->placement.scale = p->options->scale > 0 ? p->options->scale : 1.0;
    return status;
}

/* The head: between the eyes, looking where they look. */
static ds_xr_pose head_of(const ds_xr_frame *frame) {
    ds_xr_pose head = frame->views[0];
    for (int k = 0; k < 3; k++) {
        head.position[k] = 0.5 * (frame->views[0].position[k] + frame->views[1].position[k]);
    }
    return head;
}

static void apply_commands(xr_player *p, const ds_xr_commands *c, double seconds) {
    ds_playback_clock *clock = &p->playback.clock;
    if (c->toggle_pause) {
        ds_playback_clock_toggle_pause(clock);
        ds_player_notify(p->options->notice, p->options->context, "%s",
                         clock->paused ? "paused" : "playing");
    }
    if (c->seek_seconds) {
        ds_playback_clock_seek_by(clock, (int64_t)lround(clock->fps) * c->seek_seconds);
    }
    if (c->recentre) {
        p->placed = false; /* placed again in front of the head on the next drawn frame */
    }
    if (c->scale_rate != 0.0) {
        double scale = p->placement.scale * pow(2.0, c->scale_rate * SCALE_RATE * seconds);
        p->placement.scale = scale < 0.05 ? 0.05 : (scale > 20.0 ? 20.0 : scale);
    }
}

static ds_gl_draw_options draw_options(const xr_player *p, int eye_height) {
    const ds_xr_player_options *o = p->options;
    double per_metre = 1.0 / p->placement.scale; /* world units */
    double fade_start = o->fade_start, fade_end = o->fade_end;
    if (fade_start == 0.0 && fade_end == 0.0) {
        fade_start = 0.2;
        fade_end = 0.1;
    }
    double radius = o->max_radius_fraction > 0 ? o->max_radius_fraction : 0.25;
    ds_gl_draw_options options = {
        .background = {o->background[0], o->background[1], o->background[2]},
        .near_plane = (float)(NEAR_METRES * per_metre),
        .guards = {.fade_start = fade_start > 0 ? (float)(fade_start * per_metre) : 0.0f,
                   .fade_end = fade_start > 0 ? (float)(fade_end * per_metre) : 0.0f,
                   .max_radius = (float)(radius * eye_height),
                   .splat_budget = o->splat_budget},
        .depth_near = (float)(NEAR_METRES * per_metre),
        .depth_far = (float)(FAR_METRES * per_metre)};
    return options;
}

static ds_status draw_eyes(xr_player *p, const ds_xr_frame *frame) {
    ds_playback_session *s = &p->playback;
    if (!p->placed) {
        ds_xr_pose head = head_of(frame);
        ds_xr_placement_face(&p->placement, &head,
                             p->options->distance > 0 ? p->options->distance : 1.5);
        p->placement.yaw += p->options->turn_degrees * (3.14159265358979323846 / 180.0);
        p->placed = true;
    }
    int width = ds_xr_resolution_size(&p->resolution, frame->width),
        height = ds_xr_resolution_size(&p->resolution, frame->height);
    ds_camera eyes[2];
    for (int e = 0; e < 2; e++) {
        eyes[e] = ds_xr_eye_camera(&p->placement, &frame->views[e], &frame->fovs[e], width, height);
    }
    ds_gl_draw_options options = draw_options(p, height);
    options.depth = frame->depth[0] != 0;
    ds_status status =
        ds_gl_renderer_draw_views(s->renderer, s->shown_slot, &s->shown_info, eyes, 2, &options);
    for (int e = 0; e < 2 && !ds_failed(&status); e++) {
        status = ds_gl_renderer_compose_view(s->renderer, e, frame->color[e], frame->depth[e],
                                             frame->width, frame->height, frame->srgb);
    }
    if (!ds_failed(&status)) {
        p->report->eye_width = frame->width;
        p->report->eye_height = frame->height;
        p->report->frames_drawn++;
        p->report->depth = p->report->depth || options.depth;
    }
    return status;
}

static ds_status run_frame(xr_player *p, bool focused, double *last_time) {
    ds_xr_frame frame;
    ds_status status = ds_xr_session_begin_frame(p->xr, &frame);
    if (ds_failed(&status)) {
        return status;
    }
    if (frame.period > 0) {
        ds_xr_resolution_set_period(&p->resolution, (double)frame.period * 1e-6);
    }
    double now = (double)frame.display_time * 1e-9;
    ds_xr_commands commands;
    status = ds_xr_input_sync(p->input, focused, &commands);
    if (ds_failed(&status)) {
        return status;
    }
    apply_commands(p, &commands, *last_time > 0 ? now - *last_time : 0.0);
    *last_time = now;
    ds_playback_session *s = &p->playback;
    /* The picture is for the moment it will be shown: the runtime's predicted display time. */
    ds_playback_clock_advance(&s->clock, now);
    if (ds_frame_pipeline_failed(s->pipeline, &status)) {
        return status;
    }
    bool first = !s->have_shown;
    /* With sound leading, the frame is the one heard when it is shown: about a display period
     * from now (the sound's clock runs on the monotonic clock, not the runtime's). */
    double heard_at = ds_monotonic_seconds() + (double)frame.period * 1e-9;
    ds_playback_session_update(s, false, p->sound ? heard_at : now, &p->report->playback);
    if (p->sound && p->placed && frame.render) {
        ds_xr_pose head = head_of(&frame);
        double voice[3] = {p->placement.position[0],
                           p->placement.position[1] + VOICE_HEIGHT_METRES * p->placement.scale,
                           p->placement.position[2]};
        ds_spatial_sound_place(p->sound, voice, &head);
    }
    if (first && s->have_shown) {
        /* The wait for the first frame is not playing time. */
        s->clock.last_time = now;
    }
    ds_playback_session_retire_idle(s);
    ds_playback_session_report_errors(s, p->options->notice, p->options->context);
    if (frame.render && !s->have_shown) {
        frame.render = false; /* nothing decoded yet: an empty frame keeps the session alive */
    }
    if (frame.render) {
        status = draw_eyes(p, &frame);
    }
    ds_status ended = ds_xr_session_end_frame(p->xr, &frame, NEAR_METRES, FAR_METRES);
    if (!ds_failed(&status)) {
        status = ended;
    }
    p->report->frames_submitted++;
    ds_gl_timings gpu = ds_gl_renderer_timings(s->renderer);
    if (gpu.valid) {
        p->report->gpu_ms = gpu.preprocess_ms + gpu.sort_ms + gpu.draw_ms;
        ds_xr_resolution_update(&p->resolution, p->report->gpu_ms);
    }
    return status;
}

static ds_status open_all(xr_player *p) {
    const ds_xr_player_options *o = p->options;
    ds_gl_context_options context = {
        .title = "dualsplat VR", .width = 64, .height = 64, .debug = o->debug};
    if (!ds_gl_display_available()) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "VR playback needs an X11 display (OpenXR's OpenGL binding is GLX)");
    }
    ds_status status = ds_gl_context_create(&context, &p->context);
    if (!ds_failed(&status)) {
        status = ds_xr_session_create("dualsplat", &p->xr);
    }
    if (!ds_failed(&status)) {
        status = ds_xr_input_create(p->xr, &p->input);
    }
    if (!ds_failed(&status)) {
        status = ds_playback_session_open(o->path, &o->playback, &p->playback);
    }
    if (!ds_failed(&status)) {
        status = init_placement(p);
    }
    if (!ds_failed(&status) && p->playback.mixer) {
        ds_status sound = ds_spatial_sound_open(p->playback.mixer, o->stereo_sound, &p->sound);
        if (ds_failed(&sound)) {
            ds_player_notify(o->notice, o->context, "%s; playing without sound", sound.message);
        } else {
            ds_playback_session_follow_sound(&p->playback, ds_spatial_sound_latency(p->sound));
            p->report->hrtf = ds_spatial_sound_hrtf(p->sound);
        }
    }
    return status;
}

static void close_all(xr_player *p) {
    ds_spatial_sound_close(p->sound); /* its thread reads the session's mixer */
    ds_playback_session_close(&p->playback);
    ds_xr_input_free(p->input);
    ds_xr_session_free(p->xr);
    if (p->context.window) {
        ds_gl_context_destroy(&p->context);
    }
}

static void sleep_briefly(void) {
    struct timespec pause = {0, 5000000};
    nanosleep(&pause, NULL);
}

ds_status ds_xr_player_run(const ds_xr_player_options *o, ds_xr_player_report *report) {
    *report = (ds_xr_player_report){0};
    xr_player p = {.options = o, .report = report};
    ds_status status = open_all(&p);
    if (ds_failed(&status)) {
        close_all(&p);
        return status;
    }
    ds_playback_clock *clock = &p.playback.clock;
    if (o->start_frame) {
        ds_playback_clock_seek(clock, o->start_frame);
    }
    clock->paused = o->start_paused;
    /* Until the runtime says its display period: 72 Hz, a common headset's. */
    ds_xr_resolution_init(&p.resolution, 1000.0 / 72.0, o->resolution_scale);
    double start = ds_monotonic_seconds(), last_time = 0.0;
    for (;;) {
        ds_xr_session_status xr;
        status = ds_xr_session_poll(p.xr, &xr);
        if (ds_failed(&status) || xr.exit) {
            break;
        }
        snprintf(report->space, sizeof report->space, "%s", xr.space);
        /* Checked before waiting for frames too: Ctrl-C must work while a headset sleeps. */
        bool stop = (o->frame_limit && report->frames_submitted >= o->frame_limit) ||
                    (o->keep_going && !o->keep_going(o->context));
        if (stop && !p.exit_requested) {
            ds_xr_session_request_exit(p.xr);
            p.exit_requested = true;
        }
        if (!xr.running) {
            sleep_briefly(); /* the runtime has not asked for frames (yet) */
            continue;
        }
        status = run_frame(&p, xr.focused, &last_time);
        if (ds_failed(&status)) {
            break;
        }
    }
    double seconds = ds_monotonic_seconds() - start;
    report->playback.seconds = seconds;
    report->frame_ms =
        report->frames_submitted ? 1000.0 * seconds / (double)report->frames_submitted : 0.0;
    report->resolution_scale = p.resolution.scale;
    report->placement = p.placement;
    report->last_frame = ds_playback_session_shown_frame(&p.playback);
    snprintf(report->states, sizeof report->states, "%s", ds_xr_session_states(p.xr));
    ds_playback_session_fill_report(&p.playback, &report->playback);
    /* The stages of one frame, all from the last timer queries read. */
    report->gpu_ms =
        report->playback.preprocess_ms + report->playback.sort_ms + report->playback.draw_ms;
    report->playback.redraws = report->frames_drawn;
    report->playback.gl_errors = ds_gl_debug_error_count();
    snprintf(report->playback.last_gl_error, sizeof report->playback.last_gl_error, "%s",
             ds_gl_debug_last_message());
    close_all(&p);
    return status;
}
