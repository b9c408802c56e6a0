/* output.h - where a command's data goes: stdout, or -o FILE written
 * atomically (a temporary file beside it, renamed into place on success, so
 * a failure never leaves a partial file). */
#ifndef TIERLEDGER_CLI_OUTPUT_H
#define TIERLEDGER_CLI_OUTPUT_H

#include <stdio.h>

#include "model/result.h"

/* Writes `data` to `out`; sets err and returns non-zero on failure. */
typedef TlResult (*CliWriter)(FILE *out, const void *data, TlError *err);

/* Run write(out, data) into path ("-" or NULL: stdout). */
TlResult cli_write_output(const char *path, CliWriter write, const void *data, TlError *err);

#endif
