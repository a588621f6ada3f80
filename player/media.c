#define _POSIX_C_SOURCE 200809L
#include "media.h"

#include "http_source.h"
#include "monotonic_time.h"
#include "renditions.h"

#include "formats/splat_file.h"
#include "render/stream_frame.h"
#include "render/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ds_media {
    char *name;
    bool remote;               /* read over HTTP */
    ds_renditions *renditions; /* several renditions (dsv is the first's), or */
    ds_dsv *dsv;               /* a stream, or */
    ds_gaussian_cloud *cloud;  /* a static splat */
};

struct ds_media_decoder {
    ds_media *media;
    ds_dsv_frame frame; /* streams only */
};

bool ds_media_is_stream(const char *path) {
    return ds_http_is_url(path) || ds_dsv_file_is_stream(path);
}

ds_status ds_media_open_stream(const char *path, ds_dsv **dsv) {
    return ds_media_open_stream_with(path, NULL, dsv);
}

ds_status ds_media_open_stream_with(const char *path, const ds_http_options *http, ds_dsv **dsv) {
    if (!ds_http_is_url(path)) {
        return ds_dsv_open_file(path, dsv);
    }
    ds_byte_source source;
    ds_status status = ds_http_source_open(path, http, &source);
    if (ds_failed(&status)) {
        return status;
    }
    return ds_dsv_open(source, dsv);
}

ds_status ds_media_open(const char *path, ds_media **out) {
    return ds_media_open_with(path, NULL, out);
}

ds_status ds_media_open_with(const char *path, const ds_media_options *options, ds_media **out) {
    const ds_http_options *http = options ? options->http : NULL;
    *out = NULL;
    ds_media *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(path))) {
        free(m);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the media");
    }
    m->remote = ds_http_is_url(path);
    ds_status status;
    if (ds_renditions_path(path)) {
        status =
            ds_renditions_open(path, http, options ? options->rendition : NULL, &m->renditions);
        if (!ds_failed(&status)) {
            m->dsv = ds_renditions_stream(m->renditions, 0);
        }
    } else if (options && options->rendition) {
        status = ds_error(DS_ERR_ARGUMENT, "a rendition is chosen from a manifest (.json)");
    } else {
        status = ds_media_is_stream(path) ? ds_media_open_stream_with(path, http, &m->dsv)
                                          : ds_splat_file_load(path, &m->cloud, NULL);
    }
    if (!ds_failed(&status) &&
        ((m->dsv && m->dsv->canonical.skin_count == 0) || (m->cloud && m->cloud->count == 0))) {
        status = ds_error(DS_ERR_FORMAT, "holds no Gaussians to show");
    }
    if (ds_failed(&status)) {
        ds_media_free(m);
        return status;
    }
    *out = m;
    return ds_ok();
}

void ds_media_free(ds_media *m) {
    if (!m) {
        return;
    }
    if (m->renditions) {
        ds_renditions_free(m->renditions); /* dsv is one of its streams */
    } else if (m->dsv) {
        ds_dsv_close(m->dsv);
    }
    ds_gaussian_cloud_free(m->cloud);
    free(m->name);
    free(m);
}

const char *ds_media_name(const ds_media *m) {
    return m->name;
}

uint32_t ds_media_frame_count(const ds_media *m) {
    return m->dsv ? m->dsv->header.frame_count : 1;
}

double ds_media_fps(const ds_media *m) {
    if (!m->dsv || m->dsv->header.fps_denominator == 0) {
        return 30.0;
    }
    return (double)m->dsv->header.fps_numerator / m->dsv->header.fps_denominator;
}

uint32_t ds_media_segment_frames(const ds_media *m) {
    return m->dsv ? m->dsv->header.segment_frames : 1;
}

uint32_t ds_media_segment_count(const ds_media *m) {
    return m->dsv ? m->dsv->header.segment_count : 1;
}

ds_gl_scene ds_media_scene(const ds_media *m) {
    return m->dsv ? ds_gl_scene_of_stream(m->dsv) : ds_gl_scene_of_cloud(m->cloud);
}

void ds_media_up(const ds_media *m, double up[3]) {
    ds_dsv_up_vector(m->dsv ? m->dsv->header.up_axis : DS_DSV_UP_UNSPECIFIED, up);
}

bool ds_media_remote(const ds_media *m) {
    return m->remote;
}

