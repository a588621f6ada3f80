/* Ctrl-C (SIGINT) and SIGTERM (a batch scheduler's, a service manager's) as a request to stop long
 * work cleanly instead of killing the process: the work polls cli_interrupt_requested, stops,
 * removes a half-written output or keeps its last checkpoint, and the command exits with a clear
 * message. */
#ifndef DS_TOOLS_INTERRUPT_H
#define DS_TOOLS_INTERRUPT_H

#include <signal.h> /* struct sigaction: includers define _POSIX_C_SOURCE */
#include <stdbool.h>

typedef struct cli_interrupt {
    struct sigaction previous_interrupt, previous_terminate;
    bool caught;
} cli_interrupt;

/* Catches both signals from now on (clearing any earlier request). */
void cli_interrupt_catch(cli_interrupt *saved);
/* Puts back the handlers there were before; nothing when not caught. */
void cli_interrupt_release(cli_interrupt *saved);
/* Whether a signal asked to stop since the catch. */
bool cli_interrupt_requested(void);

#endif
