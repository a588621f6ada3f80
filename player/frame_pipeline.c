#define _POSIX_C_SOURCE 200809L
#include "frame_pipeline.h"
#include "monotonic_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Segments kept decoded: the current one, the next, and one being replaced. */
enum { SEGMENT_CACHE = 3 };
/* Segments whose prefetch is remembered (the first ones of a stream; later ones are not
 * prefetched, only decoded as needed). */
enum { PREFETCH_SEGMENTS = 4096 };

typedef enum { SLOT_FREE, SLOT_DECODING, SLOT_READY, SLOT_HELD } slot_state;

typedef struct slot {
    slot_state state;
    uint64_t position, generation;
    ds_gl_frame_info info;
} slot;

typedef enum { SEGMENT_EMPTY, SEGMENT_LOADING, SEGMENT_READY, SEGMENT_FAILED } segment_state;

typedef struct cached_segment {
    segment_state state;
    uint32_t index;
    int users; /* frame decodes reading it */
    ds_dsv_segment segment;
} cached_segment;

struct ds_frame_pipeline {
    ds_media *media;
    const ds_gl_frame_layout *layout;
    float **memory; /* per slot, copied from the caller's */
    int slot_count;
    uint32_t frame_count, segment_frames;
    bool stream;

    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t frame_thread, segment_thread;
    bool threads_started, quit;

    slot *slots;
    cached_segment cache[SEGMENT_CACHE];
    uint64_t generation;    /* bumped by every seek */
    uint64_t next_position; /* the next position to decode */
    uint64_t playhead;      /* the clock's position: decoding anything before it is wasted */
    bool loop;
    bool aimed;      /* nothing is decoded before the first seek says where to start */
    bool starved;    /* the frame thread waits for its segment to arrive */
    ds_status fatal; /* a failure of the source itself, when fatal_set */
    bool fatal_set;
    uint64_t prefetched[PREFETCH_SEGMENTS / 64]; /* bit per segment: its bytes were fetched */
    uint32_t prefetch_segments; /* fetched ahead of the decoded ones (network sources) */

    ds_media_decoder *decoder; /* the frame thread's */
    ds_frame_pipeline_sound_sink sound;
    void *sound_context;
    ds_frame_pipeline_stats stats;
    char error[DS_STATUS_MESSAGE_SIZE + 128];
    bool has_error;
};

uint32_t ds_frame_pipeline_frame_of(const ds_frame_pipeline *p, uint64_t t) {
    return (uint32_t)(t % p->frame_count);
}

/* Whether position t is still to be played (not past the end of a non-looping run). */
static bool position_playable(const ds_frame_pipeline *p, uint64_t t) {
    return p->loop || t < p->frame_count;
}

static cached_segment *find_segment(ds_frame_pipeline *p, uint32_t index) {
    for (int i = 0; i < SEGMENT_CACHE; i++) {
        if (p->cache[i].state != SEGMENT_EMPTY && p->cache[i].index == index) {
            return &p->cache[i];
        }
    }
    return NULL;
}

/* An exponential average: the overlay shows the recent cost. */
static void average_in(double *average, double sample, uint64_t count) {
    *average = count <= 1 ? sample : 0.9 * *average + 0.1 * sample;
}

/* The segments the frame thread needs next: the playhead's and the one after it. */
static int wanted_segments(const ds_frame_pipeline *p, uint32_t wanted[2]) {
    int count = 0;
    uint64_t t = p->next_position;
    for (int k = 0; k < 2 && p->aimed && p->stream && position_playable(p, t); k++) {
        uint32_t frame = ds_frame_pipeline_frame_of(p, t);
        wanted[count++] = frame / p->segment_frames;
        t += p->segment_frames - frame % p->segment_frames;
    }
    return count;
}

/* With the segments to decode at hand, fetches the bytes of the ones after them (up to
 * prefetch_segments) so that a slow network has a buffer to play from. Called and returns with
 * the lock held; returns whether it fetched anything. */
static bool prefetch_next(ds_frame_pipeline *p) {
    if (p->prefetch_segments == 0 || !p->aimed) {
        return false;
    }
    uint64_t t = p->next_position;
    uint32_t frame = ds_frame_pipeline_frame_of(p, t);
    uint32_t first = frame / p->segment_frames;
    uint32_t segments = ds_media_segment_count(p->media);
    for (uint32_t k = 2; k < 2 + p->prefetch_segments; k++) {
        uint32_t s = first + k;
        if (s >= segments) {
            if (!p->loop) {
                return false;
            }
            s %= segments;
        }
        if (s >= PREFETCH_SEGMENTS || (p->prefetched[s / 64] >> (s % 64) & 1)) {
            continue;
        }
        /* Marked whatever happens: a segment that cannot be fetched is reported when it is
         * decoded, not fetched again and again here. */
        p->prefetched[s / 64] |= 1ull << (s % 64);
        pthread_mutex_unlock(&p->lock);
        ds_media_prefetch_segment(p->media, s);
        pthread_mutex_lock(&p->lock);
        return true; /* one at a time: the playhead may have moved meanwhile */
    }
    return false;
}

