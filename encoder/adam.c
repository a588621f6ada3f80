#include "adam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many floats a step runs on one thread: starting a team would cost more. */
enum { PARALLEL_FLOATS = 1 << 16 };

typedef struct adam_group {
    size_t entries, width;
    size_t capacity; /* entries the moment arrays have room for */
    float *m, *v;
    double learning_rate;
    int64_t steps;
    double *column_scales; /* width learning-rate factors, or NULL for all 1 */
    float *column_steps;   /* width floats: the step sizes of one step, per column */
} adam_group;

struct ds_adam {
    ds_adam_options options;
    adam_group *groups;
    size_t group_count, group_capacity;
};

ds_adam_options ds_adam_default_options(void) {
    ds_adam_options options = {.beta1 = 0.9, .beta2 = 0.999, .epsilon = 1e-15};
    return options;
}

ds_status ds_adam_create(const ds_adam_options *options, ds_adam **adam) {
    *adam = NULL;
    ds_adam_options chosen = options ? *options : ds_adam_default_options();
    if (!(chosen.beta1 >= 0.0 && chosen.beta1 < 1.0 && chosen.beta2 >= 0.0 && chosen.beta2 < 1.0)) {
        return ds_error(DS_ERR_ARGUMENT, "Adam betas (%g, %g) must lie in [0, 1)", chosen.beta1,
                        chosen.beta2);
    }
    if (!(chosen.epsilon >= 0.0 && isfinite(chosen.epsilon))) {
        return ds_error(DS_ERR_ARGUMENT, "Adam epsilon %g must be finite and not negative",
                        chosen.epsilon);
    }
    *adam = calloc(1, sizeof **adam);
    if (!*adam) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the Adam optimiser");
    }
    (*adam)->options = chosen;
    return ds_ok();
}

void ds_adam_free(ds_adam *adam) {
    if (!adam) {
        return;
    }
    for (size_t g = 0; g < adam->group_count; g++) {
        free(adam->groups[g].m);
        free(adam->groups[g].v);
        free(adam->groups[g].column_scales);
        free(adam->groups[g].column_steps);
    }
    free(adam->groups);
    free(adam);
}

static adam_group *group_at(const ds_adam *adam, size_t group) {
    return group < adam->group_count ? &adam->groups[group] : NULL;
}

static ds_status no_group(const ds_adam *adam, size_t group) {
    return ds_error(DS_ERR_ARGUMENT, "Adam has no parameter group %zu (it has %zu)", group,
                    adam->group_count);
}

static ds_status check_entries(const adam_group *g, size_t group, size_t entries) {
    if (entries != g->entries) {
        return ds_error(DS_ERR_ARGUMENT, "Adam group %zu has %zu entries, not %zu", group,
                        g->entries, entries);
    }
    return ds_ok();
}

/* Makes room for `entries` entries, growing geometrically so that repeated appends during
 * densification reallocate rarely. */
static ds_status reserve(adam_group *g, size_t entries) {
    if (entries <= g->capacity) {
        return ds_ok();
    }
    size_t capacity = g->capacity * 2 > entries ? g->capacity * 2 : entries;
    if (g->width > 0 && capacity > SIZE_MAX / sizeof(float) / g->width) {
        return ds_error(DS_ERR_NO_MEMORY, "Adam state for %zu entries is too large", entries);
    }
    size_t bytes = capacity * g->width * sizeof(float);
    float *m = realloc(g->m, bytes ? bytes : 1);
    if (!m) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate Adam state for %zu entries", entries);
    }
    g->m = m;
    float *v = realloc(g->v, bytes ? bytes : 1);
    if (!v) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate Adam state for %zu entries", entries);
    }
    g->v = v;
    g->capacity = capacity;
    return ds_ok();
}

