/* Camera path files: how an offline render (`dualsplat render -o out.mp4 --path FILE`) moves the
 * camera through time. A JSON object with either a list of keyframes
 *
 *   {"up": [0, -1, 0], "fov": 50,
 *    "keyframes": [{"time": 0, "eye": [0, 0, -4], "target": [0, 0, 0]},
 *                  {"time": 2, "eye": [4, 0, 0], "target": [0, 0, 0], "up": [0, -1, 0], "fov":
 * 40}]}
 *
 * or an orbit around the object, starting where the render's own camera stands
 *
 *   {"orbit": {"turns": 1, "duration": 4, "target": [0, 0, 0], "up": [0, -1, 0], "fov": 50}}
 *
 * Times are seconds from the start of the render. A keyframe's "up" and "fov" are optional and
 * default to the top level's, which default to -y (the data model's up, see docs/cameras.md) and
 * 50 degrees. In an orbit only "duration" is required: "turns" defaults to 1 and "target", "up" and
 * "fov" to what the render's camera uses. Unknown keys are errors, since a misspelt key would
 * otherwise silently do nothing.
 *
 * The data types live here rather than in render/ because formats/ may not depend on render/;
 * render/camera_path.h evaluates them. */
#ifndef DS_FORMATS_CAMERA_PATH_FILE_H
#define DS_FORMATS_CAMERA_PATH_FILE_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>

/* One pose on a keyframed path. */
typedef struct ds_camera_keyframe {
    double time;          /* seconds, finite, >= 0 */
    double eye[3];        /* camera centre, world space */
    double target[3];     /* the point in the middle of the image */
    double up[3];         /* up in the image; need not be perpendicular to the view direction */
    double fov_y_degrees; /* vertical field of view, in (0, 180) */
} ds_camera_keyframe;

/* An orbit as a file asks for it: what it leaves out comes from the render's camera. */
typedef struct ds_camera_orbit_request {
    double turns;    /* signed, finite: positive turns right-handed about up */
    double duration; /* seconds, finite and > 0 */
    bool has_target, has_up, has_fov;
    double target[3], up[3], fov_y_degrees;
} ds_camera_orbit_request;

typedef enum ds_camera_path_file_kind {
    DS_CAMERA_PATH_FILE_KEYFRAMES,
    DS_CAMERA_PATH_FILE_ORBIT,
} ds_camera_path_file_kind;

typedef struct ds_camera_path_file {
    ds_camera_path_file_kind kind;
    size_t count;                  /* keyframes (KEYFRAMES), at least 1 */
    ds_camera_keyframe *keyframes; /* times strictly increasing */
    ds_camera_orbit_request orbit; /* ORBIT */
} ds_camera_path_file;

/* Limits that keep a hostile file from costing much: a path with a keyframe for every frame of
 * a 15-minute, 60 fps render still fits. Coordinates and times are bounded so that differences
 * and squared lengths of them stay finite. */
enum { DS_CAMERA_PATH_MAX_KEYFRAMES = 1 << 16, DS_CAMERA_PATH_MAX_FILE_BYTES = 16 << 20 };
#define DS_CAMERA_PATH_MAX_COORDINATE 1e12
#define DS_CAMERA_PATH_MAX_TIME       1e9
#define DS_CAMERA_PATH_DEFAULT_FOV    50.0

/* Checks keyframes as a path needs them: at least one, times finite, >= 0 and strictly
 * increasing, coordinates finite and bounded, fov in (0, 180), eye != target and up neither
 * zero nor parallel to the viewing direction. Messages name the key ("keyframes[3]: ..."). */
ds_status ds_camera_keyframes_validate(const ds_camera_keyframe *keyframes, size_t count);

/* Parses a camera path file's text. Messages start with "camera path: " and name the keyframe
 * ("camera path: keyframes[3]: 'eye' needs 3 numbers"). On failure *out holds nothing to free. */
ds_status ds_camera_path_file_parse(const char *text, size_t length, ds_camera_path_file *out);

/* Reads and parses a camera path file. */
ds_status ds_camera_path_file_load(const char *path, ds_camera_path_file *out);

void ds_camera_path_file_free(ds_camera_path_file *file);

#endif
