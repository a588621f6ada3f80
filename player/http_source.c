#define _POSIX_C_SOURCE 200809L
#include "http_source.h"
#include "monotonic_time.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { VALIDATOR_SIZE = 256, CACHE_ENTRIES = 64 };

typedef struct cached_range {
    uint8_t *bytes; /* NULL: unused */
    uint64_t offset;
    size_t size;
    uint64_t used;
} cached_range;
static const double MAX_BACKOFF_S = 8.0;

typedef struct http_source {
    uint32_t magic; /* tells an HTTP source's context from another's */
    char *url;
    ds_http_options options;
    CURL *curl; /* one connection, kept alive between requests */
    pthread_mutex_t lock;
    uint64_t size;
    char etag[VALIDATOR_SIZE], last_modified[VALIDATOR_SIZE];
    /* Ranges fetched, kept for later reads (least recently used dropped first), within
     * options.cache_bytes: a segment read again (a seek back, a loop) costs no download. */
    cached_range cache[CACHE_ENTRIES];
    size_t cached_bytes;
    uint64_t clock; /* use counter for the LRU order */
    ds_http_stats stats;
    atomic_bool interrupted;
} http_source;

static const uint32_t HTTP_MAGIC = 0x48545450; /* "HTTP" */

/* One response being received. */
typedef struct response {
    uint8_t *out;
    size_t expected, received;
    bool overflow;
    char etag[VALIDATOR_SIZE], last_modified[VALIDATOR_SIZE];
    uint64_t range_first, range_total;
    bool has_range;
    long status; /* of the response line: the body of anything but 2xx is an error page */
} response;

void ds_http_options_default(ds_http_options *o) {
    *o = (ds_http_options){.connect_timeout_s = 10,
                           .stall_timeout_s = 15,
                           .retries = 6,
                           .backoff_s = 0.25,
                           .read_ahead = 256 * 1024,
                           .cache_bytes = 256 << 20};
}

bool ds_http_is_url(const char *path) {
    return strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    response *r = context;
    size_t bytes = size * count;
    if (r->status < 200 || r->status > 299) {
        return bytes; /* an error page, not stream bytes: the status says what happened */
    }
    if (bytes > r->expected - r->received) {
        /* More than asked for: the server ignored the range. Stop the transfer. */
        r->overflow = true;
        return 0;
    }
    memcpy(r->out + r->received, data, bytes);
    r->received += bytes;
    return bytes;
}

/* Copies a header's value, trimmed, if the line is that header. */
static bool header_value(const char *line, size_t length, const char *name, char *value,
                         size_t capacity) {
    size_t name_length = strlen(name);
    if (length <= name_length || strncasecmp(line, name, name_length) != 0 ||
        line[name_length] != ':') {
        return false;
    }
    const char *start = line + name_length + 1, *end = line + length;
    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }
    while (end > start && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    size_t n = (size_t)(end - start) < capacity - 1 ? (size_t)(end - start) : capacity - 1;
    memcpy(value, start, n);
    value[n] = '\0';
    return true;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    response *r = context;
    size_t length = size * count;
    char value[VALIDATOR_SIZE];
    if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response (after a redirect): forget the previous one's headers. */
        r->etag[0] = r->last_modified[0] = '\0';
        r->has_range = false;
        if (sscanf(data, "HTTP/%*s %ld", &r->status) != 1) {
            r->status = 0;
        }
    } else if (header_value(data, length, "ETag", value, sizeof value)) {
        snprintf(r->etag, sizeof r->etag, "%s", value);
    } else if (header_value(data, length, "Last-Modified", value, sizeof value)) {
        snprintf(r->last_modified, sizeof r->last_modified, "%s", value);
    } else if (header_value(data, length, "Content-Range", value, sizeof value)) {
        uint64_t first, last, total;
        if (sscanf(value, "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64, &first, &last, &total) == 3) {
            r->range_first = first;
            r->range_total = total;
            r->has_range = true;
        }
    }
    return length;
}

