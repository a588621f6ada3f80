/* Skinning decomposition of Gaussian sequences (encoder/skinning_decomposition.h) and the
 * deformed-splat sequences that exercise it (tools/sequence/deform_sequence.h). */
#include "codec_tests.h"
#include "test_support.h"

#include "encoder/skinning_decomposition.h"
#include "formats/splat_file.h"
#include "render/projection.h"
#include "render/skinning.h"
#include "tools/sequence/deform_sequence.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

static float uniform(uint32_t *state, float low, float high) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return low + (high - low) * (float)(*state >> 8) / (float)(1u << 24);
}

/* A decomposition's outputs, freed together. */
typedef struct result {
    float *joint_positions;
    size_t joint_count, frames;
    ds_binding binding;
    ds_joint_transforms *transforms;
} result;

static ds_status decompose(const float *const *positions, size_t count, size_t frames,
                           const ds_decomposition_settings *settings, result *r) {
    memset(r, 0, sizeof *r);
    r->frames = frames;
    r->transforms = calloc(frames ? frames : 1, sizeof *r->transforms);
    assert_non_null(r->transforms);
    return ds_skinning_decompose(positions, count, frames, settings, NULL, NULL,
                                 &r->joint_positions, &r->joint_count, &r->binding, r->transforms);
}

static void result_free(result *r) {
    free(r->joint_positions);
    ds_binding_free(&r->binding);
    if (r->transforms) {
        for (size_t f = 0; f < r->frames; f++) {
            ds_joint_transforms_free(&r->transforms[f]);
        }
    }
    free(r->transforms);
}

/* Angle in radians between two rotations given as quaternions (either sign). */
static double rotation_angle(const float *a, const float *b) {
    double na = 0, nb = 0, dot = 0;
    for (int c = 0; c < 4; c++) {
        na += (double)a[c] * a[c];
        nb += (double)b[c] * b[c];
        dot += (double)a[c] * b[c];
    }
    double cosine = fabs(dot) / sqrt(na * nb);
    return 2.0 * acos(cosine > 1.0 ? 1.0 : cosine);
}

typedef struct residual_stats {
    double rms, p99, max; /* position error, absolute */
    double mean_angle;    /* radians, when rotations were given */
} residual_stats;

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Skins frame 0 by every frame's transforms and compares with the sequence's positions (and
 * rotations, when `rotations` is not NULL). */
static residual_stats measure(const float *const *positions, const float *const *rotations,
                              size_t count, const result *r) {
    float *skinned = malloc(count * 3 * sizeof *skinned);
    float *turned = malloc(count * 4 * sizeof *turned);
    float *canonical_rotations = malloc(count * 4 * sizeof *canonical_rotations);
    float *errors = malloc(count * r->frames * sizeof *errors);
    assert_non_null(skinned);
    assert_non_null(turned);
    assert_non_null(canonical_rotations);
    assert_non_null(errors);
    for (size_t i = 0; i < count; i++) {
        if (rotations) {
            memcpy(canonical_rotations + i * 4, rotations[0] + i * 4, 4 * sizeof(float));
            ds_quaternion_normalize(canonical_rotations + i * 4);
        } else {
            float identity[4] = {1, 0, 0, 0};
            memcpy(canonical_rotations + i * 4, identity, sizeof identity);
        }
    }
    residual_stats stats = {0};
    double squares = 0, angles = 0;
    for (size_t f = 0; f < r->frames; f++) {
        assert_int_equal(ds_skin_deform(positions[0], canonical_rotations, &r->binding,
                                        &r->transforms[f], skinned, turned)
                             .code,
                         DS_OK);
        for (size_t i = 0; i < count; i++) {
            double e = 0;
            for (int a = 0; a < 3; a++) {
                double d = (double)skinned[i * 3 + (size_t)a] - positions[f][i * 3 + (size_t)a];
                e += d * d;
            }
            squares += e;
            errors[f * count + i] = (float)sqrt(e);
            stats.max = fmax(stats.max, sqrt(e));
            if (rotations) {
                angles += rotation_angle(turned + i * 4, rotations[f] + i * 4);
            }
        }
    }
    size_t samples = count * r->frames;
    qsort(errors, samples, sizeof *errors, compare_floats);
    stats.rms = sqrt(squares / (double)samples);
    stats.p99 = errors[(size_t)(0.99 * (double)(samples - 1))];
    stats.mean_angle = angles / (double)samples;
    free(skinned);
    free(turned);
    free(canonical_rotations);
    free(errors);
    return stats;
}

