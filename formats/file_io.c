#define _POSIX_C_SOURCE 200809L
#include "file_io.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

ds_status ds_file_read_all(const char *path, size_t max_size, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ds_error(DS_ERR_IO, "%s", strerror(errno));
    }
    struct stat info;
    if (fstat(fd, &info) != 0) {
        int error = errno;
        close(fd);
        return ds_error(DS_ERR_IO, "%s", strerror(error));
    }
    if (S_ISDIR(info.st_mode)) {
        close(fd);
        return ds_error(DS_ERR_IO, "is a directory, not a file");
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return ds_error(DS_ERR_IO, "not a regular file");
    }
    if ((uint64_t)info.st_size > max_size) {
        close(fd);
        return ds_error(DS_ERR_UNSUPPORTED, "file of %lld bytes is larger than the %zu byte limit",
                        (long long)info.st_size, max_size);
    }
    size_t length = (size_t)info.st_size;
    uint8_t *buffer = malloc(length ? length : 1);
    if (!buffer) {
        close(fd);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes to read the file", length);
    }
    size_t done = 0;
    while (done < length) {
        ssize_t got = read(fd, buffer + done, length - done);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            int error = got < 0 ? errno : 0;
            free(buffer);
            close(fd);
            return error ? ds_error(DS_ERR_IO, "read failed: %s", strerror(error))
                         : ds_error(DS_ERR_IO, "file shrank while it was being read");
        }
        done += (size_t)got;
    }
    close(fd);
    *data = buffer;
    *size = length;
    return ds_ok();
}

static ds_status write_fully(int fd, const uint8_t *bytes, size_t size) {
    while (size > 0) {
        ssize_t wrote = write(fd, bytes, size);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote < 0) {
            return ds_error(DS_ERR_IO, "write failed: %s", strerror(errno));
        }
        bytes += wrote;
        size -= (size_t)wrote;
    }
    return ds_ok();
}

/* Makes the rename itself durable; failure here is not worth reporting (the data is written). */
static void sync_parent_directory(const char *path) {
    char *copy = strdup(path);
    if (!copy) {
        return;
    }
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

ds_status ds_file_write_atomic(const char *path, const void *data, size_t size) {
    size_t path_length = strlen(path);
    char *temporary = malloc(path_length + 5);
    if (!temporary) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a file name");
    }
    memcpy(temporary, path, path_length);
    memcpy(temporary + path_length, ".tmp", 5);

    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        ds_status status =
            ds_error(DS_ERR_IO, "cannot create a file beside it: %s", strerror(errno));
        free(temporary);
        return status;
    }
    ds_status status = write_fully(fd, data, size);
    if (!ds_failed(&status) && fsync(fd) != 0) {
        status = ds_error(DS_ERR_IO, "cannot flush to disk: %s", strerror(errno));
    }
    if (close(fd) != 0 && !ds_failed(&status)) {
        status = ds_error(DS_ERR_IO, "cannot close: %s", strerror(errno));
    }
    if (!ds_failed(&status) && rename(temporary, path) != 0) {
        status = ds_error(DS_ERR_IO, "cannot rename into place: %s", strerror(errno));
    }
    if (ds_failed(&status)) {
        unlink(temporary);
    } else {
        sync_parent_directory(path);
    }
    free(temporary);
    return status;
}

ds_status ds_atomic_file_open(const char *path, ds_atomic_file *file) {
    size_t path_length = strlen(path);
    file->fd = -1;
    file->path = strdup(path);
    file->temporary = malloc(path_length + 5);
    if (!file->path || !file->temporary) {
        ds_atomic_file_abort(file);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a file name");
    }
    memcpy(file->temporary, path, path_length);
    memcpy(file->temporary + path_length, ".tmp", 5);
    file->fd = open(file->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (file->fd < 0) {
        ds_status status =
            ds_error(DS_ERR_IO, "cannot create a file beside it: %s", strerror(errno));
        ds_atomic_file_abort(file);
        return status;
    }
    return ds_ok();
}

ds_status ds_atomic_file_write(ds_atomic_file *file, const void *data, size_t size) {
    return write_fully(file->fd, data, size);
}

ds_status ds_atomic_file_write_at(ds_atomic_file *file, uint64_t offset, const void *data,
                                  size_t size) {
    const uint8_t *bytes = data;
    while (size > 0) {
        ssize_t wrote = pwrite(file->fd, bytes, size, (off_t)offset);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote < 0) {
            return ds_error(DS_ERR_IO, "write failed: %s", strerror(errno));
        }
        bytes += wrote;
        size -= (size_t)wrote;
        offset += (uint64_t)wrote;
    }
    return ds_ok();
}

ds_status ds_atomic_file_commit(ds_atomic_file *file) {
    ds_status status = ds_ok();
    if (fsync(file->fd) != 0) {
        status = ds_error(DS_ERR_IO, "cannot flush to disk: %s", strerror(errno));
    }
    if (close(file->fd) != 0 && !ds_failed(&status)) {
        status = ds_error(DS_ERR_IO, "cannot close: %s", strerror(errno));
    }
    file->fd = -1;
    if (!ds_failed(&status) && rename(file->temporary, file->path) != 0) {
        status = ds_error(DS_ERR_IO, "cannot rename into place: %s", strerror(errno));
    }
    if (ds_failed(&status)) {
        ds_atomic_file_abort(file);
        return status;
    }
    sync_parent_directory(file->path);
    free(file->path);
    free(file->temporary);
    file->path = file->temporary = NULL;
    return status;
}

void ds_atomic_file_abort(ds_atomic_file *file) {
    if (file->fd >= 0) {
        close(file->fd);
        file->fd = -1;
    }
    if (file->temporary) {
        unlink(file->temporary);
    }
    free(file->path);
    free(file->temporary);
    file->path = file->temporary = NULL;
}

void ds_path_extension(const char *path, char *extension, size_t capacity) {
    if (capacity == 0) {
        return;
    }
    extension[0] = '\0';
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) {
        return;
    }
    size_t i = 0;
    for (const char *c = dot + 1; *c && i + 1 < capacity; c++, i++) {
        extension[i] = (char)tolower((unsigned char)*c);
    }
    extension[i] = '\0';
}
