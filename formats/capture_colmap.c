/* COLMAP sparse models: cameras and images, in COLMAP's binary (.bin) and text (.txt) forms.
 *
 * COLMAP's camera space is ours (x right, y down, z forward, pixel centres at +0.5) and its
 * images store the world-to-camera rotation as a quaternion (qw, qx, qy, qz) and the
 * translation t, so poses need no change of axes. */
#define _POSIX_C_SOURCE 200809L
#include "byte_buffer.h"
#include "capture_internal.h"
#include "vector3.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_COLMAP_PARAMETERS = 16, MAX_IMAGE_NAME = 4096, MAX_IMAGE_SIDE = 65536 };
/* The smallest records the binary files can hold: a camera with 3 parameters, an image with a
 * one-character name and no points. Counts are checked against these before allocating. */
enum { MIN_CAMERA_RECORD = 4 + 4 + 8 + 8 + 3 * 8, MIN_IMAGE_RECORD = 4 + 7 * 8 + 4 + 2 + 8 };
enum { POINT2D_RECORD = 8 + 8 + 8 };

typedef struct colmap_model {
    const char *name;
    int parameter_count;
    bool supported;
} colmap_model;

/* Indexed by COLMAP's model id (colmap/sensor/models.h). */
static const colmap_model colmap_models[] = {
    {"SIMPLE_PINHOLE", 3, true},
    {"PINHOLE", 4, true},
    {"SIMPLE_RADIAL", 4, true},
    {"RADIAL", 5, true},
    {"OPENCV", 8, true},
    {"OPENCV_FISHEYE", 8, false},
    {"FULL_OPENCV", 12, false},
    {"FOV", 5, false},
    {"SIMPLE_RADIAL_FISHEYE", 4, false},
    {"RADIAL_FISHEYE", 5, false},
    {"THIN_PRISM_FISHEYE", 12, false},
    {"RAD_TAN_THIN_PRISM_FISHEYE", 16, false},
};
enum { COLMAP_MODEL_COUNT = sizeof colmap_models / sizeof colmap_models[0] };

static ds_status unsupported_model(uint32_t camera_id, int model) {
    return ds_error(DS_ERR_UNSUPPORTED,
                    "camera %u uses COLMAP's %s model, which is not supported (use "
                    "SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL or OPENCV)",
                    camera_id, colmap_models[model].name);
}

/* Intrinsics from a model's parameter list (COLMAP's order for each model). */
static ds_status camera_from_parameters(uint32_t id, int model, int width, int height,
                                        const double *p, ds_colmap_camera *camera) {
    *camera = (ds_colmap_camera){.id = id, .width = width, .height = height};
    for (int i = 0; i < colmap_models[model].parameter_count; i++) {
        if (!isfinite(p[i])) {
            return ds_error(DS_ERR_FORMAT, "camera %u has a parameter that is not finite", id);
        }
    }
    switch (model) {
    case 0: /* SIMPLE_PINHOLE: f, cx, cy */
    case 2: /* SIMPLE_RADIAL: f, cx, cy, k */
    case 3: /* RADIAL: f, cx, cy, k1, k2 */
        camera->fx = camera->fy = p[0];
        camera->cx = p[1];
        camera->cy = p[2];
        camera->distortion.k1 = model >= 2 ? p[3] : 0.0;
        camera->distortion.k2 = model == 3 ? p[4] : 0.0;
        return ds_ok();
    case 1: /* PINHOLE: fx, fy, cx, cy */
    case 4: /* OPENCV: fx, fy, cx, cy, k1, k2, p1, p2 */
        camera->fx = p[0];
        camera->fy = p[1];
        camera->cx = p[2];
        camera->cy = p[3];
        if (model == 4) {
            camera->distortion = (ds_lens_distortion){p[4], p[5], p[6], p[7]};
        }
        return ds_ok();
    default:
        return unsupported_model(id, model);
    }
}

static ds_status check_image_size(uint32_t id, uint64_t width, uint64_t height) {
    if (width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
        return ds_error(DS_ERR_FORMAT, "camera %u has an image size of %llux%llu pixels", id,
                        (unsigned long long)width, (unsigned long long)height);
    }
    return ds_ok();
}

static int compare_camera_ids(const void *a, const void *b) {
    uint32_t x = ((const ds_colmap_camera *)a)->id, y = ((const ds_colmap_camera *)b)->id;
    return (x > y) - (x < y);
}

