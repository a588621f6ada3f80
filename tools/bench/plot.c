#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 5x7 glyphs, one byte per row (low 5 bits, leftmost pixel in bit 4). */
static const struct {
    char c;
    unsigned char rows[7];
} glyphs[] = {
    {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
    {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
    {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
    {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
    {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
    {'.', {0, 0, 0, 0, 0, 12, 12}},      {'-', {0, 0, 0, 31, 0, 0, 0}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},        {'(', {2, 4, 8, 8, 8, 4, 2}},
    {')', {8, 4, 2, 2, 2, 4, 8}},        {'a', {0, 0, 14, 1, 15, 17, 15}},
    {'b', {16, 16, 22, 25, 17, 17, 30}}, {'c', {0, 0, 14, 16, 16, 17, 14}},
    {'d', {1, 1, 13, 19, 17, 17, 15}},   {'e', {0, 0, 14, 17, 31, 16, 14}},
    {'f', {6, 9, 8, 28, 8, 8, 8}},       {'g', {0, 15, 17, 17, 15, 1, 14}},
    {'h', {16, 16, 22, 25, 17, 17, 17}}, {'i', {4, 0, 12, 4, 4, 4, 14}},
    {'k', {16, 16, 18, 20, 24, 20, 18}}, {'l', {12, 4, 4, 4, 4, 4, 14}},
    {'m', {0, 0, 26, 21, 21, 17, 17}},   {'n', {0, 0, 22, 25, 17, 17, 17}},
    {'o', {0, 0, 14, 17, 17, 17, 14}},   {'p', {0, 0, 30, 17, 30, 16, 16}},
    {'r', {0, 0, 22, 25, 16, 16, 16}},   {'s', {0, 0, 14, 16, 14, 1, 30}},
    {'t', {8, 8, 28, 8, 8, 9, 6}},       {'u', {0, 0, 17, 17, 17, 19, 13}},
    {'v', {0, 0, 17, 17, 17, 10, 4}},    {'w', {0, 0, 17, 17, 21, 21, 10}},
    {'x', {0, 0, 17, 10, 4, 10, 17}},    {'y', {0, 0, 17, 17, 15, 1, 14}},
    {'B', {30, 17, 17, 30, 17, 17, 30}}, {'N', {17, 25, 21, 19, 17, 17, 17}},
    {'P', {30, 17, 17, 30, 16, 16, 16}}, {'R', {30, 17, 17, 30, 20, 18, 17}},
    {'S', {15, 16, 16, 14, 1, 1, 30}},   {'/', {1, 1, 2, 4, 8, 16, 16}},
    {'j', {2, 0, 6, 2, 2, 18, 12}},
};

static void put(ds_image *image, int x, int y, const float colour[3]) {
    if (x >= 0 && y >= 0 && x < image->width && y < image->height) {
        memcpy(ds_image_pixel(image, x, y), colour, 3 * sizeof(float));
    }
}

static void text(ds_image *image, int x, int y, const char *string, const float colour[3]) {
    for (; *string; string++, x += 6) {
        for (size_t g = 0; g < sizeof glyphs / sizeof glyphs[0]; g++) {
            if (glyphs[g].c != *string) {
                continue;
            }
            for (int row = 0; row < 7; row++) {
                for (int column = 0; column < 5; column++) {
                    if (glyphs[g].rows[row] & (16 >> column)) {
                        put(image, x + column, y + row, colour);
                    }
                }
            }
            break;
        }
    }
}

/* Bresenham, two pixels thick. */
static void line(ds_image *image, int x0, int y0, int x1, int y1, const float colour[3]) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int error = dx + dy;
    for (;;) {
        put(image, x0, y0, colour);
        put(image, x0, y0 + 1, colour);
        if (x0 == x1 && y0 == y1) {
            break;
        }
        int twice = 2 * error;
        if (twice >= dy) {
            error += dy;
            x0 += sx;
        }
        if (twice <= dx) {
            error += dx;
            y0 += sy;
        }
    }
}

enum { MARGIN_LEFT = 60, MARGIN_RIGHT = 60, MARGIN_TOP = 30, MARGIN_BOTTOM = 30 };

static void series(ds_image *image, const plot_series *s, double x_low, double x_high, int side) {
    int w = image->width - MARGIN_LEFT - MARGIN_RIGHT;
    int h = image->height - MARGIN_TOP - MARGIN_BOTTOM;
    double range = s->high > s->low ? s->high - s->low : 1.0;
    double x_range = x_high > x_low ? x_high - x_low : 1.0;
    int previous_x = 0, previous_y = 0;
    for (int i = 0; i < s->count; i++) {
        int px = MARGIN_LEFT + (int)lround((s->x[i] - x_low) / x_range * w);
        double t = (s->y[i] - s->low) / range;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        int py = MARGIN_TOP + h - (int)lround(t * h);
        if (i > 0) {
            line(image, previous_x, previous_y, px, py, s->colour);
        }
        previous_x = px;
        previous_y = py;
    }
    /* Axis labels: low, middle and high values. */
    for (int k = 0; k <= 2; k++) {
        char label[32];
        snprintf(label, sizeof label, "%.3g", s->low + range * k / 2.0);
        int y = MARGIN_TOP + h - h * k / 2 - 3;
        int x =
            side == 0 ? MARGIN_LEFT - 6 * (int)strlen(label) - 4 : image->width - MARGIN_RIGHT + 4;
        text(image, x, y, label, s->colour);
    }
    int label_x = side == 0 ? MARGIN_LEFT : image->width / 2;
    text(image, label_x, 8, s->label, s->colour);
}

ds_status plot_draw(const plot_series *left, const plot_series *right, int width, int height,
                    ds_image *image) {
    ds_status status = ds_image_create(width, height, image);
    if (ds_failed(&status)) {
        return status;
    }
    for (size_t i = 0; i < (size_t)width * (size_t)height * 3; i++) {
        image->pixels[i] = 1.0f;
    }
    const float grey[3] = {0.6f, 0.6f, 0.6f}, black[3] = {0, 0, 0};
    int x0 = MARGIN_LEFT, x1 = width - MARGIN_RIGHT, y0 = MARGIN_TOP, y1 = height - MARGIN_BOTTOM;
    for (int k = 0; k <= 2; k++) {
        int y = y1 - (y1 - y0) * k / 2;
        for (int x = x0; x <= x1; x += 4) {
            put(image, x, y, grey);
        }
    }
    line(image, x0, y0, x0, y1, black);
    line(image, x1, y0, x1, y1, black);
    line(image, x0, y1, x1, y1, black);
    double x_low = left->count ? left->x[0] : 0,
           x_high = left->count ? left->x[left->count - 1] : 1;
    char label[32];
    snprintf(label, sizeof label, "%.0f", x_low);
    text(image, x0, y1 + 6, label, black);
    snprintf(label, sizeof label, "%.0f", x_high);
    text(image, x1 - 6 * (int)strlen(label), y1 + 6, label, black);
    text(image, (x0 + x1) / 2 - 15, y1 + 6, "frame", black);
    series(image, left, x_low, x_high, 0);
    if (right) {
        series(image, right, x_low, x_high, 1);
    }
    return ds_ok();
}
