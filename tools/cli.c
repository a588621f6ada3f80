#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 2, 0))) static void print_line(const char *prefix, const char *format,
                                                             va_list args) {
    fprintf(stderr, "%s", prefix);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
}

void cli_error(const char *what, const char *why_format, ...) {
    fprintf(stderr, "dualsplat: %s: ", what);
    va_list args;
    va_start(args, why_format);
    print_line("", why_format, args);
    va_end(args);
}

int cli_fail(const char *what, const ds_status *status) {
    cli_error(what, "%s", status->message);
    return CLI_EXIT_FAILURE;
}

int cli_usage_error(const char *command, const char *why_format, ...) {
    fprintf(stderr, "dualsplat: %s: ", command);
    va_list args;
    va_start(args, why_format);
    vfprintf(stderr, why_format, args);
    va_end(args);
    fprintf(stderr, " (see 'dualsplat %s --help')\n", command);
    return CLI_EXIT_USAGE;
}

void cli_warning(const char *format, ...) {
    va_list args;
    va_start(args, format);
    print_line("dualsplat: warning: ", format, args);
    va_end(args);
}

bool cli_parse_int(const char *text, long min, long max, long *value) {
    char *end;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < min || parsed > max) {
        return false;
    }
    *value = parsed;
    return true;
}

void cli_format_count(size_t count, char *text, size_t capacity) {
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%zu", count);
    size_t out = 0;
    for (int i = 0; i < length && out + 1 < capacity; i++) {
        if (i > 0 && (length - i) % 3 == 0 && out + 2 < capacity) {
            text[out++] = ',';
        }
        text[out++] = digits[i];
    }
    if (capacity > 0) {
        text[out < capacity ? out : capacity - 1] = '\0';
    }
}

void cli_format_bytes(double bytes, char *text, size_t capacity) {
    static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB"};
    size_t unit = 0;
    while (bytes >= 1000.0 && unit + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1000.0;
        unit++;
    }
    if (unit == 0) {
        snprintf(text, capacity, "%.0f %s", bytes, units[0]);
    } else {
        snprintf(text, capacity, "%.2f %s", bytes, units[unit]);
    }
}

int cli_next_option(const char *command, int argc, char **argv, const char *short_options,
                    const struct option *long_options) {
    /* A leading ':' makes getopt tell a missing value (':') from an unknown option ('?'). */
    char options[64];
    snprintf(options, sizeof options, ":%s", short_options);
    opterr = 0; /* we report errors ourselves, in one line */
    int option = getopt_long(argc, argv, options, long_options, NULL);
    if (option == ':') {
        cli_usage_error(command, "option '%s' needs a value", argv[optind - 1]);
        return '?';
    }
    if (option == '?') {
        cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
        return '?';
    }
    return option;
}

bool cli_parse_numbers(const char *text, int count, double *values) {
    const char *cursor = text;
    for (int i = 0; i < count; i++) {
        char *end;
        errno = 0;
        values[i] = strtod(cursor, &end);
        if (end == cursor || errno != 0 || !isfinite(values[i])) {
            return false;
        }
        if (i + 1 < count) {
            if (*end != ',') {
                return false;
            }
            end++;
        }
        cursor = end;
    }
    return *cursor == '\0';
}

bool cli_parse_size(const char *text, int *width, int *height) {
    char *end;
    errno = 0;
    long w = strtol(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X') || errno != 0) {
        return false;
    }
    const char *rest = end + 1;
    long h = strtol(rest, &end, 10);
    if (end == rest || *end != '\0' || errno != 0 || w < 1 || h < 1 || w > 16384 || h > 16384) {
        return false;
    }
    *width = (int)w;
    *height = (int)h;
    return true;
}

bool cli_stderr_is_terminal(void) {
    return isatty(STDERR_FILENO) != 0;
}
