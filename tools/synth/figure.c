#include "figure.h"

#include "synth_math.h"

#include <string.h>

/* The rest figure: about 1.73 m tall, pelvis centre 0.95 m above the ground. Left and right
 * limbs get different colours and patterns so a tracker cannot swap them. */
#define CAPSULE(ax, ay, az, bx, by, bz, r)                                                         \
    { .kind = DS_SYNTH_CAPSULE, .a = {ax, ay, az}, .b = {bx, by, bz}, .radius = r }
#define ELLIPSOID(cx, cy, cz, rx, ry, rz)                                                          \
    {                                                                                              \
        .kind = DS_SYNTH_ELLIPSOID, .center = {cx, cy, cz}, .radii = { rx, ry, rz }                \
    }
/* A pattern in a second colour: `period` metres, `divisions` around, across local `axis`. */
#define TEXTURE(texture_kind, r, g, b, period_metres, around, across)                              \
    {                                                                                              \
        .kind = DS_SYNTH_TEXTURE_##texture_kind, .second_colour = {r, g, b},                       \
        .period = period_metres, .divisions = around, .axis = across                               \
    }
#define PART(part_name, parent_part, x, y, z, part_shape, r, g, b, part_texture)                   \
    {                                                                                              \
        .name = part_name, .parent = parent_part, .offset = {x, y, z}, .shape = part_shape,        \
        .colour = {r, g, b}, .texture = part_texture                                               \
    }

/* In the order of the part enum, which puts every parent before its children. */
static const ds_synth_part rest_parts[DS_SYNTH_PART_COUNT] = {
    PART("pelvis", -1, 0, 0, 0, ELLIPSOID(0, 0, 0, 0.165, 0.11, 0.11), 0.16f, 0.22f, 0.55f,
         TEXTURE(CHECKS, 0.85f, 0.85f, 0.92f, 0.07, 12, 1)),
    PART("torso", DS_SYNTH_PELVIS, 0, 0.07, 0, ELLIPSOID(0, 0.22, 0, 0.175, 0.25, 0.115), 0.95f,
         0.88f, 0.62f, TEXTURE(GLYPHS, 0.12f, 0.10f, 0.28f, 0.06, 0, 1)),
    PART("neck", DS_SYNTH_TORSO, 0, 0.44, 0, CAPSULE(0, 0, 0, 0, 0.08, 0, 0.05), 0.82f, 0.60f,
         0.45f, TEXTURE(RINGS, 0.55f, 0.35f, 0.25f, 0.03, 0, 1)),
    PART("head", DS_SYNTH_NECK, 0, 0.08, 0, ELLIPSOID(0, 0.10, 0.01, 0.09, 0.115, 0.10), 0.93f,
         0.74f, 0.60f, TEXTURE(FACE, 0.25f, 0.15f, 0.08f, 0, 0, 1)),
    PART("l_upper_arm", DS_SYNTH_TORSO, 0.215, 0.385, 0, CAPSULE(0, 0, 0, 0, -0.28, 0, 0.052),
         0.85f, 0.18f, 0.18f, TEXTURE(HELIX, 0.98f, 0.90f, 0.30f, 0.07, 1, 1)),
    PART("l_forearm", DS_SYNTH_L_UPPER_ARM, 0, -0.28, 0, CAPSULE(0, 0, 0, 0, -0.25, 0, 0.043),
         0.20f, 0.65f, 0.25f, TEXTURE(CHECKS, 0.05f, 0.25f, 0.10f, 0.05, 8, 1)),
    PART("l_hand", DS_SYNTH_L_FOREARM, 0, -0.25, 0, ELLIPSOID(0, -0.08, 0, 0.03, 0.085, 0.05),
         0.95f, 0.55f, 0.65f, TEXTURE(RINGS, 0.50f, 0.10f, 0.30f, 0.035, 0, 1)),
    PART("r_upper_arm", DS_SYNTH_TORSO, -0.215, 0.385, 0, CAPSULE(0, 0, 0, 0, -0.28, 0, 0.052),
         0.95f, 0.55f, 0.10f, TEXTURE(HELIX, 0.30f, 0.15f, 0.60f, 0.07, -1, 1)),
    PART("r_forearm", DS_SYNTH_R_UPPER_ARM, 0, -0.28, 0, CAPSULE(0, 0, 0, 0, -0.25, 0, 0.043),
         0.10f, 0.60f, 0.65f, TEXTURE(CHECKS, 0.95f, 0.95f, 0.95f, 0.05, 8, 1)),
    PART("r_hand", DS_SYNTH_R_FOREARM, 0, -0.25, 0, ELLIPSOID(0, -0.08, 0, 0.03, 0.085, 0.05),
         0.70f, 0.60f, 0.95f, TEXTURE(RINGS, 0.20f, 0.10f, 0.40f, 0.035, 0, 1)),
    PART("l_thigh", DS_SYNTH_PELVIS, 0.095, -0.05, 0, CAPSULE(0, 0, 0, 0, -0.40, 0, 0.075), 0.50f,
         0.25f, 0.65f, TEXTURE(RINGS, 0.95f, 0.80f, 0.20f, 0.06, 0, 1)),
    PART("l_shin", DS_SYNTH_L_THIGH, 0, -0.40, 0, CAPSULE(0, 0, 0, 0, -0.40, 0, 0.055), 0.55f,
         0.55f, 0.15f, TEXTURE(CHECKS, 0.15f, 0.15f, 0.05f, 0.06, 10, 1)),
    PART("l_foot", DS_SYNTH_L_SHIN, 0, -0.40, 0, ELLIPSOID(0, -0.05, 0.06, 0.05, 0.045, 0.12),
         0.30f, 0.30f, 0.33f, TEXTURE(RINGS, 0.90f, 0.90f, 0.90f, 0.05, 0, 2)),
    PART("r_thigh", DS_SYNTH_PELVIS, -0.095, -0.05, 0, CAPSULE(0, 0, 0, 0, -0.40, 0, 0.075), 0.60f,
         0.15f, 0.30f, TEXTURE(HELIX, 0.95f, 0.95f, 0.95f, 0.09, 2, 1)),
    PART("r_shin", DS_SYNTH_R_THIGH, 0, -0.40, 0, CAPSULE(0, 0, 0, 0, -0.40, 0, 0.055), 0.85f,
         0.75f, 0.20f, TEXTURE(CHECKS, 0.40f, 0.20f, 0.05f, 0.06, 10, 1)),
    PART("r_foot", DS_SYNTH_R_SHIN, 0, -0.40, 0, ELLIPSOID(0, -0.05, 0.06, 0.05, 0.045, 0.12),
         0.45f, 0.28f, 0.15f, TEXTURE(RINGS, 0.95f, 0.85f, 0.70f, 0.05, 0, 2)),
};

