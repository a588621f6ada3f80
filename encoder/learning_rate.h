/* Learning-rate schedules of 3DGS training. */
#ifndef DS_ENCODER_LEARNING_RATE_H
#define DS_ENCODER_LEARNING_RATE_H

#include <stdint.h>

/* The log-linear decay of 3DGS `get_expon_lr_func` without the delay (lr_delay_mult = 1):
 *   lr(t) = exp((1 - u) ln lr_init + u ln lr_final),  u = clamp(t / max_steps, 0, 1),
 * so lr(0) = lr_init, lr(max_steps) = lr_final and the midpoint is their geometric mean. As in
 * the reference, a negative step, or both rates 0, gives 0. The rates must be positive (or both
 * 0); max_steps <= 0 means the schedule has already ended (lr_final). */
typedef struct ds_lr_schedule {
    double lr_init, lr_final;
    int64_t max_steps;
} ds_lr_schedule;

double ds_lr_schedule_at(const ds_lr_schedule *schedule, int64_t step);

#endif
