/* The script (DS_XR_TEST_SCRIPT, tests/xr/README.md): what the simulated headset does, read
 * with cJSON. Unknown keys are refused, so that a misspelt key fails loudly instead of leaving
 * its default in place. */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The script's one reader: a parse failure leaves its message here and returns false. */
typedef struct script_reader {
    char *error;
    size_t error_size;
} script_reader;

static bool fail(script_reader *reader, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static bool fail(script_reader *reader, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reader->error, reader->error_size, format, arguments);
    va_end(arguments);
    return false;
}

static void set_defaults(rt_script *script) {
    *script = (rt_script){
        .view_width = 320,
        .view_height = 240,
        .fov = {-0.80, 0.70, 0.75, -0.75},
        .ipd = 0.064,
        .frames = 0,
        .stage = true,
        .depth_extension = true,
        .profile = "/interaction_profiles/oculus/touch_controller",
    };
}

static char *read_text_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        return NULL;
    }
    char *text = NULL;
    size_t size = 0, capacity = 0;
    for (;;) {
        if (capacity - size < 4096) {
            capacity = capacity ? capacity * 2 : 8192;
            char *grown = realloc(text, capacity);
            if (!grown) {
                free(text);
                fclose(file);
                return NULL;
            }
            text = grown;
        }
        size_t got = fread(text + size, 1, capacity - size - 1, file);
        size += got;
        if (got == 0) {
            break;
        }
    }
    bool failed = ferror(file);
    fclose(file);
    if (failed) {
        free(text);
        return NULL;
    }
    text[size] = '\0';
    return text;
}

static bool read_numbers(script_reader *reader, const cJSON *item, const char *key, double *out,
                         int count) {
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != count) {
        return fail(reader, "'%s' must be an array of %d numbers", key, count);
    }
    int i = 0;
    const cJSON *element;
    cJSON_ArrayForEach(element, item) {
        if (!cJSON_IsNumber(element) || !isfinite(element->valuedouble)) {
            return fail(reader, "'%s' must be an array of %d numbers", key, count);
        }
        out[i++] = element->valuedouble;
    }
    return true;
}

static bool read_frame(script_reader *reader, const cJSON *item, const char *key, int64_t *out) {
    double value = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
    if (!(value >= 0.0 && value <= 1e12 && value == floor(value))) {
        return fail(reader, "'%s' must be a frame number (an integer >= 0)", key);
    }
    *out = (int64_t)value;
    return true;
}

static bool read_bool(script_reader *reader, const cJSON *item, const char *key, bool *out) {
    if (!cJSON_IsBool(item)) {
        return fail(reader, "'%s' must be true or false", key);
    }
    *out = cJSON_IsTrue(item);
    return true;
}

static bool read_head(script_reader *reader, const cJSON *item, rt_script *script) {
    int count = cJSON_IsArray(item) ? cJSON_GetArraySize(item) : 0;
    if (count == 0) {
        return fail(reader, "'head' must be a non-empty array of keys");
    }
    script->head = calloc((size_t)count, sizeof *script->head);
    if (!script->head) {
        return fail(reader, "out of memory");
    }
    const cJSON *key;
    cJSON_ArrayForEach(key, item) {
        rt_head_key *head = &script->head[script->head_count];
        if (!cJSON_IsObject(key) ||
            !read_frame(reader, cJSON_GetObjectItemCaseSensitive(key, "frame"), "head.frame",
                        &head->frame) ||
            !read_numbers(reader, cJSON_GetObjectItemCaseSensitive(key, "position"),
                          "head.position", head->position, 3) ||
            !read_numbers(reader, cJSON_GetObjectItemCaseSensitive(key, "orientation"),
                          "head.orientation", head->orientation, 4)) {
            return reader->error[0] ? false
                                    : fail(reader, "'head' keys must be objects with frame, "
                                                   "position and orientation");
        }
        double *q = head->orientation;
        double norm = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        if (norm < 1e-6) {
            return fail(reader, "'head.orientation' must not be zero");
        }
        for (int k = 0; k < 4; k++) {
            q[k] /= norm;
        }
        /* keep the keys sorted by frame (insertion: stable, and scripts list a few keys) */
        for (size_t i = script->head_count;
             i > 0 && script->head[i - 1].frame > script->head[i].frame; i--) {
            rt_head_key moved = script->head[i];
            script->head[i] = script->head[i - 1];
            script->head[i - 1] = moved;
        }
        script->head_count++;
    }
    return true;
}

