#define _POSIX_C_SOURCE 200809L
#include "desktop_player.h"
#include "camera_controller.h"
#include "frame_pipeline.h"
#include "gl_context.h"
#include "media.h"
#include "monotonic_time.h"
#include "overlay.h"
#include "playback_clock.h"
#include "renditions.h"

#include "formats/png.h"
#include "render/gl_renderer.h"

#include <GL/glew.h>
#include <SDL2/SDL.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One on screen, one the GPU may still read, two decoded ahead. */
enum { SLOTS = 4 };
static const double FOV_DEGREES = 50.0;

/* An opened file and everything made for it. */
typedef struct session {
    ds_media *media;
    ds_gl_renderer *renderer;
    ds_frame_pipeline *pipeline;
    ds_playback_clock clock;
    ds_camera framing;
    double target[3];
    /* the frame on screen */
    bool have_shown;
    int shown_slot;
    uint64_t shown_position;
    ds_gl_frame_info shown_info;
    /* slots no longer shown, handed back once the GPU is done with them */
    int retiring[SLOTS];
    int retiring_count;
    /* waiting for the network: the clock holds at the next frame until it comes */
    bool buffering;
    double buffering_since;
} session;

typedef struct player {
    const ds_player_options *options;
    ds_player_report *report;
    ds_gl_context context;
    ds_overlay *overlay;
    session session;
    ds_camera_controller controller;
    bool overlay_on, quit, fullscreen;
    uint64_t screenshots;
    /* frames per second of the window, over the last half second */
    double fps, fps_since;
    uint64_t fps_presents;
    double overlay_updated;
} player;

