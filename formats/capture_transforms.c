/* instant-NGP transforms.json: the calibration of the HiFi4G and DualGS datasets. */
#define _POSIX_C_SOURCE 200809L
#include "capture_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Intrinsics a frame entry may carry; entries that lack one use the top level's, as instant-NGP
 * does. */
typedef struct intrinsic_fields {
    double w, h, fl_x, fl_y, cx, cy, camera_angle_x, camera_angle_y;
    double k1, k2, k3, k4, p1, p2;
    bool is_fisheye;
} intrinsic_fields;

static const intrinsic_fields unset_fields = {
    .w = NAN,
    .h = NAN,
    .fl_x = NAN,
    .fl_y = NAN,
    .cx = NAN,
    .cy = NAN,
    .camera_angle_x = NAN,
    .camera_angle_y = NAN,
};

/* Reads an optional number; a present value that is not a finite number is an error. */
static ds_status read_number(const cJSON *object, const char *where, const char *key,
                             double *value) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!item) {
        return ds_ok();
    }
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return ds_error(DS_ERR_FORMAT, "%s%s is not a number", where, key);
    }
    *value = item->valuedouble;
    return ds_ok();
}

/* Overrides `fields` with what `object` says; `where` is "" for the top level or "frames[3].". */
static ds_status read_intrinsics(const cJSON *object, const char *where, intrinsic_fields *f) {
    struct {
        const char *key;
        double *value;
    } numbers[] = {
        {"w", &f->w},
        {"h", &f->h},
        {"fl_x", &f->fl_x},
        {"fl_y", &f->fl_y},
        {"cx", &f->cx},
        {"cy", &f->cy},
        {"camera_angle_x", &f->camera_angle_x},
        {"camera_angle_y", &f->camera_angle_y},
        {"k1", &f->k1},
        {"k2", &f->k2},
        {"k3", &f->k3},
        {"k4", &f->k4},
        {"p1", &f->p1},
        {"p2", &f->p2},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        ds_status status = read_number(object, where, numbers[i].key, numbers[i].value);
        if (ds_failed(&status)) {
            return status;
        }
    }
    const cJSON *fisheye = cJSON_GetObjectItemCaseSensitive(object, "is_fisheye");
    if (fisheye) {
        if (!cJSON_IsBool(fisheye)) {
            return ds_error(DS_ERR_FORMAT, "%sis_fisheye is not true or false", where);
        }
        f->is_fisheye = cJSON_IsTrue(fisheye);
    }
    return ds_ok();
}

/* The image size in pixels: a whole number in 1..65536, or 0 when absent. */
static ds_status read_size(double value, const char *where, const char *key, int *size) {
    *size = 0;
    if (isnan(value)) {
        return ds_ok();
    }
    if (value < 1.0 || value > 65536.0 || value != floor(value)) {
        return ds_error(DS_ERR_FORMAT, "%s%s = %g is not an image size in pixels", where, key,
                        value);
    }
    *size = (int)value;
    return ds_ok();
}

static ds_status read_matrix(const cJSON *frame, const char *where, double matrix[16]) {
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(frame, "transform_matrix");
    if (!rows) {
        return ds_error(DS_ERR_FORMAT, "%stransform_matrix is missing", where);
    }
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != 4) {
        return ds_error(DS_ERR_FORMAT, "%stransform_matrix is not a 4x4 matrix", where);
    }
    int i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 4) {
            return ds_error(DS_ERR_FORMAT, "%stransform_matrix is not a 4x4 matrix", where);
        }
        int j = 0;
        const cJSON *element;
        cJSON_ArrayForEach(element, row) {
            if (!cJSON_IsNumber(element) || !isfinite(element->valuedouble)) {
                return ds_error(DS_ERR_FORMAT, "%stransform_matrix[%d][%d] is not a number", where,
                                i, j);
            }
            matrix[4 * i + j] = element->valuedouble;
            j++;
        }
        i++;
    }
    return ds_ok();
}

/* The image's name inside a frame folder: the last component of file_path ("./images/0.png"
 * -> "0.png"), as the datasets' frame folders hold the images directly. */
static ds_status read_file_name(const cJSON *frame, const char *where, char **file_name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(frame, "file_path");
    if (!item) {
        return ds_error(DS_ERR_FORMAT, "%sfile_path is missing", where);
    }
    if (!cJSON_IsString(item)) {
        return ds_error(DS_ERR_FORMAT, "%sfile_path is not a string", where);
    }
    const char *path = item->valuestring;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        return ds_error(DS_ERR_FORMAT, "%sfile_path '%.64s' does not name a file", where, path);
    }
    *file_name = strdup(base);
    if (!*file_name) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a file name");
    }
    return ds_ok();
}

