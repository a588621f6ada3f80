#define _POSIX_C_SOURCE 200809L
#include "playback_session.h"
#include "monotonic_time.h"
#include "renditions.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static void take_sound(void *context, uint32_t segment, ds_audio_pcm *pcm) {
    (void)segment;
    ds_audio_mixer_add(context, pcm);
}

void ds_playback_session_close(ds_playback_session *s) {
    if (s->have_shown && s->pipeline) {
        ds_frame_pipeline_release(s->pipeline, s->shown_slot);
    }
    if (s->media) {
        ds_media_interrupt(s->media);
    }
    ds_frame_pipeline_free(s->pipeline);
    ds_audio_mixer_free(s->mixer);
    ds_gl_renderer_free(s->renderer);
    ds_media_free(s->media);
    *s = (ds_playback_session){0};
}

ds_status ds_playback_session_open(const char *path, const ds_playback_options *o,
                                   ds_playback_session *s) {
    *s = (ds_playback_session){0};
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
    ds_gl_scene scene = ds_media_scene(s->media);
    status = ds_gl_renderer_create(&scene, DS_PLAYBACK_SLOTS, &s->renderer);
    if (!ds_failed(&status)) {
        float *slots[DS_PLAYBACK_SLOTS];
        for (int i = 0; i < DS_PLAYBACK_SLOTS; i++) {
            slots[i] = ds_gl_renderer_slot(s->renderer, i);
        }
        status = ds_frame_pipeline_create(s->media, ds_gl_renderer_layout(s->renderer), slots,
                                          DS_PLAYBACK_SLOTS, &s->pipeline);
    }
    if (ds_failed(&status)) {
        ds_playback_session_close(s);
        return status;
    }
    if (ds_media_remote(s->media)) {
        /* Fetch ahead what the buffer's seconds hold, beyond the two segments being decoded, but
         * no more than half the bytes the source keeps: more would evict what was fetched
         * ahead before it is played. */
        double frames = (o->buffer_seconds > 0 ? o->buffer_seconds : 10.0) * ds_media_fps(s->media);
        double segments = frames / ds_media_segment_frames(s->media);
        const ds_dsv *dsv = ds_media_stream(s->media);
        double segment_bytes = dsv ? (double)dsv->source.size / dsv->header.segment_count : 0;
        double kept = (double)(o->buffer_bytes > 0 ? o->buffer_bytes : http.cache_bytes) / 2;
        if (segment_bytes > 0 && segments > kept / segment_bytes) {
            segments = kept / segment_bytes;
        }
        ds_frame_pipeline_set_prefetch(s->pipeline, segments > 2 ? (uint32_t)(segments - 1) : 1);
    }
    ds_playback_clock_init(&s->clock, ds_media_fps(s->media), ds_media_frame_count(s->media),
                           o->loop);
    s->clock.speed = o->speed > 0 ? o->speed : 1.0;
    const ds_dsv *dsv = ds_media_stream(s->media);
    if (!o->silent && dsv && dsv->header.audio_codec != DS_AUDIO_NONE) {
        status = ds_audio_mixer_create(dsv->header.audio_sample_rate, ds_media_fps(s->media),
                                       ds_media_frame_count(s->media), &s->mixer);
        if (ds_failed(&status)) {
            ds_playback_session_close(s);
            return status;
        }
        ds_frame_pipeline_set_sound_sink(s->pipeline, take_sound, s->mixer);
    }
    return ds_ok();
}

void ds_playback_session_follow_sound(ds_playback_session *s, double latency) {
    s->sound_master = s->mixer != NULL;
    s->sound_latency = latency;
}

/* Steers the sound by the clock (pause, speed, loop; holding it until the first frame is on
 * show), then takes the clock's position from where the listener is. */
static void follow_sound(ds_playback_session *s, double now) {
    ds_audio_mixer_set_speed(s->mixer, s->clock.speed);
    ds_audio_mixer_set_loop(s->mixer, s->clock.loop);
    ds_audio_mixer_hold(s->mixer, s->clock.paused || !s->have_shown);
    if (!s->have_shown || s->clock.paused) {
        return;
    }
    double heard = ds_audio_mixer_clock(s->mixer, now, s->sound_latency);
    double last = (double)(s->clock.frame_count - 1);
    s->clock.position = !s->clock.loop && heard > last ? last : heard;
}

