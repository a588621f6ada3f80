/* Camera path files (JSON, cJSON). */
#include "camera_path_file.h"

#include "file_io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The smallest field of view accepted: narrower ones make focal lengths overflow for no view
 * anyone means. */
static const double MIN_FOV_DEGREES = 1e-3;
/* Eye and target closer than this (relative to their size) cannot be told apart in doubles, and
 * below the absolute floor the squared distance would underflow. */
static const double MIN_RELATIVE_DISTANCE = 1e-12, MIN_DISTANCE = 1e-100;
/* Sine of the smallest angle between up and the viewing direction: look-at needs their cross
 * product to have some length. */
static const double MIN_UP_SINE = 1e-6;
static const double MAX_TURNS = 1e6;

static double max_abs(const double v[3]) {
    return fmax(fabs(v[0]), fmax(fabs(v[1]), fabs(v[2])));
}

/* v / |v|, scaled by its largest component first so that tiny and huge vectors neither
 * underflow nor overflow when squared; false for the zero vector. */
static bool unit_vector(const double v[3], double out[3]) {
    double scale = max_abs(v);
    if (!(scale > 0.0)) {
        return false;
    }
    double length = 0.0;
    for (int k = 0; k < 3; k++) {
        out[k] = v[k] / scale;
        length += out[k] * out[k];
    }
    length = sqrt(length);
    for (int k = 0; k < 3; k++) {
        out[k] /= length;
    }
    return true;
}

static bool vector_in_range(const double v[3]) {
    for (int k = 0; k < 3; k++) {
        if (!(fabs(v[k]) <= DS_CAMERA_PATH_MAX_COORDINATE)) {
            return false;
        }
    }
    return true;
}

static bool fov_in_range(double fov) {
    return fov >= MIN_FOV_DEGREES && fov < 180.0;
}

static bool up_is_usable(const double up[3], const double view[3]) {
    double u[3], d[3];
    if (!unit_vector(up, u) || !unit_vector(view, d)) {
        return false;
    }
    double c[3] = {u[1] * d[2] - u[2] * d[1], u[2] * d[0] - u[0] * d[2], u[0] * d[1] - u[1] * d[0]};
    return sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) >= MIN_UP_SINE;
}

ds_status ds_camera_keyframes_validate(const ds_camera_keyframe *keyframes, size_t count) {
    if (count == 0) {
        return ds_error(DS_ERR_FORMAT, "there are no keyframes");
    }
    if (count > DS_CAMERA_PATH_MAX_KEYFRAMES) {
        return ds_error(DS_ERR_FORMAT, "%zu keyframes are more than the %d allowed", count,
                        DS_CAMERA_PATH_MAX_KEYFRAMES);
    }
    for (size_t i = 0; i < count; i++) {
        const ds_camera_keyframe *key = &keyframes[i];
        if (!(key->time >= 0.0 && key->time <= DS_CAMERA_PATH_MAX_TIME)) {
            return ds_error(DS_ERR_FORMAT, "keyframes[%zu]: time %g is not between 0 and %g s", i,
                            key->time, DS_CAMERA_PATH_MAX_TIME);
        }
        if (i > 0 && !(key->time > keyframes[i - 1].time)) {
            return ds_error(DS_ERR_FORMAT,
                            "keyframes[%zu]: time %g is not after the previous keyframe's %g", i,
                            key->time, keyframes[i - 1].time);
        }
        const struct {
            const char *name;
            const double *value;
        } vectors[] = {{"eye", key->eye}, {"target", key->target}, {"up", key->up}};
        for (size_t v = 0; v < 3; v++) {
            if (!vector_in_range(vectors[v].value)) {
                return ds_error(DS_ERR_FORMAT, "keyframes[%zu]: '%s' is not within +-%g", i,
                                vectors[v].name, DS_CAMERA_PATH_MAX_COORDINATE);
            }
        }
        if (!fov_in_range(key->fov_y_degrees)) {
            return ds_error(DS_ERR_FORMAT,
                            "keyframes[%zu]: fov %g is not between 0 and 180 degrees", i,
                            key->fov_y_degrees);
        }
        double view[3];
        for (int k = 0; k < 3; k++) {
            view[k] = key->target[k] - key->eye[k];
        }
        double size = fmax(max_abs(key->eye), max_abs(key->target));
        if (!(max_abs(view) >= MIN_DISTANCE && max_abs(view) > MIN_RELATIVE_DISTANCE * size)) {
            return ds_error(DS_ERR_FORMAT, "keyframes[%zu]: 'eye' and 'target' are the same point",
                            i);
        }
        if (max_abs(key->up) == 0.0) {
            return ds_error(DS_ERR_FORMAT, "keyframes[%zu]: 'up' is zero", i);
        }
        if (!up_is_usable(key->up, view)) {
            return ds_error(DS_ERR_FORMAT,
                            "keyframes[%zu]: 'up' is parallel to the viewing direction", i);
        }
    }
    return ds_ok();
}

