/* A one-line progress display on stderr for long commands: redrawn in place a few times a
 * second when stderr is a terminal, silent otherwise (and with --quiet), as ARCHITECTURE.md asks.
 */
#ifndef DS_TOOLS_PROGRESS_H
#define DS_TOOLS_PROGRESS_H

#include <stdbool.h>

typedef struct cli_progress {
    bool enabled;
    double started, last_drawn; /* seconds */
    int width;                  /* characters last drawn, to clear them */
} cli_progress;

/* Enabled when stderr is a terminal and `quiet` is false. */
void cli_progress_start(cli_progress *progress, bool quiet);

/* Redraws "label [#####.....] 42% detail ETA 1:23" at most 4 times a second (always when
 * `force`); `fraction` in 0..1 gives the bar and the time left. */
void cli_progress_update(cli_progress *progress, const char *label, double fraction,
                         const char *detail, bool force);

/* Clears the line, so the next output starts clean. */
void cli_progress_finish(cli_progress *progress);

/* Seconds since an arbitrary fixed point (monotonic). */
double cli_seconds(void);

#endif
