/* Opening a capture: finding its calibration, turning it into sorted, checked, scaled views,
 * and loading their images. */
#define _POSIX_C_SOURCE 200809L
#include "capture_internal.h"

#include "file_io.h"
#include "png.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { PATH_CAPACITY = 4096 };
static const double pi = 3.14159265358979323846;

ds_capture_options ds_capture_default_options(void) {
    return (ds_capture_options){
        .scale = 1.0,
        .max_width = 0,
        .holdout_every = 8,
        .background = {1.0f, 1.0f, 1.0f},
    };
}

void ds_capture_calibrations_free(ds_capture_calibrations *calibrations) {
    for (size_t i = 0; i < calibrations->count; i++) {
        free(calibrations->items[i].file_name);
    }
    free(calibrations->items);
    *calibrations = (ds_capture_calibrations){0};
}

static ds_status check_focal_length(double focal, const char *name) {
    if (focal == 0.0) {
        return ds_error(DS_ERR_FORMAT, "camera %s has zero focal length", name);
    }
    if (!(focal > 0.0)) {
        return ds_error(DS_ERR_FORMAT, "camera %s has a negative focal length (%g)", name, focal);
    }
    return ds_ok();
}

/* A field of view to a focal length in pixels; NaN when the angle is not a usable one. */
static double focal_from_angle(double angle, int size) {
    if (!(angle > 0.0 && angle < pi)) {
        return NAN;
    }
    return 0.5 * size / tan(0.5 * angle);
}

ds_status ds_capture_calibration_complete(ds_capture_calibration *calibration, int image_width,
                                          int image_height, const char *name) {
    ds_camera *camera = &calibration->camera;
    if (camera->width == 0) {
        camera->width = image_width;
        camera->height = image_height;
    }
    if (camera->width <= 0 || camera->height <= 0) {
        return ds_error(DS_ERR_FORMAT, "camera %s has no image size", name);
    }
    if (isnan(camera->fx)) {
        if (isnan(calibration->camera_angle_x)) {
            return ds_error(DS_ERR_FORMAT,
                            "camera %s has no focal length (fl_x or "
                            "camera_angle_x)",
                            name);
        }
        camera->fx = focal_from_angle(calibration->camera_angle_x, camera->width);
        if (isnan(camera->fx)) {
            return ds_error(DS_ERR_FORMAT, "camera %s has a camera_angle_x of %g radians", name,
                            calibration->camera_angle_x);
        }
    }
    if (isnan(camera->fy)) {
        /* Square pixels unless a vertical field of view says otherwise, as instant-NGP. */
        camera->fy = isnan(calibration->camera_angle_y)
                         ? camera->fx
                         : focal_from_angle(calibration->camera_angle_y, camera->height);
        if (isnan(camera->fy)) {
            return ds_error(DS_ERR_FORMAT, "camera %s has a camera_angle_y of %g radians", name,
                            calibration->camera_angle_y);
        }
    }
    if (isnan(camera->cx)) {
        camera->cx = 0.5 * camera->width;
    }
    if (isnan(camera->cy)) {
        camera->cy = 0.5 * camera->height;
    }
    ds_status status = check_focal_length(camera->fx, name);
    if (!ds_failed(&status)) {
        status = check_focal_length(camera->fy, name);
    }
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_camera_validate(camera);
    if (ds_failed(&status)) {
        return ds_error(status.code, "camera %s: %s", name, status.message);
    }
    return ds_ok();
}

/* ---- finding the dataset ---- */

