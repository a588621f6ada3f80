/* dualsplat convert: a static splat from one format to another. */
#include "cli.h"
#include "commands.h"

#include "formats/file_io.h"
#include "formats/splat_file.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: dualsplat convert [options] IN OUT\n"
    "\n"
    "Converts a static 3D Gaussian splat between formats, chosen by the output's extension:\n"
    "  .ply    INRIA 3DGS (binary little-endian float32, the layout every viewer reads);\n"
    "          exact, keeps SH up to degree 3\n"
    "  .spz    Niantic SPZ: about 10x smaller, 24-bit positions, byte-quantised attributes\n"
    "  .splat  antimatter15: 32 bytes per Gaussian, colour only (SH degree 0)\n"
    "The input format is recognised by content (.ply, .spz) or by name (.splat). The output\n"
    "is written to OUT.tmp and renamed, so OUT is never left half-written.\n"
    "\n"
    "options:\n"
    "  --spz-version N    SPZ version to write: 2, 3 (default: every reader has it) or 4\n"
    "                     (zstd, faster to load)\n"
    "  --ply-encoding E   binary (default), big-endian or ascii\n"
    "  --sh-degree N      keep SH only up to degree N (0-3); lower degrees shrink the file\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n";

static bool parse_ply_encoding(const char *text, ds_ply_encoding *encoding) {
    static const struct {
        const char *name;
        ds_ply_encoding encoding;
    } names[] = {
        {"binary", DS_PLY_BINARY_LITTLE_ENDIAN},
        {"little-endian", DS_PLY_BINARY_LITTLE_ENDIAN},
        {"big-endian", DS_PLY_BINARY_BIG_ENDIAN},
        {"ascii", DS_PLY_ASCII},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *encoding = names[i].encoding;
            return true;
        }
    }
    return false;
}

/* Says what the output format cannot keep, before it is lost. */
static void warn_about_losses(const ds_gaussian_cloud *cloud, ds_splat_format output) {
    if (output == DS_SPLAT_FORMAT_SPLAT && cloud->sh_degree > 0) {
        cli_warning(".splat stores colour only: dropping SH degrees 1-%d (view-dependent colour)",
                    cloud->sh_degree);
    }
    if (cloud->antialiased && output != DS_SPLAT_FORMAT_SPZ) {
        cli_warning("the antialiased (Mip-Splatting) flag cannot be stored in .%s; viewers will "
                    "not compensate opacity",
                    ds_splat_format_name(output));
    }
}

int command_convert(int argc, char **argv) {
    static const struct option options[] = {
        {"spz-version", required_argument, NULL, 'v'},
        {"ply-encoding", required_argument, NULL, 'e'},
        {"sh-degree", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ds_splat_save_options save = {0};
    long sh_degree = -1;
    bool quiet = false;
    optind = 0;
    int option;
    while ((option = cli_next_option("convert", argc, argv, "qh", options)) != -1) {
        long value;
        switch (option) {
        case 'v':
            if (!cli_parse_int(optarg, 2, 4, &value)) {
                return cli_usage_error("convert", "--spz-version must be 2, 3 or 4, not '%s'",
                                       optarg);
            }
            save.spz_version = (int)value;
            break;
        case 'e':
            if (!parse_ply_encoding(optarg, &save.ply_encoding)) {
                return cli_usage_error(
                    "convert", "--ply-encoding must be binary, big-endian or ascii, not '%s'",
                    optarg);
            }
            break;
        case 's':
            if (!cli_parse_int(optarg, 0, DS_SH_MAX_DEGREE, &sh_degree)) {
                return cli_usage_error("convert", "--sh-degree must be 0-3, not '%s'", optarg);
            }
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        return cli_usage_error("convert", "expected IN and OUT, got %d file name%s", argc - optind,
                               argc - optind == 1 ? "" : "s");
    }
    const char *input = argv[optind], *output = argv[optind + 1];
    ds_splat_format output_format = ds_splat_format_from_path(output);
    if (output_format == DS_SPLAT_FORMAT_UNKNOWN) {
        cli_error(output, "unknown output format (name it .ply, .spz or .splat)");
        return CLI_EXIT_USAGE;
    }

    ds_gaussian_cloud *cloud;
    ds_splat_file_info info;
    ds_status status = ds_splat_file_load(input, &cloud, &info);
    if (ds_failed(&status)) {
        return cli_fail(input, &status);
    }
    if (sh_degree >= 0 && sh_degree < cloud->sh_degree) {
        status = ds_gaussian_cloud_set_sh_degree(cloud, (int)sh_degree);
        if (ds_failed(&status)) {
            ds_gaussian_cloud_free(cloud);
            return cli_fail(input, &status);
        }
    }
    warn_about_losses(cloud, output_format);
    status = ds_splat_file_save(output, cloud, &save);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(cloud);
        return cli_fail(output, &status);
    }
    if (!quiet) {
        struct stat written;
        char count[32], size[32];
        cli_format_count(cloud->count, count, sizeof count);
        double bytes = stat(output, &written) == 0 ? (double)written.st_size : 0.0;
        cli_format_bytes(bytes, size, sizeof size);
        printf("%s -> %s: %s Gaussians, SH degree %d, %s (%.1f bytes per Gaussian)\n", input,
               output, count, output_format == DS_SPLAT_FORMAT_SPLAT ? 0 : cloud->sh_degree, size,
               cloud->count ? bytes / (double)cloud->count : 0.0);
    }
    ds_gaussian_cloud_free(cloud);
    return CLI_EXIT_OK;
}
