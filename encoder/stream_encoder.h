/* Encoding a DualGS sequence into a .dsv stream (docs/dsv-format.md): the init block once, then
 * segment by segment the joint motion (encoder/motion_codec.h), corrections where skinning
 * misses the source, opacity and scale maps (encoder/appearance_codec.h) and colour codebooks
 * (encoder/colour_codebook.h). Memory holds one segment's frames at a time. */
#ifndef DS_ENCODER_STREAM_ENCODER_H
#define DS_ENCODER_STREAM_ENCODER_H

#include "appearance_codec.h"
#include "audio_track.h"
#include "colour_codebook.h"
#include "motion_codec.h"

#include "formats/dsv_container.h"
#include "formats/dsv_init.h"
#include "formats/dsv_reader.h"
#include "formats/gaussian_cloud.h"

/* One frame as a source gives it. */
typedef struct ds_sequence_frame {
    ds_joint_transforms transforms; /* joints' transforms from the canonical frame */
    ds_gaussian_cloud *skin;        /* opacity, scales and SH of the skin; positions and
                                       rotations too when has_positions */
    bool has_positions;             /* the source knows where each Gaussian is (a .ply
                                       sequence), so skinning errors get corrections */
} ds_sequence_frame;

/* What is packed: the canonical state and a way to load each frame. */
typedef struct ds_sequence {
    const ds_dsv_canonical *canonical;
    uint32_t frame_count;
    uint32_t fps_numerator, fps_denominator;
    /* Fills `frame` (created by the encoder for the canonical's counts) with frame f. */
    ds_status (*load)(void *context, uint32_t f, ds_sequence_frame *frame);
    void *context;
    ds_dsv_up_axis up_axis;      /* which way is up in the source's world */
    const ds_audio_track *audio; /* the sound, on the frames' timeline (NULL: silent) */
} ds_sequence;

typedef struct ds_pack_settings {
    uint32_t segment_frames;
    ds_motion_settings motion;
    ds_appearance_settings appearance;
    ds_map_settings opacity_map, scale_map;
    ds_colour_settings colour;
    /* Corrections: the largest error skinning may leave uncorrected, as a fraction of the
     * canonical skin's bounding-box diagonal: of a position, and of the outline of a Gaussian
     * (how far a wrong rotation moves it). */
    float position_bound;
    int weight_bits; /* of the binding's weights: 8 or 16 */
} ds_pack_settings;

/* Fills settings for a named quality preset: "low", "default", "high" or "lossless" (which
 * makes maps lossless and the rest as exact as the format allows). */
ds_status ds_pack_preset(const char *name, ds_pack_settings *settings);
extern const char *const ds_pack_preset_names;

typedef struct ds_pack_report {
    uint64_t file_bytes, init_bytes;
    uint64_t layer_bytes[DS_DSV_KINDS]; /* motion, opacity/scale, colour, corrections, audio
                                           (kinds of formats/dsv_reader.h) */
    uint64_t corrections;               /* corrected Gaussian-frames */
    double seconds;
} ds_pack_report;

/* Progress: what is being done and how many of the `total` frames are done (fractional within
 * a segment); return false to stop (DS_ERR_INTERRUPTED, no file is left). */
typedef bool (*ds_pack_progress)(void *context, const char *phase, double done, uint32_t total);

ds_status ds_pack_stream(const ds_sequence *sequence, const ds_pack_settings *settings,
                         const char *path, ds_pack_progress progress, void *context,
                         ds_pack_report *report);

#endif
