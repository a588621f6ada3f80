#include "rig.h"

#include "synth_math.h"

#include <string.h>

static const char *const rig_names[DS_SYNTH_RIG_COUNT] = {"ring", "dome"};

const char *ds_synth_rig_name(ds_synth_rig_kind kind) {
    return kind >= 0 && kind < DS_SYNTH_RIG_COUNT ? rig_names[kind] : "unknown";
}

bool ds_synth_rig_from_name(const char *name, ds_synth_rig_kind *kind) {
    for (int k = 0; k < DS_SYNTH_RIG_COUNT; k++) {
        if (strcmp(name, rig_names[k]) == 0) {
            *kind = (ds_synth_rig_kind)k;
            return true;
        }
    }
    return false;
}

/* splitmix64, seeded per camera so a camera's variations do not depend on how many there are. */
static double camera_random(uint64_t seed, int camera, int draw) {
    uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)camera * 0xd1b54a32d192ed03ULL +
                 (uint64_t)draw * 0x8cb92ba72f3d8dd7ULL + 0x2545f4914f6cdd1dULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static double rounded(double value, double step) {
    return round(value / step) * step + 0.0; /* + 0.0 turns -0 into 0 */
}

/* Elevation and azimuth (radians) of camera i. */
static void place(ds_synth_rig_kind kind, int count, int i, double *elevation, double *azimuth) {
    if (kind == DS_SYNTH_RING) {
        static const double heights[3] = {2.0, 12.0, 22.0};
        *elevation = heights[i % 3] * DS_SYNTH_DEGREES;
        *azimuth = 2.0 * DS_SYNTH_PI * i / count;
        return;
    }
    /* Dome: the views are shared among the rings in proportion to their circumference (largest
     * remainders), lower rings first; each ring is turned a quarter step from the one below. */
    enum { RINGS = 4 };
    static const double elevations[RINGS] = {-5.0, 15.0, 35.0, 55.0};
    double weights[RINGS], total = 0.0;
    for (int r = 0; r < RINGS; r++) {
        weights[r] = cos(elevations[r] * DS_SYNTH_DEGREES);
        total += weights[r];
    }
    int counts[RINGS], assigned = 0;
    double remainders[RINGS];
    for (int r = 0; r < RINGS; r++) {
        double quota = count * weights[r] / total;
        counts[r] = (int)floor(quota);
        remainders[r] = quota - counts[r];
        assigned += counts[r];
    }
    while (assigned < count) {
        int largest = 0;
        for (int r = 1; r < RINGS; r++) {
            if (remainders[r] > remainders[largest]) {
                largest = r;
            }
        }
        counts[largest]++;
        remainders[largest] = -1.0;
        assigned++;
    }
    int ring = 0, first = 0;
    while (i >= first + counts[ring]) {
        first += counts[ring];
        ring++;
    }
    double step = 2.0 * DS_SYNTH_PI / counts[ring];
    *elevation = elevations[ring] * DS_SYNTH_DEGREES;
    *azimuth = step * (i - first) + 0.25 * step * ring;
}

/* The largest focal length (with fy = fx * aspect) that keeps every point at least 3% of the
 * image inside its borders, for a camera with rotation R and centre eye. */
static ds_status fit_focal_length(const double rotation[9], const double eye[3],
                                  const double (*points)[3], size_t point_count, int width,
                                  int height, double cx, double cy, double aspect, double *focal) {
    double margin_x = 0.03 * width, margin_y = 0.03 * height;
    double best = INFINITY;
    for (size_t i = 0; i < point_count; i++) {
        double relative[3], p[3];
        for (int k = 0; k < 3; k++) {
            relative[k] = points[i][k] - eye[k];
        }
        ds_synth_rotate(rotation, relative, p);
        if (p[2] < 0.05) {
            return ds_error(DS_ERR_ARGUMENT,
                            "a camera is too close to the figure's motion to see all of it");
        }
        double a = p[0] / p[2], b = aspect * p[1] / p[2];
        if (a > 0) {
            best = fmin(best, (width - margin_x - cx) / a);
        } else if (a < 0) {
            best = fmin(best, (cx - margin_x) / -a);
        }
        if (b > 0) {
            best = fmin(best, (height - margin_y - cy) / b);
        } else if (b < 0) {
            best = fmin(best, (cy - margin_y) / -b);
        }
    }
    if (!(best > 0.0) || !isfinite(best)) {
        return ds_error(DS_ERR_ARGUMENT, "no focal length frames the figure's motion");
    }
    *focal = best;
    return ds_ok();
}

