#define _POSIX_C_SOURCE 200809L
#include "audio_mixer.h"

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Segments' sound kept: the playhead's, the ones decoded ahead, one being replaced. */
enum { KEPT_SPANS = 6, TEMPO_CHUNK = 512 };

#define TEMPO_MIN 0.5
#define TEMPO_MAX 2.0

/* libavfilter's atempo between the kept sound and the device, for one speed. */
typedef struct tempo {
    double speed;
    AVFilterGraph *graph;
    AVFilterContext *source, *sink;
    AVAudioFifo *out; /* tempo-changed samples not yet played */
    AVFrame *frame;
    double feed; /* the unwrapped sample the next input chunk starts at */
    double origin;
    uint64_t delivered; /* samples given to the device since `origin` */
} tempo;

struct ds_audio_mixer {
    pthread_mutex_t lock;
    uint32_t rate, frame_count;
    double samples_per_frame, total; /* samples in one run of the stream */
    ds_audio_pcm spans[KEPT_SPANS];
    uint64_t added[KEPT_SPANS], additions;
    double position; /* the playhead, in samples on the unwrapped timeline */
    double floor;    /* the clock never reads before it: the last seek's position, then the latest
                        reading (what was heard stays heard, e.g. the silence queued before a
                        pause ended) */
    bool held, loop, muted, starved;
    double speed;
    float volume;
    double rendered_at; /* when a render last moved the playhead */
    bool rendered;      /* one has since the last seek */
    tempo tempo;
};

ds_status ds_audio_mixer_create(uint32_t rate, double fps, uint32_t frame_count,
                                ds_audio_mixer **out) {
    *out = NULL;
    if (rate == 0 || !(fps > 0) || frame_count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "invalid sound settings");
    }
    ds_audio_mixer *m = calloc(1, sizeof *m);
    if (!m) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the sound mixer");
    }
    pthread_mutex_init(&m->lock, NULL);
    m->rate = rate;
    m->frame_count = frame_count;
    m->samples_per_frame = rate / fps;
    m->total = m->samples_per_frame * frame_count;
    m->held = true;
    m->loop = true;
    m->speed = 1.0;
    m->volume = 1.0f;
    *out = m;
    return ds_ok();
}

static void tempo_free(tempo *t) {
    avfilter_graph_free(&t->graph);
    if (t->out) {
        av_audio_fifo_free(t->out);
    }
    av_frame_free(&t->frame);
    memset(t, 0, sizeof *t);
}