static void check_binding(const result *r, size_t count) {
    assert_int_equal(r->binding.count, count);
    assert_int_equal(r->binding.k, DS_BINDING_K);
    assert_int_equal(r->binding.joint_count, r->joint_count);
    for (size_t i = 0; i < count; i++) {
        double sum = 0;
        for (int s = 0; s < DS_BINDING_K; s++) {
            float w = r->binding.weights[i * DS_BINDING_K + (size_t)s];
            assert_true(w >= 0.0f);
            assert_true(r->binding.joints[i * DS_BINDING_K + (size_t)s] < r->joint_count);
            if (s > 0) {
                assert_true(w <= r->binding.weights[i * DS_BINDING_K + (size_t)s - 1]);
            }
            sum += w;
        }
        test_assert_close(sum, 1.0, 1e-5, "binding weight sum", i);
    }
    /* Indexed: every entry listed under its joint. */
    assert_int_equal(r->binding.starts[r->joint_count], count * DS_BINDING_K);
    for (size_t j = 0; j < r->joint_count; j++) {
        for (uint32_t e = r->binding.starts[j]; e < r->binding.starts[j + 1]; e++) {
            assert_int_equal(r->binding.joints[r->binding.entries[e]], j);
        }
    }
    for (size_t j = 0; j < r->joint_count; j++) {
        const float *q = r->transforms[0].rotations + j * 4, *t = r->transforms[0].translations;
        assert_true(q[0] == 1.0f && q[1] == 0.0f && q[2] == 0.0f && q[3] == 0.0f);
        assert_true(t[j * 3] == 0.0f && t[j * 3 + 1] == 0.0f && t[j * 3 + 2] == 0.0f);
    }
}

/* ---- an articulated body: rigid parts with known motions ----------------------------- */

enum { PARTS = 3, PER_PART = 600, ARTICULATED_FRAMES = 8 };

typedef struct articulated {
    size_t count, frames;
    float *positions[ARTICULATED_FRAMES], *rotations[ARTICULATED_FRAMES];
    float part_rotation[ARTICULATED_FRAMES][PARTS][4],
        part_translation[ARTICULATED_FRAMES][PARTS][3];
    int *part; /* count */
} articulated;

static void quaternion_from_axis_angle(double x, double y, double z, double angle, float q[4]) {
    double n = sqrt(x * x + y * y + z * z), s = sin(angle / 2) / n;
    q[0] = (float)cos(angle / 2);
    q[1] = (float)(x * s);
    q[2] = (float)(y * s);
    q[3] = (float)(z * s);
}

/* Three boxes in a row (a torso, an upper arm, a forearm), each moving rigidly; the last one
 * turns by up to 180 degrees, where power iteration from the identity would fail. */
