#define _POSIX_C_SOURCE 200809L
#include "desktop_player.h"
#include "audio_output.h"
#include "camera_controller.h"
#include "frame_pipeline.h"
#include "gl_context.h"
#include "input_script.h"
#include "media.h"
#include "monotonic_time.h"
#include "overlay.h"
#include "playback_clock.h"
#include "playback_session.h"
#include "renditions.h"

#include "formats/png.h"
#include "render/gl_renderer.h"

#include <GL/glew.h>
#include <SDL2/SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double FOV_DEGREES = 50.0;

/* The media played, the start camera framing it, and the device its sound plays on (NULL: no
 * sound, or no device). */
typedef struct session {
    ds_playback_session playback;
    ds_camera framing;
    double target[3];
    ds_audio_output *sound;
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
    float volume;
    bool muted;
    /* scripted random seeks: how many were made, when the last was, the generator's state */
    uint32_t seeks;
    double seeked_at;
    uint64_t seek_state;
    ds_input_script *script;
    uint64_t turns; /* of the loop, for the script */
} player;

/* The device goes first: its thread reads the mixer the session frees. */
static void session_close(session *s) {
    ds_audio_output_close(s->sound);
    s->sound = NULL;
    ds_playback_session_close(&s->playback);
}

/* Plays the stream's sound, if it has one, and lets it lead the picture. Without a device the
 * player goes on silent, by the wall clock. */
static void session_start_sound(session *s, const ds_player_options *o) {
    if (!s->playback.mixer || o->every_frame) {
        return;
    }
    ds_status status = ds_audio_output_open(s->playback.mixer, &s->sound);
    if (ds_failed(&status)) {
        ds_player_notify(o->notice, o->context, "%s; playing without sound", status.message);
        return;
    }
    ds_playback_session_follow_sound(&s->playback, ds_audio_output_latency(s->sound));
}

static ds_status session_open(const char *path, const ds_player_options *o, session *s) {
    ds_playback_options options = {.loop = o->loop,
                                   .speed = o->speed,
                                   .buffer_seconds = o->buffer_seconds,
                                   .buffer_bytes = o->buffer_bytes,
                                   .rendition = o->rendition,
                                   .silent = o->silent || o->every_frame};
    *s = (session){0};
    ds_status status = ds_playback_session_open(path, &options, &s->playback);
    if (!ds_failed(&status)) {
        status = ds_media_framing(s->playback.media, FOV_DEGREES, o->width, o->height, &s->framing,
                                  s->target);
        if (ds_failed(&status)) {
            ds_playback_session_close(&s->playback);
        }
    }
    return status;
}

static void save_screenshot(player *p) {
    ds_playback_session *s = &p->session.playback;
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
        ds_player_notify(p->options->notice, p->options->context, "screenshot %s: %s", path,
                         status.message);
    } else {
        ds_player_notify(p->options->notice, p->options->context, "screenshot: %s", path);
    }
}

static void reset_camera(player *p) {
    double up[3];
    ds_media_up(p->session.playback.media, up);
    ds_camera_controller_init_from(&p->session.framing, p->session.target, up, &p->controller);
}

static void apply_volume(player *p) {
    if (p->session.playback.mixer) {
        ds_audio_mixer_set_volume(p->session.playback.mixer, p->volume, p->muted);
    }
}

static void open_dropped_file(player *p, const char *path) {
    session next;
    ds_status status = session_open(path, p->options, &next);
    if (ds_failed(&status)) {
        ds_player_notify(p->options->notice, p->options->context, "%s: %s (still playing %s)", path,
                         status.message, ds_media_name(p->session.playback.media));
        return;
    }
    session_close(&p->session);
    p->session = next;
    session_start_sound(&p->session, p->options);
    apply_volume(p);
    reset_camera(p);
    ds_player_notify(p->options->notice, p->options->context, "playing %s", path);
}

