#define _POSIX_C_SOURCE 200809L
#include "dsv_manifest.h"

#include "file_io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char KEY[] = "dualsplat_renditions";

bool ds_dsv_manifest_recognise(const uint8_t *start, size_t size) {
    size_t i = 0;
    while (i < size &&
           (start[i] == ' ' || start[i] == '\n' || start[i] == '\r' || start[i] == '\t')) {
        i++;
    }
    if (i >= size || start[i] != '{') {
        return false;
    }
    /* The key comes first in what we write; allow it anywhere in the first bytes read. */
    for (; i + sizeof KEY - 1 <= size; i++) {
        if (memcmp(start + i, KEY, sizeof KEY - 1) == 0) {
            return true;
        }
    }
    return false;
}

void ds_dsv_manifest_free(ds_dsv_manifest *m) {
    for (size_t i = 0; m->renditions && i < m->count; i++) {
        free(m->renditions[i].name);
        free(m->renditions[i].uri);
    }
    free(m->renditions);
    *m = (ds_dsv_manifest){0};
}

static bool positive_number(const cJSON *object, const char *key, double limit, double *value) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || !(item->valuedouble > 0) ||
        item->valuedouble > limit) {
        return false;
    }
    *value = item->valuedouble;
    return true;
}

static int by_rate(const void *a, const void *b) {
    double x = ((const ds_dsv_rendition *)a)->bits_per_second;
    double y = ((const ds_dsv_rendition *)b)->bits_per_second;
    return x < y ? -1 : x > y;
}

ds_status ds_dsv_manifest_parse(const char *text, size_t length, ds_dsv_manifest *m) {
    *m = (ds_dsv_manifest){0};
    if (length > DS_DSV_MANIFEST_MAX_BYTES) {
        return ds_error(DS_ERR_FORMAT, "renditions manifest: larger than %d bytes",
                        DS_DSV_MANIFEST_MAX_BYTES);
    }
    cJSON *root = cJSON_ParseWithLength(text, length);
    if (!root) {
        return ds_error(DS_ERR_FORMAT, "renditions manifest: not valid JSON");
    }
    ds_status status = ds_ok();
    double version = 0, frames = 0, fps = 0, segment_frames = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "renditions");
    if (!positive_number(root, KEY, 1e9, &version) || version != 1) {
        status = ds_error(DS_ERR_UNSUPPORTED, "renditions manifest: version 1 expected");
    } else if (!positive_number(root, "frames", 1 << 24, &frames) ||
               !positive_number(root, "fps", 1000, &fps) ||
               !positive_number(root, "segment_frames", 1 << 24, &segment_frames) ||
               frames != floor(frames) || segment_frames != floor(segment_frames)) {
        status = ds_error(DS_ERR_FORMAT,
                          "renditions manifest: 'frames', 'fps' and 'segment_frames' must be "
                          "positive numbers (whole for frames)");
    } else if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 ||
               cJSON_GetArraySize(list) > DS_DSV_MANIFEST_MAX_RENDITIONS) {
        status = ds_error(DS_ERR_FORMAT, "renditions manifest: 'renditions' must list 1 to %d",
                          DS_DSV_MANIFEST_MAX_RENDITIONS);
    }
    if (!ds_failed(&status)) {
        m->frames = (uint32_t)frames;
        m->fps = fps;
        m->segment_frames = (uint32_t)segment_frames;
        m->renditions = calloc((size_t)cJSON_GetArraySize(list), sizeof *m->renditions);
        if (!m->renditions) {
            status = ds_error(DS_ERR_NO_MEMORY, "renditions manifest: out of memory");
        }
    }
    const cJSON *item;
    size_t index = 0;
    cJSON_ArrayForEach(item, list) {
        if (ds_failed(&status)) {
            break;
        }
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        const cJSON *uri = cJSON_GetObjectItemCaseSensitive(item, "uri");
        ds_dsv_rendition *r = &m->renditions[index];
        if (!cJSON_IsString(name) || !cJSON_IsString(uri) || !*uri->valuestring ||
            !positive_number(item, "bits_per_second", 1e12, &r->bits_per_second)) {
            status = ds_error(DS_ERR_FORMAT,
                              "renditions manifest: rendition %zu needs 'name', 'uri' and "
                              "'bits_per_second'",
                              index);
            break;
        }
        r->name = strdup(name->valuestring);
        r->uri = strdup(uri->valuestring);
        m->count = ++index;
        if (!r->name || !r->uri) {
            status = ds_error(DS_ERR_NO_MEMORY, "renditions manifest: out of memory");
        }
    }
    cJSON_Delete(root);
    if (ds_failed(&status)) {
        ds_dsv_manifest_free(m);
        return status;
    }
    qsort(m->renditions, m->count, sizeof *m->renditions, by_rate);
    return ds_ok();
}

ds_status ds_dsv_manifest_save(const char *path, const ds_dsv_manifest *m) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, KEY, 1);
    cJSON_AddNumberToObject(root, "frames", m->frames);
    cJSON_AddNumberToObject(root, "fps", m->fps);
    cJSON_AddNumberToObject(root, "segment_frames", m->segment_frames);
    cJSON *list = cJSON_AddArrayToObject(root, "renditions");
    for (size_t i = 0; i < m->count; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "name", m->renditions[i].name);
        cJSON_AddStringToObject(r, "uri", m->renditions[i].uri);
        cJSON_AddNumberToObject(r, "bits_per_second", round(m->renditions[i].bits_per_second));
        cJSON_AddItemToArray(list, r);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot write the manifest");
    }
    ds_status status = ds_file_write_atomic(path, text, strlen(text));
    cJSON_free(text);
    return status;
}
