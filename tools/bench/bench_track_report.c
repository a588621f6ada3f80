/* bench_track_report: how well `dualsplat track` followed a synthetic capture. Per frame: the
 * held-out PSNR, its drop from frame 0, the mean distance between the tracked joint Gaussians
 * and where the true motion of the body part under them puts them, how far that part moved,
 * and the seconds of each stage. A table, JSON, and a PNG plot of PSNR and joint error.
 *
 * usage: bench_track_report TRACK_DIR BONES_JSON [--json OUT.json] [--plot OUT.png]
 */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"
#include "synth_truth.h"

#include "formats/dualgs_files.h"
#include "formats/file_io.h"
#include "formats/png.h"
#include "formats/splat_file.h"
#include "render/projection.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(ds_status status, const char *what) {
    if (ds_failed(&status)) {
        fprintf(stderr, "bench_track_report: %s: %s\n", what, status.message);
        exit(1);
    }
}

/* Reads a number from a frame's statistics file; NAN when absent. */
static double statistic(const char *directory, int frame, const char *key) {
    char path[4096];
    snprintf(path, sizeof path, "%s/frames/%06d.json", directory, frame);
    uint8_t *text;
    size_t size;
    ds_status status = ds_file_read_all(path, 1 << 16, &text, &size);
    if (ds_failed(&status)) {
        return NAN;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)text, size);
    free(text);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(root, key);
    double result = cJSON_IsNumber(value) ? value->valuedouble : NAN;
    cJSON_Delete(root);
    return result;
}

