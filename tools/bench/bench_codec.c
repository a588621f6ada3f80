/* Benchmark of the .dsv codec: packs a sequence (tracking output, .ply folder or static splat)
 * at each quality preset, decodes every frame, and reports size per layer, bits per Gaussian per
 * frame, render PSNR of the decoded stream against the uncompressed state, encode and decode
 * time per frame — and, for comparison, the same frames as raw .ply, zstd-compressed .ply and
 * per-frame .spz. Prints a table, writes JSON. */
#include "encoder/image_metrics.h"
#include "formats/dsv_reader.h"
#include "formats/ply.h"
#include "formats/spz.h"
#include "render/rasterizer.h"
#include "render/stream_frame.h"
#include "render/view.h"
#include "tools/cli.h"
#include "tools/pack_sources.h"
#include "tools/progress.h"
#include "tools/stream_report.h"

#include <cjson/cJSON.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

typedef struct bench_options {
    const char *input, *out_dir, *json, *presets;
    int views, frame_step, width, height;
    const char *codec;
} bench_options;

static void usage(void) {
    fprintf(stderr,
            "usage: bench_codec INPUT --out-dir DIR [--presets low,default,high]\n"
            "       [--codec NAME] [--views N] [--frame-step N] [--size WxH] [--json FILE]\n"
            "       bench_codec --decode STREAM.dsv   (decoding time alone)\n");
}

static bool parse(int argc, char **argv, bench_options *o) {
    *o = (bench_options){
        .presets = "low,default,high", .views = 4, .frame_step = 5, .width = 480, .height = 360};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out-dir") == 0 && v) {
            o->out_dir = v, i++;
        } else if (strcmp(a, "--presets") == 0 && v) {
            o->presets = v, i++;
        } else if (strcmp(a, "--codec") == 0 && v) {
            o->codec = v, i++;
        } else if (strcmp(a, "--json") == 0 && v) {
            o->json = v, i++;
        } else if (strcmp(a, "--views") == 0 && v) {
            o->views = atoi(v), i++;
        } else if (strcmp(a, "--frame-step") == 0 && v) {
            o->frame_step = atoi(v), i++;
        } else if (strcmp(a, "--size") == 0 && v) {
            if (!cli_parse_size(v, &o->width, &o->height)) {
                return false;
            }
            i++;
        } else if (a[0] != '-' && !o->input) {
            o->input = a;
        } else {
            return false;
        }
    }
    return o->input && o->out_dir && o->views > 0 && o->frame_step > 0;
}

/* ---- the uncompressed state ---- */

static ds_status truth_frame(ds_sequence *sequence, uint32_t f, ds_sequence_frame *frame) {
    ds_status status = sequence->load(sequence->context, f, frame);
    if (!ds_failed(&status) && !frame->has_positions) {
        status = ds_stream_skin(sequence->canonical, &frame->transforms, frame->skin->positions,
                                frame->skin->rotations);
    }
    return status;
}

/* Cameras on a ring around the first frame, level with its centre. */
static ds_status ring_cameras(const ds_gaussian_cloud *cloud, const bench_options *o,
                              ds_camera *cameras) {
    for (int v = 0; v < o->views; v++) {
        double angle = 2.0 * 3.14159265358979 * v / o->views;
        double direction[3] = {sin(angle), 0.0, cos(angle)};
        ds_status status = ds_camera_frame_cloud(cloud, NULL, direction, ds_default_up, 40.0,
                                                 o->width, o->height, &cameras[v]);
        if (ds_failed(&status)) {
            return status;
        }
    }
    return ds_ok();
}

typedef struct renderer {
    ds_rasterizer *rasterizer;
    ds_image truth, decoded;
} renderer;

