#include "motion.h"

#include "synth_math.h"

#include <string.h>

static const char *const motion_names[DS_SYNTH_MOTION_COUNT] = {"walk", "turn", "wave", "dance"};

const char *ds_synth_motion_name(ds_synth_motion motion) {
    return motion >= 0 && motion < DS_SYNTH_MOTION_COUNT ? motion_names[motion] : "unknown";
}

bool ds_synth_motion_from_name(const char *name, ds_synth_motion *motion) {
    for (int m = 0; m < DS_SYNTH_MOTION_COUNT; m++) {
        if (strcmp(name, motion_names[m]) == 0) {
            *motion = (ds_synth_motion)m;
            return true;
        }
    }
    return false;
}

enum { LEFT, RIGHT };

/* A motion's description in joint angles (radians), turned into rotations by `articulate`.
 * Flexion angles are positive in the body's natural bending direction: a hip or shoulder swings
 * its limb forward, a knee folds the shin back, an elbow brings the forearm forward, an ankle
 * lifts the toes. Abduction moves a limb out to its own side. */
typedef struct body_angles {
    double root[3];
    double yaw; /* about +y; 0 faces +z */
    double pelvis_twist, torso_twist, torso_lean, torso_side;
    double head_turn, head_nod; /* nod > 0 looks down */
    double hip_flex[2], hip_abduct[2], knee[2], ankle[2];
    double shoulder_flex[2], shoulder_abduct[2];
    double elbow[2];         /* forearm forward */
    double elbow_frontal[2]; /* forearm outward and up in the plane of an abducted arm (waving) */
    double wrist[2];
} body_angles;

static const double cycle = 2.0 * DS_SYNTH_PI;
static const double deg = DS_SYNTH_DEGREES;

static double wave_at(double seconds, double period) {
    return sin(cycle * seconds / period);
}

/* A hanging limb's far end swings forward (+z) by `angle`. */
static void swing_forward(double angle, double out[9]) {
    ds_synth_rotation_x(-angle, out);
}

/* out = first * second */
static void compose(const double first[9], const double second[9], double out[9]) {
    ds_synth_multiply(first, second, out);
}

static void articulate(const body_angles *b, ds_synth_articulation *a) {
    memcpy(a->root_position, b->root, sizeof a->root_position);
    double r1[9], r2[9], r3[9];
    ds_synth_rotation_y(b->yaw + b->pelvis_twist, a->rotation[DS_SYNTH_PELVIS]);

    /* Torso: twist about the spine, lean forward (+y tilts to +z), bend sideways. */
    ds_synth_rotation_y(b->torso_twist - b->pelvis_twist, r1);
    ds_synth_rotation_x(b->torso_lean, r2);
    compose(r1, r2, r3);
    ds_synth_rotation_z(b->torso_side, r1);
    compose(r3, r1, a->rotation[DS_SYNTH_TORSO]);

    /* The neck and the head share the turn; the head nods. */
    ds_synth_rotation_y(0.5 * b->head_turn, a->rotation[DS_SYNTH_NECK]);
    ds_synth_rotation_y(0.5 * b->head_turn, r1);
    ds_synth_rotation_x(b->head_nod, r2);
    compose(r1, r2, a->rotation[DS_SYNTH_HEAD]);

    static const int thigh[2] = {DS_SYNTH_L_THIGH, DS_SYNTH_R_THIGH};
    static const int shin[2] = {DS_SYNTH_L_SHIN, DS_SYNTH_R_SHIN};
    static const int foot[2] = {DS_SYNTH_L_FOOT, DS_SYNTH_R_FOOT};
    static const int upper_arm[2] = {DS_SYNTH_L_UPPER_ARM, DS_SYNTH_R_UPPER_ARM};
    static const int forearm[2] = {DS_SYNTH_L_FOREARM, DS_SYNTH_R_FOREARM};
    static const int hand[2] = {DS_SYNTH_L_HAND, DS_SYNTH_R_HAND};
    for (int s = LEFT; s <= RIGHT; s++) {
        /* The left side is +x: outward is a positive turn about z there, negative on the right. */
        double out = s == LEFT ? 1.0 : -1.0;
        ds_synth_rotation_z(out * b->hip_abduct[s], r1);
        swing_forward(b->hip_flex[s], r2);
        compose(r1, r2, a->rotation[thigh[s]]);
        swing_forward(-b->knee[s], a->rotation[shin[s]]);
        swing_forward(-b->ankle[s], a->rotation[foot[s]]);

        ds_synth_rotation_z(out * b->shoulder_abduct[s], r1);
        swing_forward(b->shoulder_flex[s], r2);
        compose(r1, r2, a->rotation[upper_arm[s]]);
        ds_synth_rotation_z(out * b->elbow_frontal[s], r1);
        swing_forward(b->elbow[s], r2);
        compose(r1, r2, a->rotation[forearm[s]]);
        swing_forward(b->wrist[s], a->rotation[hand[s]]);
    }
}

