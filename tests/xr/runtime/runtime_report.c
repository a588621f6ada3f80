/* What the runtime writes into DS_XR_TEST_OUTPUT: each captured view as a PNG and a JSON file,
 * and report.json when the instance is destroyed. Files are written under a temporary name and
 * renamed, so that a reader never sees half a file. */
#define _POSIX_C_SOURCE 200809L
#include "runtime_private.h"

#include <cjson/cJSON.h>
#include <png.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void output_path(const rt_instance *instance, const char *name, char *path, size_t size) {
    snprintf(path, size, "%s/%s", instance->output_dir, name);
}

static void report_write_failure(const char *path) {
    fprintf(stderr, "ds_test_xr_runtime: cannot write %s\n", path);
}

static bool write_text(const char *path, const char *text) {
    char temporary[4300];
    if (snprintf(temporary, sizeof temporary, "%s.tmp", path) >= (int)sizeof temporary) {
        return false;
    }
    FILE *file = fopen(temporary, "wb");
    if (!file) {
        return false;
    }
    bool written = fputs(text, file) >= 0 && fputc('\n', file) != EOF;
    written = fclose(file) == 0 && written;
    if (!written || rename(temporary, path) != 0) {
        remove(temporary);
        return false;
    }
    return true;
}

static bool write_json(const char *path, const cJSON *json) {
    char *text = cJSON_Print(json);
    bool written = text && write_text(path, text);
    cJSON_free(text);
    return written;
}

/* The bytes exactly as given (8-bit RGB, no conversion: an sRGB image's encoded values). */
static bool write_png(const char *path, const uint8_t *rgb, int32_t width, int32_t height) {
    char temporary[4300];
    if (snprintf(temporary, sizeof temporary, "%s.tmp", path) >= (int)sizeof temporary) {
        return false;
    }
    png_image image = {
        .version = PNG_IMAGE_VERSION,
        .width = (png_uint_32)width,
        .height = (png_uint_32)height,
        .format = PNG_FORMAT_RGB,
    };
    if (!png_image_write_to_file(&image, temporary, 0, rgb, width * 3, NULL)) {
        png_image_free(&image);
        return false;
    }
    if (rename(temporary, path) != 0) {
        remove(temporary);
        return false;
    }
    return true;
}

/* Floats as their shortest faithful decimal, so that 0.064f reads 0.064000003, not the double
 * expansion of the float. */
static cJSON *float_number(float value) {
    char text[32];
    snprintf(text, sizeof text, "%.9g", (double)value);
    return cJSON_CreateNumber(strtod(text, NULL));
}

static cJSON *float_array(const float *values, int count) {
    cJSON *array = cJSON_CreateArray();
    for (int i = 0; i < count; i++) {
        cJSON_AddItemToArray(array, float_number(values[i]));
    }
    return array;
}

static cJSON *pose_json(const XrPosef *pose) {
    const float position[3] = {pose->position.x, pose->position.y, pose->position.z};
    const float orientation[4] = {pose->orientation.x, pose->orientation.y, pose->orientation.z,
                                  pose->orientation.w};
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "position", float_array(position, 3));
    cJSON_AddItemToObject(json, "orientation", float_array(orientation, 4));
    return json;
}

static cJSON *fov_json(const XrFovf *fov) {
    const float angles[4] = {fov->angleLeft, fov->angleRight, fov->angleUp, fov->angleDown};
    return float_array(angles, 4);
}

void rt_report_write_view(const rt_instance *instance, int64_t frame,
                          const rt_view_capture *capture) {
    if (!instance->output_dir[0]) {
        return;
    }
    char name[64], path[4200];
    if (capture->rgb) {
        snprintf(name, sizeof name, "frame%lld_eye%u.png", (long long)frame, capture->eye);
        output_path(instance, name, path, sizeof path);
        if (!write_png(path, capture->rgb, capture->width, capture->height)) {
            report_write_failure(path);
        }
    }
    cJSON *json = cJSON_CreateObject();
    cJSON_AddItemToObject(json, "pose", pose_json(&capture->pose));
    cJSON_AddItemToObject(json, "fov", fov_json(&capture->fov));
    cJSON_AddItemToObject(json, "expected_pose", pose_json(&capture->expected_pose));
    cJSON_AddItemToObject(json, "expected_fov", fov_json(&capture->expected_fov));
    cJSON_AddStringToObject(json, "space", capture->space);
    cJSON *size = cJSON_CreateArray();
    cJSON_AddItemToArray(size, cJSON_CreateNumber(capture->width));
    cJSON_AddItemToArray(size, cJSON_CreateNumber(capture->height));
    cJSON_AddItemToObject(json, "size", size);
    cJSON_AddStringToObject(json, "format", capture->format);
    cJSON_AddBoolToObject(json, "depth", capture->depth);
    if (capture->depth) {
        cJSON_AddItemToObject(json, "near", float_number(capture->near_z));
        cJSON_AddItemToObject(json, "far", float_number(capture->far_z));
    }
    snprintf(name, sizeof name, "frame%lld_eye%u.json", (long long)frame, capture->eye);
    output_path(instance, name, path, sizeof path);
    if (!write_json(path, json)) {
        report_write_failure(path);
    }
    cJSON_Delete(json);
}

void rt_report_write(const rt_instance *instance) {
    if (!instance->output_dir[0]) {
        return;
    }
    cJSON *report = cJSON_CreateObject();
    cJSON *states = cJSON_AddArrayToObject(report, "states");
    for (size_t i = 0; i < instance->state_count; i++) {
        cJSON_AddItemToArray(states, cJSON_CreateString(rt_state_name(instance->states[i])));
    }
    cJSON_AddNumberToObject(report, "frames_waited", (double)instance->frames_waited);
    cJSON_AddNumberToObject(report, "frames_begun", (double)instance->frames_begun);
    cJSON_AddNumberToObject(report, "frames_ended", (double)instance->frames_ended);
    cJSON_AddNumberToObject(report, "frames_with_projection",
                            (double)instance->frames_with_projection);
    cJSON_AddNumberToObject(report, "frames_with_depth", (double)instance->frames_with_depth);
    cJSON_AddBoolToObject(report, "session_destroyed", instance->session_destroyed);
    if (instance->reference_space) {
        cJSON_AddStringToObject(report, "reference_space", instance->reference_space);
    } else {
        cJSON_AddNullToObject(report, "reference_space");
    }
    cJSON *profiles = cJSON_AddArrayToObject(report, "suggested_profiles");
    for (size_t i = 0; i < instance->suggested_profile_count; i++) {
        const char *profile = rt_path_string(instance, instance->suggested_profiles[i]);
        cJSON_AddItemToArray(profiles, cJSON_CreateString(profile ? profile : ""));
    }
    cJSON_AddBoolToObject(report, "action_sets_attached", instance->action_sets_attached);
    cJSON *errors = cJSON_AddArrayToObject(report, "errors");
    for (size_t i = 0; i < instance->error_count; i++) {
        cJSON_AddItemToArray(errors, cJSON_CreateString(instance->errors[i]));
    }
    if (instance->errors_dropped) {
        char more[64];
        snprintf(more, sizeof more, "... and %zu more", instance->errors_dropped);
        cJSON_AddItemToArray(errors, cJSON_CreateString(more));
    }
    char path[4200];
    output_path(instance, "report.json", path, sizeof path);
    if (!write_json(path, report)) {
        report_write_failure(path);
    }
    cJSON_Delete(report);
}
