/* Benchmark of playback on this machine's OpenGL (llvmpipe without a GPU): for each stream, per
 * frame decode and upload ms (the pipeline's threads), GPU ms of skinning + projection, sort and
 * draw (timer queries), and frames per second of the whole loop at the given size; then the GPU
 * radix sort against a CPU sort (qsort) of the same keys, measured in the same run. Also makes
 * the benchmark's clouds (--make-cloud). Prints a table, writes JSON.
 *
 * usage: bench_player [--size WxH] [--frames N] [--json OUT] STREAM.dsv...
 *        bench_player --make-cloud IN COUNT OUT.ply   (IN replicated with jitter, or thinned) */
#define _POSIX_C_SOURCE 200809L
#include "formats/file_io.h"
#include "formats/splat_file.h"
#include "player/frame_pipeline.h"
#include "player/gl_context.h"
#include "player/media.h"
#include "player/monotonic_time.h"
#include "render/camera_path.h"
#include "render/gl_renderer.h"
#include "render/gl_sort.h"
#include "render/view.h"

#include <GL/glew.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SLOTS = 4 };

static void check(ds_status status, const char *what) {
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_player: %s: %s\n", what, status.message);
        exit(1);
    }
}

static uint64_t random_state = 0x9E3779B97F4A7C15ull;
static double uniform(void) {
    random_state = random_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(random_state >> 11) / 9007199254740992.0;
}

/* Copies of IN side by side until COUNT, each shifted a little, or every k-th Gaussian. */
static int make_cloud(const char *in, long count, const char *out) {
    ds_gaussian_cloud *source, *cloud;
    check(ds_splat_file_load(in, &source, NULL), in);
    check(ds_gaussian_cloud_create((size_t)count, source->sh_degree, &cloud), "cloud");
    cloud->antialiased = source->antialiased;
    double step = (double)source->count / (double)count;
    for (size_t i = 0; i < (size_t)count; i++) {
        size_t from = step >= 1 ? (size_t)(i * step) : i % source->count;
        ds_gaussian_cloud_copy_one(cloud, i, source, from);
        if (step < 1 && i >= source->count) {
            /* A copy: jittered by a fraction of a typical Gaussian so it is not a duplicate. */
            for (int k = 0; k < 3; k++) {
                cloud->positions[i * 3 + (size_t)k] += (float)((uniform() - 0.5) * 0.01);
            }
        }
    }
    check(ds_splat_file_save(out, cloud, NULL), out);
    printf("%s: %ld Gaussians from %s\n", out, count, in);
    ds_gaussian_cloud_free(source);
    ds_gaussian_cloud_free(cloud);
    return 0;
}

typedef struct playback_result {
    size_t splats;
    uint64_t frames;
    double decode_ms, upload_ms, segment_ms, preprocess_ms, sort_ms, draw_ms, fps;
} playback_result;

/* Plays every frame in order (looping) along an orbit, one draw per frame into the renderer's
 * image, waiting for the GPU each frame so the timer queries and the fps are of that frame. */