ds_status ds_adam_add_group(ds_adam *adam, size_t entries, size_t width, double learning_rate,
                            size_t *group) {
    if (width == 0) {
        return ds_error(DS_ERR_ARGUMENT, "an Adam group needs at least one float per entry");
    }
    if (!isfinite(learning_rate)) {
        return ds_error(DS_ERR_ARGUMENT, "the learning rate %g is not finite", learning_rate);
    }
    if (adam->group_count == adam->group_capacity) {
        size_t capacity = adam->group_capacity ? adam->group_capacity * 2 : 8;
        adam_group *groups = realloc(adam->groups, capacity * sizeof *groups);
        if (!groups) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate Adam parameter groups");
        }
        adam->groups = groups;
        adam->group_capacity = capacity;
    }
    adam_group g = {.width = width, .learning_rate = learning_rate};
    ds_status status = reserve(&g, entries);
    if (ds_failed(&status)) {
        free(g.m);
        free(g.v);
        return status;
    }
    g.entries = entries;
    if (entries > 0) {
        memset(g.m, 0, entries * width * sizeof(float));
        memset(g.v, 0, entries * width * sizeof(float));
    }
    adam->groups[adam->group_count] = g;
    if (group) {
        *group = adam->group_count;
    }
    adam->group_count++;
    return ds_ok();
}

size_t ds_adam_group_count(const ds_adam *adam) {
    return adam->group_count;
}

size_t ds_adam_entries(const ds_adam *adam, size_t group) {
    return group < adam->group_count ? adam->groups[group].entries : 0;
}

ds_status ds_adam_set_learning_rate(ds_adam *adam, size_t group, double learning_rate) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    if (!isfinite(learning_rate)) {
        return ds_error(DS_ERR_ARGUMENT, "the learning rate %g is not finite", learning_rate);
    }
    g->learning_rate = learning_rate;
    return ds_ok();
}

double ds_adam_learning_rate(const ds_adam *adam, size_t group) {
    return group < adam->group_count ? adam->groups[group].learning_rate : 0.0;
}

ds_status ds_adam_set_column_scales(ds_adam *adam, size_t group, const float *scales,
                                    size_t width) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    if (!scales) {
        free(g->column_scales);
        free(g->column_steps);
        g->column_scales = NULL;
        g->column_steps = NULL;
        return ds_ok();
    }
    if (width != g->width) {
        return ds_error(DS_ERR_ARGUMENT, "Adam group %zu has %zu columns, not %zu", group, g->width,
                        width);
    }
    for (size_t k = 0; k < width; k++) {
        if (!isfinite(scales[k])) {
            return ds_error(DS_ERR_ARGUMENT, "the learning-rate scale of column %zu is not finite",
                            k);
        }
    }
    if (!g->column_scales) {
        double *column_scales = malloc(width * sizeof *column_scales);
        float *column_steps = malloc(width * sizeof *column_steps);
        if (!column_scales || !column_steps) {
            free(column_scales);
            free(column_steps);
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate Adam column scales");
        }
        g->column_scales = column_scales;
        g->column_steps = column_steps;
    }
    for (size_t k = 0; k < width; k++) {
        g->column_scales[k] = scales[k];
    }
    return ds_ok();
}

int64_t ds_adam_step_count(const ds_adam *adam, size_t group) {
    return group < adam->group_count ? adam->groups[group].steps : 0;
}

ds_status ds_adam_set_step_count(ds_adam *adam, size_t group, int64_t steps) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    if (steps < 0) {
        return ds_error(DS_ERR_ARGUMENT, "an Adam step count cannot be negative (%lld)",
                        (long long)steps);
    }
    g->steps = steps;
    return ds_ok();
}

float *ds_adam_first_moments(ds_adam *adam, size_t group) {
    return group < adam->group_count && adam->groups[group].entries ? adam->groups[group].m : NULL;
}

float *ds_adam_second_moments(ds_adam *adam, size_t group) {
    return group < adam->group_count && adam->groups[group].entries ? adam->groups[group].v : NULL;
}

