#include "skinning_decomposition.h"

#include "encoder/neighbors.h"
#include "formats/gaussian_cloud.h"
#include "render/parallel.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Nearest joints a Gaussian may move to when reassigned, and among which its weights are chosen:
 * joints are about as far apart as the members of one, so a few rings of them suffice. */
enum { ASSIGN_CANDIDATES = 8, WEIGHT_CANDIDATES = 16 };
/* Neighbouring joints whose centroid paths regularise an ill-posed rigid fit. */
enum { FIT_NEIGHBORS = 6 };
/* A cluster's rotation is ill posed when its canonical spread is (nearly) a line or a point:
 * Horn's eigenvalue gap is 2 (c2 + c3) for scatter eigenvalues c1 >= c2 >= c3. Below
 * SPREAD_WELL_POSED of (c2 + c3) / trace the neighbours' centroids join the fit, with a total
 * weight growing to NEIGHBOR_WEIGHT times the cluster's own; above it the fit is the cluster's
 * alone, so that rigid parts are recovered exactly. */
#define SPREAD_WELL_POSED 0.05
#define NEIGHBOR_WEIGHT   0.02
/* Lloyd iterations on the canonical positions that turn Morton-order chunks into compact
 * initial clusters. */
enum { LLOYD_ITERATIONS = 3 };
/* Motion per joint per frame: a row-major rotation matrix and a translation. */
enum { MOTION_FLOATS = 12 };

typedef struct problem {
    size_t count, moves, joint_count; /* moves: frames after the canonical one */
    uint32_t *order;                  /* sorted position -> input index */
    float *canonical;                 /* count x 3, in sorted order */
    float *trajectory;                /* count x moves x 3, in sorted order */
    uint32_t *assignment;             /* count: each Gaussian's cluster */
    uint32_t *member_starts;          /* joint_count + 1 */
    uint32_t *members;                /* count, cluster by cluster, in sorted order */
    float *centres;                   /* joint_count x 3: members' canonical mean */
    float *paths;                     /* joint_count x moves x 3: members' mean per frame */
    uint32_t *neighbors;              /* joint_count x neighbor_count */
    int neighbor_count;
    float *motion;        /* joint_count x moves x MOTION_FLOATS */
    float *quaternions;   /* joint_count x moves x 4 (w, x, y, z) */
    uint32_t *candidates; /* count x candidate_count nearest joints */
    int candidate_count;
    uint32_t *bound_joints; /* count x K, in sorted order */
    float *bound_weights;
    float *errors; /* count: squared trajectory error of the best joint */
} problem;

static void problem_free(problem *p) {
    free(p->order);
    free(p->canonical);
    free(p->trajectory);
    free(p->assignment);
    free(p->member_starts);
    free(p->members);
    free(p->centres);
    free(p->paths);
    free(p->neighbors);
    free(p->motion);
    free(p->quaternions);
    free(p->candidates);
    free(p->bound_joints);
    free(p->bound_weights);
    free(p->errors);
    memset(p, 0, sizeof *p);
}

/* malloc of a product of sizes, NULL on overflow; never 0 bytes. */
static void *allocate(size_t a, size_t b, size_t c) {
    if ((b && a > SIZE_MAX / b) || (c && a * b > SIZE_MAX / c)) {
        return NULL;
    }
    size_t bytes = a * b * c;
    return malloc(bytes ? bytes : 1);
}

void ds_decomposition_settings_default(size_t count, ds_decomposition_settings *s) {
    size_t joints = count / 12;
    s->joints = joints < 1 ? 1 : (joints > 16384 ? 16384 : joints);
    s->iterations = 8;
    s->refinements = 2;
    s->seed = 1;
}

/* ---- rigid fitting -------------------------------------------------------------------- */

/* Diagonalises a symmetric 4x4 matrix in place by cyclic Jacobi rotations, accumulating the
 * eigenvectors (columns of v). Exact for any rotation, where power iteration from the identity
 * stalls at 180 degrees. */
static void jacobi(double a[16], double v[16]) {
    for (int k = 0; k < 16; k++) {
        v[k] = (k % 5) == 0;
    }
    for (int sweep = 0; sweep < 32; sweep++) {
        double off = 0, diagonal = 0;
        for (int r = 0; r < 4; r++) {
            diagonal += a[r * 4 + r] * a[r * 4 + r];
            for (int c = r + 1; c < 4; c++) {
                off += a[r * 4 + c] * a[r * 4 + c];
            }
        }
        if (off <= 1e-30 * diagonal || off < 1e-300) {
            return;
        }
        for (int p = 0; p < 3; p++) {
            for (int q = p + 1; q < 4; q++) {
                double apq = a[p * 4 + q];
                if (fabs(apq) < 1e-300) {
                    continue;
                }
                double theta = (a[q * 4 + q] - a[p * 4 + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < 4; k++) {
                    double kp = a[k * 4 + p], kq = a[k * 4 + q];
                    a[k * 4 + p] = c * kp - s * kq;
                    a[k * 4 + q] = s * kp + c * kq;
                }
                for (int k = 0; k < 4; k++) {
                    double pk = a[p * 4 + k], qk = a[q * 4 + k];
                    a[p * 4 + k] = c * pk - s * qk;
                    a[q * 4 + k] = s * pk + c * qk;
                }
                for (int k = 0; k < 4; k++) {
                    double kp = v[k * 4 + p], kq = v[k * 4 + q];
                    v[k * 4 + p] = c * kp - s * kq;
                    v[k * 4 + q] = s * kp + c * kq;
                }
            }
        }
    }
}

/* Horn's 4x4 matrix of h = sum a p y^T: its largest eigenvector is the best rotation. */
static void horn_matrix(const double m[9], double n[16]) {
    double xx = m[0], xy = m[1], xz = m[2], yx = m[3], yy = m[4], yz = m[5], zx = m[6], zy = m[7],
           zz = m[8];
    const double values[16] = {
        xx + yy + zz, yz - zy, zx - xz, xy - yx,       yz - zy,       xx - yy - zz,
        xy + yx,      zx + xz, zx - xz, xy + yx,       -xx + yy - zz, yz + zy,
        xy - yx,      zx + xz, yz + zy, -xx - yy + zz,
    };
    memcpy(n, values, sizeof values);
}

/* (c2 + c3) / trace of a scatter matrix (0 for a point or a line, 2/3 for a ball), from Horn's
 * matrix of it: its two largest eigenvalues are trace and trace - 2 (c2 + c3). */
static double spread(const double scatter[9]) {
    double trace = scatter[0] + scatter[4] + scatter[8];
    if (!(trace > 0)) {
        return 0.0;
    }
    double n[16], v[16];
    horn_matrix(scatter, n);
    jacobi(n, v);
    double first = -INFINITY, second = -INFINITY;
    for (int r = 0; r < 4; r++) {
        double e = n[r * 4 + r];
        if (e > first) {
            second = first;
            first = e;
        } else if (e > second) {
            second = e;
        }
    }
    return fmax(0.0, (first - second) / (2.0 * trace));
}

/* Weighted sums of a rigid fit min sum_i a_i |R p_i + t - y_i|^2, with the canonical points
 * p_i centred on their weighted mean c0 beforehand: h = sum a (p - c0) y^T, s = sum a y. */
typedef struct rigid_sums {
    double h[9], s[3];
} rigid_sums;

static void rigid_add(rigid_sums *sums, double a, const double centred[3], const float y[3]) {
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            sums->h[r * 3 + c] += a * centred[r] * y[c];
        }
        sums->s[r] += a * y[r];
    }
}

