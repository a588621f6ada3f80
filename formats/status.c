#include "status.h"

#include <stdarg.h>
#include <stdio.h>

ds_status ds_ok(void) {
    ds_status status = {.code = DS_OK, .message = ""};
    return status;
}

ds_status ds_error(ds_status_code code, const char *format, ...) {
    ds_status status = {.code = code};
    va_list args;
    va_start(args, format);
    vsnprintf(status.message, sizeof status.message, format, args);
    va_end(args);
    return status;
}

const char *ds_status_code_name(ds_status_code code) {
    switch (code) {
    case DS_OK:
        return "ok";
    case DS_ERR_IO:
        return "input/output error";
    case DS_ERR_FORMAT:
        return "format error";
    case DS_ERR_UNSUPPORTED:
        return "unsupported";
    case DS_ERR_NO_MEMORY:
        return "out of memory";
    case DS_ERR_ARGUMENT:
        return "invalid argument";
    case DS_ERR_INTERRUPTED:
        return "interrupted";
    }
    return "unknown error";
}