static void on_key(player *p, SDL_Keycode key) {
    ds_playback_clock *clock = &p->session.playback.clock;
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
        ds_playback_session_seek_segment(&p->session.playback, 1);
        break;
    case SDLK_DOWN:
    case SDLK_PAGEDOWN:
        ds_playback_session_seek_segment(&p->session.playback, -1);
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
        ds_playback_clock_set_loop(clock, !clock->loop);
        break;
    case SDLK_m:
        p->muted = !p->muted;
        apply_volume(p);
        break;
    case SDLK_9:
    case SDLK_0:
        p->volume += key == SDLK_0 ? 0.1f : -0.1f;
        p->volume = p->volume < 0 ? 0 : p->volume > 1 ? 1 : p->volume;
        apply_volume(p);
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
    ds_playback_session *s = &p->session.playback;
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
    ds_playback_session *s = &p->session.playback;
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
    ds_gl_draw_options options = {.background = {p->options->background[0],
                                                 p->options->background[1],
                                                 p->options->background[2]}};
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

/* Scripted random seeks (benchmarks and tests of sound and picture staying together): every
 * half second of playing, once the frame sought last is on show, the next random frame. */
static void seek_at_random(player *p, double now) {
    ds_playback_session *s = &p->session.playback;
    if (p->seeks >= p->options->random_seeks || !s->have_shown || s->jump_pending ||
        now - p->seeked_at < 0.5) {
        return;
    }
    p->seek_state ^= p->seek_state << 13;
    p->seek_state ^= p->seek_state >> 7;
    p->seek_state ^= p->seek_state << 17;
    ds_playback_clock_seek(&s->clock, (int64_t)(p->seek_state % s->clock.frame_count));
    p->seeks++;
    p->seeked_at = now;
}

static bool finished(player *p, double now) {
    const ds_player_options *o = p->options;
    ds_playback_session *s = &p->session.playback;
    if (o->frame_limit && p->report->frames_shown >= o->frame_limit) {
        return true;
    }
    if (o->random_seeks) {
        return p->seeks == o->random_seeks && !s->jump_pending && now - p->seeked_at >= 0.5;
    }
    return o->exit_at_end && ds_playback_clock_at_end(&s->clock) && s->have_shown &&
           s->shown_position == ds_playback_clock_position(&s->clock);
}

ds_status ds_player_run(const ds_player_options *o, ds_player_report *report) {
    *report = (ds_player_report){0};
    player p = {.options = o,
                .report = report,
                .overlay_on = o->overlay,
                .fullscreen = o->fullscreen,
                .seek_state = 0x9E3779B97F4A7C15ull,
                .volume = o->volume_percent > 0 && o->volume_percent <= 100
                              ? (float)o->volume_percent / 100.0f
                              : 1.0f};
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
    status = o->input_script ? ds_input_script_parse(o->input_script, &p.script) : ds_ok();
    if (!ds_failed(&status)) {
        status = ds_overlay_create(&p.overlay);
    }
    if (!ds_failed(&status)) {
        status = session_open(o->path, o, &p.session);
    }
    if (!ds_failed(&status)) {
        session_start_sound(&p.session, o);
        apply_volume(&p);
    }
    if (ds_failed(&status)) {
        ds_input_script_free(p.script);
        ds_overlay_free(p.overlay);
        ds_gl_context_destroy(&p.context);
        return status;
    }
    reset_camera(&p);
    double start = ds_monotonic_seconds(), last = start;
    p.fps_since = start;
    while (!p.quit && !ds_failed(&status)) {
        ds_input_script_push(p.script, p.turns++);
        handle_events(&p);
        double now = ds_monotonic_seconds();
        fly(&p, now - last);
        last = now;
        ds_playback_session *s = &p.session.playback;
        if (!o->every_frame) {
            ds_playback_clock_advance(&s->clock, now);
        }
        if (ds_frame_pipeline_failed(s->pipeline, &status)) {
            break;
        }
        bool new_frame = ds_playback_session_update(s, o->every_frame, now, report);
        if (new_frame && report->frames_shown == 1) {
            report->startup_seconds = ds_monotonic_seconds() - opened;
        }
        ds_playback_session_retire_idle(s);
        ds_playback_session_report_errors(s, o->notice, o->context);
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
        if (o->random_seeks) {
            seek_at_random(&p, now);
        }
        if (finished(&p, now)) {
            break;
        }
        if (o->every_frame && new_frame && !s->clock.paused) {
            ds_playback_clock_next_frame(&s->clock);
        }
        if (!new_frame && s->clock.paused && !o->vsync) {
            SDL_Delay(5); /* nothing moves: do not spin a core */
        }
    }
    report->seconds = ds_monotonic_seconds() - start;
    ds_playback_session_fill_report(&p.session.playback, report);
    report->gl_errors = ds_gl_debug_error_count();
    snprintf(report->last_gl_error, sizeof report->last_gl_error, "%s", ds_gl_debug_last_message());
    ds_playback_session *shown = &p.session.playback;
    report->last_frame = ds_playback_session_shown_frame(shown);
    report->clock_frame = ds_playback_clock_frame(&shown->clock);
    report->paused = shown->clock.paused;
    report->looping = shown->clock.loop;
    report->speed = shown->clock.speed;
    report->muted = p.muted;
    report->volume_percent = (int)lroundf(p.volume * 100.0f);
    session_close(&p.session);
    ds_input_script_free(p.script);
    ds_overlay_free(p.overlay);
    ds_gl_context_destroy(&p.context);
    return status;
}
