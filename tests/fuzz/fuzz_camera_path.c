/* libFuzzer target for camera path files: the bytes are the file's text. A file that parses must
 * give a path that evaluates: keyframed paths at every key, orbits everywhere. */
#include "formats/camera_path_file.h"
#include "render/camera_path.h"
#include "render/view.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_keyframes(const ds_camera_path_file *file) {
    if (file->count == 0 || file->count > DS_CAMERA_PATH_MAX_KEYFRAMES || !file->keyframes) {
        abort();
    }
    ds_status status = ds_camera_keyframes_validate(file->keyframes, file->count);
    ds_camera_path path;
    if (!ds_failed(&status)) {
        status = ds_camera_path_from_file(file, NULL, NULL, NULL, &path);
    }
    if (ds_failed(&status)) {
        abort(); /* the parser accepted keyframes the path refuses */
    }
    for (size_t i = 0; i < file->count; i++) {
        const ds_camera_keyframe *key = &file->keyframes[i];
        ds_camera camera;
        status = ds_camera_path_evaluate(&path, key->time, 64, 48, &camera);
        if (ds_failed(&status)) {
            abort(); /* every key is a valid camera */
        }
        double eye[3];
        ds_camera_center(&camera, eye);
        /* -R^T t rounds relative to the largest coordinate, not to each one. */
        double size = fmax(fabs(key->eye[0]), fmax(fabs(key->eye[1]), fabs(key->eye[2])));
        for (int k = 0; k < 3; k++) {
            if (!(fabs(eye[k] - key->eye[k]) <= 1e-9 * (1.0 + size))) {
                abort(); /* the path does not pass through its key */
            }
        }
        if (i + 1 < file->count) {
            /* Between keys a spline may legitimately pass the eye through the target; it must
             * only not crash. */
            double middle = 0.5 * (key->time + file->keyframes[i + 1].time);
            (void)ds_camera_path_evaluate(&path, middle, 64, 48, &camera);
        }
    }
    ds_camera_path_free(&path);
}

static void check_orbit(const ds_camera_path_file *file) {
    const ds_camera_orbit_request *orbit = &file->orbit;
    if (!(orbit->duration > 0.0) || !isfinite(orbit->turns)) {
        abort();
    }
    const double eye[3] = {0.3, -1.0, -4.0}, target[3] = {0.0, 0.0, 0.0};
    ds_camera framing;
    ds_status status = ds_camera_look_at(eye, target, ds_default_up, 50, 64, 48, &framing);
    if (ds_failed(&status)) {
        abort();
    }
    ds_camera_path path;
    status = ds_camera_path_from_file(file, &framing, target, NULL, &path);
    if (ds_failed(&status)) {
        return; /* e.g. the file's axis passes through the framing camera */
    }
    for (int step = -1; step <= 5; step++) {
        ds_camera camera;
        status = ds_camera_path_evaluate(&path, orbit->duration * step / 4.0, 64, 48, &camera);
        if (ds_failed(&status)) {
            abort(); /* an orbit that starts is a camera all the way round */
        }
    }
    ds_camera_path_free(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_camera_path_file file;
    ds_status status = ds_camera_path_file_parse((const char *)data, size, &file);
    if (ds_failed(&status)) {
        if (file.keyframes || file.count) {
            abort(); /* a failed parse leaves nothing to free */
        }
        return 0;
    }
    if (file.kind == DS_CAMERA_PATH_FILE_KEYFRAMES) {
        check_keyframes(&file);
    } else if (file.kind == DS_CAMERA_PATH_FILE_ORBIT) {
        check_orbit(&file);
    } else {
        abort();
    }
    ds_camera_path_file_free(&file);
    return 0;
}
