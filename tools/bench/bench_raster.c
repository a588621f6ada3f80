/* bench_raster: forward and backward time per image of the CPU rasterizer for 10k, 100k and
 * 300k Gaussians of a real capture (biker.spz: subsampled, or doubled with jitter), at 480x270
 * and 960x540, with 1 and 2 threads; throughput in Gaussian-pixel evaluations per second.
 * Ratios compare 2 threads with 1 thread measured in the same run.
 *
 * With --capture, also the time per step of first-frame fitting on that capture's frame 0 at
 * 960 pixels wide (--fit-steps joint and as many skin steps).
 *
 * usage: bench_raster [--repeat N] [--json OUT.json] [--capture DIR [--fit-steps N]] SPLAT
 */
#define _POSIX_C_SOURCE 200809L
#include "encoder/first_frame_fit.h"
#include "encoder/raster_backward.h"
#include "formats/capture.h"
#include "formats/file_io.h"
#include "formats/splat_file.h"
#include "render/raster_frame.h"
#include "render/rasterizer.h"
#include "render/view.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare_doubles);
    return count % 2 ? values[count / 2] : 0.5 * (values[count / 2 - 1] + values[count / 2]);
}

static void check(ds_status status, const char *what) {
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_raster: %s: %s\n", what, status.message);
        exit(1);
    }
}

/* `count` Gaussians drawn from the source: every k-th one, or all of them plus jittered copies
 * (the same object, denser) when more are asked for than it has. */
static ds_gaussian_cloud *resample(const ds_gaussian_cloud *source, size_t count) {
    ds_gaussian_cloud *cloud;
    check(ds_gaussian_cloud_create(count, source->sh_degree, &cloud), "allocate");
    size_t stride = ds_gaussian_cloud_sh_stride(source);
    uint32_t state = 12345;
    for (size_t i = 0; i < count; i++) {
        size_t j = count <= source->count ? (size_t)((double)i * source->count / count)
                                          : i % source->count;
        bool copy = i >= source->count;
        for (int k = 0; k < 3; k++) {
            float jitter = 0.0f;
            if (copy) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                jitter = ((float)(state >> 8) / (float)(1u << 24) - 0.5f) * 2.0f *
                         expf(source->log_scales[j * 3 + k]);
            }
            cloud->positions[i * 3 + k] = source->positions[j * 3 + k] + jitter;
            cloud->log_scales[i * 3 + k] = source->log_scales[j * 3 + k];
        }
        memcpy(cloud->rotations + i * 4, source->rotations + j * 4, 4 * sizeof(float));
        cloud->opacity_logits[i] = source->opacity_logits[j];
        memcpy(cloud->sh + i * stride, source->sh + j * stride, stride * sizeof(float));
    }
    return cloud;
}

typedef struct timing {
    double forward_ms, backward_ms;
    double evaluations; /* Gaussian-pixel evaluations of one forward pass */
} timing;

/* Pixels times list entries up to each pixel's last contribution: what compositing evaluated. */
static double count_evaluations(const ds_rasterizer *r, int width, int height) {
    double total = 0;
    for (size_t p = 0; p < (size_t)width * (size_t)height; p++) {
        total += r->contributors[p];
    }
    return total;
}

