#define _POSIX_C_SOURCE 200809L
#include "synth_writer.h"

#include "raytrace.h"
#include "synth_math.h"

#include "formats/file_io.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ds_status ds_synth_path(char *path, size_t capacity, const char *directory, const char *relative) {
    int length = snprintf(path, capacity, "%s/%s", directory, relative);
    if (length < 0 || (size_t)length >= capacity) {
        return ds_error(DS_ERR_ARGUMENT, "the output path is too long");
    }
    return ds_ok();
}

/* Creates a folder unless it exists; `name` says which in messages (NULL: the output folder,
 * which the command line names already). */
static ds_status make_folder(const char *path, const char *name) {
    if (mkdir(path, 0755) == 0) {
        return ds_ok();
    }
    int error = errno;
    struct stat info;
    if (error == EEXIST && stat(path, &info) == 0) {
        if (S_ISDIR(info.st_mode)) {
            return ds_ok();
        }
        return name ? ds_error(DS_ERR_IO, "%s is not a folder", name)
                    : ds_error(DS_ERR_IO, "is not a folder");
    }
    return ds_error(DS_ERR_IO, "cannot create %s: %s", name ? name : "the output folder",
                    strerror(error));
}

static bool file_exists(const char *directory, const char *relative) {
    char path[4096];
    struct stat info;
    ds_status status = ds_synth_path(path, sizeof path, directory, relative);
    return !ds_failed(&status) && stat(path, &info) == 0;
}

bool ds_synth_output_has_capture(const char *directory) {
    return file_exists(directory, "image_white/transforms.json") ||
           file_exists(directory, "bones.json");
}

static ds_status remove_file(const char *directory, const char *relative) {
    char path[4096];
    ds_status status = ds_synth_path(path, sizeof path, directory, relative);
    if (!ds_failed(&status) && unlink(path) != 0 && errno != ENOENT) {
        status = ds_error(DS_ERR_IO, "cannot remove the old %s: %s", relative, strerror(errno));
    }
    return status;
}

ds_status ds_synth_prepare_output(const char *directory, bool overwrite) {
    ds_status status = make_folder(directory, NULL);
    if (ds_failed(&status)) {
        return status;
    }
    if (ds_synth_output_has_capture(directory)) {
        if (!overwrite) {
            return ds_error(DS_ERR_ARGUMENT, "holds a capture already");
        }
        status = remove_file(directory, "image_white/transforms.json");
        if (!ds_failed(&status)) {
            status = remove_file(directory, "bones.json");
        }
        if (ds_failed(&status)) {
            return status;
        }
    }
    char path[4096];
    status = ds_synth_path(path, sizeof path, directory, "image_white");
    return ds_failed(&status) ? status : make_folder(path, "image_white");
}

ds_status ds_synth_frame_folder(const char *directory, int frame, char *path, size_t capacity) {
    char relative[64];
    snprintf(relative, sizeof relative, "image_white/%d", frame);
    ds_status status = ds_synth_path(path, capacity, directory, relative);
    return ds_failed(&status) ? status : make_folder(path, relative);
}

/* The number a name spells in decimal digits followed by `suffix` ("12" + ".png"), or -1. */
static long numbered_name(const char *name, const char *suffix) {
    size_t digits = 0;
    while (isdigit((unsigned char)name[digits])) {
        digits++;
    }
    if (digits == 0 || digits > 9 || strcmp(name + digits, suffix) != 0) {
        return -1;
    }
    return strtol(name, NULL, 10);
}

/* Removes <number>.png (and .png.tmp) files numbered `first_view` or more from a frame folder. */
static ds_status remove_views(const char *folder, const char *name, long first_view) {
    DIR *listing = opendir(folder);
    if (!listing) {
        return ds_error(DS_ERR_IO, "cannot list %s: %s", name, strerror(errno));
    }
    ds_status status = ds_ok();
    struct dirent *entry;
    while (!ds_failed(&status) && (entry = readdir(listing)) != NULL) {
        long view = numbered_name(entry->d_name, ".png");
        if (view < 0) {
            view = numbered_name(entry->d_name, ".png.tmp");
        }
        if (view >= first_view) {
            char path[4096];
            status = ds_synth_path(path, sizeof path, folder, entry->d_name);
            if (!ds_failed(&status) && unlink(path) != 0 && errno != ENOENT) {
                status = ds_error(DS_ERR_IO, "cannot remove the old %s/%s: %s", name, entry->d_name,
                                  strerror(errno));
            }
        }
    }
    closedir(listing);
    return status;
}