static void make_articulated(articulated *a, double final_angle) {
    a->count = PARTS * PER_PART;
    a->frames = ARTICULATED_FRAMES;
    a->part = malloc(a->count * sizeof *a->part);
    assert_non_null(a->part);
    uint32_t state = 7;
    float *x0 = malloc(a->count * 3 * sizeof *x0), *q0 = malloc(a->count * 4 * sizeof *q0);
    assert_non_null(x0);
    assert_non_null(q0);
    for (size_t i = 0; i < a->count; i++) {
        int p = (int)(i / PER_PART);
        a->part[i] = p;
        x0[i * 3] = uniform(&state, (float)p, (float)p + 1.0f);
        x0[i * 3 + 1] = uniform(&state, -0.2f, 0.2f);
        x0[i * 3 + 2] = uniform(&state, -0.15f, 0.15f);
        for (int c = 0; c < 4; c++) {
            q0[i * 4 + (size_t)c] = uniform(&state, -1, 1);
        }
        ds_quaternion_normalize(q0 + i * 4);
    }
    for (size_t f = 0; f < a->frames; f++) {
        double phase = (double)f / (double)(a->frames - 1);
        quaternion_from_axis_angle(0, 0, 1, 0.3 * phase, a->part_rotation[f][0]);
        quaternion_from_axis_angle(0.2, 1, 0.1, 0.9 * phase, a->part_rotation[f][1]);
        quaternion_from_axis_angle(1, 0.3, -0.4, final_angle * phase, a->part_rotation[f][2]);
        for (int p = 0; p < PARTS; p++) {
            a->part_translation[f][p][0] = (float)(0.5 * phase * (p + 1));
            a->part_translation[f][p][1] = (float)(-0.3 * phase * p);
            a->part_translation[f][p][2] = (float)(0.2 * sin(3.0 * phase) * (p - 1));
        }
        a->positions[f] = malloc(a->count * 3 * sizeof(float));
        a->rotations[f] = malloc(a->count * 4 * sizeof(float));
        assert_non_null(a->positions[f]);
        assert_non_null(a->rotations[f]);
        for (size_t i = 0; i < a->count; i++) {
            const float *q = a->part_rotation[f][a->part[i]];
            float m[9];
            ds_quaternion_to_matrix(q, m);
            for (int r = 0; r < 3; r++) {
                a->positions[f][i * 3 + (size_t)r] =
                    m[r * 3] * x0[i * 3] + m[r * 3 + 1] * x0[i * 3 + 1] +
                    m[r * 3 + 2] * x0[i * 3 + 2] + a->part_translation[f][a->part[i]][r];
            }
            ds_quaternion_multiply(q, q0 + i * 4, a->rotations[f] + i * 4);
        }
    }
    free(x0);
    free(q0);
}

static void free_articulated(articulated *a) {
    for (size_t f = 0; f < a->frames; f++) {
        free(a->positions[f]);
        free(a->rotations[f]);
    }
    free(a->part);
}

static void check_articulated_recovery(double final_angle) {
    articulated a;
    make_articulated(&a, final_angle);
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(a.count, &settings);
    assert_int_equal(settings.joints, a.count / 12);
    settings.joints = 30;
    result r;
    assert_int_equal(
        decompose((const float *const *)a.positions, a.count, a.frames, &settings, &r).code, DS_OK);
    assert_int_equal(r.joint_count, 30);
    check_binding(&r, a.count);
    /* Skinning reproduces the motion: positions to float precision, rotations too. */
    residual_stats stats =
        measure((const float *const *)a.positions, (const float *const *)a.rotations, a.count, &r);
    assert_true(stats.max < 1e-4);
    assert_true(stats.mean_angle < 1e-3);
    /* Every joint that carries a Gaussian moves exactly as the Gaussian's part. */
    for (size_t i = 0; i < a.count; i++) {
        for (int slot = 0; slot < DS_BINDING_K; slot++) {
            if (r.binding.weights[i * DS_BINDING_K + (size_t)slot] < 0.01f) {
                continue;
            }
            size_t j = r.binding.joints[i * DS_BINDING_K + (size_t)slot];
            for (size_t f = 1; f < a.frames; f++) {
                assert_true(rotation_angle(r.transforms[f].rotations + j * 4,
                                           a.part_rotation[f][a.part[i]]) < 1e-3);
                for (int c = 0; c < 3; c++) {
                    test_assert_close(r.transforms[f].translations[j * 3 + (size_t)c],
                                      a.part_translation[f][a.part[i]][c], 1e-3,
                                      "joint translation", i);
                }
            }
        }
    }
    /* Joints sit among their Gaussians. */
    for (size_t j = 0; j < r.joint_count; j++) {
        assert_true(r.joint_positions[j * 3] > -0.01f && r.joint_positions[j * 3] < 3.01f);
    }
    result_free(&r);
    free_articulated(&a);
}