void ds_audio_mixer_free(ds_audio_mixer *m) {
    if (!m) {
        return;
    }
    for (int i = 0; i < KEPT_SPANS; i++) {
        ds_audio_pcm_free(&m->spans[i]);
    }
    tempo_free(&m->tempo);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

uint32_t ds_audio_mixer_sample_rate(const ds_audio_mixer *m) {
    return m->rate;
}

/* The span holding stream sample s, or NULL. */
static const ds_audio_pcm *span_at(const ds_audio_mixer *m, int64_t s) {
    for (int i = 0; i < KEPT_SPANS; i++) {
        const ds_audio_pcm *p = &m->spans[i];
        if (p->samples && s >= p->start && s < p->start + p->length) {
            return p;
        }
    }
    return NULL;
}

/* The stream sample an unwrapped position plays, or -1 past the end of a non-looping run. */
static int64_t stream_sample(const ds_audio_mixer *m, double u) {
    if (u >= m->total) {
        if (!m->loop) {
            return -1;
        }
        u = fmod(u, m->total);
    }
    return (int64_t)floor(u);
}

void ds_audio_mixer_add(ds_audio_mixer *m, ds_audio_pcm *pcm) {
    pthread_mutex_lock(&m->lock);
    int chosen = -1;
    for (int i = 0; i < KEPT_SPANS && chosen < 0; i++) {
        if (m->spans[i].samples && m->spans[i].start == pcm->start) {
            chosen = i;
        }
    }
    /* Otherwise an empty place, or the oldest stretch the playhead is not in. */
    int64_t playing = stream_sample(m, m->position);
    for (int i = 0; i < KEPT_SPANS && chosen < 0; i++) {
        if (!m->spans[i].samples) {
            chosen = i;
        }
    }
    for (int i = 0; i < KEPT_SPANS && chosen < 0; i++) {
        const ds_audio_pcm *p = &m->spans[i];
        bool current = playing >= p->start && playing < p->start + p->length;
        if (!current && (chosen < 0 || m->added[i] < m->added[chosen])) {
            chosen = i;
        }
    }
    if (chosen < 0) {
        chosen = 0;
    }
    ds_audio_pcm_free(&m->spans[chosen]);
    m->spans[chosen] = *pcm;
    m->added[chosen] = ++m->additions;
    *pcm = (ds_audio_pcm){0};
    pthread_mutex_unlock(&m->lock);
}

void ds_audio_mixer_seek(ds_audio_mixer *m, double frames) {
    pthread_mutex_lock(&m->lock);
    m->position = m->floor = frames * m->samples_per_frame;
    m->starved = false;
    m->rendered = false;
    tempo_free(&m->tempo);
    pthread_mutex_unlock(&m->lock);
}

void ds_audio_mixer_hold(ds_audio_mixer *m, bool held) {
    pthread_mutex_lock(&m->lock);
    if (held != m->held) {
        m->held = held;
        tempo_free(&m->tempo);
    }
    pthread_mutex_unlock(&m->lock);
}

void ds_audio_mixer_set_speed(ds_audio_mixer *m, double speed) {
    pthread_mutex_lock(&m->lock);
    if (speed > 0 && speed != m->speed) {
        m->speed = speed;
        tempo_free(&m->tempo);
    }
    pthread_mutex_unlock(&m->lock);
}

void ds_audio_mixer_set_loop(ds_audio_mixer *m, bool loop) {
    pthread_mutex_lock(&m->lock);
    m->loop = loop;
    pthread_mutex_unlock(&m->lock);
}

void ds_audio_mixer_set_volume(ds_audio_mixer *m, float volume, bool muted) {
    pthread_mutex_lock(&m->lock);
    m->volume = volume < 0 ? 0 : volume > 1 ? 1 : volume;
    m->muted = muted;
    pthread_mutex_unlock(&m->lock);
}

/* Copies up to `count` samples from the playhead at speed 1; returns how many were there. A
 * missing stretch stops it (starved); so does the end of a non-looping run (not starved). */
static uint32_t copy_samples(ds_audio_mixer *m, double *position, float *out, uint32_t count,
                             float gain) {
    uint32_t done = 0;
    while (done < count) {
        int64_t s = stream_sample(m, *position);
        if (s < 0) {
            break;
        }
        const ds_audio_pcm *p = span_at(m, s);
        if (!p) {
            m->starved = true;
            break;
        }
        /* As many as this stretch holds, and not across the loop point. */
        uint64_t left = (uint64_t)(p->start + p->length - s);
        double to_end = m->total - fmod(*position, m->total);
        if (to_end < (double)left) {
            left = (uint64_t)ceil(to_end);
        }
        uint32_t run = count - done < left ? count - done : (uint32_t)left;
        if (run == 0) {
            run = 1;
        }
        const float *from = p->samples + 2 * (s - p->start);
        for (uint32_t i = 0; i < 2 * run; i++) {
            out[2 * done + i] = from[i] * gain;
        }
        done += run;
        *position += run;
    }
    return done;
}

static bool tempo_open(ds_audio_mixer *m) {
    tempo *t = &m->tempo;
    t->speed = m->speed;
    t->graph = avfilter_graph_alloc();
    t->out = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLT, 2, 4096);
    t->frame = av_frame_alloc();
    if (!t->graph || !t->out || !t->frame) {
        return false;
    }
    char arguments[160];
    snprintf(arguments, sizeof arguments,
             "time_base=1/%u:sample_rate=%u:sample_fmt=flt:channel_layout=stereo", m->rate,
             m->rate);
    char speed[32];
    snprintf(speed, sizeof speed, "tempo=%.6f", m->speed);
    AVFilterContext *stretch = NULL;
    static const enum AVSampleFormat formats[] = {AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_NONE};
    if (avfilter_graph_create_filter(&t->source, avfilter_get_by_name("abuffer"), "in", arguments,
                                     NULL, t->graph) < 0 ||
        avfilter_graph_create_filter(&stretch, avfilter_get_by_name("atempo"), "tempo", speed, NULL,
                                     t->graph) < 0 ||
        avfilter_graph_create_filter(&t->sink, avfilter_get_by_name("abuffersink"), "out", NULL,
                                     NULL, t->graph) < 0 ||
        av_opt_set_int_list(t->sink, "sample_fmts", formats, AV_SAMPLE_FMT_NONE,
                            AV_OPT_SEARCH_CHILDREN) < 0 ||
        avfilter_link(t->source, 0, stretch, 0) < 0 || avfilter_link(stretch, 0, t->sink, 0) < 0 ||
        avfilter_graph_config(t->graph, NULL) < 0) {
        return false;
    }
    t->feed = t->origin = m->position;
    t->delivered = 0;
    return true;
}

/* Feeds one chunk of kept sound into atempo and collects what comes out; false when the sound
 * at the feed position is missing (or past the end). */
