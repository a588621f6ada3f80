/* Multi-view captures: calibrated cameras and their images, frame by frame.
 *
 * Two dataset layouts are read (docs/formats.md, "Captures"):
 *   - HiFi4G / DualGS: <root>/transforms.json (instant-NGP form: one entry per camera, OpenGL
 *     camera-to-world matrices, per-camera intrinsics and radial k1) and <root>/<frame>/<image>,
 *     frames numbered from 0;
 *   - COLMAP: a sparse model (cameras and images, .bin or .txt) in <dir>/sparse/0 with the images
 *     in <dir>/images (one frame), or in <dir>/colmap/sparse/0 with frame folders <dir>/<frame>
 *     as DualGS's image_white_undistortion has them.
 * Views are sorted by image file name (string order, "0", "1", "10", ...), as the datasets list
 * them and the DualGS loader sorts them. Every view's camera is a pure pinhole camera at the
 * capture's working resolution: images with lens distortion are undistorted when loaded. */
#ifndef DS_FORMATS_CAPTURE_H
#define DS_FORMATS_CAPTURE_H

#include "camera.h"
#include "dsv_container.h"
#include "image.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest transforms.json or COLMAP model file the readers accept. */
#define DS_CAPTURE_MAX_FILE_BYTES ((size_t)256 << 20)

typedef struct ds_capture_options {
    /* Working resolution relative to the images, in (0, 1]: 0.5 halves each side. */
    double scale;
    /* When above 0, views wider than this (after `scale`) are shrunk to this width. */
    int max_width;
    /* Views whose index in the sorted list is a multiple of this are held out for evaluation;
     * 0 holds out none. */
    int holdout_every;
    /* What transparent pixels are composited over, RGB 0..1 (sRGB-encoded). */
    float background[3];
} ds_capture_options;

/* Scale 1, no maximum width, every 8th view held out, white background. */
ds_capture_options ds_capture_default_options(void);

/* Lens distortion of a source image, OpenCV's model on normalised coordinates (x, y) = ((u -
 * cx) / fx, (v - cy) / fy) with r^2 = x^2 + y^2:
 *   x_d = x (1 + k1 r^2 + k2 r^4) + 2 p1 x y + p2 (r^2 + 2 x^2)
 *   y_d = y (1 + k1 r^2 + k2 r^4) + p1 (r^2 + 2 y^2) + 2 p2 x y */
typedef struct ds_lens_distortion {
    double k1, k2; /* radial */
    double p1, p2; /* tangential */
} ds_lens_distortion;

static inline bool ds_lens_distortion_is_zero(const ds_lens_distortion *d) {
    return d->k1 == 0.0 && d->k2 == 0.0 && d->p1 == 0.0 && d->p2 == 0.0;
}

typedef enum ds_capture_source {
    DS_CAPTURE_TRANSFORMS_JSON,
    DS_CAPTURE_COLMAP,
} ds_capture_source;

typedef struct ds_capture_view {
    char *name;      /* the image file name without its extension, e.g. "37" */
    char *file_name; /* the image's name inside a frame folder, e.g. "37.png" */
    /* The pinhole camera of the loaded (undistorted, resized) images. */
    ds_camera camera;
    /* The camera of the image files as calibrated: their size, intrinsics and distortion. */
    ds_camera source_camera;
    ds_lens_distortion distortion;
    bool held_out; /* reserved for evaluation */
} ds_capture_view;

/* Read-only after ds_capture_open. */
typedef struct ds_capture {
    ds_capture_source source;
    char *root;         /* the folder the dataset was found in (holding transforms.json, ...) */
    char *image_root;   /* frame f's images are in <image_root>/<f>/, or <image_root>/ alone */
    bool frame_folders; /* false: one frame, images directly in image_root (COLMAP images/) */
    int frame_count;    /* frames 0 .. frame_count - 1 */
    size_t view_count;
    ds_capture_view *views;
    float background[3];
} ds_capture;

/* Opens a capture: `path` is a HiFi4G / DualGS root (X/image_white), its parent X, the
 * transforms.json file itself, or a COLMAP dataset folder. Reads the calibration and checks that
 * frame 0's image of every view exists and has the size its camera declares. `options` may be
 * NULL for the defaults. Free with ds_capture_free. */
ds_status ds_capture_open(const char *path, const ds_capture_options *options,
                          ds_capture **capture);

void ds_capture_free(ds_capture *capture);

/* The world axis the cameras agree is up: the signed axis nearest the mean of their image-up
 * directions (a capture rig stands its cameras upright), or unspecified when no axis holds
 * most of that mean. */
ds_dsv_up_axis ds_capture_up_axis(const ds_capture *capture);

/* The image file of a view in a frame, into `path` of `capacity` bytes. */
ds_status ds_capture_image_path(const ds_capture *capture, size_t view, int frame, char *path,
                                size_t capacity);

/* Loads one view of one frame at the working resolution: the PNG composited over the
 * background, undistorted to the view's pinhole camera, resized with area filtering. Free with
 * ds_image_free. */
ds_status ds_capture_load_image(const ds_capture *capture, size_t view, int frame, ds_image *image);

#endif
