/* The files of a synthetic capture: its folders, transforms.json, bones.json, and the clean-up
 * that keeps a rerun into the same folder from mixing with an older capture. */
#ifndef DS_SYNTH_WRITER_H
#define DS_SYNTH_WRITER_H

#include "figure.h"
#include "rig.h"
#include "synth.h"

#include <stddef.h>

/* "<directory>/<relative>" into `path`; DS_ERR_ARGUMENT when it does not fit. */
ds_status ds_synth_path(char *path, size_t capacity, const char *directory, const char *relative);

/* Creates the folder and its image_white/; with `overwrite`, first removes the old capture's
 * transforms.json and bones.json so that, until the new ones are written, the folder holds no
 * capture; without it, refuses a folder that holds one. */
ds_status ds_synth_prepare_output(const char *directory, bool overwrite);

/* Creates image_white/<frame>/ (if missing) and writes its path into `path`. */
ds_status ds_synth_frame_folder(const char *directory, int frame, char *path, size_t capacity);

/* Removes what an earlier, larger capture left: frame folders from `frames` on and views from
 * `views` on (only files named <number>.png, or their .tmp, and the emptied folders). */
ds_status ds_synth_remove_stale(const char *directory, int frames, int views);

/* image_white/transforms.json: the cameras, listed in the string order of their names (0, 1,
 * 10, ...), as the HiFi4G and DualGS datasets list them. */
ds_status ds_synth_write_transforms(const char *directory, const ds_synth_rig_camera *cameras,
                                    int count);

/* bones.json: the figure and one pose per frame (docs/synth.md). */
ds_status ds_synth_write_bones(const char *directory, const ds_synth_figure *figure,
                               const ds_synth_settings *settings, const ds_synth_pose *poses);

#endif