int main(int argc, char **argv) {
    const char *directory = NULL, *bones = NULL, *json_path = NULL, *plot_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json_path = argv[++i];
        } else if (strcmp(argv[i], "--plot") == 0 && i + 1 < argc) {
            plot_path = argv[++i];
        } else if (!directory) {
            directory = argv[i];
        } else {
            bones = argv[i];
        }
    }
    if (!directory || !bones) {
        fprintf(stderr, "usage: bench_track_report TRACK_DIR BONES_JSON [--json OUT] [--plot "
                        "OUT.png]\n");
        return 2;
    }
    ds_truth truth;
    check(ds_truth_load(bones, &truth), bones);
    char path[4096];
    snprintf(path, sizeof path, "%s/canonical_joints.ply", directory);
    ds_gaussian_cloud *joints;
    check(ds_splat_file_load(path, &joints, NULL), path);
    /* Joint Gaussians within 1.5% of the figure's size (3.5 cm on the synthetic figure) of a
     * part's surface are measured: farther ones cannot be told apart from neighbouring parts. */
    double size = ds_truth_figure_size(&truth);
    ds_truth_anchors anchors;
    check(ds_truth_anchor(&truth, joints->positions, joints->count, 0.015 * size, &anchors),
          "anchor");
    float *positions = malloc(joints->count * 3 * sizeof *positions);
    int capacity = truth.frame_count;
    double *frames = calloc((size_t)capacity, sizeof(double));
    double *psnr = calloc((size_t)capacity, sizeof(double));
    double *error = calloc((size_t)capacity, sizeof(double));
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "track", directory);
    cJSON_AddNumberToObject(root, "figure_size", size);
    cJSON_AddNumberToObject(root, "joints", (double)joints->count);
    cJSON_AddNumberToObject(root, "joints_measured", (double)anchors.anchored);
    cJSON *rows = cJSON_AddArrayToObject(root, "frames");
    printf("%5s %9s %9s %11s %11s %10s %10s\n", "frame", "PSNR dB", "drop dB", "error cm",
           "motion cm", "coarse s", "fine s");
    int count = 0;
    double first_psnr = NAN, worst_drop = 0, worst_error = 0, coarse_total = 0, fine_total = 0;
    int timed = 0;
    for (int f = 0; f < truth.frame_count; f++) {
        snprintf(path, sizeof path, "%s/frames/%06d.dsframe", directory, f);
        uint32_t number;
        ds_joint_transforms transforms;
        ds_gaussian_cloud *appearance;
        ds_status status = ds_frame_load(path, &number, &transforms, &appearance);
        if (ds_failed(&status)) {
            break; /* tracked up to here */
        }
        for (size_t j = 0; j < joints->count; j++) {
            float m[9];
            ds_quaternion_to_matrix(transforms.rotations + j * 4, m);
            const float *x0 = joints->positions + j * 3;
            for (int r = 0; r < 3; r++) {
                positions[j * 3 + (size_t)r] = m[r * 3] * x0[0] + m[r * 3 + 1] * x0[1] +
                                               m[r * 3 + 2] * x0[2] +
                                               transforms.translations[j * 3 + (size_t)r];
            }
        }
        ds_truth_error e = ds_truth_compare(&truth, &anchors, f, positions);
        double p = f == 0 ? NAN : statistic(directory, f, "held_out_psnr");
        double coarse = statistic(directory, f, "coarse_seconds");
        double fine = statistic(directory, f, "fine_seconds");
        frames[count] = f;
        psnr[count] = p;
        error[count] = e.mean * 100;
        count++;
        if (!isnan(coarse)) {
            coarse_total += coarse;
            fine_total += fine;
            timed++;
        }
        worst_error = fmax(worst_error, e.mean);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddNumberToObject(row, "frame", f);
        cJSON_AddNumberToObject(row, "held_out_psnr", isnan(p) ? 0 : p);
        cJSON_AddNumberToObject(row, "joint_error_m", e.mean);
        cJSON_AddNumberToObject(row, "joint_error_max_m", e.max);
        cJSON_AddNumberToObject(row, "true_motion_m", e.mean_motion);
        cJSON_AddNumberToObject(row, "coarse_seconds", isnan(coarse) ? 0 : coarse);
        cJSON_AddNumberToObject(row, "fine_seconds", isnan(fine) ? 0 : fine);
        cJSON_AddItemToArray(rows, row);
        ds_joint_transforms_free(&transforms);
        ds_gaussian_cloud_free(appearance);
    }
    /* Frame 0's PSNR: the held-out PSNR of the fit named in track.json. */
    snprintf(path, sizeof path, "%s/track.json", directory);
    uint8_t *text;
    size_t text_size;
    ds_status read = ds_file_read_all(path, 1 << 24, &text, &text_size);
    if (!ds_failed(&read)) {
        cJSON *manifest = cJSON_ParseWithLength((const char *)text, text_size);
        free(text);
        const cJSON *fit = cJSON_GetObjectItemCaseSensitive(manifest, "fit");
        if (cJSON_IsString(fit)) {
            snprintf(path, sizeof path, "%s/fit.json", fit->valuestring);
            read = ds_file_read_all(path, 1 << 16, &text, &text_size);
            if (!ds_failed(&read)) {
                cJSON *summary = cJSON_ParseWithLength((const char *)text, text_size);
                const cJSON *value = cJSON_GetObjectItemCaseSensitive(summary, "held_out_psnr");
                first_psnr = cJSON_IsNumber(value) ? value->valuedouble : NAN;
                cJSON_Delete(summary);
                free(text);
            }
        }
        cJSON_Delete(manifest);
    }
    if (count > 0) {
        psnr[0] = isnan(first_psnr) ? (count > 1 ? psnr[1] : 0) : first_psnr;
    }
    for (int i = 0; i < count; i++) {
        double drop = psnr[0] - psnr[i];
        worst_drop = fmax(worst_drop, drop);
        cJSON *row = cJSON_GetArrayItem(rows, i);
        cJSON_ReplaceItemInObject(row, "held_out_psnr", cJSON_CreateNumber(psnr[i]));
        cJSON_AddNumberToObject(row, "psnr_drop", drop);
        const cJSON *motion = cJSON_GetObjectItemCaseSensitive(row, "true_motion_m");
        const cJSON *coarse = cJSON_GetObjectItemCaseSensitive(row, "coarse_seconds");
        const cJSON *fine = cJSON_GetObjectItemCaseSensitive(row, "fine_seconds");
        printf("%5.0f %9.2f %9.2f %11.2f %11.1f %10.1f %10.1f\n", frames[i], psnr[i], drop,
               error[i], motion->valuedouble * 100, coarse->valuedouble, fine->valuedouble);
    }
    printf("\n%d frames; worst PSNR drop from frame 0: %.2f dB; worst mean joint error: %.2f cm "
           "(figure %.2f m, %zu of %zu joints measured); seconds per frame: coarse %.1f, fine "
           "%.1f\n",
           count, worst_drop, worst_error * 100, size, anchors.anchored, joints->count,
           timed ? coarse_total / timed : 0, timed ? fine_total / timed : 0);
    cJSON_AddNumberToObject(root, "frames_tracked", count);
    cJSON_AddNumberToObject(root, "worst_psnr_drop", worst_drop);
    cJSON_AddNumberToObject(root, "worst_joint_error_m", worst_error);
    cJSON_AddNumberToObject(root, "coarse_seconds_per_frame", timed ? coarse_total / timed : 0);
    cJSON_AddNumberToObject(root, "fine_seconds_per_frame", timed ? fine_total / timed : 0);
    if (json_path) {
        char *json = cJSON_Print(root);
        check(ds_file_write_atomic(json_path, json, strlen(json)), json_path);
        cJSON_free(json);
        printf("wrote %s\n", json_path);
    }
    if (plot_path && count > 1) {
        double low = psnr[0], high = psnr[0], error_high = 0;
        for (int i = 0; i < count; i++) {
            low = fmin(low, psnr[i]);
            high = fmax(high, psnr[i]);
            error_high = fmax(error_high, error[i]);
        }
        plot_series left = {"held-out PSNR (dB)", frames,         psnr,          count,
                            {0.1f, 0.3f, 0.8f},   floor(low - 1), ceil(high + 1)};
        plot_series right = {"joint error (cm)",
                             frames,
                             error,
                             count,
                             {0.85f, 0.2f, 0.1f},
                             0,
                             error_high > 0 ? error_high * 1.2 : 1};
        ds_image image;
        check(plot_draw(&left, &right, 800, 400, &image), "plot");
        check(ds_png_save(plot_path, &image), plot_path);
        ds_image_free(&image);
        printf("wrote %s\n", plot_path);
    }
    cJSON_Delete(root);
    free(frames);
    free(psnr);
    free(error);
    free(positions);
    ds_truth_anchors_free(&anchors);
    ds_gaussian_cloud_free(joints);
    ds_truth_free(&truth);
    return 0;
}
