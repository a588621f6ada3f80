#include "learning_rate.h"

#include <math.h>

double ds_lr_schedule_at(const ds_lr_schedule *schedule, int64_t step) {
    if (step < 0 || (schedule->lr_init == 0.0 && schedule->lr_final == 0.0)) {
        return 0.0;
    }
    double u = 1.0;
    if (schedule->max_steps > 0) {
        u = (double)step / (double)schedule->max_steps;
        u = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
    }
    return exp((1.0 - u) * log(schedule->lr_init) + u * log(schedule->lr_final));
}