/* libcurl calls this during transfers: a non-zero return aborts the transfer. */
static int on_progress(void *context, curl_off_t total_down, curl_off_t down, curl_off_t total_up,
                       curl_off_t up) {
    (void)total_down, (void)down, (void)total_up, (void)up;
    const http_source *h = context;
    return atomic_load(&h->interrupted) ? 1 : 0;
}

static void sleep_seconds(double seconds) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&t, NULL);
}

typedef enum { ATTEMPT_DONE, ATTEMPT_RETRY, ATTEMPT_FAILED } attempt_result;

/* One GET of bytes [offset, offset + size) appended at out. On ATTEMPT_RETRY, r->received says
 * how much arrived before the transfer broke. */
static attempt_result attempt(http_source *h, uint64_t offset, size_t size, response *r,
                              bool opening, ds_status *status) {
    char range[64];
    snprintf(range, sizeof range, "%" PRIu64 "-%" PRIu64, offset, offset + size - 1);
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_RANGE, range);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    double start = ds_monotonic_seconds();
    CURLcode code = curl_easy_perform(c);
    h->stats.seconds += ds_monotonic_seconds() - start;
    h->stats.requests++;
    h->stats.bytes += r->received;
    long http = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
    if (atomic_load(&h->interrupted)) {
        *status = ds_error(DS_ERR_INTERRUPTED, "stopped");
        return ATTEMPT_FAILED;
    }
    if (r->overflow || (code == CURLE_OK && http == 200)) {
        *status =
            ds_error(DS_ERR_UNSUPPORTED,
                     "the server does not answer range requests (HTTP %ld for a range)", http);
        return ATTEMPT_FAILED;
    }
    if (http == 404 || http == 410) {
        *status = ds_error(DS_ERR_IO, "not found on the server (HTTP %ld)", http);
        return ATTEMPT_FAILED;
    }
    if (http == 416) {
        *status = ds_error(DS_ERR_IO,
                           opening ? "the server refused the byte range (HTTP 416): an empty file?"
                                   : "the server refused the byte range (HTTP 416): the file is "
                                     "shorter than when it was opened");
        return ATTEMPT_FAILED;
    }
    if (http >= 400 && http < 500) {
        *status = ds_error(DS_ERR_IO, "the server refused the request (HTTP %ld)", http);
        return ATTEMPT_FAILED;
    }
    if (http >= 500 || code != CURLE_OK) {
        *status = http >= 500 ? ds_error(DS_ERR_IO, "server error (HTTP %ld)", http)
                              : ds_error(DS_ERR_IO, "%s", curl_easy_strerror(code));
        switch (code) {
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_COULDNT_RESOLVE_HOST:
            return ATTEMPT_FAILED;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            *status = ds_error(DS_ERR_IO, "the server's certificate is not trusted (%s)",
                               curl_easy_strerror(code));
            return ATTEMPT_FAILED; /* retrying would not change these */
        default:
            return ATTEMPT_RETRY;
        }
    }
    if (http != 206 || !r->has_range || r->range_first != offset) {
        *status = ds_error(DS_ERR_IO, "unexpected answer to a range request (HTTP %ld)", http);
        return ATTEMPT_FAILED;
    }
    if (!opening) {
        bool etag_changed = h->etag[0] && strcmp(h->etag, r->etag) != 0;
        bool date_changed =
            !h->etag[0] && h->last_modified[0] && strcmp(h->last_modified, r->last_modified) != 0;
        if (etag_changed || date_changed || r->range_total != h->size) {
            *status = ds_error(DS_ERR_IO, "the stream changed on the server while playing "
                                          "(a new version was uploaded): reopen it");
            return ATTEMPT_FAILED;
        }
    }
    return ATTEMPT_DONE;
}

/* Fetches bytes [offset, offset + size) into out, retrying and resuming. `size` is the most the
 * caller wants; when opening, the file may be shorter, and *got says how much came. */
