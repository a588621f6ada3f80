#define _POSIX_C_SOURCE 200809L
#include "audio_output.h"
#include "monotonic_time.h"

#include <SDL.h>
#include <stdlib.h>

/* 1024 samples at 48 kHz: 21 ms, the tolerance sound and picture are held to. */
enum { BUFFER_SAMPLES = 1024 };

struct ds_audio_output {
    SDL_AudioDeviceID device;
    SDL_AudioSpec spec;
    ds_audio_mixer *mixer;
};

static void fill(void *context, Uint8 *stream, int bytes) {
    ds_audio_output *o = context;
    ds_audio_mixer_render(o->mixer, (float *)(void *)stream, (uint32_t)bytes / (2 * sizeof(float)),
                          ds_monotonic_seconds());
}

ds_status ds_audio_output_open(ds_audio_mixer *mixer, ds_audio_output **out) {
    *out = NULL;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        return ds_error(DS_ERR_UNSUPPORTED, "no sound output: %s", SDL_GetError());
    }
    ds_audio_output *o = calloc(1, sizeof *o);
    if (!o) {
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate the sound output");
    }
    o->mixer = mixer;
    SDL_AudioSpec want = {.freq = (int)ds_audio_mixer_sample_rate(mixer),
                          .format = AUDIO_F32SYS,
                          .channels = 2,
                          .samples = BUFFER_SAMPLES,
                          .callback = fill,
                          .userdata = o};
    o->device = SDL_OpenAudioDevice(NULL, 0, &want, &o->spec, 0);
    if (o->device == 0) {
        ds_status status = ds_error(DS_ERR_UNSUPPORTED, "no sound output: %s", SDL_GetError());
        free(o);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return status;
    }
    SDL_PauseAudioDevice(o->device, 0);
    *out = o;
    return ds_ok();
}

void ds_audio_output_close(ds_audio_output *o) {
    if (!o) {
        return;
    }
    SDL_CloseAudioDevice(o->device);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
    free(o);
}

double ds_audio_output_latency(const ds_audio_output *o) {
    return (double)o->spec.samples / o->spec.freq;
}

uint32_t ds_audio_output_buffer_samples(const ds_audio_output *o) {
    return o->spec.samples;
}
