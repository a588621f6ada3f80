#include "synth_truth.h"

#include "formats/file_io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool read_vector(const cJSON *item, double *out, int count) {
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != count) {
        return false;
    }
    for (int i = 0; i < count; i++) {
        const cJSON *value = cJSON_GetArrayItem(item, i);
        if (!cJSON_IsNumber(value)) {
            return false;
        }
        out[i] = value->valuedouble;
    }
    return true;
}

static bool read_matrix(const cJSON *rows, double m[16]) {
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != 4) {
        return false;
    }
    for (int r = 0; r < 4; r++) {
        if (!read_vector(cJSON_GetArrayItem(rows, r), m + 4 * r, 4)) {
            return false;
        }
    }
    return true;
}

static bool read_part(const cJSON *item, ds_truth_part *part) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    if (!cJSON_IsString(name) || !cJSON_IsString(shape) ||
        strlen(name->valuestring) >= sizeof part->name) {
        return false;
    }
    strcpy(part->name, name->valuestring);
    part->capsule = strcmp(shape->valuestring, "capsule") == 0;
    if (part->capsule) {
        const cJSON *radius = cJSON_GetObjectItemCaseSensitive(item, "radius");
        part->radius = cJSON_IsNumber(radius) ? radius->valuedouble : -1;
        return read_vector(cJSON_GetObjectItemCaseSensitive(item, "a"), part->a, 3) &&
               read_vector(cJSON_GetObjectItemCaseSensitive(item, "b"), part->b, 3) &&
               part->radius > 0;
    }
    return strcmp(shape->valuestring, "ellipsoid") == 0 &&
           read_vector(cJSON_GetObjectItemCaseSensitive(item, "center"), part->center, 3) &&
           read_vector(cJSON_GetObjectItemCaseSensitive(item, "radii"), part->radii, 3);
}

ds_status ds_truth_load(const char *path, ds_truth *truth) {
    memset(truth, 0, sizeof *truth);
    uint8_t *text;
    size_t size;
    ds_status status = ds_file_read_all(path, (size_t)1 << 30, &text, &size);
    if (ds_failed(&status)) {
        return status;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)text, size);
    free(text);
    if (!root) {
        return ds_error(DS_ERR_FORMAT, "%s is not valid JSON", path);
    }
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "parts");
    const cJSON *frames = cJSON_GetObjectItemCaseSensitive(root, "frames");
    bool ok = cJSON_IsArray(parts) && cJSON_IsArray(frames) && cJSON_GetArraySize(parts) > 0;
    if (ok) {
        truth->part_count = cJSON_GetArraySize(parts);
        truth->frame_count = cJSON_GetArraySize(frames);
        truth->parts = calloc((size_t)truth->part_count, sizeof *truth->parts);
        truth->world_from_part =
            calloc((size_t)truth->frame_count * (size_t)truth->part_count * 16, sizeof(double));
        ok = truth->parts && truth->world_from_part;
    }
    for (int p = 0; ok && p < truth->part_count; p++) {
        ok = read_part(cJSON_GetArrayItem(parts, p), &truth->parts[p]);
    }
    for (int f = 0; ok && f < truth->frame_count; f++) {
        const cJSON *transforms =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(frames, f), "world_from_part");
        for (int p = 0; ok && p < truth->part_count; p++) {
            ok = read_matrix(cJSON_GetObjectItemCaseSensitive(transforms, truth->parts[p].name),
                             truth->world_from_part +
                                 ((size_t)f * (size_t)truth->part_count + (size_t)p) * 16);
        }
    }
    cJSON_Delete(root);
    if (!ok) {
        ds_truth_free(truth);
        return ds_error(DS_ERR_FORMAT, "%s is not a synthetic capture's truth", path);
    }
    return ds_ok();
}

void ds_truth_free(ds_truth *truth) {
    free(truth->parts);
    free(truth->world_from_part);
    memset(truth, 0, sizeof *truth);
}

static const double *transform_of(const ds_truth *truth, int frame, int part) {
    return truth->world_from_part + ((size_t)frame * (size_t)truth->part_count + (size_t)part) * 16;
}

static void to_world(const double m[16], const double local[3], double world[3]) {
    for (int r = 0; r < 3; r++) {
        world[r] =
            m[4 * r] * local[0] + m[4 * r + 1] * local[1] + m[4 * r + 2] * local[2] + m[4 * r + 3];
    }
}

/* Rigid transforms: the inverse rotation is the transpose. */
static void to_local(const double m[16], const double world[3], double local[3]) {
    double d[3] = {world[0] - m[3], world[1] - m[7], world[2] - m[11]};
    for (int c = 0; c < 3; c++) {
        local[c] = m[c] * d[0] + m[4 + c] * d[1] + m[8 + c] * d[2];
    }
}