/* Sorts by id for lookups and refuses an id used twice. */
static ds_status index_cameras(ds_colmap_cameras *cameras, const char *file) {
    if (cameras->count == 0) {
        return ds_error(DS_ERR_FORMAT, "%s lists no cameras", file);
    }
    qsort(cameras->items, cameras->count, sizeof *cameras->items, compare_camera_ids);
    for (size_t i = 1; i < cameras->count; i++) {
        if (cameras->items[i].id == cameras->items[i - 1].id) {
            return ds_error(DS_ERR_FORMAT, "%s lists camera %u twice", file, cameras->items[i].id);
        }
    }
    return ds_ok();
}

static const ds_colmap_camera *find_camera(const ds_colmap_cameras *cameras, uint32_t id) {
    ds_colmap_camera key = {.id = id};
    return bsearch(&key, cameras->items, cameras->count, sizeof key, compare_camera_ids);
}

void ds_colmap_cameras_free(ds_colmap_cameras *cameras) {
    free(cameras->items);
    *cameras = (ds_colmap_cameras){0};
}

/* The world-to-camera rotation of a quaternion (qw, qx, qy, qz), normalised first because text
 * models round it. */
static bool rotation_from_quaternion(const double q[4], double r[9]) {
    double norm = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(norm > 1e-12) || !isfinite(norm)) {
        return false;
    }
    ds_unit_quaternion_matrix(q[0] / norm, q[1] / norm, q[2] / norm, q[3] / norm, r);
    return true;
}

/* Image names are joined to the images folder: refuse ones that could leave it. */
static bool is_safe_image_name(const char *name) {
    if (name[0] == '\0' || name[0] == '/') {
        return false;
    }
    for (const char *c = name; *c; c++) {
        if ((unsigned char)*c < 0x20) {
            return false;
        }
    }
    const char *component = name;
    for (;;) {
        size_t length = strcspn(component, "/");
        if (length == 2 && component[0] == '.' && component[1] == '.') {
            return false;
        }
        if (component[length] == '\0') {
            return length > 0;
        }
        component += length + 1;
    }
}

/* Turns one image record into a calibration. */
static ds_status make_calibration(uint32_t image_id, const double pose[7], uint32_t camera_id,
                                  const char *name, const ds_colmap_cameras *cameras,
                                  ds_capture_calibration *calibration) {
    if (!is_safe_image_name(name)) {
        return ds_error(DS_ERR_FORMAT, "image %u has an invalid name '%.64s'", image_id, name);
    }
    const ds_colmap_camera *camera = find_camera(cameras, camera_id);
    if (!camera) {
        return ds_error(DS_ERR_FORMAT,
                        "image %u (%.64s) refers to camera %u, which is not in "
                        "the cameras file",
                        image_id, name, camera_id);
    }
    for (int i = 0; i < 7; i++) {
        if (!isfinite(pose[i])) {
            return ds_error(DS_ERR_FORMAT, "image %u (%.64s) has a pose that is not finite",
                            image_id, name);
        }
    }
    *calibration = (ds_capture_calibration){
        .camera = {.width = camera->width,
                   .height = camera->height,
                   .fx = camera->fx,
                   .fy = camera->fy,
                   .cx = camera->cx,
                   .cy = camera->cy,
                   .translation = {pose[4], pose[5], pose[6]}},
        .camera_angle_x = NAN,
        .camera_angle_y = NAN,
        .distortion = camera->distortion,
    };
    if (!rotation_from_quaternion(pose, calibration->camera.rotation)) {
        return ds_error(DS_ERR_FORMAT, "image %u (%.64s) has a zero rotation quaternion", image_id,
                        name);
    }
    calibration->file_name = strdup(name);
    if (!calibration->file_name) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate an image name");
    }
    return ds_ok();
}

/* ---- binary files ---- */

static bool read_f64le(ds_byte_reader *reader, double *value) {
    uint64_t bits;
    if (!ds_byte_reader_u64le(reader, &bits)) {
        return false;
    }
    memcpy(value, &bits, sizeof *value);
    return true;
}

/* Reads the record count and checks that the file could hold that many records. */
static ds_status read_count(ds_byte_reader *reader, size_t min_record, const char *file,
                            size_t *count) {
    uint64_t value;
    if (!ds_byte_reader_u64le(reader, &value)) {
        return ds_error(DS_ERR_FORMAT, "%s is truncated (no record count)", file);
    }
    if (value > ds_byte_reader_remaining(reader) / min_record) {
        return ds_error(DS_ERR_FORMAT,
                        "%s claims %llu records, more than its %zu bytes hold "
                        "(truncated or corrupt)",
                        file, (unsigned long long)value, reader->size);
    }
    *count = (size_t)value;
    return ds_ok();
}

