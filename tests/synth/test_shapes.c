/* Ray-capsule and ray-ellipsoid intersections against values computed by hand. */
#include "synth_tests.h"
#include "test_support.h"

#include "tools/synth/shapes.h"

#include <math.h>

#define assert_close(actual, expected, tolerance)                                                  \
    test_assert_close(actual, expected, tolerance, #actual, 0)

/* Capsule along +y from the origin to (0, 2, 0), radius 1. */
static const double a[3] = {0, 0, 0}, b[3] = {0, 2, 0};

static double capsule_hit(double ox, double oy, double oz, double dx, double dy, double dz) {
    double t = -1.0;
    bool hit = ds_synth_intersect_capsule(a, b, 1.0, (double[3]){ox, oy, oz},
                                          (double[3]){dx, dy, dz}, 0.0, &t);
    return hit ? t : -1.0;
}

static void capsule_side_and_caps(void **state) {
    (void)state;
    /* The side: x = -1 at height 1. */
    assert_close(capsule_hit(-5, 1, 0, 1, 0, 0), 4.0, 1e-12);
    /* The top cap at height 2.6: x^2 + 0.6^2 = 1, x = -0.8. */
    assert_close(capsule_hit(-5, 2.6, 0, 1, 0, 0), 4.2, 1e-12);
    /* The bottom cap at height -0.6, from the other side. */
    assert_close(capsule_hit(5, -0.6, 0, -1, 0, 0), 4.2, 1e-12);
    /* Along the axis the side is never crossed: the caps' poles are. */
    assert_close(capsule_hit(0, 10, 0, 0, -1, 0), 7.0, 1e-12);
    assert_close(capsule_hit(0, -10, 0, 0, 1, 0), 9.0, 1e-12);
    /* The direction's length scales t. */
    assert_close(capsule_hit(-5, 1, 0, 2, 0, 0), 2.0, 1e-12);
}

static void capsule_oblique(void **state) {
    (void)state;
    /* A capsule along z from (0,0,0) to (0,0,4), radius 0.5; a ray from (3,0,2) towards the
     * origin, P = (3 - 3t, 0, 2 - 2t), meets the side where 3 - 3t = 0.5: t = 5/6, z = 1/3. */
    double t;
    assert_true(ds_synth_intersect_capsule((double[3]){0, 0, 0}, (double[3]){0, 0, 4}, 0.5,
                                           (double[3]){3, 0, 2}, (double[3]){-3, 0, -2}, 0.0, &t));
    assert_close(t, 5.0 / 6.0, 1e-12);
    /* A ray rising as it comes in, P = (3 - 3t, 0, 6 + 2t), is far above the top cap
     * (z = 7.7 > 4.5) by the time it is within 0.5 of the axis (t = 5/6). */
    assert_false(ds_synth_intersect_capsule((double[3]){0, 0, 0}, (double[3]){0, 0, 4}, 0.5,
                                            (double[3]){3, 0, 6}, (double[3]){-3, 0, 2}, 0.0, &t));
}

static void capsule_misses_and_grazing(void **state) {
    (void)state;
    /* Above the top cap (2 + 1 < 3.5). */
    assert_true(capsule_hit(-5, 3.5, 0, 1, 0, 0) < 0);
    /* Behind the origin. */
    assert_true(capsule_hit(5, 1, 0, 1, 0, 0) < 0);
    /* Tangent to the side at (0, 1, 1): a double root at t = 5. */
    assert_close(capsule_hit(-5, 1, 1, 1, 0, 0), 5.0, 1e-9);
    assert_true(capsule_hit(-5, 1, 1.001, 1, 0, 0) < 0);
    /* Tangent to the top cap's pole from the side. */
    assert_close(capsule_hit(-5, 3, 0, 1, 0, 0), 5.0, 1e-6);
    assert_true(capsule_hit(-5, 3.001, 0, 1, 0, 0) < 0);
}

static void capsule_inside(void **state) {
    (void)state;
    /* From inside, the hit is where the ray leaves. */
    assert_close(capsule_hit(0, 1, 0, 1, 0, 0), 1.0, 1e-12);
    assert_close(capsule_hit(0, 2.5, 0, 0, 1, 0), 0.5, 1e-12);
    assert_close(capsule_hit(0, -0.5, 0, 0, -1, 0), 0.5, 1e-12);
    /* t_min skips the entry: the exit is next. */
    double t;
    assert_true(ds_synth_intersect_capsule(a, b, 1.0, (double[3]){-5, 1, 0}, (double[3]){1, 0, 0},
                                           4.5, &t));
    assert_close(t, 6.0, 1e-12);
}

/* Ellipsoid centred at (1, 2, 3) with semi-axes 2, 1, 0.5. */
static const double center[3] = {1, 2, 3}, radii[3] = {2, 1, 0.5};

static double ellipsoid_hit(double ox, double oy, double oz, double dx, double dy, double dz) {
    double t = -1.0;
    bool hit = ds_synth_intersect_ellipsoid(center, radii, (double[3]){ox, oy, oz},
                                            (double[3]){dx, dy, dz}, 0.0, &t);
    return hit ? t : -1.0;
}

static void ellipsoid_hits(void **state) {
    (void)state;
    assert_close(ellipsoid_hit(1, 2, -10, 0, 0, 1), 12.5, 1e-12); /* z = 3 - 0.5 */
    assert_close(ellipsoid_hit(-10, 2, 3, 1, 0, 0), 9.0, 1e-12);  /* x = 1 - 2 */
    assert_close(ellipsoid_hit(1, 10, 3, 0, -4, 0), 1.75, 1e-12); /* y = 3, t = 7 / 4 */
    /* Oblique, on the unit sphere: from (3, 4, 0) towards the centre, 5 - 1 = 4 away. */
    double t;
    assert_true(ds_synth_intersect_ellipsoid((double[3]){0, 0, 0}, (double[3]){1, 1, 1},
                                             (double[3]){3, 4, 0}, (double[3]){-3, -4, 0}, 0.0,
                                             &t));
    assert_close(t, 0.8, 1e-12);
}

static void ellipsoid_misses_grazing_inside(void **state) {
    (void)state;
    assert_true(ellipsoid_hit(-10, 2, 3.6, 1, 0, 0) < 0); /* beyond the 0.5 semi-axis */
    assert_true(ellipsoid_hit(10, 2, 3, 1, 0, 0) < 0);    /* pointing away */
    /* Tangent at the top, (1, 3, 3). */
    assert_close(ellipsoid_hit(-10, 3, 3, 1, 0, 0), 11.0, 1e-9);
    assert_true(ellipsoid_hit(-10, 3.001, 3, 1, 0, 0) < 0);
    /* From the centre: out through each semi-axis. */
    assert_close(ellipsoid_hit(1, 2, 3, 0, 1, 0), 1.0, 1e-12);
    assert_close(ellipsoid_hit(1, 2, 3, 0, 0, 2), 0.25, 1e-12);
    assert_close(ellipsoid_hit(1, 2, 3, -1, 0, 0), 2.0, 1e-12);
}

static void normals_and_bounds(void **state) {
    (void)state;
    ds_synth_shape capsule = {
        .kind = DS_SYNTH_CAPSULE, .a = {0, 0, 0}, .b = {0, 2, 0}, .radius = 1};
    double n[3];
    ds_synth_shape_normal(&capsule, (double[3]){-1, 1, 0}, n);
    assert_close(n[0], -1.0, 1e-12);
    assert_close(n[1], 0.0, 1e-12);
    ds_synth_shape_normal(&capsule, (double[3]){0, 3, 0}, n);
    assert_close(n[1], 1.0, 1e-12);
    ds_synth_shape ellipsoid = {
        .kind = DS_SYNTH_ELLIPSOID, .center = {1, 2, 3}, .radii = {2, 1, 0.5}};
    /* At (1 + 2/sqrt2, 2 + 1/sqrt2, 3) the gradient is (1/(2 sqrt2), 1/sqrt2, 0) ~ (1, 2, 0). */
    ds_synth_shape_normal(&ellipsoid, (double[3]){1 + sqrt(2.0), 2 + sqrt(0.5), 3}, n);
    assert_close(n[0], 1.0 / sqrt(5.0), 1e-12);
    assert_close(n[1], 2.0 / sqrt(5.0), 1e-12);
    assert_close(n[2], 0.0, 1e-12);
    double c[3], r;
    ds_synth_shape_bounding_sphere(&capsule, c, &r);
    assert_close(c[1], 1.0, 1e-12);
    assert_close(r, 2.0, 1e-12);
    ds_synth_shape_bounding_sphere(&ellipsoid, c, &r);
    assert_close(c[2], 3.0, 1e-12);
    assert_close(r, 2.0, 1e-12);
}

int run_shapes_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capsule_side_and_caps),
        cmocka_unit_test(capsule_oblique),
        cmocka_unit_test(capsule_misses_and_grazing),
        cmocka_unit_test(capsule_inside),
        cmocka_unit_test(ellipsoid_hits),
        cmocka_unit_test(ellipsoid_misses_grazing_inside),
        cmocka_unit_test(normals_and_bounds),
    };
    return cmocka_run_group_tests_name("synth shapes", tests, NULL, NULL);
}