ds_status ds_synth_remove_stale(const char *directory, int frames, int views) {
    char root[4096];
    ds_status status = ds_synth_path(root, sizeof root, directory, "image_white");
    if (ds_failed(&status)) {
        return status;
    }
    DIR *listing = opendir(root);
    if (!listing) {
        return ds_error(DS_ERR_IO, "cannot list image_white: %s", strerror(errno));
    }
    struct dirent *entry;
    while (!ds_failed(&status) && (entry = readdir(listing)) != NULL) {
        long frame = numbered_name(entry->d_name, "");
        if (frame < 0) {
            continue;
        }
        char folder[4096], name[64];
        snprintf(name, sizeof name, "image_white/%ld", frame);
        status = ds_synth_path(folder, sizeof folder, root, entry->d_name);
        struct stat info;
        if (ds_failed(&status) || stat(folder, &info) != 0 || !S_ISDIR(info.st_mode)) {
            continue;
        }
        /* A frame beyond the new capture would make readers see more frames than it has. */
        status = remove_views(folder, name, frame >= frames ? 0 : views);
        if (!ds_failed(&status) && frame >= frames && rmdir(folder) != 0) {
            status = ds_error(DS_ERR_IO, "cannot remove the old frame folder %s: %s", name,
                              strerror(errno));
        }
    }
    closedir(listing);
    return status;
}

/* ---- JSON ---- */

/* Builds a document and notes any allocation that failed, so one check covers them all. */
typedef struct json_builder {
    bool failed;
} json_builder;

static cJSON *checked(json_builder *b, cJSON *item) {
    if (!item) {
        b->failed = true;
    }
    return item;
}

static void add(json_builder *b, cJSON *object, const char *key, cJSON *item) {
    if (!item || !object || !cJSON_AddItemToObject(object, key, item)) {
        b->failed = true;
        cJSON_Delete(item);
    }
}

static void append(json_builder *b, cJSON *array, cJSON *item) {
    if (!item || !array || !cJSON_AddItemToArray(array, item)) {
        b->failed = true;
        cJSON_Delete(item);
    }
}

/* Nine decimals: nanometres, and rotations orthonormal far below any reader's tolerance. */
static double tidy(double value) {
    return round(value * 1e9) / 1e9 + 0.0;
}

static cJSON *number(json_builder *b, double value) {
    return checked(b, cJSON_CreateNumber(tidy(value)));
}

static cJSON *vector(json_builder *b, const double *values, int count) {
    cJSON *array = checked(b, cJSON_CreateArray());
    for (int i = 0; i < count; i++) {
        append(b, array, number(b, values[i]));
    }
    return array;
}

static cJSON *colour(json_builder *b, const float rgb[3]) {
    double values[3] = {rgb[0], rgb[1], rgb[2]};
    /* Six decimals keep the float colours readable. */
    for (int c = 0; c < 3; c++) {
        values[c] = round(values[c] * 1e6) / 1e6;
    }
    return vector(b, values, 3);
}

/* A row-major 4x4 matrix as four rows. */
static cJSON *matrix(json_builder *b, const double m[16]) {
    cJSON *rows = checked(b, cJSON_CreateArray());
    for (int i = 0; i < 4; i++) {
        append(b, rows, vector(b, m + 4 * i, 4));
    }
    return rows;
}

static ds_status save_document(const char *directory, const char *relative, cJSON *root,
                               json_builder *b) {
    char *text = b->failed ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot build %s", relative);
    }
    char path[4096];
    ds_status status = ds_synth_path(path, sizeof path, directory, relative);
    if (!ds_failed(&status)) {
        size_t length = strlen(text);
        text[length] = '\n'; /* replaces the terminator: files end with a newline */
        status = ds_file_write_atomic(path, text, length + 1);
        if (ds_failed(&status)) {
            status = ds_error(status.code, "cannot write %s: %s", relative, status.message);
        }
    }
    free(text);
    return status;
}

