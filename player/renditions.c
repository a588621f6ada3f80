#define _POSIX_C_SOURCE 200809L
#include "renditions.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A rendition fits when its rate is below this share of the throughput; stepping up needs the
 * next one to fit below the smaller share, so that a throughput near a boundary does not make
 * the quality flip at every segment. */
static const double FIT_SHARE = 0.8, STEP_UP_SHARE = 0.6;

struct ds_renditions {
    ds_dsv_manifest manifest;
    ds_dsv *streams[DS_DSV_MANIFEST_MAX_RENDITIONS];
    bool remote;
    long pinned; /* -1: adapt */
    pthread_mutex_t lock;
    ds_renditions_stats stats;
    bool measured, any_read;
    size_t last;
    ds_http_stats seen[DS_DSV_MANIFEST_MAX_RENDITIONS]; /* each source's transfers measured */
    double latest_bps;                                  /* the last measurement alone */
};

bool ds_renditions_path(const char *path) {
    size_t n = strlen(path);
    if (n <= 5 || strcasecmp(path + n - 5, ".json") != 0) {
        return false;
    }
    if (ds_http_is_url(path)) {
        return true; /* its content is read when opening */
    }
    /* A local .json is a manifest only if it says so (other JSON is not ours). */
    FILE *file = fopen(path, "rb");
    if (!file) {
        return true; /* opening will say why it cannot be read */
    }
    uint8_t start[4096];
    size_t size = fread(start, 1, sizeof start, file);
    fclose(file);
    return ds_dsv_manifest_recognise(start, size);
}

size_t ds_renditions_choose(const ds_dsv_rendition *r, size_t count, double throughput,
                            size_t current) {
    if (count == 0) {
        return 0;
    }
    if (current >= count) {
        current = count - 1;
    }
    size_t fit = 0;
    for (size_t i = 0; i < count; i++) {
        if (r[i].bits_per_second <= FIT_SHARE * throughput) {
            fit = i;
        }
    }
    if (fit < current) {
        return fit; /* down at once: the buffer is draining */
    }
    if (current + 1 < count && r[current + 1].bits_per_second <= STEP_UP_SHARE * throughput) {
        return current + 1;
    }
    return current;
}

static ds_status read_manifest(const char *path, const ds_http_options *http,
                               ds_dsv_manifest *manifest) {
    ds_byte_source source;
    ds_status status = ds_http_is_url(path) ? ds_http_source_open(path, http, &source)
                                            : ds_file_source_open(path, &source);
    if (ds_failed(&status)) {
        return status;
    }
    if (source.size > DS_DSV_MANIFEST_MAX_BYTES) {
        ds_byte_source_close(&source);
        return ds_error(DS_ERR_FORMAT, "renditions manifest: larger than %d bytes",
                        DS_DSV_MANIFEST_MAX_BYTES);
    }
    size_t size = (size_t)source.size;
    char *text = malloc(size + 1);
    status = text ? source.read(source.context, 0, size, (uint8_t *)text)
                  : ds_error(DS_ERR_NO_MEMORY, "out of memory");
    ds_byte_source_close(&source);
    if (!ds_failed(&status)) {
        status = ds_dsv_manifest_parse(text, size, manifest);
    }
    free(text);
    return status;
}

/* The rendition's location: a URL or absolute path as it is, else beside the manifest. */
static void resolve(const char *manifest, const char *uri, char *out, size_t size) {
    if (strstr(uri, "://") || uri[0] == '/') {
        snprintf(out, size, "%s", uri);
        return;
    }
    const char *slash = strrchr(manifest, '/');
    int folder = slash ? (int)(slash - manifest + 1) : 0;
    snprintf(out, size, "%.*s%s", folder, manifest, uri);
}