static bool is_directory(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static bool is_file(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/* Where a dataset's calibration and images are. */
typedef struct capture_layout {
    ds_capture_source source;
    char root[PATH_CAPACITY];
    char calibration[PATH_CAPACITY]; /* transforms.json, or the sparse model folder */
    char image_root[PATH_CAPACITY];
    bool frame_folders;
    bool colmap_binary;
} capture_layout;

static bool join(char *out, const char *a, const char *b) {
    int written = snprintf(out, PATH_CAPACITY, "%s/%s", a, b);
    return written > 0 && written < PATH_CAPACITY;
}

/* A COLMAP model in `directory`, preferring the binary files as COLMAP does. */
static bool find_colmap_model(const char *directory, capture_layout *layout) {
    char cameras[PATH_CAPACITY], images[PATH_CAPACITY];
    static const char *const extensions[2] = {"bin", "txt"};
    for (int e = 0; e < 2; e++) {
        if (snprintf(cameras, sizeof cameras, "%s/cameras.%s", directory, extensions[e]) >=
                PATH_CAPACITY ||
            snprintf(images, sizeof images, "%s/images.%s", directory, extensions[e]) >=
                PATH_CAPACITY) {
            return false;
        }
        if (is_file(cameras) && is_file(images)) {
            snprintf(layout->calibration, PATH_CAPACITY, "%s", directory);
            layout->colmap_binary = e == 0;
            return true;
        }
    }
    return false;
}

/* Recognises the layouts directly in `directory`. */
static bool find_layout_in(const char *directory, capture_layout *layout) {
    char candidate[PATH_CAPACITY];
    snprintf(layout->root, PATH_CAPACITY, "%s", directory);
    if (join(candidate, directory, "transforms.json") && is_file(candidate)) {
        layout->source = DS_CAPTURE_TRANSFORMS_JSON;
        snprintf(layout->calibration, PATH_CAPACITY, "%s", candidate);
        snprintf(layout->image_root, PATH_CAPACITY, "%s", directory);
        layout->frame_folders = true;
        return true;
    }
    layout->source = DS_CAPTURE_COLMAP;
    /* A COLMAP dataset: sparse/0 (or sparse) with the images in images/, one frame. */
    static const char *const sparse_folders[] = {"sparse/0", "sparse"};
    for (size_t i = 0; i < 2; i++) {
        if (join(candidate, directory, sparse_folders[i]) && find_colmap_model(candidate, layout)) {
            layout->frame_folders = false;
            return join(layout->image_root, directory, "images");
        }
    }
    /* DualGS's image_white_undistortion: colmap/sparse/0 beside the frame folders. */
    if (join(candidate, directory, "colmap/sparse/0") && find_colmap_model(candidate, layout)) {
        layout->frame_folders = true;
        snprintf(layout->image_root, PATH_CAPACITY, "%s", directory);
        return true;
    }
    return false;
}

static ds_status find_layout(const char *given_path, capture_layout *layout) {
    *layout = (capture_layout){0};
    size_t length = strlen(given_path);
    if (length == 0 || length >= PATH_CAPACITY - 64) {
        return ds_error(DS_ERR_ARGUMENT, "capture path is empty or too long");
    }
    /* "X/image_white/" and "X/image_white" name the same capture, with the same paths. */
    char path[PATH_CAPACITY];
    memcpy(path, given_path, length + 1);
    while (length > 1 && path[length - 1] == '/') {
        path[--length] = '\0';
    }
    if (is_file(path)) {
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        char extension[8];
        ds_path_extension(base, extension, sizeof extension);
        if (strcmp(extension, "json") != 0) {
            return ds_error(DS_ERR_ARGUMENT,
                            "a capture is a folder or its transforms.json, not this file");
        }
        layout->source = DS_CAPTURE_TRANSFORMS_JSON;
        snprintf(layout->calibration, PATH_CAPACITY, "%s", path);
        if (slash) {
            snprintf(layout->root, PATH_CAPACITY, "%.*s", (int)(slash - path), path);
        } else {
            snprintf(layout->root, PATH_CAPACITY, ".");
        }
        if (layout->root[0] == '\0') {
            snprintf(layout->root, PATH_CAPACITY, "/");
        }
        snprintf(layout->image_root, PATH_CAPACITY, "%s", layout->root);
        layout->frame_folders = true;
        return ds_ok();
    }
    if (!is_directory(path)) {
        return ds_error(DS_ERR_IO, "capture folder does not exist");
    }
    if (find_layout_in(path, layout)) {
        return ds_ok();
    }
    /* The parent of the dataset's folders (X of X/image_white). */
    static const char *const datasets[] = {"image_white", "image_white_undistortion"};
    char candidate[PATH_CAPACITY];
    for (size_t i = 0; i < 2; i++) {
        if (join(candidate, path, datasets[i]) && is_directory(candidate) &&
            find_layout_in(candidate, layout)) {
            return ds_ok();
        }
    }
    return ds_error(DS_ERR_IO, "no transforms.json or COLMAP sparse model (sparse/0/cameras.bin "
                               "or .txt) found in the capture folder");
}

/* ---- reading the calibration ---- */

static ds_status read_text_file(const char *path, const char *what, char **text, size_t *length) {
    uint8_t *data = NULL;
    ds_status status = ds_file_read_all(path, DS_CAPTURE_MAX_FILE_BYTES, &data, length);
    if (ds_failed(&status)) {
        return ds_error(status.code, "cannot read %s: %s", what, status.message);
    }
    *text = (char *)data;
    return ds_ok();
}

static ds_status read_transforms(const capture_layout *layout, ds_capture_calibrations *out) {
    char *text = NULL;
    size_t length = 0;
    ds_status status = read_text_file(layout->calibration, "transforms.json", &text, &length);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_transforms_parse(text, length, out);
    free(text);
    return status;
}

static ds_status read_colmap_file(const capture_layout *layout, const char *name, char **text,
                                  size_t *length) {
    char path[PATH_CAPACITY];
    if (!join(path, layout->calibration, name)) {
        return ds_error(DS_ERR_ARGUMENT, "capture path is too long");
    }
    return read_text_file(path, name, text, length);
}

static ds_status read_colmap(const capture_layout *layout, ds_capture_calibrations *out) {
    const char *cameras_name = layout->colmap_binary ? "cameras.bin" : "cameras.txt";
    const char *images_name = layout->colmap_binary ? "images.bin" : "images.txt";
    char *cameras_data = NULL, *images_data = NULL;
    size_t cameras_length = 0, images_length = 0;
    ds_colmap_cameras cameras = {0};
    ds_status status = read_colmap_file(layout, cameras_name, &cameras_data, &cameras_length);
    if (!ds_failed(&status)) {
        status = read_colmap_file(layout, images_name, &images_data, &images_length);
    }
    if (!ds_failed(&status)) {
        status = layout->colmap_binary
                     ? ds_colmap_parse_cameras_bin((const uint8_t *)cameras_data, cameras_length,
                                                   &cameras)
                     : ds_colmap_parse_cameras_txt(cameras_data, cameras_length, &cameras);
    }
    if (!ds_failed(&status)) {
        status = layout->colmap_binary
                     ? ds_colmap_parse_images_bin((const uint8_t *)images_data, images_length,
                                                  &cameras, out)
                     : ds_colmap_parse_images_txt(images_data, images_length, &cameras, out);
    }
    ds_colmap_cameras_free(&cameras);
    free(cameras_data);
    free(images_data);
    return status;
}

/* ---- views ---- */

static int compare_file_names(const void *a, const void *b) {
    return strcmp(((const ds_capture_calibration *)a)->file_name,
                  ((const ds_capture_calibration *)b)->file_name);
}

/* The name without its extension: "37.png" -> "37". */
static char *name_of(const char *file_name) {
    const char *slash = strrchr(file_name, '/');
    const char *dot = strrchr(file_name, '.');
    size_t length = dot && dot > file_name && (!slash || dot > slash + 1)
                        ? (size_t)(dot - file_name)
                        : strlen(file_name);
    char *name = malloc(length + 1);
    if (name) {
        memcpy(name, file_name, length);
        name[length] = '\0';
    }
    return name;
}

/* The working size: `scale`, then no wider than max_width. */
static void working_size(int width, int height, const ds_capture_options *options, int *out_width,
                         int *out_height) {
    double scale = options->scale;
    if (options->max_width > 0 && width * scale > options->max_width) {
        scale = (double)options->max_width / width;
    }
    long scaled_width = lround(width * scale), scaled_height = lround(height * scale);
    *out_width = scaled_width < 1 ? 1 : (int)scaled_width;
    *out_height = scaled_height < 1 ? 1 : (int)scaled_height;
}

static const char *calibration_file_name(const ds_capture *capture) {
    return capture->source == DS_CAPTURE_TRANSFORMS_JSON ? "transforms.json" : "the COLMAP model";
}

ds_status ds_capture_image_path(const ds_capture *capture, size_t view, int frame, char *path,
                                size_t capacity) {
    if (view >= capture->view_count) {
        return ds_error(DS_ERR_ARGUMENT, "view %zu is out of range (the capture has %zu)", view,
                        capture->view_count);
    }
    if (frame < 0 || frame >= capture->frame_count) {
        return ds_error(DS_ERR_ARGUMENT, "frame %d is out of range (the capture has %d)", frame,
                        capture->frame_count);
    }
    const char *file_name = capture->views[view].file_name;
    int written = capture->frame_folders
                      ? snprintf(path, capacity, "%s/%d/%s", capture->image_root, frame, file_name)
                      : snprintf(path, capacity, "%s/%s", capture->image_root, file_name);
    if (written < 0 || (size_t)written >= capacity) {
        return ds_error(DS_ERR_ARGUMENT, "image path of view %zu is too long", view);
    }
    return ds_ok();
}

/* Frame folders 0, 1, ... N-1: the count stops at the first number without a folder. */
static int count_frames(const char *image_root) {
    char path[PATH_CAPACITY];
    int count = 0;
    while (count < 10000000) {
        snprintf(path, sizeof path, "%s/%d", image_root, count);
        if (!is_directory(path)) {
            break;
        }
        count++;
    }
    return count;
}

/* An unreadable frame 0 image: missing, or not a PNG. */
static ds_status image_missing(const ds_capture *capture, size_t view, const char *path,
                               const ds_status *status) {
    const char *file_name = capture->views[view].file_name;
    if (status->code == DS_ERR_IO && strstr(status->message, "No such file")) {
        return ds_error(DS_ERR_IO, "view %zu (%s): frame 0 image %s is missing", view, file_name,
                        path);
    }
    return ds_error(status->code, "view %zu (%s): frame 0 image %s: %s", view, file_name, path,
                    status->message);
}

/* Sorts, names and checks the views; the size of images the calibration leaves out is read
 * from the image files' headers. */
static ds_status build_views(ds_capture *capture, ds_capture_calibrations *calibrations,
                             const ds_capture_options *options) {
    qsort(calibrations->items, calibrations->count, sizeof *calibrations->items,
          compare_file_names);
    for (size_t i = 1; i < calibrations->count; i++) {
        if (strcmp(calibrations->items[i].file_name, calibrations->items[i - 1].file_name) == 0) {
            return ds_error(DS_ERR_FORMAT, "two cameras use the image %.64s",
                            calibrations->items[i].file_name);
        }
    }
    capture->views = calloc(calibrations->count, sizeof *capture->views);
    if (!capture->views) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu views", calibrations->count);
    }
    capture->view_count = calibrations->count;
    char path[PATH_CAPACITY];
    for (size_t v = 0; v < capture->view_count; v++) {
        ds_capture_calibration *calibration = &calibrations->items[v];
        ds_capture_view *view = &capture->views[v];
        view->file_name = calibration->file_name;
        calibration->file_name = NULL; /* the view owns it now */
        view->name = name_of(view->file_name);
        if (!view->name) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a view name");
        }
        int image_width = 0, image_height = 0;
        ds_status status = ds_ok();
        if (calibration->camera.width == 0) {
            status = ds_capture_image_path(capture, v, 0, path, sizeof path);
            if (!ds_failed(&status)) {
                status = ds_png_read_size(path, &image_width, &image_height);
                if (ds_failed(&status)) {
                    return image_missing(capture, v, path, &status);
                }
            }
        }
        if (!ds_failed(&status)) {
            status =
                ds_capture_calibration_complete(calibration, image_width, image_height, view->name);
        }
        if (ds_failed(&status)) {
            return status;
        }
        view->source_camera = calibration->camera;
        view->distortion = calibration->distortion;
        int width, height;
        working_size(view->source_camera.width, view->source_camera.height, options, &width,
                     &height);
        view->camera = ds_camera_resized(&view->source_camera, width, height);
        view->held_out = options->holdout_every > 0 && v % (size_t)options->holdout_every == 0;
    }
    return ds_ok();
}

