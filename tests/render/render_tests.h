/* The groups of the render library's test program. */
#ifndef DS_TESTS_RENDER_TESTS_H
#define DS_TESTS_RENDER_TESTS_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"

#include <stdint.h>

int run_rasterizer_tests(void);
int run_view_tests(void);
int run_camera_path_tests(void);

/* A random scene of `count` Gaussians in front of `camera` (deterministic for a seed): centres
 * 2-6 units ahead, spread over and a little beyond the view, varied shapes and opacities. */
ds_gaussian_cloud *random_scene(const ds_camera *camera, size_t count, int sh_degree,
                                uint32_t seed);

/* random_scene's Gaussians moved to uniform positions over the unit cube around the origin, all of
 * them `scale` in size (deterministic for a seed). */
ds_gaussian_cloud *scattered_scene(size_t count, uint32_t seed, float scale);

/* A test camera: 64x48 by default, looking roughly along +z with an off-centre principal point
 * and unequal focal lengths, rotated a little. */
ds_camera test_camera(int width, int height);

#endif