/* ---- reading JSON ---- */

static ds_status check_keys(const cJSON *object, const char *where, const char *const *allowed,
                            size_t allowed_count) {
    const cJSON *item;
    cJSON_ArrayForEach(item, object) {
        bool known = false;
        for (size_t i = 0; i < allowed_count && item->string; i++) {
            known = known || strcmp(item->string, allowed[i]) == 0;
        }
        if (!known) {
            return ds_error(DS_ERR_FORMAT, "camera path: %sunknown key '%.40s'", where,
                            item->string ? item->string : "");
        }
    }
    return ds_ok();
}

/* An optional number: *present tells whether the key was there. */
static ds_status read_number(const cJSON *object, const char *where, const char *key, double *value,
                             bool *present) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    *present = item != NULL;
    if (!item) {
        return ds_ok();
    }
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return ds_error(DS_ERR_FORMAT, "camera path: %s'%s' is not a number", where, key);
    }
    *value = item->valuedouble;
    return ds_ok();
}

/* An optional [x, y, z]. */
static ds_status read_vector(const cJSON *object, const char *where, const char *key,
                             double value[3], bool *present) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    *present = item != NULL;
    if (!item) {
        return ds_ok();
    }
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3) {
        return ds_error(DS_ERR_FORMAT, "camera path: %s'%s' needs 3 numbers", where, key);
    }
    int k = 0;
    const cJSON *element;
    cJSON_ArrayForEach(element, item) {
        if (!cJSON_IsNumber(element) || !isfinite(element->valuedouble)) {
            return ds_error(DS_ERR_FORMAT, "camera path: %s'%s' needs 3 numbers", where, key);
        }
        value[k++] = element->valuedouble;
    }
    return ds_ok();
}

static ds_status missing(const char *where, const char *key) {
    return ds_error(DS_ERR_FORMAT, "camera path: %s'%s' is missing", where, key);
}

static ds_status read_keyframe(const cJSON *item, size_t index, const double default_up[3],
                               double default_fov, ds_camera_keyframe *key) {
    char where[48];
    snprintf(where, sizeof where, "keyframes[%zu]: ", index);
    if (!cJSON_IsObject(item)) {
        return ds_error(DS_ERR_FORMAT, "camera path: keyframes[%zu] is not an object", index);
    }
    static const char *const keys[] = {"time", "eye", "target", "up", "fov"};
    ds_status status = check_keys(item, where, keys, sizeof keys / sizeof keys[0]);
    if (ds_failed(&status)) {
        return status;
    }
    *key = (ds_camera_keyframe){.fov_y_degrees = default_fov};
    memcpy(key->up, default_up, sizeof key->up);
    bool present;
    status = read_number(item, where, "time", &key->time, &present);
    if (ds_failed(&status) || !present) {
        return ds_failed(&status) ? status : missing(where, "time");
    }
    status = read_vector(item, where, "eye", key->eye, &present);
    if (ds_failed(&status) || !present) {
        return ds_failed(&status) ? status : missing(where, "eye");
    }
    status = read_vector(item, where, "target", key->target, &present);
    if (ds_failed(&status) || !present) {
        return ds_failed(&status) ? status : missing(where, "target");
    }
    status = read_vector(item, where, "up", key->up, &present);
    if (ds_failed(&status)) {
        return status;
    }
    return read_number(item, where, "fov", &key->fov_y_degrees, &present);
}

