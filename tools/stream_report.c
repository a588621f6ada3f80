#include "stream_report.h"

#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static const char *const layer_names[DS_DSV_KINDS] = {"joint motion", "opacity/scale", "colour",
                                                      "corrections", "sound"};
static const char *const layer_keys[DS_DSV_KINDS] = {"motion", "opacity_scale", "colour",
                                                     "corrections", "audio"};

/* "s" unless there is exactly one. */
static const char *plural(uint64_t count) {
    return count == 1 ? "" : "s";
}

double stream_report_ply_bytes(size_t count, int sh_degree) {
    /* x y z, nx ny nz, 3 (degree + 1)^2 SH, opacity, 3 scales, 4 rotation: float32 each. */
    int floats = 3 + 3 + 3 * (sh_degree + 1) * (sh_degree + 1) + 1 + 3 + 4;
    return (double)count * floats * 4.0;
}

typedef struct stream_costs {
    uint32_t frames;
    size_t gaussians;
    int sh_degree;
    double file_bytes, init_bytes, layers[DS_DSV_KINDS];
} stream_costs;

static void print_costs(FILE *out, const stream_costs *c) {
    double per_frame = c->file_bytes / c->frames;
    char text[32];
    cli_format_bytes(per_frame, text, sizeof text);
    fprintf(out, "  per frame        %s (%.2f bits per Gaussian, all included)\n", text,
            per_frame * 8.0 / (double)c->gaussians);
    cli_format_bytes(c->init_bytes, text, sizeof text);
    fprintf(out, "  init block       %s once (%.2f bits per Gaussian per frame)\n", text,
            c->init_bytes * 8.0 / (double)c->gaussians / c->frames);
    for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
        if ((kind == DS_DSV_CORRECTIONS || kind == DS_DSV_AUDIO) && c->layers[kind] == 0) {
            continue;
        }
        cli_format_bytes(c->layers[kind] / c->frames, text, sizeof text);
        fprintf(out, "  %-16s %s per frame (%.2f bits per Gaussian)\n", layer_names[kind], text,
                c->layers[kind] * 8.0 / (double)c->gaussians / c->frames);
    }
    double ply = stream_report_ply_bytes(c->gaussians, c->sh_degree);
    cli_format_bytes(ply, text, sizeof text);
    fprintf(out, "  raw .ply frames  %s each: %.1fx smaller\n", text, ply / per_frame);
}

void stream_report_print_pack(FILE *out, const char *path, const ds_sequence *sequence,
                              const ds_pack_report *report) {
    stream_costs costs = {sequence->frame_count,          sequence->canonical->skin_count,
                          sequence->canonical->sh_degree, (double)report->file_bytes,
                          (double)report->init_bytes,     {0}};
    for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
        costs.layers[kind] = (double)report->layer_bytes[kind];
    }
    char gaussians[32], total[32];
    cli_format_count(costs.gaussians, gaussians, sizeof gaussians);
    cli_format_bytes(costs.file_bytes, total, sizeof total);
    size_t joints = sequence->canonical->joint_count;
    fprintf(out,
            "%s: %u frame%s of %s skin Gaussians on %zu joint%s, %s in %.1f s (%.2f s per "
            "frame)\n",
            path, costs.frames, plural(costs.frames), gaussians, joints, plural(joints), total,
            report->seconds, report->seconds / costs.frames);
    print_costs(out, &costs);
    if (report->corrections) {
        fprintf(out, "  corrected        %.2f%% of Gaussian-frames\n",
                100.0 * (double)report->corrections / ((double)costs.gaussians * costs.frames));
    }
}