/* Horn's closed form: the rotation is the quaternion of the largest eigenvalue of N(h); the
 * translation carries c0 to the weighted mean of the targets. */
static void rigid_solve(const rigid_sums *sums, double total_weight, const double c0[3],
                        float motion[MOTION_FLOATS], float quaternion[4]) {
    double n[16], v[16], q[4];
    horn_matrix(sums->h, n);
    jacobi(n, v);
    int best = 0;
    for (int r = 1; r < 4; r++) {
        if (n[r * 4 + r] > n[best * 4 + best]) {
            best = r;
        }
    }
    double norm = 0;
    for (int r = 0; r < 4; r++) {
        q[r] = v[r * 4 + best];
        norm += q[r] * q[r];
    }
    norm = sqrt(norm);
    for (int r = 0; r < 4; r++) {
        q[r] = norm > 0 ? q[r] / norm : (r == 0);
    }
    if (q[0] < 0) {
        for (int k = 0; k < 4; k++) {
            q[k] = -q[k];
        }
    }
    double w = q[0], x = q[1], y = q[2], z = q[3];
    double r[9] = {
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
        2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y),
    };
    for (int k = 0; k < 9; k++) {
        motion[k] = (float)r[k];
    }
    for (int a = 0; a < 3; a++) {
        double centre = sums->s[a] / total_weight;
        motion[9 + a] =
            (float)(centre - (r[a * 3] * c0[0] + r[a * 3 + 1] * c0[1] + r[a * 3 + 2] * c0[2]));
    }
    for (int k = 0; k < 4; k++) {
        quaternion[k] = (float)q[k];
    }
}

static void set_identity(float motion[MOTION_FLOATS], float quaternion[4]) {
    static const float identity[MOTION_FLOATS] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    memcpy(motion, identity, sizeof identity);
    quaternion[0] = 1;
    quaternion[1] = quaternion[2] = quaternion[3] = 0;
}

static inline void transform_point(const float *m, const float *p, float out[3]) {
    for (int r = 0; r < 3; r++) {
        out[r] = m[r * 3] * p[0] + m[r * 3 + 1] * p[1] + m[r * 3 + 2] * p[2] + m[9 + r];
    }
}

/* ---- set up: spatial order and trajectories ------------------------------------------- */

typedef struct keyed {
    uint64_t key;
} keyed;

static int compare_keys(const void *a, const void *b) {
    uint64_t x = ((const keyed *)a)->key, y = ((const keyed *)b)->key;
    return (x > y) - (x < y);
}

static uint32_t spread_bits(uint32_t v) {
    v &= 0x3ff;
    v = (v | (v << 16)) & 0x030000ff;
    v = (v | (v << 8)) & 0x0300f00f;
    v = (v | (v << 4)) & 0x030c30c3;
    v = (v | (v << 2)) & 0x09249249;
    return v;
}

/* Gaussians in Morton order of their canonical positions, so that the members of a joint and
 * the joints a run of Gaussians consult lie close together in memory. */
static ds_status sort_spatially(problem *p, const float *x0) {
    float low[3] = {FLT_MAX, FLT_MAX, FLT_MAX}, high[3] = {-FLT_MAX, -FLT_MAX, -FLT_MAX};
    for (size_t i = 0; i < p->count; i++) {
        for (int a = 0; a < 3; a++) {
            low[a] = fminf(low[a], x0[i * 3 + (size_t)a]);
            high[a] = fmaxf(high[a], x0[i * 3 + (size_t)a]);
        }
    }
    keyed *keys = allocate(p->count, sizeof *keys, 1);
    if (!keys) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the spatial order");
    }
    for (size_t i = 0; i < p->count; i++) {
        uint32_t code = 0;
        for (int a = 0; a < 3; a++) {
            double extent = (double)high[a] - (double)low[a];
            double unit = extent > 0 ? ((double)x0[i * 3 + (size_t)a] - low[a]) / extent : 0.0;
            uint32_t cell = (uint32_t)fmin(1023.0, fmax(0.0, unit * 1024.0));
            code |= spread_bits(cell) << a;
        }
        keys[i].key = (uint64_t)code << 32 | (uint64_t)i;
    }
    qsort(keys, p->count, sizeof *keys, compare_keys);
    for (size_t s = 0; s < p->count; s++) {
        p->order[s] = (uint32_t)keys[s].key;
    }
    free(keys);
    return ds_ok();
}

static void gather_trajectories(problem *p, const float *const *positions) {
    size_t moves = p->moves;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(p->count * (moves + 1)))
    for (size_t s = 0; s < p->count; s++) {
        size_t i = p->order[s];
        memcpy(p->canonical + s * 3, positions[0] + i * 3, 3 * sizeof(float));
        for (size_t f = 0; f < moves; f++) {
            memcpy(p->trajectory + (s * moves + f) * 3, positions[f + 1] + i * 3,
                   3 * sizeof(float));
        }
    }
}

/* ---- clusters ------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Members of every cluster (a counting sort, in sorted Gaussian order), their canonical mean
 * (kept from before for a cluster left empty) and their mean path. */
