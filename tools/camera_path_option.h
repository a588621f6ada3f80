/* The --path / --camera-path option of `render` and `play`: "orbit" (once around the subject
 * over the duration) or a camera path JSON file (docs/player.md), framed on the space the whole
 * performance moves through (ds_media_performance_cloud). */
#ifndef DS_TOOLS_CAMERA_PATH_OPTION_H
#define DS_TOOLS_CAMERA_PATH_OPTION_H

#include "player/media.h"
#include "render/camera_path.h"

/* `spec` "orbit" or a file; `turns` and `duration` (seconds) for the orbit. The framing camera
 * is `width` x `height`. */
ds_status camera_path_option_load(const char *spec, double turns, double duration, ds_media *media,
                                  int width, int height, ds_camera_path *path);

#endif
