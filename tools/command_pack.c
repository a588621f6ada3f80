/* dualsplat pack: a tracking output, a .ply sequence or a static splat into a .dsv stream. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "commands.h"
#include "interrupt.h"
#include "pack_sources.h"
#include "progress.h"
#include "stream_report.h"

#include "encoder/audio_track.h"
#include "formats/dsv_manifest.h"
#include "formats/dsv_reader.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: dualsplat pack INPUT -o OUT.dsv [options]\n"
    "       dualsplat pack RANGE_DIR... -o OUT.dsv [options]\n"
    "\n"
    "Compresses a volumetric video into a .dsv stream (docs/dsv-format.md). INPUT is one of:\n"
    "  - a `dualsplat track` output folder (binding.dsbind, frames/NNNNNN.dsframe);\n"
    "  - a folder of per-frame INRIA .ply files point_cloud_<n>.ply (or its ckt/ subfolder),\n"
    "    with the same Gaussians in the same order in every frame, as the DualGS trainer writes\n"
    "    them: joints and a binding are derived by skinning decomposition, and Gaussians that\n"
    "    skinning misses by more than the preset's error bound get corrections;\n"
    "  - one static .ply, .spz or .splat, as a one-frame stream.\n"
    "Several track outputs of independent frame ranges (track --frames A:B, one folder per\n"
    "range, as cluster jobs write them: docs/cluster.md) are joined into one stream; pack\n"
    "refuses ranges from different fits, ranges that overlap and frames no range holds.\n"
    "The stream is written atomically: an interrupted pack leaves no OUT.dsv.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       the stream to write (required)\n"
    "  --quality PRESET        low, default, high or lossless (default: default)\n"
    "  --renditions LIST       several qualities for adaptive streaming, e.g. low,default,high:\n"
    "                          -o names a manifest (OUT.json) and each rendition is written\n"
    "                          beside it as OUT-<preset>.dsv, with the same segments and init\n"
    "                          block, so players switch between them at segment boundaries\n"
    "  --segment-frames N      frames per segment, the unit of seeking (default 50)\n"
    "  --fps N[/D]             frame rate (default 30)\n"
    "  --codec NAME            codec of the opacity/scale maps: hevc, h264, av1, ffv1, png\n"
    "                          (default: the preset's, h264; lossless: ffv1)\n"
    "  --map-quality Q         1..100, higher is better; 0 is lossless (ffv1, png)\n"
    "  --codebook N            colour codebook entries per SH order (default 8192)\n"
    "  --joints N              joints derived for a .ply sequence (default: Gaussians / 12)\n"
    "  --up AXIS               the world axis that is up: +x, -x, +y, -y, +z or -z, stored\n"
    "                          so players stand the subject upright (default: unspecified,\n"
    "                          which players take as -y, the axes of COLMAP-trained splats)\n"
    "  --audio FILE            the performance's sound: any file libavformat reads (WAV, FLAC,\n"
    "                          MP3, a video with sound), resampled to 48 kHz and stored in\n"
    "                          every segment, so it streams and seeks with the picture\n"
    "  --audio-offset SECONDS  where frame 0 is in the sound file (default 0): 2.5 skips its\n"
    "                          first 2.5 s; -1 puts a second of silence before it\n"
    "  --audio-codec NAME      opus (default), aac or flac (lossless)\n"
    "  --audio-bitrate KBPS    bit rate of opus or aac (default: opus 96, aac 128)\n"
    "  -q, --quiet             no progress bar\n"
    "  -h, --help              show this help\n";

typedef struct pack_options {
    const char *input, *output, *quality, *codec, *renditions;
    char *const *inputs; /* all the inputs: several tracked ranges */
    int input_count;
    long segment_frames, fps_numerator, fps_denominator, map_quality, codebook, joints;
    ds_dsv_up_axis up;
    const char *audio;
    ds_audio_settings audio_settings;
    bool quiet;
} pack_options;

static bool parse_fps(const char *text, long *numerator, long *denominator) {
    char copy[64];
    snprintf(copy, sizeof copy, "%s", text);
    char *slash = strchr(copy, '/');
    *denominator = 1;
    if (slash) {
        *slash = '\0';
        if (!cli_parse_int(slash + 1, 1, 1000000, denominator)) {
            return false;
        }
    }
    return cli_parse_int(copy, 1, 1000000, numerator);
}

