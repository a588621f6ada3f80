/* Decoding ahead of the playhead on worker threads, into the renderer's ring of mapped slots:
 * one thread decodes the segments about to be needed (the expensive, per-segment work), another
 * decodes their frames into free slots in play order. The render thread only takes ready slots
 * and hands them back once the GPU is done with them; it never decodes.
 *
 * Positions are on an unwrapped timeline: position t shows frame t mod frame_count when looping,
 * so "the latest frame at or before t" means the same across the loop point. */
#ifndef DS_PLAYER_FRAME_PIPELINE_H
#define DS_PLAYER_FRAME_PIPELINE_H

#include "media.h"

#include "formats/audio_decoder.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_frame_pipeline ds_frame_pipeline;

/* `slots` are the renderer's slot memories (ds_gl_renderer_slot), all free (the array is
 * copied). Decoding starts at the first ds_frame_pipeline_seek. */
ds_status ds_frame_pipeline_create(ds_media *media, const ds_gl_frame_layout *layout,
                                   float *const *slots, int slot_count,
                                   ds_frame_pipeline **pipeline);
/* Stops and joins the threads. */
void ds_frame_pipeline_free(ds_frame_pipeline *pipeline);

/* Decode from position `t` on, in order (and on past the end when `loop`); frames decoded for
 * other positions are dropped. */
void ds_frame_pipeline_seek(ds_frame_pipeline *pipeline, uint64_t t, bool loop);

/* The frame shown at position t: the ready slot with the latest position <= t (older ready ones
 * are dropped, counted in `dropped`). With `wait`, blocks until position t itself is ready or is
 * known never to be (its segment is damaged), dropping the frames before t meanwhile; false then
 * means t will never come. The slot is held until ds_frame_pipeline_release. Returns false when
 * no such slot is ready. */
bool ds_frame_pipeline_take(ds_frame_pipeline *pipeline, uint64_t t, bool wait, int *slot,
                            uint64_t *position, ds_gl_frame_info *info);
/* The GPU has finished with a held slot: it may be decoded into again. */
void ds_frame_pipeline_release(ds_frame_pipeline *pipeline, int slot);

/* The frame shown at position t. */
uint32_t ds_frame_pipeline_frame_of(const ds_frame_pipeline *pipeline, uint64_t t);

typedef struct ds_frame_pipeline_stats {
    uint64_t decoded, dropped, failed, segments;
    /* Recent averages (exponential): per frame, decoding it from its segment and copying it
     * into mapped GPU memory; per segment, reading and decoding it. */
    double frame_decode_ms, upload_ms, segment_decode_ms;
} ds_frame_pipeline_stats;
ds_frame_pipeline_stats ds_frame_pipeline_stats_get(ds_frame_pipeline *pipeline);

/* Fetch the bytes of this many segments beyond the two being decoded, for a network source with
 * a buffer to play from while the link is slow (0, the default: none). */
void ds_frame_pipeline_set_prefetch(ds_frame_pipeline *pipeline, uint32_t segments);
/* Whether the source itself failed (not damage, which is skipped: the network gave up after its
 * retries, the file changed on the server); `status` then says how. Playback should stop. */
bool ds_frame_pipeline_failed(ds_frame_pipeline *pipeline, ds_status *status);
/* Whether decoding waits for a segment still on its way (the player shows "buffering"). */
bool ds_frame_pipeline_starved(ds_frame_pipeline *pipeline);

/* Where the clock is now (position on the timeline): frames the decoder has not reached by then
 * are late already, so it skips to the clock rather than fall ever further behind (the skipped
 * frames count as dropped). Scripted runs that show every frame never call this. */
void ds_frame_pipeline_set_playhead(ds_frame_pipeline *pipeline, uint64_t t);
/* The furthest the decoder was told to skip to since the last seek (or the seek's position). */
uint64_t ds_frame_pipeline_playhead(ds_frame_pipeline *pipeline);

/* Where each decoded segment's sound goes (formats/audio_decoder.h): the sink takes the samples
 * of the segment's stretch of time, silence for a segment whose sound or picture is damaged, so
 * the sound's clock never waits for what will not come. Set before the first seek. */
typedef void (*ds_frame_pipeline_sound_sink)(void *context, uint32_t segment, ds_audio_pcm *pcm);
void ds_frame_pipeline_set_sound_sink(ds_frame_pipeline *pipeline,
                                      ds_frame_pipeline_sound_sink sink, void *context);

/* The latest decode error not yet reported (a damaged segment: named, with its frames, and
 * skipped); returns false when there is none. */
bool ds_frame_pipeline_take_error(ds_frame_pipeline *pipeline, char *message, size_t size);

#endif
