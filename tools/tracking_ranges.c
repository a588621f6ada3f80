#define _POSIX_C_SOURCE 200809L
#include "tracking_ranges.h"

#include "formats/file_io.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The files a tracking output writes once, from its fit: equal bytes mean the same fit. */
static const char *const FIT_FILES[] = {"binding.dsbind", "canonical_skin.ply",
                                        "canonical_joints.ply"};

static ds_status same_fit(const char *a, const char *b) {
    for (size_t i = 0; i < sizeof FIT_FILES / sizeof *FIT_FILES; i++) {
        char path_a[PATH_MAX], path_b[PATH_MAX];
        snprintf(path_a, sizeof path_a, "%s/%s", a, FIT_FILES[i]);
        snprintf(path_b, sizeof path_b, "%s/%s", b, FIT_FILES[i]);
        uint8_t *bytes_a = NULL, *bytes_b = NULL;
        size_t size_a = 0, size_b = 0;
        ds_status status = ds_file_read_all(path_a, (size_t)1 << 34, &bytes_a, &size_a);
        if (!ds_failed(&status)) {
            status = ds_file_read_all(path_b, (size_t)1 << 34, &bytes_b, &size_b);
            if (ds_failed(&status)) {
                status = ds_error(status.code, "%s: %s", path_b, status.message);
            }
        } else {
            status = ds_error(status.code, "%s: %s", path_a, status.message);
        }
        bool equal =
            !ds_failed(&status) && size_a == size_b && memcmp(bytes_a, bytes_b, size_a) == 0;
        free(bytes_a);
        free(bytes_b);
        if (ds_failed(&status)) {
            return status;
        }
        if (!equal) {
            return ds_error(DS_ERR_ARGUMENT,
                            "%s was tracked from another fit than %s (their %s differ); track "
                            "every range from the same fit",
                            b, a, FIT_FILES[i]);
        }
    }
    return ds_ok();
}

/* The frame numbers folder/frames holds (NNNNNN.dsframe). */
static ds_status list_frames(const char *folder, uint32_t **frames, size_t *count) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/frames", folder);
    *frames = NULL;
    *count = 0;
    DIR *dir = opendir(path);
    if (!dir) {
        return ds_error(DS_ERR_IO, "%s: not a tracking output (no frames folder)", folder);
    }
    size_t capacity = 0;
    ds_status status = ds_ok();
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        unsigned long number;
        char suffix[16];
        if (strlen(entry->d_name) != 14 ||
            sscanf(entry->d_name, "%6lu.%8s", &number, suffix) != 2 ||
            strcmp(suffix, "dsframe") != 0) {
            continue;
        }
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            uint32_t *grown = realloc(*frames, capacity * sizeof *grown);
            if (!grown) {
                status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
                break;
            }
            *frames = grown;
        }
        (*frames)[(*count)++] = (uint32_t)number;
    }
    closedir(dir);
    return status;
}

/* "frames 12-15" or "frame 12". */
static void name_span(uint32_t first, uint32_t last, char *out, size_t size) {
    if (first == last) {
        snprintf(out, size, "frame %u", first);
    } else {
        snprintf(out, size, "frames %u-%u", first, last);
    }
}

ds_status tracking_ranges_join(char *const *folders, int count, tracking_ranges *r) {
    *r = (tracking_ranges){0};
    for (int i = 1; i < count; i++) {
        ds_status status = same_fit(folders[0], folders[i]);
        if (ds_failed(&status)) {
            return status;
        }
    }
    /* owner[f]: index + 1 of the folder holding frame f (0: none); frame 0 (the fit) is in all. */
    int *owner = NULL;
    uint32_t frame_count = 0;
    ds_status status = ds_ok();
    for (int i = 0; i < count && !ds_failed(&status); i++) {
        uint32_t *frames = NULL;
        size_t listed = 0;
        status = list_frames(folders[i], &frames, &listed);
        for (size_t k = 0; k < listed && !ds_failed(&status); k++) {
            uint32_t f = frames[k];
            if (f >= frame_count) {
                int *grown = realloc(owner, (size_t)(f + 1) * sizeof *grown);
                if (!grown) {
                    status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
                    break;
                }
                memset(grown + frame_count, 0, (size_t)(f + 1 - frame_count) * sizeof *grown);
                owner = grown;
                frame_count = f + 1;
            }
            if (f == 0) {
                owner[0] = owner[0] ? owner[0] : i + 1;
            } else if (owner[f]) {
                status =
                    ds_error(DS_ERR_ARGUMENT, "frame %u is in both %s and %s: the ranges overlap",
                             f, folders[owner[f] - 1], folders[i]);
            } else {
                owner[f] = i + 1;
            }
        }
        free(frames);
    }
    for (uint32_t f = 0; f < frame_count && !ds_failed(&status); f++) {
        if (owner[f]) {
            continue;
        }
        uint32_t last = f;
        while (last + 1 < frame_count && !owner[last + 1]) {
            last++;
        }
        char span[64];
        name_span(f, last, span, sizeof span);
        status = ds_error(DS_ERR_ARGUMENT,
                          "%s %s missing: no range given holds them (a range not given, or "
                          "still running?)",
                          span, f == last ? "is" : "are");
    }
    if (!ds_failed(&status) && frame_count == 0) {
        status = ds_error(DS_ERR_FORMAT, "%s/frames holds no tracked frames", folders[0]);
    }
    if (!ds_failed(&status)) {
        r->frame_folders = malloc(frame_count * sizeof *r->frame_folders);
        if (!r->frame_folders) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory");
        }
    }
    if (!ds_failed(&status)) {
        for (uint32_t f = 0; f < frame_count; f++) {
            r->frame_folders[f] = folders[owner[f] - 1];
        }
        r->frame_count = frame_count;
    }
    free(owner);
    return status;
}

void tracking_ranges_free(tracking_ranges *r) {
    free(r->frame_folders);
    *r = (tracking_ranges){0};
}