static void articulated_motion_is_recovered(void **state) {
    (void)state;
    check_articulated_recovery(2.0);
}

static void half_turns_are_recovered(void **state) {
    (void)state;
    check_articulated_recovery(PI);
}

enum { THREADED_FRAMES = 12 };

/* Large enough (count x frames above DS_PARALLEL_MIN_ITEMS) that the loops do use threads. */
static void results_do_not_depend_on_threads(void **state) {
    (void)state;
    ds_gaussian_cloud *canonical = test_random_cloud(3000, 0, 21), *frame = NULL;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &frame).code, DS_OK);
    ds_deform_settings deform;
    ds_deform_settings_default(&deform);
    float *positions[THREADED_FRAMES];
    for (size_t f = 0; f < THREADED_FRAMES; f++) {
        assert_int_equal(ds_deform_cloud(canonical, (double)f / 10.0, &deform, frame).code, DS_OK);
        positions[f] = malloc(canonical->count * 3 * sizeof(float));
        assert_non_null(positions[f]);
        memcpy(positions[f], frame->positions, canonical->count * 3 * sizeof(float));
    }
    size_t count = canonical->count;
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(count, &settings);
    int threads = omp_get_max_threads();
    result one, many;
    omp_set_num_threads(1);
    assert_int_equal(
        decompose((const float *const *)positions, count, THREADED_FRAMES, &settings, &one).code,
        DS_OK);
    omp_set_num_threads(threads > 1 ? threads : 2);
    assert_int_equal(
        decompose((const float *const *)positions, count, THREADED_FRAMES, &settings, &many).code,
        DS_OK);
    omp_set_num_threads(threads);
    assert_int_equal(one.joint_count, many.joint_count);
    assert_memory_equal(one.joint_positions, many.joint_positions,
                        one.joint_count * 3 * sizeof(float));
    assert_memory_equal(one.binding.joints, many.binding.joints,
                        count * DS_BINDING_K * sizeof(uint32_t));
    assert_memory_equal(one.binding.weights, many.binding.weights,
                        count * DS_BINDING_K * sizeof(float));
    for (size_t f = 0; f < THREADED_FRAMES; f++) {
        assert_memory_equal(one.transforms[f].rotations, many.transforms[f].rotations,
                            one.joint_count * 4 * sizeof(float));
        assert_memory_equal(one.transforms[f].translations, many.transforms[f].translations,
                            one.joint_count * 3 * sizeof(float));
        free(positions[f]);
    }
    result_free(&one);
    result_free(&many);
    ds_gaussian_cloud_free(frame);
    ds_gaussian_cloud_free(canonical);
}

/* ---- deformed splats ------------------------------------------------------------------ */

/* A cloud to deform: every step-th Gaussian of the shared biker.spz, NULL when it is absent. */
static ds_gaussian_cloud *load_biker_subsample(size_t step) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../../../shared/data/splats/biker.spz", DS_TEST_DATA_DIR);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        return NULL;
    }
    fclose(probe);
    ds_gaussian_cloud *cloud = NULL;
    assert_int_equal(ds_splat_file_load(path, &cloud, NULL).code, DS_OK);
    bool *keep = malloc(cloud->count);
    assert_non_null(keep);
    for (size_t i = 0; i < cloud->count; i++) {
        keep[i] = i % step == 0;
    }
    ds_gaussian_cloud_keep(cloud, keep);
    free(keep);
    return cloud;
}

static double extent_of(const ds_gaussian_cloud *cloud) {
    float low[3] = {INFINITY, INFINITY, INFINITY}, high[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < cloud->count; i++) {
        for (int a = 0; a < 3; a++) {
            low[a] = fminf(low[a], cloud->positions[i * 3 + (size_t)a]);
            high[a] = fmaxf(high[a], cloud->positions[i * 3 + (size_t)a]);
        }
    }
    double d = 0;
    for (int a = 0; a < 3; a++) {
        d += (double)(high[a] - low[a]) * (high[a] - low[a]);
    }
    return sqrt(d);
}