ds_status ds_synth_rig_create(ds_synth_rig_kind kind, int count, int width, int height,
                              uint64_t seed, const double target[3], const double (*points)[3],
                              size_t point_count, ds_synth_rig_camera *cameras) {
    if (count < 1 || count > 10000 || width < 1 || height < 1) {
        return ds_error(DS_ERR_ARGUMENT, "cannot place %d cameras of %dx%d pixels", count, width,
                        height);
    }
    for (int i = 0; i < count; i++) {
        double elevation, azimuth;
        place(kind, count, i, &elevation, &azimuth);
        double eye[3] = {target[0] + DS_SYNTH_CAMERA_DISTANCE * cos(elevation) * sin(azimuth),
                         target[1] + DS_SYNTH_CAMERA_DISTANCE * sin(elevation),
                         target[2] + DS_SYNTH_CAMERA_DISTANCE * cos(elevation) * cos(azimuth)};
        for (int k = 0; k < 3; k++) {
            eye[k] = rounded(eye[k], 1e-9);
        }
        /* Looking at the target with world +y up in the image: x right, y down, z forward. */
        double forward[3] = {target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]};
        ds_synth_normalise(forward);
        double right[3], down[3];
        ds_synth_cross(forward, (const double[3]){0, 1, 0}, right);
        ds_synth_normalise(right);
        ds_synth_cross(forward, right, down);
        ds_synth_rig_camera *camera = &cameras[i];
        double *m = camera->camera_to_world;
        for (int k = 0; k < 3; k++) {
            /* OpenGL columns: x right, y up (= -down), z back (= -forward), then the centre. */
            m[4 * k + 0] = rounded(right[k], 1e-9);
            m[4 * k + 1] = rounded(-down[k], 1e-9);
            m[4 * k + 2] = rounded(-forward[k], 1e-9);
            m[4 * k + 3] = eye[k];
        }
        m[12] = m[13] = m[14] = 0.0;
        m[15] = 1.0;
        ds_camera pose;
        ds_status status =
            ds_camera_from_opengl_camera_to_world(m, width, height, 1, 1, 0, 0, &pose);
        if (ds_failed(&status)) {
            return status;
        }
        /* The principal point 1.5-3% of the image off centre each way, the pixel aspect within
         * 0.3% of square, the focal length up to 4% shorter than the tightest framing. */
        double off_x = (0.015 + 0.015 * camera_random(seed, i, 0)) * width;
        double off_y = (0.015 + 0.015 * camera_random(seed, i, 1)) * height;
        double cx = 0.5 * width + (camera_random(seed, i, 2) < 0.5 ? -off_x : off_x);
        double cy = 0.5 * height + (camera_random(seed, i, 3) < 0.5 ? -off_y : off_y);
        double aspect = 1.0 + 0.006 * (camera_random(seed, i, 4) - 0.5);
        double shrink = 1.0 - 0.04 * camera_random(seed, i, 5);
        double focal = 0.0;
        status = fit_focal_length(pose.rotation, eye, points, point_count, width, height, cx, cy,
                                  aspect, &focal);
        if (ds_failed(&status)) {
            return status;
        }
        camera->width = width;
        camera->height = height;
        /* Rounded down so the framing still holds. */
        camera->fx = floor(focal * shrink * 1e6) / 1e6;
        camera->fy = floor(focal * shrink * aspect * 1e6) / 1e6;
        camera->cx = rounded(cx, 1e-6);
        camera->cy = rounded(cy, 1e-6);
    }
    return ds_ok();
}

ds_status ds_synth_rig_camera_to_camera(const ds_synth_rig_camera *rig_camera, ds_camera *camera) {
    return ds_camera_from_opengl_camera_to_world(rig_camera->camera_to_world, rig_camera->width,
                                                 rig_camera->height, rig_camera->fx, rig_camera->fy,
                                                 rig_camera->cx, rig_camera->cy, camera);
}