static int parse(int argc, char **argv, pack_options *o) {
    enum {
        SEGMENT = 256,
        FPS,
        CODEC,
        MAP_QUALITY,
        CODEBOOK,
        JOINTS,
        QUALITY,
        UP,
        RENDITIONS,
        AUDIO,
        AUDIO_OFFSET,
        AUDIO_CODEC,
        AUDIO_BITRATE,
    };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"quality", required_argument, NULL, QUALITY},
        {"segment-frames", required_argument, NULL, SEGMENT},
        {"fps", required_argument, NULL, FPS},
        {"codec", required_argument, NULL, CODEC},
        {"map-quality", required_argument, NULL, MAP_QUALITY},
        {"codebook", required_argument, NULL, CODEBOOK},
        {"joints", required_argument, NULL, JOINTS},
        {"up", required_argument, NULL, UP},
        {"renditions", required_argument, NULL, RENDITIONS},
        {"audio", required_argument, NULL, AUDIO},
        {"audio-offset", required_argument, NULL, AUDIO_OFFSET},
        {"audio-codec", required_argument, NULL, AUDIO_CODEC},
        {"audio-bitrate", required_argument, NULL, AUDIO_BITRATE},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (pack_options){.quality = "default",
                        .segment_frames = 50,
                        .fps_numerator = 30,
                        .fps_denominator = 1,
                        .map_quality = -1,
                        .codebook = -1,
                        .joints = -1};
    optind = 0;
    int c;
    while ((c = cli_next_option("pack", argc, argv, "o:qh", options)) != -1) {
        switch (c) {
        case 'o':
            o->output = optarg;
            break;
        case RENDITIONS:
            o->renditions = optarg;
            break;
        case UP:
            if (!ds_dsv_up_axis_parse(optarg, &o->up) || o->up == DS_DSV_UP_UNSPECIFIED) {
                return cli_usage_error("pack", "--up needs +x, -x, +y, -y, +z or -z, not '%s'",
                                       optarg);
            }
            break;
        case QUALITY:
            o->quality = optarg;
            break;
        case SEGMENT:
            if (!cli_parse_int(optarg, 1, 10000, &o->segment_frames)) {
                return cli_usage_error("pack", "--segment-frames needs 1..10000, not '%s'", optarg);
            }
            break;
        case FPS:
            if (!parse_fps(optarg, &o->fps_numerator, &o->fps_denominator)) {
                return cli_usage_error("pack", "--fps needs N or N/D, not '%s'", optarg);
            }
            break;
        case CODEC:
            o->codec = optarg;
            break;
        case MAP_QUALITY:
            if (!cli_parse_int(optarg, 0, 100, &o->map_quality)) {
                return cli_usage_error("pack", "--map-quality needs 0..100, not '%s'", optarg);
            }
            break;
        case CODEBOOK:
            if (!cli_parse_int(optarg, 1, 65536, &o->codebook)) {
                return cli_usage_error("pack", "--codebook needs 1..65536, not '%s'", optarg);
            }
            break;
        case JOINTS:
            if (!cli_parse_int(optarg, 1, 1 << 20, &o->joints)) {
                return cli_usage_error("pack", "--joints needs 1..1048576, not '%s'", optarg);
            }
            break;
        case AUDIO:
            o->audio = optarg;
            break;
        case AUDIO_OFFSET:
            if (!cli_parse_numbers(optarg, 1, &o->audio_settings.offset_seconds) ||
                fabs(o->audio_settings.offset_seconds) > 3600) {
                return cli_usage_error(
                    "pack", "--audio-offset needs seconds in -3600..3600, not '%s'", optarg);
            }
            break;
        case AUDIO_CODEC:
            if (!ds_audio_codec_parse(optarg, &o->audio_settings.codec)) {
                return cli_usage_error("pack", "--audio-codec needs opus, aac or flac, not '%s'",
                                       optarg);
            }
            break;
        case AUDIO_BITRATE: {
            long kbps;
            if (!cli_parse_int(optarg, 6, 512, &kbps)) {
                return cli_usage_error("pack", "--audio-bitrate needs 6..512 kbit/s, not '%s'",
                                       optarg);
            }
            o->audio_settings.bitrate = (int)kbps * 1000;
            break;
        }
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        return cli_usage_error("pack", "no input given");
    }
    o->input = argv[optind];
    o->inputs = argv + optind;
    o->input_count = argc - optind;
    if (o->renditions && o->output &&
        (strlen(o->output) < 6 || strcmp(o->output + strlen(o->output) - 5, ".json") != 0)) {
        return cli_usage_error("pack", "with --renditions, -o names the manifest: OUT.json");
    }
    if (!o->output) {
        return cli_usage_error("pack", "no output given (-o OUT.dsv)");
    }
    if (!o->audio && (o->audio_settings.offset_seconds != 0 || o->audio_settings.codec ||
                      o->audio_settings.bitrate)) {
        return cli_usage_error("pack", "--audio-offset, --audio-codec and --audio-bitrate need "
                                       "--audio FILE");
    }
    return CLI_EXIT_OK;
}