static void deformation_is_deterministic_and_starts_at_the_input(void **state) {
    (void)state;
    ds_gaussian_cloud *canonical = test_random_cloud(2000, 1, 11);
    ds_gaussian_cloud *a = NULL, *b = NULL;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &a).code, DS_OK);
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &b).code, DS_OK);
    ds_deform_settings settings;
    ds_deform_settings_default(&settings);
    settings.appearance = 0.2;
    assert_int_equal(ds_deform_cloud(canonical, 0.0, &settings, a).code, DS_OK);
    test_assert_clouds_identical(a, canonical);
    assert_int_equal(ds_deform_cloud(canonical, 0.7, &settings, a).code, DS_OK);
    assert_int_equal(ds_deform_cloud(canonical, 0.7, &settings, b).code, DS_OK);
    test_assert_clouds_identical(a, b);
    /* It moved, kept the scales, and changed the appearance only slightly. */
    double moved = 0, extent = extent_of(canonical);
    for (size_t i = 0; i < canonical->count; i++) {
        for (int c = 0; c < 3; c++) {
            double d = a->positions[i * 3 + (size_t)c] - canonical->positions[i * 3 + (size_t)c];
            moved = fmax(moved, fabs(d));
            assert_true(a->log_scales[i * 3 + (size_t)c] ==
                        canonical->log_scales[i * 3 + (size_t)c]);
        }
        assert_true(fabsf(a->opacity_logits[i] - canonical->opacity_logits[i]) <= 0.41f);
    }
    assert_true(moved > 0.02 * extent);
    assert_true(moved < 0.8 * extent);
    /* Another seed, another motion. */
    settings.seed = 2;
    assert_int_equal(ds_deform_cloud(canonical, 0.7, &settings, b).code, DS_OK);
    assert_memory_not_equal(a->positions, b->positions, canonical->count * 3 * sizeof(float));
    ds_gaussian_cloud_free(a);
    ds_gaussian_cloud_free(b);
    ds_gaussian_cloud_free(canonical);
}

enum { PAIRS = 2000 };

/* Gaussians in pairs: i < PAIRS anywhere in a rod (a limb: 40 long, 6 wide, where twisting
 * and bending strain the material far less than they turn it), i + PAIRS at 0.01 from it in a
 * random direction; all unrotated. */