static void gather_members(problem *p) {
    size_t joints = p->joint_count, moves = p->moves;
    memset(p->member_starts, 0, (joints + 1) * sizeof *p->member_starts);
    for (size_t s = 0; s < p->count; s++) {
        p->member_starts[p->assignment[s] + 1]++;
    }
    for (size_t j = 0; j < joints; j++) {
        p->member_starts[j + 1] += p->member_starts[j];
    }
    /* starts[j] serves as joint j's cursor, then is shifted back into place. */
    for (size_t s = 0; s < p->count; s++) {
        p->members[p->member_starts[p->assignment[s]]++] = (uint32_t)s;
    }
    for (size_t j = joints; j > 0; j--) {
        p->member_starts[j] = p->member_starts[j - 1];
    }
    p->member_starts[0] = 0;
#pragma omp parallel for schedule(dynamic, 16) if (DS_PARALLEL(p->count * (moves + 1)))
    for (size_t j = 0; j < joints; j++) {
        uint32_t begin = p->member_starts[j], end = p->member_starts[j + 1];
        if (begin == end) {
            continue;
        }
        double centre[3] = {0, 0, 0};
        for (uint32_t m = begin; m < end; m++) {
            for (int a = 0; a < 3; a++) {
                centre[a] += p->canonical[(size_t)p->members[m] * 3 + (size_t)a];
            }
        }
        for (int a = 0; a < 3; a++) {
            p->centres[j * 3 + (size_t)a] = (float)(centre[a] / (double)(end - begin));
        }
        for (size_t f = 0; f < moves; f++) {
            double path[3] = {0, 0, 0};
            for (uint32_t m = begin; m < end; m++) {
                const float *y = p->trajectory + ((size_t)p->members[m] * moves + f) * 3;
                for (int a = 0; a < 3; a++) {
                    path[a] += y[a];
                }
            }
            for (int a = 0; a < 3; a++) {
                p->paths[(j * moves + f) * 3 + (size_t)a] =
                    (float)(path[a] / (double)(end - begin));
            }
        }
    }
}

static uint32_t member_count(const problem *p, size_t j) {
    return p->member_starts[j + 1] - p->member_starts[j];
}

/* Few joints: the nearest by brute force (the grid search of encoder/neighbors.h sizes its
 * cells for many points and crawls when a few lie far apart, e.g. in a plane). */
enum { BRUTE_FORCE_JOINTS = 256 };

/* For each query, the k nearest joint centres (k <= joint count), nearest first, ties to the
 * lower index; `exclude_self` when the queries are the centres themselves. */
static ds_status nearest_joints(const problem *p, const float *queries, size_t query_count, int k,
                                bool exclude_self, uint32_t *indices) {
    size_t joints = p->joint_count;
    if (joints > BRUTE_FORCE_JOINTS) {
        float *distances = allocate(query_count, (size_t)k, sizeof *distances);
        if (!distances) {
            return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint distances");
        }
        ds_status status = ds_nearest_neighbors(queries, query_count, p->centres, joints, k,
                                                exclude_self, indices, distances);
        free(distances);
        return status;
    }
#pragma omp parallel for schedule(static) if (DS_PARALLEL(query_count * joints / 16))
    for (size_t q = 0; q < query_count; q++) {
        float best[BRUTE_FORCE_JOINTS];
        uint32_t *out = indices + q * (size_t)k;
        int found = 0;
        for (size_t j = 0; j < joints; j++) {
            if (exclude_self && j == q) {
                continue;
            }
            float d = 0;
            for (int a = 0; a < 3; a++) {
                float e = p->centres[j * 3 + (size_t)a] - queries[q * 3 + (size_t)a];
                d += e * e;
            }
            if (found == k && !(d < best[k - 1])) {
                continue;
            }
            int slot = found < k ? found++ : k - 1;
            while (slot > 0 && best[slot - 1] > d) {
                best[slot] = best[slot - 1];
                out[slot] = out[slot - 1];
                slot--;
            }
            best[slot] = d;
            out[slot] = (uint32_t)j;
        }
    }
    return ds_ok();
}

/* Initial clusters: equal runs of the Morton order (one seeded member of each as its centre),
 * made compact by a few Lloyd iterations on the canonical positions. */
static ds_status initial_clusters(problem *p, uint64_t seed) {
    size_t joints = p->joint_count;
    uint64_t state = seed;
    for (size_t j = 0; j < joints; j++) {
        size_t begin = j * p->count / joints, end = (j + 1) * p->count / joints;
        size_t pick = begin + (size_t)(splitmix64(&state) % (uint64_t)(end - begin));
        memcpy(p->centres + j * 3, p->canonical + pick * 3, 3 * sizeof(float));
    }
    for (int iteration = 0; iteration < LLOYD_ITERATIONS; iteration++) {
        ds_status status = nearest_joints(p, p->canonical, p->count, 1, false, p->assignment);
        if (ds_failed(&status)) {
            return status;
        }
        gather_members(p);
    }
    return ds_ok();
}

/* Each joint's nearest other joints (for the regularising centroids). */
static ds_status find_joint_neighbors(problem *p) {
    if (p->neighbor_count == 0) {
        return ds_ok();
    }
    return nearest_joints(p, p->centres, p->joint_count, p->neighbor_count, true, p->neighbors);
}

/* The weight of each regularising centroid of joint j (its non-empty neighbours) for a fit of
 * total weight `own` whose canonical points have the given scatter about their mean. */
static double neighbor_weight(const problem *p, size_t j, double own, const double scatter[9]) {
    int used = 0;
    for (int k = 0; k < p->neighbor_count; k++) {
        used += member_count(p, p->neighbors[j * (size_t)p->neighbor_count + (size_t)k]) > 0;
    }
    if (used == 0) {
        return 0.0;
    }
    if (!(own > 0)) {
        return 1.0 / used; /* an empty cluster moves like its neighbours */
    }
    double shortfall = 1.0 - spread(scatter) / SPREAD_WELL_POSED;
    return shortfall > 0 ? NEIGHBOR_WEIGHT * own * shortfall * shortfall / used : 0.0;
}

/* Adds a * (x - mean)(x - mean)^T. */
static void add_scatter(double scatter[9], double a, const float *x, const double mean[3]) {
    double d[3] = {x[0] - mean[0], x[1] - mean[1], x[2] - mean[2]};
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            scatter[r * 3 + c] += a * d[r] * d[c];
        }
    }
}