ds_status ds_media_prefetch_segment(ds_media *m, uint32_t segment) {
    if (!m->remote || !m->dsv || segment >= m->dsv->header.segment_count) {
        return ds_ok();
    }
    /* From the rendition the next segments will come from. */
    ds_dsv *dsv =
        m->renditions
            ? ds_renditions_stream(m->renditions, ds_renditions_stats_get(m->renditions).current)
            : m->dsv;
    const ds_dsv_segment_entry *entry = &dsv->segments[segment];
    if (entry->offset > dsv->source.size || entry->size > dsv->source.size - entry->offset) {
        return ds_error(DS_ERR_FORMAT, "segment %u is past the end of the stream", segment);
    }
    uint8_t *bytes = malloc(entry->size ? entry->size : 1);
    if (!bytes) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate segment %u", segment);
    }
    /* The HTTP source keeps what it fetched; this copy is not needed. */
    ds_status status = dsv->source.read(dsv->source.context, entry->offset, entry->size, bytes);
    free(bytes);
    return status;
}

bool ds_media_network_stats(ds_media *m, ds_http_stats *stats) {
    *stats = (ds_http_stats){0};
    if (!m->remote || !m->dsv) {
        return false;
    }
    size_t count = m->renditions ? ds_renditions_count(m->renditions) : 1;
    for (size_t i = 0; i < count; i++) {
        ds_dsv *dsv = m->renditions ? ds_renditions_stream(m->renditions, i) : m->dsv;
        ds_http_stats one;
        if (ds_http_source_stats(&dsv->source, &one)) {
            stats->bytes += one.bytes;
            stats->requests += one.requests;
            stats->retries += one.retries;
            stats->seconds += one.seconds;
        }
    }
    return true;
}

struct ds_renditions *ds_media_renditions(ds_media *m) {
    return m->renditions;
}

void ds_media_interrupt(ds_media *m) {
    if (m->renditions) {
        ds_renditions_interrupt(m->renditions);
    } else if (m->dsv) {
        ds_http_source_interrupt(&m->dsv->source);
    }
}

ds_dsv *ds_media_stream(ds_media *m) {
    return m->dsv;
}

ds_status ds_media_frame_cloud(ds_media *m, uint32_t frame, ds_gaussian_cloud **cloud) {
    *cloud = NULL;
    if (!m->dsv) {
        return ds_gaussian_cloud_clone(m->cloud, cloud);
    }
    ds_status status = ds_stream_cloud_create(m->dsv, cloud);
    if (!ds_failed(&status)) {
        status = ds_stream_read_frame(m->dsv, frame, *cloud);
    }
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(*cloud);
        *cloud = NULL;
    }
    return status;
}

enum { PERFORMANCE_FRAMES = 16, PERFORMANCE_GAUSSIANS = 200000 };

ds_status ds_media_performance_cloud(ds_media *m, ds_gaussian_cloud **out) {
    *out = NULL;
    uint32_t frames = ds_media_frame_count(m);
    if (!m->dsv || frames == 1) {
        return ds_media_frame_cloud(m, 0, out);
    }
    /* Over the network, only the first segment: it is needed to start playing anyway, and the
     * rest would delay the first frame by their download. */
    uint32_t span = m->remote && frames > m->dsv->header.segment_frames
                        ? m->dsv->header.segment_frames
                        : frames;
    uint32_t samples = span < PERFORMANCE_FRAMES ? span : PERFORMANCE_FRAMES;
    size_t count = m->dsv->canonical.skin_count;
    size_t per_frame = PERFORMANCE_GAUSSIANS / samples;
    size_t step = count > per_frame ? (count + per_frame - 1) / per_frame : 1;
    size_t kept = (count + step - 1) / step;
    ds_gaussian_cloud *all = NULL, *cloud = NULL;
    ds_dsv_segment segment = {0};
    bool have_segment = false;
    ds_dsv_frame frame;
    ds_status status = ds_dsv_frame_create(m->dsv, &frame);
    if (!ds_failed(&status)) {
        status = ds_gaussian_cloud_create(kept * samples, m->dsv->canonical.sh_degree, &all);
    }
    if (!ds_failed(&status)) {
        status = ds_stream_cloud_create(m->dsv, &cloud);
    }
    for (uint32_t k = 0; k < samples && !ds_failed(&status); k++) {
        /* Evenly spread, first and last included; ascending, so each segment is read once. */
        uint32_t f = samples > 1 ? (uint32_t)((uint64_t)k * (span - 1) / (samples - 1)) : 0;
        uint32_t s = ds_dsv_segment_of(m->dsv, f);
        if (!have_segment || segment.index != s) {
            if (have_segment) {
                ds_dsv_segment_free(&segment);
            }
            status = ds_dsv_read_segment(m->dsv, s, &segment);
            have_segment = !ds_failed(&status);
        }
        if (!ds_failed(&status)) {
            status = ds_dsv_frame_decode(m->dsv, &segment, f - segment.first_frame, &frame);
        }
        if (!ds_failed(&status)) {
            status = ds_stream_frame_cloud(m->dsv, &segment, &frame, cloud);
        }
        for (size_t i = 0, j = 0; !ds_failed(&status) && i < count; i += step, j++) {
            ds_gaussian_cloud_copy_one(all, k * kept + j, cloud, i);
        }
    }
    if (have_segment) {
        ds_dsv_segment_free(&segment);
    }
    ds_dsv_frame_free(&frame);
    ds_gaussian_cloud_free(cloud);
    if (ds_failed(&status)) {
        ds_gaussian_cloud_free(all);
        return status;
    }
    *out = all;
    return ds_ok();
}