static ds_gaussian_cloud *paired_cloud(void) {
    ds_gaussian_cloud *cloud = test_random_cloud(2 * PAIRS, 0, 5);
    uint32_t state = 99;
    for (size_t i = 0; i < PAIRS; i++) {
        cloud->positions[i * 3] *= 0.15f;
        cloud->positions[i * 3 + 2] *= 0.15f;
        float d[3] = {uniform(&state, -1, 1), uniform(&state, -1, 1), uniform(&state, -1, 1)};
        float norm = sqrtf(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        for (int a = 0; a < 3; a++) {
            cloud->positions[(i + PAIRS) * 3 + (size_t)a] =
                cloud->positions[i * 3 + (size_t)a] + 0.01f * d[a] / norm;
        }
    }
    for (size_t i = 0; i < cloud->count; i++) {
        float identity[4] = {1, 0, 0, 0};
        memcpy(cloud->rotations + i * 4, identity, sizeof identity);
    }
    return cloud;
}

/* Median over pairs of |R_i (x0_j - x0_i) - (x_j - x_i)| / |x0_j - x0_i|: how far a Gaussian's
 * rotation is from carrying its neighbourhood along, the local strain of the map. With
 * `ignore_rotations` R_i is the identity instead. */
static double neighbourhood_error(const ds_gaussian_cloud *canonical,
                                  const ds_gaussian_cloud *moved, bool ignore_rotations) {
    float relative[PAIRS];
    for (size_t i = 0; i < PAIRS; i++) {
        float m[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        double before[3], after[3], error = 0, length = 0;
        if (!ignore_rotations) {
            ds_quaternion_to_matrix(moved->rotations + i * 4, m);
        }
        for (int a = 0; a < 3; a++) {
            before[a] = (double)canonical->positions[(i + PAIRS) * 3 + (size_t)a] -
                        canonical->positions[i * 3 + (size_t)a];
            after[a] = (double)moved->positions[(i + PAIRS) * 3 + (size_t)a] -
                       moved->positions[i * 3 + (size_t)a];
            length += before[a] * before[a];
        }
        for (int r = 0; r < 3; r++) {
            double e = m[r * 3] * before[0] + m[r * 3 + 1] * before[1] + m[r * 3 + 2] * before[2] -
                       after[r];
            error += e * e;
        }
        relative[i] = (float)sqrt(error / length);
    }
    qsort(relative, PAIRS, sizeof *relative, compare_floats);
    return relative[PAIRS / 2];
}

/* Rotations follow the positions: each Gaussian turns by the local rotation of the map, so its
 * rotation carries the offsets to its neighbours along, up to the map's strain. */
static void deformation_rotates_gaussians_with_their_neighbourhood(void **state) {
    (void)state;
    ds_gaussian_cloud *canonical = paired_cloud(), *moved = NULL;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &moved).code, DS_OK);
    /* A bend (Barr's: a stretch along the axis, no shear) and a fast turn. */
    ds_deform_settings settings;
    ds_deform_settings_default(&settings);
    settings.twist = 0;
    settings.parts = 0;
    settings.bend = 0.2;
    settings.turn = 1.0;
    assert_int_equal(ds_deform_cloud(canonical, 0.9, &settings, moved).code, DS_OK);
    assert_true(neighbourhood_error(canonical, moved, false) < 0.03);
    assert_true(neighbourhood_error(canonical, moved, true) > 0.5);
    /* Every stage: the twist and the parts' blends strain the object (the median pair by a
     * few percent; the rotation is the polar part of the Jacobian), but much less than it turns
     * it. */
    ds_deform_settings_default(&settings);
    assert_int_equal(ds_deform_cloud(canonical, 0.45, &settings, moved).code, DS_OK);
    double error = neighbourhood_error(canonical, moved, false);
    assert_true(error < 0.06);
    assert_true(neighbourhood_error(canonical, moved, true) > 4.0 * error);
    for (size_t i = 0; i < canonical->count; i++) {
        const float *q = moved->rotations + i * 4;
        test_assert_close(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3], 1.0, 1e-5,
                          "rotation norm", i);
    }
    ds_gaussian_cloud_free(moved);
    ds_gaussian_cloud_free(canonical);
}

static void deformation_rejects_bad_arguments(void **state) {
    (void)state;
    ds_gaussian_cloud *canonical = test_random_cloud(10, 0, 3), *other = test_random_cloud(9, 0, 3);
    ds_deform_settings settings;
    ds_deform_settings_default(&settings);
    assert_int_equal(ds_deform_cloud(canonical, 0.1, &settings, other).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_deform_cloud(canonical, 0.1, &settings, canonical).code, DS_ERR_ARGUMENT);
    assert_int_equal(ds_deform_cloud(canonical, NAN, &settings, other).code, DS_ERR_ARGUMENT);
    settings.period = 0;
    ds_gaussian_cloud *copy = NULL;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &copy).code, DS_OK);
    assert_int_equal(ds_deform_cloud(canonical, 0.1, &settings, copy).code, DS_ERR_ARGUMENT);
    ds_deform_settings_default(&settings);
    settings.parts = DS_DEFORM_MAX_PARTS + 1;
    assert_int_equal(ds_deform_cloud(canonical, 0.1, &settings, copy).code, DS_ERR_ARGUMENT);
    ds_gaussian_cloud_free(copy);
    ds_gaussian_cloud_free(canonical);
    ds_gaussian_cloud_free(other);
}

enum { DEFORMED_FRAMES = 16 };