static void notice(const player *p, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void notice(const player *p, const char *format, ...) {
    char message[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    p->options->notice(p->options->context, message);
}

static void session_close(session *s) {
    if (s->have_shown && s->pipeline) {
        ds_frame_pipeline_release(s->pipeline, s->shown_slot);
    }
    if (s->media) {
        ds_media_interrupt(s->media);
    }
    ds_frame_pipeline_free(s->pipeline);
    ds_gl_renderer_free(s->renderer);
    ds_media_free(s->media);
    *s = (session){0};
}

static ds_status session_open(const char *path, const ds_player_options *o, session *s) {
    *s = (session){0};
    ds_http_options http;
    ds_http_options_default(&http);
    if (o->buffer_bytes > 0) {
        http.cache_bytes = o->buffer_bytes;
    }
    ds_media_options options = {.http = &http, .rendition = o->rendition};
    ds_status status = ds_media_open_with(path, &options, &s->media);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_media_framing(s->media, FOV_DEGREES, o->width, o->height, &s->framing, s->target);
    ds_gl_scene scene = ds_media_scene(s->media);
    if (!ds_failed(&status)) {
        status = ds_gl_renderer_create(&scene, SLOTS, &s->renderer);
    }
    if (!ds_failed(&status)) {
        float *slots[SLOTS];
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = ds_gl_renderer_slot(s->renderer, i);
        }
        status = ds_frame_pipeline_create(s->media, ds_gl_renderer_layout(s->renderer), slots,
                                          SLOTS, &s->pipeline);
    }
    if (ds_failed(&status)) {
        session_close(s);
        return status;
    }
    if (ds_media_remote(s->media)) {
        /* Fetch ahead what the buffer's seconds hold, beyond the two segments being decoded. */
        double frames = (o->buffer_seconds > 0 ? o->buffer_seconds : 10.0) * ds_media_fps(s->media);
        double segments = frames / ds_media_segment_frames(s->media);
        ds_frame_pipeline_set_prefetch(s->pipeline, segments > 2 ? (uint32_t)(segments - 1) : 1);
    }
    ds_playback_clock_init(&s->clock, ds_media_fps(s->media), ds_media_frame_count(s->media),
                           o->loop);
    s->clock.speed = o->speed > 0 ? o->speed : 1.0;
    return ds_ok();
}

/* Hands back retiring slots the GPU has finished reading. */
static void retire_idle_slots(session *s) {
    int kept = 0;
    for (int i = 0; i < s->retiring_count; i++) {
        if (ds_gl_renderer_slot_idle(s->renderer, s->retiring[i], false)) {
            ds_frame_pipeline_release(s->pipeline, s->retiring[i]);
        } else {
            s->retiring[kept++] = s->retiring[i];
        }
    }
    s->retiring_count = kept;
}

/* Puts the frame for the clock's position on screen if it is ready (or waits for it when
 * showing every frame). Returns whether a new frame came. */
static bool update_shown_frame(player *p) {
    session *s = &p->session;
    if (ds_playback_clock_take_jump(&s->clock)) {
        ds_frame_pipeline_seek(s->pipeline, ds_playback_clock_position(&s->clock), s->clock.loop);
    }
    uint64_t position = ds_playback_clock_position(&s->clock);
    if (s->have_shown && s->shown_position == position) {
        return false;
    }
    int slot;
    uint64_t shown;
    ds_gl_frame_info info;
    bool wait = p->options->every_frame || !s->have_shown;
    bool taken = ds_frame_pipeline_take(s->pipeline, position, wait, &slot, &shown, &info);
    if (!taken && p->options->every_frame && s->have_shown) {
        /* Position t is lost to damage: showing every frame moves on past it. */
        ds_playback_clock_next_frame(&s->clock);
    }
    bool late = !taken || shown != position;
    if (late && s->have_shown && !p->options->every_frame &&
        ds_frame_pipeline_starved(s->pipeline)) {
        /* The network is behind: rather than skip what has not arrived, hold the clock at the
         * next frame (buffering) and go on from there when it comes. */
        if (!s->buffering) {
            s->buffering = true;
            s->buffering_since = ds_monotonic_seconds();
            p->report->stalls++;
        }
        uint64_t next = (taken ? shown : s->shown_position) + 1;
        s->clock.position = (double)next;
    }
    if (!taken) {
        return false;
    }
    if (s->buffering && shown == position) {
        s->buffering = false;
        p->report->stall_seconds += ds_monotonic_seconds() - s->buffering_since;
    }
    if (s->have_shown) {
        s->retiring[s->retiring_count++] = s->shown_slot;
        uint64_t step = shown > s->shown_position ? shown - s->shown_position : 0;
        if (step > p->report->largest_step) {
            p->report->largest_step = step;
        }
    } else {
        /* The wait for the first frame is not playing time. */
        s->clock.last_time = ds_monotonic_seconds();
    }
    s->have_shown = true;
    s->shown_slot = slot;
    s->shown_position = shown;
    s->shown_info = info;
    p->report->frames_shown++;
    return true;
}

static void report_pipeline_errors(player *p) {
    char message[DS_STATUS_MESSAGE_SIZE + 64];
    while (ds_frame_pipeline_take_error(p->session.pipeline, message, sizeof message)) {
        notice(p, "%s: %s", ds_media_name(p->session.media), message);
    }
}

static void save_screenshot(player *p) {
    session *s = &p->session;
    const char *folder = p->options->screenshot_folder ? p->options->screenshot_folder : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/dualsplat-frame%05u-%llu.png", folder,
             ds_frame_pipeline_frame_of(s->pipeline, s->shown_position),
             (unsigned long long)++p->screenshots);
    ds_image image;
    ds_status status = ds_gl_renderer_read_image(s->renderer, &image);
    if (!ds_failed(&status)) {
        status = ds_png_save(path, &image);
        ds_image_free(&image);
    }
    if (ds_failed(&status)) {
        notice(p, "screenshot %s: %s", path, status.message);
    } else {
        notice(p, "screenshot: %s", path);
    }
}

static void reset_camera(player *p) {
    double up[3];
    ds_media_up(p->session.media, up);
    ds_camera_controller_init_from(&p->session.framing, p->session.target, up, &p->controller);
}

static void open_dropped_file(player *p, const char *path) {
    session next;
    ds_status status = session_open(path, p->options, &next);
    if (ds_failed(&status)) {
        notice(p, "%s: %s (still playing %s)", path, status.message,
               ds_media_name(p->session.media));
        return;
    }
    session_close(&p->session);
    p->session = next;
    reset_camera(p);
    notice(p, "playing %s", path);
}

