#include "splat_file.h"

#include "file_io.h"
#include "splat.h"
#include "spz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_splat_format ds_splat_format_from_path(const char *path) {
    char extension[16];
    ds_path_extension(path, extension, sizeof extension);
    if (strcmp(extension, "ply") == 0) {
        return DS_SPLAT_FORMAT_PLY;
    }
    if (strcmp(extension, "spz") == 0) {
        return DS_SPLAT_FORMAT_SPZ;
    }
    if (strcmp(extension, "splat") == 0) {
        return DS_SPLAT_FORMAT_SPLAT;
    }
    return DS_SPLAT_FORMAT_UNKNOWN;
}

const char *ds_splat_format_name(ds_splat_format format) {
    switch (format) {
    case DS_SPLAT_FORMAT_PLY:
        return "ply";
    case DS_SPLAT_FORMAT_SPZ:
        return "spz";
    case DS_SPLAT_FORMAT_SPLAT:
        return "splat";
    case DS_SPLAT_FORMAT_UNKNOWN:
        break;
    }
    return "unknown";
}

/* .ply and .spz announce themselves; .splat has no signature and is recognised by name only. */
static ds_splat_format sniff(const uint8_t *data, size_t size) {
    if (size >= 4 && memcmp(data, "ply", 3) == 0 && (data[3] == '\n' || data[3] == '\r')) {
        return DS_SPLAT_FORMAT_PLY;
    }
    if ((size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
        (size >= 4 && memcmp(data, "NGSP", 4) == 0)) {
        return DS_SPLAT_FORMAT_SPZ;
    }
    return DS_SPLAT_FORMAT_UNKNOWN;
}

static const char *ply_encoding_name(const uint8_t *data, size_t size) {
    static const struct {
        const char *keyword;
        const char *name;
    } encodings[] = {
        {"format binary_little_endian", "binary little-endian"},
        {"format binary_big_endian", "binary big-endian"},
        {"format ascii", "ascii"},
    };
    size_t window = size < 256 ? size : 256;
    for (size_t e = 0; e < sizeof encodings / sizeof encodings[0]; e++) {
        size_t length = strlen(encodings[e].keyword);
        for (size_t i = 0; i + length <= window; i++) {
            if (memcmp(data + i, encodings[e].keyword, length) == 0) {
                return encodings[e].name;
            }
        }
    }
    return "";
}

ds_status ds_splat_file_decode(const uint8_t *data, size_t size, ds_splat_format hint,
                               ds_gaussian_cloud **cloud, ds_splat_file_info *info) {
    *cloud = NULL;
    ds_splat_file_info details = {.format = DS_SPLAT_FORMAT_UNKNOWN};
    if (size == 0) {
        return ds_error(DS_ERR_FORMAT, "file is empty");
    }
    ds_splat_format format = sniff(data, size);
    if (format == DS_SPLAT_FORMAT_UNKNOWN) {
        format = hint;
    }
    ds_status status;
    switch (format) {
    case DS_SPLAT_FORMAT_PLY:
        status = ds_ply_decode(data, size, cloud);
        snprintf(details.variant, sizeof details.variant, "%s", ply_encoding_name(data, size));
        break;
    case DS_SPLAT_FORMAT_SPZ: {
        ds_spz_info spz;
        status = ds_spz_decode(data, size, cloud, &spz);
        if (!ds_failed(&status)) {
            snprintf(details.variant, sizeof details.variant, "version %u%s%s", spz.version,
                     spz.antialiased ? ", antialiased" : "",
                     spz.sh_degree > DS_SH_MAX_DEGREE ? ", SH degree 4 read up to 3" : "");
        }
        break;
    }
    case DS_SPLAT_FORMAT_SPLAT:
        status = ds_splat_decode(data, size, cloud);
        break;
    case DS_SPLAT_FORMAT_UNKNOWN:
    default:
        status = ds_error(DS_ERR_FORMAT,
                          "unrecognised file type (expected a .ply, .spz or .splat splat file)");
        break;
    }
    details.format = format;
    if (info) {
        *info = details;
    }
    return status;
}

ds_status ds_splat_file_encode(const ds_gaussian_cloud *cloud, ds_splat_format format,
                               const ds_splat_save_options *options, ds_byte_buffer *out) {
    ds_splat_save_options defaults = {0};
    if (!options) {
        options = &defaults;
    }
    switch (format) {
    case DS_SPLAT_FORMAT_PLY:
        return ds_ply_encode(cloud, options->ply_encoding, out);
    case DS_SPLAT_FORMAT_SPZ: {
        ds_spz_write_options spz = {.version = options->spz_version};
        return ds_spz_encode(cloud, &spz, out);
    }
    case DS_SPLAT_FORMAT_SPLAT:
        return ds_splat_encode(cloud, out);
    case DS_SPLAT_FORMAT_UNKNOWN:
        break;
    }
    return ds_error(DS_ERR_ARGUMENT, "unknown output format (use .ply, .spz or .splat)");
}

ds_status ds_splat_file_load(const char *path, ds_gaussian_cloud **cloud,
                             ds_splat_file_info *info) {
    *cloud = NULL;
    uint8_t *data;
    size_t size;
    ds_status status = ds_file_read_all(path, DS_SPLAT_FILE_MAX_BYTES, &data, &size);
    if (ds_failed(&status)) {
        return status;
    }
    status = ds_splat_file_decode(data, size, ds_splat_format_from_path(path), cloud, info);
    free(data);
    return status;
}

ds_status ds_splat_file_save(const char *path, const ds_gaussian_cloud *cloud,
                             const ds_splat_save_options *options) {
    ds_splat_format format = ds_splat_format_from_path(path);
    if (format == DS_SPLAT_FORMAT_UNKNOWN) {
        return ds_error(DS_ERR_ARGUMENT,
                        "cannot tell the output format from the name (use .ply, .spz or .splat)");
    }
    ds_byte_buffer bytes = {0};
    ds_status status = ds_splat_file_encode(cloud, format, options, &bytes);
    if (!ds_failed(&status)) {
        status = ds_file_write_atomic(path, bytes.data, bytes.size);
    }
    ds_byte_buffer_free(&bytes);
    return status;
}