static double frame_psnr(renderer *r, const ds_gaussian_cloud *truth,
                         const ds_gaussian_cloud *decoded, const ds_camera *cameras, int views) {
    double sum = 0;
    ds_raster_settings settings = {{1, 1, 1}, -1, truth->antialiased};
    for (int v = 0; v < views; v++) {
        double psnr = 0;
        if (ds_rasterize(r->rasterizer, truth, &cameras[v], &settings, &r->truth).code != DS_OK ||
            ds_rasterize(r->rasterizer, decoded, &cameras[v], &settings, &r->decoded).code !=
                DS_OK ||
            ds_image_psnr(&r->truth, &r->decoded, &psnr).code != DS_OK) {
            return NAN;
        }
        sum += fmin(psnr, 99.0);
    }
    return sum / views;
}

/* ---- one preset ---- */

typedef struct preset_result {
    char name[32];
    double bytes_per_frame, bits_per_gaussian, layers[DS_DSV_KINDS], init_per_frame;
    double psnr_mean, psnr_min, encode_ms, decode_ms, segment_ms, frame_ms, skin_ms;
    double corrected;
} preset_result;

static ds_status run_preset(ds_sequence *sequence, const char *name, const bench_options *o,
                            const ds_camera *cameras, renderer *r, preset_result *result) {
    memset(result, 0, sizeof *result);
    snprintf(result->name, sizeof result->name, "%s", name);
    ds_pack_settings settings;
    ds_status status = ds_pack_preset(name, &settings);
    if (!ds_failed(&status) && o->codec && strcmp(name, "lossless") != 0) {
        ds_map_codec codec;
        status = ds_map_codec_parse(o->codec, &codec);
        settings.opacity_map.codec = settings.scale_map.codec = codec;
    }
    if (ds_failed(&status)) {
        return status;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.dsv", o->out_dir, name);
    ds_pack_report report;
    status = ds_pack_stream(sequence, &settings, path, NULL, NULL, &report);
    if (ds_failed(&status)) {
        return status;
    }
    uint32_t frames = sequence->frame_count;
    size_t n = sequence->canonical->skin_count;
    result->bytes_per_frame = (double)report.file_bytes / frames;
    result->bits_per_gaussian = result->bytes_per_frame * 8.0 / (double)n;
    result->init_per_frame = (double)report.init_bytes / frames;
    for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
        result->layers[kind] = (double)report.layer_bytes[kind] / frames;
    }
    result->encode_ms = report.seconds * 1000.0 / frames;
    result->corrected = (double)report.corrections / ((double)n * frames);

    ds_dsv *dsv;
    status = ds_dsv_open_file(path, &dsv);
    if (ds_failed(&status)) {
        return status;
    }
    ds_gaussian_cloud *decoded = NULL;
    ds_dsv_frame frame = {0};
    ds_sequence_frame truth = {0};
    status = ds_stream_cloud_create(dsv, &decoded);
    if (!ds_failed(&status)) {
        status = ds_dsv_frame_create(dsv, &frame);
    }
    if (!ds_failed(&status)) {
        status = ds_joint_transforms_create(sequence->canonical->joint_count, &truth.transforms);
    }
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create(n, sequence->canonical->sh_degree, &truth.skin);
    }
    result->psnr_min = INFINITY;
    int measured = 0;
    for (uint32_t s = 0; s < dsv->header.segment_count && !ds_failed(&status); s++) {
        ds_dsv_segment segment;
        double start = cli_seconds();
        status = ds_dsv_read_segment(dsv, s, &segment);
        result->segment_ms += (cli_seconds() - start) * 1000.0;
        for (uint32_t t = 0; t < segment.frames && !ds_failed(&status); t++) {
            start = cli_seconds();
            status = ds_dsv_frame_decode(dsv, &segment, t, &frame);
            double middle = cli_seconds();
            if (!ds_failed(&status)) {
                status = ds_stream_frame_cloud(dsv, &segment, &frame, decoded);
            }
            double end = cli_seconds();
            result->frame_ms += (middle - start) * 1000.0;
            result->skin_ms += (end - middle) * 1000.0;
            uint32_t f = segment.first_frame + t;
            if (!ds_failed(&status) && (f % (uint32_t)o->frame_step == 0 || f + 1 == frames)) {
                status = truth_frame(sequence, f, &truth);
                double psnr = ds_failed(&status)
                                  ? NAN
                                  : frame_psnr(r, truth.skin, decoded, cameras, o->views);
                result->psnr_mean += psnr;
                result->psnr_min = fmin(result->psnr_min, psnr);
                measured++;
            }
        }
        if (!ds_failed(&status)) {
            ds_dsv_segment_free(&segment);
        }
    }
    result->psnr_mean /= measured ? measured : 1;
    result->segment_ms /= frames;
    result->frame_ms /= frames;
    result->skin_ms /= frames;
    result->decode_ms = result->segment_ms + result->frame_ms;
    ds_joint_transforms_free(&truth.transforms);
    ds_gaussian_cloud_free(truth.skin);
    ds_dsv_frame_free(&frame);
    ds_gaussian_cloud_free(decoded);
    ds_dsv_close(dsv);
    return status;
}