/* Per joint per frame, the rigid motion of its cluster: all Gaussians weigh 1. */
static void fit_clusters(problem *p) {
    size_t moves = p->moves;
#pragma omp parallel for schedule(dynamic, 8) if (DS_PARALLEL(p->count * moves))
    for (size_t j = 0; j < p->joint_count; j++) {
        uint32_t begin = p->member_starts[j], end = p->member_starts[j + 1];
        const uint32_t *near = p->neighbors + j * (size_t)p->neighbor_count;
        double total = (double)(end - begin), c0[3] = {0, 0, 0}, scatter[9] = {0};
        for (uint32_t m = begin; m < end; m++) {
            for (int a = 0; a < 3; a++) {
                c0[a] += p->canonical[(size_t)p->members[m] * 3 + (size_t)a];
            }
        }
        double mean[3] = {c0[0] / fmax(total, 1), c0[1] / fmax(total, 1), c0[2] / fmax(total, 1)};
        for (uint32_t m = begin; m < end; m++) {
            add_scatter(scatter, 1.0, p->canonical + (size_t)p->members[m] * 3, mean);
        }
        double virtual_weight = neighbor_weight(p, j, total, scatter);
        for (int k = 0; k < p->neighbor_count; k++) {
            if (virtual_weight > 0 && member_count(p, near[k]) > 0) {
                total += virtual_weight;
                for (int a = 0; a < 3; a++) {
                    c0[a] += virtual_weight * p->centres[(size_t)near[k] * 3 + (size_t)a];
                }
            }
        }
        for (size_t f = 0; f < moves; f++) {
            float *motion = p->motion + (j * moves + f) * MOTION_FLOATS;
            float *quaternion = p->quaternions + (j * moves + f) * 4;
            if (!(total > 0)) {
                set_identity(motion, quaternion);
                continue;
            }
            double centre[3] = {c0[0] / total, c0[1] / total, c0[2] / total};
            rigid_sums sums = {{0}, {0}};
            for (uint32_t m = begin; m < end; m++) {
                size_t s = p->members[m];
                double centred[3];
                for (int a = 0; a < 3; a++) {
                    centred[a] = p->canonical[s * 3 + (size_t)a] - centre[a];
                }
                rigid_add(&sums, 1.0, centred, p->trajectory + (s * moves + f) * 3);
            }
            for (int k = 0; k < p->neighbor_count; k++) {
                if (virtual_weight > 0 && member_count(p, near[k]) > 0) {
                    double centred[3];
                    for (int a = 0; a < 3; a++) {
                        centred[a] = p->centres[(size_t)near[k] * 3 + (size_t)a] - centre[a];
                    }
                    rigid_add(&sums, virtual_weight, centred,
                              p->paths + ((size_t)near[k] * moves + f) * 3);
                }
            }
            rigid_solve(&sums, total, centre, motion, quaternion);
        }
    }
}

/* ---- reassignment --------------------------------------------------------------------- */

/* For every Gaussian, its `k` nearest joints by canonical centre. */
static ds_status find_candidates(problem *p, int k) {
    p->candidate_count = k;
    return nearest_joints(p, p->canonical, p->count, k, false, p->candidates);
}

/* Squared error of joint j's motion predicting Gaussian s's trajectory; stops early once past
 * `bound` (the result is then only known to exceed it). */
static float trajectory_error(const problem *p, size_t s, size_t j, float bound) {
    size_t moves = p->moves;
    const float *x0 = p->canonical + s * 3, *y = p->trajectory + s * moves * 3;
    const float *motion = p->motion + j * moves * MOTION_FLOATS;
    float error = 0;
    for (size_t f = 0; f < moves; f++) {
        float predicted[3];
        transform_point(motion + f * MOTION_FLOATS, x0, predicted);
        for (int a = 0; a < 3; a++) {
            float d = predicted[a] - y[f * 3 + (size_t)a];
            error += d * d;
        }
        if ((f & 15) == 15 && error > bound) {
            break;
        }
    }
    return error;
}

/* Moves every Gaussian to the candidate joint whose motion best predicts its trajectory (its
 * own joint on ties). Returns how many moved. */
static size_t reassign(problem *p, uint32_t *next) {
    size_t moved = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : moved)                           \
    if (DS_PARALLEL(p->count * p->moves))
    for (size_t s = 0; s < p->count; s++) {
        uint32_t best = p->assignment[s];
        float best_error = trajectory_error(p, s, best, INFINITY);
        for (int c = 0; c < p->candidate_count; c++) {
            uint32_t j = p->candidates[s * (size_t)p->candidate_count + (size_t)c];
            if (j == p->assignment[s]) {
                continue;
            }
            float error = trajectory_error(p, s, j, best_error);
            if (error < best_error) {
                best = j;
                best_error = error;
            }
        }
        next[s] = best;
        p->errors[s] = best_error;
        moved += best != p->assignment[s];
    }
    return moved;
}

typedef struct ranked {
    float error;
    uint32_t index;
} ranked;

static int compare_worst_first(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->error != y->error) {
        return x->error < y->error ? 1 : -1;
    }
    return (x->index > y->index) - (x->index < y->index);
}

/* Gives every joint left without members the worst-predicted Gaussian of a joint that has
 * more than one, so that no joint is wasted and outliers get a motion of their own. */
static ds_status refill_empty_joints(problem *p, size_t *refilled) {
    size_t joints = p->joint_count, empty = 0;
    *refilled = 0;
    uint32_t *counts = calloc(joints, sizeof *counts);
    if (!counts) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate cluster counts");
    }
    for (size_t s = 0; s < p->count; s++) {
        counts[p->assignment[s]]++;
    }
    for (size_t j = 0; j < joints; j++) {
        empty += counts[j] == 0;
    }
    if (empty == 0) {
        free(counts);
        return ds_ok();
    }
    ranked *worst = allocate(p->count, sizeof *worst, 1);
    if (!worst) {
        free(counts);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the error ranking");
    }
    for (size_t s = 0; s < p->count; s++) {
        worst[s].error = p->errors[s];
        worst[s].index = (uint32_t)s;
    }
    qsort(worst, p->count, sizeof *worst, compare_worst_first);
    size_t next = 0;
    for (size_t j = 0; j < joints; j++) {
        if (counts[j] != 0) {
            continue;
        }
        while (next < p->count && counts[p->assignment[worst[next].index]] < 2) {
            next++;
        }
        if (next == p->count) {
            break;
        }
        uint32_t s = worst[next++].index;
        counts[p->assignment[s]]--;
        p->assignment[s] = (uint32_t)j;
        counts[j] = 1;
        (*refilled)++;
        memcpy(p->centres + j * 3, p->canonical + (size_t)s * 3, 3 * sizeof(float));
    }
    free(worst);
    free(counts);
    return ds_ok();
}

/* ---- weights -------------------------------------------------------------------------- */

/* Minimises w^T D w over the simplex (w >= 0, sum w = 1) for a symmetric positive
 * semi-definite n x n D, starting from vertex 0 (an active-set method: exact, and it adds a
 * joint only when that lowers the error noticeably, so a Gaussian that one joint predicts
 * keeps weight 1 on it). */
