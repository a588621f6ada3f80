#define _POSIX_C_SOURCE 200809L
#include "play_xr.h"
#include "cli.h"
#include "interrupt.h"

#include "player/xr_player.h"

#include <stdio.h>
#include <stdlib.h>

static void print_report(const char *path, const ds_xr_player_report *r, bool json, bool quiet) {
    const ds_player_report *p = &r->playback;
    if (json) {
        printf("{\"xr\": true, \"frames_submitted\": %llu, \"frames_drawn\": %llu, "
               "\"frames_shown\": %llu, \"states\": \"%s\", \"space\": \"%s\", \"depth\": %s, "
               "\"eye_width\": %d, \"eye_height\": %d, \"resolution_scale\": %.3f, "
               "\"frame_ms\": %.3f, \"gpu_ms\": %.3f, \"gpu_preprocess_ms\": %.3f, "
               "\"gpu_sort_ms\": %.3f, \"gpu_draw_ms\": %.3f, \"decode_ms\": %.3f, "
               "\"dropped\": %llu, \"skipped\": %llu, \"seconds\": %.3f, \"gl_errors\": %u, "
               "\"sound\": %s, \"hrtf\": %s, \"av_offset_ms_mean\": %.2f}\n",
               (unsigned long long)r->frames_submitted, (unsigned long long)r->frames_drawn,
               (unsigned long long)p->frames_shown, r->states, r->space,
               r->depth ? "true" : "false", r->eye_width, r->eye_height, r->resolution_scale,
               r->frame_ms, r->gpu_ms, p->preprocess_ms, p->sort_ms, p->draw_ms, p->decode_ms,
               (unsigned long long)p->dropped, (unsigned long long)p->skipped, p->seconds,
               p->gl_errors, p->sound ? "true" : "false", r->hrtf ? "true" : "false",
               p->av_frames ? p->av_offset_ms_sum / (double)p->av_frames : 0.0);
    } else if (!quiet) {
        printf("%s: %llu headset frames (%llu drawn) in %.1f s, %.1f ms each; GPU %.2f ms per "
               "frame for both eyes at %.0f%% resolution; %s space\n",
               path, (unsigned long long)r->frames_submitted, (unsigned long long)r->frames_drawn,
               p->seconds, r->frame_ms, r->gpu_ms, 100.0 * r->resolution_scale, r->space);
    }
}

static bool not_interrupted(void *context) {
    (void)context;
    return !cli_interrupt_requested();
}

static void print_notice(void *context, const char *message) {
    (void)context;
    fprintf(stderr, "dualsplat: %s\n", message);
}

int play_xr(const ds_player_options *player, const play_xr_settings *xr, bool json, bool quiet,
            bool *fall_back) {
    *fall_back = false;
    if (!player->debug) {
        /* The loader prints its own errors (no runtime, no manifest) on top of ours; ours say
         * what to do. --debug keeps them. */
        setenv("XR_LOADER_DEBUG", "none", 0);
    }
    ds_xr_player_options options = {
        .path = player->path,
        .playback = {.loop = player->loop,
                     .speed = player->speed,
                     .buffer_seconds = player->buffer_seconds,
                     .buffer_bytes = player->buffer_bytes,
                     .rendition = player->rendition,
                     .silent = player->silent},
        .stereo_sound = xr->stereo_sound,
        .background = {player->background[0], player->background[1], player->background[2]},
        .distance = xr->distance,
        .scale = xr->scale,
        .turn_degrees = xr->turn,
        .resolution_scale = xr->resolution,
        .splat_budget = (uint32_t)xr->budget,
        .frame_limit = player->frame_limit,
        .debug = player->debug,
        .notice = print_notice,
        .keep_going = not_interrupted};
    ds_xr_player_report report;
    /* Ctrl-C ends the session through the runtime, as a headset's own quit would. */
    cli_interrupt interrupt;
    cli_interrupt_catch(&interrupt);
    ds_status status = ds_xr_player_run(&options, &report);
    cli_interrupt_release(&interrupt);
    if (ds_failed(&status)) {
        /* No runtime or no headset: the desktop can take over before anything was shown. */
        if (xr->fallback && status.code == DS_ERR_UNSUPPORTED && report.frames_submitted == 0) {
            cli_error("play", "%s; playing on the desktop instead (--xr-fallback)", status.message);
            *fall_back = true;
            return CLI_EXIT_OK;
        }
        return cli_fail("play --xr", &status);
    }
    print_report(player->path, &report, json, quiet);
    if (player->debug && report.playback.gl_errors > 0) {
        cli_error("play", "%u OpenGL errors, the last: %s", report.playback.gl_errors,
                  report.playback.last_gl_error);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