/* Frame 0's image of every view must exist with the size its camera declares. */
static ds_status check_first_frame_images(const ds_capture *capture) {
    char path[PATH_CAPACITY];
    for (size_t v = 0; v < capture->view_count; v++) {
        const ds_capture_view *view = &capture->views[v];
        ds_status status = ds_capture_image_path(capture, v, 0, path, sizeof path);
        if (ds_failed(&status)) {
            return status;
        }
        int width, height;
        status = ds_png_read_size(path, &width, &height);
        if (ds_failed(&status)) {
            return image_missing(capture, v, path, &status);
        }
        if (width != view->source_camera.width || height != view->source_camera.height) {
            return ds_error(DS_ERR_FORMAT, "view %zu (%s): image is %dx%d but %s says %dx%d", v,
                            view->file_name, width, height, calibration_file_name(capture),
                            view->source_camera.width, view->source_camera.height);
        }
    }
    return ds_ok();
}

static ds_status check_options(const ds_capture_options *options) {
    if (!(options->scale > 0.0 && options->scale <= 1.0)) {
        return ds_error(DS_ERR_ARGUMENT, "capture scale %g is not in (0, 1]", options->scale);
    }
    if (options->max_width < 0 || options->holdout_every < 0) {
        return ds_error(DS_ERR_ARGUMENT, "capture max_width and holdout_every cannot be negative");
    }
    for (int c = 0; c < 3; c++) {
        if (!isfinite(options->background[c])) {
            return ds_error(DS_ERR_ARGUMENT, "capture background colour is not finite");
        }
    }
    return ds_ok();
}