static bool read_focus_loss(script_reader *reader, const cJSON *item, rt_script *script) {
    if (!cJSON_IsArray(item)) {
        return fail(reader, "'focus_loss' must be an array of [first, end] frame pairs");
    }
    int count = cJSON_GetArraySize(item);
    script->focus_loss = calloc((size_t)count + 1, sizeof *script->focus_loss);
    if (!script->focus_loss) {
        return fail(reader, "out of memory");
    }
    const cJSON *pair;
    cJSON_ArrayForEach(pair, item) {
        rt_frame_interval *interval = &script->focus_loss[script->focus_loss_count++];
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
            !read_frame(reader, cJSON_GetArrayItem(pair, 0), "focus_loss", &interval->first) ||
            !read_frame(reader, cJSON_GetArrayItem(pair, 1), "focus_loss", &interval->end)) {
            return fail(reader, "'focus_loss' must be an array of [first, end] frame pairs");
        }
    }
    return true;
}

static bool read_inputs(script_reader *reader, const cJSON *item, rt_script *script) {
    if (!cJSON_IsArray(item)) {
        return fail(reader, "'inputs' must be an array of {frame, path, value}");
    }
    int count = cJSON_GetArraySize(item);
    script->inputs = calloc((size_t)count + 1, sizeof *script->inputs);
    if (!script->inputs) {
        return fail(reader, "out of memory");
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, item) {
        rt_input_event *input = &script->inputs[script->input_count];
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(entry, "path");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(entry, "value");
        if (!read_frame(reader, cJSON_GetObjectItemCaseSensitive(entry, "frame"), "inputs.frame",
                        &input->frame)) {
            return false;
        }
        if (!cJSON_IsString(path) || path->valuestring[0] != '/' ||
            strlen(path->valuestring) >= sizeof input->path) {
            return fail(reader, "'inputs.path' must be an input path such as "
                                "\"/user/hand/right/input/a/click\"");
        }
        strcpy(input->path, path->valuestring);
        if (cJSON_IsNumber(value)) {
            input->value = (rt_input_value){.dimensions = 1, .x = (float)value->valuedouble};
        } else {
            double xy[2];
            if (!read_numbers(reader, value, "inputs.value", xy, 2)) {
                return fail(reader, "'inputs.value' must be a number or [x, y]");
            }
            input->value = (rt_input_value){.dimensions = 2, .x = (float)xy[0], .y = (float)xy[1]};
        }
        /* sorted by frame, file order kept within a frame (a later entry wins) */
        for (size_t i = script->input_count;
             i > 0 && script->inputs[i - 1].frame > script->inputs[i].frame; i--) {
            rt_input_event moved = script->inputs[i];
            script->inputs[i] = script->inputs[i - 1];
            script->inputs[i - 1] = moved;
        }
        script->input_count++;
    }
    return true;
}

static bool read_capture(script_reader *reader, const cJSON *item, rt_script *script) {
    if (!cJSON_IsArray(item)) {
        return fail(reader, "'capture' must be an array of frame numbers");
    }
    script->capture = calloc((size_t)cJSON_GetArraySize(item) + 1, sizeof *script->capture);
    if (!script->capture) {
        return fail(reader, "out of memory");
    }
    const cJSON *frame;
    cJSON_ArrayForEach(frame, item) {
        if (!read_frame(reader, frame, "capture", &script->capture[script->capture_count++])) {
            return false;
        }
    }
    return true;
}