/* ---- the baselines: the same frames as files of the static formats ---- */

typedef struct baselines {
    double ply, ply_zstd, spz;
} baselines;

static ds_status measure_baselines(ds_sequence *sequence, const bench_options *o, baselines *b) {
    memset(b, 0, sizeof *b);
    ds_sequence_frame frame = {0};
    ds_status status =
        ds_joint_transforms_create(sequence->canonical->joint_count, &frame.transforms);
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create(sequence->canonical->skin_count,
                                          sequence->canonical->sh_degree, &frame.skin);
    }
    int measured = 0;
    for (uint32_t f = 0; f < sequence->frame_count && !ds_failed(&status);
         f += (uint32_t)o->frame_step) {
        status = truth_frame(sequence, f, &frame);
        ds_byte_buffer ply = {0}, spz = {0};
        if (!ds_failed(&status)) {
            status = ds_ply_encode(frame.skin, DS_PLY_BINARY_LITTLE_ENDIAN, &ply);
        }
        if (!ds_failed(&status)) {
            ds_spz_write_options options = {0};
            options.version = 3;
            status = ds_spz_encode(frame.skin, &options, &spz);
        }
        if (!ds_failed(&status)) {
            size_t bound = ZSTD_compressBound(ply.size);
            void *packed = malloc(bound);
            size_t size = packed ? ZSTD_compress(packed, bound, ply.data, ply.size, 3) : 0;
            free(packed);
            b->ply += (double)ply.size;
            b->ply_zstd += ZSTD_isError(size) ? NAN : (double)size;
            b->spz += (double)spz.size;
            measured++;
        }
        ds_byte_buffer_free(&ply);
        ds_byte_buffer_free(&spz);
    }
    if (measured) {
        b->ply /= measured, b->ply_zstd /= measured, b->spz /= measured;
    }
    ds_joint_transforms_free(&frame.transforms);
    ds_gaussian_cloud_free(frame.skin);
    return status;
}

/* ---- report ---- */