static const ds_synth_joint joints[DS_SYNTH_JOINT_COUNT] = {
    {"pelvis", DS_SYNTH_PELVIS, {0, 0, 0}},
    {"spine", DS_SYNTH_TORSO, {0, 0, 0}},
    {"neck", DS_SYNTH_NECK, {0, 0, 0}},
    {"head", DS_SYNTH_HEAD, {0, 0, 0}},
    {"l_shoulder", DS_SYNTH_L_UPPER_ARM, {0, 0, 0}},
    {"l_elbow", DS_SYNTH_L_FOREARM, {0, 0, 0}},
    {"l_wrist", DS_SYNTH_L_HAND, {0, 0, 0}},
    {"r_shoulder", DS_SYNTH_R_UPPER_ARM, {0, 0, 0}},
    {"r_elbow", DS_SYNTH_R_FOREARM, {0, 0, 0}},
    {"r_wrist", DS_SYNTH_R_HAND, {0, 0, 0}},
    {"l_hip", DS_SYNTH_L_THIGH, {0, 0, 0}},
    {"l_knee", DS_SYNTH_L_SHIN, {0, 0, 0}},
    {"l_ankle", DS_SYNTH_L_FOOT, {0, 0, 0}},
    {"r_hip", DS_SYNTH_R_THIGH, {0, 0, 0}},
    {"r_knee", DS_SYNTH_R_SHIN, {0, 0, 0}},
    {"r_ankle", DS_SYNTH_R_FOOT, {0, 0, 0}},
    {"head_top", DS_SYNTH_HEAD, {0, 0.215, 0.01}},
    {"l_fingertip", DS_SYNTH_L_HAND, {0, -0.165, 0}},
    {"r_fingertip", DS_SYNTH_R_HAND, {0, -0.165, 0}},
    {"l_toe", DS_SYNTH_L_FOOT, {0, -0.05, 0.18}},
    {"r_toe", DS_SYNTH_R_FOOT, {0, -0.05, 0.18}},
};

const ds_synth_joint *ds_synth_joints(void) {
    return joints;
}

/* splitmix64: a tiny generator whose stream depends on the seed alone. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double next_unit(uint64_t *state) {
    return (double)(next_random(state) >> 11) * 0x1.0p-53;
}

static float clamp_colour(double value) {
    return (float)(value < 0.0 ? 0.0 : (value > 1.0 ? 1.0 : value));
}

void ds_synth_figure_init(ds_synth_figure *figure, uint64_t seed) {
    memcpy(figure->parts, rest_parts, sizeof figure->parts);
    figure->seed = seed;
    /* The seed moves every pattern and nudges every colour a little: different seeds give
     * different images of the same figure, while a tracker still has the same contrasts. */
    uint64_t state = seed ^ 0x5eedf16a2e5ULL;
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        ds_synth_part *part = &figure->parts[p];
        for (int c = 0; c < 3; c++) {
            part->colour[c] = clamp_colour(part->colour[c] + 0.06 * (next_unit(&state) - 0.5));
        }
        part->texture.phase = next_unit(&state);
        part->texture.phase2 = next_unit(&state);
        part->texture.glyph_seed = next_random(&state);
    }
}

