#define _POSIX_C_SOURCE 200809L
#include "pack_sources.h"
#include "tracking_ranges.h"

#include "formats/dualgs_files.h"
#include "formats/ply.h"
#include "formats/splat_file.h"
#include "render/skinning.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct pack_source {
    pack_source_kind kind;
    ds_sequence sequence;
    ds_dsv_canonical canonical;
    char *folder;                    /* tracking output or .ply folder */
    tracking_ranges ranges;          /* tracking outputs of several ranges: a folder per frame */
    char **files;                    /* .ply sequence: one path per frame */
    ds_gaussian_cloud *still;        /* static: the cloud */
    ds_joint_transforms *transforms; /* .ply sequence: per frame, from the decomposition */
};

static bool is_directory(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static bool is_file(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/* Copies a cloud's appearance (and positions and rotations) into a frame's skin. */
static ds_status copy_skin(const ds_gaussian_cloud *from, ds_gaussian_cloud *to) {
    if (from->count != to->count) {
        return ds_error(DS_ERR_FORMAT, "has %zu Gaussians, not %zu like the first frame",
                        from->count, to->count);
    }
    if (from->sh_degree != to->sh_degree) {
        return ds_error(DS_ERR_FORMAT, "has SH degree %d, not %d like the first frame",
                        from->sh_degree, to->sh_degree);
    }
    size_t n = from->count;
    memcpy(to->positions, from->positions, n * 3 * sizeof(float));
    memcpy(to->rotations, from->rotations, n * 4 * sizeof(float));
    memcpy(to->log_scales, from->log_scales, n * 3 * sizeof(float));
    memcpy(to->opacity_logits, from->opacity_logits, n * sizeof(float));
    memcpy(to->sh, from->sh, n * ds_gaussian_cloud_sh_stride(from) * sizeof(float));
    return ds_ok();
}

/* The canonical skin of a cloud: positions and unit rotations. */
static void set_canonical_skin(ds_dsv_canonical *c, const ds_gaussian_cloud *cloud) {
    memcpy(c->skin_positions, cloud->positions, cloud->count * 3 * sizeof(float));
    for (size_t i = 0; i < cloud->count; i++) {
        memcpy(c->skin_rotations + i * 4, cloud->rotations + i * 4, 4 * sizeof(float));
        ds_quaternion_normalize(c->skin_rotations + i * 4);
    }
    c->antialiased = cloud->antialiased;
}

/* ---- static ---- */

static ds_status load_static(void *context, uint32_t f, ds_sequence_frame *frame) {
    pack_source *s = context;
    (void)f;
    frame->has_positions = false;
    return copy_skin(s->still, frame->skin);
}

static ds_status open_static(pack_source *s, const char *path) {
    ds_status status = ds_splat_file_load(path, &s->still, NULL);
    if (ds_failed(&status)) {
        return status;
    }
    if (s->still->count == 0) {
        return ds_error(DS_ERR_FORMAT, "holds no Gaussians");
    }
    status = ds_dsv_canonical_create(s->still->count, 1, s->still->sh_degree, &s->canonical);
    if (ds_failed(&status)) {
        return status;
    }
    set_canonical_skin(&s->canonical, s->still);
    ds_binding *b = &s->canonical.binding;
    b->k = 1;
    for (size_t i = 0; i < b->count; i++) {
        b->joints[i] = 0;
        b->weights[i] = 1.0f;
    }
    memset(s->canonical.joint_positions, 0, 3 * sizeof(float));
    const float identity[4] = {1, 0, 0, 0};
    memcpy(s->canonical.joint_rotations, identity, sizeof identity);
    s->kind = PACK_SOURCE_STATIC;
    s->sequence.frame_count = 1;
    s->sequence.load = load_static;
    return ds_binding_index(b);
}

/* ---- tracking output ---- */

static ds_status load_tracked(void *context, uint32_t f, ds_sequence_frame *frame) {
    pack_source *s = context;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/frames/%06u.dsframe",
             s->ranges.frame_folders ? s->ranges.frame_folders[f] : s->folder, f);
    uint32_t stored;
    ds_joint_transforms transforms;
    ds_gaussian_cloud *skin;
    ds_status status = ds_frame_load(path, &stored, &transforms, &skin);
    if (ds_failed(&status)) {
        return ds_error(status.code, "%s: %s", path, status.message);
    }
    if (stored != f || transforms.count != frame->transforms.count) {
        status = ds_error(DS_ERR_FORMAT, "%s: is not frame %u of this tracking", path, f);
    }
    if (!ds_failed(&status)) {
        /* Positions and rotations are skinning's; copy_skin also takes the appearance. */
        status = copy_skin(skin, frame->skin);
        if (ds_failed(&status)) {
            status = ds_error(status.code, "%s: %s", path, status.message);
        }
    }
    if (!ds_failed(&status)) {
        memcpy(frame->transforms.rotations, transforms.rotations,
               transforms.count * 4 * sizeof(float));
        memcpy(frame->transforms.translations, transforms.translations,
               transforms.count * 3 * sizeof(float));
    }
    frame->has_positions = false;
    ds_joint_transforms_free(&transforms);
    ds_gaussian_cloud_free(skin);
    return status;
}

static ds_status open_tracking(pack_source *s, const char *folder) {
    char path[PATH_MAX];
    ds_gaussian_cloud *skin = NULL, *joints = NULL;
    snprintf(path, sizeof path, "%s/canonical_skin.ply", folder);
    ds_status status = ds_splat_file_load(path, &skin, NULL);
    if (!ds_failed(&status)) {
        snprintf(path, sizeof path, "%s/canonical_joints.ply", folder);
        status = ds_splat_file_load(path, &joints, NULL);
    }
    ds_binding binding = {0};
    if (!ds_failed(&status)) {
        snprintf(path, sizeof path, "%s/binding.dsbind", folder);
        status = ds_binding_load(path, &binding);
    }
    if (!ds_failed(&status) &&
        (binding.count != skin->count || binding.joint_count != joints->count)) {
        status = ds_error(DS_ERR_FORMAT, "the binding does not match the canonical clouds");
    }
    if (ds_failed(&status)) {
        status = ds_error(status.code, "%s: %s", path, status.message);
    }
    if (!ds_failed(&status)) {
        status =
            ds_dsv_canonical_create(skin->count, joints->count, skin->sh_degree, &s->canonical);
    }
    if (!ds_failed(&status)) {
        set_canonical_skin(&s->canonical, skin);
        ds_binding_free(&s->canonical.binding);
        s->canonical.binding = binding;
        memset(&binding, 0, sizeof binding);
        memcpy(s->canonical.joint_positions, joints->positions, joints->count * 3 * sizeof(float));
        memcpy(s->canonical.joint_rotations, joints->rotations, joints->count * 4 * sizeof(float));
    }
    ds_binding_free(&binding);
    ds_gaussian_cloud_free(skin);
    ds_gaussian_cloud_free(joints);
    if (ds_failed(&status)) {
        return status;
    }
    /* Frames 0, 1, ... as far as they go without a gap. */
    uint32_t count = 0;
    for (;; count++) {
        snprintf(path, sizeof path, "%s/frames/%06u.dsframe", folder, count);
        if (!is_file(path)) {
            break;
        }
    }
    if (count == 0) {
        return ds_error(DS_ERR_FORMAT, "%s/frames holds no tracked frames", folder);
    }
    s->kind = PACK_SOURCE_TRACKING;
    s->folder = strdup(folder);
    s->sequence.frame_count = count;
    s->sequence.load = load_tracked;
    return s->folder ? ds_ok() : ds_error(DS_ERR_NO_MEMORY, "out of memory");
}

/* ---- .ply sequence ---- */

typedef struct numbered_file {
    unsigned long number;
    char *path;
} numbered_file;

static int compare_numbers(const void *a, const void *b) {
    const numbered_file *x = a, *y = b;
    return x->number < y->number ? -1 : (x->number > y->number);
}

/* point_cloud_<n>.ply in `folder`, sorted by n; they must be numbered without gaps. */
static ds_status list_frames(const char *folder, char ***files, uint32_t *count) {
    DIR *dir = opendir(folder);
    if (!dir) {
        return ds_error(DS_ERR_IO, "%s: %s", folder, strerror(errno));
    }
    numbered_file *found = NULL;
    size_t used = 0, capacity = 0;
    ds_status status = ds_ok();
    struct dirent *entry;
    while ((entry = readdir(dir)) && !ds_failed(&status)) {
        unsigned long number;
        int consumed = 0;
        if (sscanf(entry->d_name, "point_cloud_%lu.ply%n", &number, &consumed) != 1 ||
            entry->d_name[consumed] != '\0' || consumed == 0) {
            continue;
        }
        if (used == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            numbered_file *grown = realloc(found, capacity * sizeof *grown);
            if (!grown) {
                status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
                break;
            }
            found = grown;
        }
        size_t length = strlen(folder) + strlen(entry->d_name) + 2;
        found[used].number = number;
        found[used].path = malloc(length);
        if (!found[used].path) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
            break;
        }
        snprintf(found[used].path, length, "%s/%s", folder, entry->d_name);
        used++;
    }
    closedir(dir);
    if (!ds_failed(&status) && used == 0) {
        status = ds_error(DS_ERR_FORMAT, "%s holds no point_cloud_<n>.ply frames", folder);
    }
    if (!ds_failed(&status)) {
        qsort(found, used, sizeof *found, compare_numbers);
        for (size_t i = 1; i < used && !ds_failed(&status); i++) {
            if (found[i].number != found[i - 1].number + 1) {
                status = ds_error(DS_ERR_FORMAT, "%s: frame point_cloud_%lu.ply is missing", folder,
                                  found[i - 1].number + 1);
            }
        }
    }
    char **paths = ds_failed(&status) ? NULL : malloc(used * sizeof *paths);
    if (!ds_failed(&status) && !paths) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < used; i++) {
        if (paths) {
            paths[i] = found[i].path;
        } else {
            free(found[i].path);
        }
    }
    free(found);
    if (ds_failed(&status)) {
        return status;
    }
    *files = paths;
    *count = (uint32_t)used;
    return ds_ok();
}