static bool read_key(script_reader *reader, const cJSON *item, rt_script *script) {
    const char *key = item->string;
    if (strcmp(key, "view_size") == 0) {
        double size[2];
        if (!read_numbers(reader, item, key, size, 2)) {
            return false;
        }
        if (!(size[0] >= 1 && size[0] <= 8192 && size[1] >= 1 && size[1] <= 8192) ||
            size[0] != floor(size[0]) || size[1] != floor(size[1])) {
            return fail(reader, "'view_size' must be two whole numbers in [1, 8192]");
        }
        script->view_width = (uint32_t)size[0];
        script->view_height = (uint32_t)size[1];
        return true;
    }
    if (strcmp(key, "fov") == 0) {
        return read_numbers(reader, item, key, script->fov, 4);
    }
    if (strcmp(key, "ipd") == 0) {
        if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0.0 && item->valuedouble < 1.0)) {
            return fail(reader, "'ipd' must be a number of metres in [0, 1)");
        }
        script->ipd = item->valuedouble;
        return true;
    }
    if (strcmp(key, "frames") == 0) {
        return read_frame(reader, item, key, &script->frames);
    }
    if (strcmp(key, "stage") == 0) {
        return read_bool(reader, item, key, &script->stage);
    }
    if (strcmp(key, "depth_extension") == 0) {
        return read_bool(reader, item, key, &script->depth_extension);
    }
    if (strcmp(key, "realtime") == 0) {
        return read_bool(reader, item, key, &script->realtime);
    }
    if (strcmp(key, "no_headset") == 0) {
        return read_bool(reader, item, key, &script->no_headset);
    }
    if (strcmp(key, "head") == 0) {
        return read_head(reader, item, script);
    }
    if (strcmp(key, "focus_loss") == 0) {
        return read_focus_loss(reader, item, script);
    }
    if (strcmp(key, "profile") == 0) {
        if (!cJSON_IsString(item) ||
            strncmp(item->valuestring, "/interaction_profiles/", 22) != 0 ||
            strlen(item->valuestring) >= sizeof script->profile) {
            return fail(reader, "'profile' must be an interaction profile path");
        }
        strcpy(script->profile, item->valuestring);
        return true;
    }
    if (strcmp(key, "inputs") == 0) {
        return read_inputs(reader, item, script);
    }
    if (strcmp(key, "capture") == 0) {
        return read_capture(reader, item, script);
    }
    return fail(reader, "unknown key '%s'", key);
}

static bool add_default_head(rt_script *script) {
    script->head = calloc(1, sizeof *script->head);
    if (!script->head) {
        return false;
    }
    script->head[0] = (rt_head_key){.position = {0.0, 1.6, 0.0}, .orientation = {0, 0, 0, 1}};
    script->head_count = 1;
    return true;
}

bool rt_script_load(rt_script *script, char *error, size_t error_size) {
    set_defaults(script);
    script_reader reader = {error, error_size};
    error[0] = '\0';
    const char *path = getenv("DS_XR_TEST_SCRIPT");
    bool ok = true;
    if (path && *path) {
        char *text = read_text_file(path);
        cJSON *root = text ? cJSON_Parse(text) : NULL;
        if (!text) {
            ok = fail(&reader, "cannot read %s", path);
        } else if (!cJSON_IsObject(root)) {
            ok = fail(&reader, "%s is not a JSON object", path);
        } else {
            const cJSON *item;
            cJSON_ArrayForEach(item, root) {
                if (!read_key(&reader, item, script)) {
                    ok = false;
                    break;
                }
            }
        }
        cJSON_Delete(root);
        free(text);
    }
    if (ok && script->head_count == 0 && !add_default_head(script)) {
        ok = fail(&reader, "out of memory");
    }
    if (!ok) {
        char message[512];
        snprintf(message, sizeof message, "DS_XR_TEST_SCRIPT %s: %s", path ? path : "", error);
        snprintf(error, error_size, "%s", message);
        rt_script_free(script);
    }
    return ok;
}

void rt_script_free(rt_script *script) {
    free(script->head);
    free(script->focus_loss);
    free(script->inputs);
    free(script->capture);
    set_defaults(script);
}

bool rt_script_captures(const rt_script *script, int64_t frame) {
    for (size_t i = 0; i < script->capture_count; i++) {
        if (script->capture[i] == frame) {
            return true;
        }
    }
    return false;
}

bool rt_script_focus_lost(const rt_script *script, int64_t frame) {
    for (size_t i = 0; i < script->focus_loss_count; i++) {
        if (frame >= script->focus_loss[i].first && frame < script->focus_loss[i].end) {
            return true;
        }
    }
    return false;
}

bool rt_script_input(const rt_script *script, int64_t frame, const char *path,
                     rt_input_value *value) {
    bool found = false;
    for (size_t i = 0; i < script->input_count && script->inputs[i].frame <= frame; i++) {
        if (strcmp(script->inputs[i].path, path) == 0) {
            *value = script->inputs[i].value;
            found = true;
        }
    }
    return found;
}