/* Distance from a point in the part's frame to its surface (negative inside; approximate for
 * ellipsoids: the scaled radial distance times the smallest radius). */
static double surface_distance(const ds_truth_part *part, const double p[3]) {
    if (part->capsule) {
        double ab[3], ap[3], t = 0, length = 0;
        for (int k = 0; k < 3; k++) {
            ab[k] = part->b[k] - part->a[k];
            ap[k] = p[k] - part->a[k];
            t += ab[k] * ap[k];
            length += ab[k] * ab[k];
        }
        t = length > 0 ? fmin(1.0, fmax(0.0, t / length)) : 0.0;
        double d = 0;
        for (int k = 0; k < 3; k++) {
            double e = ap[k] - t * ab[k];
            d += e * e;
        }
        return sqrt(d) - part->radius;
    }
    double scaled = 0, smallest = INFINITY;
    for (int k = 0; k < 3; k++) {
        double e = (p[k] - part->center[k]) / part->radii[k];
        scaled += e * e;
        smallest = fmin(smallest, part->radii[k]);
    }
    return (sqrt(scaled) - 1.0) * smallest;
}

ds_status ds_truth_anchor(const ds_truth *truth, const float *positions, size_t count,
                          double max_distance, ds_truth_anchors *anchors) {
    memset(anchors, 0, sizeof *anchors);
    anchors->count = count;
    anchors->part = malloc((count ? count : 1) * sizeof *anchors->part);
    anchors->local = malloc((count ? count : 1) * 3 * sizeof *anchors->local);
    if (!anchors->part || !anchors->local) {
        ds_truth_anchors_free(anchors);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate anchors");
    }
    for (size_t i = 0; i < count; i++) {
        double world[3] = {positions[i * 3], positions[i * 3 + 1], positions[i * 3 + 2]};
        double best = INFINITY;
        anchors->part[i] = -1;
        for (int p = 0; p < truth->part_count; p++) {
            double local[3];
            to_local(transform_of(truth, 0, p), world, local);
            double d = fabs(surface_distance(&truth->parts[p], local));
            if (d < best) {
                best = d;
                anchors->part[i] = p;
                memcpy(anchors->local + i * 3, local, sizeof local);
            }
        }
        if (best > max_distance) {
            anchors->part[i] = -1;
        } else {
            anchors->anchored++;
        }
    }
    return ds_ok();
}

void ds_truth_anchors_free(ds_truth_anchors *anchors) {
    free(anchors->part);
    free(anchors->local);
    memset(anchors, 0, sizeof *anchors);
}

ds_truth_error ds_truth_compare(const ds_truth *truth, const ds_truth_anchors *anchors, int frame,
                                const float *positions) {
    ds_truth_error error = {0, 0, 0};
    size_t used = 0;
    for (size_t i = 0; i < anchors->count; i++) {
        int p = anchors->part[i];
        if (p < 0 || frame >= truth->frame_count) {
            continue;
        }
        double expected[3], start[3];
        to_world(transform_of(truth, frame, p), anchors->local + i * 3, expected);
        to_world(transform_of(truth, 0, p), anchors->local + i * 3, start);
        double d = 0, moved = 0;
        for (int k = 0; k < 3; k++) {
            double e = positions[i * 3 + (size_t)k] - expected[k];
            d += e * e;
            moved += (expected[k] - start[k]) * (expected[k] - start[k]);
        }
        d = sqrt(d);
        error.mean += d;
        error.max = fmax(error.max, d);
        error.mean_motion += sqrt(moved);
        used++;
    }
    if (used > 0) {
        error.mean /= (double)used;
        error.mean_motion /= (double)used;
    }
    return error;
}

double ds_truth_figure_size(const ds_truth *truth) {
    double low[3] = {INFINITY, INFINITY, INFINITY}, high[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int p = 0; p < truth->part_count; p++) {
        const ds_truth_part *part = &truth->parts[p];
        double points[2][3];
        double reach;
        if (part->capsule) {
            memcpy(points[0], part->a, sizeof points[0]);
            memcpy(points[1], part->b, sizeof points[1]);
            reach = part->radius;
        } else {
            memcpy(points[0], part->center, sizeof points[0]);
            memcpy(points[1], part->center, sizeof points[1]);
            reach = fmax(part->radii[0], fmax(part->radii[1], part->radii[2]));
        }
        for (int e = 0; e < 2; e++) {
            double world[3];
            to_world(transform_of(truth, 0, p), points[e], world);
            for (int k = 0; k < 3; k++) {
                low[k] = fmin(low[k], world[k] - reach);
                high[k] = fmax(high[k], world[k] + reach);
            }
        }
    }
    double d = 0;
    for (int k = 0; k < 3; k++) {
        d += (high[k] - low[k]) * (high[k] - low[k]);
    }
    return sqrt(d);
}