static void print_table(const preset_result *results, int count, const baselines *b, size_t n,
                        uint32_t frames) {
    printf("%u frames of %zu skin Gaussians\n\n", frames, n);
    printf("%-9s %10s %8s %9s %9s %9s %9s %8s %8s %9s %9s %9s\n", "preset", "KB/frame", "bits/G",
           "motion", "op+scale", "colour", "correct", "PSNR", "min", "enc ms", "dec ms", "skin ms");
    for (int i = 0; i < count; i++) {
        const preset_result *r = &results[i];
        printf("%-9s %10.1f %8.2f %9.1f %9.1f %9.1f %9.1f %8.2f %8.2f %9.0f %9.2f %9.2f\n", r->name,
               r->bytes_per_frame / 1000, r->bits_per_gaussian, r->layers[0] / 1000,
               r->layers[1] / 1000, r->layers[2] / 1000, r->layers[3] / 1000, r->psnr_mean,
               r->psnr_min, r->encode_ms, r->decode_ms, r->skin_ms);
    }
    printf("\n(layer columns in KB per frame; init block amortised into KB/frame and bits/G)\n");
    printf("%-22s %10s %8s %10s\n", "per-frame baselines", "KB/frame", "bits/G", "ratio");
    const struct {
        const char *name;
        double bytes;
    } rows[] = {{"raw .ply", b->ply}, {".ply + zstd -3", b->ply_zstd}, {".spz v3", b->spz}};
    for (size_t k = 0; k < 3; k++) {
        printf("%-22s %10.1f %8.2f %9.1fx\n", rows[k].name, rows[k].bytes / 1000,
               rows[k].bytes * 8 / (double)n,
               count ? rows[k].bytes / results[count > 1 ? 1 : 0].bytes_per_frame : 0.0);
    }
    printf("(ratio: how many times the default preset's stream is smaller)\n");
}

static void write_json(const char *path, const preset_result *results, int count,
                       const baselines *b, size_t n, uint32_t frames) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "frames", frames);
    cJSON_AddNumberToObject(root, "skin_gaussians", (double)n);
    cJSON *presets = cJSON_AddArrayToObject(root, "presets");
    for (int i = 0; i < count; i++) {
        const preset_result *r = &results[i];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "preset", r->name);
        cJSON_AddNumberToObject(p, "bytes_per_frame", r->bytes_per_frame);
        cJSON_AddNumberToObject(p, "bits_per_gaussian_per_frame", r->bits_per_gaussian);
        cJSON_AddNumberToObject(p, "init_bytes_per_frame", r->init_per_frame);
        cJSON_AddNumberToObject(p, "motion_bytes_per_frame", r->layers[0]);
        cJSON_AddNumberToObject(p, "opacity_scale_bytes_per_frame", r->layers[1]);
        cJSON_AddNumberToObject(p, "colour_bytes_per_frame", r->layers[2]);
        cJSON_AddNumberToObject(p, "corrections_bytes_per_frame", r->layers[3]);
        cJSON_AddNumberToObject(p, "corrected_fraction", r->corrected);
        cJSON_AddNumberToObject(p, "psnr_mean", r->psnr_mean);
        cJSON_AddNumberToObject(p, "psnr_min", r->psnr_min);
        cJSON_AddNumberToObject(p, "encode_ms_per_frame", r->encode_ms);
        cJSON_AddNumberToObject(p, "decode_ms_per_frame", r->decode_ms);
        cJSON_AddNumberToObject(p, "segment_decode_ms_per_frame", r->segment_ms);
        cJSON_AddNumberToObject(p, "frame_decode_ms", r->frame_ms);
        cJSON_AddNumberToObject(p, "cpu_skinning_ms", r->skin_ms);
        cJSON_AddItemToArray(presets, p);
    }
    cJSON *base = cJSON_AddObjectToObject(root, "baselines_bytes_per_frame");
    cJSON_AddNumberToObject(base, "ply", b->ply);
    cJSON_AddNumberToObject(base, "ply_zstd", b->ply_zstd);
    cJSON_AddNumberToObject(base, "spz_v3", b->spz);
    char *text = cJSON_Print(root);
    FILE *file = fopen(path, "w");
    if (file && text) {
        fprintf(file, "%s\n", text);
    }
    if (file) {
        fclose(file);
    }
    free(text);
    cJSON_Delete(root);
}

