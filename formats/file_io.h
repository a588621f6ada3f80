/* Whole-file reads and crash-safe writes.
 *
 * Every file dualsplat produces is written to "<path>.tmp", flushed to disk and renamed over
 * <path>, so an interrupted run never leaves a truncated file that looks complete. */
#ifndef DS_FORMATS_FILE_IO_H
#define DS_FORMATS_FILE_IO_H

#include "status.h"

#include <stddef.h>
#include <stdint.h>

/* Reads a regular file into a new buffer (free with free()); refuses files over max_size. */
ds_status ds_file_read_all(const char *path, size_t max_size, uint8_t **data, size_t *size);

/* Writes `size` bytes to `path` atomically (temporary file, fsync, rename). */
ds_status ds_file_write_atomic(const char *path, const void *data, size_t size);

/* The extension of a path in lower case without the dot ("ply"), or "" when there is none.
 * Writes at most `capacity` bytes including the terminator. */
void ds_path_extension(const char *path, char *extension, size_t capacity);

#endif
