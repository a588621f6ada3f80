#include "visual_hull.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ds_visual_hull_settings ds_visual_hull_default_settings(void) {
    return (ds_visual_hull_settings){
        .resolution = 128,
        .threshold = 0.04f,
        .dilation = 0.0025f,
        .allowed_misses = 1,
        .min_seen = 0.5f,
        .max_points = 60000,
        .initial_opacity = 0.1f,
        .sh_degree = 3,
        .seed = 1,
    };
}

/* Per view, a mask of subject pixels grown by `dilation`. */
static uint8_t *silhouette(const ds_image *image, const float background[3], float threshold,
                           int dilation) {
    int w = image->width, h = image->height;
    uint8_t *raw = calloc((size_t)w * (size_t)h, 1);
    uint8_t *grown = calloc((size_t)w * (size_t)h, 1);
    if (!raw || !grown) {
        free(raw);
        free(grown);
        return NULL;
    }
    for (size_t p = 0; p < (size_t)w * (size_t)h; p++) {
        const float *rgb = image->pixels + p * 3;
        for (int c = 0; c < 3; c++) {
            if (fabsf(rgb[c] - background[c]) > threshold) {
                raw[p] = 1;
            }
        }
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            if (!raw[(size_t)y * w + x]) {
                continue;
            }
            for (int dy = -dilation; dy <= dilation; dy++) {
                for (int dx = -dilation; dx <= dilation; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
                        grown[(size_t)yy * w + xx] = 1;
                    }
                }
            }
        }
    }
    free(raw);
    return grown;
}

/* The point nearest to every camera's optical axis, in the least-squares sense. */
static void common_focus(const ds_camera *cameras, size_t count, double center[3]) {
    double a[9] = {0}, b[3] = {0};
    for (size_t i = 0; i < count; i++) {
        double origin[3];
        ds_camera_center(&cameras[i], origin);
        const double *axis = cameras[i].rotation + 6; /* third row: the viewing direction */
        /* (I - d d^T) summed, and (I - d d^T) o summed. */
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                double m = (r == c ? 1.0 : 0.0) - axis[r] * axis[c];
                a[r * 3 + c] += m;
                b[r] += m * origin[c];
            }
        }
    }
    double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
                 a[2] * (a[3] * a[7] - a[4] * a[6]);
    if (fabs(det) < 1e-12) {
        center[0] = center[1] = center[2] = 0.0;
        return;
    }
    /* Cramer's rule. */
    for (int k = 0; k < 3; k++) {
        double m[9];
        memcpy(m, a, sizeof m);
        for (int r = 0; r < 3; r++) {
            m[r * 3 + k] = b[r];
        }
        center[k] = (m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6])) /
                    det;
    }
}

typedef struct grid {
    double origin[3]; /* centre of voxel (0, 0, 0) */
    double voxel;
    int size[3];
    uint8_t *occupied;
} grid;

static size_t grid_index(const grid *g, int x, int y, int z) {
    return ((size_t)z * (size_t)g->size[1] + (size_t)y) * (size_t)g->size[0] + (size_t)x;
}

/* Keeps the voxels no more than `allowed` views see outside their silhouettes. */
static void carve(grid *g, const ds_camera *cameras, uint8_t *const *masks, size_t views,
                  int allowed, int min_seen) {
    size_t total = (size_t)g->size[0] * (size_t)g->size[1] * (size_t)g->size[2];
#pragma omp parallel for schedule(dynamic, 4096)
    for (size_t v = 0; v < total; v++) {
        int x = (int)(v % (size_t)g->size[0]);
        int y = (int)(v / (size_t)g->size[0] % (size_t)g->size[1]);
        int z = (int)(v / ((size_t)g->size[0] * (size_t)g->size[1]));
        double world[3] = {g->origin[0] + x * g->voxel, g->origin[1] + y * g->voxel,
                           g->origin[2] + z * g->voxel};
        int misses = 0, seen = 0;
        for (size_t i = 0; i < views && misses <= allowed; i++) {
            double p[3];
            ds_camera_to_camera_space(&cameras[i], world, p);
            if (p[2] <= 0.0) {
                continue;
            }
            double u = cameras[i].fx * p[0] / p[2] + cameras[i].cx;
            double w = cameras[i].fy * p[1] / p[2] + cameras[i].cy;
            if (u < 0 || w < 0 || u >= cameras[i].width || w >= cameras[i].height) {
                continue; /* outside this view: it says nothing */
            }
            seen++;
            misses += !masks[i][(size_t)w * (size_t)cameras[i].width + (size_t)u];
        }
        g->occupied[v] = misses <= allowed && seen >= min_seen;
    }
}