/* Camera names in string order ("0" < "1" < "10" < "11" < ... < "2"). */
static int compare_names(const void *a, const void *b) {
    char name_a[16], name_b[16];
    snprintf(name_a, sizeof name_a, "%d", *(const int *)a);
    snprintf(name_b, sizeof name_b, "%d", *(const int *)b);
    return strcmp(name_a, name_b);
}

ds_status ds_synth_write_transforms(const char *directory, const ds_synth_rig_camera *cameras,
                                    int count) {
    int *order = malloc((size_t)count * sizeof *order);
    if (!order) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %d camera names", count);
    }
    for (int i = 0; i < count; i++) {
        order[i] = i;
    }
    qsort(order, (size_t)count, sizeof *order, compare_names);
    json_builder b = {0};
    cJSON *root = checked(&b, cJSON_CreateObject());
    cJSON *frames = checked(&b, cJSON_CreateArray());
    for (int i = 0; i < count; i++) {
        const ds_synth_rig_camera *camera = &cameras[order[i]];
        cJSON *frame = checked(&b, cJSON_CreateObject());
        char file_path[32];
        snprintf(file_path, sizeof file_path, "./images/%d.png", order[i]);
        add(&b, frame, "file_path", checked(&b, cJSON_CreateString(file_path)));
        add(&b, frame, "transform_matrix", matrix(&b, camera->camera_to_world));
        add(&b, frame, "w", number(&b, camera->width));
        add(&b, frame, "h", number(&b, camera->height));
        add(&b, frame, "fl_x", number(&b, camera->fx));
        add(&b, frame, "fl_y", number(&b, camera->fy));
        add(&b, frame, "cx", number(&b, camera->cx));
        add(&b, frame, "cy", number(&b, camera->cy));
        add(&b, frame, "camera_angle_x", number(&b, 2.0 * atan(0.5 * camera->width / camera->fx)));
        add(&b, frame, "camera_angle_y", number(&b, 2.0 * atan(0.5 * camera->height / camera->fy)));
        add(&b, frame, "k1", number(&b, 0.0));
        add(&b, frame, "k2", number(&b, 0.0));
        add(&b, frame, "p1", number(&b, 0.0));
        add(&b, frame, "p2", number(&b, 0.0));
        add(&b, frame, "is_fisheye", checked(&b, cJSON_CreateFalse()));
        append(&b, frames, frame);
    }
    add(&b, root, "frames", frames);
    free(order);
    return save_document(directory, "image_white/transforms.json", root, &b);
}

static const char *const texture_names[] = {"rings", "helix", "checks", "glyphs", "face"};

static cJSON *part_json(json_builder *b, const ds_synth_figure *figure, int index) {
    const ds_synth_part *part = &figure->parts[index];
    cJSON *object = checked(b, cJSON_CreateObject());
    add(b, object, "name", checked(b, cJSON_CreateString(part->name)));
    add(b, object, "parent",
        checked(b, part->parent < 0 ? cJSON_CreateNull()
                                    : cJSON_CreateString(figure->parts[part->parent].name)));
    add(b, object, "parent_index", number(b, part->parent));
    add(b, object, "offset", vector(b, part->offset, 3));
    const ds_synth_shape *shape = &part->shape;
    if (shape->kind == DS_SYNTH_CAPSULE) {
        add(b, object, "shape", checked(b, cJSON_CreateString("capsule")));
        add(b, object, "a", vector(b, shape->a, 3));
        add(b, object, "b", vector(b, shape->b, 3));
        add(b, object, "radius", number(b, shape->radius));
    } else {
        add(b, object, "shape", checked(b, cJSON_CreateString("ellipsoid")));
        add(b, object, "center", vector(b, shape->center, 3));
        add(b, object, "radii", vector(b, shape->radii, 3));
    }
    add(b, object, "colour", colour(b, part->colour));
    add(b, object, "second_colour", colour(b, part->texture.second_colour));
    add(b, object, "texture", checked(b, cJSON_CreateString(texture_names[part->texture.kind])));
    return object;
}