static ds_status read_keyframes(const cJSON *array, const double default_up[3], double default_fov,
                                ds_camera_path_file *out) {
    if (!cJSON_IsArray(array)) {
        return ds_error(DS_ERR_FORMAT, "camera path: 'keyframes' is not an array");
    }
    int count = cJSON_GetArraySize(array);
    if (count <= 0) {
        return ds_error(DS_ERR_FORMAT, "camera path: 'keyframes' is empty");
    }
    if (count > DS_CAMERA_PATH_MAX_KEYFRAMES) {
        return ds_error(DS_ERR_FORMAT, "camera path: %d keyframes are more than the %d allowed",
                        count, DS_CAMERA_PATH_MAX_KEYFRAMES);
    }
    out->keyframes = calloc((size_t)count, sizeof *out->keyframes);
    if (!out->keyframes) {
        return ds_error(DS_ERR_NO_MEMORY, "camera path: cannot allocate %d keyframes", count);
    }
    out->count = (size_t)count;
    size_t index = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, array) {
        ds_status status =
            read_keyframe(item, index, default_up, default_fov, &out->keyframes[index]);
        if (ds_failed(&status)) {
            return status;
        }
        index++;
    }
    ds_status status = ds_camera_keyframes_validate(out->keyframes, out->count);
    if (ds_failed(&status)) {
        return ds_error(status.code, "camera path: %s", status.message);
    }
    return ds_ok();
}

static ds_status read_orbit(const cJSON *object, bool has_default_up, const double default_up[3],
                            bool has_default_fov, double default_fov,
                            ds_camera_orbit_request *orbit) {
    const char *where = "orbit: ";
    if (!cJSON_IsObject(object)) {
        return ds_error(DS_ERR_FORMAT, "camera path: 'orbit' is not an object");
    }
    static const char *const keys[] = {"turns", "duration", "target", "up", "fov"};
    ds_status status = check_keys(object, where, keys, sizeof keys / sizeof keys[0]);
    if (ds_failed(&status)) {
        return status;
    }
    *orbit = (ds_camera_orbit_request){.turns = 1.0,
                                       .has_up = has_default_up,
                                       .has_fov = has_default_fov,
                                       .fov_y_degrees = default_fov};
    memcpy(orbit->up, default_up, sizeof orbit->up);
    bool present, has_up, has_fov;
    status = read_number(object, where, "turns", &orbit->turns, &present);
    if (!ds_failed(&status)) {
        status = read_number(object, where, "duration", &orbit->duration, &present);
        if (!ds_failed(&status) && !present) {
            status = missing(where, "duration");
        }
    }
    if (!ds_failed(&status)) {
        status = read_vector(object, where, "target", orbit->target, &orbit->has_target);
    }
    if (!ds_failed(&status)) {
        status = read_vector(object, where, "up", orbit->up, &has_up);
    }
    if (!ds_failed(&status)) {
        status = read_number(object, where, "fov", &orbit->fov_y_degrees, &has_fov);
    }
    if (ds_failed(&status)) {
        return status;
    }
    orbit->has_up = orbit->has_up || has_up;
    orbit->has_fov = orbit->has_fov || has_fov;
    if (!(fabs(orbit->turns) <= MAX_TURNS)) {
        return ds_error(DS_ERR_FORMAT, "camera path: orbit: %g turns are more than %g",
                        orbit->turns, MAX_TURNS);
    }
    if (!(orbit->duration > 0.0 && orbit->duration <= DS_CAMERA_PATH_MAX_TIME)) {
        return ds_error(DS_ERR_FORMAT, "camera path: orbit: duration %g is not between 0 and %g s",
                        orbit->duration, DS_CAMERA_PATH_MAX_TIME);
    }
    if (orbit->has_target && !vector_in_range(orbit->target)) {
        return ds_error(DS_ERR_FORMAT, "camera path: orbit: 'target' is not within +-%g",
                        DS_CAMERA_PATH_MAX_COORDINATE);
    }
    if (orbit->has_up && max_abs(orbit->up) == 0.0) {
        return ds_error(DS_ERR_FORMAT, "camera path: orbit: 'up' is zero");
    }
    if (orbit->has_fov && !fov_in_range(orbit->fov_y_degrees)) {
        return ds_error(DS_ERR_FORMAT,
                        "camera path: orbit: fov %g is not between 0 and 180 degrees",
                        orbit->fov_y_degrees);
    }
    return ds_ok();
}

