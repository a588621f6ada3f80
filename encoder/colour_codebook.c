/* Colour layer analysis: per-order k-means codebooks and temporally stable assignments. */
#include "encoder/colour_codebook.h"

#include "encoder/kmeans.h"
#include "formats/half_float.h"
#include "render/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    TRAINING_ROWS_PER_ENTRY = 16,
    MIN_VECTORS_PER_ENTRY = 8,
    GAUSSIANS_PER_ENTRY = 16,
    MIN_ENTRIES = 256,
};

void ds_colour_settings_default(ds_colour_settings *settings) {
    *settings = (ds_colour_settings){
        .entries = 8192,
        .keep_tolerance = 1.0f,
        .iterations = 2,
        .training_rows = 0,
        .seed = 1,
    };
}

typedef struct analysis {
    const float *const *sh_frames;
    size_t count, stride;
    uint32_t frames;
    const ds_colour_settings *settings;
    ds_colour_layer *layer;
} analysis;

static const float *order_vector(const analysis *a, uint32_t frame, size_t gaussian, int order) {
    return a->sh_frames[frame] + gaussian * a->stride + (size_t)ds_colour_order_offset(order);
}

/* A growing list of (Gaussian, entry) changes of one order. */
typedef struct change_list {
    uint32_t *gaussians, *indices;
    size_t size, capacity;
} change_list;

static bool change_list_push(change_list *list, uint32_t gaussian, uint32_t index) {
    if (list->size == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 1024;
        uint32_t *gaussians = realloc(list->gaussians, sizeof *gaussians * capacity);
        if (gaussians) {
            list->gaussians = gaussians;
        }
        uint32_t *indices = realloc(list->indices, sizeof *indices * capacity);
        if (indices) {
            list->indices = indices;
        }
        if (!gaussians || !indices) {
            return false;
        }
        list->capacity = capacity;
    }
    list->gaussians[list->size] = gaussian;
    list->indices[list->size] = index;
    list->size++;
    return true;
}

/* Trains order d's codebook on a random sample of all Gaussians of all frames. */
static ds_status train_codebook(const analysis *a, int order, float *codebook) {
    int dims = ds_colour_order_dims(order);
    uint32_t entries = a->layer->entries[order];
    size_t total = a->count * a->frames;
    size_t wanted = a->settings->training_rows ? a->settings->training_rows
                                               : (size_t)entries * TRAINING_ROWS_PER_ENTRY;
    size_t rows = wanted < total ? wanted : total;
    size_t *picked = malloc(sizeof *picked * rows);
    float *sample = malloc(sizeof *sample * rows * (size_t)dims);
    if (!picked || !sample) {
        free(picked);
        free(sample);
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for colour codebook training");
    }
    ds_kmeans_sample_rows(total, rows, a->settings->seed + (uint64_t)order, picked);
    for (size_t j = 0; j < rows; j++) {
        memcpy(sample + j * (size_t)dims,
               order_vector(a, (uint32_t)(picked[j] / a->count), picked[j] % a->count, order),
               sizeof(float) * (size_t)dims);
    }
    ds_kmeans_settings kmeans = {.clusters = entries,
                                 .iterations = a->settings->iterations,
                                 .sample_limit = 0,
                                 .seed = a->settings->seed};
    ds_status status = ds_kmeans_train(sample, rows, dims, &kmeans, codebook);
    free(picked);
    free(sample);
    /* Assign against the values the stream stores, so the encoder's choices are the decoder's. */
    for (size_t v = 0; v < (size_t)entries * (size_t)dims; v++) {
        codebook[v] = ds_half_round(codebook[v]);
    }
    return status;
}