static timing measure(const ds_gaussian_cloud *cloud, const ds_camera *camera, int threads,
                      int repeat) {
    omp_set_num_threads(threads);
    ds_rasterizer *rasterizer;
    ds_raster_backward *backward;
    check(ds_rasterizer_create(&rasterizer), "rasterizer");
    check(ds_raster_backward_create(&backward), "backward");
    ds_image image, gradient_image;
    check(ds_image_create(camera->width, camera->height, &image), "image");
    check(ds_image_create(camera->width, camera->height, &gradient_image), "image");
    for (size_t i = 0; i < (size_t)camera->width * camera->height * 3; i++) {
        gradient_image.pixels[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    }
    ds_gaussian_cloud *gradient;
    check(ds_gaussian_cloud_create(cloud->count, cloud->sh_degree, &gradient), "gradient");
    float *screen = malloc(cloud->count * 2 * sizeof *screen);
    ds_raster_settings settings = {.background = {1, 1, 1}, .sh_degree = -1};
    double forward[32], back[32];
    for (int r = -1; r < repeat; r++) { /* one warm-up run */
        double start = now_ms();
        check(ds_rasterize(rasterizer, cloud, camera, &settings, &image), "rasterize");
        double middle = now_ms();
        check(ds_rasterize_backward(backward, rasterizer, &gradient_image, gradient, screen),
              "backward");
        double end = now_ms();
        if (r >= 0) {
            forward[r] = middle - start;
            back[r] = end - middle;
        }
    }
    timing t = {median(forward, repeat), median(back, repeat),
                count_evaluations(rasterizer, camera->width, camera->height)};
    free(screen);
    ds_gaussian_cloud_free(gradient);
    ds_image_free(&image);
    ds_image_free(&gradient_image);
    ds_raster_backward_free(backward);
    ds_rasterizer_free(rasterizer);
    return t;
}

/* The training views of frame 0 at `max_width`. */
static void load_training_views(const ds_capture *capture, ds_camera **cameras, ds_image **images,
                                size_t *count) {
    *cameras = calloc(capture->view_count, sizeof **cameras);
    *images = calloc(capture->view_count, sizeof **images);
    *count = 0;
    for (size_t v = 0; v < capture->view_count; v++) {
        if (!capture->views[v].held_out) {
            check(ds_capture_load_image(capture, v, 0, &(*images)[*count]), "load image");
            (*cameras)[(*count)++] = capture->views[v].camera;
        }
    }
}

typedef struct fit_timing {
    int64_t steps;
    double first_step_time, last_step_time;
} fit_timing;

static bool time_steps(void *context, const ds_fit_progress *progress) {
    fit_timing *t = context;
    (void)progress;
    if (t->steps++ == 0) {
        t->first_step_time = now_ms();
    }
    t->last_step_time = now_ms();
    return true;
}

/* Milliseconds per fitting step (joint steps at half resolution, skin steps at full). */
static void bench_fit(const char *path, int64_t steps, cJSON *root) {
    ds_capture_options options = ds_capture_default_options();
    options.max_width = 960;
    ds_capture *skin_capture, *joint_capture;
    check(ds_capture_open(path, &options, &skin_capture), path);
    options.max_width = 480;
    check(ds_capture_open(path, &options, &joint_capture), path);
    ds_fit_views skin, joints;
    ds_camera *cameras[2];
    ds_image *images[2];
    load_training_views(skin_capture, &cameras[0], &images[0], &skin.count);
    load_training_views(joint_capture, &cameras[1], &images[1], &joints.count);
    skin.cameras = cameras[0];
    skin.images = images[0];
    joints.cameras = cameras[1];
    joints.images = images[1];
    ds_fit_settings settings = ds_fit_default_settings();
    settings.joint_iterations = steps;
    settings.skin_iterations = steps;
    fit_timing step_times = {0};
    ds_gaussian_cloud *joint_cloud, *skin_cloud;
    double start = now_ms();
    check(ds_fit_first_frame(&joints, &skin, &settings, time_steps, &step_times, &joint_cloud,
                             &skin_cloud),
          "fit");
    double total = now_ms() - start;
    double per_step =
        (step_times.last_step_time - step_times.first_step_time) / (double)(step_times.steps - 1);
    printf("\nfirst-frame fit, %s, %dx%d: %lld steps in %.1f s, %.1f ms per step "
           "(%zu skin Gaussians at the end)\n",
           path, skin.cameras[0].width, skin.cameras[0].height, (long long)step_times.steps,
           total / 1000, per_step, skin_cloud->count);
    cJSON *fit = cJSON_AddObjectToObject(root, "fit");
    cJSON_AddStringToObject(fit, "capture", path);
    cJSON_AddNumberToObject(fit, "width", skin.cameras[0].width);
    cJSON_AddNumberToObject(fit, "height", skin.cameras[0].height);
    cJSON_AddNumberToObject(fit, "steps", (double)step_times.steps);
    cJSON_AddNumberToObject(fit, "seconds", total / 1000);
    cJSON_AddNumberToObject(fit, "ms_per_step", per_step);
    cJSON_AddNumberToObject(fit, "skin_gaussians", (double)skin_cloud->count);
    ds_gaussian_cloud_free(joint_cloud);
    ds_gaussian_cloud_free(skin_cloud);
    for (int set = 0; set < 2; set++) {
        size_t n = set == 0 ? skin.count : joints.count;
        for (size_t i = 0; i < n; i++) {
            ds_image_free(&images[set][i]);
        }
        free(images[set]);
        free(cameras[set]);
    }
    ds_capture_free(skin_capture);
    ds_capture_free(joint_capture);
}

int main(int argc, char **argv) {
    int repeat = 5;
    int64_t fit_steps = 300;
    const char *json_path = NULL, *input = NULL, *capture = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
            repeat = repeat < 1 ? 1 : (repeat > 32 ? 32 : repeat);
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json_path = argv[++i];
        } else if (strcmp(argv[i], "--capture") == 0 && i + 1 < argc) {
            capture = argv[++i];
        } else if (strcmp(argv[i], "--fit-steps") == 0 && i + 1 < argc) {
            fit_steps = atoll(argv[++i]);
            fit_steps = fit_steps < 2 ? 2 : fit_steps;
        } else {
            input = argv[i];
        }
    }
    if (!input) {
        fprintf(stderr, "usage: bench_raster [--repeat N] [--json OUT] [--capture DIR "
                        "[--fit-steps N]] SPLAT\n");
        return 2;
    }
    ds_gaussian_cloud *source;
    check(ds_splat_file_load(input, &source, NULL), input);
    const size_t counts[] = {10000, 100000, 300000};
    const int sizes[][2] = {{480, 270}, {960, 540}};
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "input", input);
    cJSON_AddNumberToObject(root, "repeat", repeat);
    cJSON *rows = cJSON_AddArrayToObject(root, "results");
    printf("%9s %9s %7s %10s %11s %9s %14s\n", "gaussians", "size", "threads", "forward ms",
           "backward ms", "speedup", "Geval/s fwd");
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        ds_gaussian_cloud *cloud = resample(source, counts[c]);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            ds_camera camera;
            check(ds_camera_frame_cloud(cloud, NULL, NULL, ds_default_up, 50, sizes[s][0],
                                        sizes[s][1], &camera),
                  "camera");
            timing one = measure(cloud, &camera, 1, repeat);
            for (int threads = 1; threads <= 2; threads++) {
                timing t = threads == 1 ? one : measure(cloud, &camera, 2, repeat);
                double speedup =
                    (one.forward_ms + one.backward_ms) / (t.forward_ms + t.backward_ms);
                double rate = t.evaluations / (t.forward_ms * 1e-3) / 1e9;
                printf("%9zu %4dx%-4d %7d %10.2f %11.2f %9.2f %14.3f\n", counts[c], sizes[s][0],
                       sizes[s][1], threads, t.forward_ms, t.backward_ms, speedup, rate);
                cJSON *row = cJSON_CreateObject();
                cJSON_AddNumberToObject(row, "gaussians", (double)counts[c]);
                cJSON_AddNumberToObject(row, "width", sizes[s][0]);
                cJSON_AddNumberToObject(row, "height", sizes[s][1]);
                cJSON_AddNumberToObject(row, "threads", threads);
                cJSON_AddNumberToObject(row, "forward_ms", t.forward_ms);
                cJSON_AddNumberToObject(row, "backward_ms", t.backward_ms);
                cJSON_AddNumberToObject(row, "speedup_vs_1_thread", speedup);
                cJSON_AddNumberToObject(row, "gaussian_pixel_evaluations", t.evaluations);
                cJSON_AddNumberToObject(row, "forward_evaluations_per_second", rate * 1e9);
                cJSON_AddItemToArray(rows, row);
            }
        }
        ds_gaussian_cloud_free(cloud);
    }
    if (capture) {
        omp_set_num_threads(omp_get_num_procs());
        bench_fit(capture, fit_steps, root);
    }
    if (json_path) {
        char *text = cJSON_Print(root);
        check(ds_file_write_atomic(json_path, text, strlen(text)), json_path);
        cJSON_free(text);
        printf("\nwrote %s\n", json_path);
    }
    cJSON_Delete(root);
    ds_gaussian_cloud_free(source);
    return 0;
}
