/* What `dualsplat pack` and `encode` read, each as a ds_sequence (encoder/stream_encoder.h):
 *   - a tracking output folder (docs/tracking.md);
 *   - a folder of per-frame INRIA .ply files (point_cloud_<n>.ply, as the DualGS trainer writes
 *     them, possibly under ckt/), given a joint layer by skinning decomposition;
 *   - one static .ply / .spz / .splat, as a one-frame stream. */
#ifndef DS_TOOLS_PACK_SOURCES_H
#define DS_TOOLS_PACK_SOURCES_H

#include "encoder/skinning_decomposition.h"
#include "encoder/stream_encoder.h"

typedef struct pack_source pack_source;

typedef enum pack_source_kind {
    PACK_SOURCE_TRACKING,
    PACK_SOURCE_PLY_SEQUENCE,
    PACK_SOURCE_STATIC,
} pack_source_kind;

/* Progress of the decomposition of a .ply sequence (fraction 0..1, phase name). */
typedef bool (*pack_source_progress)(void *context, const char *phase, double fraction);

/* Opens whatever `path` is. `decomposition` applies to .ply sequences (NULL: defaults). */
ds_status pack_source_open(const char *path, const ds_decomposition_settings *decomposition,
                           pack_source_progress progress, void *context, pack_source **source);
/* Tracking outputs of independent frame ranges joined into one sequence (tools/tracking_ranges.h);
 * one folder opens as pack_source_open does. The folder names must outlive the source. */
ds_status pack_source_open_ranges(char *const *folders, int count, pack_source **source);
pack_source_kind pack_source_kind_of(const pack_source *source);
/* The sequence to hand to ds_pack_stream (fps left for the caller to set). */
ds_sequence *pack_source_sequence(pack_source *source);
void pack_source_free(pack_source *source);

#endif