static ds_status check_distortion_model(const intrinsic_fields *f, int index) {
    if (f->is_fisheye) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "frames[%d] is a fisheye camera, which is not supported", index);
    }
    if (f->k3 != 0.0 || f->k4 != 0.0) {
        return ds_error(DS_ERR_UNSUPPORTED,
                        "frames[%d] has k3/k4 lens distortion, which is not supported "
                        "(only k1, k2, p1, p2)",
                        index);
    }
    return ds_ok();
}

static ds_status read_frame(const cJSON *frame, const intrinsic_fields *top, int index,
                            ds_capture_calibration *calibration) {
    char where[32];
    snprintf(where, sizeof where, "frames[%d].", index);
    if (!cJSON_IsObject(frame)) {
        return ds_error(DS_ERR_FORMAT, "frames[%d] is not an object", index);
    }
    ds_status status = read_file_name(frame, where, &calibration->file_name);
    double matrix[16];
    if (!ds_failed(&status)) {
        status = read_matrix(frame, where, matrix);
    }
    intrinsic_fields f = *top;
    if (!ds_failed(&status)) {
        status = read_intrinsics(frame, where, &f);
    }
    if (!ds_failed(&status)) {
        status = check_distortion_model(&f, index);
    }
    int width = 0, height = 0;
    if (!ds_failed(&status)) {
        status = read_size(f.w, where, "w", &width);
    }
    if (!ds_failed(&status)) {
        status = read_size(f.h, where, "h", &height);
    }
    if (ds_failed(&status)) {
        return status;
    }
    if ((width == 0) != (height == 0)) {
        return ds_error(DS_ERR_FORMAT, "frames[%d] gives only one of w and h", index);
    }
    /* Placeholder intrinsics: only the pose is taken from this conversion; the intrinsics are
     * checked once the image size is known (ds_capture_calibration_complete). */
    ds_camera pose;
    status = ds_camera_from_opengl_camera_to_world(matrix, 1, 1, 1.0, 1.0, 0.5, 0.5, &pose);
    if (ds_failed(&status)) {
        return ds_error(status.code, "%stransform_matrix: %s", where, status.message);
    }
    calibration->camera = pose;
    calibration->camera.width = width;
    calibration->camera.height = height;
    calibration->camera.fx = f.fl_x;
    calibration->camera.fy = f.fl_y;
    calibration->camera.cx = f.cx;
    calibration->camera.cy = f.cy;
    calibration->camera_angle_x = f.camera_angle_x;
    calibration->camera_angle_y = f.camera_angle_y;
    calibration->distortion = (ds_lens_distortion){.k1 = f.k1, .k2 = f.k2, .p1 = f.p1, .p2 = f.p2};
    return ds_ok();
}

/* Line number of a byte offset, for messages about malformed JSON. */
static size_t line_of(const char *text, size_t length, size_t offset) {
    size_t line = 1;
    for (size_t i = 0; i < offset && i < length; i++) {
        line += text[i] == '\n';
    }
    return line;
}

static ds_status read_document(const cJSON *root, ds_capture_calibrations *out) {
    if (!cJSON_IsObject(root)) {
        return ds_error(DS_ERR_FORMAT, "transforms.json is not a JSON object");
    }
    intrinsic_fields top = unset_fields;
    ds_status status = read_intrinsics(root, "", &top);
    if (ds_failed(&status)) {
        return status;
    }
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "frames");
    if (!frames) {
        return ds_error(DS_ERR_FORMAT, "transforms.json has no frames[] array");
    }
    if (!cJSON_IsArray(frames)) {
        return ds_error(DS_ERR_FORMAT, "transforms.json frames is not an array");
    }
    int count = cJSON_GetArraySize(frames);
    if (count <= 0) {
        return ds_error(DS_ERR_FORMAT, "transforms.json lists no frames (no views)");
    }
    out->items = calloc((size_t)count, sizeof *out->items);
    if (!out->items) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %d cameras", count);
    }
    const cJSON *frame;
    cJSON_ArrayForEach(frame, frames) {
        status = read_frame(frame, &top, (int)out->count, &out->items[out->count]);
        out->count++; /* counted even on failure, so its file name is freed */
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}

ds_status ds_transforms_parse(const char *text, size_t length, ds_capture_calibrations *out) {
    *out = (ds_capture_calibrations){0};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!root) {
        size_t offset = end && end >= text ? (size_t)(end - text) : 0;
        if (length == 0) {
            return ds_error(DS_ERR_FORMAT, "transforms.json is empty");
        }
        return ds_error(DS_ERR_FORMAT, "transforms.json is not valid JSON (error at line %zu)",
                        line_of(text, length, offset));
    }
    ds_status status = read_document(root, out);
    cJSON_Delete(root);
    if (ds_failed(&status)) {
        ds_capture_calibrations_free(out);
    }
    return status;
}