static playback_result play(const char *path, int width, int height, uint64_t frames) {
    ds_media *media;
    check(ds_media_open(path, &media), path);
    ds_gl_scene scene = ds_media_scene(media);
    ds_gl_renderer *renderer;
    check(ds_gl_renderer_create(&scene, SLOTS, &renderer), "renderer");
    float *slots[SLOTS];
    for (int i = 0; i < SLOTS; i++) {
        slots[i] = ds_gl_renderer_slot(renderer, i);
    }
    ds_frame_pipeline *pipeline;
    check(ds_frame_pipeline_create(media, ds_gl_renderer_layout(renderer), slots, SLOTS, &pipeline),
          "pipeline");
    ds_gaussian_cloud *first;
    check(ds_media_frame_cloud(media, 0, &first), "frame 0");
    ds_camera framing;
    double target[3], up[3];
    ds_media_up(media, up);
    check(ds_camera_frame_cloud(first, NULL, NULL, up, 50, width, height, &framing), "framing");
    check(ds_camera_framing_target(first, target), "target");
    ds_camera_path orbit;
    double seconds = (double)frames / ds_media_fps(media);
    check(ds_camera_path_orbit(&framing, target, up, seconds, 1.0, &orbit), "orbit");

    playback_result r = {.splats = scene.count, .frames = frames};
    ds_frame_pipeline_seek(pipeline, 0, true);
    ds_gl_draw_options options = {.background = {0, 0, 0}};
    double sums[3] = {0, 0, 0}, start = 0;
    uint64_t measured = 0;
    for (uint64_t t = 0; t < frames; t++) {
        if (t == 1) {
            start = ds_monotonic_seconds() *
                    1e3; /* frame 0 includes start-up: shader compilation, first segment */
        }
        int slot;
        uint64_t shown;
        ds_gl_frame_info info;
        if (!ds_frame_pipeline_take(pipeline, t, true, &slot, &shown, &info)) {
            fprintf(stderr, "bench_player: %s: frame %llu lost\n", path, (unsigned long long)t);
            exit(1);
        }
        ds_camera camera;
        check(ds_camera_path_evaluate(&orbit, (double)t / ds_media_fps(media), width, height,
                                      &camera),
              "camera");
        check(ds_gl_renderer_draw(renderer, slot, &info, &camera, &options), "draw");
        ds_gl_renderer_finish_timings(renderer);
        ds_gl_renderer_slot_idle(renderer, slot, true);
        ds_frame_pipeline_release(pipeline, slot);
        if (t >= 1) {
            ds_gl_timings g = ds_gl_renderer_timings(renderer);
            sums[0] += g.preprocess_ms;
            sums[1] += g.sort_ms;
            sums[2] += g.draw_ms;
            measured++;
        }
    }
    double elapsed = ds_monotonic_seconds() * 1e3 - start;
    ds_frame_pipeline_stats stats = ds_frame_pipeline_stats_get(pipeline);
    r.decode_ms = stats.frame_decode_ms;
    r.upload_ms = stats.upload_ms;
    r.segment_ms = stats.segment_decode_ms;
    r.preprocess_ms = sums[0] / (double)measured;
    r.sort_ms = sums[1] / (double)measured;
    r.draw_ms = sums[2] / (double)measured;
    r.fps = (double)measured / (elapsed * 1e-3);
    ds_camera_path_free(&orbit);
    ds_gaussian_cloud_free(first);
    ds_frame_pipeline_free(pipeline);
    ds_gl_renderer_free(renderer);
    ds_media_free(media);
    return r;
}

