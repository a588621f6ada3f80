/* Initial Gaussians for fitting a person captured on a plain background: the visual hull, the
 * volume every camera sees inside the person's silhouette, carved from a voxel grid; its surface
 * voxels become Gaussians coloured from the views that face them. */
#ifndef DS_ENCODER_VISUAL_HULL_H
#define DS_ENCODER_VISUAL_HULL_H

#include "formats/camera.h"
#include "formats/gaussian_cloud.h"
#include "formats/image.h"

#include <stdint.h>

typedef struct ds_visual_hull_settings {
    int resolution;        /* voxels along the longest side of the final grid */
    float threshold;       /* a pixel is the subject when a channel differs from the background
                              by more than this */
    float dilation;        /* grow silhouettes by this fraction of the image width
                              (calibration slack: 0.0025 is 2 pixels at 960 wide) */
    int allowed_misses;    /* views that may see a voxel outside the silhouette and keep it */
    float min_seen;        /* fraction of the views that must see a voxel at all: space near
                              one camera, which the others cannot judge, is not the subject */
    size_t max_points;     /* surface voxels kept, chosen evenly */
    float initial_opacity; /* 0.1, as 3DGS initialises */
    int sh_degree;         /* of the cloud made */
    uint64_t seed;
} ds_visual_hull_settings;

ds_visual_hull_settings ds_visual_hull_default_settings(void);

typedef struct ds_visual_hull_report {
    double center[3], voxel_size;
    size_t occupied, surface;
} ds_visual_hull_report;

/* Carves the hull from the views (cameras and images at the same size, composited over
 * `background`) and returns Gaussians on its surface. Fails with a clear message when nothing
 * survives (no silhouettes, or cameras that do not look at a common region). */
ds_status ds_visual_hull(const ds_camera *cameras, const ds_image *images, size_t view_count,
                         const float background[3], const ds_visual_hull_settings *settings,
                         ds_gaussian_cloud **cloud, ds_visual_hull_report *report);

#endif
