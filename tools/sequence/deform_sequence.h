/* A splat sequence made from a static splat: a smooth, deterministic deformation over time, the
 * test and benchmark input of the .dsv codec's packing of per-frame .ply sequences. In order,
 * each a rotation whose angle varies smoothly over the object and over time:
 *
 *   1. moving parts: regions that swing rigidly about a pivot at their border, blending into
 *      the still rest of the object over a falloff shell;
 *   2. twist about the object's long axis, the angle growing along it;
 *   3. bend: rotation about an axis across the object through its centre, the angle growing
 *      along the long axis, so that the object curves;
 *   4. a global turn about the long axis and a swaying translation.
 *
 * Positions follow the map; each Gaussian's rotation is composed with the rotations applied at
 * its position (the map's local rotation, less the small shear of the falloffs). Scale is kept;
 * opacity and the colour's DC term vary slightly over time when `appearance` > 0. At t = 0
 * every angle and offset is exactly 0: the output equals the input bit for bit. */
#ifndef DS_TOOLS_SEQUENCE_DEFORM_SEQUENCE_H
#define DS_TOOLS_SEQUENCE_DEFORM_SEQUENCE_H

#include "formats/gaussian_cloud.h"

#include <stdint.h>

enum { DS_DEFORM_MAX_PARTS = 8 };

typedef struct ds_deform_settings {
    double period; /* seconds of one cycle of the oscillations (> 0) */
    double bend;   /* radians at the ends of the long axis at full swing */
    double twist;  /* radians at the ends of the long axis at full swing */
    int parts;     /* moving parts, 0..DS_DEFORM_MAX_PARTS */
    double
        part_size; /* radius of a part's rigid core (fraction of the object); it blends out by 3x */
    double swing;  /* radians a part swings at full swing */
    double sway;   /* global translation amplitude, as a fraction of the object */
    double turn;   /* global turn, radians per second */
    double appearance; /* amplitude of the opacity-logit and DC-colour variation (0: none) */
    uint64_t seed;     /* chooses the bend direction, the parts and their phases */
} ds_deform_settings;

/* Moderate motion of a performer-like amount: bend 0.35 rad, twist 0.4 rad, 3 parts of size
 * 0.15 swinging 0.5 rad, sway 0.05, turn 0.25 rad/s, a 2 s period, no appearance change. */
void ds_deform_settings_default(ds_deform_settings *settings);

/* Writes the canonical cloud deformed to time t (seconds) into `out`, which must have the same
 * count and SH degree (e.g. a clone of the canonical cloud; it may not be the canonical cloud
 * itself). The object's frame (centre, long axis, size) comes from the canonical positions'
 * mean and spread, so every frame of a sequence shares it. */
ds_status ds_deform_cloud(const ds_gaussian_cloud *canonical, double t,
                          const ds_deform_settings *settings, ds_gaussian_cloud *out);

#endif
