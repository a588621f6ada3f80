/* Internals of the capture reader shared by its files and exposed to the tests and fuzz targets:
 * the calibration parsers (transforms.json, COLMAP .bin / .txt) working from memory, and the
 * image operations done on load. */
#ifndef DS_FORMATS_CAPTURE_INTERNAL_H
#define DS_FORMATS_CAPTURE_INTERNAL_H

#include "capture.h"

#include <stdint.h>

/* One camera as a calibration file describes it, before the capture sorts, checks and scales. */
typedef struct ds_capture_calibration {
    char *file_name; /* the image's name: basename of file_path, or COLMAP's image name */
    /* Pose and intrinsics at the calibrated image size. transforms.json may leave out the size
     * (then 0: taken from the image), the focal lengths and the principal point (then NaN:
     * derived from camera_angle_x / _y and the image centre, as instant-NGP does). */
    ds_camera camera;
    double camera_angle_x, camera_angle_y; /* radians, NaN when absent */
    ds_lens_distortion distortion;
} ds_capture_calibration;

typedef struct ds_capture_calibrations {
    ds_capture_calibration *items;
    size_t count;
} ds_capture_calibrations;

void ds_capture_calibrations_free(ds_capture_calibrations *calibrations);

/* Fills in what the calibration left out given the image size, and checks the intrinsics
 * ("camera 37 has zero focal length"). `name` names the camera in messages. */
ds_status ds_capture_calibration_complete(ds_capture_calibration *calibration, int image_width,
                                          int image_height, const char *name);

/* ---- transforms.json (capture_transforms.c) ---- */

/* Parses instant-NGP transforms.json text (not necessarily NUL-terminated), one calibration per
 * entry of frames[], in file order. */
ds_status ds_transforms_parse(const char *text, size_t length, ds_capture_calibrations *out);

/* ---- COLMAP sparse models (capture_colmap.c) ---- */

typedef struct ds_colmap_camera {
    uint32_t id;
    int width, height;
    double fx, fy, cx, cy;
    ds_lens_distortion distortion;
} ds_colmap_camera;

typedef struct ds_colmap_cameras {
    ds_colmap_camera *items; /* sorted by id */
    size_t count;
} ds_colmap_cameras;

void ds_colmap_cameras_free(ds_colmap_cameras *cameras);

ds_status ds_colmap_parse_cameras_bin(const uint8_t *data, size_t size, ds_colmap_cameras *out);
ds_status ds_colmap_parse_cameras_txt(const char *text, size_t length, ds_colmap_cameras *out);

/* Images refer to cameras by id; each becomes a calibration, in file order. */
ds_status ds_colmap_parse_images_bin(const uint8_t *data, size_t size,
                                     const ds_colmap_cameras *cameras,
                                     ds_capture_calibrations *out);
ds_status ds_colmap_parse_images_txt(const char *text, size_t length,
                                     const ds_colmap_cameras *cameras,
                                     ds_capture_calibrations *out);

/* ---- image operations on load (capture_image.c) ---- */

/* Resamples a distorted image into the pinhole camera with the same intrinsics: each output
 * pixel centre is distorted with the forward model and the source sampled bilinearly there;
 * positions outside the source take the background. */
ds_status ds_capture_undistort(const ds_image *source, const ds_camera *camera,
                               const ds_lens_distortion *distortion, const float background[3],
                               ds_image *out);

/* Resizes with libswscale's area filter (a box average when shrinking). */
ds_status ds_capture_resize(const ds_image *source, int width, int height, ds_image *out);

/* Applies the forward distortion model to normalised coordinates. */
void ds_lens_distort(const ds_lens_distortion *distortion, double x, double y, double *xd,
                     double *yd);

#endif