static int settings_from(const pack_options *o, ds_pack_settings *s) {
    ds_status status = ds_pack_preset(o->quality, s);
    if (ds_failed(&status)) {
        return cli_usage_error("pack", "%s", status.message);
    }
    s->segment_frames = (uint32_t)o->segment_frames;
    if (o->codec) {
        ds_map_codec codec;
        status = ds_map_codec_parse(o->codec, &codec);
        if (ds_failed(&status)) {
            return cli_usage_error("pack", "%s", status.message);
        }
        s->opacity_map.codec = s->scale_map.codec = codec;
        bool lossless_only = codec == DS_MAP_CODEC_FFV1 || codec == DS_MAP_CODEC_PNG;
        if (lossless_only) {
            s->opacity_map.quality = s->scale_map.quality = 0;
        }
    }
    if (o->map_quality >= 0) {
        s->opacity_map.quality = s->scale_map.quality = (int)o->map_quality;
    }
    if (o->codebook > 0) {
        s->colour.entries = (uint32_t)o->codebook;
    }
    if (!ds_map_codec_available(&s->opacity_map)) {
        return cli_usage_error("pack", "this build's libavcodec cannot code %s maps at %d bits%s",
                               ds_map_codec_name(s->opacity_map.codec), s->opacity_map.bit_depth,
                               s->opacity_map.quality == 0 ? " losslessly" : "");
    }
    return CLI_EXIT_OK;
}

/* Ctrl-C stops between steps, so the partial file is removed rather than left behind. */
typedef struct pack_progress {
    cli_progress bar;
} pack_progress;

static bool source_progress(void *context, const char *phase, double fraction) {
    pack_progress *p = context;
    cli_progress_update(&p->bar, phase, fraction, "", false);
    return !cli_interrupt_requested();
}

static bool frames_progress(void *context, const char *phase, double done, uint32_t total) {
    pack_progress *p = context;
    char detail[96];
    snprintf(detail, sizeof detail, "frame %u/%u, %s", (unsigned)done, total, phase);
    cli_progress_update(&p->bar, "packing", done / total, detail, false);
    return !cli_interrupt_requested();
}

/* Each preset of --renditions as OUT-<preset>.dsv beside the manifest OUT.json. The init block
 * must be the same in all (players keep one canonical skin), so every rendition stores the
 * binding's weights at 16 bits. */
static int pack_renditions(pack_options *o, ds_sequence *sequence, pack_progress *progress) {
    size_t stem = strlen(o->output) - strlen(".json");
    const char *slash = strrchr(o->output, '/');
    const char *base = slash ? slash + 1 : o->output;
    ds_dsv_manifest manifest = {.frames = sequence->frame_count,
                                .fps = (double)o->fps_numerator / (double)o->fps_denominator,
                                .segment_frames = (uint32_t)o->segment_frames};
    ds_dsv_rendition renditions[DS_DSV_MANIFEST_MAX_RENDITIONS];
    char names[DS_DSV_MANIFEST_MAX_RENDITIONS][32], uris[DS_DSV_MANIFEST_MAX_RENDITIONS][512];
    char list[256];
    snprintf(list, sizeof list, "%s", o->renditions);
    uint32_t init_crc = 0;
    int result = CLI_EXIT_OK;
    for (char *name = strtok(list, ","); name && result == CLI_EXIT_OK; name = strtok(NULL, ",")) {
        if (manifest.count == DS_DSV_MANIFEST_MAX_RENDITIONS) {
            return cli_usage_error("pack", "at most %d renditions", DS_DSV_MANIFEST_MAX_RENDITIONS);
        }
        pack_options one = *o;
        one.quality = name;
        ds_pack_settings settings;
        result = settings_from(&one, &settings);
        if (result != CLI_EXIT_OK) {
            break;
        }
        settings.weight_bits = 16;
        char path[4096];
        snprintf(path, sizeof path, "%.*s-%s.dsv", (int)stem, o->output, name);
        ds_pack_report report;
        ds_status status =
            ds_pack_stream(sequence, &settings, path, frames_progress, progress, &report);
        ds_dsv *dsv = NULL;
        if (!ds_failed(&status)) {
            status = ds_dsv_open_file(path, &dsv);
        }
        if (ds_failed(&status)) {
            result = cli_fail(status.code == DS_ERR_INTERRUPTED ? "pack" : path, &status);
            break;
        }
        if (manifest.count > 0 && dsv->header.init_crc != init_crc) {
            cli_error(path, "its init block differs from the other renditions'");
            result = CLI_EXIT_FAILURE;
        }
        init_crc = dsv->header.init_crc;
        double seconds = manifest.frames / manifest.fps;
        snprintf(names[manifest.count], sizeof names[0], "%s", name);
        snprintf(uris[manifest.count], sizeof uris[0], "%.*s-%s.dsv", (int)(strlen(base) - 5), base,
                 name);
        renditions[manifest.count] = (ds_dsv_rendition){names[manifest.count], uris[manifest.count],
                                                        (double)report.file_bytes * 8 / seconds};
        manifest.count++;
        ds_dsv_close(dsv);
        cli_progress_finish(&progress->bar);
        if (!o->quiet) {
            printf("%s: %s, %.0f kbit/s\n", path, name,
                   renditions[manifest.count - 1].bits_per_second / 1000);
        }
    }
    if (result != CLI_EXIT_OK) {
        return result;
    }
    manifest.renditions = renditions;
    ds_status status = ds_dsv_manifest_save(o->output, &manifest);
    if (ds_failed(&status)) {
        return cli_fail(o->output, &status);
    }
    if (!o->quiet) {
        printf("%s: %zu renditions of %u frames in segments of %u\n", o->output, manifest.count,
               manifest.frames, manifest.segment_frames);
    }
    return CLI_EXIT_OK;
}

