#include "playback_clock.h"

#include <math.h>

void ds_playback_clock_init(ds_playback_clock *c, double fps, uint32_t frame_count, bool loop) {
    *c = (ds_playback_clock){.fps = fps > 0 ? fps : 30.0,
                             .frame_count = frame_count ? frame_count : 1,
                             .loop = loop,
                             .speed = 1.0,
                             .jumped = true};
}

static double last_frame(const ds_playback_clock *c) {
    return (double)(c->frame_count - 1);
}

void ds_playback_clock_advance(ds_playback_clock *c, double now) {
    if (c->started && !c->paused) {
        double elapsed = now - c->last_time;
        if (elapsed > 0) {
            c->position += elapsed * c->fps * c->speed;
        }
        if (!c->loop && c->position > last_frame(c)) {
            c->position = last_frame(c);
        }
    }
    c->last_time = now;
    c->started = true;
}

uint64_t ds_playback_clock_position(const ds_playback_clock *c) {
    /* A tiny epsilon: a position reached by adding exact frame durations is that frame. */
    return (uint64_t)floor(c->position + 1e-9);
}

uint32_t ds_playback_clock_frame(const ds_playback_clock *c) {
    return (uint32_t)(ds_playback_clock_position(c) % c->frame_count);
}

void ds_playback_clock_toggle_pause(ds_playback_clock *c) {
    c->paused = !c->paused;
    if (!c->paused && !c->loop && ds_playback_clock_at_end(c)) {
        /* Play at the end of a non-looping stream starts it over. */
        ds_playback_clock_seek(c, 0);
    }
}

void ds_playback_clock_seek(ds_playback_clock *c, int64_t frame) {
    if (frame < 0) {
        frame = 0;
    }
    if (frame > (int64_t)c->frame_count - 1) {
        frame = (int64_t)c->frame_count - 1;
    }
    c->position = (double)frame;
    c->jumped = true;
}

void ds_playback_clock_seek_by(ds_playback_clock *c, int64_t frames) {
    int64_t target = (int64_t)ds_playback_clock_frame(c) + frames;
    if (c->loop) {
        int64_t n = (int64_t)c->frame_count;
        target = ((target % n) + n) % n;
    }
    ds_playback_clock_seek(c, target);
}

void ds_playback_clock_step(ds_playback_clock *c, int direction) {
    c->paused = true;
    ds_playback_clock_seek_by(c, direction >= 0 ? 1 : -1);
}

void ds_playback_clock_change_speed(ds_playback_clock *c, int direction) {
    double speed = direction > 0 ? c->speed * 2.0 : c->speed / 2.0;
    if (speed >= 1.0 / 8.0 && speed <= 8.0) {
        c->speed = speed;
    }
}

void ds_playback_clock_set_loop(ds_playback_clock *c, bool loop) {
    if (loop == c->loop) {
        return;
    }
    /* The unwrapped timeline's loop count means nothing without looping: keep the frame and its
     * fraction. */
    c->position = fmod(c->position, (double)c->frame_count);
    c->loop = loop;
    c->jumped = true; /* the decoder's end changes */
}

void ds_playback_clock_next_frame(ds_playback_clock *c) {
    double next = floor(c->position + 1e-9) + 1.0;
    if (!c->loop && next > last_frame(c)) {
        next = last_frame(c);
    }
    c->position = next;
}

bool ds_playback_clock_take_jump(ds_playback_clock *c) {
    bool jumped = c->jumped;
    c->jumped = false;
    return jumped;
}

bool ds_playback_clock_at_end(const ds_playback_clock *c) {
    return !c->loop && c->position >= last_frame(c);
}