static ds_status assign_order(const analysis *a, int order, const ds_nearest_index *index) {
    ds_colour_layer *layer = a->layer;
    int dims = ds_colour_order_dims(order);
    const float *codebook = layer->codebooks[order];
    ptrdiff_t count = (ptrdiff_t)a->count;
    uint32_t *current = layer->initial[order];
    /* floors[i]: a lower bound of the nearest entry's squared distance to references[i],
     * Gaussian i's vector when it was last searched (exact after frame 0). */
    float *floors = malloc(sizeof *floors * a->count);
    float *references = malloc(sizeof *references * a->count * (size_t)dims);
    uint32_t *next = malloc(sizeof *next * a->count);
    uint32_t *working = malloc(sizeof *working * a->count);
    change_list changes = {0};
    ds_status status = ds_ok();
    if (!floors || !references || !next || !working) {
        status = ds_error(DS_ERR_NO_MEMORY, "out of memory for colour assignment");
        goto done;
    }
#pragma omp parallel for schedule(dynamic, 512) if (DS_PARALLEL(a->count))
    for (ptrdiff_t i = 0; i < count; i++) {
        const float *vector = order_vector(a, 0, (size_t)i, order);
        current[i] = ds_nearest_index_find(index, vector, &floors[i]);
        memcpy(references + (size_t)i * (size_t)dims, vector, sizeof(float) * (size_t)dims);
    }
    double error_sum = 0.0;
    for (size_t i = 0; i < a->count; i++) {
        error_sum += floors[i];
    }
    float threshold = (float)(a->settings->keep_tolerance * error_sum / (double)a->count);
    memcpy(working, current, sizeof *working * a->count);

    layer->change_starts[order][0] = 0;
    for (uint32_t f = 1; f < a->frames; f++) {
#pragma omp parallel for schedule(dynamic, 512) if (DS_PARALLEL(a->count))
        for (ptrdiff_t i = 0; i < count; i++) {
            const float *vector = order_vector(a, f, (size_t)i, order);
            uint32_t previous = working[i];
            float kept =
                ds_kmeans_distance2(vector, codebook + (size_t)previous * (size_t)dims, dims);
            next[i] = previous;
            /* Switch only to an entry nearer than kept - threshold. */
            float limit = kept - threshold;
            if (!(limit > 0.0f)) {
                continue;
            }
            /* No entry was nearer than sqrt(floor) to the vector at its last search, and it
             * has moved `moved` since: if the limit is below what remains, no search is
             * needed (the slack covers float rounding, so the outcome is the search's). */
            float *reference = references + (size_t)i * (size_t)dims;
            double remaining = sqrt((double)floors[i]) -
                               sqrt((double)ds_kmeans_distance2(vector, reference, dims));
            if (remaining > 0.0 && (double)limit < remaining * remaining * (1.0 - 1e-4)) {
                continue;
            }
            float nearest;
            uint32_t better = ds_nearest_index_find_below(index, vector, limit, &nearest);
            memcpy(reference, vector, sizeof(float) * (size_t)dims);
            floors[i] = better != UINT32_MAX ? nearest : limit;
            if (better != UINT32_MAX) {
                next[i] = better;
            }
        }
        for (size_t i = 0; i < a->count; i++) {
            if (next[i] != working[i]) {
                if (!change_list_push(&changes, (uint32_t)i, next[i])) {
                    status = ds_error(DS_ERR_NO_MEMORY, "out of memory for colour change lists");
                    goto done;
                }
                working[i] = next[i];
            }
        }
        if (changes.size > UINT32_MAX) {
            status = ds_error(DS_ERR_ARGUMENT, "too many colour changes in one segment");
            goto done;
        }
        layer->change_starts[order][f] = (uint32_t)changes.size;
    }
    /* Never NULL, so that a layer without changes is complete. */
    if (changes.capacity == 0) {
        if (!change_list_push(&changes, 0, 0)) {
            status = ds_error(DS_ERR_NO_MEMORY, "out of memory for colour change lists");
            goto done;
        }
        changes.size = 0;
    }
    layer->change_gaussians[order] = changes.gaussians;
    layer->change_indices[order] = changes.indices;
    changes.gaussians = changes.indices = NULL;

done:
    free(floors);
    free(references);
    free(next);
    free(working);
    free(changes.gaussians);
    free(changes.indices);
    return status;
}

