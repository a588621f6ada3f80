/* Checkpoints of first-frame fitting: everything needed to continue exactly where a fit
 * stopped — the stage and step, the clouds, the optimiser's moments and the densification
 * statistics — in one file written atomically, with a checksum and a fingerprint of the views
 * and settings it belongs to, so a stale or damaged checkpoint is refused rather than used. */
#ifndef DS_ENCODER_FIT_CHECKPOINT_H
#define DS_ENCODER_FIT_CHECKPOINT_H

#include "encoder/gaussian_trainer.h"
#include "formats/gaussian_cloud.h"

#include <stdint.h>

typedef struct ds_fit_checkpoint {
    uint64_t fingerprint; /* of the views and settings */
    int stage;
    int64_t iteration;
    uint64_t random_state;
    ds_gaussian_cloud *joints; /* the finished joints (stage >= 1), else NULL */
    ds_gaussian_cloud *cloud;  /* the cloud being trained */
    /* Optimiser state per group (DS_PARAMETER_* order), and densification statistics. */
    int64_t steps[DS_PARAMETER_GROUPS];
    float *first_moments[DS_PARAMETER_GROUPS];
    float *second_moments[DS_PARAMETER_GROUPS];
    float *gradient_sum, *max_radius;
    uint32_t *views;
} ds_fit_checkpoint;

/* Writes the state of `trainer` (and the finished joints, if any) atomically to `path`. */
ds_status ds_fit_checkpoint_save(const char *path, uint64_t fingerprint, int stage,
                                 ds_trainer *trainer, const ds_gaussian_cloud *joints);

/* Reads a checkpoint; DS_ERR_IO when there is none, DS_ERR_FORMAT when it is damaged. */
ds_status ds_fit_checkpoint_load(const char *path, ds_fit_checkpoint *checkpoint);

/* The same from bytes in memory (a whole checkpoint file, checksum included). */
ds_status ds_fit_checkpoint_decode(const uint8_t *data, size_t size, ds_fit_checkpoint *checkpoint);

/* Puts the loaded optimiser state and statistics into a trainer created on checkpoint->cloud. */
ds_status ds_fit_checkpoint_restore(const ds_fit_checkpoint *checkpoint, ds_trainer *trainer);

void ds_fit_checkpoint_free(ds_fit_checkpoint *checkpoint);

#endif