static bool surface_voxel(const grid *g, int x, int y, int z) {
    const int offsets[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    for (int n = 0; n < 6; n++) {
        int xx = x + offsets[n][0], yy = y + offsets[n][1], zz = z + offsets[n][2];
        if (xx < 0 || yy < 0 || zz < 0 || xx >= g->size[0] || yy >= g->size[1] ||
            zz >= g->size[2] || !g->occupied[grid_index(g, xx, yy, zz)]) {
            return true;
        }
    }
    return false;
}

/* Outward normal from the occupancy of the 3x3x3 neighbourhood. */
static void surface_normal(const grid *g, int x, int y, int z, double normal[3]) {
    normal[0] = normal[1] = normal[2] = 0.0;
    for (int dz = -1; dz <= 1; dz++) {
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                int xx = x + dx, yy = y + dy, zz = z + dz;
                bool inside = xx >= 0 && yy >= 0 && zz >= 0 && xx < g->size[0] && yy < g->size[1] &&
                              zz < g->size[2] && g->occupied[grid_index(g, xx, yy, zz)];
                if (!inside) {
                    normal[0] += dx;
                    normal[1] += dy;
                    normal[2] += dz;
                }
            }
        }
    }
    double length = sqrt(normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]);
    for (int k = 0; k < 3; k++) {
        normal[k] = length > 0 ? normal[k] / length : 0.0;
    }
}

/* Mean colour of the views that face the point (its normal toward them), else of all views
 * that see it. */
static void point_colour(const double world[3], const double normal[3], const ds_camera *cameras,
                         const ds_image *images, uint8_t *const *masks, size_t views,
                         float rgb[3]) {
    double facing[3] = {0, 0, 0}, any[3] = {0, 0, 0};
    int facing_count = 0, any_count = 0;
    for (size_t i = 0; i < views; i++) {
        double p[3], center[3];
        ds_camera_to_camera_space(&cameras[i], world, p);
        if (p[2] <= 0.0) {
            continue;
        }
        int u = (int)(cameras[i].fx * p[0] / p[2] + cameras[i].cx);
        int v = (int)(cameras[i].fy * p[1] / p[2] + cameras[i].cy);
        if (u < 0 || v < 0 || u >= cameras[i].width || v >= cameras[i].height ||
            !masks[i][(size_t)v * (size_t)cameras[i].width + (size_t)u]) {
            continue;
        }
        const float *pixel = ds_image_pixel(&images[i], u, v);
        ds_camera_center(&cameras[i], center);
        double to_camera[3] = {center[0] - world[0], center[1] - world[1], center[2] - world[2]};
        double length = sqrt(to_camera[0] * to_camera[0] + to_camera[1] * to_camera[1] +
                             to_camera[2] * to_camera[2]);
        double cosine =
            (to_camera[0] * normal[0] + to_camera[1] * normal[1] + to_camera[2] * normal[2]) /
            length;
        for (int c = 0; c < 3; c++) {
            any[c] += pixel[c];
            if (cosine > 0.5) {
                facing[c] += pixel[c];
            }
        }
        any_count++;
        facing_count += cosine > 0.5;
    }
    for (int c = 0; c < 3; c++) {
        rgb[c] = facing_count ? (float)(facing[c] / facing_count)
                              : (any_count ? (float)(any[c] / any_count) : 0.5f);
    }
}

