#include "av_sync.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLICK_MS = 4 };

/* DC term of a flash: colour 0.5 + 0.282 x 3 clips to white. Plain frames of the test splats
 * average well under 1. */
#define FLASH_DC    3.0f
#define FLASH_ABOVE 2.0
#define CLICK_LEVEL 0.5f
#define CLICK_GAP   0.020 /* seconds without a loud sample before a click starts */

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

ds_status ds_av_sync_write_click_wav(const char *path, uint32_t frames, double fps, uint32_t every,
                                     uint32_t rate) {
    if (frames == 0 || !(fps > 0) || rate == 0) {
        return ds_error(DS_ERR_ARGUMENT, "invalid click track");
    }
    uint32_t samples = (uint32_t)ceil(frames / fps * rate);
    size_t bytes = (size_t)samples * 4;
    uint8_t *data = malloc(44 + bytes);
    if (!data) {
        return ds_error(DS_ERR_NO_MEMORY, "cannot allocate a click track");
    }
    /* RIFF/WAVE, PCM, 2 channels, 16 bits. */
    memcpy(data, "RIFF", 4);
    put_u32(data + 4, (uint32_t)(36 + bytes));
    memcpy(data + 8, "WAVEfmt ", 8);
    put_u32(data + 16, 16);
    put_u16(data + 20, 1);
    put_u16(data + 22, 2);
    put_u32(data + 24, rate);
    put_u32(data + 28, rate * 4);
    put_u16(data + 32, 4);
    put_u16(data + 34, 16);
    memcpy(data + 36, "data", 4);
    put_u32(data + 40, (uint32_t)bytes);
    for (uint32_t i = 0; i < samples; i++) {
        int16_t tone =
            (int16_t)lrint(0.05 * 32767 * sin(2 * 3.14159265358979323846 * 440.0 * i / rate));
        put_u16(data + 44 + (size_t)i * 4, (uint16_t)tone);
        put_u16(data + 46 + (size_t)i * 4, (uint16_t)tone);
    }
    /* Each click starts where the stream places its frame: floor(f x rate / fps). */
    uint32_t click = rate * CLICK_MS / 1000;
    for (uint32_t f = 1; f < frames; f++) {
        if (!ds_av_sync_marked(f, every)) {
            continue;
        }
        uint32_t start = (uint32_t)floor(f * (double)rate / fps + 1e-9);
        for (uint32_t i = start; i < start + click && i < samples; i++) {
            int16_t value = (i - start) % 8 < 4 ? 29490 : -29490; /* 0.9 of full scale */
            put_u16(data + 44 + (size_t)i * 4, (uint16_t)value);
            put_u16(data + 46 + (size_t)i * 4, (uint16_t)value);
        }
    }
    FILE *file = fopen(path, "wb");
    bool written = file && fwrite(data, 1, 44 + bytes, file) == 44 + bytes;
    if (file && fclose(file) != 0) {
        written = false;
    }
    free(data);
    return written ? ds_ok() : ds_error(DS_ERR_IO, "cannot write %s", path);
}

void ds_av_sync_flash(ds_gaussian_cloud *cloud) {
    size_t stride = ds_gaussian_cloud_sh_stride(cloud);
    for (size_t i = 0; i < cloud->count; i++) {
        for (int c = 0; c < 3; c++) {
            cloud->sh[i * stride + (size_t)c] = FLASH_DC;
        }
    }
}

bool ds_av_sync_is_flash(const float *sh, size_t count, int sh_degree) {
    size_t stride = (size_t)ds_sh_coeff_count(sh_degree) * 3;
    double sum = 0;
    for (size_t i = 0; i < count; i++) {
        sum += (sh[i * stride] + sh[i * stride + 1] + sh[i * stride + 2]) / 3.0;
    }
    return count > 0 && sum / (double)count > FLASH_ABOVE;
}

size_t ds_av_sync_find_clicks(const float *stereo, size_t count, uint32_t rate, int64_t *onsets,
                              size_t max) {
    size_t found = 0, gap = (size_t)(CLICK_GAP * rate);
    int64_t last_loud = -(int64_t)gap - 1;
    for (size_t i = 0; i < count; i++) {
        float level = fmaxf(fabsf(stereo[2 * i]), fabsf(stereo[2 * i + 1]));
        if (level <= CLICK_LEVEL) {
            continue;
        }
        if ((int64_t)i - last_loud > (int64_t)gap) {
            if (found < max) {
                onsets[found] = (int64_t)i;
            }
            found++;
        }
        last_loud = (int64_t)i;
    }
    return found;
}