ds_status ds_media_framing(ds_media *m, double fov_y_degrees, int width, int height,
                           ds_camera *camera, double target[3]) {
    ds_gaussian_cloud *performance;
    ds_status status = ds_media_performance_cloud(m, &performance);
    if (ds_failed(&status)) {
        return status;
    }
    double up[3];
    ds_media_up(m, up);
    status =
        ds_camera_frame_cloud(performance, NULL, NULL, up, fov_y_degrees, width, height, camera);
    if (!ds_failed(&status)) {
        status = ds_camera_framing_target(performance, target);
    }
    ds_gaussian_cloud_free(performance);
    return status;
}

ds_status ds_media_decoder_create(ds_media *m, ds_media_decoder **out) {
    ds_media_decoder *d = calloc(1, sizeof *d);
    if (!d) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a decoder");
    }
    d->media = m;
    if (m->dsv) {
        ds_status status = ds_dsv_frame_create(m->dsv, &d->frame);
        if (ds_failed(&status)) {
            free(d);
            return status;
        }
    }
    *out = d;
    return ds_ok();
}

void ds_media_decoder_free(ds_media_decoder *d) {
    if (!d) {
        return;
    }
    if (d->media->dsv) {
        ds_dsv_frame_free(&d->frame);
    }
    free(d);
}

ds_status ds_media_decode_frame(ds_media_decoder *d, const ds_dsv_segment *segment, uint32_t frame,
                                const ds_gl_frame_layout *layout, float *slot,
                                ds_gl_frame_info *info, ds_media_frame_timing *timing) {
    ds_media *m = d->media;
    ds_media_frame_timing unused;
    timing = timing ? timing : &unused;
    *timing = (ds_media_frame_timing){0};
    double start = ds_monotonic_seconds() * 1e3;
    if (!m->dsv) {
        ds_gl_frame_fill_cloud(layout, m->cloud, slot, info);
        timing->upload_ms = ds_monotonic_seconds() * 1e3 - start;
        return ds_ok();
    }
    if (!segment || frame < segment->first_frame ||
        frame >= segment->first_frame + segment->frames) {
        return ds_error(DS_ERR_ARGUMENT, "frame %u is not in the segment given", frame);
    }
    ds_status status =
        ds_dsv_frame_decode(m->dsv, segment, frame - segment->first_frame, &d->frame);
    if (ds_failed(&status)) {
        return status;
    }
    double decoded = ds_monotonic_seconds() * 1e3;
    timing->decode_ms = decoded - start;
    status = ds_gl_frame_fill_stream(layout, segment, &d->frame, slot, info);
    timing->upload_ms = ds_monotonic_seconds() * 1e3 - decoded;
    return status;
}

ds_status ds_media_read_segment(ds_media *m, uint32_t segment, ds_dsv_segment *out) {
    if (!m->dsv) {
        return ds_error(DS_ERR_ARGUMENT, "a static splat has no segments");
    }
    if (m->renditions) {
        return ds_renditions_read_segment(m->renditions, segment, out, NULL);
    }
    return ds_dsv_read_segment(m->dsv, segment, out);
}

ds_status ds_media_segment_sound(ds_media *m, uint32_t s, const ds_dsv_segment *segment,
                                 ds_audio_pcm *pcm, char *problem, size_t size) {
    problem[0] = '\0';
    const ds_dsv *dsv = m->dsv;
    uint32_t first = dsv->segments[s].first_frame, last = first + dsv->segments[s].frame_count - 1;
    int64_t start;
    uint32_t length;
    ds_dsv_segment_sound_stretch(dsv, s, &start, &length);
    ds_status status = ds_error(DS_ERR_FORMAT, "no sound");
    uint32_t rejected = 0;
    if (segment && segment->has_audio) {
        status = ds_audio_decode_span(&segment->audio, start, length, pcm, &rejected);
    }
    if (segment && segment->audio_problem[0]) {
        snprintf(problem, size, "segment %u (frames %u-%u): %s", s, first, last,
                 segment->audio_problem);
    } else if (segment && segment->has_audio && ds_failed(&status)) {
        snprintf(problem, size, "segment %u (frames %u-%u): its sound does not decode (%s)", s,
                 first, last, status.message);
    } else if (rejected) {
        snprintf(problem, size, "segment %u (frames %u-%u): %u audio packet%s the decoder refused",
                 s, first, last, rejected, rejected == 1 ? "" : "s");
    }
    return ds_failed(&status)
               ? ds_audio_pcm_silence(start, length, dsv->header.audio_sample_rate, pcm)
               : ds_ok();
}