static ds_status carve_at(grid *g, const double low[3], const double high[3], int resolution,
                          const ds_camera *cameras, uint8_t *const *masks, size_t views,
                          const ds_visual_hull_settings *settings) {
    double longest = fmax(high[0] - low[0], fmax(high[1] - low[1], high[2] - low[2]));
    g->voxel = longest / resolution;
    for (int k = 0; k < 3; k++) {
        g->size[k] = (int)ceil((high[k] - low[k]) / g->voxel);
        g->size[k] = g->size[k] < 1 ? 1 : g->size[k];
        g->origin[k] = low[k] + 0.5 * g->voxel;
    }
    free(g->occupied);
    g->occupied = malloc((size_t)g->size[0] * (size_t)g->size[1] * (size_t)g->size[2]);
    if (!g->occupied) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the visual hull's voxel grid");
    }
    int min_seen = (int)ceil(settings->min_seen * (double)views);
    if (min_seen < settings->allowed_misses + 1) {
        min_seen = settings->allowed_misses + 1;
    }
    carve(g, cameras, masks, views, settings->allowed_misses, min_seen);
    return ds_ok();
}

/* The bounds of the occupied voxels, grown by two voxels; false when none is occupied. */
static bool occupied_bounds(const grid *g, double low[3], double high[3]) {
    int lo[3] = {g->size[0], g->size[1], g->size[2]}, hi[3] = {-1, -1, -1};
    for (int z = 0; z < g->size[2]; z++) {
        for (int y = 0; y < g->size[1]; y++) {
            for (int x = 0; x < g->size[0]; x++) {
                if (g->occupied[grid_index(g, x, y, z)]) {
                    const int c[3] = {x, y, z};
                    for (int k = 0; k < 3; k++) {
                        lo[k] = c[k] < lo[k] ? c[k] : lo[k];
                        hi[k] = c[k] > hi[k] ? c[k] : hi[k];
                    }
                }
            }
        }
    }
    if (hi[0] < 0) {
        return false;
    }
    for (int k = 0; k < 3; k++) {
        low[k] = g->origin[k] + (lo[k] - 2.5) * g->voxel;
        high[k] = g->origin[k] + (hi[k] + 2.5) * g->voxel;
    }
    return true;
}