static void simplex_least_squares(const double *gram, int n, double *w) {
    double d[DS_BINDING_K * DS_BINDING_K], scale = 0;
    for (int k = 0; k < n; k++) {
        scale += gram[k * n + k];
    }
    scale = scale / n + 1e-30;
    for (int k = 0; k < n * n; k++) {
        d[k] = gram[k];
    }
    for (int k = 0; k < n; k++) {
        d[k * n + k] += 1e-9 * scale; /* keeps every subsystem invertible */
    }
    bool active[DS_BINDING_K] = {false};
    for (int k = 0; k < n; k++) {
        w[k] = 0;
    }
    w[0] = 1;
    active[0] = true;
    for (int round = 0; round < 4 * DS_BINDING_K; round++) {
        double g[DS_BINDING_K], lambda = 0;
        for (int r = 0; r < n; r++) {
            g[r] = 0;
            for (int c = 0; c < n; c++) {
                g[r] += d[r * n + c] * w[c];
            }
            lambda += w[r] * g[r];
        }
        int enter = -1;
        for (int k = 0; k < n; k++) {
            if (!active[k] && g[k] < lambda - 1e-6 * scale && (enter < 0 || g[k] < g[enter])) {
                enter = k;
            }
        }
        if (enter < 0) {
            return;
        }
        active[enter] = true;
        /* Move toward the equality-constrained optimum over the active set, dropping joints
         * whose weight would turn negative. */
        for (int inner = 0; inner < DS_BINDING_K; inner++) {
            int index[DS_BINDING_K], m = 0;
            for (int k = 0; k < n; k++) {
                if (active[k]) {
                    index[m++] = k;
                }
            }
            /* Solve D_S z = 1 by Gaussian elimination (D_S is symmetric positive definite). */
            double a[DS_BINDING_K * (DS_BINDING_K + 1)];
            for (int r = 0; r < m; r++) {
                for (int c = 0; c < m; c++) {
                    a[r * (m + 1) + c] = d[index[r] * n + index[c]];
                }
                a[r * (m + 1) + m] = 1.0;
            }
            for (int pivot = 0; pivot < m; pivot++) {
                double diagonal = a[pivot * (m + 1) + pivot];
                for (int r = pivot + 1; r < m; r++) {
                    double factor = a[r * (m + 1) + pivot] / diagonal;
                    for (int c = pivot; c <= m; c++) {
                        a[r * (m + 1) + c] -= factor * a[pivot * (m + 1) + c];
                    }
                }
            }
            double z[DS_BINDING_K], sum = 0;
            for (int r = m - 1; r >= 0; r--) {
                double value = a[r * (m + 1) + m];
                for (int c = r + 1; c < m; c++) {
                    value -= a[r * (m + 1) + c] * z[c];
                }
                z[r] = value / a[r * (m + 1) + r];
                sum += z[r];
            }
            if (!(sum > 0) || !isfinite(sum)) {
                active[enter] = false; /* numerically hopeless: keep the current weights */
                return;
            }
            bool feasible = true;
            double step = 1.0;
            int leave = -1;
            for (int r = 0; r < m; r++) {
                z[r] /= sum;
                if (z[r] <= 0) {
                    feasible = false;
                    double current = w[index[r]];
                    double limit = current / (current - z[r]);
                    if (limit < step) {
                        step = limit;
                        leave = index[r];
                    }
                }
            }
            if (feasible) {
                for (int r = 0; r < m; r++) {
                    w[index[r]] = z[r];
                }
                break;
            }
            for (int r = 0; r < m; r++) {
                w[index[r]] += step * (z[r] - w[index[r]]);
            }
            for (int r = 0; r < m; r++) {
                if (index[r] == leave || w[index[r]] <= 0) {
                    w[index[r]] = 0;
                    active[index[r]] = false;
                }
            }
        }
    }
}

typedef struct scored {
    float error;
    uint32_t joint;
} scored;

/* Per Gaussian: the K joints among its own and its nearest whose motions best predict its
 * trajectory, blended by the simplex least squares of their prediction errors (with sum w = 1,
 * the blended error is sum_k w_k (T_k x0 - x)). Heaviest joint first. */
static void solve_weights(problem *p) {
    size_t moves = p->moves;
#pragma omp parallel for schedule(dynamic, 128) if (DS_PARALLEL(p->count * p->moves))
    for (size_t s = 0; s < p->count; s++) {
        scored best[DS_BINDING_K];
        int found = 0;
        for (int c = -1; c < p->candidate_count; c++) {
            uint32_t j = c < 0 ? p->assignment[s]
                               : p->candidates[s * (size_t)p->candidate_count + (size_t)c];
            bool seen = false;
            for (int b = 0; b < found; b++) {
                seen |= best[b].joint == j;
            }
            if (seen || (c >= 0 && j == p->assignment[s])) {
                continue;
            }
            float bound = found == DS_BINDING_K ? best[DS_BINDING_K - 1].error : INFINITY;
            float error = trajectory_error(p, s, j, bound);
            if (found == DS_BINDING_K && !(error < bound)) {
                continue;
            }
            int slot = found < DS_BINDING_K ? found++ : DS_BINDING_K - 1;
            while (slot > 0 && best[slot - 1].error > error) {
                best[slot] = best[slot - 1];
                slot--;
            }
            best[slot].error = error;
            best[slot].joint = j;
        }
        double gram[DS_BINDING_K * DS_BINDING_K] = {0};
        const float *x0 = p->canonical + s * 3, *y = p->trajectory + s * moves * 3;
        for (size_t f = 0; f < moves; f++) {
            float d[DS_BINDING_K][3];
            for (int b = 0; b < found; b++) {
                transform_point(p->motion + ((size_t)best[b].joint * moves + f) * MOTION_FLOATS, x0,
                                d[b]);
                for (int a = 0; a < 3; a++) {
                    d[b][a] -= y[f * 3 + (size_t)a];
                }
            }
            for (int r = 0; r < found; r++) {
                for (int c = r; c < found; c++) {
                    gram[r * found + c] += (double)d[r][0] * d[c][0] + (double)d[r][1] * d[c][1] +
                                           (double)d[r][2] * d[c][2];
                }
            }
        }
        for (int r = 0; r < found; r++) {
            for (int c = 0; c < r; c++) {
                gram[r * found + c] = gram[c * found + r];
            }
        }
        double w[DS_BINDING_K];
        simplex_least_squares(gram, found, w);
        /* Heaviest first; joints of weight 0 after them in order of their own error. */
        int slots[DS_BINDING_K] = {0};
        for (int b = 0; b < found; b++) {
            int at = b;
            while (at > 0 && w[slots[at - 1]] < w[b]) {
                slots[at] = slots[at - 1];
                at--;
            }
            slots[at] = b;
        }
        double total = 0;
        for (int b = 0; b < found; b++) {
            total += w[b];
        }
        int last = found > 0 ? found - 1 : 0; /* found >= 1: the assigned joint comes first */
        uint32_t *joints = p->bound_joints + s * DS_BINDING_K;
        float *weights = p->bound_weights + s * DS_BINDING_K;
        for (int slot = 0; slot < DS_BINDING_K; slot++) {
            int b = slots[slot < found ? slot : last];
            joints[slot] = best[b].joint;
            weights[slot] = slot < found ? (float)(w[b] / total) : 0.0f;
        }
    }
}