static int compare_keys(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of 5 runs: one slow run (another process waking) does not move it. */
static double median5(double runs[5]) {
    qsort(runs, 5, sizeof(double), compare_doubles);
    return runs[2];
}

typedef struct sort_result {
    size_t keys;
    double gpu_ms, cpu_ms;
} sort_result;

/* The GPU sort of n random keys (timer query, median of 5) against qsort of the same (key, value)
 * pairs packed into 64 bits (median of 5). */
static sort_result sort_bench(size_t n) {
    ds_gl_sort sort;
    check(ds_gl_sort_create(n, &sort), "sort");
    uint32_t *keys = malloc(n * 4), *values = malloc(n * 4);
    uint64_t *pairs = malloc(n * 8), *copy = malloc(n * 8);
    for (size_t i = 0; i < n; i++) {
        keys[i] = (uint32_t)(uniform() * 4294967295.0);
        values[i] = (uint32_t)i;
        pairs[i] = (uint64_t)keys[i] << 32 | i;
    }
    GLuint command, query;
    const GLuint draw[4] = {4, (GLuint)n, 0, 0};
    glCreateBuffers(1, &command);
    glNamedBufferStorage(command, sizeof draw, draw, 0);
    glCreateQueries(GL_TIME_ELAPSED, 1, &query);
    double gpu[5], cpu[5];
    for (int r = 0; r < 5; r++) {
        glNamedBufferSubData(sort.keys[0], 0, (GLsizeiptr)(n * 4), keys);
        glNamedBufferSubData(sort.values[0], 0, (GLsizeiptr)(n * 4), values);
        glFinish();
        glBeginQuery(GL_TIME_ELAPSED, query);
        ds_gl_sort_run(&sort, command);
        glEndQuery(GL_TIME_ELAPSED);
        GLuint64 elapsed;
        glGetQueryObjectui64v(query, GL_QUERY_RESULT, &elapsed);
        gpu[r] = (double)elapsed * 1e-6;
        memcpy(copy, pairs, n * 8);
        double start = ds_monotonic_seconds() * 1e3;
        qsort(copy, n, 8, compare_keys);
        cpu[r] = ds_monotonic_seconds() * 1e3 - start;
    }
    glDeleteQueries(1, &query);
    glDeleteBuffers(1, &command);
    ds_gl_sort_free(&sort);
    free(keys);
    free(values);
    free(pairs);
    free(copy);
    return (sort_result){n, median5(gpu), median5(cpu)};
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--make-cloud") == 0) {
        return make_cloud(argv[2], atol(argv[3]), argv[4]);
    }
    int width = 1280, height = 720;
    uint64_t frames = 48;
    const char *json_path = NULL;
    const char *streams[16];
    int stream_count = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%d", &width, &height) != 2) {
                fprintf(stderr, "bench_player: --size needs WxH\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            frames = (uint64_t)atol(argv[++i]);
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json_path = argv[++i];
        } else if (argv[i][0] != '-' && stream_count < 16) {
            streams[stream_count++] = argv[i];
        } else {
            fprintf(stderr, "usage: bench_player [--size WxH] [--frames N] [--json OUT] "
                            "STREAM.dsv...\n       bench_player --make-cloud IN COUNT OUT.ply\n");
            return 2;
        }
    }
    if (stream_count == 0 || frames < 2) {
        fprintf(stderr, "bench_player: give streams to play (and --frames of at least 2)\n");
        return 2;
    }
    ds_gl_context context;
    ds_gl_context_options options = {.title = "bench_player", .width = 64, .height = 64};
    check(ds_gl_context_create(&options, &context), "OpenGL");
    printf("renderer: %s, %s; %dx%d, %llu frames each (the first, start-up, not counted)\n",
           (const char *)glGetString(GL_RENDERER), (const char *)glGetString(GL_VERSION), width,
           height, (unsigned long long)frames);
    printf("\n%9s %10s %10s %11s %14s %8s %8s %7s\n", "splats", "decode ms", "upload ms",
           "segment ms", "skin+proj ms", "sort ms", "draw ms", "fps");
    cJSON *root = cJSON_CreateObject(), *rows = cJSON_AddArrayToObject(root, "playback");
    cJSON_AddStringToObject(root, "renderer", (const char *)glGetString(GL_RENDERER));
    cJSON_AddNumberToObject(root, "width", width);
    cJSON_AddNumberToObject(root, "height", height);
    for (int s = 0; s < stream_count; s++) {
        playback_result r = play(streams[s], width, height, frames);
        printf("%9zu %10.2f %10.2f %11.1f %14.2f %8.2f %8.2f %7.2f\n", r.splats, r.decode_ms,
               r.upload_ms, r.segment_ms, r.preprocess_ms, r.sort_ms, r.draw_ms, r.fps);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "stream", streams[s]);
        cJSON_AddNumberToObject(row, "splats", (double)r.splats);
        cJSON_AddNumberToObject(row, "decode_ms", r.decode_ms);
        cJSON_AddNumberToObject(row, "upload_ms", r.upload_ms);
        cJSON_AddNumberToObject(row, "segment_ms", r.segment_ms);
        cJSON_AddNumberToObject(row, "gpu_skin_project_ms", r.preprocess_ms);
        cJSON_AddNumberToObject(row, "gpu_sort_ms", r.sort_ms);
        cJSON_AddNumberToObject(row, "gpu_draw_ms", r.draw_ms);
        cJSON_AddNumberToObject(row, "fps", r.fps);
        cJSON_AddItemToArray(rows, row);
    }
    printf("\n%9s %12s %12s %10s\n", "keys", "GPU sort ms", "qsort ms", "CPU / GPU");
    cJSON *sorts = cJSON_AddArrayToObject(root, "sort");
    const size_t counts[] = {50000, 180000, 500000};
    for (int c = 0; c < 3; c++) {
        sort_result r = sort_bench(counts[c]);
        printf("%9zu %12.2f %12.2f %10.2f\n", r.keys, r.gpu_ms, r.cpu_ms, r.cpu_ms / r.gpu_ms);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "keys", (double)r.keys);
        cJSON_AddNumberToObject(row, "gpu_ms", r.gpu_ms);
        cJSON_AddNumberToObject(row, "qsort_ms", r.cpu_ms);
        cJSON_AddNumberToObject(row, "qsort_over_gpu", r.cpu_ms / r.gpu_ms);
        cJSON_AddItemToArray(sorts, row);
    }
    if (json_path) {
        char *text = cJSON_Print(root);
        check(ds_file_write_atomic(json_path, text, strlen(text)), json_path);
        free(text);
        printf("\nwrote %s\n", json_path);
    }
    cJSON_Delete(root);
    ds_gl_context_destroy(&context);
    return 0;
}
