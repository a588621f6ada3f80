#define _POSIX_C_SOURCE 200809L
#include "spatial_sound.h"
#include "monotonic_time.h"

#include <AL/al.h>
#include <AL/alc.h>
#include <AL/alext.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Three buffers of 1024 samples: about 2.5 of them are queued ahead of the listener. */
enum { BUFFERS = 3, BUFFER_SAMPLES = 1024 };

struct ds_spatial_sound {
    ds_audio_mixer *mixer;
    bool stereo, hrtf;
    uint32_t rate;
    ALCdevice *device;
    ALCcontext *context;
    ALuint source, buffers[BUFFERS];
    pthread_t thread;
    pthread_mutex_t lock; /* OpenAL calls from the feeding thread and the placing one */
    bool running, quit;
};

/* Renders the next buffer from the mixer into `buffer`: mono for a placed source (OpenAL only
 * places mono sound), stereo otherwise. */
static void fill(ds_spatial_sound *s, ALuint buffer) {
    float mix[2 * BUFFER_SAMPLES];
    int16_t pcm[2 * BUFFER_SAMPLES];
    ds_audio_mixer_render(s->mixer, mix, BUFFER_SAMPLES, ds_monotonic_seconds());
    int channels = s->stereo ? 2 : 1;
    for (int i = 0; i < BUFFER_SAMPLES; i++) {
        for (int c = 0; c < channels; c++) {
            float v = s->stereo ? mix[2 * i + c] : 0.5f * (mix[2 * i] + mix[2 * i + 1]);
            v = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
            pcm[channels * i + c] = (int16_t)lrintf(v * 32767.0f);
        }
    }
    alBufferData(buffer, s->stereo ? AL_FORMAT_STEREO16 : AL_FORMAT_MONO16, pcm,
                 (ALsizei)(BUFFER_SAMPLES * channels * (int)sizeof(int16_t)), (ALsizei)s->rate);
}

static void *feed(void *argument) {
    ds_spatial_sound *s = argument;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (s->quit) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        ALint processed = 0, state = 0;
        alGetSourcei(s->source, AL_BUFFERS_PROCESSED, &processed);
        while (processed-- > 0) {
            ALuint buffer;
            alSourceUnqueueBuffers(s->source, 1, &buffer);
            fill(s, buffer);
            alSourceQueueBuffers(s->source, 1, &buffer);
        }
        alGetSourcei(s->source, AL_SOURCE_STATE, &state);
        if (state != AL_PLAYING) {
            alSourcePlay(s->source); /* ran dry (a stall of ours): start again */
        }
        pthread_mutex_unlock(&s->lock);
        nanosleep(&(struct timespec){0, 4000000}, NULL);
    }
    return NULL;
}

ds_status ds_spatial_sound_open(ds_audio_mixer *mixer, bool stereo, ds_spatial_sound **out) {
    *out = NULL;
    ds_spatial_sound *s = calloc(1, sizeof *s);
    if (!s) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the headset's sound");
    }
    s->mixer = mixer;
    s->stereo = stereo;
    s->rate = ds_audio_mixer_sample_rate(mixer);
    s->device = alcOpenDevice(NULL);
    if (!s->device) {
        free(s);
        return ds_error(DS_ERR_UNSUPPORTED, "no sound output (OpenAL found no device)");
    }
    /* HRTF on request for placed sound; plain stereo asks for it off. */
    bool can_hrtf = alcIsExtensionPresent(s->device, "ALC_SOFT_HRTF");
    ALCint attributes[] = {ALC_FREQUENCY, (ALCint)s->rate, ALC_HRTF_SOFT,
                           stereo ? ALC_FALSE : ALC_TRUE, 0};
    if (!can_hrtf) {
        attributes[2] = 0;
    }
    s->context = alcCreateContext(s->device, attributes);
    if (!s->context || !alcMakeContextCurrent(s->context)) {
        ds_spatial_sound_close(s);
        return ds_error(DS_ERR_UNSUPPORTED, "no sound output (OpenAL refused a context)");
    }
    ALCint hrtf = 0;
    if (can_hrtf) {
        alcGetIntegerv(s->device, ALC_HRTF_SOFT, 1, &hrtf);
    }
    s->hrtf = hrtf == ALC_TRUE;
    alGenSources(1, &s->source);
    alGenBuffers(BUFFERS, s->buffers);
    if (alGetError() != AL_NO_ERROR) {
        ds_spatial_sound_close(s);
        return ds_error(DS_ERR_UNSUPPORTED, "no sound output (OpenAL could not make a source)");
    }
    /* Placed sound fades with distance as a voice does (inverse distance from 1 m); plain stereo
     * sits on the listener. */
    alSourcei(s->source, AL_SOURCE_RELATIVE, stereo ? AL_TRUE : AL_FALSE);
    alSourcef(s->source, AL_REFERENCE_DISTANCE, 1.0f);
    alDistanceModel(AL_INVERSE_DISTANCE_CLAMPED);
    for (int b = 0; b < BUFFERS; b++) {
        fill(s, s->buffers[b]);
    }
    alSourceQueueBuffers(s->source, BUFFERS, s->buffers);
    alSourcePlay(s->source);
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, feed, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        ds_spatial_sound_close(s);
        return ds_error(DS_ERR_NO_MEMORY, "cannot start the sound thread");
    }
    s->running = true;
    *out = s;
    return ds_ok();
}

void ds_spatial_sound_close(ds_spatial_sound *s) {
    if (!s) {
        return;
    }
    if (s->running) {
        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        pthread_mutex_destroy(&s->lock);
    }
    if (s->context) {
        alSourceStop(s->source);
        alDeleteSources(1, &s->source);
        alDeleteBuffers(BUFFERS, s->buffers);
        alcMakeContextCurrent(NULL);
        alcDestroyContext(s->context);
    }
    if (s->device) {
        alcCloseDevice(s->device);
    }
    free(s);
}

/* The head's forward (-z) and up (+y) in the stage, from its orientation (x, y, z, w). */
static void head_axes(const ds_xr_pose *head, float orientation[6]) {
    double x = head->orientation[0], y = head->orientation[1], z = head->orientation[2],
           w = head->orientation[3];
    /* Columns 2 (negated) and 1 of the rotation matrix. */
    orientation[0] = (float)-(2 * (x * z + w * y));
    orientation[1] = (float)-(2 * (y * z - w * x));
    orientation[2] = (float)-(1 - 2 * (x * x + y * y));
    orientation[3] = (float)(2 * (x * y - w * z));
    orientation[4] = (float)(1 - 2 * (x * x + z * z));
    orientation[5] = (float)(2 * (y * z + w * x));
}

void ds_spatial_sound_place(ds_spatial_sound *s, const double source[3], const ds_xr_pose *head) {
    if (s->stereo) {
        return;
    }
    float orientation[6];
    head_axes(head, orientation);
    pthread_mutex_lock(&s->lock);
    alListener3f(AL_POSITION, (float)head->position[0], (float)head->position[1],
                 (float)head->position[2]);
    alListenerfv(AL_ORIENTATION, orientation);
    alSource3f(s->source, AL_POSITION, (float)source[0], (float)source[1], (float)source[2]);
    pthread_mutex_unlock(&s->lock);
}

double ds_spatial_sound_latency(const ds_spatial_sound *s) {
    return (BUFFERS - 0.5) * BUFFER_SAMPLES / (double)s->rate;
}

bool ds_spatial_sound_hrtf(const ds_spatial_sound *s) {
    return s->hrtf;
}