static void seek_segment(session *s, int direction) {
    uint32_t segment_frames = ds_media_segment_frames(s->media);
    int64_t segment = (int64_t)(ds_playback_clock_frame(&s->clock) / segment_frames) + direction;
    int64_t segments = (int64_t)ds_media_segment_count(s->media);
    if (s->clock.loop) {
        segment = ((segment % segments) + segments) % segments;
    }
    ds_playback_clock_seek(&s->clock, segment * (int64_t)segment_frames);
}

static void on_key(player *p, SDL_Keycode key) {
    ds_playback_clock *clock = &p->session.clock;
    switch (key) {
    case SDLK_ESCAPE:
        p->quit = true;
        break;
    case SDLK_SPACE:
        ds_playback_clock_toggle_pause(clock);
        break;
    case SDLK_LEFT:
    case SDLK_RIGHT:
        ds_playback_clock_seek_by(clock, (int64_t)lround(clock->fps) * (key == SDLK_LEFT ? -1 : 1));
        break;
    case SDLK_UP:
    case SDLK_PAGEUP:
        seek_segment(&p->session, 1);
        break;
    case SDLK_DOWN:
    case SDLK_PAGEDOWN:
        seek_segment(&p->session, -1);
        break;
    case SDLK_HOME:
        ds_playback_clock_seek(clock, 0);
        break;
    case SDLK_COMMA:
    case SDLK_PERIOD:
        ds_playback_clock_step(clock, key == SDLK_COMMA ? -1 : 1);
        break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        ds_playback_clock_change_speed(clock, 1);
        break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        ds_playback_clock_change_speed(clock, -1);
        break;
    case SDLK_l:
        clock->loop = !clock->loop;
        clock->jumped = true; /* the decoder's end changes */
        break;
    case SDLK_r:
        ds_camera_controller_reset(&p->controller);
        break;
    case SDLK_o:
        p->overlay_on = !p->overlay_on;
        break;
    case SDLK_f:
        p->fullscreen = !p->fullscreen;
        SDL_SetWindowFullscreen(p->context.window,
                                p->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
        break;
    case SDLK_F12:
        save_screenshot(p);
        break;
    default:
        break;
    }
}

static void handle_events(player *p) {
    SDL_Event event;
    bool scripted_camera = p->options->camera_path != NULL;
    while (SDL_PollEvent(&event)) {
        switch (event.type) {
        case SDL_QUIT:
            p->quit = true;
            break;
        case SDL_KEYDOWN:
            on_key(p, event.key.keysym.sym);
            break;
        case SDL_MOUSEMOTION:
            if (scripted_camera) {
                break;
            }
            if (event.motion.state & SDL_BUTTON_LMASK) {
                ds_camera_controller_orbit(&p->controller, event.motion.xrel, event.motion.yrel);
            } else if (event.motion.state & (SDL_BUTTON_RMASK | SDL_BUTTON_MMASK)) {
                int width, height;
                SDL_GetWindowSize(p->context.window, &width, &height);
                ds_camera_controller_pan(&p->controller, event.motion.xrel, event.motion.yrel,
                                         height);
            }
            break;
        case SDL_MOUSEWHEEL:
            if (!scripted_camera) {
                ds_camera_controller_zoom(&p->controller, -event.wheel.preciseY);
            }
            break;
        case SDL_DROPFILE:
            open_dropped_file(p, event.drop.file);
            SDL_free(event.drop.file);
            break;
        default:
            break;
        }
    }
}

static void fly(player *p, double dt) {
    const Uint8 *keys = SDL_GetKeyboardState(NULL);
    double forward = keys[SDL_SCANCODE_W] - keys[SDL_SCANCODE_S];
    double right = keys[SDL_SCANCODE_D] - keys[SDL_SCANCODE_A];
    double up = keys[SDL_SCANCODE_E] - keys[SDL_SCANCODE_Q];
    if ((forward != 0 || right != 0 || up != 0) && !p->options->camera_path) {
        ds_camera_controller_fly(&p->controller, forward, right, up, dt);
    }
}

static void update_overlay(player *p, double now) {
    if (now - p->overlay_updated < 0.25) {
        return;
    }
    p->overlay_updated = now;
    session *s = &p->session;
    ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(s->pipeline);
    ds_gl_timings gpu = ds_gl_renderer_timings(s->renderer);
    uint64_t position = ds_playback_clock_position(&s->clock);
    bool behind = s->buffering || (s->have_shown && s->shown_position != position);
    const char *state = s->clock.paused ? "paused" : behind ? "buffering" : "playing";
    char text[512];
    snprintf(text, sizeof text,
             "%.1f fps   frame %u / %u   %s   x%g%s\n"
             "decode %.1f ms/frame   upload %.1f ms   segment %.0f ms\n"
             "GPU skin+project %.2f ms   sort %.2f ms   draw %.2f ms\n"
             "%zu splats   dropped %llu",
             p->fps, s->have_shown ? ds_frame_pipeline_frame_of(s->pipeline, s->shown_position) : 0,
             ds_media_frame_count(s->media), state, s->clock.speed, s->clock.loop ? "   loop" : "",
             stats.frame_decode_ms, stats.upload_ms, stats.segment_decode_ms, gpu.preprocess_ms,
             gpu.sort_ms, gpu.draw_ms, ds_gl_renderer_layout(s->renderer)->skin_count,
             (unsigned long long)stats.dropped);
    struct ds_renditions *renditions = ds_media_renditions(s->media);
    if (renditions) {
        ds_renditions_stats r = ds_renditions_stats_get(renditions);
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "\nrendition %s   %.1f Mbit/s measured",
                 ds_renditions_name(renditions, r.current), r.throughput_bps * 1e-6);
    }
    ds_overlay_set_text(p->overlay, text);
}