static ds_status load_ply_frame(void *context, uint32_t f, ds_sequence_frame *frame) {
    pack_source *s = context;
    ds_gaussian_cloud *cloud;
    ds_status status = ds_splat_file_load(s->files[f], &cloud, NULL);
    if (!ds_failed(&status)) {
        status = copy_skin(cloud, frame->skin);
        ds_gaussian_cloud_free(cloud);
    }
    if (ds_failed(&status)) {
        return ds_error(status.code, "%s: %s", s->files[f], status.message);
    }
    size_t joints = s->transforms[f].count;
    memcpy(frame->transforms.rotations, s->transforms[f].rotations, joints * 4 * sizeof(float));
    memcpy(frame->transforms.translations, s->transforms[f].translations,
           joints * 3 * sizeof(float));
    frame->has_positions = true;
    return ds_ok();
}

typedef struct decomposition_progress {
    pack_source_progress progress;
    void *context;
} decomposition_progress;

static bool report_decomposition(void *context, double fraction) {
    decomposition_progress *p = context;
    return !p->progress || p->progress(p->context, "fitting joints", fraction);
}

static ds_status open_ply_sequence(pack_source *s, const char *folder,
                                   const ds_decomposition_settings *settings,
                                   pack_source_progress progress, void *context) {
    char nested[PATH_MAX];
    snprintf(nested, sizeof nested, "%s/ckt", folder);
    uint32_t frames = 0;
    ds_status status = list_frames(is_directory(nested) ? nested : folder, &s->files, &frames);
    if (ds_failed(&status)) {
        return status;
    }
    s->kind = PACK_SOURCE_PLY_SEQUENCE;
    s->sequence.frame_count = frames;
    s->sequence.load = load_ply_frame;
    float **positions = calloc(frames, sizeof *positions);
    if (!positions) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    /* Every frame's positions for the decomposition; frame 0 whole, as the canonical skin. */
    ds_gaussian_cloud *first = NULL;
    for (uint32_t f = 0; f < frames && !ds_failed(&status); f++) {
        ds_gaussian_cloud *cloud = NULL;
        status = ds_splat_file_load(s->files[f], &cloud, NULL);
        if (!ds_failed(&status) && first && cloud->count != first->count) {
            status = ds_error(DS_ERR_FORMAT, "has %zu Gaussians, not %zu like the first frame",
                              cloud->count, first->count);
        }
        if (ds_failed(&status)) {
            status = ds_error(status.code, "%s: %s", s->files[f], status.message);
            ds_gaussian_cloud_free(cloud);
            break;
        }
        positions[f] = malloc(cloud->count * 3 * sizeof(float));
        if (!positions[f]) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory for %u frames", frames);
        } else {
            memcpy(positions[f], cloud->positions, cloud->count * 3 * sizeof(float));
        }
        if (!first) {
            first = cloud;
        } else {
            ds_gaussian_cloud_free(cloud);
        }
        if (progress && !progress(context, "reading frames", (double)(f + 1) / frames)) {
            status = ds_error(DS_ERR_INTERRUPTED, "stopped");
        }
    }
    if (!ds_failed(&status) && first->count == 0) {
        status = ds_error(DS_ERR_FORMAT, "%s holds no Gaussians", s->files[0]);
    }
    ds_decomposition_settings defaults;
    if (!ds_failed(&status) && !settings) {
        ds_decomposition_settings_default(first->count, &defaults);
        settings = &defaults;
    }
    float *joint_positions = NULL;
    size_t joint_count = 0;
    ds_binding binding = {0};
    if (!ds_failed(&status)) {
        s->transforms = calloc(frames, sizeof *s->transforms);
        status = s->transforms ? ds_ok() : ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    if (!ds_failed(&status)) {
        decomposition_progress report = {progress, context};
        status = ds_skinning_decompose((const float *const *)positions, first->count, frames,
                                       settings, report_decomposition, &report, &joint_positions,
                                       &joint_count, &binding, s->transforms);
        if (ds_failed(&status)) {
            free(s->transforms);
            s->transforms = NULL;
        }
    }
    for (uint32_t f = 0; f < frames; f++) {
        free(positions[f]);
    }
    free(positions);
    if (!ds_failed(&status)) {
        status =
            ds_dsv_canonical_create(first->count, joint_count, first->sh_degree, &s->canonical);
    }
    if (!ds_failed(&status)) {
        set_canonical_skin(&s->canonical, first);
        ds_binding_free(&s->canonical.binding);
        s->canonical.binding = binding;
        memset(&binding, 0, sizeof binding);
        memcpy(s->canonical.joint_positions, joint_positions, joint_count * 3 * sizeof(float));
        for (size_t j = 0; j < joint_count; j++) {
            const float identity[4] = {1, 0, 0, 0};
            memcpy(s->canonical.joint_rotations + j * 4, identity, sizeof identity);
        }
    }
    ds_binding_free(&binding);
    free(joint_positions);
    ds_gaussian_cloud_free(first);
    return status;
}

