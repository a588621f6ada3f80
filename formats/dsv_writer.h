/* Writes a .dsv file segment by segment, in order, without holding the stream in memory: the
 * header and index are filled in last, and the file appears under its name only once complete
 * (formats/file_io.h), so an interrupted pack never leaves a stream that looks whole. */
#ifndef DS_FORMATS_DSV_WRITER_H
#define DS_FORMATS_DSV_WRITER_H

#include "dsv_container.h"
#include "file_io.h"

typedef struct ds_dsv_writer {
    ds_atomic_file file;
    ds_dsv_header header;
    ds_dsv_segment_entry *entries;
    uint32_t written; /* segments so far */
    uint64_t offset;  /* where the next segment goes */
} ds_dsv_writer;

/* Starts a stream of `frame_count` frames in segments of `segment_frames` at fps
 * numerator/denominator, with its init block (ds_dsv_canonical_encode's bytes). */
ds_status ds_dsv_writer_open(const char *path, uint32_t frame_count, uint32_t segment_frames,
                             uint32_t fps_numerator, uint32_t fps_denominator, const uint8_t *init,
                             size_t init_size, ds_dsv_writer *writer);
/* Appends the next segment (ds_dsv_segment_encode's bytes). */
ds_status ds_dsv_writer_add_segment(ds_dsv_writer *writer, const uint8_t *segment, size_t size);
/* Writes header and index and puts the file in place; every segment must have been added. */
ds_status ds_dsv_writer_finish(ds_dsv_writer *writer);
/* Drops the partial file. */
void ds_dsv_writer_abort(ds_dsv_writer *writer);

#endif
