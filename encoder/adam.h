/* The Adam optimiser as torch.optim.Adam computes it (no weight decay, no AMSGrad), over groups
 * of parameters that grow and shrink as densification adds and removes Gaussians.
 *
 * A group is an array of `entries` x `width` floats (a Gaussian's 3 position floats, its 48 SH
 * floats, or one joint's 12 transform floats), with its own learning rate and step counter and
 * the first and second moment of every float. The optimiser keeps only this state: the values
 * and gradients stay with their owner (a Gaussian cloud, whose arrays move when it is resized)
 * and are passed to each step. Per step t of a group, for every float:
 *
 *   m = m + (1 - beta1) (g - m)           v = beta2 v + (1 - beta2) g^2
 *   value -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 *
 * with lr optionally scaled per column (ds_adam_set_column_scales).
 *
 * Densification in 3DGS changes the optimiser state as ds_adam_append (new entries with zero
 * moments), ds_adam_keep (masked selection) and ds_adam_reset (zero moments, e.g. at an opacity
 * reset) do; none of them changes the group's step counter, as in the reference. */
#ifndef DS_ENCODER_ADAM_H
#define DS_ENCODER_ADAM_H

#include "formats/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ds_adam_options {
    double beta1, beta2, epsilon;
} ds_adam_options;

/* torch's betas (0.9, 0.999) and the epsilon of 3DGS, 1e-15. */
ds_adam_options ds_adam_default_options(void);

typedef struct ds_adam ds_adam;

/* An optimiser without groups; `options` may be NULL for the defaults. Betas must be in [0, 1)
 * and epsilon non-negative. */
ds_status ds_adam_create(const ds_adam_options *options, ds_adam **adam);
void ds_adam_free(ds_adam *adam);

/* Adds a group of `entries` x `width` floats with zero moments and step 0; `*group` receives its
 * index (groups are numbered 0, 1, ... in the order added). */
ds_status ds_adam_add_group(ds_adam *adam, size_t entries, size_t width, double learning_rate,
                            size_t *group);

size_t ds_adam_group_count(const ds_adam *adam);
/* Entries of a group (0 for a group that does not exist). */
size_t ds_adam_entries(const ds_adam *adam, size_t group);

/* The learning rate of the next steps (schedules set it before every step). */
ds_status ds_adam_set_learning_rate(ds_adam *adam, size_t group, double learning_rate);
double ds_adam_learning_rate(const ds_adam *adam, size_t group);

/* Scales the learning rate of each column of a group (float k of every entry) by scales[k],
 * `width` of them. One array then holds what torch keeps as separate parameter groups with
 * their own rates, such as the DC and higher-order SH coefficients interleaved in each
 * Gaussian's record. NULL (with any width) removes the scales. */
ds_status ds_adam_set_column_scales(ds_adam *adam, size_t group, const float *scales, size_t width);

/* Steps taken by a group so far; setting it restores a checkpoint. */
int64_t ds_adam_step_count(const ds_adam *adam, size_t group);
ds_status ds_adam_set_step_count(ds_adam *adam, size_t group, int64_t steps);

/* The moments, entries x width floats each, for checkpoints and inspection; NULL for a group
 * that does not exist or has no entries. Valid until the group is resized. */
float *ds_adam_first_moments(ds_adam *adam, size_t group);
float *ds_adam_second_moments(ds_adam *adam, size_t group);

/* One Adam step of a group: updates `values` from `gradients` (entries x width floats each).
 * `entries` must match the group, which catches a cloud resized without its optimiser state. */
ds_status ds_adam_step(ds_adam *adam, size_t group, float *values, const float *gradients,
                       size_t entries);

/* Appends `count` entries with zero moments after the existing ones (densification's new
 * Gaussians, concatenated after the old ones as 3DGS does). */
ds_status ds_adam_append(ds_adam *adam, size_t group, size_t count);

/* Keeps the entries whose `keep` flag is set, in order, and drops the others (pruning, and
 * removing the originals of split Gaussians). `entries` is the length of `keep` and must match
 * the group. */
ds_status ds_adam_keep(ds_adam *adam, size_t group, const bool *keep, size_t entries);

/* Zeroes both moments of the entries whose flag is set, or of every entry when `reset` is
 * NULL. `entries` is the length of `reset` and must match the group. */
ds_status ds_adam_reset(ds_adam *adam, size_t group, const bool *reset, size_t entries);

#endif