/* Relaxed standing: arms a little away from the body, elbows and knees slightly bent. */
static body_angles standing(void) {
    body_angles b = {.root = {0.0, 0.95, 0.0}};
    for (int s = LEFT; s <= RIGHT; s++) {
        b.shoulder_abduct[s] = 7 * deg;
        b.elbow[s] = 15 * deg;
        b.hip_abduct[s] = 2 * deg;
        b.knee[s] = 4 * deg;
    }
    return b;
}

/* One gait cycle per unit of `phase` (the left leg starts its forward swing at 0, the right
 * half a cycle later): hips swing by `hip`, knees fold up to `knee` early in the swing, and the
 * arms swing against the legs. */
static void gait(double phase, double hip, double knee, body_angles *b) {
    for (int s = LEFT; s <= RIGHT; s++) {
        double p = phase + 0.5 * s;
        double swing = sin(cycle * p);
        double fold = pow(0.5 + 0.5 * cos(cycle * (p + 0.05)), 3.0);
        b->hip_flex[s] = hip * swing;
        b->knee[s] = 5 * deg + knee * fold;
        b->ankle[s] = 8 * deg * sin(cycle * p + 1.2);
        b->shoulder_flex[s] = -0.8 * hip * swing;
        b->elbow[s] = 22 * deg + 0.6 * fmax(0.0, b->shoulder_flex[s]);
    }
    b->pelvis_twist = 5 * deg * sin(cycle * phase);
    b->torso_twist = -0.5 * b->pelvis_twist;
}

/* Both knees bend by `bend` with the hips and ankles keeping the feet flat and the trunk
 * leaning forward a little, as in a bob or a squat. */
static void bob(double bend, body_angles *b) {
    for (int s = LEFT; s <= RIGHT; s++) {
        b->hip_flex[s] += 0.5 * bend;
        b->knee[s] += bend;
        b->ankle[s] += 0.5 * bend;
    }
    b->torso_lean += 0.25 * bend;
}

/* The right arm raised to the side, the forearm waving in the arm's plane (elbow 30-90
 * degrees) 1.25 times a second. */
static void wave_right_arm(double t, body_angles *b) {
    b->shoulder_abduct[RIGHT] = 85 * deg + 10 * deg * wave_at(t, 4.0);
    b->shoulder_flex[RIGHT] = 15 * deg;
    b->elbow[RIGHT] = 0.0;
    b->elbow_frontal[RIGHT] = 60 * deg + 30 * deg * wave_at(t, 0.8);
    b->wrist[RIGHT] = 15 * deg * sin(cycle * t / 0.8 + 1.0);
}

static body_angles walk(double t) {
    body_angles b = standing();
    /* Forward and back along z; the gait phase follows the distance covered (one cycle per
     * 0.9 m), so the legs step backwards on the way back instead of sliding. */
    b.root[2] = 0.6 * wave_at(t, DS_SYNTH_MOTION_PERIOD);
    gait(b.root[2] / 0.9, 22 * deg, 60 * deg, &b);
    b.head_nod = 5 * deg;
    return b;
}

static body_angles turn(double t) {
    body_angles b = standing();
    double angle = cycle * t / DS_SYNTH_MOTION_PERIOD;
    b.yaw = angle;
    b.root[0] = 0.2 * sin(angle);
    b.root[2] = 0.2 * cos(angle);
    /* Marching on the spot once a second: thigh up to 45 degrees, knee to 80. */
    for (int s = LEFT; s <= RIGHT; s++) {
        double p = t + 0.5 * s;
        double lift = pow(fmax(0.0, sin(cycle * p)), 2.0);
        b.hip_flex[s] = 45 * deg * lift;
        b.knee[s] = 10 * deg + 70 * deg * lift;
        b.ankle[s] = -15 * deg * lift;
        b.shoulder_flex[s] = -25 * deg * sin(cycle * p);
        b.elbow[s] = 30 * deg + 25 * deg * (0.5 - 0.5 * sin(cycle * p));
    }
    b.head_turn = 20 * deg;
    b.torso_twist = 10 * deg * wave_at(t, 2.0);
    return b;
}