static ds_status draw(player *p) {
    session *s = &p->session;
    int width, height;
    SDL_GL_GetDrawableSize(p->context.window, &width, &height);
    if (width <= 0 || height <= 0 || !s->have_shown) {
        return ds_ok();
    }
    ds_camera camera;
    ds_status status;
    if (p->options->camera_path) {
        double time = s->clock.position / s->clock.fps;
        status = ds_camera_path_evaluate(p->options->camera_path, time, width, height, &camera);
    } else {
        status = ds_camera_controller_camera(&p->controller, width, height, &camera);
    }
    ds_gl_draw_options options = {
        .background = {p->options->background[0], p->options->background[1], p->options->background[2]}};
    if (!ds_failed(&status)) {
        status = ds_gl_renderer_draw(s->renderer, s->shown_slot, &s->shown_info, &camera, &options);
    }
    if (ds_failed(&status)) {
        return status;
    }
    ds_gl_renderer_present(s->renderer, width, height);
    if (p->overlay_on) {
        ds_overlay_draw(p->overlay, width, height, height >= 1000 ? 3 : 2);
    }
    SDL_GL_SwapWindow(p->context.window);
    p->report->redraws++;
    return ds_ok();
}

static bool finished(player *p) {
    const ds_player_options *o = p->options;
    session *s = &p->session;
    if (o->frame_limit && p->report->frames_shown >= o->frame_limit) {
        return true;
    }
    return o->exit_at_end && ds_playback_clock_at_end(&s->clock) && s->have_shown &&
           s->shown_position == ds_playback_clock_position(&s->clock);
}