static ds_status fetch(http_source *h, uint64_t offset, size_t size, uint8_t *out, bool opening,
                       size_t *got) {
    response r = {.out = out, .expected = size};
    double backoff = h->options.backoff_s;
    ds_status status = ds_ok();
    for (int tries = 0;; tries++) {
        size_t before = r.received;
        response part = r;
        part.out = out + before;
        part.expected = size - before;
        part.received = 0;
        attempt_result result = attempt(h, offset + before, size - before, &part, opening, &status);
        r.received = before + part.received;
        if (opening && tries == 0) {
            memcpy(r.etag, part.etag, sizeof r.etag);
            memcpy(r.last_modified, part.last_modified, sizeof r.last_modified);
            r.range_total = part.range_total;
            r.has_range = part.has_range;
        }
        if (result == ATTEMPT_DONE && opening) {
            snprintf(h->etag, sizeof h->etag, "%s", part.etag);
            snprintf(h->last_modified, sizeof h->last_modified, "%s", part.last_modified);
            h->size = part.range_total;
            *got = r.received;
            return ds_ok();
        }
        if (result == ATTEMPT_DONE && r.received == size) {
            *got = size;
            return ds_ok();
        }
        if (result == ATTEMPT_DONE) {
            status = ds_error(DS_ERR_IO, "the server sent %zu of %zu bytes", r.received, size);
        }
        if (result == ATTEMPT_FAILED || tries >= h->options.retries) {
            if (result != ATTEMPT_FAILED) {
                return ds_error(status.code, "%s (gave up after %d retries)", status.message,
                                tries);
            }
            return status;
        }
        h->stats.retries++;
        sleep_seconds(backoff);
        if (atomic_load(&h->interrupted)) {
            return ds_error(DS_ERR_INTERRUPTED, "stopped");
        }
        backoff = backoff * 2 < MAX_BACKOFF_S ? backoff * 2 : MAX_BACKOFF_S;
        if (opening && r.received > 0 && r.has_range) {
            /* Resume a first fetch only against a known size. */
            opening = false;
            h->size = r.range_total;
            snprintf(h->etag, sizeof h->etag, "%s", r.etag);
            snprintf(h->last_modified, sizeof h->last_modified, "%s", r.last_modified);
            if (h->size < offset + size) {
                size = (size_t)(h->size - offset);
            }
        }
    }
}

static cached_range *cache_find(http_source *h, uint64_t offset, size_t size) {
    for (int i = 0; i < CACHE_ENTRIES; i++) {
        cached_range *c = &h->cache[i];
        if (c->bytes && offset >= c->offset && offset + size <= c->offset + c->size) {
            return c;
        }
    }
    return NULL;
}

/* Keeps a fetched range, dropping the least recently used ones to stay within the budget. */
static void cache_keep(http_source *h, uint8_t *bytes, uint64_t offset, size_t size) {
    for (;;) {
        cached_range *oldest = NULL, *empty = NULL;
        for (int i = 0; i < CACHE_ENTRIES; i++) {
            cached_range *c = &h->cache[i];
            if (!c->bytes) {
                empty = empty ? empty : c;
            } else if (!oldest || c->used < oldest->used) {
                oldest = c;
            }
        }
        if (empty && h->cached_bytes + size <= h->options.cache_bytes) {
            *empty = (cached_range){bytes, offset, size, ++h->clock};
            h->cached_bytes += size;
            return;
        }
        if (!oldest) {
            free(bytes); /* larger than the whole budget */
            return;
        }
        h->cached_bytes -= oldest->size;
        free(oldest->bytes);
        *oldest = (cached_range){0};
    }
}

