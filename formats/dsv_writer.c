#include "dsv_writer.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

ds_status ds_dsv_writer_open(const char *path, uint32_t frame_count, uint32_t segment_frames,
                             uint32_t fps_numerator, uint32_t fps_denominator, const uint8_t *init,
                             size_t init_size, ds_dsv_writer *w) {
    memset(w, 0, sizeof *w);
    w->file.fd = -1;
    if (frame_count == 0 || frame_count > DS_DSV_MAX_FRAMES || segment_frames == 0 ||
        fps_numerator == 0 || fps_denominator == 0 || init_size == 0 || init_size > UINT32_MAX) {
        return ds_error(DS_ERR_ARGUMENT, "invalid stream parameters");
    }
    ds_dsv_header *h = &w->header;
    h->version_major = DS_DSV_VERSION_MAJOR;
    h->version_minor = DS_DSV_VERSION_MINOR;
    h->frame_count = frame_count;
    h->segment_frames = segment_frames;
    h->segment_count = ds_dsv_segment_count(frame_count, segment_frames);
    h->fps_numerator = fps_numerator;
    h->fps_denominator = fps_denominator;
    h->init_offset = ds_dsv_init_offset(h->segment_count);
    h->init_size = (uint32_t)init_size;
    h->init_crc = (uint32_t)crc32_z(0, init, init_size);
    w->entries = calloc(h->segment_count, sizeof *w->entries);
    if (!w->entries) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the index");
    }
    ds_status status = ds_atomic_file_open(path, &w->file);
    /* Header and index are placeholders until finish. */
    size_t front = (size_t)h->init_offset;
    uint8_t *zeros = ds_failed(&status) ? NULL : calloc(front, 1);
    if (!ds_failed(&status) && !zeros) {
        status = ds_error(DS_ERR_NO_MEMORY, "cannot allocate the index");
    }
    if (!ds_failed(&status)) {
        status = ds_atomic_file_write(&w->file, zeros, front);
    }
    free(zeros);
    if (!ds_failed(&status)) {
        status = ds_atomic_file_write(&w->file, init, init_size);
    }
    if (ds_failed(&status)) {
        ds_dsv_writer_abort(w);
        return status;
    }
    w->offset = h->init_offset + init_size;
    return ds_ok();
}

ds_status ds_dsv_writer_add_segment(ds_dsv_writer *w, const uint8_t *segment, size_t size) {
    if (w->written >= w->header.segment_count) {
        return ds_error(DS_ERR_ARGUMENT, "more segments than the stream has");
    }
    if (size < DS_DSV_SEGMENT_HEADER_SIZE || size > DS_DSV_MAX_SEGMENT_BYTES) {
        return ds_error(DS_ERR_ARGUMENT, "a segment of %zu bytes is out of range", size);
    }
    ds_dsv_segment_entry *e = &w->entries[w->written];
    e->first_frame = w->written * w->header.segment_frames;
    uint32_t left = w->header.frame_count - e->first_frame;
    e->frame_count = left < w->header.segment_frames ? left : w->header.segment_frames;
    e->offset = w->offset;
    e->size = (uint32_t)size;
    e->crc = (uint32_t)crc32_z(0, segment, size);
    ds_status status = ds_atomic_file_write(&w->file, segment, size);
    if (!ds_failed(&status)) {
        w->written++;
        w->offset += size;
    }
    return status;
}

ds_status ds_dsv_writer_finish(ds_dsv_writer *w) {
    if (w->written != w->header.segment_count) {
        return ds_error(DS_ERR_ARGUMENT, "%u of %u segments written", w->written,
                        w->header.segment_count);
    }
    size_t index_size = (size_t)w->header.segment_count * DS_DSV_INDEX_ENTRY_SIZE;
    uint8_t *index = malloc(index_size);
    if (!index) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the index");
    }
    ds_dsv_index_encode(w->entries, w->header.segment_count, index);
    w->header.index_crc = (uint32_t)crc32_z(0, index, index_size);
    /* The oldest minor version that holds what this stream uses, so older players still open
     * streams without sound. */
    w->header.version_minor = w->header.audio_codec != DS_AUDIO_NONE ? 2 : 1;
    uint8_t header[DS_DSV_HEADER_SIZE];
    ds_dsv_header_encode(&w->header, header);
    ds_status status = ds_atomic_file_write_at(&w->file, DS_DSV_HEADER_SIZE, index, index_size);
    free(index);
    if (!ds_failed(&status)) {
        status = ds_atomic_file_write_at(&w->file, 0, header, sizeof header);
    }
    if (!ds_failed(&status)) {
        status = ds_atomic_file_commit(&w->file);
    } else {
        ds_atomic_file_abort(&w->file);
    }
    free(w->entries);
    w->entries = NULL;
    return status;
}

void ds_dsv_writer_abort(ds_dsv_writer *w) {
    ds_atomic_file_abort(&w->file);
    free(w->entries);
    w->entries = NULL;
}
