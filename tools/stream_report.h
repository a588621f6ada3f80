/* What a .dsv stream costs, as `pack` reports it after writing and `probe` on a file: bytes per
 * frame in all and per layer, bits per skin Gaussian per frame, and the ratio to the same frames
 * stored as raw INRIA .ply files (COMPRESSION.md's "what to report for every encode"). */
#ifndef DS_TOOLS_STREAM_REPORT_H
#define DS_TOOLS_STREAM_REPORT_H

#include "encoder/stream_encoder.h"
#include "formats/dsv_reader.h"

#include <stdbool.h>
#include <stdio.h>

/* Bytes of one frame of `count` Gaussians of an SH degree as a binary INRIA .ply (with its
 * normals, as trainers write them; the header left out). */
double stream_report_ply_bytes(size_t count, int sh_degree);

void stream_report_print_pack(FILE *out, const char *path, const ds_sequence *sequence,
                              const ds_pack_report *report);
/* probe's view of a stream; returns false (after printing what it could) when segments are
 * missing or their tables unreadable. */
bool stream_report_print_probe(FILE *out, const char *path, ds_dsv *dsv, bool json);

#endif
