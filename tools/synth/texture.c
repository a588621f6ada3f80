#include "texture.h"

#include "synth_math.h"

#include <string.h>

static double fraction(double x) {
    return x - floor(x);
}

static bool odd(double x) {
    return ((long long)floor(x) & 1) != 0;
}

/* Position around the part's long axis in turns, in [-0.5, 0.5). */
static double around_axis(const double p[3]) {
    return atan2(p[2], p[0]) / (2.0 * DS_SYNTH_PI);
}

/* Local point relative to an ellipsoid's centre, scaled to the unit sphere. */
static void unit_sphere_point(const ds_synth_shape *shape, const double local[3], double n[3]) {
    for (int k = 0; k < 3; k++) {
        n[k] = (local[k] - shape->center[k]) / shape->radii[k];
    }
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* One glyph cell of 6 x 8 units: a 5 x 7 character and a unit of spacing right and below. The
 * character is 2-5 strokes (bars, halves, diagonals) picked by a hash of its place, so lines of
 * them look like text without being any real script. */
static bool glyph_ink(uint64_t seed, long row, long column, int x, int y) {
    if (x >= 5 || y >= 7) {
        return false;
    }
    uint64_t h = mix(seed ^ mix((uint64_t)row * 0x9e3779b97f4a7c15ULL + (uint64_t)column));
    if ((h & 7) == 0) {
        return false; /* a space between words */
    }
    unsigned strokes = (unsigned)(h >> 3) & 0x3ffu;
    if (__builtin_popcount(strokes) < 2) {
        strokes |= 0x11u;
    }
    bool lit[10] = {
        x == 0,                     /* left bar */
        x == 4,                     /* right bar */
        x == 2,                     /* middle bar */
        y == 0,                     /* top */
        y == 3,                     /* middle */
        y == 6,                     /* bottom */
        x == (y * 4 + 3) / 6,       /* diagonal down */
        x == ((6 - y) * 4 + 3) / 6, /* diagonal up */
        x == 0 && y <= 3,           /* upper left half bar */
        x == 4 && y >= 3,           /* lower right half bar */
    };
    for (int s = 0; s < 10; s++) {
        if ((strokes >> s & 1u) && lit[s]) {
            return true;
        }
    }
    return false;
}

/* The torso: a block of text lines on the chest, stripes on the back. */
static bool glyph_pattern(const ds_synth_part *part, const double p[3]) {
    const ds_synth_texture *t = &part->texture;
    double n[3];
    unit_sphere_point(&part->shape, p, n);
    if (n[2] < 0.0) {
        return fraction(p[1] / t->period + t->phase) < 0.3;
    }
    const double left = -0.13, right = 0.13, top = 0.40, bottom = 0.06;
    const double cell_width = 0.026, cell_height = 0.036;
    if (p[0] < left || p[0] >= right || p[1] > top || p[1] <= bottom) {
        return false;
    }
    double column = (p[0] - left) / cell_width, row = (top - p[1]) / cell_height;
    int x = (int)(fraction(column) * 6.0), y = (int)(fraction(row) * 8.0);
    return glyph_ink(t->glyph_seed, (long)row, (long)column, x, y);
}

typedef enum face_feature { SKIN, HAIR, EYE, MOUTH } face_feature;

static face_feature face(const ds_synth_part *part, const double p[3]) {
    double n[3];
    unit_sphere_point(&part->shape, p, n);
    if (n[1] > 0.45 || (n[2] < -0.3 && n[1] > -0.5)) {
        return HAIR;
    }
    if (n[2] > 0.5) {
        for (int side = -1; side <= 1; side += 2) {
            double dx = n[0] - 0.38 * side, dy = n[1] - 0.18;
            if (dx * dx + dy * dy < 0.13 * 0.13) {
                return EYE;
            }
        }
        if (fabs(n[0]) < 0.3 && fabs(n[1] + 0.38) < 0.06) {
            return MOUTH;
        }
    }
    return SKIN;
}

void ds_synth_texture_albedo(const ds_synth_part *part, const double local[3], float rgb[3]) {
    const ds_synth_texture *t = &part->texture;
    const ds_synth_shape *shape = &part->shape;
    bool second = false;
    switch (t->kind) {
    case DS_SYNTH_TEXTURE_RINGS:
        second = fraction(local[t->axis] / t->period + t->phase) < 0.5;
        break;
    case DS_SYNTH_TEXTURE_HELIX:
        second = fraction(local[t->axis] / t->period + t->divisions * around_axis(local) +
                          t->phase) < 0.5;
        break;
    case DS_SYNTH_TEXTURE_CHECKS: {
        double along = local[t->axis];
        double around = around_axis(local);
        if (shape->kind == DS_SYNTH_ELLIPSOID) {
            /* Latitude as arc length on the ellipsoid, longitude about its own centre. */
            double n[3];
            unit_sphere_point(shape, local, n);
            along = shape->radii[1] * asin(fmax(-1.0, fmin(1.0, n[1])));
            around = atan2(n[2], n[0]) / (2.0 * DS_SYNTH_PI);
        }
        second = odd(along / t->period + t->phase) != odd(t->divisions * around + t->phase2);
        break;
    }
    case DS_SYNTH_TEXTURE_GLYPHS:
        second = glyph_pattern(part, local);
        break;
    case DS_SYNTH_TEXTURE_FACE:
        switch (face(part, local)) {
        case HAIR:
            second = true;
            break;
        case EYE:
            rgb[0] = 0.08f, rgb[1] = 0.10f, rgb[2] = 0.18f;
            return;
        case MOUTH:
            rgb[0] = 0.65f, rgb[1] = 0.12f, rgb[2] = 0.15f;
            return;
        case SKIN:
            break;
        }
        break;
    }
    memcpy(rgb, second ? t->second_colour : part->colour, 3 * sizeof *rgb);
}