static ds_status read_binary_camera(ds_byte_reader *reader, ds_colmap_camera *camera) {
    uint32_t id, model;
    uint64_t width, height;
    if (!ds_byte_reader_u32le(reader, &id) || !ds_byte_reader_u32le(reader, &model) ||
        !ds_byte_reader_u64le(reader, &width) || !ds_byte_reader_u64le(reader, &height)) {
        return ds_error(DS_ERR_FORMAT, "cameras.bin is truncated");
    }
    if (model >= COLMAP_MODEL_COUNT) {
        return ds_error(DS_ERR_UNSUPPORTED, "camera %u has unknown COLMAP model id %d", id,
                        (int)model);
    }
    if (!colmap_models[model].supported) {
        return unsupported_model(id, (int)model);
    }
    ds_status status = check_image_size(id, width, height);
    if (ds_failed(&status)) {
        return status;
    }
    double parameters[MAX_COLMAP_PARAMETERS];
    for (int i = 0; i < colmap_models[model].parameter_count; i++) {
        if (!read_f64le(reader, &parameters[i])) {
            return ds_error(DS_ERR_FORMAT, "cameras.bin is truncated inside camera %u", id);
        }
    }
    return camera_from_parameters(id, (int)model, (int)width, (int)height, parameters, camera);
}

ds_status ds_colmap_parse_cameras_bin(const uint8_t *data, size_t size, ds_colmap_cameras *out) {
    *out = (ds_colmap_cameras){0};
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    size_t count = 0;
    ds_status status = read_count(&reader, MIN_CAMERA_RECORD, "cameras.bin", &count);
    if (ds_failed(&status)) {
        return status;
    }
    out->items = calloc(count ? count : 1, sizeof *out->items);
    if (!out->items) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu cameras", count);
    }
    for (size_t i = 0; i < count && !ds_failed(&status); i++) {
        status = read_binary_camera(&reader, &out->items[i]);
        out->count = i + 1;
    }
    if (!ds_failed(&status) && ds_byte_reader_remaining(&reader) > 0) {
        status = ds_error(DS_ERR_FORMAT, "cameras.bin has %zu unexpected bytes after its cameras",
                          ds_byte_reader_remaining(&reader));
    }
    if (!ds_failed(&status)) {
        status = index_cameras(out, "cameras.bin");
    }
    if (ds_failed(&status)) {
        ds_colmap_cameras_free(out);
    }
    return status;
}

static ds_status read_binary_image(ds_byte_reader *reader, const ds_colmap_cameras *cameras,
                                   ds_capture_calibration *calibration) {
    uint32_t image_id, camera_id;
    double pose[7];
    if (!ds_byte_reader_u32le(reader, &image_id)) {
        return ds_error(DS_ERR_FORMAT, "images.bin is truncated");
    }
    for (int i = 0; i < 7; i++) {
        if (!read_f64le(reader, &pose[i])) {
            return ds_error(DS_ERR_FORMAT, "images.bin is truncated inside image %u", image_id);
        }
    }
    if (!ds_byte_reader_u32le(reader, &camera_id)) {
        return ds_error(DS_ERR_FORMAT, "images.bin is truncated inside image %u", image_id);
    }
    /* The name runs to a NUL byte that must lie inside the file. */
    size_t remaining = ds_byte_reader_remaining(reader);
    const uint8_t *start = reader->data + reader->position;
    const uint8_t *nul = memchr(start, 0, remaining < MAX_IMAGE_NAME ? remaining : MAX_IMAGE_NAME);
    if (!nul) {
        return ds_error(DS_ERR_FORMAT, "images.bin is truncated inside the name of image %u",
                        image_id);
    }
    const char *name = (const char *)start;
    ds_byte_reader_skip(reader, (size_t)(nul - start) + 1);
    uint64_t point_count;
    if (!ds_byte_reader_u64le(reader, &point_count) ||
        point_count > ds_byte_reader_remaining(reader) / POINT2D_RECORD) {
        return ds_error(DS_ERR_FORMAT, "images.bin is truncated inside image %u (%.64s)", image_id,
                        name);
    }
    /* The 2D points (x, y, point3D id) only matter to reconstruction, not to us. */
    ds_byte_reader_skip(reader, (size_t)point_count * POINT2D_RECORD);
    return make_calibration(image_id, pose, camera_id, name, cameras, calibration);
}