/* ---- refinement: transforms re-fitted to the blended prediction ----------------------- */

/* The binding joint by joint: entries (Gaussian, weight) of positive weight, Gaussian order. */
typedef struct joint_entries {
    uint32_t *starts, *gaussians;
    float *weights;
    uint32_t *colour_starts, *by_colour; /* joints grouped by colour */
    size_t colours;
} joint_entries;

static void joint_entries_free(joint_entries *e) {
    free(e->starts);
    free(e->gaussians);
    free(e->weights);
    free(e->colour_starts);
    free(e->by_colour);
}

/* Groups joints into colours such that no two joints of a colour share a Gaussian: joints of
 * one colour can then be re-fitted at once (each touches only its own Gaussians' residuals) and
 * the result is that of re-fitting them one after the other (Gauss-Seidel, as SSDR does). */
static ds_status colour_joints(const problem *p, joint_entries *e) {
    size_t joints = p->joint_count;
    uint32_t *colour = allocate(joints, sizeof *colour, 1);
    uint32_t *stamp = allocate(joints + 1, sizeof *stamp, 1);
    e->colour_starts = allocate(joints + 2, sizeof *e->colour_starts, 1);
    e->by_colour = allocate(joints, sizeof *e->by_colour, 1);
    if (!colour || !stamp || !e->colour_starts || !e->by_colour) {
        free(colour);
        free(stamp);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the joint colouring");
    }
    memset(stamp, 0, (joints + 1) * sizeof *stamp);
    e->colours = 0;
    for (size_t j = 0; j < joints; j++) {
        for (uint32_t at = e->starts[j]; at < e->starts[j + 1]; at++) {
            size_t s = e->gaussians[at];
            for (int slot = 0; slot < DS_BINDING_K; slot++) {
                uint32_t k = p->bound_joints[s * DS_BINDING_K + (size_t)slot];
                if (k < j && p->bound_weights[s * DS_BINDING_K + (size_t)slot] > 0) {
                    stamp[colour[k]] = (uint32_t)j + 1;
                }
            }
        }
        uint32_t c = 0;
        while (stamp[c] == (uint32_t)j + 1) {
            c++;
        }
        colour[j] = c;
        e->colours = c + 1 > e->colours ? c + 1 : e->colours;
    }
    memset(e->colour_starts, 0, (joints + 2) * sizeof *e->colour_starts);
    for (size_t j = 0; j < joints; j++) {
        e->colour_starts[colour[j] + 1]++;
    }
    for (size_t c = 0; c < e->colours; c++) {
        e->colour_starts[c + 1] += e->colour_starts[c];
    }
    for (size_t j = 0; j < joints; j++) {
        e->by_colour[e->colour_starts[colour[j]]++] = (uint32_t)j;
    }
    for (size_t c = e->colours; c > 0; c--) {
        e->colour_starts[c] = e->colour_starts[c - 1];
    }
    e->colour_starts[0] = 0;
    free(colour);
    free(stamp);
    return ds_ok();
}

static ds_status gather_joint_entries(const problem *p, joint_entries *e) {
    size_t joints = p->joint_count, slots = p->count * DS_BINDING_K;
    e->starts = calloc(joints + 1, sizeof *e->starts);
    e->gaussians = allocate(slots, sizeof *e->gaussians, 1);
    e->weights = allocate(slots, sizeof *e->weights, 1);
    if (!e->starts || !e->gaussians || !e->weights) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the binding by joint");
    }
    for (size_t at = 0; at < slots; at++) {
        if (p->bound_weights[at] > 0) {
            e->starts[p->bound_joints[at] + 1]++;
        }
    }
    for (size_t j = 0; j < joints; j++) {
        e->starts[j + 1] += e->starts[j];
    }
    for (size_t at = 0; at < slots; at++) {
        if (p->bound_weights[at] > 0) {
            uint32_t position = e->starts[p->bound_joints[at]]++;
            e->gaussians[position] = (uint32_t)(at / DS_BINDING_K);
            e->weights[position] = p->bound_weights[at];
        }
    }
    for (size_t j = joints; j > 0; j--) {
        e->starts[j] = e->starts[j - 1];
    }
    e->starts[0] = 0;
    return colour_joints(p, e);
}

/* residual = trajectory - blended prediction, per Gaussian per frame. */
static void compute_residuals(const problem *p, float *residual) {
    size_t moves = p->moves;
#pragma omp parallel for schedule(static) if (DS_PARALLEL(p->count * p->moves))
    for (size_t s = 0; s < p->count; s++) {
        const float *x0 = p->canonical + s * 3;
        for (size_t f = 0; f < moves; f++) {
            float *r = residual + (s * moves + f) * 3;
            memcpy(r, p->trajectory + (s * moves + f) * 3, 3 * sizeof(float));
            for (int slot = 0; slot < DS_BINDING_K; slot++) {
                float w = p->bound_weights[s * DS_BINDING_K + (size_t)slot], predicted[3];
                if (w > 0) {
                    size_t j = p->bound_joints[s * DS_BINDING_K + (size_t)slot];
                    transform_point(p->motion + (j * moves + f) * MOTION_FLOATS, x0, predicted);
                    for (int a = 0; a < 3; a++) {
                        r[a] -= w * predicted[a];
                    }
                }
            }
        }
    }
}

/* Joint j's motion re-fitted with the others fixed: min sum_i |q_i - w_i (R x0_i + t)|^2 with
 * q_i = residual_i + w_i T_j x0_i, what is left for joint j to explain (SSDR's bone update),
 * and the residuals updated to the new motion. */
