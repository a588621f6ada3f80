/* Status values returned by every fallible dualsplat library function.
 *
 * Library code never prints and never exits: it returns a ds_status whose message is a
 * short human sentence ("vertex element has no 'opacity' property") that the command line
 * prefixes with what it was doing. */
#ifndef DS_FORMATS_STATUS_H
#define DS_FORMATS_STATUS_H

#include <stdbool.h>

typedef enum ds_status_code {
    DS_OK = 0,
    DS_ERR_IO,          /* the operating system refused a read or write */
    DS_ERR_FORMAT,      /* the bytes are not a valid file of the expected format */
    DS_ERR_UNSUPPORTED, /* valid, but a variant or feature we do not handle */
    DS_ERR_NO_MEMORY,   /* an allocation failed or a size would overflow */
    DS_ERR_ARGUMENT,    /* the caller passed something out of range */
    DS_ERR_INTERRUPTED, /* stopped on request; the work done so far is saved */
} ds_status_code;

enum { DS_STATUS_MESSAGE_SIZE = 256 };

typedef struct ds_status {
    ds_status_code code;
    char message[DS_STATUS_MESSAGE_SIZE];
} ds_status;

/* The success value. */
ds_status ds_ok(void);

/* An error with a printf-style message (truncated to fit). */
ds_status ds_error(ds_status_code code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static inline bool ds_failed(const ds_status *status) {
    return status->code != DS_OK;
}

/* A short fixed name for a code, e.g. "format error". */
const char *ds_status_code_name(ds_status_code code);

#endif
