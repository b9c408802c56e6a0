/* output.h - where a command's data goes: stdout, or -o FILE written
 * atomically (a temporary file beside it, renamed into place on success, so
 * a failure never leaves a partial file), with the mode the umask gives. */
#ifndef TIERLEDGER_CLI_OUTPUT_H
#define TIERLEDGER_CLI_OUTPUT_H

#include <stdio.h>

#include "cli/args.h"
#include "model/result.h"

/* Writes `data` to `out`; sets err and returns non-zero on failure. */
typedef TlResult (*CliWriter)(FILE *out, const void *data, TlError *err);

/* Run write(out, data) into path ("-" or NULL: stdout). */
TlResult cli_write_output(const char *path, CliWriter write, const void *data, TlError *err);

/* Diagnostics: one line to stderr. When stderr is the systemd journal
 * (JOURNAL_STREAM names it, sd-daemon(3)) the line starts with its syslog
 * priority, "<3>" for CLI_ERR, so that a failed run is an error in the
 * journal; elsewhere the line is written as is. */
enum { CLI_ERR = 3, CLI_WARNING = 4, CLI_INFO = 6 };
void cli_diag(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress of a long command on stderr, when stderr is a terminal (one
 * line rewritten in place) or with --progress (a line each time); nothing
 * otherwise. cli_progress_end clears a terminal's line before the result. */
void cli_progress(const CliContext *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_progress_end(void);

#endif
