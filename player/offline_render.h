/* Rendering a stream (or a static splat) through time along a camera path, without a window:
 * to a video file (player/video_writer.h) or a numbered PNG sequence. Decoding runs ahead on the
 * pipeline's threads while the GPU renders. Needs a current GL 4.5 context (a hidden window or
 * a headless one, player/gl_context.h).
 *
 * A video of a stream with sound carries the sound that plays with the frames rendered: output
 * time t sounds what the stream sounds at its own time first_frame / fps + t, starting over with
 * the picture when it loops and silent while a last frame holds. */
#ifndef DS_PLAYER_OFFLINE_RENDER_H
#define DS_PLAYER_OFFLINE_RENDER_H

#include "media.h"
#include "render/camera_path.h"

#include <stdbool.h>

typedef struct ds_offline_render_options {
    /* A video (.mp4, .mkv, .mov) or a PNG pattern with one printf integer ("out/%04d.png"). */
    const char *output;
    int width, height;
    const ds_camera_path *path; /* evaluated at the output time in seconds, or */
    const ds_camera *camera;    /* one camera throughout (when path is NULL) */
    double fps;                 /* output frame rate; 0: the stream's */
    double duration;            /* seconds; 0: the stream's (a static splat: the path's, or 4) */
    uint32_t first_frame;       /* of the stream, at output time 0 */
    bool loop;                  /* past the stream's end, start it over (else hold the last) */
    bool silent;                /* leave a stream's sound out of the video */
    float background[3];
    const char *codec; /* video encoder (NULL: H.264 if present) */
    int quality;       /* video CRF-like quality, 0: default */
    /* Called after each frame; returning false stops (the partial output is removed). */
    bool (*progress)(void *context, uint64_t done, uint64_t total);
    /* Told about each damaged part of the stream that was skipped (the last good frame holds;
     * lost sound is silence). */
    void (*warning)(void *context, const char *message);
    void *context;
} ds_offline_render_options;

typedef struct ds_offline_render_report {
    uint64_t frames;
    uint64_t skipped;                       /* stream frames lost to damage */
    char codec[32];                         /* the video encoder used; empty for PNG */
    bool sound;                             /* the video has the stream's sound (AAC) */
    double seconds;                         /* wall time */
    double decode_ms, upload_ms;            /* per frame, averaged by the pipeline */
    double preprocess_ms, sort_ms, draw_ms; /* GPU, last frame measured */
} ds_offline_render_report;

/* Whether `output` names a PNG sequence (a pattern) rather than a video. */
bool ds_offline_output_is_png_sequence(const char *output);

/* The media is not read after this returns (ds_media_interrupt): free it. */
ds_status ds_offline_render(ds_media *media, const ds_offline_render_options *options,
                            ds_offline_render_report *report);

#endif