static ds_status open_capture(const char *path, const ds_capture_options *options,
                              ds_capture *capture, ds_capture_calibrations *calibrations) {
    capture_layout layout;
    ds_status status = find_layout(path, &layout);
    if (ds_failed(&status)) {
        return status;
    }
    capture->source = layout.source;
    capture->frame_folders = layout.frame_folders;
    capture->root = strdup(layout.root);
    capture->image_root = strdup(layout.image_root);
    if (!capture->root || !capture->image_root) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the capture's paths");
    }
    memcpy(capture->background, options->background, sizeof capture->background);
    status = layout.source == DS_CAPTURE_TRANSFORMS_JSON ? read_transforms(&layout, calibrations)
                                                         : read_colmap(&layout, calibrations);
    if (ds_failed(&status)) {
        return status;
    }
    if (calibrations->count == 0) {
        return ds_error(DS_ERR_FORMAT, "the capture has no views");
    }
    /* Frame 0 must exist before views are built: their image paths need a frame. */
    capture->frame_count = capture->frame_folders ? count_frames(capture->image_root) : 1;
    if (capture->frame_count == 0) {
        return ds_error(DS_ERR_IO, "the capture has no frame folder 0 beside %s",
                        layout.source == DS_CAPTURE_TRANSFORMS_JSON ? "transforms.json"
                                                                    : "its COLMAP model");
    }
    status = build_views(capture, calibrations, options);
    if (!ds_failed(&status)) {
        status = check_first_frame_images(capture);
    }
    return status;
}

