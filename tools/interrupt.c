#define _POSIX_C_SOURCE 200809L
#include "interrupt.h"

#include <stddef.h>

static volatile sig_atomic_t requested = 0;

static void request_stop(int signal_number) {
    (void)signal_number;
    requested = 1;
}

void cli_interrupt_catch(cli_interrupt *saved) {
    requested = 0;
    struct sigaction action = {.sa_handler = request_stop};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &saved->previous_interrupt);
    sigaction(SIGTERM, &action, &saved->previous_terminate);
    saved->caught = true;
}

void cli_interrupt_release(cli_interrupt *saved) {
    if (!saved->caught) {
        return;
    }
    sigaction(SIGINT, &saved->previous_interrupt, NULL);
    sigaction(SIGTERM, &saved->previous_terminate, NULL);
    saved->caught = false;
}

bool cli_interrupt_requested(void) {
    return requested != 0;
}
