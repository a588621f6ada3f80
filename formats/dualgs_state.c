#include "dualgs_state.h"

#include <stdlib.h>
#include <string.h>

ds_status ds_binding_create(size_t count, size_t joint_count, ds_binding *b) {
    memset(b, 0, sizeof *b);
    size_t entries = count * DS_BINDING_K;
    b->count = count;
    b->k = DS_BINDING_K;
    b->joint_count = joint_count;
    b->joints = calloc(entries ? entries : 1, sizeof *b->joints);
    b->weights = calloc(entries ? entries : 1, sizeof *b->weights);
    b->starts = calloc(joint_count + 1, sizeof *b->starts);
    b->entries = calloc(entries ? entries : 1, sizeof *b->entries);
    if (!b->joints || !b->weights || !b->starts || !b->entries) {
        ds_binding_free(b);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a binding of %zu Gaussians", count);
    }
    return ds_ok();
}

ds_status ds_binding_index(ds_binding *b) {
    size_t entries = b->count * (size_t)b->k;
    memset(b->starts, 0, (b->joint_count + 1) * sizeof *b->starts);
    for (size_t e = 0; e < entries; e++) {
        if (b->joints[e] >= b->joint_count) {
            return ds_error(DS_ERR_FORMAT, "binding names joint %u of %zu", b->joints[e],
                            b->joint_count);
        }
        b->starts[b->joints[e] + 1]++;
    }
    for (size_t j = 0; j < b->joint_count; j++) {
        b->starts[j + 1] += b->starts[j];
    }
    uint32_t *cursor = malloc((b->joint_count ? b->joint_count : 1) * sizeof *cursor);
    if (!cursor) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the binding's index");
    }
    memcpy(cursor, b->starts, b->joint_count * sizeof *cursor);
    for (size_t e = 0; e < entries; e++) {
        b->entries[cursor[b->joints[e]]++] = (uint32_t)e;
    }
    free(cursor);
    return ds_ok();
}

void ds_binding_free(ds_binding *b) {
    free(b->joints);
    free(b->weights);
    free(b->starts);
    free(b->entries);
    memset(b, 0, sizeof *b);
}

ds_status ds_joint_transforms_create(size_t count, ds_joint_transforms *t) {
    t->count = count;
    t->rotations = calloc((count ? count : 1) * 4, sizeof(float));
    t->translations = calloc((count ? count : 1) * 3, sizeof(float));
    if (!t->rotations || !t->translations) {
        ds_joint_transforms_free(t);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu joint transforms", count);
    }
    for (size_t j = 0; j < count; j++) {
        t->rotations[j * 4] = 1.0f;
    }
    return ds_ok();
}

void ds_joint_transforms_free(ds_joint_transforms *t) {
    free(t->rotations);
    free(t->translations);
    t->rotations = t->translations = NULL;
    t->count = 0;
}