ds_status ds_colmap_parse_images_bin(const uint8_t *data, size_t size,
                                     const ds_colmap_cameras *cameras,
                                     ds_capture_calibrations *out) {
    *out = (ds_capture_calibrations){0};
    ds_byte_reader reader = ds_byte_reader_make(data, size);
    size_t count = 0;
    ds_status status = read_count(&reader, MIN_IMAGE_RECORD, "images.bin", &count);
    if (ds_failed(&status)) {
        return status;
    }
    if (count == 0) {
        return ds_error(DS_ERR_FORMAT, "images.bin lists no images (no views)");
    }
    out->items = calloc(count, sizeof *out->items);
    if (!out->items) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu images", count);
    }
    for (size_t i = 0; i < count && !ds_failed(&status); i++) {
        status = read_binary_image(&reader, cameras, &out->items[i]);
        out->count = i + 1;
    }
    if (!ds_failed(&status) && ds_byte_reader_remaining(&reader) > 0) {
        status = ds_error(DS_ERR_FORMAT, "images.bin has %zu unexpected bytes after its images",
                          ds_byte_reader_remaining(&reader));
    }
    if (ds_failed(&status)) {
        ds_capture_calibrations_free(out);
    }
    return status;
}

/* ---- text files ---- */

/* A NUL-terminated copy of a text file that its lines and tokens are cut out of in place. */
typedef struct text_lines {
    char *text;
    char *next; /* the start of the next line, NULL at the end */
    size_t line_number;
} text_lines;

static ds_status text_lines_open(const char *data, size_t length, const char *file,
                                 text_lines *lines) {
    *lines = (text_lines){0};
    if (memchr(data, '\0', length)) {
        return ds_error(DS_ERR_FORMAT, "%s is not a text file (it holds a NUL byte)", file);
    }
    lines->text = malloc(length + 1);
    if (!lines->text) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes for %s", length + 1, file);
    }
    memcpy(lines->text, data, length);
    lines->text[length] = '\0';
    lines->next = lines->text;
    return ds_ok();
}

/* The next line without its end of line characters, or NULL at the end of the text. */
static char *next_line(text_lines *lines) {
    char *line = lines->next;
    if (!line || (*line == '\0')) {
        return NULL;
    }
    char *end = strchr(line, '\n');
    if (end) {
        *end = '\0';
        lines->next = end + 1;
    } else {
        lines->next = NULL;
    }
    size_t length = strlen(line);
    while (length > 0 &&
           (line[length - 1] == '\r' || line[length - 1] == ' ' || line[length - 1] == '\t')) {
        line[--length] = '\0';
    }
    lines->line_number++;
    return line;
}

static bool is_blank_or_comment(const char *line) {
    line += strspn(line, " \t");
    return *line == '\0' || *line == '#';
}

/* Cuts the next whitespace-separated token out of *cursor; NULL when none is left. */
static char *next_token(char **cursor) {
    char *token = *cursor + strspn(*cursor, " \t");
    if (*token == '\0') {
        *cursor = token;
        return NULL;
    }
    size_t length = strcspn(token, " \t");
    *cursor = token + length;
    if (**cursor != '\0') {
        **cursor = '\0';
        (*cursor)++;
    }
    return token;
}

static bool parse_double(const char *token, double *value) {
    if (!token) {
        return false;
    }
    char *end;
    errno = 0;
    *value = strtod(token, &end);
    return end != token && *end == '\0' && isfinite(*value);
}

static bool parse_u64(const char *token, uint64_t *value) {
    if (!token || token[0] < '0' || token[0] > '9') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(token, &end, 10);
    *value = parsed;
    return *end == '\0' && errno == 0;
}

static bool parse_u32(const char *token, uint32_t *value) {
    uint64_t parsed;
    if (!parse_u64(token, &parsed) || parsed > UINT32_MAX) {
        return false;
    }
    *value = (uint32_t)parsed;
    return true;
}

static ds_status parse_camera_line(char *line, size_t line_number, ds_colmap_camera *camera) {
    char *cursor = line;
    uint32_t id;
    uint64_t width, height;
    if (!parse_u32(next_token(&cursor), &id)) {
        return ds_error(DS_ERR_FORMAT, "cameras.txt line %zu does not start with a camera id",
                        line_number);
    }
    const char *model_name = next_token(&cursor);
    int model = -1;
    for (int m = 0; model_name && m < COLMAP_MODEL_COUNT; m++) {
        if (strcmp(model_name, colmap_models[m].name) == 0) {
            model = m;
        }
    }
    if (model < 0) {
        return ds_error(DS_ERR_UNSUPPORTED, "cameras.txt line %zu: unknown camera model '%.32s'",
                        line_number, model_name ? model_name : "");
    }
    if (!colmap_models[model].supported) {
        return unsupported_model(id, model);
    }
    if (!parse_u64(next_token(&cursor), &width) || !parse_u64(next_token(&cursor), &height)) {
        return ds_error(DS_ERR_FORMAT, "cameras.txt line %zu has no image width and height",
                        line_number);
    }
    ds_status status = check_image_size(id, width, height);
    if (ds_failed(&status)) {
        return status;
    }
    double parameters[MAX_COLMAP_PARAMETERS];
    int expected = colmap_models[model].parameter_count;
    int found = 0;
    for (const char *token; (token = next_token(&cursor)) != NULL; found++) {
        if (found >= expected || !parse_double(token, &parameters[found])) {
            found = -1;
            break;
        }
    }
    if (found != expected) {
        return ds_error(DS_ERR_FORMAT,
                        "cameras.txt line %zu: a %s camera needs %d numeric "
                        "parameters",
                        line_number, colmap_models[model].name, expected);
    }
    return camera_from_parameters(id, model, (int)width, (int)height, parameters, camera);
}