ds_status ds_adam_step(ds_adam *adam, size_t group, float *values, const float *gradients,
                       size_t entries) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    ds_status status = check_entries(g, group, entries);
    if (ds_failed(&status)) {
        return status;
    }
    if (entries > 0 && (!values || !gradients)) {
        return ds_error(DS_ERR_ARGUMENT, "an Adam step needs the values and their gradients");
    }
    g->steps++;
    /* The scalars as torch forms them: bias corrections in double, then each rounded to float
     * where it meets the float32 state. */
    double beta1 = adam->options.beta1, beta2 = adam->options.beta2;
    double t = (double)g->steps;
    double correction1 = 1.0 - pow(beta1, t);
    double correction2_sqrt = sqrt(1.0 - pow(beta2, t));
    const float keep2 = (float)beta2;
    const float weight1 = (float)(1.0 - beta1);
    const float weight2 = (float)(1.0 - beta2);
    const float denominator_scale = (float)correction2_sqrt;
    const float epsilon = (float)adam->options.epsilon;
    float *restrict m = g->m;
    float *restrict v = g->v;
    ptrdiff_t n = (ptrdiff_t)(entries * g->width);
    if (n == 0) {
        return ds_ok();
    }
    if (!g->column_scales) {
        const float minus_step = (float)-(g->learning_rate / correction1);
#pragma omp parallel for schedule(static) if (n >= PARALLEL_FLOATS)
        for (ptrdiff_t i = 0; i < n; i++) {
            float gradient = gradients[i];
            m[i] += weight1 * (gradient - m[i]); /* torch's lerp toward the gradient */
            v[i] = v[i] * keep2 + weight2 * (gradient * gradient);
            float denominator = sqrtf(v[i]) / denominator_scale + epsilon;
            values[i] += minus_step * (m[i] / denominator);
        }
        return ds_ok();
    }
    /* Columns with their own rate: the step size as torch would form it for a group with
     * learning rate lr * scale. */
    size_t width = g->width;
    float *restrict steps = g->column_steps;
    for (size_t k = 0; k < width; k++) {
        steps[k] = (float)-(g->learning_rate * g->column_scales[k] / correction1);
    }
    ptrdiff_t rows = (ptrdiff_t)entries;
#pragma omp parallel for schedule(static) if (n >= PARALLEL_FLOATS)
    for (ptrdiff_t e = 0; e < rows; e++) {
        for (size_t k = 0; k < width; k++) {
            size_t i = (size_t)e * width + k;
            float gradient = gradients[i];
            m[i] += weight1 * (gradient - m[i]);
            v[i] = v[i] * keep2 + weight2 * (gradient * gradient);
            float denominator = sqrtf(v[i]) / denominator_scale + epsilon;
            values[i] += steps[k] * (m[i] / denominator);
        }
    }
    return ds_ok();
}

ds_status ds_adam_append(ds_adam *adam, size_t group, size_t count) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    if (count == 0) {
        return ds_ok();
    }
    if (count > SIZE_MAX - g->entries) {
        return ds_error(DS_ERR_NO_MEMORY, "Adam group %zu cannot grow by %zu entries", group,
                        count);
    }
    ds_status status = reserve(g, g->entries + count);
    if (ds_failed(&status)) {
        return status;
    }
    size_t start = g->entries * g->width;
    memset(g->m + start, 0, count * g->width * sizeof(float));
    memset(g->v + start, 0, count * g->width * sizeof(float));
    g->entries += count;
    return ds_ok();
}

ds_status ds_adam_keep(ds_adam *adam, size_t group, const bool *keep, size_t entries) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    ds_status status = check_entries(g, group, entries);
    if (ds_failed(&status)) {
        return status;
    }
    if (entries > 0 && !keep) {
        return ds_error(DS_ERR_ARGUMENT, "keeping Adam entries needs a keep mask");
    }
    /* Compacts in place: a kept entry moves only toward the front, never over an entry that is
     * still to be read. */
    size_t kept = 0;
    size_t width = g->width;
    for (size_t i = 0; i < entries; i++) {
        if (!keep[i]) {
            continue;
        }
        if (kept != i) {
            memcpy(g->m + kept * width, g->m + i * width, width * sizeof(float));
            memcpy(g->v + kept * width, g->v + i * width, width * sizeof(float));
        }
        kept++;
    }
    g->entries = kept;
    return ds_ok();
}

ds_status ds_adam_reset(ds_adam *adam, size_t group, const bool *reset, size_t entries) {
    adam_group *g = group_at(adam, group);
    if (!g) {
        return no_group(adam, group);
    }
    ds_status status = check_entries(g, group, entries);
    if (ds_failed(&status)) {
        return status;
    }
    size_t width = g->width;
    for (size_t i = 0; i < entries; i++) {
        if (!reset || reset[i]) {
            memset(g->m + i * width, 0, width * sizeof(float));
            memset(g->v + i * width, 0, width * sizeof(float));
        }
    }
    return ds_ok();
}