/* What became of the sound, and whether its length matches the picture's. */
static void report_sound(const ds_audio_track *audio, const ds_sequence *sequence) {
    double fps = (double)sequence->fps_numerator / sequence->fps_denominator;
    double picture = sequence->frame_count / fps,
           sound = (double)audio->samples / audio->sample_rate;
    uint64_t bytes = 0;
    for (uint32_t p = 0; p < audio->packet_count; p++) {
        bytes += audio->packets[p].size;
    }
    fprintf(stderr, "pack: sound: %s, %s, %u Hz, %.2f s, %.1f kbit/s\n",
            ds_audio_codec_name(audio->codec), audio->channels == 1 ? "mono" : "stereo",
            audio->sample_rate, sound, sound > 0 ? (double)bytes * 8 / sound / 1000 : 0.0);
    if (sound > picture + 1.0 / fps) {
        fprintf(stderr, "pack: the sound runs %.2f s past the last frame; that part is left out\n",
                sound - picture);
    }
}

int command_pack(int argc, char **argv) {
    pack_options o;
    int code = parse(argc, argv, &o);
    if (code != CLI_EXIT_OK) {
        return code < 0 ? CLI_EXIT_OK : code;
    }
    ds_pack_settings settings;
    code = settings_from(&o, &settings);
    if (code != CLI_EXIT_OK) {
        return code;
    }
    /* The sound first: a file that cannot be read should not wait for the frames. */
    ds_audio_track audio = {0};
    if (o.audio) {
        ds_status status = ds_audio_track_encode_file(o.audio, &o.audio_settings, &audio);
        if (ds_failed(&status)) {
            return cli_fail("pack", &status);
        }
    }
    pack_progress progress;
    cli_progress_start(&progress.bar, o.quiet);
    cli_interrupt interrupt;
    cli_interrupt_catch(&interrupt);
    ds_decomposition_settings decomposition, *chosen = NULL;
    if (o.joints > 0) {
        ds_decomposition_settings_default(1, &decomposition);
        decomposition.joints = (size_t)o.joints;
        chosen = &decomposition;
    }
    pack_source *source;
    ds_status status = o.input_count > 1
                           ? pack_source_open_ranges(o.inputs, o.input_count, &source)
                           : pack_source_open(o.input, chosen, source_progress, &progress, &source);
    if (ds_failed(&status)) {
        cli_progress_finish(&progress.bar);
        cli_interrupt_release(&interrupt);
        ds_audio_track_free(&audio);
        return cli_fail(status.code == DS_ERR_INTERRUPTED ? "pack" : o.input, &status);
    }
    ds_sequence *sequence = pack_source_sequence(source);
    sequence->fps_numerator = (uint32_t)o.fps_numerator;
    sequence->fps_denominator = (uint32_t)o.fps_denominator;
    sequence->up_axis = o.up;
    sequence->audio = o.audio ? &audio : NULL;
    if (o.audio && !o.quiet) {
        report_sound(&audio, sequence);
    }
    if (o.renditions) {
        code = pack_renditions(&o, sequence, &progress);
        cli_progress_finish(&progress.bar);
        cli_interrupt_release(&interrupt);
        pack_source_free(source);
        ds_audio_track_free(&audio);
        return code;
    }
    ds_pack_report report;
    status = ds_pack_stream(sequence, &settings, o.output, frames_progress, &progress, &report);
    cli_progress_finish(&progress.bar);
    cli_interrupt_release(&interrupt);
    ds_audio_track_free(&audio);
    sequence->audio = NULL;
    if (ds_failed(&status)) {
        pack_source_free(source);
        return cli_fail(status.code == DS_ERR_INTERRUPTED ? "pack" : o.output, &status);
    }
    stream_report_print_pack(stdout, o.output, sequence, &report);
    pack_source_free(source);
    return CLI_EXIT_OK;
}
