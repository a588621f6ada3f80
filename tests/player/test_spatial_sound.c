/* The headset's sound through a real OpenAL Soft, its "wave" backend writing what a listener
 * would hear to a file: a voice to the left of the head is louder in the left ear, to the right
 * in the right, HRTF is on when placed, and plain stereo is not placed at all. */
#define _POSIX_C_SOURCE 200809L
#include "player_tests.h"
#include "test_support.h"

#include "player/spatial_sound.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RATE = 48000, FRAMES = 90 };

static char wave_path[256], config_path[256];

static int setup(void **state) {
    (void)state;
    snprintf(wave_path, sizeof wave_path, "/tmp/ds_test_sound_%d.wav", (int)getpid());
    snprintf(config_path, sizeof config_path, "/tmp/ds_test_sound_%d.conf", (int)getpid());
    FILE *config = fopen(config_path, "w");
    if (!config) {
        return 1;
    }
    /* OpenAL Soft reads its configuration once, at the first call: before any test opens it. */
    fprintf(config,
            "[general]\ndrivers = wave\nfrequency = %d\nchannels = stereo\n"
            "sample-type = int16\nstereo-mode = headphones\n[wave]\nfile = %s\n",
            RATE, wave_path);
    fclose(config);
    setenv("ALSOFT_CONF", config_path, 1);
    setenv("ALSOFT_LOGLEVEL", "0", 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(wave_path);
    unlink(config_path);
    return 0;
}

/* A mixer playing a 3 kHz tone for the whole stream: high enough for the head's shadow to
 * tell the ears apart (low tones bend round the head). */
static ds_audio_mixer *tone_mixer(void) {
    ds_audio_mixer *m;
    assert_int_equal(ds_audio_mixer_create(RATE, 30.0, FRAMES, &m).code, DS_OK);
    ds_audio_pcm pcm;
    assert_int_equal(ds_audio_pcm_silence(0, FRAMES * RATE / 30, RATE, &pcm).code, DS_OK);
    for (uint32_t i = 0; i < pcm.length; i++) {
        float v = 0.4f * (float)sin(2 * 3.14159265358979 * 3000.0 * i / RATE);
        pcm.samples[2 * i] = pcm.samples[2 * i + 1] = v;
    }
    ds_audio_mixer_add(m, &pcm);
    ds_audio_mixer_hold(m, false);
    return m;
}

/* Plays the tone from `source` to a listener at the origin looking down -z for a quarter of a
 * second; returns the energy of the left and right channels the device wrote. */
static void play_from(const double source[3], bool stereo, double energy[2], bool *hrtf) {
    ds_audio_mixer *m = tone_mixer();
    ds_spatial_sound *sound;
    ds_status status = ds_spatial_sound_open(m, stereo, &sound);
    if (ds_failed(&status)) {
        fail_msg("%s", status.message);
    }
    ds_xr_pose head = {{0, 0, 0}, {0, 0, 0, 1}};
    ds_spatial_sound_place(sound, source, &head);
    *hrtf = ds_spatial_sound_hrtf(sound);
    nanosleep(&(struct timespec){0, 250000000}, NULL);
    ds_spatial_sound_close(sound);
    ds_audio_mixer_free(m);

    size_t size;
    uint8_t *wave = test_read_file(wave_path, &size);
    /* 16-bit stereo (set in the config) in the RIFF file's "data" chunk. */
    size_t data = 12;
    while (data + 8 <= size && memcmp(wave + data, "data", 4) != 0) {
        data += 8 + (size_t)(wave[data + 4] | wave[data + 5] << 8 | wave[data + 6] << 16);
    }
    data += 8;
    assert_true(size > data + 4 * 4800);
    energy[0] = energy[1] = 0;
    /* After the first 50 ms, mixed before the source was placed. */
    for (size_t at = data + 4 * 2400; at + 4 <= size; at += 4) {
        for (int c = 0; c < 2; c++) {
            int16_t v = (int16_t)(wave[at + 2 * c] | wave[at + 2 * c + 1] << 8);
            energy[c] += (double)v * v;
        }
    }
    free(wave);
    assert_true(energy[0] + energy[1] > 0);
}

static void a_voice_on_the_left_is_louder_on_the_left(void **state) {
    (void)state;
    double energy[2];
    bool hrtf;
    play_from((const double[3]){-2, 0, 0}, false, energy, &hrtf);
    assert_true(hrtf);
    if (!(energy[0] > 2 * energy[1])) {
        fail_msg("left %.3g, right %.3g", energy[0], energy[1]);
    }
    play_from((const double[3]){2, 0, 0}, false, energy, &hrtf);
    if (!(energy[1] > 2 * energy[0])) {
        fail_msg("left %.3g, right %.3g", energy[0], energy[1]);
    }
}

static void plain_stereo_is_not_placed(void **state) {
    (void)state;
    double energy[2];
    bool hrtf;
    play_from((const double[3]){-2, 0, 0}, true, energy, &hrtf);
    assert_false(hrtf);
    assert_true(fabs(energy[0] - energy[1]) < 0.05 * (energy[0] + energy[1]));
}

int run_spatial_sound_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_voice_on_the_left_is_louder_on_the_left),
        cmocka_unit_test(plain_stereo_is_not_placed),
    };
    return cmocka_run_group_tests_name("spatial_sound", tests, setup, teardown);
}