/* A deformed subsample of a real splat: the residual of skinning stays small. */
static void deformed_splat_decomposes_with_small_residual(void **state) {
    (void)state;
    ds_gaussian_cloud *canonical = load_biker_subsample(50);
    if (!canonical) {
        skip();
    }
    ds_deform_settings deform;
    ds_deform_settings_default(&deform);
    float *positions[DEFORMED_FRAMES], *rotations[DEFORMED_FRAMES];
    ds_gaussian_cloud *frame = NULL;
    assert_int_equal(ds_gaussian_cloud_clone(canonical, &frame).code, DS_OK);
    for (size_t f = 0; f < DEFORMED_FRAMES; f++) {
        assert_int_equal(ds_deform_cloud(canonical, (double)f / 15.0, &deform, frame).code, DS_OK);
        positions[f] = malloc(canonical->count * 3 * sizeof(float));
        rotations[f] = malloc(canonical->count * 4 * sizeof(float));
        assert_non_null(positions[f]);
        assert_non_null(rotations[f]);
        memcpy(positions[f], frame->positions, canonical->count * 3 * sizeof(float));
        memcpy(rotations[f], frame->rotations, canonical->count * 4 * sizeof(float));
    }
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(canonical->count, &settings);
    result r;
    assert_int_equal(
        decompose((const float *const *)positions, canonical->count, DEFORMED_FRAMES, &settings, &r)
            .code,
        DS_OK);
    check_binding(&r, canonical->count);
    residual_stats stats = measure((const float *const *)positions, (const float *const *)rotations,
                                   canonical->count, &r);
    double extent = extent_of(canonical);
    print_message("deformed biker/50 (%zu Gaussians, %zu joints, %d frames): residual RMS "
                  "%.2e, p99 %.2e, max %.2e of the extent; rotation error %.3f deg\n",
                  canonical->count, r.joint_count, DEFORMED_FRAMES, stats.rms / extent,
                  stats.p99 / extent, stats.max / extent, stats.mean_angle * 180.0 / PI);
    assert_true(stats.rms < 3e-4 * extent);
    assert_true(stats.p99 < 1e-3 * extent);
    /* Rotations match where the motion is locally rigid; the strained blends of the parts and
     * the twist, which no rigid joint follows exactly, leave a few degrees on average. */
    assert_true(stats.mean_angle < 3.0 * PI / 180.0);
    result_free(&r);
    for (size_t f = 0; f < DEFORMED_FRAMES; f++) {
        free(positions[f]);
        free(rotations[f]);
    }
    ds_gaussian_cloud_free(frame);
    ds_gaussian_cloud_free(canonical);
}

/* ---- edge cases and errors ------------------------------------------------------------ */

static void a_single_frame_binds_each_gaussian_to_one_joint(void **state) {
    (void)state;
    ds_gaussian_cloud *cloud = test_random_cloud(500, 0, 9);
    const float *positions[1] = {cloud->positions};
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(cloud->count, &settings);
    result r;
    assert_int_equal(decompose(positions, cloud->count, 1, &settings, &r).code, DS_OK);
    assert_int_equal(r.joint_count, 500 / 12);
    check_binding(&r, cloud->count);
    for (size_t i = 0; i < cloud->count; i++) {
        assert_true(r.binding.weights[i * DS_BINDING_K] == 1.0f);
    }
    result_free(&r);
    ds_gaussian_cloud_free(cloud);
}

static void more_joints_than_gaussians_are_clamped(void **state) {
    (void)state;
    float frame0[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0}, frame1[9] = {0, 0, 1, 0, 1, 1, -1, 0, 1};
    const float *positions[2] = {frame0, frame1};
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(3, &settings);
    assert_int_equal(settings.joints, 1);
    settings.joints = 10;
    result r;
    assert_int_equal(decompose(positions, 3, 2, &settings, &r).code, DS_OK);
    assert_int_equal(r.joint_count, 3);
    check_binding(&r, 3);
    residual_stats stats = measure(positions, NULL, 3, &r);
    assert_true(stats.max < 1e-5);
    result_free(&r);
}

