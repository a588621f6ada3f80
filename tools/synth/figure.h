/* The synthetic performer: an articulated figure of textured capsules and ellipsoids.
 *
 * World axes: +y up, the ground is the plane y = 0, lengths in metres. At rest the figure stands
 * at the origin facing +z, so its left side is +x. Each part has a local frame whose origin is
 * the part's joint with its parent (the hip for a thigh, the elbow for a forearm); the part's
 * shape and texture are defined in that frame, and limbs hang along local -y. A pose is the
 * world-from-part rigid transform of every part, obtained by forward kinematics:
 *   world_from_part[p] = world_from_part[parent] * translate(offset[p]) * rotate(joint[p]),
 * with the root (the pelvis) placed by a position and rotation of its own. */
#ifndef DS_SYNTH_FIGURE_H
#define DS_SYNTH_FIGURE_H

#include "shapes.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    DS_SYNTH_PELVIS,
    DS_SYNTH_TORSO,
    DS_SYNTH_NECK,
    DS_SYNTH_HEAD,
    DS_SYNTH_L_UPPER_ARM,
    DS_SYNTH_L_FOREARM,
    DS_SYNTH_L_HAND,
    DS_SYNTH_R_UPPER_ARM,
    DS_SYNTH_R_FOREARM,
    DS_SYNTH_R_HAND,
    DS_SYNTH_L_THIGH,
    DS_SYNTH_L_SHIN,
    DS_SYNTH_L_FOOT,
    DS_SYNTH_R_THIGH,
    DS_SYNTH_R_SHIN,
    DS_SYNTH_R_FOOT,
    DS_SYNTH_PART_COUNT
};

/* Skeleton joints reported as truth: each part's origin (pelvis, spine, neck, head, shoulders,
 * elbows, wrists, hips, knees, ankles), then five end sites (top of the head, fingertips, toes). */
enum { DS_SYNTH_JOINT_COUNT = DS_SYNTH_PART_COUNT + 5 };

typedef enum ds_synth_texture_kind {
    DS_SYNTH_TEXTURE_RINGS,  /* stripes across an axis of the part */
    DS_SYNTH_TEXTURE_HELIX,  /* stripes winding around a capsule */
    DS_SYNTH_TEXTURE_CHECKS, /* a checkerboard around and along the part */
    DS_SYNTH_TEXTURE_GLYPHS, /* lines of letter-like glyphs on the front, stripes on the back */
    DS_SYNTH_TEXTURE_FACE,   /* skin with eyes, mouth and hair, so the head's turn shows */
} ds_synth_texture_kind;

typedef struct ds_synth_texture {
    ds_synth_texture_kind kind;
    float second_colour[3]; /* the pattern's other colour (ink, stripes, hair) */
    double period;          /* metres across one stripe pair or check pair */
    int divisions;          /* checks around the part; turns of a helix */
    int axis;               /* local axis the stripes run across (0 x, 1 y, 2 z) */
    double phase, phase2;   /* pattern offsets in periods, varied by the seed */
    uint64_t glyph_seed;    /* which glyphs a text pattern shows */
} ds_synth_texture;

typedef struct ds_synth_part {
    const char *name;
    int parent;       /* index of the parent part; -1 for the root */
    double offset[3]; /* the joint's position in the parent's frame */
    ds_synth_shape shape;
    float colour[3]; /* base colour, 0..1 */
    ds_synth_texture texture;
} ds_synth_part;

typedef struct ds_synth_joint {
    const char *name;
    int part;        /* the part whose frame holds it */
    double local[3]; /* position in that frame */
} ds_synth_joint;

typedef struct ds_synth_figure {
    ds_synth_part parts[DS_SYNTH_PART_COUNT];
    uint64_t seed;
} ds_synth_figure;

/* A rigid transform: world = rotation * local + translation (rotation row-major). */
typedef struct ds_synth_transform {
    double rotation[9];
    double translation[3];
} ds_synth_transform;

/* What a motion sets at one instant: the root's position and orientation in the world and every
 * other part's rotation relative to its parent (row-major 3x3). */
typedef struct ds_synth_articulation {
    double root_position[3];
    double rotation[DS_SYNTH_PART_COUNT][9];
} ds_synth_articulation;

typedef struct ds_synth_pose {
    ds_synth_transform world_from_part[DS_SYNTH_PART_COUNT];
} ds_synth_pose;

/* The figure with the seed's small variations of colours and texture phases. */
void ds_synth_figure_init(ds_synth_figure *figure, uint64_t seed);

/* The joints table (DS_SYNTH_JOINT_COUNT entries, static storage). */
const ds_synth_joint *ds_synth_joints(void);

/* Forward kinematics, then a vertical shift that puts the lowest point of the figure on the
 * ground, so whatever the legs do the figure stands on y = 0. */
void ds_synth_figure_pose(const ds_synth_figure *figure, const ds_synth_articulation *articulation,
                          ds_synth_pose *pose);

/* World positions of the joints table's joints. */
void ds_synth_pose_joints(const ds_synth_pose *pose, double positions[DS_SYNTH_JOINT_COUNT][3]);

/* The world-space box holding one part of a pose (exact for both shapes). */
void ds_synth_part_bounds(const ds_synth_figure *figure, const ds_synth_pose *pose, int part,
                          double lower[3], double upper[3]);

/* The world-space box holding every part of a pose, grown to include `lower` and `upper`'s
 * current values when `grow` is set. */
void ds_synth_pose_bounds(const ds_synth_figure *figure, const ds_synth_pose *pose, bool grow,
                          double lower[3], double upper[3]);

void ds_synth_transform_point(const ds_synth_transform *transform, const double local[3],
                              double world[3]);

/* Index of a part by name, or -1. */
int ds_synth_part_index(const ds_synth_figure *figure, const char *name);

#endif