static void fill_report(player *p, double start) {
    session *s = &p->session;
    ds_player_report *r = p->report;
    r->seconds = ds_monotonic_seconds() - start;
    if (s->pipeline) {
        ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(s->pipeline);
        r->dropped = stats.dropped;
        r->skipped = stats.failed;
        r->decode_ms = stats.frame_decode_ms;
        r->upload_ms = stats.upload_ms;
        r->segment_ms = stats.segment_decode_ms;
    }
    if (s->renderer) {
        ds_gl_renderer_finish_timings(s->renderer);
        ds_gl_timings gpu = ds_gl_renderer_timings(s->renderer);
        r->preprocess_ms = gpu.preprocess_ms;
        r->sort_ms = gpu.sort_ms;
        r->draw_ms = gpu.draw_ms;
    }
    struct ds_renditions *renditions = s->media ? ds_media_renditions(s->media) : NULL;
    if (renditions) {
        ds_renditions_stats stats = ds_renditions_stats_get(renditions);
        r->rendition_switches = stats.switches;
        size_t used = 0;
        for (size_t i = 0; i < ds_renditions_count(renditions) && used < sizeof r->renditions;
             i++) {
            used += (size_t)snprintf(r->renditions + used, sizeof r->renditions - used, "%s%s:%llu",
                                     i ? " " : "", ds_renditions_name(renditions, i),
                                     (unsigned long long)stats.segments[i]);
        }
    }
    ds_http_stats network;
    if (s->media && ds_media_network_stats(s->media, &network)) {
        r->network_bytes = network.bytes;
        r->retries = network.retries;
    }
    r->gl_errors = ds_gl_debug_error_count();
    snprintf(r->last_gl_error, sizeof r->last_gl_error, "%s", ds_gl_debug_last_message());
}

ds_status ds_player_run(const ds_player_options *o, ds_player_report *report) {
    *report = (ds_player_report){0};
    player p = {
        .options = o, .report = report, .overlay_on = o->overlay, .fullscreen = o->fullscreen};
    char title[512];
    snprintf(title, sizeof title, "dualsplat - %s", o->path);
    ds_gl_context_options context = {.title = title,
                                     .width = o->width,
                                     .height = o->height,
                                     .visible = true,
                                     .resizable = true,
                                     .vsync = o->vsync,
                                     .debug = o->debug};
    ds_status status = ds_gl_context_create(&context, &p.context);
    if (ds_failed(&status)) {
        return status;
    }
    if (o->fullscreen) {
        SDL_SetWindowFullscreen(p.context.window, SDL_WINDOW_FULLSCREEN_DESKTOP);
    }
    double opened = ds_monotonic_seconds();
    status = ds_overlay_create(&p.overlay);
    if (!ds_failed(&status)) {
        status = session_open(o->path, o, &p.session);
    }
    if (ds_failed(&status)) {
        ds_overlay_free(p.overlay);
        ds_gl_context_destroy(&p.context);
        return status;
    }
    reset_camera(&p);
    double start = ds_monotonic_seconds(), last = start;
    p.fps_since = start;
    while (!p.quit && !ds_failed(&status)) {
        handle_events(&p);
        double now = ds_monotonic_seconds();
        fly(&p, now - last);
        last = now;
        session *s = &p.session;
        if (!o->every_frame) {
            ds_playback_clock_advance(&s->clock, now);
        }
        if (ds_frame_pipeline_failed(s->pipeline, &status)) {
            break;
        }
        bool new_frame = update_shown_frame(&p);
        if (new_frame && report->frames_shown == 1) {
            report->startup_seconds = ds_monotonic_seconds() - opened;
        }
        retire_idle_slots(s);
        report_pipeline_errors(&p);
        update_overlay(&p, now);
        status = draw(&p);
        if (new_frame && o->screenshot_after && report->frames_shown == o->screenshot_after) {
            save_screenshot(&p);
        }
        if (++p.fps_presents, now - p.fps_since >= 0.5) {
            p.fps = (double)p.fps_presents / (now - p.fps_since);
            p.fps_presents = 0;
            p.fps_since = now;
        }
        if (finished(&p)) {
            break;
        }
        if (o->every_frame && new_frame && !s->clock.paused) {
            ds_playback_clock_next_frame(&s->clock);
        }
        if (!new_frame && s->clock.paused && !o->vsync) {
            SDL_Delay(5); /* nothing moves: do not spin a core */
        }
    }
    fill_report(&p, start);
    session_close(&p.session);
    ds_overlay_free(p.overlay);
    ds_gl_context_destroy(&p.context);
    return status;
}