static ds_status http_read(void *context, uint64_t offset, size_t size, uint8_t *out) {
    http_source *h = context;
    if (offset > h->size || size > h->size - offset) {
        return ds_error(DS_ERR_FORMAT, "read past the end of the stream");
    }
    if (size == 0) {
        return ds_ok();
    }
    pthread_mutex_lock(&h->lock);
    ds_status status = ds_ok();
    /* What kept ranges hold is taken from them, range after range (a read may start in one and
     * run into the next); only what none holds is fetched. */
    while (size > 0) {
        cached_range *hit = cache_find(h, offset, size);
        if (hit) {
            hit->used = ++h->clock;
            memcpy(out, hit->bytes + (offset - hit->offset), size);
            size = 0;
            break;
        }
        cached_range *head = NULL;
        for (int i = 0; i < CACHE_ENTRIES && !head; i++) {
            cached_range *c = &h->cache[i];
            if (c->bytes && offset >= c->offset && offset < c->offset + c->size) {
                head = c;
            }
        }
        if (!head) {
            break;
        }
        size_t taken = (size_t)(head->offset + head->size - offset);
        memcpy(out, head->bytes + (offset - head->offset), taken);
        head->used = ++h->clock;
        out += taken;
        offset += taken;
        size -= taken;
    }
    if (size > 0) {
        /* Small reads fetch the read-ahead, kept for the reads that follow. */
        uint64_t want = size > h->options.read_ahead ? size : h->options.read_ahead;
        if (want > h->size - offset) {
            want = h->size - offset;
        }
        uint8_t *bytes = malloc((size_t)want);
        size_t got = 0;
        status = bytes ? fetch(h, offset, (size_t)want, bytes, false, &got)
                       : ds_error(DS_ERR_NO_MEMORY, "cannot allocate %zu bytes", (size_t)want);
        if (!ds_failed(&status)) {
            memcpy(out, bytes, size);
            cache_keep(h, bytes, offset, got);
        } else {
            free(bytes);
        }
    }
    pthread_mutex_unlock(&h->lock);
    return status;
}

static void http_close(void *context) {
    http_source *h = context;
    if (h->curl) {
        curl_easy_cleanup(h->curl);
    }
    pthread_mutex_destroy(&h->lock);
    for (int i = 0; i < CACHE_ENTRIES; i++) {
        free(h->cache[i].bytes);
    }
    free(h->url);
    free(h);
}

ds_status ds_http_source_open(const char *url, const ds_http_options *options,
                              ds_byte_source *source) {
    memset(source, 0, sizeof *source);
    pthread_once(&curl_once, curl_start);
    http_source *h = calloc(1, sizeof *h);
    if (!h || !(h->url = strdup(url)) || !(h->curl = curl_easy_init())) {
        if (h) {
            free(h->url);
        }
        free(h);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start an HTTP client");
    }
    h->magic = HTTP_MAGIC;
    if (options) {
        h->options = *options;
    } else {
        ds_http_options_default(&h->options);
    }
    if (h->options.read_ahead < 4096) {
        h->options.read_ahead = 4096;
    }
    pthread_mutex_init(&h->lock, NULL);
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->options.connect_timeout_s * 1000));
    /* A transfer below 1 byte/s for the stall time is cut, then retried. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(h->options.stall_timeout_s + 0.5));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dualsplat");
    if (h->options.ca_file) {
        curl_easy_setopt(c, CURLOPT_CAINFO, h->options.ca_file);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    /* Compressed transfer would break byte ranges' meaning; ask for the bytes as they are. */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);

    uint8_t *first = malloc(h->options.read_ahead);
    size_t got = 0;
    ds_status status = first ? fetch(h, 0, h->options.read_ahead, first, true, &got)
                             : ds_error(DS_ERR_NO_MEMORY, "cannot allocate the read-ahead");
    if (!ds_failed(&status) && h->size == 0) {
        status = ds_error(DS_ERR_FORMAT, "the file on the server is empty");
    }
    if (ds_failed(&status)) {
        free(first);
        http_close(h);
        return status;
    }
    cache_keep(h, first, 0, got);
    source->context = h;
    source->size = h->size;
    source->read = http_read;
    source->close = http_close;
    source->name = h->url;
    return ds_ok();
}

static http_source *http_of(const ds_byte_source *source) {
    http_source *h = source->context;
    return h && source->close == http_close && h->magic == HTTP_MAGIC ? h : NULL;
}

void ds_http_source_interrupt(const ds_byte_source *source) {
    http_source *h = http_of(source);
    if (h) {
        atomic_store(&h->interrupted, true);
    }
}

bool ds_http_source_stats(const ds_byte_source *source, ds_http_stats *stats) {
    const http_source *h = http_of(source);
    if (!h) {
        return false;
    }
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    *stats = h->stats;
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return true;
}
