/* What the player plays: a .dsv stream (many frames, skinned on the GPU) or a static splat
 * (.ply, .spz, .splat: one frame), behind one interface. Decoding a frame writes straight into
 * a renderer slot's memory (render/gl_frame_data.h). */
#ifndef DS_PLAYER_MEDIA_H
#define DS_PLAYER_MEDIA_H

#include "formats/audio_decoder.h"
#include "formats/dsv_reader.h"
#include "formats/gaussian_cloud.h"
#include "http_source.h"

#include "render/gl_renderer.h"

typedef struct ds_media ds_media;

/* Opens a stream (by its signature) or a splat file (by its extension), or a stream at an
 * http:// or https:// URL (player/http_source.h). */
ds_status ds_media_open(const char *path, ds_media **media);
/* What opening may be told: HTTP settings for a URL (NULL: the defaults), and the rendition to
 * keep to when the path is a renditions manifest (NULL: adapt to the throughput). */
typedef struct ds_media_options {
    const ds_http_options *http;
    const char *rendition;
} ds_media_options;

/* The same, with options (NULL: the defaults). A path ending in .json is a renditions manifest
 * (player/renditions.h). */
ds_status ds_media_open_with(const char *path, const ds_media_options *options, ds_media **media);

/* What the media has downloaded so far (all its renditions); false for local media. */
bool ds_media_network_stats(ds_media *media, ds_http_stats *stats);

/* The renditions being adapted over, or NULL for a single stream or a splat. */
struct ds_renditions *ds_media_renditions(ds_media *media);

/* Whether `path` is a stream: a URL (only streams are played from servers) or a file with the
 * .dsv signature. */
bool ds_media_is_stream(const char *path);
/* Opens a stream from a file or a URL (`http` NULL: the default HTTP settings). */
ds_status ds_media_open_stream(const char *path, ds_dsv **dsv);
ds_status ds_media_open_stream_with(const char *path, const ds_http_options *http, ds_dsv **dsv);
void ds_media_free(ds_media *media);

const char *ds_media_name(const ds_media *media);
uint32_t ds_media_frame_count(const ds_media *media);
double ds_media_fps(const ds_media *media);
/* Frames per segment (random access unit); 1 for a static splat. */
uint32_t ds_media_segment_frames(const ds_media *media);
uint32_t ds_media_segment_count(const ds_media *media);
/* The scene to create the renderer with (valid while the media is open). */
ds_gl_scene ds_media_scene(const ds_media *media);
/* Which way is up in the media's world (a stream's stored axis; -y otherwise). */
void ds_media_up(const ds_media *media, double up[3]);
/* The stream, or NULL for a static splat. */
ds_dsv *ds_media_stream(ds_media *media);

/* Frame `frame` as a cloud on the CPU (the stream's frames are skinned): for framing the camera
 * and for reference renders. Free with ds_gaussian_cloud_free. */
ds_status ds_media_frame_cloud(ds_media *media, uint32_t frame, ds_gaussian_cloud **cloud);

/* Stops reading the media's source for good: a download in progress (over HTTP) fails at once.
 * Call before freeing a pipeline that reads it, so that closing never waits for the network. */
void ds_media_interrupt(ds_media *media);

/* Where the whole performance happens: Gaussians of up to 16 frames spread over the stream
 * (about 200,000 in all), for framing a camera on the space the subject moves through rather
 * than on its first pose. A static splat gives itself. Free with ds_gaussian_cloud_free. */
ds_status ds_media_performance_cloud(ds_media *media, ds_gaussian_cloud **cloud);

/* Fetches segment s's bytes without decoding them, so that a network source keeps them for
 * when they are needed; nothing for a local file. */
ds_status ds_media_prefetch_segment(ds_media *media, uint32_t segment);
/* Whether the media is read over the network. */
bool ds_media_remote(const ds_media *media);

/* The camera `render` and the player start from: framing the space the performance moves
 * through (ds_media_performance_cloud), upright as the media says (ds_media_up), with a vertical
 * field of view in degrees; and the point it looks at, to orbit around. */
ds_status ds_media_framing(ds_media *media, double fov_y_degrees, int width, int height,
                           ds_camera *camera, double target[3]);

/* Per-thread decoding state: the segment at hand and the frame's colour state. */
typedef struct ds_media_decoder ds_media_decoder;
ds_status ds_media_decoder_create(ds_media *media, ds_media_decoder **decoder);
void ds_media_decoder_free(ds_media_decoder *decoder);
/* Where a frame's time went: decoding it from its segment, and copying it into the slot's mapped
 * GPU memory (the upload). */
typedef struct ds_media_frame_timing {
    double decode_ms, upload_ms;
} ds_media_frame_timing;

/* Decodes `frame` of segment `segment` (already decoded, see ds_media_read_segment) into the
 * slot. Static splats take segment NULL. `timing` may be NULL. */
ds_status ds_media_decode_frame(ds_media_decoder *decoder, const ds_dsv_segment *segment,
                                uint32_t frame, const ds_gl_frame_layout *layout, float *slot,
                                ds_gl_frame_info *info, ds_media_frame_timing *timing);
/* Reads and decodes a stream's segment (thread-safe: reads are positioned). */
ds_status ds_media_read_segment(ds_media *media, uint32_t segment, ds_dsv_segment *out);

/* For a stream with sound: segment s's stretch of sound (formats/audio_decoder.h) decoded from
 * `segment` (read and decoded; NULL when that failed), silence where damage took it. `problem`
 * gets what damage cost the sound, naming the segment and its frames ("" when nothing, and when
 * `segment` is NULL: the picture's damage is reported with the picture). */
ds_status ds_media_segment_sound(ds_media *media, uint32_t s, const ds_dsv_segment *segment,
                                 ds_audio_pcm *pcm, char *problem, size_t size);

#endif
