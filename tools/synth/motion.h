/* The figure's motions: smooth, periodic, bending knees and elbows and moving through space.
 *
 * Every motion repeats after DS_SYNTH_MOTION_PERIOD seconds (each of its rhythms fits a whole
 * number of times into it), so a capture of any length stays inside the box the cameras were
 * framed for. docs/synth.md describes each motion. */
#ifndef DS_SYNTH_MOTION_H
#define DS_SYNTH_MOTION_H

#include "figure.h"

#include <stdbool.h>
#include <stddef.h>

#define DS_SYNTH_MOTION_PERIOD 8.0 /* seconds */

/* Poses in one period at 30 frames a second: every pose a capture's frames can show. */
enum { DS_SYNTH_MOTION_SAMPLES = 240 };

/* The points ds_synth_motion_framing lists. */
#define DS_SYNTH_FRAMING_POINT_COUNT ((size_t)DS_SYNTH_MOTION_SAMPLES * DS_SYNTH_PART_COUNT * 8)

typedef enum ds_synth_motion {
    DS_SYNTH_WALK,  /* walking forward and back along a line, arms swinging */
    DS_SYNTH_TURN,  /* marching on the spot while turning round, drifting on a small circle */
    DS_SYNTH_WAVE,  /* swaying and bobbing at the knees, the right arm up and waving */
    DS_SYNTH_DANCE, /* walking round a circle while twisting, waving and bobbing */
    DS_SYNTH_MOTION_COUNT
} ds_synth_motion;

/* "walk", "turn", "wave", "dance". */
const char *ds_synth_motion_name(ds_synth_motion motion);

/* False when the name is none of the motions. */
bool ds_synth_motion_from_name(const char *name, ds_synth_motion *motion);

/* Joint rotations and root position at a time in seconds. */
void ds_synth_motion_articulation(ds_synth_motion motion, double seconds,
                                  ds_synth_articulation *articulation);

/* The posed figure at a time in seconds (articulation, then forward kinematics). */
void ds_synth_motion_pose(const ds_synth_figure *figure, ds_synth_motion motion, double seconds,
                          ds_synth_pose *pose);

/* The world box the figure stays inside during the whole motion, from the poses of one period
 * at 30 frames a second. */
void ds_synth_motion_bounds(const ds_synth_figure *figure, ds_synth_motion motion, double lower[3],
                            double upper[3]);

/* What cameras must see to show the whole motion: the corners of every part's box in each of
 * those poses (DS_SYNTH_FRAMING_POINT_COUNT points), and the point to look at, the centre of
 * the motion's box (half way up the figure). */
void ds_synth_motion_framing(const ds_synth_figure *figure, ds_synth_motion motion,
                             double (*points)[3], double target[3]);

#endif