static void refit_joint(const problem *p, const joint_entries *e, size_t j, float *residual) {
    size_t moves = p->moves;
    uint32_t begin = e->starts[j], end = e->starts[j + 1];
    double own = 0, c0[3] = {0, 0, 0};
    for (uint32_t at = begin; at < end; at++) {
        double w2 = (double)e->weights[at] * e->weights[at];
        own += w2;
        for (int a = 0; a < 3; a++) {
            c0[a] += w2 * p->canonical[(size_t)e->gaussians[at] * 3 + (size_t)a];
        }
    }
    if (!(own > 0)) {
        return; /* no Gaussian uses it: it keeps its cluster's motion */
    }
    double mean[3] = {c0[0] / own, c0[1] / own, c0[2] / own}, scatter[9] = {0};
    for (uint32_t at = begin; at < end; at++) {
        add_scatter(scatter, (double)e->weights[at] * e->weights[at],
                    p->canonical + (size_t)e->gaussians[at] * 3, mean);
    }
    double virtual_weight = neighbor_weight(p, j, own, scatter);
    const uint32_t *near = p->neighbors + j * (size_t)p->neighbor_count;
    double total = own;
    for (int k = 0; k < p->neighbor_count; k++) {
        if (virtual_weight > 0 && member_count(p, near[k]) > 0) {
            total += virtual_weight;
            for (int a = 0; a < 3; a++) {
                c0[a] += virtual_weight * p->centres[(size_t)near[k] * 3 + (size_t)a];
            }
        }
    }
    for (int a = 0; a < 3; a++) {
        c0[a] /= total;
    }
    for (size_t f = 0; f < moves; f++) {
        float *motion = p->motion + (j * moves + f) * MOTION_FLOATS;
        rigid_sums sums = {{0}, {0}};
        for (uint32_t at = begin; at < end; at++) {
            size_t s = e->gaussians[at];
            float w = e->weights[at], target[3];
            const float *x0 = p->canonical + s * 3, *r = residual + (s * moves + f) * 3;
            transform_point(motion, x0, target);
            double centred[3];
            for (int a = 0; a < 3; a++) {
                target[a] = r[a] + w * target[a];
                centred[a] = x0[a] - c0[a];
            }
            rigid_add(&sums, w, centred, target);
        }
        for (int k = 0; k < p->neighbor_count; k++) {
            if (virtual_weight > 0 && member_count(p, near[k]) > 0) {
                double centred[3];
                for (int a = 0; a < 3; a++) {
                    centred[a] = p->centres[(size_t)near[k] * 3 + (size_t)a] - c0[a];
                }
                rigid_add(&sums, virtual_weight, centred,
                          p->paths + ((size_t)near[k] * moves + f) * 3);
            }
        }
        float fitted[MOTION_FLOATS];
        rigid_solve(&sums, total, c0, fitted, p->quaternions + (j * moves + f) * 4);
        for (uint32_t at = begin; at < end; at++) {
            size_t s = e->gaussians[at];
            float w = e->weights[at], before[3], after[3];
            const float *x0 = p->canonical + s * 3;
            float *r = residual + (s * moves + f) * 3;
            transform_point(motion, x0, before);
            transform_point(fitted, x0, after);
            for (int a = 0; a < 3; a++) {
                r[a] -= w * (after[a] - before[a]);
            }
        }
        memcpy(motion, fitted, sizeof fitted);
    }
}

static ds_status refit_transforms(problem *p, float *residual) {
    joint_entries e = {0};
    ds_status status = gather_joint_entries(p, &e);
    if (ds_failed(&status)) {
        joint_entries_free(&e);
        return status;
    }
    compute_residuals(p, residual);
    for (size_t c = 0; c < e.colours; c++) {
        uint32_t begin = e.colour_starts[c], end = e.colour_starts[c + 1];
        size_t work = 0;
        for (uint32_t at = begin; at < end; at++) {
            work += e.starts[e.by_colour[at] + 1] - e.starts[e.by_colour[at]];
        }
#pragma omp parallel for schedule(dynamic, 4) if (DS_PARALLEL(work * p->moves))
        for (uint32_t at = begin; at < end; at++) {
            refit_joint(p, &e, e.by_colour[at], residual);
        }
    }
    joint_entries_free(&e);
    return ds_ok();
}

/* ---- the decomposition ---------------------------------------------------------------- */

static ds_status check_arguments(const float *const *positions, size_t count, size_t frames,
                                 const ds_decomposition_settings *settings) {
    if (!positions || !settings) {
        return ds_error(DS_ERR_ARGUMENT, "decomposition needs positions and settings");
    }
    if (frames == 0) {
        return ds_error(DS_ERR_ARGUMENT, "decomposition needs at least one frame");
    }
    if (count == 0) {
        return ds_error(DS_ERR_ARGUMENT, "decomposition needs at least one Gaussian");
    }
    if (count > DS_GAUSSIAN_CLOUD_MAX_COUNT) {
        return ds_error(DS_ERR_ARGUMENT, "%zu Gaussians are too many to decompose", count);
    }
    if (settings->joints == 0 || settings->joints > DS_DECOMPOSITION_MAX_JOINTS) {
        return ds_error(DS_ERR_ARGUMENT, "%zu joints is outside 1..%zu", settings->joints,
                        (size_t)DS_DECOMPOSITION_MAX_JOINTS);
    }
    if (settings->iterations < 1 || settings->iterations > 1000 || settings->refinements < 0 ||
        settings->refinements > 1000) {
        return ds_error(DS_ERR_ARGUMENT, "decomposition needs 1..1000 iterations and 0..1000 "
                                         "refinements");
    }
    for (size_t f = 0; f < frames; f++) {
        if (!positions[f]) {
            return ds_error(DS_ERR_ARGUMENT, "frame %zu has no positions", f);
        }
        for (size_t i = 0; i < count * 3; i++) {
            if (!isfinite(positions[f][i])) {
                return ds_error(DS_ERR_ARGUMENT,
                                "Gaussian %zu of frame %zu has a position that "
                                "is not finite",
                                i / 3, f);
            }
        }
    }
    return ds_ok();
}

static ds_status problem_allocate(problem *p) {
    size_t count = p->count, joints = p->joint_count, moves = p->moves;
    size_t candidates =
        WEIGHT_CANDIDATES > ASSIGN_CANDIDATES ? WEIGHT_CANDIDATES : ASSIGN_CANDIDATES;
    p->order = allocate(count, sizeof *p->order, 1);
    p->canonical = allocate(count, 3, sizeof *p->canonical);
    p->trajectory = allocate(count, moves * 3, sizeof *p->trajectory);
    p->assignment = allocate(count, sizeof *p->assignment, 1);
    p->member_starts = allocate(joints + 1, sizeof *p->member_starts, 1);
    p->members = allocate(count, sizeof *p->members, 1);
    p->centres = allocate(joints, 3, sizeof *p->centres);
    p->paths = allocate(joints, moves * 3, sizeof *p->paths);
    p->neighbors = allocate(joints, FIT_NEIGHBORS, sizeof *p->neighbors);
    p->motion = allocate(joints, moves * MOTION_FLOATS, sizeof *p->motion);
    p->quaternions = allocate(joints, moves * 4, sizeof *p->quaternions);
    p->candidates = allocate(count, candidates, sizeof *p->candidates);
    p->bound_joints = allocate(count, DS_BINDING_K, sizeof *p->bound_joints);
    p->bound_weights = allocate(count, DS_BINDING_K, sizeof *p->bound_weights);
    p->errors = allocate(count, sizeof *p->errors, 1);
    if (!p->order || !p->canonical || !p->trajectory || !p->assignment || !p->member_starts ||
        !p->members || !p->centres || !p->paths || !p->neighbors || !p->motion || !p->quaternions ||
        !p->candidates || !p->bound_joints || !p->bound_weights || !p->errors) {
        return ds_error(DS_ERR_NO_MEMORY,
                        "cannot allocate the decomposition of %zu Gaussians "
                        "over %zu frames",
                        count, moves + 1);
    }
    return ds_ok();
}