static ds_status analyse_order(const analysis *a, int order) {
    ds_colour_layer *layer = a->layer;
    size_t dims = (size_t)ds_colour_order_dims(order);
    uint32_t entries = layer->entries[order];
    layer->codebooks[order] = malloc(sizeof(float) * entries * dims);
    layer->initial[order] = malloc(sizeof(uint32_t) * a->count);
    layer->change_starts[order] = malloc(sizeof(uint32_t) * a->frames);
    if (!layer->codebooks[order] || !layer->initial[order] || !layer->change_starts[order]) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory for the colour layer");
    }
    ds_status status = train_codebook(a, order, layer->codebooks[order]);
    if (ds_failed(&status)) {
        return status;
    }
    ds_nearest_index *index = NULL;
    status = ds_nearest_index_create(layer->codebooks[order], entries, (int)dims, &index);
    if (!ds_failed(&status)) {
        status = assign_order(a, order, index);
    }
    ds_nearest_index_free(index);
    return status;
}

static bool all_finite(const float *const *sh_frames, size_t values, uint32_t frames) {
    for (uint32_t f = 0; f < frames; f++) {
        size_t bad = 0;
        const float *sh = sh_frames[f];
        ptrdiff_t n = (ptrdiff_t)values;
#pragma omp parallel for reduction(+ : bad) schedule(static) if (DS_PARALLEL(values / 16))
        for (ptrdiff_t v = 0; v < n; v++) {
            bad += !isfinite(sh[v]);
        }
        if (bad) {
            return false;
        }
    }
    return true;
}

ds_status ds_colour_analyse(const float *const *sh_frames, size_t count, int sh_degree,
                            uint32_t frames, const ds_colour_settings *settings,
                            ds_colour_layer *layer) {
    memset(layer, 0, sizeof *layer);
    if (count == 0 || count > UINT32_MAX || sh_degree < 0 || sh_degree > 3 || frames == 0 ||
        settings->entries == 0 || settings->entries > DS_COLOUR_MAX_ENTRIES ||
        !(settings->keep_tolerance >= 0.0f) || !isfinite(settings->keep_tolerance) ||
        settings->iterations < 0) {
        return ds_error(DS_ERR_ARGUMENT,
                        "invalid colour analysis request (%zu Gaussians, SH "
                        "degree %d, %u frames, %u entries)",
                        count, sh_degree, frames, settings->entries);
    }
    size_t stride = (size_t)3 * (size_t)((sh_degree + 1) * (sh_degree + 1));
    if (!all_finite(sh_frames, count * stride, frames)) {
        return ds_error(DS_ERR_ARGUMENT, "the SH to encode hold a non-finite value");
    }
    uint64_t vectors = (uint64_t)count * frames;
    uint64_t useful = vectors / MIN_VECTORS_PER_ENTRY ? vectors / MIN_VECTORS_PER_ENTRY : 1;
    /* A codebook is stored per segment: past one entry per GAUSSIANS_PER_ENTRY Gaussians
     * (DualGS: 8192 for ~180k) it costs more than its finer colours save. */
    uint64_t affordable =
        count / GAUSSIANS_PER_ENTRY > MIN_ENTRIES ? count / GAUSSIANS_PER_ENTRY : MIN_ENTRIES;
    useful = useful < affordable ? useful : affordable;
    uint32_t entries = settings->entries < useful ? settings->entries : (uint32_t)useful;

    layer->sh_degree = sh_degree;
    layer->count = count;
    layer->frames = frames;
    analysis a = {sh_frames, count, stride, frames, settings, layer};
    ds_status status = ds_ok();
    for (int d = 0; d <= sh_degree && !ds_failed(&status); d++) {
        layer->entries[d] = entries;
        status = analyse_order(&a, d);
    }
    if (ds_failed(&status)) {
        ds_colour_layer_free(layer);
    }
    return status;
}