ds_status ds_capture_open(const char *path, const ds_capture_options *options,
                          ds_capture **capture) {
    *capture = NULL;
    ds_capture_options defaults = ds_capture_default_options();
    if (!options) {
        options = &defaults;
    }
    ds_status status = check_options(options);
    if (ds_failed(&status)) {
        return status;
    }
    ds_capture *opened = calloc(1, sizeof *opened);
    if (!opened) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a capture");
    }
    ds_capture_calibrations calibrations = {0};
    status = open_capture(path, options, opened, &calibrations);
    ds_capture_calibrations_free(&calibrations);
    if (ds_failed(&status)) {
        ds_capture_free(opened);
        return status;
    }
    *capture = opened;
    return ds_ok();
}

void ds_capture_free(ds_capture *capture) {
    if (!capture) {
        return;
    }
    for (size_t v = 0; v < capture->view_count; v++) {
        free(capture->views[v].name);
        free(capture->views[v].file_name);
    }
    free(capture->views);
    free(capture->root);
    free(capture->image_root);
    free(capture);
}

/* ---- images ---- */

ds_status ds_capture_load_image(const ds_capture *capture, size_t view, int frame,
                                ds_image *image) {
    image->width = image->height = 0;
    image->pixels = NULL;
    char path[PATH_CAPACITY];
    ds_status status = ds_capture_image_path(capture, view, frame, path, sizeof path);
    if (ds_failed(&status)) {
        return status;
    }
    const ds_capture_view *v = &capture->views[view];
    ds_image source;
    status = ds_png_load(path, capture->background, &source);
    if (ds_failed(&status)) {
        return ds_error(status.code, "view %zu (%s) frame %d: %s", view, v->file_name, frame,
                        status.message);
    }
    if (source.width != v->source_camera.width || source.height != v->source_camera.height) {
        status = ds_error(DS_ERR_FORMAT, "view %zu (%s): image is %dx%d but %s says %dx%d", view,
                          v->file_name, source.width, source.height, calibration_file_name(capture),
                          v->source_camera.width, v->source_camera.height);
        ds_image_free(&source);
        return status;
    }
    if (!ds_lens_distortion_is_zero(&v->distortion)) {
        ds_image undistorted;
        status = ds_capture_undistort(&source, &v->source_camera, &v->distortion,
                                      capture->background, &undistorted);
        ds_image_free(&source);
        if (ds_failed(&status)) {
            return status;
        }
        source = undistorted;
    }
    if (source.width == v->camera.width && source.height == v->camera.height) {
        *image = source;
        return ds_ok();
    }
    status = ds_capture_resize(&source, v->camera.width, v->camera.height, image);
    ds_image_free(&source);
    return status;
}

ds_dsv_up_axis ds_capture_up_axis(const ds_capture *capture) {
    /* A camera's image up is -y in camera axes: in world axes, minus the second row of R. */
    double mean[3] = {0, 0, 0};
    for (size_t v = 0; v < capture->view_count; v++) {
        const double *r = capture->views[v].camera.rotation;
        for (int k = 0; k < 3; k++) {
            mean[k] -= r[3 + k];
        }
    }
    double norm = sqrt(mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]);
    for (int k = 0; k < 3; k++) {
        if (norm > 0 && fabs(mean[k]) > 0.8 * norm) {
            return (ds_dsv_up_axis)(DS_DSV_UP_POSITIVE_X + 2 * k + (mean[k] < 0));
        }
    }
    return DS_DSV_UP_UNSPECIFIED;
}
