/* Static splat files of any supported format, chosen by content or by file extension. */
#ifndef DS_FORMATS_SPLAT_FILE_H
#define DS_FORMATS_SPLAT_FILE_H

#include "byte_buffer.h"
#include "gaussian_cloud.h"
#include "ply.h"

typedef enum ds_splat_format {
    DS_SPLAT_FORMAT_UNKNOWN,
    DS_SPLAT_FORMAT_PLY,   /* INRIA 3DGS .ply */
    DS_SPLAT_FORMAT_SPZ,   /* Niantic .spz */
    DS_SPLAT_FORMAT_SPLAT, /* antimatter15 .splat */
} ds_splat_format;

typedef struct ds_splat_file_info {
    ds_splat_format format;
    char variant[64]; /* e.g. "binary little-endian", "version 4" */
} ds_splat_file_info;

/* Options for writing; zero-initialised options give the defaults. */
typedef struct ds_splat_save_options {
    ds_ply_encoding ply_encoding; /* default binary little-endian */
    int spz_version;              /* 2, 3 or 4; 0 means the default (3) */
} ds_splat_save_options;

/* Largest file the loaders read into memory. */
#define DS_SPLAT_FILE_MAX_BYTES ((size_t)16 << 30)

ds_splat_format ds_splat_format_from_path(const char *path);
const char *ds_splat_format_name(ds_splat_format format); /* "ply", "spz", "splat" */

/* Decodes a file's bytes: by its signature when it has one, else as `hint`. */
ds_status ds_splat_file_decode(const uint8_t *data, size_t size, ds_splat_format hint,
                               ds_gaussian_cloud **cloud, ds_splat_file_info *info);
ds_status ds_splat_file_encode(const ds_gaussian_cloud *cloud, ds_splat_format format,
                               const ds_splat_save_options *options, ds_byte_buffer *out);

ds_status ds_splat_file_load(const char *path, ds_gaussian_cloud **cloud, ds_splat_file_info *info);
/* Writes in the format of the path's extension, atomically. */
ds_status ds_splat_file_save(const char *path, const ds_gaussian_cloud *cloud,
                             const ds_splat_save_options *options);

#endif