static body_angles wave(double t) {
    body_angles b = standing();
    b.root[0] = 0.2 * wave_at(t, 4.0);
    b.root[2] = 0.15 * wave_at(t, DS_SYNTH_MOTION_PERIOD);
    b.yaw = 15 * deg * wave_at(t, DS_SYNTH_MOTION_PERIOD);
    b.torso_side = 4 * deg * wave_at(t, 4.0);
    for (int s = LEFT; s <= RIGHT; s++) {
        b.knee[s] = 0.0;
    }
    bob(10 * deg + 28 * deg * (0.5 - 0.5 * cos(cycle * t / 2.0)), &b);
    wave_right_arm(t, &b);
    b.shoulder_abduct[LEFT] = 10 * deg;
    b.shoulder_flex[LEFT] = 10 * deg * wave_at(t, 4.0);
    b.elbow[LEFT] = 30 * deg + 15 * deg * (0.5 - 0.5 * cos(cycle * t / 2.0));
    b.head_turn = -20 * deg;
    b.head_nod = -10 * deg;
    return b;
}

static body_angles dance(double t) {
    body_angles b = standing();
    /* Round a circle of radius 0.45 m once a period, facing along it (four gait cycles a lap),
     * turning further from side to side, bobbing at the knees and waving. */
    double angle = cycle * t / DS_SYNTH_MOTION_PERIOD;
    b.root[0] = -0.45 * cos(angle);
    b.root[2] = 0.45 * sin(angle);
    b.yaw = angle + 25 * deg * wave_at(t, 4.0);
    gait(t / 2.0, 20 * deg, 55 * deg, &b);
    bob(25 * deg * (0.5 - 0.5 * cos(cycle * t)), &b);
    b.torso_twist += 15 * deg * wave_at(t, 2.0);
    wave_right_arm(t, &b);
    b.shoulder_abduct[LEFT] = 15 * deg + 10 * deg * wave_at(t, 2.0);
    b.head_turn = -15 * deg * wave_at(t, 4.0);
    return b;
}

void ds_synth_motion_articulation(ds_synth_motion motion, double seconds,
                                  ds_synth_articulation *articulation) {
    body_angles b;
    switch (motion) {
    case DS_SYNTH_WALK:
        b = walk(seconds);
        break;
    case DS_SYNTH_TURN:
        b = turn(seconds);
        break;
    case DS_SYNTH_WAVE:
        b = wave(seconds);
        break;
    default:
        b = dance(seconds);
        break;
    }
    articulate(&b, articulation);
}

void ds_synth_motion_pose(const ds_synth_figure *figure, ds_synth_motion motion, double seconds,
                          ds_synth_pose *pose) {
    ds_synth_articulation articulation;
    ds_synth_motion_articulation(motion, seconds, &articulation);
    ds_synth_figure_pose(figure, &articulation, pose);
}

void ds_synth_motion_bounds(const ds_synth_figure *figure, ds_synth_motion motion, double lower[3],
                            double upper[3]) {
    for (int i = 0; i < DS_SYNTH_MOTION_SAMPLES; i++) {
        ds_synth_pose pose;
        ds_synth_motion_pose(figure, motion, DS_SYNTH_MOTION_PERIOD * i / DS_SYNTH_MOTION_SAMPLES,
                             &pose);
        ds_synth_pose_bounds(figure, &pose, i > 0, lower, upper);
    }
}

void ds_synth_motion_framing(const ds_synth_figure *figure, ds_synth_motion motion,
                             double (*points)[3], double target[3]) {
    double lower[3], upper[3];
    ds_synth_motion_bounds(figure, motion, lower, upper);
    for (int k = 0; k < 3; k++) {
        target[k] = 0.5 * (lower[k] + upper[k]);
    }
    size_t n = 0;
    for (int i = 0; i < DS_SYNTH_MOTION_SAMPLES; i++) {
        ds_synth_pose pose;
        ds_synth_motion_pose(figure, motion, DS_SYNTH_MOTION_PERIOD * i / DS_SYNTH_MOTION_SAMPLES,
                             &pose);
        for (int p = 0; p < DS_SYNTH_PART_COUNT; p++) {
            double box[2][3];
            ds_synth_part_bounds(figure, &pose, p, box[0], box[1]);
            for (int corner = 0; corner < 8; corner++, n++) {
                for (int k = 0; k < 3; k++) {
                    points[n][k] = box[corner >> k & 1][k];
                }
            }
        }
    }
}
