/* Offline video output: rendered RGB frames encoded with libavcodec and muxed by libavformat
 * into an .mp4, .mkv or .mov file (`dualsplat render X.dsv -o out.mp4`).
 *
 * Like every file dualsplat writes, the video goes to "<path>.tmp" and is renamed over <path>
 * only by ds_video_writer_finish, so an interrupted render never leaves a truncated video that
 * looks whole. In .mp4 and .mov files the index comes before the samples ("fast start"), so
 * that playback can begin while the file is still downloading.
 *
 * 4:2:0 video needs even sizes: a frame of odd width or height is padded by repeating its last
 * column or row, so the coded picture (ds_video_writer_coded_size) is then one pixel larger
 * than the frames given.
 *
 * A video may carry a stereo sound track, coded as AAC (what every player of these containers
 * plays) and interleaved with the pictures by time. */
#ifndef DS_PLAYER_VIDEO_WRITER_H
#define DS_PLAYER_VIDEO_WRITER_H

#include "formats/status.h"

#include <stdint.h>

typedef struct ds_video_writer ds_video_writer;

enum {
    /* Largest width or height accepted; H.264 level 6.2 tops out near 8192 x 4320. */
    DS_VIDEO_WRITER_MAX_SIZE = 16384,
    /* The quality used when options->quality is 0. */
    DS_VIDEO_WRITER_DEFAULT_QUALITY = 20,
    /* Sample rates a sound track may be given at; rates AAC lacks are resampled. */
    DS_VIDEO_WRITER_MIN_AUDIO_RATE = 8000,
    DS_VIDEO_WRITER_MAX_AUDIO_RATE = 192000,
};

typedef struct ds_video_writer_options {
    int width, height;    /* of the frames given, 1..DS_VIDEO_WRITER_MAX_SIZE */
    int fps_num, fps_den; /* frame rate as a fraction, e.g. 30000/1001 */
    /* A libavcodec encoder name ("libx264", "mpeg4") or codec name ("h264"); NULL picks
     * libx264, else libopenh264, else mpeg4, whichever this build has first. */
    const char *codec;
    /* Like x264's CRF: 1 (best) .. 51 (smallest); 0 means DS_VIDEO_WRITER_DEFAULT_QUALITY.
     * Encoders without CRF get an equivalent fixed quantiser. */
    int quality;
    /* The rate of the sound given to ds_video_writer_write_audio, or 0 for a video without
     * sound. */
    int audio_sample_rate;
} ds_video_writer_options;

/* Creates "<path>.tmp" and writes the container header; the container follows path's
 * extension (mp4, mkv, mov). On failure *writer is NULL and nothing is left on disk. */
ds_status ds_video_writer_open(const char *path, const ds_video_writer_options *options,
                               ds_video_writer **writer);

/* Encodes one frame of tightly packed 8-bit RGB rows (width * 3 bytes each), top row first.
 * Frames are timed by their order: frame k is shown at k * fps_den / fps_num seconds. After a
 * failure every later call fails too; free the writer to remove the partial file. */
ds_status ds_video_writer_write_rgb(ds_video_writer *writer, const uint8_t *rgb);

/* Adds `count` samples of the sound track: stereo float pairs (left, right), -1..1. Sample i
 * plays at i / audio_sample_rate seconds, with the frame then showing; give the sound as the
 * frames go, so that the two interleave in the file without piling up in memory. Fails for a
 * video opened without sound. After a failure every later call fails too. */
ds_status ds_video_writer_write_audio(ds_video_writer *writer, const float *stereo, uint32_t count);

/* Drains the encoders (the sound's last partial AAC frame is padded with silence, and its packet
 * keeps the true duration, so that the track ends where the sound given does), writes the
 * container trailer, flushes the file to disk and renames it to its path. Call once, after at
 * least one frame. On failure nothing is renamed, and freeing the writer removes the temporary
 * file. */
ds_status ds_video_writer_finish(ds_video_writer *writer);

/* Frees the writer (NULL is fine). Unless finish succeeded, removes "<path>.tmp", so a render
 * stopped by an error or an interrupt leaves no partial file. */
void ds_video_writer_free(ds_video_writer *writer);

/* The libavcodec encoder in use, e.g. "libx264". */
const char *ds_video_writer_codec_name(const ds_video_writer *writer);

/* The size of the coded pictures: the frame size rounded up to what the pixel format needs. */
void ds_video_writer_coded_size(const ds_video_writer *writer, int *width, int *height);

/* Frames written so far. */
int64_t ds_video_writer_frame_count(const ds_video_writer *writer);

/* Samples of sound given so far (0 for a video without sound). */
int64_t ds_video_writer_audio_sample_count(const ds_video_writer *writer);

#endif