/* An upper bound on the records, to allocate once: every line that is not blank (spaces and tabs)
 * or a comment. */
static size_t count_record_lines(const char *data, size_t length) {
    size_t lines = 0;
    size_t i = 0;
    while (i < length) {
        while (i < length && (data[i] == ' ' || data[i] == '\t')) {
            i++;
        }
        if (i < length && data[i] != '#' && data[i] != '\n') {
            lines++;
        }
        while (i < length && data[i] != '\n') {
            i++;
        }
        i++; /* past the end of the line */
    }
    return lines ? lines : 1;
}

ds_status ds_colmap_parse_cameras_txt(const char *text, size_t length, ds_colmap_cameras *out) {
    *out = (ds_colmap_cameras){0};
    text_lines lines;
    ds_status status = text_lines_open(text, length, "cameras.txt", &lines);
    if (ds_failed(&status)) {
        return status;
    }
    out->items = calloc(count_record_lines(text, length), sizeof *out->items);
    if (!out->items) {
        free(lines.text);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the cameras of cameras.txt");
    }
    for (char *line; !ds_failed(&status) && (line = next_line(&lines)) != NULL;) {
        if (is_blank_or_comment(line)) {
            continue;
        }
        status = parse_camera_line(line, lines.line_number, &out->items[out->count]);
        out->count++;
    }
    free(lines.text);
    if (!ds_failed(&status)) {
        status = index_cameras(out, "cameras.txt");
    }
    if (ds_failed(&status)) {
        ds_colmap_cameras_free(out);
    }
    return status;
}

/* "IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME"; the name is the rest of the line. */
static ds_status parse_image_line(char *line, size_t line_number, const ds_colmap_cameras *cameras,
                                  ds_capture_calibration *calibration) {
    char *cursor = line;
    uint32_t image_id, camera_id;
    double pose[7];
    bool ok = parse_u32(next_token(&cursor), &image_id);
    for (int i = 0; ok && i < 7; i++) {
        ok = parse_double(next_token(&cursor), &pose[i]);
    }
    ok = ok && parse_u32(next_token(&cursor), &camera_id);
    const char *name = cursor + strspn(cursor, " \t");
    if (!ok || *name == '\0') {
        return ds_error(DS_ERR_FORMAT,
                        "images.txt line %zu is not 'IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID "
                        "NAME'",
                        line_number);
    }
    if (strlen(name) >= MAX_IMAGE_NAME) {
        return ds_error(DS_ERR_FORMAT, "images.txt line %zu has an image name that is too long",
                        line_number);
    }
    return make_calibration(image_id, pose, camera_id, name, cameras, calibration);
}

ds_status ds_colmap_parse_images_txt(const char *text, size_t length,
                                     const ds_colmap_cameras *cameras,
                                     ds_capture_calibrations *out) {
    *out = (ds_capture_calibrations){0};
    text_lines lines;
    ds_status status = text_lines_open(text, length, "images.txt", &lines);
    if (ds_failed(&status)) {
        return status;
    }
    out->items = calloc(count_record_lines(text, length), sizeof *out->items);
    if (!out->items) {
        free(lines.text);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the images of images.txt");
    }
    for (char *line; !ds_failed(&status) && (line = next_line(&lines)) != NULL;) {
        if (is_blank_or_comment(line)) {
            continue;
        }
        status = parse_image_line(line, lines.line_number, cameras, &out->items[out->count]);
        out->count++;
        /* Each image line is followed by its 2D points line, which may be empty: skip it. */
        next_line(&lines);
    }
    free(lines.text);
    if (!ds_failed(&status) && out->count == 0) {
        status = ds_error(DS_ERR_FORMAT, "images.txt lists no images (no views)");
    }
    if (ds_failed(&status)) {
        ds_capture_calibrations_free(out);
    }
    return status;
}
