/* Helpers shared by the dualsplat subcommands: error reporting in the project's one-line
 * format, option parsing glue and human-friendly number formatting. The CLI is the only
 * place that prints. */
#ifndef DS_TOOLS_CLI_H
#define DS_TOOLS_CLI_H

#include "formats/status.h"

#include <stdbool.h>
#include <stddef.h>

/* Exit codes of every command. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

/* Prints "dualsplat: <what>: <why>" to stderr. */
void cli_error(const char *what, const char *why_format, ...) __attribute__((format(printf, 2, 3)));

/* Prints a failed status as "dualsplat: <what>: <message>" and returns CLI_EXIT_FAILURE. */
int cli_fail(const char *what, const ds_status *status);

/* Prints "dualsplat: <command>: <why> (see ... --help)"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *why_format, ...)
    __attribute__((format(printf, 2, 3)));

/* A warning that does not stop the command: "dualsplat: warning: ...". */
void cli_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Parses the options of a command with getopt_long, reporting unknown options and missing
 * values in the project's format. Returns the option character, -1 at the end, or '?' after
 * printing an error. */
struct option;
int cli_next_option(const char *command, int argc, char **argv, const char *short_options,
                    const struct option *long_options);

/* Parses a whole decimal integer in [min, max]. */
bool cli_parse_int(const char *text, long min, long max, long *value);

/* Parses exactly `count` comma-separated finite numbers ("1.5,-2,0"). */
bool cli_parse_numbers(const char *text, int count, double *values);

/* Parses "WIDTHxHEIGHT" with both sides in 1..16384. */
bool cli_parse_size(const char *text, int *width, int *height);

/* Whether stderr is a terminal (progress bars are drawn only then). */
bool cli_stderr_is_terminal(void);

/* "152,746" */
void cli_format_count(size_t count, char *text, size_t capacity);
/* "2.24 MB" (decimal units, as file managers show) */
void cli_format_bytes(double bytes, char *text, size_t capacity);

#endif