void ds_playback_session_retire_idle(ds_playback_session *s) {
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

/* With sound leading, a stall is the sound waiting for its segment. */
static void note_sound_stall(ds_playback_session *s, ds_player_report *report) {
    bool starved = s->have_shown && ds_audio_mixer_starved(s->mixer);
    if (starved && !s->buffering) {
        s->buffering = true;
        s->buffering_since = ds_monotonic_seconds();
        report->stalls++;
    } else if (!starved && s->buffering) {
        s->buffering = false;
        report->stall_seconds += ds_monotonic_seconds() - s->buffering_since;
    }
}

bool ds_playback_session_update(ds_playback_session *s, bool every_frame, double now,
                                ds_player_report *report) {
    bool sound = s->sound_master && !every_frame;
    bool jumped = ds_playback_clock_take_jump(&s->clock);
    if (!sound && s->buffering && !jumped) {
        /* Held for the network: the time since the last turn is not played, so the frame
         * waited for is not skipped once it comes. */
        s->clock.position = (double)s->held_position;
    }
    if (jumped) {
        s->jump_target = ds_playback_clock_position(&s->clock);
        /* A seek to the frame on show has nothing to wait for. */
        s->jump_pending = !(s->have_shown && s->shown_position == s->jump_target);
        ds_frame_pipeline_seek(s->pipeline, s->jump_target, s->clock.loop);
        if (s->mixer) {
            ds_audio_mixer_seek(s->mixer, (double)s->jump_target);
        }
    }
    if (sound) {
        follow_sound(s, now);
        note_sound_stall(s, report);
    }
    uint64_t position = ds_playback_clock_position(&s->clock);
    if (s->have_shown && s->shown_position == position) {
        return false;
    }
    int slot;
    uint64_t shown;
    ds_gl_frame_info info;
    bool wait = every_frame || !s->have_shown;
    bool taken = ds_frame_pipeline_take(s->pipeline, position, wait, &slot, &shown, &info);
    if (!taken && every_frame && s->have_shown) {
        /* Position t is lost to damage: showing every frame moves on past it. */
        ds_playback_clock_next_frame(&s->clock);
    }
    bool late = !taken || shown != position;
    /* With sound leading, the sound waits by itself for what has not arrived
     * (player/audio_mixer.h): the clock is already held where the listener is. */
    if (!sound && late && s->have_shown && !every_frame && ds_frame_pipeline_starved(s->pipeline)) {
        /* The network is behind: rather than skip what has not arrived, hold the clock at the
         * next frame (buffering) and go on from there when it comes. */
        if (!s->buffering) {
            s->buffering = true;
            s->buffering_since = ds_monotonic_seconds();
            report->stalls++;
        }
        uint64_t next = (taken ? shown : s->shown_position) + 1;
        if (s->jump_pending && !(taken && shown >= s->jump_target)) {
            /* Waiting for a seek's segment: hold at where the seek went, not after the frame
             * still on show from before it. */
            next = s->jump_target;
        }
        uint64_t skipped_to = ds_frame_pipeline_playhead(s->pipeline);
        if (next < skipped_to) {
            next = skipped_to; /* the decoder has skipped ahead to there already */
        }
        s->held_position = next;
        s->clock.position = (double)next;
    }
    if (!every_frame && !s->buffering) {
        /* Late, not waiting for data: the decoder skips to the clock rather than decode what
         * would only be dropped (the pipeline ignores a playhead that is not further on). */
        ds_frame_pipeline_set_playhead(s->pipeline, position);
    }
    if (!taken) {
        return false;
    }
    if (shown >= s->jump_target) {
        s->jump_pending = false;
    }
    if (!sound && s->buffering && shown == position) {
        s->buffering = false;
        report->stall_seconds += ds_monotonic_seconds() - s->buffering_since;
    }
    if (s->have_shown) {
        s->retiring[s->retiring_count++] = s->shown_slot;
        uint64_t step = shown > s->shown_position ? shown - s->shown_position : 0;
        if (step > report->largest_step) {
            report->largest_step = step;
        }
    } else {
        /* The wait for the first frame is not playing time. */
        s->clock.last_time = ds_monotonic_seconds();
    }
    s->have_shown = true;
    s->shown_slot = slot;
    s->shown_position = shown;
    s->shown_info = info;
    report->frames_shown++;
    if (sound && !s->clock.paused) {
        double offset = (s->clock.position - (double)shown) * 1000.0 / s->clock.fps;
        report->sound = true;
        report->av_frames++;
        report->av_offset_ms_sum += offset;
        if (fabs(offset) > report->av_offset_ms_max) {
            report->av_offset_ms_max = fabs(offset);
        }
    }
    return true;
}

void ds_playback_session_seek_segment(ds_playback_session *s, int direction) {
    uint32_t segment_frames = ds_media_segment_frames(s->media);
    int64_t segment = (int64_t)(ds_playback_clock_frame(&s->clock) / segment_frames) + direction;
    int64_t segments = (int64_t)ds_media_segment_count(s->media);
    if (s->clock.loop) {
        segment = ((segment % segments) + segments) % segments;
    }
    ds_playback_clock_seek(&s->clock, segment * (int64_t)segment_frames);
}

void ds_player_notify(ds_player_notice notice, void *context, const char *format, ...) {
    if (!notice) {
        return;
    }
    char message[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    notice(context, message);
}

void ds_playback_session_report_errors(ds_playback_session *s, ds_player_notice notice,
                                       void *context) {
    char message[DS_STATUS_MESSAGE_SIZE + 64];
    while (ds_frame_pipeline_take_error(s->pipeline, message, sizeof message)) {
        ds_player_notify(notice, context, "%s: %s", ds_media_name(s->media), message);
    }
}

uint32_t ds_playback_session_shown_frame(const ds_playback_session *s) {
    return s->have_shown ? ds_frame_pipeline_frame_of(s->pipeline, s->shown_position) : 0;
}

void ds_playback_session_fill_report(ds_playback_session *s, ds_player_report *r) {
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
}