static cJSON *frame_json(json_builder *b, const ds_synth_figure *figure, int frame,
                         const ds_synth_pose *pose) {
    cJSON *object = checked(b, cJSON_CreateObject());
    add(b, object, "frame", number(b, frame));
    add(b, object, "time", number(b, (double)frame / DS_SYNTH_FPS));
    cJSON *parts = checked(b, cJSON_CreateObject());
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const ds_synth_transform *t = &pose->world_from_part[p];
        const double *r = t->rotation;
        double m[16] = {r[0], r[1], r[2], t->translation[0], r[3], r[4], r[5], t->translation[1],
                        r[6], r[7], r[8], t->translation[2], 0,    0,    0,    1};
        add(b, parts, figure->parts[p].name, matrix(b, m));
    }
    add(b, object, "world_from_part", parts);
    double positions[DS_SYNTH_JOINT_COUNT][3];
    ds_synth_pose_joints(pose, positions);
    cJSON *joints = checked(b, cJSON_CreateObject());
    for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
        add(b, joints, ds_synth_joints()[j].name, vector(b, positions[j], 3));
    }
    add(b, object, "joints", joints);
    return object;
}

ds_status ds_synth_write_bones(const char *directory, const ds_synth_figure *figure,
                               const ds_synth_settings *settings, const ds_synth_pose *poses) {
    json_builder b = {0};
    cJSON *root = checked(&b, cJSON_CreateObject());
    add(&b, root, "format", checked(&b, cJSON_CreateString("dualsplat synthetic truth")));
    add(&b, root, "version", number(&b, 1));
    add(&b, root, "motion",
        checked(&b, cJSON_CreateString(ds_synth_motion_name(settings->motion))));
    add(&b, root, "fps", number(&b, DS_SYNTH_FPS));
    add(&b, root, "seed", number(&b, (double)settings->seed));
    add(&b, root, "frame_count", number(&b, settings->frames));
    add(&b, root, "views", number(&b, settings->views));
    add(&b, root, "width", number(&b, settings->width));
    add(&b, root, "height", number(&b, settings->height));
    add(&b, root, "rig", checked(&b, cJSON_CreateString(ds_synth_rig_name(settings->rig))));
    add(&b, root, "samples_per_pixel", number(&b, settings->samples * settings->samples));
    add(&b, root, "units", checked(&b, cJSON_CreateString("metres")));
    add(&b, root, "up", vector(&b, (const double[3]){0, 1, 0}, 3));
    double light[3] = DS_SYNTH_LIGHT;
    ds_synth_normalise(light);
    add(&b, root, "light_direction", vector(&b, light, 3));
    add(&b, root, "ambient", number(&b, DS_SYNTH_AMBIENT));
    add(&b, root, "diffuse", number(&b, DS_SYNTH_DIFFUSE));
    cJSON *parts = checked(&b, cJSON_CreateArray());
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        append(&b, parts, part_json(&b, figure, p));
    }
    add(&b, root, "parts", parts);
    cJSON *joints = checked(&b, cJSON_CreateArray());
    for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
        const ds_synth_joint *joint = &ds_synth_joints()[j];
        cJSON *object = checked(&b, cJSON_CreateObject());
        add(&b, object, "name", checked(&b, cJSON_CreateString(joint->name)));
        add(&b, object, "part", checked(&b, cJSON_CreateString(figure->parts[joint->part].name)));
        add(&b, object, "local", vector(&b, joint->local, 3));
        append(&b, joints, object);
    }
    add(&b, root, "joints", joints);
    cJSON *frames = checked(&b, cJSON_CreateArray());
    for (int f = 0; f < settings->frames; f++) {
        append(&b, frames, frame_json(&b, figure, f, &poses[f]));
    }
    add(&b, root, "frames", frames);
    return save_document(directory, "bones.json", root, &b);
}