/* Writes the results in the caller's Gaussian order. */
static ds_status write_results(const problem *p, size_t frames, float **joint_positions,
                               ds_binding *binding, ds_joint_transforms *transforms) {
    size_t joints = p->joint_count, moves = p->moves;
    float *centres = allocate(joints, 3, sizeof *centres);
    if (!centres) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate joint positions");
    }
    memcpy(centres, p->centres, joints * 3 * sizeof *centres);
    ds_status status = ds_binding_create(p->count, joints, binding);
    if (ds_failed(&status)) {
        free(centres);
        return status;
    }
    for (size_t s = 0; s < p->count; s++) {
        size_t i = p->order[s];
        memcpy(binding->joints + i * DS_BINDING_K, p->bound_joints + s * DS_BINDING_K,
               DS_BINDING_K * sizeof *binding->joints);
        memcpy(binding->weights + i * DS_BINDING_K, p->bound_weights + s * DS_BINDING_K,
               DS_BINDING_K * sizeof *binding->weights);
    }
    status = ds_binding_index(binding);
    size_t made = 0;
    for (; made < frames && !ds_failed(&status); made++) {
        status = ds_joint_transforms_create(joints, &transforms[made]);
    }
    if (ds_failed(&status)) {
        for (size_t f = 0; f + 1 < made; f++) {
            ds_joint_transforms_free(&transforms[f]);
        }
        ds_binding_free(binding);
        free(centres);
        return status;
    }
    for (size_t f = 1; f < frames; f++) {
        for (size_t j = 0; j < joints; j++) {
            const float *q = p->quaternions + (j * moves + f - 1) * 4;
            const float *previous = transforms[f - 1].rotations + j * 4;
            /* q and -q are one rotation: keep each joint's sequence continuous for prediction. */
            float sign =
                q[0] * previous[0] + q[1] * previous[1] + q[2] * previous[2] + q[3] * previous[3] <
                        0
                    ? -1.0f
                    : 1.0f;
            for (int c = 0; c < 4; c++) {
                transforms[f].rotations[j * 4 + (size_t)c] = sign * q[c];
            }
            memcpy(transforms[f].translations + j * 3,
                   p->motion + (j * moves + f - 1) * MOTION_FLOATS + 9, 3 * sizeof(float));
        }
    }
    *joint_positions = centres;
    return ds_ok();
}

static bool report(ds_decomposition_progress progress, void *context, double done, double total) {
    return !progress || progress(context, done / total);
}

ds_status ds_skinning_decompose(const float *const *positions, size_t count, size_t frames,
                                const ds_decomposition_settings *settings,
                                ds_decomposition_progress progress, void *context,
                                float **joint_positions, size_t *joint_count, ds_binding *binding,
                                ds_joint_transforms *transforms) {
    ds_status status = check_arguments(positions, count, frames, settings);
    if (ds_failed(&status)) {
        return status;
    }
    problem p = {0};
    p.count = count;
    p.moves = frames - 1;
    p.joint_count = settings->joints < count ? settings->joints : count;
    p.neighbor_count = p.joint_count - 1 < FIT_NEIGHBORS ? (int)p.joint_count - 1 : FIT_NEIGHBORS;
    double total = settings->iterations + 2.0 + 3.0 * settings->refinements, done = 0;
    float *residual = NULL;
    status = problem_allocate(&p);
    if (!ds_failed(&status)) {
        status = sort_spatially(&p, positions[0]);
    }
    if (!ds_failed(&status)) {
        gather_trajectories(&p, positions);
        status = initial_clusters(&p, settings->seed);
    }
    for (int iteration = 0; iteration < settings->iterations && !ds_failed(&status); iteration++) {
        gather_members(&p);
        status = find_joint_neighbors(&p);
        if (ds_failed(&status)) {
            break;
        }
        fit_clusters(&p);
        if (!report(progress, context, ++done, total)) {
            status = ds_error(DS_ERR_INTERRUPTED, "decomposition interrupted");
            break;
        }
        if (iteration + 1 == settings->iterations) {
            break;
        }
        status = find_candidates(&p, p.joint_count < ASSIGN_CANDIDATES ? (int)p.joint_count
                                                                       : ASSIGN_CANDIDATES);
        if (ds_failed(&status)) {
            break;
        }
        /* p.members is free until the next gather_members: it takes the new assignment. */
        size_t moved = reassign(&p, p.members);
        memcpy(p.assignment, p.members, count * sizeof *p.assignment);
        size_t refilled = 0;
        status = refill_empty_joints(&p, &refilled);
        if (!ds_failed(&status) && moved == 0 && refilled == 0) {
            gather_members(&p);
            break; /* converged: the motions fitted last are those of these clusters */
        }
    }
    if (!ds_failed(&status)) {
        status = find_candidates(&p, p.joint_count < WEIGHT_CANDIDATES ? (int)p.joint_count
                                                                       : WEIGHT_CANDIDATES);
    }
    if (!ds_failed(&status)) {
        solve_weights(&p);
        done = settings->iterations + 2.0;
        if (!report(progress, context, done, total)) {
            status = ds_error(DS_ERR_INTERRUPTED, "decomposition interrupted");
        }
    }
    if (!ds_failed(&status) && settings->refinements > 0 && p.moves > 0) {
        residual = allocate(count, p.moves * 3, sizeof *residual);
        if (!residual) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate the residuals");
        }
    }
    for (int round = 0; round < settings->refinements && p.moves > 0 && !ds_failed(&status);
         round++) {
        status = refit_transforms(&p, residual);
        if (ds_failed(&status)) {
            break;
        }
        solve_weights(&p);
        done += 3.0;
        if (!report(progress, context, done, total)) {
            status = ds_error(DS_ERR_INTERRUPTED, "decomposition interrupted");
        }
    }
    free(residual);
    if (!ds_failed(&status)) {
        status = write_results(&p, frames, joint_positions, binding, transforms);
    }
    if (!ds_failed(&status)) {
        *joint_count = p.joint_count;
    }
    problem_free(&p);
    return status;
}
