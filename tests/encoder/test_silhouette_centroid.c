/* The subject's place from its silhouettes: a ball seen by cameras around it is placed at its
 * centre, wherever it is; views that see nothing are ignored; too few views are an error. */
#include "encoder_tests.h"

#include "encoder/silhouette_centroid.h"
#include "render/view.h"
#include "test_support.h"

#include <math.h>
#include <stdlib.h>

enum { VIEWS = 6, WIDTH = 80, HEIGHT = 60 };
static const float WHITE[3] = {1, 1, 1};

/* Cameras on a ring of radius 4 round the origin, looking at it; each image shows a ball of
 * radius 0.3 at `center` in red on white (ray traced per pixel). */
static void make_views(const double center[3], ds_camera cameras[VIEWS], ds_image images[VIEWS]) {
    const double up[3] = {0, -1, 0}, target[3] = {0, 0, 0};
    for (int v = 0; v < VIEWS; v++) {
        double angle = 2 * 3.14159265358979323846 * v / VIEWS;
        double eye[3] = {4 * cos(angle), -0.5, 4 * sin(angle)};
        assert_int_equal(ds_camera_look_at(eye, target, up, 50, WIDTH, HEIGHT, &cameras[v]).code,
                         DS_OK);
        assert_int_equal(ds_image_create(WIDTH, HEIGHT, &images[v]).code, DS_OK);
        double c[3];
        ds_camera_center(&cameras[v], c);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                const ds_camera *k = &cameras[v];
                double local[3] = {(x + 0.5 - k->cx) / k->fx, (y + 0.5 - k->cy) / k->fy, 1}, d[3];
                for (int i = 0; i < 3; i++) {
                    d[i] = k->rotation[i] * local[0] + k->rotation[3 + i] * local[1] +
                           k->rotation[6 + i] * local[2];
                }
                /* Distance from the ball's centre to the ray. */
                double to[3] = {center[0] - c[0], center[1] - c[1], center[2] - c[2]};
                double along = (to[0] * d[0] + to[1] * d[1] + to[2] * d[2]) /
                               (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                double miss = 0;
                for (int i = 0; i < 3; i++) {
                    double e = to[i] - along * d[i];
                    miss += e * e;
                }
                float *p = images[v].pixels + ((size_t)y * WIDTH + (size_t)x) * 3;
                bool hit = miss < 0.3 * 0.3;
                p[0] = 1.0f;
                p[1] = p[2] = hit ? 0.1f : 1.0f;
            }
        }
    }
}

static void a_ball_is_placed_at_its_centre(void **state) {
    (void)state;
    const double centers[3][3] = {{0, 0, 0}, {0.6, -0.4, 0.3}, {-0.5, 0.2, -0.7}};
    for (int n = 0; n < 3; n++) {
        ds_camera cameras[VIEWS];
        ds_image images[VIEWS];
        make_views(centers[n], cameras, images);
        ds_fit_views views = {VIEWS, cameras, images};
        double found[3];
        assert_int_equal(ds_silhouette_centroid(&views, WHITE, found).code, DS_OK);
        for (int k = 0; k < 3; k++) {
            /* A pixel at 4 units and 50 degrees over 60 rows is about 0.06 units. */
            test_assert_close(found[k], centers[n][k], 0.05, "centroid", (size_t)k);
        }
        for (int v = 0; v < VIEWS; v++) {
            ds_image_free(&images[v]);
        }
    }
}

static void blank_views_are_ignored_and_too_few_refused(void **state) {
    (void)state;
    const double center[3] = {0.2, 0.1, -0.3};
    ds_camera cameras[VIEWS];
    ds_image images[VIEWS];
    make_views(center, cameras, images);
    /* Four views blanked: two still place it. */
    for (int v = 2; v < VIEWS; v++) {
        for (size_t i = 0; i < WIDTH * HEIGHT * 3; i++) {
            images[v].pixels[i] = 1.0f;
        }
    }
    ds_fit_views views = {VIEWS, cameras, images};
    double found[3];
    assert_int_equal(ds_silhouette_centroid(&views, WHITE, found).code, DS_OK);
    for (int k = 0; k < 3; k++) {
        test_assert_close(found[k], center[k], 0.05, "centroid from two views", (size_t)k);
    }
    for (size_t i = 0; i < WIDTH * HEIGHT * 3; i++) {
        images[1].pixels[i] = 1.0f;
    }
    assert_int_equal(ds_silhouette_centroid(&views, WHITE, found).code, DS_ERR_ARGUMENT);
    for (int v = 0; v < VIEWS; v++) {
        ds_image_free(&images[v]);
    }
}

int run_silhouette_centroid_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_ball_is_placed_at_its_centre),
        cmocka_unit_test(blank_views_are_ignored_and_too_few_refused),
    };
    return cmocka_run_group_tests_name("silhouette_centroid", tests, NULL, NULL);
}
