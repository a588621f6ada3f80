#define _POSIX_C_SOURCE 200809L

#include "byte_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct file_source {
    int fd;
    char *path;
} file_source;

static ds_status file_read(void *context, uint64_t offset, size_t size, uint8_t *out) {
    file_source *f = context;
    while (size > 0) {
        ssize_t got = pread(f->fd, out, size, (off_t)offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return ds_error(DS_ERR_IO, "read failed: %s", strerror(errno));
        }
        if (got == 0) {
            return ds_error(DS_ERR_IO, "the file ended early (was it truncated while open?)");
        }
        out += got;
        size -= (size_t)got;
        offset += (uint64_t)got;
    }
    return ds_ok();
}

static void file_close(void *context) {
    file_source *f = context;
    close(f->fd);
    free(f->path);
    free(f);
}

ds_status ds_file_source_open(const char *path, ds_byte_source *source) {
    memset(source, 0, sizeof *source);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ds_error(DS_ERR_IO, "%s", strerror(errno));
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        close(fd);
        return ds_error(DS_ERR_IO, "not a regular file");
    }
    file_source *f = malloc(sizeof *f);
    char *copy = strdup(path);
    if (!f || !copy) {
        free(f);
        free(copy);
        close(fd);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a file source");
    }
    f->fd = fd;
    f->path = copy;
    source->context = f;
    source->size = (uint64_t)info.st_size;
    source->read = file_read;
    source->close = file_close;
    source->name = copy;
    return ds_ok();
}

static ds_status memory_read(void *context, uint64_t offset, size_t size, uint8_t *out) {
    memcpy(out, (const uint8_t *)context + offset, size);
    return ds_ok();
}

void ds_memory_source_open(const uint8_t *data, size_t size, ds_byte_source *source) {
    memset(source, 0, sizeof *source);
    source->context = (void *)(uintptr_t)data;
    source->size = size;
    source->read = memory_read;
    source->name = "memory";
}

void ds_byte_source_close(ds_byte_source *source) {
    if (source->close) {
        source->close(source->context);
    }
    memset(source, 0, sizeof *source);
}
