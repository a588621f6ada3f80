#include "camera_path_option.h"

#include <string.h>

enum { FOV_DEGREES = 50 };

ds_status camera_path_option_load(const char *spec, double turns, double duration, ds_media *media,
                                  int width, int height, ds_camera_path *path) {
    ds_camera framing;
    double target[3], up[3];
    ds_status status = ds_media_framing(media, FOV_DEGREES, width, height, &framing, target);
    if (ds_failed(&status)) {
        return status;
    }
    ds_media_up(media, up);
    if (strcmp(spec, "orbit") == 0) {
        return ds_camera_path_orbit(&framing, target, up, duration, turns, path);
    }
    ds_camera_path_file file;
    status = ds_camera_path_file_load(spec, &file);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_camera_path_from_file(&file, &framing, target, up, path);
    ds_camera_path_file_free(&file);
    return status;
}
