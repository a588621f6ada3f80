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

/* A file written piece by piece and put in place only when complete: pieces go to
 * "<path>.tmp"; commit flushes and renames it over <path>; abort (or a failed commit) removes it.
 */
typedef struct ds_atomic_file {
    int fd;
    char *path, *temporary;
} ds_atomic_file;

ds_status ds_atomic_file_open(const char *path, ds_atomic_file *file);
ds_status ds_atomic_file_write(ds_atomic_file *file, const void *data, size_t size);
/* Writes at an offset already written (to fill in a header once the rest is known). */
ds_status ds_atomic_file_write_at(ds_atomic_file *file, uint64_t offset, const void *data,
                                  size_t size);
ds_status ds_atomic_file_commit(ds_atomic_file *file);
void ds_atomic_file_abort(ds_atomic_file *file);

/* The extension of a path in lower case without the dot ("ply"), or "" when there is none.
 * Writes at most `capacity` bytes including the terminator. */
void ds_path_extension(const char *path, char *extension, size_t capacity);

#endif