static ds_status read_document(const cJSON *root, ds_camera_path_file *out) {
    if (!cJSON_IsObject(root)) {
        return ds_error(DS_ERR_FORMAT, "camera path: the file is not a JSON object");
    }
    static const char *const keys[] = {"keyframes", "orbit", "up", "fov"};
    ds_status status = check_keys(root, "", keys, sizeof keys / sizeof keys[0]);
    if (ds_failed(&status)) {
        return status;
    }
    /* The data model's up, -y (render/view.h's ds_default_up, which formats/ cannot see). */
    double up[3] = {0.0, -1.0, 0.0}, fov = DS_CAMERA_PATH_DEFAULT_FOV;
    bool has_up, has_fov;
    status = read_vector(root, "", "up", up, &has_up);
    if (!ds_failed(&status)) {
        status = read_number(root, "", "fov", &fov, &has_fov);
    }
    if (ds_failed(&status)) {
        return status;
    }
    if (has_up && max_abs(up) == 0.0) {
        return ds_error(DS_ERR_FORMAT, "camera path: 'up' is zero");
    }
    if (has_fov && !fov_in_range(fov)) {
        return ds_error(DS_ERR_FORMAT, "camera path: fov %g is not between 0 and 180 degrees", fov);
    }
    const cJSON *keyframes = cJSON_GetObjectItemCaseSensitive(root, "keyframes");
    const cJSON *orbit = cJSON_GetObjectItemCaseSensitive(root, "orbit");
    if (keyframes && orbit) {
        return ds_error(DS_ERR_FORMAT, "camera path: give either 'keyframes' or 'orbit', not both");
    }
    if (keyframes) {
        out->kind = DS_CAMERA_PATH_FILE_KEYFRAMES;
        return read_keyframes(keyframes, up, fov, out);
    }
    if (orbit) {
        out->kind = DS_CAMERA_PATH_FILE_ORBIT;
        return read_orbit(orbit, has_up, up, has_fov, fov, &out->orbit);
    }
    return ds_error(DS_ERR_FORMAT, "camera path: there is neither 'keyframes' nor 'orbit'");
}

static size_t line_of(const char *text, size_t length, size_t offset) {
    size_t line = 1;
    for (size_t i = 0; i < offset && i < length; i++) {
        line += text[i] == '\n';
    }
    return line;
}

ds_status ds_camera_path_file_parse(const char *text, size_t length, ds_camera_path_file *out) {
    *out = (ds_camera_path_file){0};
    if (length == 0) {
        return ds_error(DS_ERR_FORMAT, "camera path: the file is empty");
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (!root) {
        size_t offset = end && end >= text ? (size_t)(end - text) : 0;
        return ds_error(DS_ERR_FORMAT, "camera path: not valid JSON (error at line %zu)",
                        line_of(text, length, offset));
    }
    ds_status status = read_document(root, out);
    cJSON_Delete(root);
    if (ds_failed(&status)) {
        ds_camera_path_file_free(out);
    }
    return status;
}

ds_status ds_camera_path_file_load(const char *path, ds_camera_path_file *out) {
    *out = (ds_camera_path_file){0};
    uint8_t *data;
    size_t size;
    ds_status status = ds_file_read_all(path, DS_CAMERA_PATH_MAX_FILE_BYTES, &data, &size);
    if (ds_failed(&status)) {
        return ds_error(status.code, "camera path: %s", status.message);
    }
    status = ds_camera_path_file_parse((const char *)data, size, out);
    free(data);
    return status;
}

void ds_camera_path_file_free(ds_camera_path_file *file) {
    free(file->keyframes);
    *file = (ds_camera_path_file){0};
}
