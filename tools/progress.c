#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

double cli_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *progress, bool quiet) {
    *progress = (cli_progress){.enabled = !quiet && cli_stderr_is_terminal()};
    progress->started = cli_seconds();
    progress->last_drawn = -1.0;
}

static void format_duration(double seconds, char *text, size_t capacity) {
    long total = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (total >= 3600) {
        snprintf(text, capacity, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
    } else {
        snprintf(text, capacity, "%ld:%02ld", total / 60, total % 60);
    }
}

void cli_progress_update(cli_progress *progress, const char *label, double fraction,
                         const char *detail, bool force) {
    if (!progress->enabled) {
        return;
    }
    double now = cli_seconds();
    if (!force && now - progress->last_drawn < 0.25) {
        return;
    }
    progress->last_drawn = now;
    fraction = fraction < 0 ? 0 : (fraction > 1 ? 1 : fraction);
    enum { BAR = 24 };
    char bar[BAR + 1];
    int filled = (int)(fraction * BAR + 0.5);
    for (int i = 0; i < BAR; i++) {
        bar[i] = i < filled ? '#' : '.';
    }
    bar[BAR] = '\0';
    char eta[32] = "--:--";
    double elapsed = now - progress->started;
    if (fraction > 0.001) {
        format_duration(elapsed * (1.0 - fraction) / fraction, eta, sizeof eta);
    }
    char line[512];
    int width = snprintf(line, sizeof line, "%s [%s] %3.0f%% %s ETA %s", label, bar,
                         fraction * 100.0, detail, eta);
    if (width < 0) {
        return;
    }
    /* Pad with spaces over a longer previous line. */
    fprintf(stderr, "\r%s%*s", line, progress->width > width ? progress->width - width : 0, "");
    fflush(stderr);
    progress->width = width;
}

void cli_progress_finish(cli_progress *progress) {
    if (progress->enabled && progress->width > 0) {
        fprintf(stderr, "\r%*s\r", progress->width, "");
        fflush(stderr);
    }
    progress->width = 0;
}