void ds_synth_transform_point(const ds_synth_transform *transform, const double local[3],
                              double world[3]) {
    ds_synth_rotate(transform->rotation, local, world);
    for (int k = 0; k < 3; k++) {
        world[k] += transform->translation[k];
    }
}

/* The lowest world height of a part: exact for both shapes. */
static double part_bottom(const ds_synth_part *part, const ds_synth_transform *transform) {
    const ds_synth_shape *shape = &part->shape;
    if (shape->kind == DS_SYNTH_CAPSULE) {
        double a[3], b[3];
        ds_synth_transform_point(transform, shape->a, a);
        ds_synth_transform_point(transform, shape->b, b);
        return fmin(a[1], b[1]) - shape->radius;
    }
    double center[3];
    ds_synth_transform_point(transform, shape->center, center);
    const double *r = transform->rotation;
    double extent = 0.0;
    for (int j = 0; j < 3; j++) {
        double e = r[3 + j] * shape->radii[j];
        extent += e * e;
    }
    return center[1] - sqrt(extent);
}

void ds_synth_figure_pose(const ds_synth_figure *figure, const ds_synth_articulation *articulation,
                          ds_synth_pose *pose) {
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        const ds_synth_part *part = &figure->parts[p];
        ds_synth_transform *world = &pose->world_from_part[p];
        if (part->parent < 0) {
            memcpy(world->rotation, articulation->rotation[p], sizeof world->rotation);
            for (int k = 0; k < 3; k++) {
                world->translation[k] = articulation->root_position[k] + part->offset[k];
            }
            continue;
        }
        /* Parents come before their children in the table. */
        const ds_synth_transform *parent = &pose->world_from_part[part->parent];
        ds_synth_multiply(parent->rotation, articulation->rotation[p], world->rotation);
        ds_synth_transform_point(parent, part->offset, world->translation);
    }
    double lowest = INFINITY;
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        lowest = fmin(lowest, part_bottom(&figure->parts[p], &pose->world_from_part[p]));
    }
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        pose->world_from_part[p].translation[1] -= lowest;
    }
}

void ds_synth_pose_joints(const ds_synth_pose *pose, double positions[DS_SYNTH_JOINT_COUNT][3]) {
    for (int j = 0; j < DS_SYNTH_JOINT_COUNT; j++) {
        ds_synth_transform_point(&pose->world_from_part[joints[j].part], joints[j].local,
                                 positions[j]);
    }
}

void ds_synth_part_bounds(const ds_synth_figure *figure, const ds_synth_pose *pose, int part,
                          double lower[3], double upper[3]) {
    const ds_synth_shape *shape = &figure->parts[part].shape;
    const ds_synth_transform *transform = &pose->world_from_part[part];
    double center[3], extent[3];
    if (shape->kind == DS_SYNTH_CAPSULE) {
        double a[3], b[3];
        ds_synth_transform_point(transform, shape->a, a);
        ds_synth_transform_point(transform, shape->b, b);
        for (int k = 0; k < 3; k++) {
            center[k] = 0.5 * (a[k] + b[k]);
            extent[k] = 0.5 * fabs(b[k] - a[k]) + shape->radius;
        }
    } else {
        /* An ellipsoid's box: its centre plus, per axis, the length of that row of R diag(r). */
        ds_synth_transform_point(transform, shape->center, center);
        for (int k = 0; k < 3; k++) {
            double sum = 0.0;
            for (int j = 0; j < 3; j++) {
                double e = transform->rotation[3 * k + j] * shape->radii[j];
                sum += e * e;
            }
            extent[k] = sqrt(sum);
        }
    }
    for (int k = 0; k < 3; k++) {
        lower[k] = center[k] - extent[k];
        upper[k] = center[k] + extent[k];
    }
}

void ds_synth_pose_bounds(const ds_synth_figure *figure, const ds_synth_pose *pose, bool grow,
                          double lower[3], double upper[3]) {
    if (!grow) {
        for (int k = 0; k < 3; k++) {
            lower[k] = INFINITY;
            upper[k] = -INFINITY;
        }
    }
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        double part_lower[3], part_upper[3];
        ds_synth_part_bounds(figure, pose, p, part_lower, part_upper);
        for (int k = 0; k < 3; k++) {
            lower[k] = fmin(lower[k], part_lower[k]);
            upper[k] = fmax(upper[k], part_upper[k]);
        }
    }
}

int ds_synth_part_index(const ds_synth_figure *figure, const char *name) {
    for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
        if (strcmp(figure->parts[p].name, name) == 0) {
            return p;
        }
    }
    return -1;
}