ds_status ds_renditions_open(const char *path, const ds_http_options *http, const char *pinned,
                             ds_renditions **out) {
    *out = NULL;
    ds_renditions *r = calloc(1, sizeof *r);
    if (!r) {
        return ds_error(DS_ERR_NO_MEMORY, "out of memory");
    }
    pthread_mutex_init(&r->lock, NULL);
    r->remote = ds_http_is_url(path);
    r->pinned = -1;
    ds_status status = read_manifest(path, http, &r->manifest);
    for (size_t i = 0; !ds_failed(&status) && i < r->manifest.count; i++) {
        const ds_dsv_rendition *rendition = &r->manifest.renditions[i];
        char location[4096];
        resolve(path, rendition->uri, location, sizeof location);
        ds_byte_source source;
        status = ds_http_is_url(location) ? ds_http_source_open(location, http, &source)
                                          : ds_file_source_open(location, &source);
        if (!ds_failed(&status)) {
            status = ds_dsv_open(source, &r->streams[i]);
        }
        if (ds_failed(&status)) {
            status = ds_error(status.code, "rendition '%s' (%s): %s", rendition->name, location,
                              status.message);
            break;
        }
        const ds_dsv_header *a = &r->streams[0]->header, *b = &r->streams[i]->header;
        if (b->frame_count != r->manifest.frames || b->segment_frames != a->segment_frames ||
            b->init_crc != a->init_crc || b->init_size != a->init_size) {
            status = ds_error(DS_ERR_FORMAT,
                              "rendition '%s' does not match the others (frames, segments or "
                              "init block differ)",
                              rendition->name);
        }
        if (pinned && strcmp(pinned, rendition->name) == 0) {
            r->pinned = (long)i;
        }
    }
    if (!ds_failed(&status) && pinned && r->pinned < 0) {
        status = ds_error(DS_ERR_ARGUMENT, "no rendition named '%s' in the manifest", pinned);
    }
    if (ds_failed(&status)) {
        ds_renditions_free(r);
        return status;
    }
    /* Over the network start low (the first frame soonest) and measure; locally take the best. */
    r->stats.current = r->pinned >= 0 ? (size_t)r->pinned : r->remote ? 0 : r->manifest.count - 1;
    *out = r;
    return ds_ok();
}

void ds_renditions_free(ds_renditions *r) {
    if (!r) {
        return;
    }
    for (size_t i = 0; i < DS_DSV_MANIFEST_MAX_RENDITIONS; i++) {
        if (r->streams[i]) {
            ds_dsv_close(r->streams[i]);
        }
    }
    ds_dsv_manifest_free(&r->manifest);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

size_t ds_renditions_count(const ds_renditions *r) {
    return r->manifest.count;
}

const char *ds_renditions_name(const ds_renditions *r, size_t index) {
    return index < r->manifest.count ? r->manifest.renditions[index].name : "";
}

ds_dsv *ds_renditions_stream(ds_renditions *r, size_t index) {
    return r->streams[index];
}

ds_status ds_renditions_read_segment(ds_renditions *r, uint32_t s, ds_dsv_segment *segment,
                                     size_t *used) {
    pthread_mutex_lock(&r->lock);
    size_t index = r->stats.current;
    pthread_mutex_unlock(&r->lock);
    ds_dsv *dsv = r->streams[index];
    ds_status status = ds_dsv_read_segment(dsv, s, segment);
    pthread_mutex_lock(&r->lock);
    if (!ds_failed(&status)) {
        r->stats.segments[index]++;
        if (r->any_read && index != r->last) {
            r->stats.switches++;
        }
        r->any_read = true;
        r->last = index;
    }
    /* Every transfer of this rendition's source since the last look counts, prefetches too (a
     * segment already fetched ahead costs nothing when read). */
    ds_http_stats now;
    if (ds_http_source_stats(&dsv->source, &now)) {
        ds_http_stats *then = &r->seen[index];
        double bytes = (double)(now.bytes - then->bytes);
        double seconds = now.seconds - then->seconds;
        if (bytes > 16 * 1024 && seconds > 1e-4) {
            double sample = bytes * 8 / seconds;
            r->stats.throughput_bps =
                r->measured ? 0.5 * r->stats.throughput_bps + 0.5 * sample : sample;
            r->latest_bps = sample;
            r->measured = true;
            *then = now;
        }
    }
    if (r->pinned < 0 && r->measured) {
        /* The smoothed rate for going up, but a sudden drop counts at once: a buffer drains
         * while the average catches up. */
        double throughput =
            r->latest_bps < r->stats.throughput_bps ? r->latest_bps : r->stats.throughput_bps;
        r->stats.current = ds_renditions_choose(r->manifest.renditions, r->manifest.count,
                                                throughput, r->stats.current);
    }
    pthread_mutex_unlock(&r->lock);
    if (used) {
        *used = index;
    }
    return status;
}

ds_renditions_stats ds_renditions_stats_get(ds_renditions *r) {
    pthread_mutex_lock(&r->lock);
    ds_renditions_stats stats = r->stats;
    pthread_mutex_unlock(&r->lock);
    return stats;
}

void ds_renditions_interrupt(ds_renditions *r) {
    for (size_t i = 0; i < r->manifest.count; i++) {
        ds_http_source_interrupt(&r->streams[i]->source);
    }
}