static void *segment_thread_main(void *argument) {
    ds_frame_pipeline *p = argument;
    pthread_mutex_lock(&p->lock);
    while (!p->quit) {
        uint32_t wanted[2];
        int count = wanted_segments(p, wanted);
        int missing = -1;
        for (int k = 0; k < count && missing < 0; k++) {
            if (!find_segment(p, wanted[k])) {
                missing = k;
            }
        }
        if (missing < 0 && prefetch_next(p)) {
            continue;
        }
        cached_segment *entry = NULL;
        for (int i = 0; missing >= 0 && i < SEGMENT_CACHE && !entry; i++) {
            cached_segment *c = &p->cache[i];
            bool is_wanted = false;
            for (int k = 0; k < count; k++) {
                is_wanted |= c->state != SEGMENT_EMPTY && c->index == wanted[k];
            }
            if (c->state == SEGMENT_EMPTY ||
                (!is_wanted && c->users == 0 && c->state != SEGMENT_LOADING)) {
                entry = c;
            }
        }
        if (!entry) {
            pthread_cond_wait(&p->changed, &p->lock);
            continue;
        }
        if (entry->state == SEGMENT_READY) {
            ds_dsv_segment_free(&entry->segment);
        }
        uint32_t index = wanted[missing];
        *entry = (cached_segment){.state = SEGMENT_LOADING, .index = index};
        pthread_mutex_unlock(&p->lock);

        double start = ds_monotonic_seconds() * 1e3;
        ds_dsv_segment segment;
        ds_status status = ds_media_read_segment(p->media, index, &segment);
        double elapsed = ds_monotonic_seconds() * 1e3 - start;
        char sound_problem[sizeof segment.audio_problem + 64] = "";
        if (p->sound && status.code != DS_ERR_INTERRUPTED) {
            /* Silence for a damaged segment: the sound's clock must not wait for it. */
            ds_audio_pcm pcm;
            ds_status sound =
                ds_media_segment_sound(p->media, index, ds_failed(&status) ? NULL : &segment, &pcm,
                                       sound_problem, sizeof sound_problem);
            if (!ds_failed(&sound)) {
                p->sound(p->sound_context, index, &pcm);
                ds_audio_pcm_free(&pcm);
            }
        }

        pthread_mutex_lock(&p->lock);
        if (sound_problem[0]) {
            snprintf(p->error, sizeof p->error, "%s", sound_problem);
            p->has_error = true;
        }
        if (ds_failed(&status) && status.code != DS_ERR_FORMAT &&
            status.code != DS_ERR_INTERRUPTED && !p->fatal_set) {
            /* Not damage but the source failing (the network gave up, the file changed on the
             * server): the segments after it would fail alike, so playback stops. */
            p->fatal = status;
            p->fatal_set = true;
        }
        if (ds_failed(&status)) {
            entry->state = SEGMENT_FAILED;
            if (status.code == DS_ERR_FORMAT) {
                /* Damage. The reader's message names the segment and its frames. */
                snprintf(p->error, sizeof p->error, "%s; its frames are skipped", status.message);
                p->has_error = true;
            }
        } else {
            entry->segment = segment;
            entry->state = SEGMENT_READY;
            if (index < PREFETCH_SEGMENTS) {
                /* Played now: fetched ahead again when it comes round next (a loop). */
                p->prefetched[index / 64] &= ~(1ull << (index % 64));
            }
            p->stats.segments++;
            average_in(&p->stats.segment_decode_ms, elapsed, p->stats.segments);
        }
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static slot *free_slot(ds_frame_pipeline *p) {
    for (int i = 0; i < p->slot_count; i++) {
        if (p->slots[i].state == SLOT_FREE) {
            return &p->slots[i];
        }
    }
    return NULL;
}

static void *frame_thread_main(void *argument) {
    ds_frame_pipeline *p = argument;
    pthread_mutex_lock(&p->lock);
    while (!p->quit) {
        if (p->next_position < p->playhead && position_playable(p, p->playhead)) {
            /* Behind the clock: what lies before it would only be dropped. */
            p->stats.dropped += p->playhead - p->next_position;
            p->next_position = p->playhead;
        }
        uint64_t t = p->next_position;
        slot *s = p->aimed && position_playable(p, t) ? free_slot(p) : NULL;
        if (!s) {
            pthread_cond_wait(&p->changed, &p->lock);
            continue;
        }
        uint32_t frame = ds_frame_pipeline_frame_of(p, t);
        cached_segment *segment = NULL;
        if (p->stream) {
            segment = find_segment(p, frame / p->segment_frames);
            p->starved = !segment || segment->state == SEGMENT_LOADING;
            if (p->starved) {
                pthread_cond_broadcast(&p->changed); /* wake the segment thread */
                pthread_cond_wait(&p->changed, &p->lock);
                continue;
            }
            if (segment->state == SEGMENT_FAILED) {
                /* Skip the damaged segment's frames; the error was reported once. */
                p->next_position = t + (p->segment_frames - frame % p->segment_frames);
                p->stats.failed++;
                pthread_cond_broadcast(&p->changed);
                continue;
            }
            segment->users++;
        }
        uint64_t generation = p->generation;
        *s = (slot){.state = SLOT_DECODING, .position = t, .generation = generation};
        p->next_position = t + 1;
        pthread_cond_broadcast(&p->changed); /* the segment thread may look ahead now */
        pthread_mutex_unlock(&p->lock);

        int index = (int)(s - p->slots);
        ds_media_frame_timing timing;
        ds_status status =
            ds_media_decode_frame(p->decoder, segment ? &segment->segment : NULL, frame, p->layout,
                                  p->memory[index], &s->info, &timing);

        pthread_mutex_lock(&p->lock);
        if (segment) {
            segment->users--;
        }
        if (ds_failed(&status)) {
            snprintf(p->error, sizeof p->error, "frame %u skipped: %s", frame, status.message);
            p->has_error = true;
            p->stats.failed++;
            s->state = SLOT_FREE;
        } else if (generation != p->generation) {
            s->state = SLOT_FREE; /* a seek happened meanwhile */
        } else {
            s->state = SLOT_READY;
            p->stats.decoded++;
            average_in(&p->stats.frame_decode_ms, timing.decode_ms, p->stats.decoded);
            average_in(&p->stats.upload_ms, timing.upload_ms, p->stats.decoded);
        }
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ds_status ds_frame_pipeline_create(ds_media *media, const ds_gl_frame_layout *layout,
                                   float *const *memory, int slot_count, ds_frame_pipeline **out) {
    *out = NULL;
    if (slot_count < 2) {
        return ds_error(DS_ERR_ARGUMENT, "the pipeline needs at least 2 slots, not %d", slot_count);
    }
    ds_frame_pipeline *p = calloc(1, sizeof *p);
    if (!p || !(p->slots = calloc((size_t)slot_count, sizeof *p->slots)) ||
        !(p->memory = malloc((size_t)slot_count * sizeof *p->memory))) {
        if (p) {
            free(p->slots);
        }
        free(p);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the pipeline");
    }
    memcpy(p->memory, memory, (size_t)slot_count * sizeof *p->memory);
    p->media = media;
    p->layout = layout;
    p->slot_count = slot_count;
    p->frame_count = ds_media_frame_count(media);
    p->segment_frames = ds_media_segment_frames(media);
    p->stream = ds_media_stream(media) != NULL;
    p->loop = true;
    ds_status status = ds_media_decoder_create(media, &p->decoder);
    if (ds_failed(&status)) {
        free(p->memory);
        free(p->slots);
        free(p);
        return status;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    if (pthread_create(&p->frame_thread, NULL, frame_thread_main, p) != 0) {
        ds_frame_pipeline_free(p);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start the decode thread");
    }
    if (pthread_create(&p->segment_thread, NULL, segment_thread_main, p) != 0) {
        pthread_mutex_lock(&p->lock);
        p->quit = true;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->frame_thread, NULL);
        ds_frame_pipeline_free(p);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start the segment thread");
    }
    p->threads_started = true;
    *out = p;
    return ds_ok();
}

void ds_frame_pipeline_free(ds_frame_pipeline *p) {
    if (!p) {
        return;
    }
    if (p->threads_started) {
        pthread_mutex_lock(&p->lock);
        p->quit = true;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->frame_thread, NULL);
        pthread_join(p->segment_thread, NULL);
    }
    for (int i = 0; i < SEGMENT_CACHE; i++) {
        if (p->cache[i].state == SEGMENT_READY) {
            ds_dsv_segment_free(&p->cache[i].segment);
        }
    }
    ds_media_decoder_free(p->decoder);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p->memory);
    free(p->slots);
    free(p);
}

void ds_frame_pipeline_seek(ds_frame_pipeline *p, uint64_t t, bool loop) {
    pthread_mutex_lock(&p->lock);
    p->generation++;
    p->next_position = p->playhead = t;
    /* What lies ahead of the new position is fetched ahead afresh: what was fetched before the
     * seek may have left the source's cache. */
    memset(p->prefetched, 0, sizeof p->prefetched);
    p->loop = loop;
    p->aimed = true;
    for (int i = 0; i < p->slot_count; i++) {
        if (p->slots[i].state == SLOT_READY) {
            p->slots[i].state = SLOT_FREE;
        }
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

/* Whether position t can still become ready: it is being decoded or not yet reached. */
static bool position_pending(const ds_frame_pipeline *p, uint64_t t) {
    if (!position_playable(p, t)) {
        return false;
    }
    if (p->next_position <= t) {
        return true;
    }
    for (int i = 0; i < p->slot_count; i++) {
        const slot *s = &p->slots[i];
        if (s->state == SLOT_DECODING && s->generation == p->generation && s->position == t) {
            return true;
        }
    }
    return false;
}

static slot *latest_ready(ds_frame_pipeline *p, uint64_t t) {
    slot *best = NULL;
    for (int i = 0; i < p->slot_count; i++) {
        slot *s = &p->slots[i];
        if (s->state == SLOT_READY && s->position <= t && (!best || s->position > best->position)) {
            best = s;
        }
    }
    return best;
}

bool ds_frame_pipeline_take(ds_frame_pipeline *p, uint64_t t, bool wait, int *index,
                            uint64_t *position, ds_gl_frame_info *info) {
    pthread_mutex_lock(&p->lock);
    slot *best = latest_ready(p, t);
    while (wait && !p->quit && (!best || best->position != t) && position_pending(p, t)) {
        /* Frames before t will not be shown: free their slots so the decoder can reach t. */
        for (int i = 0; i < p->slot_count; i++) {
            if (p->slots[i].state == SLOT_READY && p->slots[i].position < t) {
                p->slots[i].state = SLOT_FREE;
                p->stats.dropped++;
            }
        }
        pthread_cond_broadcast(&p->changed);
        pthread_cond_wait(&p->changed, &p->lock);
        best = latest_ready(p, t);
    }
    if (best) {
        for (int i = 0; i < p->slot_count; i++) {
            slot *s = &p->slots[i];
            if (s != best && s->state == SLOT_READY && s->position < best->position) {
                s->state = SLOT_FREE;
                p->stats.dropped++;
            }
        }
        best->state = SLOT_HELD;
        *index = (int)(best - p->slots);
        *position = best->position;
        *info = best->info;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return best != NULL;
}

void ds_frame_pipeline_release(ds_frame_pipeline *p, int index) {
    pthread_mutex_lock(&p->lock);
    if (index >= 0 && index < p->slot_count && p->slots[index].state == SLOT_HELD) {
        p->slots[index].state = SLOT_FREE;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
}

ds_frame_pipeline_stats ds_frame_pipeline_stats_get(ds_frame_pipeline *p) {
    pthread_mutex_lock(&p->lock);
    ds_frame_pipeline_stats stats = p->stats;
    pthread_mutex_unlock(&p->lock);
    return stats;
}

void ds_frame_pipeline_set_prefetch(ds_frame_pipeline *p, uint32_t segments) {
    pthread_mutex_lock(&p->lock);
    p->prefetch_segments = segments;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

void ds_frame_pipeline_set_playhead(ds_frame_pipeline *p, uint64_t t) {
    pthread_mutex_lock(&p->lock);
    if (t > p->playhead) {
        p->playhead = t;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
}

uint64_t ds_frame_pipeline_playhead(ds_frame_pipeline *p) {
    pthread_mutex_lock(&p->lock);
    uint64_t t = p->playhead;
    pthread_mutex_unlock(&p->lock);
    return t;
}

void ds_frame_pipeline_set_sound_sink(ds_frame_pipeline *p, ds_frame_pipeline_sound_sink sink,
                                      void *context) {
    pthread_mutex_lock(&p->lock);
    p->sound = sink;
    p->sound_context = context;
    pthread_mutex_unlock(&p->lock);
}

bool ds_frame_pipeline_failed(ds_frame_pipeline *p, ds_status *status) {
    pthread_mutex_lock(&p->lock);
    bool failed = p->fatal_set;
    if (failed) {
        *status = p->fatal;
    }
    pthread_mutex_unlock(&p->lock);
    return failed;
}

bool ds_frame_pipeline_starved(ds_frame_pipeline *p) {
    pthread_mutex_lock(&p->lock);
    bool starved = p->starved;
    pthread_mutex_unlock(&p->lock);
    return starved;
}

bool ds_frame_pipeline_take_error(ds_frame_pipeline *p, char *message, size_t size) {
    pthread_mutex_lock(&p->lock);
    bool has = p->has_error;
    if (has) {
        snprintf(message, size, "%s", p->error);
        p->has_error = false;
    }
    pthread_mutex_unlock(&p->lock);
    return has;
}