/* ---- any ---- */

/* An empty source at the default 30 fps; NULL when out of memory. */
static pack_source *source_new(void) {
    pack_source *s = calloc(1, sizeof *s);
    if (s) {
        s->sequence.context = s;
        s->sequence.fps_numerator = 30;
        s->sequence.fps_denominator = 1;
    }
    return s;
}

/* A `dualsplat track` output: a folder with the binding it writes once. */
static bool is_tracking_output(const char *path) {
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/binding.dsbind", path);
    return is_directory(path) && is_file(marker);
}

ds_status pack_source_open(const char *path, const ds_decomposition_settings *decomposition,
                           pack_source_progress progress, void *context, pack_source **out) {
    pack_source *s = source_new();
    if (!s) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    ds_status status;
    if (is_tracking_output(path)) {
        status = open_tracking(s, path);
    } else if (is_directory(path)) {
        status = open_ply_sequence(s, path, decomposition, progress, context);
    } else if (is_file(path)) {
        status = open_static(s, path);
    } else {
        status = ds_error(DS_ERR_IO, "no such file or folder");
    }
    if (ds_failed(&status)) {
        pack_source_free(s);
        return status;
    }
    s->sequence.canonical = &s->canonical;
    *out = s;
    return ds_ok();
}

ds_status pack_source_open_ranges(char *const *folders, int count, pack_source **out) {
    if (count == 1) {
        return pack_source_open(folders[0], NULL, NULL, NULL, out);
    }
    pack_source *s = source_new();
    if (!s) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    ds_status status = ds_ok();
    for (int i = 0; i < count && !ds_failed(&status); i++) {
        if (!is_tracking_output(folders[i])) {
            status =
                ds_error(DS_ERR_ARGUMENT,
                         "%s: not a tracking output; only tracked ranges are joined", folders[i]);
        }
    }
    if (!ds_failed(&status)) {
        status = open_tracking(s, folders[0]);
    }
    if (!ds_failed(&status)) {
        status = tracking_ranges_join(folders, count, &s->ranges);
    }
    if (ds_failed(&status)) {
        pack_source_free(s);
        return status;
    }
    s->sequence.frame_count = s->ranges.frame_count;
    s->sequence.canonical = &s->canonical;
    *out = s;
    return ds_ok();
}

pack_source_kind pack_source_kind_of(const pack_source *source) {
    return source->kind;
}

ds_sequence *pack_source_sequence(pack_source *source) {
    return &source->sequence;
}

void pack_source_free(pack_source *s) {
    if (!s) {
        return;
    }
    ds_dsv_canonical_free(&s->canonical);
    tracking_ranges_free(&s->ranges);
    free(s->folder);
    if (s->files) {
        for (uint32_t f = 0; f < s->sequence.frame_count; f++) {
            free(s->files[f]);
        }
        free(s->files);
    }
    if (s->transforms) {
        for (uint32_t f = 0; f < s->sequence.frame_count; f++) {
            ds_joint_transforms_free(&s->transforms[f]);
        }
        free(s->transforms);
    }
    ds_gaussian_cloud_free(s->still);
    free(s);
}
