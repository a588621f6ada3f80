/* A .dsv stream on an ordinary web server or CDN, read with HTTP range requests (libcurl) behind
 * the same byte source interface as a local file (formats/byte_source.h), so the reader and the
 * player never care where bytes come from. http:// and https:// URLs.
 *
 * - Opening fetches the start of the file (header, index, usually the init block) and learns
 *   its size and validators (ETag, Last-Modified). Every later response must carry the same
 *   ones: a file replaced on the server is a clear error, never a mix of two files.
 * - Dropped connections, stalls and 5xx answers are retried with exponential backoff, resuming
 *   from the bytes already received; 404, 416 and other 4xx answers are errors at once.
 * - Reads smaller than the read-ahead fetch that much; fetched ranges are kept (within a
 *   budget, least recently used dropped first), so reading a segment again costs nothing.
 * Reads may come from any thread (they are serialised). */
#ifndef DS_PLAYER_HTTP_SOURCE_H
#define DS_PLAYER_HTTP_SOURCE_H

#include "formats/byte_source.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ds_http_options {
    double connect_timeout_s; /* giving up on a connection attempt */
    double stall_timeout_s;   /* a transfer receiving nothing this long is cut and retried */
    int retries;              /* attempts after the first, per read */
    double backoff_s;         /* first wait before a retry; doubled each time, at most 8 s */
    size_t read_ahead;        /* least bytes a request fetches */
    size_t cache_bytes;       /* fetched bytes kept for reading again (seeks back, loops) */
    const char *ca_file;      /* https: certificates to trust (NULL: the system's) */
} ds_http_options;

void ds_http_options_default(ds_http_options *options);

/* Whether `path` is an http:// or https:// URL. */
bool ds_http_is_url(const char *path);

ds_status ds_http_source_open(const char *url, const ds_http_options *options,
                              ds_byte_source *source);

/* Makes the transfer in progress (and every later read) fail at once with DS_ERR_INTERRUPTED,
 * from any thread: closing a player must not wait for a slow download. No-op for other
 * sources. */
void ds_http_source_interrupt(const ds_byte_source *source);

/* What a source has transferred so far (for throughput and reports). */
typedef struct ds_http_stats {
    uint64_t bytes, requests, retries;
    double seconds; /* spent in transfers */
} ds_http_stats;

/* False when `source` is not an HTTP source. */
bool ds_http_source_stats(const ds_byte_source *source, ds_http_stats *stats);

#endif