static void bad_arguments_are_refused(void **state) {
    (void)state;
    float frame0[6] = {0, 0, 0, 1, 0, 0}, frame1[6] = {0, 0, 1, NAN, 0, 1};
    const float *positions[2] = {frame0, frame0}, *bad[2] = {frame0, frame1};
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(2, &settings);
    result r;
    assert_int_equal(decompose(positions, 2, 0, &settings, &r).code, DS_ERR_ARGUMENT);
    result_free(&r);
    assert_int_equal(decompose(positions, 0, 2, &settings, &r).code, DS_ERR_ARGUMENT);
    result_free(&r);
    assert_int_equal(decompose(bad, 2, 2, &settings, &r).code, DS_ERR_ARGUMENT);
    result_free(&r);
    settings.joints = 0;
    assert_int_equal(decompose(positions, 2, 2, &settings, &r).code, DS_ERR_ARGUMENT);
    result_free(&r);
    ds_decomposition_settings_default(2, &settings);
    settings.iterations = 0;
    assert_int_equal(decompose(positions, 2, 2, &settings, &r).code, DS_ERR_ARGUMENT);
    result_free(&r);
}

typedef struct progress_log {
    int calls, stop_at;
    double last;
    bool increasing;
} progress_log;

static bool log_progress(void *context, double fraction) {
    progress_log *log = context;
    log->increasing &= fraction > log->last && fraction <= 1.0;
    log->last = fraction;
    return ++log->calls != log->stop_at;
}

static void progress_is_reported_and_can_interrupt(void **state) {
    (void)state;
    articulated a;
    make_articulated(&a, 1.0);
    ds_decomposition_settings settings;
    ds_decomposition_settings_default(a.count, &settings);
    float *joints = NULL;
    size_t joint_count = 0;
    ds_binding binding = {0};
    ds_joint_transforms transforms[ARTICULATED_FRAMES];
    memset(transforms, 0, sizeof transforms);
    progress_log log = {.stop_at = -1, .increasing = true};
    assert_int_equal(ds_skinning_decompose((const float *const *)a.positions, a.count, a.frames,
                                           &settings, log_progress, &log, &joints, &joint_count,
                                           &binding, transforms)
                         .code,
                     DS_OK);
    assert_true(log.calls >= 2);
    assert_true(log.increasing);
    test_assert_close(log.last, 1.0, 1e-12, "final progress", 0);
    free(joints);
    ds_binding_free(&binding);
    for (size_t f = 0; f < a.frames; f++) {
        ds_joint_transforms_free(&transforms[f]);
    }
    /* Stopping at the second report: nothing is returned. */
    joints = NULL;
    log = (progress_log){.stop_at = 2, .increasing = true};
    ds_status status =
        ds_skinning_decompose((const float *const *)a.positions, a.count, a.frames, &settings,
                              log_progress, &log, &joints, &joint_count, &binding, transforms);
    assert_int_equal(status.code, DS_ERR_INTERRUPTED);
    assert_int_equal(log.calls, 2);
    assert_null(joints);
    assert_null(binding.joints);
    assert_null(transforms[0].rotations);
    free_articulated(&a);
}

int run_skinning_decomposition_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(articulated_motion_is_recovered),
        cmocka_unit_test(half_turns_are_recovered),
        cmocka_unit_test(results_do_not_depend_on_threads),
        cmocka_unit_test(deformation_is_deterministic_and_starts_at_the_input),
        cmocka_unit_test(deformation_rotates_gaussians_with_their_neighbourhood),
        cmocka_unit_test(deformation_rejects_bad_arguments),
        cmocka_unit_test(deformed_splat_decomposes_with_small_residual),
        cmocka_unit_test(a_single_frame_binds_each_gaussian_to_one_joint),
        cmocka_unit_test(more_joints_than_gaussians_are_clamped),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(progress_is_reported_and_can_interrupt),
    };
    return cmocka_run_group_tests_name("skinning_decomposition", tests, NULL, NULL);
}