bool stream_report_print_probe(FILE *out, const char *path, ds_dsv *dsv, bool json) {
    const ds_dsv_header *h = &dsv->header;
    const ds_dsv_canonical *c = &dsv->canonical;
    stream_costs costs = {h->frame_count,           c->skin_count,        c->sh_degree,
                          (double)dsv->source.size, (double)h->init_size, {0}};
    uint32_t missing = 0, first_missing = 0;
    char why[DS_STATUS_MESSAGE_SIZE] = "";
    for (uint32_t s = 0; s < h->segment_count; s++) {
        uint64_t sizes[DS_DSV_KINDS];
        ds_status status = ds_dsv_segment_layer_sizes(dsv, s, sizes);
        if (ds_failed(&status)) {
            if (!missing++) {
                first_missing = s;
                snprintf(why, sizeof why, "%s", status.message);
            }
            continue;
        }
        for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
            costs.layers[kind] += (double)sizes[kind];
        }
    }
    double fps = (double)h->fps_numerator / h->fps_denominator;
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "file", path);
        cJSON_AddStringToObject(root, "format", "dsv");
        cJSON_AddNumberToObject(root, "version_major", h->version_major);
        cJSON_AddNumberToObject(root, "version_minor", h->version_minor);
        cJSON_AddNumberToObject(root, "frames", h->frame_count);
        cJSON_AddNumberToObject(root, "fps", fps);
        cJSON_AddNumberToObject(root, "segments", h->segment_count);
        cJSON_AddNumberToObject(root, "segment_frames", h->segment_frames);
        cJSON_AddNumberToObject(root, "skin_gaussians", (double)c->skin_count);
        cJSON_AddNumberToObject(root, "joints", (double)c->joint_count);
        cJSON_AddNumberToObject(root, "sh_degree", c->sh_degree);
        cJSON_AddStringToObject(root, "up", ds_dsv_up_axis_name(h->up_axis));
        if (h->audio_codec != DS_AUDIO_NONE) {
            cJSON *audio = cJSON_AddObjectToObject(root, "audio");
            cJSON_AddStringToObject(audio, "codec", ds_audio_codec_name(h->audio_codec));
            cJSON_AddNumberToObject(audio, "channels", h->audio_channels);
            cJSON_AddNumberToObject(audio, "sample_rate", h->audio_sample_rate);
            cJSON_AddNumberToObject(audio, "bits_per_second",
                                    costs.layers[DS_DSV_AUDIO] * 8.0 / (h->frame_count / fps));
        }
        cJSON_AddNumberToObject(root, "bytes", costs.file_bytes);
        cJSON_AddNumberToObject(root, "init_bytes", costs.init_bytes);
        cJSON_AddNumberToObject(root, "bytes_per_frame", costs.file_bytes / h->frame_count);
        cJSON_AddNumberToObject(root, "bits_per_gaussian_per_frame",
                                costs.file_bytes * 8.0 / (double)c->skin_count / h->frame_count);
        cJSON *layers = cJSON_AddObjectToObject(root, "layer_bytes_per_frame");
        for (int kind = 0; kind < DS_DSV_KINDS; kind++) {
            cJSON_AddNumberToObject(layers, layer_keys[kind], costs.layers[kind] / h->frame_count);
        }
        cJSON_AddNumberToObject(root, "ratio_to_ply",
                                stream_report_ply_bytes(c->skin_count, c->sh_degree) /
                                    (costs.file_bytes / h->frame_count));
        cJSON_AddNumberToObject(root, "missing_segments", missing);
        char *text = cJSON_Print(root);
        if (text) {
            fprintf(out, "%s\n", text);
        }
        free(text);
        cJSON_Delete(root);
    } else {
        char gaussians[32], total[32];
        cli_format_count(c->skin_count, gaussians, sizeof gaussians);
        cli_format_bytes(costs.file_bytes, total, sizeof total);
        fprintf(out, "%s: dualsplat .dsv stream, version %u.%u, %s\n", path, h->version_major,
                h->version_minor, total);
        fprintf(out, "  frames           %u at %.3g fps (%.2f s), %u segment%s of %u\n",
                h->frame_count, fps, h->frame_count / fps, h->segment_count,
                plural(h->segment_count), h->segment_frames);
        char joint_text[32];
        cli_format_count(c->joint_count, joint_text, sizeof joint_text);
        fprintf(out, "  skin Gaussians   %s, SH degree %d, on %s joint%s (K = %d)\n", gaussians,
                c->sh_degree, joint_text, plural(c->joint_count), c->binding.k);
        fprintf(out, "  up axis          %s\n",
                h->up_axis == DS_DSV_UP_UNSPECIFIED ? "unspecified (-y)"
                                                    : ds_dsv_up_axis_name(h->up_axis));
        if (h->audio_codec != DS_AUDIO_NONE) {
            fprintf(out, "  sound            %s, %s, %u Hz, %.0f kbit/s\n",
                    ds_audio_codec_name(h->audio_codec), h->audio_channels == 1 ? "mono" : "stereo",
                    h->audio_sample_rate,
                    costs.layers[DS_DSV_AUDIO] * 8.0 / (h->frame_count / fps) / 1000);
        } else {
            fprintf(out, "  sound            none\n");
        }
        print_costs(out, &costs);
    }
    if (missing) {
        cli_warning("%s: %u of %u segments cannot be read, from segment %u: %s", path, missing,
                    h->segment_count, first_missing, why);
    }
    return missing == 0;
}