ds_status ds_visual_hull(const ds_camera *cameras, const ds_image *images, size_t views,
                         const float background[3], const ds_visual_hull_settings *settings,
                         ds_gaussian_cloud **out, ds_visual_hull_report *report) {
    *out = NULL;
    *report = (ds_visual_hull_report){0};
    if (views < 2) {
        return ds_error(DS_ERR_ARGUMENT, "a visual hull needs at least two views");
    }
    uint8_t **masks = calloc(views, sizeof *masks);
    if (!masks) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate silhouettes");
    }
    ds_status status = ds_ok();
    for (size_t i = 0; i < views && !ds_failed(&status); i++) {
        int dilation = (int)lroundf(settings->dilation * (float)images[i].width);
        masks[i] = silhouette(&images[i], background, settings->threshold, dilation);
        if (!masks[i]) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate silhouettes");
        }
    }
    /* A first, coarse box: around the point all cameras aim at, as wide as the widest view. */
    double center[3];
    common_focus(cameras, views, center);
    double half = 0.0;
    for (size_t i = 0; i < views; i++) {
        double p[3];
        ds_camera_to_camera_space(&cameras[i], center, p);
        double distance = fabs(p[2]) > 1e-9 ? fabs(p[2]) : 1.0;
        double extent = distance * fmax(0.5 * cameras[i].width / cameras[i].fx,
                                        0.5 * cameras[i].height / cameras[i].fy);
        half = fmax(half, extent);
    }
    grid g = {0};
    double low[3], high[3];
    for (int k = 0; k < 3; k++) {
        low[k] = center[k] - half;
        high[k] = center[k] + half;
    }
    if (!ds_failed(&status)) {
        status = carve_at(&g, low, high, 64, cameras, masks, views, settings);
    }
    if (!ds_failed(&status) && !occupied_bounds(&g, low, high)) {
        status = ds_error(DS_ERR_FORMAT, "no volume is inside every silhouette (is the "
                                         "background uniform, and do the cameras share a view?)");
    }
    /* Then finely, inside the bounds of what survived. */
    if (!ds_failed(&status)) {
        status = carve_at(&g, low, high, settings->resolution, cameras, masks, views, settings);
    }
    ds_gaussian_cloud *cloud = NULL;
    if (!ds_failed(&status)) {
        size_t occupied = 0, surface = 0;
        size_t total = (size_t)g.size[0] * (size_t)g.size[1] * (size_t)g.size[2];
        uint8_t *is_surface = calloc(total, 1);
        if (!is_surface) {
            status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate the hull's surface");
        }
        for (int z = 0; z < g.size[2] && is_surface; z++) {
            for (int y = 0; y < g.size[1]; y++) {
                for (int x = 0; x < g.size[0]; x++) {
                    size_t v = grid_index(&g, x, y, z);
                    if (g.occupied[v]) {
                        occupied++;
                        is_surface[v] = surface_voxel(&g, x, y, z);
                        surface += is_surface[v];
                    }
                }
            }
        }
        if (is_surface && surface == 0) {
            status = ds_error(DS_ERR_FORMAT, "the visual hull is empty");
        }
        size_t count = surface < settings->max_points ? surface : settings->max_points;
        if (!ds_failed(&status)) {
            status = ds_gaussian_cloud_create(count, settings->sh_degree, &cloud);
        }
        if (!ds_failed(&status)) {
            /* Every k-th surface voxel, jittered inside its voxel. */
            uint64_t state = settings->seed ? settings->seed : 1;
            size_t taken = 0, seen = 0;
            size_t stride = ds_gaussian_cloud_sh_stride(cloud);
            float logit = ds_logit(settings->initial_opacity);
            for (size_t v = 0; v < total && taken < count; v++) {
                if (!is_surface[v]) {
                    continue;
                }
                if ((seen++ * count) / surface != taken) {
                    continue;
                }
                int x = (int)(v % (size_t)g.size[0]);
                int y = (int)(v / (size_t)g.size[0] % (size_t)g.size[1]);
                int z = (int)(v / ((size_t)g.size[0] * (size_t)g.size[1]));
                double world[3] = {g.origin[0] + x * g.voxel, g.origin[1] + y * g.voxel,
                                   g.origin[2] + z * g.voxel};
                for (int k = 0; k < 3; k++) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    double jitter = ((double)(state >> 11) / 9007199254740992.0 - 0.5) * g.voxel;
                    cloud->positions[taken * 3 + (size_t)k] = (float)(world[k] + jitter);
                    cloud->log_scales[taken * 3 + (size_t)k] = (float)log(g.voxel);
                }
                double normal[3];
                surface_normal(&g, x, y, z, normal);
                float rgb[3];
                point_colour(world, normal, cameras, images, masks, views, rgb);
                for (int c = 0; c < 3; c++) {
                    cloud->sh[taken * stride + (size_t)c] = (rgb[c] - 0.5f) / DS_SH_C0;
                }
                cloud->opacity_logits[taken] = logit;
                taken++;
            }
            cloud->count = taken;
        }
        free(is_surface);
        *report = (ds_visual_hull_report){
            .center = {0.5 * (low[0] + high[0]), 0.5 * (low[1] + high[1]),
                       0.5 * (low[2] + high[2])},
            .voxel_size = g.voxel,
            .occupied = occupied,
            .surface = surface,
        };
    }
    free(g.occupied);
    for (size_t i = 0; i < views; i++) {
        free(masks[i]);
    }
    free(masks);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(cloud);
        return status;
    }
    *out = cloud;
    return ds_ok();
}