static bool tempo_feed(ds_audio_mixer *m) {
    tempo *t = &m->tempo;
    float chunk[2 * TEMPO_CHUNK];
    uint32_t got = copy_samples(m, &t->feed, chunk, TEMPO_CHUNK, 1.0f);
    if (got == 0) {
        return false;
    }
    AVFrame *in = av_frame_alloc();
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    bool ok = in != NULL;
    if (ok) {
        in->nb_samples = (int)got;
        in->format = AV_SAMPLE_FMT_FLT;
        in->sample_rate = (int)m->rate;
        ok =
            av_channel_layout_copy(&in->ch_layout, &stereo) >= 0 && av_frame_get_buffer(in, 0) >= 0;
    }
    if (ok) {
        memcpy(in->data[0], chunk, (size_t)got * 2 * sizeof(float));
        ok = av_buffersrc_add_frame(t->source, in) >= 0;
    }
    av_frame_free(&in);
    while (ok && av_buffersink_get_frame(t->sink, t->frame) >= 0) {
        ok = av_audio_fifo_write(t->out, (void **)t->frame->data, t->frame->nb_samples) >=
             t->frame->nb_samples;
        av_frame_unref(t->frame);
    }
    return ok;
}

/* Speed within atempo's range: the kept sound, tempo-changed at the same pitch. The playhead is
 * where the delivered samples came from: origin + delivered x speed. */
static void render_tempo(ds_audio_mixer *m, float *out, uint32_t count, float gain) {
    tempo *t = &m->tempo;
    if (!t->graph && !tempo_open(m)) {
        tempo_free(t);
        memset(out, 0, (size_t)count * 2 * sizeof(float));
        return;
    }
    while (av_audio_fifo_size(t->out) < (int)count && tempo_feed(m)) {
    }
    int ready = av_audio_fifo_size(t->out);
    uint32_t given = ready < (int)count ? (uint32_t)ready : count;
    void *planes[1] = {out};
    av_audio_fifo_read(t->out, planes, (int)given);
    for (uint32_t i = 0; i < 2 * given; i++) {
        out[i] *= gain;
    }
    memset(out + 2 * given, 0, (size_t)(count - given) * 2 * sizeof(float));
    t->delivered += given;
    m->position = t->origin + (double)t->delivered * t->speed;
}

/* Faster or slower than atempo takes: silence, the playhead moving at the speed while the
 * sound for it is there. */
static void render_muted(ds_audio_mixer *m, float *out, uint32_t count) {
    memset(out, 0, (size_t)count * 2 * sizeof(float));
    double step = count * m->speed;
    int64_t s = stream_sample(m, m->position);
    if (s < 0) {
        return;
    }
    if (!span_at(m, s)) {
        m->starved = true;
        return;
    }
    double end = m->position + step;
    m->position = !m->loop && end > m->total ? m->total : end;
}

uint32_t ds_audio_mixer_render(ds_audio_mixer *m, float *out, uint32_t count, double now) {
    pthread_mutex_lock(&m->lock);
    m->starved = false;
    double before = m->position;
    float gain = m->muted ? 0.0f : m->volume;
    uint32_t played = count;
    if (m->held) {
        memset(out, 0, (size_t)count * 2 * sizeof(float));
        played = 0;
    } else if (m->speed == 1.0) {
        played = copy_samples(m, &m->position, out, count, gain);
        memset(out + 2 * played, 0, (size_t)(count - played) * 2 * sizeof(float));
    } else if (m->speed >= TEMPO_MIN && m->speed <= TEMPO_MAX) {
        render_tempo(m, out, count, gain);
    } else {
        render_muted(m, out, count);
    }
    if (m->position != before) {
        m->rendered_at = now;
        m->rendered = true;
    }
    pthread_mutex_unlock(&m->lock);
    return played;
}

double ds_audio_mixer_clock(ds_audio_mixer *m, double now, double latency) {
    pthread_mutex_lock(&m->lock);
    double heard = m->position;
    if (m->rendered) {
        /* The device still has `latency` of sound queued when a render returns; the listener
         * catches up with the playhead as it plays (and stays there once it has, if nothing more
         * was rendered: paused, starved, at the end). */
        double behind = latency - (now - m->rendered_at);
        if (behind > 0) {
            heard -= behind * m->rate * m->speed;
        }
    }
    if (heard < m->floor) {
        heard = m->floor;
    }
    if (!m->loop && heard > m->total) {
        heard = m->total;
    }
    m->floor = heard;
    double frames = heard / m->samples_per_frame;
    pthread_mutex_unlock(&m->lock);
    return frames;
}

bool ds_audio_mixer_starved(ds_audio_mixer *m) {
    pthread_mutex_lock(&m->lock);
    bool starved = m->starved;
    pthread_mutex_unlock(&m->lock);
    return starved;
}