/* Decoding alone, of a stream at hand: segment decode and frame decode per frame. */
static int time_decoding(const char *path) {
    ds_dsv *dsv;
    ds_status status = ds_dsv_open_file(path, &dsv);
    ds_dsv_frame frame = {0};
    if (!ds_failed(&status)) {
        status = ds_dsv_frame_create(dsv, &frame);
    }
    double segment_seconds = 0, frame_seconds = 0;
    for (uint32_t s = 0; !ds_failed(&status) && s < dsv->header.segment_count; s++) {
        ds_dsv_segment segment;
        double start = cli_seconds();
        status = ds_dsv_read_segment(dsv, s, &segment);
        segment_seconds += cli_seconds() - start;
        for (uint32_t t = 0; !ds_failed(&status) && t < segment.frames; t++) {
            start = cli_seconds();
            status = ds_dsv_frame_decode(dsv, &segment, t, &frame);
            frame_seconds += cli_seconds() - start;
        }
        if (!ds_failed(&status)) {
            ds_dsv_segment_free(&segment);
        }
    }
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_codec: %s: %s\n", path, status.message);
    } else {
        uint32_t frames = dsv->header.frame_count;
        printf("%s: %u frames of %zu Gaussians: segments %.2f ms per frame, frames %.2f ms, "
               "decode %.2f ms per frame\n",
               path, frames, dsv->canonical.skin_count, segment_seconds * 1000 / frames,
               frame_seconds * 1000 / frames, (segment_seconds + frame_seconds) * 1000 / frames);
    }
    ds_dsv_frame_free(&frame);
    ds_dsv_close(dsv);
    return ds_failed(&status) ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--decode") == 0) {
        /* A player keeps its segment buffers; keeping freed memory in the heap gives the same
         * steady state (no page faults for every segment's fresh buffers). */
        if (getenv("DS_BENCH_COLD") == NULL) {
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
        return time_decoding(argv[2]);
    }
    bench_options o;
    if (!parse(argc, argv, &o)) {
        usage();
        return 2;
    }
    pack_source *source;
    ds_status status = pack_source_open(o.input, NULL, NULL, NULL, &source);
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_codec: %s: %s\n", o.input, status.message);
        return 1;
    }
    ds_sequence *sequence = pack_source_sequence(source);
    size_t n = sequence->canonical->skin_count;
    renderer r = {0};
    ds_camera *cameras = calloc((size_t)o.views, sizeof *cameras);
    ds_sequence_frame first = {0};
    status = ds_rasterizer_create(&r.rasterizer);
    if (!ds_failed(&status)) {
        status = ds_image_create(o.width, o.height, &r.truth);
    }
    if (!ds_failed(&status)) {
        status = ds_image_create(o.width, o.height, &r.decoded);
    }
    if (!ds_failed(&status)) {
        status = ds_joint_transforms_create(sequence->canonical->joint_count, &first.transforms);
    }
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create(n, sequence->canonical->sh_degree, &first.skin);
    }
    if (!ds_failed(&status)) {
        status = truth_frame(sequence, 0, &first);
    }
    if (!ds_failed(&status)) {
        status = ring_cameras(first.skin, &o, cameras);
    }
    baselines b = {0};
    if (!ds_failed(&status)) {
        status = measure_baselines(sequence, &o, &b);
    }
    preset_result results[8];
    int count = 0;
    char presets[256];
    snprintf(presets, sizeof presets, "%s", o.presets);
    for (char *name = strtok(presets, ","); name && count < 8 && !ds_failed(&status);
         name = strtok(NULL, ",")) {
        fprintf(stderr, "packing and decoding preset %s...\n", name);
        status = run_preset(sequence, name, &o, cameras, &r, &results[count]);
        count += !ds_failed(&status);
    }
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_codec: %s\n", status.message);
    } else {
        print_table(results, count, &b, n, sequence->frame_count);
        if (o.json) {
            write_json(o.json, results, count, &b, n, sequence->frame_count);
        }
    }
    ds_joint_transforms_free(&first.transforms);
    ds_gaussian_cloud_free(first.skin);
    ds_image_free(&r.truth);
    ds_image_free(&r.decoded);
    ds_rasterizer_free(r.rasterizer);
    free(cameras);
    pack_source_free(source);
    return ds_failed(&status) ? 1 : 0;
}
